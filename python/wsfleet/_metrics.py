"""One run's summary (the dict of summary.json) as one flat row of scalar metrics.

Nested keys are joined with dots ("connections.rejected", "messages.latency_ms.p99"), list entries
by index ("faults.0.reconnected_within_s"). Left out: what does not measure the run (the version,
the scenario's name and description, the seed and replication, which the sweep records itself),
the per-check conservation equations (only "conservation.ok" is kept), events_per_second, and the
class of every server ("fleet.server_class": "fleet.classes.K.servers" counts them).
"wall_seconds" is kept: it is the one column that differs between identical runs.

Derived metrics, named for what planners ask:
- "connections.rejected_fraction": rejected / attempted connection attempts (0 with no attempts).
- "recovery_s": the slowest crash's reconnected_within_s (server crashes and whole-site crashes);
  infinite when a crash's clients had not all reconnected by the end of the run, NaN for a run
  without crashes.
"""
from __future__ import annotations

import math
from typing import AbstractSet, Any, Dict, Mapping

from wsfleet.views import Summary

__all__ = ["flatten", "flatten_summary", "REJECTED_FRACTION", "RECOVERY", "P99_LATENCY", "NONDETERMINISTIC"]

REJECTED_FRACTION = "connections.rejected_fraction"
RECOVERY = "recovery_s"
P99_LATENCY = "messages.latency_ms.p99"
#: Columns that differ between two runs of the same point and replication.
NONDETERMINISTIC = ("wall_seconds",)

_SKIP = frozenset({"wsfleet_version", "scenario", "seed", "replication", "events_per_second", "fleet.server_class",
                   "conservation.checks"})
#: Fault types whose clients' reconnection recovery_s measures.
_CRASHES = ("crash", "site_crash")


def _walk(prefix: str, value: Any, out: Dict[str, Any], skip: AbstractSet[str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if path not in skip:
                _walk(path, inner, out, skip)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            _walk(f"{prefix}.{index}", inner, out, skip)
    elif value is None or isinstance(value, (bool, int, float, str)):
        out[prefix] = value


def flatten(nested: Mapping[str, Any]) -> Dict[str, Any]:
    """The scalar leaves of nested mappings (and lists), keyed by their dotted path ("a.b.0.c")."""
    out: Dict[str, Any] = {}
    _walk("", nested, out, frozenset())
    return out


def flatten_summary(summary: Mapping[str, Any]) -> Dict[str, Any]:
    """The scalar metrics of one run, flat, with the derived ones added."""
    row: Dict[str, Any] = {}
    _walk("", summary, row, _SKIP)
    s = Summary(summary)
    attempted = s.connections.attempted or 0
    rejected = s.connections.rejected or 0
    row[REJECTED_FRACTION] = float(rejected) / attempted if attempted else 0.0
    faults = [f for f in s.faults if f.type in _CRASHES]
    if not faults:
        row[RECOVERY] = math.nan
    else:
        times = [f.reconnected_within_s for f in faults]
        row[RECOVERY] = math.inf if any(t is None for t in times) else float(max(times))
    return row
