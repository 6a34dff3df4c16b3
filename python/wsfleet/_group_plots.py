"""The run report's figures per group of servers, from the site rows of timeseries.csv (with two or
more [[topology.sites]]) and its class rows (with two or more [[fleet.classes]]): each group's servers
ready, up and draining, the connections open on its servers and, per class, their CPU; `site_lines`
also draws the sites on the autoscaler's figure."""
from __future__ import annotations

from typing import Callable, List, Optional

import numpy as np

import pandas as pd

from wsfleet._plots import (FONT, PALETTE, PlotData, fault_handles, mark_faults, point_markers, set_time_limits,
                            thousands_axis, add_legend, new_figure, style_axes, to_png)
from wsfleet.views import COLUMNS as C

__all__ = ["classes_figure", "site_lines", "sites_figure"]


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


def _per_group_figure(data: PlotData, frame: pd.DataFrame, key: str, name_of: Callable[[int], str], noun: str,
                      cpu: bool = False) -> bytes:
    """Site or class rows drawn per group (`key`: its number's column): its servers ready, up (dotted,
    when some are draining or not ready) and draining (dashed, when the rows have that column), each
    held from its sample time to the next (as the autoscaler's replicas figure draws them); below, its
    open connections; with `cpu`, its servers' mean CPU utilisation and the highest one (dashed)."""
    draws_draining = C.draining in frame.columns
    fig = new_figure(6.2 if cpu else 4.4)
    panels = 3 if cpu else 2
    top = fig.add_subplot(panels, 1, 1)
    middle = fig.add_subplot(panels, 1, 2, sharex=top)
    bottom = fig.add_subplot(panels, 1, 3, sharex=top) if cpu else None
    handles: List = []
    lower: List = []
    cpus: List = []
    for k, (group, rows) in enumerate(frame.groupby(key, sort=True)):
        rows = rows.sort_values(C.time_s, kind="stable")
        colour = PALETTE[k % len(PALETTE)]
        name = name_of(int(group))
        x = rows[C.time_s].to_numpy(dtype=float)
        ready, up = rows[C.ready].to_numpy(dtype=float), rows[C.up].to_numpy(dtype=float)
        line, = top.plot(x, ready, color=colour, linewidth=1.4, drawstyle="steps-post", label=f"{name}: ready")
        handles.append(line)
        if (up != ready).any():
            line, = top.plot(x, up, color=colour, linewidth=1.0, linestyle=":", drawstyle="steps-post",
                             label=f"{name}: up")
            handles.append(line)
        if draws_draining and (rows[C.draining].to_numpy(dtype=float) > 0).any():
            line, = top.plot(x, rows[C.draining].to_numpy(dtype=float), color=colour, linewidth=1.0, linestyle="--",
                             drawstyle="steps-post", label=f"{name}: draining")
            handles.append(line)
        line, = middle.plot(x, rows[C.connections].to_numpy(dtype=float), color=colour, linewidth=1.2,
                            label=name, **point_markers(len(x)))
        lower.append(line)
        if bottom is not None:
            mean = rows[C.cpu_utilisation].to_numpy(dtype=float)
            line, = bottom.plot(x, 100.0 * mean, color=colour, linewidth=1.2, label=f"{name}: mean", **point_markers(len(x)))
            cpus.append(line)
            peak = rows[C.cpu_utilisation_max].to_numpy(dtype=float)
            if (np.abs(peak - mean) > 1e-9).any():
                line, = bottom.plot(x, 100.0 * peak, color=colour, linewidth=0.9, linestyle="--", label=f"{name}: highest")
                cpus.append(line)
    mark_faults(top, data.faults, data.end_s)
    set_time_limits(top, data, frame[C.time_s].to_numpy(dtype=float))
    top.set_ylim(bottom=0)
    top.yaxis.get_major_locator().set_params(integer=True)
    style_axes(top, "servers", xlabel=None)
    top.set_title(f"Servers per {noun}: ready (solid), up (dotted)" + (", draining (dashed)" if draws_draining else ""),
                  loc="left", fontsize=FONT + 1)
    add_legend(top, handles + fault_handles(data.faults))
    panels_below = [(middle, "connections", f"Open connections per {noun}", lower)]
    if bottom is not None:
        panels_below.append((bottom, "CPU (%)", f"CPU utilisation per {noun}: mean (solid), highest server (dashed)", cpus))
    for ax, ylabel, title, lines in panels_below:
        mark_faults(ax, data.faults, data.end_s, label=False)
        ax.set_ylim(bottom=0)
        style_axes(ax, ylabel, xlabel="time (s)" if ax is panels_below[-1][0] else None)
        if ax is middle:
            thousands_axis(ax)
        ax.set_title(title, loc="left", fontsize=FONT + 1)
        add_legend(ax, lines)
    return to_png(fig)


def sites_figure(data: PlotData) -> Optional[bytes]:
    """The fleet's size per site (site rows: only with two or more sites): each site's servers ready
    (taking connections), up (dotted, when some are draining or not ready) and draining (dashed), and
    below its open connections; None without site rows."""
    if data.sites.empty or C.site not in data.sites.columns:
        return None
    return _per_group_figure(data, data.sites, C.site, data.site_name, "site")


def classes_figure(data: PlotData) -> Optional[bytes]:
    """The fleet per server class (class rows: only with two or more [[fleet.classes]]): each class's
    servers ready (up dotted, where some are draining), its open connections, and its servers' mean CPU
    utilisation (the highest one dashed); None without class rows."""
    if data.classes.empty or C.class_ not in data.classes.columns:
        return None
    return _per_group_figure(data, data.classes, C.class_, data.class_name, "class", cpu=True)
