"""The figures of the run report, drawn with matplotlib's object-oriented API.

Nothing global is touched: each figure is a `matplotlib.figure.Figure` rendered by its own
`FigureCanvasAgg` (no pyplot, no backend switch, no rcParams changes), so the report can be written
from a notebook or a GUI session without side effects. Every function returns PNG bytes, or None
when there is nothing to draw (the report then says so in words).

Legibility rules, so a figure reads the same for 3 or 300 servers: with up to 10 servers every
server gets its own colour and a legend entry; with more, the servers that matter (crashed ones,
the busiest) are coloured and labelled and the rest are thin grey lines under one legend entry.
Crashes are dashed vertical lines, recoveries dotted ones, and a server's down time is shaded.

The figures per site and per server class are in _group_plots, those of the life of connections (half-open
connections, send buffers) in _life_plots; both draw with this module's style and fault marks.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from wsfleet.views import COLUMNS as C

__all__ = ["Fault", "PlotData", "connections_figure", "attempts_figure", "cpu_figure",
           "latency_figure", "waiting_figure", "zoom_windows", "MAX_ZOOMS"]

WIDTH_IN = 8.0
DPI = 140
FONT = 8
MANY_SERVERS = 10          # above this, only highlighted servers get colours and legend entries
MAX_HIGHLIGHT = 8          # at most this many coloured servers in a crowded plot
MAX_FAULT_LABELS = 6       # crash lines are labelled in the plot when there are at most this many
MAX_ZOOMS = 4              # zoomed panels around crashes
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#bcbd22", "#17becf", "#393b79"]
GREY = "#9a9a9a"
CRASH_COLOUR = "#222222"
DOWN_SHADE = "#d62728"


@dataclass(frozen=True)
class Fault:
    """One crash, as the report needs it: of a server, a balancer or a whole site."""
    server: Optional[int]                # the crashed server (None for a balancer or a site)
    at_s: float
    recover_at_s: Optional[float]        # absolute time it came back; None = never
    reconnected_within_s: Optional[float] = None
    what: str = ""                       # "balancer 2", "site ams": what crashed when it is not one server
    kind: str = "crash"                  # its [[faults]] type

    @property
    def is_crash(self) -> bool:
        """A crash cuts connections at once (a server, balancer or site down, a memory kill); the other
        kinds degrade something that stays up."""
        return self.kind in ("crash", "balancer_crash", "site_crash", "out_of_memory")

    @property
    def cause(self) -> str:
        """What dropped its connections, for a sentence: "the crash of server 3", "the fault 'link to dc down'"."""
        return f"the crash of {self.label}" if self.is_crash else f"the fault “{self.label}”"

    @property
    def label(self) -> str:
        if self.what:
            return self.what
        return f"server {self.server}" if self.server is not None else "a server"


@dataclass
class PlotData:
    """The time series of one run, split into server rows and fleet rows."""
    servers: pd.DataFrame                # scope == "server"
    fleet: pd.DataFrame                  # scope == "fleet", sorted by time
    faults: List[Fault]
    max_connections: Optional[float]
    sample_interval_s: float
    end_s: float                         # end of the time axis (run duration, or last sample)
    #: The legend's words for refused and failed attempts, from the causes the run had (summary.json's
    #: rejected_by / failed_by); the defaults when unknown.
    labels: Dict[str, str] = field(default_factory=dict)
    #: scope == "site", sorted by time then site (only with two or more sites; empty otherwise), and
    #: each site's name by its number (summary.json's topology.sites).
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)
    site_names: List[str] = field(default_factory=list)
    #: scope == "class", sorted by time then class (only with two or more [[fleet.classes]]; empty
    #: otherwise), and each class's name by its number (summary.json's fleet.classes).
    classes: pd.DataFrame = field(default_factory=pd.DataFrame)
    class_names: List[str] = field(default_factory=list)

    def site_name(self, site: int) -> str:
        return self.site_names[site] if 0 <= site < len(self.site_names) else f"site {site}"

    def class_name(self, k: int) -> str:
        return self.class_names[k] if 0 <= k < len(self.class_names) else f"class {k}"

    @property
    def crashed_servers(self) -> List[int]:
        seen: List[int] = []
        for f in self.faults:
            if f.server is not None and f.server not in seen:
                seen.append(f.server)
        return seen


# --------------------------------------------------------------------------------------------
# Helpers


def new_figure(height_in: float) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def style_axes(ax, ylabel: str, xlabel: Optional[str] = "time (s)") -> None:
    ax.set_ylabel(ylabel, fontsize=FONT)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=FONT)
    ax.tick_params(labelsize=FONT - 0.5)
    ax.grid(True, color="#e3e3e3", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def thousands_label(x: float, top: float) -> str:
    """A tick value on an axis whose largest value is `top`: whole numbers with thousands separators
    ("8,000", "12,000") on every axis, in millions ("1.5M") on an axis that reaches a million, so
    every tick of every figure is written one way."""
    if abs(top) >= 1e6:
        return f"{x / 1e6:g}M"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def thousands_axis(ax) -> None:
    def fmt(x: float, _pos: int) -> str:
        return thousands_label(x, max(abs(v) for v in ax.get_ylim()))
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))


def point_markers(n_points: int) -> Dict[str, object]:
    """Short series (very short runs) get markers, or a single sample would be invisible."""
    return {"marker": "o", "markersize": 3} if n_points < 4 else {}


def add_legend(ax, handles: Sequence, fontsize: float = FONT - 0.5) -> None:
    if handles:
        ax.legend(handles=list(handles), loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=fontsize, frameon=False, borderaxespad=0.0)


def mark_faults(ax, faults: Sequence[Fault], end_s: float, label: bool = True) -> None:
    """Shade each crashed server's down time; dashed line at the crash, dotted at the recovery.
    Crashes close together (within 4% of the run) share one label. (Set the x limits afterwards:
    marks outside them are clipped.)"""
    for f in faults:
        stop = f.recover_at_s if f.recover_at_s is not None else max(end_s, f.at_s)
        if stop > f.at_s:
            ax.axvspan(f.at_s, stop, color=DOWN_SHADE, alpha=0.06, linewidth=0, zorder=0)
        ax.axvline(f.at_s, color=CRASH_COLOUR, linestyle="--", linewidth=0.9, zorder=4)
        if f.recover_at_s is not None:
            ax.axvline(f.recover_at_s, color=CRASH_COLOUR, linestyle=":", linewidth=0.9, zorder=4)
    if not label:
        return
    groups = _fault_groups(faults, 0.04 * max(end_s, 1e-9))
    if len(groups) > MAX_FAULT_LABELS:
        return
    for group in groups:
        servers = [str(f.server) for f in group if f.server is not None]
        if len(group) == 1:
            text = f"{group[0].label} crashes"
        elif len(servers) <= 3:
            text = f"servers {', '.join(servers)} crash"
        else:
            text = f"{len(group)} crashes"
        ax.text(group[0].at_s, 0.98, f" {text} ", transform=ax.get_xaxis_transform(), rotation=90,
                va="top", ha="right", fontsize=FONT - 1.5, color=CRASH_COLOUR, clip_on=True)


def _fault_groups(faults: Sequence[Fault], gap: float) -> List[List[Fault]]:
    groups: List[List[Fault]] = []
    for f in sorted(faults, key=lambda f: f.at_s):
        if groups and f.at_s - groups[-1][0].at_s < gap:
            groups[-1].append(f)
        else:
            groups.append([f])
    return groups


def fault_handles(faults: Sequence[Fault]) -> List:
    if not faults:
        return []
    handles = [Line2D([], [], color=CRASH_COLOUR, linestyle="--", linewidth=0.9, label="crash")]
    if any(f.recover_at_s is not None for f in faults):
        handles.append(Line2D([], [], color=CRASH_COLOUR, linestyle=":", linewidth=0.9, label="recovery"))
    handles.append(Patch(color=DOWN_SHADE, alpha=0.15, linewidth=0, label="server down"))
    return handles


def _wide(servers: pd.DataFrame, column: str) -> pd.DataFrame:
    """time x server table of one column (NaN where a server has no row)."""
    if column not in servers.columns or servers.empty:
        return pd.DataFrame()
    rows = servers[[C.time_s, C.server, column]].drop_duplicates([C.time_s, C.server], keep="last")
    wide = rows.pivot(index=C.time_s, columns=C.server, values=column).sort_index()
    return wide.astype(float)


def _highlight(data: PlotData, wide: pd.DataFrame, extra: Sequence[int] = ()) -> List[int]:
    """Servers worth a colour: crashed ones, then `extra` (e.g. the busiest), at most MAX_HIGHLIGHT."""
    present = set(int(s) for s in wide.columns)
    chosen: List[int] = []
    for s in list(data.crashed_servers) + list(extra):
        if s in present and s not in chosen:
            chosen.append(s)
    return chosen[:MAX_HIGHLIGHT]


def _busiest(wide: pd.DataFrame) -> List[int]:
    if wide.empty:
        return []
    peaks = wide.max(axis=0, skipna=True).dropna()
    if peaks.empty:
        return []
    return [int(peaks.idxmax())]


def _plot_servers(ax, wide: pd.DataFrame, data: PlotData, highlight: Sequence[int],
                  roles: Dict[int, str], scale: float = 1.0, drawstyle: str = "default") -> List:
    """One line per server; returns legend handles."""
    if wide.empty:
        return []
    x = wide.index.to_numpy(dtype=float)
    servers = [int(s) for s in wide.columns]
    extra = point_markers(len(x))
    handles: List = []
    crowded = len(servers) > MANY_SERVERS
    if crowded:
        grey = [s for s in servers if s not in highlight]
        if grey:
            ys = wide[grey].to_numpy(dtype=float) * scale
            ax.plot(x, ys, color=GREY, linewidth=0.5, alpha=0.55, zorder=1, drawstyle=drawstyle, **extra)
            handles.append(Line2D([], [], color=GREY, linewidth=0.8,
                                  label=f"other servers ({len(grey)})"))
        order = list(highlight)
    else:
        order = servers
    for i, s in enumerate(order):
        colour = PALETTE[i % len(PALETTE)]
        role = roles.get(s)
        label = f"server {s}" + (f" ({role})" if role else "")
        line, = ax.plot(x, wide[s].to_numpy(dtype=float) * scale, color=colour,
                        linewidth=1.3 if crowded or role else 1.0, zorder=3, label=label,
                        drawstyle=drawstyle, **extra)
        handles.append(line)
    if crowded and len(handles) > len(order):
        handles = handles[1:] + handles[:1]  # highlighted first, the grey crowd last
    return handles


def set_time_limits(ax, data: PlotData, x: np.ndarray) -> None:
    lo = 0.0
    hi = max(float(np.nanmax(x)) if len(x) else 0.0, data.end_s)
    if hi <= lo:
        hi = lo + 1.0
    ax.set_xlim(lo, hi)


def _roles(data: PlotData, busiest: Sequence[int], busiest_role: str) -> Dict[int, str]:
    roles: Dict[int, str] = {}
    for s in data.crashed_servers:
        roles[s] = "crashed"
    for s in busiest:
        roles[s] = roles[s] + ", " + busiest_role if s in roles else busiest_role
    return roles


# --------------------------------------------------------------------------------------------
# Figures


def connections_figure(data: PlotData) -> Optional[bytes]:
    """Open connections per server, and the fleet total against the capacity of the servers up."""
    wide = _wide(data.servers, C.connections)
    if wide.empty and data.fleet.empty:
        return None
    fig = new_figure(5.4)
    ax, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.6]})
    busiest = _busiest(wide)
    handles = _plot_servers(ax, wide, data, _highlight(data, wide, busiest), _roles(data, busiest, "busiest"))
    if data.max_connections is not None:
        ax.axhline(data.max_connections, color="#d62728", linestyle="-.", linewidth=1.0, zorder=2)
        handles.append(Line2D([], [], color="#d62728", linestyle="-.", linewidth=1.0,
                              label="connection limit"))
    mark_faults(ax, data.faults, data.end_s)
    style_axes(ax, "open connections\nper server", xlabel=None)
    thousands_axis(ax)
    ax.set_ylim(bottom=0)
    add_legend(ax, handles + fault_handles(data.faults))
    ax.set_title("Connections per server", loc="left", fontsize=FONT + 1)

    fleet = data.fleet
    handles2: List = []
    if not fleet.empty and C.connections in fleet.columns:
        x = fleet[C.time_s].to_numpy(dtype=float)
        line, = ax2.plot(x, fleet[C.connections].to_numpy(dtype=float), color="#1f77b4",
                         linewidth=1.2, label="fleet total", **point_markers(len(x)))
        handles2.append(line)
        if data.max_connections is not None and C.up in fleet.columns:
            cap = fleet[C.up].to_numpy(dtype=float) * data.max_connections
            line, = ax2.plot(x, cap, color="#d62728", linestyle="-.", linewidth=1.0,
                             drawstyle="steps-pre", label="capacity of servers up", **point_markers(len(x)))
            handles2.append(line)
        set_time_limits(ax2, data, x)
    elif not wide.empty:
        set_time_limits(ax2, data, wide.index.to_numpy(dtype=float))
    mark_faults(ax2, data.faults, data.end_s, label=False)
    style_axes(ax2, "open connections\nfleet")
    thousands_axis(ax2)
    ax2.set_ylim(bottom=0)
    add_legend(ax2, handles2)
    return to_png(fig)


def zoom_windows(data: PlotData, max_windows: int = MAX_ZOOMS) -> List[Tuple[float, float, List[Fault]]]:
    """Time windows around the crashes (merged when they overlap): from a little before the crash
    until the storm is over (1.5 x the reconnect time, or 60 s when unknown), clipped to the run."""
    if not data.faults:
        return []
    dt = data.sample_interval_s
    spans = []
    for f in sorted(data.faults, key=lambda f: f.at_s):
        after = f.reconnected_within_s * 1.5 if f.reconnected_within_s else 60.0
        after = max(after, 15 * dt, 10.0)
        before = max(0.25 * after, 3 * dt)
        lo = max(0.0, f.at_s - before)
        hi = min(data.end_s, f.at_s + after) if data.end_s > f.at_s else f.at_s + after
        spans.append([lo, hi, [f]])
    merged: List[List] = []
    for span in spans:
        if merged and span[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span[1])
            merged[-1][2].extend(span[2])
        else:
            merged.append(span)
    return [(lo, hi, fs) for lo, hi, fs in merged[:max_windows]]


_RATE_SERIES = [  # column, label, colour, linestyle
    (C.attempts, "connection attempts", "#1f77b4", "-"),
    (C.retries, "of which reconnects (retries)", "#ff7f0e", "--"),
    (C.rejected, "refused", "#d62728", "-"),
    (C.failed, "failed", "#9467bd", ":"),
]


def attempts_figure(data: PlotData) -> Optional[bytes]:
    """Connection attempts, retries, rejections and failures per second; a zoom on each crash."""
    fleet = data.fleet
    series = [s for s in _RATE_SERIES if s[0] in fleet.columns]
    if fleet.empty or not series:
        return None
    x = fleet[C.time_s].to_numpy(dtype=float)
    dt = data.sample_interval_s if data.sample_interval_s > 0 else 1.0
    windows = zoom_windows(data)
    fig = new_figure(5.6 if windows else 3.2)
    if windows:
        gs = fig.add_gridspec(2, len(windows), height_ratios=[1.25, 1])
        top = fig.add_subplot(gs[0, :])
        zooms = [fig.add_subplot(gs[1, i]) for i in range(len(windows))]
    else:
        top = fig.add_subplot(1, 1, 1)
        zooms = []
    extra = point_markers(len(x))

    def draw(ax, lw: float) -> List:
        handles = []
        for column, label, colour, style in series:
            label = data.labels.get(column, label)
            y = fleet[column].to_numpy(dtype=float) / dt
            line, = ax.plot(x, y, color=colour, linestyle=style, linewidth=lw, label=label,
                            drawstyle="steps-pre", **extra)
            handles.append(line)
        return handles

    handles = draw(top, 1.0)
    mark_faults(top, data.faults, data.end_s)
    set_time_limits(top, data, x)
    top.set_ylim(bottom=0)
    style_axes(top, "per second")
    thousands_axis(top)
    top.set_title("Connection attempts, rejections and failures (whole run)", loc="left", fontsize=FONT + 1)
    add_legend(top, handles + fault_handles(data.faults))
    for ax, (lo, hi, fs) in zip(zooms, windows):
        draw(ax, 1.2)
        mark_faults(ax, data.faults, data.end_s, label=False)
        ax.set_xlim(lo, hi)
        inside = (x >= lo) & (x <= hi)
        peak = 0.0
        for column, *_ in series:
            vals = fleet[column].to_numpy(dtype=float)[inside] / dt
            vals = vals[np.isfinite(vals)]
            if vals.size:
                peak = max(peak, float(vals.max()))
        ax.set_ylim(0, peak * 1.08 if peak > 0 else 1.0)
        style_axes(ax, "per second" if ax is zooms[0] else "")
        thousands_axis(ax)
        if len(fs) == 1:
            title = f"Zoom: {fs[0].label} crashes at {fs[0].at_s:g} s"
        else:
            title = "Zoom: " + ", ".join(f"{f.label} at {f.at_s:g} s" for f in fs[:3]) + (" …" if len(fs) > 3 else "")
        ax.set_title(title, loc="left", fontsize=FONT)
    return to_png(fig)


def cpu_figure(data: PlotData) -> Optional[bytes]:
    """CPU utilisation per server (busy fraction per sample interval); CPU backlog if any."""
    wide = _wide(data.servers, C.cpu_utilisation)
    if wide.empty or not np.isfinite(wide.to_numpy()).any():
        return None
    backlog = None
    if C.cpu_backlog_ms in data.fleet.columns and not data.fleet.empty:
        b = data.fleet[C.cpu_backlog_ms].to_numpy(dtype=float)
        if np.isfinite(b).any() and np.nanmax(b) > 0:
            backlog = b
    fig = new_figure(5.0 if backlog is not None else 3.4)
    if backlog is not None:
        ax, ax2 = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.4, 1]})
    else:
        ax, ax2 = fig.add_subplot(1, 1, 1), None
    busiest = _busiest(wide)
    handles = _plot_servers(ax, wide, data, _highlight(data, wide, busiest), _roles(data, busiest, "busiest CPU"),
                            scale=100.0, drawstyle="steps-pre")
    ax.axhline(100.0, color="#d62728", linestyle="-.", linewidth=1.0, zorder=2)
    handles.append(Line2D([], [], color="#d62728", linestyle="-.", linewidth=1.0, label="saturated (100%)"))
    mark_faults(ax, data.faults, data.end_s)
    peak = float(np.nanmax(wide.to_numpy(dtype=float))) * 100.0
    ax.set_ylim(0, max(105.0, peak * 1.05))
    set_time_limits(ax, data, wide.index.to_numpy(dtype=float))
    style_axes(ax, "CPU busy (%)", xlabel=None if ax2 is not None else "time (s)")
    ax.set_title("CPU utilisation per server", loc="left", fontsize=FONT + 1)
    add_legend(ax, handles + fault_handles(data.faults))
    if ax2 is not None and backlog is not None:
        x = data.fleet[C.time_s].to_numpy(dtype=float)
        line, = ax2.plot(x, backlog, color="#8c564b", linewidth=1.1, label="largest CPU backlog\nof any server",
                         **point_markers(len(x)))
        mark_faults(ax2, data.faults, data.end_s, label=False)
        style_axes(ax2, "queued CPU\nwork (ms)")
        ax2.set_ylim(bottom=0)
        add_legend(ax2, [line])
    return to_png(fig)


def latency_figure(data: PlotData) -> Optional[bytes]:
    """Message latency p50 and p99 per sample interval (log scale when it spans decades)."""
    fleet = data.fleet
    cols = [c for c in (C.latency_p50_ms, C.latency_p99_ms) if c in fleet.columns]
    if fleet.empty or not cols:
        return None
    values = fleet[cols].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    positive = finite[finite > 0]
    log = positive.size > 0 and positive.max() / positive.min() >= 100.0
    fig = new_figure(3.2)
    ax = fig.add_subplot(1, 1, 1)
    x = fleet[C.time_s].to_numpy(dtype=float)
    handles = []
    for col, label, colour, style in ((C.latency_p50_ms, "median (p50)", "#1f77b4", "-"),
                                      (C.latency_p99_ms, "p99", "#d62728", "-")):
        if col not in fleet.columns:
            continue
        y = fleet[col].to_numpy(dtype=float)
        if log:
            y = np.where(y > 0, y, np.nan)
        n = int(np.isfinite(y).sum())
        line, = ax.plot(x, y, color=colour, linestyle=style, linewidth=1.1, label=label, **point_markers(n))
        handles.append(line)
    if log:
        ax.set_yscale("log")
        if positive.max() / positive.min() <= 1000:  # few decades: label 1-2-5 steps too
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_ylim(bottom=0)
    mark_faults(ax, data.faults, data.end_s)
    set_time_limits(ax, data, x)
    style_axes(ax, "message latency (ms)" + (", log scale" if log else ""))
    ax.set_title("Message latency (per sample interval)", loc="left", fontsize=FONT + 1)
    add_legend(ax, handles + fault_handles(data.faults))
    return to_png(fig)


def waiting_figure(data: PlotData) -> Optional[bytes]:
    """Clients sitting in backoff (disconnected, waiting to retry) across the fleet."""
    fleet = data.fleet
    if fleet.empty or C.waiting not in fleet.columns:
        return None
    y = fleet[C.waiting].to_numpy(dtype=float)
    if not np.isfinite(y).any():
        return None
    fig = new_figure(2.8)
    ax = fig.add_subplot(1, 1, 1)
    x = fleet[C.time_s].to_numpy(dtype=float)
    line, = ax.plot(x, y, color="#ff7f0e", linewidth=1.2, label="clients waiting\nin backoff", **point_markers(len(x)))
    ax.fill_between(x, 0, np.nan_to_num(y), color="#ff7f0e", alpha=0.15, linewidth=0)
    mark_faults(ax, data.faults, data.end_s)
    set_time_limits(ax, data, x)
    ax.set_ylim(bottom=0)
    style_axes(ax, "clients")
    thousands_axis(ax)
    ax.set_title("Clients waiting in backoff", loc="left", fontsize=FONT + 1)
    add_legend(ax, [line] + fault_handles(data.faults))
    return to_png(fig)
