"""The package reads summary.json, scenario files, study.json and plan.json only through the typed
views of wsfleet.views, which are made from the schemas that declare those files once (the engine's
experiments/summary/ and experiments/schema/, the package's wsfleet/study_schema.py) and
refuse a key those schemas do not declare.

Two guards, one static and one at run time:
- no module of the package contains a raw read of a key by name (`.get("key")`, `getattr(x, "key")`,
  `summary["key"]`, `plan["key"]`, the old get_path/num_at/table_at helpers): every key is an
  attribute of a view, except a policy's parameters (open keys of [autoscaler] etc., which the
  engine's policy registries declare: `wsfleet list`) and, listed in OWN_KEYS with the reason, reads
  of what is no such file (JSON Schema keywords, Dask's and Python's own tables) or of a table the
  module itself declares and checks ([sweep], [plan], [storm], a sweep axis's range);
- a view raises on a key its schema does not declare (AttributeError for an attribute, KeyError for
  `.get`/`[]` on a closed table), and every kind of run report is rendered from real runs whose
  summaries hold every optional section (pub/sub, autoscaler, deploys, topology, transports, each
  fault kind, server classes): a reader that asks for an undeclared key fails here, and a reader
  made to misspell one is shown to fail. The comparison, the OpenMetrics export, the Prometheus
  series, the alerts report's steady-state check, a sweep's row of metrics and RunResult's headline
  read the same runs.

The same for the time series (timeseries.csv, timeseries.parquet, RunResult's frames), whose columns
experiments/timeseries_schema.cpp declares: no module indexes a frame by a column's name written out
(`fleet["connections"]`, `"half_open" in fleet.columns`, `.sort_values("time_s")`, `.loc[m, "up"]`):
it uses wsfleet.views.COLUMNS (`fleet[C.connections]`), which refuses an undeclared name, but for the
few frames that are not the time series whose columns share a name (listed in OWN_COLUMNS).
"""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
import dataclasses
import math
import shutil
from typing import Dict, Iterable, List, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import pytest

import wsfleet
import wsfleet.policies
from wsfleet._plan_search import PLAN_KEYS
from wsfleet.storm import STORM_KEYS
from wsfleet.sweep import SWEEP_KEYS
from wsfleet import _life
from wsfleet._alerts_report import steady_state
from wsfleet._metrics import RECOVERY, REJECTED_FRACTION, flatten_summary
from wsfleet._prom_series import run_series
from wsfleet._run_dir import load_run
from wsfleet.alerting import alerts, bundled_rules
from wsfleet.compare import render_comparison
from wsfleet.export import export_openmetrics
from wsfleet.report import write_report
from wsfleet.views import COLUMNS, Scenario, Summary, TimeSeries, UndeclaredColumn, UndeclaredKey, declared_keys
from wsfleet_testing import ROOT, STORM_TOML

