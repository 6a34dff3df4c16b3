"""Every part of issue 12 (operations) from the three surfaces: a TOML scenario, Python
(`wsfleet.run(..., overrides=...)` and the part's own Python API) and the command line (`--set`, and
the part's own command). The same seed gives the same numbers, bit for bit, whichever way a part is
given; and each part changes the run (so a key that a surface dropped would show).

Runs are small (4 servers, 400 clients, 60 s): the file runs in well under a minute."""
from __future__ import annotations

import copy
import io
import json
import tomllib
from pathlib import Path
from typing import Any, Dict, List, Mapping

import numpy as np
import pandas as pd
import pytest
import tomli_w

import wsfleet
from wsfleet._run import format_value
from wsfleet_testing import cli, read_summary, stable

BASE: Dict[str, Any] = {
    "scenario": {"name": "ops_surfaces", "description": "4 servers, 400 clients, 60 s"},
    "run": {"duration_s": 60.0, "sample_interval_s": 1.0, "seed": 3},
    "fleet": {"servers": 4, "max_connections": 400, "cpu_cores": 1},
    "clients": {"count": 400, "ramp_s": 10.0, "messages_per_minute": 6.0},
}

TOPOLOGY = {
    "links": [{"between": ["eu", "ams"], "latency_ms": 5.0}, {"between": ["eu", "fra"], "latency_ms": 15.0}],
    "sites": [{"name": "ams", "servers": 2}, {"name": "fra", "servers": 2}],
    "regions": [{"name": "eu", "share": 1.0}],
}

# Part of issue 12 -> the scenario tables that turn it on (merged into BASE; a list is an array of tables).
PARTS: Dict[str, Dict[str, Any]] = {
    "autoscaler kubernetes_hpa": {"autoscaler": {"policy": "kubernetes_hpa", "metric": "connections",
                                                 "target_utilization_pct": 10, "min_replicas": 2, "max_replicas": 8,
                                                 "provisioning": {"distribution": "constant", "value_s": 5.0},
                                                 "readiness_delay_s": 2.0}},
    "autoscaler aws_target_tracking": {"autoscaler": {"policy": "aws_target_tracking", "metric": "connections",
                                                      "target_utilization_pct": 10, "min_replicas": 2,
                                                      "max_replicas": 8}},
    "autoscaler keda": {"autoscaler": {"policy": "keda", "metric": "connections", "threshold": 40, "min_replica_count": 1,
                                       "max_replicas": 8}},
    "autoscaler step_scaling": {"autoscaler": {"policy": "step_scaling", "metric": "connections", "min_replicas": 2,
                                               "max_replicas": 8}},
    "provisioning and cost": {"fleet": {"cost_per_hour": 0.5},
                              "autoscaler": {"policy": "kubernetes_hpa", "metric": "connections",
                                             "target_utilization_pct": 10, "min_replicas": 2, "max_replicas": 8,
                                             "provisioning": {"distribution": "exponential", "mean_s": 8.0}}},
    "scheduled action": {"autoscaler": {"policy": "kubernetes_hpa", "metric": "connections", "min_replicas": 2,
                                        "max_replicas": 8},
                         "scaling": [{"at_s": 20.0, "min_replicas": 6}]},
    "deploy rolling": {"deploys": [{"at_s": 20.0, "max_surge": 1, "max_unavailable": 0, "ready_after_s": 2.0}]},
    "deploy blue_green": {"deploys": [{"at_s": 20.0, "strategy": "blue_green", "ready_after_s": 2.0}]},
    "deploy canary": {"deploys": [{"at_s": 20.0, "strategy": "canary", "canary": 1, "canary_hold_s": 10.0,
                                   "ready_after_s": 2.0, "on_sigterm": "spread"}]},
    "gray slow_server": {"faults": [{"type": "slow_server", "server": 1, "at_s": 15.0, "factor": 20.0,
                                     "recover_after_s": 20.0}]},
    "gray handshake_blackhole": {"faults": [{"type": "handshake_blackhole", "server": 1, "at_s": 5.0,
                                             "recover_after_s": 20.0}]},
    "gray health_flap": {"faults": [{"type": "health_flap", "server": 2, "at_s": 10.0, "period_s": 8.0}]},
    "gray dropped_messages": {"faults": [{"type": "dropped_messages", "server": 0, "at_s": 15.0, "loss": 0.5}]},
    "gray link_degrade": {"topology": TOPOLOGY,
                          "faults": [{"type": "link_degrade", "site": "ams", "at_s": 15.0, "latency_ms": 200.0}]},
    "gray link_loss": {"topology": TOPOLOGY, "faults": [{"type": "link_loss", "site": "fra", "at_s": 15.0, "loss": 0.2}]},
    "partition link_down": {"topology": TOPOLOGY,
                            "faults": [{"type": "link_down", "site": "ams", "region": "eu", "at_s": 20.0,
                                        "recover_after_s": 15.0}]},
    "partition site_partition": {"topology": TOPOLOGY,
                                 "faults": [{"type": "site_partition", "site": "ams", "at_s": 20.0,
                                             "recover_after_s": 15.0}]},
    "churn": {"clients": {"session": {"distribution": "exponential", "mean_s": 20.0}, "on_session_end": "reconnect",
                          "vanish_share": 0.5, "offline_mean_s": 5.0}},
    "churn wave": {"clients": {"wave_share": 0.3, "wave_at_s": 30.0, "wave_window_s": 10.0}},
    "retry budget": {"backoff": {"policy": "retry_budget", "base_s": 0.5, "cap_s": 5.0},
                     "faults": [{"type": "crash", "server": 0, "at_s": 20.0}]},
    "circuit breaker": {"backoff": {"policy": "circuit_breaker", "failures": 2, "open_s": 5.0},
                        "faults": [{"type": "crash", "server": 0, "at_s": 20.0, "recover_after_s": 5.0}]},
    "retry-after": {"fleet": {"admission": {"max_handshakes_per_s": 5.0, "retry_after_s": 3.0}},
                    "clients": {"honour_retry_after": "off"}, "backoff": {"policy": "phoenix"}},
}


