"""One run directory as `wsfleet run --out RUN_DIR` writes it (summary.json, timeseries.csv,
scenario.toml), read and checked: `load_run(dir) -> Run`, or a ReportError naming the file at fault.
wsfleet.report re-exports these names; the study report reads runs from here as well. Pure Python."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Tuple, Union

import pandas as pd

from wsfleet.views import COLUMNS as C
from wsfleet.views import Scenario, Summary

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

SUMMARY_FILE = "summary.json"
TIMESERIES_FILE = "timeseries.csv"
PARQUET_FILE = "timeseries.parquet"  # optional, beside the CSV (wsfleet._timeseries_parquet)
SCENARIO_FILE = "scenario.toml"
REPORT_FILE = "report.html"  # where a report goes by default


# The columns every row has; every declared column but scope is a number
# (experiments/timeseries_schema.cpp).
_REQUIRED_COLUMNS = (C.time_s, C.scope, C.server)
_NUMERIC_COLUMNS = tuple(name for name in C.names() if name != C.scope)

PathLike = Union[str, "os.PathLike[str]"]


class ReportError(Exception):
    """A run directory or one of its files is missing or invalid (the message names the file)."""

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ReportWriteError(ReportError):
    """The report could not be written (an I/O error: `wsfleet report` exits 1, as `run --out` does)."""


# --------------------------------------------------------------------------------------------
# Loading


@dataclass
class Run:
    """The files of one run directory, parsed."""
    run_dir: Path
    summary: Dict[str, Any]
    scenario: Dict[str, Any]
    scenario_text: str
    timeseries: pd.DataFrame


def _read_text(path: Path) -> str:
    if not path.exists():
        raise ReportError(path, "file not found")
    if not path.is_file():
        raise ReportError(path, "not a regular file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ReportError(path, exc.strerror or str(exc)) from None


def _load_summary(path: Path) -> Dict[str, Any]:
    text = _read_text(path)
    try:
        summary = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(summary, dict):
        raise ReportError(path, "expected a JSON object at the top level")
    return summary


def _load_scenario(path: Path) -> Tuple[Dict[str, Any], str]:
    text = _read_text(path)
    try:
        scenario = _toml.loads(text)
    except _toml.TOMLDecodeError as exc:
        raise ReportError(path, f"invalid TOML: {exc}") from None
    return scenario, text


def load_timeseries_csv(path: Path) -> pd.DataFrame:
    """timeseries.csv as a table: numeric columns as numbers, scope in lower case; ReportError
    naming the file when it is missing or invalid."""
    _read_text(path)  # existence, type and encoding, with the same messages as the other files
    try:
        frame = pd.read_csv(path, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ReportError(path, "empty file (expected a CSV header)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(path, f"invalid CSV: {first}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in _REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ReportError(path, f"missing column(s): {', '.join(missing)}")
    frame[C.scope] = frame[C.scope].astype(str).str.strip().str.lower()
    for column in _NUMERIC_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if frame[C.time_s].isna().any():
        raise ReportError(path, "column time_s has empty or non-numeric values")
    return frame


def _load_timeseries_parquet(path: Path) -> pd.DataFrame:
    """timeseries.parquet (wsfleet._timeseries_parquet: the CSV's table, typed)."""
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except (OSError, ValueError) as exc:  # pyarrow's errors are OSError (ArrowIOError) or ValueError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReportError(path, f"invalid Parquet: {first}") from None
    missing = [c for c in _REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ReportError(path, f"missing column(s): {', '.join(missing)}")
    return frame


def _check_complete(directory: Path, summary: Dict[str, Any], scenario: Dict[str, Any],
                    timeseries: pd.DataFrame) -> None:
    """Refuses a directory whose files are not of one complete run: a write cut short (wsfleet
    writes run directories atomically; older versions and other tools may not) or files mixed
    from two runs. Only what both sides state is compared, so hand-made directories still load."""
    def incomplete(path: Path, why: str) -> ReportError:
        return ReportError(path, f"incomplete run directory: {why} (re-run `wsfleet run --out {directory}`)")

    with open(directory / TIMESERIES_FILE, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                raise incomplete(directory / TIMESERIES_FILE, "the file is cut off in the middle of a line")
    s, run = Summary(summary), Scenario(scenario).run

    def written(key: str) -> Any:  # what scenario.toml says, None when it leaves the key out
        return getattr(run, key) if key in run else None

    pairs = (("seed", s.seed, written("seed")),
             ("replication", s.replication, written("replication")),
             ("duration", s.simulated_seconds, written("duration_s")))
    for what, said, written in pairs:
        if said is not None and written is not None and said != written:
            raise incomplete(directory / SCENARIO_FILE, f"its {what} ({written}) is not the summary's ({said}): "
                             f"the files come from different runs")
    end = s.simulated_seconds
    if isinstance(end, (int, float)) and len(timeseries) > 0:
        last = float(timeseries[C.time_s].max())
        if abs(last - float(end)) > 1e-9 * max(1.0, abs(float(end))):
            raise incomplete(directory / TIMESERIES_FILE, f"its samples end at {last:g} s, the run at {end:g} s")


def load_run(run_dir: PathLike) -> Run:
    """Reads and checks the three files of a run directory (the time series from timeseries.parquet
    when it is there); raises ReportError naming the culprit."""
    directory = Path(run_dir)
    if not directory.exists():
        raise ReportError(directory, "run directory not found")
    if not directory.is_dir():
        raise ReportError(directory, "not a directory (expected a run directory from `wsfleet run --out`)")
    summary = _load_summary(directory / SUMMARY_FILE)
    scenario, scenario_text = _load_scenario(directory / SCENARIO_FILE)
    # timeseries.parquet, when `run --format parquet` wrote it beside the CSV, is the same table.
    parquet = directory / PARQUET_FILE
    if parquet.is_file():
        timeseries = _load_timeseries_parquet(parquet)
    else:
        timeseries = load_timeseries_csv(directory / TIMESERIES_FILE)
    _check_complete(directory, summary, scenario, timeseries)
    return Run(directory, summary, scenario, scenario_text, timeseries)
