"""What each point of a sweep or plan ran: the base scenario with the fixed overrides and the point's
axis values applied, described in words, and the causes of every unsuccessful connection attempt.

`effective_scenario(base, overrides, values)` applies `--set`-style overrides ("key=value", the
value in TOML) and a point's {key: value} to a parsed scenario. `point_sentences(base, overrides,
points)` describes every point's effective scenario and splits the sentences into those every point
shares (said once) and those that differ (said per point). `cause_columns(frame)` lists the
per-cause columns of refused and failed attempts that are non-zero in some run, with their labels.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import pandas as pd

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

from wsfleet._analysis import FAIL_REASONS, REJECT_REASONS
from wsfleet._describe import describe_scenario

__all__ = ["effective_scenario", "point_sentences", "cause_columns", "CAUSES"]

#: Per-cause columns of the results (flattened summary.json) -> what happened to those attempts: the
#: summary's connections.rejected_by and .failed_by keys, in the report's words for them.
CAUSES = {**{f"connections.rejected_by.{key}": f"refused: {words}" for key, words in REJECT_REASONS.items()},
          **{f"connections.failed_by.{key}": f"failed: {words}" for key, words in FAIL_REASONS.items()}}


def _parse_value(text: str) -> Any:
    try:
        return _toml.loads(f"v = {text}")["v"]
    except _toml.TOMLDecodeError:
        return text  # a bare word, as the command line accepts for strings


def _set(table: Dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node: Any = table
    i = 0
    while i < len(parts) - 1:
        nxt = node.get(parts[i])
        if isinstance(nxt, list) and i + 2 < len(parts):  # [[fleet.classes]] by name: fleet.classes.small.servers
            nxt = next((t for t in nxt if isinstance(t, dict) and t.get("name") == parts[i + 1]), None)
            if nxt is None:
                return
            i += 1
        elif not isinstance(nxt, dict):
            nxt = {}
            node[parts[i]] = nxt
        node = nxt
        i += 1
    node[parts[-1]] = value


def effective_scenario(base: Mapping[str, Any], overrides: Sequence[str], values: Mapping[str, Any]) -> Dict[str, Any]:
    """The base scenario with the overrides ("key=value") and then the point's values applied."""
    scenario = copy.deepcopy(dict(base))
    for override in overrides:
        key, _, text = str(override).partition("=")
        _set(scenario, key.strip(), _parse_value(text.strip()))
    for key, value in values.items():
        _set(scenario, key, value)
    return scenario


def point_sentences(base: Mapping[str, Any], overrides: Sequence[str],
                    points: Sequence[Mapping[str, Any]]) -> Tuple[List[str], List[List[str]]]:
    """(the sentences every point's effective scenario shares, and for each point the others)."""
    described = [describe_scenario(effective_scenario(base, overrides, p)) for p in points] or \
        [describe_scenario(effective_scenario(base, overrides, {}))]
    common = [s for s in described[0] if all(s in d for d in described[1:])]
    return common, [[s for s in d if s not in common] for d in described]


def cause_columns(frame: pd.DataFrame) -> Dict[str, str]:
    """{column: label} of the refusal and failure causes that occurred in some run."""
    return {c: label for c, label in CAUSES.items()
            if c in frame.columns and pd.to_numeric(frame[c], errors="coerce").fillna(0).gt(0).any()}
