"""socket.io's polling handshake and upgrade in a storm, with and without sticky sessions
(experiments/scenarios/socketio_sticky.toml; models/transport/session_opening.*)."""
from pathlib import Path

import pytest

import wsfleet
from wsfleet._analysis import session_opening_sentence
from wsfleet.views import Summary

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "experiments" / "scenarios" / "socketio_sticky.toml")


@pytest.fixture(scope="module")
def runs():
    return {
        "cookie": wsfleet.run(SCENARIO, progress=False),
        "none": wsfleet.run(SCENARIO, overrides={"balancer.sticky": "none"}, progress=False),
        "ip_hash": wsfleet.run(SCENARIO, overrides={"balancer.sticky": "none", "balancer.policy": "ip_hash"},
                               progress=False),
    }


def test_sticky_sessions_bring_everyone_back(runs):
    for name in ("cookie", "ip_hash"):
        s = Summary(runs[name].summary)
        assert s.connections.active_at_end == 8000, name
        assert s.connections.failed_by.session_unknown == 0, name
        opening = s.session_opening
        assert opening.library == "engine.io"
        assert opening.requests_per_open == 4
        # 8,000 first connections and the 2,000 reconnects of the crashed server's clients at least.
        assert s.connections.established >= 10000
        assert opening.requests.answered >= 4 * s.connections.established
        assert opening.requests.failed_by.session_unknown == 0
        assert opening.upgrades.session_unknown == 0
        line = session_opening_sentence(s)
        assert line.startswith("each reconnect cost 5 HTTP requests")
        assert "no session failed" in line


def test_without_sticky_sessions_round_robin_almost_never_connects(runs):
    s = Summary(runs["none"].summary)
    # The requests follow each other in time, so other clients' requests come between one client's
    # and round robin's turn brings a few of them back to the session's server: under 1 % connect.
    assert 0 < s.connections.established < s.connections.attempted / 100
    unknown = s.connections.failed_by.session_unknown
    assert unknown == s.connections.attempted - s.connections.pending_at_end - s.connections.established - s.connections.failed_by.crash
    # A failed attempt sent the handshake GET (answered) and then requests until one reached another
    # server (400): 2 at least; a complete one 4.
    o = s.session_opening
    seq = o.sequences
    assert seq.completed + seq.failed + seq.timed_out + seq.in_flight_at_end == o.opens
    assert 2 * seq.failed + 4 * seq.completed <= o.requests.sent <= 4 * o.opens
    assert o.requests.failed_by.session_unknown + o.upgrades.session_unknown == unknown
    line = session_opening_sentence(s)
    assert f"{unknown:,} sessions failed with Session ID unknown: the balancer is not sticky" in line
    # What those attempts did send, not what a complete opening would have cost.
    assert line.startswith("a complete session opening costs 5 HTTP requests")
    assert f"its {s.session_opening.opens:,} attempts sent {s.session_opening.requests.sent:,} requests ({s.session_opening.requests.sent / s.session_opening.opens:.1f} each)" in line


def test_requests_cost_cpu_and_are_conserved(runs):
    for r in runs.values():
        s = Summary(r.summary)
        o = s.session_opening
        assert o.requests.sent == o.requests.answered + o.requests.failed
        reached = o.requests.answered + o.requests.failed_by.session_unknown + o.upgrades.session_unknown
        assert o.cpu_seconds == pytest.approx(150e-6 * reached)
        assert r.summary["conservation"]["ok"]
        assert r.summary["conservation"]["checks"]["session opening cpu"]["ok"]


def test_report_has_the_line(runs, tmp_path):
    runs["none"].report(str(tmp_path / "none"))
    html = (tmp_path / "none" / "report.html").read_text()
    assert "a complete session opening costs 5 HTTP requests" in html and " each)" in html
    assert "the balancer is not sticky" in html
    # The verdict names the missing stickiness, not the capacity, and says what to change.
    assert "The binding constraint is the sticky sessions" in html and "more servers would not help" in html
    assert "balancer.sticky" in html
    # No "all 0 clients back within 0 s" (the few clients connected by chance make the crash drop some).
    assert "all 0 clients" not in html


def test_websocket_only_clients_send_no_requests_first():
    r = wsfleet.run(SCENARIO, overrides={"clients.upgrade_from_polling": "off", "balancer.sticky": "none",
                                         "run.duration_s": 70}, progress=False)
    s = Summary(r.summary)
    assert s.session_opening is None
    assert s.connections.active_at_end == 8000
    assert session_opening_sentence(s) is None
