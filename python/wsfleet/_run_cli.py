"""`wsfleet run SCENARIO --precision R [--metric NAME]... [--max-replications N] [--workers N | --scheduler
ADDRESS]`: the command line of a replicated run (wsfleet._replicated); and `wsfleet run SCENARIO --json`,
whose answer carries the verdict, which is computed in Python (wsfleet._limits). The compiled
`wsfleet run` hands its arguments here when one of these options is given; without them it runs as
before, in C++.

`--json` prints one object: {"summary": summary.json, "verdict": the verdict (Verdict.document():
status, words, limit, limit_name, figure, setting, text, actions)}, and with --precision also
"precision", the verdict then being the one over the replications.

Exit statuses as `wsfleet run`'s: 0 ok, 1 an output that could not be written, 2 bad input,
3 a failed conservation check.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import NoReturn, Optional, Sequence

from wsfleet import _core
from wsfleet._limits import Verdict
from wsfleet._replicated import CLI_NAMES, RUNS_DIR, outcome_words
from wsfleet._run import ReplicatedRunResult, replicated_run, run
from wsfleet.views import Summary

__all__ = ["main", "summary_lines"]

EXIT_BAD_INPUT = 2
EXIT_CONSERVATION = 3


def _number(v: float) -> str:
    if not math.isfinite(v):
        return "n/a" if math.isnan(v) else "never"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"


def summary_lines(result: ReplicatedRunResult, verdict: Optional[Verdict] = None) -> list:
    """The text the command prints: what ran, what stopped it, per chosen metric the mean, the
    half-width of its interval and the relative half-width reached against the target, and the
    verdict over the replications (ReplicatedRunResult.verdict(), when given)."""
    doc = result.precision_document()
    sv = Summary(result.summary)
    name = sv.scenario.name or ""
    lines = [f"wsfleet run: {name} (replicated to a precision)", "  " + outcome_words(doc)]
    conf = f"{result.rule.confidence:.0%}"
    lines.append(f"  {'metric':<34}{'mean ± half-width (' + conf + ' CI)':<34}{'reached':>10}  target ±"
                 f"{100 * result.rule.relative:g} %")
    for m in doc["metrics"]:
        if not m["measured"]:
            lines.append(f"  {m['metric']:<34}{'not measured (undefined in every replication)':<34}")
            continue
        mean = float(m["mean"])
        half = m["ci_half_width"]
        half = math.inf if half in ("inf", None) else float(half)
        rel = m["relative_half_width"]
        rel = math.inf if rel in ("inf", None) else float(rel)
        interval = f"{_number(mean)} ± {_number(half)}" if math.isfinite(half) else f"{_number(mean)} (no interval)"
        reached = f"±{100 * rel:.2g} %" if math.isfinite(rel) else "—"
        lines.append(f"  {m['metric']:<34}{interval:<34}{reached:>10}  {'met' if m['met'] else 'NOT met'}")
    conn = sv.connections
    checks = result.frame["conservation.ok"].tolist() if "conservation.ok" in result.frame.columns else []
    failed = [int(r) for r, ok in zip(result.frame["replication"], checks) if not ok]
    conservation = ("ok in every replication" if checks and not failed else
                    f"FAILED in replication(s) {', '.join(map(str, failed))}" if failed else "not reported")
    lines.append(f"  replication 0: {conn.attempted or 0:,} attempts, {conn.rejected or 0:,} refused, "
                 f"{conn.failed or 0:,} failed; conservation {conservation}")
    if verdict is not None:
        lines.append(f"  verdict over the replications: {verdict.words}: {verdict.text}")
    return lines


class _Parser(argparse.ArgumentParser):
    """argparse with one line per error (no usage block): "wsfleet run: error: argument --precision: ..."."""

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = _Parser(
        prog=prog or "wsfleet run",
        description="Run a scenario, replicated until the confidence intervals of chosen metrics are narrow enough.")
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    parser.add_argument("--out", metavar="DIR", help="directory for replication 0's files, replications.parquet "
                                                     "and precision.json")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a scenario key (repeatable)")
    parser.add_argument("--seed", type=int, metavar="N", help="run.seed of every replication (default: the scenario's)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress")
    parser.add_argument("--report", action="store_true", help="also write DIR/report.html (needs --out)")
    parser.add_argument("--json", action="store_true",
                        help="print {\"summary\": summary.json, \"verdict\": the report's verdict} instead of the "
                             "text; "
                             "with --precision: replication 0's summary.json, \"precision\" and the verdict over the "
                             "replications")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", help="time series format with --out")
    parser.add_argument("--precision", type=float, metavar="R",
                        help="replicate until the 95%% confidence interval of every chosen metric's mean is within "
                             "±R of the mean (0 < R < 1; 0.05: ±5%%)")
    parser.add_argument("--metric", dest="metrics", action="append", metavar="NAME",
                        help="a metric held to the precision (repeatable; default p99 message and handshake latency, "
                             "peak CPU, peak connections per server)")
    parser.add_argument("--max-replications", type=int, metavar="N",
                        help="at most N replications (N >= 2; default 30)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="worker processes running the replications (default: one per core, as sweeps; 0: one "
                             "after another in this process); the result is the same whatever N")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the replications on a Dask cluster instead, e.g. tcp://host:8786 (as sweeps); the "
                             "result is the same")
    args = parser.parse_args(argv)
    replicated = args.precision is not None or args.metrics is not None or args.max_replications is not None
    for option, value in (("--workers", args.workers), ("--scheduler", args.scheduler)):
        if value is not None and not replicated:
            print(f"{parser.prog}: error: {option} needs --precision (it runs the replications of a run to a "
                  "precision)", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.report and not args.out:
        print(f"{parser.prog}: --report needs --out DIR", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format != "csv" and not args.out:
        print(f"{parser.prog}: --format needs --out DIR", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not replicated and not args.json:
        print(f"{parser.prog}: error: this module runs a replicated run (--precision, --metric, --max-replications) "
              "or prints a run's summary with its verdict (--json)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if replicated:
            result = replicated_run(args.scenario, args.overrides, args.seed,
                                    False if (args.quiet or args.json) else None, args.precision, args.metrics,
                                    args.max_replications, CLI_NAMES, workers=args.workers, scheduler=args.scheduler)
        else:  # --json alone: one run, as the compiled command runs it (the same loader and engine)
            result = run(args.scenario, overrides=args.overrides, seed=args.seed, progress=False)
    except _core.ConservationError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return EXIT_CONSERVATION
    except ValueError as exc:  # ScenarioError is one: FILE:LINE:COL: message
        print(f"{parser.prog}: error: {exc}" if replicated else str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    verdict = result.verdict()
    if args.json:
        document = {"summary": result.summary}
        if replicated:
            document["precision"] = result.precision_document()
        document["verdict"] = verdict.document()
        print(json.dumps(document, indent=2))
    else:
        print("\n".join(summary_lines(result, verdict)))
    if args.out:
        try:
            result.save(args.out, format=args.format)
        except OSError as exc:
            print(f"{parser.prog}: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        files = (f"replication 0: summary.json, timeseries.csv, scenario.toml; replication K's own files: "
                 f"{RUNS_DIR}/K/; one row per replication: replications.parquet; the rule and what it reached: "
                 "precision.json" if replicated else "summary.json, timeseries.csv, scenario.toml")
        out = sys.stderr if args.json else sys.stdout
        print(f"results written to {args.out}/ ({files})", file=out)
        if args.report:
            from wsfleet.report import ReportError, write_report

            try:
                print(f"wrote {write_report(Path(args.out))}", file=out)
            except ReportError as exc:
                print(f"{parser.prog}: error: {exc}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
