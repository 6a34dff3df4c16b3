"""A limit of the model (wsfleet._limits measures every one): the record of what a run used of it
(`Limit`), the verdict the limits give (`Verdict`), their states and status words, and the
readings of a run's figures the limits share (the peak of a per-server column, the demand, the
faults of a kind). The time series are read as wsfleet._rows.Rows: plain Python, no pandas.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._format import as_float, fmt_int, fmt_seconds, fmt_share
from ._rows import NAN, Rows, argmax
from ._status import STATUS_WORDS
from .views import Summary, View
from .views import COLUMNS as C

__all__ = ["Limit", "Verdict", "MARGIN", "HANDSHAKE_STALLS", "SATURATED", "DELIVERY_P99_MS", "RECOVERY_S", "STATES",
           "OUTCOMES", "CONFIGURATION", "STATUS_WORDS", "state_of", "category", "peak_row", "row_at", "share_of", "where_words",
           "class_of", "per_server", "peak_demand", "autoscaled_peak", "this_run_servers", "faults", "slowed_rows",
           "crashed_servers"]

#: A limit with less than this share left at the worst moment is "near".
MARGIN = 0.20
#: Fault kinds that make handshakes time out on their own (docs/operations.md).
HANDSHAKE_STALLS = ("handshake_blackhole", "link_down", "link_loss", "site_partition")
#: A sampled CPU utilisation from which handshake timeouts may be the CPU's queue.
SATURATED = 0.95
#: p99 pub/sub delivery latency above which a live feed no longer reads as live (ms).
DELIVERY_P99_MS = 1000.0
#: Time for a crash's clients to be back above which the recovery counts as slow (s).
RECOVERY_S = 60.0
#: The states of a limit, worst first.
STATES = ("bound", "near", "ok", "n/a")
#: Limits that are outcomes (what clients saw), not resources: a bound resource explains them, so
#: the binding constraint is a resource whenever one bound.
OUTCOMES = ("delivery_latency", "delivery_loss", "continuity", "recovery")
#: Limits that are settings, not capacity: the balancer or the clients stop work that the servers have
#: room for. When one binds and no capacity resource does, the verdict is "misconfigured" (adding
#: servers is not the fix; the limit's `setting` is), not "fail". A bound capacity resource ranks first.
CONFIGURATION = ("sticky_sessions", "source_ports", "new_connection_rate", "backend_cap")


@dataclass
class Limit:
    """One limit of the model and what the run used of it."""
    key: str                     # "connections", "source_ports", "cpu", ...
    name: str                    # "per-server connection limit"
    state: str                   # "bound" (it stopped work), "near" (< MARGIN left), "ok", "n/a" (not set)
    used: Optional[float]        # fraction of the limit used at the worst moment (None: not measurable)
    figure: str                  # "19,950 of 20,000 connections (server 3 at 35 s)"
    limit: str = ""              # "20,000 connections per server"
    effect: str = ""             # what reaching it did, measured ("1,234 attempts refused: server full")
    advice: str = ""             # what to change, with numbers computed from the run
    severity: float = 0.0        # how much work it stopped (for ranking bound limits)
    shown: bool = True           # False: the run has no such mechanism (no pub/sub), left out of the table
    setting: str = ""            # a configuration limit (CONFIGURATION): the keys that move it
    used_text: str = ""          # over replications: "62% ± 3% (55% to 70%)" (wsfleet._replicated_verdict)

    @property
    def used_words(self) -> str:
        """The table's "Used" cell: the share used, or over replications the mean ± half-width (range)."""
        return self.used_text or (fmt_share(self.used) if self.used is not None else "—")

    @property
    def configuration(self) -> bool:
        """A setting, not capacity (CONFIGURATION)."""
        return self.key in CONFIGURATION

    @property
    def headroom(self) -> Optional[float]:
        return None if self.used is None else 1.0 - self.used


@dataclass
class Verdict:
    """The status ("ok", "warn", "fail", "misconfigured"; STATUS_WORDS), the binding (or closest) limit
    and the sentences."""
    status: str
    binding: Optional[Limit]
    text: str
    actions: List[str]

    @property
    def words(self) -> str:
        """"ENOUGH CAPACITY", "TIGHT", "NOT ENOUGH CAPACITY" or "MISCONFIGURED"."""
        return STATUS_WORDS[self.status]

    def document(self) -> Dict[str, Any]:
        """The verdict as `--json` prints it: status, words, the binding (or closest) limit's key,
        name and figure, the setting to change for a misconfigured run, the sentence and the actions."""
        b = self.binding
        return {"status": self.status, "words": self.words, "limit": b.key if b is not None else None,
                "limit_name": b.name if b is not None else None, "figure": b.figure if b is not None else None,
                "setting": b.setting if b is not None and self.status == "misconfigured" else None,
                "text": self.text, "actions": list(self.actions)}


def state_of(used: Optional[float], effect: float) -> str:
    if effect > 0 or (used is not None and used >= 1.0):
        return "bound"
    if used is not None and used > 1.0 - MARGIN:
        return "near"
    return "ok"


