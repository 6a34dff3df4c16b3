"""Parameter sweeps: expansion, validation before running, seeding, the results table, resuming,
worker failures, and the `wsfleet sweep` command. (Dask: test_sweep_dask.py.)"""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pandas as pd
import pytest

import sweep_helpers
import wsfleet
from wsfleet._axes import Axis, expand, make_axes
from wsfleet._metrics import NONDETERMINISTIC
from wsfleet._stats import mean_ci, t_quantile
from wsfleet_testing import assert_clean_failure, cli, wsfleet_exe

# A tiny storm: 4 servers, 600 clients, a crash at 20 s; a run takes a few milliseconds.
TINY = """
[scenario]
name = "tiny"
[run]
duration_s = 40
sample_interval_s = 10
seed = 5
[fleet]
servers = 4
max_connections = 300
[clients]
count = 600
ramp_s = 5
messages_per_minute = 6
[[faults]]
type = "crash"
server = 1
at_s = 20
"""

AXES = {"fleet.servers": [3, 4], "balancer.policy": ["round_robin", "least_connections"]}


def deterministic(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(NONDETERMINISTIC))


def write_tiny(directory: Path, sweep_table: str = "") -> Path:
    path = directory / "tiny.toml"
    path.write_text(TINY + sweep_table, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------
# Expansion


def test_grid_is_the_product_in_axis_order() -> None:
    points = expand(make_axes({"a.x": [1, 2, 3], "b.y": ["p", "q"]}))
    assert points == [{"a.x": 1, "b.y": "p"}, {"a.x": 1, "b.y": "q"}, {"a.x": 2, "b.y": "p"},
                      {"a.x": 2, "b.y": "q"}, {"a.x": 3, "b.y": "p"}, {"a.x": 3, "b.y": "q"}]


def test_ranges_linear_log_and_integer() -> None:
    lin, log, whole = make_axes({"a.x": wsfleet.Range(0.0, 1.0, steps=5),
                                 "a.y": wsfleet.Range(0.1, 10.0, steps=3, log=True),
                                 "a.z": {"min": 2, "max": 5, "steps": 7}})
    assert lin.grid_values() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert log.grid_values() == pytest.approx([0.1, 1.0, 10.0])
    assert whole.grid_values() == [2, 3, 4, 5]  # 7 steps over [2, 5] round to 4 distinct integers
    assert all(isinstance(v, int) for v in whole.grid_values())


@pytest.mark.parametrize("method", ["random", "latin_hypercube"])
def test_sampling_is_seeded_and_in_range(method: str) -> None:
    axes = make_axes({"a.x": wsfleet.Range(1.0, 100.0, log=True), "a.n": wsfleet.Range(1, 10),
                      "a.c": ["u", "v", "w"]})
    first = expand(axes, method, samples=30, seed=3)
    assert first == expand(axes, method, samples=30, seed=3)
    assert first != expand(axes, method, samples=30, seed=4)
    assert all(1.0 <= p["a.x"] <= 100.0 and 1 <= p["a.n"] <= 10 and p["a.c"] in "uvw" for p in first)
    assert all(isinstance(p["a.n"], int) for p in first)


def test_latin_hypercube_uses_every_stratum_once() -> None:
    n = 20
    points = expand(make_axes({"a.x": wsfleet.Range(0.0, 1.0), "a.y": wsfleet.Range(10.0, 20.0)}),
                    "latin_hypercube", samples=n, seed=1)
    assert len(points) == n
    for key, lo in (("a.x", 0.0), ("a.y", 10.0)):
        width = 1.0 if key == "a.x" else 10.0
        strata = sorted(int((p[key] - lo) / width * n) for p in points)
        assert strata == list(range(n))


def test_grid_needs_steps_and_bad_axes_are_named() -> None:
    with pytest.raises(wsfleet.SweepError, match="axis 'fleet.servers'.*steps"):
        wsfleet.Sweep(TINY, {"fleet.servers": wsfleet.Range(2, 8)})
    with pytest.raises(wsfleet.SweepError, match="run.seed"):
        wsfleet.Sweep(TINY, {"run.seed": [1, 2]})
    with pytest.raises(wsfleet.SweepError, match="one kind"):
        wsfleet.Sweep(TINY, {"fleet.servers": [2, "three"]})
    with pytest.raises(wsfleet.SweepError, match="samples"):
        wsfleet.Sweep(TINY, {"fleet.servers": [2, 3]}, method="random")


# ------------------------------------------------------------------------------------------------
# Validation before anything runs


@pytest.mark.parametrize("axes, expected", [
    ({"fleet.srvers": [2, 3]}, "axis 'fleet.srvers' = 2 is rejected: unknown key 'srvers' in [fleet]; did you mean "
                               "'servers'?"),
    ({"fleet.servers": [2, 0]}, "axis 'fleet.servers' = 0 is rejected: fleet.servers must be between 1 and 100000"),
    ({"balancer.policy": ["round_robin", "least_conn"]},
     "axis 'balancer.policy' = 'least_conn' is rejected: unknown balancing policy 'least_conn'"),
    # Valid alone, but the crash names server 1, which a 1-server fleet does not have.
    ({"fleet.servers": [1, 2]}, "the point fleet.servers = 1 is rejected: "),
])
def test_bad_axes_are_rejected_before_anything_runs(tmp_path: Path, axes: Dict[str, Any], expected: str) -> None:
    with pytest.raises(wsfleet.SweepError) as info:
        wsfleet.sweep(TINY, axes, out=tmp_path / "out", workers=0)
    assert expected in str(info.value)
    assert not (tmp_path / "out").exists()


def test_toml_sweep_table(tmp_path: Path) -> None:
    path = write_tiny(tmp_path, """
[sweep]
method = "grid"
replications = 2
[sweep.axes]
"fleet.servers" = [3, 4]
balancer.policy = ["round_robin", "least_connections"]
clients.messages_per_minute = {low = 1.0, high = 4.0, steps = 2}
""")
    sw = wsfleet.Sweep(path)
    assert len(sw) == 8 and sw.replications == 2
    assert [a.key for a in sw.axes] == ["fleet.servers", "balancer.policy", "clients.messages_per_minute"]
    assert sw.points[-1] == {"fleet.servers": 4, "balancer.policy": "least_connections",
                             "clients.messages_per_minute": 4.0}
    # Arguments win over the table.
    assert wsfleet.Sweep(path, replications=3).replications == 3
    # `wsfleet run` and `wsfleet check` accept the file and run its base scenario.
    assert wsfleet.check(path) == wsfleet.check(TINY)


def test_toml_sweep_table_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = write_tiny(tmp_path, "\n[sweep]\nreplicatons = 2\n[sweep.axes]\n\"fleet.servers\" = [3]\n")
    with pytest.raises(wsfleet.SweepError, match=r"tiny.toml: unknown key 'replicatons' in \[sweep\]; did you mean "
                                                 r"'replications'\?"):
        wsfleet.Sweep(path)
    path = write_tiny(tmp_path, "\n[sweep]\nreplications = 2\n")
    with pytest.raises(wsfleet.SweepError, match="no axes"):
        wsfleet.Sweep(path)
    path = write_tiny(tmp_path, "\n[sweep.axes]\n\"fleet.servers\" = {low = 3}\n")
    with pytest.raises(wsfleet.SweepError, match=r"\[sweep.axes\]: axis 'fleet.servers': a range needs low and high"):
        wsfleet.Sweep(path)


# ------------------------------------------------------------------------------------------------
# Seeding and the results table


def test_rows_are_the_runs_of_wsfleet_run(tmp_path: Path) -> None:
    result = wsfleet.sweep(TINY, AXES, out=tmp_path / "out", replications=2, workers=0)
    frame = result.frame
    assert len(frame) == 4 * 2
    assert list(frame.columns[:6]) == ["point", "point_id", "replication", "seed", "fleet.servers", "balancer.policy"]
    assert (frame["seed"] == 5).all()  # common random numbers: the scenario's run.seed for every point
    for _, row in frame.iterrows():
        alone = wsfleet.run(TINY, overrides={"fleet.servers": int(row["fleet.servers"]),
                                             "balancer.policy": row["balancer.policy"]},
                            seed=5, replication=int(row["replication"])).summary
        assert row["connections.attempted"] == alone["connections"]["attempted"]
        assert row["connections.rejected"] == alone["connections"]["rejected"]
        assert row["messages.latency_ms.p99"] == alone["messages"]["latency_ms"]["p99"]
        assert row["faults.0.reconnected_within_s"] == alone["faults"][0]["reconnected_within_s"] or (
            math.isnan(row["faults.0.reconnected_within_s"]) and alone["faults"][0]["reconnected_within_s"] is None)
        rejected = alone["connections"]["rejected"] / alone["connections"]["attempted"]
        assert row["connections.rejected_fraction"] == pytest.approx(rejected)
    # One pandas call reads the same table.
    direct = pd.read_parquet(tmp_path / "out" / "results")
    direct = direct.sort_values(["point", "replication"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(direct, frame, check_like=False)


def test_a_point_is_the_same_wherever_it_sits_in_a_sweep(tmp_path: Path) -> None:
    """Replication r of point p does not depend on the other points, their order or the seed of
    independent streams: a point's seed is a function of the sweep seed and its values only."""
    for crn in (True, False):
        small = wsfleet.sweep(TINY, {"fleet.servers": [4]}, out=tmp_path / f"a{crn}", replications=2, workers=0,
                              common_random_numbers=crn).frame
        large = wsfleet.sweep(TINY, {"fleet.servers": [2, 3, 4]}, out=tmp_path / f"b{crn}", replications=2,
                              workers=0, common_random_numbers=crn).frame
        same = large[large["fleet.servers"] == 4].drop(columns=["point"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(deterministic(same), deterministic(small.drop(columns=["point"])))
        seeds = large.groupby("fleet.servers")["seed"].first()
        assert (seeds.nunique() == 1) == crn
    # Replications are independent streams: they differ.
    assert small["messages.latency_ms.mean"].nunique() == 2


def test_aggregate_gives_the_t_interval(tmp_path: Path) -> None:
    result = wsfleet.sweep(TINY, {"fleet.servers": [3, 4]}, out=tmp_path / "out", replications=4, workers=0)
    agg = result.aggregate(metrics=["messages.latency_ms.mean"], confidence=0.9)
    assert list(agg["fleet.servers"]) == [3, 4]
    for _, row in agg.iterrows():
        values = result.frame[result.frame["fleet.servers"] == row["fleet.servers"]]["messages.latency_ms.mean"]
        half = t_quantile(0.95, 3) * values.std(ddof=1) / 2.0
        assert row["mean"] == pytest.approx(values.mean())
        assert row["ci_half_width"] == pytest.approx(half)
        assert row["ci_low"] == pytest.approx(values.mean() - half) and row["n"] == 4
    # The aggregate is written next to the results, for every numeric metric.
    written = pd.read_parquet(tmp_path / "out" / "aggregate.parquet")
    assert {"connections.rejected_fraction", "recovery_s"} <= set(written["metric"])
    assert mean_ci([1.0, 2.0, 3.0], 0.95)[1] == pytest.approx(t_quantile(0.975, 2) / math.sqrt(3))


# ------------------------------------------------------------------------------------------------
# Interruption, resume, worker failure


def test_aggregate_equals_the_interval_of_each_group_computed_alone() -> None:
    """aggregate() sums each point's block of rows with numpy; every figure equals mean_ci and the
    standard deviation of that point's values alone, with NaN skipped, an infinite value making the
    interval infinite, unequal replication counts, and points not in order."""
    rng = np.random.default_rng(3)
    rows = []
    for p, reps in [(3, 3), (0, 1), (2, 5), (1, 2)]:
        for r in range(reps):
            rows.append({"point": p, "point_id": f"id{p}", "replication": r, "seed": 1, "fleet.servers": p + 2,
                         "a": rng.normal(), "b": [1.0, math.inf, 2.0, math.nan, 3.0][r],
                         "c": math.nan if p == 1 else float(rng.integers(0, 9)), "flag": True, "wall_seconds": 0.1})
    frame = pd.DataFrame(rows)
    agg = wsfleet.aggregate(frame, axes=["fleet.servers"], confidence=0.9)
    assert list(agg["point"]) == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3 and list(agg["metric"][:3]) == ["a", "b", "c"]
    assert list(agg["fleet.servers"][::3]) == [2, 3, 4, 5] and list(agg["point_id"][::3]) == ["id0", "id1", "id2", "id3"]
    for rec in agg.to_dict("records"):
        values = frame.loc[frame["point"] == rec["point"], rec["metric"]].tolist()
        mean, half, n = mean_ci(values, 0.9)
        assert rec["n"] == n
        for got, want in ((rec["mean"], mean), (rec["ci_half_width"], half)):
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, rel=1e-12)
        finite = [v for v in values if math.isfinite(v)]
        if n >= 2 and not any(math.isinf(v) for v in values):
            assert rec["std"] == pytest.approx(np.std(finite, ddof=1), rel=1e-12)
            assert rec["ci_low"] == pytest.approx(mean - half, rel=1e-12)
        else:
            assert math.isnan(rec["std"])


def test_interrupted_sweep_resumes_with_only_the_missing_points(tmp_path: Path, monkeypatch) -> None:
    reference = wsfleet.sweep(TINY, AXES, out=tmp_path / "ref", replications=2, workers=0).frame
    out = tmp_path / "out"
    calls = []

    def interrupt_after_five(task):
        if len(calls) == 5:
            raise KeyboardInterrupt
        calls.append(task.key)
        return sweep_helpers.run_task(task)

    with pytest.raises(KeyboardInterrupt):
        wsfleet.Sweep(TINY, AXES, replications=2).run(out, workers=0, _task_fn=interrupt_after_five)
    saved = wsfleet.load_sweep(out)
    assert sorted(saved["point"].unique()) == [0, 1]  # 5 tasks: two whole points, the third lost
    before = {p: p.stat().st_mtime_ns for p in (out / "results").glob("*.parquet")}

    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(sweep_helpers.MARKERS, str(markers))
    resumed = wsfleet.Sweep(TINY, AXES, replications=2).run(out, workers=0, _task_fn=sweep_helpers.counted).frame
    assert sorted(m.name for m in markers.iterdir()) == ["ran-2-0", "ran-2-1", "ran-3-0", "ran-3-1"]
    assert all(p.stat().st_mtime_ns == t for p, t in before.items())  # finished points are not rewritten
    pd.testing.assert_frame_equal(deterministic(resumed), deterministic(reference))
    # A finished sweep run again computes nothing.
    for m in markers.iterdir():
        m.unlink()
    wsfleet.Sweep(TINY, AXES, replications=2).run(out, workers=0, _task_fn=sweep_helpers.counted)
    assert list(markers.iterdir()) == []


def test_a_part_with_one_flipped_byte_is_computed_again(tmp_path: Path, monkeypatch) -> None:
    """Truncated parts were redone, but a byte flipped in a data page read back as valid numbers
    (1,099,511,684,026 connections). Each part is checked against the SHA-256 written beside it; the
    points of a part that fails are computed again (all of them, and only them)."""
    import pyarrow.parquet as pq

    from wsfleet import _store

    monkeypatch.setattr(_store, "GROUP_MAX_ROWS", 4)  # groups of two points (of two replications)
    out = tmp_path / "out"
    reference = wsfleet.Sweep(TINY, AXES, replications=2).run(out, workers=0).frame
    parts = sorted((out / "results").glob("part-*.parquet"))
    assert [pq.read_metadata(p).num_rows for p in parts] == [4, 4]
    part = parts[1]
    held = pq.read_table(part, columns=["point", "replication"]).to_pylist()
    data = bytearray(part.read_bytes())
    data[len(data) // 3] ^= 0x10
    part.write_bytes(bytes(data))
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv(sweep_helpers.MARKERS, str(markers))
    resumed = wsfleet.Sweep(TINY, AXES, replications=2).run(out, workers=0, _task_fn=sweep_helpers.counted).frame
    ran = sorted(m.name for m in markers.iterdir())
    assert ran == sorted(f"ran-{r['point']}-{r['replication']}" for r in held)
    assert len(ran) == 4
    pd.testing.assert_frame_equal(deterministic(resumed), deterministic(reference))
    assert sorted(p.name for p in (out / "results").iterdir() if p.name.startswith(".")) == sorted(
        f".{p.name}.sha256" for p in (out / "results").glob("part-*.parquet"))


def test_a_different_sweep_into_the_same_directory_is_refused(tmp_path: Path) -> None:
    wsfleet.sweep(TINY, {"fleet.servers": [3]}, out=tmp_path / "out", workers=0)
    with pytest.raises(wsfleet.SweepError, match="differs in axes"):
        wsfleet.sweep(TINY, {"fleet.servers": [4]}, out=tmp_path / "out", workers=0)
    result = wsfleet.sweep(TINY, {"fleet.servers": [4]}, out=tmp_path / "out", workers=0, overwrite=True)
    assert list(result.frame["fleet.servers"]) == [4]


def test_a_killed_worker_is_replaced_and_its_points_retried(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(sweep_helpers.MARKERS, str(tmp_path))
    reference = wsfleet.sweep(TINY, AXES, out=tmp_path / "ref", replications=2, workers=0).frame
    result = wsfleet.Sweep(TINY, AXES, replications=2).run(tmp_path / "out", workers=2,
                                                            _task_fn=sweep_helpers.die_once)
    assert (tmp_path / "died-1-0").exists() or (tmp_path / "died-1-1").exists()
    pd.testing.assert_frame_equal(deterministic(result.frame), deterministic(reference))


def test_workers_do_not_load_scipy_and_give_the_in_process_table(tmp_path: Path) -> None:
    """A worker returns its run's row; the driver gathers the rows and encodes the groups' parts. A
    worker starts without SciPy (the steady-state figures use the t quantiles written out in
    wsfleet._steady; importing SciPy took most of a worker's start-up), and the table is the same
    with 2 workers as in this process. It loads pandas (which brings pyarrow): the run's verdict is
    measured on its time series as frames (wsfleet._point_verdicts), about 0.3 s once per worker."""
    sampled = TINY.replace("sample_interval_s = 10", "sample_interval_s = 1")  # enough samples for MSER-5
    result = wsfleet.Sweep(sampled, AXES, replications=2).run(tmp_path / "w", workers=2,
                                                              _task_fn=sweep_helpers.report_modules).frame
    assert result["steady_state.connections.reliable"].all()  # the steady-state figures were computed
    flags = ["worker.pandas", "worker.pyarrow", "worker.scipy", "worker.numpy"]
    assert not result["worker.scipy"].any(), result[flags]
    assert result["verdict.status"].notna().all()  # the verdict was measured in the worker
    reference = wsfleet.sweep(sampled, AXES, out=tmp_path / "ref", replications=2, workers=0).frame
    pd.testing.assert_frame_equal(deterministic(result.drop(columns=flags)), deterministic(reference))


def test_a_task_that_always_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    with pytest.raises(wsfleet.SweepError) as info:
        wsfleet.Sweep(TINY, AXES, replications=1).run(tmp_path / "out", workers=2, retries=1,
                                                       _task_fn=sweep_helpers.die_always_on_point_2)
    message = str(info.value)
    assert "point 2 replication 0: WorkerLost" in message and "run the same sweep again" in message
    assert "point 0" not in message and "point 1 " not in message and "point 3" not in message
    # The tasks that shared the pool with it were run again and saved.
    assert set(wsfleet.load_sweep(tmp_path / "out")["point"]) == {0, 1, 3}


# ------------------------------------------------------------------------------------------------
# The command line


def test_cli_sweep_runs_the_toml_sweep(tmp_path: Path) -> None:
    path = write_tiny(tmp_path, "\n[sweep]\nreplications = 2\n[sweep.axes]\n\"fleet.servers\" = [3, 4]\n")
    proc = cli("sweep", path, "--out", tmp_path / "out", "--workers", "0", "--quiet")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_parquet(tmp_path / "out" / "results")
    assert len(frame) == 4 and set(frame["fleet.servers"]) == {3, 4}
    python = wsfleet.Sweep(path).run(tmp_path / "py", workers=0).frame
    pd.testing.assert_frame_equal(deterministic(wsfleet.load_sweep(tmp_path / "out")), deterministic(python))
    # --axis replaces the table's axes.
    proc = cli("sweep", path, "--out", tmp_path / "axis", "--workers", "0", "-q", "--axis", "backoff.base_s=0.5:2:3:log",
               "--replications", "1")
    assert proc.returncode == 0, proc.stderr
    assert list(wsfleet.load_sweep(tmp_path / "axis")["backoff.base_s"]) == pytest.approx([0.5, 1.0, 2.0])


def test_cli_sweep_seed_beyond_run_seed_is_refused_at_validation(tmp_path: Path) -> None:
    """2^63 passed validation, then every point failed (run.seed is a signed 64-bit TOML integer)."""
    path = write_tiny(tmp_path)
    stderr = assert_clean_failure(cli("sweep", path, "--out", tmp_path / "out", "--seed", "9223372036854775808",
                                      "--axis", "fleet.servers=2,3"))
    assert "seed must be a whole number from 0 to 9223372036854775807 (got 9223372036854775808)" in stderr
    assert not (tmp_path / "out").exists()


def _lost_worker(task: Any) -> Any:
    raise RuntimeError("worker died")


def test_points_lost_at_run_time_are_an_error_not_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    """Every point was validated first: points that fail while running exit 1 (error), not 2 (bad input)."""
    import importlib
    sweep_module = importlib.import_module("wsfleet.sweep")
    sw = wsfleet.Sweep(TINY, AXES)
    with pytest.raises(sweep_module.PointsFailed, match="point.s. failed"):
        sw.run(tmp_path / "out", workers=0, _task_fn=_lost_worker)
    real_run = sweep_module.Sweep.run
    monkeypatch.setattr(sweep_module.Sweep, "run",
                        lambda self, out, **kw: real_run(self, out, **{**kw, "_task_fn": _lost_worker}))
    path = write_tiny(tmp_path)
    assert sweep_module.main([str(path), "--out", str(tmp_path / "cli"), "--axis", "fleet.servers=2,3",
                              "--workers", "0", "-q"]) == 1
    assert "2 of 2 point(s) failed" in capsys.readouterr().err


def test_cli_sweep_bad_axis_is_bad_input(tmp_path: Path) -> None:
    path = write_tiny(tmp_path)
    stderr = assert_clean_failure(cli("sweep", path, "--out", tmp_path / "out", "--axis", "fleet.srvers=2,3"))
    assert "axis 'fleet.srvers' = 2 is rejected: unknown key 'srvers' in [fleet]; did you mean 'servers'?" in stderr
    assert not (tmp_path / "out").exists()
    help_text = cli("sweep", "--help")
    assert help_text.returncode == 0 and "--scheduler" in help_text.stdout and "wsfleet sweep" in help_text.stdout


def committed(out: Path) -> Dict[Path, int]:
    """The parts in place (each with its checksum), by path: their modification times."""
    found = {}
    for part in (out / "results").glob("part-*.parquet"):
        if part.with_name(f".{part.name}.sha256").exists():
            found[part] = part.stat().st_mtime_ns
    return found


def test_cli_sweep_killed_mid_run_resumes(tmp_path: Path) -> None:
    """The whole coordinator is killed (SIGKILL) while points are running, after some groups were
    committed; running the command again finishes the sweep without computing a committed point
    again, and the table equals that of an uninterrupted sweep."""
    import pyarrow.parquet as pq

    path = write_tiny(tmp_path, "\n[sweep]\nreplications = 3\n[sweep.axes]\n"
                                "\"clients.count\" = {low = 4000, high = 12000, steps = 12}\n")
    out = tmp_path / "out"
    slow = ["--set", "run.duration_s=3000"]  # runs of 0.1-0.4 s: the sweep outlasts its first group commit (1 s) several times
    env = dict(os.environ, WSFLEET_PYTHON=sys.executable)
    proc = subprocess.Popen([wsfleet_exe(), "sweep", str(path), "--out", str(out), "--workers", "1", "-q", *slow],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not committed(out):
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = committed(out)
    points = {pid for part in before for pid in pq.read_table(part, columns=["point_id"]).column(0).to_pylist()}
    assert 1 <= len(points) < 12, points  # killed mid-sweep
    finish = cli("sweep", path, "--out", out, "--workers", "1", "-q", *slow)
    assert finish.returncode == 0, finish.stderr
    assert all(committed(out).get(p) == t for p, t in before.items())  # committed points are not redone
    reference = wsfleet.Sweep(path, overrides=slow[1:]).run(tmp_path / "ref", workers=0).frame
    pd.testing.assert_frame_equal(deterministic(wsfleet.load_sweep(out)), deterministic(reference))
    assert np.isfinite(reference["connections.attempted"]).all()


def _children(pid: int) -> list:
    """Pids of the live processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_die_with_a_killed_driver(tmp_path: Path) -> None:
    """kill -9 of the driver alone (not its process group) used to leave its workers blocked forever."""
    code = ("import wsfleet, sweep_helpers; wsfleet.Sweep(%r, {'fleet.servers': [2, 3, 4, 5]}).run("
            "%r, workers=2, _task_fn=sweep_helpers.hang_on_point_1)") % (TINY, str(tmp_path / "out"))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent))
    driver = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)
    workers: list = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [w for w in _children(driver.pid)
                       if "wsfleet._workers" in Path(f"/proc/{w}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) >= 2, "the workers never started"
        time.sleep(3)  # the workers are busy (one hangs)
        driver.kill()
        driver.wait()
        deadline = time.monotonic() + 20
        alive = workers
        while time.monotonic() < deadline and alive:
            time.sleep(0.2)
            alive = [w for w in alive if Path(f"/proc/{w}").exists()
                     and Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
        assert not alive, f"orphaned workers: {alive}"
    finally:
        driver.kill()
        for w in workers:  # never leave one behind, even when the test fails
            try:
                os.kill(w, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_cli_sweep_interrupted_by_ctrl_c_exits_130_and_resumes(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the terminal's process group) ended `wsfleet sweep` by the signal; now the
    sweep saves what is done and exits 130, and running it again finishes it."""
    path = write_tiny(tmp_path, "\n[sweep]\nreplications = 3\n[sweep.axes]\n"
                                "\"clients.count\" = {low = 4000, high = 12000, steps = 30}\n")  # long enough to be interrupted
    out = tmp_path / "out"
    slow = ["--set", "run.duration_s=200"]  # runs of 10-60 ms: groups of a second, a few seconds in all
    env = dict(os.environ, WSFLEET_PYTHON=sys.executable)
    # Started as a terminal's shell starts a job: SIGINT at its default. (Now and then the test process
    # itself was found ignoring SIGINT when this test ran after the others, and a child inherits that.)
    proc = subprocess.Popen([wsfleet_exe(), "sweep", str(path), "--out", str(out), "--workers", "1", "-q", *slow],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not committed(out):
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted; finished points are saved" in stderr and "Traceback" not in stderr
    finish = cli("sweep", path, "--out", out, "--workers", "1", "-q", *slow)
    assert finish.returncode == 0, finish.stderr
    assert len(wsfleet.load_sweep(out)) == 90


@pytest.mark.parametrize("df, p, expected", [(1, 0.975, 12.7062), (2, 0.975, 4.3027), (4, 0.95, 2.1318),
                                             (9, 0.975, 2.2622), (29, 0.995, 2.7564), (200, 0.975, 1.9719)])
def test_student_t_quantiles_match_the_tables(df: int, p: float, expected: float) -> None:
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-4)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=1e-4)


def test_a_run_over_the_time_limit_is_ended_and_reported(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(wsfleet.SweepError) as info:
        wsfleet.Sweep(TINY, AXES).run(tmp_path / "out", workers=2, retries=0, timeout_s=1,
                                      _task_fn=sweep_helpers.hang_on_point_1)
    assert time.monotonic() - start < 30
    assert "point 1 replication 0: WorkerLost" in str(info.value) and "1 s time limit" in str(info.value)
    assert set(wsfleet.load_sweep(tmp_path / "out")["point"]) == {0, 2, 3}
    with pytest.raises(wsfleet.SweepError, match="worker processes"):
        wsfleet.sweep(TINY, AXES, out=tmp_path / "serial", workers=0, timeout_s=5)
