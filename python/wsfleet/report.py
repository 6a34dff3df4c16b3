"""The capacity-planning report of one run: a single self-contained HTML file.

    python -m wsfleet.report RUN_DIR [--out FILE] [--no-plots]

(A sweep or plan directory, written by `wsfleet sweep|plan --out DIR`, gets the study report of
wsfleet._study_report instead.)

reads the run directory written by `wsfleet run SCENARIO --out RUN_DIR` (summary.json,
timeseries.csv, scenario.toml) and writes RUN_DIR/report.html (or FILE): the question and the
assumptions in plain words, the headline numbers with a verdict a planner can act on, the plots
(embedded PNG), and the scenario file with the run metadata. The file needs no network and no
JavaScript, and prints (or saves as PDF) one section per page.

From Python: `write_report(run_dir, out=None) -> Path`. Bad inputs raise `ReportError`, whose
message names the offending file; the command line prints it on one line and exits with status 2.

This module is pure Python; of the compiled engine it uses only the schemas of summary.json and of
scenario files, through the typed views it reads every key with (wsfleet.views).
"""
from __future__ import annotations

import argparse
import os
import sys
import types
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from . import _plots
from ._autoscaling_report import autoscaler_section
from ._life import connection_life
from ._replicated import Replications, read_replications
from ._replication_report import bands_html, replicated_cards, replication_runs, replications_html
from ._steady_report import steady_html
from ._limits import autoscaled_peak
from ._operations import deploy_figure, deploy_sentences, gray_failure_sentences
from ._theory import theory_html
from .views import COLUMNS as C
from .views import Scenario, Summary, View
from ._alerts_report import monitoring_section
from ._html import CSS, STATUS_WORDS, esc, img
from ._run_dir import (REPORT_FILE, SCENARIO_FILE, SUMMARY_FILE, TIMESERIES_FILE, PathLike, ReportError, ReportWriteError,
                       Run, load_run)
from ._analysis import (CPU_SATURATED, FAIL_REASONS, HEADROOM_WARNING, REJECT_REASONS, Analysis, Finding,  # noqa: F401
                        Storm, analyse, cause_words, reason_counts, session_opening_sentence)
from ._describe import (GRAY_FAILURES, as_float, capitalise, describe_scenario, fmt_duration, fmt_int, fmt_mib,
                        fmt_ms, fmt_num, fmt_pct, fmt_seconds, fmt_share, scenario_question)

__all__ = ["write_report", "render_report", "load_run", "analyse", "ReportError", "Run", "main",
           "SUMMARY_FILE", "TIMESERIES_FILE", "SCENARIO_FILE", "REPORT_FILE"]


# --------------------------------------------------------------------------------------------
# HTML

_LEVEL_TAGS = {"fail": "PROBLEM", "warn": "WATCH", "ok": "OK", "note": "NOTE"}


def _rows(rows: Sequence[Tuple[str, str, str]]) -> str:
    """Table rows of (label, value, note); value and note are already HTML."""
    return "\n".join(f"<tr><th scope=\"row\">{esc(label)}</th><td class=\"num\">{value}</td><td>{note}</td></tr>"
                     for label, value, note in rows)


_STATE_WORDS = {"bound": "reached", "near": "near", "ok": "margin", "n/a": "not set"}


