"""A run's time series as named columns, as the limits of the model read them (wsfleet._limits):
from the engine's columns (`array('d')` or numpy arrays, name -> values) in a sweep's worker, which
loads neither pandas nor numpy, or from a pandas frame in a report. A column is read once, as a
list, when first asked for.

The readings are plain Python over the rows, with pandas' rules, so a worker's verdict equals the
report's: a NaN is skipped, and of equal maxima the first row wins (`Series.idxmax`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

__all__ = ["Rows", "argmax", "nan_max"]

NAN = float("nan")


class Rows:
    """The rows of one scope of the time series (the fleet's, or every server's): `rows[name]` is
    a column as a list, `name in rows` says whether the run wrote it, `len(rows)` counts the rows."""

    __slots__ = ("_source", "_names", "_length", "_read")

    def __init__(self, source: Any) -> None:
        # A mapping (name -> values) or a pandas DataFrame: both index columns by name.
        self._source = source
        self._names = set(source.keys()) if isinstance(source, Mapping) else set(source.columns)
        if isinstance(source, Mapping):
            self._length = len(next(iter(source.values()))) if source else 0
        else:
            self._length = len(source.index)
        self._read: Dict[str, List[Any]] = {}

    @classmethod
    def of(cls, data: Any) -> "Rows":
        """`data` as Rows (Rows, a mapping of columns, or a pandas DataFrame)."""
        return data if isinstance(data, Rows) else cls(data)

    def __len__(self) -> int:
        return self._length if self._names else 0

    @property
    def empty(self) -> bool:
        """No row, or no column (as pandas' DataFrame.empty)."""
        return len(self) == 0

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def __getitem__(self, name: str) -> List[Any]:
        column = self._read.get(name)
        if column is None:
            values = self._source[name]
            column = values.tolist() if hasattr(values, "tolist") else list(values)
            self._read[name] = column
        return column


def argmax(values: Sequence[Any]) -> Optional[int]:
    """The row of the largest value, skipping NaN, the first of equal maxima; None when every value
    is NaN or there is none."""
    best: Optional[int] = None
    top = NAN
    for i, v in enumerate(values):
        if v == v and (best is None or v > top):  # v == v: not NaN
            best, top = i, v
    return best


def nan_max(values: Sequence[Any]) -> Optional[float]:
    """The largest value, skipping NaN; None when there is none."""
    i = argmax(values)
    return None if i is None else values[i]
