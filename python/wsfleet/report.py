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
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _plots
from ._autoscaling_report import autoscaler_section
from ._life import connection_life
from ._life_plots import half_open_figure, send_buffer_figure
from ._replicated import Replications, read_replications
from ._replication_report import (across_replications, bands_html, replicated_cards, replication_runs,
                                  replications_html)
from ._group_plots import classes_figure, sites_figure
from ._steady_report import steady_html
from ._limits import STATUS_WORDS, autoscaled_peak
from ._operations import deploy_figure, deploy_sentences, gray_failure_sentences
from ._theory import theory_html
from .views import COLUMNS as C
from .views import Scenario, Summary, View
from ._alerts_report import monitoring_section
from ._html import render
from ._run_dir import (REPORT_FILE, SCENARIO_FILE, SUMMARY_FILE, TIMESERIES_FILE, PathLike, ReportError, ReportWriteError,
                       Run, load_run)
from ._analysis import (CPU_SATURATED, FAIL_REASONS, HEADROOM_WARNING, REJECT_REASONS, Analysis, Finding,  # noqa: F401
                        Storm, analyse, cause_words, reason_counts, session_opening_sentence)
from ._describe import (GRAY_FAILURES, as_float, capitalise, describe_scenario, fmt_duration, fmt_int, fmt_mib,
                        fmt_ms, fmt_num, fmt_pct, fmt_seconds, fmt_share, scenario_question)

__all__ = ["write_report", "render_report", "load_run", "analyse", "ReportError", "Run", "main",
           "SUMMARY_FILE", "TIMESERIES_FILE", "SCENARIO_FILE", "REPORT_FILE"]


# --------------------------------------------------------------------------------------------
# The context of the report's template (templates/run.html.j2)

_LEVEL_TAGS = {"fail": "PROBLEM", "warn": "WATCH", "ok": "OK", "note": "NOTE"}
_STATE_WORDS = {"bound": "reached", "near": "near", "ok": "margin", "n/a": "not set"}
_STATE_TAGS = {"bound": "fail", "near": "warn", "ok": "ok", "n/a": "note"}


