"""The capacity plan's search: for each candidate, bracketing by doubling then bisection over an
integer key, every size run as a sweep point (cached in the output directory) and judged against
the SLOs with one-sided confidence bounds. `wsfleet.plan` (plan.py) is its front door; the result
types are in _plan_result.py."""
from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import pandas as pd

from wsfleet import _core, _run, study_schema
from wsfleet._axes import point_id
from wsfleet._flat_slos import flat_slos
from wsfleet._flat_slos import as_dict as flat_as_dict
from wsfleet._metrics import RECOVERY
from wsfleet._plan_result import (FLEET_COST, PLAN_FILE, RECOMMENDED_DIR, CandidateResult, Evaluation, PlanError,
                                  PlanPointsFailed, PlanResult, candidate_name, fleet_cost_per_hour, make_slos, SLO)
from wsfleet._stats import lower_bound, mean_ci, upper_bound
from wsfleet._store import ResultStore, StoreError, atomic_write
from wsfleet._task import Task, run_task, steady_flag
from wsfleet._precision import DEFAULT_PILOT, DEFAULT_RELATIVE, Precision, make_precision, precision_status
from wsfleet.views import Scenario
from wsfleet._study import (BaseScenario, Progress, Study, execute, failure_message, flatten_axes, read_table,
                            run_to_precision, seed_for, study_executor)

__all__ = ["Plan", "plan", "PLAN_KEYS"]

PLAN_KEYS = ("variable", "low", "high", "replications", "confidence", "lose_servers", "lose_site", "failure_at_s",
             "spare", "cost",
             "seed", "common_random_numbers", "slo", "candidates", "precision", "max_replications")
#: Variables the loader caps (fleet.servers <= 100000; fleet.max_connections <= 1e9).
VARIABLE_MAX = {"fleet.servers": 100000, "fleet.max_connections": 1000000000}


def _variable_max(variable: str) -> int:
    if variable.startswith("fleet.classes.") and variable.endswith(".servers"):
        return 100000
    return VARIABLE_MAX.get(variable, 1000000000)



def _candidates(spec: Any) -> List[Dict[str, Any]]:
    if spec is None:
        return [{}]
    if isinstance(spec, Mapping):
        keys = list(spec)
        values = []
        for key in keys:
            v = spec[key]
            values.append(list(v) if isinstance(v, (list, tuple)) else [v])
            if not values[-1]:
                raise PlanError(f"candidates: '{key}' has no values")
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    if isinstance(spec, (list, tuple)) and all(isinstance(c, Mapping) for c in spec) and spec:
        return [dict(c) for c in spec]
    raise PlanError("candidates: give {key: [values]} (every combination) or a list of {key: value} settings")


