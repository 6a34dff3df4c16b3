"""Sweep axes and their expansion into points: full grid, random sampling, Latin hypercube.

An axis is a scenario key path ("fleet.servers", "balancer.policy", "faults.0.at_s") with either a
list of values (categorical, or explicit numbers) or a numeric `Range(low, high, steps=, log=,
integer=)`. A grid takes every combination (a Range needs `steps`); random and Latin hypercube
draw `samples` points from a seeded NumPy generator (a Range is sampled continuously, uniformly or
log-uniformly, and rounded when integer; a list is sampled uniformly among its entries). A Latin
hypercube splits every axis into `samples` equal strata and uses each stratum exactly once.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

__all__ = ["Range", "Axis", "AxisError", "make_axes", "expand", "point_id", "METHODS", "RESERVED_KEYS"]

METHODS = ("grid", "random", "latin_hypercube")
#: Keys a sweep sets itself: replications, not axes, vary these.
RESERVED_KEYS = ("run.seed", "run.replication")


class AxisError(ValueError):
    """An axis or sampling setting is malformed; the message names the axis and what is allowed."""


@dataclass(frozen=True)
class Range:
    """A numeric axis from `low` to `high` inclusive.

    steps: the number of grid values (required for method "grid"; linear, or geometric with log).
    log: sample (or space the grid) uniformly in log(value); low must then be > 0.
    integer: round to whole numbers (default: when low and high are both ints).
    """
    low: float
    high: float
    steps: Optional[int] = None
    log: bool = False
    integer: Optional[bool] = None

    def is_integer(self) -> bool:
        if self.integer is not None:
            return bool(self.integer)
        return isinstance(self.low, int) and isinstance(self.high, int) and not isinstance(self.low, bool)

    def describe(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"low": self.low, "high": self.high, "log": self.log, "integer": self.is_integer()}
        if self.steps is not None:
            out["steps"] = self.steps
        return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Axis:
    key: str
    values: Optional[tuple] = None      # a list axis
    range: Optional[Range] = None        # or a numeric range

    def describe(self) -> Dict[str, Any]:
        if self.range is not None:
            return {"key": self.key, "range": self.range.describe()}
        return {"key": self.key, "values": list(self.values or ())}

    # --- grid ---
    def grid_values(self) -> List[Any]:
        if self.values is not None:
            return list(self.values)
        r = self.range
        assert r is not None
        if r.steps is None:
            raise AxisError(f"axis '{self.key}': a grid needs the number of values: give steps "
                            f"(e.g. Range({r.low}, {r.high}, steps=5)) or a list of values")
        if r.steps == 1:
            raw = np.array([float(r.low)])
        elif r.log:
            raw = np.geomspace(float(r.low), float(r.high), r.steps)
        else:
            raw = np.linspace(float(r.low), float(r.high), r.steps)
        return _dedupe(self._finish(x) for x in raw)

    # --- sampling: u in [0, 1) to a value ---
    def from_unit(self, u: float) -> Any:
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        r = self.range
        assert r is not None
        lo, hi = float(r.low), float(r.high)
        if r.log:
            x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            x = lo + u * (hi - lo)
        return self._finish(x)

    def _finish(self, x: float) -> Any:
        r = self.range
        assert r is not None
        if r.is_integer():
            return int(min(max(round(x), math.ceil(r.low)), math.floor(r.high)))
        return float(min(max(x, r.low), r.high))


def _dedupe(values: Any) -> List[Any]:
    out: List[Any] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise AxisError(f"axis name {key!r}: use a scenario key path such as 'fleet.servers'")
    parts = key.split(".")
    if any(not p or not all(c.isalnum() or c in "_-" for c in p) for p in parts):
        raise AxisError(f"axis '{key}': use a dotted scenario key path of names made of letters, digits, "
                        "'_' and '-', such as fleet.servers or faults.0.at_s")
    if key in RESERVED_KEYS:
        raise AxisError(f"axis '{key}': the sweep sets run.seed and run.replication itself; "
                        "use replications (and seed) instead of an axis over them")
    return key


def _make_range(key: str, spec: Any) -> Range:
    if isinstance(spec, Range):
        r = spec
    else:
        allowed = {"low", "high", "min", "max", "steps", "log", "integer"}
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise AxisError(f"axis '{key}': unknown range field(s) {', '.join(unknown)}; allowed: "
                            "low (or min), high (or max), steps, log, integer")
        low = spec.get("low", spec.get("min"))
        high = spec.get("high", spec.get("max"))
        if low is None or high is None:
            raise AxisError(f"axis '{key}': a range needs low and high (or min and max)")
        r = Range(low, high, steps=spec.get("steps"), log=bool(spec.get("log", False)), integer=spec.get("integer"))
    for name, value in (("low", r.low), ("high", r.high)):
        if not _is_number(value) or not math.isfinite(value):
            raise AxisError(f"axis '{key}': range {name} must be a finite number (got {value!r})")
    if r.low > r.high:
        raise AxisError(f"axis '{key}': range low ({r.low}) must be <= high ({r.high})")
    if r.log and r.low <= 0:
        raise AxisError(f"axis '{key}': a log range needs low > 0 (got {r.low})")
    if r.steps is not None and (not isinstance(r.steps, int) or isinstance(r.steps, bool) or r.steps < 1):
        raise AxisError(f"axis '{key}': steps must be a whole number >= 1 (got {r.steps!r})")
    if not isinstance(r.log, bool):
        raise AxisError(f"axis '{key}': log must be true or false (got {r.log!r})")
    if r.is_integer() and math.floor(r.high) < math.ceil(r.low):
        raise AxisError(f"axis '{key}': no whole number between {r.low} and {r.high}")
    return r


def _make_values(key: str, values: Sequence[Any]) -> tuple:
    vals = list(values)
    if not vals:
        raise AxisError(f"axis '{key}': the list of values is empty")
    kinds = set()
    for v in vals:
        if isinstance(v, bool):
            kinds.add("bool")
        elif _is_number(v):
            if isinstance(v, float) and not math.isfinite(v):
                raise AxisError(f"axis '{key}': values must be finite (got {v!r})")
            kinds.add("number")
        elif isinstance(v, str):
            kinds.add("string")
        else:
            raise AxisError(f"axis '{key}': values must be numbers, strings or booleans (got {v!r}); "
                            "tables and arrays cannot be swept")
    if len(kinds) > 1:
        raise AxisError(f"axis '{key}': all values must be of one kind (got {', '.join(sorted(kinds))})")
    if len(_dedupe(vals)) != len(vals):
        raise AxisError(f"axis '{key}': the values repeat ({vals!r}): list each value once")
    return tuple(vals)


def make_axes(axes: Mapping[str, Any]) -> List[Axis]:
    """Axes from {key: list | Range | {"low":..,"high":..,...}}, in the given order."""
    if not isinstance(axes, Mapping):
        raise AxisError("axes must be a mapping {scenario key: values or Range}")
    if not axes:
        raise AxisError("a sweep needs at least one axis")
    out = []
    for key, spec in axes.items():
        key = _check_key(key)
        if isinstance(spec, Range) or isinstance(spec, Mapping):
            if isinstance(spec, Mapping) and set(spec) == {"values"}:
                out.append(Axis(key, values=_make_values(key, spec["values"])))
            else:
                out.append(Axis(key, range=_make_range(key, spec)))
        elif isinstance(spec, (list, tuple)):
            out.append(Axis(key, values=_make_values(key, spec)))
        elif isinstance(spec, (str, bool, int, float)):
            out.append(Axis(key, values=_make_values(key, [spec])))
        else:
            raise AxisError(f"axis '{key}': give a list of values or a Range (got {type(spec).__name__})")
    return out


def expand(axes: Sequence[Axis], method: str = "grid", samples: Optional[int] = None,
           seed: int = 0) -> List[Dict[str, Any]]:
    """The points of a sweep, in a fixed order; identical points are listed once."""
    if method not in METHODS:
        raise AxisError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    if method == "grid":
        if samples is not None:
            raise AxisError("samples is for method random or latin_hypercube; a grid takes every combination")
        grids = [a.grid_values() for a in axes]
        points: List[Dict[str, Any]] = [{}]
        for axis, values in zip(axes, grids):
            points = [dict(p, **{axis.key: v}) for p in points for v in values]
        return points
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise AxisError(f"method {method} needs samples, a whole number >= 1 (got {samples!r})")
    rng = np.random.Generator(np.random.PCG64(seed))
    if method == "random":
        units = rng.random((samples, len(axes)))
    else:
        units = np.empty((samples, len(axes)))
        for j in range(len(axes)):
            strata = rng.permutation(samples)
            units[:, j] = (strata + rng.random(samples)) / samples
    points = [{a.key: a.from_unit(float(units[i, j])) for j, a in enumerate(axes)} for i in range(samples)]
    unique: List[Dict[str, Any]] = []
    seen = set()
    for p in points:
        pid = point_id(p)
        if pid not in seen:
            seen.add(pid)
            unique.append(p)
    return unique


def canonical(values: Mapping[str, Any]) -> str:
    """The JSON text that identifies a point: its axis values, keys sorted, floats in full."""
    return json.dumps({k: values[k] for k in sorted(values)}, sort_keys=True, separators=(",", ":"))


def point_id(values: Mapping[str, Any]) -> str:
    """A short stable name for a point (16 hex digits of SHA-256 of its canonical JSON)."""
    return hashlib.sha256(canonical(values).encode()).hexdigest()[:16]

