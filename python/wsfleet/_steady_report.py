"""The run report's steady-state figures: for each fleet time series where a long-run mean means
something (open connections, CPU utilisation), the warm-up MSER-5 finds, the steady-state mean with
its batch-means interval, or why there is no steady state (wsfleet._steady). Every sentence is
built from those numbers."""
from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import pandas as pd

from wsfleet._format import fmt_int, fmt_num, fmt_seconds, fmt_share
from wsfleet._html import render
from wsfleet._steady import BATCHES, END_CONFIDENCE, SteadyFigure, steady_figure
from wsfleet.views import COLUMNS as C

__all__ = ["STEADY_SERIES", "steady_rows", "steady_sentence", "steady_html"]

#: Fleet columns shown: column -> (words, how a value is written).
STEADY_SERIES: List[Tuple[str, str, Callable[[float], str]]] = [
    (C.connections, "open connections (fleet)", fmt_num),
    (C.cpu_utilisation, "CPU utilisation (fleet mean)", fmt_share),
]


def steady_rows(fleet: pd.DataFrame, confidence: float = 0.95) -> List[Tuple[str, str, Callable[[float], str],
                                                                           SteadyFigure]]:
    """(column, words, format, figure) for each STEADY_SERIES column the fleet rows have."""
    out = []
    if fleet.empty or C.time_s not in fleet.columns:
        return out
    times = fleet[C.time_s].to_numpy(dtype=float)
    for column, words, fmt in STEADY_SERIES:
        if column in fleet.columns:
            out.append((column, words, fmt, steady_figure(fleet[column].to_numpy(dtype=float), times, confidence)))
    return out


def steady_sentence(words: str, fmt: Callable[[float], str], f: SteadyFigure,
                    faults: Sequence[Tuple[float, str]] = ()) -> str:
    """One series' sentence. faults: (time, words) of the run's faults ("the crash of server 3"), to say
    which fall in the kept window."""
    name = words[:1].upper() + words[1:]
    if f.batches == 0:
        return f"{name}: no steady state can be judged: {f.why}."
    if not f.steady:
        if not f.reliable:
            return (f"{name}: no steady state found: MSER-5's cut lies at the middle of the run "
                    f"({fmt_int(f.truncated)} of {fmt_int(f.samples)} samples), so the series still drifts there; "
                    "a mean over this run is not a steady-state figure. Lengthen the run.")
        return (f"{name}: no steady state found: the run ended in a transient. The last {fmt_int(f.batch_size)} "
                f"samples average {fmt(f.end_mean)}, outside {fmt(f.end_low)} to {fmt(f.end_high)} (the "
                f"{END_CONFIDENCE:.0%} prediction interval from the other {BATCHES - 1} batches after the warm-up). "
                "A mean over this run is not a steady-state figure; lengthen the run past the transient.")
    warm = (f"a warm-up of {fmt_int(f.truncated)} samples (until {fmt_seconds(f.warmup_end_s)})"
            if f.truncated else "no warm-up")
    text = (f"{name}: MSER-5 finds {warm}; steady-state mean {fmt(f.mean)} ± {fmt(f.half_width)} "
            f"({f.confidence:.0%} confidence interval from {f.batches} batch means of {fmt_int(f.batch_size)} "
            "samples).")
    start = f.warmup_end_s
    inside = [(t, what) for t, what in faults if start is not None and t >= start]
    if inside:
        listed = ", ".join(f"{what} at {fmt_seconds(t)}" for t, what in inside)
        text += f" The kept window includes {listed}: the mean includes what followed."
    return text


def steady_html(fleet: pd.DataFrame, faults: Sequence[Tuple[float, str]] = (), confidence: float = 0.95) -> str:
    """The "Steady state" block of the run report, or "" when the run has no fleet series."""
    rows = steady_rows(fleet, confidence)
    if not rows:
        return ""
    shown = []
    for column, words, fmt, f in rows:
        if f.batches == 0:
            warm, mean, state = "—", "—", "too short"
        else:
            warm = (f"{fmt_int(f.truncated)} samples (until {fmt_seconds(f.warmup_end_s)})" if f.truncated
                    else "none")
            mean = f"{fmt(f.mean)} ± {fmt(f.half_width)}" if f.steady else "—"
            state = "steady" if f.steady else "no steady state"
        shown.append((column, words, warm, mean, state))
    return render("steady.html.j2", rows=shown, confidence=f"{confidence:.0%}",
                  sentences=[steady_sentence(w, fmt, f, faults) for _, w, fmt, f in rows])
