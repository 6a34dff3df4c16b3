"""Capacity planning: the Erlang B sizing answer, the search and its cache, candidates, SLO
validation, and `wsfleet plan`."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import sweep_helpers
import wsfleet
from test_sweep import TINY, write_tiny
from wsfleet_testing import assert_clean_failure, cli

# M/M/c/c: one server whose connection limit is c, Poisson attempts at 20/s, exponential sessions of
# mean 0.15 s (offered load A = 3 erlangs), instant handshakes, no retries: the fraction of attempts
# rejected is Erlang B(c, 3) (validation.md; tests/cpp/test_fleet_theory.cpp sets it up the same way).
ERLANG = """
[run]
duration_s = 2000
sample_interval_s = 100
seed = 21
[fleet]
servers = 1
max_connections = 4
[fleet.cpu]
handshake_us = 0
inbound_message_us = 0
outbound_message_us = 0
heartbeat_us = 0
[clients]
count = 40000
ramp_s = 2000
session = {distribution = "exponential", mean_s = 0.15}
on_session_end = "leave"
heartbeat_interval_s = 0
messages_per_minute = 0
[balancer]
policy = "round_robin"
[backoff]
policy = "none"
"""


def erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def smallest_limit(a: float, target: float) -> int:
    c = 1
    while erlang_b(c, a) >= target:
        c += 1
    return c


def test_erlang_b_sizing_finds_the_smallest_limit(tmp_path: Path) -> None:
    expected = smallest_limit(3.0, 0.01)
    assert expected == 8  # B(7, 3) = 2.19 %, B(8, 3) = 0.81 %
    result = wsfleet.plan(ERLANG, {"rejected_pct": 1.0}, variable="fleet.max_connections", replications=5,
                          out=tmp_path / "plan", workers=0)
    assert result.minimum == expected and result.recommended == expected
    tried = {e.value: e for e in result.best.evaluations}
    # Bracketing from the scenario's 4 (fails) by doubling to 8 (passes), bisection: 6, 7; then the
    # check of the monotone assumption just above the answer: 9.
    assert sorted(tried) == [4, 6, 7, 8, 9] and tried[9].passed and result.best.non_monotone == []
    assert not tried[expected - 1].passed and tried[expected].passed
    for c, e in tried.items():
        mean = e.slos["rejected_pct"]["mean"]
        assert mean == pytest.approx(erlang_b(c, 3.0), rel=0.08, abs=5e-4), (c, mean)  # ~200,000 attempts per size
        assert e.slos["rejected_pct"]["upper_bound"] >= mean
    written = json.loads((tmp_path / "plan" / "plan.json").read_text())
    assert written["minimum"] == 8 and "fleet.max_connections" in written["question"]
    # The results table is a sweep table: one row per (size, replication).
    frame = wsfleet.load_sweep(tmp_path / "plan")
    assert len(frame) == 5 * 5 and set(frame["fleet.max_connections"]) == {4, 6, 7, 8, 9}


def test_plan_reuses_every_computed_point(tmp_path: Path, monkeypatch) -> None:
    first = wsfleet.plan(ERLANG, {"rejected_pct": 1.0}, variable="fleet.max_connections", replications=3,
                         out=tmp_path / "plan", workers=0)
    monkeypatch.setenv(sweep_helpers.MARKERS, str(tmp_path))
    # A looser SLO over the same cache: it tries 4 (fails), 8 and 6 (pass), all cached, then 5 (fails),
    # and checks 7 (cached).
    plan = wsfleet.Plan(ERLANG, {"rejected_pct": 10.0}, variable="fleet.max_connections", replications=3)
    second = plan.run(tmp_path / "plan", workers=0, _task_fn=sweep_helpers.counted)
    ran = sorted(p.name for p in tmp_path.glob("ran-*"))
    assert second.minimum == smallest_limit(3.0, 0.10) == 6  # B(5, 3) = 11.0 %, B(6, 3) = 5.2 %
    computed = {plan.points[int(name.split("-")[1])]["fleet.max_connections"] for name in ran}
    assert computed == {5}
    again = wsfleet.Plan(ERLANG, {"rejected_pct": 1.0}, variable="fleet.max_connections", replications=3)
    for p in tmp_path.glob("ran-*"):
        p.unlink()
    assert again.run(tmp_path / "plan", workers=0, _task_fn=sweep_helpers.counted).minimum == first.minimum
    assert not list(tmp_path.glob("ran-*"))


def test_candidates_spare_and_lost_servers(tmp_path: Path) -> None:
    """A storm where a crashed server's clients must find room on the others: round robin over-fills
    no one but least connections neither; both need enough total capacity after losing a server."""
    result = wsfleet.plan(TINY, {"rejected_pct": 5.0, "recovery_s": 20.0}, lose_servers=1, spare=1,
                          candidates={"balancer.policy": ["round_robin", "least_connections"]}, replications=2,
                          out=tmp_path / "plan", workers=0)
    assert {tuple(c.candidate.items()) for c in result.candidates} == {
        (("balancer.policy", "round_robin"),), (("balancer.policy", "least_connections"),)}
    assert result.best is not None and result.recommended == result.minimum + 1
    for cand in result.candidates:
        tried = {e.value: e for e in cand.evaluations}
        assert tried[cand.minimum].passed
        if cand.minimum - 1 in tried:
            assert not tried[cand.minimum - 1].passed
        # 600 clients, 300 per server, and one server lost: at least 3 servers are needed.
        assert cand.minimum >= 3
    assert math.isfinite(result.best.score)


def test_plan_input_errors(tmp_path: Path) -> None:
    with pytest.raises(wsfleet.PlanError, match="recovery_s needs a crash"):
        wsfleet.Plan(ERLANG, {"recovery_s": 10})
    with pytest.raises(wsfleet.PlanError, match="unknown objective"):
        wsfleet.Plan(ERLANG, {"p99": 10})
    with pytest.raises(wsfleet.PlanError, match="at least two replications"):
        wsfleet.Plan(ERLANG, {"rejected_pct": 1}, replications=1)
    with pytest.raises(wsfleet.PlanError, match="variable 'fleet.memory_per_connection_kib' must name an integer"):
        wsfleet.Plan(ERLANG, {"rejected_pct": 1}, variable="fleet.memory_per_connection_kib")
    with pytest.raises(wsfleet.SweepError, match="axis 'balancer.policy' = 'fastest' is rejected"):
        wsfleet.Plan(ERLANG, {"rejected_pct": 1}, candidates={"balancer.policy": ["fastest"]})
    with pytest.raises(wsfleet.PlanError, match="undefined in every run"):
        wsfleet.plan(ERLANG, {"p99_latency_ms": 10}, variable="fleet.max_connections", replications=2,
                     high=4, out=tmp_path / "p", workers=0)


def test_cli_plan_with_a_plan_table(tmp_path: Path) -> None:
    scenario = tmp_path / "erlang.toml"
    scenario.write_text(ERLANG + "\n[plan]\nvariable = \"fleet.max_connections\"\nreplications = 3\nspare = 2\n"
                                 "[plan.slo]\nrejected_pct = 1.0\n", encoding="utf-8")
    proc = cli("plan", scenario, "--out", tmp_path / "out", "--workers", "0", "-q", timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "fleet.max_connections = 10 (the minimum 8 + 2 spare)" in proc.stdout
    bad = assert_clean_failure(cli("plan", scenario, "--out", tmp_path / "bad", "--slo", "rejected=1"))
    assert "unknown objective" in bad


def test_a_non_monotone_metric_is_flagged(tmp_path: Path) -> None:
    """The search assumes more is never worse, and checks the size just above its answer. An SLO on
    a metric that grows with the limit (the limit itself, from the summary) breaks the assumption:
    4 passes (B(4, 3) = 20.6 % <= 25 %, limit <= 4), 5 fails the second SLO; the result says so."""
    result = wsfleet.plan(ERLANG, {"rejected_pct": 25.0, "fleet.max_connections_per_server": 4},
                          variable="fleet.max_connections", replications=2, out=tmp_path / "p", workers=0)
    cand = result.candidates[0]
    assert {e.value: e.passed for e in cand.evaluations} == {2: False, 3: False, 4: True, 5: False}
    assert cand.minimum == 4 and cand.non_monotone == [5]
    assert "Check the answer" in Path(wsfleet.report(tmp_path / "p")).read_text(encoding="utf-8")


def test_few_large_or_many_small_servers_ranked_by_cost(tmp_path: Path) -> None:
    """Two server sizes for the same 600 clients: 1 core / 150 connections or 4 cores / 600. The
    minimum fleet differs (more small ones); ranked by total cores (servers x fleet.cpu_cores)."""
    small = {"fleet.cpu_cores": 1, "fleet.max_connections": 150}
    large = {"fleet.cpu_cores": 4, "fleet.max_connections": 600}
    result = wsfleet.plan(TINY, {"rejected_pct": 1.0}, candidates=[small, large], cost="fleet.cpu_cores",
                          replications=2, out=tmp_path / "p", workers=0)
    by = {c.candidate["fleet.cpu_cores"]: c for c in result.candidates}
    assert by[1].minimum > by[4].minimum  # more small servers are needed than large ones
    assert by[1].total_cost == by[1].minimum * 1 and by[4].total_cost == by[4].minimum * 4
    cheapest = min(result.candidates, key=lambda c: c.total_cost)
    assert result.best is cheapest
    text = Path(wsfleet.report(tmp_path / "p")).read_text(encoding="utf-8")
    assert "fleet.servers × fleet.cpu_cores" in text


def _lost_worker(task):
    raise RuntimeError("worker died")


def test_plan_points_lost_at_run_time_exit_1_not_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    """As a sweep's: points of a validated plan that fail while running are an error (exit 1), not bad input (2)."""
    import importlib
    search = importlib.import_module("wsfleet._plan_search")
    plan_cli = importlib.import_module("wsfleet.plan")
    points_failed = importlib.import_module("wsfleet.sweep").PointsFailed
    with pytest.raises(points_failed, match=r"point\(s\) failed"):
        wsfleet.Plan(TINY, {"rejected_pct": 5.0}).run(tmp_path / "api", workers=0, _task_fn=_lost_worker)
    real_run = search.Plan.run
    monkeypatch.setattr(search.Plan, "run",
                        lambda self, out, **kw: real_run(self, out, **{**kw, "_task_fn": _lost_worker}))
    path = write_tiny(tmp_path)
    assert plan_cli.main([str(path), "--out", str(tmp_path / "cli"), "--slo", "rejected_pct=5",
                          "--workers", "0", "-q"]) == 1
    assert "point(s) failed" in capsys.readouterr().err
