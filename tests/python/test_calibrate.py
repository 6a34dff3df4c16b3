"""wsfleet calibrate: a real server's costs from its own CPU and memory accounting (docs/testbed.md)."""

import subprocess
import sys
from pathlib import Path

import pytest

import wsfleet
from wsfleet.calibrate import CalibrationError, calibrate

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
SERVER = ["node", str(ROOT / "testbed" / "ws_server.js"), "--port", "{port}", "--max-lifetime-s", "120"]
NODE_ENV = {"NODE_PATH": "/usr/share/nodejs"}
WSFLEET = Path(sys.executable).with_name("wsfleet")


def test_calibrating_the_testbed_server_gives_a_usable_cost_section(tmp_path):
    out = tmp_path / "costs.toml"
    proc = subprocess.run([str(WSFLEET), "calibrate", "--command", " ".join(SERVER), "--env", "NODE_PATH=/usr/share/nodejs",
                           "--connections", "200", "--messages", "10", "--out", str(out)],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    costs = tomllib.loads(out.read_text())
    cpu = costs["fleet"]["cpu"]
    # A Node.js ws handshake costs tens to hundreds of microseconds of CPU, never nothing and never a
    # second; messages and pings cost less than a handshake.
    assert 10.0 < cpu["handshake_us"] < 20000.0
    for key in ("inbound_message_us", "heartbeat_us"):
        assert 0.5 < cpu[key] < cpu["handshake_us"], key
    assert 0.0 <= cpu["outbound_message_us"] < cpu["handshake_us"]
    assert 1.0 < costs["fleet"]["memory_per_connection_kib"] < 1024.0
    assert 10.0 < costs["fleet"]["base_memory_mib"] < 1024.0
    # The section is a scenario's: it runs.
    scenario = {"run": {"duration_s": 30.0}, "clients": {"count": 200, "ramp_s": 5.0}, "fleet": costs["fleet"]}
    result = wsfleet.run(scenario)
    assert result.summary["conservation"]["ok"]
    assert result.summary["handshake_latency_ms"]["p50"] == pytest.approx(cpu["handshake_us"] / 1000.0, rel=0.01)


def test_calibrate_refuses_what_it_cannot_measure():
    with pytest.raises(CalibrationError, match="loopback"):
        calibrate(pid=1, port=80, host="10.0.0.1")
    with pytest.raises(CalibrationError, match="either --pid"):
        calibrate(pid=1, port=80, command=["true"])
    with pytest.raises(CalibrationError, match="connections must be"):
        calibrate(command=SERVER, env=NODE_ENV, connections=0)
    with pytest.raises(CalibrationError, match="exited with status"):
        calibrate(command=["sh", "-c", "exit 3"])
    proc = subprocess.run([str(WSFLEET), "calibrate", "--pid", "1", "--port", "9", "--host", "example.org"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "host must be a loopback address" in proc.stderr
