"""Operations in the run report: the deploys of a run ([[deploys]]) and its gray failures
([[faults]] slow_server, handshake_blackhole, health_flap, link_degrade, dropped_messages, link_loss,
link_down), in words and one figure.

`deploy_sentences(deploys)` turns summary.json's `deploys` into sentences a planner reads (how long
each rollout took, what it closed, how fast the clients came back, the reconnect peak it caused,
the servers it kept available), and `deploy_figure(fleet)` draws the servers by version and state
and the clients a deploy disconnected over time. `gray_failure_sentences(summary, fleet, servers)`
says what each gray failure did while it lasted, from the time series. A run without them gets no
sentence and no figure. Pure Python over the run directory's files, like the rest of the report.
"""
from __future__ import annotations

from typing import Any, List, Mapping, Optional

import numpy as np
import pandas as pd

from ._describe import GRAY_FAILURES, as_float, fmt_int, fmt_ms, fmt_num, fmt_pct, fmt_seconds, pluralise
from ._plots import add_legend, new_figure, style_axes, to_png
from .views import Summary, View
from .views import COLUMNS as C

__all__ = ["deploy_sentences", "deploy_figure", "gray_failure_sentences", "STRATEGY_WORDS", "SIGTERM_WORDS"]

STRATEGY_WORDS = {
    "rolling": "rolling update",
    "blue_green": "blue/green switch",
    "canary": "canary rollout",
}

SIGTERM_WORDS = {
    "close": "closes every connection at SIGTERM",
    "spread": "spreads its closes over the grace period",
    "ignore": "ignores SIGTERM until SIGKILL cuts its connections",
}


def _count(n: float, noun: str) -> str:
    """3 -> "3 servers", 1 -> "1 server"."""
    return f"{fmt_int(n)} {pluralise(n, noun)}"


def _closes_phrase(d: View) -> str:
    parts = []
    for count, words in ((d.closed_at_sigterm, "at SIGTERM"), (d.closed_spread, "spread over the grace period"),
                         (d.closed_at_kill, "by SIGKILL at the end of the grace period")):
        n = as_float(count) or 0
        if n > 0:
            parts.append(f"{fmt_int(n)} {words}")
    return ", ".join(parts)


def deploy_sentences(deploys: List[View]) -> List[str]:
    """One paragraph per deploy (Summary.deploys), then the trade-off between a deploy's length and
    its reconnect peak."""
    out: List[str] = []
    for i, d in enumerate(deploys):
        strategy = STRATEGY_WORDS.get(str(d.strategy), str(d.strategy))
        replicas = as_float(d.replicas) or 0
        started = as_float(d.started_s)
        head = f"Deploy {i + 1}, a {strategy} of {_count(replicas, 'server')}"
        if str(d.strategy) != "blue_green":
            head += f" (max surge {fmt_int(d.max_surge)}, max unavailable {fmt_int(d.max_unavailable)})"
        if started is None:
            out.append(head + f", was due at {fmt_seconds(d.at_s)} but did not start within the run.")
            continue
        text = head + f", started at {fmt_seconds(started)}"
        duration = as_float(d.duration_s)
        finished = as_float(d.finished_s)
        if duration is None:
            text += " and was not complete when the run ended."
        else:
            text += f" and was complete after {fmt_seconds(duration)}"
            if finished is not None and finished > duration:
                text += f"; its last old server was gone after {fmt_seconds(finished)}"
            text += "."
        text += (f" It started {_count(as_float(d.servers_started) or 0, 'new server')}, kept at least "
                 f"{_count(as_float(d.min_available) or 0, 'server')} available and ran at most "
                 f"{_count(as_float(d.peak_servers) or 0, 'server')} at once.")
        closed = as_float(d.connections_closed) or 0
        if closed == 0:
            text += " It closed no connection."
            out.append(text)
            continue
        text += f" Its terminating servers closed {fmt_int(closed)} connections ({_closes_phrase(d)})"
        cut = as_float(d.handshakes_cut) or 0
        if cut:
            text += f" and cut {fmt_int(cut)} handshakes in progress"
        text += "."
        rec = d.reconnect_s
        reconnected = as_float(d.reconnected) or 0
        gave_up = as_float(d.gave_up) or 0
        away = as_float(d.not_reconnected_at_end) or 0
        back = f" {fmt_int(reconnected)} of those clients connected again"
        if as_float(rec.p50) is not None:
            back += f" (median {fmt_seconds(rec.p50)}, 99th percentile {fmt_seconds(rec.p99)} after their close)"
        all_back = as_float(d.all_reconnected_s)
        if all_back is not None:
            back += f"; all were back {fmt_seconds(all_back)} after the deploy started"
        if gave_up:
            back += f"; {fmt_int(gave_up)} gave up"
        if away:
            back += f"; {fmt_int(away)} were still away at the end"
        text += back + "."
        text += (f" The reconnect peak: {fmt_int(d.peak_disconnected)} of its clients away at once, "
                 f"and {fmt_int(d.peak_retries_per_s)} reconnection attempts in one second across the fleet.")
        out.append(text)
    started = [d for d in deploys if as_float(d.connections_closed)]
    if started:
        out.append("The trade-off: the servers a deploy terminates at once set its reconnect peak (each takes its "
                   "share of the connections with it), and how many it may terminate at once sets its length. A "
                   "smaller max_surge and max_unavailable lower the peak and lengthen the deploy; "
                   "on_sigterm = \"spread\" (closing connections over the grace period) or a longer grace period "
                   "lowers the peak without a longer rollout, and a jittered client backoff flattens it.")
    return out


