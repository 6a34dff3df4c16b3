"""The report of a sweep or plan directory: one self-contained HTML file (figures embedded as PNG,
no network, no JavaScript), in the same style as the run report (wsfleet.report).

A plan report states the question and the assumptions in words, the recommendation and its margin
(each objective's bound against its threshold at the answer, and what failed one size below), the
metrics against the fleet size with confidence bands, the per-candidate comparison, the
sensitivity of the answer to the thresholds, and the storm timeline of the recommended fleet. A
sweep report states the axes and replications, the key metrics per point with their intervals,
the metrics against the first numeric axis (one line per value of the others) and the sensitivity
of each metric to each axis.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import pandas as pd

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

from wsfleet import _plots
from wsfleet._aggregate import aggregate
from wsfleet._analysis import analyse
from wsfleet._describe import capitalise, describe_scenario
from wsfleet._task import steady_flag
from wsfleet._html import render
from wsfleet._metrics import P99_LATENCY, RECOVERY, REJECTED_FRACTION
from wsfleet._point_verdicts import PointVerdict, point_verdicts
from wsfleet._precision import Precision, describe_outcome, point_status, precision_status
from wsfleet._run_dir import load_run
from wsfleet._stats import mean_ci
from wsfleet._store import SCENARIO_FILE, load_results, read_study
from wsfleet._study_plots import category_figure, metric_figure
from wsfleet._study_points import cause_columns, effective_scenario, point_sentences
from wsfleet.views import PlanFile, Scenario, StudyFile, View

__all__ = ["render_study_report", "KEY_METRICS"]

#: Failed (not refused) attempts over all attempts, derived here from the results' counts.
FAILED_FRACTION = "connections.failed_fraction"

#: The metrics a planner reads first: column -> (label, unit, scale).
KEY_METRICS = {
    REJECTED_FRACTION: ("refused connection attempts", "%", 100.0),
    FAILED_FRACTION: ("failed connection attempts", "%", 100.0),
    P99_LATENCY: ("p99 message latency", "ms", 1.0),
    RECOVERY: ("time until all clients of a crashed server reconnected", "s", 1.0),
    "handshake_latency_ms.p99": ("p99 handshake latency", "ms", 1.0),
    "cpu.peak_utilisation": ("peak CPU utilisation of any server", "%", 100.0),
    "connections.peak_per_server": ("peak connections on one server", "", 1.0),
}


def _num(value: Any, scale: float = 1.0, unit: str = "") -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "n/a"
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "never" if v > 0 else "-inf"
    v *= scale
    text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return f"{text} {unit}".strip() if unit != "%" else f"{text} %"


def _value_word(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _scenario(directory: Path) -> Dict[str, Any]:
    try:
        return _toml.loads((directory / SCENARIO_FILE).read_text(encoding="utf-8"))
    except (OSError, _toml.TOMLDecodeError):
        return {}


def _name(scenario: Mapping[str, Any], directory: Path) -> str:
    """The scenario's name, else the directory's."""
    identity = Scenario(scenario).scenario
    return str(identity.name) if "name" in identity else directory.name


def _with_failed_fraction(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty or "connections.failed" not in frame.columns or "connections.attempted" not in frame.columns:
        return frame
    attempted = pd.to_numeric(frame["connections.attempted"], errors="coerce")
    failed = pd.to_numeric(frame["connections.failed"], errors="coerce")
    return frame.assign(**{FAILED_FRACTION: (failed / attempted.where(attempted > 0)).fillna(0.0)})


def _point_assumptions(scenario: Mapping[str, Any], overrides: Sequence[str], frame: pd.DataFrame,
                       keys: Sequence[str]) -> Tuple[List[str], Dict[int, List[str]]]:
    """The assumptions every point shares (sentences), and per point the sentences that differ."""
    if frame.empty or not keys:
        return [str(x) for x in point_sentences(scenario, overrides, [{}])[0]], {}
    firsts = frame.groupby("point", sort=True).first()
    points = [{k: _plain(firsts.at[i, k]) for k in keys if k in firsts.columns} for i in firsts.index]
    common, differing = point_sentences(scenario, overrides, points)
    text = [str(x) for x in common]
    if overrides:
        text.append(f"Every run applies {', '.join(overrides)} to the scenario file.")
    return text, {int(i): d for i, d in zip(firsts.index, differing)}


def _plain(value: Any) -> Any:
    """numpy scalars as Python values (for TOML-like use)."""
    return value.item() if hasattr(value, "item") else value


def _causes_table(frame: pd.DataFrame, axes: Sequence[str]) -> Optional[Dict[str, Any]]:
    """Mean count per run of every cause of refused or failed attempts that occurred, per point (None:
    no attempt was refused or failed)."""
    causes = cause_columns(frame)
    if frame.empty or not causes:
        return None
    means = frame.groupby("point", sort=True)[list(causes)].mean()
    firsts = frame.groupby("point", sort=True).first()
    rows = [[(_value_word(_plain(firsts.at[point, a])), None) for a in axes]
            + [(_num(means.at[point, c]), "num") for c in causes] for point in means.index]
    return {"head": list(axes) + list(causes.values()), "rows": rows}


def _aggregate(frame: pd.DataFrame, axes: Sequence[str], metrics: Sequence[str], confidence: float) -> pd.DataFrame:
    present = [m for m in metrics if m in frame.columns]
    return aggregate(frame, axes=list(axes), metrics=present, confidence=confidence)


def _runs_at(frame: pd.DataFrame, variable: str, value: Any, candidate: Mapping[str, Any]) -> pd.DataFrame:
    """The runs of one plan configuration: `variable` = value with the candidate's settings."""
    if frame.empty or variable not in frame.columns:
        return frame.iloc[:0]
    mask = frame[variable] == value
    for key, v in candidate.items():
        if key in frame.columns:
            mask &= frame[key] == v
    return frame[mask]


