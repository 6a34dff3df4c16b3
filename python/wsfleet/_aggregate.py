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
        metrics = [c for c in frame.columns if c not in keep and pd.api.types.is_numeric_dtype(frame[c])
                   and not pd.api.types.is_bool_dtype(frame[c])]
    if frame.empty or not metrics:
        return pd.DataFrame(columns=["point", "point_id", *axes, "metric", "mean", "ci_low", "ci_high",
                                     "ci_half_width", "std", "n", "confidence"])
    values = frame[list(metrics)].astype(float)
    keys = frame[["point", "point_id", *axes]]
    # Long form first: one row per (run, metric), then one group per (point, metric).
    long = values.assign(point=keys["point"].to_numpy()).melt(id_vars="point", var_name="metric", value_name="value")
    finite = long["value"].where(np.isfinite(long["value"]))
    long = long.assign(finite=finite, infinite=np.isinf(long["value"]))
    stats = long.groupby(["point", "metric"], sort=False).agg(
        mean=("value", "mean"), n=("value", "count"), std=("finite", "std"), infinite=("infinite", "any")).reset_index()
    quantiles = {n: t_quantile(0.5 + confidence / 2.0, int(n) - 1) for n in stats["n"].unique() if n >= 2}
    t = stats["n"].map(lambda n: quantiles.get(n, math.nan)).astype(float)
    half = t * stats["std"] / np.sqrt(stats["n"].clip(lower=1))
    half = half.where(~stats["infinite"], math.inf).where(stats["n"] >= 2, math.nan)
    std = stats["std"].where(~stats["infinite"] & (stats["n"] >= 2), math.nan)
    out = pd.DataFrame({"point": stats["point"], "metric": stats["metric"], "mean": stats["mean"],
                        "ci_low": stats["mean"] - half, "ci_high": stats["mean"] + half, "ci_half_width": half,
                        "std": std, "n": stats["n"].astype("int64"), "confidence": confidence})
    points = keys.drop_duplicates("point")
    out = points.merge(out, on="point", how="right")
    order = {m: i for i, m in enumerate(metrics)}
    out = out.sort_values(["point", "metric"], key=lambda col: col.map(order) if col.name == "metric" else col,
                          kind="stable").reset_index(drop=True)
    out["point"] = out["point"].astype("int64")
    return out
