"""Sweep throughput on this machine (a benchmark that prints figures; not a test).

    .venv/bin/python tests/bench/bench_sweep.py [POINTS]

Runs the same short runs (one replication per point) in a plain loop, then as a sweep in this
process and with 1 and 2 local worker processes, and prints points per second and the per-point
overhead of the sweep machinery over the plain loop (task pickling, the worker round trip,
flattening the summary, encoding and writing the Parquet part), and the driver's own CPU time per
point (with 2 workers on 2 cores it competes with them). Worker start-up is included; the load
average printed says how busy the machine was (other builds skew the 2-worker figure most).
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import wsfleet
from wsfleet import _core

SCENARIO = """
[run]
duration_s = 300
sample_interval_s = 10
[fleet]
servers = 4
max_connections = 4000
[clients]
count = 10000
ramp_s = 10
messages_per_minute = 6
[[faults]]
type = "crash"
server = 1
at_s = 60
"""


def main() -> None:
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    axes = {"clients.count": wsfleet.Range(10000, 10000 + points - 1, steps=points)}
    sweep = wsfleet.Sweep(SCENARIO, axes)
    # The baseline: the same runs in a plain loop, without the sweep machinery.
    start = time.perf_counter()
    for index in range(len(sweep)):
        task = sweep.tasks(index)[0]
        _core.run_text(task.scenario_text, task.source, list(task.overrides)).summary_json()
    bare = (time.perf_counter() - start) / len(sweep)
    print(f"{'plain loop of runs':>24}: {1 / bare:7.1f} runs/s ({bare * 1e3:.1f} ms per run)")
    # What starting a worker costs (spawn a Python, import wsfleet): paid once per worker per sweep.
    start = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(exec, "import wsfleet._task").result()
    print(f"{'worker start-up':>24}: {(time.perf_counter() - start) * 1e3:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        rates = {}
        for label, workers in (("sweep, in-process", 0), ("sweep, 1 worker", 1), ("sweep, 2 workers", 2)):
            start, cpu = time.perf_counter(), time.process_time()
            result = wsfleet.Sweep(SCENARIO, axes).run(Path(tmp) / str(workers), workers=workers, progress=False)
            wall = time.perf_counter() - start
            driver = (time.process_time() - cpu) / len(result.frame)
            rates[workers] = len(result.frame) / wall
            overhead = wall / len(result.frame) - bare
            print(f"{label:>24}: {rates[workers]:7.1f} points/s"
                  + (f"; overhead {overhead * 1e3:5.1f} ms per point over the plain loop" if workers < 2 else "")
                  + (f"; driver CPU {driver * 1e3:.1f} ms per point" if workers > 0 else ""))
        print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x the throughput "
              f"({os.cpu_count()} cores; worker start-up included; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
