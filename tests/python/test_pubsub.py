"""Pub/sub through the Python API, --set and the report: the summary's pubsub object, the new series
columns, out-of-memory crashes named in the report. (The mechanisms themselves are tested on the
engine in tests/cpp/test_pubsub.cpp.)"""
from __future__ import annotations

import json
from pathlib import Path

import wsfleet
from wsfleet.report import load_run, render_report

from wsfleet_testing import cli

SCENARIO = """
[run]
duration_s = 60
[fleet]
servers = 4
[clients]
count = 400
ramp_s = 1
messages_per_minute = 0
[pubsub]
channels = 1
message_bytes = 1000
[pubsub.feed]
channels = 1
rate_per_s = 20
process = "periodic"
[[pubsub.links]]
name = "slow"
share = 1
drain_messages_per_s = 15
"""


def test_the_summary_and_series_carry_pubsub() -> None:
    r = wsfleet.run(SCENARIO, overrides={"pubsub.buffer.policy": "drop_newest", "pubsub.buffer.limit_kib": 16})
    ps = r.summary["pubsub"]
    assert r.summary["conservation"]["ok"]
    assert 1190 <= ps["publications"]["published"] <= 1200
    per_client = ps["copies"]["delivered"] / 400
    assert abs(per_client - 15 * 59) / (15 * 59) < 0.02          # the link's rate
    assert ps["copies"]["dropped_full"] / 400 > 4 * 59             # 5 a second over it are dropped
    assert ps["continuity"]["exactly_once"] is False
    for column in ("published", "pubsub_delivered", "pubsub_dropped", "buffered_mib", "pubsub_latency_p99_ms"):
        assert column in r.fleet.columns
    assert "buffered_kib" in r.servers.columns
    assert "pubsub" not in wsfleet.run("[clients]\ncount = 10\n[run]\nduration_s = 10\n").summary


def test_out_of_memory_from_the_cli_and_in_the_report(tmp_path: Path) -> None:
    scenario = tmp_path / "ps.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "run"
    proc = cli("run", scenario, "--out", out, "--set", "pubsub.buffer.preset=ws", "--set", "fleet.memory_limit_mib=270",
               "--set", "fleet.restart_s=5")
    assert proc.returncode == 0, proc.stderr
    run = load_run(out)
    faults = [f for f in run.summary["faults"] if f["type"] == "out_of_memory"]
    assert faults and 10 < faults[0]["at_s"] < 25
    assert run.summary["pubsub"]["slow_consumers"]["memory_crashes"] == len(faults)
    page = render_report(run, plots=False)
    assert "ran out of memory" in page
    assert "Send buffers and drops over time" not in page
    assert "Send buffers and drops over time" in render_report(run, plots=True)


def test_buffer_presets_from_python_and_the_cli() -> None:
    presets = {p["name"]: p for p in wsfleet.buffer_presets()}
    assert presets["centrifugo"]["policy"] == "close" and presets["centrifugo"]["limit_kib"] == 1024
    assert presets["uws"]["policy"] == "uws" and presets["uws"]["limit_kib"] == 64
    assert presets["uws_close"]["close_on_limit"] is True
    listed = json.loads(cli("list", "--json").stdout)
    assert [p["name"] for p in listed["buffer_presets"]] == list(presets)
    assert "conflate" in listed["buffer_policies"]
    assert "Send-buffer presets" in cli("list").stdout
