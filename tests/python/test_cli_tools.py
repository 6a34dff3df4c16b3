"""`wsfleet init` (a commented starter scenario that validates and runs) and `wsfleet compare`
(runs side by side: a table whose figures are the runs' own, and overlaid plots)."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import wsfleet
from wsfleet_testing import assert_clean_failure, cli


def test_init_writes_a_commented_scenario_that_runs(tmp_path: Path) -> None:
    path = tmp_path / "first.toml"
    proc = cli("init", path)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text(encoding="utf-8")
    assert text.count("#") > 20  # commented
    assert cli("check", path).returncode == 0
    again = assert_clean_failure(cli("init", path))
    assert "already exists (pass --force to overwrite it)" in again
    assert cli("init", path, "--force").returncode == 0


def test_compare_puts_runs_side_by_side(tmp_path: Path) -> None:
    scenario = tmp_path / "first.toml"
    assert cli("init", scenario).returncode == 0
    a, b = tmp_path / "lc", tmp_path / "rr"
    assert cli("run", scenario, "--out", a, "-q").returncode == 0
    assert cli("run", scenario, "--out", b, "--set", "fleet.servers=2", "-q").returncode == 0
    out = tmp_path / "cmp.html"
    proc = cli("compare", a, b, "--out", out, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = html.unescape(re.sub(r"<[^>]+>", " ", out.read_text(encoding="utf-8")))
    for run in (a, b):
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        assert f"{summary['connections']['peak']:,}" in page
    assert len(re.findall(r"data:image/png;base64,", out.read_text(encoding="utf-8"))) == 3
    assert "compare needs two or more run directories" in assert_clean_failure(cli("compare", a, "--out", out))


def test_json_on_run_check_and_plan(tmp_path: Path) -> None:
    scenario = tmp_path / "first.toml"
    assert cli("init", scenario).returncode == 0
    run = cli("run", scenario, "--json", "--out", tmp_path / "r", "--set", "clients.count=2000")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["summary"] == json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert answer["verdict"] == wsfleet.load(tmp_path / "r").verdict().document()
    ok = json.loads(cli("check", scenario, "--json").stdout)
    assert ok["ok"] is True and ok["servers"] == 4 and ok["clients"] == 20000
    bad = cli("check", scenario, "--json", "--set", "clients.count=-1")
    assert bad.returncode == 2
    error = json.loads(bad.stdout)
    assert error["ok"] is False and error["key"] == "clients.count" and error["message"]
    plan = cli("plan", scenario, "--out", tmp_path / "p", "--slo", "rejected_pct=1", "--replications", "2",
               "--workers", "0", "-q", "--json", "--set", "clients.count=2000", "--set", "run.duration_s=200",
               timeout=600)
    assert plan.returncode == 0, plan.stderr
    answer = json.loads(plan.stdout)
    assert answer["variable"] == "fleet.servers" and answer["recommended"] >= 1
