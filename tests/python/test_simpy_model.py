"""The SimPy model of million.toml (tests/bench/simpy_model.py, against which `make bench` measures
wsfleet's speed) is the same model as wsfleet's: at small scale both give the same connections, the
same crash and storm, and heartbeats, messages and latencies within their randomness. If they
disagree, the speed ratio compares different models."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
import simpy  # noqa: F401 - a dev requirement (pyproject.toml): missing, this test fails rather than skips

from wsfleet import _core

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "experiments" / "bench" / "million.toml"


def _load_model():
    spec = importlib.util.spec_from_file_location("simpy_model", ROOT / "tests" / "bench" / "simpy_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["simpy_model"] = module
    spec.loader.exec_module(module)
    return module


simpy_model = _load_model()


def both(overrides, seed):
    text = SCENARIO.read_text(encoding="utf-8")
    ws = json.loads(_core.run_text(text, str(SCENARIO), list(overrides) + [f"run.seed={seed}"]).summary_json())
    py = simpy_model.run(str(SCENARIO), overrides, seed=seed)
    return ws, py


# 2,000 clients on 2 servers for 10 minutes; server 1 crashes at 300 s and its 1,000 clients reconnect.
STORM = ["clients.count=2000", "fleet.servers=2", "faults.0.server=1", "run.duration_s=600", "faults.0.at_s=300"]


@pytest.mark.parametrize("seed", [1, 2])
def test_same_connections_crash_heartbeats_and_messages(seed):
    ws, py = both(STORM, seed)
    c, crash = ws["connections"], ws["faults"][0]
    # Connections: every client once, then the crashed server's half again. Least connections splits
    # one-at-a-time arrivals exactly in half, so the crash cuts exactly 1,000 in both.
    assert c["established"] == py["established"] == 3000
    assert crash["connections_dropped"] == py["connections_dropped"] == 1000
    assert c["rejected"] == py["rejected"] == 0
    # Every cut client reconnected in both, after the balancer's health checks found the crash
    # (3 failed probes 2 s apart: 4 to 6 s) and at most one capped backoff (30 s) later.
    assert crash["reconnected_within_s"] is not None and py["reconnected_within_s"] is not None
    for within in (crash["reconnected_within_s"], py["reconnected_within_s"]):
        assert 4.0 <= within <= 6.0 + 30.0 + 1.0
    # Until then, attempts that the balancer still sent to the crashed server failed (tries = 1),
    # a few per cut client in both: their number rides on when the probes noticed, so it agrees
    # within a third, not exactly (a model without health checks has none: 0).
    assert c["failed"] == c["failed_by"]["backend_down"] and py["failed"] == py["failed_backend_down"]
    assert 0.75 <= py["failed"] / c["failed"] <= 1.33
    assert c["attempted"] == c["established"] + c["failed"] and py["attempted"] == py["established"] + py["failed"]
    # Heartbeats: every 25 s from each connection until its server crashed or the run ended. Each
    # connection's count differs between the two runs by at most one (random arrival and reconnect
    # times), the storm's common shift adds a few tens: 5 standard deviations of that, under 2 %.
    hb_ws, hb_py = ws["heartbeats"]["sent"], py["heartbeats_sent"]
    expected = 1000 * (600 - 30) / 25 + 1000 * (300 - 30) / 25 + 1000 * (300 - 20) / 25  # ~ mean arrival, reconnect
    assert abs(hb_ws - expected) < 0.03 * expected and abs(hb_py - expected) < 0.03 * expected
    assert abs(hb_ws - hb_py) <= 5 * math.sqrt(2 * 3000 * 0.25) + 40, (hb_ws, hb_py)
    # Messages: Poisson, one a minute per connection: the difference of two independent Poisson
    # counts has variance a + b; 4 sigma.
    m_ws, m_py = ws["messages"]["sent"], py["messages_sent"]
    assert abs(m_ws - m_py) <= 4 * math.sqrt(m_ws + m_py), (m_ws, m_py)
    minutes = (1000 * (600 - 30) + 1000 * (300 - 30) + 1000 * (300 - 20)) / 60  # connection-minutes, as above
    assert abs(m_ws - minutes) < 0.05 * minutes and abs(m_py - minutes) < 0.05 * minutes
    # The CPU barely queues (70 us per message): the median message takes its 70 us of service,
    # within the histogram's resolution (~1 %), in both.
    assert ws["messages"]["latency_ms"]["p50"] == pytest.approx(0.070, rel=0.012)
    assert py["latency_p50_ms"] == pytest.approx(0.070, rel=1e-6)


def test_same_cpu_queue_under_load():
    """A loaded CPU (1 ms per message, a message a second from each of 500 connections per server:
    busy half the time): latency is set by the FCFS queue, and both models give the M/D/1 mean
    (S + rho S / (2 (1 - rho)) = 1.5 ms; a little less here, the first 10 s ramp up) and the same
    tail, within noise and the histogram's resolution. (The crash comes at the end of the run.)"""
    overrides = ["clients.count=1000", "fleet.servers=2", "run.duration_s=100", "clients.ramp_s=10",
                 "clients.messages_per_minute=60", "fleet.cpu.inbound_message_us=1000",
                 "fleet.cpu.outbound_message_us=0", "fleet.cpu.heartbeat_us=0", "faults.0.server=1",
                 "faults.0.at_s=100"]
    ws, py = both(overrides, 3)
    mean_ws, mean_py = ws["messages"]["latency_ms"]["mean"], py["latency_mean_ms"]
    assert mean_ws == pytest.approx(1.5, rel=0.03) and mean_py == pytest.approx(1.5, rel=0.03)
    assert mean_ws == pytest.approx(mean_py, rel=0.03)
    assert ws["messages"]["latency_ms"]["p50"] == pytest.approx(py["latency_p50_ms"], rel=0.02)
    assert ws["messages"]["latency_ms"]["p99"] == pytest.approx(py["latency_p99_ms"], rel=0.06)
    m_ws, m_py = ws["messages"]["sent"], py["messages_sent"]
    assert abs(m_ws - m_py) <= 4 * math.sqrt(m_ws + m_py), (m_ws, m_py)
    assert ws["connections"]["established"] == py["established"] == 1000


def test_refuses_what_it_does_not_model(tmp_path):
    with pytest.raises(ValueError, match="least_connections"):
        simpy_model.load_params(str(SCENARIO), ["balancer.policy=\"round_robin\""])
    with pytest.raises(ValueError, match="full_jitter"):
        simpy_model.load_params(str(SCENARIO), ["backoff.policy=\"exponential\""])
    with pytest.raises(ValueError, match="not a server"):
        simpy_model.load_params(str(SCENARIO), ["fleet.servers=2"])  # the crash names server 17
