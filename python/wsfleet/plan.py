"""Capacity planning: the smallest fleet that meets service-level objectives, with confidence.

    import wsfleet
    plan = wsfleet.plan("experiments/scenarios/default.toml",
                        slos={"p99_latency_ms": 250, "rejected_pct": 1.0, "recovery_s": 30},
                        lose_servers=1, spare=1, replications=5, confidence=0.95,
                        candidates={"balancer.policy": ["round_robin", "least_connections"]},
                        out="results/plan")
    plan.recommended        # servers to run: the smallest that meets every SLO, plus `spare`
    plan.best               # the candidate settings that need the fewest servers

or `wsfleet plan SCENARIO --out DIR --slo p99_latency_ms=250 --slo rejected_pct=1 ...`, or a [plan]
table in the scenario:

    [plan]
    variable = "fleet.servers"    # the integer key to size (fleet.max_connections for a limit)
    replications = 5
    confidence = 0.95
    lose_servers = 1              # crash k servers (0 .. k-1) at failure_at_s (default: mid-run)
    # lose_site = "eu-west"       # or crash a whole [[topology.sites]] site then (N+site)
    spare = 1                     # N+k: servers added to the minimum in the recommendation
    # cost = "fleet.cpu_cores"    # rank candidates by minimum x this key (many small vs few large),
    #                             # or "cost_per_hour": the fleet's price from its classes' cost_per_hour
    # precision = 0.05            # more replications per size until each SLO metric's interval is
    # max_replications = 30       #   within ±5 % of its mean, at most this many (replications: the first)
    [plan.slo]
    p99_latency_ms = 250          # mean over replications of each run's p99 message latency
    rejected_pct = 1.0            # rejected connection attempts, % of attempts
    recovery_s = 30               # the slowest crash's clients all reconnected within
    [plan.candidates]
    "balancer.policy" = ["round_robin", "least_connections"]

The question for each candidate (a combination of the candidate settings; one when none are
given): the smallest value n of `variable` such that, for every SLO, the one-sided upper
`confidence` bound of the metric's mean over `replications` runs (Student t) is within the
threshold. The search assumes each metric is non-increasing in n (more servers or a higher limit
never make things worse): it brackets by doubling from the scenario's value until a value passes,
then bisects between the largest failing and the smallest passing value; it then checks the value
just above the answer and the recommended one (answer + spare), and reports any that fails
(CandidateResult.non_monotone) instead of trusting the assumption blindly. Every point is run once
and cached in the output directory (one Parquet part per point, as in a sweep): running the plan
again, or with other SLOs or more candidates, reuses every point already computed. Replications
use common random numbers across sizes and candidates (see wsfleet.sweep), which makes the
comparisons between neighbouring sizes less noisy.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence, Tuple

from wsfleet import _core
from wsfleet._plan_result import (KNOWN_SLOS, PLAN_FILE, CandidateResult, Evaluation, PlanError, PlanResult, SLO,
                                  load_plan, make_slos)
from wsfleet._plan_search import Plan, plan
from wsfleet._store import StoreError, write_error
from wsfleet._study import PointsFailed, SweepError, add_common_arguments
from wsfleet.sweep import parse_axis

# The search is in _plan_search.py, the result types in _plan_result.py; this module is the front
# door (`wsfleet.plan` is the function) and the command line.
__all__ = ["Plan", "PlanResult", "PlanError", "SLO", "plan", "main", "PLAN_FILE", "CandidateResult", "Evaluation",
           "load_plan", "make_slos"]


def _parse_slo(text: str) -> Tuple[str, float]:
    if "=" not in text:
        raise PlanError(f"--slo {text}: expected NAME=THRESHOLD, e.g. p99_latency_ms=250")
    name, value = (p.strip() for p in text.split("=", 1))
    try:
        return name, float(value)
    except ValueError:
        raise PlanError(f"--slo {text}: the threshold must be a number (got {value!r})") from None


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog or "wsfleet plan",
        description="Find the smallest fleet (or other integer setting) that meets service-level objectives, by "
                    "bracketing and bisection with replications; settings from the scenario's [plan] table and/or "
                    "these options.")
    add_common_arguments(parser)
    parser.add_argument("--slo", action="append", default=[], metavar="NAME=MAX",
                        help=f"an objective: {', '.join(KNOWN_SLOS)} or a metric column (repeatable; replaces [plan.slo])")
    parser.add_argument("--variable", metavar="KEY", help="the integer key to size (default fleet.servers)")
    parser.add_argument("--low", type=int, help="smallest value to consider")
    parser.add_argument("--high", type=int, help="largest value to consider")
    parser.add_argument("--confidence", type=float, help="confidence of the SLO bounds (default 0.95)")
    parser.add_argument("--lose-servers", type=int, metavar="K", help="crash servers 0..K-1 mid-run")
    parser.add_argument("--lose-site", metavar="NAME", help="crash this [[topology.sites]] site whole mid-run (N+site)")
    parser.add_argument("--failure-at", type=float, metavar="SECONDS", help="when they crash (default: mid-run)")
    parser.add_argument("--spare", type=int, metavar="K", help="N+K: servers added to the minimum")
    parser.add_argument("--cost", metavar="KEY", help="compare candidates by minimum x this key, e.g. fleet.cpu_cores, "
                                                      "or by the fleet's price: cost_per_hour")
    parser.add_argument("--candidate", action="append", default=[], metavar="KEY=V1,V2",
                        help="settings to compare, every combination (repeatable; replaces [plan.candidates])")
    parser.add_argument("--precision", type=float, metavar="R",
                        help="replicate each size until the interval of every objective's metric is within ±R of its "
                             "mean (0.05: ±5%%); --replications is then the first runs of every size")
    parser.add_argument("--max-replications", type=int, metavar="N",
                        help="with --precision: at most N replications per size (default 30)")
    parser.add_argument("--json", action="store_true", help="print plan.json (the answer, every size evaluated, "
                                                             "flagged objectives) on stdout instead of the summary")
    args = parser.parse_args(argv)
    try:
        slos = dict(_parse_slo(s) for s in args.slo) if args.slo else None
        candidates = None
        if args.candidate:
            candidates = {}
            for text in args.candidate:
                key, values = parse_axis(text)
                if not isinstance(values, list):
                    raise PlanError(f"--candidate {text}: give a list of values KEY=V1,V2,...")
                candidates[key] = values
        p = Plan(args.scenario, slos, variable=args.variable, low=args.low, high=args.high, candidates=candidates,
                 replications=args.replications, confidence=args.confidence, lose_servers=args.lose_servers,
                 lose_site=args.lose_site, failure_at_s=args.failure_at, spare=args.spare, cost=args.cost, seed=args.seed,
                 overrides=args.overrides, precision=args.precision, max_replications=args.max_replications)
        if not args.quiet:
            print(f"{parser.prog}: {p.question()}", file=sys.stderr)
        result = p.run(args.out, workers=args.workers, scheduler=args.scheduler,
                       progress=False if args.quiet else None, retries=args.retries, overwrite=args.overwrite,
                       timeout_s=args.timeout)
    except PointsFailed as exc:  # validated points that failed while running: not bad input
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except (SweepError, StoreError, _core.ScenarioError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the output could not be written (a full disk): not bad input
        print(f"{parser.prog}: error: {write_error(args.out, exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; finished points are saved in {args.out}: run the same command again "
              "to continue from them", file=sys.stderr)
        return 130
    if args.json:
        print((Path(args.out) / PLAN_FILE).read_text(encoding="utf-8"), end="")
    else:
        print(result.summary())
    if args.report:
        from wsfleet.report import write_report

        print(f"wrote {write_report(args.out)}", file=sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