def deploy_figure(fleet: pd.DataFrame) -> Optional[bytes]:
    """Servers by version and state (old, starting, new, terminating) and the clients a deploy
    disconnected, over time; None without deploy columns."""
    if fleet.empty or C.deploy_old not in fleet.columns:
        return None
    x = fleet[C.time_s].to_numpy(dtype=float)
    fig = new_figure(4.6)
    top = fig.add_subplot(2, 1, 1)
    series = [(C.deploy_old, "old version, in service", "#1f77b4"),
              (C.deploy_starting, "new version, starting", "#bcbd22"),
              (C.deploy_new, "new version, ready", "#2ca02c"),
              (C.deploy_terminating, "old version, terminating", "#d62728")]
    ys = [np.nan_to_num(fleet[c].to_numpy(dtype=float)) for c, _, _ in series]
    polys = top.stackplot(x, *ys, colors=[c for _, _, c in series], labels=[lbl for _, lbl, _ in series],
                          alpha=0.8, step="pre")
    style_axes(top, "servers", xlabel=None)
    top.set_xlim(x.min() if len(x) else 0, x.max() if len(x) else 1)
    top.set_title("Servers by version and state", loc="left", fontsize=9)
    add_legend(top, list(polys))
    bottom = fig.add_subplot(2, 1, 2, sharex=top)
    away, = bottom.plot(x, fleet[C.deploy_away].to_numpy(dtype=float), color="#ff7f0e", linewidth=1.2,
                        drawstyle="steps-pre", label="clients a deploy disconnected, not yet back")
    closed, = bottom.plot(x, fleet[C.deploy_closed].to_numpy(dtype=float), color="#7f7f7f", linewidth=1.0,
                          drawstyle="steps-pre", label="connections closed by the deploy in the interval")
    handles = [away, closed]
    if C.retries in fleet.columns:
        retries, = bottom.plot(x, fleet[C.retries].to_numpy(dtype=float), color="#9467bd", linewidth=0.9,
                               linestyle="--", drawstyle="steps-pre", label="reconnection attempts in the interval")
        handles.append(retries)
    bottom.set_ylim(bottom=0)
    style_axes(bottom, "clients")
    bottom.set_title("The reconnect storm it causes", loc="left", fontsize=9)
    add_legend(bottom, handles)
    return to_png(fig)