def peak_row(rows: Rows, values: Sequence[float]) -> Tuple[Optional[float], Optional[float], Optional[int]]:
    """(max of values, its time, its server) over the rows, ignoring NaN."""
    return row_at(rows, values, argmax(values) if not rows.empty else None)


def row_at(rows: Rows, values: Sequence[float], i: Optional[int]) -> Tuple[Optional[float], Optional[float], Optional[int]]:
    """(values[i], row i's time, its server); Nones when i is None (no row, or every value NaN)."""
    if i is None:
        return None, None, None
    server = as_float(rows[C.server][i]) if C.server in rows else None
    return float(values[i]), float(rows[C.time_s][i]), int(server) if server is not None else None


def share_of(values: Sequence[float], limits: Sequence[float]) -> List[float]:
    """Each row's value over its limit; NaN where the limit is not positive (or unknown)."""
    return [v / limit if limit > 0 else NAN for v, limit in zip(values, limits)]


def where_words(server: Optional[int], time_s: Optional[float]) -> str:
    parts = []
    if server is not None and server >= 0:
        parts.append(f"server {server}")
    if time_s is not None:
        parts.append(f"at {fmt_seconds(time_s)}")
    return f" ({' '.join(parts)})" if parts else ""


def class_of(s: View) -> Tuple[Dict[str, View], List[str]]:
    """The server classes as the engine wrote them (by name), and each server slot's class name."""
    return {str(c.name): c for c in s.fleet.classes}, [str(n) for n in s.fleet.server_class or []]


def per_server(s: View, servers: Rows, key: str, default: Optional[float]) -> List[float]:
    """Each server row's own class value of `key` (e.g. max_connections), else `default` (NaN
    without one)."""
    classes, names = class_of(s)
    by_server = {b: as_float(getattr(classes[n], key)) if n in classes else None for b, n in enumerate(names)}
    fallback = NAN if default is None else float(default)
    out = []
    for b in servers[C.server]:
        own = by_server.get(int(b))
        out.append(float(own) if own is not None else fallback)
    return out


def peak_demand(fleet: Rows) -> Tuple[Optional[float], Optional[float]]:
    """Peak clients that wanted a connection (open + waiting in backoff) and its time. The engine
    exports open and waiting separately; their sum per sample is the demand the fleet had to hold."""
    if fleet.empty or C.connections not in fleet:
        return None, None
    wanted = [c if c == c else 0 for c in fleet[C.connections]]  # c == c: not NaN
    if C.waiting in fleet:
        wanted = [c + (w if w == w else 0) for c, w in zip(wanted, fleet[C.waiting])]
    i = argmax(wanted)
    return float(wanted[i]), float(fleet[C.time_s][i])


def autoscaled_peak(summary: Any) -> Optional[int]:
    """The most servers an [autoscaler] ran at once, or None without one (summary.json or its view)."""
    autoscaler = Summary(summary).autoscaler
    peak = as_float(autoscaler.replicas.peak) if autoscaler is not None else None
    return int(peak) if peak is not None else None


def this_run_servers(summary: Any, n: float) -> str:
    """"2", or "2 at the start; the autoscaler ran up to 8" for an autoscaled fleet."""
    peak = autoscaled_peak(summary)
    if peak is not None and peak != n:
        return f"{fmt_int(n)} at the start; the autoscaler ran up to {fmt_int(peak)}"
    return fmt_int(n)


def faults(s: View, *kinds: str) -> List[View]:
    """The summary's fault outcomes of these kinds (every one without kinds)."""
    return [f for f in s.faults if not kinds or f.type in kinds]


def slowed_rows(s: View, servers: Rows) -> List[bool]:
    """The rows of the per-server samples taken while a slow_server fault slowed their server (a sample
    covers the interval that ends at its time, so the one that holds the fault's end counts too)."""
    rows = [False] * len(servers)
    if C.server not in servers or C.time_s not in servers:
        return rows
    slow = [(f.server, as_float(f.at_s), as_float(f.recover_after_s)) for f in faults(s, "slow_server")]
    slow = [(server, at, recover) for server, at, recover in slow if at is not None and server is not None]
    if not slow:
        return rows
    times = sorted(set(servers[C.time_s]))
    step = _median([b - a for a, b in zip(times, times[1:])]) if len(times) > 1 else 0.0
    for server, at, recover in slow:
        end = at + recover + step if recover is not None else math.inf
        for i, (b, t) in enumerate(zip(servers[C.server], servers[C.time_s])):
            if b == server and at < t <= end:
                rows[i] = True
    return rows


def _median(values: List[float]) -> float:
    """The median as pandas takes it (the mean of the two middle values of an even count), without
    loading the statistics module in a sweep's worker."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def crashed_servers(s: View) -> int:
    return len(faults(s, "crash"))


def category(limit: Limit) -> int:
    """0: a capacity resource, 1: a setting (CONFIGURATION), 2: an outcome (OUTCOMES)."""
    return 2 if limit.key in OUTCOMES else 1 if limit.configuration else 0
