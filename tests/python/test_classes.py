"""Server classes and site losses in runs, sweeps and plans: the class of every server in the
results, a sweep and a plan over one class's count, the fleet's price as the plan's cost, and a plan
that must survive the loss of a whole site (N+site)."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import wsfleet
from wsfleet_testing import assert_clean_failure, cli

# Two small servers (1 core, 100 connections, 0.1 an hour) and one large (4 cores, 400, weight 4,
# 0.35 an hour) behind least connections; 900 clients.
MIXED = """
[run]
duration_s = 60
sample_interval_s = 5
seed = 3
[fleet]
max_connections = 100
cost_per_hour = 0.1
[[fleet.classes]]
name = "small"
servers = 2
[[fleet.classes]]
name = "large"
servers = 1
max_connections = 400
cpu_cores = 4
weight = 4
cost_per_hour = 0.35
[clients]
count = 900
ramp_s = 10
messages_per_minute = 0
heartbeat_interval_s = 0
[balancer]
policy = "least_connections"
[backoff]
policy = "full_jitter"
base_s = 0.5
cap_s = 4
"""

# Two sites, a region next to each, the fleet split by share; 360 clients, 100 connections per
# server. Each site holds its own region's half (~180) with 2 servers; after losing site "a", site
# "b" alone must hold all 360, which takes 4 servers there: 8 in all.
TWO_SITES = """
[run]
duration_s = 150
sample_interval_s = 5
seed = 9
[fleet]
servers = 4
max_connections = 100
[clients]
count = 360
ramp_s = 20
messages_per_minute = 0
heartbeat_interval_s = 0
[balancer]
policy = "least_connections"
[balancer.health_check]
interval_s = 1
[backoff]
policy = "full_jitter"
base_s = 0.5
cap_s = 4
[[topology.links]]
between = ["eu", "a"]
latency_ms = 5
[[topology.links]]
between = ["us", "b"]
latency_ms = 5
[[topology.links]]
between = ["a", "b"]
latency_ms = 40
[[topology.sites]]
name = "a"
share = 0.5
[[topology.sites]]
name = "b"
share = 0.5
[[topology.regions]]
name = "eu"
share = 0.5
[[topology.regions]]
name = "us"
share = 0.5
"""


def test_every_server_has_its_class_in_the_results() -> None:
    r = wsfleet.run(MIXED)
    fleet = r.summary["fleet"]
    assert fleet["server_class"] == ["small", "small", "large"]
    assert [(c["name"], c["servers"], c["max_connections"], c["cpu_cores"]) for c in fleet["classes"]] == [
        ("small", 2, 100, 1), ("large", 1, 400, 4)]
    assert fleet["cost_per_hour"] == pytest.approx(0.55)
    # Capacities written by the engine: 2 x 100 + 1 x 400 connections, 2 x 1 + 4 cores.
    assert (fleet["connection_capacity"], fleet["cpu_cores"]) == (600, 6)
    assert [(c["connection_capacity"], c["cpu_capacity_us_per_s"]) for c in fleet["classes"]] == [(200, 1e6), (400, 4e6)]
    assert r.summary["cpu"]["capacity_core_seconds"] == pytest.approx(6 * 60.0)
    assert list(r.servers.columns[:3]) == ["time_s", "server", "class"]
    last = r.servers[r.servers["time_s"] == r.servers["time_s"].max()]
    held = last.groupby("class", observed=True)["connections"].max().to_dict()
    assert held == {"small": 100, "large": 400}  # each class full at its own limit


def test_the_run_report_names_the_classes_and_their_own_limits(tmp_path: Path) -> None:
    wsfleet.run(MIXED).save(tmp_path / "run")
    text = Path(wsfleet.report(tmp_path / "run")).read_text(encoding="utf-8")
    assert "3 servers of 2 classes: 2 &quot;small&quot; (100 connections, 1 CPU core, weight 1, 0.1 an hour)" in text
    assert "1 &quot;large&quot; (400 connections, 4 CPU cores, weight 4, 0.35 an hour)" in text
    # Each server against its own class's limit: a small server at its 100.
    assert "The binding constraint is the per-server connection limit: 100 of 100 connections (server 0 of " \
           "class small at 10 s)" in text
    # The fleet's capacity is the engine's: each server at its own class's limit (not 3 x the largest).
    assert re.search(r"Fleet connection capacity</th><td[^>]*>600</td><td>3 servers, each at its class&#x27;s limit",
                     text)


def test_a_sweep_over_one_class_count(tmp_path: Path) -> None:
    result = wsfleet.Sweep(MIXED, axes={"fleet.classes.large.servers": [1, 2]}, replications=2).run(
        tmp_path / "sw", workers=0, progress=False)
    frame = result.frame
    assert sorted(set(frame["fleet.classes.large.servers"])) == [1, 2]
    for n, rows in frame.groupby("fleet.classes.large.servers"):
        assert set(rows["fleet.servers"]) == {2 + n}
        assert set(rows["fleet.classes.1.servers"]) == {n}
        assert rows["fleet.cost_per_hour"].tolist() == pytest.approx([0.2 + 0.35 * n] * 2)
        assert set(rows["connections.active_at_end"]) == {min(900, 200 + 400 * n)}
    assert not any(c.startswith("fleet.server_class") for c in frame.columns)
    with pytest.raises(wsfleet.SweepError, match="has no entry named 'huge' \\(names: small, large\\)"):
        wsfleet.Sweep(MIXED, axes={"fleet.classes.huge.servers": [1, 2]})
    with pytest.raises(wsfleet.SweepError, match="fleet.servers cannot be given with \\[\\[fleet.classes\\]\\]"):
        wsfleet.Sweep(MIXED, axes={"fleet.servers": [3, 4]})


def test_a_plan_over_one_class_with_the_fleet_price(tmp_path: Path) -> None:
    """The small servers stay; how many large ones does it take for every client to get in?"""
    result = wsfleet.plan(MIXED.replace("count = 900", "count = 1500"), {"rejected_pct": 1.0},
                          variable="fleet.classes.large.servers", cost="cost_per_hour", replications=2,
                          out=tmp_path / "p", workers=0)
    # 1,500 clients: 200 on the small servers, 1,300 on large ones of 400: 4 large.
    assert result.minimum == 4
    assert result.best.total_cost == pytest.approx(0.2 + 4 * 0.35)
    written = json.loads((tmp_path / "p" / "plan.json").read_text())
    assert written["recommended_cost_per_hour"] == pytest.approx(1.6)
    text = Path(wsfleet.report(tmp_path / "p")).read_text(encoding="utf-8")
    assert "Recommendation: fleet.classes.large.servers = 4" in text
    assert "The recommended fleet costs 1.6 an hour" in text
    assert "2 &quot;small&quot;" in text  # the assumptions name the classes
    with pytest.raises(wsfleet.PlanError, match='size one class with variable = "fleet.classes.large.servers"'):
        wsfleet.Plan(MIXED, {"rejected_pct": 1.0})


def test_a_plan_that_loses_a_whole_site_needs_n_plus_site(tmp_path: Path) -> None:
    plain = wsfleet.plan(TWO_SITES, {"rejected_pct": 2.0}, replications=2, out=tmp_path / "plain", workers=0)
    site = wsfleet.plan(TWO_SITES, {"rejected_pct": 100.0, "recovery_s": 60.0}, lose_site="a", replications=2,
                        out=tmp_path / "site", workers=0)
    assert plain.minimum == 4  # each site holds its own region's half
    assert site.minimum == 8   # site b alone holds everyone
    tried = {e.value: e for e in site.best.evaluations}
    assert not tried[7].passed and math.isinf(tried[7].slos["recovery_s"]["mean"])  # 3 servers left in b
    assert site.lose_site == "a"
    written = json.loads((tmp_path / "site" / "plan.json").read_text())
    assert written["lose_site"] == "a" and written["failure_at_s"] == 75.0
    assert "after losing the whole site a at 75 s" in written["question"]
    assert any('faults.0.type="site_crash"' == o for o in written["overrides"])
    text = Path(wsfleet.report(tmp_path / "site")).read_text(encoding="utf-8")
    assert "Failure assumption: the whole site a crashes at 75 s" in text
    assert "It assumes losing the whole site a." in text


def test_lose_site_errors_and_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(wsfleet.PlanError, match=r"lose_site must name a \[\[topology.sites\]\] site \(a, b\) "
                                                r"\(got 'c'\)"):
        wsfleet.Plan(TWO_SITES, {"rejected_pct": 1.0}, lose_site="c")
    with pytest.raises(wsfleet.PlanError, match="the scenario has no \\[topology\\]"):
        wsfleet.Plan(MIXED, {"rejected_pct": 1.0}, variable="fleet.classes.large.servers", lose_site="a")
    fixed = TWO_SITES.replace('share = 0.5\n[[topology.sites]]', 'servers = 2\n[[topology.sites]]', 1) \
        .replace('name = "b"\nshare = 0.5', 'name = "b"\nservers = 2')
    with pytest.raises(wsfleet.SweepError, match="give each site a share instead of servers"):
        wsfleet.Plan(fixed, {"rejected_pct": 1.0}, lose_site="a", low=3)
    scenario = tmp_path / "two.toml"
    scenario.write_text(TWO_SITES, encoding="utf-8")
    bad = assert_clean_failure(cli("plan", scenario, "--out", tmp_path / "bad", "--slo", "rejected_pct=1",
                                   "--lose-site", "nowhere"))
    assert "lose_site must name a [[topology.sites]] site (a, b)" in bad
    proc = cli("plan", scenario, "--out", tmp_path / "out", "--slo", "recovery_s=60", "--lose-site", "b",
               "--replications", "2", "--workers", "0", "-q", timeout=300)
    assert proc.returncode == 0, proc.stderr
    # Losing site b takes one server fewer: 7 servers are 4 (a) + 3 (b), the tie going to the first site.
    assert "fleet.servers = 7" in proc.stdout
