"""The steady-state figure of one time series of a run: the warm-up MSER-5 finds (wsfleet._warmup),
the mean of what is left with a confidence interval from batch means, and whether the series is
in a steady state at all.

Batch means (Law and Kelton, "Simulation Modeling and Analysis", 3rd ed., section 9.5.3; Schmeiser,
"Batch size effects in the analysis of simulation output", Operations Research 30(3), 1982, for
10 to 30 batches): the samples kept after the warm-up are cut into k = BATCHES batches of m
consecutive samples (the few that do not fill a batch are dropped right after the warm-up, so that
the last batch ends with the run); the batch means Y_1..Y_k are taken as independent, and the
half-width is  t(1 - a/2, k - 1) s(Y) / sqrt(k), around the steady-state mean MSER-5 reports (the
mean of every whole batch of 5 after the warm-up, as RunResult.steady_state() and the sweeps' rows
have it; it uses up to k - 1 samples more than the batches, which only makes the interval wider).

No steady state is claimed when
- MSER-5's cut lies at the middle of the run (the series still drifts there: Warmup.reliable), or
- the last batch (the end of the run) lies outside the 99 % prediction interval of the other k - 1
  batch means, mean(Y_1..k-1) ± t(0.995, k - 2) s(Y_1..k-1) sqrt(1 + 1/(k - 1)): the run ended in
  a transient (a storm after a late crash, a ramp still going).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from wsfleet._warmup import BATCH, Warmup, as_floats, mean_std, mser5

__all__ = ["BATCHES", "END_CONFIDENCE", "NEED", "SteadyFigure", "steady_figure", "steady_after"]

#: Batches of the batch-means interval.
BATCHES = 10
#: Finite samples a steady-state figure needs: two MSER-5 batches, and two samples per batch mean.
NEED = max(2 * BATCH, BATCHES * 2)
#: The prediction interval's level for "the end of the run is not the steady state".
END_CONFIDENCE = 0.99
#: scipy.stats.t.ppf(0.975, BATCHES - 1) and scipy.stats.t.ppf(0.995, BATCHES - 2), written out so
#: that a sweep's worker process, which computes every run's steady state, need not load SciPy (a
#: second or more at its start); tests/python/test_steady_report.py checks them against SciPy.
T_975_9 = 2.262157162798205
T_995_8 = 3.355387331333395


def _t(p: float, df: int) -> float:
    if (p, df) == (0.975, BATCHES - 1):
        return T_975_9
    if (p, df) == (0.995, BATCHES - 2):
        return T_995_8
    from wsfleet._stats import t_quantile  # SciPy, only for another confidence: not at a worker's start

    return t_quantile(p, df)


@dataclass(frozen=True)
class SteadyFigure:
    """What the report says of one series."""
    samples: int                   # finite samples in the series
    truncated: int                 # samples MSER-5 discards as warm-up
    warmup_end_s: Optional[float]  # the time of the first kept sample
    mean: float                    # MSER-5's steady-state mean (NaN: too short)
    half_width: float              # of its confidence interval from the batch means (NaN: too short)
    batches: int                   # k (0: too short)
    batch_size: int                # m samples per batch
    confidence: float
    reliable: bool                 # MSER-5's cut lies before the middle of the run
    end_mean: float                # the last batch's mean (the end of the run)
    end_low: float                 # the prediction interval the end is checked against
    end_high: float
    steady: bool                   # a steady state was found: reliable and the end within the interval
    why: str                       # "" when steady, else why not, in words


def _too_short(n: int, why: str) -> SteadyFigure:
    nan = math.nan
    return SteadyFigure(n, 0, None, nan, nan, 0, 0, 0.95, False, nan, nan, nan, False, why)


def _too_few(n: int) -> SteadyFigure:
    return _too_short(n, f"the run has {n} samples; at least {NEED} are needed")


def steady_figure(values: Sequence[float], times: Optional[Sequence[float]] = None,
                  confidence: float = 0.95) -> SteadyFigure:
    """The steady-state figure of `values` (in time order; NaN and infinite samples are left out)."""
    x = as_floats(values, "steady_figure")
    t = as_floats(times, "steady_figure") if times is not None else None
    keep = [math.isfinite(v) for v in x]
    x = [v for v, k in zip(x, keep) if k]
    t = [v for v, k in zip(t, keep) if k] if t is not None else None
    if len(x) < NEED:
        return _too_few(len(x))
    return steady_after(mser5(x, t), x, confidence)


def steady_after(w: Warmup, x: Sequence[float], confidence: float = 0.95) -> SteadyFigure:
    """The steady-state figure of the finite series `x` whose warm-up MSER-5 has cut (w = mser5(x, times)),
    for a caller that has w already (a sweep's worker records both)."""
    if len(x) < NEED:
        return _too_few(len(x))
    b = len(x) // BATCH
    tail = x[w.truncated:b * BATCH]
    m = len(tail) // BATCHES
    if m < 1:
        return _too_short(len(x), f"only {len(tail)} samples are left after the warm-up")
    used = tail[len(tail) - BATCHES * m:]
    y = [math.fsum(used[j:j + m]) / m for j in range(0, BATCHES * m, m)]
    mean = w.steady_mean
    s = mean_std(y)[1]
    half = _t(0.5 + confidence / 2.0, BATCHES - 1) * s / math.sqrt(BATCHES)
    rest_mean, rest_s = mean_std(y[:-1])
    spread = _t(0.5 + END_CONFIDENCE / 2.0, BATCHES - 2) * rest_s * math.sqrt(1 + 1 / (BATCHES - 1))
    low, high = rest_mean - spread, rest_mean + spread
    end = y[-1]
    # A constant series (spread 0) has its end "within" when it is the same value.
    end_ok = low - 1e-12 * max(1.0, abs(rest_mean)) <= end <= high + 1e-12 * max(1.0, abs(rest_mean))
    why = ""
    if not w.reliable:
        why = "MSER-5's cut lies at the middle of the run: the series still drifts there"
    elif not end_ok:
        why = "the run ended in a transient: the last tenth of the kept samples lies outside the range of the rest"
    return SteadyFigure(len(x), w.truncated, w.warmup_end_s, mean, half, BATCHES, m, confidence, w.reliable, end,
                        low, high, w.reliable and end_ok, why)
