"""The report's verdict names the limit that binds: one small real run per limit of the model.

Each case is a small scenario (a few hundred clients, a minute or less) built so that exactly one
resource runs out; the report must name that limit as the binding constraint, with its figure,
and say NOT ENOUGH CAPACITY. A limit that is a setting (source ports, the balancer's rate limit or
max_conns, sticky sessions) reads MISCONFIGURED with the key to change. A last case has ample margin
on every limit, a crash included, and must read as ENOUGH CAPACITY naming the closest limit."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

import pytest

wsfleet = pytest.importorskip("wsfleet")
from wsfleet.report import verdict_line, write_report  # noqa: E402

BASE = """\
[scenario]
name = "verdict-{name}"

[run]
duration_s = {duration_s}
sample_interval_s = 1.0
seed = 3

[fleet]
servers = 4
max_connections = 1000
cpu_cores = 1
memory_per_connection_kib = 64.0
base_memory_mib = 256.0

[fleet.cpu]
handshake_us = 1000.0

[clients]
count = 400
ramp_s = 10.0
messages_per_minute = 1.0
connect_timeout_s = 10.0

[balancer]
policy = "least_connections"

[backoff]
policy = "full_jitter"
base_s = 1.0
cap_s = 5.0
"""

PUBSUB = """
[pubsub]
channels = 4
zipf_s = 1.0
subscriptions = 1
message_bytes = 512
fanout_us = 10
client_publish_share = 0.0

[pubsub.feed]
channels = 4
rate_per_s = {feed_rate}
process = "periodic"

[[pubsub.links]]
name = "all"
share = 1.0
drain_{drain}

[pubsub.buffer]
preset = "centrifugo"
limit_kib = 64

[pubsub.broker]
mode = "sharded"
capacity_per_s = {broker_capacity}
latency_ms = {broker_latency_ms}

