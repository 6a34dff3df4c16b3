"""The rendered reports say what their numbers say: real runs of the shipped scenarios (scaled down
with overrides), a port-bound run, a sweep over a categorical axis and a plan; each test reads the
HTML a planner would read and checks its sentences against summary.json and the study's results."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any, Dict

import pytest

import wsfleet
from wsfleet.report import write_report

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "experiments" / "scenarios"


def _text(fragment: str) -> str:
    """The visible text of an HTML fragment (tags dropped, entities decoded, spaces collapsed)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _section(document: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', document, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def _verdict(document: str) -> str:
    match = re.search(r'<div class="verdict[^"]*">(.*?)</div>', document, re.S)
    assert match, "no verdict"
    return _text(match.group(1))


def _run_report(tmp_path: Path, scenario: Path, overrides: Dict[str, Any]) -> tuple:
    run_dir = wsfleet.run(scenario, overrides=overrides).save(tmp_path / "run")
    document = write_report(run_dir, plots=False).read_text(encoding="utf-8")
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return document, summary


def _no_raw_dicts(document: str) -> None:
    """No Python or JSON dictionary printed in prose (the scenario file itself, in <pre>, may have braces)."""
    prose = _text(re.sub(r"<pre>.*?</pre>", " ", document, flags=re.S))
    assert not re.search(r"\{'|\{\"|': |per 0 s", prose), re.search(r".{60}(\{'|\{\"|per 0 s).{60}", prose)


def test_default_scenario_reads_as_enough_capacity_with_its_crash(tmp_path: Path) -> None:
    document, summary = _run_report(tmp_path, SCENARIOS / "default.toml", {})
    verdict = _verdict(document)
    peak = summary["connections"]["peak_per_server"]
    limit = summary["fleet"]["max_connections_per_server"]
    assert "Verdict: ENOUGH CAPACITY" in verdict and "TIGHT" not in verdict
    assert f"the closest is the per-server connection limit: {peak:,} of {limit:,} connections" in verdict
    assert f"{100 * (1 - peak / limit):.1f}% left" in verdict
    failed_by = summary["connections"]["failed_by"]
    head = _text(_section(document, "headline"))
    # The card names the causes that occurred, and only those.
    assert failed_by["backend_down"] > 0 and failed_by["timeout"] == 0
    assert "of connection attempts failed (sent to a down server)" in head
    assert "timed out" not in head
    assert "Capacity with one server down" in head
    # Every conservation check the engine wrote is listed with its equation.
    checks = summary["conservation"]["checks"]
    meta = _text(_section(document, "scenario"))
    assert checks and "Conservation checks (passed)" in meta
    for name, check in checks.items():
        assert f"<code>{html.escape(name)}</code>: {html.escape(check['equation'])} ({html.escape(check['values'])})" \
            in document
    _no_raw_dicts(document)


def test_live_scores_names_what_its_pubsub_numbers_show(tmp_path: Path) -> None:
    overrides = {"clients.count": 5000, "fleet.servers": 5, "fleet.max_connections": 2000, "run.duration_s": 200.0}
    document, summary = _run_report(tmp_path, SCENARIOS / "live_scores.toml", overrides)
    verdict = _verdict(document)
    pubsub = summary["pubsub"]
    assert "NOT ENOUGH CAPACITY" in verdict
    # The slow readers overflow their 64 KiB buffers: the verdict says so with the counts.
    closed = pubsub["slow_consumers"]["closed"]
    assert closed > 0 and "The binding constraint is the send buffers" in verdict
    assert f"{closed:,} slow readers disconnected" in verdict
    limits = _text(document.split('<table class="limits">', 1)[1].split("</table>", 1)[0])
    if not pubsub["continuity"]["exactly_once"]:
        assert "exactly once did not hold" in limits
    lost = pubsub["continuity"]["lost"]
    if lost:
        assert f"{lost:,} messages never reached a client" in verdict
    p99 = pubsub["latency_ms"]["p99"]
    assert f"p99 {p99:,.0f} ms" in limits or f"p99 {p99:.3g} ms" in limits
    _no_raw_dicts(document)


def test_a_port_bound_run_blames_the_source_ports(tmp_path: Path) -> None:
    """10 servers that could hold 8,000 each, but one balancer address reaches a server over only
    6,000 source ports: 60,000 of 70,000 clients fit, and the report must say ports, not CPU."""
    overrides = {"clients.count": 70000, "fleet.max_connections": 8000, "balancer.source_ports": 6000,
                 "run.duration_s": 360.0}
    document, summary = _run_report(tmp_path, SCENARIOS / "default.toml", overrides)
    verdict = _verdict(document)
    failed = summary["connections"]["failed_by"]["source_ports"]
    assert failed > 0
    assert "The binding constraint is the balancer source ports: 6,000 of 6,000 ports" in verdict
    assert f"{failed:,} connection attempts failed with \"Cannot assign requested address\"" in verdict
    assert "balancer.source_addresses = 2" in verdict  # 7,000 per server / (6,000 x 0.8) -> 2 addresses
    assert "The binding constraint is the CPU" not in verdict
    # The servers had room (at most 6,000 of 8,000 connections each): a setting, not capacity.
    assert "Verdict: MISCONFIGURED" in verdict and "NOT ENOUGH CAPACITY" not in verdict
    assert "the servers had room (the closest capacity limit is the per-server connection limit: 6,000 of 8,000" \
        in verdict
    assert "change balancer.source_addresses." in verdict
    head = _text(_section(document, "headline"))
    assert "balancer out of source ports" in head


def _small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    text = (SCENARIOS / "default.toml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sweep_over_a_categorical_axis_states_each_point_and_plots_bars(tmp_path: Path) -> None:
    sweep = wsfleet.Sweep(_small(tmp_path), {"balancer.policy": ["round_robin", "least_connections"]},
                          replications=2, overrides={"clients.count": 2000, "fleet.max_connections": 400,
                                                     "run.duration_s": 360.0})
    result = sweep.run(tmp_path / "sweep", workers=0, progress=False)
    document = result.report().read_text(encoding="utf-8")
    section = _section(document, "question")
    common, points = section.split('<table class="points">', 1)
    assert "2,000 clients" in _text(common) and "100,000" not in _text(section)
    assert " balancer" not in _text(common).replace("balancer.policy", "")  # the axis: said per point only
    points = _text(points.split("</table>", 1)[0])
    assert "behind a round-robin balancer" in points and "behind a least-connections balancer" in points
    assert points.count("10 servers, each limited to 400 connections") == 2
    results = _text(_section(document, "results"))
    assert "round_robin" in results and "least_connections" in results
    # Failed attempts and their causes, beside the refusals.
    assert "failed connection attempts" in results
    if result.frame["connections.failed_by.backend_down"].gt(0).any():
        assert "failed: sent to a down server" in results
    plots = _section(document, "plots")
    assert "No numeric axis" not in plots
    assert len(re.findall(r'<img src="data:image/png;base64,', plots)) >= 3
    assert "for each balancer.policy" in _text(plots)
    _no_raw_dicts(document)


FLAT = """
[scenario]
name = "flat-recovery"
[run]
duration_s = 60
sample_interval_s = 1
seed = 9
[fleet]
servers = 4
max_connections = 1000
[clients]
count = 400
ramp_s = 5
messages_per_minute = 1
[backoff]
policy = "constant"
delay_s = 12
[[faults]]
type = "crash"
server = 0
at_s = 20
"""


def test_a_plan_flags_an_objective_the_size_does_not_change(tmp_path: Path) -> None:
    """Every client of the crashed server waits exactly 12 s (constant backoff) plus the balancer's
    detection, whatever the fleet size: recovery_s does not depend on fleet.servers, and an objective
    just around it must not produce a size picked by noise."""
    probe = wsfleet.run(FLAT).summary
    recovery = probe["faults"][0]["reconnected_within_s"]
    result = wsfleet.plan(FLAT, {"recovery_s": recovery}, replications=3, low=2, high=40, out=tmp_path / "plan",
                          workers=0, progress=False)
    cand = result.candidates[0]
    assert [f.slo for f in cand.flat] == ["recovery_s"]
    text = cand.flat[0].text
    assert "does not depend on fleet.servers" in text
    document = result.report(plots=False).read_text(encoding="utf-8")
    recommendation = _text(_section(document, "recommendation"))
    if cand.flat[0].decisive:
        assert result.recommended is None and "No recommendation" in recommendation
        assert "picked by noise" in recommendation
    else:
        assert "Objectives the size does not change" in recommendation
    assert "does not depend on fleet.servers" in recommendation


def test_a_plan_report_describes_the_recommended_fleet(tmp_path: Path) -> None:
    scenario = _small(tmp_path)
    result = wsfleet.plan(scenario, {"rejected_pct": 1.0}, replications=2, high=16,
                          overrides={"clients.count": 3000, "fleet.max_connections": 500, "run.duration_s": 360.0},
                          out=tmp_path / "plan", workers=0, progress=False)
    assert result.recommended is not None
    document = result.report(plots=False).read_text(encoding="utf-8")
    question = _text(_section(document, "question"))
    assert f"{result.recommended} servers" in question and "3,000 clients" in question
    assert "100,000" not in question
    assert f"fleet.servers = {result.recommended}" in question
    _no_raw_dicts(document)
