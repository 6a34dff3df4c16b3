"""pusher-js's HTTP fallback race, through summary.json (models/transport/pusher_fallback.*;
pusher/pusher-js src/runtimes/web/default_strategy.ts: the HTTP fallback starts 2 s after the
WebSocket, FirstConnectedStrategy keeps the first to connect and aborts the rest)."""
import json

import wsfleet
from wsfleet.views import Summary

# One pusher client, two servers behind round robin: its WebSocket goes to server 0, whose
# handshakes never finish (a blackhole); the next connection goes to server 1.
SCENARIO = """
[run]
duration_s = 60.0
seed = 1

[fleet]
servers = 2

[fleet.cpu]
handshake_us = 1000.0

[clients]
count = 1
ramp_s = 1.0
messages_per_minute = 0.0
heartbeat_interval_s = 0.0

[balancer]
policy = "round_robin"

[balancer.health_check]
mode = "instant"

[backoff]
policy = "pusher"

[[faults]]
type = "handshake_blackhole"
server = 0
at_s = 0.0
recover_after_s = 1000.0
"""


def _summary(tmp_path, name, overrides=None):
    out = tmp_path / name
    wsfleet.run(SCENARIO, overrides=overrides, progress=False).save(out)
    return Summary(json.loads((out / "summary.json").read_text(encoding="utf-8")))


def test_the_fallback_connects_at_two_seconds_and_the_websocket_is_closed(tmp_path):
    s = _summary(tmp_path, "race")
    race = s.pusher_fallback
    assert race.transport == "xhr_streaming"
    assert s.connections.attempted == 1
    assert s.connections.established == 1
    assert race.fallback.started == 1
    assert race.fallback.took_over == 1
    assert race.losers_closed.websocket == 1
    assert race.won_by.fallback == 1
    assert race.won_by.websocket == 0
    assert s.transport.clients_at_end.sse == 1
    # 2 s of delay, then the 1 ms handshake on server 1 (no round trip without a topology).
    assert abs(s.handshake_latency_ms.max - 2001.0) < 0.02 * 2001.0


def test_without_the_fallback_the_websocket_waits_out_its_15_s_timeout(tmp_path):
    s = _summary(tmp_path, "off", {"clients.pusher_fallback": "off"})
    assert s.pusher_fallback is None
    assert s.connections.attempted == 2
    assert s.connections.failed_by.timeout == 1
    assert s.connections.established == 1
    assert s.transport.clients_at_end.sse == 0
