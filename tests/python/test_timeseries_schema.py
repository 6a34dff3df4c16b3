"""`wsfleet schema --timeseries`: the columns of timeseries.csv (and timeseries.parquet), declared once
in experiments/timeseries_schema.cpp. The committed docs/timeseries.schema.json is up to date; every
row of runs of every kind (pub/sub, deploys, autoscaler, several sites, several server classes)
validates against it; the Python column names (wsfleet.views.COLUMNS) are the declared ones; with two
or more sites the site rows count each site's servers, and with two or more [[fleet.classes]] the
class rows each class's servers, connections, CPU and refusals; both reach Python, the Parquet twin,
the report's plots and the OpenMetrics export."""
from __future__ import annotations

import csv
import html as html_lib
import json
from pathlib import Path
from typing import Any, Dict, Iterator

import jsonschema
import pandas as pd
import pytest

import wsfleet
from wsfleet.export import export_openmetrics
from wsfleet.report import write_report
from wsfleet.views import COLUMNS, SCOPES, timeseries_schema
from wsfleet_testing import ROOT, cli

SCENARIOS = ROOT / "experiments" / "scenarios"
TWO_SITES = ('[run]\nduration_s = 40.0\nsample_interval_s = 1.0\n[fleet]\nservers = 4\n[clients]\ncount = 400\n'
             'ramp_s = 5.0\n[[topology.links]]\nbetween = ["eu", "a"]\nlatency_ms = 5.0\n[[topology.links]]\n'
             'between = ["eu", "b"]\nlatency_ms = 20.0\n[[topology.sites]]\nname = "a"\nservers = 2\n'
             '[[topology.sites]]\nname = "b"\nservers = 2\n[[topology.regions]]\nname = "eu"\nshare = 1.0\n'
             '[[faults]]\ntype = "crash"\nserver = 0\nat_s = 10.5\n'
             '[[scaling]]\nat_s = 20.5\nremove = 1\ndrain_timeout_s = 5.0\n')
# Class small: servers 0 and 1, 20 connections each; class big: servers 2 and 3, 1000 each, two cores.
# Round robin fills the small servers to their limit (the rest are refused and retry onto big ones);
# server 0 crashes at 5.5 s for good, and its clients reconnect to the big servers.
TWO_CLASSES = ('[run]\nduration_s = 30.0\nsample_interval_s = 1.0\n[clients]\ncount = 200\nramp_s = 2.0\n'
               '[[fleet.classes]]\nname = "small"\nservers = 2\nmax_connections = 20\n'
               '[[fleet.classes]]\nname = "big"\nservers = 2\nmax_connections = 1000\ncpu_cores = 2\n'
               '[[faults]]\ntype = "crash"\nserver = 0\nat_s = 5.5\n')
AUTOSCALED_SITES = ('[run]\nduration_s = 60.0\nsample_interval_s = 1.0\n[fleet]\nservers = 3\n[clients]\ncount = 600\n'
                    'ramp_s = 20.0\n[[topology.links]]\nbetween = ["eu", "a"]\nlatency_ms = 5.0\n[[topology.links]]\n'
                    'between = ["eu", "b"]\nlatency_ms = 9.0\n[[topology.sites]]\nname = "a"\nservers = 2\n'
                    '[[topology.sites]]\nname = "b"\nservers = 1\n[[topology.regions]]\nname = "eu"\nshare = 1.0\n'
                    '[autoscaler]\npolicy = "kubernetes_hpa"\nmetric = "connections"\ntarget_average_value = 100\n'
                    'min_replicas = 1\nmax_replicas = 5\nreadiness_delay_s = 2.0\n'
                    'provisioning = { distribution = "constant", value_s = 5.0 }\n')


@pytest.fixture(scope="module")
def schema() -> Dict[str, Any]:
    proc = cli("schema", "--timeseries")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def run_dirs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    root = tmp_path_factory.mktemp("ts")
    runs = {
        "default": (SCENARIOS / "default.toml", {"clients.count": 2000, "run.sample_interval_s": 10.0}),
        "pubsub": (SCENARIOS / "live_scores.toml", {"clients.count": 1000, "fleet.servers": 5,
                                                    "run.sample_interval_s": 10.0}),
        "deploy": (SCENARIOS / "rolling_deploy.toml", {"clients.count": 1000, "run.sample_interval_s": 5.0}),
        "autoscaler": (SCENARIOS / "autoscale_kickoff.toml", {"clients.count": 2000, "run.sample_interval_s": 10.0}),
        "sites": (TWO_SITES, {}),
        "autoscaled_sites": (AUTOSCALED_SITES, {}),
        "classes": (TWO_CLASSES, {}),
    }
    out = {}
    for name, (scenario, overrides) in runs.items():
        out[name] = wsfleet.run(scenario, overrides=overrides, progress=False).save(root / name, format="parquet")
    return out


