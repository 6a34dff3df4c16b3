"""One measured reconnect storm: servers, a proxy, the client fleet, scheduled faults, and the
recording, with every process killed by PID when the run ends or fails."""

from __future__ import annotations

import asyncio
import json
import resource
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from testbed.client_fleet import ClientFleet
from testbed.processes import ProcessSet
from testbed.proxies import Proxy, ProxySpec
from testbed.recorder import Recorder
from testbed.servers import ServerFleet

MAX_DURATION_S = 600.0
MAX_CLIENTS = 20000


@dataclass
class Fault:
    """kind: "crash" (SIGKILL server `server` at at_s, restart it after recover_after_s if given),
    "slow" (server burns slow_ms of CPU per handshake/message/ping from at_s, for recover_after_s if
    given) or "proxy_stop" (the proxy is killed at at_s and started again after recover_after_s)."""

    kind: str
    at_s: float
    server: int = 0
    recover_after_s: Optional[float] = None
    slow_ms: float = 0.0


@dataclass
class StormConfig:
    servers: int = 4
    clients: int = 2000
    preset: str = "haproxy_leastconn"
    weights: Optional[List[float]] = None
    backoff: str = "full_jitter"
    backoff_params: Dict[str, float] = field(default_factory=lambda: {"base_s": 1.0, "cap_s": 8.0})
    ramp_s: float = 10.0
    duration_s: float = 45.0
    connect_timeout_s: float = 10.0
    heartbeat_interval_s: float = 10.0
    heartbeat_timeout_s: float = 10.0
    messages_per_minute: float = 2.0
    message_bytes: int = 64
    faults: List[Fault] = field(default_factory=lambda: [Fault("crash", at_s=20.0, server=0, recover_after_s=10.0)])
    proxy_retries: int = 0
    seed: int = 1

    def check(self) -> None:
        if not 1 <= self.servers <= 32:
            raise ValueError(f"testbed: servers must be 1..32 (got {self.servers})")
        if not 1 <= self.clients <= MAX_CLIENTS:
            raise ValueError(f"testbed: clients must be 1..{MAX_CLIENTS} (got {self.clients})")
        if not 0 < self.duration_s <= MAX_DURATION_S:
            raise ValueError(f"testbed: duration_s must be in (0, {MAX_DURATION_S}] (got {self.duration_s})")
        for f in self.faults:
            if f.kind not in ("crash", "slow", "proxy_stop"):
                raise ValueError(f"testbed: fault kind '{f.kind}' (allowed: crash, slow, proxy_stop)")
            if not 0 <= f.server < self.servers:
                raise ValueError(f"testbed: fault server {f.server} out of range 0..{self.servers - 1}")

    @property
    def weight_list(self) -> List[float]:
        return list(self.weights) if self.weights else [1.0] * self.servers


