"""Helpers shared by the engine tests (test_cli, test_api, test_errors, test_determinism, ...):
small scenarios written by the tests themselves, and running the installed `wsfleet` executable.

Scenarios here are deliberately small (a few thousand clients, a minute of simulated time) so that
the whole suite stays fast on a busy two-core machine.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A crash with a reconnect storm that overflows the survivors: rejections (the three survivors hold
# 3 x 600 = 1,800 of 2,000 clients), handshake timeouts (the storm queues 10 ms handshakes behind a
# 0.5 s timeout) and a recovery 15 s later. Every counter of the conservation check is exercised.
STORM_TOML = """\
[scenario]
name = "storm"
description = "4 servers, 2,000 clients, server 1 crashes at 30 s and returns 15 s later"

[run]
duration_s = 60.0
sample_interval_s = 1.0
seed = 11

[fleet]
servers = 4
max_connections = 600
cpu_cores = 1

[fleet.cpu]
handshake_us = 10000.0
inbound_message_us = 50.0

[clients]
count = 2000
ramp_s = 20.0
messages_per_minute = 6.0
heartbeat_interval_s = 5.0
connect_timeout_s = 0.5

[balancer]
policy = "least_connections"

[backoff]
policy = "full_jitter"
base_s = 0.5
cap_s = 8.0

[[faults]]
type = "crash"
server = 1
at_s = 30.0
recover_after_s = 15.0
"""

# A calm scenario, as a dict (the form wsfleet.run accepts besides a path and TOML text).
SMALL_DICT: Dict[str, Any] = {
    "scenario": {"name": "small", "description": "3 servers, 1,500 clients, one crash"},
    "run": {"duration_s": 40.0, "sample_interval_s": 2.0, "seed": 3},
    "fleet": {"servers": 3, "max_connections": 2000},
    "clients": {"count": 1500, "ramp_s": 5.0, "messages_per_minute": 6.0,
                "session": {"distribution": "exponential", "mean_s": 30.0},
                "on_session_end": "reconnect"},
    "balancer": {"policy": "round_robin"},
    "backoff": {"policy": "full_jitter", "base_s": 0.5, "cap_s": 5.0},
    "faults": [{"type": "crash", "server": 2, "at_s": 20.0}],
}

# Fields of summary.json that differ between two identical runs (host timing).
VOLATILE_FIELDS = ("wall_seconds", "events_per_second")

TRACEBACK_MARKERS = ("Traceback (most recent call last)", "terminate called", "Segmentation fault",
                     "core dumped", "Aborted", "std::", "what():")


def wsfleet_exe() -> str:
    """The installed `wsfleet` executable: next to this interpreter (the venv's bin/), else on PATH."""
    candidate = Path(sys.executable).parent / "wsfleet"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("wsfleet")
    if found:
        return found
    pytest.skip("the wsfleet executable is not installed (run `make build`)")
    raise AssertionError("unreachable")


def cli(*args: Any, cwd: Optional[Path] = None, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Runs `wsfleet ARGS...` and returns the completed process (text output, never raises on status)."""
    env = dict(os.environ)
    # `--report` starts this interpreter, where the wsfleet package is installed.
    env.setdefault("WSFLEET_PYTHON", sys.executable)
    env.setdefault("MPLBACKEND", "Agg")
    return subprocess.run([wsfleet_exe(), *[str(a) for a in args]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_clean_failure(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    """The process exited with `status`, said why on stderr, and did not crash. Returns stderr."""
    assert proc.returncode == status, (
        f"exit status {proc.returncode}, expected {status}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    assert proc.stderr.strip(), "no message on stderr"
    for marker in TRACEBACK_MARKERS:
        assert marker not in proc.stderr, f"{marker!r} in stderr:\n{proc.stderr}"
        assert marker not in proc.stdout, f"{marker!r} in stdout:\n{proc.stdout}"
    return proc.stderr


def located(stderr: str, file: str) -> re.Match:
    """The 'FILE:LINE:COL: message' line of stderr about `file`; fails if there is none."""
    match = re.search(rf"^{re.escape(str(file))}:(\d+):(\d+): (.+)$", stderr, re.MULTILINE)
    assert match, f"no '{file}:LINE:COL: message' in stderr:\n{stderr}"
    return match


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the scenario text")


def write_scenario(directory: Path, text: str = STORM_TOML, name: str = "scenario.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def stable(summary: Dict[str, Any]) -> Dict[str, Any]:
    """The summary without the fields that depend on host timing."""
    return {k: v for k, v in summary.items() if k not in VOLATILE_FIELDS}


def read_summary(directory: Path) -> Dict[str, Any]:
    return json.loads((directory / "summary.json").read_text(encoding="utf-8"))


def numbers(text: str) -> List[float]:
    """Every non-empty line of `text` as a number."""
    return [float(line) for line in text.split() if line.strip()]


def integers(text: str) -> List[int]:
    return [int(line) for line in text.split() if line.strip()]


def with_lines(text: str, replacements: Iterable[Sequence[str]]) -> str:
    """`text` with each (old, new) replaced exactly once (fails if `old` is not in it)."""
    for old, new in replacements:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


#: A sweep's spec as study.json declares it (wsfleet.study_schema), for tests that open a ResultStore
#: directly: the store checks what it writes against the declaration.
SWEEP_SPEC = {"scenario_sha256": "0" * 64, "source": "<string>", "overrides": [], "axes": [], "method": "grid",
              "samples": None, "replications": 1, "seed": 1, "common_random_numbers": True}
