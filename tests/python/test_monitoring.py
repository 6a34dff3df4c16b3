"""Monitoring and alerting (docs/monitoring.md): a run's series in Prometheus terms, checked through
the REAL promtool (Debian's `prometheus` package): the OpenMetrics export backfilled into a TSDB and
read back; alerting and recording rules evaluated by Prometheus's rule engine (`promtool test
rules`) on a simulated crash, on a quiet run, and on a synthetic series whose burn rates and alert
times are computed by hand; malformed rules files; the [alerts] scenario section; the report."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pandas as pd
import pytest

import wsfleet
from wsfleet._prom_series import METRICS, metric_table_markdown, run_series
from wsfleet._run_dir import load_run
from wsfleet.alerting import AlertsError, bundled_rules
from wsfleet.alerting import main as alerts_main
from wsfleet.export import main as export_main

from wsfleet_testing import ROOT, STORM_TOML, assert_clean_failure, cli, located, write_scenario
from monitoring_fixtures import (PROMTOOL, RULES_DOWN, START, START_MS, needs_promtool, promtool_major,  # noqa: F401
                                 quiet_run, storm_run, write_synthetic_run)

# --------------------------------------------------------------------------------------------
# Export


_DUMP = re.compile(r"^(\{.*\}) (\S+) (\d+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def dump_tsdb(tsdb: Path) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], List[Tuple[int, float]]]:
    """`promtool tsdb dump`: every sample, by (metric name, other labels)."""
    (tsdb / "wal").mkdir(exist_ok=True)  # promtool 2.42's dump fails on a TSDB without a WAL directory
    proc = subprocess.run([PROMTOOL, "tsdb", "dump", str(tsdb)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out: Dict[Tuple[str, Tuple[Tuple[str, str], ...]], List[Tuple[int, float]]] = {}
    for line in proc.stdout.splitlines():
        m = _DUMP.match(line.strip())
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group(1)))
        name = labels.pop("__name__")
        out.setdefault((name, tuple(sorted(labels.items()))), []).append((int(m.group(3)), float(m.group(2))))
    for samples in out.values():
        samples.sort()
    return out


@needs_promtool
def test_export_backfills_into_promtool_with_the_runs_values(storm_run, tmp_path):
    om = tmp_path / "run.om"
    proc = cli("export", storm_run, "--format", "openmetrics", "--start", START, "--out", om)
    assert proc.returncode == 0, proc.stderr
    text = om.read_text(encoding="utf-8")
    assert text.endswith("# EOF\n")
    tsdb = tmp_path / "tsdb"
    made = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om), str(tsdb)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    stored = dump_tsdb(tsdb)

    # Every exported sample is in the TSDB, with its value and timestamp (ms), and nothing else is.
    run = load_run(storm_run)
    expected = {}
    for s in run_series(run):
        key = (s.sample_name, tuple(sorted((k, v) for k, v in s.labels.items() if v != "")))
        expected[key] = [(START_MS + round(t * 1000), v) for t, v in s.samples]
    assert set(stored) == set(expected)
    for key, samples in expected.items():
        assert [t for t, _ in stored[key]] == [t for t, _ in samples], key
        assert [v for _, v in stored[key]] == pytest.approx([v for _, v in samples], rel=1e-12, abs=0), key

    # ... and those are the run's own numbers (read here from the CSV and the summary, not the exporter).
    csv = pd.read_csv(storm_run / "timeseries.csv")
    fleet = csv[csv["scope"] == "fleet"].sort_values("time_s")
    server1 = csv[(csv["scope"] == "server") & (csv["server"] == 1)].sort_values("time_s")
    summary = json.loads((storm_run / "summary.json").read_text())
    at = lambda t: START_MS + round(t * 1000)  # noqa: E731

    attempts = dict(stored[("wsfleet_client_connection_attempts_total", ())])
    assert attempts[at(0)] == 0
    assert attempts[at(60)] == fleet["attempts"].sum() == summary["connections"]["attempted"]
    assert attempts[at(35)] == fleet[fleet["time_s"] <= 35]["attempts"].sum()
    conns = dict(stored[("wsfleet_connections", (("class", "default"), ("server", "1")))]) if (
        "wsfleet_connections", (("class", "default"), ("server", "1"))) in stored else \
        dict(stored[("wsfleet_connections", (("server", "1"),))])
    for t, c in zip(server1["time_s"], server1["connections"]):
        assert conns[at(t)] == c
    assert min(conns[at(t)] for t in range(31, 45)) == 0  # crashed at 30 s, back at 45 s
    up = {k: v for (name, labels), samples in stored.items() if name == "wsfleet_server_up"
          and dict(labels)["server"] == "1" for k, v in samples}
    assert up[at(40)] == 0 and up[at(20)] == 1
    by_cause = {dict(labels)["cause"]: samples for (name, labels), samples in stored.items()
                if name == "wsfleet_client_connection_rejections_by_cause_total"}
    for cause, count in summary["connections"]["rejected_by"].items():
        assert by_cause[cause] == [(at(60), count)]
    p99 = dict(stored[("wsfleet_fleet_message_latency_seconds", (("quantile", "0.99"),))])
    row = fleet[fleet["time_s"] == 31].iloc[0]
    assert p99[at(31)] == pytest.approx(row["latency_p99_ms"] / 1000.0, rel=1e-12)
    mem = {dict(labels)["server"]: dict(samples) for (name, labels), samples in stored.items()
           if name == "wsfleet_server_memory_bytes"}
    assert mem["0"][at(20)] == pytest.approx(
        csv[(csv["scope"] == "server") & (csv["server"] == 0) & (csv["time_s"] == 20)]["memory_mib"].iloc[0] * 1024 ** 2)


def test_export_in_python_and_its_errors(storm_run, tmp_path, capsys):
    text = wsfleet.export_openmetrics(storm_run, start="2026-01-01T01:00:00+01:00")
    # +01:00 is the same instant as START: the first counter sample is at START.
    first = next(line for line in text.splitlines() if line.startswith("wsfleet_client_connection_attempts_total"))
    assert first == f"wsfleet_client_connection_attempts_total 0 {START_MS // 1000}"
    assert "# TYPE wsfleet_server_memory_bytes gauge\n# UNIT wsfleet_server_memory_bytes bytes" in text
    proc = cli("export", storm_run, "--start", "yesterday")  # the command line, once; the rest in-process
    assert "--start: not an RFC 3339 date-time" in assert_clean_failure(proc)
    for args, message in ((["--format", "csv"], "unknown format 'csv' (allowed: openmetrics)"),
                          (["--start", "2026-01-01T00:00:00"], "an offset such as Z or +01:00"),
                          (["--out", str(tmp_path / "no" / "such" / "dir.om")], "No such file or directory")):
        assert export_main([str(storm_run), *args]) in (1, 2)
        assert message in capsys.readouterr().err
    assert export_main([str(tmp_path / "missing")]) == 2
    assert "run directory not found" in capsys.readouterr().err


def test_every_metric_is_declared_once_and_documented():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for m in METRICS:
        assert re.fullmatch(r"wsfleet_[a-z0-9_]+", m.name), m.name
        assert not m.name.endswith("_total"), f"{m.name}: the family name of a counter has no _total"
        if m.unit:
            assert m.name.endswith("_" + m.unit), f"{m.name}: OpenMetrics wants the unit as the name's suffix"
    doc = (ROOT / "docs" / "monitoring.md").read_text(encoding="utf-8")
    assert metric_table_markdown() in doc, "docs/monitoring.md's metric table is stale: paste metric_table_markdown()"


# --------------------------------------------------------------------------------------------
# Alerts


@needs_promtool
def test_an_alert_fires_during_the_crash_when_it_should(storm_run, tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES_DOWN, encoding="utf-8")
    result = wsfleet.alerts(storm_run, rules)
    csv = pd.read_csv(storm_run / "timeseries.csv")
    s1 = csv[(csv["scope"] == "server") & (csv["server"] == 1)].sort_values("time_s")
    down = s1[s1["up"] == 0]["time_s"].tolist()
    # Prometheus: the alert is pending from the first evaluation where the server is down, fires
    # `for` = 5 s later, and resolves at the first evaluation where it is up again.
    first_down, back = down[0], s1[(s1["time_s"] > down[0]) & (s1["up"] == 1)]["time_s"].iloc[0]
    assert first_down in (30.0, 31.0) and back in (45.0, 46.0)
    [episode] = result.episodes
    assert (episode.alertname, episode.labels["server"], episode.labels["severity"]) == ("ServerGone", "1", "page")
    assert (episode.pending_s, episode.firing_s, episode.resolved_s) == (first_down, first_down + 5, back)
    [detection] = result.detections
    assert (detection.at_s, detection.alertname, detection.firing_s) == (30.0, "ServerGone", first_down + 5)
    assert detection.time_to_detect_s == first_down + 5 - 30.0
    fleet = csv[csv["scope"] == "fleet"]
    window = fleet[(fleet["time_s"] >= 30) & (fleet["time_s"] <= first_down + 5)]
    assert detection.refused == window["rejected"].sum() and detection.failed == window["failed"].sum()
    assert detection.dropped == window["dropped"].sum() > 0
    # The CLI says the same.
    proc = cli("alerts", storm_run, "--rules", rules, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["detections"][0]["time_to_detect_s"] == detection.time_to_detect_s
    assert data["episodes"][0]["firing_s"] == first_down + 5


@needs_promtool
def test_bundled_rules_on_the_crash_and_on_a_quiet_run(storm_run, quiet_run):
    crash = wsfleet.alerts(storm_run, [bundled_rules("slo"), bundled_rules("saturation")])
    fired = {e.alertname for e in crash.episodes if e.firing_s is not None}
    assert {"WsfleetServerDown", "WsfleetConnectionErrorBudgetBurn"} <= fired
    page = crash.fired("WsfleetConnectionErrorBudgetBurn")[0]
    assert 30.0 <= page.firing_s <= 40.0  # the storm's refusals and timeouts burn the budget at once
    quiet = wsfleet.alerts(quiet_run, [bundled_rules("slo"), bundled_rules("saturation")])
    assert quiet.episodes == [], [(e.alertname, e.firing_s) for e in quiet.episodes]
    assert quiet.detections == [] and quiet.first_firing_s is None


@needs_promtool
def test_the_default_crash_pages_within_a_second_and_server_down_fires_5_s_later(tmp_path):
    # The default scenario as it ships (1.6 s to run): server 3 crashes at 300 s, back at 420 s.
    proc = cli("run", ROOT / "experiments" / "scenarios" / "default.toml", "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stderr
    result = wsfleet.alerts(tmp_path / "run", [bundled_rules("slo"), bundled_rules("saturation")])
    csv = pd.read_csv(tmp_path / "run" / "timeseries.csv")
    s3 = csv[(csv["scope"] == "server") & (csv["server"] == 3)].sort_values("time_s")
    first_down = s3[s3["up"] == 0]["time_s"].min()
    back = s3[(s3["time_s"] > first_down) & (s3["up"] == 1)]["time_s"].min()
    [down] = result.fired("WsfleetServerDown")
    assert (down.labels["server"], down.pending_s, down.firing_s, down.resolved_s) == ("3", first_down,
                                                                                         first_down + 5, back)
    # The page alert, by hand from the CSV: per step t, the error ratio over a window w is the
    # increase of (refused + failed) over the increase of attempts between the samples at t - w and t
    # (Prometheus 2's closed range; both counters start at 0 at t = 0).
    fleet = csv[csv["scope"] == "fleet"].sort_values("time_s")
    times = [0.0] + fleet["time_s"].tolist()
    errors = [0.0] + (fleet["rejected"] + fleet["failed"]).cumsum().tolist()
    attempts = [0.0] + fleet["attempts"].cumsum().tolist()

    def ratio(k: int, w: int) -> float:
        a = max(0, k - w)
        return (errors[k] - errors[a]) / (attempts[k] - attempts[a]) if attempts[k] > attempts[a] else float("nan")

    paging = [times[k] for k in range(len(times))
              if (ratio(k, 120) > 14.4 * 0.001 and ratio(k, 10) > 14.4 * 0.001)
              or (ratio(k, 720) > 6 * 0.001 and ratio(k, 60) > 6 * 0.001)]
    [page] = result.fired("WsfleetConnectionErrorBudgetBurn")
    assert 300.0 <= page.firing_s <= 302.0  # the crash's failed handshakes spend the budget at once
    if promtool_major() < 3:
        assert page.firing_s == paging[0]
        resolved = next(t for t in times if t > page.firing_s and t not in paging)
        assert page.resolved_s == resolved and all(page.firing_s <= t < resolved for t in paging)
    [detection] = result.detections
    assert (detection.alertname, detection.time_to_detect_s) == ("WsfleetConnectionErrorBudgetBurn",
                                                                 page.firing_s - 300.0)
    assert detection.dropped == 10000 == s3[s3["time_s"] == first_down]["dropped"].iloc[0]
    # The default run never runs short of source ports (28,232 per backend for ~11,000 connections).
    assert not result.fired("WsfleetSourcePortsNearExhaustion")
    ports = csv[csv["scope"] == "balancer"]
    assert 0 < ports["source_ports_in_use"].max() < 0.9 * ports["source_ports_limit"].min()


def _synthetic_slo_run(directory: Path) -> Path:
    """300 s at 1 s: 2,000 attempts a second, 1 failure a second throughout, 70 refusals a second
    from 100 s to 200 s (the interval (t-1, t] is written at t)."""
    rows = ["time_s,scope,server,up,connections,attempts,established,rejected,failed,waiting"]
    for t in range(1, 301):
        rejected = 70 if 101 <= t <= 200 else 0
        rows.append(f"{t},fleet,-1,1,1000,2000,{2000 - rejected - 1},{rejected},1,0")
        rows.append(f"{t},server,0,1,1000,2000,{2000 - rejected - 1},{rejected},1,")
    return write_synthetic_run(directory, rows, {"type": "crash", "server": 0, "at_s": 100.0, "recover_after_s": 100.0})


@needs_promtool
def test_burn_rates_and_alert_times_match_hand_computed_values(tmp_path):
    run = _synthetic_slo_run(tmp_path / "run")
    exprs = ["wsfleet:connection_errors:ratio_rate10s", "wsfleet:connection_errors:ratio_rate1m",
             "wsfleet:connection_errors:ratio_rate2m", "wsfleet:connection_errors:ratio_rate12m"]
    result = wsfleet.alerts(run, bundled_rules("slo"), expressions=exprs)
    left_open = promtool_major() >= 3  # Prometheus 3 range selectors exclude the window's first instant

    def errors(t: float) -> float:  # the error counter at t: failures + refusals
        return t + 70 * max(0, min(t, 200) - 100)

    def ratio(t: float, window: float) -> float:
        # rate() of two counters sampled at the same instants: the extrapolations cancel out (both
        # counters start at 0 at t = 0, where extrapolation stops), leaving the increases' ratio.
        a = max(0.0, t - window + (1.0 if left_open else 0.0))
        return (errors(t) - errors(a)) / (2000 * (t - a))

    for expr, window in zip(exprs, (10, 60, 120, 720)):
        frame = result.expressions[expr].set_index("time_s")["value"]
        for t in (60, 105, 150, 199, 230, 290):
            assert frame[t] == pytest.approx(ratio(t, window), rel=1e-9), (expr, t)
    # In-phase values, by hand: 71 errors out of 2,000 attempts a second = 3.55 % (a burn rate of 35.5).
    assert result.expressions[exprs[0]].set_index("time_s")["value"][150] == pytest.approx(0.0355, rel=1e-12)
    # The page alert: 6x on 12 min (from 0: (t + 70 (t - 100)) / 2000 t > 0.006 from t = 119) and on
    # 1 min (from t = 110) fires at 119 s, before 14.4x on 2 min (t = 148); it resolves when the
    # 1 min ratio drops back under 0.6 % (59 or 60 s of it after 200 s: 251 s, or 250 s left-open).
    [page] = result.fired("WsfleetConnectionErrorBudgetBurn")
    assert (page.pending_s, page.firing_s, page.resolved_s) == (None, 119.0, 250.0 if left_open else 251.0)
    # The ticket: 1x on 144 min and 12 min: (t + 70 (t - 100)) / 2000 t > 0.001 from t = 102, and
    # (t + 7000) / 2000 t stays above 0.001 to the end of the run.
    [ticket] = result.fired("WsfleetConnectionErrorBudgetBurnSlow")
    assert (ticket.firing_s, ticket.resolved_s) == (102.0, None)
    [detection] = result.detections
    assert (detection.alertname, detection.time_to_detect_s) == ("WsfleetConnectionErrorBudgetBurnSlow", 2.0)
    # Before it fired: the intervals written at 100, 101 and 102 s (the first is the one that ends at
    # the fault's instant): 0 + 70 + 70 refused, 3 failed.
    assert (detection.refused, detection.failed) == (140, 3)


@needs_promtool
def test_a_malformed_rules_file_gets_promtools_message_with_file_and_line(storm_run, tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m] > 1\n", encoding="utf-8")
    with pytest.raises(AlertsError) as info:
        wsfleet.alerts(storm_run, bad)
    message = str(info.value)
    assert f"{bad}: 5:15:" in message and "unclosed left parenthesis" in message and "promtool check rules" in message
    unknown = tmp_path / "unknown.yml"
    unknown.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        exr: up\n", encoding="utf-8")
    proc = cli("alerts", storm_run, "--rules", unknown)  # the command line, once; the rest in-process
    err = assert_clean_failure(proc)
    assert "line 5: field exr not found" in err and str(unknown) in err
    for rules, message in ((str(tmp_path / "none.yml"), "rules file not found"),
                           ("bundled:nope", "no bundled rules named 'nope' (bundled: saturation, slo)")):
        assert alerts_main([str(storm_run), "--rules", rules]) == 2
        assert message in capsys.readouterr().err
    # A rule that parses but fails when evaluated: promtool's evaluation error, quoted.
    failing = tmp_path / "failing.yml"
    failing.write_text("groups:\n  - name: g\n    rules:\n      - record: x\n"
                       "        expr: wsfleet_server_up + on() wsfleet_server_up\n", encoding="utf-8")
    with pytest.raises(AlertsError, match=r"promtool could not evaluate the rules: .*many-to-many"):
        wsfleet.alerts(storm_run, failing)


@needs_promtool
def test_the_scenario_names_its_rules(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "down.yml").write_text(RULES_DOWN, encoding="utf-8")
    scenario = write_scenario(tmp_path, STORM_TOML + '\n[alerts]\nrules = "rules/down.yml"\n')
    proc = cli("run", scenario, "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stderr
    stored = (tmp_path / "run" / "scenario.toml").read_text()
    assert f'rules = "{(tmp_path / "rules" / "down.yml").resolve()}"' in stored
    proc = cli("alerts", tmp_path / "run")  # no --rules: the scenario's
    assert proc.returncode == 0, proc.stderr
    assert "ServerGone" in proc.stdout and "detected by ServerGone" in proc.stdout
    missing = write_scenario(tmp_path, STORM_TOML + '\n[alerts]\nrules = "nope.yml"\n', "missing.toml")
    err = assert_clean_failure(cli("check", missing))
    match = located(err, str(missing))
    assert match.group(1) == str(STORM_TOML.count("\n") + 3)
    assert "alerts.rules: rules file not found" in match.group(3)
    typo = write_scenario(tmp_path, STORM_TOML + '\n[alerts]\nrule = "x.yml"\n', "typo.toml")
    assert "rules" in located(assert_clean_failure(cli("check", typo)), str(typo)).group(3)


# --------------------------------------------------------------------------------------------
# Report


def test_steady_state_flag(tmp_path, storm_run):
    from wsfleet._alerts_report import steady_state
    recovered = steady_state(load_run(storm_run))
    assert not recovered.flagged and recovered.trigger_end_s == 45.0 and "Back to steady state" in recovered.sentence
    # Its tail, by hand: attempts per connection established over the tail (the last 7.5 s).
    csv = pd.read_csv(storm_run / "timeseries.csv")
    tail_rows = csv[(csv["scope"] == "fleet") & (csv["time_s"] > recovered.tail_start_s)]
    if tail_rows["attempts"].sum() > 0:
        assert recovered.tail == pytest.approx(tail_rows["attempts"].sum() / tail_rows["established"].sum())
    # The same run, with clients still retrying after the trigger: 300 attempts a second for 20
    # connections a second over the tail (an amplification of 15).
    stuck = tmp_path / "stuck"
    shutil.copytree(storm_run, stuck)
    csv = pd.read_csv(stuck / "timeseries.csv")
    tail = (csv["scope"] == "fleet") & (csv["time_s"] > 50)
    csv.loc[tail, "attempts"] = 300
    csv.loc[tail, "established"] = 20
    csv.to_csv(stuck / "timeseries.csv", index=False)
    flagged = steady_state(load_run(stuck))
    assert flagged.flagged and flagged.tail == pytest.approx(15.0) and "NOT BACK TO STEADY STATE" in flagged.sentence
    assert "15.00 connection attempts per connection they got" in flagged.sentence
    # 1.2 per connection is within 1.5 x the baseline (at least 1): not flagged.
    csv.loc[tail, "established"] = 250
    csv.to_csv(stuck / "timeseries.csv", index=False)
    assert not steady_state(load_run(stuck)).flagged


@needs_promtool
def test_report_has_the_alerts_timeline_and_time_to_detect(storm_run, tmp_path):
    path = wsfleet.report(storm_run, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    section = page[page.index('<section id="monitoring"'):]
    assert "Monitoring and alerts</h2>" in section and "Time to detect" in section
    assert "WsfleetServerDown" in section and "Alerts timeline under the storm timeline" in section
    assert "SLO burn rate" in section and "Back to steady state" in section


def test_without_promtool_the_command_says_so_and_the_report_still_renders(storm_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WSFLEET_PROMTOOL", str(tmp_path / "no-promtool"))
    assert alerts_main([str(storm_run), "--rules", "bundled:slo"]) == 1  # not the rules' fault: status 1
    assert "cannot run promtool" in capsys.readouterr().err
    page = wsfleet.report(storm_run, tmp_path / "report.html", plots=False).read_text(encoding="utf-8")
    section = page[page.index('<section id="monitoring"'):]
    assert "The alert rules could not be evaluated: cannot run promtool" in section
    assert "Back to steady state" in section
