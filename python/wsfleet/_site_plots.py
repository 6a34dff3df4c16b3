"""The run report's figures of the servers per site (with two or more [[topology.sites]]): each
site's servers ready, up and draining, and the connections open on each site's servers, from the
site rows of timeseries.csv; `site_lines` also draws the sites on the autoscaler's figure."""
from __future__ import annotations

from typing import Callable, List, Optional

import pandas as pd

from wsfleet._plots import (FONT, PALETTE, PlotData, fault_handles, mark_faults, point_markers, set_time_limits,
                            thousands_axis, add_legend, new_figure, style_axes, to_png)
from wsfleet.views import COLUMNS as C

__all__ = ["site_lines", "sites_figure"]


def site_lines(ax, sites: pd.DataFrame, label: Callable[[int], str], column: str = C.ready,
               linewidth: float = 1.3) -> List:
    """One stepped line per site of a site-row column (servers ready by default) on `ax`, labelled
    label(site number); the handles."""
    handles = []
    if sites.empty or column not in sites.columns:
        return handles
    for k, (site, rows) in enumerate(sites.groupby(C.site, sort=True)):
        rows = rows.sort_values(C.time_s, kind="stable")
        line, = ax.plot(rows[C.time_s].to_numpy(dtype=float), rows[column].to_numpy(dtype=float),
                        color=PALETTE[(k + 4) % len(PALETTE)], linewidth=linewidth, drawstyle="steps-post",
                        label=label(int(site)))
        handles.append(line)
    return handles


def sites_figure(data: PlotData) -> Optional[bytes]:
    """The fleet's size per site (site rows: only with two or more sites): each site's servers ready
    (taking connections), up (dotted, when some are draining or not ready) and draining (dashed), each
    held from its sample time to the next (as the autoscaler's replicas figure draws them), and below
    its open connections; None without site rows."""
    sites = data.sites
    if sites.empty or C.site not in sites.columns:
        return None
    fig = new_figure(4.4)
    top = fig.add_subplot(2, 1, 1)
    bottom = fig.add_subplot(2, 1, 2, sharex=top)
    handles, lower = [], []
    for k, (site, rows) in enumerate(sites.groupby(C.site, sort=True)):
        rows = rows.sort_values(C.time_s, kind="stable")
        colour = PALETTE[k % len(PALETTE)]
        name = data.site_name(int(site))
        x = rows[C.time_s].to_numpy(dtype=float)
        ready, up = rows[C.ready].to_numpy(dtype=float), rows[C.up].to_numpy(dtype=float)
        draining = rows[C.draining].to_numpy(dtype=float)
        line, = top.plot(x, ready, color=colour, linewidth=1.4, drawstyle="steps-post", label=f"{name}: ready")
        handles.append(line)
        if (up != ready).any():
            line, = top.plot(x, up, color=colour, linewidth=1.0, linestyle=":", drawstyle="steps-post",
                             label=f"{name}: up")
            handles.append(line)
        if (draining > 0).any():
            line, = top.plot(x, draining, color=colour, linewidth=1.0, linestyle="--", drawstyle="steps-post",
                             label=f"{name}: draining")
            handles.append(line)
        line, = bottom.plot(x, rows[C.connections].to_numpy(dtype=float), color=colour, linewidth=1.2,
                            label=name, **point_markers(len(x)))
        lower.append(line)
    mark_faults(top, data.faults, data.end_s)
    set_time_limits(top, data, sites[C.time_s].to_numpy(dtype=float))
    top.set_ylim(bottom=0)
    top.yaxis.get_major_locator().set_params(integer=True)
    style_axes(top, "servers", xlabel=None)
    top.set_title("Servers per site: ready (solid), up (dotted), draining (dashed)", loc="left", fontsize=FONT + 1)
    add_legend(top, handles + fault_handles(data.faults))
    mark_faults(bottom, data.faults, data.end_s, label=False)
    bottom.set_ylim(bottom=0)
    style_axes(bottom, "connections")
    thousands_axis(bottom)
    bottom.set_title("Open connections per site", loc="left", fontsize=FONT + 1)
    add_legend(bottom, lower)
    return to_png(fig)
