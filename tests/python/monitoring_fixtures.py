"""What the monitoring tests share (test_monitoring.py, test_monitoring_series.py): promtool, the
export's start time, and the two runs they read (a small crash and a quiet run)."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from wsfleet_testing import STORM_TOML, cli, write_scenario

__all__ = ["PROMTOOL", "RULES_DOWN", "needs_promtool", "START", "START_MS", "QUIET_TOML", "promtool_major", "storm_run", "quiet_run"]

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


@pytest.fixture(scope="module")
def storm_run(tmp_path_factory) -> Path:
    """The small crash scenario of the engine tests: server 1 crashes at 30 s, back at 45 s."""
    base = tmp_path_factory.mktemp("storm")
    scenario = write_scenario(base, STORM_TOML)
    proc = cli("run", scenario, "--out", base / "run")
    assert proc.returncode == 0, proc.stderr
    return base / "run"


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("quiet")
    scenario = write_scenario(base, QUIET_TOML)
    proc = cli("run", scenario, "--out", base / "run")
    assert proc.returncode == 0, proc.stderr
    return base / "run"


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
