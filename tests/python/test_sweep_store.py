"""The sweep result store's cheaper paths give what the plain ones gave: the table of a study comes
from memory for the parts this store wrote, equal to reading every part back; rows are converted in
one step with the same result as pyarrow's from_pylist; a part a worker encoded is written as it is
only when it is the part the store would make; parts are flushed to disk in groups, all by the end."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from wsfleet import _parts, _store
from wsfleet._store import ResultStore, load_results
from wsfleet_testing import SWEEP_SPEC


def store(directory: Path) -> ResultStore:
    return ResultStore(directory, "sweep", SWEEP_SPEC, "identity", "[run]\n")


def row(point: int, replication: int, **metrics) -> dict:
    return {"point": point, "point_id": f"p{point}", "replication": replication, "seed": 1, **metrics}


def write_points(s: ResultStore) -> None:
    s.write_point("p0", [row(0, 0, count=3, name="a", late=None), row(0, 1, count=4, name="b")])
    s.write_point("p1", [row(1, 0, count=5, ratio=0.5)])                      # a column earlier parts lack
    s.write_point("p2", [row(2, 0, count=1.5, ratio=None, name=None)])       # count widened to double
    s.write_point("p3", [row(3, 0, count=7, flag=True, late=2)])


def test_the_table_from_memory_equals_the_parts_read_back(tmp_path: Path) -> None:
    s = store(tmp_path / "out")
    write_points(s)
    s.sync()
    from_memory = s.load()
    from_disk = load_results(tmp_path / "out")
    pd.testing.assert_frame_equal(from_memory, from_disk)
    assert list(from_memory["count"]) == [3.0, 4.0, 5.0, 1.5, 7.0]
    assert from_memory["ratio"].isna().tolist() == [True, True, False, True, True]
    # Resuming: a new store over the same directory reads the earlier parts and keeps its own.
    again = store(tmp_path / "out")
    again.write_point("p4", [row(4, 0, count=8, extra="x")])
    again.sync()
    pd.testing.assert_frame_equal(again.load(), load_results(tmp_path / "out"))
    assert len(again.load()) == 6 and again.load()["extra"].tolist()[-1] == "x"


def test_a_float_after_integers_widens_the_column_instead_of_being_truncated(tmp_path: Path) -> None:
    s = store(tmp_path / "out")
    s.write_point("p0", [row(0, 0, value=2)])
    s.write_point("p1", [row(1, 0, value=2.75)])
    s.sync()
    assert load_results(tmp_path / "out")["value"].tolist() == [2.0, 2.75]  # was [2, 2]
    # A missing value does not widen an integer column.
    s.write_point("p2", [row(2, 0, count=1)])
    s.write_point("p3", [row(3, 0, count=None)])
    assert s.schema["count"] == pa.int64()


def test_rows_convert_as_from_pylist_does() -> None:
    schema = pa.schema([("a", pa.int64()), ("b", pa.string()), ("c", pa.float64()), ("d", pa.bool_())])
    rows = [{"a": 1, "b": "x", "c": 2.5, "d": True, "ignored": 3}, {"a": None, "c": 3}, {}]
    assert _parts.to_table(rows, schema).equals(pa.Table.from_pylist(rows, schema=schema))
    for bad in ([{"a": "x"}], [{"b": 3}], [{"d": 2}]):
        with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
            _parts.to_table(bad, schema)


def test_parts_are_flushed_in_groups_and_all_by_the_end(tmp_path: Path, monkeypatch) -> None:
    flushed = []
    monkeypatch.setattr(_store, "_fsync_path", lambda path: flushed.append(Path(path).name))
    monkeypatch.setattr(_store, "SYNC_EVERY_S", 3600.0)
    s = store(tmp_path / "out")
    write_points(s)
    assert flushed == []  # within the group's time: no flush yet
    s.sync()
    parts = sorted(p.name for p in (tmp_path / "out" / "results").iterdir())
    assert len(parts) == 8 and sorted(flushed) == sorted(parts + ["results"])  # every part and its checksum
    monkeypatch.setattr(_store, "SYNC_EVERY_S", 0.0)  # a group after every part
    flushed.clear()
    s.write_point("p9", [row(9, 0, count=1)])
    assert sorted(flushed) == [".part-p9.parquet.sha256", "part-p9.parquet", "results"]


def test_a_part_encoded_by_the_worker_is_the_part_the_store_would_write(tmp_path: Path, monkeypatch) -> None:
    made = []
    real_encode = _store.encode
    monkeypatch.setattr(_store, "encode", lambda table: made.append(1) or real_encode(table))
    first = row(0, 0, count=3, ratio=0.25, name="a", missing=None)
    by_worker, by_store = store(tmp_path / "w"), store(tmp_path / "s")
    by_worker.write_point("p0", [first], _parts.encode_row(first))
    assert made == []  # the worker's bytes were taken
    by_store.write_point("p0", [first])
    assert made == [1]
    part = Path("results") / "part-p0.parquet"
    assert (tmp_path / "w" / part).read_bytes() == (tmp_path / "s" / part).read_bytes()
    # A row whose columns differ from the store's (a column earlier parts had, a type they widened)
    # is encoded by the store, with those columns.
    second = row(1, 0, count=4.5, ratio=0.5, name="b")
    by_worker.write_point("p1", [second], _parts.encode_row(second))
    assert made == [1, 1]
    assert by_worker.load()["count"].tolist() == [3.0, 4.5] and "missing" in by_worker.load().columns
    # A stale encoding (another row) is not taken either.
    third = row(2, 0, count=5.0, ratio=0.5, name="c", missing=None)
    by_worker.write_point("p2", [third], _parts.encode_row(dict(third, count=6.0)))
    by_worker.sync()
    assert load_results(tmp_path / "w")["count"].tolist() == [3.0, 4.5, 5.0]


def test_a_sweep_of_one_replication_writes_the_workers_parts(tmp_path: Path, monkeypatch) -> None:
    import wsfleet

    made = []
    real_encode = _store.encode
    monkeypatch.setattr(_store, "encode", lambda table: made.append(1) or real_encode(table))
    scenario = "[run]\nduration_s = 20\n[fleet]\nservers = 2\n[clients]\ncount = 200\nramp_s = 5\n"
    result = wsfleet.Sweep(scenario, {"clients.count": [100, 200, 300]}).run(tmp_path / "out", workers=0)
    assert made == []  # every part came from the run's side
    pd.testing.assert_frame_equal(result.frame, load_results(tmp_path / "out"))
    assert result.frame["clients.count"].tolist() == [100, 200, 300]
