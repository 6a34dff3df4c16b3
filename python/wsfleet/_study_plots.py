"""The figures of the sweep and plan reports: a metric against a numeric axis (the fleet size),
one line per group (a balancer, a backoff policy) with its confidence band, an optional SLO
threshold and a marked recommendation; or against a categorical axis (a balancing policy), one bar
per category with its confidence interval, side by side per group. Same conventions as wsfleet._plots (no pyplot, PNG bytes).
"""
from __future__ import annotations

import math
import textwrap
from typing import Optional, Sequence, Tuple

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from wsfleet._plots import FONT, PALETTE, add_legend, new_figure, to_png, style_axes

__all__ = ["metric_figure", "category_figure"]


def _groups(data: pd.DataFrame, group: Optional[str]) -> Sequence[Tuple[str, pd.DataFrame]]:
    """(label, rows) per value of the `group` column, in order of appearance; one unlabelled group without it."""
    if group and group in data.columns:
        return [(str(k), g) for k, g in data.groupby(group, sort=False)]
    return [("", data)]


def metric_figure(data: pd.DataFrame, x: str, ylabel: str, xlabel: str, *, group: Optional[str] = None,
                  scale: float = 1.0, threshold: Optional[float] = None, mark_x: Optional[float] = None,
                  mark_label: str = "", log_x: bool = False) -> Optional[bytes]:
    """`data`: the aggregate rows of one metric (columns x, mean, ci_low, ci_high and `group`).
    Infinite values (a crash whose clients never all came back) are drawn as triangles at the top."""
    if data.empty or x not in data.columns:
        return None
    fig = new_figure(3.2)
    ax = fig.add_subplot(1, 1, 1)
    groups = _groups(data, group)
    finite_values = data["mean"].replace([np.inf, -np.inf], np.nan).dropna() * scale
    top = float(finite_values.max()) if not finite_values.empty else 1.0
    if threshold is not None and math.isfinite(threshold):
        top = max(top, threshold * scale)
    handles = []
    for i, (label, g) in enumerate(groups):
        g = g.sort_values(x)
        colour = PALETTE[i % len(PALETTE)]
        xs = g[x].astype(float).to_numpy()
        mean = g["mean"].astype(float).to_numpy() * scale
        lo = g["ci_low"].astype(float).to_numpy() * scale
        hi = g["ci_high"].astype(float).to_numpy() * scale
        finite = np.isfinite(mean)
        (line,) = ax.plot(xs[finite], mean[finite], color=colour, marker="o", markersize=3.5, linewidth=1.4,
                          label=label or "mean")
        band = finite & np.isfinite(lo) & np.isfinite(hi)
        if band.any():
            ax.fill_between(xs[band], lo[band], hi[band], color=colour, alpha=0.18, linewidth=0)
        if (~finite).any():
            ax.plot(xs[~finite], np.full((~finite).sum(), top * 1.05), linestyle="none", marker="^", color=colour,
                    markersize=6)
        handles.append(line)
    if threshold is not None and math.isfinite(threshold):
        handles.append(ax.axhline(threshold * scale, color="#c62828", linestyle="--", linewidth=1.1,
                                  label="objective (at most)"))
    if mark_x is not None:
        handles.append(ax.axvline(mark_x, color="#2e7d32", linestyle=":", linewidth=1.4, label=mark_label or "answer"))
    if log_x:
        ax.set_xscale("log")
    elif np.allclose(data[x].astype(float), np.round(data[x].astype(float))):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    style_axes(ax, textwrap.fill(ylabel, 32), xlabel)
    if len(handles) > 1 or groups[0][0]:
        add_legend(ax, handles, fontsize=FONT - 0.5)
    return to_png(fig)


def category_figure(data: pd.DataFrame, x: str, ylabel: str, xlabel: str, *, group: Optional[str] = None,
                    scale: float = 1.0) -> Optional[bytes]:
    """`data`: the aggregate rows of one metric (columns x, mean, ci_low, ci_high and `group`): one bar
    per value of x (in order of first appearance) with its confidence interval; several groups side
    by side. Infinite means (clients never all back) are drawn as a hatched bar to the top, marked "never"."""
    if data.empty or x not in data.columns:
        return None
    categories = list(dict.fromkeys(str(v) for v in data[x]))
    groups = _groups(data, group)
    finite_values = data["mean"].replace([np.inf, -np.inf], np.nan).dropna() * scale
    top = float(finite_values.max()) if not finite_values.empty and finite_values.max() > 0 else 1.0
    fig = new_figure(3.2)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / len(groups)
    handles = []
    for i, (label, g) in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        by = {str(k): r for k, r in zip(g[x], g.to_dict("records"))}
        xs, heights, errs_lo, errs_hi, never = [], [], [], [], []
        for c, name in enumerate(categories):
            r = by.get(name)
            if r is None:
                continue
            mean = float(r["mean"]) * scale
            pos = c - 0.4 + width * (i + 0.5)
            if not math.isfinite(mean):
                never.append(pos)
                continue
            lo, hi = float(r["ci_low"]) * scale, float(r["ci_high"]) * scale
            xs.append(pos)
            heights.append(mean)
            errs_lo.append(max(mean - lo, 0.0) if math.isfinite(lo) else 0.0)
            errs_hi.append(max(hi - mean, 0.0) if math.isfinite(hi) else 0.0)
        bars = ax.bar(xs, heights, width=width * 0.9, color=colour, label=label or "mean",
                      yerr=[errs_lo, errs_hi], capsize=3, error_kw={"elinewidth": 1.0, "ecolor": "#333333"})
        for pos in never:
            ax.bar([pos], [top * 1.05], width=width * 0.9, color="none", edgecolor=colour, hatch="//")
            ax.text(pos, top * 1.06, "never", ha="center", va="bottom", fontsize=FONT - 1.5)
        handles.append(bars)
    lowest = data["ci_low"].replace([np.inf, -np.inf], np.nan).fillna(0) * scale
    if float(lowest.min()) >= 0:
        ax.set_ylim(bottom=0)
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([textwrap.fill(c, 14) for c in categories], fontsize=FONT - 1)
    style_axes(ax, textwrap.fill(ylabel, 32), xlabel)
    if len(groups) > 1:
        add_legend(ax, handles, fontsize=FONT - 0.5)
    return to_png(fig)
