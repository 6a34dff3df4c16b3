"""The run report's monitoring section: the bundled rules (and the scenario's [alerts] rules)
evaluated by promtool on the run (wsfleet.alerts), shown as an alerts timeline under the storm
timeline with the faults marked, the time to detect each fault, the SLO burn over the run, and a
flag when the run does not return to steady state after its trigger ended.

Steady state (sustained retry amplification, "metastable failure"): the retry amplification of a
stretch of the run is its connection attempts per connection established, i.e. the attempts each
client that wanted a connection made before it got one (a client keeps attempting until it does;
infinite when attempts got no connection at all). Its baseline is measured over the steady part
before the first fault (after the clients' ramp), and is at least 1 (1 when nobody attempted then:
every client got its connection at the first try). The tail is the last 60 s of the run, or the
second half of what follows the trigger's end (the last fault's at_s + recover_after_s) when that is
shorter. The run is flagged when the tail's amplification is above 1.5 x the baseline while its
attempts are more than 1 % of the clients per minute (a few stragglers are not a storm).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from wsfleet import _plots
from wsfleet._html import render
from wsfleet._run_dir import Run
from wsfleet.alerting import AlertsError, AlertsResult, alerts, bundled_rules
from wsfleet.views import Scenario, Summary, View
from wsfleet.views import COLUMNS as C

__all__ = ["SteadyState", "steady_state", "monitoring_section", "BURN_EXPRESSIONS"]

#: The bundled connection-success SLO's error ratios (recording rules of rules/wsfleet_slo.yml) and their budget.
CONNECTION_BUDGET = 0.001
BURN_EXPRESSIONS = ("wsfleet:connection_errors:ratio_rate10s", "wsfleet:connection_errors:ratio_rate1m",
                    "wsfleet:connection_errors:ratio_rate2m", "wsfleet:connection_errors:ratio_rate12m")
AMPLIFICATION_FACTOR = 1.5
TAIL_S = 60.0


@dataclass
class SteadyState:
    """Whether the run came back to steady state after its trigger (see the module's doc)."""
    trigger_end_s: Optional[float]
    baseline: Optional[float]        # attempts per client wanting a connection, before the trigger
    tail: Optional[float]            # the same over the tail
    tail_start_s: Optional[float]
    tail_attempts_per_min: float
    flagged: bool
    sentence: str


def _ratio(frame: pd.DataFrame) -> Optional[float]:
    """Attempts per connection established over the rows (infinite when attempts got none; None
    when nobody attempted)."""
    if frame.empty:
        return None
    attempts = float(frame[C.attempts].fillna(0).sum())
    established = float(frame[C.established].fillna(0).sum())
    if attempts <= 0:
        return None
    return attempts / established if established > 0 else math.inf


def steady_state(run: Run) -> SteadyState:
    """The steady-state check of the module's doc."""
    fleet = run.timeseries[run.timeseries[C.scope] == "fleet"].sort_values(C.time_s)
    s = Summary(run.summary)
    faults = [f for f in s.faults if isinstance(f.at_s, (int, float))]
    end = float(s.simulated_seconds or (fleet[C.time_s].max() if len(fleet) else 0.0))
    clients = float(s.clients.count or 0)
    if not faults or fleet.empty or not {C.attempts, C.established, C.waiting} <= set(fleet.columns):
        return SteadyState(None, None, None, None, 0.0, False, "The run has no fault to recover from.")
    first = min(float(f.at_s) for f in faults)
    trigger_end = max(float(f.at_s) + float(f.recover_after_s or 0.0) for f in faults)
    ramp = float(Scenario(run.scenario).clients.ramp_s or 0.0)
    before = fleet[(fleet[C.time_s] > min(ramp, first)) & (fleet[C.time_s] <= first)]
    baseline = max(1.0, _ratio(before) or 1.0)  # 1: every client got its connection at the first attempt
    after = end - trigger_end
    if after <= 0:
        return SteadyState(trigger_end, baseline, None, None, 0.0, False,
                           f"The trigger lasts until the end of the run ({trigger_end:g} s): no time to recover.")
    tail_start = end - min(TAIL_S, after / 2.0)
    tail = fleet[fleet[C.time_s] > tail_start]
    tail_ratio = _ratio(tail)
    span = max(end - tail_start, 1e-9)
    per_min = float(tail[C.attempts].fillna(0).sum()) / span * 60.0
    busy = clients > 0 and per_min > 0.01 * clients
    flagged = tail_ratio is not None and tail_ratio > AMPLIFICATION_FACTOR * baseline and busy
    if flagged:
        made = ("connection attempts that got no connection at all" if math.isinf(tail_ratio or 0.0) else
                f"{tail_ratio:.2f} connection attempts per connection they got")
        sentence = (f"NOT BACK TO STEADY STATE: after the trigger ended at {trigger_end:g} s, clients still make "
                    f"{made} over the last {end - tail_start:g} s ({per_min:,.0f} attempts a minute), against "
                    f"{baseline:.2f} before the first fault: sustained retry amplification (a metastable "
                    f"failure). Capacity, backoff and admission limits are where to look.")
    else:
        window = f"the last {end - tail_start:g} s"
        if tail_ratio is None:
            now = f"no client needed to connect in {window}"
        elif math.isinf(tail_ratio):
            now = f"{per_min:,.0f} attempts a minute got no connection in {window}, too few to sustain a storm"
        else:
            now = (f"clients made {tail_ratio:.2f} connection attempts per connection they got in {window} "
                   f"({per_min:,.0f} attempts a minute)")
        sentence = (f"Back to steady state after the trigger ended at {trigger_end:g} s: {now}; before the "
                    f"first fault, {baseline:.2f} attempts per connection (no sustained retry amplification).")
    return SteadyState(trigger_end, baseline, tail_ratio, tail_start, per_min, flagged, sentence)


def _rules_for(run: Run) -> Tuple[List[Path], List[str]]:
    rules = [bundled_rules("slo"), bundled_rules("saturation")]
    notes = []
    own = Scenario(run.scenario).alerts.rules
    if isinstance(own, str) and own:
        path = Path(own) if Path(own).is_absolute() else run.run_dir / own
        if path.is_file():
            rules.append(path)
        else:
            notes.append(f"The scenario's [alerts] rules file {own} is not there any more: left out.")
    return rules, notes


def _fault_lines(ax, faults: Sequence[View]) -> None:
    """Each fault of Summary.faults dashed at its start, dotted at its recovery."""
    for f in faults:
        at = f.at_s
        if isinstance(at, (int, float)):
            ax.axvline(float(at), color=_plots.CRASH_COLOUR, linestyle="--", linewidth=0.9)
            rec = f.recover_after_s
            if isinstance(rec, (int, float)):
                ax.axvline(float(at) + float(rec), color=_plots.CRASH_COLOUR, linestyle=":", linewidth=0.9)


def timeline_figure(run: Run, result: AlertsResult) -> Optional[bytes]:
    """Top: the storm (attempts, refusals and failures per second, clients waiting); bottom: one row
    per alert instance, pending light, firing dark; faults dashed, recoveries dotted."""
    fleet = run.timeseries[run.timeseries[C.scope] == "fleet"].sort_values(C.time_s)
    if fleet.empty or not {C.attempts, C.rejected, C.failed, C.waiting} & set(fleet.columns):
        return None  # no storm to draw (a hand-made series without the clients' columns)
    faults = Summary(run.summary).faults
    keys: List[Tuple[str, str]] = []
    for e in result.episodes:
        key = (e.alertname, json.dumps(e.labels, sort_keys=True))
        if key not in keys:
            keys.append(key)
    rows = max(1, len(keys))
    fig = _plots.new_figure(2.6 + 0.22 * rows)
    gs = fig.add_gridspec(2, 1, height_ratios=[2.2, max(0.6, 0.22 * rows)])
    top = fig.add_subplot(gs[0])
    bottom = fig.add_subplot(gs[1], sharex=top)
    x = fleet[C.time_s].to_numpy(dtype=float)
    dt = result.step_s or 1.0
    for column, label, colour in ((C.attempts, "attempts/s", "#1f77b4"), (C.rejected, "refused/s", "#d62728"),
                                  (C.failed, "failed/s", "#ff7f0e")):
        if column in fleet.columns:
            top.plot(x, fleet[column].to_numpy(dtype=float) / dt, color=colour, linewidth=1.0, label=label,
                     drawstyle="steps-pre")
    if C.waiting in fleet.columns:
        top.plot(x, fleet[C.waiting].to_numpy(dtype=float), color="#7f7f7f", linewidth=1.0, linestyle="--",
                 label="waiting in backoff")
    _fault_lines(top, faults)
    top.set_ylim(bottom=0)
    _plots.style_axes(top, "per second / clients", xlabel=None)
    top.set_title("The storm and the alerts (dashed: fault, dotted: recovery)", loc="left", fontsize=_plots.FONT + 1)
    _plots.add_legend(top, top.get_legend_handles_labels()[0])
    labels = []
    for row, key in enumerate(keys):
        name, labels_json = key
        extra = json.loads(labels_json)
        short = f" (server {extra['server']})" if "server" in extra else ""
        labels.append(f"{name.replace('Wsfleet', '')}{short}")
        for e in result.episodes:
            if (e.alertname, json.dumps(e.labels, sort_keys=True)) != key:
                continue
            end = e.resolved_s if e.resolved_s is not None else result.end_s
            if e.pending_s is not None:
                stop = e.firing_s if e.firing_s is not None else end
                bottom.broken_barh([(e.pending_s, max(stop - e.pending_s, dt * 0.5))], (row - 0.35, 0.7),
                                   facecolors="#f2c94c")
            if e.firing_s is not None:
                bottom.broken_barh([(e.firing_s, max(end - e.firing_s, dt * 0.5))], (row - 0.35, 0.7),
                                   facecolors="#c0392b")
    _fault_lines(bottom, faults)
    bottom.set_yticks(range(len(labels)))
    bottom.set_yticklabels(labels if labels else [], fontsize=_plots.FONT - 1)
    bottom.set_ylim(-0.6, rows - 0.4)
    bottom.invert_yaxis()
    bottom.set_xlim(0, max(result.end_s, float(x.max())))
    _plots.style_axes(bottom, "")
    if not keys:
        bottom.text(0.5, 0.5, "no alert became pending or fired", transform=bottom.transAxes, ha="center",
                    va="center", fontsize=_plots.FONT)
    from matplotlib.patches import Patch
    _plots.add_legend(bottom, [Patch(color="#f2c94c", label="pending"), Patch(color="#c0392b", label="firing")])
    return _plots.to_png(fig)


def burn_figure(run: Run, result: AlertsResult) -> Optional[bytes]:
    """The connection-success SLO's burn rate (error ratio / budget) over the run, per window."""
    frames = [(expr, result.expressions.get(expr)) for expr in BURN_EXPRESSIONS]
    frames = [(e, f) for e, f in frames if f is not None and not f.empty]
    if not frames:
        return None
    fig = _plots.new_figure(2.8)
    ax = fig.add_subplot(1, 1, 1)
    for expr, frame in frames:
        window = expr.rsplit("ratio_rate", 1)[-1]
        burn = frame["value"].to_numpy(dtype=float) / CONNECTION_BUDGET
        ax.plot(frame["time_s"].to_numpy(dtype=float), np.clip(burn, 1e-2, None), linewidth=1.0,
                label=f"{window} window (scaled)")
    for level, style in ((14.4, "-"), (6.0, "--"), (1.0, ":")):
        ax.axhline(level, color="#555555", linestyle=style, linewidth=0.8)
        ax.text(0.0, level, f" {level:g}x", fontsize=_plots.FONT - 1, va="bottom", color="#555555")
    _fault_lines(ax, Summary(run.summary).faults)
    if all(float(np.nanmax(f["value"].to_numpy(dtype=float), initial=0.0)) <= 0 for _, f in frames):
        ax.text(0.5, 0.3, "no refused or failed attempts: zero burn (drawn at the bottom)", transform=ax.transAxes,
                ha="center", fontsize=_plots.FONT)
    ax.set_yscale("log")
    ax.set_xlim(0, result.end_s)
    _plots.style_axes(ax, "burn rate (x budget)")
    ax.set_title("Connection-success SLO (99.9 %): error-budget burn rate", loc="left", fontsize=_plots.FONT + 1)
    _plots.add_legend(ax, ax.get_legend_handles_labels()[0])
    return _plots.to_png(fig)


def _t(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:g} s"


def _detections(result: AlertsResult) -> List[List[str]]:
    """One row per fault: the first alert firing after it, and what the users went through until then."""
    rows = []
    for d in result.detections:
        detect = (["not detected", "-"] if d.alertname is None else
                  [f"{d.alertname} at {d.firing_s:g} s", f"{d.time_to_detect_s:g} s"])
        lost = f"{d.refused:,} refused, {d.failed:,} failed, {d.dropped:,} dropped, up to {d.peak_waiting:,} waiting"
        if d.messages_dropped:
            lost += f", {d.messages_dropped:,} pub/sub copies dropped"
        rows.append([f"{d.index}: {d.type} {d.target}", f"{d.at_s:g} s", *detect, lost])
    return rows


def _episodes(result: AlertsResult) -> List[List[str]]:
    """The first 40 alert episodes: pending, firing and resolved times."""
    return [[e.alertname, ", ".join(f"{k}={v}" for k, v in sorted(e.labels.items())), _t(e.pending_s),
             _t(e.firing_s) if e.firing_s is not None else "never fired",
             _t(e.resolved_s) if e.resolved_s is not None else "active at the end"] for e in result.episodes[:40]]


def monitoring_section(run: Run, number: int, plots: bool = True) -> str:
    """The report section (HTML) on monitoring and alerts."""
    state = steady_state(run)
    head = {"number": number, "flagged": state.flagged, "steady": state.sentence}
    rules, notes = _rules_for(run)
    try:
        result = alerts(run.run_dir, rules, expressions=BURN_EXPRESSIONS)
    except AlertsError as exc:
        return render("monitoring.html.j2", **head, error=str(exc))
    first = result.first_firing_s
    b = result.before_first_firing if first is not None and not result.detections else {"refused": 0, "failed": 0}
    return render(
        "monitoring.html.j2", **head, error=None, step=f"{result.step_s:g}", rules=", ".join(p.name for p in rules),
        notes=notes, detections=_detections(result), first_firing=None if first is None else f"{first:g}",
        refused=f"{b['refused']:,}", failed=f"{b['failed']:,}",
        timeline=timeline_figure(run, result) if plots else None, burn=burn_figure(run, result) if plots else None,
        episodes=_episodes(result), more=len(result.episodes) - 40 if len(result.episodes) > 40 else 0)