def _ci_words(runs: pd.DataFrame, metric: str, confidence: float, scale: float) -> str:
    """" ± half-width (n runs)" of the two-sided Student-t interval of the mean, or " (n run)"."""
    if runs.empty or metric not in runs.columns:
        return ""
    mean, half, n = mean_ci(pd.to_numeric(runs[metric], errors="coerce").tolist(), confidence)
    width = f" ± {_num(half, scale)}" if math.isfinite(half) else ""
    return f"{width} ({n} run{'s' if n != 1 else ''})"


def _rule(precision: View) -> Precision:
    """The precision-driven replication rule a study file describes (study.json's or plan.json's)."""
    confidence = precision.confidence
    return Precision(float(precision.relative), int(precision.max_replications), tuple(precision.metrics),
                     float(0.95 if confidence is None else confidence))


def _precision_words(spec: View, frame: pd.DataFrame, axes: Sequence[str]) -> Tuple[str, Dict[int, Any]]:
    """For a sweep with precision-driven replication (`spec`: study.json's spec): a paragraph on the
    rule and its outcome, and per point its row of point_status (n, stopped, worst metric)."""
    if not spec.precision or frame.empty:
        return "", {}
    rule = _rule(spec.precision)
    points = point_status(precision_status(frame, rule, axes), rule)
    text = (f"Replications were precision-driven: every point started with {spec.replications} and got more "
            f"{rule.words()} (Law and Kelton's sequential procedure). {describe_outcome(points, rule)}")
    return text, {int(r.point): r for r in points.itertuples()}


#: Steady-state columns (wsfleet._task.steady_state_metrics) shown per point: column -> (label, unit, scale).
STEADY_METRICS = {
    "steady_state.connections": ("open connections (fleet)", "", 1.0),
    "steady_state.cpu_utilisation": ("mean CPU utilisation of the fleet", "%", 100.0),
}


