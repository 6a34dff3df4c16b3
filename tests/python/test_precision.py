"""Precision-driven replication (wsfleet._precision, Sweep(precision=...)): Law and Kelton's
replication estimate against a hand computation, the procedure on a metric of known variance, the
cap, resuming, and a real small sweep with its report and command line."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import wsfleet
from wsfleet._precision import Precision, replications_needed
from wsfleet._task import Task
from wsfleet.sweep import SweepError, load_sweep

from test_sweep import TINY
from wsfleet_testing import cli

PILOT = 3


def test_replications_needed_by_hand() -> None:
    # mean 10, s = sqrt(2); ±5 % is a half-width of at most 0.5: t(0.975, i - 1) sqrt(2) / sqrt(i) <= 0.5.
    # i = 33: 2.0369 * 1.4142 / 5.7446 = 0.5015 (too wide); i = 34: 2.0345 * 1.4142 / 5.8310 = 0.4934.
    assert replications_needed([9.0, 11.0], 0.05, 100) == 34
    half = lambda i: stats.t.ppf(0.975, i - 1) * math.sqrt(2) / math.sqrt(i)  # noqa: E731
    assert half(33) > 0.5 >= half(34)
    assert replications_needed([9.0, 11.0], 0.05, 20) == 20             # capped
    assert replications_needed([10.0, 10.0, 10.0], 0.05, 20) == 3       # no spread: met already
    assert replications_needed([math.nan] * 3, 0.05, 20) == 3           # not measured: does not hold back
    assert replications_needed([1.0, math.inf, 2.0], 0.05, 20) == 20    # never within a relative width
    assert replications_needed([-1.0, 1.0], 0.05, 20) == 20             # zero mean with a spread


def normal_metric(sigmas):
    """A task function: metric "x" ~ Normal(100, sigma of the point), its own stream per (point,
    replication): a known variance."""
    def fn(task: Task):
        rng = np.random.default_rng([task.point, task.replication, 7])
        return {"x": float(100.0 + sigmas[task.point] * rng.standard_normal())}
    return fn


def test_precision_on_a_metric_of_known_variance(tmp_path: Path) -> None:
    # sigma 0, 10 and 200 around 100, target ±5 %, at most 40 replications. Theory: n ≈ (1.96 sigma / 5)^2:
    # 0 (stays at the pilot), about 15 for sigma 10, about 6000 for sigma 200 (stops at the cap).
    sigmas = [0.0, 10.0, 200.0]
    sw = wsfleet.Sweep(TINY, {"fleet.servers": [2, 3, 4]}, precision=0.05, max_replications=40,
                       precision_metrics=["x"])
    assert sw.replications == PILOT
    result = sw.run(tmp_path / "sw", workers=0, progress=False, _task_fn=normal_metric(sigmas))
    points = result.precision().set_index("point")
    assert points.loc[0, "n"] == PILOT and points.loc[0, "stopped"] == "precision reached"
    assert 8 <= points.loc[1, "n"] <= 30 and points.loc[1, "stopped"] == "precision reached"
    assert points.loc[2, "n"] == 40 and points.loc[2, "stopped"] == "cap reached"
    detail = result.precision(by="metric").set_index("point")
    # The rule holds where it says so: half-width <= 5 % of the mean, from the rows themselves.
    rows = result.frame[result.frame["point"] == 1]["x"]
    n = len(rows)
    half = stats.t.ppf(0.975, n - 1) * rows.std(ddof=1) / math.sqrt(n)
    assert half <= 0.05 * abs(rows.mean())
    assert detail.loc[1, "ci_half_width"] == pytest.approx(half)
    # One replication fewer would not have met it (the procedure stops as soon as it can, or its
    # estimate overshot by a round at most): the interval at n - 1 is wider than the target or n is the estimate.
    assert detail.loc[2, "relative_half_width"] > 0.05
    # Replications are 0..n-1 of every point, with no gap, in (point, replication) order.
    for point, group in result.frame.groupby("point"):
        assert list(group["replication"]) == list(range(len(group)))
    assert load_sweep(tmp_path / "sw").equals(result.frame)
    # The aggregate's n is each point's own.
    agg = result.aggregate(["x"]).set_index("point")
    assert list(agg["n"]) == list(points["n"])


def test_resuming_ends_with_the_same_replications(tmp_path: Path) -> None:
    sigmas = [5.0, 10.0]
    fn = normal_metric(sigmas)
    whole = wsfleet.Sweep(TINY, {"fleet.servers": [3, 4]}, precision=0.05, max_replications=30,
                          precision_metrics=["x"]).run(tmp_path / "a", workers=0, progress=False, _task_fn=fn)
    calls = []

    def interrupted(task: Task):
        calls.append(task)
        if len(calls) == 9:  # in the second round
            raise KeyboardInterrupt
        return fn(task)

    sw = wsfleet.Sweep(TINY, {"fleet.servers": [3, 4]}, precision=0.05, max_replications=30, precision_metrics=["x"])
    with pytest.raises(KeyboardInterrupt):
        sw.run(tmp_path / "b", workers=0, progress=False, _task_fn=interrupted)
    resumed = sw.run(tmp_path / "b", workers=0, progress=False, _task_fn=fn)
    pd.testing.assert_frame_equal(resumed.frame, whole.frame)


def test_bad_precision_options_are_refused() -> None:
    with pytest.raises(SweepError, match="precision must be a relative half-width between 0 and 1"):
        wsfleet.Sweep(TINY, {"fleet.servers": [3]}, precision=5)
    with pytest.raises(SweepError, match="max_replications must be a whole number >= the first replications"):
        wsfleet.Sweep(TINY, {"fleet.servers": [3]}, precision=0.1, replications=4, max_replications=3)
    with pytest.raises(SweepError, match="need precision"):
        wsfleet.Sweep(TINY, {"fleet.servers": [3]}, max_replications=10)
    with pytest.raises(SweepError, match="a confidence interval needs two"):
        wsfleet.Sweep(TINY, {"fleet.servers": [3]}, precision=0.1, replications=1)
    with pytest.raises(SweepError, match=r"replications must be a whole number >= 1, or \"auto\""):
        wsfleet.Sweep(TINY, {"fleet.servers": [3]}, replications="many")
    with pytest.raises(SweepError, match="this sweep ran a fixed number of replications"):
        wsfleet.SweepResult(Path("."), pd.DataFrame(), []).precision()


def test_an_unknown_precision_metric_is_named_after_the_first_round(tmp_path: Path) -> None:
    sw = wsfleet.Sweep(TINY, {"fleet.servers": [3]}, replications="auto",
                       precision_metrics=["messages.latency_ms.p999x"])
    assert sw.precision is not None and sw.precision.relative == 0.05
    with pytest.raises(SweepError, match="'messages.latency_ms.p999x' is not a result column; did you mean "
                                         "'messages.latency_ms.p999'"):
        sw.run(tmp_path / "sw", workers=0, progress=False)


def test_a_real_sweep_to_precision_with_its_report(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    proc = cli("sweep", scenario, "--out", out, "--axis", "fleet.servers=3,4", "--precision", "0.1",
               "--max-replications", "6", "--precision-metric", "cpu.peak_utilisation",
               "--precision-metric", "connections.peak_per_server", "--workers", "0", "--report", timeout=600)
    assert proc.returncode == 0, proc.stderr
    frame = load_sweep(out)
    sizes = frame.groupby("point").size()
    assert sizes.min() >= PILOT and sizes.max() <= 6
    rule = Precision(0.1, 6, ("cpu.peak_utilisation", "connections.peak_per_server"))
    for point, group in frame.groupby("point"):
        ok = True
        for metric in rule.metrics:
            xs = group[metric].astype(float)
            n = len(xs)
            half = stats.t.ppf(0.975, n - 1) * xs.std(ddof=1) / math.sqrt(n)
            ok &= bool(half == 0 or half <= 0.1 * abs(xs.mean()))
        # Stopped early only with the precision reached; otherwise at the cap.
        assert ok or len(group) == 6
    assert "reached ±10.0%" in proc.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Replications were precision-driven" in page
    assert "Stopped because" in page
    assert "Steady state (warm-up removed by MSER-5)" in page


X = "handshake_latency_ms.p99"


def test_a_plan_replicates_each_size_to_precision(tmp_path: Path) -> None:
    # A stand-in for a metric column (a task function makes it): X = 1000 / servers + Normal(0, 5): the smallest fleet with x <= 150 is 7 (142.9; 6 gives 166.7).
    def fn(task: Task):
        servers = dict(task.row)["fleet.servers"]
        rng = np.random.default_rng([servers, task.replication, 3])
        return {X: float(1000.0 / servers + 5.0 * rng.standard_normal())}

    p = wsfleet.Plan(TINY, {X: 150}, replications=3, precision=0.02, max_replications=12)
    assert "3 to 12 replications" in p.question()
    result = p.run(tmp_path / "plan", workers=0, progress=False, _task_fn=fn)
    assert result.minimum == 7
    rule = Precision(0.02, 12, (X,))
    early = {e.value: e.early for e in result.best.evaluations}
    for point, group in result.frame.groupby("point"):
        n = len(group)
        assert 3 <= n <= 12 and list(group["replication"]) == list(range(n))
        xs = group[X]
        half = stats.t.ppf(0.975, n - 1) * xs.std(ddof=1) / math.sqrt(n)
        size = int(group["fleet.servers"].iloc[0])
        if half <= rule.relative * abs(xs.mean()) or n == 12:
            assert early[size] is None
            continue
        # Stopped before the precision: the one-sided 95 % bounds already decided the size.
        t = stats.t.ppf(0.95, n - 1) * xs.std(ddof=1) / math.sqrt(n)
        assert early[size] == ("meets" if xs.mean() + t <= 150 else "fails")
        assert xs.mean() + t <= 150 or xs.mean() - t > 150
    # Far from the threshold (1000/servers against 150), the search's first sizes are decided at once.
    assert any(e == "fails" for e in early.values()) and any(e == "meets" for e in early.values())
    assert len(result.frame) < 12 * result.frame["point"].nunique()
    # The same plan again reuses every run (no task is called).
    again = wsfleet.Plan(TINY, {X: 150}, replications=3, precision=0.02, max_replications=12).run(
        tmp_path / "plan", workers=0, progress=False, _task_fn=lambda task: pytest.fail("ran again"))
    assert again.minimum == 7
    auto = wsfleet.Plan(TINY, {X: 150}, replications="auto")
    assert auto.replications == 3 and auto.precision == Precision(0.05, 30, (X,))
    with pytest.raises(wsfleet.PlanError, match="max_replications needs precision"):
        wsfleet.Plan(TINY, {X: 150}, max_replications=9)
    page = again.report(plots=False).read_text(encoding="utf-8")
    assert "precision-driven" in page and "runs)" in page
    # The report lists each size decided early, with the runs it took.
    section = re.search(r'<h3 id="early">.*?</ul>', page, re.S).group(0)
    for size, decision in early.items():
        if decision is None:
            assert f"fleet.servers = {size}:" not in section
            continue
        n = int((result.frame["fleet.servers"] == size).sum())
        words = "fails after" if decision == "fails" else "meets every objective after"
        assert f"fleet.servers = {size}: {words} {n} runs" in section


def test_a_lost_part_is_computed_again(tmp_path: Path) -> None:
    fn = normal_metric([10.0])
    sw = wsfleet.Sweep(TINY, {"fleet.servers": [3]}, precision=0.05, max_replications=30, precision_metrics=["x"])
    whole = sw.run(tmp_path / "sw", workers=0, progress=False, _task_fn=fn)
    parts = sorted((tmp_path / "sw" / "results").glob("part-*~*.parquet"), key=lambda p: int(p.stem.split("~")[1]))
    assert parts, "the point got replications beyond the first 3 in parts of their own"
    parts[0].unlink()  # a gap: the replications after it cannot be trusted to follow on
    calls = []
    again = sw.run(tmp_path / "sw", workers=0, progress=False, _task_fn=lambda t: calls.append(t) or fn(t))
    assert calls and min(t.replication for t in calls) == PILOT
    pd.testing.assert_frame_equal(again.frame, whole.frame)


def test_plan_evaluations_carry_intervals_with_their_runs(tmp_path: Path) -> None:
    def fn(task: Task):
        servers = dict(task.row)["fleet.servers"]
        rng = np.random.default_rng([servers, task.replication, 4])
        return {X: float(1000.0 / servers + 5.0 * rng.standard_normal())}

    result = wsfleet.Plan(TINY, {X: 150}, replications=4).run(tmp_path / "plan", workers=0, progress=False,
                                                                _task_fn=fn)
    table = result.evaluations()
    assert set(table["fleet.servers"]) == {e.value for e in result.best.evaluations}
    for _, row in table.iterrows():
        xs = result.frame[result.frame["fleet.servers"] == row["fleet.servers"]][X]
        assert row["n"] == len(xs) == 4
        half = stats.t.ppf(0.975, 3) * xs.std(ddof=1) / 2.0
        assert row["ci_half_width"] == pytest.approx(half)
        assert row["upper_bound"] == pytest.approx(xs.mean() + stats.t.ppf(0.95, 3) * xs.std(ddof=1) / 2.0)
        assert row["passed"] == (row["upper_bound"] <= 150)


def test_lower_bound() -> None:
    from wsfleet._stats import lower_bound

    xs = [10.0, 12.0, 14.0]  # mean 12, s = 2
    assert lower_bound(xs, 0.95) == pytest.approx(12 - stats.t.ppf(0.95, 2) * 2 / math.sqrt(3))
    assert lower_bound([math.inf, math.inf]) == math.inf          # unbounded in every run: clearly above
    assert lower_bound([1.0, math.inf]) == -math.inf              # a mix claims nothing
    assert lower_bound([1.0, math.nan, 2.0]) == -math.inf         # nor does an undefined run
    assert lower_bound([5.0]) == -math.inf                        # nor a single run
