"""Same scenario and seed, same result, bit for bit: between two CLI runs, between the CLI and Python,
and after reloading the effective scenario.toml a run wrote. And the conservation law of connection
attempts holds in summary.json, on scenarios built to stress it."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest

import wsfleet
from wsfleet_testing import cli, read_summary, stable, write_scenario

FILES = ("summary.json", "timeseries.csv", "scenario.toml")


def cli_run(scenario: Path, out: Path, *args: Any) -> Dict:
    proc = cli("run", scenario, "--out", out, "-q", *args)
    assert proc.returncode == 0, proc.stderr
    return read_summary(out)


def assert_same_directory(a: Path, b: Path) -> None:
    assert stable(read_summary(a)) == stable(read_summary(b))
    for name in ("timeseries.csv", "scenario.toml"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    base = tmp_path_factory.mktemp("determinism")
    scenario = write_scenario(base)
    out = base / "first"
    cli_run(scenario, out)
    return {"scenario": scenario, "out": out, "base": base}


def test_two_cli_runs_are_identical(first_run: Dict[str, Path], tmp_path: Path) -> None:
    cli_run(first_run["scenario"], tmp_path / "second")
    assert_same_directory(first_run["out"], tmp_path / "second")
    # Only host timing may differ; everything else is there and equal.
    a, b = read_summary(first_run["out"]), read_summary(tmp_path / "second")
    assert set(a) == set(b)
    assert a.keys() - stable(a).keys() == {"wall_seconds", "events_per_second"}


def test_cli_and_python_are_identical(first_run: Dict[str, Path], tmp_path: Path) -> None:
    result = wsfleet.run(first_run["scenario"])
    result.save(tmp_path / "py")
    assert_same_directory(first_run["out"], tmp_path / "py")
    assert stable(result.summary) == stable(read_summary(first_run["out"]))


def test_cli_seed_and_python_seed_are_identical(first_run: Dict[str, Path], tmp_path: Path) -> None:
    cli_run(first_run["scenario"], tmp_path / "cli", "--seed", "77")
    wsfleet.run(first_run["scenario"], seed=77).save(tmp_path / "py")
    assert_same_directory(tmp_path / "cli", tmp_path / "py")
    # --set run.seed=77 is the same as --seed 77.
    cli_run(first_run["scenario"], tmp_path / "set", "--set", "run.seed=77")
    assert_same_directory(tmp_path / "cli", tmp_path / "set")


def test_different_seeds_differ(first_run: Dict[str, Path], tmp_path: Path) -> None:
    base = read_summary(first_run["out"])
    seen: List[bytes] = [(first_run["out"] / "timeseries.csv").read_bytes()]
    for seed in (1, 2, 3):
        summary = cli_run(first_run["scenario"], tmp_path / str(seed), "--seed", str(seed))
        assert summary["seed"] == seed
        assert stable(summary) != stable(base)
        series = (tmp_path / str(seed) / "timeseries.csv").read_bytes()
        assert series not in seen
        seen.append(series)


def test_replications_differ_and_repeat(first_run: Dict[str, Path]) -> None:
    r0 = wsfleet.run(first_run["scenario"], replication=0)
    r1 = wsfleet.run(first_run["scenario"], replication=1)
    r1_again = wsfleet.run(first_run["scenario"], replication=1)
    assert stable(r0.summary) != stable(r1.summary)
    assert stable(r1.summary) == stable(r1_again.summary)
    assert r1.fleet.equals(r1_again.fleet) and r1.servers.equals(r1_again.servers)


def test_effective_scenario_reloads_to_the_same_run(first_run: Dict[str, Path], tmp_path: Path) -> None:
    """scenario.toml, written next to the results, repeats the run exactly: from the CLI, from Python,
    and again from the scenario.toml that the repeat writes (a fixed point)."""
    effective = first_run["out"] / "scenario.toml"
    cli_run(effective, tmp_path / "again")
    assert_same_directory(first_run["out"], tmp_path / "again")
    cli_run(tmp_path / "again" / "scenario.toml", tmp_path / "third")
    assert_same_directory(first_run["out"], tmp_path / "third")
    from_text = wsfleet.run(effective.read_text(encoding="utf-8"))
    assert stable(from_text.summary) == stable(read_summary(first_run["out"]))
    assert from_text.scenario_toml == effective.read_text(encoding="utf-8")


def test_effective_scenario_of_overrides_reloads(first_run: Dict[str, Path], tmp_path: Path) -> None:
    """The effective scenario records --set and --seed, so reloading it needs neither."""
    args = ["--seed", "5", "--set", "balancer.policy=random_two_choices", "--set", "balancer.choices=3",
            "--set", 'clients.session={distribution = "lognormal", mean_s = 20.0, stddev_s = 7.5}',
            "--set", "clients.on_session_end=reconnect", "--set", "fleet.weights=[1, 2, 1.5, 0.25]",
            "--set", "backoff.policy=decorrelated_jitter"]
    cli_run(first_run["scenario"], tmp_path / "orig", *args)
    cli_run(tmp_path / "orig" / "scenario.toml", tmp_path / "reloaded")
    assert_same_directory(tmp_path / "orig", tmp_path / "reloaded")


SCENARIO_VARIANTS = {
    "random balancer, equal jitter": ["balancer.policy=random", "backoff.policy=equal_jitter"],
    "two choices, decorrelated jitter": ["balancer.policy=random_two_choices", "backoff.policy=decorrelated_jitter"],
    "round robin, exponential": ["balancer.policy=round_robin", "backoff.policy=exponential"],
    "pareto sessions": ['clients.session={distribution = "pareto", scale_s = 5.0, shape = 1.5}',
                                         "clients.on_session_end=reconnect"],
}


@pytest.mark.parametrize("overrides", SCENARIO_VARIANTS.values(), ids=SCENARIO_VARIANTS.keys())
def test_every_random_policy_is_reproducible(first_run: Dict[str, Path], overrides: List[str]) -> None:
    a = wsfleet.run(first_run["scenario"], overrides=overrides, seed=3)
    b = wsfleet.run(first_run["scenario"], overrides=overrides, seed=3)
    c = wsfleet.run(first_run["scenario"], overrides=overrides, seed=4)
    assert stable(a.summary) == stable(b.summary)
    assert a.fleet.equals(b.fleet) and a.servers.equals(b.servers)
    assert stable(a.summary) != stable(c.summary)


# ------------------------------------------------------------------------------------------------
# Conservation

STORMS = {
    "crash and storm": [],
    "run ends mid-storm": ["run.duration_s=30.6", "run.sample_interval_s=0.2", 'balancer.health_check.mode="instant"'],
    "clients give up": ["backoff.max_retries=2"],
    "sessions end and reconnect": ['clients.session={distribution = "exponential", mean_s = 20.0}',
                                   "clients.on_session_end=reconnect"],
    "overlapping crashes": ['faults.1={type = "crash", server = 2, at_s = 35.0}',
                            'faults.2={type = "crash", server = 1, at_s = 32.0, recover_after_s = 5.0}'],
    "whole fleet down": ['faults.1={type = "crash", server = 0, at_s = 31.0}',
                         'faults.2={type = "crash", server = 2, at_s = 31.0}',
                         'faults.3={type = "crash", server = 3, at_s = 31.0}'],
    "hasty retries": ["backoff.policy=equal_jitter", "backoff.base_s=0.01", "backoff.cap_s=0.1"],
}


@pytest.mark.parametrize("overrides", STORMS.values(), ids=STORMS.keys())
def test_conservation_holds_in_summary_json(first_run: Dict[str, Path], tmp_path: Path, overrides: List[str]) -> None:
    args = [a for o in overrides for a in ("--set", o)]
    s = cli_run(first_run["scenario"], tmp_path, *args)
    c = s["connections"]
    assert c["attempted"] == c["established"] + c["rejected"] + c["failed"] + c["pending_at_end"]
    assert c["established"] == c["active_at_end"] + c["closed"]
    assert c["dropped"] <= c["closed"]
    assert sum(c["rejected_by"].values()) == c["rejected"]
    assert sum(c["failed_by"].values()) == c["failed"]
    assert c["closed"] == c["ended"] + c["dropped"] + c["drained"]
    assert c["retries"] <= c["attempted"]
    for kind in ("messages", "heartbeats"):
        m = s[kind]
        assert m["sent"] == m["delivered"] + m["dropped"] + m["in_flight_at_end"], kind
    assert s["conservation"]["ok"] is True
    checks = s["conservation"]["checks"]
    assert checks["attempts"]["equation"] == "attempted = established + rejected + failed + pending_at_end"
    assert checks["attempts"]["values"] == (f"{c['attempted']} = {c['established']} + {c['rejected']} + "
                                            f"{c['failed']} + {c['pending_at_end']}")
    assert checks["connections"]["equation"] == "established = active_at_end + closed"
    assert all(check["ok"] for check in checks.values())
    assert sum(f["connections_dropped"] for f in s["faults"]) == c["dropped"]
    # The storm really happened.
    assert c["dropped"] > 0 and c["retries"] > 0


def test_conservation_stress_cases_are_stressful(first_run: Dict[str, Path]) -> None:
    """The variants above reach the terms of the equations that a calm run leaves at zero."""
    def summary(name: str) -> Dict:
        return wsfleet.run(first_run["scenario"], overrides=STORMS[name]).summary["connections"]
    assert summary("crash and storm")["rejected"] > 0
    assert summary("crash and storm")["failed"] > 0
    assert summary("run ends mid-storm")["pending_at_end"] > 0
    assert summary("clients give up")["gave_up"] > 0
    assert summary("whole fleet down")["rejected_by"]["no_backend"] > 0
    assert summary("sessions end and reconnect")["closed"] > summary("sessions end and reconnect")["dropped"]
