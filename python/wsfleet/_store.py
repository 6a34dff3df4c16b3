"""The output directory of a sweep or plan: one Parquet part file per finished point.

    DIR/study.json        what was asked (kind "sweep" or "plan", the spec, and its identity hash;
                          its keys are declared in wsfleet.study_schema, checked before writing)
    DIR/scenario.toml     the base scenario, as given
    DIR/schema.json       the column types of the results (the union over every part written)
    DIR/results/part-<point_id>.parquet   one row per replication of one point
    DIR/results/part-<point_id>~<r>.parquet   replications r, r+1, ... added to the point later
                                              (precision-driven replication, wsfleet._precision)

Each part is written to a hidden temporary file, then renamed into place, so a part is either
complete or absent: an interrupted study (Ctrl-C, kill -9, a dead worker) loses only the points
still running, and pyarrow skips the hidden temporaries. Parts are flushed to disk in groups (at
most a second apart, and when the study ends) rather than one fsync per point: after a power loss
or an operating-system crash, a part of the last second may be cut short, and its checksum (written
beside it) then makes the next run compute it again; a part is never read with wrong bytes. `pandas.read_parquet("DIR/results")` loads the table;
`load()` does the same with the schema of every part (columns a later part added are NaN in older
parts) and in (point, replication) order.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from wsfleet import study_schema
from wsfleet._parts import Encoded, encode, infer_type, merge_type, to_table
from wsfleet.views import StudyFile

__all__ = ["ResultStore", "StoreError", "EXTRA_SEP", "STUDY_FILE", "RESULTS_DIR", "is_study_dir", "read_study", "write_error"]

STUDY_FILE = "study.json"
SCHEMA_FILE = "schema.json"
SCENARIO_FILE = "scenario.toml"
RESULTS_DIR = "results"
FORMAT = "wsfleet-study"
VERSION = 1


class StoreError(ValueError):
    """The output directory cannot hold this study (it holds another, or is unreadable)."""


SYNC_EVERY_S = 1.0  # the longest a finished part waits for its group's flush to disk
ROWS_IN_MEMORY = 20_000  # rows of the parts written kept for load() (a few kB each); the rest are read back
#: Separates a point id from the first replication of a part that adds replications to the point.
EXTRA_SEP = "~"


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Writes `data` to `path` through a renamed temporary; flushed to disk first unless `sync` is False."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # A full disk (or a Ctrl-C) mid-write: no cut-short temporary is left to take the space.
        tmp.unlink(missing_ok=True)
        raise


def write_error(directory: os.PathLike, exc: OSError) -> str:
    """One line for a study that could not write its output (a full disk, a read-only or vanished
    directory): the directory, the system's reason, and that finished points are kept."""
    where = f" (writing {exc.filename})" if exc.filename else ""
    reason = exc.strerror or str(exc)
    hint = ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        hint = ": free some space, then run the same command again to compute only the missing points"
    return f"cannot write to {directory}: {reason}{where}; the points finished before are kept{hint}"


def _fsync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # removed since (a resumed study's bad part)
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_all(paths: Sequence[Path]) -> None:
    for path in paths:
        _fsync_path(path)


def is_study_dir(directory: os.PathLike) -> bool:
    return (Path(directory) / STUDY_FILE).is_file()


def read_study(directory: os.PathLike) -> Dict[str, Any]:
    path = Path(directory) / STUDY_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: cannot read: {exc}") from None
    if not isinstance(meta, dict) or StudyFile(meta).format != FORMAT:
        raise StoreError(f"{path}: not a wsfleet sweep or plan directory")
    return meta


