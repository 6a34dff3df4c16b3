"""`wsfleet schema`: the scenario's JSON Schema (draft-07, for editors) and its Markdown reference,
both generated from the C++ schema tables. Every bundled scenario is valid against the schema, bad
files are rejected by it, and the committed copies are up to date."""
from __future__ import annotations

import json
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import jsonschema
import numpy as np
import pytest

import wsfleet
from wsfleet_testing import ROOT, cli

BUNDLED = sorted((ROOT / "experiments" / "scenarios").glob("*.toml")) + sorted((ROOT / "experiments" / "bench").glob("*.toml"))


@pytest.fixture(scope="module")
def schema() -> dict:
    proc = cli("schema")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def validator(schema: dict) -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_schema_is_draft_07_and_describes_every_section(schema: dict) -> None:
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert list(schema["properties"]) == ["scenario", "run", "fleet", "clients", "balancer", "backoff", "heartbeat",
                                          "faults", "scaling", "deploys", "autoscaler", "topology", "pubsub", "transport", "sweep", "plan", "storm", "alerts"]
    metrics = schema["properties"]["balancer"]["properties"]["metrics_interval_s"]
    assert metrics["minimum"] == 0.001 and metrics["default"] == 5.0 and "[s]" in metrics["description"]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_scenario_is_valid(validator: jsonschema.Draft7Validator, path: Path) -> None:
    document = tomllib.loads(path.read_text())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("text, where", [
    ("[clients]\ncout = 5\n", ["clients"]),                                    # unknown key
    ("[clients]\ncount = \"many\"\n", ["clients", "count"]),                   # wrong type
    ("[balancer]\nmetrics_interval_s = 1e-9\n", ["balancer", "metrics_interval_s"]),  # below the timer floor
    ("[fleet]\nweights = [1e308, 1]\n", ["fleet", "weights", 0]),              # weight above 1e6
    ("[fleet.cpu]\nservice_time = \"random\"\n", ["fleet", "cpu", "service_time"]),  # not one of the names
    ("[[faults]]\nserver = 1\n", ["faults", 0]),                               # type is required
    ("[clients]\nsession = \"forever\"\n", ["clients", "session"]),            # neither "never" nor a table
    ("[bogus]\nx = 1\n", []),                                                  # unknown section
])
def test_bad_files_are_rejected(validator: jsonschema.Draft7Validator, text: str, where: list) -> None:
    errors = list(validator.iter_errors(tomllib.loads(text)))
    assert errors, text
    assert any(list(e.path) == where for e in errors), [list(e.path) for e in errors]


def test_policy_parameters_are_allowed_in_policy_sections(validator: jsonschema.Draft7Validator) -> None:
    assert list(validator.iter_errors({"backoff": {"policy": "full_jitter", "base_s": 1, "cap_s": 30}})) == []
    assert list(validator.iter_errors({"backoff": {"policy": "full_jitter", "base_s": "one"}}))


def test_the_committed_schema_and_reference_are_up_to_date(schema: dict) -> None:
    committed = json.loads((ROOT / "docs" / "scenario.schema.json").read_text())
    assert committed == schema, "regenerate: wsfleet schema > docs/scenario.schema.json"
    markdown = cli("schema", "--markdown")
    assert markdown.returncode == 0
    assert markdown.stdout == (ROOT / "docs" / "scenario_reference.md").read_text(), \
        "regenerate: wsfleet schema --markdown > docs/scenario_reference.md"


def test_keys_lists_every_dotted_key() -> None:
    keys = cli("schema", "--keys").stdout.split()
    assert "balancer.health_check.interval_s" in keys and "faults.type" in keys and "pubsub.links.drain_messages_per_s" in keys
    assert len(keys) == len(set(keys))


def test_numpy_values_are_numbers_in_overrides() -> None:
    default = ROOT / "experiments" / "scenarios" / "default.toml"
    text = wsfleet.check(str(default), overrides={"clients.ramp_s": np.float64(0.5), "clients.count": np.int64(500)})
    effective = tomllib.loads(text)
    assert effective["clients"]["count"] == 500 and effective["clients"]["ramp_s"] == 0.5


def test_the_effective_scenario_keeps_connect_timeout_left_out() -> None:
    default = str(ROOT / "experiments" / "scenarios" / "default.toml")
    assert "connect_timeout_s" not in tomllib.loads(wsfleet.check(default))["clients"]
    given = tomllib.loads(wsfleet.check(default, overrides={"clients.connect_timeout_s": 3.0}))
    assert given["clients"]["connect_timeout_s"] == 3.0
