"""`wsfleet schema --summary`: the JSON Schema of summary.json, generated from the one C++ table
that declares every key (experiments/summary/). The summary of every bundled scenario
(shrunk) validates against it, every declared key is written by some run, the committed copy is up
to date, and the typed views (wsfleet.views) read what the engine wrote."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Set

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import jsonschema
import pytest

import wsfleet
from wsfleet.views import Scenario, Summary, summary_schema
from wsfleet_testing import ROOT, STORM_TOML, cli

BUNDLED = sorted((ROOT / "experiments" / "scenarios").glob("*.toml")) + sorted((ROOT / "experiments" / "bench").glob("*.toml"))

# Kinds of fault whose outcome has its own key, in a scenario of their own (no bundled one has them).
FAULT_KINDS = {
    "balancer": '[balancer]\ncount = 2\n[[faults]]\ntype = "balancer_crash"\nbalancer = 1\nat_s = 10.0\n',
    "share": '[transport]\nlong_polling_share = 0.2\n[[faults]]\ntype = "websocket_block"\nshare = 0.5\nat_s = 10.0\n'
             'recover_after_s = 10.0\n',
    "broker": '[pubsub]\nchannels = 3\n[pubsub.feed]\nchannels = 3\nrate_per_s = 2.0\n[[faults]]\ntype = "broker_outage"\nat_s = 10.0\n'
              'recover_after_s = 5.0\n',
    "link_loss": '[[topology.links]]\nbetween = ["eu", "dc"]\nlatency_ms = 5.0\n[[topology.sites]]\nname = "dc"\nservers = 3\n'
                 '[[topology.regions]]\nname = "eu"\nshare = 1.0\n[[faults]]\ntype = "link_loss"\nsite = "dc"\nloss = 0.2\n',
    "link_down": '[[topology.links]]\nbetween = ["eu", "dc"]\nlatency_ms = 5.0\n[[topology.sites]]\nname = "dc"\nservers = 3\n'
                 '[[topology.regions]]\nname = "eu"\nshare = 1.0\n[[faults]]\ntype = "link_down"\nsite = "dc"\nat_s = 2.0\n'
                 'recover_after_s = 10.0\n',
    # A partition: the balancers' connects to its servers time out (balancers[].connect_timeouts).
    "site_partition": '[[topology.links]]\nbetween = ["eu", "a"]\nlatency_ms = 5.0\n[[topology.links]]\nbetween = ["eu", "b"]\n'
                      'latency_ms = 9.0\n[[topology.sites]]\nname = "a"\nservers = 2\n[[topology.sites]]\nname = "b"\n'
                      'servers = 1\n[[topology.regions]]\nname = "eu"\nshare = 1.0\n[[faults]]\ntype = "site_partition"\n'
                      'site = "a"\nat_s = 10.0\nrecover_after_s = 10.0\n',
    # An autoscaler per site, with a site's own bounds and a scheduled action.
    "autoscaler_sites": '[[topology.links]]\nbetween = ["eu", "a"]\nlatency_ms = 5.0\n[[topology.links]]\nbetween = ["eu", "b"]\n'
                        'latency_ms = 9.0\n[[topology.sites]]\nname = "a"\nservers = 2\n[[topology.sites]]\nname = "b"\n'
                        'servers = 1\n[[topology.regions]]\nname = "eu"\nshare = 1.0\n[autoscaler]\npolicy = "kubernetes_hpa"\n'
                        'min_replicas = 1\nmax_replicas = 4\n[[autoscaler.sites]]\nsite = "b"\nmax_replicas = 2\n'
                        '[[scaling]]\nat_s = 10.0\nmin_replicas = 2\nsite = "b"\n'
                        # A rollout: one Deployment per site (deploys[].sites).
                        '[[deploys]]\nat_s = 15.0\nready_after_s = 2.0\n',
}
BASE = ('[run]\nduration_s = 30.0\nsample_interval_s = 1.0\n[fleet]\nservers = 3\n[clients]\ncount = 300\n'
        'ramp_s = 5.0\n')


@pytest.fixture(scope="module")
def schema() -> Dict[str, Any]:
    proc = cli("schema", "--summary")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def validator(schema: Dict[str, Any]) -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def shrunk(path: Path) -> Dict[str, Any]:
    """A bundled scenario's summary with a tenth of its clients (at most 5,000)."""
    count = tomllib.loads(path.read_text())["clients"]["count"]
    return wsfleet.run(path, overrides={"clients.count": max(200, min(5000, count // 10))}).summary


@pytest.fixture(scope="module")
def summaries() -> Dict[str, Dict[str, Any]]:
    out = {p.name: shrunk(p) for p in BUNDLED}
    out["storm"] = wsfleet.run(STORM_TOML).summary
    for key, text in FAULT_KINDS.items():
        out[f"fault-{key}"] = wsfleet.run(BASE + text).summary
    # A library that joins channels on every connection writes pubsub.channel_joins.
    out["phoenix-joins"] = wsfleet.run(BASE + '[backoff]\npolicy = "phoenix"\n[pubsub]\nchannels = 3\nsubscriptions = 2\n').summary
    # HAProxy presets write their queue and retries; Envoy with outlier detection its ejections.
    out["haproxy"] = wsfleet.run(BASE + '[balancer]\npolicy = "haproxy_roundrobin"\n').summary
    out["envoy-outlier"] = wsfleet.run(BASE + '[balancer]\npolicy = "envoy_round_robin"\nconsecutive_5xx = 5\n').summary
    # pusher-js races its HTTP fallback in a browser: pusher_fallback.
    out["pusher"] = wsfleet.run(BASE + '[backoff]\npolicy = "pusher"\n').summary
    # SignalR falls back to SSE and long polling when its WebSocket fails to start: signalr_fallback.
    out["signalr"] = wsfleet.run(BASE + '[backoff]\npolicy = "signalr"\n[[faults]]\ntype = "websocket_block"\nat_s = 10.0\n'
                                 'share = 0.5\n').summary
    return out


def paths(value: Any, at: str = "") -> Iterator[str]:
    """Every key path of a summary, in the table's notation ("fleet.classes[].name", "checks.*")."""
    if isinstance(value, dict):
        star = at == "conservation.checks"
        for key, sub in value.items():
            here = f"{at}.*" if star else (f"{at}.{key}" if at else key)
            yield here
            yield from paths(sub, here)
    elif isinstance(value, list):
        for item in value:
            yield f"{at}[]"
            yield from paths(item, f"{at}[]")


def declared(node: Dict[str, Any], at: str = "") -> Iterator[str]:
    for key, sub in node.get("properties", {}).items():
        here = f"{at}.{key}" if at else key
        yield here
        yield from declared(sub, here)
    items = node.get("items")
    if isinstance(items, dict):
        yield f"{at}[]"
        yield from declared(items, f"{at}[]")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        yield f"{at}.*"
        yield from declared(extra, f"{at}.*")


def test_the_schema_is_draft_07_and_closed(schema: Dict[str, Any]) -> None:
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["additionalProperties"] is False
    cpu = schema["properties"]["cpu"]["properties"]
    assert cpu["capacity_core_seconds"]["x-unit"] == "core-s" and "[core-s]" in cpu["capacity_core_seconds"]["description"]
    assert "pubsub" not in schema["required"] and "connections" in schema["required"]


def test_the_committed_schema_is_up_to_date(schema: Dict[str, Any]) -> None:
    committed = json.loads((ROOT / "docs" / "summary.schema.json").read_text())
    assert committed == schema, "regenerate: wsfleet schema --summary > docs/summary.schema.json"
    assert summary_schema() == schema  # the same table behind the binding


def test_every_bundled_summary_is_valid(validator: jsonschema.Draft7Validator,
                                        summaries: Dict[str, Dict[str, Any]]) -> None:
    errors = {name: [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(s)] for name, s in summaries.items()}
    assert {name: e for name, e in errors.items() if e} == {}


def test_a_key_the_schema_does_not_declare_is_refused(validator: jsonschema.Draft7Validator,
                                                      summaries: Dict[str, Dict[str, Any]]) -> None:
    summary = json.loads(json.dumps(summaries["storm"]))
    summary["connections"]["teleported"] = 1
    summary["fleet"]["classes"][0]["gpu"] = 1
    where = sorted(list(e.path) for e in validator.iter_errors(summary))
    assert where == [["connections"], ["fleet", "classes", 0]]


def test_every_declared_key_is_written_by_some_run(schema: Dict[str, Any],
                                                   summaries: Dict[str, Dict[str, Any]]) -> None:
    written: Set[str] = set()
    for s in summaries.values():
        written.update(paths(s))
    missing = sorted(set(declared(schema)) - written)
    assert missing == [], "declared in experiments/summary/ but never written"


def test_the_summary_view_reads_what_the_engine_wrote(summaries: Dict[str, Dict[str, Any]]) -> None:
    raw = summaries["autoscale_kickoff.toml"]
    s = Summary(raw)
    assert s.connections.attempted == raw["connections"]["attempted"]
    assert s.fleet.classes[0].cpu_cores == raw["fleet"]["classes"][0]["cpu_cores"]
    assert s.autoscaler.replicas.peak == raw["autoscaler"]["replicas"]["peak"]
    assert s.pubsub is None and s.topology is None          # sections this run does not write
    assert set(s.conservation.checks) == set(raw["conservation"]["checks"])
    assert all(c.ok for c in s.conservation.checks.values())
    assert "[share]" in type(s.cpu).mean_utilisation.__doc__  # the unit, from the C++ table
    assert "capacity_core_seconds" in type(s.cpu).__doc__


def test_the_engine_writes_capacity_per_class(summaries: Dict[str, Dict[str, Any]]) -> None:
    s = Summary(summaries["storm"])
    (cls,) = s.fleet.classes
    # STORM_TOML: 4 servers x 600 connections, 1 core each, a minute.
    assert (cls.connection_capacity, s.fleet.connection_capacity, s.fleet.cpu_cores) == (2400, 2400, 4)
    assert cls.cpu_capacity_us_per_s == 1e6
    assert math.isclose(s.cpu.capacity_core_seconds, 4 * 60.0, rel_tol=1e-12)


def test_the_scenario_view_gives_the_schema_default_for_a_missing_key() -> None:
    sc = Scenario(tomllib.loads(STORM_TOML))
    assert sc.fleet.cpu.handshake_us == 10000.0            # from the file
    assert sc.fleet.cpu.heartbeat_us == 5.0                # the schema's default: [fleet.cpu] heartbeat_us
    assert sc.heartbeat.frame_bytes is not None and sc.balancer.policy == "least_connections"
    assert sc.backoff["base_s"] == 0.5                     # a policy parameter: open keys by name
    assert sc.faults[0].server == 1 and sc.pubsub.channels is not None


def test_the_description_takes_left_out_keys_from_the_scenario_schema() -> None:
    from wsfleet._describe import describe_scenario

    # Only at_s given: strategy, surge, readiness, SIGTERM and grace period are the schema's defaults
    # (experiments/schema/schema_events.cpp), not restated by the report.
    text = " ".join(describe_scenario({"deploys": [{"at_s": 60.0}],
                                       "clients": {"count": 10, "session": {"distribution": "exponential",
                                                                            "mean_s": 30.0}}}))
    assert ("At 60 s a rolling update replaces the servers (max surge 25 %, max unavailable 25 %); a new server is "
            "ready 10 s after it starts; old servers leave the balancers, then close every connection at SIGTERM, "
            "within a 30 s grace period") in text
    assert "then leave" in text  # clients.on_session_end's default
    # fleet.servers, fleet.max_connections and fleet.cpu_cores: the schema's defaults.
    sc = Scenario({})
    assert f"{sc.fleet.servers} servers, each limited to {sc.fleet.max_connections:,} connections and 1 CPU core" in text
    assert sc.fleet.cpu_cores == 1
