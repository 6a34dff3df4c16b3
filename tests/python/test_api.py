"""The Python API: wsfleet.run / wsfleet.check from a path, a TOML string or a dict, overrides, the
tidy DataFrames, RunResult.save, and the GIL being released while the engine runs."""
from __future__ import annotations

import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
import pandas as pd
import pytest

import wsfleet
from wsfleet_testing import STORM_TOML, cli, read_summary, stable, write_scenario

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COUNT_COLUMNS = ["up", "connections", "attempts", "established", "rejected", "failed", "closed", "dropped",
                 "messages_delivered"]
FLOAT_COLUMNS = ["time_s", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "latency_p50_ms", "latency_p99_ms"]
FLEET_COLUMNS = ["time_s", "up", "connections", "attempts", "established", "rejected", "failed", "closed", "dropped",
                 "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered", "latency_p50_ms",
                 "latency_p99_ms", "retries", "waiting", "gave_up", "conn_max_over_mean", "conn_cv", "half_open",
                 "clients_websocket", "clients_long_polling", "clients_sse", "polls",
                 *[f"latency_le_ms_{b}" for b in ("1", "2.5", "5", "10", "25", "50", "100", "250", "500", "1000",
                                                  "2500", "5000", "10000")], "latency_count", "latency_sum_ms"]
SERVER_COLUMNS = ["time_s", "server", "class", "up", "connections", "attempts", "established", "rejected", "failed", "closed",
                  "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
                  "latency_p50_ms", "latency_p99_ms", "polls", "present", "refused_server_full", "refused_shed",
                  "refused_timeout", "refused_backend_down", "refused_crash"]
