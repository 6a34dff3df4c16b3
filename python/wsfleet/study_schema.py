"""The vocabulary of a study directory's JSON files: study.json (what a sweep or plan was asked,
written by wsfleet._store for both) and plan.json (what a plan found, written by
wsfleet._plan_search), and the verdict columns of its results rows (wsfleet._point_verdicts), every
key declared once here with its type, unit and one line of documentation.

From these tables come the JSON Schemas (`wsfleet schema --study`, `wsfleet schema --plan`;
docs/study.schema.json, docs/plan.schema.json), the typed views wsfleet.views.StudyFile and
wsfleet.views.PlanFile that the study report reads through, and the check, on every study.json and
plan.json written, that the writer writes nothing undeclared, nothing of another type and every key
the table does not mark optional (`check`, as experiments/summary_schema.cpp does for summary.json).

A row's path is dotted: "candidates[].evaluations[].slos.*.mean"; "[]" is an array's item, "*"
any key of a map. Types: integer, number (a float; null when undefined, "inf" or "-inf" when
infinite: plan.json writes an infinite bound or cost so), string, boolean, value (a scenario value:
string, number or boolean), object, array, map. `nullable`: the key is always written, null when it
does not apply (a plan without a winner has no minimum); `optional`: written only by some studies
(a sweep's method, a plan's variable, precision-driven replication).

    python -m wsfleet.study_schema --plan     # the JSON Schema of plan.json (also --study)
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Field", "FILES", "STUDY_FIELDS", "PLAN_FIELDS", "json_schema", "undeclared", "check", "SchemaViolation",
           "main"]

TYPES = ("integer", "number", "string", "boolean", "value", "object", "array", "map")
#: How plan.json writes an infinite number (a bound past every threshold, a cost with no minimum).
INFINITE = ("inf", "-inf")


@dataclass(frozen=True)
class Field:
    """One key of a study file."""
    path: str
    type: str
    doc: str
    unit: str = ""
    optional: bool = False   # written only by some studies
    nullable: bool = False   # always written, null when it does not apply


def _precision(at: str) -> List[Field]:
    """The precision-driven replication rule (wsfleet._precision.Precision.describe)."""
    return [
        Field(f"{at}.relative", "number", "the target half-width of each metric's interval, relative to its mean",
              "share"),
        Field(f"{at}.max_replications", "integer", "the most replications of one point", "runs"),
        Field(f"{at}.metrics", "array", "the result columns whose intervals must be narrow enough"),
        Field(f"{at}.metrics[]", "string", "a result column"),
        Field(f"{at}.confidence", "number", "the confidence of the intervals", "share"),
    ]


#: study.json: what a sweep or plan was asked (wsfleet._store.ResultStore writes it when it creates
#: the directory; Sweep.spec() and Plan.spec() make its spec).
STUDY_FIELDS: Tuple[Field, ...] = (
    Field("format", "string", 'always "wsfleet-study"'),
    Field("version", "integer", "the directory layout's version"),
    Field("kind", "string", '"sweep" or "plan"'),
    Field("identity", "string", "sha256 of what determines the results (a resumed study must match it)"),
    Field("spec", "object", "what determines the results"),
    Field("spec.scenario_sha256", "string", "sha256 of the base scenario's text"),
    Field("spec.source", "string", 'the base scenario: its path, "<string>" or "<dict>"'),
    Field("spec.overrides", "array", "the fixed overrides every run applies (KEY=VALUE)"),
    Field("spec.overrides[]", "string", "one override, KEY=VALUE"),
    Field("spec.variable", "string", "a plan's integer scenario key to size", optional=True),
    Field("spec.axes", "array", "the axes (a plan's: its variable, then its candidates' keys)"),
    Field("spec.axes[]", "object", "one axis"),
    Field("spec.axes[].key", "string", "the scenario key it varies"),
    Field("spec.axes[].values", "array", "a sweep's list axis: its values", optional=True),
    Field("spec.axes[].values[]", "value", "one value"),
    Field("spec.axes[].range", "object", "a sweep's numeric range axis", optional=True),
    Field("spec.axes[].range.low", "number", "the smallest value"),
    Field("spec.axes[].range.high", "number", "the largest value"),
    Field("spec.axes[].range.log", "boolean", "values spread on a log scale"),
    Field("spec.axes[].range.integer", "boolean", "values rounded to whole numbers"),
    Field("spec.axes[].range.steps", "integer", "how many values a grid takes", "values", optional=True),
    Field("spec.method", "string", "a sweep's design: grid, random or latin_hypercube", optional=True),
    Field("spec.samples", "integer", "a random or Latin hypercube sweep's points", "points", optional=True,
          nullable=True),
    Field("spec.replications", "integer", "replications of every point (the first ones with precision)", "runs"),
    Field("spec.seed", "integer", "the replications' run.seed and the sampling seed"),
    Field("spec.common_random_numbers", "boolean", "replication r of every point draws the same random numbers"),
    Field("spec.precision", "object", "precision-driven replication's rule (only then)", optional=True),
    *_precision("spec.precision"),
)

#: plan.json: what a plan found (wsfleet._plan_search.Plan._describe makes it).
PLAN_FIELDS: Tuple[Field, ...] = (
    Field("question", "string", "the question the plan answers, in words"),
    Field("variable", "string", "the integer scenario key sized"),
    Field("slos", "array", "the objectives"),
    Field("slos[]", "object", "one objective: the mean of its metric must be at most its max"),
    Field("slos[].name", "string", "its name (p99_latency_ms, rejected_pct, recovery_s or a metric column)"),
    Field("slos[].metric", "string", "the results' column it bounds"),
    Field("slos[].max", "number", "the threshold, in the metric's own unit"),
    Field("slos[].label", "string", "its name in words"),
    Field("slos[].unit", "string", "the unit it is shown in"),
    Field("slos[].scale", "number", "the metric's unit times scale is the unit shown"),
    Field("confidence", "number", "the confidence of the one-sided bounds", "share"),
    Field("replications", "integer", "replications of every size (the first ones with precision)", "runs"),
    Field("precision", "object", "precision-driven replication's rule; null without", nullable=True),
    *_precision("precision"),
    Field("lose_servers", "integer", "servers 0..k-1 crash at failure_at_s and never come back", "servers"),
    Field("lose_site", "string", "the [[topology.sites]] site that crashes whole at failure_at_s", nullable=True),
    Field("failure_at_s", "number", "when the lost servers or site crash; null when none is lost", "s"),
    Field("spare", "integer", "servers added to the minimum in the recommendation (N+k)", "servers"),
    Field("cost", "string", "the key whose value times the minimum ranks the candidates, or cost_per_hour",
          nullable=True),
    Field("low", "integer", "the smallest value searched"),
    Field("high", "integer", "the largest value searched"),
    Field("start", "integer", "the value the search started from (the scenario's)"),
    Field("seed", "integer", "the replications' run.seed"),
    Field("common_random_numbers", "boolean", "replication r of every size draws the same random numbers"),
    Field("overrides", "array", "the fixed overrides every run applies, the lost servers' crashes included"),
    Field("overrides[]", "string", "one override, KEY=VALUE"),
    Field("minimum", "integer", "the best candidate's smallest value meeting every objective; null when none",
          nullable=True),
    Field("recommended", "integer", "minimum + spare; null when no candidate met every objective", nullable=True),
    Field("best", "map", "the best candidate's settings (scenario key -> value); null when none", nullable=True),
    Field("best.*", "value", "a setting's value"),
    Field("recommended_cost_per_hour", "number", "the recommended fleet's price an hour; null without prices",
          "currency/h"),
    Field("candidates", "array", "every candidate searched"),
    Field("candidates[]", "object", "one candidate"),
    Field("candidates[].candidate", "map", "its settings (scenario key -> value); empty: the scenario's own"),
    Field("candidates[].candidate.*", "value", "a setting's value"),
    Field("candidates[].minimum", "integer", "its smallest value meeting every objective; null when none",
          nullable=True),
    Field("candidates[].score", "number", "the largest upper bound / threshold at its minimum"),
    Field("candidates[].unit_cost", "number", "the cost key's value for it (1 without a cost key)"),
    Field("candidates[].fleet_cost", "number", "cost = cost_per_hour: the fleet's price an hour at its minimum",
          "currency/h"),
    Field("candidates[].total_cost", "number", "minimum x unit_cost, or fleet_cost; inf without a minimum"),
    Field("candidates[].non_monotone", "array", "values above its minimum that failed (the monotone "
                                                "assumption does not hold there)"),
    Field("candidates[].non_monotone[]", "integer", "a value that failed"),
    Field("candidates[].flat_slos", "array", "the objectives whose metric shows no trend with the variable"),
    Field("candidates[].flat_slos[]", "object", "one such objective (wsfleet._flat_slos.FlatSLO)"),
    Field("candidates[].flat_slos[].slo", "string", "the objective's name"),
    Field("candidates[].flat_slos[].rho", "number", "Spearman's rank correlation of its metric with the variable"),
    Field("candidates[].flat_slos[].p_value", "number", "the correlation's two-sided p-value"),
    Field("candidates[].flat_slos[].runs", "integer", "runs the test used", "runs"),
    Field("candidates[].flat_slos[].sizes", "integer", "distinct values of the variable among them", "values"),
    Field("candidates[].flat_slos[].low_mean", "number", "the lowest mean over the sizes, in the metric's unit"),
    Field("candidates[].flat_slos[].high_mean", "number", "the highest mean over the sizes, in the metric's unit"),
    Field("candidates[].flat_slos[].decisive", "boolean", "it failed where the others passed: it set the answer"),
    Field("candidates[].flat_slos[].text", "string", "the sentence a planner reads"),
    Field("candidates[].noise_minimum", "integer", "the size the search ended at when a flat objective decided "
                                                   "it; null otherwise", nullable=True),
    Field("candidates[].evaluations", "array", "every size evaluated, in increasing order"),
    Field("candidates[].evaluations[]", "object", "one size"),
    Field("candidates[].evaluations[].value", "integer", "the variable's value"),
    Field("candidates[].evaluations[].passed", "boolean", "it met every objective"),
    Field("candidates[].evaluations[].slos", "map", "each objective's verdict, by name"),
    Field("candidates[].evaluations[].slos.*", "object", "one objective at this size"),
    Field("candidates[].evaluations[].slos.*.mean", "number", "the metric's mean over the runs"),
    Field("candidates[].evaluations[].slos.*.ci_half_width", "number",
          "the half-width of the mean's two-sided confidence interval (Student t)"),
    Field("candidates[].evaluations[].slos.*.n", "integer", "the runs", "runs"),
    Field("candidates[].evaluations[].slos.*.upper_bound", "number",
          "the one-sided upper confidence bound of the mean the decision used"),
    Field("candidates[].evaluations[].slos.*.max", "number", "the threshold"),
    Field("candidates[].evaluations[].slos.*.passed", "boolean", "upper_bound <= max"),
    Field("candidates[].evaluations[].slos.*.unsettled", "integer", "for a steady-state objective: the runs with "
                                                                    "no steady state (they fail it)", "runs",
          optional=True),
    Field("candidates[].evaluations[].early", "string", "with precision: \"meets\" or \"fails\" when the size "
                                                       "stopped before the precision because its bounds decided "
                                                       "it; null otherwise", nullable=True),
)

#: The verdict columns of one row of a sweep's or plan's results (results/part-*.parquet): the run's
#: verdict from every limit of the model, measured by the worker on the run's time series
#: (wsfleet._point_verdicts). Declared nested; a row has them flat, joined with dots, as it has
#: summary.json's keys ("verdict.status", "verdict.limits.cpu.used"). In `wsfleet schema --study`
#: under definitions.results_row.
RESULT_ROW_FIELDS: Tuple[Field, ...] = (
    Field("verdict", "object", "the run's verdict from every limit of the model (docs/reports.md)"),
    Field("verdict.status", "string", '"ok", "warn", "fail" or "misconfigured" (ENOUGH CAPACITY, TIGHT, '
                                      'NOT ENOUGH CAPACITY, MISCONFIGURED)'),
    Field("verdict.limit", "string", "the binding (or closest) limit's key; empty when no limit was measured"),
    Field("verdict.figure", "string", "the binding (or closest) limit's figure in words"),
    Field("verdict.limits", "map", "every limit of the model, by key (connections, source_ports, cpu, ...)"),
    Field("verdict.limits.*", "object", "one limit in this run"),
    Field("verdict.limits.*.name", "string", "its name in words"),
    Field("verdict.limits.*.state", "string", '"bound" (it stopped work), "near" (less than 20 % left), "ok" '
                                              'or "n/a" (not set, or not measurable)'),
    Field("verdict.limits.*.used", "number", "the fraction of it the worst moment used; NaN when not measurable",
          "share"),
    Field("verdict.limits.*.severity", "number", "the work it stopped (refused attempts, dropped copies, ...): "
                                                 "it ranks the bound limits"),
    Field("verdict.limits.*.figure", "string", "the figure behind its use, in words"),
    Field("verdict.limits.*.effect", "string", "what reaching it did; empty when it stopped nothing"),
    Field("verdict.limits.*.setting", "string", "a setting's (not capacity's) keys that move it; empty otherwise"),
)

#: Each file: (its name, its title, its rows).
FILES: Dict[str, Tuple[str, str, Tuple[Field, ...]]] = {
    "study": ("study.json", "what a wsfleet sweep or plan was asked", STUDY_FIELDS),
    "plan": ("plan.json", "what a wsfleet capacity plan found", PLAN_FIELDS),
    "row": ("results/part-*.parquet", "the verdict columns of one row of a sweep's or plan's results",
            RESULT_ROW_FIELDS),
}


class SchemaViolation(RuntimeError):
    """A writer made a study file its table does not declare: a bug in the writer, not bad input."""


def _parent(path: str) -> str:
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0] if "." in path else ""


def _last(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _index(fields: Sequence[Field]) -> Tuple[Dict[str, Field], Dict[str, List[Field]]]:
    """Each path's row and each container's rows beneath it; a table whose rows come before their
    parent, or declare a path twice, is a bug found here."""
    by_path: Dict[str, Field] = {"": Field("", "object", "")}
    children: Dict[str, List[Field]] = {}
    for f in fields:
        if f.type not in TYPES:
            raise ValueError(f"study schema: {f.path} has no type {f.type!r}")
        if f.path in by_path:
            raise ValueError(f"study schema: {f.path} declared twice")
        parent = by_path.get(_parent(f.path))
        if parent is None or parent.type not in ("object", "array", "map"):
            raise ValueError(f"study schema: {f.path} comes before its parent {_parent(f.path)}")
        by_path[f.path] = f
        children.setdefault(_parent(f.path), []).append(f)
    return by_path, children


def _node(f: Field) -> Dict[str, Any]:
    types = {"integer": ["integer"], "number": ["number", "null", "string"], "string": ["string"],
             "boolean": ["boolean"], "value": ["string", "number", "boolean"], "object": ["object"],
             "array": ["array"], "map": ["object"]}[f.type]
    if f.nullable and "null" not in types:
        types = types + ["null"]
    node: Dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
    if f.type == "number":
        node["pattern"] = "^-?inf$"  # the one string a number may be (an infinite one)
    if f.type == "object":
        node["properties"] = {}
        node["additionalProperties"] = False
    node["description"] = f"{f.doc} [{f.unit}]" if f.unit else f.doc
    if f.unit:
        node["x-unit"] = f.unit
    return node


def _schema_of(f: Field, children: Mapping[str, List[Field]]) -> Dict[str, Any]:
    node = _node(f)
    for c in children.get(f.path, []):
        sub = _schema_of(c, children)
        if f.type == "array":
            node["items"] = sub
        elif f.type == "map":
            node["additionalProperties"] = sub
        else:
            node["properties"][_last(c.path)] = sub
            if not c.optional:
                node.setdefault("required", []).append(_last(c.path))
    return node


def json_schema(which: str) -> Dict[str, Any]:
    """The JSON Schema (draft-07) of "study" (study.json), "plan" (plan.json) or "row" (a results
    row's verdict columns, nested): every object closed, every key not marked optional required,
    units as "x-unit". The study's carries the row's as definitions.results_row."""
    name, title, fields = FILES[which]
    _, children = _index(fields)
    body = _schema_of(Field("", "object", f"{name}: {title}"), children)
    schema = {"$schema": "http://json-schema.org/draft-07/schema#",
              "$id": f"https://wsfleet.invalid/{which}.schema.json", "title": f"wsfleet {name}", **body}
    if which == "study":
        row_name, row_title, row_fields = FILES["row"]
        schema["definitions"] = {"results_row": _schema_of(Field("", "object", f"{row_name}: {row_title} (flat "
                                                                 "in the row, joined with dots)"),
                                                           _index(row_fields)[1])}
    return schema


def _of_type(value: Any, f: Field) -> bool:
    if value is None:
        return f.nullable or f.type == "number"
    if f.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if f.type == "number":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or value in INFINITE
    if f.type == "string":
        return isinstance(value, str)
    if f.type == "boolean":
        return isinstance(value, bool)
    if f.type == "value":
        return isinstance(value, (str, int, float, bool))
    if f.type in ("object", "map"):
        return isinstance(value, Mapping)
    return isinstance(value, (list, tuple))


def undeclared(which: str, data: Any) -> List[str]:
    """The paths of `data`'s keys the table of `which` does not declare ("... (not declared)"), of
    the values of another type ("... (not of its declared type)") and of the required keys an
    object lacks ("... (missing)"); empty when it conforms."""
    by_path, children = _index(FILES[which][2])
    bad: List[str] = []

    def walk(value: Any, path: str) -> None:
        f = by_path.get(path)
        if f is None:
            bad.append(f"{path} (not declared)")
            return
        if not _of_type(value, f):
            bad.append(f"{path or '(the file)'} (not of its declared type)")
            return
        if value is None:
            return
        if f.type == "object":
            for key, sub in value.items():
                walk(sub, f"{path}.{key}" if path else str(key))
            bad.extend(f"{c.path} (missing)" for c in children.get(path, []) if not c.optional and _last(c.path)
                       not in value)
        elif f.type == "map":
            for sub in value.values():
                walk(sub, f"{path}.*")
        elif f.type == "array":
            for sub in value:
                walk(sub, f"{path}[]")

    walk(data, "")
    return bad


def check(which: str, data: Any) -> None:
    """Raises SchemaViolation when `data` does not conform to the table of `which` (the writers call
    it on every study.json and plan.json before writing it, and the workers on every row's verdict)."""
    bad = undeclared(which, data)
    if bad:
        raise SchemaViolation(f"{FILES[which][0]} does not conform to wsfleet/study_schema.py: {', '.join(bad)}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse  # here: a sweep's worker imports this module to check its rows, not to parse arguments

    parser = argparse.ArgumentParser(prog="wsfleet schema",
                                     description="Print the JSON Schema of a study directory's study.json or plan.json")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--study", action="store_true", help="study.json (docs/study.schema.json)")
    group.add_argument("--plan", action="store_true", help="plan.json (docs/plan.schema.json)")
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(json_schema("plan" if args.plan else "study"), indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