def _limit_rows(a: Analysis) -> List[dict]:
    """One row per limit of the model: what the worst moment used of it, and what reaching it did."""
    shown = sorted((l for l in a.limits if l.shown), key=lambda l: ("bound", "near", "ok", "n/a").index(l.state))
    return [{"state": limit.state, "key": limit.key, "name": capitalise(limit.name),
             "used": limit.used_words, "figure": limit.figure,
             "limit": limit.limit, "tag": _STATE_TAGS[limit.state], "word": _STATE_WORDS[limit.state],
             "effect": limit.effect} for limit in shown]


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
    return " / ".join(fmt_ms(value) for value in (lat.p50, lat.p99, lat.p999))


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
              runs: Optional[list] = None) -> Dict[str, Any]:
    """The headline section's context: the verdict, the limits, the cards, the key figures and the storms."""
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
    # Detailed table.
    rows: List[Tuple[str, str, str]] = []
    rows.append(("Peak open connections (fleet)", fmt_int(a.peak_fleet_connections),
                 f"{_at(a.peak_fleet_time).strip()}; {fmt_int(conn.active_at_end)} open at the end"))
    transport = sv.transport
    fallback = as_float(transport.peak_fallback_share)
    if fallback:
        ends, polls = transport.clients_at_end, transport.polls
        rows.append(("Peak share of clients on fallback transports", fmt_share(fallback),
                     f"at the end {fmt_int(ends.long_polling)} on long polling, "
                         f"{fmt_int(ends.sse)} on SSE; {fmt_int(polls.sent)} polls, "
                         f"{fmt_int(polls.failed_by.session_unknown)} failed with \"Session ID unknown\""))
    opening_line = session_opening_sentence(sv)
    if opening_line is not None:
        opening = sv.session_opening
        rows.append(("HTTP requests before the WebSocket", fmt_int(opening.requests.sent),
                     f"{opening_line} ({fmt_int(opening.requests.failed)} of the {fmt_int(opening.requests.sent)} "
                         "requests failed)"))
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
        rows.append(("Fleet connection capacity", fmt_int(capacity), note))
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
            rows.append((label, fmt_int(n1),
                         f"{fmt_int(fleet_n - down)} × {fmt_int(a.max_connections)}{tail}"))
    if a.peak_server_connections is not None:
        rows.append(("Busiest server", fmt_int(a.peak_server_connections),
                     f"server {a.peak_server}{_at(a.peak_server_time)}; "
                        f"{fmt_pct(a.peak_server_connections, a.max_connections)} of its limit"
                        if a.max_connections else f"server {a.peak_server}{_at(a.peak_server_time)}"))
    rows.append(("Connection attempts", fmt_int(attempted),
                 f"{fmt_int(conn.established)} established ({fmt_pct(conn.established, attempted)}); "
                    f"{fmt_int(conn.retries)} were reconnects"))
    rows.append(("Rejected", fmt_int(conn.rejected),
                 f"{fmt_pct(conn.rejected, attempted)} of attempts"
                    f"{reason_counts(conn.rejected_by, REJECT_REASONS)}"))
    rows.append(("Failed", fmt_int(conn.failed),
                 f"{fmt_pct(conn.failed, attempted)} of attempts"
                    f"{reason_counts(conn.failed_by, FAIL_REASONS)}"))
    rows.append(("Gave up", fmt_int(conn.gave_up),
                 f"clients that stopped retrying; {fmt_int(conn.waiting_at_end)} still waiting in backoff "
                     "at the end"))
    rows.append(("Message latency p50 / p99 / p99.9", _latency_triplet(lat),
                 f"max {fmt_ms(lat.max)}; {fmt_int(msgs.delivered)} of "
                    f"{fmt_int(msgs.sent)} messages delivered, {fmt_int(msgs.dropped)} dropped"))
    hs = sv.handshake_latency_ms
    rows.append(("Handshake latency p50 / p99 / p99.9", _latency_triplet(hs),
                 f"max {fmt_ms(hs.max)}"))
    cpu_note = f"mean {fmt_share(sv.cpu.mean_utilisation)}"
    if a.peak_cpu_server is not None:
        cpu_note += f"; busiest: server {a.peak_cpu_server}{_at(a.peak_cpu_time)}"
    if a.peak_backlog_ms is not None and a.peak_backlog_ms > 0:
        cpu_note += f"; queued CPU work peaked at {fmt_ms(a.peak_backlog_ms)}"
    rows.append(("Peak CPU utilisation", fmt_share(a.peak_cpu), cpu_note))
    rows.append(("Peak server memory", fmt_mib(sv.memory.peak_server_mib), ""))
    if a.peak_waiting is not None:
        rows.append(("Most clients waiting in backoff", fmt_int(a.peak_waiting),
                     _at(a.peak_waiting_time).strip() if a.peak_waiting > 0 else ""))
    rows.append(("Heartbeats", fmt_int(hb.delivered),
                 f"delivered of {fmt_int(hb.sent)} sent; {fmt_int(hb.dropped)} dropped"))

    # Storm table.
    storms: List[List[str]] = []
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
        storms.append([s.fault.label, fmt_seconds(s.fault.at_s), recover, fmt_int(s.dropped), back,
                       fmt_num(s.peak_attempts_per_s) if s.peak_attempts_per_s is not None else "n/a",
                       fmt_num(s.peak_rejected_per_s) if s.peak_rejected_per_s is not None else "n/a",
                       fmt_int(s.peak_waiting)])
    deploy_closed = None
    if not a.storms and _worst_deploy(sv) is not None:
        deploy_closed = fmt_int(sum(as_float(d.connections_closed) or 0 for d in sv.deploys))

    # Conservation.
    if a.conservation_ok is True and not a.conservation_failed:
        conservation = "ok"
    elif a.conservation_ok is None and not a.conservation_failed:
        conservation = "none"
    else:
        conservation = "failed"

    return {
        "status": a.status, "verdict": a.verdict, "action": a.action,
        "findings": [(f.level, _LEVEL_TAGS[f.level], f.text) for f in a.findings],
        "limits": _limit_rows(a) if a.limits else None,
        "cards": cards,
        "replicated": replications_html(reps, runs) if reps is not None else "",
        "conservation": conservation, "checks": ", ".join(a.conservation_checks) or "all",
        "failed": (": " + ", ".join(a.conservation_failed)) if a.conservation_failed else "",
        "rows": rows,
        "steady": steady_html(a.plot_data.fleet, [(f.at_s, f.cause) for f in a.plot_data.faults]),
        "storms": storms, "storm_head": "Crash" if all(st.fault.is_crash for st in a.storms) else "Fault",
        "deploy_closed": deploy_closed,
    }


