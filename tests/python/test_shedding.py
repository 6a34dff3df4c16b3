"""experiments/scenarios/shedding.toml shows what the issue asks of load shedding: the same fleet,
the same retry storm, kept up by admission control and collapsed without it. (The mechanism itself
is tested on the engine in tests/cpp/test_load_shedding.cpp; this checks the scenario file a user
runs still says what its comments promise, through the Python API and the report.)"""
from __future__ import annotations

import html
import re
from pathlib import Path

import wsfleet

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "experiments" / "scenarios" / "shedding.toml"
OFF = {"fleet.admission.reject_above_backlog_ms": 0.0}


def test_shedding_keeps_the_fleet_up_where_the_same_fleet_without_it_collapses() -> None:
    shed = wsfleet.run(SCENARIO).summary
    collapsed = wsfleet.run(SCENARIO, overrides=OFF).summary
    assert shed["conservation"]["ok"] and collapsed["conservation"]["ok"]
    clients = shed["clients"]["count"]
    # Without admission control: the survivors pay for handshakes that time out, and the retries keep
    # their queues full until the end; far from every client gets back.
    assert collapsed["faults"][0]["reconnected_within_s"] is None
    assert collapsed["connections"]["failed_by"]["timeout"] > 50_000
    assert collapsed["connections"]["active_at_end"] < 0.7 * clients
    assert collapsed["connections"]["rejected_by"]["shed"] == 0
    # With it: cheap refusals with a Retry-After keep the queues short; every client is back, with no
    # timeout at all. The retries come in synchronised waves (constant 1 s backoff), and a server admits
    # 500 ms of handshakes (100) per wave: 4,000 clients over 2 survivors take 20 s.
    assert shed["connections"]["rejected_by"]["shed"] > 10_000
    back = [f["reconnected_within_s"] for f in shed["faults"]]
    assert None not in back
    assert 19.0 <= max(back) < 25.0
    assert shed["connections"]["failed_by"]["timeout"] == 0
    assert shed["connections"]["active_at_end"] == clients


def test_the_report_says_what_was_shed(tmp_path: Path) -> None:
    run_dir = wsfleet.run(SCENARIO).save(tmp_path / "shed")
    page = Path(wsfleet.report(run_dir)).read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    shed = wsfleet.run(SCENARIO).summary["connections"]["rejected_by"]["shed"]
    assert f"Admission control refused {shed:,} connection attempts" in text
    assert "while a server's CPU queue was longer than 500 ms" in text
    assert "Retry-After of 1 s" in text
