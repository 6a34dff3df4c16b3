"""The output directory of a sweep or plan: one Parquet part file per finished point.

    DIR/study.json        what was asked (kind "sweep" or "plan", the spec, and its identity hash)
    DIR/scenario.toml     the base scenario, as given
    DIR/schema.json       the column types of the results (the union over every part written)
    DIR/results/part-<point_id>.parquet   one row per replication of one point

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
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

__all__ = ["ResultStore", "StoreError", "STUDY_FILE", "RESULTS_DIR", "is_study_dir", "read_study", "write_error"]

STUDY_FILE = "study.json"
SCHEMA_FILE = "schema.json"
SCENARIO_FILE = "scenario.toml"
RESULTS_DIR = "results"
FORMAT = "wsfleet-study"
VERSION = 1


class StoreError(ValueError):
    """The output directory cannot hold this study (it holds another, or is unreadable)."""


SYNC_EVERY_S = 1.0  # the longest a finished part waits for its group's flush to disk


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


def is_study_dir(directory: os.PathLike) -> bool:
    return (Path(directory) / STUDY_FILE).is_file()


def read_study(directory: os.PathLike) -> Dict[str, Any]:
    path = Path(directory) / STUDY_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: cannot read: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError(f"{path}: not a wsfleet sweep or plan directory")
    return meta


def _infer_type(values: Sequence[Any]) -> pa.DataType:
    present = [v for v in values if v is not None]
    if not present:
        return pa.float64()
    if all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if any(isinstance(v, str) for v in present):
        return pa.string()
    if all(isinstance(v, int) for v in present):
        return pa.int64()
    return pa.float64()


def _merge(known: pa.DataType, new: pa.DataType) -> pa.DataType:
    if known == new:
        return known
    if {known, new} <= {pa.int64(), pa.float64()}:
        return pa.float64()
    return pa.string() if pa.string() in (known, new) else known


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
            meta = read_study(self.directory)
            if meta.get("identity") != identity or meta.get("kind") != kind:
                if not overwrite:
                    raise StoreError(
                        f"{self.directory} holds a different {meta.get('kind', 'study')} "
                        f"({_difference(meta.get('spec', {}), spec)}): resuming would mix results. Use another "
                        "output directory, or overwrite it (--overwrite, overwrite=True)")
                self._clear()
        elif self.directory.exists() and any(self.directory.iterdir()) and not overwrite:
            raise StoreError(f"{self.directory} is not empty and holds no wsfleet study: choose an empty or new "
                             "directory (or --overwrite)")
        self.results.mkdir(parents=True, exist_ok=True)
        if not study.exists():
            atomic_write(self.directory / SCENARIO_FILE, scenario_text.encode())
            meta = {"format": FORMAT, "version": VERSION, "kind": kind, "identity": identity, "spec": dict(spec)}
            atomic_write(study, json.dumps(meta, indent=2, sort_keys=False).encode())
        self.schema: Dict[str, pa.DataType] = self._read_schema()
        self._unsynced: List[Path] = []
        self._last_sync = time.monotonic()

    def sync(self) -> None:
        """Flushes the parts written since the last flush (and the results folder) to disk."""
        if not self._unsynced:
            return
        for path in self._unsynced:
            _fsync_path(path)
        _fsync_path(self.results)
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

    def done(self, replications: int) -> Set[str]:
        """The points whose part holds every replication 0..replications-1 (unreadable parts are
        removed: they will be computed again)."""
        out = set()
        for part in self.results.glob("part-*.parquet"):
            point_id = part.stem[len("part-"):]
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
            if sorted(reps) == list(range(replications)):
                out.add(point_id)
        return out

    def write_point(self, point_id: str, rows: List[Dict[str, Any]]) -> None:
        """Writes one finished point (one row per replication) atomically."""
        names: List[str] = list(self.schema)
        seen = set(names)
        for row in rows:
            for name in row:
                if name not in seen:
                    seen.add(name)
                    names.append(name)
        changed = False
        for name in names[len(self.schema):]:
            self.schema[name] = _infer_type([row.get(name) for row in rows])
            changed = True
        try:
            table = pa.Table.from_pylist(rows, schema=pa.schema([(n, self.schema[n]) for n in names]))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # A value of another type than earlier parts had (a float where only integers were):
            # widen the column's type.
            for name in names:
                merged = _merge(self.schema[name], _infer_type([row.get(name) for row in rows]))
                changed |= merged != self.schema[name]
                self.schema[name] = merged
            table = pa.Table.from_pylist(rows, schema=pa.schema([(n, self.schema[n]) for n in names]))
        if changed:
            ordered = [[name, str(self.schema[name])] for name in names]
            atomic_write(self.directory / SCHEMA_FILE, json.dumps(ordered).encode())
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, write_statistics=False, use_dictionary=False)
        data = sink.getvalue().to_pybytes()
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
        if time.monotonic() - self._last_sync >= SYNC_EVERY_S:
            self.sync()

    def load(self) -> pd.DataFrame:
        return load_results(self.directory)


def load_results(directory: os.PathLike, schema: Optional[Dict[str, pa.DataType]] = None) -> pd.DataFrame:
    """Every part of a study directory as one DataFrame, in (point, replication) order."""
    directory = Path(directory)
    results = directory / RESULTS_DIR
    if schema is None:
        path = directory / SCHEMA_FILE
        names = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        schema = {name: pa.type_for_alias(alias) for name, alias in names}
    if not schema or not results.is_dir() or not any(results.glob("part-*.parquet")):
        frame = pd.DataFrame({name: pd.Series(dtype=schema[name].to_pandas_dtype()) for name in schema})
        frame.attrs["axes"] = study_axes(directory) if (directory / STUDY_FILE).is_file() else []
        return frame
    dataset = ds.dataset(str(results), format="parquet", schema=pa.schema(list(schema.items())))
    frame = dataset.to_table().to_pandas()
    frame = frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    frame.attrs["axes"] = study_axes(directory)
    return frame


def study_axes(directory: os.PathLike) -> List[str]:
    """The axis columns of a study directory, from its study.json."""
    spec = read_study(directory).get("spec", {})
    return [a["key"] for a in spec.get("axes", [])]


def _difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    keys = [k for k in list(old) + [k for k in new if k not in old] if old.get(k) != new.get(k)]
    return "it differs in " + ", ".join(keys) if keys else "it was written by another version"