def _figures(a: Analysis, plots: bool = True, reps: Optional[Replications] = None,
             runs: Optional[list] = None) -> Dict[str, Any]:
    """The section of figures over time: (key, title, PNG or None, caption, what to say without it) each."""
    d = a.plot_data
    across = bands_html(reps, runs, plots, d.end_s) if reps is not None else ""
    if not plots:
        return {"plots": False, "empty": False, "across": across}
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
        specs.insert(1, ("sites", "Servers per site", sites_figure,
                         "Each site's servers over time: ready (taking new connections), up (running, dotted "
                         "where it differs: some draining) and draining (dashed), from the site rows of "
                         f"{TIMESERIES_FILE}; below, the connections open on each site's servers." + fault_key,
                         "No site samples in this run."))
    if not d.classes.empty:  # two or more server classes: servers, connections and CPU per class
        specs.insert(1, ("classes", "Servers and CPU per class", classes_figure,
                         "Each server class's servers over time: ready (taking new connections) and up (dotted "
                         "where it differs); the connections open on its servers; and its servers' mean CPU "
                         f"utilisation, the highest one dashed, from the class rows of {TIMESERIES_FILE}." + fault_key,
                         "No class samples in this run."))
    if d.servers.empty and d.fleet.empty:
        return {"plots": True, "empty": True}
    zooms = len(d.faults) > _plots.MAX_ZOOMS and bool(_plots.zoom_windows(d, len(d.faults))[_plots.MAX_ZOOMS:])
    return {"plots": True, "empty": False, "across": across,
            "specs": [(key, title, draw(d), caption, empty) for key, title, draw, caption, empty in specs],
            "zooms": _plots.MAX_ZOOMS if zooms else 0}


def _metadata(run: Run, a: Analysis) -> Dict[str, Any]:
    """The run's metadata, its counters and its conservation checks."""
    s, sc = Summary(run.summary), Scenario(run.scenario)
    ts = run.timeseries
    seed = s.seed if s.seed is not None else sc.run.seed
    replication = s.replication if s.replication is not None else sc.run.replication
    rows = [
        ("wsfleet version", _or_na(s.wsfleet_version), ""),
        ("Seed", seed, ""),
        ("Replication", replication, ""),
        ("Simulated time", fmt_seconds(s.simulated_seconds),
         fmt_duration(s.simulated_seconds) if (as_float(s.simulated_seconds) or 0) >= 120 else ""),
        ("Wall-clock time", fmt_seconds(s.wall_seconds), ""),
        ("Events processed", fmt_int(s.events_processed),
         f"{fmt_int(s.events_per_second)} events per second"),
        ("Sample interval", fmt_seconds(a.sample_interval_s),
         f"{fmt_int(ts[C.time_s].nunique())} sample times, {fmt_int(len(ts))} rows in {TIMESERIES_FILE}"),
        ("Balancer / backoff",
         f"{s.fleet.balancer or sc.balancer.policy} / {s.fleet.backoff or sc.backoff.policy}", ""),
        ("Run directory", run.run_dir.name or str(run.run_dir), ""),
    ]
    counters = []
    for sec, view in (("connections", s.connections), ("messages", s.messages), ("heartbeats", s.heartbeats)):
        flat = [(k, v) for k, v in view.raw.items() if not isinstance(v, Mapping)]
        if flat:
            counters.append((sec, ", ".join(f"{k} {fmt_int(v) if as_float(v) is not None else v}" for k, v in flat)))
    for b in s.balancers:  # each balancer's counters, with its HAProxy queue or Envoy outlier detection
        flat = [(k, v) for k, v in b.raw.items() if k != "index" and not isinstance(v, Mapping)]
        for part, nested in (("haproxy", b.haproxy), ("outlier", b.outlier)):
            if nested is not None:
                flat += [(f"{part}.{k}", v) for k, v in nested.raw.items()]
        counters.append((f"balancer {fmt_int(b.index)}", ", ".join(f"{k} {fmt_int(v)}" for k, v in flat)))
    checks_status = {True: "passed", False: "FAILED", None: "not reported"}[
        a.conservation_ok if not a.conservation_failed else False]
    return {"rows": rows, "counters": counters, "checks": list(a.conservation_checks.items()),
            "checks_status": checks_status, "scenario_text": run.scenario_text}