def raise_fd_limit(wanted: int) -> int:
    """Raises this process's open-file limit towards `wanted` (at most the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class _Sampler:
    """The servers' own CPU and memory accounting and the proxy's per-server counters, as deltas."""

    def __init__(self, servers: ServerFleet, proxy: Proxy):
        self.servers = servers
        self.proxy = proxy
        self.prev_cpu: Dict[int, tuple] = {}
        self.prev_proxy: Dict[int, Dict[str, float]] = {}
        self.proxy_status: Dict[int, str] = {}

    def server_stats(self) -> List[Optional[dict]]:
        out: List[Optional[dict]] = []
        for i in range(self.servers.count):
            s = self.servers.stats(i)
            if s is None:
                self.prev_cpu.pop(i, None)
                out.append(None)
                continue
            cpu_s = (s["cpu_user_us"] + s["cpu_system_us"]) / 1e6
            prev = self.prev_cpu.get(i)
            util = 0.0
            if prev and s["uptime_s"] > prev[1]:
                util = max(0.0, (cpu_s - prev[0]) / (s["uptime_s"] - prev[1]))
            self.prev_cpu[i] = (cpu_s, s["uptime_s"])
            out.append(dict(s, cpu_utilisation=util, memory_mib=s["rss_bytes"] / 2**20))
        return out

    def proxy_rows(self) -> Optional[Dict[int, Dict[str, float]]]:
        rows = self.proxy.haproxy_stats()
        if rows is None:
            return None
        out: Dict[int, Dict[str, float]] = {}
        for r in rows:
            if r.get("pxname") != "be" or not r.get("svname", "").startswith("s"):
                continue
            i = int(r["svname"][1:])
            self.proxy_status[i] = r.get("status", "")
            now = {"stot": float(r.get("stot") or 0), "econ": float(r.get("econ") or 0)}
            prev = self.prev_proxy.get(i, {"stot": 0.0, "econ": 0.0})
            out[i] = {"attempts": now["stot"] - prev["stot"], "failed": now["econ"] - prev["econ"]}
            self.prev_proxy[i] = now
        return out


def _all_back_within(events: List[tuple], clients: int, since: float) -> Optional[float]:
    """Seconds from `since` until every client is connected again (None if never)."""
    level = 0
    for t, kind, _ in sorted(events):
        level += 1 if kind == "established" else -1
        if t > since and level == clients:
            return t - since
    return None


async def _run(cfg: StormConfig, workdir: Path) -> dict:
    loop = asyncio.get_running_loop()
    summary: dict = {"config": asdict(cfg), "faults": []}
    with ProcessSet(workdir) as procs:
        servers = ServerFleet(procs, cfg.servers, max_lifetime_s=cfg.duration_s + 120.0)
        servers.start_all()
        proxy = Proxy(procs, ProxySpec(cfg.preset, cfg.weight_list, retries=cfg.proxy_retries,
                                       connect_timeout_s=5.0), servers.ports)
        proxy.start()
        rec = Recorder(cfg.servers, cfg.clients)
        t0 = loop.time()
        clock = lambda: loop.time() - t0  # noqa: E731
        fleet = ClientFleet(proxy.url, cfg.clients, rec, backoff=cfg.backoff, backoff_params=cfg.backoff_params,
                            ramp_s=cfg.ramp_s, end_s=cfg.duration_s, connect_timeout_s=cfg.connect_timeout_s,
                            heartbeat_interval_s=cfg.heartbeat_interval_s, heartbeat_timeout_s=cfg.heartbeat_timeout_s,
                            messages_per_minute=cfg.messages_per_minute, message_bytes=cfg.message_bytes,
                            seed=cfg.seed, clock=clock)
        sampler = _Sampler(servers, proxy)
        sampler.server_stats()
        sampler.proxy_rows()

        lags: List[float] = []

        async def sample_loop():
            for k in range(1, int(cfg.duration_s) + 1):
                await asyncio.sleep(max(0.0, k - clock()))
                # How late the event loop wakes up: a starved client process delays its own timers.
                lags.append(clock() - k)
                stats = await loop.run_in_executor(None, sampler.server_stats)
                rows = await loop.run_in_executor(None, sampler.proxy_rows)
                rec.sample(k, [servers.up(i) for i in range(cfg.servers)], stats, rows)

        async def detect(fault_record: dict, server: int, since: float):
            # HAProxy's own view of the server, every 100 ms for at most 60 s.
            for _ in range(600):
                rows = await loop.run_in_executor(None, proxy.haproxy_stats)
                if rows is None:
                    return
                for r in rows:
                    if r.get("pxname") == "be" and r.get("svname") == f"s{server}" and r.get("status", "").startswith("DOWN"):
                        fault_record["detected_within_s"] = clock() - since
                        return
                await asyncio.sleep(0.1)

        async def inject(f: Fault):
            await asyncio.sleep(max(0.0, f.at_s - clock()))
            record = {"type": f.kind, "server": f.server, "at_s": clock()}
            summary["faults"].append(record)
            if f.kind == "crash":
                record["connections_dropped"] = rec.connections_now[f.server]
                servers.kill(f.server)
                detector = asyncio.create_task(detect(record, f.server, record["at_s"]))
                if f.recover_after_s is not None:
                    await asyncio.sleep(f.recover_after_s)
                    await loop.run_in_executor(None, servers.start, f.server)
                    record["restarted_at_s"] = clock()
                await detector
            elif f.kind == "slow":
                await loop.run_in_executor(None, servers.slow, f.server, f.slow_ms)
                if f.recover_after_s is not None:
                    await asyncio.sleep(f.recover_after_s)
                    await loop.run_in_executor(None, servers.slow, f.server, 0.0)
            else:
                proxy.stop()
                if f.recover_after_s is not None:
                    await asyncio.sleep(f.recover_after_s)
                    await loop.run_in_executor(None, proxy.start)
                    record["restarted_at_s"] = clock()

        started = time.monotonic()
        sampling = asyncio.create_task(sample_loop())

        async def stopper():
            # After the last sample, so that the last second still sees every connection.
            await sampling
            fleet.stop()

        tasks = [sampling] + [asyncio.create_task(c) for c in (stopper(), *(inject(f) for f in cfg.faults))]
        clients = asyncio.create_task(fleet.run())
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=cfg.duration_s + 90.0)
            await asyncio.wait_for(clients, timeout=30.0)
        finally:
            fleet.stop()
            for t in tasks + [clients]:
                t.cancel()
            await asyncio.gather(*tasks, clients, return_exceptions=True)
        summary["wall_seconds"] = time.monotonic() - started
        # How late the client process's timers ran: over the whole run, and from 2 s before the first
        # fault on (the storm being measured; the ramp's handshakes may starve the process earlier).
        first_fault = min((f.at_s for f in cfg.faults), default=0.0)
        summary["client_loop_lag_max_s"] = max(lags, default=0.0)
        summary["client_loop_lag_storm_max_s"] = max(
            (lag for k, lag in enumerate(lags, start=1) if k >= first_fault - 2.0), default=0.0)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        summary["client_cpu_s"] = usage.ru_utime + usage.ru_stime
        for record in summary["faults"]:
            if record["type"] == "crash":
                record["reconnected_within_s"] = _all_back_within(rec.events, cfg.clients, record["at_s"])
                record["peak_attempts_per_s"] = rec.peak_attempts_per_s(record["at_s"])
                # How long after the kill the clients learnt of their loss (the simulation drops them all
                # at the crash instant): the median and the last of the dropped connections' closes.
                lost = sorted(t - record["at_s"] for t, kind, server in rec.events
                              if kind == "closed" and server == record["server"] and t >= record["at_s"])
                if lost:
                    record["loss_seen_median_s"] = lost[len(lost) // 2]
                    record["loss_seen_last_s"] = lost[-1]
        last = [r for r in rec.rows if r["scope"] == "server" and r["time_s"] == int(cfg.duration_s)]
        summary["connections_per_server_at_end"] = [r["connections"] for r in sorted(last, key=lambda r: r["server"])]
        summary["gave_up"] = fleet.gave_up
    summary["recorder"] = rec
    return summary


def run_storm(cfg: StormConfig, out: Path) -> dict:
    """Runs the storm; writes OUT/timeseries.csv (wsfleet's columns), OUT/summary.json and the proxy
    and server logs under OUT/work. Returns the summary (without the recorder)."""
    cfg.check()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    raise_fd_limit(max(4096, 4 * cfg.clients + 1024))
    # uvloop (libuv) runs the same asyncio code with a fraction of the CPU per connection, which keeps
    # thousands of clients in one process on time on a small machine.
    try:
        import uvloop
        loop_factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - a dependency on Linux
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        summary = runner.run(_run(cfg, out / "work"))
    rec: Recorder = summary.pop("recorder")
    rec.write_csv(out / "timeseries.csv")
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    return summary
