"""Confidence intervals over replications: Student's t, without SciPy.

The t distribution's CDF for an integer number of degrees of freedom has a closed form
(Abramowitz & Stegun 26.7.3 and 26.7.4); its quantile is found by bisection on that CDF, which is
exact to the bisection's tolerance (1e-12) for every level and every df >= 1.
"""
from __future__ import annotations

import math
from typing import Sequence, Tuple

__all__ = ["t_cdf", "t_quantile", "mean_ci", "upper_bound"]


def t_cdf(t: float, df: int) -> float:
    """P(T <= t) for Student's t with `df` (a whole number >= 1) degrees of freedom."""
    if df < 1 or int(df) != df:
        raise ValueError(f"degrees of freedom must be a whole number >= 1 (got {df!r})")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    theta = math.atan(abs(t) / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        # A(t|v) = 2/pi (theta + sin cos (1 + 2/3 cos^2 + 2*4/(3*5) cos^4 + ... up to cos^(v-3)))
        total, term = 0.0, 1.0
        if df > 1:
            total = 1.0
            for k in range(3, df - 1, 2):
                term *= (k - 1) / k * c2
                total += term
        a = 2.0 / math.pi * (theta + (s * math.cos(theta) * total if df > 1 else 0.0))
    else:
        # A(t|v) = sin (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ... up to cos^(v-2))
        total, term = 1.0, 1.0
        for k in range(2, df - 1, 2):
            term *= (k - 1) / k * c2
            total += term
        a = s * total
    a = min(max(a, 0.0), 1.0)
    return 0.5 + 0.5 * a if t >= 0 else 0.5 - 0.5 * a


def t_quantile(p: float, df: int) -> float:
    """The t with P(T <= t) = p (0 < p < 1)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1 (got {p!r})")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
        if hi > 1e12:
            return math.inf
    while hi - lo > 1e-12 * max(1.0, hi):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


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
