"""The run report's figures over the replications of a replicated run (wsfleet._replicated): the
headline cards as the mean over the replications with the half-width of its confidence interval,
and a table of what the precision rule reached.

Every figure here is computed from replications.parquet (one row per replication) or, for the
figure of the time series across the replications, from every replication's own run directory
(replications/K, read with wsfleet._run_dir.load_run); the sentences say which figures are over the
replications and which are replication 0's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import pandas as pd

from wsfleet._format import fmt_int, fmt_ms, fmt_num, fmt_seconds, fmt_share
from wsfleet._html import render
from wsfleet._limits import MARGIN
from wsfleet._replicated_verdict import RULE, replicated_verdict
from wsfleet._replicated import Replications, metric_values, outcome_words, rule_of
from wsfleet._stats import mean_ci
from wsfleet.views import COLUMNS as C

__all__ = ["Figure", "HEADLINE_FIGURES", "figure_interval", "card_text", "replications_html", "METRIC_WORDS"]


def _column(name: str) -> Callable[[pd.DataFrame], List[float]]:
    return lambda frame: list(metric_values(frame, name))


def _ratio(num: Sequence[str], den: str) -> Callable[[pd.DataFrame], List[float]]:
    def values(frame: pd.DataFrame) -> List[float]:
        if den not in frame.columns or any(c not in frame.columns for c in num):
            return []
        top = sum(pd.to_numeric(frame[c], errors="coerce").astype(float) for c in num)
        bottom = pd.to_numeric(frame[den], errors="coerce").astype(float)
        return [t / b if b else math.nan for t, b in zip(top, bottom)]
    return values


@dataclass(frozen=True)
class Figure:
    """A headline figure: the card it replaces (its index in the run report's cards), its words, how
    each replication's value is computed from its row, and how a value is written."""
    card: int
    label: str
    values: Callable[[pd.DataFrame], List[float]]
    fmt: Callable[[float], str]


#: The run report's cards, in its order, as figures of the replications' rows.
HEADLINE_FIGURES = [
    Figure(0, "peak open connections (fleet)", _column("connections.peak"), fmt_int),
    Figure(1, "of the per-server connection limit used by the busiest server",
           _ratio(["connections.peak_per_server"], "fleet.max_connections_per_server"), fmt_share),
    Figure(2, "peak CPU utilisation of any server", _column("cpu.peak_utilisation"), fmt_share),
    Figure(3, "p99 message latency (whole run)", _column("messages.latency_ms.p99"), fmt_ms),
    Figure(4, "of connection attempts refused or failed",
           _ratio(["connections.rejected", "connections.failed"], "connections.attempted"), fmt_share),
    Figure(5, "until every client dropped by a crash was back (the slowest crash)", _column("recovery_s"),
           fmt_seconds),
]

#: Words for the metrics a precision rule names most often.
METRIC_WORDS = {
    "messages.latency_ms.p99": "p99 message latency",
    "handshake_latency_ms.p99": "p99 handshake latency",
    "cpu.peak_utilisation": "peak CPU utilisation of any server",
    "cpu.mean_utilisation": "mean CPU utilisation",
    "messages.latency_ms.mean": "mean message latency",
    "connections.peak": "peak open connections (fleet)",
    "connections.peak_per_server": "peak connections on one server",
    "recovery_s": "time until every client of a crash was back",
    "steady_state.connections.mean": "steady-state open connections (fleet)",
    "steady_state.cpu_utilisation.mean": "steady-state mean CPU utilisation",
}


@dataclass(frozen=True)
class Interval:
    mean: float
    half: float
    n: int          # replications where the figure is defined (not NaN)
    infinite: int   # replications where it is infinite (clients never all back)
    total: int


def figure_interval(values: Sequence[float], confidence: float) -> Interval:
    xs = [float(v) for v in values]
    infinite = sum(1 for v in xs if math.isinf(v))
    mean, half, n = mean_ci(xs, confidence)
    return Interval(mean, half, n, infinite, len(xs))


def card_text(figure: Figure, frame: pd.DataFrame, confidence: float) -> Optional[str]:
    """The card's value over the replications: "mean ± half-width", or None when the figure is not
    defined in any replication."""
    iv = figure_interval(figure.values(frame), confidence)
    if iv.n == 0:
        return None
    if iv.infinite:
        return f"never in {iv.infinite} of {iv.total}"
    if not math.isfinite(iv.half):
        return figure.fmt(iv.mean)
    return f"{figure.fmt(iv.mean)} ± {figure.fmt(iv.half)}"


def _rel(x: object) -> float:
    return math.inf if x in ("inf", None) else float(x)  # type: ignore[arg-type]


def _metric_value(metric: str, x: float) -> str:
    if metric.endswith("_ms.p99") or "latency_ms" in metric:
        return fmt_ms(x)
    if metric.endswith("utilisation") or metric.endswith("utilisation.mean"):
        return fmt_share(x)
    if metric.endswith("_s"):
        return fmt_seconds(x)
    return fmt_num(x)


def replications_html(reps: Replications, runs: Optional[list] = None) -> str:
    """The paragraph and the table of a replicated run's precision, for the headline section."""
    doc = reps.doc
    rule = rule_of(doc)
    conf = f"{rule.confidence:.0%}"
    rows = []
    for m in doc["metrics"]:
        name = m["metric"]
        words = METRIC_WORDS.get(name, name)
        if not m["measured"]:
            rows.append({"name": name, "words": words, "measured": False})
            continue
        half, rel = _rel(m["ci_half_width"]), _rel(m["relative_half_width"])
        interval = (f"{_metric_value(name, float(m['mean']))} ± {_metric_value(name, half)}" if math.isfinite(half)
                    else f"{_metric_value(name, float(m['mean']))} (an infinite value: no interval)")
        reached = f"±{fmt_share(rel)}" if math.isfinite(rel) else "—"
        rows.append({"name": name, "words": words, "measured": True, "met": bool(m["met"]), "interval": interval,
                     "reached": reached})
    n = int(doc["replications"])
    across = (" and so are the plots below but the first, which shows every replication's time series (mean, "
              "interval, range)" if reps.runs is not None else " and so are the plots below")
    note = (f"The cards above are the mean over the {n} replications ± the half-width of its {conf} confidence "
            f"interval (Student t). " + (f"The verdict and the limits table are over every replication: "
                                         f"{RULE.format(conf=conf, near=fmt_share(1.0 - MARGIN))} "
                                         if runs else "The verdict and the limits are replication 0's. ")
            + f"The tables below are replication 0's: the run that the same command without --precision gives "
            f"(seed {doc['seed']}),{across}.")
    return render("replications.html.j2", outcome=outcome_words(doc), note=note,
                  verdicts=verdicts_sentence(runs) if runs else "", rows=rows, target=fmt_share(rule.relative))


def replicated_cards(cards: List[tuple], reps: Replications) -> List[tuple]:
    """The run report's cards [(value, label)] with each figure's value over the replications."""
    out = list(cards)
    n = reps.n
    for figure in HEADLINE_FIGURES:
        if figure.card >= len(out):
            continue
        text = card_text(figure, reps.frame, reps.confidence)
        if text is None:
            continue
        # The figure's own words: the card's may hold replication 0's details (its peak time, its
        # causes, the clients its crash dropped), which other replications need not share.
        out[figure.card] = (text, f"{figure.label} (mean of {n} replications ± {reps.confidence:.0%} CI)")
    return out


def replication_runs(reps: Replications) -> Optional[list]:
    """Every replication's run directory read and checked by load_run, or None when the run was saved
    before they were kept."""
    from wsfleet._run_dir import load_run

    if reps.runs is None:
        return None
    return [load_run(reps.run_dir(k)) for k in range(reps.n)]


def _common_faults(runs: list) -> List[tuple]:
    """(start time, type) of the faults that start at the same time in every replication (those the
    scenario schedules), sorted by time."""
    from wsfleet.views import Summary

    sets = [{(float(f.at_s), str(f.type)) for f in Summary(run.summary).faults if f.at_s is not None} for run in runs]
    return sorted(set.intersection(*sets)) if sets else []


def _fleet_tidy(series: List[pd.DataFrame]) -> pd.DataFrame:
    """One long frame of the fleet rows, a `replication` column first, with `busiest_cpu`: the CPU
    utilisation of the busiest server at each sample time (from the server rows)."""
    frames = []
    for k, ts in enumerate(series):
        fleet = ts[ts[C.scope] == "fleet"].copy()
        servers = ts[ts[C.scope] == "server"]
        if C.cpu_utilisation in servers.columns and not servers.empty:
            busiest = pd.to_numeric(servers[C.cpu_utilisation], errors="coerce").groupby(servers[C.time_s]).max()
            fleet["busiest_cpu"] = fleet[C.time_s].map(busiest)
        fleet.insert(0, "replication", k)
        frames.append(fleet)
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class _Trace:
    column: str
    title: str
    ylabel: str
    fmt: Callable[[float], str]
    words: str
    scale: float = 1.0
    thousands: bool = False
    interval: bool = False


_TRACES = [
    _Trace(C.connections, "Open connections (fleet)", "connections", fmt_int, "the fleet's open connections",
           thousands=True),
    _Trace("busiest_cpu", "CPU utilisation of the busiest server", "CPU busy (%)", fmt_share,
           "the CPU utilisation of the busiest server", scale=100.0, interval=True),
    _Trace(C.latency_p99_ms, "p99 message latency (per sample interval)", "latency (ms)", fmt_ms,
           "the p99 message latency of a sample interval", interval=True),
]


def bands_html(reps: Replications, runs: Optional[list], plots: bool, end_s: float) -> str:
    """The figure of the time series across the replications (connections, busiest CPU, p99 latency:
    mean, its interval, min to max) with one sentence per panel computed from the band: where the
    replications spread widest. Empty for a run saved before every replication's series was kept."""
    from wsfleet._band_plots import Panel, band_figure
    from wsfleet._replicated import band

    if runs is None:
        return render("bands.html.j2", n=0, why="This replicated run was saved before wsfleet kept every "
                      "replication's time series: the plots below are replication 0's only.")
    tidy = _fleet_tidy([run.timeseries for run in runs])
    faults = _common_faults(runs)
    grids = {tuple(g[C.time_s].astype(float)) for _, g in tidy.groupby("replication")}
    n, conf = reps.n, reps.confidence
    if len(grids) != 1:
        return render("bands.html.j2", n=n, why="The replications were not sampled at the same times, so their time "
                      "series are not drawn against each other; the plots below are replication 0's.")
    panels, sentences = [], []
    for trace in _TRACES:
        if trace.column not in tidy.columns:
            continue
        b = band(tidy, trace.column, conf)
        if b.empty or b["n"].max() == 0:
            continue
        panels.append(Panel(trace.title, trace.ylabel, b, trace.scale, trace.thousands, trace.interval))
        spread = (b["max"] - b["min"]).where(b["n"] > 0)
        if spread.notna().any() and spread.max() > 0:
            at = b.loc[spread.idxmax()]
            k = int(at["n"])
            over = "" if k == n else f" over the {k} replication{'s' if k != 1 else ''} that have it"
            sentences.append(f"{capitalise_first(trace.words)}: the replications differ most "
                             f"{'in the sample interval ending at' if trace.interval else 'at'} {fmt_num(at[C.time_s])} s, "
                             f"from {trace.fmt(at['min'])} to {trace.fmt(at['max'])} (mean {trace.fmt(at['mean'])}{over}).")
        else:
            sentences.append(f"{capitalise_first(trace.words)}: the same in every replication at every sample time.")
        partial = b[(b["n"] > 0) & (b["n"] < n)]
        if len(partial):
            sentences.append(f"In {len(partial)} of {len(b)} sample intervals some replications had no message, so "
                             f"{trace.words} is undefined there for them: the mean and the range are over those that "
                             "had.")
    if not panels:
        return render("bands.html.j2", n=n, why="No time series of this run has a number to draw.")
    caption = (f"Each panel: at each sample time, the mean over the {n} replications (line), the {conf:.0%} "
               f"Student-t interval of that mean (dark band) and the lowest to the highest replication (light band). "
               "The replications share every sample time (same scenario, same seed, run.replication 0 to "
               f"{n - 1}). The other figures of this section are replication 0's.")
    if faults:
        caption += (" Dashed lines: the start of each fault, at the same time in every replication ("
                    + "; ".join(f"{kind} at {fmt_num(at)} s" for at, kind in faults) + ").")
    png = band_figure(panels, conf, end_s, [at for at, _ in faults]) if plots else None
    return render("bands.html.j2", n=n, why=None, png=png, caption=caption, sentences=sentences)


def verdicts_sentence(runs: list) -> str:
    """Whether replication 0's verdict (its status and binding or closest limit, wsfleet._limits) is
    every replication's, and the range of that limit's use across the replications; the replications
    whose verdict differs are named with theirs."""
    from wsfleet._analysis import analyse
    from wsfleet._html import STATUS_WORDS
    from wsfleet._limits import verdict

    found = []
    for run in runs:
        limits = analyse(run).limits
        v = verdict(limits)
        found.append((v.status, v.binding.key if v.binding is not None else None,
                      v.binding.name if v.binding is not None else "no limit", {l.key: l.used for l in limits}))
    n = len(found)
    status0, key0, name0, _ = found[0]
    what0 = f"{STATUS_WORDS[status0]}, {'binding' if status0 in ('fail', 'misconfigured') else 'closest'} limit: the {name0}"
    used = [f[3].get(key0) for f in found] if key0 is not None else []
    used = [u for u in used if u is not None and math.isfinite(u)]
    spread = (f" The {name0} used {fmt_share(min(used))} to {fmt_share(max(used))} of its limit across the "
              f"replications." if len(used) == n and key0 is not None else "")
    others = [(k, f) for k, f in enumerate(found) if (f[0], f[1]) != (status0, key0)]
    if not others:
        return f"Every one of the {n} replications gets replication 0's verdict ({what0}).{spread}"
    groups: dict = {}
    for k, (status, _, name, _) in others:
        words = f"{STATUS_WORDS[status]}, {'binding' if status in ('fail', 'misconfigured') else 'closest'} limit: the {name}"
        groups.setdefault(words, []).append(k)
    listed = "; ".join(f"replication{'s' if len(ks) > 1 else ''} {', '.join(map(str, ks))}: {words}"
                       for words, ks in groups.items())
    return (f"Replication 0's verdict ({what0}) is that of {n - len(others)} of the {n} replications; the "
            f"others differ ({listed}).{spread}")


def across_replications(a: object, runs: list, confidence: float) -> None:
    """Puts the verdict over every replication (wsfleet._replicated_verdict) into replication 0's
    Analysis `a` (wsfleet._analysis): its status, binding limit, sentences, limits (each with its use
    over the replications) and findings (the limits' over the replications; the other notes are
    replication 0's and say so). runs[0] is replication 0, whose analysis `a` is."""
    from wsfleet._analysis import Finding, action_words, analyse, limit_findings

    analyses = [a] + [analyse(run) for run in runs[1:]]
    rv = replicated_verdict([x.limits for x in analyses], confidence)  # type: ignore[attr-defined]
    status = rv.verdict.status
    others = [f for x in analyses for f in x.findings if not f.limit]  # type: ignore[attr-defined]
    if status not in ("fail", "misconfigured") and any(f.level == "fail" for f in others):
        status = "fail"  # an outage in some replication, say
    a.status = status  # type: ignore[attr-defined]
    a.binding = rv.verdict.binding  # type: ignore[attr-defined]
    a.limits = [x.limit for x in rv.limits]  # type: ignore[attr-defined]
    a.verdict = rv.text  # type: ignore[attr-defined]
    a.action = action_words(status, rv.verdict.actions, rv.verdict.binding)  # type: ignore[attr-defined]
    a.findings = limit_findings(a.limits) + [  # type: ignore[attr-defined]
        Finding(f.level, f"Replication 0: {f.text}") for f in a.findings if not f.limit]  # type: ignore[attr-defined]


def capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:]


__all__ += ["replicated_cards", "Interval", "bands_html", "replication_runs", "verdicts_sentence",
            "across_replications"]
