"""The report's section on the [autoscaler]: what the controller decided, how long new servers took
to serve, what the scaling cost, and the replicas over time beside the load. Pure Python (reads
summary.json's "autoscaler" block and the fleet rows of timeseries.csv)."""
from __future__ import annotations

from typing import Any, List, Mapping, Optional

import numpy as np
import pandas as pd

from . import _plots
from ._describe import as_float, fmt_int, fmt_num, fmt_seconds
from ._html import render
from ._group_plots import site_lines
from .views import Scenario, Summary
from .views import COLUMNS as C

__all__ = ["autoscaler_section", "autoscaler_sentences", "replicas_figure"]

_METRIC_WORDS = {
    "cpu": "CPU (cores busy over each sync period, against each server's cores)",
    "connections": "open connections (against each server's connection limit)",
    "memory": "memory (against each server's memory limit)",
    "buffered_bytes": "bytes in send buffers",
    "p99_latency": "the 99th percentile of message latency over each sync period (ms)",
}


def _target_words(scenario: Mapping[str, Any]) -> str:
    # The target is a policy parameter: [autoscaler]'s open keys, read by name (wsfleet list).
    section = Scenario(scenario).autoscaler
    value = as_float(section.get("target_average_value"))
    if value:
        return f"an average of {fmt_num(value)} per server"
    pct = as_float(section.get("target_utilization_pct"))
    if pct:
        return f"{fmt_num(pct)} % of capacity"
    threshold = as_float(section.get("threshold"))
    if threshold:
        return f"{fmt_num(threshold)} per replica (KEDA threshold)"
    return "the policy's default target"


def autoscaler_sentences(summary: Mapping[str, Any], scenario: Mapping[str, Any],
                         fleet: Optional[pd.DataFrame] = None) -> List[str]:
    """Plain sentences on the autoscaler of a run; [] without one."""
    a = Summary(summary).autoscaler
    if a is None:  # a run without [autoscaler]
        return []
    metric = str(Scenario(scenario).autoscaler.metric)
    decisions, servers, replicas = a.decisions, a.servers, a.replicas
    out = [
        f"A {a.policy} controller synced every {fmt_seconds(a.sync_period_s)} on "
        f"{_METRIC_WORDS.get(metric, metric)}, aiming at {_target_words(scenario)}. Of its "
        f"{fmt_int(decisions.total)} decisions, {fmt_int(decisions.scale_up)} scaled up, "
        f"{fmt_int(decisions.scale_down)} scaled down and {fmt_int(decisions.no_change)} kept the "
        f"count; a rate limit, a cooldown or the bounds changed {fmt_int(decisions.limited)} of them"
        + (f", and {fmt_int(decisions.without_metrics)} had no usable metric"
           if (as_float(decisions.without_metrics) or 0) > 0 else "") + ".",
    ]
    first = as_float(a.first_scale_up_s)
    ready = as_float(a.mean_launch_to_ready_s)
    launched = as_float(servers.launched) or 0
    if launched > 0:
        out.append(
            f"It launched {fmt_int(launched)} servers"
            + (f", the first at {fmt_seconds(first)}" if first is not None else "")
            + f"; {fmt_int(servers.became_ready)} became ready and joined the balancers"
            + (f", {fmt_num(ready)} s after the decision that asked for them on average" if ready is not None else "")
            + (f"; {fmt_int(servers.cancelled)} were cancelled by a scale-in before they were ready"
               if (as_float(servers.cancelled) or 0) > 0 else "")
            + ". Until a server is ready its share of the load waits: rejected attempts retry through the "
              "clients' backoff.")
    else:
        out.append("It never launched a server.")
    if metric == "connections" and fleet is not None and C.waiting in fleet.columns and launched > 0:
        waiting = fleet[C.waiting].to_numpy(dtype=float)
        if np.isfinite(waiting).any() and np.nanmax(waiting) > 0:
            out.append(f"The controller counts open connections only: up to {fmt_int(np.nanmax(waiting))} clients "
                       "refused during the wave waited in backoff, invisible to it, so it scaled in steps, each "
                       "time the servers it had added filled up.")
    drains = as_float(servers.drains_started) or 0
    if drains > 0:
        out.append(f"It removed {fmt_int(drains)} servers by draining them; at their deadline they closed "
                   f"{fmt_int(a.connections_closed_by_scale_in)} open connections, whose clients "
                   "reconnected elsewhere (a scale-in makes its own small storm).")
    out.append(f"Replicas peaked at {fmt_int(replicas.peak)} and ended at {fmt_int(replicas.at_end)} "
               f"({fmt_int(servers.in_service_at_end)} in service). The fleet cost "
               f"{fmt_num(a.cost)} for {fmt_num(a.server_hours)} server-hours (each server billed from "
               "its launch to its removal at its class's cost_per_hour).")
    actions = a.scheduled_actions
    if actions is not None and (as_float(actions.applied) or 0) > 0:
        out.append(f"{fmt_int(actions.applied)} scheduled actions ([[scaling]]) changed its bounds: they launched "
                   f"{fmt_int(actions.launched)} servers up to a raised minimum and removed {fmt_int(actions.removed)} "
                   "above a lowered maximum at once.")
    sites = a.sites
    if sites:
        words = []
        for site in sites:
            words.append(f"{site.site}: {fmt_int(site.scale_up)} scale-ups, {fmt_int(site.scale_down)} scale-downs, "
                         f"peak {fmt_int(site.peak_replicas)}, {fmt_int(site.replicas_at_end)} at the end "
                         f"(bounds {fmt_int(site.min_replicas)}..{fmt_int(site.max_replicas)})")
        out.append("Each site had its own controller over its own servers: " + "; ".join(words) + ".")
    if fleet is not None and not fleet.empty and C.conn_max_over_mean in fleet.columns:
        last = fleet[C.conn_max_over_mean].dropna()
        if len(last) > 0 and float(last.iloc[-1]) > 1.2 and launched > 0:
            out.append(f"At the end the busiest server held {fmt_num(float(last.iloc[-1]))} times the mean: "
                       "WebSocket connections stay where they landed, so servers added during the wave got only "
                       "the connections that arrived after they were ready (rebalancing moves them: "
                       "[fleet.rebalance]).")
    return out


