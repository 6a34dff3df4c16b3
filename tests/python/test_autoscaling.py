"""Autoscaling from Python and the command line: the real C++ policies called directly (hand-computed
HPA decisions), `wsfleet autoscale` over a demand trace (the same rows as wsfleet.autoscale, clear
errors), the [autoscaler] section's errors, and experiments/scenarios/autoscale_kickoff.toml with its
report section."""
from __future__ import annotations

import html
import math
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import wsfleet
from wsfleet_testing import ROOT, assert_clean_failure, cli, line_of

SCENARIO = ROOT / "experiments" / "scenarios" / "autoscale_kickoff.toml"


def test_every_policy_is_listed_with_its_parameters() -> None:
    names = [p["name"] for p in wsfleet.autoscaling_policies()]
    assert names == ["kubernetes_hpa", "aws_target_tracking", "keda", "step_scaling"]
    hpa = next(p for p in wsfleet.autoscaling_policies() if p["name"] == "kubernetes_hpa")
    defaults = {p["name"]: p["default"] for p in hpa["params"]}
    assert defaults["tolerance"] == 0.1 and defaults["sync_period_s"] == 15
    assert defaults["down_stabilization_s"] == 300 and defaults["up_pods"] == 4 and defaults["up_percent"] == 100
    import json
    listed = json.loads(cli("list", "--json").stdout)["autoscaling"]
    assert [p["name"] for p in listed] == names


def test_hpa_decisions_by_hand() -> None:
    hpa = wsfleet.AutoscalingPolicy("kubernetes_hpa", {"target_utilization_pct": 50})
    assert hpa.sync_period_s == 15 and "kubernetes_hpa" in repr(hpa)
    # 4 pods at 54 %: ratio 1.08, inside the tolerance: keep 4.
    assert hpa.decide(0, 4, [0.54] * 4)["desired"] == 4
    # 15 s later at 56 %: 1.12 -> ceil(4.48) = 5.
    d = hpa.decide(15, 4, [0.56] * 4)
    assert d["desired"] == 5 and d["outcome"] == "scale_up" and d["usage_ratio"] == pytest.approx(1.12)
    # Two ready at 110 % and two pending: 55 % with the pending at 0 -> 1.1, keep 4.
    fresh = wsfleet.AutoscalingPolicy("kubernetes_hpa", {"target_utilization_pct": 50})
    d = fresh.decide(0, 4, [1.1, 1.1, None, None], phase=["running", "running", "pending", "pending"])
    assert d["desired"] == 4
    # The default rate limit: 2 pods at 400 % want 16, get max(2 + 4, 2 x 2) = 6.
    d = wsfleet.AutoscalingPolicy("kubernetes_hpa", {"target_utilization_pct": 50}).decide(0, 2, [4.0, 4.0])
    assert (d["desired"], d["recommendation"], d["limited"]) == (6, 16, True)


def test_hpa_scale_down_waits_for_the_stabilization_window() -> None:
    hpa = wsfleet.AutoscalingPolicy("kubernetes_hpa", {"target_utilization_pct": 50})
    assert hpa.decide(0, 10, [0.5] * 10)["desired"] == 10
    kept = [hpa.decide(t, 10, [0.25] * 10)["desired"] for t in range(15, 300, 15)]
    assert kept == [10] * 19
    assert hpa.decide(300, 10, [0.25] * 10)["desired"] == 5


def test_bad_parameters_and_inputs_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="did you mean 'tolerance'"):
        wsfleet.AutoscalingPolicy("kubernetes_hpa", {"tolerence": 0.2})
    with pytest.raises(ValueError, match="max_replicas must be >= min_replicas"):
        wsfleet.AutoscalingPolicy("kubernetes_hpa", {"min_replicas": 5, "max_replicas": 2})
    with pytest.raises(ValueError, match="unknown autoscaling policy"):
        wsfleet.AutoscalingPolicy("kubernetes")
    hpa = wsfleet.AutoscalingPolicy("kubernetes_hpa")
    with pytest.raises(ValueError, match="one entry per replica"):
        hpa.decide(0, 2, [0.5, 0.5], ready=[True])
    with pytest.raises(ValueError, match="phase must be"):
        hpa.decide(0, 1, [0.5], phase=["booting"])


