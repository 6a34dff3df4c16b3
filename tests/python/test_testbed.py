"""The loopback testbed: real HAProxy / NGINX / Node.js ws servers / Python websockets clients, checked
against wsfleet's presets and its simulation of the same storm (docs/testbed.md)."""

import os
import re
import sys
from pathlib import Path

import pytest

import wsfleet

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from testbed import compare  # noqa: E402
from testbed.pick_order import haproxy_retries_probe, preset_pick_order, real_pick_order  # noqa: E402
from testbed.processes import ProcessSet  # noqa: E402
from testbed.proxies import Proxy, ProxySpec  # noqa: E402
from testbed.recorder import WSFLEET_COLUMNS  # noqa: E402
from testbed.servers import ServerFleet  # noqa: E402
from testbed.storm import Fault, StormConfig, run_storm  # noqa: E402

# Above this the client process is starved by whatever else runs on the machine and its clock-driven
# behaviour (backoff timers, handshakes) no longer reflects the clients it stands for.
MAX_CLIENT_LAG_S = 1.0


def test_haproxy_retries_wait_a_turn_around_and_redispatch_moves_on(tmp_path):
    # Measured on the real HAProxy (what the HAProxy presets' retries/redispatch parameters reproduce,
    # tests/cpp/test_haproxy_backend.cpp): with `retries 3` and no redispatch a refused connect is
    # retried on the same dead server after a 1 s turn-around each, so the client gets its 503 after
    # 3 s; `option redispatch` sends the retry to another server at once; `retries 0` answers 503 at
    # once. Round robin alternates, so every other connection goes to the dead server 0.
    for retries, redispatch, to_dead in ((0, False, (0.0, 0.5, 503)), (3, False, (2.9, 4.0, 503)),
                                         (3, True, (0.0, 0.5, "server 1"))):
        seen = haproxy_retries_probe(retries, redispatch, tmp_path / f"r{retries}{int(redispatch)}")
        low, high, answer = to_dead
        for k, (seconds, what) in enumerate(seen):
            if k % 2 == 0:  # round robin's turn of the dead server
                assert low <= seconds <= high and what == answer, (retries, redispatch, seen)
            else:
                assert seconds < 0.5 and what == "server 1", (retries, redispatch, seen)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_processes_are_killed_by_pid_even_when_the_run_fails(tmp_path):
    pids = []
    with pytest.raises(RuntimeError, match="boom"):
        with ProcessSet(tmp_path) as procs:
            servers = ServerFleet(procs, 2, max_lifetime_s=60)
            servers.start_all()
            pids = [servers.pid(0), servers.pid(1)]
            assert all(_alive(p) for p in pids)
            assert servers.stats(0)["connections"] == 0
            raise RuntimeError("boom")
    assert pids and not any(_alive(p) for p in pids)


@pytest.mark.parametrize("preset", ["haproxy_leastconn", "nginx_least_conn"])
def test_proxy_configs_bind_and_connect_to_loopback_only(tmp_path, preset):
    with ProcessSet(tmp_path) as procs:
        proxy = Proxy(procs, ProxySpec(preset, [1, 2]), [9001, 9002])
        text = proxy.config.read_text()
    addresses = set(re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", text))
    assert addresses == {"127.0.0.1"}


def test_unknown_preset_and_bad_storms_are_refused(tmp_path):
    with pytest.raises(ValueError, match="haproxy_leastconn"):
        Proxy(ProcessSet(tmp_path), ProxySpec("envoy_round_robin", [1]), [9001])
    with pytest.raises(ValueError, match="servers must be"):
        StormConfig(servers=0).check()
    with pytest.raises(ValueError, match="fault kind"):
        StormConfig(faults=[Fault("meteor", at_s=1)]).check()
    with pytest.raises(ValueError, match="out of range"):
        StormConfig(servers=2, faults=[Fault("crash", at_s=1, server=2)]).check()


@pytest.mark.parametrize("preset", ["haproxy_roundrobin", "haproxy_static_rr", "haproxy_leastconn",
                                    "nginx_round_robin", "nginx_least_conn"])
@pytest.mark.parametrize("weights", [[1, 2, 3], [5, 1, 1, 2]])
def test_real_proxy_pick_order_is_the_presets(tmp_path, preset, weights):
    picks = 2 * int(sum(weights)) + 3  # more than one full cycle, and into the next
    real = real_pick_order(preset, weights, picks, tmp_path)
    assert len(set(real)) == len(weights)
    assert real == preset_pick_order(preset, weights, picks)


@pytest.mark.parametrize("preset", ["haproxy_leastconn"])
def test_measured_storm_agrees_with_the_simulated_one(tmp_path, preset):
    summary = None
    for attempt in range(2):
        cfg = compare.standard_storm(preset, seed=1 + attempt)
        summary = run_storm(cfg, tmp_path / f"run{attempt}")
        if summary["client_loop_lag_storm_max_s"] <= MAX_CLIENT_LAG_S:
            break
    else:
        pytest.skip(f"the machine is too busy for a measurement: the client process's timers ran "
                    f"{summary['client_loop_lag_storm_max_s']:.1f} s late during the storm (limit {MAX_CLIENT_LAG_S} s)")
    header = (tmp_path / f"run{attempt}" / "timeseries.csv").read_text().splitlines()[0].split(",")
    assert header[:len(WSFLEET_COLUMNS)] == WSFLEET_COLUMNS
    # The recorder writes wsfleet's fleet columns up to the monitoring ones (latency buckets,
    # docs/monitoring.md), which a proxy's counters do not give.
    simulated_columns = list(wsfleet.run(compare.scenario_of(cfg)).fleet.columns)
    recorded = [c for c in WSFLEET_COLUMNS if c not in ("scope", "server")]
    assert simulated_columns[:len(recorded)] == recorded
    assert all(c.startswith("latency_") for c in simulated_columns[len(recorded):])
    measured = compare.measured_figures(summary)
    crash = summary["faults"][0]
    assert crash["connections_dropped"] == 500  # leastconn spread 2,000 clients evenly before the crash
    simulated = [compare.simulate(cfg, seed=s) for s in (1, 2, 3)]
    rows = compare.compare([measured], simulated, deterministic=True)
    failed = [r for r in rows if not r.agree]
    assert not failed, compare.markdown_table(rows)