class Plan(Study):
    """The smallest value of `variable` that meets `slos` (see the docstring of wsfleet.plan's module).

    slos: {name: threshold}: p99_latency_ms, rejected_pct, recovery_s, or a metric column.
    variable: an integer scenario key (default fleet.servers). low/high: the search range (default
    1, or one more than the highest crashed server index for fleet.servers; and the loader's limit).
    candidates: {key: [values]} (every combination) or a list of {key: value}: each is searched.
    lose_servers: crash servers 0..k-1 at failure_at_s (default half the run) and never bring them
    back. lose_site: the name of a [[topology.sites]] site that crashes whole at failure_at_s and
    never comes back (give the sites a share so that they follow fleet.servers). spare: added to the minimum in the recommendation (N+k). cost: a numeric key (such as
    fleet.cpu_cores) whose value times the minimum ranks the candidates: many small servers against
    few large ones (default: the minimum itself); "cost_per_hour" ranks by the fleet's price an hour
    from its classes' cost_per_hour. precision: replicate each size until the confidence interval
    of the mean of every SLO's metric is within ±precision of the mean, or max_replications
    (default 30) is reached (replications is then the first runs of every size); see
    wsfleet._precision; replications="auto" is precision 0.05 from 3 replications. Other arguments
    as in Sweep.
    """

    def __init__(self, scenario: Any, slos: Any = None, *, variable: Optional[str] = None,
                 low: Optional[int] = None, high: Optional[int] = None, candidates: Any = None,
                 replications: Union[int, str, None] = None, confidence: Optional[float] = None,
                 lose_servers: Optional[int] = None, lose_site: Optional[str] = None,
                 failure_at_s: Optional[float] = None,
                 spare: Optional[int] = None, cost: Optional[str] = None, seed: Optional[int] = None,
                 common_random_numbers: Optional[bool] = None, overrides: _run.Overrides = None,
                 precision: Optional[float] = None, max_replications: Optional[int] = None) -> None:
        self.base = BaseScenario.load(scenario)
        source = self.base.source
        table = self.base.table.get("plan")
        given = read_table(table, source, "plan", PLAN_KEYS) if table is not None else {}
        where = f"{source}: [plan]" if table is not None else "plan"

        def pick(value: Any, key: str, default: Any) -> Any:
            return value if value is not None else given.get(key, default)

        self.variable = pick(variable, "variable", "fleet.servers")
        self.replications = pick(replications, "replications", 5)
        if self.replications == "auto":  # precision-driven with the defaults (wsfleet._precision)
            self.replications = DEFAULT_PILOT
            precision = DEFAULT_RELATIVE if pick(precision, "precision", None) is None else precision
        self.confidence = float(pick(confidence, "confidence", 0.95))
        self.lose_servers = pick(lose_servers, "lose_servers", 0)
        self.lose_site = pick(lose_site, "lose_site", None)
        self.spare = pick(spare, "spare", 0)
        self.cost = pick(cost, "cost", None)
        self.common_random_numbers = pick(common_random_numbers, "common_random_numbers", True)
        for name, value, minimum in (("replications", self.replications, 2), ("lose_servers", self.lose_servers, 0),
                                     ("spare", self.spare, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise PlanError(f"{where}: {name} must be a whole number >= {minimum} (got {value!r})"
                                + ("; a confidence bound needs at least two replications" if name == "replications"
                                   else ""))
        if not 0.5 <= self.confidence < 1:
            raise PlanError(f"{where}: confidence must be in [0.5, 1), e.g. 0.95 (got {self.confidence!r})")
        slo_spec = slos if slos is not None else given.get("slo")
        try:
            self.slos = make_slos(slo_spec)
        except PlanError as exc:
            raise PlanError(f"{where}: {exc}") from None
        precision = pick(precision, "precision", None)
        max_replications = pick(max_replications, "max_replications", None)
        self.precision: Optional[Precision] = None
        if precision is None and max_replications is not None:
            raise PlanError(f"{where}: max_replications needs precision (e.g. 0.05 for ±5 %)")
        if precision is not None:
            try:
                self.precision = make_precision(precision, max_replications, [s.metric for s in self.slos],
                                                self.replications, where, self.confidence)
            except ValueError as exc:
                raise PlanError(str(exc)) from None
        cand_spec = candidates if candidates is not None else given.get("candidates")
        if isinstance(cand_spec, Mapping) and candidates is None:
            cand_spec = flatten_axes(cand_spec)
        self.candidates = _candidates(cand_spec)

        fixed = list(_run.override_list(overrides, None, None))
        effective = self.base.effective(fixed)
        if not isinstance(self.variable, str) or self.variable in ("run.seed", "run.replication"):
            raise PlanError(f"{where}: variable must be an integer scenario key such as fleet.servers")
        current = _lookup(effective, self.variable)
        sc = Scenario(effective)
        classes = [c.name for c in sc.fleet.classes]
        if classes and self.variable == "fleet.servers":
            raise PlanError(f"{where}: the fleet has server classes ({', '.join(classes)}), so fleet.servers is "
                            f"their sum: size one class with variable = \"fleet.classes.{classes[-1]}.servers\" "
                            "(the others stay as they are)")
        if not isinstance(current, int) or isinstance(current, bool):
            raise PlanError(f"{where}: variable '{self.variable}' must name an integer key of the scenario "
                            f"(it is {current!r}); e.g. fleet.servers or fleet.max_connections")
        faults = sc.faults
        duration = float(sc.run.duration_s)
        self.failure_at_s = float(pick(failure_at_s, "failure_at_s", duration / 2))
        for i in range(self.lose_servers):
            k = len(faults) + i
            fixed += [f'faults.{k}.type="crash"', f"faults.{k}.server={i}", f"faults.{k}.at_s={self.failure_at_s!r}"]
        sites = sc.topology.sites
        if self.lose_site is not None:
            names = [site.name for site in sites]
            if not isinstance(self.lose_site, str) or self.lose_site not in names:
                raise PlanError(f"{where}: lose_site must name a [[topology.sites]] site"
                                + (f" ({', '.join(names)})" if names else ": the scenario has no [topology]")
                                + f" (got {self.lose_site!r})")
            if len(names) < 2:
                raise PlanError(f"{where}: lose_site = {self.lose_site!r} would lose the only site: nothing "
                                "could recover")
            k = len(faults) + self.lose_servers
            fixed += [f'faults.{k}.type="site_crash"', f"faults.{k}.site={json.dumps(self.lose_site)}",
                      f"faults.{k}.at_s={self.failure_at_s!r}"]
        self.overrides = tuple(fixed)
        if any(s.metric == RECOVERY for s in self.slos) and not faults and not self.lose_servers \
                and self.lose_site is None:
            raise PlanError(f"{where}: recovery_s needs a crash: set lose_servers (e.g. 1) or lose_site, or add "
                            "[[faults]]")
        crashed = [int(f.server) for f in faults] + list(range(self.lose_servers))
        # Every crashed index must exist, and one server must survive the crashes.
        default_low = (max(max(crashed) + 1, len(set(crashed)) + 1) if crashed else 1) \
            if self.variable == "fleet.servers" else 1
        if self.variable == "fleet.servers" and sites:
            default_low = max(default_low, len(sites))  # site shares: every site needs a server
        self.low = int(pick(low, "low", default_low))
        self.high = int(pick(high, "high", _variable_max(self.variable)))
        if not 1 <= self.low <= self.high:
            raise PlanError(f"{where}: need 1 <= low <= high (got low {self.low}, high {self.high})")
        self.start = min(max(current, self.low), self.high)
        seed = pick(seed, "seed", sc.run.seed)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise PlanError(f"{where}: seed must be a whole number >= 0 (got {seed!r})")
        self.seed = seed
        self.points: List[Dict[str, Any]] = []
        self.point_ids: List[str] = []
        # Validate each candidate at the low and high ends before anything runs.
        for candidate in self.candidates:
            for value in sorted({self.low, self.start}):
                self._check_point({self.variable: value, **candidate}, f"{where}: candidate {candidate_name(candidate)}")
        self._where = where

    # --- identity ---
    def spec(self) -> Dict[str, Any]:
        return {
            "scenario_sha256": hashlib.sha256(self.base.text.encode()).hexdigest(),
            "source": self.base.source,
            "overrides": list(self.overrides),
            "variable": self.variable,
            "axes": [{"key": self.variable}] + [{"key": k} for k in self.candidates[0]],
            "replications": self.replications,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            # Only with precision-driven replication, so that the other plans' identities do not change.
            **({"precision": self.precision.describe()} if self.precision is not None else {}),
        }

    def identity(self) -> str:
        spec = dict(self.spec())
        spec.pop("source")
        spec.pop("axes")  # other candidates may be added to the same cache
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()

    def question(self) -> str:
        slos = "; ".join(f"{s.label} <= {s.shown(s.max)}" for s in self.slos)
        lost = []
        if self.lose_servers:
            lost.append(f"{self.lose_servers} server{'s' if self.lose_servers > 1 else ''}")
        if self.lose_site is not None:
            lost.append(f"the whole site {self.lose_site}")
        loss = f", after losing {' and '.join(lost)} at {self.failure_at_s:g} s" if lost else ""
        runs = (f"{self.replications} to {self.precision.max_replications} replications (until each SLO's "
                f"interval is within ±{self.precision.relative:.1%})" if self.precision is not None
                else f"{self.replications} replications")
        return (f"What is the smallest {self.variable} that meets every objective ({slos}){loss}, "
                f"with {self.confidence:.0%} confidence over {runs}?")

    # --- running ---
    def run(self, out: Any, *, workers: Optional[int] = None, scheduler: Any = None, progress: Optional[bool] = None,
            retries: int = 3, overwrite: bool = False, timeout_s: Optional[float] = None,
            _task_fn: Callable[[Task], Any] = run_task) -> PlanResult:
        try:
            store = ResultStore(out, "plan", self.spec(), self.identity(), self.base.text, overwrite=overwrite)
        except StoreError as exc:
            raise PlanError(str(exc)) from None
        executor = study_executor(workers, scheduler, timeout_s)
        cache: Dict[str, pd.DataFrame] = {}
        bar = Progress(progress, None, 0, "plan")  # one bar for the whole search: points computed, rate
        try:
            states = [_Search(self, c) for c in self.candidates]
            while True:
                wanted = {}
                for state in states:
                    value = state.next_value()
                    if value is not None:
                        wanted[(id(state), value)] = (state, value)
                if not wanted:
                    break
                indices = {key: self.add_point({self.variable: value, **state.candidate})
                           for key, (state, value) in wanted.items()}
                for key, (state, value) in wanted.items():
                    self._check_point(self.points[indices[key]], f"{self._where}: candidate {state.name}")
                if self.precision is not None:
                    def run_round(todo: List[int], ranges: Dict[int, Tuple[int, int]], number: int) -> None:
                        errors = execute(self, store, todo, workers=workers, scheduler=scheduler, progress=progress,
                                         retries=retries, task_fn=_task_fn, total=len(todo), executor=executor,
                                         bar=bar, ranges=ranges)
                        if errors:
                            raise PlanPointsFailed(failure_message(errors, len(todo), out))

                    run_to_precision(self, store, sorted(set(indices.values())), self.precision, run_round,
                                     check_metrics=False, decided=lambda rows: self._decision(rows) is not None)
                else:
                    done = store.done(self.replications)
                    todo = sorted({i for i in indices.values() if self.point_ids[i] not in done})
                    errors = execute(self, store, todo, workers=workers, scheduler=scheduler, progress=progress,
                                     retries=retries, task_fn=_task_fn, total=len(todo), executor=executor, bar=bar)
                    if errors:
                        raise PlanPointsFailed(failure_message(errors, len(todo), out))
                frame = store.load()
                for key, (state, value) in wanted.items():
                    pid = self.point_ids[indices[key]]
                    rows = cache.get(pid)
                    if rows is None:
                        rows = frame[frame["point_id"] == pid]
                        cache[pid] = rows
                    state.record(value, self._evaluate(rows, value))
        finally:
            bar.close()
            executor.close()
        frame = store.load()
        results = [s.result() for s in states]
        for r in results:
            pids = [point_id({self.variable: e.value, **r.candidate}) for e in r.evaluations]
            r.flat = flat_slos(frame[frame["point_id"].isin(pids)], self.variable, self.slos, r.evaluations)
            if r.minimum is not None and any(f.decisive for f in r.flat):
                r.noise_minimum, r.minimum = r.minimum, None  # a size picked by noise is no answer
        feasible = [r for r in results if r.minimum is not None]
        for r in results:
            if self.cost == FLEET_COST:
                r.fleet_cost = self._fleet_cost(r.candidate, r.minimum) if r.minimum is not None else None
            else:
                r.unit_cost = self._unit_cost(r.candidate)
        best = min(feasible, key=lambda r: (r.total_cost, r.minimum, r.score)) if feasible else None
        result = PlanResult(Path(out), self.variable, self.slos, self.confidence, self.replications, self.spare,
                            self.lose_servers, results, best, frame, self.lose_site)
        if best is not None:
            # The storm timeline of the answer, for the report: replication 0 at the recommended size.
            values = {self.variable: result.recommended, **best.candidate}
            overrides = list(self.overrides) + [f"{k}={_run.format_value(v)}" for k, v in values.items()]
            seed = seed_for(self.seed, point_id(values), self.common_random_numbers)
            native = _core.run_text(self.base.text, self.base.source,
                                         overrides + [f"run.seed={seed}", "run.replication=0"])
            native.write(str(Path(out) / RECOMMENDED_DIR))
        described = self._describe(result)
        study_schema.check("plan", described)  # its declaration (wsfleet.study_schema) is this writer's contract
        atomic_write(Path(out) / PLAN_FILE, json.dumps(described, indent=2).encode())
        return result

    def _fleet_cost(self, candidate: Mapping[str, Any], value: int) -> float:
        """The fleet's price an hour with `variable` = value and the candidate's settings."""
        values = {self.variable: value, **candidate}
        return fleet_cost_per_hour(self.base.effective(
            list(self.overrides) + [f"{k}={_run.format_value(v)}" for k, v in values.items()]))

    def _recommended_cost(self, result: PlanResult) -> Optional[float]:
        """The recommended fleet's price an hour, when its servers have a cost_per_hour."""
        if result.best is None or result.recommended is None:
            return None
        cost = self._fleet_cost(result.best.candidate, result.recommended)
        return cost if cost > 0 else None

    def _unit_cost(self, candidate: Mapping[str, Any]) -> float:
        """The cost key's value in the candidate's scenario (1 when the plan has no cost key)."""
        if self.cost is None:
            return 1.0
        effective = self.base.effective(list(self.overrides) + [f"{k}={_run.format_value(v)}"
                                                                for k, v in candidate.items()])
        value = _lookup(effective, self.cost)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PlanError(f"{self._where}: cost '{self.cost}' must name a numeric scenario key >= 0 "
                            f"(it is {value!r} for candidate {candidate_name(candidate)})")
        return float(value)

    def _slo_values(self, rows: pd.DataFrame, slo: SLO) -> Tuple[List[float], Optional[int]]:
        """The SLO's metric in each run, and for a steady-state metric how many runs had no steady
        state (their value is NaN: no steady-state mean, which fails the objective); None otherwise."""
        values = rows[slo.metric].astype(float).tolist()
        flag = steady_flag(slo.metric)
        if flag is None or flag not in rows.columns:
            return values, None
        settled = rows[flag].fillna(False).astype(bool).tolist()
        return [v if ok else math.nan for v, ok in zip(values, settled)], settled.count(False)

    def _decision(self, rows: pd.DataFrame) -> Optional[str]:
        """With precision-driven replication: "meets" when every objective's one-sided upper bound
        is already within its threshold, "fails" when some objective's one-sided lower bound is
        above its threshold (more runs would not change the verdict at this confidence); None while
        the intervals straddle a threshold."""
        if len(rows) < 2:
            return None
        meets = True
        for slo in self.slos:
            if slo.metric not in rows.columns:
                return None
            values, _ = self._slo_values(rows, slo)
            if lower_bound(values, self.confidence) > slo.max:
                return "fails"
            meets &= upper_bound(values, self.confidence) <= slo.max
        return "meets" if meets else None

    def _evaluate(self, rows: pd.DataFrame, value: int) -> Evaluation:
        verdicts: Dict[str, Dict[str, float]] = {}
        passed = True
        for slo in self.slos:
            if slo.metric not in rows.columns:
                raise PlanError(f"{self._where}: slo '{slo.name}': the runs have no metric '{slo.metric}'")
            # A run with no steady state (still drifting, or ending in a storm) has no steady-state
            # mean: it counts as failing the objective (upper_bound treats NaN so).
            values, unsettled = self._slo_values(rows, slo)
            if unsettled is not None and unsettled == len(values):
                verdicts[slo.name] = {"mean": math.nan, "ci_half_width": math.nan, "n": len(values),
                                      "upper_bound": math.inf, "max": slo.max, "passed": False,
                                      "unsettled": unsettled}
                passed = False
                continue
            if all(math.isnan(v) for v in values):
                raise PlanError(f"{self._where}: slo '{slo.name}': {slo.metric} is undefined in every run of "
                                f"{self.variable} = {value} (no messages, or no crash?)")
            bound = upper_bound(values, self.confidence)
            finite = [v for v in values if not math.isnan(v)]
            mean = sum(finite) / len(finite) if unsettled else sum(values) / len(values)
            _, half, _ = mean_ci(values, self.confidence)  # two-sided, for the reports and tables
            ok = bound <= slo.max
            passed &= ok
            verdicts[slo.name] = {"mean": mean, "ci_half_width": half, "n": len(values), "upper_bound": bound,
                                  "max": slo.max, "passed": ok}
            if unsettled is not None:
                verdicts[slo.name]["unsettled"] = unsettled
        early = None
        if self.precision is not None and len(rows) < self.precision.max_replications:
            status = precision_status(rows, self.precision)
            if not bool(status["met"].all()):
                early = self._decision(rows)  # stopped before the precision: the intervals decided
        return Evaluation(value, passed, verdicts, early)

    def _describe(self, result: PlanResult) -> Dict[str, Any]:
        def clean(x: Any) -> Any:
            if isinstance(x, float) and not math.isfinite(x):
                return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, list):
                return [clean(v) for v in x]
            return x

        return clean({
            "question": self.question(),
            "variable": self.variable,
            "slos": [asdict(s) for s in self.slos],
            "confidence": self.confidence,
            "replications": self.replications,
            "precision": self.precision.describe() if self.precision is not None else None,
            "lose_servers": self.lose_servers,
            "lose_site": self.lose_site,
            "failure_at_s": self.failure_at_s if self.lose_servers or self.lose_site is not None else None,
            "spare": self.spare,
            "cost": self.cost,
            "low": self.low,
            "high": self.high,
            "start": self.start,
            "seed": self.seed,
            "common_random_numbers": self.common_random_numbers,
            "overrides": list(self.overrides),
            "minimum": result.minimum,
            "recommended": result.recommended,
            "best": result.best.candidate if result.best else None,
            "recommended_cost_per_hour": self._recommended_cost(result),
            "candidates": [{"candidate": r.candidate, "minimum": r.minimum, "score": r.score,
                            "unit_cost": r.unit_cost, "fleet_cost": r.fleet_cost, "total_cost": r.total_cost,
                            "non_monotone": r.non_monotone,
                            "flat_slos": [flat_as_dict(f) for f in r.flat], "noise_minimum": r.noise_minimum,
                            "evaluations": [asdict(e) for e in r.evaluations]} for r in result.candidates],
        })


def _lookup(table: Mapping[str, Any], dotted: str) -> Any:
    """The value at a key path; list entries by index or, for named tables ([[fleet.classes]],
    [[topology.sites]]), by name, as overrides select them."""
    node: Any = table
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, list) and not part.isdigit():
            named = [e for e in node if isinstance(e, Mapping) and e.get("name") == part]
            if not named:
                return None
            node = named[0]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node


