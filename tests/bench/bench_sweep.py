"""Sweep throughput on this machine (a benchmark that prints figures; not a test).

    .venv/bin/python tests/bench/bench_sweep.py [POINTS]
    .venv/bin/python tests/bench/bench_sweep.py --paired ROUNDS [--old DIR] [POINTS]

The first form runs the same short runs (one replication per point) in a plain loop, then as a
sweep in this process and with 1 and 2 local worker processes, and prints points per second and the
per-point overhead of the sweep machinery over the plain loop (the worker round trip, flattening the
summary, gathering, encoding and committing the groups of parts), and the driver's own CPU time per
point (with 2 workers on 2 cores it competes with them). Worker start-up is included; the load
average printed says how busy the machine was (other builds skew the 2-worker figure most).

--paired runs sweeps with 1 and 2 workers alternately, ROUNDS times each, every sweep in a fresh
Python process, and prints the median points per second of each, their ratio, and the load average
before and after each sweep. --old DIR also runs, interleaved with them, the wsfleet package found
in DIR (a copy of another version's installed package: DIR/wsfleet), and prints new / old.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def axes(points: int):
    import wsfleet

    return {"clients.count": wsfleet.Range(10000, 10000 + points - 1, steps=points)}


def once(workers: int, points: int) -> dict:
    """One sweep of `points` points with `workers` workers, in this process: its figures."""
    import wsfleet

    wsfleet.Sweep  # the package's lazy imports (pandas, pyarrow) are not timed: the sweep is
    from wsfleet import _store

    # When the driver receives each finished point (the store's add_point; write_point in versions
    # that wrote a part per point): the start-up (to the first point), the steady rate in between, the
    # end (from the last point: the last group, the table, the aggregate).
    stamps = []
    for name in ("add_point", "write_point"):
        real = getattr(_store.ResultStore, name, None)
        if real is not None:
            def stamped(self, *a, _real=real, **k):
                stamps.append(time.perf_counter())
                return _real(self, *a, **k)
            setattr(_store.ResultStore, name, stamped)
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        children = os.times()
        result = wsfleet.Sweep(SCENARIO, axes(points)).run(Path(tmp) / "out", workers=workers, progress=False)
        end = time.perf_counter()
        wall = end - start
        for child in multiprocessing.active_children():  # the workers exit after the sweep returns:
            child.join()                                 # their CPU time counts once they are reaped
        try:  # wsfleet's own worker processes, in versions that have them
            from wsfleet import _workers
        except ImportError:
            pass
        else:
            for process in _workers._exiting:
                process.wait()
        after = os.times()
        rows = len(result.frame)
    return {"workers": workers, "points_per_s": rows / wall, "driver_cpu_ms": (time.process_time() - cpu) / rows * 1e3,
            "workers_cpu_ms": (after.children_user + after.children_system - children.children_user
                               - children.children_system) / rows * 1e3,
            "load_before": load, "load_after": os.getloadavg()[0], "first_point_s": stamps[0] - start,
            "steady_points_per_s": (rows - 1) / (stamps[-1] - stamps[0]), "end_s": end - stamps[-1]}


def paired(rounds: int, old: str, points: int) -> None:
    versions = [("new", None)] + ([("old", old)] if old else [])
    figures = {(v, w): [] for v, _ in versions for w in (1, 2)}
    for r in range(rounds):
        for w in (1, 2):
            for version, path in versions:
                env = dict(os.environ)
                if path:
                    env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
                proc = subprocess.run([sys.executable, __file__, "--once", str(w), str(points)], env=env,
                                      capture_output=True, text=True)
                if proc.returncode != 0:
                    sys.exit(f"the {version} sweep with {w} worker(s) failed:\n{proc.stderr}")
                out = proc.stdout
                f = json.loads(out.strip().splitlines()[-1])
                figures[(version, w)].append(f)
                print(f"round {r + 1} {version:>3} {w} worker(s): {f['points_per_s']:6.1f} points/s (steady "
                      f"{f['steady_points_per_s']:5.1f}; first point at {f['first_point_s']:.2f} s, end "
                      f"{f['end_s']:.2f} s), driver CPU {f['driver_cpu_ms']:4.1f} ms/point, workers' CPU "
                      f"{f['workers_cpu_ms']:5.1f} ms/point, load {f['load_before']:.2f} -> {f['load_after']:.2f}",
                      flush=True)
    med = {k: statistics.median(x["points_per_s"] for x in v) for k, v in figures.items()}
    steady = {k: statistics.median(x["steady_points_per_s"] for x in v) for k, v in figures.items()}
    loads = [x["load_before"] for v in figures.values() for x in v]
    print(f"medians over {rounds} rounds of {points} points ({os.cpu_count()} cores; load average "
          f"{min(loads):.2f} to {max(loads):.2f}, median {statistics.median(loads):.2f}):")
    for version, _ in versions:
        print(f"  {version}: 1 worker {med[(version, 1)]:.1f} points/s, 2 workers {med[(version, 2)]:.1f} points/s: "
              f"{med[(version, 2)] / med[(version, 1)]:.2f}x; steady (first to last point) "
              f"{steady[(version, 1)]:.1f} and {steady[(version, 2)]:.1f}: {steady[(version, 2)] / steady[(version, 1)]:.2f}x")
    if old:
        for w in (1, 2):
            ratios = [n["points_per_s"] / o["points_per_s"] for n, o in zip(figures[("new", w)], figures[("old", w)])]
            print(f"  new / old with {w} worker(s): {statistics.median(ratios):.2f}x (median of the paired ratios)")


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--once"]:
        print(json.dumps(once(int(args[1]), int(args[2]))))
        return
    if args[:1] == ["--paired"]:
        rounds = int(args[1])
        rest = args[2:]
        old = ""
        if rest[:1] == ["--old"]:
            old, rest = rest[1], rest[2:]
        paired(rounds, old, int(rest[0]) if rest else 100)
        return
    import wsfleet
    from wsfleet import _core

    points = int(args[0]) if args else 100
    sweep = wsfleet.Sweep(SCENARIO, axes(points))
    # The baseline: the same runs in a plain loop, without the sweep machinery.
    start = time.perf_counter()
    for index in range(len(sweep)):
        task = sweep.tasks(index)[0]
        _core.run_text(task.scenario_text, task.source, list(task.overrides)).summary_json()
    bare = (time.perf_counter() - start) / len(sweep)
    print(f"{'plain loop of runs':>24}: {1 / bare:7.1f} runs/s ({bare * 1e3:.1f} ms per run)")
    # What starting a worker costs (a fresh Python, the imports a run needs): paid once per worker per sweep.
    from wsfleet._executors import LocalExecutor

    start = time.perf_counter()
    executor = LocalExecutor(1)
    list(executor.run(exec, ["import wsfleet._task, wsfleet._core, wsfleet._metrics, wsfleet._warmup"]))
    executor.close()
    print(f"{'worker start-up':>24}: {(time.perf_counter() - start) * 1e3:.0f} ms")
    rates = {}
    for label, workers in (("sweep, in-process", 0), ("sweep, 1 worker", 1), ("sweep, 2 workers", 2)):
        f = once(workers, points)
        rates[workers] = f["points_per_s"]
        overhead = 1 / rates[workers] - bare
        print(f"{label:>24}: {rates[workers]:7.1f} points/s"
              + (f"; overhead {overhead * 1e3:5.1f} ms per point over the plain loop" if workers < 2 else "")
              + (f"; driver CPU {f['driver_cpu_ms']:.1f} ms per point" if workers > 0 else ""))
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x the throughput "
          f"({os.cpu_count()} cores; worker start-up included; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