def _rows(path: Path) -> Iterator[Dict[str, Any]]:
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield {k: (None if v == "" else v if k == "scope" else float(v) if "." in v or "e" in v or "n" in v
                       else int(v)) for k, v in row.items()}


def test_the_committed_schema_is_up_to_date(schema: Dict[str, Any]) -> None:
    committed = json.loads((ROOT / "docs" / "timeseries.schema.json").read_text(encoding="utf-8"))
    assert committed == schema, "regenerate: wsfleet schema --timeseries > docs/timeseries.schema.json"
    assert timeseries_schema() == schema  # the same table behind the binding
    jsonschema.Draft7Validator.check_schema(schema)
    # The Python names are the declared columns, each with its scopes' meaning and unit.
    assert list(COLUMNS) == list(schema["properties"])
    for name, node in schema["properties"].items():
        if name != "scope":
            assert set(node["x-scopes"]) <= set(SCOPES) and node["description"], name


def test_every_row_of_every_kind_of_run_is_declared(schema: Dict[str, Any], run_dirs: Dict[str, Path]) -> None:
    validator = jsonschema.Draft7Validator(schema)
    seen_scopes = set()
    for name, directory in run_dirs.items():
        header = (directory / "timeseries.csv").read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        assert set(header) <= set(schema["properties"]), name
        for i, row in enumerate(_rows(directory / "timeseries.csv")):
            seen_scopes.add(row["scope"])
            errors = [e.message for e in validator.iter_errors(row)]
            assert errors == [], (name, i, errors)
            # A column of another scope is empty on this row.
            for column, value in row.items():
                if column not in ("time_s", "scope", "server") and value is not None:
                    assert row["scope"] in schema["properties"][column]["x-scopes"], (name, column, row["scope"])
    assert seen_scopes == set(SCOPES)


def _row(scope: str, **cells: Any) -> Dict[str, Any]:
    """A valid row of `scope`: every column it always has, 0 (the site's number, a count, a flag)."""
    row: Dict[str, Any] = {"time_s": 1.0, "scope": scope, "server": -1}
    row.update({c: 0 for c in COLUMNS.names(scope) if c != "time_s"})
    row.update(cells)
    return row