class _Search:
    """Bracketing then bisection for one candidate, under the monotone assumption."""

    def __init__(self, plan: Plan, candidate: Dict[str, Any]) -> None:
        self.plan = plan
        self.candidate = candidate
        self.name = candidate_name(candidate)
        self.fail = plan.low - 1        # the largest value known to fail (low - 1: none yet)
        self.pass_: Optional[int] = None  # the smallest value known to pass
        self.evaluations: List[Evaluation] = []
        self.exhausted = False

    def next_value(self) -> Optional[int]:
        if self.exhausted:
            return None
        if self.pass_ is None:
            if not self.evaluations:
                return self.plan.start
            if self.fail >= self.plan.high:
                self.exhausted = True
                return None
            return min(max(2 * self.fail, self.fail + 1), self.plan.high)
        if self.pass_ - self.fail > 1:
            return (self.fail + self.pass_) // 2
        # Found. Check the assumption just above it, and the recommended size (minimum + spare): both
        # must pass too; a failure there is reported rather than hidden.
        tried = {e.value for e in self.evaluations}
        for value in (self.pass_ + 1, self.pass_ + self.plan.spare):
            if value <= self.plan.high and value not in tried:
                return value
        return None

    def record(self, value: int, evaluation: Evaluation) -> None:
        self.evaluations.append(evaluation)
        if self.pass_ is not None and value > self.pass_:
            return  # a check above the answer: it does not move the answer (see non_monotone)
        if evaluation.passed:
            self.pass_ = value if self.pass_ is None else min(self.pass_, value)
        else:
            self.fail = max(self.fail, value)

    def result(self) -> CandidateResult:
        score = math.inf
        if self.pass_ is not None:
            at = next(e for e in self.evaluations if e.value == self.pass_)
            score = max((v["upper_bound"] / v["max"] if v["max"] > 0 else (0.0 if v["upper_bound"] <= 0 else math.inf))
                        for v in at.slos.values())
        return CandidateResult(self.candidate, self.pass_, sorted(self.evaluations, key=lambda e: e.value), score)


