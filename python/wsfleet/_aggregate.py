"""The summary of a sweep's or plan's runs per point and metric: the mean over replications with
its Student-t confidence interval (`aggregate`, re-exported as wsfleet.aggregate)."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from wsfleet._stats import t_quantile

#: Columns every results row has before the axes and the metrics.
ID_COLUMNS = ("point", "point_id", "replication", "seed")


def aggregate(frame: pd.DataFrame, axes: Optional[Sequence[str]] = None, metrics: Optional[Sequence[str]] = None,
              confidence: float = 0.95) -> pd.DataFrame:
    """Per point and metric: the mean over replications, the half-width and bounds of its two-sided
    Student-t `confidence` interval, the standard deviation and n. A tidy (long) table with the
    point's axis values as columns. Non-numeric metrics and the wall time are left out."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    axes = list(axes) if axes is not None else list(frame.attrs.get("axes", []))
    keep = set(ID_COLUMNS) | set(axes) | {"wall_seconds"}
    if metrics is None:
        metrics = [c for c, dtype in frame.dtypes.items() if c not in keep and pd.api.types.is_numeric_dtype(dtype)
                   and not pd.api.types.is_bool_dtype(dtype)]
    if frame.empty or not metrics:
        return pd.DataFrame(columns=["point", "point_id", *axes, "metric", "mean", "ci_low", "ci_high",
                                     "ci_half_width", "std", "n", "confidence"])
    # One group per point (in point order), its rows' metrics as a block of a (rows, metrics) array:
    # the sums per group in one pass (numpy), instead of a long table of every (run, metric) grouped
    # by pandas (a tenth of the time; this runs at the end of every sweep).
    values = frame[list(metrics)].to_numpy(dtype=float, na_value=math.nan)
    point_values = frame["point"].to_numpy()
    points, first, inverse = np.unique(point_values, return_index=True, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.searchsorted(inverse[order], np.arange(len(points)))
    block = values[order]
    present = ~np.isnan(block)
    finite = np.isfinite(block)
    n = np.add.reduceat(present, starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduceat(np.where(present, block, 0.0), starts, axis=0) / n
        n_finite = np.add.reduceat(finite, starts, axis=0)
        finite_values = np.where(finite, block, 0.0)
        finite_mean = np.add.reduceat(finite_values, starts, axis=0) / n_finite
        deviations = np.where(finite, block - np.repeat(finite_mean, np.diff(np.append(starts, len(block))), axis=0), 0.0)
        std = np.sqrt(np.add.reduceat(deviations * deviations, starts, axis=0) / (n_finite - 1))
    std = np.where(n_finite >= 2, std, math.nan)
    infinite = np.add.reduceat(np.isinf(block), starts, axis=0) > 0
    quantiles = {int(k): t_quantile(0.5 + confidence / 2.0, int(k) - 1) for k in np.unique(n) if k >= 2}
    t = np.full(n.shape, math.nan)
    for k, q in quantiles.items():
        t[n == k] = q
    with np.errstate(invalid="ignore"):
        half = t * std / np.sqrt(np.maximum(n, 1))
    half = np.where(n >= 2, np.where(infinite, math.inf, half), math.nan)
    std = np.where(~infinite & (n >= 2), std, math.nan)
    m = len(metrics)
    keys = frame[["point", "point_id", *axes]].iloc[first].reset_index(drop=True)
    out = keys.loc[keys.index.repeat(m)].reset_index(drop=True)
    flat_mean = mean.ravel()
    flat_half = half.ravel()
    out["metric"] = np.tile(np.asarray(list(metrics), dtype=object), len(points))
    out["mean"] = flat_mean
    with np.errstate(invalid="ignore"):  # an infinite mean with an infinite half-width: NaN bounds
        out["ci_low"] = flat_mean - flat_half
        out["ci_high"] = flat_mean + flat_half
    out["ci_half_width"] = flat_half
    out["std"] = std.ravel()
    out["n"] = n.ravel().astype("int64")
    out["confidence"] = confidence
    out["point"] = out["point"].astype("int64")
    return out
