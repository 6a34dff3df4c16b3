"""The sweep result store's cheaper paths give what the plain ones gave: the table of a study comes
from memory for the parts this store wrote, equal to reading every part back; rows are converted in
one step with the same result as pyarrow's from_pylist. Group commits: finished points are gathered
and written as one part, flushed to disk (three fsyncs per group), when the oldest has waited
GROUP_DELAY_S, when GROUP_MAX_ROWS rows are gathered, and when the study ends; a point counts as done
only then; parts of one point (earlier versions) and of many read the same; a part lost before
another that adds replications to the same point takes that one with it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
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


def test_column_types_and_values_read_from_rows() -> None:
    """A commit reads each column over its rows (transposed at once when every row has the same
    columns in the same order) and infers its type: bool, int64 (bools count as whole numbers),
    float64, string when a value is one; double when every value is missing."""
    cases = {pa.bool_(): [True, None, False], pa.int64(): [1, True, None], pa.float64(): [1, 2.5, None],
             pa.string(): [1.5, "x", None]}
    for kind, values in cases.items():
        assert _parts.infer_type(values) == kind, values
    assert _parts.infer_type([None, None]) == _parts.infer_type([]) == pa.float64()
    same = [{"a": 1, "b": "x"}, {"a": 2, "b": None}]
    assert [list(c) for c in _parts.columns(same, ["a", "b"])] == [[1, 2], ["x", None]]
    ragged = [{"a": 1, "b": "x"}, {"b": "y"}, {"b": "z", "a": 3}]  # a column missing, another order
    assert [list(c) for c in _parts.columns(ragged, ["a", "b"])] == [[1, None, 3], ["x", "y", "z"]]


def parts_in(directory: Path) -> list:
    return sorted(p.name for p in (directory / "results").glob("part-*.parquet"))


def test_a_group_is_one_part_flushed_once_whatever_its_size(tmp_path: Path, monkeypatch) -> None:
    flushed = []
    monkeypatch.setattr(_store, "_fsync_path", lambda path: flushed.append(Path(path).name))
    s = store(tmp_path / "out")
    assert s.add_point("p0", [row(0, 0, count=3), row(0, 1, count=4)]) == 0
    assert s.add_point("p1", [row(1, 0, count=5)]) == 0
    assert s.add_point("p2~2", [row(2, 2, count=6)]) == 0
    assert parts_in(tmp_path / "out") == [] and flushed == [] and s.pending == 3  # gathered, not written
    assert s.commit() == 3
    assert parts_in(tmp_path / "out") == ["part-p0+2.parquet"]
    assert flushed == ["part-p0+2.parquet", ".part-p0+2.parquet.sha256", "results"]  # one flush of the group
    assert s.pending == 0 and s.commit() == 0 and len(flushed) == 3  # an empty group writes nothing
    assert load_results(tmp_path / "out")[["point", "replication", "count"]].values.tolist() == [
        [0, 0, 3], [0, 1, 4], [1, 0, 5], [2, 2, 6]]


def test_a_group_is_due_after_the_delay_or_when_full(tmp_path: Path, monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(_store.time, "monotonic", lambda: clock[0])
    s = store(tmp_path / "out")
    assert not s.due()  # nothing gathered
    s.add_point("p0", [row(0, 0, count=1)])
    clock[0] += _store.GROUP_DELAY_S / 2
    s.add_point("p1", [row(1, 0, count=1)])
    assert not s.due() and s.due(within_s=_store.GROUP_DELAY_S / 2)  # the next look would come too late
    clock[0] += _store.GROUP_DELAY_S / 2
    assert s.due()  # the oldest point has waited the delay
    assert s.commit() == 2 and not s.due()
    monkeypatch.setattr(_store, "GROUP_MAX_ROWS", 3)
    assert s.add_point("p2", [row(2, 0), row(2, 1)]) == 0
    assert s.add_point("p3", [row(3, 0), row(3, 1)]) == 2  # four rows: committed at once
    assert parts_in(tmp_path / "out") == ["part-p0+1.parquet", "part-p2+1.parquet"]


def test_a_sweep_commits_groups_and_counts_points_once_committed(tmp_path: Path, monkeypatch) -> None:
    """Through a real sweep: the progress counts a point only when its group is committed, every
    point ends in exactly one part, and the table is the one of a sweep with a part per point."""
    import wsfleet
    from wsfleet import _study

    scenario = "[run]\nduration_s = 20\n[fleet]\nservers = 2\n[clients]\ncount = 200\nramp_s = 5\n"
    axes = {"clients.count": [100, 200, 300, 400, 500]}
    seen = []
    real_update = _study.Progress.update

    def update(self, points: int = 1) -> None:
        if points:
            on_disk = sum(pq.read_metadata(p).num_rows for p in (tmp_path / "g" / "results").glob("part-*.parquet"))
            seen.append((points, on_disk))
        real_update(self, points)

    monkeypatch.setattr(_study.Progress, "update", update)
    monkeypatch.setattr(_store, "GROUP_MAX_ROWS", 4)
    grouped = wsfleet.Sweep(scenario, axes, replications=2).run(tmp_path / "g", workers=0, progress=False).frame
    assert [n for n, _ in seen] == [2, 2, 1]  # 4 rows: two points, twice; then the last at the end
    assert [d for _, d in seen] == [4, 8, 10]  # each counted once its rows are on disk, flushed
    monkeypatch.setattr(_store, "GROUP_DELAY_S", 0.0)  # every point its own group
    single = wsfleet.Sweep(scenario, axes, replications=2).run(tmp_path / "s", workers=0, progress=False).frame
    assert len(parts_in(tmp_path / "s")) == 5 and len(parts_in(tmp_path / "g")) == 3
    drop = ["wall_seconds"]
    pd.testing.assert_frame_equal(grouped.drop(columns=drop), single.drop(columns=drop))
    pd.testing.assert_frame_equal(grouped, load_results(tmp_path / "g"))


def test_parts_of_one_point_and_of_many_resume_alike(tmp_path: Path) -> None:
    s = store(tmp_path / "out")
    s.write_point("p0", [row(0, 0, count=1), row(0, 1, count=2)])  # a part per point, as earlier versions wrote
    s.add_point("p1", [row(1, 0, count=3), row(1, 1, count=4)])
    s.add_point("p2", [row(2, 0, count=5)])  # incomplete for 2 replications
    s.commit()
    again = store(tmp_path / "out")
    assert again.done(2) == {"p0", "p1"}
    assert again.replication_counts() == {"p0": 2, "p1": 2, "p2": 1}
    # A checksum left without its part (a driver killed between the two renames) is removed.
    (tmp_path / "out" / "results" / ".part-zz.parquet.sha256").write_text("0" * 64)
    store(tmp_path / "out").done(2)
    assert not (tmp_path / "out" / "results" / ".part-zz.parquet.sha256").exists()


def test_a_lost_part_takes_the_parts_that_continue_its_points(tmp_path: Path) -> None:
    """Precision-driven replication adds replications of a point in later parts; when an earlier part
    is lost (a checksum mismatch), a later one holding the point's next replications would leave a
    gap: it is removed too, with the other points it holds, and those are computed again."""
    s = store(tmp_path / "out")
    s.add_point("p0", [row(0, 0, count=1), row(0, 1, count=1)])
    s.commit()                                                          # part-p0: p0 0-1
    s.add_point("p1", [row(1, 0, count=2), row(1, 1, count=2)])
    s.add_point("p0~2", [row(0, 2, count=1)])
    s.commit()                                                          # part-p1+1: p1 0-1, p0 2
    s.add_point("p2", [row(2, 0, count=3), row(2, 1, count=3)])
    s.add_point("p1~2", [row(1, 2, count=2)])
    s.commit()                                                          # part-p2+1: p2 0-1, p1 2
    s.add_point("p3", [row(3, 0, count=4), row(3, 1, count=4)])
    s.commit()                                                          # part-p3: p3 0-1
    results = tmp_path / "out" / "results"
    assert sorted(p.name for p in results.glob("part-*")) == ["part-p0.parquet", "part-p1+1.parquet",
                                                              "part-p2+1.parquet", "part-p3.parquet"]
    damaged = results / "part-p0.parquet"
    damaged.write_bytes(damaged.read_bytes()[:-7] + b"garbage")
    counts = store(tmp_path / "out").replication_counts()
    # part-p0 is unreadable: p0 would start at 2 (part-p1+1 goes, and p1 with it); p1 would start at
    # 2 (part-p2+1 goes, and p2 with it); p3 is untouched.
    assert counts == {"p3": 2}
    assert sorted(p.name for p in results.iterdir()) == [".part-p3.parquet.sha256", "part-p3.parquet"]