def plan(scenario: Any, slos: Any = None, *, out: Any, variable: Optional[str] = None, low: Optional[int] = None,
         high: Optional[int] = None, candidates: Any = None, replications: Optional[int] = None,
         confidence: Optional[float] = None, lose_servers: Optional[int] = None, lose_site: Optional[str] = None,
         failure_at_s: Optional[float] = None, spare: Optional[int] = None, cost: Optional[str] = None,
         seed: Optional[int] = None, common_random_numbers: Optional[bool] = None, overrides: _run.Overrides = None,
         workers: Optional[int] = None, scheduler: Any = None, progress: Optional[bool] = None, retries: int = 3,
         overwrite: bool = False, timeout_s: Optional[float] = None, precision: Optional[float] = None,
         max_replications: Optional[int] = None) -> PlanResult:
    """Define and answer a capacity question in one call: Plan(scenario, slos, variable=..., ...)
    .run(out, workers=..., ...). See Plan for the question's arguments and Plan.run for how it runs.
    Returns the PlanResult; raises PlanError."""
    study = Plan(scenario, slos, variable=variable, low=low, high=high, candidates=candidates,
                 replications=replications, confidence=confidence, lose_servers=lose_servers, lose_site=lose_site,
                 failure_at_s=failure_at_s, spare=spare, cost=cost, seed=seed,
                 common_random_numbers=common_random_numbers, overrides=overrides, precision=precision,
                 max_replications=max_replications)
    return study.run(out, workers=workers, scheduler=scheduler, progress=progress, retries=retries,
                     overwrite=overwrite, timeout_s=timeout_s)
