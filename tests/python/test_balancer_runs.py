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


HAPROXY_QUEUE = """\
[run]
duration_s = 30
seed = 4
[fleet]
servers = 1
[clients]
count = 3
wave_share = 1.0
wave_at_s = 1.0
wave_window_s = 0.0
messages_per_minute = 0.0
heartbeat_interval_s = 0.0
session = {{distribution = "constant", value_s = 5}}
on_session_end = "leave"
[balancer]
policy = "haproxy_roundrobin"
max_connections_per_backend = 2
timeout_queue_s = {queue}
[balancer.health_check]
mode = "instant"
[backoff]
policy = "constant"
delay_s = 10
"""

ENVOY_OUTLIER = """\
[run]
duration_s = 100
seed = 8
[fleet]
servers = 10
[clients]
count = 10000
ramp_s = 100
messages_per_minute = 0.0
heartbeat_interval_s = 0.0
[balancer]
policy = "envoy_round_robin"
consecutive_5xx = 5
random_start = 0
[balancer.health_check]
mode = "none"
{faults}
"""


def test_haproxy_queue_and_envoy_ejections_are_in_the_summary_and_the_report(tmp_path: Path) -> None:
    """The HAProxy queue's and Envoy outlier detection's counters reach summary.json (the sequences of
    tests/cpp/test_haproxy_backend.cpp and test_envoy_outlier.cpp, computed by hand there), and only
    for those presets."""
    # Three clients at 1 s, maxconn 2, 5 s sessions: the third waits in the queue until a slot frees.
    waited = wsfleet.run(HAPROXY_QUEUE.format(queue=10.0)).summary["balancers"][0]
    assert waited["haproxy"]["queued"] == 1 and waited["haproxy"]["dequeued"] == 1
    assert waited["haproxy"]["queue_timeouts"] == 0
    # timeout queue 2.5 s: the third gets its 503 before the slot frees; its retry at 13.5 s is not queued.
    timed_out = wsfleet.run(HAPROXY_QUEUE.format(queue=2.5))
    h = timed_out.summary["balancers"][0]["haproxy"]
    assert (h["queued"], h["dequeued"], h["queue_timeouts"]) == (1, 0, 1)
    assert h["retry_waits"] == 0 and h["redispatches"] == 0
    assert "outlier" not in timed_out.summary["balancers"][0]
    report = timed_out.save(tmp_path / "haproxy").joinpath("report.html")
    wsfleet.report(tmp_path / "haproxy")
    assert re.search(r"balancer 0</th><td>[^<]*haproxy\.queued 1, haproxy\.dequeued 0, haproxy\.queue_timeouts 1",
                     report.read_text())
    # Envoy, server 3 of 10 dead from 1 s, every 10th connection to it: ejected after 5 failures, back
    # at the 40 s tick, ejected again for 60 s (past the end).
    one = wsfleet.run(ENVOY_OUTLIER.format(faults='[[faults]]\ntype = "crash"\nserver = 3\nat_s = 1.0'))
    o = one.summary["balancers"][0]["outlier"]
    assert (o["ejections"], o["unejections"], o["ejections_overflow"]) == (2, 1, 0)
    assert one.summary["balancers"][0]["marked_down"] == o["ejections"]
    assert "haproxy" not in one.summary["balancers"][0]
    # Two dead of ten: max_ejection_percent (10 %) keeps the second from being ejected.
    two = wsfleet.run(ENVOY_OUTLIER.format(
        faults='[[faults]]\ntype = "crash"\nserver = 3\nat_s = 1.0\n[[faults]]\ntype = "crash"\nserver = 7\nat_s = 1.0'))
    assert two.summary["balancers"][0]["outlier"]["ejections_overflow"] > 0
    # Other balancers have neither section.
    plain = wsfleet.run(GEO).summary["balancers"]
    assert all("haproxy" not in b and "outlier" not in b for b in plain)