PACKAGE = ROOT / "python" / "wsfleet"
#: Every module of the package is scanned.
MODULES = sorted(path.name for path in PACKAGE.glob("*.py"))
#: Helpers that read a mapping by key names: readers use views instead.
RAW_HELPERS = {"get_path", "num_at", "table_at"}
#: Names under which a module would hold a parsed summary, scenario or study file (mappings, not views).
RAW_NAMES = {"summary", "scenario", "raw", "plan", "meta", "spec", "study", "effective"}
#: Mappings of the readers' own that `.get("key")` may read: the plots' labels (made by _analysis).
OWN_MAPPINGS = {"labels"}
#: Reads by name that are not of summary.json, a scenario, study.json or plan.json, or that are of a
#: table the module itself declares and checks: module -> (the keys, why).
OWN_KEYS = {
    "views.py": ({"type", "description", "properties", "additionalProperties", "required", "x-unit", "items",
                  "default", "oneOf", "x-scopes", "unit"},
                 "the JSON Schema keywords of the schemas the views are made from (x-scopes: a time-series "
                 "column's meaning per kind of row, its type, unit and description)"),
    "sweep.py": ({"sweep", *SWEEP_KEYS},
                 "the scenario's [sweep] table, whose keys SWEEP_KEYS declares and _study.read_table checks"),
    "_plan_search.py": ({"plan", *PLAN_KEYS, "name"},
                        "the scenario's [plan] table, whose keys PLAN_KEYS declares and _study.read_table checks; "
                        "the named entry of an array of tables an override path selects (fleet.classes.small)"),
    "storm.py": ({"storm", *STORM_KEYS},
                 "the scenario's [storm] table, whose keys STORM_KEYS declares and _storm_table checks"),
    "_axes.py": ({"values", "low", "high", "min", "max", "steps", "log", "integer"},
                 "a sweep axis's table (its values, or a range), checked against these keys beside the reads"),
    "_study_points.py": ({"name"}, "the named entry of an array of tables an override path selects"),
    "_replicated.py": ({"relative", "max_replications", "metrics", "confidence", "replications"},
                       "precision.json's rule and replication count, which _replicated writes and reads back itself"),
    "_aggregate.py": ({"axes"}, "DataFrame.attrs, set by _store.load_results"),
    "_study.py": ({"key"}, "the key a ScenarioError names (an exception's attribute)"),
    "alerting.py": ({"WSFLEET_PROMTOOL"}, "an environment variable"),
    "_progress.py": ({"IPython"}, "Python's module table (does it run in a notebook?)"),
    "_executors.py": ({"nthreads", "workers"}, "Dask's scheduler information"),
}
#: The keys a scenario's policy tables leave open ([balancer], [backoff], [autoscaler]) are the
#: policies' parameters, declared by the engine's policy registries (`wsfleet list`): the one kind of
#: key a reader may read by name.
POLICY_PARAMETERS = {param["name"] for registry in (wsfleet.autoscaling_policies, wsfleet.policies.backoff_policies,
                                                    wsfleet.policies.balancing_policies)
                     for policy in registry() for param in policy["params"]}


def raw_reads(source: str, name: str = "<source>", allowed: Iterable[str] = ()) -> List[str]:
    """Every read of a key by its name in `source` that does not go through a view's attribute, but
    for the keys `allowed`."""
    allowed = set(allowed)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func, args = node.func, node.args
            literal = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            holder = func.value if isinstance(func, ast.Attribute) else None
            held = (holder.id if isinstance(holder, ast.Name) else holder.attr
                    if isinstance(holder, ast.Attribute) else "")
            if isinstance(func, ast.Attribute) and func.attr == "get" and args and isinstance(args[0], ast.Constant) \
                    and isinstance(args[0].value, str) and held not in OWN_MAPPINGS \
                    and (held in RAW_NAMES or args[0].value not in POLICY_PARAMETERS) and args[0].value not in allowed:
                found.append(f"{name}:{node.lineno}: .get({args[0].value!r})")
            elif isinstance(func, ast.Name) and func.id == "getattr" and len(args) >= 2 and isinstance(args[1], ast.Constant) \
                    and args[1].value not in allowed:
                found.append(f"{name}:{node.lineno}: getattr(..., {args[1].value!r})")
            elif isinstance(func, ast.Name) and func.id in RAW_HELPERS:
                found.append(f"{name}:{node.lineno}: {func.id}(..., {', '.join(map(repr, literal))})")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            holder = node.value
            held = holder.id if isinstance(holder, ast.Name) else holder.attr if isinstance(holder, ast.Attribute) else ""
            if held in RAW_NAMES and node.slice.value not in allowed:
                found.append(f"{name}:{node.lineno}: {held}[{node.slice.value!r}]")
    return found


#: Methods of a pandas frame that take column names.
FRAME_METHODS = {"sort_values", "groupby", "drop_duplicates", "drop", "dropna", "set_index", "pivot", "pivot_table",
                 "idxmax", "idxmin", "nlargest", "nsmallest", "merge", "filter", "reindex", "value_counts"}
#: Frames that are not the time series but have a column of the same name: module -> (names, why).
OWN_COLUMNS = {
    "autoscaling.py": ({"time_s"}, "a demand trace's columns (wsfleet.autoscale's input), not timeseries.csv"),
    "_alerts_report.py": ({"time_s", "server", "failed"},
                          "promtool's evaluated series (time_s, labels, value), an alert's labels (server) and the "
                          "alerts' own counts before the first firing (refused, failed), not timeseries.csv"),
}


