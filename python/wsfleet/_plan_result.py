"""What a capacity plan found: its objectives (SLO), each size it evaluated, each candidate's
minimum, and the PlanResult that `wsfleet.plan` returns (the search is in _plan_search.py, the
command line in plan.py). Also plan.json's name and reader."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import pandas as pd

from wsfleet._flat_slos import FlatSLO
from wsfleet._metrics import P99_LATENCY, RECOVERY, REJECTED_FRACTION
from wsfleet._study import PointsFailed, SweepError
from wsfleet.views import Scenario

__all__ = ["STEADY_CPU", "PLAN_FILE", "RECOMMENDED_DIR", "FLEET_COST", "PlanError", "SLO", "KNOWN_SLOS", "make_slos",
           "candidate_name", "Evaluation", "CandidateResult", "PlanResult", "fleet_cost_per_hour", "load_plan"]

PLAN_FILE = "plan.json"
#: The steady-state mean CPU utilisation of the fleet (after MSER-5's warm-up), a run's row column.
STEADY_CPU = "steady_state.cpu_utilisation.mean"
#: A run directory (as `wsfleet run --out` writes) of the recommended configuration, replication 0.
RECOMMENDED_DIR = "recommended"
#: The plan's cost objective that prices the whole fleet from its classes (fleet.cost_per_hour per server).
FLEET_COST = "cost_per_hour"


def fleet_cost_per_hour(effective: Mapping[str, Any]) -> float:
    """The price per hour of the fleet at the start, from an effective scenario: every class's servers
    x its cost_per_hour, or fleet.servers x fleet.cost_per_hour without classes."""
    fleet = Scenario(effective).fleet
    if fleet.classes:
        return float(sum(c.servers * (c.cost_per_hour or 0.0) for c in fleet.classes))
    return float(fleet.servers * (fleet.cost_per_hour or 0.0))


class PlanError(SweepError):
    """A plan is malformed, cannot be answered, or its runs failed; the message says why."""


class PlanPointsFailed(PlanError, PointsFailed):
    """Points of a validated plan failed while running (the others are saved): an error, not bad input."""


@dataclass(frozen=True)
class SLO:
    """A service-level objective: the mean of `metric` over replications must be at most `max`
    (with the plan's confidence). `scale` converts the metric to the units shown (100 for %)."""
    name: str
    metric: str
    max: float
    label: str
    unit: str = ""
    scale: float = 1.0

    def shown(self, value: float) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        if math.isinf(value):
            return "never" if self.metric == RECOVERY else "unbounded"
        v = value * self.scale
        text = f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        return f"{text} {self.unit}".strip()


#: Named SLOs: name -> (metric column, label, unit, scale from the threshold's unit to the metric's).
KNOWN_SLOS = {
    "p99_latency_ms": (P99_LATENCY, "p99 message latency", "ms", 1.0),
    "rejected_pct": (REJECTED_FRACTION, "rejected connection attempts", "%", 100.0),
    "recovery_s": (RECOVERY, "time until every client of a crashed server has reconnected", "s", 1.0),
    "steady_cpu_pct": (STEADY_CPU, "steady-state mean CPU utilisation of the fleet", "%", 100.0),
}



def make_slos(slos: Any) -> List[SLO]:
    """SLOs from {name: threshold} (names of KNOWN_SLOS, or any numeric metric column, whose
    threshold is then in the metric's own units) or a list of SLO."""
    if isinstance(slos, SLO):
        return [slos]
    if isinstance(slos, (list, tuple)) and all(isinstance(s, SLO) for s in slos):
        return list(slos)
    if not isinstance(slos, Mapping) or not slos:
        raise PlanError("slos: give at least one objective, e.g. {'p99_latency_ms': 250, 'rejected_pct': 1, "
                        "'recovery_s': 30}")
    out = []
    for name, threshold in slos.items():
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold) \
                or threshold < 0:
            raise PlanError(f"slo {name}: the threshold must be a finite number >= 0 (got {threshold!r})")
        if name in KNOWN_SLOS:
            metric, label, unit, scale = KNOWN_SLOS[name]
            out.append(SLO(name, metric, float(threshold) / scale, label, unit, scale))
        elif "." in name or name in (RECOVERY,):
            out.append(SLO(name, name, float(threshold), name))
        else:
            raise PlanError(f"slo '{name}': unknown objective; use one of {', '.join(KNOWN_SLOS)} or a metric "
                            "column of the results such as 'handshake_latency_ms.p99'")
    return out


def candidate_name(candidate: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in candidate.items()) if candidate else "as in the scenario"


@dataclass
class Evaluation:
    """One size of one candidate: whether it met every SLO, and each SLO's mean and upper bound."""
    value: int
    passed: bool
    slos: Dict[str, Dict[str, float]] = field(default_factory=dict)
    #: With precision-driven replication: "meets" or "fails" when the size's replications stopped
    #: before the precision because the intervals already decided it (Plan._decision); else None.
    early: Optional[str] = None


