"""The report's figure of a replicated run's time series across its replications: per panel the
mean over the replications at each sample time, the 95 % interval of that mean and the range
(minimum to maximum) of the replications, drawn with matplotlib's object-oriented API as the other
figures (wsfleet._plots). Returns PNG bytes, or None when no panel has a number to draw.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from matplotlib.ticker import FuncFormatter

from wsfleet._plots import FONT, add_legend, new_figure, style_axes, to_png

__all__ = ["Panel", "band_figure"]

MEAN_COLOUR = "#1f77b4"
FAULT_COLOUR = "#222222"


@dataclass(frozen=True)
class Panel:
    """One panel: its title, its y label, the band (wsfleet._replicated.band: time_s, n, mean,
    ci_half_width, min, max) and the factor its values are drawn at (100 for a share in %)."""
    title: str
    ylabel: str
    band: pd.DataFrame
    scale: float = 1.0
    thousands: bool = False
    interval: bool = False  # a figure of each sample interval (drawn as steps over it), not of an instant


def band_figure(panels: Sequence[Panel], confidence: float, end_s: float,
                fault_starts: Sequence[float] = ()) -> Optional[bytes]:
    """The panels one above the other on a shared time axis; a dashed line at each of fault_starts."""
    drawn: List[Panel] = [p for p in panels if not p.band.empty and np.isfinite(p.band["mean"].to_numpy(float)).any()]
    if not drawn:
        return None
    fig = new_figure(1.0 + 2.1 * len(drawn))
    axes = fig.subplots(len(drawn), 1, sharex=True, squeeze=False)[:, 0]
    for i, (ax, panel) in enumerate(zip(axes, drawn)):
        b = panel.band
        x = b["time_s"].to_numpy(float)
        mean = b["mean"].to_numpy(float) * panel.scale
        half = b["ci_half_width"].to_numpy(float) * panel.scale
        low, high = b["min"].to_numpy(float) * panel.scale, b["max"].to_numpy(float) * panel.scale
        step = None
        if panel.interval and x.size:
            # A value at time t is of the interval that ends at t: the first one starts a sample earlier.
            dt = float(x[1] - x[0]) if x.size > 1 else float(x[0])
            x = np.concatenate([[max(0.0, float(x[0]) - dt)], x])
            mean, half, low, high = (np.concatenate([v[:1], v]) for v in (mean, half, low, high))
            step = "pre"
        ax.fill_between(x, low, high, step=step, color=MEAN_COLOUR, alpha=0.15, linewidth=0)
        ok = np.isfinite(half)
        ax.fill_between(x, np.where(ok, mean - half, np.nan), np.where(ok, mean + half, np.nan), step=step,
                        color=MEAN_COLOUR, alpha=0.40, linewidth=0)
        ax.plot(x, mean, color=MEAN_COLOUR, linewidth=1.1, drawstyle="steps-pre" if step else "default",
                **({"marker": "o", "markersize": 3} if x.size < 4 else {}))
        finite = np.concatenate([v[np.isfinite(v)] for v in (low, high, mean)])
        if finite.size and finite.min() >= 0:
            ax.set_ylim(bottom=0, top=max(finite.max() * 1.05, 1e-9))
        ax.set_xlim(0, max(end_s, float(x.max()) if x.size else 0.0))
        if panel.thousands:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        style_axes(ax, panel.ylabel, xlabel="time (s)" if i == len(drawn) - 1 else None)
        ax.set_title(panel.title, loc="left", fontsize=FONT + 1)
        for at in fault_starts:
            ax.axvline(at, color=FAULT_COLOUR, linestyle="--", linewidth=0.9, zorder=4)
        if i == 0:
            extra = [Line2D([], [], color=FAULT_COLOUR, linestyle="--", linewidth=0.9, label="fault starts")] \
                if fault_starts else []
            add_legend(ax, [Line2D([], [], color=MEAN_COLOUR, linewidth=1.1, label="mean of the replications"),
                            Patch(color=MEAN_COLOUR, alpha=0.40, linewidth=0,
                                  label=f"{confidence:.0%} interval of the mean"),
                            Patch(color=MEAN_COLOUR, alpha=0.15, linewidth=0, label="min to max of the replications")]
                       + extra)
    return to_png(fig)