def test_a_column_the_schema_does_not_declare_is_refused(schema: Dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(schema)
    for scope in SCOPES:
        assert [e.message for e in validator.iter_errors(_row(scope))] == [], scope
    assert [e.message for e in validator.iter_errors(_row("fleet", teleported=2))] == [
        "Additional properties are not allowed ('teleported' was unexpected)"]
    assert not validator.is_valid({**_row("fleet"), "scope": "region"})
    # Per scope: a server's up is a flag, a fleet row has no server-only column, a site row needs its site.
    assert validator.is_valid(_row("server", up=1)) and not validator.is_valid(_row("server", up=2))
    assert not validator.is_valid(_row("fleet", present=1))
    assert validator.is_valid(_row("fleet", latency_p99_ms=None)) and not validator.is_valid(_row("fleet", up=None))
    assert not validator.is_valid({k: v for k, v in _row("site").items() if k != "site"})


def test_site_rows_count_each_site_s_servers(run_dirs: Dict[str, Path]) -> None:
    run = wsfleet.load(run_dirs["sites"])
    sites, fleet = run.sites, run.fleet.set_index("time_s")
    assert list(sites.columns) == ["time_s", "up", "connections", "site", "ready", "draining"]
    assert str(sites["up"].dtype) == "int64" and len(sites) == 2 * len(fleet)
    by_time = sites.groupby("time_s")
    assert (by_time["up"].sum() == fleet["up"]).all()
    assert (by_time["connections"].sum() == fleet["connections"]).all()
    a, b = (sites[sites["site"] == k].set_index("time_s") for k in (0, 1))
    # Server 0 (site a) crashes at 10.5 s; server 3 (site b) drains from 20.5 s until its deadline at 25.5 s.
    assert (a.loc[10.0, ["up", "ready", "draining"]].tolist(), a.loc[11.0, ["up", "ready"]].tolist()) == ([2, 2, 0], [1, 1])
    assert b.loc[21.0, ["up", "ready", "draining"]].tolist() == [2, 1, 1]
    assert b.loc[25.0, ["up", "ready", "draining"]].tolist() == [2, 1, 1]
    assert b.loc[26.0, ["up", "ready", "draining"]].tolist() == [1, 1, 0]
    # The Parquet twin holds the same site rows, and a run without sites has none.
    parquet = pd.read_parquet(run_dirs["sites"] / "timeseries.parquet")
    assert (parquet["scope"] == "site").sum() == len(sites)
    assert wsfleet.load(run_dirs["default"]).sites.empty
    assert "ready" not in (run_dirs["default"] / "timeseries.csv").read_text(encoding="utf-8").split("\n", 1)[0]


def test_the_report_and_the_export_show_the_sites(run_dirs: Dict[str, Path]) -> None:
    html = write_report(run_dirs["sites"]).read_text(encoding="utf-8")
    assert 'id="plot-sites"' in html and "Servers per site" in html
    assert 'id="plot-sites"' not in write_report(run_dirs["default"]).read_text(encoding="utf-8")
    scaled = write_report(run_dirs["autoscaled_sites"]).read_text(encoding="utf-8")
    assert 'id="plot-sites"' in scaled and "each site's servers ready" in html_lib.unescape(scaled)
    text = export_openmetrics(run_dirs["sites"])
    ready_b = [line for line in text.splitlines() if line.startswith('wsfleet_site_servers_ready{site="b"}')]
    assert ready_b and ready_b[-1].split()[1] == "1"  # one of b's two servers left at 25.5 s
    assert "wsfleet_site_servers_up" not in export_openmetrics(run_dirs["default"])


def test_a_misspelt_column_in_a_reader_fails(run_dirs: Dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # The export's columns are checked against the declaration: a misspelt source fails, naming it,
    # instead of exporting nothing.
    import dataclasses

    from wsfleet import _prom_series
    from wsfleet._run_dir import load_run

    up = next(m for m in _prom_series.METRICS if m.source == "site:up")
    monkeypatch.setattr(_prom_series, "METRICS", [*_prom_series.METRICS, dataclasses.replace(up, source="site:upp")])
    with pytest.raises(KeyError, match="no column 'upp'"):
        _prom_series.run_series(load_run(run_dirs["sites"]))


def test_class_rows_count_each_class_s_servers_connections_cpu_and_refusals(run_dirs: Dict[str, Path]) -> None:
    run = wsfleet.load(run_dirs["classes"])
    classes, fleet = run.classes, run.fleet.set_index("time_s")
    assert list(classes.columns) == ["time_s", "up", "connections", "cpu_utilisation", "class", "ready",
                                     "cpu_utilisation_max", "refusals"]
    assert str(classes["up"].dtype) == "int64" and len(classes) == 2 * len(fleet)
    by_time = classes.groupby("time_s")
    assert (by_time["up"].sum() == fleet["up"]).all()
    assert (by_time["connections"].sum() == fleet["connections"]).all()
    small, big = (classes[classes["class"] == k].set_index("time_s") for k in (0, 1))
    # Each small server at its limit of 20; after server 0's crash at 5.5 s the small class is server 1 alone.
    assert small.loc[5.0, ["up", "ready", "connections"]].tolist() == [2, 2, 40]
    assert small.loc[30.0, ["up", "ready", "connections"]].tolist() == [1, 1, 20]
    assert big.loc[30.0, ["up", "ready"]].tolist() == [2, 2]
    assert big.loc[30.0, "connections"] == fleet.loc[30.0, "connections"] - 20
    assert small["refusals"].sum() > 0 and big["refusals"].sum() == 0
    # Each class row is its servers' rows: refusals summed, the busiest server's CPU.
    servers = run.servers
    refused = servers[[c for c in servers.columns if c.startswith("refused_")]].sum(axis=1)
    for k, name in enumerate(["small", "big"]):
        mine = servers[servers["class"] == name]
        assert (refused[mine.index].groupby(mine["time_s"]).sum() == classes[classes["class"] == k].set_index("time_s")["refusals"]).all()
        assert (mine.groupby("time_s")["cpu_utilisation"].max() ==
                classes[classes["class"] == k].set_index("time_s")["cpu_utilisation_max"]).all()
    # The same rows from wsfleet.run, in the Parquet twin; none without classes.
    assert len(wsfleet.run(TWO_CLASSES, progress=False).classes) == len(classes)
    parquet = pd.read_parquet(run_dirs["classes"] / "timeseries.parquet")
    assert (parquet["scope"] == "class").sum() == len(classes)
    assert wsfleet.load(run_dirs["default"]).classes.empty
    assert "cpu_utilisation_max" not in (run_dirs["default"] / "timeseries.csv").read_text(encoding="utf-8").split("\n", 1)[0]


def test_the_report_and_the_export_show_the_classes(run_dirs: Dict[str, Path]) -> None:
    html = write_report(run_dirs["classes"]).read_text(encoding="utf-8")
    assert 'id="plot-classes"' in html and "Servers and CPU per class" in html
    assert 'id="plot-classes"' not in write_report(run_dirs["default"]).read_text(encoding="utf-8")
    text = export_openmetrics(run_dirs["classes"])
    small = [line for line in text.splitlines() if line.startswith('wsfleet_class_connections{class="small"}')]
    assert small and small[-1].split()[1] == "20"  # server 1 alone, at its limit
    up_big = [line for line in text.splitlines() if line.startswith('wsfleet_class_servers_up{class="big"}')]
    assert up_big and up_big[-1].split()[1] == "2"
    assert "wsfleet_class_servers_up" not in export_openmetrics(run_dirs["default"])
