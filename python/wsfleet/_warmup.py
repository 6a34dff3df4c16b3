"""Warm-up detection with MSER-5 (the Marginal Standard Error Rule on batch means of 5), for the
steady-state figures of a run's time series.

White, Cobb and Spratt, "A comparison of five steady-state truncation heuristics for simulation",
Proc. 2000 Winter Simulation Conference; Franklin and White, "Stationarity tests and MSER-5:
exploring the intuition behind mean-squared-error-reduction in warm-up deletion", WSC 2008.
The series X_1..X_N is cut into b = floor(N / 5) batches of 5 and replaced by their means Z_1..Z_b
(what is left over at the end is not used). For each d = 0, 1, ... the rule computes

    MSER(d) = 1 / (b - d)^2 * sum_{j = d+1}^{b} (Z_j - mean(Z_{d+1..b}))^2

(the squared standard error of the mean of what is kept) and truncates the d* batches that minimise
it: the first 5 d* observations are the warm-up. The search covers the first half of the batches
only (d < b/2, as White et al. recommend: the statistic is unstable when few batches are left); a
minimum on the last d searched means MSER was still falling at the middle, i.e. the series has no
steady state long enough to judge (the run is too short or still drifting), which the result says
(`reliable` is False) rather than truncating most of the run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

__all__ = ["Warmup", "mser5", "mean_std", "as_floats", "BATCH"]

#: Observations per batch: the "5" of MSER-5.
BATCH = 5


@dataclass(frozen=True)
class Warmup:
    """MSER-5's answer for one series."""
    truncated: int           #: observations discarded as warm-up (a multiple of 5)
    batches: int             #: batch means the rule looked at
    mser: float              #: the minimum MSER statistic
    steady_mean: float       #: the mean of the observations kept (the whole batches after the warm-up)
    steady_std: float        #: their standard deviation
    reliable: bool           #: the minimum lies in the first half of the batches
    warmup_end_s: Optional[float] = None  #: the time of the first kept observation, when times were given

    def text(self, column: str = "the series", unit: str = "") -> str:
        unit = f" {unit}" if unit else ""
        if not self.reliable:
            return (f"{column}: no steady state found (MSER-5's truncation point lies past the middle of the run): "
                    f"the run is too short or {column} still drifts; the steady-state mean is not meaningful")
        at = f" (the first {self.warmup_end_s:g} s)" if self.warmup_end_s is not None else ""
        return (f"{column}: warm-up of {self.truncated} samples{at} found by MSER-5; steady-state mean "
                f"{self.steady_mean:.4g}{unit} over the rest")


def as_floats(values: Sequence[float], what: str) -> List[float]:
    """`values` as a list of floats (a list, a tuple, a numpy array or a pandas Series)."""
    try:  # (a 2-D array's or a list of lists' items are no numbers)
        return [float(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]
    except TypeError:
        raise ValueError(f"{what}: expected one series (a 1-D sequence)") from None


def mean_std(x: Sequence[float]) -> Tuple[float, float]:
    """The mean of x and its standard deviation with n - 1 (NaN below two values), from exactly
    rounded sums (math.fsum)."""
    n = len(x)
    mean = math.fsum(x) / n
    if n < 2:
        return mean, math.nan
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in x) / (n - 1))


def mser5(values: Sequence[float], times: Optional[Sequence[float]] = None) -> Warmup:
    """MSER-5 over `values` (in time order; NaN values are not allowed). `times`: each value's time,
    to report where the warm-up ends. At least 10 values (two batches) are needed. In plain Python
    (a sweep's worker computes it for every run without loading numpy)."""
    x = as_floats(values, "mser5")
    if not all(math.isfinite(v) for v in x):
        raise ValueError("mser5: the series has NaN or infinite values")
    b = len(x) // BATCH
    if b < 2:
        raise ValueError(f"mser5: needs at least {2 * BATCH} values (got {len(x)})")
    z = [math.fsum(x[j:j + BATCH]) / BATCH for j in range(0, b * BATCH, BATCH)]
    # Suffix sums give every d's mean and sum of squares in one pass, from the end.
    sums = [0.0] * b      # sum of Z_{d+1..b}, d = 0..b-1
    squares = [0.0] * b
    total = total2 = 0.0
    for d in range(b - 1, -1, -1):
        total += z[d]
        total2 += z[d] * z[d]
        sums[d], squares[d] = total, total2
    half = max(1, b // 2)  # d = 0 .. ceil(b/2) - 1: keep at least half
    best, best_stat = 0, math.inf
    for d in range(half):
        kept = b - d
        stat = max(squares[d] - sums[d] * sums[d] / kept, 0.0) / (kept * kept)
        if stat < best_stat:  # the first d of the smallest statistic
            best, best_stat = d, stat
    d = best
    # A minimum on the last d searched means MSER still falls there: the series has not settled.
    reliable = d < half - 1 or half == 1
    tail = x[d * BATCH:b * BATCH]
    end = None
    if times is not None:
        t = as_floats(times, "mser5")
        if len(t) != len(x):
            raise ValueError("mser5: times and values differ in length")
        end = t[d * BATCH]
    mean, std = mean_std(tail)
    return Warmup(truncated=d * BATCH, batches=b, mser=best_stat, steady_mean=mean, steady_std=std,
                  reliable=reliable, warmup_end_s=end)