class ResultStore:
    """Opens (creating, or checking it holds the same study) an output directory."""

    def __init__(self, directory: os.PathLike, kind: str, spec: Mapping[str, Any], identity: str,
                 scenario_text: str, *, overwrite: bool = False) -> None:
        self.directory = Path(directory)
        self.results = self.directory / RESULTS_DIR
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreError(f"{self.directory}: exists and is not a directory")
        study = self.directory / STUDY_FILE
        if study.exists():
            held = StudyFile(read_study(self.directory))
            if held.identity != identity or held.kind != kind:
                if not overwrite:
                    raise StoreError(
                        f"{self.directory} holds a different {held.kind or 'study'} "
                        f"({_difference(held.spec.raw, spec)}): resuming would mix results. Use another "
                        "output directory, or overwrite it (--overwrite, overwrite=True)")
                self._clear()
        elif self.directory.exists() and any(self.directory.iterdir()) and not overwrite:
            raise StoreError(f"{self.directory} is not empty and holds no wsfleet study: choose an empty or new "
                             "directory (or --overwrite)")
        self.results.mkdir(parents=True, exist_ok=True)
        if not study.exists():
            atomic_write(self.directory / SCENARIO_FILE, scenario_text.encode())
            meta = {"format": FORMAT, "version": VERSION, "kind": kind, "identity": identity, "spec": dict(spec)}
            study_schema.check("study", meta)  # its declaration (wsfleet.study_schema) is this writer's contract
            atomic_write(study, json.dumps(meta, indent=2, sort_keys=False).encode())
        self.schema: Dict[str, pa.DataType] = self._read_schema()
        self._unsynced: List[Path] = []
        self._last_sync = time.monotonic()
        # The rows (and columns) of the parts this store wrote, by point id, up to ROWS_IN_MEMORY rows:
        # load() takes them from memory instead of reading their files back (parsing a part's footer
        # costs more than writing it).
        self._written: Dict[str, Tuple[List[Dict[str, Any]], pa.Schema]] = {}
        self._rows_in_memory = 0
        self._arrow_schema: Optional[pa.Schema] = None  # the columns of the last part written
        self._columns: Tuple[Tuple[str, str], ...] = ()

    def sync(self) -> None:
        """Flushes the parts written since the last flush (and the results folder) to disk."""
        if self._unsynced:
            _fsync_all(self._unsynced + [self.results])
            self._unsynced.clear()
        self._last_sync = time.monotonic()

    def _clear(self) -> None:
        for path in [self.directory / STUDY_FILE, self.directory / SCHEMA_FILE, self.directory / SCENARIO_FILE]:
            if path.exists():
                path.unlink()
        if self.results.exists():
            for part in [*self.results.glob("*.parquet"), *self.results.glob(".*.sha256")]:
                part.unlink()

    def _read_schema(self) -> Dict[str, pa.DataType]:
        path = self.directory / SCHEMA_FILE
        if not path.exists():
            return {}
        names = json.loads(path.read_text(encoding="utf-8"))
        return {name: pa.type_for_alias(alias) for name, alias in names}

    def _part(self, point_id: str) -> Path:
        return self.results / f"part-{point_id}.parquet"

    @staticmethod
    def _checksum_file(part: Path) -> Path:
        # Hidden (a leading dot): pyarrow's dataset reader skips it.
        return part.with_name(f".{part.name}.sha256")

    def _verified_parts(self) -> Dict[str, List[int]]:
        """The replications of every part whose bytes match its checksum, by part name (what follows
        "part-"); unreadable parts are removed: they will be computed again."""
        out: Dict[str, List[int]] = {}
        for part in self.results.glob("part-*.parquet"):
            name = part.stem[len("part-"):]
            checksum = self._checksum_file(part)
            try:
                # A part whose bytes differ from the checksum written with it (a flipped byte in a
                # data page reads back as valid numbers), or that has none (cut short), is redone.
                if checksum.read_text().strip() != hashlib.sha256(part.read_bytes()).hexdigest():
                    raise OSError("checksum mismatch")
                reps = pq.read_table(part, columns=["replication"]).column("replication").to_pylist()
            except (OSError, pa.ArrowException, KeyError):
                part.unlink()
                checksum.unlink(missing_ok=True)
                continue
            out[name] = reps
        return out

    def done(self, replications: int) -> Set[str]:
        """The points whose part holds every replication 0..replications-1 (unreadable parts are
        removed: they will be computed again)."""
        return {name for name, reps in self._verified_parts().items()
                if EXTRA_SEP not in name and sorted(reps) == list(range(replications))}

    def replication_counts(self) -> Dict[str, int]:
        """For a study that adds replications to its points (precision-driven replication): per point
        id, k when its parts together hold replications 0..k-1 exactly. A point's first part is
        part-<point_id>; the replications added later are in part-<point_id>~<first replication>.
        Parts that leave a gap or overlap are removed (computed again)."""
        by_point: Dict[str, List[Tuple[str, List[int]]]] = {}
        for name, reps in self._verified_parts().items():
            by_point.setdefault(name.split(EXTRA_SEP)[0], []).append((name, reps))
        counts: Dict[str, int] = {}
        for pid, parts in by_point.items():
            parts.sort(key=lambda p: min(p[1]) if p[1] else -1)
            expected = 0
            for name, reps in parts:
                if sorted(reps) != list(range(expected, expected + len(reps))) or not reps:
                    break  # a gap (a part lost) or an overlap: this part and the later ones are redone
                expected += len(reps)
            else:
                counts[pid] = expected
                continue
            keep = {n for n, r in parts if r and max(r) < expected}
            for name, _ in parts:
                if name not in keep:
                    part = self._part(name)
                    part.unlink(missing_ok=True)
                    self._checksum_file(part).unlink(missing_ok=True)
            if expected:
                counts[pid] = expected
        return counts

    def write_point(self, point_id: str, rows: List[Dict[str, Any]], encoded: Optional[Encoded] = None) -> None:
        """Writes one finished point (one row per replication) atomically. `encoded`: the part as a
        worker made it from the same one row, used when its columns are the ones this store gives it."""
        names: List[str] = list(self.schema)
        seen = set(names)
        for row in rows:
            for name in row:
                if name not in seen:
                    seen.add(name)
                    names.append(name)
        # Each column's type: inferred when new; widened when this point has a value the known type
        # cannot hold (a float where only integers were: converting would truncate it silently).
        changed = False
        for name in names:
            values = [row.get(name) for row in rows]
            known = self.schema.get(name)
            if known is None:
                self.schema[name] = infer_type(values)
                changed = True
            elif any(v is not None for v in values):
                merged = merge_type(known, infer_type(values))
                if merged != known:
                    self.schema[name] = merged
                    changed = True
        if changed or self._arrow_schema is None or len(names) != len(self._arrow_schema):
            self._arrow_schema = pa.schema([(n, self.schema[n]) for n in names])
            self._columns = tuple((n, str(self.schema[n])) for n in names)
        if changed:
            atomic_write(self.directory / SCHEMA_FILE, json.dumps([list(c) for c in self._columns]).encode())
        if encoded is not None and len(rows) == 1 and encoded.columns == self._columns and encoded.row == rows[0]:
            data = encoded.data  # the bytes this store would have made
        else:
            data = encode(to_table(rows, self._arrow_schema))
        part = self._part(point_id)
        checksum = self._checksum_file(part)
        # The checksum first: a part is never in place without the checksum that verifies it, and
        # when the part cannot be written (a full disk) its new checksum goes too.
        atomic_write(checksum, hashlib.sha256(data).hexdigest().encode(), sync=False)
        try:
            atomic_write(part, data, sync=False)
        except BaseException:
            checksum.unlink(missing_ok=True)
            raise
        self._unsynced += [part, checksum]
        if point_id in self._written:  # rewritten (a point computed again)
            self._rows_in_memory -= len(self._written.pop(point_id)[0])
        if self._rows_in_memory + len(rows) <= ROWS_IN_MEMORY:
            self._written[point_id] = (rows, self._arrow_schema)
            self._rows_in_memory += len(rows)
        if time.monotonic() - self._last_sync >= SYNC_EVERY_S:
            self.sync()

    def load(self) -> pd.DataFrame:
        """The study's table, as load_results(directory) reads it: the parts written by this store
        come from memory, the others (an earlier run's, when resuming) from their files."""
        return load_results(self.directory, dict(self.schema), written=self._written)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly the columns of `schema`, as the dataset reader gives a part file: a column
    the part lacks is null, a narrower type (int64 where a later part widened it to double) is cast."""
    if table.schema.equals(schema):
        return table
    index = {name: i for i, name in enumerate(table.schema.names)}
    columns = []
    for field in schema:
        i = index.get(field.name)
        if i is None:
            columns.append(pa.nulls(table.num_rows, field.type))
        else:
            column = table.column(i)
            columns.append(column if column.type == field.type else column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def load_results(directory: os.PathLike, schema: Optional[Dict[str, pa.DataType]] = None, *,
                 written: Optional[Mapping[str, Tuple[List[Dict[str, Any]], pa.Schema]]] = None) -> pd.DataFrame:
    """Every part of a study directory as one DataFrame, in (point, replication) order. `written`:
    the rows and columns of parts (by point id) known to hold what their files hold, taken instead
    of reading the files."""
    directory = Path(directory)
    results = directory / RESULTS_DIR
    if schema is None:
        path = directory / SCHEMA_FILE
        names = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        schema = {name: pa.type_for_alias(alias) for name, alias in names}
    parts = sorted(results.glob("part-*.parquet")) if results.is_dir() else []
    if not schema or not parts:
        frame = pd.DataFrame({name: pd.Series(dtype=schema[name].to_pandas_dtype()) for name in schema})
        frame.attrs["axes"] = study_axes(directory) if (directory / STUDY_FILE).is_file() else []
        return frame
    arrow_schema = pa.schema(list(schema.items()))
    written = written or {}
    groups: Dict[int, Tuple[pa.Schema, List[Dict[str, Any]]]] = {}  # the rows written with the same columns
    on_disk = []
    for p in parts:
        entry = written.get(p.stem[len("part-"):])
        if entry is None:
            on_disk.append(str(p))
        else:
            groups.setdefault(id(entry[1]), (entry[1], []))[1].extend(entry[0])
    tables = [_conform(to_table(rows, columns), arrow_schema) for columns, rows in groups.values()]
    if on_disk:
        tables.append(ds.dataset(on_disk, format="parquet", schema=arrow_schema).to_table())
    frame = pa.concat_tables(tables).combine_chunks().to_pandas()
    frame = frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    frame.attrs["axes"] = study_axes(directory)
    return frame


def study_axes(directory: os.PathLike) -> List[str]:
    """The axis columns of a study directory, from its study.json."""
    return [a.key for a in StudyFile(read_study(directory)).spec.axes]


def _difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    keys = [k for k in list(old) + [k for k in new if k not in old] if old.get(k) != new.get(k)]
    return "it differs in " + ", ".join(keys) if keys else "it was written by another version"
