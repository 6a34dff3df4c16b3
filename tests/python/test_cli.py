"""The `wsfleet` command line, run as the installed executable: what each subcommand prints and
writes when the input is good. (Bad input: test_errors.py.)"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Dict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import numpy as np
import pandas as pd
import pytest

import wsfleet
from wsfleet_testing import (STORM_TOML, assert_clean_failure, cli, integers, numbers, read_summary, stable,
                             with_lines, write_scenario)

TIMESERIES_COLUMNS = [
    "time_s", "scope", "server", "up", "connections", "attempts", "established", "rejected", "failed",
    "closed", "dropped", "cpu_utilisation", "cpu_backlog_ms", "memory_mib", "messages_delivered",
    "latency_p50_ms", "latency_p99_ms", "retries", "waiting", "gave_up", "conn_max_over_mean", "conn_cv", "half_open",
    "clients_websocket", "clients_long_polling", "clients_sse", "polls",
    # Monitoring (docs/monitoring.md): the fleet's latency histogram, the servers' presence and
    # refusals by cause, the balancers' source ports and refusals by cause.
    *[f"latency_le_ms_{b}" for b in ("1", "2.5", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000",
                                     "10000")],
    "latency_count", "latency_sum_ms",
    "present", "refused_server_full", "refused_shed", "refused_timeout", "refused_backend_down", "refused_crash",
    "balancer", "source_ports_in_use", "source_ports_limit", "refused_no_backend", "refused_rate_limited",
    "refused_balancer_down", "refused_source_ports",
]
# Scenario facts the checks below rely on (see STORM_TOML).
SERVERS, STEPS, CLIENTS, SEED = 4, 60, 2000, 11


@pytest.fixture(scope="module")
def storm_run(tmp_path_factory: pytest.TempPathFactory) -> Dict:
    """One `wsfleet run` of the storm scenario, shared by the read-only checks."""
    base = tmp_path_factory.mktemp("cli-run")
    scenario = write_scenario(base)
    out = base / "out"
    proc = cli("run", scenario, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    return {"proc": proc, "out": out, "scenario": scenario, "summary": read_summary(out)}


# ------------------------------------------------------------------------------------------------
# wsfleet run


def test_run_prints_a_summary_table(storm_run: Dict) -> None:
    proc = storm_run["proc"]
    summary = storm_run["summary"]
    out = proc.stdout
    assert out.startswith(f"wsfleet run: storm (seed {SEED}, replication 0)")
    for label in ("simulated", "servers / clients", "connection attempts", "established", "rejected",
                  "failed", "closed / dropped / drained", "active at end", "message latency p50/p99",
                  "CPU utilisation", "crash", "conservation"):
        assert f"  {label}" in out, f"no row {label!r} in\n{out}"
    conn = summary["connections"]
    assert f"{conn['attempted']}  (retries {conn['retries']})" in out
    assert f"{SERVERS} / {CLIENTS}  (least_connections, full_jitter)" in out
    assert "server 1 at 30 s: " in out
    assert "results written to" in out
    # --quiet: no progress line; nothing on stderr for a good run.
    assert proc.stderr == ""


def test_run_writes_summary_json(storm_run: Dict) -> None:
    s = storm_run["summary"]
    # At least one event per connection attempt (its arrival or retry, then its handshake's end or
    # timeout); heartbeats and messages are loads on their server, not events.
    assert isinstance(s["events_processed"], int) and s["events_processed"] >= s["connections"]["attempted"] > 2_000
    assert isinstance(s["wall_seconds"], float) and s["wall_seconds"] >= 0
    assert s["simulated_seconds"] == 60.0
    assert s["seed"] == SEED
    assert s["replication"] == 0
    assert s["scenario"]["name"] == "storm"
    classes = s["fleet"].pop("classes")
    assert s["fleet"].pop("server_class") == ["default"] * SERVERS  # no [[fleet.classes]]: one class
    assert [(c["name"], c["servers"], c["max_connections"]) for c in classes] == [("default", SERVERS, 600)]
    assert s["fleet"] == {"servers": SERVERS, "total_servers": SERVERS, "max_connections_per_server": 600,
                          "balancer": "least_connections", "backoff": "full_jitter", "cost_per_hour": 0.0,
                          "connection_capacity": SERVERS * 600, "cpu_cores": SERVERS}
    assert s["clients"]["count"] == CLIENTS
    conn = s["connections"]
    for key in ("attempted", "established", "rejected", "failed", "pending_at_end", "closed", "dropped",
                "active_at_end", "retries", "gave_up", "waiting_at_end"):
        assert isinstance(conn[key], int) and conn[key] >= 0, key
    # The storm scenario is built to exercise these.
    assert conn["rejected"] > 0 and conn["failed"] > 0 and conn["dropped"] > 0 and conn["retries"] > 0
    assert conn["attempted"] >= CLIENTS
    assert s["conservation"]["ok"] is True
    assert all(check["ok"] for check in s["conservation"]["checks"].values())
    (fault,) = s["faults"]
    assert fault["server"] == 1 and fault["at_s"] == 30.0 and fault["recover_after_s"] == 15.0
    assert fault["connections_dropped"] == conn["dropped"]
    assert fault["reconnected_within_s"] is not None and 0 < fault["reconnected_within_s"] < 30


def test_run_writes_tidy_timeseries_csv(storm_run: Dict) -> None:
    ts = pd.read_csv(storm_run["out"] / "timeseries.csv")
    assert list(ts.columns) == TIMESERIES_COLUMNS
    assert set(ts["scope"]) == {"fleet", "server", "balancer"}
    fleet = ts[ts["scope"] == "fleet"]
    servers = ts[ts["scope"] == "server"]
    balancers = ts[ts["scope"] == "balancer"]
    # Fleet rows first, one per time step; then one row per time step per server; then per balancer.
    assert len(fleet) == STEPS and len(servers) == STEPS * SERVERS and len(balancers) == STEPS
    assert (balancers["server"] == -1).all() and (balancers["balancer"] == 0).all()
    assert (ts["scope"].iloc[-STEPS:] == "balancer").all()
    assert (ts["scope"].iloc[:STEPS] == "fleet").all()
    assert (fleet["server"] == -1).all()
    np.testing.assert_allclose(fleet["time_s"], np.arange(1, STEPS + 1))
    per_step = servers.groupby("time_s")["server"].apply(sorted)
    assert len(per_step) == STEPS
    assert all(list(v) == list(range(SERVERS)) for v in per_step)
    assert not servers.duplicated(["time_s", "server"]).any()
    # Fleet rows are the totals of the server rows, except attempts and their refusals, which count the
    # clients' attempts (a refusal by the balancer reaches no server; a try the balancer redirects
    # reaches several).
    by_time = servers.groupby("time_s")[["connections", "established", "closed", "dropped", "up"]].sum()
    for col in by_time.columns:
        np.testing.assert_array_equal(fleet.set_index("time_s")[col].to_numpy(), by_time[col].to_numpy(), col)
    # Fleet-only columns are empty on server rows.
    assert servers[["retries", "waiting", "gave_up"]].isna().all().all()
    # The crash shows: server 1 is down from 30 s until it recovers at 45 s.
    s1 = servers[servers["server"] == 1].set_index("time_s")
    assert s1.loc[30.0, "up"] == 0 and s1.loc[44.0, "up"] == 0 and s1.loc[45.0, "up"] == 1
    assert s1.loc[30.0, "dropped"] == storm_run["summary"]["connections"]["dropped"]
    # Interval counts add up to the run's totals.
    conn = storm_run["summary"]["connections"]
    assert fleet["attempts"].sum() == conn["attempted"]
    assert fleet["established"].sum() == conn["established"]
    assert fleet["rejected"].sum() == conn["rejected"]
    assert fleet["connections"].iloc[-1] == conn["active_at_end"]


def test_run_writes_the_effective_scenario(storm_run: Dict) -> None:
    text = (storm_run["out"] / "scenario.toml").read_text(encoding="utf-8")
    assert 'name = "storm"' in text
    assert "count = 2000" in text
    assert 'policy = "least_connections"' in text
    # Defaults are filled in: keys the file left out are written too.
    assert "replies_per_message = 1.0" in text
    assert "max_retries = 0" in text


def test_set_overrides_are_applied(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", scenario, "--out", out, "-q", "--set", "clients.count=500", "--set", "faults=[]",
               "--set", "fleet.max_connections=10000", "--set", 'scenario.name="calm"')
    assert proc.returncode == 0, proc.stderr
    s = read_summary(out)
    assert s["clients"]["count"] == 500
    # Room for everyone and no crash: exactly one attempt per client.
    assert s["connections"]["attempted"] == 500
    assert s["connections"]["established"] == 500
    assert s["faults"] == []
    assert s["fleet"]["max_connections_per_server"] == 10000
    assert s["scenario"]["name"] == "calm"
    assert "count = 500" in (out / "scenario.toml").read_text(encoding="utf-8")


def test_later_set_wins_and_set_changes_policy(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    out = tmp_path / "out"
    proc = cli("run", scenario, "--out", out, "-q", "--set", "clients.count=100", "--set", "clients.count=300",
               "--set", "balancer.policy=random_two_choices", "--set", "balancer.choices=3")
    assert proc.returncode == 0, proc.stderr
    s = read_summary(out)
    assert s["clients"]["count"] == 300
    assert s["fleet"]["balancer"] == "random_two_choices"
    assert "choices = 3" in (out / "scenario.toml").read_text(encoding="utf-8")


def test_seed_option(tmp_path: Path, storm_run: Dict) -> None:
    out = tmp_path / "out"
    proc = cli("run", storm_run["scenario"], "--out", out, "-q", "--seed", "12")
    assert proc.returncode == 0, proc.stderr
    s = read_summary(out)
    assert s["seed"] == 12
    assert "seed = 12" in (out / "scenario.toml").read_text(encoding="utf-8")
    assert f"(seed 12," in proc.stdout
    # Another seed, another run: the counts and the time series differ.
    assert stable(s) != stable(storm_run["summary"])
    assert (out / "timeseries.csv").read_bytes() != (storm_run["out"] / "timeseries.csv").read_bytes()


def test_run_without_out_writes_nothing(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    proc = cli("run", scenario.name, "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "conservation" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.toml"]


def test_report_option_writes_report_html(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path, with_lines(STORM_TOML, [("count = 2000", "count = 400")]))
    out = tmp_path / "out"
    proc = cli("run", scenario, "--out", out, "-q", "--report", timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = out / "report.html"
    assert report.is_file()
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "storm" in html
    for name in ("summary.json", "timeseries.csv", "scenario.toml"):
        assert (out / name).is_file()


# ------------------------------------------------------------------------------------------------
# wsfleet check


def test_check_accepts_a_good_scenario(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    proc = cli("check", scenario.name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    first, estimate = proc.stdout.strip().split("\n")
    assert first == "scenario.toml: ok (4 servers, 2000 clients, least_connections, full_jitter, 60 s)"
    assert estimate.startswith("  estimate: about ")  # tests/python/test_estimate.py checks its figures
    assert proc.stderr == ""
    # Checking writes nothing.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.toml"]


def test_check_applies_set(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    proc = cli("check", scenario, "--set", "fleet.servers=7", "--set", "clients.count=9")
    assert proc.returncode == 0, proc.stderr
    assert "(7 servers, 9 clients," in proc.stdout


def test_check_accepts_an_empty_scenario(tmp_path: Path) -> None:
    """Every key has a default."""
    scenario = write_scenario(tmp_path, "")
    proc = cli("check", scenario)
    assert proc.returncode == 0, proc.stderr
    assert "ok (10 servers, 100000 clients, round_robin, full_jitter, 600 s)" in proc.stdout


# ------------------------------------------------------------------------------------------------
# wsfleet list


def test_list_mentions_every_policy_and_parameter() -> None:
    proc = cli("list")
    assert proc.returncode == 0, proc.stderr
    for policy in wsfleet.balancing_policies() + wsfleet.backoff_policies():
        assert f"  {policy['name']}: {policy['summary']}" in proc.stdout
        for param in policy["params"]:
            assert param["name"] in proc.stdout
    for distribution in ("constant", "exponential", "uniform", "lognormal", "pareto", "never"):
        assert distribution in proc.stdout


def test_list_json_matches_python() -> None:
    proc = cli("list", "--json")
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert listing["balancing"] == wsfleet.balancing_policies()
    assert listing["backoff"] == wsfleet.backoff_policies()
    assert "exponential" in listing["distributions"]
    names = {p["name"] for p in listing["balancing"]}
    assert {"round_robin", "least_connections", "random_two_choices"} <= names
    assert "full_jitter" in {p["name"] for p in listing["backoff"]}


# ------------------------------------------------------------------------------------------------
# wsfleet backoff


FULL_JITTER = ("backoff", "full_jitter", "--param", "base_s=1", "--param", "cap_s=30", "--attempt", "3",
               "--samples", "1000", "--seed", "5")


def test_backoff_full_jitter_samples() -> None:
    first = cli(*FULL_JITTER)
    assert first.returncode == 0, first.stderr
    delays = numbers(first.stdout)
    assert len(delays) == 1000
    # Retry 3 waits uniform on [0, min(30, 1 * 2^3)) s.
    assert all(0 <= d < 8000 for d in delays)
    assert len(set(delays)) > 990  # really drawn
    assert 3000 < np.mean(delays) < 5000
    # The same call prints the same numbers.
    second = cli(*FULL_JITTER)
    assert second.stdout == first.stdout
    # ... and the Python binding draws exactly the same ones.
    policy = wsfleet.BackoffPolicy("full_jitter", {"base_s": 1, "cap_s": 30})
    np.testing.assert_array_equal(np.array(delays), policy.sample_ms(3, 1000, seed=5))
    # Another seed, other numbers.
    other = cli(*FULL_JITTER[:-1], "6")
    assert other.returncode == 0 and other.stdout != first.stdout


@pytest.mark.parametrize("base_s, cap_s", [(1, 30), (0.25, 5), (2, 2)])
def test_backoff_exponential_is_exact(base_s: float, cap_s: float) -> None:
    for attempt in range(0, 9):
        proc = cli("backoff", "exponential", "--param", f"base_s={base_s}", "--param", f"cap_s={cap_s}",
                   "--attempt", attempt, "--samples", "3")
        assert proc.returncode == 0, proc.stderr
        expected = min(cap_s, base_s * 2 ** attempt) * 1000
        assert numbers(proc.stdout) == [expected] * 3, attempt


def test_backoff_defaults_and_other_policies() -> None:
    # Default parameters (base 1 s, cap 30 s) and the default seed.
    proc = cli("backoff", "exponential", "--attempt", "10", "--samples", "1")
    assert proc.returncode == 0 and numbers(proc.stdout) == [30000.0]
    proc = cli("backoff", "constant", "--param", "delay_s=2.5", "--attempt", "4", "--samples", "2")
    assert proc.returncode == 0 and numbers(proc.stdout) == [2500.0, 2500.0]
    proc = cli("backoff", "immediate", "--attempt", "0", "--samples", "2")
    assert proc.returncode == 0 and numbers(proc.stdout) == [0.0, 0.0]
    proc = cli("backoff", "equal_jitter", "--attempt", "2", "--samples", "500", "--seed", "3")
    assert proc.returncode == 0
    assert all(2000 <= d < 4000 for d in numbers(proc.stdout))
    proc = cli("backoff", "decorrelated_jitter", "--param", "cap_s=10", "--attempt", "5", "--samples", "500")
    assert proc.returncode == 0
    assert all(1000 <= d <= 10000 for d in numbers(proc.stdout))


def test_backoff_client_presets() -> None:
    proc = cli("backoff", "signalr", "--attempt", "2", "--samples", "2")
    assert proc.returncode == 0, proc.stderr
    assert numbers(proc.stdout) == [10000.0, 10000.0]
    # SignalR stops after its fourth retry; a failed start is not retried at all.
    assert "signalr gives up before retry 4" in assert_clean_failure(cli("backoff", "signalr", "--attempt", "4",
                                                                         "--samples", "1"))
    assert "after a failed first attempt" in assert_clean_failure(cli("backoff", "signalr", "--attempt", "0",
                                                                      "--samples", "1", "--after", "failure"))
    assert "expected loss or failure" in assert_clean_failure(cli("backoff", "grpc", "--attempt", "0", "--samples",
                                                                  "1", "--after", "never"))
    # The same draws as Python, with the library's options as parameters.
    args = ("backoff", "socketio", "--param", "reconnection_delay_s=0.5", "--attempt", "3", "--samples", "300",
            "--seed", "4", "--after", "failure")
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    policy = wsfleet.BackoffPolicy("socketio", {"reconnection_delay_s": 0.5})
    np.testing.assert_array_equal(np.array(numbers(proc.stdout)), policy.sample_ms(3, 300, seed=4, after="failure"))
    bad = assert_clean_failure(cli("backoff", "grpc", "--param", "jitter=2", "--attempt", "0", "--samples", "1"))
    assert "grpc.jitter must be between 0 and 0.99 (got 2)" in bad


def test_list_shows_the_client_presets_apart() -> None:
    proc = cli("list")
    assert proc.returncode == 0, proc.stderr
    generic, presets = proc.stdout.split("Client-library reconnect presets", 1)
    for preset in wsfleet.backoff_client_presets():
        assert f"  {preset['name']}: " in presets
        assert f"  {preset['name']}: " not in generic
    assert "  full_jitter: " in generic
    listing = json.loads(cli("list", "--json").stdout)
    assert listing["backoff_client_presets"] == wsfleet.backoff_client_presets()


# ------------------------------------------------------------------------------------------------
# wsfleet balance


def test_balance_round_robin() -> None:
    proc = cli("balance", "round_robin", "--picks", "6")
    assert proc.returncode == 0, proc.stderr
    assert integers(proc.stdout) == [0, 1, 2, 0, 1, 2]


def test_balance_least_connections_weighted() -> None:
    proc = cli("balance", "least_connections", "--weights", "1,1,2", "--picks", "8")
    assert proc.returncode == 0, proc.stderr
    picks = integers(proc.stdout)
    # Every pick opens a connection that stays: backend 2 (weight 2) gets half of them.
    assert np.bincount(picks, minlength=3).tolist() == [2, 2, 4]
    assert picks == wsfleet.LoadBalancer("least_connections", [1, 1, 2]).picks(8)


@pytest.mark.parametrize("policy, params", [("random", []), ("random_two_choices", ["--param", "choices=3"])])
def test_balance_random_policies_match_python(policy: str, params: list) -> None:
    proc = cli("balance", policy, "--weights", "1,2,3,4,5", "--picks", "200", "--seed", "9", *params)
    assert proc.returncode == 0, proc.stderr
    picks = integers(proc.stdout)
    assert len(picks) == 200 and set(picks) <= set(range(5))
    py_params = {"choices": 3} if params else {}
    assert picks == wsfleet.LoadBalancer(policy, [1, 2, 3, 4, 5], py_params, seed=9).picks(200)
    again = cli("balance", policy, "--weights", "1,2,3,4,5", "--picks", "200", "--seed", "9", *params)
    assert again.stdout == proc.stdout


# ------------------------------------------------------------------------------------------------
# Help and version


def test_version_and_help() -> None:
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == wsfleet.__version__
    proc = cli("--help")
    assert proc.returncode == 0
    for command in ("run", "check", "list", "backoff", "balance", "report"):
        assert command in proc.stdout
    proc = cli("run", "--help")
    assert proc.returncode == 0 and "--set" in proc.stdout and "--seed" in proc.stdout


def test_unwritable_out_is_an_io_error(tmp_path: Path) -> None:
    """Exit status 1 (I/O), not 2 (bad input): the scenario was fine and the run happened."""
    scenario = write_scenario(tmp_path)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    proc = cli("run", scenario, "--out", blocker / "out", "-q")
    assert proc.returncode == 1, proc.stderr
    assert str(blocker) in proc.stderr and "cannot create output directory" in proc.stderr
    assert "Traceback" not in proc.stderr and "terminate called" not in proc.stderr
    assert "conservation" in proc.stdout  # the summary was printed before writing failed


def test_check_effective_prints_the_scenario_a_run_uses(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path)
    proc = cli("check", scenario, "--set", "balancer.health_check.fall=5", "--effective")
    assert proc.returncode == 0, proc.stderr
    effective = tomllib.loads(proc.stdout)
    assert effective["balancer"]["health_check"] == {"mode": "active", "interval_s": 2.0, "timeout_s": 2.0,
                                                     "fall": 5, "rise": 2}
    assert effective["balancer"]["policy"] == "least_connections"
    # The same text the Python API gives.
    assert proc.stdout == wsfleet.check(scenario, overrides=["balancer.health_check.fall=5"])
