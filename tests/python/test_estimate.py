"""The event estimate `wsfleet check` prints and `run` enforces (experiments/resource_estimate.cpp),
against the events every bundled scenario really processes at a small size, and the refusal of a
run that would take hours, with its override."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from wsfleet_testing import wsfleet_exe

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "experiments" / "scenarios").glob("*.toml")) + [ROOT / "experiments" / "bench" / "million.toml"]
SMALL = ["--set", "clients.count=2000"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([wsfleet_exe(), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_the_estimate_is_within_a_factor_of_two_of_the_events_run(scenario: Path) -> None:
    extra = ["--set", "fleet.servers=20", "--set", "faults.0.server=7"] if scenario.stem == "million" else []
    check = cli("check", str(scenario), *SMALL, *extra, "--json")
    assert check.returncode == 0, check.stderr
    estimate = json.loads(check.stdout)
    run = cli("run", str(scenario), *SMALL, *extra, "--json", "--quiet")
    assert run.returncode == 0, run.stderr
    events = json.loads(run.stdout)["summary"]["events_processed"]
    ratio = estimate["estimated_events"] / events
    print(f"{scenario.stem}: estimated {estimate['estimated_events']:.0f}, processed {events}, ratio {ratio:.2f}")
    assert 0.5 <= ratio <= 2.0, (estimate, events)
    assert estimate["estimated_seconds"] > 0 and estimate["estimated_memory_bytes"] > 0


def test_check_prints_the_estimate_and_run_refuses_an_absurd_one(tmp_path: Path) -> None:
    default = str(ROOT / "experiments" / "scenarios" / "default.toml")
    check = cli("check", default)
    assert check.returncode == 0, check.stderr
    lines = check.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("  estimate: about ") and " events" in lines[1]
    assert "of computing, about " in lines[1] and lines[1].endswith(" of memory")
    # 116 days of simulated time for 100k clients: refused by check and run alike, before anything runs.
    args = ["--set", "run.duration_s=1e7", "--set", "run.sample_interval_s=100"]
    for command in ("check", "run"):
        proc = cli(command, default, *args, *(["--out", str(tmp_path / "out")] if command == "run" else []))
        assert proc.returncode == 2, proc.stderr
        message = proc.stderr.strip()
        assert "\n" not in message
        assert message.startswith("--set run.duration_s=1e7") or message.startswith(default), message
        assert "more than run.max_events = 10 G" in message and "raise run.max_events if you mean to run it" in message
    assert not (tmp_path / "out").exists()
    # run.max_events is the explicit override: check then accepts it.
    assert cli("check", default, *args, "--set", "run.max_events=1e13").returncode == 0