def _window(frame: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Rows sampled in (start, end]."""
    if frame.empty:
        return frame
    return frame[(frame[C.time_s] > start) & (frame[C.time_s] <= end)]


def _mean(frame: pd.DataFrame, column: str) -> Optional[float]:
    if frame.empty or column not in frame.columns:
        return None
    v = frame[column].astype(float)
    return float(v.mean()) if v.notna().any() else None


def _max(frame: pd.DataFrame, column: str) -> Optional[float]:
    if frame.empty or column not in frame.columns:
        return None
    v = frame[column].astype(float)
    return float(v.max()) if v.notna().any() else None


def gray_failure_sentences(summary: Mapping[str, Any], fleet: pd.DataFrame, servers: pd.DataFrame,
                           end_s: float) -> List[str]:
    """What each gray failure of the run did while it lasted, measured on the time series."""
    out: List[str] = []
    s = Summary(summary)
    for fault in s.faults:
        if fault.type not in GRAY_FAILURES:
            continue
        kind = str(fault.type)
        at = as_float(fault.at_s) or 0.0
        recover = as_float(fault.recover_after_s)
        until = min(end_s, at + recover) if recover is not None else end_s
        span = f"from {fmt_seconds(at)} to {fmt_seconds(until)}"
        server = as_float(fault.server)
        mine = servers[servers[C.server] == server] if server is not None and not servers.empty else servers.iloc[0:0]
        others = servers[(servers[C.server] != server) & (servers[C.up] > 0)] if not servers.empty else servers
        during, others_during = _window(mine, at, until), _window(others, at, until)
        if kind == "slow_server":
            cpu = _mean(during, C.cpu_utilisation)
            p99 = _max(during, C.latency_p99_ms)
            rest = _window(others, at, until).groupby(C.time_s)[C.latency_p99_ms].median() if not others.empty else None
            text = f"Server {fmt_int(server)} ran slow {span} and stayed in service"
            if cpu is not None:
                text += f": its CPU was {fmt_pct(cpu, 1)} busy on average, the stolen time included"
            if p99 is not None:
                text += f", its messages' 99th percentile latency reached {fmt_ms(p99)}"
                if rest is not None and rest.notna().any():
                    text += f" (the other servers: {fmt_ms(float(rest.max()))} at most)"
            est = during[C.established].sum() if C.established in during.columns else 0
            text += (f", and it took {fmt_int(est)} new connections meanwhile: nothing in the balancers' "
                     "view (connections, health checks) tells a slow server from a healthy one.")
            out.append(text)
        elif kind == "handshake_blackhole":
            failed = during[C.failed].sum() if C.failed in during.columns else 0
            est = during[C.established].sum() if C.established in during.columns else 0
            timeouts = _window(fleet, at, until)[C.failed].sum() if C.failed in fleet.columns else 0
            out.append(f"Server {fmt_int(server)} accepted connections {span} but completed no handshake: "
                       f"{fmt_int(failed)} handshakes it took timed out ({fmt_int(est)} established), and the fleet "
                       f"counted {fmt_int(timeouts)} failed attempts in that time. Its open connections carried on; "
                       "a balancer that counts connections sees it as the emptiest server and keeps sending it more.")
        elif kind == "health_flap":
            est = during[C.established] if C.established in during.columns else pd.Series(dtype=float)
            idle = int((est == 0).sum()) if not est.empty else 0
            marked = sum(as_float(b.marked_down) or 0 for b in s.balancers)
            out.append(f"The health endpoint of server {fmt_int(server)} failed half of every period {span} while "
                       f"the server served on: in {_count(idle, 'sample interval')} of that time it took no new "
                       f"connection (out of the balancers' rotation), and the balancers took a server out "
                       f"{_count(marked, 'time')} in the whole run. Its open connections were never cut.")
        elif kind == "link_degrade":
            before = _mean(_window(fleet, max(0.0, at - (until - at)), at), C.latency_p50_ms)
            while_ = _mean(_window(fleet, at, until), C.latency_p50_ms)
            text = f"The path to site {fault.site} was slower {span}"
            if before is not None and while_ is not None:
                text += (f": the fleet's median message latency went from {fmt_ms(before)} to {fmt_ms(while_)}"
                         f" (+{fmt_num(while_ - before)} ms)")
            out.append(text + "; handshakes took two extra one-way delays, and nothing was cut.")
        elif kind in ("dropped_messages", "link_loss", "link_down"):
            where = (f"Server {fmt_int(server)} dropped frames" if kind == "dropped_messages"
                     else f"The path to site {fault.site} lost packets" if kind == "link_loss"
                     else f"The link to site {fault.site} was down")
            text = (f"{where} {span}: {_count(as_float(fault.messages_lost) or 0, 'message')} and "
                    f"{_count(as_float(fault.heartbeats_lost) or 0, 'heartbeat')} lost")
            if kind == "link_loss":
                text += (f", {_count(as_float(fault.retransmissions) or 0, 'TCP retransmission')}, "
                         f"{_count(as_float(fault.handshakes_delayed) or 0, 'handshake')} slowed by one")
                delayed = as_float(fault.messages_delayed) or 0
                if delayed:
                    mean_ms = 1000.0 * (as_float(fault.message_delay_s) or 0.0) / delayed
                    text += (f", {_count(delayed, 'message')} late by {fmt_num(mean_ms)} ms on average "
                             "(in their latency)")
            if kind == "link_down":
                blocked = as_float(fault.attempts_blocked) or 0
                if blocked:
                    text += (f"; {_count(blocked, 'connection attempt')} never reached the balancers (their SYNs were "
                             f"retransmitted {fmt_int(as_float(fault.syn_retransmissions) or 0)} times): "
                             f"{fmt_int(as_float(fault.syn_timeouts) or 0)} ended at the connect timeout, "
                             f"{fmt_int(as_float(fault.attempts_through_after_link_back) or 0)} got through once the "
                             "link was back")
            closed = as_float(fault.heartbeat_timeouts) or 0
            text += (f"; heartbeat timeouts then closed {_count(closed, 'connection')}" if closed
                     else "; no heartbeat timeout closed a connection")
            out.append(text + ". Nothing was closed at once: the clients saw timeouts, not closes.")
    return out