def _limits_table(a: Analysis) -> str:
    """One row per limit of the model: what the worst moment used of it, and what reaching it did."""
    if not a.limits:
        return ""
    rows = []
    for limit in sorted((l for l in a.limits if l.shown), key=lambda l: ("bound", "near", "ok", "n/a").index(l.state)):
        used = fmt_share(limit.used) if limit.used is not None else "—"
        rows.append(f'<tr class="limit-{limit.state}" data-limit="{esc(limit.key)}">'
                    f'<th scope="row">{esc(capitalise(limit.name))}</th>'
                    f'<td class="num">{esc(used)}</td><td>{esc(limit.figure)}</td><td>{esc(limit.limit)}</td>'
                    f'<td><span class="tag tag-{_STATE_TAGS[limit.state]}">{esc(_STATE_WORDS[limit.state])}</span>'
                    f'{(" " + esc(limit.effect)) if limit.effect else ""}</td></tr>')
    return ('<h3 id="limits">Every limit of the model</h3><table class="limits"><thead><tr><th>Limit</th>'
            '<th>Used</th><th>At the worst moment</th><th>Limit</th><th>State and effect</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


_STATE_TAGS = {"bound": "fail", "near": "warn", "ok": "ok", "n/a": "note"}


def _unsuccessful_label(conn: View) -> str:
    """The card's label from the causes that occurred: "of connection attempts refused (server
    full) or failed (sent to a down server)" (`conn`: Summary.connections)."""
    causes = [cause_words(verb, by, names) for by, names, verb in (
        (conn.rejected_by, REJECT_REASONS, "refused"), (conn.failed_by, FAIL_REASONS, "failed"))
        if any((as_float(by.get(k)) or 0) > 0 for k in names)]
    if not causes:
        return "of connection attempts refused or failed"
    return "of connection attempts " + " or ".join(causes)


def _latency_triplet(lat: View) -> str:
    """p50 / p99 / p99.9 of a latency distribution of the summary."""
    return " / ".join(esc(fmt_ms(value)) for value in (lat.p50, lat.p99, lat.p999))


def _or_na(value: Any) -> Any:
    return "n/a" if value is None else value


def _at(time_s: Optional[float]) -> str:
    return f" at {fmt_seconds(time_s)}" if time_s is not None else ""


def _worst_deploy(sv: View) -> Optional[Tuple[int, View]]:
    """(its number from 1, its outcome) of the deploy whose clients took longest to come back (one not
    all back first), among those that closed connections; None without one."""
    closing = [(i, d) for i, d in enumerate(sv.deploys or [], 1) if (as_float(d.connections_closed) or 0) > 0]
    if not closing:
        return None
    return max(closing, key=lambda item: (item[1].all_reconnected_s is None, as_float(item[1].all_reconnected_s) or 0.0))


def _headline(a: Analysis, summary: Mapping[str, Any], reps: Optional[Replications] = None,
              runs: Optional[list] = None) -> str:
    sv = Summary(summary)
    conn, msgs, hb = sv.connections, sv.messages, sv.heartbeats
    lat = msgs.latency_ms
    attempted = conn.attempted

    # Key figure cards.
    storm_card = ("—", "no server fails in this run, so no reconnect storm")
    deploy = _worst_deploy(sv)
    if deploy is not None and not any(st.dropped for st in a.storms):
        i, d = deploy
        closed = fmt_int(d.connections_closed)
        storm_card = ((fmt_seconds(d.all_reconnected_s), f"until all {closed} clients disconnected by deploy {i} were back")
                      if d.all_reconnected_s is not None else
                      ("not all back", f"of the {closed} clients disconnected by deploy {i}, by the end of the run"))
    elif a.storms and not any(st.dropped for st in a.storms):
        storm_card = ("0", "connections dropped by the faults of this run: no reconnect storm")
    elif a.storms:
        worst = a.storms[0]
        for s in a.storms:
            if s.reconnected_within_s is None and s.dropped:
                worst = s
                break
            if (s.reconnected_within_s or 0) > (worst.reconnected_within_s or 0):
                worst = s
        if worst.reconnected_within_s is not None:
            storm_card = (fmt_seconds(worst.reconnected_within_s),
                          f"until all {fmt_int(worst.dropped)} clients dropped by {worst.fault.cause} were back")
        elif worst.dropped:
            storm_card = ("not all back", f"of the {fmt_int(worst.dropped)} clients dropped by {worst.fault.cause}, "
                          "by the end of the run")
        else:
            storm_card = ("0", f"connections dropped by {worst.fault.cause}")
    limit_share = (fmt_pct(a.peak_server_connections, a.max_connections)
                   if a.max_connections else "n/a")
    cards = [
        (fmt_int(a.peak_fleet_connections), f"peak open connections (fleet){_at(a.peak_fleet_time)}"),
        (limit_share, "of the per-server connection limit used by the busiest server"),
        (fmt_share(a.peak_cpu), "peak CPU utilisation of any server"),
        (fmt_ms(lat.p99), "p99 message latency (whole run)"),
        (fmt_pct((as_float(conn.rejected) or 0) + (as_float(conn.failed) or 0), attempted)
         if as_float(attempted) else "n/a", _unsuccessful_label(conn)),
        storm_card,
    ]
    if reps is not None:
        cards = replicated_cards(cards, reps)
    card_html = "\n".join(f'<div class="card"><div class="value">{esc(v)}</div><div class="label">{esc(l)}</div></div>'
                          for v, l in cards)

    # Verdict.
    findings = "".join(f'<li><span class="tag tag-{f.level}">{_LEVEL_TAGS[f.level]}</span> {esc(f.text)}</li>'
                       for f in a.findings)
    verdict = (f'<div class="verdict status-{a.status}">'
               f'<p class="verdict-word">Verdict: {STATUS_WORDS[a.status]}</p>'
               f'<p>{esc(a.verdict)}</p>'
               + (f"<ul>{findings}</ul>" if findings else "")
               + f'<p><strong>What to do:</strong> {esc(a.action)}</p></div>')

    # Detailed table.
    rows: List[Tuple[str, str, str]] = []
    rows.append(("Peak open connections (fleet)", esc(fmt_int(a.peak_fleet_connections)),
                 esc(f"{_at(a.peak_fleet_time).strip()}; {fmt_int(conn.active_at_end)} open at the end")))
    transport = sv.transport
    fallback = as_float(transport.peak_fallback_share)
    if fallback:
        ends, polls = transport.clients_at_end, transport.polls
        rows.append(("Peak share of clients on fallback transports", esc(fmt_share(fallback)),
                     esc(f"at the end {fmt_int(ends.long_polling)} on long polling, "
                         f"{fmt_int(ends.sse)} on SSE; {fmt_int(polls.sent)} polls, "
                         f"{fmt_int(polls.failed_by.session_unknown)} failed with \"Session ID unknown\"")))
    opening_line = session_opening_sentence(sv)
    if opening_line is not None:
        opening = sv.session_opening
        rows.append(("HTTP requests before the WebSocket", esc(fmt_int(opening.requests.sent)),
                     esc(f"{opening_line} ({fmt_int(opening.requests.failed)} of the {fmt_int(opening.requests.sent)} "
                         "requests failed)")))
    if a.servers and a.max_connections:
        # The engine's figure: each server at the start x its own class's limit (mixed classes differ).
        engine_capacity = as_float(sv.fleet.connection_capacity)
        uniform = engine_capacity is None or engine_capacity == a.servers * a.max_connections
        capacity = a.servers * a.max_connections if engine_capacity is None else engine_capacity
        how = (f"{fmt_int(a.servers)} × {fmt_int(a.max_connections)}" if uniform
               else f"{fmt_int(a.servers)} servers, each at its class's limit")
        note = f"{how}; peak load used {fmt_pct(a.peak_fleet_connections, capacity)}"
        peak_servers = autoscaled_peak(sv)
        if peak_servers is not None and peak_servers != a.servers:
            note += (f" of the starting fleet; the autoscaler ran up to {fmt_int(peak_servers)} servers "
                     f"({fmt_int(peak_servers * a.max_connections)} connections)")
        rows.append(("Fleet connection capacity", esc(fmt_int(capacity)), esc(note)))
        down = max(len({s.fault.server for s in a.storms if s.fault.server is not None}), 1)
        # The fleet that carried the peak: an autoscaler's servers up then, not the starting fleet.
        fleet_n = a.servers_at_peak or a.servers
        if fleet_n > down:
            n1 = (fleet_n - down) * a.max_connections
            share = as_float(a.peak_fleet_connections)
            tail = ""
            if share is not None:
                tail = (" — the peak load would not fit" if share > n1 else
                        f" — the peak load would use {fmt_pct(share, n1)} of it")
            if fleet_n != a.servers:
                tail = f" (the {fmt_int(fleet_n)} servers up at the peak, less {down}){tail}"
            label = "Capacity with one server down" if down == 1 else f"Capacity with {down} servers down"
            rows.append((label, esc(fmt_int(n1)),
                         esc(f"{fmt_int(fleet_n - down)} × {fmt_int(a.max_connections)}{tail}")))
    if a.peak_server_connections is not None:
        rows.append(("Busiest server", esc(fmt_int(a.peak_server_connections)),
                     esc(f"server {a.peak_server}{_at(a.peak_server_time)}; "
                        f"{fmt_pct(a.peak_server_connections, a.max_connections)} of its limit"
                        if a.max_connections else f"server {a.peak_server}{_at(a.peak_server_time)}")))
    rows.append(("Connection attempts", esc(fmt_int(attempted)),
                 esc(f"{fmt_int(conn.established)} established ({fmt_pct(conn.established, attempted)}); "
                    f"{fmt_int(conn.retries)} were reconnects")))
    rows.append(("Rejected", esc(fmt_int(conn.rejected)),
                 esc(f"{fmt_pct(conn.rejected, attempted)} of attempts"
                    f"{reason_counts(conn.rejected_by, REJECT_REASONS)}")))
    rows.append(("Failed", esc(fmt_int(conn.failed)),
                 esc(f"{fmt_pct(conn.failed, attempted)} of attempts"
                    f"{reason_counts(conn.failed_by, FAIL_REASONS)}")))
    rows.append(("Gave up", esc(fmt_int(conn.gave_up)),
                 esc(f"clients that stopped retrying; {fmt_int(conn.waiting_at_end)} still waiting in backoff "
                     "at the end")))
    rows.append(("Message latency p50 / p99 / p99.9", _latency_triplet(lat),
                 esc(f"max {fmt_ms(lat.max)}; {fmt_int(msgs.delivered)} of "
                    f"{fmt_int(msgs.sent)} messages delivered, {fmt_int(msgs.dropped)} dropped")))
    hs = sv.handshake_latency_ms
    rows.append(("Handshake latency p50 / p99 / p99.9", _latency_triplet(hs),
                 esc(f"max {fmt_ms(hs.max)}")))
    cpu_note = f"mean {fmt_share(sv.cpu.mean_utilisation)}"
    if a.peak_cpu_server is not None:
        cpu_note += f"; busiest: server {a.peak_cpu_server}{_at(a.peak_cpu_time)}"
    if a.peak_backlog_ms is not None and a.peak_backlog_ms > 0:
        cpu_note += f"; queued CPU work peaked at {fmt_ms(a.peak_backlog_ms)}"
    rows.append(("Peak CPU utilisation", esc(fmt_share(a.peak_cpu)), esc(cpu_note)))
    rows.append(("Peak server memory", esc(fmt_mib(sv.memory.peak_server_mib)), ""))
    if a.peak_waiting is not None:
        rows.append(("Most clients waiting in backoff", esc(fmt_int(a.peak_waiting)),
                     esc(_at(a.peak_waiting_time).strip()) if a.peak_waiting > 0 else ""))
    rows.append(("Heartbeats", esc(fmt_int(hb.delivered)),
                 esc(f"delivered of {fmt_int(hb.sent)} sent; {fmt_int(hb.dropped)} dropped")))

    # Storm table.
    if a.storms:
        storm_rows = []
        for s in a.storms:
            if not s.dropped:
                back = "— (none dropped)"
            elif s.reconnected_within_s is not None:
                back = fmt_seconds(s.reconnected_within_s)
            elif s.dropped:
                back = "not all reconnected by the end"
            else:
                back = "—"
            recover = (f"{fmt_seconds(s.fault.recover_at_s - s.fault.at_s)} later"
                       if s.fault.recover_at_s is not None else "never")
            cells = [s.fault.label, fmt_seconds(s.fault.at_s), recover, fmt_int(s.dropped), back,
                     fmt_num(s.peak_attempts_per_s) if s.peak_attempts_per_s is not None else "n/a",
                     fmt_num(s.peak_rejected_per_s) if s.peak_rejected_per_s is not None else "n/a",
                     fmt_int(s.peak_waiting)]
            storm_rows.append("<tr>" + "".join(
                (f'<td class="num">{esc(c)}</td>' if i else f"<td>{esc(c)}</td>") for i, c in enumerate(cells))
                + "</tr>")
        head = "Crash" if all(st.fault.is_crash for st in a.storms) else "Fault"
        storm_html = (f"<h3>Storm impact</h3><table><thead><tr><th>{head}</th><th>At</th><th>Returns</th>"
                      "<th>Connections dropped</th><th>All reconnected within</th><th>Peak attempts/s</th>"
                      "<th>Peak rejected/s</th><th>Peak waiting in backoff</th></tr></thead><tbody>"
                      + "".join(storm_rows) + "</tbody></table>")
    else:
        deploy = _worst_deploy(sv)
        storm_html = ('<h3>Storm impact</h3><p class="note">No server fails in this scenario, so there is no reconnect '
                      'storm from a crash.</p>' if deploy is None else
                      '<h3>Storm impact</h3><p class="note">No server fails in this scenario; the reconnections its '
                      f'deploys caused ({fmt_int(sum(as_float(d.connections_closed) or 0 for d in sv.deploys))} connections '
                      'closed) are under Deploys below.</p>')

    # Conservation.
    if a.conservation_ok is True and not a.conservation_failed:
        names = ", ".join(a.conservation_checks) or "all"
        cons = (f'<p class="conservation-ok">✓ Conservation check passed: every client, connection and '
                f'message is accounted for ({esc(names)}).</p>')
    elif a.conservation_ok is None and not a.conservation_failed:
        cons = '<p class="note">The run did not report a conservation check.</p>'
    else:
        failed = (": " + ", ".join(a.conservation_failed)) if a.conservation_failed else ""
        cons = (f'<p class="conservation-fail">✗ Conservation check FAILED{esc(failed)}. Some clients, '
                'connections or messages are unaccounted for; treat these results as suspect and report '
                'the run to the wsfleet maintainers.</p>')

    replicated = replications_html(reps, runs) if reps is not None else ""
    return (verdict + _limits_table(a) + f'<div class="cards">{card_html}</div>' + replicated + cons
            + f"<h3>Key figures</h3><table><tbody>{_rows(rows)}</tbody></table>"
            + steady_html(a.plot_data.fleet, [(f.at_s, f.cause) for f in a.plot_data.faults]) + storm_html)


def _figures(a: Analysis, plots: bool = True, reps: Optional[Replications] = None,
             runs: Optional[list] = None) -> str:
    d = a.plot_data
    across = bands_html(reps, runs, plots, d.end_s) if reps is not None else ""
    if not plots:
        return across + '<p class="note">Plots were left out of this report (written without plots).</p>'
    crowded = (a.servers or 0) > _plots.MANY_SERVERS
    server_key = ("Crashed and busiest servers are coloured, the others are grey."
                  if crowded else "One line per server.")
    fault_key = " Dashed lines mark crashes, dotted lines recoveries; the shading is a server's down time." \
        if d.faults else ""
    if d.faults and all(str(f.type) in GRAY_FAILURES for f in Scenario(a.scenario).faults):
        fault_key = " Dashed lines mark the start of each fault, dotted lines its end."
    specs = [
        ("connections", "Connections per server", _plots.connections_figure,
         f"Open connections per server over time, with the per-server limit. {server_key}{fault_key} "
         "Below: the fleet total against the capacity of the servers that are up.",
         "No connection samples in this run."),
        ("attempts", "Reconnect attempts, rejections and failures", _plots.attempts_figure,
         "Connection attempts per second across the fleet (all attempts, the reconnects among them, "
         f"{d.labels.get('rejected', 'refused')} and {d.labels.get('failed', 'failed')})"
         + (", with a zoom on each crash." if d.faults else ".")
         + fault_key, "No attempt counts in this run."),
        ("cpu", "CPU utilisation per server", _plots.cpu_figure,
         f"Fraction of each sample interval the server's CPU was busy. {server_key}{fault_key} "
         "Below, when any work queued: the largest CPU backlog of any server.",
         "No CPU samples in this run."),
        ("latency", "Message latency", _plots.latency_figure,
         "Median and 99th-percentile latency of the messages completed in each sample interval."
         + fault_key, "No message completed during this run, so there is no latency to plot."),
        ("waiting", "Clients waiting in backoff", _plots.waiting_figure,
         "Clients that are disconnected and waiting for their backoff delay before retrying." + fault_key,
         "No backoff samples in this run."),
    ]
    if not d.sites.empty:  # two or more sites: the fleet's size per site
        specs.insert(1, ("sites", "Servers per site", _plots.sites_figure,
                         "Each site's servers over time: ready (taking new connections), up (running, dotted "
                         "where it differs: some draining) and draining (dashed), from the site rows of "
                         f"{TIMESERIES_FILE}; below, the connections open on each site's servers." + fault_key,
                         "No site samples in this run."))
    if not d.classes.empty:  # two or more server classes: servers, connections and CPU per class
        specs.insert(1, ("classes", "Servers and CPU per class", _plots.classes_figure,
                         "Each server class's servers over time: ready (taking new connections) and up (dotted "
                         "where it differs); the connections open on its servers; and its servers' mean CPU "
                         f"utilisation, the highest one dashed, from the class rows of {TIMESERIES_FILE}." + fault_key,
                         "No class samples in this run."))
    parts = [across] if across else []
    if d.servers.empty and d.fleet.empty:
        return '<p class="note">The time series is empty (the run produced no samples), so there is nothing to plot.</p>'
    for key, title, draw, caption, empty in specs:
        png = draw(d)
        parts.append(f'<h3 id="plot-{key}">{esc(title)}</h3>')
        if png is None:
            parts.append(f'<p class="note">{esc(empty)}</p>')
        else:
            parts.append(f'<figure>{img(png, title)}<figcaption>{esc(caption)}</figcaption></figure>')
    if len(d.faults) > _plots.MAX_ZOOMS and _plots.zoom_windows(d, len(d.faults))[_plots.MAX_ZOOMS:]:
        parts.append(f'<p class="note">Zoomed panels are shown for the first {_plots.MAX_ZOOMS} crash windows only.</p>')
    return "\n".join(parts)


def _metadata(run: Run, a: Analysis) -> str:
    s, sc = Summary(run.summary), Scenario(run.scenario)
    ts = run.timeseries
    seed = s.seed if s.seed is not None else sc.run.seed
    replication = s.replication if s.replication is not None else sc.run.replication
    rows = [
        ("wsfleet version", esc(_or_na(s.wsfleet_version)), ""),
        ("Seed", esc(seed), ""),
        ("Replication", esc(replication), ""),
        ("Simulated time", esc(fmt_seconds(s.simulated_seconds)),
         esc(fmt_duration(s.simulated_seconds)) if (as_float(s.simulated_seconds) or 0) >= 120 else ""),
        ("Wall-clock time", esc(fmt_seconds(s.wall_seconds)), ""),
        ("Events processed", esc(fmt_int(s.events_processed)),
         esc(f"{fmt_int(s.events_per_second)} events per second")),
        ("Sample interval", esc(fmt_seconds(a.sample_interval_s)),
         esc(f"{fmt_int(ts[C.time_s].nunique())} sample times, {fmt_int(len(ts))} rows in {TIMESERIES_FILE}")),
        ("Balancer / backoff",
         esc(f"{s.fleet.balancer or sc.balancer.policy} / {s.fleet.backoff or sc.backoff.policy}"), ""),
        ("Run directory", esc(run.run_dir.name or str(run.run_dir)), ""),
    ]
    checks = ""
    if a.conservation_checks:
        items = "".join(f"<li><code>{esc(k)}</code>: {esc(v)}</li>" for k, v in a.conservation_checks.items())
        status = {True: "passed", False: "FAILED", None: "not reported"}[
            a.conservation_ok if not a.conservation_failed else False]
        checks = f"<h3>Conservation checks ({status})</h3><ul>{items}</ul>"
    all_counters = []
    for sec, view in (("connections", s.connections), ("messages", s.messages), ("heartbeats", s.heartbeats)):
        flat = [(k, v) for k, v in view.raw.items() if not isinstance(v, Mapping)]
        if flat:
            all_counters.append(f"<tr><th scope=\"row\">{esc(sec)}</th><td>"
                                + ", ".join(f"{esc(k)} {esc(fmt_int(v) if as_float(v) is not None else v)}"
                                            for k, v in flat) + "</td></tr>")
    for b in s.balancers:  # each balancer's counters, with its HAProxy queue or Envoy outlier detection
        flat = [(k, v) for k, v in b.raw.items() if k != "index" and not isinstance(v, Mapping)]
        for part, nested in (("haproxy", b.haproxy), ("outlier", b.outlier)):
            if nested is not None:
                flat += [(f"{part}.{k}", v) for k, v in nested.raw.items()]
        all_counters.append(f"<tr><th scope=\"row\">{esc(f'balancer {fmt_int(b.index)}')}</th><td>"
                            + ", ".join(f"{esc(k)} {esc(fmt_int(v))}" for k, v in flat) + "</td></tr>")
    counters = (f"<h3>All counters</h3><table><tbody>{''.join(all_counters)}</tbody></table>"
                if all_counters else "")
    return (f"<table><tbody>{_rows(rows)}</tbody></table>{counters}{checks}"
            f"<h3>The scenario file ({SCENARIO_FILE})</h3><pre>{esc(run.scenario_text)}</pre>")


def _life(run: Run, a: Analysis, number: int, plots: bool) -> str:
    """The section on the life of connections (heartbeats, dead peers, idle timeouts, shedding, pub/sub),
    or "" when the run has none of them."""
    topics = connection_life(run.summary, run.scenario, a.plot_data.fleet)
    if not topics:
        return ""
    parts = [f'<section id="life" class="page-break">\n<h2>{number}. The life of connections</h2>']
    for topic in topics:
        parts.append(f'<h3 id="life-{topic.key}">{esc(topic.title)}</h3>')
        parts.append("".join(f"<p>{esc(s)}</p>" for s in topic.sentences))
        if topic.key == "half_open" and plots:
            png = _plots.half_open_figure(a.plot_data)
            if png is not None:
                parts.append(f'<figure>{img(png, "Half-open connections over time")}<figcaption>'
                             "Connections whose client vanished without a close, still held by their "
                             "servers until a heartbeat (or a receiver timeout) finds them.</figcaption></figure>")
        if topic.key == "pubsub" and plots:
            png = _plots.send_buffer_figure(a.plot_data)
            if png is not None:
                parts.append(f'<figure>{img(png, "Send buffers and drops over time")}<figcaption>'
                             "Bytes each server holds in its connections' send buffers (memory it pays for "
                             "slow readers), and the copies the buffer policy dropped, conflated or discarded "
                             "with a closed connection.</figcaption></figure>")
    return "\n".join(parts) + "\n</section>\n"


def _operations(run: Run, a: Analysis, number: int, plots: bool) -> str:
    """The section on deploys ([[deploys]]) and gray failures, or "" when the run has neither."""
    deploys = Summary(run.summary).deploys or []  # None: a run without [[deploys]]
    gray = gray_failure_sentences(run.summary, a.plot_data.fleet, a.plot_data.servers, a.end_s)
    if not deploys and not gray:
        return ""
    title = "Deploys and gray failures" if deploys and gray else "Deploys" if deploys else "Gray failures"
    parts = [f'<section id="operations" class="page-break">\n<h2>{number}. {title}</h2>']
    if gray:
        parts.append('<h3 id="operations-gray">Gray failures</h3>' if deploys else "")
        parts.append("".join(f"<p>{esc(s)}</p>" for s in gray))
    if deploys:
        parts.append('<h3 id="operations-deploys">Deploys</h3>' if gray else "")
        parts.append("".join(f"<p>{esc(s)}</p>" for s in deploy_sentences(deploys)))
    if plots and deploys:
        png = deploy_figure(a.plot_data.fleet)
        if png is not None:
            parts.append(f'<figure>{img(png, "Servers by version and the reconnect storm")}<figcaption>'
                         "Above: the servers of the old and the new version, starting and terminating, at each "
                         "sample. Below: the clients a deploy disconnected that are not connected again yet, the "
                         "connections it closed and the fleet's reconnection attempts per sample interval."
                         "</figcaption></figure>")
    return "\n".join(parts) + "\n</section>\n"


def render_report(run: Run, plots: bool = True) -> str:
    """The report of a loaded run, as one HTML document (`plots=False`: text and tables only, fast)."""
    a = analyse(run)
    scenario = run.scenario
    s = Summary(run.summary)
    try:
        reps = read_replications(run.run_dir)
        runs = replication_runs(reps) if reps is not None else None  # every replication's directory, read once
    except ValueError as exc:
        raise ReportError(run.run_dir, str(exc)) from None
    description = Scenario(scenario).scenario.description or s.scenario.description
    plain = "".join(f"<p>{esc(sentence)}</p>" for sentence in describe_scenario(scenario))
    version = s.wsfleet_version or ""
    subtitle = (f"wsfleet {esc(version)} · seed {esc(_or_na(s.seed))} · "
                f"replication {esc(_or_na(s.replication))}"
                + (f" of {reps.n} run to a precision" if reps is not None else "") + " · "
                f"{esc(fmt_duration(a.end_s))} simulated")
    desc_html = f'<p class="description">{esc(description)}</p>' if description else ""
    life = _life(run, a, 3, plots)
    n = 4 if life else 3
    operations = _operations(run, a, n, plots)
    n += 1 if operations else 0
    scaling = autoscaler_section(run.summary, scenario, a.plot_data.fleet, n, plots, a.plot_data)
    n += 1 if scaling else 0
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="wsfleet {esc(version)}">
<title>Capacity report: {esc(a.name)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Capacity report: {esc(a.name)}</h1>
<p class="subtitle">{subtitle}</p>
</header>
<section id="question">
<h2>1. The question and the assumptions</h2>
<p class="question">{esc(scenario_question(scenario))}</p>
{desc_html}
<div class="assumptions">{plain}</div>
</section>
<section id="headline" class="page-break">
<h2>2. Headline numbers</h2>
{_headline(a, run.summary, reps, runs)}
</section>
{life}{operations}{scaling}<section id="plots" class="page-break">
<h2>{n}. What happened over time</h2>
{_figures(a, plots, reps, runs)}
</section>
<section id="theory">
<h2>{n + 1}. Theory beside the simulation</h2>
{theory_html(run.summary, scenario)}
</section>
<section id="scenario" class="page-break">
<h2>{n + 2}. Scenario file and run metadata</h2>
{_metadata(run, a)}
</section>
{monitoring_section(run, n + 3, plots)}<footer>Written by wsfleet {esc(version)} from the run directory “{esc(run.run_dir.name)}”
({SUMMARY_FILE}, {TIMESERIES_FILE}, {SCENARIO_FILE}). Self-contained: no network access needed.</footer>
</body>
</html>
"""


def write_report(run_dir: PathLike, out: Optional[PathLike] = None, *, plots: bool = True) -> Path:
    """Writes the HTML report of the run in `run_dir` to `out` (default run_dir/report.html) and
    returns its path. Raises ReportError (naming the file) for a missing or invalid input.
    `plots=False` leaves the figures out (a quick text-only report)."""
    if Path(run_dir).is_dir() and (Path(run_dir) / "study.json").is_file():
        # A sweep or plan directory (wsfleet sweep / wsfleet plan --out DIR).
        from ._store import StoreError
        from ._study_report import render_study_report

        target = Path(out) if out is not None else Path(run_dir) / REPORT_FILE
        try:
            document = render_study_report(Path(run_dir), plots=plots)
        except (StoreError, OSError, ValueError, KeyError) as exc:
            raise ReportError(run_dir, f"cannot read the sweep or plan: {exc}") from None
    else:
        run = load_run(run_dir)
        target = Path(out) if out is not None else run.run_dir / REPORT_FILE
        document = render_report(run, plots=plots)
    if target.is_dir():
        raise ReportError(target, "is a directory (expected a file name for the report)")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.write_text(document, encoding="utf-8")
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                tmp.unlink()
    except OSError as exc:
        raise ReportWriteError(target, f"cannot write the report: {exc.strerror or exc}") from None
    return target


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    """`python -m wsfleet.report RUN_DIR [--out FILE]`; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m wsfleet.report",
        description="Write the capacity-planning HTML report of one wsfleet run, sweep or plan.")
    parser.add_argument("run_dir", metavar="RUN_DIR",
                        help=f"run directory written by `wsfleet run --out` ({SUMMARY_FILE}, "
                             f"{TIMESERIES_FILE}, {SCENARIO_FILE}), or a `wsfleet sweep|plan --out` directory")
    parser.add_argument("--out", metavar="FILE", help=f"where to write the report (default: RUN_DIR/{REPORT_FILE})")
    parser.add_argument("--no-plots", action="store_true", help="leave the figures out (quick, text only)")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.run_dir, args.out, plots=not args.no_plots)
    except ReportError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, ReportWriteError) else 2
    print(f"wrote {path}")
    return 0


class _CallableModule(types.ModuleType):
    """Importing this module binds `wsfleet.report` to it, hiding the function wsfleet.report(dir)
    the package defines; calling the module does what that function does."""

    def __call__(self, run_dir: PathLike, out: Optional[PathLike] = None, *, plots: bool = True) -> Path:
        return write_report(run_dir, out, plots=plots)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    sys.exit(main())
