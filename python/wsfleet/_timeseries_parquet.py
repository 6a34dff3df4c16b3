"""A run directory's time series as Parquet: DIR/timeseries.parquet beside DIR/timeseries.csv.

`wsfleet run --out DIR --format parquet` and RunResult.save(DIR, format="parquet") write it. It is
the CSV's table as wsfleet reads it (wsfleet._run_dir: the same columns, in the same order, one row
per CSV row, the same types: a column of whole numbers with no empty cell is int64, the others
float64 with empty cells NaN), so the two hold the same
numbers: the engine writes each double in its shortest exact form, which the CSV parser reads back
bit for bit. The file is written through a temporary and renamed, so it is complete or absent.
wsfleet.load and the reports read it instead of the CSV when it is there (no text to parse).

    python -m wsfleet._timeseries_parquet DIR    # what `wsfleet run --format parquet` calls
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PARQUET_FILE", "write_timeseries_parquet", "main"]

from wsfleet._run_dir import PARQUET_FILE, TIMESERIES_FILE, ReportError, load_timeseries_csv


def write_timeseries_parquet(directory: "os.PathLike[str] | str") -> Path:
    """Writes DIR/timeseries.parquet from DIR/timeseries.csv; returns its path. Raises ReportError
    (wsfleet.report's) when the CSV is missing or invalid, OSError when the file cannot be written."""
    directory = Path(directory)
    frame = load_timeseries_csv(directory / TIMESERIES_FILE)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    path = directory / PARQUET_FILE
    tmp = directory / f".{PARQUET_FILE}.{os.getpid()}.tmp"
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m wsfleet._timeseries_parquet RUN_DIR", file=sys.stderr)
        return 2
    try:
        path = write_timeseries_parquet(args[0])
    except ReportError as exc:
        print(f"wsfleet run: cannot write {PARQUET_FILE}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"wsfleet run: cannot write {Path(args[0]) / PARQUET_FILE}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"time series also written as {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