def replicas_figure(fleet: pd.DataFrame, data: Optional[_plots.PlotData] = None) -> Optional[bytes]:
    """Replicas asked for, ready and desired over time (top) beside the open connections (bottom);
    with several sites (`data`'s site rows), each site's servers ready too. None without autoscaler
    columns."""
    if fleet is None or fleet.empty or C.replicas not in fleet.columns:
        return None
    x = fleet[C.time_s].to_numpy(dtype=float)
    fig = _plots.new_figure(4.2)
    top = fig.add_subplot(2, 1, 1)
    handles = []
    for column, colour, label, style in ((C.replicas, "#1f77b4", "replicas asked for", "-"),
                                         (C.replicas_ready, "#2ca02c", "ready (in the balancers)", "-"),
                                         (C.replicas_desired, "#d62728", "last decision", ":")):
        if column in fleet.columns:
            line, = top.plot(x, fleet[column].to_numpy(dtype=float), color=colour, linestyle=style, linewidth=1.3,
                             label=label, drawstyle="steps-post")
            handles.append(line)
    if data is not None and not data.sites.empty:
        handles += site_lines(top, data.sites, lambda k: f"{data.site_name(k)}: ready", linewidth=1.0)
    top.set_ylim(bottom=0)
    _plots.style_axes(top, "servers", xlabel=None)
    top.set_title("Replicas: asked for, ready, and the controller's last decision", loc="left", fontsize=_plots.FONT + 1)
    _plots.add_legend(top, handles)
    bottom = fig.add_subplot(2, 1, 2, sharex=top)
    conns, = bottom.plot(x, fleet[C.connections].to_numpy(dtype=float), color="#444444", linewidth=1.2,
                         label="open connections")
    lower = [conns]
    if C.rejected in fleet.columns:
        ax2 = bottom.twinx()
        dt = np.diff(x, prepend=0.0)
        dt[dt <= 0] = np.nan
        rate = fleet[C.rejected].to_numpy(dtype=float) / dt
        rej, = ax2.plot(x, rate, color="#ff7f0e", linewidth=1.0, label="refused attempts per second")
        ax2.set_ylim(bottom=0)
        ax2.tick_params(labelsize=_plots.FONT - 0.5)
        ax2.set_ylabel("refused per s", fontsize=_plots.FONT)
        lower.append(rej)
    bottom.set_ylim(bottom=0)
    _plots.style_axes(bottom, "connections")
    # Inside the axes: the right-hand axis of the refusals takes the room beside them.
    bottom.legend(handles=lower, loc="lower right", fontsize=_plots.FONT - 0.5, frameon=False)
    return _plots.to_png(fig)


def autoscaler_section(summary: Mapping[str, Any], scenario: Mapping[str, Any], fleet: pd.DataFrame,
                       number: int, plots: bool = True, data: Optional[_plots.PlotData] = None) -> str:
    """The report's autoscaler section, numbered `number`; "" when the run had no autoscaler. `data`
    (the report's plot data): with several sites, the replicas figure shows each site's servers ready."""
    sentences = autoscaler_sentences(summary, scenario, fleet)
    if not sentences:
        return ""
    png = replicas_figure(fleet, data) if plots else None
    per_site = ("; thin lines: each site's servers ready (the site rows of timeseries.csv)"
                if data is not None and not data.sites.empty else "")
    return render("autoscaler.html.j2", number=number, sentences=sentences, png=png, per_site=per_site)
