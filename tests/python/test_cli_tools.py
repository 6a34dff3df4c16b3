"""`wsfleet init` (a commented starter scenario that validates and runs) and `wsfleet compare`
(runs side by side: a table whose figures are the runs' own, and overlaid plots)."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

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
