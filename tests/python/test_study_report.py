"""`wsfleet report` on sweep and plan directories: the recommendation in words, the margin, the
figures embedded, and the run report still working on a run directory."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import wsfleet
from test_plan import ERLANG
from test_sweep import TINY
from wsfleet_testing import cli


def _text(html: str) -> str:
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def _images(html: str) -> int:
    return len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', html))


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "plan"
    wsfleet.plan(TINY, {"rejected_pct": 5.0, "recovery_s": 20.0}, lose_servers=1, spare=1, replications=2,
                 candidates={"balancer.policy": ["round_robin", "least_connections"]}, out=out, workers=0)
    return out


def test_plan_report_states_the_recommendation_and_embeds_figures(plan_dir: Path) -> None:
    result_json = (plan_dir / "plan.json").read_text()
    proc = cli("report", plan_dir)
    assert proc.returncode == 0, proc.stderr
    html = (plan_dir / "report.html").read_text(encoding="utf-8")
    text = _text(html)
    import json

    plan = json.loads(result_json)
    assert f"Recommendation: fleet.servers = {plan['recommended']}" in text
    assert f"(the minimum {plan['minimum']} that meets every objective, plus 1 spare)" in text
    assert "What is the smallest fleet.servers that meets every objective" in text
    assert "after losing 1 server" in text and "monotone" in text and "upper confidence bound" in text
    assert "Margin at the minimum" in text and "Headroom" in text
    assert "Per-candidate comparison" in text and "balancer.policy = least_connections" in text
    assert "Sensitivity" in text
    # One figure per objective, and the storm timeline of the recommended fleet (two figures).
    assert _images(html) == 2 + 2
    assert "http://" not in html.replace("http://www.w3.org", "") and "<script" not in html


def test_sweep_report(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    wsfleet.sweep(TINY, {"fleet.servers": [3, 4, 5], "balancer.policy": ["round_robin", "least_connections"]},
                  replications=2, out=out, workers=0)
    path = wsfleet.report(out)
    html = Path(path).read_text(encoding="utf-8")
    text = _text(html)
    assert "Sweep report: tiny" in text
    assert "every combination of fleet.servers: 3, 4, 5; balancer.policy: round_robin, least_connections" in text
    assert "6 points × 2 replications" in text and "Results per point" in text and "Sensitivity" in text
    assert _images(html) >= 3  # rejected %, p99 latency, recovery ... against fleet.servers, one line per policy


def test_plan_report_of_the_erlang_case_without_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    wsfleet.plan(ERLANG, {"rejected_pct": 1.0}, variable="fleet.max_connections", replications=3, out=out, workers=0)
    text = _text(Path(wsfleet.report(out)).read_text(encoding="utf-8"))
    assert "Recommendation: fleet.max_connections = 8" in text
    assert "One less (7)" in text and "fails:" in text
