"""The output directory of a sweep or plan: Parquet parts, each holding the rows of whole points.

    DIR/study.json        what was asked (kind "sweep" or "plan", the spec, and its identity hash;
                          its keys are declared in wsfleet.study_schema, checked before writing)
    DIR/scenario.toml     the base scenario, as given
    DIR/schema.json       the column types of the results (the union over every part written)
    DIR/results/part-<name>.parquet         the rows (one per replication) of one or more points
    DIR/results/.part-<name>.parquet.sha256 its SHA-256

Group commits. Finished points are buffered by the driver and committed together, as one part,
when the oldest has waited GROUP_DELAY_S (or GROUP_MAX_ROWS rows are buffered, or the study ends or
is interrupted): the part is written to a hidden temporary and renamed into place beside its
checksum, then the part, its checksum and the folder are flushed to disk (fsync). A point is
*completed* once its group is committed and flushed: only then does the progress bar count it.
A completed point is never lost: not on kill -9 of the driver or a worker, nor on an operating
system crash or a power loss. A point that finished but is still buffered when the driver is killed
(at most GROUP_DELAY_S of work) was not acknowledged: the resumed study computes it again, with the
same result. Committing a group costs three fsyncs whatever its size, where a part per point cost
two per point (each 3 to 10 ms on this machine's disk: they, not the runs, set the pace of a sweep
of short runs with two workers).

A part is named after the first point it holds (part-<point_id>, or part-<point_id>~<r> when that
point's rows start at replication r; "+<n>" when it holds n more points); what it holds is read from
its point_id and replication columns, so the parts of earlier versions (one point each) read the
same. A part is either complete or absent, and one whose bytes do not match its checksum is removed
on resume (its points are computed again); pyarrow skips the hidden temporaries and checksums.
`pandas.read_parquet("DIR/results")` loads the table; `load()` does the same with the schema of
every part (columns a later part added are NaN in older parts) and in (point, replication) order.
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
from wsfleet._parts import columns, encode, infer_type, merge_type, to_table
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


#: The longest a finished point waits in the driver before its group is committed (seconds).
GROUP_DELAY_S = 1.0
#: A group is committed at once when it holds this many rows.
GROUP_MAX_ROWS = 4096
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
        # The group being gathered: (part name, rows) of finished points not yet committed.
        self._group: List[Tuple[str, List[Dict[str, Any]]]] = []
        self._group_rows = 0
        self._group_since = 0.0  # when the oldest point of the group finished (time.monotonic())
        # The tables of the parts this store wrote, by part name, up to ROWS_IN_MEMORY rows: load()
        # takes them from memory instead of reading their files back (parsing a part's footer costs
        # more than writing it).
        self._written: Dict[str, pa.Table] = {}
        self._rows_in_memory = 0
        self._arrow_schema: Optional[pa.Schema] = None  # the columns of the last part written

    # --- the group commit ---
    def add_point(self, name: str, rows: List[Dict[str, Any]]) -> int:
        """Adds one finished point (one row per replication; `name`: its point id, followed by
        "~<first replication>" when its rows add replications to the point) to the group, and
        commits the group when it is full. Returns the number of points committed (0 or the group's)."""
        if not self._group:
            self._group_since = time.monotonic()
        self._group.append((name, rows))
        self._group_rows += len(rows)
        return self.commit() if self._group_rows >= GROUP_MAX_ROWS else 0

    @property
    def pending(self) -> int:
        """Finished points waiting in the group (not yet completed)."""
        return len(self._group)

    def due(self, within_s: float = 0.0) -> bool:
        """Whether the group must be committed now so that no point of it waits more than
        GROUP_DELAY_S: within_s is how long the caller expects to wait before it can look again."""
        return bool(self._group) and time.monotonic() + within_s - self._group_since >= GROUP_DELAY_S

    def commit(self) -> int:
        """Writes the group as one part beside its checksum, flushes both and the folder to disk, and
        returns the number of points it held (now completed). On an error (a full disk) the group is
        dropped (its points are computed again by the next run) and nothing unverified is left."""
        group, self._group, self._group_rows = self._group, [], 0
        if not group:
            return 0
        rows = [row for _, point_rows in group for row in point_rows]
        name = group[0][0] + (f"+{len(group) - 1}" if len(group) > 1 else "")
        # No part already in place holds the group's first point from that replication (it would not
        # be computed again), so the name is new; a suffix keeps an odd one (made by hand) from being
        # replaced.
        unique, n = name, 1
        while self._part(unique).exists():
            n += 1
            unique = f"{name}-{n}"
        self._write_part(unique, rows)
        return len(group)

    def sync(self) -> int:
        """Commits what is gathered (see commit): the study's last group, or on an interruption."""
        return self.commit()

    def write_point(self, name: str, rows: List[Dict[str, Any]]) -> None:
        """Writes one finished point as its own part, at once (add_point then commit)."""
        self.add_point(name, rows)
        self.commit()

    def _write_part(self, name: str, rows: List[Dict[str, Any]]) -> None:
        names: List[str] = list(self.schema)
        seen = set(names)
        last: Tuple[str, ...] = ()
        for row in rows:
            keys = tuple(row)
            if keys == last:  # rows from one worker function mostly share their columns
                continue
            last = keys
            for column in keys:
                if column not in seen:
                    seen.add(column)
                    names.append(column)
        # Each column's type: inferred when new; widened when these rows have a value the known type
        # cannot hold (a float where only integers were: converting would truncate it silently).
        changed = False
        for column, values in zip(names, columns(rows, names)):
            known = self.schema.get(column)
            if known is None:
                self.schema[column] = infer_type(values)
                changed = True
            elif values.count(None) < len(values):  # a value present
                merged = merge_type(known, infer_type(values))
                if merged != known:
                    self.schema[column] = merged
                    changed = True
        if changed or self._arrow_schema is None or len(names) != len(self._arrow_schema):
            self._arrow_schema = pa.schema([(n, self.schema[n]) for n in names])
        if changed:
            atomic_write(self.directory / SCHEMA_FILE,
                         json.dumps([[n, str(self.schema[n])] for n in names]).encode())
        table = to_table(rows, self._arrow_schema)
        data = encode(table)
        part = self._part(name)
        checksum = self._checksum_file(part)
        # The checksum first: a part is never in place without the checksum that verifies it, and
        # when the part cannot be written (a full disk) its new checksum goes too.
        atomic_write(checksum, hashlib.sha256(data).hexdigest().encode(), sync=False)
        try:
            atomic_write(part, data, sync=False)
        except BaseException:
            checksum.unlink(missing_ok=True)
            raise
        # One flush of the group: the part and its checksum, and the folder that now names them.
        _fsync_all([part, checksum, self.results])
        if name in self._written:  # rewritten (a part computed again)
            self._rows_in_memory -= self._written.pop(name).num_rows
        if self._rows_in_memory + len(rows) <= ROWS_IN_MEMORY:
            self._written[name] = table
            self._rows_in_memory += len(rows)

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

    def _part(self, name: str) -> Path:
        return self.results / f"part-{name}.parquet"

    @staticmethod
    def _checksum_file(part: Path) -> Path:
        # Hidden (a leading dot): pyarrow's dataset reader skips it.
        return part.with_name(f".{part.name}.sha256")

    def _remove_part(self, part: Path) -> None:
        part.unlink(missing_ok=True)
        self._checksum_file(part).unlink(missing_ok=True)

    def _verified_parts(self) -> Dict[Path, Dict[str, List[int]]]:
        """Per part whose bytes match its checksum: the replications it holds of each point id.
        Unreadable parts are removed (their points will be computed again), and so are checksums
        left without their part (a driver killed between the two renames)."""
        out: Dict[Path, Dict[str, List[int]]] = {}
        for part in self.results.glob("part-*.parquet"):
            checksum = self._checksum_file(part)
            try:
                # A part whose bytes differ from the checksum written with it (a flipped byte in a
                # data page reads back as valid numbers), or that has none (cut short), is redone.
                if checksum.read_text().strip() != hashlib.sha256(part.read_bytes()).hexdigest():
                    raise OSError("checksum mismatch")
                table = pq.read_table(part, columns=["point_id", "replication"])
            except (OSError, pa.ArrowException, KeyError):
                self._remove_part(part)
                continue
            held: Dict[str, List[int]] = {}
            for pid, rep in zip(table.column("point_id").to_pylist(), table.column("replication").to_pylist()):
                held.setdefault(pid, []).append(rep)
            out[part] = held
        for checksum in self.results.glob(".part-*.parquet.sha256"):
            if not checksum.with_name(checksum.name[1:-len(".sha256")]).exists():
                checksum.unlink(missing_ok=True)
        return out

    def replication_counts(self) -> Dict[str, int]:
        """Per point id, k when the parts together hold its replications 0..k-1 exactly once. A part
        holding a point whose replications leave a gap or overlap (a part lost before it) is removed
        with the other points it holds, until none is left: those points are computed again."""
        parts = self._verified_parts()
        while True:
            by_point: Dict[str, List[int]] = {}
            for held in parts.values():
                for pid, reps in held.items():
                    by_point.setdefault(pid, []).extend(reps)
            bad = {pid for pid, reps in by_point.items() if sorted(reps) != list(range(len(reps)))}
            if not bad:
                return {pid: len(reps) for pid, reps in by_point.items()}
            for part in [p for p, held in parts.items() if bad & set(held)]:
                self._remove_part(part)
                del parts[part]

    def done(self, replications: int) -> Set[str]:
        """The points whose parts hold every replication 0..replications-1 (unreadable or
        inconsistent parts are removed: their points will be computed again)."""
        return {pid for pid, n in self.replication_counts().items() if n == replications}

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
                 written: Optional[Mapping[str, pa.Table]] = None) -> pd.DataFrame:
    """Every part of a study directory as one DataFrame, in (point, replication) order. `written`:
    the tables of parts (by point id) known to hold what their files hold, taken instead of
    reading the files."""
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
    tables, on_disk = [], []
    for p in parts:
        table = written.get(p.stem[len("part-"):])
        if table is None:
            on_disk.append(str(p))
        else:
            tables.append(_conform(table, arrow_schema))
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
