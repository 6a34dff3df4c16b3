"""What a testbed run measured, in wsfleet's own time-series shape: one row per second for the fleet
(scope "fleet", server -1) and one per server, counters over the second that ends at time_s and levels
at time_s, the columns of a simulated run's timeseries.csv (those the testbed cannot see are empty) plus
the causes of refusals and the handshake latency."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

# The columns of wsfleet's timeseries.csv, in its order.
WSFLEET_COLUMNS = ["time_s", "scope", "server", "up", "connections", "attempts", "established", "rejected",
                   "failed", "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib",
                   "messages_delivered", "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up",
                   "conn_max_over_mean", "conn_cv", "half_open", "clients_websocket", "clients_long_polling",
                   "clients_sse", "polls"]
# Measured only by the testbed: refusals by cause and the handshake latency the clients saw.
EXTRA_COLUMNS = ["rejected_no_backend", "failed_backend_down", "failed_timeout", "failed_other",
                 "handshake_p50_ms", "handshake_p99_ms"]
COLUMNS = WSFLEET_COLUMNS + EXTRA_COLUMNS


def _quantile(values: List[float], q: float) -> Optional[float]:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


class Recorder:
    """Counts client-side events by the second in which they happen (second k covers (k-1, k])."""

    def __init__(self, servers: int, clients: int):
        self.servers = servers
        self.clients = clients
        self.counts: Dict[int, Dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.per_server: Dict[int, Dict[int, Dict[str, float]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(float)))
        self.handshake_ms: Dict[int, List[float]] = defaultdict(list)
        self.message_ms: Dict[int, List[float]] = defaultdict(list)
        self.connections_now = [0] * servers
        self.waiting_now = 0
        self.http_total = self.proxy_failed_total = self.down_total = self.refused_total = 0.0
        self.rows: List[Dict[str, object]] = []
        self.events: List[tuple] = []  # (t, kind, server) of every established / closed connection
        self.attempt_times: List[float] = []  # when every connection attempt started

    @staticmethod
    def second(t: float) -> int:
        return max(1, math.ceil(t))

    def count(self, t: float, key: str, server: Optional[int] = None, n: float = 1.0) -> None:
        if key == "attempts":
            self.attempt_times.append(t)
        k = self.second(t)
        self.counts[k][key] += n
        if server is not None:
            self.per_server[k][server][key] += n

    def attempt(self, t: float, retry: bool) -> None:
        """An attempt started at t (wsfleet counts attempts and retries when they start)."""
        self.count(t, "attempts")
        if retry:
            self.count(t, "retries")

    def established(self, t: float, server: int, handshake_ms: float) -> None:
        self.count(t, "established", server)
        self.handshake_ms[self.second(t)].append(handshake_ms)
        self.connections_now[server] += 1
        self.events.append((t, "established", server))

    def refused(self, t: float, cause: str) -> None:
        """cause: failed_timeout, failed_other, or http_STATUS (the proxy answered with an error; sample()
        splits those into failed_backend_down and rejected_no_backend with the proxy's own counters)."""
        if cause.startswith("http_"):
            self.count(t, "http_refused")
        else:
            self.count(t, "failed")
            self.count(t, cause)

    def closed(self, t: float, server: int, dropped: bool) -> None:
        self.count(t, "closed", server)
        if dropped:
            self.count(t, "dropped", server)
        self.connections_now[server] -= 1
        self.events.append((t, "closed", server))

    def message(self, t: float, latency_ms: float) -> None:
        self.count(t, "messages_delivered")
        self.message_ms[self.second(t)].append(latency_ms)

    def sample(self, k: int, up: List[bool], server_stats: List[Optional[dict]],
               proxy_rows: Optional[Dict[int, Dict[str, float]]]) -> None:
        """Closes second k: the levels now, the counters of (k-1, k]; server_stats are the servers' own
        accounting deltas (cpu_utilisation, memory_mib), proxy_rows per-server attempts and failed tries
        from the proxy's counters."""
        c = dict(self.counts.pop(k, {}))
        # A proxy's error answer is a failed try of a server it thought up (its connect failed: HAProxy's
        # per-server econ) or a refusal because no server was eligible.
        # Counted cumulatively, so that a try the proxy counts at the end of one second and the client at
        # the start of the next still pair up.
        self.http_total += c.pop("http_refused", 0.0)
        if proxy_rows is None:
            self.proxy_failed_total = self.http_total
        else:
            self.proxy_failed_total += sum(p.get("failed", 0.0) for p in proxy_rows.values())
        down_total = min(self.http_total, self.proxy_failed_total)
        down = down_total - self.down_total
        refused = (self.http_total - down_total) - self.refused_total
        self.down_total, self.refused_total = down_total, self.http_total - down_total
        c["failed_backend_down"] = c.get("failed_backend_down", 0.0) + down
        c["failed"] = c.get("failed", 0.0) + down
        c["rejected_no_backend"] = c.get("rejected_no_backend", 0.0) + refused
        c["rejected"] = c.get("rejected", 0.0) + refused
        conns = list(self.connections_now)
        total = sum(conns)
        running = [n for n, u in zip(conns, up) if u]
        mean = (sum(running) / len(running)) if running else 0.0
        cv = (math.sqrt(sum((n - mean) ** 2 for n in running) / len(running)) / mean) if mean > 0 else 0.0
        hs = self.handshake_ms.pop(k, [])
        msg = self.message_ms.pop(k, [])
        fleet = {col: "" for col in COLUMNS}
        fleet.update(time_s=k, scope="fleet", server=-1, up=sum(up), connections=total,
                     attempts=int(c.get("attempts", 0)), established=int(c.get("established", 0)),
                     rejected=int(c.get("rejected", 0)), failed=int(c.get("failed", 0)),
                     closed=int(c.get("closed", 0)), dropped=int(c.get("dropped", 0)),
                     messages_delivered=int(c.get("messages_delivered", 0)),
                     latency_p50_ms=_quantile(msg, 0.5) or "", latency_p99_ms=_quantile(msg, 0.99) or "",
                     retries=int(c.get("retries", 0)), waiting=self.waiting_now, gave_up=0,
                     conn_max_over_mean=(max(running) / mean) if mean > 0 else 1.0, conn_cv=cv,
                     clients_websocket=total, clients_long_polling=0, clients_sse=0, polls=0,
                     handshake_p50_ms=_quantile(hs, 0.5) or "", handshake_p99_ms=_quantile(hs, 0.99) or "")
        for key in ("rejected_no_backend", "failed_backend_down", "failed_timeout", "failed_other"):
            fleet[key] = int(c.get(key, 0))
        stats_cpu = [s.get("cpu_utilisation") for s in server_stats if s]
        stats_mem = [s.get("memory_mib") for s in server_stats if s]
        if stats_cpu:
            fleet["cpu_utilisation"] = sum(stats_cpu) / len(stats_cpu)
            fleet["memory_mib"] = sum(stats_mem)
        self.rows.append(fleet)
        ps = self.per_server.pop(k, {})
        for i in range(self.servers):
            row = {col: "" for col in COLUMNS}
            own = ps.get(i, {})
            proxy = (proxy_rows or {}).get(i, {})
            row.update(time_s=k, scope="server", server=i, up=int(up[i]), connections=conns[i],
                       attempts=int(proxy.get("attempts", own.get("established", 0))),
                       established=int(own.get("established", 0)), rejected=0,
                       failed=int(proxy.get("failed", 0)), closed=int(own.get("closed", 0)),
                       dropped=int(own.get("dropped", 0)), polls=0)
            s = server_stats[i]
            if s:
                row["cpu_utilisation"] = s["cpu_utilisation"]
                row["memory_mib"] = s["memory_mib"]
            self.rows.append(row)

    def peak_attempts_per_s(self, since: float) -> int:
        """The most attempts in any 1 s window that starts after `since` (not tied to the 1 s bins,
        whose phase against the fault is arbitrary)."""
        times = sorted(t for t in self.attempt_times if t > since)
        best, j = 0, 0
        for i, t in enumerate(times):
            while j < len(times) and times[j] < t + 1.0:
                j += 1
            best = max(best, j - i)
        return best

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            for row in self.rows:
                w.writerow(row)