def _steady_table(frame: pd.DataFrame, axes: Sequence[str], confidence: float) -> Optional[Dict[str, Any]]:
    """Per point: each steady-state figure's mean over the runs with its interval, where MSER-5
    put the end of the warm-up (mean over the runs), and how many runs never settled."""
    present = [m for m in STEADY_METRICS if f"{m}.mean" in frame.columns]
    if frame.empty or not present:
        return None
    head = list(axes)
    for m in present:
        head += [f"{STEADY_METRICS[m][0]}: steady mean ± CI", "warm-up ends (s)"]
    rows = []
    unsettled_total = 0
    for point, group in frame.groupby("point", sort=True):
        first = group.iloc[0]
        cells = [(_value_word(_plain(first[a])), None) for a in axes]
        for m in present:
            _, unit, scale = STEADY_METRICS[m]
            mean, half, n = mean_ci(pd.to_numeric(group[f"{m}.mean"], errors="coerce").tolist(), confidence)
            width = f" ± {_num(half, scale)}" if math.isfinite(half) else ""
            warm = pd.to_numeric(group[f"{m}.warmup_s"], errors="coerce")
            reliable = group[f"{m}.reliable"] if f"{m}.reliable" in group.columns else pd.Series([True] * len(group))
            measured = pd.to_numeric(group[f"{m}.mean"], errors="coerce").notna()
            unsettled = int((~reliable.fillna(False).astype(bool) & measured).sum())
            short = int((~measured).sum())
            unsettled_total += unsettled
            note = (f" ({unsettled} of {len(group)} runs never settled)" if unsettled else "") + (
                f" ({short} of {len(group)} runs too short: MSER-5 needs 10 samples)" if short else "")
            cells += [(_num(mean, scale, unit) + width, "num"), (_num(warm.mean()) + note, "num")]
        rows.append(cells)
    caveat = (" Runs marked as never settled still drift at the middle of the run (MSER-5's cut is at its "
              "limit): their steady-state figure is not meaningful; lengthen the run." if unsettled_total else "")
    return {"head": head, "rows": rows, "caveat": caveat}


def _minimum_words(c: View, plan: View) -> str:
    """A candidate's minimum (`c`: one of plan.json's candidates), or why it has none."""
    if c.minimum is not None:
        return str(c.minimum)
    labels = {s.name: s.label for s in plan.slos}
    flat = [labels.get(f.slo, f.slo) for f in c.flat_slos or [] if f.decisive]
    if flat:
        return (f"none: {', '.join(flat)} does not depend on {plan.variable} "
                f"(the search ended at {c.noise_minimum} by noise)")
    return f"none up to {plan.high}"


def _early_words(plan: View, slos: Sequence[View], cand_label: Any) -> List[str]:
    """With precision-driven replication: which sizes stopped before the precision because their
    intervals already decided them, each with the bound that did ([] when none)."""
    if not plan.precision:
        return []
    items = []
    for c in plan.candidates:
        for e in c.evaluations:
            if not e.early:
                continue
            n = max(int(v.n or 0) for v in e.slos.values())
            if e.early == "fails":
                worst = [o for o in slos if not e.slos[o.name].passed]
                why = "; ".join(f"{o.label} {_num(e.slos[o.name].mean, o.scale, o.unit)} on average "
                                f"against at most {_num(o.max, o.scale, o.unit)}" for o in worst)
                words = f"fails after {n} runs ({why})"
            else:
                why = "; ".join(f"{o.label} at most {_num(e.slos[o.name].upper_bound, o.scale, o.unit)}"
                                f" against {_num(o.max, o.scale, o.unit)}" for o in slos)
                words = f"meets every objective after {n} runs (upper bounds: {why})"
            who = f" ({cand_label(c.candidate)})" if len(plan.candidates) > 1 else ""
            items.append(f"{plan.variable} = {e.value}{who}: {words}")
    return items


# --------------------------------------------------------------------------------------------
# Plan


#: How the sweep's verdict per point is reached, above its table.
_VERDICT_RULE = ("Every limit of the model is measured on each run's time series, as in the run report's verdict "
                 "(docs/reports.md). Over a point's replications each limit is judged at the upper bound of the 95% "
                 "confidence interval of its mean use, and binds when it stopped work in any replication; the "
                 "binding (or closest) limit's use is then the mean ± half-width (lowest to highest replication).")