def column_reads(source: str, name: str = "<source>", allowed: Iterable[str] = ()) -> List[str]:
    """Every read in `source` of a declared time-series column by its name written out: a frame
    indexed by it (`f["up"]`, `f[["time_s", "server"]]`, `f.loc[m, "up"]`), asked whether it has it
    (`"up" in f.columns`), or a frame method given it (`f.sort_values("time_s")`)."""
    declared = set(COLUMNS) - set(allowed)
    found = []

    def named(node: ast.AST) -> List[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in declared:
            return [node.value]
        if isinstance(node, (ast.Tuple, ast.List)):
            return [v for e in node.elts for v in named(e) if isinstance(e, ast.Constant)]
        return []

    for node in ast.walk(ast.parse(source)):
        hits: List[str] = []
        if isinstance(node, ast.Subscript):
            hits = named(node.slice)
        elif isinstance(node, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in node.ops):
            hits = named(node.left)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FRAME_METHODS:
            hits = [v for a in [*node.args, *(k.value for k in node.keywords)] for v in named(a)]
        found.extend(f"{name}:{node.lineno}: column {h!r}" for h in hits)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_every_module_reads_time_series_columns_through_the_declaration(module: str) -> None:
    allowed = OWN_COLUMNS.get(module, ((), ""))[0]
    assert column_reads((PACKAGE / module).read_text(encoding="utf-8"), module, allowed) == []


@pytest.mark.parametrize("module", sorted(OWN_COLUMNS))
def test_every_column_allowance_is_still_needed(module: str) -> None:
    assert column_reads((PACKAGE / module).read_text(encoding="utf-8"), module) != [], f"{module}: {OWN_COLUMNS[module][1]}"


def test_the_column_scan_sees_every_kind_of_raw_column_read() -> None:
    source = ('a = fleet["connections"]\nb = ts[["time_s", "server"]]\nc = fleet.loc[m, "up"]\n'
              'd = "half_open" in fleet.columns\ne = f.sort_values("time_s")\ng = f.groupby(by="server")\n'
              'h = fleet[C.connections]\ni = plan["variable"]\nj = labels.get("up")\nk = f.pivot(index="time_s")\n'
              'l = d["teleported"]\n')
    assert column_reads(source) == [
        "<source>:1: column 'connections'", "<source>:2: column 'time_s'", "<source>:2: column 'server'",
        "<source>:3: column 'up'", "<source>:4: column 'half_open'", "<source>:5: column 'time_s'",
        "<source>:6: column 'server'", "<source>:10: column 'time_s'"]
    assert column_reads(source, allowed={"time_s"}) == [
        "<source>:1: column 'connections'", "<source>:2: column 'server'", "<source>:3: column 'up'",
        "<source>:4: column 'half_open'", "<source>:6: column 'server'"]


def test_the_columns_refuse_an_undeclared_name() -> None:
    assert COLUMNS.connections == "connections" and COLUMNS.of("latency_le_ms_250") == "latency_le_ms_250"
    with pytest.raises(AttributeError, match=r"timeseries.csv has no column 'conections'"):
        COLUMNS.conections  # noqa: B018
    with pytest.raises(UndeclaredColumn, match=r"no column 'latency_le_ms_3'"):
        COLUMNS.of("latency_le_ms_3")
    # Per scope: the unit, the meaning, and which scopes have a column.
    assert COLUMNS.unit("up", "site") == "servers" and COLUMNS.kind("up", "server") == "flag"
    assert COLUMNS.names("site") == ["time_s", "up", "connections", "site", "ready", "draining"]
    assert "ready" not in COLUMNS.names("fleet") and "present" in COLUMNS.whole("server")
    with pytest.raises(UndeclaredColumn, match="ready on fleet rows"):
        COLUMNS.unit("ready", "fleet")
    ts = TimeSeries(wsfleet.run(BASE).fleet)
    assert list(ts.connections) == list(ts.frame["connections"]) and ts.has("waiting")
    with pytest.raises(UndeclaredColumn):
        ts.conections  # noqa: B018
    with pytest.raises(KeyError, match="'replicas'"):
        ts.replicas  # noqa: B018  (declared, written only with [autoscaler])
    with pytest.raises(UndeclaredColumn):
        wsfleet.run(BASE).steady_state(["connectionz"])


@pytest.mark.parametrize("module", MODULES)
def test_every_module_reads_keys_only_through_the_views(module: str) -> None:
    allowed = OWN_KEYS.get(module, ((), ""))[0]
    assert raw_reads((PACKAGE / module).read_text(encoding="utf-8"), module, allowed) == []


@pytest.mark.parametrize("module", sorted(OWN_KEYS))
def test_every_allowance_is_still_needed(module: str) -> None:
    # An allowance whose module no longer reads those keys by name goes: it would hide a new raw read.
    assert raw_reads((PACKAGE / module).read_text(encoding="utf-8"), module) != [], f"{module}: {OWN_KEYS[module][1]}"


def test_the_scan_sees_every_kind_of_raw_read() -> None:
    source = ('a = summary.get("connections")\nb = get_path(summary, "cpu", "peak")\nc = run.summary["fleet"]\n'
              'd = getattr(view, "attempted")\ne = frame["connections"]\nf = s.connections.attempted\n'
              'g = words.get(key, key)\nh = d.labels.get("rejected", "refused")\n'
              'i = Scenario(x).autoscaler.get("target_utilization_pct")\nj = plan["variable"]\nk = spec.get("axes")\n')
    assert raw_reads(source) == ["<source>:1: .get('connections')", "<source>:2: get_path(..., 'cpu', 'peak')",
                                 "<source>:3: summary['fleet']", "<source>:4: getattr(..., 'attempted')",
                                 "<source>:10: plan['variable']", "<source>:11: .get('axes')"]
    assert raw_reads(source, allowed={"axes", "fleet"}) == [
        "<source>:1: .get('connections')", "<source>:2: get_path(..., 'cpu', 'peak')",
        "<source>:4: getattr(..., 'attempted')", "<source>:10: plan['variable']"]


# --------------------------------------------------------------------------------------------
# The views refuse what the schemas do not declare


def test_a_summary_view_refuses_an_undeclared_key() -> None:
    s = Summary({"connections": {"attempted": 5, "rejected_by": {"server_full": 1}}})
    assert s.connections.attempted == 5 and s.connections.rejected_by.get("server_full") == 1
    with pytest.raises(AttributeError, match=r"summary.json's connections has no key 'teleported'"):
        s.connections.teleported  # noqa: B018
    with pytest.raises(UndeclaredKey, match=r"summary.json's connections.rejected_by has no key 'full'"):
        s.connections.rejected_by.get("full")
    with pytest.raises(KeyError):
        s.connections["teleported"]  # noqa: B018
    with pytest.raises(AttributeError, match=r"summary.json has no key 'formula'"):
        s.formula  # noqa: B018
    # The conservation checks are a map: any name, each check a closed table.
    checks = Summary({"conservation": {"checks": {"attempts": {"equation": "a = b", "ok": True}}}}).conservation.checks
    assert checks["attempts"].equation == "a = b"
    with pytest.raises(AttributeError, match="'formula'"):
        checks["attempts"].formula  # noqa: B018


def test_optional_sections_are_none_and_every_run_s_sections_are_views() -> None:
    s = Summary({})
    # Written only by some runs (declared optional in experiments/summary/): None, said so.
    assert s.pubsub is None and s.autoscaler is None and s.topology is None and s.deploys is None
    # Written by every run: a view even of a hand-made summary that lacks it, its numbers None.
    assert s.connections.attempted is None and s.messages.latency_ms.p99 is None and s.faults == []
    fault = Summary({"faults": [{"type": "crash", "server": 2, "at_s": 1.0}]}).faults[0]
    assert fault.server == 2 and fault.site is None and fault.share is None  # a fault kind's own keys
    assert "(None when absent)" in type(s).__doc__.split("pubsub (", 1)[1].split("\n", 1)[0]


def test_a_scenario_view_refuses_an_undeclared_key_but_not_a_policy_parameter() -> None:
    sc = Scenario({"backoff": {"policy": "full_jitter", "base_s": 0.5}, "fleet": {"servers": 3}})
    assert sc.backoff.get("base_s") == 0.5            # [backoff] is open: a policy's parameters
    assert sc.fleet.servers == 3 and sc.fleet.max_connections is not None  # the schema's default
    with pytest.raises(UndeclaredKey, match="the scenario's fleet has no key 'server'"):
        sc.fleet.get("server")
    with pytest.raises(AttributeError, match="'max_conections'"):
        sc.fleet.max_conections  # noqa: B018
    assert "policy" in declared_keys(sc.balancer).values()


def test_a_session_table_is_a_view_of_its_distribution() -> None:
    session = Scenario({"clients": {"session": {"distribution": "uniform", "low_s": 1.0, "high_s": 2.0}}}).clients.session
    assert (session.distribution, session.low_s, session.high_s, session.mean_s) == ("uniform", 1.0, 2.0, None)
    assert Scenario({}).clients.session == "never"
    with pytest.raises(AttributeError):
        session.min_s  # noqa: B018


# --------------------------------------------------------------------------------------------
# Every kind of run report, from real runs with every optional section

BASE = ('[run]\nduration_s = 30.0\nsample_interval_s = 1.0\n[fleet]\nservers = 3\n[clients]\ncount = 300\n'
        'ramp_s = 5.0\n')
EXTRA = {
    "classes": '[[fleet.classes]]\nname = "small"\nservers = 2\nmax_connections = 100\n'
               '[[fleet.classes]]\nname = "big"\nservers = 1\nmax_connections = 400\ncpu_cores = 4\n'
               '[[faults]]\ntype = "crash"\nserver = 2\nat_s = 10.0\nrecover_after_s = 5.0\n',
    "balancer": '[balancer]\ncount = 2\n[[faults]]\ntype = "balancer_crash"\nbalancer = 1\nat_s = 10.0\n',
    "transport": '[transport]\nlong_polling_share = 0.2\nsse_share = 0.1\n[[faults]]\ntype = "websocket_block"\n'
                 'share = 0.5\nat_s = 10.0\nrecover_after_s = 10.0\n',
    "broker": '[pubsub]\nchannels = 3\n[pubsub.feed]\nchannels = 3\nrate_per_s = 2.0\n[pubsub.resume]\nwindow_s = 30.0\n'
              'cache_messages = 100\n[[faults]]\ntype = "broker_outage"\nat_s = 10.0\nrecover_after_s = 5.0\n'
              '[[faults]]\ntype = "crash"\nserver = 0\nat_s = 15.0\nrecover_after_s = 5.0\n',
    "frames": 'heartbeat_interval_s = 2.0\nmessages_per_minute = 30.0\n'
              '[[topology.links]]\nbetween = ["users", "dc"]\nlatency_ms = 10.0\n[[topology.sites]]\nname = "dc"\n'
              'share = 1.0\n[[topology.regions]]\nname = "users"\nshare = 1.0\n'
              '[[faults]]\ntype = "dropped_messages"\nserver = 1\nloss = 0.5\nat_s = 6.0\nrecover_after_s = 6.0\n'
              '[[faults]]\ntype = "link_loss"\nsite = "dc"\nloss = 0.2\nat_s = 13.0\nrecover_after_s = 5.0\n'
              '[[faults]]\ntype = "link_down"\nsite = "dc"\nat_s = 20.0\nrecover_after_s = 5.0\n',
    "pusher": '[backoff]\npolicy = "pusher"\n[[faults]]\ntype = "handshake_blackhole"\nserver = 0\nat_s = 0.0\n'
              'recover_after_s = 10.0\n',
    # SignalR falls back to SSE and long polling when its WebSocket fails to start: signalr_fallback.
    "signalr": '[backoff]\npolicy = "signalr"\n[[faults]]\ntype = "websocket_block"\nat_s = 10.0\nshare = 0.5\n',
}


def _scenarios() -> Dict[str, str]:
    out = {}
    for path in sorted((ROOT / "experiments" / "scenarios").glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        count = tomllib.loads(text)["clients"]["count"]
        out[path.stem] = text.replace(f"count = {count}\n", f"count = {max(200, min(3000, count // 20))}\n", 1)
    out["storm"] = STORM_TOML
    # [[fleet.classes]] sets the servers: the base's fleet.servers goes.
    out.update({f"fault-{key}": (BASE.replace("servers = 3\n", "") if key == "classes" else BASE) + text
                for key, text in EXTRA.items()})
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Tuple[wsfleet.RunResult, Path]]:
    root = tmp_path_factory.mktemp("kinds")
    out = {}
    for name, text in _scenarios().items():
        result = wsfleet.run(text)
        out[name] = (result, result.save(root / name))
    return out


@pytest.fixture(scope="module")
def run_dirs(runs: Dict[str, Tuple[wsfleet.RunResult, Path]]) -> Dict[str, Path]:
    return {name: directory for name, (_, directory) in runs.items()}


def test_the_runs_hold_every_optional_section(run_dirs: Dict[str, Path]) -> None:
    sections = set()
    fault_keys = set()
    for directory in run_dirs.values():
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        sections.update(summary)
        for fault in summary["faults"]:
            fault_keys.update(fault)
    optional = {key for key in Summary._keys.values() if key not in wsfleet.views.summary_schema()["required"]}
    assert optional <= sections, "a run of every optional section"
    faults = wsfleet.views.summary_schema()["properties"]["faults"]["items"]
    assert set(faults["properties"]) - set(faults["required"]) <= fault_keys, "a run of every fault kind's own key"


def test_every_kind_of_run_report_reads_only_declared_keys(run_dirs: Dict[str, Path]) -> None:
    for name, directory in run_dirs.items():
        html = write_report(directory, plots=False).read_text(encoding="utf-8")
        assert "Verdict:" in html, name
        if name == "live_scores":
            assert 'id="life-pubsub"' in html and "publications" in html
        if name == "rolling_deploy":
            assert 'id="operations"' in html
        if name == "autoscale_kickoff":
            assert "autoscaler" in html.lower()


def test_a_reader_that_misspells_a_key_fails(run_dirs: Dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # The pub/sub section reads its drop causes by name from Summary.pubsub.copies: one misspelt
    # name and the report of a pub/sub run fails, naming the key and the table.
    monkeypatch.setattr(_life, "_DROP_CAUSES", _life._DROP_CAUSES + (("dropped_fulll", "misspelt"),))
    with pytest.raises(AttributeError, match=r"summary.json's pubsub.copies has no key 'dropped_fulll'"):
        write_report(run_dirs["live_scores"], plots=False)


def test_every_other_reader_reads_only_declared_keys(runs: Dict[str, Tuple[wsfleet.RunResult, Path]]) -> None:
    # The comparison of every run, side by side: one column per run.
    html = render_comparison([directory for _, directory in runs.values()], plots=False)
    assert html.count("<th>") == len(runs) + 1
    for name, (result, directory) in runs.items():
        run = load_run(directory)
        s = Summary(run.summary)
        timed = [f for f in s.faults if f.at_s is not None]
        # The Prometheus series and their OpenMetrics text: one fault_active series per fault, the
        # end-of-run totals (summary:... paths, walked through the views) of every section present.
        series = run_series(run)
        names = [x.metric.name for x in series]
        assert names.count("wsfleet_fault_active") == len(timed), name
        assert ("wsfleet_site_servers" in names) == bool(s.topology is not None and s.topology.sites), name
        assert ("wsfleet_balancer_routed" in " ".join(names)) == bool(s.balancers), name
        text = export_openmetrics(directory)
        assert text.endswith("# EOF\n") and ("wsfleet_fault_active" in text) == bool(timed), name
        # A sweep's row of metrics.
        row = flatten_summary(run.summary)
        attempted, rejected = s.connections.attempted, s.connections.rejected
        assert row[REJECTED_FRACTION] == (rejected / attempted if attempted else 0.0), name
        crashes = [f for f in s.faults if f.type in ("crash", "site_crash")]
        assert math.isnan(row[RECOVERY]) == (not crashes), name
        # The alerts report's steady-state check, and RunResult's headline and verdict.
        assert steady_state(run).sentence, name
        assert f"RunResult {s.scenario.name!r}: {s.fleet.servers} servers" in repr(result), name
        assert result.verdict().status, name


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian package prometheus)")
def test_the_alerts_read_only_declared_keys(run_dirs: Dict[str, Path]) -> None:
    for name in ("fault-classes", "fault-frames"):
        result = alerts(run_dirs[name], [bundled_rules("slo"), bundled_rules("saturation")])
        faults = [f for f in Summary(json.loads((run_dirs[name] / "summary.json").read_text())).faults]
        assert [d.type for d in result.detections] == [str(f.type) for f in faults], name
        assert all(d.target for d in result.detections), name  # each names what it hit (server, site)


def test_a_series_of_a_misspelt_summary_path_fails(run_dirs: Dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # The Prometheus series walk their summary:... paths through the views: a path summary.json's
    # schema does not declare fails, naming the table, instead of exporting nothing.
    from wsfleet import _prom_series

    rejected = next(m for m in _prom_series.METRICS if m.source == "summary:connections.rejected_by")
    misspelt = dataclasses.replace(rejected, source="summary:connections.rejected_byy")
    monkeypatch.setattr(_prom_series, "METRICS", [*_prom_series.METRICS, misspelt])
    with pytest.raises(AttributeError, match=r"summary.json's connections has no key 'rejected_byy'"):
        run_series(load_run(run_dirs["storm"]))