BALANCER_COLUMNS = ["time_s", "balancer", "up", "source_ports_in_use", "source_ports_limit", "refused_no_backend",
                    "refused_rate_limited", "refused_balancer_down", "refused_source_ports"]


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scenario(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def result(scenario_path: Path) -> wsfleet.RunResult:
    return wsfleet.run(scenario_path)


def assert_same_run(a: wsfleet.RunResult, b: wsfleet.RunResult) -> None:
    assert stable(a.summary) == stable(b.summary)
    pd.testing.assert_frame_equal(a.fleet, b.fleet)
    pd.testing.assert_frame_equal(a.servers, b.servers)
    assert a.scenario_toml == b.scenario_toml


# ------------------------------------------------------------------------------------------------
# Three ways to give a scenario


def test_path_string_and_dict_give_the_same_run(scenario_path: Path, result: wsfleet.RunResult) -> None:
    from_str_path = wsfleet.run(str(scenario_path))
    from_text = wsfleet.run(STORM_TOML)
    from_dict = wsfleet.run(tomllib.loads(STORM_TOML))
    for other in (from_str_path, from_text, from_dict):
        assert_same_run(result, other)
    # Only host timing differs, and it is there.
    for key in ("wall_seconds", "events_per_second"):
        assert result.summary[key] > 0


def test_summary_is_summary_json(result: wsfleet.RunResult, tmp_path: Path) -> None:
    out = result.save(tmp_path / "saved")
    assert out == tmp_path / "saved"
    assert read_summary(out) == result.summary
    s = result.summary
    assert s["scenario"]["name"] == "storm"
    assert s["clients"]["count"] == 2000
    assert s["conservation"]["ok"] is True


def test_overrides_as_dict_and_as_list(scenario_path: Path) -> None:
    as_dict = wsfleet.run(scenario_path, overrides={"clients.count": 700, "balancer.policy": "round_robin",
                                                    "backoff.cap_s": 4.0, "scenario.name": "x y",
                                                    "clients.session": {"distribution": "exponential", "mean_s": 20.0},
                                                    "clients.on_session_end": "reconnect"})
    as_list = wsfleet.run(scenario_path, overrides=["clients.count=700", "balancer.policy=round_robin",
                                                    "backoff.cap_s=4.0", 'scenario.name="x y"',
                                                    'clients.session={distribution = "exponential", mean_s = 20.0}',
                                                    "clients.on_session_end=reconnect"])
    assert_same_run(as_dict, as_list)
    s = as_dict.summary
    assert s["clients"]["count"] == 700
    assert s["fleet"]["balancer"] == "round_robin"
    assert s["scenario"]["name"] == "x y"
    assert s["connections"]["closed"] > s["connections"]["dropped"]  # sessions ended
    assert "cap_s = 4.0" in as_dict.scenario_toml
    # Any sequence of strings works like a list; None means no overrides.
    overrides = ["clients.count=700", "balancer.policy=round_robin"]
    assert_same_run(wsfleet.run(scenario_path, overrides=overrides),
                    wsfleet.run(scenario_path, overrides=tuple(overrides)))
    assert_same_run(wsfleet.run(scenario_path, overrides=None), wsfleet.run(scenario_path, overrides=[]))


def test_seed_and_replication_arguments(scenario_path: Path, result: wsfleet.RunResult) -> None:
    seeded = wsfleet.run(scenario_path, seed=11)  # the file's own seed: the same run
    assert_same_run(result, seeded)
    other = wsfleet.run(scenario_path, seed=12)
    assert other.summary["seed"] == 12
    assert stable(other.summary) != stable(result.summary)
    # seed= is the same as overriding run.seed, and wins over it.
    assert_same_run(other, wsfleet.run(scenario_path, overrides={"run.seed": 12}))
    assert_same_run(other, wsfleet.run(scenario_path, overrides={"run.seed": 99}, seed=12))
    rep = wsfleet.run(scenario_path, replication=1)
    assert rep.summary["replication"] == 1 and rep.summary["seed"] == 11
    assert stable(rep.summary) != stable(result.summary)


def test_check_returns_the_effective_scenario(scenario_path: Path) -> None:
    text = wsfleet.check(scenario_path)
    assert text == wsfleet.check(STORM_TOML) == wsfleet.check(tomllib.loads(STORM_TOML))
    parsed = tomllib.loads(text)
    assert parsed["clients"]["count"] == 2000
    assert parsed["clients"]["replies_per_message"] == 1.0  # a default, filled in
    assert parsed["backoff"] == {"policy": "full_jitter", "base_s": 0.5, "cap_s": 8.0, "max_retries": 0}
    changed = tomllib.loads(wsfleet.check(scenario_path, overrides={"fleet.servers": 6}))
    assert changed["fleet"]["servers"] == 6
    # The effective scenario is what a run uses.
    assert wsfleet.run(scenario_path).scenario_toml == text


def test_scenario_argument_types() -> None:
    with pytest.raises(TypeError):
        wsfleet.run(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        wsfleet.check(["clients.count=5"])  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# Tidy DataFrames


def test_fleet_frame(result: wsfleet.RunResult) -> None:
    fleet = result.fleet
    assert list(fleet.columns) == FLEET_COLUMNS
    assert len(fleet) == 60
    for col in COUNT_COLUMNS + ["retries", "waiting", "gave_up"]:
        assert fleet[col].dtype == np.int64, col
    for col in FLOAT_COLUMNS:
        assert fleet[col].dtype == np.float64, col
    np.testing.assert_array_equal(fleet["time_s"], np.arange(1.0, 61.0))
    assert fleet["time_s"].is_monotonic_increasing
    assert (fleet["up"] <= 4).all() and fleet["up"].min() == 3
    assert fleet["attempts"].sum() == result.summary["connections"]["attempted"]
    assert fleet["retries"].sum() == result.summary["connections"]["retries"]
    assert fleet["connections"].max() == result.summary["connections"]["peak"]


def test_server_frame(result: wsfleet.RunResult) -> None:
    servers = result.servers
    assert list(servers.columns) == SERVER_COLUMNS
    assert set(servers["class"]) == {"default"}  # no [[fleet.classes]]: one class
    assert servers["server"].dtype == np.int64
    for col in COUNT_COLUMNS:
        assert servers[col].dtype == np.int64, col
    for col in FLOAT_COLUMNS:
        assert servers[col].dtype == np.float64, col
    # One row per sample time per server.
    assert len(servers) == 60 * 4
    counts = servers.groupby(["time_s", "server"]).size()
    assert (counts == 1).all() and len(counts) == 240
    assert sorted(servers["server"].unique()) == [0, 1, 2, 3]
    # Tidy: pivots straight into a time x server table, whose rows add up to the fleet's.
    wide = servers.pivot(index="time_s", columns="server", values="connections")
    assert wide.shape == (60, 4)
    np.testing.assert_array_equal(wide.sum(axis=1).to_numpy(), result.fleet["connections"].to_numpy())
    assert servers["connections"].max() == result.summary["connections"]["peak_per_server"] <= 600


def test_balancer_frame(result: wsfleet.RunResult) -> None:
    balancers = result.balancers
    assert list(balancers.columns) == BALANCER_COLUMNS
    for col in ("balancer", "up", "source_ports_in_use", "refused_no_backend", "refused_rate_limited"):
        assert balancers[col].dtype == np.int64, col
    assert len(balancers) == 60 and (balancers["balancer"] == 0).all()
    # The engine's default limit (Linux's ephemeral range 32768-60999) and the busiest backend's ports.
    assert (balancers["source_ports_limit"] == 28232).all()
    peak = max(b["peak_ports_per_backend"] for b in result.summary["balancers"])  # at any instant, not sampled
    assert 0.95 * peak <= balancers["source_ports_in_use"].max() <= peak


def test_timeseries_property_is_timeseries_csv(result: wsfleet.RunResult, tmp_path: Path) -> None:
    result.save(tmp_path)
    csv = pd.read_csv(tmp_path / "timeseries.csv")
    tidy = result.timeseries
    assert len(tidy) == len(csv)
    assert set(tidy.columns) == set(csv.columns)
    tidy = tidy[list(csv.columns)]
    pd.testing.assert_frame_equal(tidy.reset_index(drop=True), csv, check_dtype=False)


def test_a_run_read_for_its_summary_never_loads_pandas(scenario_path: Path, result: wsfleet.RunResult) -> None:
    """The frames are built when first read: `import wsfleet`, a run, its summary and its headline
    leave pandas unloaded (it is most of a second); the first frame read loads it, and the frames
    are those of a run whose frames were all read (the module's fixture)."""
    code = "\n".join([
        "import sys, wsfleet",
        f"r = wsfleet.run({str(scenario_path)!r}, progress=False)",
        "print(r.summary['connections']['peak'], 'pandas' in sys.modules)",
        "repr(r)",
        "print('pandas' in sys.modules)",
        "fleet = r.fleet",
        "print('pandas' in sys.modules, fleet['connections'].max(), r.fleet is fleet)",
        "import pickle; sys.stdout.buffer.write(pickle.dumps([r.fleet, r.servers, r.balancers]))"])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    lines = out.stdout.split(b"\n", 3)
    peak = result.summary["connections"]["peak"]
    assert [line.decode() for line in lines[:3]] == [f"{peak} False", "False", f"True {peak} True"]
    fleet, servers, balancers = pickle.loads(lines[3])
    pd.testing.assert_frame_equal(fleet, result.fleet)
    pd.testing.assert_frame_equal(servers, result.servers)
    pd.testing.assert_frame_equal(balancers, result.balancers)


def test_a_loaded_run_pickles_with_its_frames(result: wsfleet.RunResult, tmp_path: Path) -> None:
    loaded = wsfleet.load(result.save(tmp_path / "run"))  # no frame read yet
    again = pickle.loads(pickle.dumps(loaded))
    assert again.summary == loaded.summary
    pd.testing.assert_frame_equal(again.fleet, loaded.fleet)
    pd.testing.assert_frame_equal(again.servers, loaded.servers)


# ------------------------------------------------------------------------------------------------
# RunResult.save writes what the CLI writes


def test_save_writes_the_files_of_the_cli(scenario_path: Path, result: wsfleet.RunResult, tmp_path: Path) -> None:
    saved = result.save(tmp_path / "py" / "nested")  # creates missing directories
    proc = cli("run", scenario_path, "--out", tmp_path / "cli", "-q")
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in saved.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "cli").iterdir()) == [
        "scenario.toml", "summary.json", "timeseries.csv"]
    for name in ("timeseries.csv", "scenario.toml"):
        assert (saved / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    assert stable(read_summary(saved)) == stable(read_summary(tmp_path / "cli"))
    # save accepts a str too, and overwrites.
    result.save(str(saved))
    assert stable(read_summary(saved)) == stable(result.summary)


def test_save_to_an_unwritable_place(result: wsfleet.RunResult, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(Exception) as info:
        result.save(blocker / "out")
    assert "file" in str(info.value)


# ------------------------------------------------------------------------------------------------
# The GIL is released while the engine runs

# Half a second or more of engine time: long enough that a thread starved by a held GIL would be obvious.
LONG_RUN: Dict = {
    "scenario": {"name": "long"},
    "run": {"duration_s": 1200.0, "sample_interval_s": 10.0},
    "fleet": {"servers": 40, "max_connections": 5000},  # 0.55 s on a quiet machine (20,000 clients: 0.15 s)
    "clients": {"count": 80000, "ramp_s": 10.0, "messages_per_minute": 12.0, "heartbeat_interval_s": 5.0},
}


def test_other_threads_run_while_the_engine_runs() -> None:
    """A Python thread keeps making progress during a long run. If the run held the GIL, that thread
    would be frozen for the whole engine time; with the GIL released its longest stall is a few ms."""
    stop = threading.Event()
    started = threading.Event()
    stamps: List[float] = []

    def spin() -> None:
        last = time.perf_counter()
        stamps.append(last)
        started.set()
        while not stop.is_set():
            now = time.perf_counter()
            if now - last >= 0.001:
                stamps.append(now)
                last = now

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    started.wait(10)
    t0 = time.perf_counter()
    result = wsfleet.run(LONG_RUN)
    t1 = time.perf_counter()
    stop.set()
    spinner.join(10)

    engine_s = result.summary["wall_seconds"]
    assert engine_s > 0.2, "the run is too short to tell"
    inside = [t0] + [t for t in stamps if t0 <= t <= t1] + [t1]
    longest_stall = max(b - a for a, b in zip(inside, inside[1:]))
    assert len(inside) > 20, f"the other thread made {len(inside) - 2} steps in {t1 - t0:.2f} s"
    assert longest_stall < 0.5 * engine_s, (
        f"the other thread stalled {longest_stall:.3f} s during a {engine_s:.3f} s engine run: GIL held?")


def test_concurrent_runs_give_the_results_of_sequential_runs(scenario_path: Path) -> None:
    seeds = [1, 2, 3, 4]
    sequential = {seed: wsfleet.run(scenario_path, seed=seed) for seed in seeds}
    concurrent: Dict[int, wsfleet.RunResult] = {}
    errors: List[BaseException] = []

    def work(seed: int) -> None:
        try:
            concurrent[seed] = wsfleet.run(scenario_path, seed=seed)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in seeds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    for seed in seeds:
        assert_same_run(sequential[seed], concurrent[seed])


def test_paths_with_equals_and_brackets(tmp_path: Path, result: wsfleet.RunResult) -> None:
    """Hive-style directories (seed=7/) and brackets are paths when the file exists, not TOML text."""
    for name in ("seed=11", "run[1]"):
        directory = tmp_path / name
        directory.mkdir()
        path = write_scenario(directory)
        assert_same_run(result, wsfleet.run(str(path)))
        assert wsfleet.check(str(path)) == result.scenario_toml
