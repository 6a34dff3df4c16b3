"""Confidence intervals over replications (Student's t, from SciPy), and a test of whether a
metric depends on a variable at all (Spearman's rank correlation, from SciPy).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

from scipy import stats as _scipy_stats

__all__ = ["t_cdf", "t_quantile", "mean_ci", "upper_bound", "lower_bound", "trend"]


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with `df` (a whole number >= 1) degrees of freedom."""
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a whole number >= 1 (got {df!r})")
    return float(_scipy_stats.t.cdf(t, df))


def t_quantile(p: float, df: int) -> float:
    """The t with P(T <= t) = p (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1 (got {p!r})")
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a whole number >= 1 (got {df!r})")
    return float(_scipy_stats.t.ppf(p, df))


def _clean(values: Sequence[float]) -> list:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> Tuple[float, float, int]:
    """(mean, half-width of the two-sided `confidence` interval, n) of the non-NaN values.

    The half-width is NaN with fewer than two values, and infinite when a value is infinite."""
    xs = _clean(values)
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, 0
    if any(math.isinf(x) for x in xs):
        return math.fsum(xs) / n, math.inf if n > 1 else math.nan, n
    mean = math.fsum(xs) / n
    if n < 2:
        return mean, math.nan, n
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    return mean, t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(var / n), n


def upper_bound(values: Sequence[float], confidence: float = 0.95) -> float:
    """The one-sided upper `confidence` bound of the mean: mean + t(confidence, n-1) s / sqrt(n).

    NaN values count as failures of the bound (infinite); fewer than two values give infinity,
    so nothing is claimed from a single replication."""
    raw = list(values)
    if any(v is None or math.isnan(float(v)) for v in raw):
        return math.inf
    xs = [float(v) for v in raw]
    n = len(xs)
    if n < 2 or any(math.isinf(x) for x in xs):
        return math.inf
    mean = math.fsum(xs) / n
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    return mean + t_quantile(confidence, n - 1) * math.sqrt(var / n)


def lower_bound(values: Sequence[float], confidence: float = 0.95) -> float:
    """The one-sided lower `confidence` bound of the mean: mean - t(confidence, n-1) s / sqrt(n).

    Every value infinite gives infinity (the metric is unbounded in every replication); a NaN value,
    a mix of finite and infinite values, or fewer than two values give minus infinity, so that
    nothing is claimed from them."""
    raw = list(values)
    if any(v is None or math.isnan(float(v)) for v in raw) or len(raw) < 2:
        return -math.inf
    xs = [float(v) for v in raw]
    if all(math.isinf(x) and x > 0 for x in xs):
        return math.inf
    if any(math.isinf(x) for x in xs):
        return -math.inf
    n = len(xs)
    mean = math.fsum(xs) / n
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    return mean - t_quantile(confidence, n - 1) * math.sqrt(var / n)


def trend(xs: Sequence[float], ys: Sequence[float]) -> Tuple[Optional[float], Optional[float]]:
    """(Spearman's rank correlation of ys with xs, its two-sided p-value) over the non-NaN pairs, or
    (None, None) when there are fewer than 3 distinct xs. A constant ys has correlation 0 and p 1:
    it does not depend on xs at all."""
    pairs = [(float(x), float(y)) for x, y in zip(xs, ys)
             if x is not None and y is not None and math.isfinite(float(x)) and not math.isnan(float(y))]
    finite = [y for _, y in pairs if math.isfinite(y)]
    # The test uses ranks only: an infinite value (clients never all back) ranks above every finite one.
    high = (max(finite) if finite else 0.0) + 1.0
    low = (min(finite) if finite else 0.0) - 1.0
    pairs = [(x, y if math.isfinite(y) else (high if y > 0 else low)) for x, y in pairs]
    if len({x for x, _ in pairs}) < 3:
        return None, None
    if len({y for _, y in pairs}) <= 1:
        return 0.0, 1.0
    rho, p = _scipy_stats.spearmanr([x for x, _ in pairs], [y for _, y in pairs])
    return float(rho), float(p)
