"""`wsfleet schema --study` and `--plan`: the JSON Schemas of a sweep's or plan's study.json and of a
plan's plan.json, generated from the one Python table that declares every key (wsfleet/study_schema.py).
What real sweeps and plans write validates against them, the committed copies are up to date, the
writers refuse to write a key the table does not declare, and the views (wsfleet.views.StudyFile,
PlanFile) that the study report reads through refuse one too."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Dict

import jsonschema
import pytest

import wsfleet
from test_sweep import TINY
from wsfleet import study_schema
from wsfleet._plan_search import Plan
from wsfleet._store import ResultStore
from wsfleet.views import PlanFile, StudyFile, UndeclaredKey, study_file_schema
from wsfleet_testing import ROOT, SWEEP_SPEC, cli


@pytest.fixture(scope="module")
def schemas() -> Dict[str, Dict[str, Any]]:
    out = {}
    for which in ("study", "plan"):
        proc = cli("schema", f"--{which}")
        assert proc.returncode == 0, proc.stderr
        out[which] = json.loads(proc.stdout)
        jsonschema.Draft7Validator.check_schema(out[which])
    return out


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """A plan with every optional setting (precision, a lost server, candidates, a cost key) and a
    sweep with a list axis and a log range axis: between them, every optional key is written."""
    root = tmp_path_factory.mktemp("studies")
    wsfleet.plan(TINY, {"rejected_pct": 5.0, "recovery_s": 20.0}, lose_servers=1, spare=1, replications=2,
                 precision=0.3, max_replications=3, cost="fleet.max_connections",
                 candidates={"balancer.policy": ["round_robin", "least_connections"]}, out=root / "plan", workers=0)
    wsfleet.sweep(TINY, {"fleet.servers": [3, 4], "backoff.base_s": wsfleet.Range(0.5, 2.0, steps=2, log=True)},
                  replications=1, out=root / "sweep", workers=0)
    return {"plan": root / "plan", "sweep": root / "sweep"}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_schemas_are_draft_07_closed_and_committed(schemas: Dict[str, Dict[str, Any]]) -> None:
    for which, schema in schemas.items():
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert schema["additionalProperties"] is False
        committed = json.loads((ROOT / "docs" / f"{which}.schema.json").read_text(encoding="utf-8"))
        assert committed == schema, f"regenerate: wsfleet schema --{which} > docs/{which}.schema.json"
        assert study_file_schema(which) == schema  # the table behind the views
    plan = schemas["plan"]["properties"]
    assert plan["failure_at_s"]["x-unit"] == "s" and "[s]" in plan["failure_at_s"]["description"]
    assert plan["minimum"]["type"] == ["integer", "null"] and "minimum" in schemas["plan"]["required"]
    assert "variable" not in schemas["study"]["properties"]["spec"]["required"]  # a plan's only


def test_what_sweeps_and_plans_write_is_valid(schemas: Dict[str, Dict[str, Any]], studies: Dict[str, Path]) -> None:
    files = {"plan study.json": (studies["plan"] / "study.json", "study"),
             "sweep study.json": (studies["sweep"] / "study.json", "study"),
             "plan.json": (studies["plan"] / "plan.json", "plan")}
    for name, (path, which) in files.items():
        data = _load(path)
        errors = [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft7Validator(schemas[which]).iter_errors(data)]
        assert errors == [], name
        assert study_schema.undeclared(which, data) == [], name
    # Every optional key of study.json is written by one of the two.
    written = set()
    for path in (studies["plan"] / "study.json", studies["sweep"] / "study.json"):
        spec = _load(path)["spec"]
        written |= {f"spec.{k}" for k in spec} | {f"spec.axes[].{k}" for a in spec["axes"] for k in a}
        written |= {f"spec.axes[].range.{k}" for a in spec["axes"] if "range" in a for k in a["range"]}
    optional = {f.path for f in study_schema.STUDY_FIELDS if f.optional}
    assert optional <= written


def test_the_table_refuses_what_it_does_not_declare() -> None:
    spec = dict(SWEEP_SPEC)
    study = {"format": "wsfleet-study", "version": 1, "kind": "sweep", "identity": "x", "spec": spec}
    assert study_schema.undeclared("study", study) == []
    bad = json.loads(json.dumps(study))
    bad["spec"]["axes"] = [{"key": "fleet.servers", "valeus": [1, 2]}]   # a misspelling
    bad["spec"]["seed"] = "1"                                          # another type
    del bad["spec"]["replications"]                                    # a required key left out
    assert study_schema.undeclared("study", bad) == [
        "spec.axes[].valeus (not declared)", "spec.seed (not of its declared type)", "spec.replications (missing)"]
    # A number may be null (undefined) or "inf"/"-inf" (infinite), no other string, nor a boolean.
    def with_low(low: Any) -> Dict[str, Any]:
        axis = {"key": "backoff.base_s", "range": {"low": low, "high": 2.0, "log": False, "integer": False}}
        return {**study, "spec": {**spec, "axes": [axis]}}

    assert [study_schema.undeclared("study", with_low(v)) for v in (1, 2.5, None, "inf", "-inf")] == [[]] * 5
    for v in ("nan", "1", True):
        assert study_schema.undeclared("study", with_low(v)) == ["spec.axes[].range.low (not of its declared type)"]


def test_the_writers_check_what_they_write(studies: Dict[str, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # study.json: a spec with an undeclared key is a bug of the writer, and nothing is written.
    with pytest.raises(study_schema.SchemaViolation, match=r"study.json does not conform .*spec.sampels \(not declared\)"):
        ResultStore(tmp_path / "s", "sweep", {**SWEEP_SPEC, "sampels": 3}, "id", "[run]\n")
    assert not (tmp_path / "s" / "study.json").exists()
    # plan.json: the same; the plan's points stay cached in the directory.
    real = Plan._describe
    monkeypatch.setattr(Plan, "_describe", lambda self, result: {**real(self, result), "recomended": 3})
    out = tmp_path / "p"
    with pytest.raises(study_schema.SchemaViolation, match=r"plan.json does not conform .*recomended \(not declared\)"):
        wsfleet.plan(TINY, {"rejected_pct": 5.0}, replications=2, out=out, workers=0)
    assert not (out / "plan.json").exists() and (out / "study.json").is_file()


def test_the_views_read_what_plans_and_sweeps_wrote(studies: Dict[str, Path]) -> None:
    raw = _load(studies["plan"] / "plan.json")
    plan = PlanFile(raw)
    assert plan.variable == "fleet.servers" and plan.lose_servers == 1 and plan.spare == 1
    assert plan.recommended == raw["recommended"] and plan.best == raw["best"]
    assert plan.precision.relative == 0.3 and plan.precision.metrics == raw["precision"]["metrics"]
    c = plan.candidates[0]
    assert c.candidate == raw["candidates"][0]["candidate"]
    e = c.evaluations[0]
    verdict = e.slos["rejected_pct"]
    assert (verdict.n, verdict.passed) == (raw["candidates"][0]["evaluations"][0]["slos"]["rejected_pct"]["n"],
                                           raw["candidates"][0]["evaluations"][0]["slos"]["rejected_pct"]["passed"])
    with pytest.raises(AttributeError, match=r"plan.json's candidates\[\].evaluations\[\].slos.\* has no key 'upper'"):
        verdict.upper  # noqa: B018
    with pytest.raises(UndeclaredKey, match="plan.json has no key 'recomended'"):
        plan.get("recomended")
    # A key written as null is None (a plan without precision, a candidate without a minimum).
    assert PlanFile({**raw, "precision": None, "minimum": None}).precision is None
    assert PlanFile({**raw, "minimum": None}).minimum is None
    # An infinite cost is written "inf", which the report reads as a number.
    assert math.isinf(float(PlanFile({"candidates": [{"total_cost": "inf"}]}).candidates[0].total_cost))
    study = StudyFile(_load(studies["sweep"] / "study.json"))
    assert study.kind == "sweep" and [a.key for a in study.spec.axes] == ["fleet.servers", "backoff.base_s"]
    assert study.spec.axes[0].values == [3, 4] and study.spec.axes[0].range is None
    assert study.spec.axes[1].range.log is True and study.spec.axes[1].range.steps == 2
    assert study.spec.variable is None and study.spec.precision is None  # a plan's; precision-driven only