def merged(part: Mapping[str, Any]) -> Dict[str, Any]:
    """BASE with the part's tables merged in (a table key by key, an array of tables as given)."""
    doc = copy.deepcopy(BASE)
    for section, value in part.items():
        if isinstance(value, Mapping) and isinstance(doc.get(section), Mapping):
            doc[section].update(copy.deepcopy(dict(value)))
        else:
            doc[section] = copy.deepcopy(value)
    return doc


def dotted(part: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """The part as `--set` overrides: a table's keys one by one, each entry of an array of tables as
    `name.N` = an inline table."""
    out: Dict[str, Any] = {}
    for key, value in part.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and key not in ("provisioning", "session"):
            out.update(dotted(value, name + "."))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping) and key != "between":
            for i, entry in enumerate(value):
                if isinstance(entry, Mapping) and any(isinstance(v, list) and v and isinstance(v[0], Mapping)
                                                      for v in entry.values()):
                    out.update(dotted(entry, f"{name}.{i}."))
                else:
                    out[f"{name}.{i}"] = entry
        else:
            out[name] = value
    return out


@pytest.fixture(scope="module")
def base_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("surfaces") / "base.toml"
    path.write_text(tomli_w.dumps(BASE), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base_summary(base_file: Path) -> Dict[str, Any]:
    return stable(wsfleet.run(base_file, progress=False).summary)


@pytest.mark.parametrize("part", list(PARTS))
def test_each_part_gives_the_same_numbers_from_toml_python_and_the_cli(part: str, base_file: Path,
                                                                        base_summary: Dict[str, Any],
                                                                        tmp_path: Path) -> None:
    tables = PARTS[part]
    # TOML: the part written into the scenario file, run by the command line.
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(tomli_w.dumps(merged(tables)), encoding="utf-8")
    proc = cli("run", scenario, "--out", tmp_path / "toml", "-q")
    assert proc.returncode == 0, proc.stderr
    from_toml = stable(read_summary(tmp_path / "toml"))
    # Python: the base scenario with the part as overrides.
    overrides = dotted(tables)
    from_python = stable(wsfleet.run(base_file, overrides=overrides, progress=False).summary)
    # The command line: the base scenario with the part as --set KEY=VALUE.
    sets: List[str] = []
    for key, value in overrides.items():
        sets += ["--set", f"{key}={format_value(value)}"]
    proc = cli("run", base_file, "--out", tmp_path / "cli", "-q", *sets)
    assert proc.returncode == 0, proc.stderr
    from_cli = stable(read_summary(tmp_path / "cli"))
    assert from_python == from_toml
    assert from_cli == from_toml
    assert from_toml != base_summary  # the part did something


def test_autoscale_python_and_cli_run_the_same_closed_loop(tmp_path: Path) -> None:
    trace = tmp_path / "demand.csv"
    trace.write_text("time_s,demand\n0,1\n30,6\n200,6\n400,1\n900,1\n", encoding="utf-8")
    for policy, params in (("kubernetes_hpa", {"target_utilization_pct": 50}),
                           ("aws_target_tracking", {"target_utilization_pct": 50}),
                           ("keda", {"threshold": 1}),
                           ("step_scaling", {})):
        args = ["autoscale", policy, "--trace", trace, "--replicas", "2", "--ready-after", "30"]
        for name, value in params.items():
            args += ["--param", f"{name}={value}"]
        proc = cli(*args)
        assert proc.returncode == 0, proc.stderr
        from_cli = pd.read_csv(io.StringIO(proc.stdout))
        from_python = wsfleet.autoscale(policy, trace, params, replicas=2, ready_after_s=30)
        assert from_python.astype(float).equals(from_cli.astype(float)), policy
        assert from_python["replicas"].max() > 2, policy  # it scaled out


@pytest.mark.parametrize("policy,params", [("retry_budget", {"base_s": 0.5, "cap_s": 5.0}),
                                           ("circuit_breaker", {"failures": 2, "open_s": 5.0}),
                                           ("aws_standard", {})])
def test_retry_protections_python_and_cli_draw_the_same_delays(policy: str, params: Dict[str, float]) -> None:
    args = ["backoff", policy, "--attempt", "1", "--samples", "50", "--seed", "9", "--after", "failure"]
    for name, value in params.items():
        args += ["--param", f"{name}={value}"]
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    from_cli = np.array([float(x) for x in proc.stdout.split()])
    from_python = wsfleet.BackoffPolicy(policy, params).sample_ms(1, 50, seed=9, after="failure")
    np.testing.assert_array_equal(from_cli, from_python)


@pytest.mark.parametrize("trigger,param", [("crash", {}), ("slow_server", {"factor": 8.0})])
def test_storm_map_from_toml_python_and_the_cli(trigger: str, param: Dict[str, float], tmp_path: Path) -> None:
    doc = merged({"fleet": {"admission": {"reject_above_backlog_ms": 200.0}}})
    storm = {"sizes": [0.25, 0.5], "durations": [2.0, 8.0], "at_s": 10.0, "horizon_s": 20.0, "threshold": 0.95,
             "tail_s": 5.0, "trigger": trigger, **param}
    # TOML: the triggers in the scenario's [storm] table.
    with_table = tmp_path / "storm.toml"
    with_table.write_text(tomli_w.dumps({**doc, "storm": storm}), encoding="utf-8")
    from_toml = wsfleet.storm_map(with_table).frame
    # Python: the triggers as arguments, the base scenario and an override.
    plain = tmp_path / "plain.toml"
    base = copy.deepcopy(doc)
    base["clients"]["count"] = 100
    plain.write_text(tomli_w.dumps(base), encoding="utf-8")
    from_python = wsfleet.storm_map(plain, storm["sizes"], storm["durations"], at_s=10.0, horizon_s=20.0,
                                    threshold=0.95, tail_s=5.0, trigger=trigger, overrides={"clients.count": 400},
                                    **param).frame
    pd.testing.assert_frame_equal(from_python, from_toml)
    # The command line: the same arguments, the override as --set.
    options = [f"--{name}={value}" for name, value in param.items()]
    proc = cli("storm-map", plain, "--sizes", "0.25,0.5", "--durations", "2,8", "--at", "10", "--horizon", "20",
               "--threshold", "0.95", "--tail", "5", "--trigger", trigger, *options, "--set", "clients.count=400",
               "--out", tmp_path / "cli", timeout=300)
    assert proc.returncode == 0, proc.stderr
    from_cli = pd.read_csv(tmp_path / "cli" / "storm_map.csv")
    pd.testing.assert_frame_equal(from_cli, from_toml, check_dtype=False)
    assert len(from_toml) == 4


def test_the_retry_after_preset_flag_is_the_same_in_python_and_the_listing() -> None:
    listing = json.loads(cli("list", "--json").stdout)
    presets = {p["name"]: p["honours_retry_after"] for p in listing["backoff_client_presets"]}
    assert presets == {p["name"]: p["honours_retry_after"] for p in wsfleet.backoff_client_presets()}
    assert presets["aws_standard"] and not presets["socketio"]


def test_the_scenario_writer_keeps_every_part(tmp_path: Path) -> None:
    """A run's saved scenario.toml runs again to the same numbers (the writer drops no key of a part)."""
    tables = merged({**PARTS["deploy canary"], **PARTS["retry-after"], "faults": PARTS["gray slow_server"]["faults"]})
    first = wsfleet.run(tables, progress=False)
    first.save(tmp_path / "first")
    again = tomllib.loads((tmp_path / "first" / "scenario.toml").read_text(encoding="utf-8"))
    assert stable(wsfleet.run(again, progress=False).summary) == stable(first.summary)
