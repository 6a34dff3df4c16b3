"""experiments/scenarios/rolling_deploy.toml and [[deploys]] from the user's side: the scenario runs
and says in its report what its comments promise, the trade-off between a deploy's length and its
reconnect peak holds on it, and the keys work from the CLI and the Python API. (The Deployment
controller's arithmetic is checked by hand-computed sequences in tests/cpp/test_deploys.cpp.)"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd

import wsfleet
from wsfleet_testing import ROOT, assert_clean_failure, cli, write_scenario

SCENARIO = ROOT / "experiments" / "scenarios" / "rolling_deploy.toml"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_rolling_deploy_closes_every_old_connection_and_every_client_comes_back() -> None:
    run = wsfleet.run(SCENARIO)
    s = run.summary
    assert s["conservation"]["ok"]
    checks = s["conservation"]["checks"]
    assert checks["deploy 0 reconnections"]["ok"] and checks["drains"]["ok"]
    (d,) = s["deploys"]
    clients = s["clients"]["count"]
    assert d["strategy"] == "rolling" and d["replicas"] == 20
    assert d["max_surge"] == 5 and d["max_unavailable"] == 5          # 25 % of 20, both exact
    assert d["servers_started"] == 20 and d["servers_terminated"] == 20
    assert d["min_available"] >= 15
    # maxSurge bounds the servers in the ReplicaSets; terminating ones (5 s of preStop) come on top, as in Kubernetes.
    assert 25 < d["peak_servers"] <= 35
    # Every old connection closed at least once (some clients twice), every client back at the end.
    assert d["connections_closed"] >= clients
    assert d["connections_closed"] == d["closed_at_sigterm"] == d["reconnected"]
    assert d["gave_up"] == 0 and d["not_reconnected_at_end"] == 0
    assert s["connections"]["active_at_end"] == clients
    assert d["all_reconnected_s"] is not None and d["finished_s"] <= d["all_reconnected_s"] < 120
    # The time series: servers by version and state, closes and clients away.
    fleet = run.fleet
    during = fleet[fleet["time_s"] > 60]
    in_sets = during["deploy_old"] + during["deploy_starting"] + during["deploy_new"]
    assert in_sets.max() == 25 and (during["deploy_old"] + during["deploy_new"]).min() >= 15
    for column in ("deploy_old", "deploy_starting", "deploy_new", "deploy_terminating", "deploy_closed", "deploy_away"):
        assert column in fleet.columns
    assert fleet["deploy_closed"].sum() == d["connections_closed"]
    assert fleet["deploy_away"].max() <= d["peak_disconnected"]
    assert fleet.loc[fleet["time_s"] == 59.0, "deploy_old"].item() == 0        # before: no deploy yet
    assert fleet["deploy_new"].iloc[-1] == 20 and fleet["deploy_old"].iloc[-1] == 0


def test_one_server_at_a_time_is_longer_with_a_far_smaller_reconnect_peak() -> None:
    fast = wsfleet.run(SCENARIO).summary["deploys"][0]
    slow = wsfleet.run(SCENARIO, overrides={"deploys.0.max_surge": 1, "deploys.0.max_unavailable": 0}).summary["deploys"][0]
    assert slow["max_surge"] == 1 and slow["max_unavailable"] == 0
    assert slow["duration_s"] > 3 * fast["duration_s"]
    assert slow["peak_disconnected"] < fast["peak_disconnected"] / 3
    assert slow["peak_retries_per_s"] < fast["peak_retries_per_s"] / 2
    spread = wsfleet.run(SCENARIO, overrides={"deploys.0.on_sigterm": "spread"}).summary["deploys"][0]
    assert spread["closed_spread"] == spread["connections_closed"] > 0
    assert spread["peak_disconnected"] < fast["peak_disconnected"] / 3


def test_the_report_has_a_deploys_section_that_reads_well(tmp_path: Path) -> None:
    run = wsfleet.run(SCENARIO)
    d = run.summary["deploys"][0]
    page = Path(run.report(tmp_path / "deploy")).read_text(encoding="utf-8")
    text = _text(page)
    assert "Is this deploy a reconnect storm" in text
    assert "At 60 s a rolling update replaces the servers (max surge 25 %, max unavailable 25 %)" in text
    assert "run a 5 s preStop hook, then close every connection at SIGTERM, within a 30 s grace period" in text
    assert "Deploy 1, a rolling update of 20 servers (max surge 5, max unavailable 5), started at 60 s" in text
    assert f"closed {d['connections_closed']:,} connections ({d['closed_at_sigterm']:,} at SIGTERM)" in text
    assert f"{d['peak_disconnected']:,} of its clients away at once" in text
    assert "The trade-off:" in text
    # No server fails, yet the deploy disconnected its clients: the headline's storm card and the storm
    # section say so instead of "no reconnect storm".
    assert f"{d['all_reconnected_s']:.1f} s until all {d['connections_closed']:,} clients disconnected by deploy 1 were back" in text
    assert "so no reconnect storm" not in text
    assert f"the reconnections its deploys caused ({d['connections_closed']:,} connections closed) are under Deploys" in text
    assert 'id="operations"' in page and "Servers by version and state" not in text  # the title is in the PNG


def test_deploy_keys_from_the_cli_check_and_effective_scenario(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, SCENARIO.read_text(encoding="utf-8").replace('max_unavailable = "25%"',
                                                                               'max_unavailable = "2.5 %"'))
    err = assert_clean_failure(cli("check", path))
    assert "max_unavailable must be a count" in err and 'got "2.5 %"' in err
    proc = cli("check", SCENARIO, "--effective")
    assert proc.returncode == 0, proc.stderr
    assert "[[deploys]]" in proc.stdout and 'max_surge = "25%"' in proc.stdout and 'on_sigterm = "close"' in proc.stdout
    out = tmp_path / "run"
    proc = cli("run", SCENARIO, "--out", out, "--set", "deploys.0.strategy=blue_green", "--set", "run.duration_s=150")
    assert proc.returncode == 0, proc.stderr
    series = pd.read_csv(out / "timeseries.csv")
    fleet = series[series["scope"] == "fleet"]
    assert fleet["deploy_starting"].max() == 20  # the whole green set at once


SITES_3_AND_5 = """
[run]
duration_s = 100.0
[fleet]
servers = 8
[clients]
count = 80
messages_per_minute = 0
[balancer.health_check]
mode = "instant"
[topology]
[[topology.links]]
between = ["here", "a"]
latency_ms = 5
[[topology.links]]
between = ["there", "b"]
latency_ms = 5
[[topology.links]]
between = ["a", "b"]
latency_ms = 40
[[topology.sites]]
name = "a"
servers = 3
[[topology.sites]]
name = "b"
servers = 5
[[topology.regions]]
name = "here"
share = 0.5
[[topology.regions]]
name = "there"
share = 0.5
[autoscaler]
policy = "kubernetes_hpa"
metric = "connections"
min_replicas = 1
max_replicas = 8
[[autoscaler.sites]]
site = "a"
min_replicas = 3
max_replicas = 3
[[autoscaler.sites]]
site = "b"
min_replicas = 5
max_replicas = 5
[[deploys]]
at_s = 60
ready_after_s = 5
"""


def test_a_rollout_over_two_sites_is_one_deployment_per_site_in_summary_json(tmp_path: Path) -> None:
    # Sites of 3 and 5 under their own HPAs, maxSurge and maxUnavailable 25 % (the defaults): per site
    # ceil(0.75) = 1 and ceil(1.25) = 2 over, floor(0.75) = 0 and floor(1.25) = 1 under; one
    # Deployment over the 8 would allow ceil(2) = 2 and floor(2) = 2.
    path = write_scenario(tmp_path, SITES_3_AND_5)
    proc = cli("run", str(path), "--out", str(tmp_path / "run"))
    assert proc.returncode == 0, proc.stderr
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["conservation"]["ok"]
    (d,) = s["deploys"]
    assert d["per_site"] is True
    assert [(x["site"], x["replicas"], x["max_surge"], x["max_unavailable"]) for x in d["sites"]] == [
        ("a", 3, 1, 0), ("b", 5, 2, 1)]
    assert (d["replicas"], d["max_surge"], d["max_unavailable"]) == (8, 3, 1)
    assert d["duration_s"] == 15.0 and d["min_available"] == 7   # site a's three steps of 5 s; 3 + 4 at 60 s
    assert s["connections"]["active_at_end"] == 80
    fleet_wide = wsfleet.run(SITES_3_AND_5 + "per_site = false\n").summary
    (f,) = fleet_wide["deploys"]
    assert f["per_site"] is False and "sites" not in f
    assert (f["max_surge"], f["max_unavailable"], f["min_available"]) == (2, 2, 6)