def _verdict_at(frame: pd.DataFrame, verdicts: Mapping[int, PointVerdict], variable: str, value: int,
                candidate: Mapping[str, Any]) -> str:
    """"At fleet.servers = 4: NOT ENOUGH CAPACITY; the binding constraint is the per-server
    connection limit, ...": the verdict over the runs of one size (wsfleet._point_verdicts)."""
    runs = _runs_at(frame, variable, value, candidate)
    pv = verdicts.get(int(runs["point"].iloc[0])) if not runs.empty else None
    if pv is None:
        return f"{variable} = {value} was not evaluated by the search." if runs.empty else ""
    if pv.limit is None:
        return f"At {variable} = {value}: {pv.words}; no limit was measured."
    kind = "binding constraint" if pv.status in ("fail", "misconfigured") else "closest limit"
    what = pv.used if len(pv.statuses) > 1 else pv.limit.figure
    tail = f" over {len(pv.statuses)} replications" if len(pv.statuses) > 1 else ""
    return f"At {variable} = {value}: {pv.words}{tail}; the {kind} is the {pv.limit.name}, {what}."


def _plan_report(directory: Path, plots: bool) -> str:
    plan = PlanFile(json.loads((directory / "plan.json").read_text(encoding="utf-8")))
    scenario = _scenario(directory)
    frame = load_results(directory)
    variable = plan.variable
    slos = plan.slos
    confidence = float(plan.confidence)
    name = _name(scenario, directory)
    cand_keys = sorted({k for c in plan.candidates for k in c.candidate})
    frame = frame.assign(candidate=frame.apply(
        lambda r: ", ".join(f"{k} = {r[k]}" for k in cand_keys) if cand_keys else "scenario settings", axis=1)) \
        if not frame.empty else frame.assign(candidate=[])
    best = plan.best
    recommended = plan.recommended
    minimum = plan.minimum
    spare = int(plan.spare or 0)

    def cand_label(c: Mapping[str, Any]) -> str:
        return ", ".join(f"{k} = {v}" for k, v in c.items()) if c else "the scenario's own settings"

    # 1. Question and assumptions.
    reps_words = str(plan.replications)
    if plan.precision:
        rule = _rule(plan.precision)
        sizes = frame.groupby("point").size() if not frame.empty else pd.Series([plan.replications])
        reps_words = (f"{plan.replications} or more (precision-driven: each size got more "
                      f"{rule.words()}; {int(sizes.min())} to {int(sizes.max())} were run)")
    method = (f"For each candidate, the search assumes every objective's metric does not get worse as "
              f"{variable} grows (monotone). It brackets by doubling from the scenario's value "
              f"({plan.start}) until a value meets every objective, then bisects between the largest value "
              f"that failed and the smallest that passed. A value meets an objective when the one-sided "
              f"{confidence:.0%} upper confidence bound of the metric's mean over {reps_words} "
              f"replications (Student t) is within the threshold; the latency objective applies to each run's "
              f"own p99. Replication r of every size uses the same random numbers (common random numbers), so "
              f"neighbouring sizes differ by the size, not by luck.")
    steady = [s.label for s in slos if steady_flag(s.metric) is not None]
    if steady:
        kind = "is a steady-state figure" if len(steady) == 1 else "are steady-state figures"
        method += (f" {capitalise(', '.join(steady))} {kind}: each run's mean after the warm-up that MSER-5 finds "
                   "in its time series; a run with no steady state (still drifting at the middle, or ending in a "
                   "storm) has no such mean and counts as failing the objective.")
    losses = []
    if plan.lose_servers:
        k = plan.lose_servers
        who = "server 0 crashes" if k == 1 else f"servers 0 to {k - 1} crash"
        losses.append(f"Failure assumption: {who} at {plan.failure_at_s:g} s and never come back (losing {k} "
                      f"server{'s' if k > 1 else ''}, on top of any crash in the scenario); the objectives include "
                      "the reconnect storm that follows.")
    if plan.lose_site:
        losses.append(f"Failure assumption: the whole site {plan.lose_site} crashes at {plan.failure_at_s:g} s and "
                      "never comes back (every server there, N+site capacity); its clients reconnect to the other "
                      "sites, and the objectives, recovery included, are judged after losing it.")
    shown = {variable: recommended, **best} if best is not None and recommended is not None else {}
    overrides = plan.overrides or []
    assumptions = list(describe_scenario(effective_scenario(scenario, overrides, shown)))
    assumptions.append(
        (f"These sentences describe the recommended fleet ({', '.join(f'{k} = {v}' for k, v in shown.items())}). "
         if shown else "") + f"The search varies {variable}"
        + (f" and the candidates' {', '.join(cand_keys)}" if cand_keys else "")
        + (f"; every run applies {', '.join(overrides)}" if overrides else "") + ".")

    # 2. Recommendation and margin.
    flat_notes = [(c, f) for c in plan.candidates for f in c.flat_slos or []]
    rec: Optional[Dict[str, Any]] = None
    why = ""
    if best is None or recommended is None:
        decisive = [f.text for _, f in flat_notes if f.decisive]
        why = (" ".join(dict.fromkeys(decisive)) if decisive else
               f"No candidate met every objective for {variable} up to {plan.high}. Relax an "
               "objective, raise the search limit (high), or change the scenario.")
    else:
        entry = next(c for c in plan.candidates if c.candidate == best)
        at = {e.value: e for e in entry.evaluations}
        runs = _runs_at(frame, variable, minimum, best)
        margin = []
        for slo in slos:
            here = at[minimum].slos[slo.name]
            ci = _ci_words(runs, slo.metric, confidence, slo.scale)
            below = at.get(minimum - 1)
            below_text = "not evaluated (the search range starts here)" if below is None else (
                ("fails: " if not below.slos[slo.name].passed else "meets it too: ")
                + _num(below.slos[slo.name].upper_bound, slo.scale, slo.unit))
            bound = here.upper_bound
            threshold = slo.max
            if below is not None and below.slos[slo.name].unsettled:
                b = below.slos[slo.name]
                below_text = (f"fails: {b.unsettled} of {b.n} runs had no steady state (no steady-state mean, "
                              "which counts as failing)")
            headroom = (1 - float(bound) / threshold) if isinstance(bound, (int, float)) and threshold > 0 else None
            margin.append([slo.label, _num(threshold, slo.scale, slo.unit), _num(here.mean, slo.scale, slo.unit) + ci,
                           _num(bound, slo.scale, slo.unit), f"{headroom:.0%}" if headroom is not None else "n/a",
                           below_text])
        verdicts = point_verdicts(frame, confidence)
        limits = [_verdict_at(frame, verdicts, variable, v, best) for v in (recommended, recommended - 1)]
        rec = {"recommended": recommended, "minimum": minimum, "with_text": f" with {cand_label(best)}" if best else "",
               "limits": [s for s in limits if s] if verdicts else [],
               "extra": f" (the minimum {minimum} that meets every objective, plus {spare} spare)" if spare else "",
               "lose_site": plan.lose_site or "",
               "cost": _num(plan.recommended_cost_per_hour) if plan.recommended_cost_per_hour else "",
               "non_monotone": ", ".join(str(v) for v in entry.non_monotone) if entry.non_monotone else "",
               "margin": margin}
    notes = [f.text for c, f in flat_notes if not f.decisive and (best is None or c.candidate == best)]

    # Per-candidate comparison.
    cost = plan.cost
    candidates = []
    for c in sorted(plan.candidates, key=lambda c: (c.minimum is None, c.total_cost or 0, c.minimum or 0)):
        tried = ", ".join(f"{e.value}{'✓' if e.passed else '✗'}" for e in c.evaluations)
        candidates.append([cand_label(c.candidate), _minimum_words(c, plan)] + ([_num(c.total_cost)] if cost else [])
                          + [tried])
    cost_head = ("Fleet cost an hour at the minimum" if cost == "cost_per_hour" else
                 f"{variable} × {cost}" if cost else "")
    rank = ("Candidates are ranked by the fleet's price an hour at their minimum (every server class's servers "
            "times its cost_per_hour), then by the closest objective's headroom." if cost == "cost_per_hour" else
            f"Candidates are ranked by the minimum times {cost} (e.g. total cores: many small servers against few "
            "large ones), then by the closest objective's headroom." if cost else
            "Candidates are ranked by the minimum, then by the closest objective's headroom.")

    # 3. Figures: each objective's metric against the variable, one line per candidate.
    figures = []
    if plots and not frame.empty:
        for slo in slos:
            agg = _aggregate(frame, [variable, "candidate"], [slo.metric], confidence)
            png = metric_figure(agg, variable, f"{slo.label} ({slo.unit})".replace(" ()", ""), variable,
                                group="candidate" if cand_keys else None, scale=slo.scale, threshold=slo.max,
                                mark_x=minimum, mark_label=f"minimum {minimum}")
            figures.append((f"{slo.label} against {variable}", png, f"{slo.label} against {variable}",
                f"Mean over replications with its {confidence:.0%} confidence band, at every size the search "
                f"evaluated; dashed: the objective; dotted: the minimum that meets every objective. Triangles at "
                f"the top: runs where not every client had reconnected by the end."))

    # 4. Sensitivity: how the answer moves with the thresholds.
    sens = []
    if best is not None and minimum is not None:
        entry = next(c for c in plan.candidates if c.candidate == best)
        for slo in slos:
            for factor in (0.8, 0.9, 1.1, 1.25):
                limit = slo.max * factor
                passing = [e.value for e in entry.evaluations
                           if all((s2.upper_bound if isinstance(s2.upper_bound, (int, float)) else math.inf)
                                  <= (limit if n == slo.name else s2.max) for n, s2 in e.slos.items())]
                failing = [e.value for e in entry.evaluations if e.value not in passing]
                lowest = min(passing) if passing else None
                if lowest is None:
                    answer = f"no evaluated size meets it (largest tried: {max(e.value for e in entry.evaluations)})"
                elif lowest - 1 in failing or lowest == plan.low:
                    answer = f"{lowest}"
                else:
                    answer = f"at most {lowest} (smaller sizes were not all evaluated)"
                sens.append([slo.label, f"{factor:.0%}: {_num(limit, slo.scale, slo.unit)}", answer])

    # 5. The storm timeline of the recommended fleet.
    timeline = None
    rec_dir = directory / "recommended"
    if plots and (rec_dir / "summary.json").is_file():
        a = analyse(load_run(rec_dir))
        timeline = {"recommended": recommended, "figures": [
            (_plots.connections_figure(a.plot_data), "Connections per server",
             "Open connections per server, and the fleet total against the capacity that is up."),
            (_plots.attempts_figure(a.plot_data), "Connection attempts",
             "Connection attempts, rejections and failures per second.")]}
    subtitle = (f"Capacity plan · {len(frame)} runs ({frame['point'].nunique() if not frame.empty else 0} "
                f"configurations × {plan.replications} replications) · seed {plan.seed}")
    return render("plan.html.j2", title=f"Capacity plan: {name}", subtitle=subtitle, question=plan.question,
                  assumptions=assumptions, losses=losses, spare=spare, method=method, variable=variable, rec=rec,
                  why=why, flat_notes=notes, confidence=f"{confidence:.0%}", early=_early_words(plan, slos, cand_label),
                  rank=rank, cost_head=cost_head, candidates=candidates, plots=plots, figures=figures,
                  sensitivity=sens, timeline=timeline)


