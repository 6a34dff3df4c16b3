"""wsfleet against the same model in SimPy: CPU seconds of each on experiments/bench/million.toml shrunk
to N clients (a benchmark that prints figures; not a test).

    .venv/bin/python tests/bench/bench_simpy.py [CLIENTS ...]      (default: 2000 10000)

Both simulate the same scenario for the same hour: `clients.count=N fleet.servers=N/1000
faults.0.server=1` (1,000 connections per server, server 1 crashes at 1,800 s and its clients
reconnect to the others). CPU time of this process (time.process_time) around each run: wsfleet's
engine through wsfleet._core.run_text (best of 3 runs), the SimPy model (tests/bench/simpy_model.py)
building and running its environment (one run: it is the slow side). The counts of both are
printed side by side: the same model gives the same connections and crash, and heartbeats and
messages within their randomness (tests/python/test_simpy_model.py checks it at small scale).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import simpy  # noqa: E402

import simpy_model  # noqa: E402
from wsfleet import _core  # noqa: E402

SCENARIO = HERE.parent.parent / "experiments" / "bench" / "million.toml"


def overrides_for(clients: int):
    return [f"clients.count={clients}", f"fleet.servers={max(2, clients // 1000)}", "faults.0.server=1"]


def wsfleet_run(text: str, overrides):
    start = time.process_time()
    native = _core.run_text(text, str(SCENARIO), list(overrides))
    cpu = time.process_time() - start
    return cpu, json.loads(native.summary_json())


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 10000]
    text = SCENARIO.read_text(encoding="utf-8")
    print(f"wsfleet against SimPy {simpy.__version__} (Python {sys.version.split()[0]}), "
          f"million.toml shrunk, 3,600 s simulated; load average {os.getloadavg()[0]:.2f}")
    for clients in sizes:
        overrides = overrides_for(clients)
        runs = [wsfleet_run(text, overrides) for _ in range(3)]
        ws_cpu = min(cpu for cpu, _ in runs)
        s = runs[0][1]
        sp = simpy_model.run(str(SCENARIO), overrides)
        crash = s["faults"][0]
        print(f"--- {clients:,} clients, {max(2, clients // 1000)} servers ({' '.join(overrides)})")
        print(f"{'':>24} {'wsfleet':>12} {'SimPy':>12}")
        for label, ws, py in (
                ("connections established", s["connections"]["established"], sp["established"]),
                ("cut by the crash", crash["connections_dropped"], sp["connections_dropped"]),
                ("heartbeats sent", s["heartbeats"]["sent"], sp["heartbeats_sent"]),
                ("messages sent", s["messages"]["sent"], sp["messages_sent"]),
                ("message latency mean ms", round(s["messages"]["latency_ms"]["mean"], 4),
                 round(sp["latency_mean_ms"], 4)),
                ("CPU seconds", round(ws_cpu, 3), round(sp["cpu_s"], 2))):
            print(f"{label:>24} {ws:>12} {py:>12}")
        print(f"SimPy / wsfleet CPU time at {clients:,} clients: {sp['cpu_s'] / ws_cpu:.0f}x")


if __name__ == "__main__":
    main()