def _life(run: Run, a: Analysis, number: int, plots: bool) -> Optional[Dict[str, Any]]:
    """The section on the life of connections (heartbeats, dead peers, idle timeouts, shedding, pub/sub),
    or None when the run has none of them."""
    topics = connection_life(run.summary, run.scenario, a.plot_data.fleet)
    if not topics:
        return None
    shown = []
    for topic in topics:
        png, alt, caption = None, "", ""
        if topic.key == "half_open" and plots:
            png, alt = half_open_figure(a.plot_data), "Half-open connections over time"
            caption = ("Connections whose client vanished without a close, still held by their servers until a "
                       "heartbeat (or a receiver timeout) finds them.")
        if topic.key == "pubsub" and plots:
            png, alt = send_buffer_figure(a.plot_data), "Send buffers and drops over time"
            caption = ("Bytes each server holds in its connections' send buffers (memory it pays for slow readers), "
                       "and the copies the buffer policy dropped, conflated or discarded with a closed connection.")
        shown.append({"key": topic.key, "title": topic.title, "sentences": topic.sentences, "png": png, "alt": alt,
                      "caption": caption})
    return {"number": number, "topics": shown}


def _operations(run: Run, a: Analysis, number: int, plots: bool) -> Optional[Dict[str, Any]]:
    """The section on deploys ([[deploys]]) and gray failures, or None when the run has neither."""
    deploys = Summary(run.summary).deploys or []  # None: a run without [[deploys]]
    gray = gray_failure_sentences(run.summary, a.plot_data.fleet, a.plot_data.servers, a.end_s)
    if not deploys and not gray:
        return None
    title = "Deploys and gray failures" if deploys and gray else "Deploys" if deploys else "Gray failures"
    return {"number": number, "title": title, "gray": gray,
            "deploys": deploy_sentences(deploys) if deploys else [],
            "png": deploy_figure(a.plot_data.fleet) if plots and deploys else None}


def _analysed(run: Run) -> Tuple[Analysis, Optional[Replications], Optional[list]]:
    """The run's analysis, its replications (None for a plain run) and every replication's directory;
    for a replicated run the verdict and the limits are over every replication."""
    a = analyse(run)
    try:
        reps = read_replications(run.run_dir)
        runs = replication_runs(reps) if reps is not None else None  # every replication's directory, read once
    except ValueError as exc:
        raise ReportError(run.run_dir, str(exc)) from None
    if runs:
        across_replications(a, runs, reps.confidence)  # type: ignore[union-attr]
    return a, reps, runs


def render_report(run: Run, plots: bool = True) -> str:
    """The report of a loaded run, as one HTML document (`plots=False`: text and tables only, fast)."""
    a, reps, runs = _analysed(run)
    scenario = run.scenario
    s = Summary(run.summary)
    description = Scenario(scenario).scenario.description or s.scenario.description
    life = _life(run, a, 3, plots)
    n = 4 if life else 3
    operations = _operations(run, a, n, plots)
    n += 1 if operations else 0
    scaling = autoscaler_section(run.summary, scenario, a.plot_data.fleet, n, plots, a.plot_data)
    n += 1 if scaling else 0
    return render(
        "run.html.j2", name=a.name, version=s.wsfleet_version or "", seed=_or_na(s.seed),
        replication=_or_na(s.replication), replications=reps.n if reps is not None else None,
        simulated=fmt_duration(a.end_s), question=scenario_question(scenario), description=description,
        plain=describe_scenario(scenario), headline=_headline(a, run.summary, reps, runs), life=life,
        operations=operations, scaling=scaling, n=n, figures=_figures(a, plots, reps, runs),
        theory=theory_html(run.summary, scenario), metadata=_metadata(run, a),
        monitoring=monitoring_section(run, n + 3, plots), run_name=run.run_dir.name, summary_file=SUMMARY_FILE,
        timeseries_file=TIMESERIES_FILE, scenario_file=SCENARIO_FILE)


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
    line = verdict_line(args.run_dir)
    if line:
        print(line)
    return 0


def verdict_line(run_dir: PathLike) -> str:
    """"verdict: MISCONFIGURED: The binding constraint is ...": the verdict of a run directory (over
    every replication for a replicated run), as `wsfleet report` and `wsfleet run --report` print it
    after the report; "" for a sweep or plan directory."""
    if (Path(run_dir) / "study.json").is_file() or not (Path(run_dir) / SUMMARY_FILE).is_file():
        return ""
    a, _, _ = _analysed(load_run(run_dir))
    return f"verdict: {STATUS_WORDS[a.status]}: {a.verdict}"


class _CallableModule(types.ModuleType):
    """Importing this module binds `wsfleet.report` to it, hiding the function wsfleet.report(dir)
    the package defines; calling the module does what that function does."""

    def __call__(self, run_dir: PathLike, out: Optional[PathLike] = None, *, plots: bool = True) -> Path:
        return write_report(run_dir, out, plots=plots)


sys.modules[__name__].__class__ = _CallableModule

if __name__ == "__main__":
    sys.exit(main())
