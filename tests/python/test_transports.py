"""Fallback transports (long polling, SSE, WebSocket blocks) from Python and the command line: the
summary's transport section adds up, the time series has the per-transport columns, --set and
overrides reach every key, bad values name the key, and runs repeat exactly."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import wsfleet
from wsfleet_testing import assert_clean_failure, cli, read_summary, stable, write_scenario

FALLBACK = """\
[run]
duration_s = 120
[fleet]
servers = 3
max_connections = 2000
[clients]
count = 900
ramp_s = 10
messages_per_minute = 6
[balancer]
policy = "round_robin"
sticky = "cookie"
[transport]
long_polling_share = 0.2
sse_share = 0.1
[transport.long_polling]
poll_timeout_s = 5
[[faults]]
type = "websocket_block"
at_s = 40
share = 0.5
"""


def test_the_summary_counts_clients_per_transport_and_every_poll() -> None:
    r = wsfleet.run(FALLBACK)
    s = r.summary
    assert s["conservation"]["ok"] is True
    t = s["transport"]
    at_end = t["clients_at_end"]
    assert sum(at_end.values()) == s["connections"]["active_at_end"] == 900
    assert 0.5 < t["fallback_share_at_end"] < 0.75     # 30 % from the start, half the rest blocked at 40 s
    p = t["polls"]
    assert p["sent"] == p["answered_with_data"] + p["timed_out"] + p["failed"] + p["in_flight_at_end"]
    assert p["failed"] == sum(p["failed_by"].values())
    assert p["failed_by"]["session_unknown"] == 0       # sticky sessions
    assert t["posts"]["sent"] > 0
    block = s["faults"][0]
    assert block["type"] == "websocket_block" and block["share"] == 0.5
    assert block["clients_blocked"] == block["connections_dropped"]
    assert r.fleet["clients_long_polling"].dtype == "int64"
    last = r.fleet.iloc[-1]
    assert last["clients_websocket"] + last["clients_long_polling"] + last["clients_sse"] == last["connections"]
    assert r.fleet["polls"].sum() == r.servers["polls"].sum()
    assert r.fleet.loc[r.fleet["time_s"] <= 39, "clients_long_polling"].max() < at_end["long_polling"]


def test_non_sticky_polling_fails_with_session_unknown() -> None:
    s = wsfleet.run(FALLBACK, overrides={"balancer.sticky": "none"}).summary
    assert s["conservation"]["ok"] is True
    assert s["connections"]["session_unknown"] > 100
    assert s["transport"]["polls"]["failed_by"]["session_unknown"] > 0


def test_the_cli_and_python_agree_and_the_effective_scenario_round_trips(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, FALLBACK)
    out = tmp_path / "run"
    proc = cli("run", path, "--out", out, "--set", "transport.long_polling.request_us=300")
    assert proc.returncode == 0, proc.stderr
    py = wsfleet.run(path, overrides={"transport.long_polling.request_us": 300})
    assert stable(read_summary(out)) == stable(py.summary)
    effective = wsfleet.check(path, overrides=["transport.sse.request_bytes=123"])
    assert "request_us = 150.0" in effective and "request_bytes = 123.0" in effective
    assert wsfleet.check(effective) == effective


@pytest.mark.parametrize("key, value, message", [
    ("transport.sse_share", 0.9, "transport.long_polling_share + transport.sse_share must be <= 1"),
    ("transport.long_polling.poll_timeout_s", 0, "transport.long_polling.poll_timeout_s must be between"),
    ("transport.long_polling.pong_posts", 1, "must be true or false"),
])
def test_bad_transport_values_name_the_key(key: str, value: object, message: str) -> None:
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.run(FALLBACK, overrides={key: value})
    assert message in str(info.value)
    assert info.value.key == key


def test_a_bad_value_from_the_cli_exits_2(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, FALLBACK)
    proc = cli("run", path, "--out", tmp_path / "x", "--set", "transport.long_polling_share=2")
    text = assert_clean_failure(proc)
    assert "transport.long_polling_share must be between 0 and 1 (got 2)" in text


def test_the_report_shows_the_fallback_share_and_names_the_block(tmp_path: Path) -> None:
    report = importlib.import_module("wsfleet.report")  # the module (wsfleet.report is also a function)
    run_dir = wsfleet.run(FALLBACK).save(tmp_path / "run")
    html = report.render_report(report.load_run(run_dir), plots=False)
    assert "Peak share of clients on fallback transports" in html
    assert "WebSocket (blocked for 50% of the clients)" in html
