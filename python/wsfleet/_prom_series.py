"""A run's series in Prometheus terms: the one table that names every metric wsfleet exports
(`METRICS`: name, type, help, unit, source), and `run_series(run)`, which turns a run directory's
timeseries.csv and summary.json into labelled series of (time_s, value) samples.

Names follow the Prometheus conventions (https://prometheus.io/docs/practices/naming/): a `wsfleet_`
prefix, base units (seconds, bytes, ratios 0-1), counters end in `_total`. The engine samples every
`run.sample_interval_s`; timeseries.csv holds per-interval counts, which become counters here by
summing them from 0 at the start of the run (t = 0 gets an explicit 0: nothing had happened yet).

Latency: the fleet rows carry each interval's message latency as cumulative bucket counts at fixed
upper bounds (latency_le_ms_<le>, latency_count, latency_sum_ms), exported as an OpenMetrics
*histogram* (`wsfleet_message_delivery_duration_seconds_bucket{le=...}`, `_count`, `_sum`: cumulative
counters from the run's start), for `histogram_quantile()` and request-based SLIs. The interval's p50
and p99 are exported too, as *summaries* (`{quantile="0.99"}`) over a window of one sample interval.

Refusals by cause over time: the server rows count the refusals decided on a server (server_full, shed,
timeout, backend_down, crash), the balancer rows (scope "balancer") those decided by a balancer
(no_backend, rate_limited, balancer_down, source_ports), with the source ports in use towards the
balancer's busiest backend and the port limit. What the timeseries does not split by time is exported
from summary.json as one sample at the end of the run (source "summary:...").
Pure Python."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pandas as pd

from wsfleet._run_dir import Run
from wsfleet.views import Summary, View, attribute_name, declared_keys
from wsfleet.views import COLUMNS as C

__all__ = ["Metric", "METRICS", "Series", "run_series", "metric_table_markdown", "sample_times", "le_label",
           "sample_names", "BUCKET_PREFIX", "HISTOGRAM"]

COUNTER, GAUGE, SUMMARY, HISTOGRAM = "counter", "gauge", "summary", "histogram"


@dataclass(frozen=True)
class Metric:
    """One exported metric family. `source` says where its values come from: "fleet:COLUMN" (the
    fleet rows of timeseries.csv), "server:COLUMN" (server rows, label server), "balancer:COLUMN"
    (balancer rows, label balancer; `{cause}` in a column name makes one series per cause), "site:COLUMN"
    (site rows, with two or more sites: label site, the site's name), "class:COLUMN" (class rows, with
    two or more [[fleet.classes]]: label class, the class's name), "summary:PATH"
    (summary.json, one sample at the end of the run), or "derived:..." (computed, explained in help).
    `scale` converts the column's unit to the base unit (ms -> s: 0.001). A counter's name is the
    family name, its samples carry `_total`; a summary's samples carry the label quantile; a
    histogram's series are `_bucket` (label le, seconds), `_count` and `_sum`."""
    name: str
    type: str
    help: str
    unit: str
    source: str
    scale: float = 1.0
    labels: Tuple[str, ...] = ()
    pubsub_only: bool = False

    @property
    def sample_name(self) -> str:
        return self.name + "_total" if self.type == COUNTER else self.name


_MS = 0.001
_MIB = 1024.0 * 1024.0
_KIB = 1024.0

#: Every metric wsfleet exports, declared once (docs/monitoring.md lists this table).
METRICS: Tuple[Metric, ...] = (
    # The clients' side (fleet rows): attempts and their outcomes are the clients' (some never reach a server).
    Metric("wsfleet_client_connection_attempts", COUNTER, "Connection attempts made by clients (first tries and retries)",
           "", "fleet:attempts"),
    Metric("wsfleet_client_connection_rejections", COUNTER,
           "Connection attempts refused (server full, no backend, rate limited, shed)", "", "fleet:rejected"),
    Metric("wsfleet_client_connection_failures", COUNTER,
           "Connection attempts that failed (timeout, backend or balancer down, source ports, crash)", "", "fleet:failed"),
    Metric("wsfleet_client_connection_retries", COUNTER, "Reconnection attempts after a failure or a lost connection",
           "", "fleet:retries"),
    Metric("wsfleet_clients_waiting", GAUGE, "Clients waiting in backoff to reconnect", "", "fleet:waiting"),
    Metric("wsfleet_client_gave_up", COUNTER, "Clients whose reconnect policy gave up", "", "fleet:gave_up"),
    Metric("wsfleet_clients", GAUGE, "Connected clients by transport", "", "fleet:clients_{transport}",
           labels=("transport",)),
    Metric("wsfleet_connections_half_open", GAUGE, "Connections whose peer is gone but not yet detected (half open)",
           "", "fleet:half_open"),
    Metric("wsfleet_fleet_connection_imbalance_max_over_mean", GAUGE,
           "Most loaded in-service server's connections over the mean", "", "fleet:conn_max_over_mean"),
    Metric("wsfleet_fleet_connection_imbalance_cv", GAUGE,
           "Coefficient of variation of connections over the in-service servers", "", "fleet:conn_cv"),
    Metric("wsfleet_fleet_message_latency_seconds", SUMMARY,
           "Message delivery latency over the fleet, quantiles over one sample interval", "seconds",
           "fleet:latency_p50_ms,latency_p99_ms", scale=_MS, labels=("quantile",)),
    Metric("wsfleet_message_delivery_duration_seconds", HISTOGRAM,
           "Message delivery latency over the fleet (cumulative buckets, count and sum from the run's start)",
           "seconds", "fleet:latency_le_ms_*,latency_count,latency_sum_ms", scale=_MS, labels=("le",)),
    Metric("wsfleet_pubsub_published", COUNTER, "Publications into the broker", "", "fleet:published", pubsub_only=True),
    Metric("wsfleet_fleet_pubsub_latency_seconds", SUMMARY,
           "Pub/sub delivery latency (publish to client), p99 over one sample interval", "seconds",
           "fleet:pubsub_latency_p99_ms", scale=_MS, labels=("quantile",), pubsub_only=True),
    # Per server (server rows).
    Metric("wsfleet_server_up", GAUGE, "1 when the server is up, 0 when crashed or not started", "", "server:up",
           labels=("server", "class")),
    Metric("wsfleet_connections", GAUGE, "Open WebSocket connections on the server", "", "server:connections",
           labels=("server", "class")),
    Metric("wsfleet_server_desired", GAUGE,
           "1 while the server is part of the fleet (added and not removed: a crash leaves it 1, a planned "
           "scale-in, rollout or autoscaler removal sets it 0)", "", "server:present", labels=("server", "class")),
    Metric("wsfleet_server_connection_limit", GAUGE, "The server's connection limit (its class's max_connections)",
           "", "derived:summary fleet.classes[fleet.server_class[server]].max_connections", labels=("server", "class")),
    Metric("wsfleet_server_connection_attempts", COUNTER, "Connection attempts that reached the server", "",
           "server:attempts", labels=("server", "class")),
    Metric("wsfleet_server_connections_established", COUNTER, "Connections the server accepted", "",
           "server:established", labels=("server", "class")),
    Metric("wsfleet_server_connection_rejections", COUNTER, "Attempts the server refused", "", "server:rejected",
           labels=("server", "class")),
    Metric("wsfleet_server_connection_failures", COUNTER, "Attempts to the server that failed", "", "server:failed",
           labels=("server", "class")),
    Metric("wsfleet_connection_refusals", COUNTER,
           "Clients' connection attempts refused or failed on the server, by cause (server_full, shed, timeout, "
           "backend_down: the last backend tried was down, crash)", "", "server:refused_{cause}",
           labels=("server", "class", "cause")),
    Metric("wsfleet_server_connections_closed", COUNTER, "Connections closed normally (client left, drained, idle)",
           "", "server:closed", labels=("server", "class")),
    Metric("wsfleet_server_connections_dropped", COUNTER, "Connections lost abnormally (crash, fault)", "",
           "server:dropped", labels=("server", "class")),
    Metric("wsfleet_server_cpu_utilisation_ratio", GAUGE, "CPU busy time over capacity in the last interval (0-1)",
           "ratio", "server:cpu_utilisation", labels=("server", "class")),
    Metric("wsfleet_server_cpu_backlog_seconds", GAUGE, "Work queued on the server's CPU", "seconds",
           "server:cpu_backlog_ms", scale=_MS, labels=("server", "class")),
    Metric("wsfleet_server_memory_bytes", GAUGE, "Server memory in use (base, connections, buffers)", "bytes",
           "server:memory_mib", scale=_MIB, labels=("server", "class")),
    Metric("wsfleet_server_memory_limit_bytes", GAUGE, "The server's memory limit, when its class sets one", "bytes",
           "derived:summary fleet.classes[...].memory_limit_mib", scale=_MIB, labels=("server", "class")),
    Metric("wsfleet_server_messages_delivered", COUNTER, "Messages delivered to the server's clients", "",
           "server:messages_delivered", labels=("server", "class")),
    Metric("wsfleet_server_message_latency_seconds", SUMMARY,
           "Message delivery latency on the server, quantiles over one sample interval", "seconds",
           "server:latency_p50_ms,latency_p99_ms", scale=_MS, labels=("server", "class", "quantile")),
    Metric("wsfleet_server_polls", COUNTER, "Long-polling requests the server answered", "", "server:polls",
           labels=("server", "class")),
    Metric("wsfleet_server_send_buffer_bytes", GAUGE, "Bytes queued in the server's per-connection send buffers",
           "bytes", "server:buffered_kib", scale=_KIB, labels=("server", "class"), pubsub_only=True),
    Metric("wsfleet_server_pubsub_delivered", COUNTER, "Pub/sub copies delivered by the server", "",
           "server:pubsub_delivered", labels=("server", "class"), pubsub_only=True),
    Metric("wsfleet_server_pubsub_dropped", COUNTER, "Pub/sub copies the server dropped (buffer policies)", "",
           "server:pubsub_dropped", labels=("server", "class"), pubsub_only=True),
    # Per balancer (balancer rows).
    Metric("wsfleet_balancer_up", GAUGE, "1 when the balancer is up", "", "balancer:up", labels=("balancer",)),
    Metric("wsfleet_balancer_source_ports_in_use", GAUGE,
           "Source ports in use towards the balancer's busiest backend (ports run out per backend)", "",
           "balancer:source_ports_in_use", labels=("balancer",)),
    Metric("wsfleet_balancer_source_ports_limit", GAUGE,
           "Usable source ports per backend (balancer.source_ports x source_addresses; absent when unlimited)", "",
           "balancer:source_ports_limit", labels=("balancer",)),
    Metric("wsfleet_balancer_connection_refusals", COUNTER,
           "Clients' connection attempts refused or failed at the balancer, by cause (no_backend, rate_limited, "
           "balancer_down, source_ports)", "", "balancer:refused_{cause}", labels=("balancer", "cause")),
    # Faults, as a gauge a dashboard or a rule can join on.
    Metric("wsfleet_fault_active", GAUGE, "1 while a scenario fault is in effect (from at_s to at_s + recover_after_s)",
           "", "derived:summary faults[].at_s, recover_after_s", labels=("fault", "type", "target")),
    # End-of-run totals from summary.json (one sample at the end of the run).
    Metric("wsfleet_client_connection_rejections_by_cause", COUNTER, "Refused attempts by cause, whole run", "",
           "summary:connections.rejected_by", labels=("cause",)),
    Metric("wsfleet_client_connection_failures_by_cause", COUNTER, "Failed attempts by cause, whole run", "",
           "summary:connections.failed_by", labels=("cause",)),
    Metric("wsfleet_handshake_latency_seconds", SUMMARY, "Handshake latency, quantiles over the whole run", "seconds",
           "summary:handshake_latency_ms", scale=_MS, labels=("quantile",)),
    Metric("wsfleet_message_latency_seconds", SUMMARY, "Message delivery latency, quantiles over the whole run",
           "seconds", "summary:messages.latency_ms", scale=_MS, labels=("quantile",)),
    Metric("wsfleet_balancer_routed", COUNTER, "Connections the balancer routed, whole run", "",
           "summary:balancers[].routed", labels=("balancer",)),
    Metric("wsfleet_balancer_rate_limited", COUNTER, "Attempts the balancer refused by its rate limit, whole run", "",
           "summary:balancers[].rate_limited", labels=("balancer",)),
    Metric("wsfleet_balancer_port_exhausted", COUNTER, "Attempts that found no free source port, whole run", "",
           "summary:balancers[].port_exhausted", labels=("balancer",)),
    Metric("wsfleet_balancer_failed_tries", COUNTER, "Tries to a backend that failed, whole run", "",
           "summary:balancers[].failed_tries", labels=("balancer",)),
    Metric("wsfleet_balancer_peak_ports_per_backend", GAUGE, "Most source ports in use towards one backend, whole run",
           "", "summary:balancers[].peak_ports_per_backend", labels=("balancer",)),
    Metric("wsfleet_site_servers", GAUGE, "Servers in the site", "", "summary:topology.sites[].servers",
           labels=("site",)),
    # Per site over time (site rows: two or more sites).
    Metric("wsfleet_site_servers_up", GAUGE, "The site's servers running", "", "site:up", labels=("site",)),
    Metric("wsfleet_site_servers_ready", GAUGE, "The site's servers in service (taking new connections)", "",
           "site:ready", labels=("site",)),
    Metric("wsfleet_site_servers_draining", GAUGE, "The site's servers draining before they leave", "",
           "site:draining", labels=("site",)),
    Metric("wsfleet_site_connections", GAUGE, "Connections open in the site at the end of the run", "",
           "summary:topology.sites[].active_at_end", labels=("site",)),
    # Per server class over time (class rows: two or more [[fleet.classes]]).
    Metric("wsfleet_class_servers_up", GAUGE, "The class's servers running", "", "class:up", labels=("class",)),
    Metric("wsfleet_class_servers_ready", GAUGE, "The class's servers in service (taking new connections)", "",
           "class:ready", labels=("class",)),
    Metric("wsfleet_class_connections", GAUGE, "Open WebSocket connections on the class's servers", "",
           "class:connections", labels=("class",)),
    Metric("wsfleet_class_cpu_utilisation_ratio", GAUGE,
           "Mean CPU utilisation of the class's servers part of the fleet in the last interval (0-1)", "ratio",
           "class:cpu_utilisation", labels=("class",)),
    Metric("wsfleet_class_cpu_utilisation_max_ratio", GAUGE,
           "Highest CPU utilisation among the class's servers in the last interval (0-1)", "ratio",
           "class:cpu_utilisation_max", labels=("class",)),
    Metric("wsfleet_class_connection_refusals", COUNTER,
           "Clients' connection attempts refused or failed on the class's servers (every server cause)", "",
           "class:refusals", labels=("class",)),
)

_BY_NAME = {m.name: m for m in METRICS}
_QUANTILES = (("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99"), ("0.999", "p999"))


@dataclass
class Series:
    """One labelled series: its metric, its labels (name -> value) and its samples (time_s, value).
    `suffix` is a histogram series's "_bucket", "_count" or "_sum"."""
    metric: Metric
    labels: Dict[str, str]
    samples: List[Tuple[float, float]] = field(default_factory=list)
    suffix: str = ""

    @property
    def sample_name(self) -> str:
        return self.metric.sample_name + self.suffix


def metric_table_markdown() -> str:
    """The metric table as Markdown (docs/monitoring.md embeds it; a test keeps the two equal)."""
    lines = ["| metric | type | unit | labels | source | help |", "|---|---|---|---|---|---|"]
    for m in METRICS:
        name = m.sample_name if m.type == COUNTER else m.name
        labels = ", ".join(m.labels) or "-"
        lines.append(f"| `{name}` | {m.type} | {m.unit or '-'} | {labels} | `{m.source}` | {m.help} |")
    return "\n".join(lines) + "\n"


def _finite(value: Any) -> Optional[float]:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def sample_times(run: Run) -> List[float]:
    """The sample times of the run (seconds from its start), ascending."""
    fleet = run.timeseries[run.timeseries[C.scope] == "fleet"]
    return [float(t) for t in fleet[C.time_s].tolist()]


def _columns(metric: Metric) -> List[str]:
    """The time-series columns a metric reads, each declared (experiments/timeseries_schema.cpp): a
    name the declaration lacks raises UndeclaredColumn rather than exporting nothing. A pattern
    (latency_le_ms_*, refused_{cause}, clients_{transport}) must match a declared column."""
    names = metric.source.split(":", 1)[1].split(",")
    for name in names:
        if "*" in name or "{" in name:
            prefix = name.split("*", 1)[0].split("{", 1)[0]
            if not any(column.startswith(prefix) for column in C):
                C.of(name)
        else:
            C.of(name)
    return names


def _running_total(times: List[float], values: List[Optional[float]], scale: float) -> List[Tuple[float, float]]:
    """Per-interval counts as a counter: summed from 0, with an explicit 0 at the run's start."""
    total = 0.0
    samples = [(0.0, 0.0)]  # nothing has happened at the start of the run
    for t, v in zip(times, values):
        total += (v or 0.0)
        samples.append((t, total * scale))
    return samples


#: Column prefix of the latency histogram's cumulative bucket counts (upper bound in ms after it).
BUCKET_PREFIX = "latency_le_ms_"


def le_label(bound_ms: float) -> str:
    """A bucket's le label (seconds) as Prometheus 3 normalises it too: "0.005", "1.0", "+Inf"."""
    return "+Inf" if math.isinf(bound_ms) else repr(float(bound_ms) / 1000.0)


def _histogram(metric: Metric, rows: pd.DataFrame, labels: Dict[str, str]) -> Iterator[Series]:
    """A histogram's series: one `_bucket` per bound (cumulative in le, counters over time), +Inf
    (= the count), `_count` and `_sum`."""
    times = rows[C.time_s].astype(float).tolist()
    bounds = sorted((float(c[len(BUCKET_PREFIX):]), c) for c in rows.columns if c.startswith(BUCKET_PREFIX))
    if not bounds or C.latency_count not in rows.columns:
        return
    count = [_finite(x) for x in rows[C.latency_count].tolist()]
    for bound, column in bounds:
        yield Series(metric, {**labels, "le": le_label(bound)},
                     _running_total(times, [_finite(x) for x in rows[column].tolist()], 1.0), "_bucket")
    yield Series(metric, {**labels, "le": "+Inf"}, _running_total(times, count, 1.0), "_bucket")
    yield Series(metric, dict(labels), _running_total(times, count, 1.0), "_count")
    if C.latency_sum_ms in rows.columns:
        yield Series(metric, dict(labels),
                     _running_total(times, [_finite(x) for x in rows[C.latency_sum_ms].tolist()], metric.scale), "_sum")


def _from_rows(metric: Metric, rows: pd.DataFrame, labels: Dict[str, str]) -> Iterator[Series]:
    """The series of one timeseries metric over the rows of one scope (one server, one balancer, or
    the fleet)."""
    _columns(metric)  # every column it reads is declared
    if metric.type == HISTOGRAM:
        yield from _histogram(metric, rows, labels)
        return
    times = rows[C.time_s].astype(float).tolist()
    if metric.type == SUMMARY:
        for column in _columns(metric):
            if column not in rows.columns:
                continue
            quantile = {"p50": "0.5", "p90": "0.9", "p99": "0.99", "p999": "0.999"}[column.split("_")[-2]]
            values = rows[column].tolist()
            samples = [(t, v * metric.scale) for t, v in zip(times, (_finite(x) for x in values)) if v is not None]
            yield Series(metric, {**labels, "quantile": quantile}, samples)
        return
    column = _columns(metric)[0]
    if "{transport}" in column:
        for transport in ("websocket", "long_polling", "sse"):
            name = column.replace("{transport}", transport)
            if name in rows.columns:
                sub = Metric(metric.name, metric.type, metric.help, metric.unit, f"fleet:{name}", metric.scale,
                             metric.labels, metric.pubsub_only)
                for s in _from_rows(sub, rows, labels):
                    yield Series(metric, {**labels, "transport": transport}, s.samples)
        return
    if "{cause}" in column:
        prefix, _, rest = column.partition("{cause}")
        for name in rows.columns:
            if name.startswith(prefix) and name.endswith(rest) and len(name) > len(prefix) + len(rest):
                cause = name[len(prefix):len(name) - len(rest)]
                sub = Metric(metric.name, metric.type, metric.help, metric.unit, f"x:{name}", metric.scale,
                             metric.labels, metric.pubsub_only)
                for s in _from_rows(sub, rows, labels):
                    yield Series(metric, {**labels, "cause": cause}, s.samples)
        return
    if column not in rows.columns:
        return
    values = [_finite(x) for x in rows[column].tolist()]
    if metric.type == COUNTER:
        yield Series(metric, labels, _running_total(times, values, metric.scale))
    else:
        yield Series(metric, labels, [(t, v * metric.scale) for t, v in zip(times, values) if v is not None])


def _server_classes(s: View) -> Tuple[List[str], Dict[str, View]]:
    """Each server's class name, and each class's view by name (`s`: the run's Summary)."""
    names = [str(n) for n in s.fleet.server_class or []]
    classes = {str(c.name): c for c in s.fleet.classes}
    return names, classes


#: The keys of summary.json's faults[] that name what a fault hits, in the order a target is looked for.
FAULT_TARGETS = ("server", "site", "balancer", "share")


def fault_target(fault: View) -> str:
    """What a fault (one of Summary.faults) hits, e.g. "server 2" or "site eu"; "" for the fleet's."""
    for key in FAULT_TARGETS:
        value = fault.get(key)
        if value is not None:
            return f"{key} {value}"
    return ""


def sample_names(metric: Metric) -> Tuple[str, ...]:
    """The names its samples carry: `_total` for a counter, `_bucket`, `_count`, `_sum` for a histogram."""
    if metric.type == HISTOGRAM:
        return tuple(metric.name + suffix for suffix in ("_bucket", "_count", "_sum"))
    return (metric.sample_name,)


def _by_entity(rows: pd.DataFrame, column: str) -> Dict[int, pd.DataFrame]:
    """The rows of each server (or balancer), each in time order: one pass, not a mask per metric."""
    if column not in rows.columns or rows.empty:
        return {}
    return {int(k): g.sort_values(C.time_s, kind="stable") for k, g in rows.groupby(column, sort=True)}


def run_series(run: Run, *, include_summary: bool = True, named_in: Optional[str] = None) -> List[Series]:
    """Every series of the run, in the order of METRICS, each series's samples ascending in time.
    include_summary=False leaves out the end-of-run totals (what rule evaluation does not need);
    named_in (a text, e.g. rules files) keeps only the metrics one of whose sample names it contains."""
    ts = run.timeseries
    summary = Summary(run.summary)
    fleet_rows = ts[ts[C.scope] == "fleet"].sort_values(C.time_s, kind="stable")
    server_rows = ts[ts[C.scope] == "server"]
    by_server = _by_entity(server_rows, C.server)
    by_balancer = _by_entity(ts[ts[C.scope] == "balancer"], C.balancer)
    by_site = _by_entity(ts[ts[C.scope] == "site"], C.site) if C.site in ts.columns else {}
    site_names = [str(site.name) for site in summary.topology.sites] if summary.topology is not None else []
    by_class = _by_entity(ts[ts[C.scope] == "class"], C.class_) if C.class_ in ts.columns else {}
    servers = sorted(by_server)
    class_of, classes = _server_classes(summary)
    pubsub = summary.pubsub is not None
    end = float(summary.simulated_seconds or (fleet_rows[C.time_s].max() if len(fleet_rows) else 0.0))
    times = fleet_rows[C.time_s].astype(float).tolist()

    def class_name_of(i: int) -> str:
        return class_of[i] if i < len(class_of) else ""

    def server_labels(i: int) -> Dict[str, str]:
        return {"server": str(i), "class": class_name_of(i)}

    out: List[Series] = []
    for metric in METRICS:
        if metric.pubsub_only and not pubsub:
            continue
        if named_in is not None and not any(name in named_in for name in sample_names(metric)):
            continue
        kind, _, path = metric.source.partition(":")
        if kind == "fleet":
            out.extend(s for s in _from_rows(metric, fleet_rows, {}) if s.samples)
        elif kind == "server":
            for i in servers:
                out.extend(s for s in _from_rows(metric, by_server[i], server_labels(i)) if s.samples)
        elif kind == "balancer":
            for b, rows in by_balancer.items():
                out.extend(s for s in _from_rows(metric, rows, {"balancer": str(b)}) if s.samples)
        elif kind == "site":
            for k, rows in by_site.items():
                name = site_names[k] if k < len(site_names) else str(k)
                out.extend(s for s in _from_rows(metric, rows, {"site": name}) if s.samples)
        elif kind == "class":
            class_names = [str(c.name) for c in summary.fleet.classes]
            for k, rows in by_class.items():
                name = class_names[k] if k < len(class_names) else str(k)
                out.extend(s for s in _from_rows(metric, rows, {"class": name}) if s.samples)
        elif metric.name in ("wsfleet_server_connection_limit", "wsfleet_server_memory_limit_bytes"):
            key = "max_connections" if metric.name == "wsfleet_server_connection_limit" else "memory_limit_mib"
            for i in servers:
                labels = server_labels(i)
                of_class = classes.get(class_name_of(i))
                limit = _finite(of_class.get(key)) if of_class is not None else None
                if limit is None or limit <= 0:
                    continue
                out.append(Series(metric, labels, [(t, limit * metric.scale) for t in times]))
        elif metric.name == "wsfleet_fault_active":
            for k, fault in enumerate(summary.faults):
                if _finite(fault.at_s) is None:
                    continue
                at = float(fault.at_s)
                recover = _finite(fault.recover_after_s)
                until = at + recover if recover is not None else math.inf
                labels = {"fault": str(k), "type": str(fault.type or ""), "target": fault_target(fault)}
                out.append(Series(metric, labels, [(t, 1.0 if at <= t < until else 0.0) for t in times]))
        elif kind == "summary" and include_summary:
            out.extend(_summary_series(metric, path, summary, end))
    return out


def _dig(summary: View, path: str) -> Any:
    """The view (or value) at a dotted path of summary.json; None when an optional section is absent.
    A path the schema does not declare is an AttributeError: METRICS names only declared keys."""
    value: Any = summary
    for part in path.split("."):
        if not isinstance(value, View):
            return None
        value = getattr(value, attribute_name(part))
    return value


#: The keys that name an entry of a list of summary.json (balancers[].index, topology.sites[].name).
_ENTRY_NAMES = ("name", "index")


def _summary_series(metric: Metric, path: str, summary: View, end: float) -> Iterator[Series]:
    if "[]." in path:  # a list of objects: one series per entry
        list_path, _, key = path.partition("[].")
        entries = _dig(summary, list_path) or []
        label = metric.labels[0]
        for k, entry in enumerate(entries):
            value = _finite(getattr(entry, attribute_name(key)))
            if value is None:
                continue
            names = [entry.get(n) for n in _ENTRY_NAMES if n in declared_keys(entry).values()]
            name = str(next((n for n in names if n is not None), k))
            yield Series(metric, {label: name}, [(end, value * metric.scale)])
        return
    node = _dig(summary, path)
    if not isinstance(node, View):
        return
    if metric.type == SUMMARY:
        for quantile, key in _QUANTILES:
            value = _finite(node.get(key))
            if value is not None:
                yield Series(metric, {"quantile": quantile}, [(end, value * metric.scale)])
        return
    for cause in node:
        value = _finite(node[cause])
        if value is not None:
            yield Series(metric, {"cause": str(cause)}, [(end, value * metric.scale)])


def metric(name: str) -> Metric:
    """The metric of that name (KeyError otherwise)."""
    return _BY_NAME[name]

