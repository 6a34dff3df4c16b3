"""`wsfleet run SCENARIO --json` prints one object: {"summary": summary.json, "verdict": the report's
verdict}. The compiled command hands --json to the Python package (wsfleet._run_cli), where the
verdict is computed (wsfleet._limits), as it hands --precision; the run is the same loader and engine.

The scenario: 400 clients over 4 servers of 80 connections (320 places): the per-server connection
limit binds at 80 of 80 connections and refuses the overflow as server full."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

wsfleet = pytest.importorskip("wsfleet")
from test_point_verdicts import SCENARIO  # noqa: E402
from wsfleet_testing import assert_clean_failure, cli  # noqa: E402


def test_run_json_carries_the_verdict(tmp_path: Path) -> None:
    scenario = tmp_path / "full.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    proc = cli("run", scenario, "--json", "--set", "fleet.max_connections=80", "--out", tmp_path / "r", "--report")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)  # the one object, nothing else on stdout (--out and --report: stderr)
    assert set(answer) == {"summary", "verdict"}
    summary = answer["summary"]
    assert summary == json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert (tmp_path / "r" / "report.html").is_file()
    refused = summary["connections"]["rejected_by"]["server_full"]
    assert refused > 0 and summary["connections"]["peak_per_server"] == 80
    v = answer["verdict"]
    assert (v["status"], v["words"], v["limit"]) == ("fail", "NOT ENOUGH CAPACITY", "connections")
    assert v["limit_name"] == "per-server connection limit" and v["figure"].startswith("80 of 80 connections")
    assert f"{refused:,} connection attempts refused because the server was full" in v["text"]
    # The same document as the Python API's, and the same run: the engine is deterministic.
    assert v == wsfleet.load(tmp_path / "r").verdict().document()
    again = wsfleet.run(scenario, overrides={"fleet.max_connections": 80})
    assert again.summary["connections"] == summary["connections"]
    # Ample room: ENOUGH CAPACITY, the closest limit named (about 100 of 1,000 connections a server).
    roomy = json.loads(cli("run", scenario, "--json", "-q").stdout)["verdict"]
    assert (roomy["status"], roomy["limit"]) == ("ok", "connections"), roomy


def test_run_json_with_bad_input_says_where(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    proc = cli("run", scenario, "--json", "--set", "clients.count=-1")
    stderr = assert_clean_failure(proc, 2)
    assert "clients.count" in stderr and proc.stdout == ""
