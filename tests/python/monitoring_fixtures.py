"""What the monitoring tests share (test_monitoring.py, test_monitoring_series.py): promtool, the
export's start time, the two runs they read (a small crash and a quiet run) and the writer of the
synthetic run directories whose burn rates they compute by hand."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest

from wsfleet_testing import STORM_TOML, cli, write_scenario

__all__ = ["PROMTOOL", "RULES_DOWN", "needs_promtool", "START", "START_MS", "QUIET_TOML", "promtool_major", "storm_run", "quiet_run",
           "write_synthetic_run"]

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package prometheus; "
                                                            "scripts/bootstrap installs it)")
START = "2026-01-01T00:00:00Z"
START_MS = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)

QUIET_TOML = STORM_TOML.split("[[faults]]")[0].replace('name = "storm"', 'name = "quiet"')


def promtool_major() -> int:
    out = subprocess.run([PROMTOOL, "--version"], capture_output=True, text=True).stdout + ""
    match = re.search(r"version (\d+)\.", out)
    return int(match.group(1)) if match else 2


def _run_of(tmp_path_factory, name: str, toml: str) -> Path:
    base = tmp_path_factory.mktemp(name)
    proc = cli("run", write_scenario(base, toml), "--out", base / "run")
    assert proc.returncode == 0, proc.stderr
    return base / "run"


@pytest.fixture(scope="module")
def storm_run(tmp_path_factory) -> Path:
    """The small crash scenario of the engine tests: server 1 crashes at 30 s, back at 45 s."""
    return _run_of(tmp_path_factory, "storm", STORM_TOML)


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory) -> Path:
    return _run_of(tmp_path_factory, "quiet", QUIET_TOML)


def write_synthetic_run(directory: Path, rows: List[str], fault: Dict[str, Any]) -> Path:
    """A run directory of 300 s sampled every second, 1,000 clients, one server of 5,000 connections
    and one fault: timeseries.csv from `rows` (its header first), summary.json and scenario.toml."""
    directory.mkdir(parents=True)
    (directory / "timeseries.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    summary = {"simulated_seconds": 300.0, "seed": 1, "replication": 0, "clients": {"count": 1000},
               "fleet": {"server_class": ["default"], "classes": [{"name": "default", "max_connections": 5000}]},
               "faults": [fault]}
    (directory / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (directory / "scenario.toml").write_text("[run]\nduration_s = 300.0\nsample_interval_s = 1.0\nseed = 1\n",
                                             encoding="utf-8")
    return directory


# A user's rules file: a server that was up and is down now pages after 5 s (the alert tests).
RULES_DOWN = """\
groups:
  - name: mine
    rules:
      - alert: ServerGone
        expr: wsfleet_server_up == 0 and max_over_time(wsfleet_server_up[1m]) == 1
        for: 5s
        labels:
          severity: page
"""