[pubsub.resume]
window_s = {resume_s}
"""

CRASH = """
[[faults]]
type = "crash"
server = 1
at_s = 20.0
recover_after_s = 10.0
"""

BROKER_OUTAGE = """
[[faults]]
type = "broker_outage"
at_s = 20.0
recover_after_s = 5.0
"""


def _pubsub(feed_rate: float = 2, drain: str = "kib_per_s = 0", broker_capacity: float = 100000,
            broker_latency_ms: float = 1.0, resume_s: float = 60) -> str:
    return PUBSUB.format(feed_rate=feed_rate, drain=drain, broker_capacity=broker_capacity,
                         broker_latency_ms=broker_latency_ms, resume_s=resume_s)


# limit key -> (extra TOML, --set overrides, the limit's name in the report, a figure the verdict must give)
CASES = {
    "connections": ("", {"fleet.max_connections": 80}, "per-server connection limit", "80 of 80 connections"),
    "cpu": ("", {"fleet.cpu.handshake_us": 60000.0, "clients.ramp_s": 2.0, "clients.connect_timeout_s": 1.0},
            "CPU", "handshakes timed out waiting for the CPU"),
    "memory": ("", {"fleet.memory_limit_mib": 300.0, "fleet.memory_per_connection_kib": 1024.0}, "server memory",
               "of 300 MiB"),
    "broker": (_pubsub(feed_rate=50, broker_capacity=100), {}, "pub/sub broker capacity", "of 100 forwards/s"),
    "send_buffers": (_pubsub(feed_rate=50, drain="messages_per_s = 5"), {}, "send buffers",
                     "slow readers disconnected"),
    "delivery_latency": (_pubsub(broker_latency_ms=1500), {}, "pub/sub delivery latency (p99)", "p99 1,5"),
    # The broker is down 5 s: the feed's publishes in that window fail (40 at 2/s on 4 channels).
    "delivery_loss": (_pubsub() + BROKER_OUTAGE, {}, "pub/sub delivery loss", "40 publishes failed"),
    "continuity": (_pubsub(resume_s=0) + CRASH, {}, "message continuity", "messages never reached a client"),
    "recovery": (CRASH, {"backoff.max_retries": 1, "fleet.max_connections": 110}, "recovery after a crash",
                 "clients gave up reconnecting"),
}


# Limits that are settings, not capacity (wsfleet._limits.CONFIGURATION): each stops work while the
# servers have room (4 x 1,000 connections for 400 clients, a CPU that is never busy), so the verdict is
# MISCONFIGURED and names the key to change.
# limit key -> (extra TOML, --set overrides, the limit's name, a figure the verdict must give, the setting)
CONFIG_CASES = {
    # 400 clients over 4 servers: 100 per server from one balancer address, over 60 ports.
    "source_ports": ("", {"balancer.source_ports": 60}, "balancer source ports", "60 of 60 ports",
                     "balancer.source_addresses"),
    # 400 clients in 2 s: 200 attempts/s against 10 allowed.
    "new_connection_rate": ("", {"balancer.max_new_connections_per_s": 10.0, "clients.ramp_s": 2.0},
                            "balancer new-connection rate", "of 10 new connections/s",
                            "balancer.max_new_connections_per_s"),
    # socket.io opens on long polling: without stickiness its requests land on other servers.
    "sticky_sessions": ("", {"clients.upgrade_from_polling": "on", "balancer.policy": "round_robin"},
                        "sticky sessions", "attempts failed with Session ID unknown",
                        "balancer.sticky, or clients.upgrade_from_polling"),
    # NGINX max_conns = 50 per server from the one balancer: 200 of the 400 clients fit, the servers
    # could hold 1,000 each.
    "backend_cap": ("", {"balancer.max_connections_per_backend": 50}, "balancer connections per server (max_conns)",
                    "50 of 50 connections", "balancer.max_connections_per_backend"),
}


def _run(tmp_path: Path, name: str, extra: str, overrides: Dict[str, object], duration_s: float = 40.0) -> Path:
    scenario = tmp_path / f"{name}.toml"
    scenario.write_text(BASE.format(name=name, duration_s=duration_s) + extra, encoding="utf-8")
    result = wsfleet.run(scenario, overrides=overrides)
    return result.save(tmp_path / name)


def _verdict(run_dir: Path) -> str:
    text = write_report(run_dir, plots=False).read_text(encoding="utf-8")
    match = re.search(r'<div class="verdict[^"]*">(.*?)</div>', text, re.S)
    assert match, "no verdict box"
    return re.sub(r"<[^>]+>", " ", match.group(1)).replace("&quot;", '"').replace("&#x27;", "'")


@pytest.mark.parametrize("key", sorted(CASES))
def test_verdict_names_the_binding_limit(tmp_path: Path, key: str) -> None:
    extra, overrides, name, figure = CASES[key]
    run_dir = _run(tmp_path, key, extra, overrides)
    verdict = _verdict(run_dir)
    assert "NOT ENOUGH CAPACITY" in verdict, verdict
    assert f"The binding constraint is the {name}:" in verdict, verdict
    first = verdict.split("The binding constraint is", 1)[1].split("Also reached", 1)[0].split("PROBLEM", 1)[0]
    assert figure in first, verdict
    assert "What to do:" in verdict


@pytest.mark.parametrize("key", sorted(CONFIG_CASES))
def test_a_bound_setting_reads_as_misconfigured(tmp_path: Path, key: str) -> None:
    extra, overrides, name, figure, setting = CONFIG_CASES[key]
    run_dir = _run(tmp_path, key, extra, overrides)
    verdict = _verdict(run_dir)
    assert "Verdict: MISCONFIGURED" in verdict and "CAPACITY" not in verdict, verdict
    assert f"The binding constraint is the {name}:" in verdict, verdict
    assert figure in verdict.split("The binding constraint is", 1)[1], verdict
    assert "It is a setting, not a lack of capacity: the servers had room" in verdict, verdict
    assert f"change {setting}." in verdict, verdict
    # The Python API and `--json` give the same status and the key to change.
    v = wsfleet.load(run_dir).verdict()
    assert (v.status, v.words, v.binding.key) == ("misconfigured", "MISCONFIGURED", key)
    assert v.document()["setting"] == setting
    # `wsfleet report DIR` prints the same verdict after the report's path.
    assert verdict_line(run_dir) == f"verdict: MISCONFIGURED: {v.text}"


def test_a_bound_capacity_resource_ranks_before_a_setting(tmp_path: Path) -> None:
    """Source ports and the servers' own limit both bind (60 ports per server, 60 connections per
    server, 100 clients per server): more servers are the fix, so the run is short of capacity."""
    run_dir = _run(tmp_path, "both", "", {"balancer.source_ports": 60, "fleet.max_connections": 60})
    verdict = _verdict(run_dir)
    assert "Verdict: NOT ENOUGH CAPACITY" in verdict, verdict
    assert "The binding constraint is the per-server connection limit:" in verdict, verdict
    assert "not a lack of capacity" not in verdict


def test_ample_margin_with_a_crash_reads_as_enough(tmp_path: Path) -> None:
    run_dir = _run(tmp_path, "ample", CRASH, {})
    verdict = _verdict(run_dir)
    assert "ENOUGH CAPACITY" in verdict and "NOT ENOUGH" not in verdict and "TIGHT" not in verdict, verdict
    # The closest limit is a resource (the connection limit here: 134 of 1,000), not the recovery time.
    assert "Every limit kept at least 20% margin; the closest is the per-server connection limit:" in verdict
    assert "No action needed" in verdict and "sent to a down server" in verdict
