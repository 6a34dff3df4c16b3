"""The run report's figures of the life of connections: half-open connections (clients that vanished
without a close, held until a heartbeat finds them) and the servers' send buffers with the copies
their buffer policy dropped."""
from __future__ import annotations

from typing import Optional

import numpy as np

from wsfleet._plots import (FONT, PlotData, fault_handles, mark_faults, point_markers, set_time_limits,
                            thousands_axis, add_legend, new_figure, style_axes, to_png)
from wsfleet.views import COLUMNS as C

__all__ = ["half_open_figure", "send_buffer_figure"]


def half_open_figure(data: PlotData) -> Optional[bytes]:
    """Half-open connections (clients gone silently, still held by their servers) across the fleet;
    None when the run never had one."""
    fleet = data.fleet
    if fleet.empty or C.half_open not in fleet.columns:
        return None
    y = fleet[C.half_open].to_numpy(dtype=float)
    if not np.isfinite(y).any() or np.nanmax(y) <= 0:
        return None
    fig = new_figure(2.8)
    ax = fig.add_subplot(1, 1, 1)
    x = fleet[C.time_s].to_numpy(dtype=float)
    line, = ax.plot(x, y, color="#8c564b", linewidth=1.2, label="half-open connections\nheld by the servers",
                    drawstyle="steps-pre", **point_markers(len(x)))
    ax.fill_between(x, 0, np.nan_to_num(y), color="#8c564b", alpha=0.15, linewidth=0, step="pre")
    mark_faults(ax, data.faults, data.end_s)
    set_time_limits(ax, data, x)
    ax.set_ylim(bottom=0)
    style_axes(ax, "connections")
    thousands_axis(ax)
    ax.set_title("Half-open connections (the client is gone, the server does not know yet)", loc="left",
                 fontsize=FONT + 1)
    add_legend(ax, [line] + fault_handles(data.faults))
    return to_png(fig)


def send_buffer_figure(data: PlotData) -> Optional[bytes]:
    """Pub/sub send buffers per server over time (top) and the copies dropped per second across the
    fleet (bottom); None without pub/sub or when nothing was ever buffered or dropped."""
    servers, fleet = data.servers, data.fleet
    if fleet.empty or C.buffered_mib not in fleet.columns or C.buffered_kib not in servers.columns:
        return None
    buffered = fleet[C.buffered_mib].to_numpy(dtype=float)
    dropped = (fleet[C.pubsub_dropped].to_numpy(dtype=float) if C.pubsub_dropped in fleet.columns
               else np.zeros(len(fleet)))
    if not (np.nanmax(np.nan_to_num(buffered)) > 0 or np.nanmax(np.nan_to_num(dropped)) > 0):
        return None
    fig = new_figure(4.6)
    top = fig.add_subplot(2, 1, 1)
    per_server = servers.pivot_table(index=C.time_s, columns=C.server, values=C.buffered_kib, aggfunc="last") / 1024.0
    handles = []
    if per_server.shape[1] <= 10:
        for sid in per_server.columns:
            line, = top.plot(per_server.index, per_server[sid], linewidth=1.0, label=f"server {int(sid)}")
            handles.append(line)
    else:
        line, = top.plot(per_server.index, per_server.max(axis=1), color="#d62728", linewidth=1.2,
                         label="the fullest server")
        median, = top.plot(per_server.index, per_server.median(axis=1), color="#1f77b4", linewidth=1.2,
                           label="the median server")
        handles += [line, median]
    mark_faults(top, data.faults, data.end_s)
    x = fleet[C.time_s].to_numpy(dtype=float)
    set_time_limits(top, data, x)
    top.set_ylim(bottom=0)
    style_axes(top, "MiB buffered", xlabel=None)
    top.set_title("Send buffers: what servers hold for clients that read too slowly", loc="left", fontsize=FONT + 1)
    add_legend(top, handles + fault_handles(data.faults))
    bottom = fig.add_subplot(2, 1, 2, sharex=top)
    rate = dropped / max(data.sample_interval_s, 1e-9)
    line, = bottom.plot(x, rate, color="#9467bd", linewidth=1.2, drawstyle="steps-pre",
                        label="copies dropped, conflated\nor discarded per second", **point_markers(len(x)))
    bottom.fill_between(x, 0, np.nan_to_num(rate), color="#9467bd", alpha=0.15, linewidth=0, step="pre")
    mark_faults(bottom, data.faults, data.end_s, label=False)
    bottom.set_ylim(bottom=0)
    style_axes(bottom, "per second")
    thousands_axis(bottom)
    add_legend(bottom, [line])
    return to_png(fig)