# --------------------------------------------------------------------------------------------
# Sweep


def _sweep_report(directory: Path, plots: bool, confidence: float = 0.95) -> str:
    spec = StudyFile(read_study(directory)).spec
    scenario = _scenario(directory)
    frame = _with_failed_fraction(load_results(directory))
    axes = [a.key for a in spec.axes]
    name = _name(scenario, directory)
    n_points = frame["point"].nunique() if not frame.empty else 0
    reps = 1 if spec.replications is None else spec.replications

    def axis_words(a: View) -> str:
        if a.values is not None:
            return f"{a.key}: {', '.join(_value_word(v) for v in a.values)}"
        r = a.range
        return (f"{a.key}: {r.low} to {r.high}" + (" (log scale)" if r.log else "")
                + (f", {r.steps} values" if r.steps is not None else ""))

    method = spec.method or "grid"
    how = {"grid": "every combination of", "random": f"{spec.samples} random points over",
           "latin_hypercube": f"a Latin hypercube of {spec.samples} points over"}.get(method, method)
    crn = ("Replication r of every point uses the same random numbers (common random numbers), so differences "
           "between points are not luck." if spec.common_random_numbers is not False
           else "Each point has its own random numbers (a seed derived from its values).")
    common, per_point = _point_assumptions(scenario, spec.overrides or [], frame, axes)
    precision_text, precision_by_point = _precision_words(spec, frame, axes)
    reps_words = str(reps)
    if precision_by_point:
        counts = [r.n for r in precision_by_point.values()]
        reps_words = f"{min(counts)} to {max(counts)}" if min(counts) != max(counts) else str(counts[0])
    points = []
    if axes and per_point:
        firsts = frame.groupby("point", sort=True).first()
        points = [[(_value_word(_plain(firsts.at[p, a])), None) for a in axes] + [(" ".join(words), "effective")]
                  for p, words in per_point.items()]

    metrics = [m for m in KEY_METRICS if m in frame.columns]
    agg = _aggregate(frame, axes, metrics, confidence) if not frame.empty else pd.DataFrame()
    verdicts = point_verdicts(frame, confidence)
    # 2. Tables: each point's verdict, and its key metrics.
    rows = []
    verdict_rows: List[List[Tuple[Any, Optional[str]]]] = []
    if not agg.empty:
        for (point,), g in agg.groupby(["point"], sort=True):
            first = g.iloc[0]
            cells = [(_value_word(first[a]), None) for a in axes]
            for m in metrics:
                r = g[g["metric"] == m]
                if r.empty:
                    cells.append(("n/a", "num"))
                    continue
                r = r.iloc[0]
                label, unit, scale = KEY_METRICS[m]
                half = r["ci_half_width"]
                # "1.26 % ± 0.546 %": each figure keeps its unit, and a wide table may wrap at the ±
                ci = (" ±\u00a0" + _num(half, scale, unit).replace(" ", "\u00a0")
                      if isinstance(half, float) and math.isfinite(half) else "")
                cells.append((_num(r['mean'], scale, unit).replace(" ", "\u00a0") + ci, "num wrap"))
            if precision_by_point:
                status = precision_by_point.get(int(point))
                why = status.stopped if status is None or status.met else (
                    f"{status.stopped} ({status.worst_metric} ±{status.worst_relative_half_width:.1%})")
                cells += ([(status.n, "num"), (why, None)] if status is not None else [("", None), ("", None)])
            rows.append(cells)
            pv = verdicts.get(int(point))
            if pv is not None:
                tone = {"misconfigured": "fail"}.get(pv.status, pv.status)
                verdict_rows.append(cells[:len(axes)] + [(pv.words, f"verdict-cell tag-{tone}"),
                                                         (pv.cell.split(": ", 1)[1], None)])
    head = list(axes) + [KEY_METRICS[m][0] for m in metrics]
    if precision_by_point:
        head += ["Replications", "Stopped because"]
    over = ("over each point's replications (the Replications column)" if precision_by_point
            else f"over {reps} replications")

    # 3. Figures: each key metric against the first numeric axis, one line per combination of the others.
    figures = []
    numeric = [a for a in axes if not frame.empty and pd.api.types.is_numeric_dtype(frame[a])]
    if plots and numeric and not agg.empty:
        x = numeric[0]
        others = [a for a in axes if a != x]
        data = agg.assign(group=agg.apply(lambda r: ", ".join(f"{a} = {_value_word(r[a])}" for a in others), axis=1)
                          if others else "")
        log_x = any(a.range is not None and a.range.log for a in spec.axes if a.key == x)
        for m in metrics:
            label, unit, scale = KEY_METRICS[m]
            png = metric_figure(data[data["metric"] == m], x, f"{label} ({unit})".replace(" ()", ""), x,
                                group="group" if others else None, scale=scale, log_x=log_x)
            figures.append((f"{label} against {x}", png, f"{label} against {x}",
                f"Mean over replications with its {confidence:.0%} confidence band"
                + (f"; one line per {', '.join(others)}" if others else "") + "."))
    elif plots and axes and not agg.empty:
        x = axes[0]  # no numeric axis: one bar per category of the first
        others = [a for a in axes if a != x]
        data = agg.assign(group=agg.apply(lambda r: ", ".join(f"{a} = {_value_word(r[a])}" for a in others), axis=1)
                          if others else "")
        for m in metrics:
            label, unit, scale = KEY_METRICS[m]
            rows_m = data[data["metric"] == m]
            if not rows_m.empty and rows_m["mean"].eq(0).all() and rows_m["ci_high"].fillna(0).eq(0).all():
                figures.append((None, None, None, f"{label}: 0 at every point, in every replication."))
                continue
            png = category_figure(data[data["metric"] == m], x, f"{label} ({unit})".replace(" ()", ""), x,
                                  group="group" if others else None, scale=scale)
            figures.append((f"{label} for each {x}", png, f"{label} for each {x}",
                f"Mean over replications (bar) with its {confidence:.0%} confidence interval"
                + (f"; one bar per {', '.join(others)}" if others else "") + "."))
    elif not plots:
        figures.append((None, None, None, "Plots were left out of this report (written without plots)."))
    else:
        figures.append((None, None, None, "The sweep has no results to plot yet."))

    # 4. Sensitivity: for each axis, the spread of each metric's mean over that axis's values (averaged
    # over the other axes).
    sens = []
    if not agg.empty:
        for a in axes:
            for m in metrics:
                sub = agg[agg["metric"] == m]
                by = sub.groupby(a)["mean"].mean()
                finite = by[by.map(lambda v: math.isfinite(v))]
                if finite.empty:
                    continue
                label, unit, scale = KEY_METRICS[m]
                lo_at, hi_at = finite.idxmin(), finite.idxmax()
                sens.append([a, label, f"{_num(finite.min(), scale, unit)} ({a} = {_value_word(lo_at)})",
                             f"{_num(finite.max(), scale, unit)} ({a} = {_value_word(hi_at)})"])
    subtitle = (f"Parameter sweep · {len(frame)} runs ({n_points} points × {reps_words} replications) · "
                f"seed {spec.seed}")
    return render("sweep.html.j2", title=f"Sweep report: {name}", subtitle=subtitle, how=how,
                  axes_words="; ".join(axis_words(a) for a in spec.axes), common=common, axes=axes, points=points,
                  n_points=n_points, reps_words=reps_words, confidence=f"{confidence:.0%}", crn=crn,
                  precision=precision_text, over=over, results_head=head, results=rows,
                  verdict_rule=_VERDICT_RULE, verdicts=verdict_rows,
                  verdict_head=list(axes) + ["Verdict", "Binding or closest limit"],
                  causes=_causes_table(frame, axes), steady=_steady_table(frame, axes, confidence), figures=figures,
                  sensitivity=sens)


def render_study_report(directory: Path, plots: bool = True) -> str:
    """The HTML report of a sweep or plan directory."""
    kind = StudyFile(read_study(directory)).kind
    if kind == "plan" and (directory / "plan.json").is_file():
        return _plan_report(directory, plots)
    return _sweep_report(directory, plots)
