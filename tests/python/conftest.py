"""Shared fixtures for the Python tests: synthetic run directories in the format `wsfleet run --out`
writes (summary.json, timeseries.csv, scenario.toml), so the report can be tested without the
compiled engine."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import pytest

TIMESERIES_COLUMNS = [
    "time_s", "scope", "server", "up", "connections", "attempts", "established", "rejected", "failed",
    "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
    "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up", "conn_max_over_mean", "conn_cv", "half_open",
    "clients_websocket", "clients_long_polling", "clients_sse", "polls",
]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def write_synthetic_run(
    directory: Path,
    *,
    name: str = "storm-test",
    servers: int = 5,
    max_connections: int = 3000,
    clients: int = 10000,
    duration_s: float = 300.0,
    sample_interval_s: float = 1.0,
    ramp_s: float = 30.0,
    messages_per_minute: float = 3.0,
    faults: Sequence[Dict[str, Any]] = ({"server": 2, "at_s": 120.0, "recover_after_s": 60.0},),
    storm_s: float = 12.0,
    p99_ms: Optional[float] = 87.6,
    balancer: str = "least_connections",
) -> Path:
    """A plausible (not simulated) run: clients ramp up evenly, each crash drops a server's
    connections, which come back on the other servers over `storm_s` seconds."""
    directory.mkdir(parents=True, exist_ok=True)
    n_steps = max(1, int(round(duration_s / sample_interval_s)))
    times = [round((i + 1) * sample_interval_s, 9) for i in range(n_steps)]
    per_server_target = clients / servers
    conn = [0.0] * servers
    up = [1] * servers
    totals = dict(attempted=0, established=0, rejected=0, failed=0, closed=0, dropped=0, retries=0)
    fault_state = [dict(f, done=False, back=False, dropped=0.0, reconnected=None) for f in faults]
    rows: List[Dict[str, Any]] = []
    pending_storm = 0.0     # clients waiting to reconnect
    arrived_before = 0.0    # clients that have made their first attempt
    peak_cpu = 0.0
    peak_mem = 0.0
    delivered_total = 0
    for t in times:
        attempts = [0.0] * servers
        established = [0.0] * servers
        rejected = [0.0] * servers
        dropped = [0.0] * servers
        for f in fault_state:
            if not f["done"] and t >= f["at_s"]:
                s = f["server"]
                dropped[s] += conn[s]
                f["dropped"] = conn[s]
                pending_storm += conn[s]
                conn[s] = 0.0
                up[s] = 0
                f["done"] = True
            rec = f.get("recover_after_s")
            if f["done"] and not f["back"] and rec is not None and t >= f["at_s"] + rec:
                up[f["server"]] = 1
                f["back"] = True
        # Ramp: new clients arrive evenly over ramp_s.
        live = [s for s in range(servers) if up[s]]
        arrived = clients * min(t / ramp_s, 1.0) if ramp_s > 0 else float(clients)
        ramp_new = arrived - arrived_before
        arrived_before = arrived
        # Reconnects are front-loaded (most clients retry within the first backoff delays).
        rate = min(1.0, 3.0 * sample_interval_s / storm_s)
        storm_now = pending_storm if pending_storm < 5 else pending_storm * rate
        retries = storm_now
        pending_storm -= storm_now
        new = ramp_new + storm_now
        for s in live:
            share = new / len(live) if live else 0.0
            attempts[s] = share
            room = max(0.0, max_connections - conn[s])
            ok = min(share, room)
            rejected[s] = share - ok
            established[s] = ok
            conn[s] += ok
        pending_storm += sum(rejected)
        for f in fault_state:
            if f["done"] and f["reconnected"] is None and pending_storm < 0.5:
                f["reconnected"] = round(t - f["at_s"], 3)
        storm_active = storm_now > 0
        cpu = []
        for s in range(servers):
            u = 0.0
            if up[s]:
                u = min(1.0, conn[s] * messages_per_minute / 60 * 70e-6 + attempts[s] * 1e-3 / sample_interval_s)
            cpu.append(u)
            peak_cpu = max(peak_cpu, u)
        fleet_conn = sum(conn)
        delivered = int(fleet_conn * messages_per_minute / 60 * sample_interval_s)
        delivered_total += delivered
        if messages_per_minute > 0 and delivered > 0:
            p50 = 2.0 + (40.0 if storm_active else 0.0)
            p99 = 20.0 + (900.0 if storm_active else 0.0)
        else:
            p50 = p99 = None
        mem = [256.0 + conn[s] * 64 / 1024 if up[s] else 0.0 for s in range(servers)]
        peak_mem = max(peak_mem, max(mem))
        rows.append(dict(time_s=t, scope="fleet", server=-1, up=sum(up), connections=int(fleet_conn),
                         attempts=int(sum(attempts)), established=int(sum(established)),
                         rejected=int(sum(rejected)), failed=0, closed=int(sum(dropped)),
                         dropped=int(sum(dropped)), cpu_utilisation=sum(cpu) / servers,
                         cpu_backlog_ms=50.0 if storm_active else 0.0, memory_mib=sum(mem),
                         messages_delivered=delivered, latency_p50_ms=p50, latency_p99_ms=p99,
                         retries=int(retries), waiting=int(pending_storm), gave_up=0))
        for s in range(servers):
            share = delivered / servers
            rows.append(dict(time_s=t, scope="server", server=s, up=up[s], connections=int(conn[s]),
                             attempts=int(attempts[s]), established=int(established[s]),
                             rejected=int(rejected[s]), failed=0, closed=int(dropped[s]),
                             dropped=int(dropped[s]), cpu_utilisation=cpu[s],
                             cpu_backlog_ms=50.0 if storm_active and up[s] else 0.0, memory_mib=mem[s],
                             messages_delivered=int(share), latency_p50_ms=p50 if up[s] else None,
                             latency_p99_ms=p99 if up[s] else None, retries=None, waiting=None,
                             gave_up=None))
        totals["attempted"] += int(sum(attempts))
        totals["established"] += int(sum(established))
        totals["rejected"] += int(sum(rejected))
        totals["dropped"] += int(sum(dropped))
        totals["retries"] += int(retries)
    totals["closed"] = totals["dropped"]

    with open(directory / "timeseries.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=TIMESERIES_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})

    latency = None
    if messages_per_minute > 0:
        latency = {"mean": 9.1, "p50": 2.4, "p90": 11.0, "p99": p99_ms, "p999": 950.0, "max": 1234.0}
    else:
        latency = {k: None for k in ("mean", "p50", "p90", "p99", "p999", "max")}
    summary = {
        "wsfleet_version": "0.1.0",
        "scenario": {"name": name, "description": "Synthetic run for the report tests <&>."},
        "seed": 7, "replication": 0,
        "simulated_seconds": duration_s, "wall_seconds": 1.9, "events_processed": 12345678,
        "events_per_second": 6.5e6,
        "fleet": {"servers": servers, "max_connections_per_server": max_connections,
                  "balancer": balancer, "backoff": "full_jitter"},
        "clients": {"count": clients},
        "connections": {"attempted": totals["attempted"], "established": totals["established"],
                        "rejected": totals["rejected"], "failed": 0, "pending_at_end": 0,
                        "closed": totals["closed"], "dropped": totals["dropped"],
                        "active_at_end": int(sum(conn)), "retries": totals["retries"], "gave_up": 0,
                        "waiting_at_end": int(pending_storm),
                        # Every rejection of the synthetic model is a full server.
                        "rejected_by": {"server_full": totals["rejected"], "no_backend": 0, "rate_limited": 0,
                                        "shed": 0}},
        "messages": {"sent": delivered_total, "delivered": delivered_total, "dropped": 0,
                     "in_flight_at_end": 0, "latency_ms": latency},
        "heartbeats": {"sent": 1000, "delivered": 990, "dropped": 10, "in_flight_at_end": 0},
        "handshake_latency_ms": {"mean": 1.5, "p50": 1.1, "p90": 2.0, "p99": 4.2, "p999": 9.0, "max": 15.0},
        # Every server present the whole run, 1 core each (what the engine writes then).
        "cpu": {"mean_utilisation": 0.31, "peak_utilisation": round(peak_cpu, 6),
                "capacity_core_seconds": float(servers) * duration_s},
        "memory": {"peak_server_mib": round(peak_mem, 1)},
        "faults": [{"type": "crash", "server": f["server"], "at_s": f["at_s"],
                    "recover_after_s": f.get("recover_after_s"),
                    "connections_dropped": int(f["dropped"]),
                    "reconnected_within_s": f["reconnected"]} for f in fault_state],
        # The shape the engine writes (experiments/summary/summary_conservation.cpp).
        "conservation": {"ok": True, "checks": {
            "attempts": {"equation": "attempted = established + rejected + failed + pending_at_end",
                         "values": "100 = 100 + 0 + 0 + 0", "ok": True},
            "connections": {"equation": "established = closed + active_at_end",
                            "values": "100 = 0 + 100", "ok": True}}},
    }
    (directory / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")

    lines = [
        "[scenario]", f"name = {_toml_value(name)}",
        f"description = {_toml_value('Synthetic run for the report tests <&>.')}", "",
        "[run]", f"duration_s = {duration_s!r}", f"sample_interval_s = {sample_interval_s!r}", "seed = 7",
        "replication = 0", "",
        "[fleet]", f"servers = {servers}", f"max_connections = {max_connections}", "cpu_cores = 1",
        "memory_per_connection_kib = 64.0", "base_memory_mib = 256.0", "weights = []", "",
        "[fleet.cpu]", "handshake_us = 1000.0", "inbound_message_us = 50.0", "outbound_message_us = 20.0",
        "heartbeat_us = 5.0", "",
        "[clients]", f"count = {clients}", f"ramp_s = {ramp_s!r}", 'session = "never"',
        'on_session_end = "leave"', f"messages_per_minute = {messages_per_minute!r}",
        "replies_per_message = 1.0", "heartbeat_interval_s = 25.0", "connect_timeout_s = 10.0", "",
        "[balancer]", f"policy = {_toml_value(balancer)}", "",
        "[backoff]", 'policy = "full_jitter"', "base_s = 1.0", "cap_s = 30.0", "max_retries = 0",
    ]
    for f in faults:
        lines += ["", "[[faults]]", 'type = "crash"', f"server = {f['server']}", f"at_s = {f['at_s']!r}"]
        if f.get("recover_after_s") is not None:
            lines.append(f"recover_after_s = {f['recover_after_s']!r}")
    (directory / "scenario.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def write_run() -> Callable[..., Path]:
    """write_run(directory, **options): the synthetic run writer, for fixtures of any scope."""
    return write_synthetic_run


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """Factory: make_run(subdir="run", **options) writes a synthetic run directory and returns it."""
    def factory(subdir: str = "run", **options: Any) -> Path:
        return write_synthetic_run(tmp_path / subdir, **options)
    return factory


@pytest.fixture
def run_dir(make_run: Callable[..., Path]) -> Path:
    """A 5-server run with one crash (server 2 at 120 s, back 60 s later)."""
    return make_run()
