"""`wsfleet compare DIR DIR... [--out FILE]`: run directories side by side in one HTML page.

A table with one column per run (its verdict and binding limit, peaks, refused and failed attempts,
recovery) and plots with one line per run (open connections, connection attempts per second, the
busiest server's CPU). From Python: `write_comparison(run_dirs, out) -> Path`. Bad inputs raise
ReportError naming the file; the command line prints it on one line and exits with status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import pandas as pd

from wsfleet import _plots
from wsfleet._analysis import Analysis, analyse
from wsfleet._describe import fmt_int, fmt_ms, fmt_pct, fmt_seconds, fmt_share
from wsfleet._html import STATUS_WORDS, render
from wsfleet._run_dir import ReportError, Run, load_run
from wsfleet.views import Summary
from wsfleet.views import COLUMNS as C

__all__ = ["write_comparison", "render_comparison", "main"]


def _rows(runs: Sequence[Tuple[Run, Analysis]]) -> List[Tuple[str, List[str], bool]]:
    """The table's rows: (label, one cell per run, whether the cells are numbers)."""
    sums = [Summary(r.summary) for r, _ in runs]
    return [
        ("Verdict", [STATUS_WORDS[a.status] for _, a in runs], False),
        ("Binding or closest limit", [
            f"{a.binding.name}: {a.binding.figure}" if a.binding is not None else "—" for _, a in runs], False),
        ("Servers", [fmt_int(a.servers) for _, a in runs], True),
        ("Clients", [fmt_int(s.clients.count) for s in sums], True),
        ("Peak open connections", [fmt_int(a.peak_fleet_connections) for _, a in runs], True),
        ("Busiest server, share of its limit", [
            fmt_pct(a.peak_server_connections, a.max_connections) for _, a in runs], True),
        ("Peak CPU of any server", [fmt_share(a.peak_cpu) for _, a in runs], True),
        ("Refused attempts", [
            f"{fmt_int(s.connections.rejected)} ({fmt_pct(s.connections.rejected, s.connections.attempted)})"
            for s in sums], True),
        ("Failed attempts", [
            f"{fmt_int(s.connections.failed)} ({fmt_pct(s.connections.failed, s.connections.attempted)})"
            for s in sums], True),
        ("p99 message latency", [fmt_ms(s.messages.latency_ms.p99) for s in sums], True),
        ("Slowest recovery after a crash", [
            fmt_seconds(max((s.reconnected_within_s for s in a.storms if s.reconnected_within_s is not None),
                            default=None)) if a.storms else "no crash" for _, a in runs], True),
    ]


def _overlay(runs: Sequence[Tuple[Run, Analysis]], column: str, ylabel: str, per_second: bool = False,
             busiest: bool = False) -> Optional[bytes]:
    fig = _plots.new_figure(3.2)
    ax = fig.add_subplot(1, 1, 1)
    handles = []
    for i, (run, a) in enumerate(runs):
        frame = a.plot_data.servers if busiest else a.plot_data.fleet
        if frame.empty or column not in frame.columns:
            continue
        series: pd.Series = (frame.groupby(C.time_s)[column].max() if busiest
                             else frame.set_index(C.time_s)[column])
        if per_second:
            series = series / (a.sample_interval_s or 1.0)
        (line,) = ax.plot(series.index.to_numpy(dtype=float), series.to_numpy(dtype=float), linewidth=1.2,
                          color=_plots.PALETTE[i % len(_plots.PALETTE)], label=run.run_dir.name or str(run.run_dir))
        handles.append(line)
    if not handles:
        return None
    _plots.style_axes(ax, ylabel)
    _plots.add_legend(ax, handles, fontsize=_plots.FONT - 0.5)
    return _plots.to_png(fig)


def render_comparison(run_dirs: Sequence[Any], plots: bool = True) -> str:
    """The comparison page of the run directories, as one HTML document."""
    runs = [(run, analyse(run)) for run in (load_run(d) for d in run_dirs)]
    figures = []
    if plots:
        specs = [(C.connections, "open connections (fleet)", False, False, "Open connections, fleet total"),
                 (C.attempts, "connection attempts / s", True, False, "Connection attempts per second"),
                 (C.cpu_utilisation, "CPU busy (busiest server)", False, True, "CPU of the busiest server")]
        for column, ylabel, rate, busiest, title in specs:
            png = _overlay(runs, column, ylabel, per_second=rate, busiest=busiest)
            if png is not None:
                figures.append((title, png))
    return render("compare.html.j2", names=", ".join(r.run_dir.name or str(r.run_dir) for r, _ in runs),
                  runs=len(runs), head=[r.run_dir.name or str(r.run_dir) for r, _ in runs], rows=_rows(runs),
                  figures=figures)


def write_comparison(run_dirs: Sequence[Any], out: Any, *, plots: bool = True) -> Path:
    """Writes the comparison page of `run_dirs` (two or more run directories) to `out`."""
    if len(run_dirs) < 2:
        raise ReportError(Path(run_dirs[0]) if run_dirs else Path("."), "compare needs two or more run directories")
    target = Path(out)
    document = render_comparison(run_dirs, plots=plots)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document, encoding="utf-8")
    return target


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(prog=prog or "python -m wsfleet.compare",
                                     description="Put run directories side by side in one HTML page.")
    parser.add_argument("run_dirs", nargs="+", metavar="DIR", help="directories written by `wsfleet run --out`")
    parser.add_argument("--out", default="comparison.html", help="the page to write (default comparison.html)")
    parser.add_argument("--no-plots", action="store_true", help="the table only")
    args = parser.parse_args(argv)
    try:
        path = write_comparison(args.run_dirs, args.out, plots=not args.no_plots)
    except ReportError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
