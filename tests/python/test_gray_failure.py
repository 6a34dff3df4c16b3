"""experiments/scenarios/gray_failure.toml from the user's side: each of its four gray failures does
what the file's comments say, nothing is cut, and the report says it in words. (Each kind is checked
against its construction in tests/cpp/test_gray_failures.cpp.)"""
from __future__ import annotations

import html
import re
from pathlib import Path

import wsfleet
from wsfleet_testing import ROOT

SCENARIO = ROOT / "experiments" / "scenarios" / "gray_failure.toml"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _window(frame, start: float, end: float):
    return frame[(frame["time_s"] > start) & (frame["time_s"] <= end)]


def test_each_gray_failure_degrades_without_cutting() -> None:
    run = wsfleet.run(SCENARIO)
    s = run.summary
    assert s["conservation"]["ok"]
    assert [f["type"] for f in s["faults"]] == ["slow_server", "handshake_blackhole", "health_flap", "link_degrade"]
    assert all(f["connections_dropped"] == 0 for f in s["faults"])
    servers, fleet = run.servers, run.fleet
    # The slow server: a fifth of its CPU left, its messages' p99 far above the others'.
    slow = _window(servers[servers["server"] == 1], 60, 120)
    rest = _window(servers[servers["server"] != 1], 60, 120)
    assert slow["cpu_utilisation"].mean() > 0.8
    # 8 ms of every 10 ms slice taken: the p99 waits most of a slice (on top of the 10 ms network path).
    assert slow["latency_p99_ms"].median() - rest["latency_p99_ms"].median() > 6.0
    assert slow["established"].sum() > 0                  # still taking connections
    # The blackhole: handshakes taken, none completed, timeouts across the fleet.
    hole = _window(servers[servers["server"] == 2], 151, 210)  # handshakes begun before 150 s complete
    assert hole["established"].sum() == 0 and hole["failed"].sum() > 0
    assert s["connections"]["failed_by"]["timeout"] > 0
    # The flapping health endpoint: out of rotation for part of each period, never cut.
    flap = _window(servers[servers["server"] == 3], 240, 330)
    assert (flap["established"] == 0).sum() >= 10
    assert sum(b["marked_down"] for b in s["balancers"]) >= 3
    # The slow link: the median message latency up by 150 ms while it lasts.
    before = _window(fleet, 300, 360)["latency_p50_ms"].mean()
    during = _window(fleet, 365, 420)["latency_p50_ms"].mean()
    assert 140 < during - before < 160
    assert _window(fleet, 430, 450)["latency_p50_ms"].mean() < before + 5


def test_the_report_explains_each_gray_failure(tmp_path: Path) -> None:
    run = wsfleet.run(SCENARIO)
    page = Path(run.report(tmp_path / "gray")).read_text(encoding="utf-8")
    # The CPU limit is the healthy servers' peak: the slowed server's busy time is the fault's (said in
    # the gray failures' section), not a capacity shortfall that more cores would fix.
    servers = run.servers
    slowed = (servers["server"] == 1) & (servers["time_s"] > 60) & (servers["time_s"] <= 121)
    healthy_peak = servers.loc[~slowed, "cpu_utilisation"].max()
    slowed_peak = servers.loc[slowed, "cpu_utilisation"].max()
    assert slowed_peak > 0.8 > 0.5 > healthy_peak
    cpu_row = _text(page).split("Every limit of the model", 1)[1].split("CPU", 1)[1].split("Server memory", 1)[0]
    assert f"{100 * healthy_peak:.1f}% busy" in cpu_row and "while a slow_server fault slowed it (not counted)" in cpu_row
    assert "Verdict: ENOUGH CAPACITY" in _text(page) and "needs 2 cores" not in _text(page)
    # No gray failure cut a connection: no storm card with "0 s until all 0 clients".
    assert "connections dropped by the faults of this run: no reconnect storm" in _text(page)
    assert page.count("— (none dropped)") == 4 and "0 s until" not in _text(page)
    text = _text(page)
    assert "What does a gray failure cost" in text
    assert "Server 1 slows down at 60 s to 1/5 of its CPU speed, still up and still taking connections" in text
    assert "server 2 stops completing handshakes at 150 s" in text
    assert "the health endpoint of server 3 starts failing half of every 30 s at 240 s" in text
    assert "every path to site dc becomes 150 ms slower (one way) at 360 s" in text
    assert 'id="operations"' in page and "Gray failures" in text
    assert "stalled by a handshake_blackhole fault (not the CPU, " in text
    assert "Server 1 ran slow from 60 s to 120 s and stayed in service" in text
    assert "Server 2 accepted connections from 150 s to 210 s but completed no handshake" in text
    assert "The path to site dc was slower from 360 s to 420 s" in text
