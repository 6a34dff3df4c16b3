"""Hostile and extreme input (issue 16): deep nesting, atomic run directories, engine crashes.
Every bad input ends in one clear message and exit status 2 (1 for I/O), never a crash."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import wsfleet
from wsfleet_testing import ROOT, STORM_TOML, assert_clean_failure, cli, read_summary, write_scenario

DEEP_KEY = ".".join(["a"] * 50_000)  # ~100 KB of dotted key


@pytest.mark.parametrize("text, line, column", [
    (f"[run]\nseed = 1\n[{DEEP_KEY}]\n", 3, 65),
    (f"{DEEP_KEY} = 1\n", 1, 64),
    ("x = " + "{a = " * 300 + "1" + "}" * 300 + "\n", 1, 161),
])
def test_deep_nesting_is_refused_with_a_position(tmp_path: Path, text: str, line: int, column: int) -> None:
    path = write_scenario(tmp_path, text, "deep.toml")
    stderr = assert_clean_failure(cli("check", path))
    assert stderr == f"{path}:{line}:{column}: nested more than 32 levels deep (table headers, dotted keys, " \
                     "arrays and inline tables together; a valid scenario needs far fewer)\n"
    # The same through Python, from text: an exception, not a dead interpreter.
    with pytest.raises(wsfleet.ScenarioError, match=f":{line}:{column}: nested more than 32 levels"):
        wsfleet.check(text)


def test_deep_set_keys_are_refused_at_once(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    proc = cli("check", path, "--set", DEEP_KEY + "=1", timeout=20)
    stderr = assert_clean_failure(proc)
    assert "the key is longer than 256 characters" in stderr and len(stderr) < 200
    with pytest.raises(wsfleet.ScenarioError, match="the key is longer than 256 characters"):
        wsfleet.check(path, overrides={".".join(["a"] * 200_000): 1})


def test_run_out_replaces_a_run_directory_whole_and_refuses_other_directories(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    out = tmp_path / "out"
    assert cli("run", scenario, "--out", out, "-q", "--seed", "1").returncode == 0
    (out / "report.html").write_text("a report of seed 1")
    assert cli("run", scenario, "--out", out, "-q", "--seed", "2").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["scenario.toml", "summary.json", "timeseries.csv"]
    assert read_summary(out)["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "scenario.toml"]  # nothing left beside it
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("keep")
    proc = cli("run", scenario, "--out", mine, "-q")
    stderr = assert_clean_failure(proc, status=1)
    assert f"{mine}: holds 'notes.md', which is not a run's output: refusing to replace it" in stderr
    assert "conservation" not in proc.stdout  # refused before running
    assert (mine / "notes.md").read_text() == "keep"


def test_memory_kill_during_resume_with_long_polling_does_not_crash(tmp_path: Path) -> None:
    """Issue 16 item 1: this valid scenario ended in SIGSEGV, and took a Python interpreter with it."""
    text = (ROOT / "experiments" / "scenarios" / "live_scores.toml").read_text(encoding="utf-8")
    path = write_scenario(tmp_path, text, "live.toml")
    sets = ["clients.count=1200", "fleet.servers=6", "run.duration_s=120", "faults.0.at_s=40",
            "transport.long_polling_share=0.5", "pubsub.buffer.preset=ws", "fleet.memory_limit_mib=262",
            "pubsub.resume.cache_messages=0"]
    proc = cli("run", path, "-q", *[a for s in sets for a in ("--set", s)], timeout=300)
    assert proc.returncode == 0, proc.stderr
    overrides = {"clients.count": 1200, "fleet.servers": 6, "run.duration_s": 120, "faults.0.at_s": 40,
                 "transport.long_polling_share": 0.5, "pubsub.buffer.preset": "ws", "fleet.memory_limit_mib": 262,
                 "pubsub.resume.cache_messages": 0}
    code = f"import wsfleet, sys; print(wsfleet.run(sys.argv[1], overrides={overrides!r}).summary['pubsub']['slow_consumers']['memory_crashes'])"
    py = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
    assert py.returncode == 0, py.stderr
    assert int(py.stdout) > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": 1.7}, "seed must be a whole number (got 1.7)"),
    ({"replication": 1.5}, "replication must be a whole number (got 1.5)"),
    ({"seed": "3"}, "seed must be a whole number (got '3')"),
])
def test_fractional_seed_or_replication_is_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    """int(1.7) used to run seed 1 silently."""
    with pytest.raises(ValueError, match=re.escape(message)):
        wsfleet.run(write_scenario(tmp_path), **kwargs)


def test_numpy_numbers_in_overrides_are_numbers(tmp_path: Path) -> None:
    """np.float64(0.5) used to reach the loader as the text 'np.float64(0.5)'."""
    np = pytest.importorskip("numpy")
    text = wsfleet.check(write_scenario(tmp_path), overrides={"clients.count": np.int64(123),
                                                             "clients.ramp_s": np.float64(2.5),
                                                             "fleet.weights": [np.float32(1.0), 2, 3, 4]})
    assert "count = 123" in text and "ramp_s = 2.5" in text and "weights = [1.0, 2.0, 3.0, 4.0]" in text
    assert wsfleet.run(write_scenario(tmp_path), seed=np.int64(5), replication=2.0).summary["seed"] == 5
