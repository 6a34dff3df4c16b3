"""The measured storm against wsfleet's simulation of the same storm: a scenario built from the
testbed's parameters (servers, clients, ramp, balancer preset and its health checks, backoff policy,
faults, costs), the quantities both report, and whether they agree within stated tolerances."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import wsfleet

from testbed.storm import Fault, StormConfig

# Tolerances, from the measured run-to-run spread (docs/validation.md lists the runs they come from):
# the crash is detected by health checks every 2 s whose phase is random against the crash (real and
# simulated alike, 4-6 s), and the last client's retry lands anywhere in its full-jitter window, so
# the time until every client is back varies by a few seconds between runs of either.
RECOVERY_TOLERANCE_S = 4.0
# The first second after the crash holds most retries (full jitter over [0, base)); both sides count
# the most attempts in any 1 s window, and the real clients' own CPU and the proxy spread them a little.
PEAK_ATTEMPTS_RELATIVE_TOLERANCE = 0.25


def standard_storm(preset: str, seed: int) -> StormConfig:
    """The storm the test and `make validate` measure: 4 servers, 2,000 clients arriving over 14 s,
    server 0 SIGKILLed at 18 s and restarted (empty) 20 s later, once everyone is back; full jitter
    (base 1 s, cap 8 s) after a loss."""
    return StormConfig(servers=4, clients=2000, preset=preset, ramp_s=14.0, duration_s=40.0,
                       backoff="full_jitter", backoff_params={"base_s": 1.0, "cap_s": 8.0},
                       faults=[Fault("crash", at_s=18.0, server=0, recover_after_s=20.0)], seed=seed)


def scenario_of(cfg: StormConfig, costs: Optional[Dict[str, float]] = None) -> dict:
    """The wsfleet scenario (as the dict of its tables) that simulates this testbed storm."""
    fleet: dict = {"servers": cfg.servers, "max_connections": 100000, "cpu_cores": 1,
                   "weights": cfg.weight_list if cfg.weights else []}
    cpu = {}
    for key in ("handshake_us", "inbound_message_us", "outbound_message_us", "heartbeat_us"):
        if costs and key in costs:
            cpu[key] = float(costs[key])
    for key in ("memory_per_connection_kib", "base_memory_mib"):
        if costs and key in costs:
            fleet[key] = float(costs[key])
    if cpu:
        fleet["cpu"] = cpu
    faults = []
    for f in cfg.faults:
        if f.kind != "crash":
            raise ValueError(f"testbed: only crash faults have a simulated counterpart (got {f.kind})")
        fault = {"type": "crash", "server": f.server, "at_s": f.at_s}
        if f.recover_after_s is not None:
            fault["recover_after_s"] = f.recover_after_s
        faults.append(fault)
    backoff = {"policy": cfg.backoff}
    backoff.update(cfg.backoff_params)
    balancer: dict = {"policy": cfg.preset}
    if cfg.preset.startswith("haproxy_"):  # the real proxy's `retries` and `timeout connect` (testbed/storm.py)
        balancer.update({"retries": cfg.proxy_retries, "timeout_connect_s": 5.0})
    return {
        "scenario": {"name": "testbed", "description": "the testbed's storm, simulated"},
        "run": {"duration_s": float(cfg.duration_s), "sample_interval_s": 1.0, "seed": cfg.seed},
        "fleet": fleet,
        "clients": {"count": cfg.clients, "ramp_s": cfg.ramp_s, "session": "never",
                    "messages_per_minute": cfg.messages_per_minute, "replies_per_message": 1.0,
                    "message_bytes": float(cfg.message_bytes), "heartbeat_interval_s": cfg.heartbeat_interval_s,
                    "connect_timeout_s": cfg.connect_timeout_s},
        "balancer": balancer,
        "backoff": backoff,
        "faults": faults,
    }


@dataclass
class StormFigures:
    """What both a measured and a simulated storm report, for the first crash."""

    recovery_s: Optional[float]
    detected_s: Optional[float]
    peak_attempts_per_s: float
    connections_per_server: List[int]


def measured_figures(summary: dict) -> StormFigures:
    crash = next(f for f in summary["faults"] if f["type"] == "crash")
    return StormFigures(crash.get("reconnected_within_s"), crash.get("detected_within_s"),
                        float(crash["peak_attempts_per_s"]), list(summary["connections_per_server_at_end"]))


# The simulation samples every 0.1 s, so that the peak over any 1 s window (as the testbed measures it
# from each attempt's time) is found to within 0.1 s.
PEAK_WINDOW_BINS = 10


def simulate(cfg: StormConfig, costs: Optional[Dict[str, float]] = None, seed: Optional[int] = None) -> StormFigures:
    result = wsfleet.run(scenario_of(cfg, costs), seed=seed if seed is not None else cfg.seed,
                         overrides={"run.sample_interval_s": 1.0 / PEAK_WINDOW_BINS})
    crash = next(f for f in result.summary["faults"] if f["type"] == "crash")
    fleet = result.fleet
    window = fleet[fleet["time_s"] > crash["at_s"]]
    peak = float(window["attempts"].rolling(PEAK_WINDOW_BINS, min_periods=1).sum().max())
    servers = result.servers
    last = servers[servers["time_s"] == servers["time_s"].max()].sort_values("server")
    return StormFigures(crash.get("reconnected_within_s"), crash.get("detected_within_s"), peak,
                        [int(x) for x in last["connections"]])


@dataclass
class Row:
    quantity: str
    measured: str
    simulated: str
    tolerance: str
    agree: bool


def _mean(values: Sequence[Optional[float]]) -> Optional[float]:
    known = [v for v in values if v is not None]
    return statistics.fmean(known) if len(known) == len(values) and known else None


def _spread(values: Sequence[float]) -> str:
    return f" (runs: {', '.join(f'{v:.1f}' for v in values)})" if len(values) > 1 else ""


def compare(measured: Sequence[StormFigures], simulated: Sequence[StormFigures], deterministic: bool) -> List[Row]:
    """Rows of the comparison. measured/simulated: one StormFigures per run (seeds differ)."""
    rows: List[Row] = []
    m_rec, s_rec = _mean([m.recovery_s for m in measured]), _mean([s.recovery_s for s in simulated])
    rows.append(Row("time until every client is back (s)",
                    "never" if m_rec is None else f"{m_rec:.1f}{_spread([m.recovery_s for m in measured])}",
                    "never" if s_rec is None else f"{s_rec:.1f}{_spread([s.recovery_s for s in simulated])}",
                    f"± {RECOVERY_TOLERANCE_S:.0f} s",
                    m_rec is not None and s_rec is not None and abs(m_rec - s_rec) <= RECOVERY_TOLERANCE_S))
    m_det, s_det = _mean([m.detected_s for m in measured]), _mean([s.detected_s for s in simulated])
    if m_det is not None and s_det is not None:
        rows.append(Row("crash detected by the proxy after (s)", f"{m_det:.1f}{_spread([m.detected_s for m in measured])}",
                        f"{s_det:.1f}{_spread([s.detected_s for s in simulated])}", "± 2 s (one check interval)",
                        abs(m_det - s_det) <= 2.0))
    m_peak = statistics.fmean(m.peak_attempts_per_s for m in measured)
    s_peak = statistics.fmean(s.peak_attempts_per_s for s in simulated)
    rows.append(Row("peak connection attempts per second", f"{m_peak:.0f}{_spread([m.peak_attempts_per_s for m in measured])}",
                    f"{s_peak:.0f}{_spread([s.peak_attempts_per_s for s in simulated])}",
                    f"± {PEAK_ATTEMPTS_RELATIVE_TOLERANCE:.0%}",
                    abs(m_peak - s_peak) <= PEAK_ATTEMPTS_RELATIVE_TOLERANCE * max(m_peak, s_peak)))
    for idx, (m, s) in enumerate(zip(measured, simulated)):
        m_sorted, s_sorted = sorted(m.connections_per_server), sorted(s.connections_per_server)
        if deterministic:
            agree, tol = m_sorted == s_sorted, "exact (sorted)"
        else:
            slack = max(2, int(0.05 * max(m_sorted + s_sorted)))
            agree, tol = all(abs(a - b) <= slack for a, b in zip(m_sorted, s_sorted)), f"± {slack} per server"
        rows.append(Row(f"connections per server after recovery, run {idx + 1}", str(m.connections_per_server),
                        str(s.connections_per_server), tol, agree))
    return rows


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| quantity | measured | simulated | tolerance | agreement |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.quantity} | {r.measured} | {r.simulated} | {r.tolerance} | {'yes' if r.agree else 'NO'} |")
    return "\n".join(lines)
