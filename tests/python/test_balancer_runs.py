"""Balancer tiers, sites and heartbeats through the Python API and the report: the new summary
fields are there, add up, and the report names what crashed."""
from __future__ import annotations

import re
from pathlib import Path

import wsfleet

GEO = """\
[run]
duration_s = 200
[fleet]
servers = 4
max_connections = 5000
[clients]
count = 1000
ramp_s = 10
vanish_share = 0.1
session = {distribution = "exponential", mean_s = 60}
on_session_end = "reconnect"
[balancer]
policy = "least_connections"
count = 2
[heartbeat]
preset = "socketio"
[[topology.links]]
between = ["eu", "ams"]
latency_ms = 8
[[topology.links]]
between = ["ams", "nyc"]
latency_ms = 40
[[topology.links]]
between = ["us", "nyc"]
latency_ms = 4
[[topology.sites]]
name = "ams"
servers = 2
[[topology.sites]]
name = "nyc"
servers = 2
[[topology.regions]]
name = "eu"
share = 0.5
[[topology.regions]]
name = "us"
share = 0.5
[[faults]]
type = "site_crash"
site = "ams"
at_s = 60
recover_after_s = 60
[[faults]]
type = "balancer_crash"
balancer = 2
at_s = 150
"""


def test_tiers_sites_and_heartbeats_in_the_summary() -> None:
    s = wsfleet.run(GEO).summary
    c = s["connections"]
    assert s["conservation"]["ok"] is True
    assert sum(c["rejected_by"].values()) == c["rejected"]
    assert sum(c["failed_by"].values()) == c["failed"]
    assert c["closed"] == sum(c[k] for k in ("ended", "dropped", "drained", "vanished", "idle_cut",
                                             "idle_closed", "rebalanced", "session_unknown",
                                             "poll_failed"))
    assert c["vanished"] > 0
    assert [f["type"] for f in s["faults"]] == ["site_crash", "balancer_crash"]
    assert s["faults"][0]["site"] == "ams" and s["faults"][1]["balancer"] == 2
    assert 4.0 < s["faults"][0]["detected_within_s"] <= 6.5   # socket.io defaults: checks every 2 s, fall 3
    assert len(s["balancers"]) == 4                             # two per site
    assert [site["name"] for site in s["topology"]["sites"]] == ["ams", "nyc"]
    assert s["topology"]["regions"][0] == {"name": "eu", "clients": s["topology"]["regions"][0]["clients"],
                                           "nearest_site": "ams", "latency_ms": 8.0}
    hb = s["heartbeats"]
    assert hb["half_open_detected"] > 0
    # socket.io: the server pings every 25 s and waits 20 s for the pong.
    assert 20.0 <= hb["detection_s"]["mean"] <= 45.0


def test_report_names_what_crashed(tmp_path: Path) -> None:
    run_dir = wsfleet.run(GEO).save(tmp_path / "geo")
    html = Path(wsfleet.report(run_dir)).read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    assert "site ams" in text and "balancer 2" in text
    assert not re.search(r"\ba server\b(?!&)", text)  # every crash is named
    assert "kept receiving connection tries" in text
    assert "balancer down" in text


def test_heartbeat_presets_from_python_and_the_cli() -> None:
    from wsfleet_testing import cli
    import json
    presets = {p["name"]: p for p in wsfleet.heartbeat_presets()}
    assert set(presets) == {"socketio", "phoenix", "signalr", "ably", "centrifugo", "uwebsockets", "pusher"}
    assert presets["socketio"] == {"name": "socketio", "summary": presets["socketio"]["summary"], "interval_s": 25.0,
                                   "sender": "server", "mode": "periodic", "timeout_s": 20.0, "peer_timeout_s": 45.0}
    assert presets["pusher"]["mode"] == "when_idle"
    listed = json.loads(cli("list", "--json").stdout)["heartbeat_presets"]
    assert [p["name"] for p in listed] == list(presets)
    # A preset's interval is what a run uses unless the scenario sets one.
    effective = wsfleet.check("[heartbeat]\npreset = \"phoenix\"\n")
    assert "heartbeat_interval_s = 30.0" in effective and 'preset = "phoenix"' in effective
