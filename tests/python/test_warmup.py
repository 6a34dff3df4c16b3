"""MSER-5 warm-up detection (wsfleet._warmup): a hand-computed case, synthetic series with a known
transient, a stationary series, a drifting one; and the steady-state figures of real runs."""
from __future__ import annotations

import math

import numpy as np
import pytest

import wsfleet
from wsfleet._task import steady_state_metrics
from wsfleet._warmup import mser5

from test_sweep import TINY


def test_hand_computed_case() -> None:
    # Batch means Z = 5, 1, 1, 1, 1, 1, 1, 1 (b = 8, d searched 0..3).
    # MSER(0) = ((5 - 1.5)^2 + 7 (1 - 1.5)^2) / 8^2 = 14 / 64; MSER(1) = 0: one batch (5 samples) cut.
    x = [5.0] * 5 + [1.0] * 35
    w = mser5(x, times=[float(i + 1) for i in range(40)])
    assert w.truncated == 5
    assert w.batches == 8
    assert w.mser == 0.0
    assert w.steady_mean == 1.0
    assert w.warmup_end_s == 6.0  # the first kept sample's time
    assert w.reliable


def test_a_known_transient_is_cut_where_it_ends() -> None:
    # 60 samples falling linearly from 50 to ~0, then N(0, 1) noise for 440 samples.
    rng = np.random.default_rng(11)
    transient = np.linspace(50.0, 0.0, 60, endpoint=False)
    x = np.concatenate([transient + rng.normal(0, 1, 60), rng.normal(0, 1, 440)])
    w = mser5(x)
    assert 45 <= w.truncated <= 75
    assert w.reliable
    assert abs(w.steady_mean) < 0.3  # the transient no longer biases the mean
    assert abs(float(x.mean())) > 2.0  # while the whole-series mean is far off (about 3)


def test_a_stationary_series_keeps_almost_everything() -> None:
    rng = np.random.default_rng(3)
    x = 10 + rng.normal(0, 2, 1000)
    w = mser5(x)
    assert w.truncated <= 100
    assert w.reliable
    assert abs(w.steady_mean - 10) < 0.3


def test_a_series_that_never_settles_is_flagged() -> None:
    w = mser5(np.linspace(0, 100, 500))
    assert not w.reliable
    assert "no steady state" in w.text("connections")


def test_bad_series_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        mser5([1.0] * 9)
    with pytest.raises(ValueError, match="NaN"):
        mser5([1.0] * 9 + [math.nan])


def test_steady_state_of_a_run() -> None:
    r = wsfleet.run(TINY, overrides={"run.duration_s": 200, "run.sample_interval_s": 2})
    table = r.steady_state()
    assert list(table["column"]) == ["connections", "cpu_utilisation"]
    row = table.set_index("column").loc["connections"]
    times = r.fleet["time_s"]
    assert times.min() <= row["warmup_end_s"] <= times.max()
    kept = r.fleet[r.fleet["time_s"] >= row["warmup_end_s"]]["connections"]
    # The steady mean is the mean of the whole batches after the warm-up.
    whole = (len(r.fleet) // 5) * 5
    assert row["steady_mean"] == pytest.approx(kept.iloc[:whole - int(row["warmup_samples"])].mean())
    with pytest.raises(KeyError, match="has no column 'nope'"):
        r.steady_state(["nope"])


def test_study_rows_record_the_steady_state() -> None:
    t = np.arange(1, 51, dtype=float)
    values = np.concatenate([np.zeros(10), np.full(40, 7.0)])
    out = steady_state_metrics({"time_s": t, "connections": values, "cpu_utilisation": values / 10})
    assert out["steady_state.connections.mean"] == 7.0
    assert out["steady_state.connections.warmup_s"] == 11.0
    assert out["steady_state.connections.reliable"] is True
    short = steady_state_metrics({"time_s": t[:4], "connections": values[:4], "cpu_utilisation": values[:4]})
    assert math.isnan(short["steady_state.connections.mean"]) and short["steady_state.connections.reliable"] is False