@dataclass
class CandidateResult:
    candidate: Dict[str, Any]
    minimum: Optional[int]                 # the smallest passing value, None when none up to `high`
    evaluations: List[Evaluation]
    score: float = math.inf                # the largest (upper bound / threshold) at the minimum
    unit_cost: float = 1.0                 # the value of the plan's cost key for this candidate (1 without)
    fleet_cost: Optional[float] = None     # cost = "cost_per_hour": the fleet's price an hour at the minimum
    flat: List[FlatSLO] = field(default_factory=list)  # SLOs whose metric does not depend on the variable
    noise_minimum: Optional[int] = None    # the size the search ended at when a flat SLO decided it

    @property
    def total_cost(self) -> float:
        """minimum x unit cost (e.g. servers x fleet.cpu_cores = cores), or the fleet's price an hour
        (cost = "cost_per_hour"); infinite when none passed."""
        if self.minimum is None:
            return math.inf
        return self.fleet_cost if self.fleet_cost is not None else self.minimum * self.unit_cost

    @property
    def non_monotone(self) -> List[int]:
        """Values above the minimum that failed: the monotone assumption does not hold there, and the
        minimum is then not trustworthy (more replications, or a finer look with a sweep, will tell)."""
        if self.minimum is None:
            return []
        return [e.value for e in self.evaluations if e.value > self.minimum and not e.passed]

    @property
    def name(self) -> str:
        return candidate_name(self.candidate)


@dataclass(repr=False)
class PlanResult:
    """What a plan found. recommended = minimum of the best candidate + spare (None if no candidate
    met the SLOs up to `high`)."""
    directory: Path
    variable: str
    slos: List[SLO]
    confidence: float
    replications: int
    spare: int
    lose_servers: int
    candidates: List[CandidateResult]
    best: Optional[CandidateResult]
    frame: pd.DataFrame
    lose_site: Optional[str] = None

    @property
    def minimum(self) -> Optional[int]:
        return self.best.minimum if self.best else None

    @property
    def recommended(self) -> Optional[int]:
        return self.minimum + self.spare if self.minimum is not None else None

    def evaluations(self) -> pd.DataFrame:
        """Every size the search evaluated, one row per (candidate, size, SLO): the runs n, the mean
        of the SLO's metric with the half-width and bounds of its two-sided `confidence` interval
        (Student t), the one-sided upper bound the decision used, the threshold, whether it met it,
        and with precision-driven replication "decided_early": "meets"/"fails" when the size stopped
        before the precision because its bounds already decided it (else None)."""
        rows = []
        for c in self.candidates:
            for e in c.evaluations:
                for name, v in e.slos.items():
                    half = v["ci_half_width"]
                    rows.append({"candidate": c.name, self.variable: e.value, "slo": name, "n": v["n"],
                                 "mean": v["mean"], "ci_low": v["mean"] - half, "ci_high": v["mean"] + half,
                                 "ci_half_width": half, "upper_bound": v["upper_bound"], "max": v["max"],
                                 "passed": v["passed"], "size_passed": e.passed, "decided_early": e.early})
        return pd.DataFrame(rows, columns=["candidate", self.variable, "slo", "n", "mean", "ci_low", "ci_high",
                                           "ci_half_width", "upper_bound", "max", "passed", "size_passed",
                                           "decided_early"])

    def report(self, out: Any = None, *, plots: bool = True) -> Path:
        """Write the plan's HTML report (default: DIRECTORY/report.html); returns its path."""
        from wsfleet.report import write_report

        return write_report(self.directory, out, plots=plots)

    def __repr__(self) -> str:
        tried = sum(len(c.evaluations) for c in self.candidates)
        return (f"PlanResult({self.variable}: {self.summary()}; {len(self.candidates)} candidate(s), {tried} sizes "
                f"evaluated x {self.replications} replications, in {str(self.directory)!r})")

    def _repr_html_(self) -> str:
        from wsfleet._html import snippet

        candidates = [(c.name or "scenario settings", c.minimum if c.minimum is not None else "—",
                       ", ".join(f"{e.value}{chr(10003) if e.passed else chr(10007)}" for e in c.evaluations))
                      for c in self.candidates]
        return snippet("plan", variable=self.variable, summary=self.summary(), candidates=candidates)

    def summary(self) -> str:
        if self.best is None:
            flat = [f.text for c in self.candidates for f in c.flat if f.decisive]
            if flat:
                return f"No size of {self.variable} can be trusted: " + " ".join(dict.fromkeys(flat))
            return f"No candidate meets every SLO up to the largest {self.variable} tried."
        text = (f"{self.variable} = {self.recommended}"
                + (f" (the minimum {self.minimum} + {self.spare} spare)" if self.spare else "")
                + (f" with {self.best.name}" if self.best.candidate else ""))
        return text

def load_plan(directory: Any) -> Dict[str, Any]:
    """The plan.json of a plan directory."""
    path = Path(directory) / PLAN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PlanError(f"{path}: cannot read: {exc}") from None