def _trace(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trace.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_and_python_run_the_same_closed_loop(tmp_path: Path) -> None:
    trace = _trace(tmp_path, "time_s,demand\n0,2\n30,8\n120,8\n")
    proc = cli("autoscale", "kubernetes_hpa", "--param", "target_utilization_pct=50", "--trace", trace,
               "--replicas", "4", "--ready-after", "40")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "time_s,utilization,desired,replicas,ready"
    rows = [line.split(",") for line in lines[1:]]
    assert [r[0] for r in rows] == [str(t) for t in range(0, 121, 15)]
    # 30 s: 8 cores on 4 ready = 200 % -> 16 wanted, 8 allowed; the 4 new ones are ready at 70 s.
    assert rows[2] == ["30", "2", "8", "8", "4"]
    frame = wsfleet.autoscale("kubernetes_hpa", trace, {"target_utilization_pct": 50}, replicas=4, ready_after_s=40)
    assert list(frame.columns) == ["time_s", "utilization", "desired", "replicas", "ready"]
    assert frame["desired"].tolist() == [int(r[2]) for r in rows]
    assert frame["ready"].tolist() == [int(r[4]) for r in rows]
    same = wsfleet.autoscale("kubernetes_hpa", pd.DataFrame({"time_s": [0, 30, 120], "demand": [2, 8, 8]}),
                             {"target_utilization_pct": 50}, replicas=4, ready_after_s=40)
    assert same.equals(frame)


def test_cli_errors_are_one_clear_line(tmp_path: Path) -> None:
    good = _trace(tmp_path, "time_s,demand\n0,1\n60,2\n")
    err = assert_clean_failure(cli("autoscale", "kubernetes_hpa", "--param", "tolerence=0.2", "--trace", good))
    assert "did you mean 'tolerance'" in err and len(err.strip().splitlines()) == 1
    err = assert_clean_failure(cli("autoscale", "nope", "--trace", good))
    assert "unknown autoscaling policy 'nope'" in err
    bad = _trace(tmp_path, "time_s,demand\n0,1\n0,2\n")
    err = assert_clean_failure(cli("autoscale", "kubernetes_hpa", "--trace", bad))
    assert f"{bad}:3: time_s must increase" in err
    err = assert_clean_failure(cli("autoscale", "kubernetes_hpa", "--trace", tmp_path / "missing.csv"))
    assert "cannot open" in err
    err = assert_clean_failure(cli("autoscale", "kubernetes_hpa", "--trace", good, "--ready-after", "-1"))
    assert "--ready-after must be from 0" in err
    err = assert_clean_failure(cli("autoscale", "kubernetes_hpa", "--trace", good, "--metric", "gpu"))
    assert "expected cpu or other" in err


def test_other_policies_run_over_a_trace(tmp_path: Path) -> None:
    trace = pd.DataFrame({"time_s": [0, 600, 1800], "demand": [1.0, 6.0, 6.0]})
    aws = wsfleet.autoscale("aws_target_tracking", trace, {"target_utilization_pct": 50, "warmup_s": 60},
                            replicas=2, ready_after_s=60)
    # 1-minute syncs; the third datapoint above 50 % (600, 660, 720 s) scales out.
    assert aws["time_s"].diff().dropna().eq(60).all()
    first_up = aws.loc[aws["desired"] > 2, "time_s"].iloc[0]
    assert first_up == 720
    keda = wsfleet.autoscale("keda", trace, {"threshold": 2}, replicas=1, metric="other")
    assert keda["desired"].max() == 3  # ceil(6 / 2)
    step = wsfleet.autoscale("step_scaling", trace, {}, replicas=2)
    assert step["desired"].max() > 2


SECTION = """\
[fleet]
servers = 2

[autoscaler]
policy = "kubernetes_hpa"
"""


@pytest.mark.parametrize("extra, key, says", [
    ('tolerence = 0.2\n', "autoscaler.tolerence", ["did you mean 'tolerance'"]),
    ('metric = "gpu"\n', "autoscaler.metric", ["cpu", "connections"]),
    ('class = "big"\n', "autoscaler.class", ["is not a [[fleet.classes]] name"]),
    ('provisioning = 60\n', "autoscaler.provisioning", ["must be a table"]),
    ('provisioning = { distribution = "constant" }\n', "autoscaler.provisioning.value_s", ["is required"]),
    ('max_replicas = 0\n', "autoscaler.max_replicas", ["max_replicas"]),
    ('metric = "buffered_bytes"\n', "autoscaler.metric", ["needs [pubsub]"]),
])
def test_scenario_errors_name_the_key(extra: str, key: str, says: list) -> None:
    text = SECTION + extra
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.check(text)
    assert info.value.key == key
    for fragment in says:
        assert fragment in str(info.value)


def test_scenario_errors_of_the_section_as_a_whole() -> None:
    with pytest.raises(wsfleet.ScenarioError, match="needs a policy"):
        wsfleet.check("[autoscaler]\nmetric = \"cpu\"\n")
    # A manual scale under an HPA is overridden at its next sync: refused, naming what to give instead.
    with pytest.raises(wsfleet.ScenarioError, match=r"cannot be used with \[autoscaler\]") as info:
        wsfleet.check(SECTION + "\n[[scaling]]\nat_s = 10.0\nadd = 1\n")
    assert info.value.key == "scaling.0.add"
    assert "min_replicas and/or max_replicas" in str(info.value)
    # A scheduled action (new bounds) is what [[scaling]] means there; it round-trips through the writer.
    written = wsfleet.check(SECTION + "\n[[scaling]]\nat_s = 10.0\nmin_replicas = 3\n")
    assert "min_replicas = 3.0" in written and "add =" not in written.split("[[scaling]]")[1]
    assert wsfleet.check(written) == written
    # A deploy of an autoscaled fleet is allowed: the rollout replaces the autoscaler's replicas.
    assert "[[deploys]]" in wsfleet.check(SECTION + "\n[[deploys]]\nat_s = 10.0\n")


def test_the_reserved_slots_count_in_the_size_check() -> None:
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.check(SCENARIO, overrides={"autoscaler.max_replicas": 100000})
    assert info.value.key == "autoscaler.max_replicas"
    assert "got 200002 x 120" in str(info.value)


def test_the_section_round_trips_through_the_writer() -> None:
    effective = tomllib.loads(wsfleet.check(SCENARIO))
    a = effective["autoscaler"]
    assert a["policy"] == "kubernetes_hpa" and a["metric"] == "connections"
    assert a["target_utilization_pct"] == 60 and a["max_replicas"] == 12
    assert a["provisioning"] == {"distribution": "lognormal", "mean_s": 45.0, "stddev_s": 10.0}
    assert "autoscaler" not in tomllib.loads(wsfleet.check("[fleet]\nservers = 2\n"))


def test_kickoff_scenario_scales_out_and_reports_it(tmp_path: Path) -> None:
    run = wsfleet.run(SCENARIO)
    s = run.summary
    assert s["conservation"]["ok"]
    a = s["autoscaler"]
    checks = s["conservation"]["checks"]
    for name in ("autoscaler_decisions", "autoscaler_launches", "autoscaler_in_service", "autoscaler_drains"):
        assert checks[name]["ok"]
    assert a["decisions"]["total"] == 40  # every 15 s for 600 s
    assert a["servers"]["launched"] >= 6 and a["replicas"]["peak"] >= 8
    assert s["connections"]["active_at_end"] == 12000
    assert s["connections"]["rejected"] > 0  # the wave waited for the servers to boot
    fleet = run.fleet
    assert {"replicas", "replicas_ready", "replicas_desired", "cost_per_hour"} <= set(fleet.columns)
    assert fleet["replicas_ready"].iloc[0] == 2 and fleet["replicas_ready"].iloc[-1] >= 8
    assert math.isclose(a["cost"], a["server_hours"] * 0.10, rel_tol=1e-9)
    out = run.report(tmp_path / "kickoff")
    document = html.unescape(out.read_text(encoding="utf-8"))
    assert "The autoscaler" in document
    assert f"Of its {a['decisions']['total']} decisions" in document
    assert re.search(r"It launched \d+ servers, the first at", document)
    assert 'id="autoscaler"' in document and "Replicas over time" in document
    # The N-1 row is the fleet that carried the peak (servers up then), not the 2 it started with.
    peak_time = fleet.loc[fleet["connections"].idxmax(), "time_s"]
    up = int(fleet.loc[fleet["time_s"] == peak_time, "up"].iloc[0])
    limit = s["fleet"]["max_connections_per_server"]
    assert up > s["fleet"]["servers"]
    row = re.search(r"Capacity with one server down</th><td[^>]*>([^<]*)</td><td>([^<]*)</td>", document)
    assert row is not None
    assert row.group(1) == f"{(up - 1) * limit:,}"
    assert row.group(2).startswith(f"{up - 1:,} × {limit:,} (the {up:,} servers up at the peak, less 1)")


def test_kickoff_scaling_on_cpu_lags_the_connection_wave() -> None:
    by_cpu = wsfleet.run(SCENARIO, overrides={"autoscaler.metric": "cpu", "run.duration_s": 300.0}).summary
    by_conns = wsfleet.run(SCENARIO, overrides={"run.duration_s": 300.0}).summary
    assert by_cpu["autoscaler"]["servers"]["launched"] < by_conns["autoscaler"]["servers"]["launched"]
    assert by_cpu["connections"]["active_at_end"] < by_conns["connections"]["active_at_end"]


def test_kickoff_recovers_sooner_with_faster_provisioning() -> None:
    def served_at(mean_s: float) -> float:
        fleet = wsfleet.run(SCENARIO, overrides={"autoscaler.provisioning.mean_s": mean_s,
                                                 "autoscaler.provisioning.stddev_s": mean_s / 5}).fleet
        return float(fleet.loc[fleet["connections"] >= 12000, "time_s"].iloc[0])
    fast, slow = served_at(15.0), served_at(90.0)
    assert fast + 60.0 < slow


def test_p99_latency_needs_an_average_value_target() -> None:
    with pytest.raises(wsfleet.ScenarioError, match="needs target_average_value > 0") as info:
        wsfleet.check(SECTION + 'metric = "p99_latency"\n')
    assert info.value.key == "autoscaler.target_average_value"
    assert "p99_latency" in wsfleet.check(SECTION + 'metric = "p99_latency"\ntarget_average_value = 50\n')
