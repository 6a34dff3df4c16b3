"""The numbers a run report shows, derived from a loaded run (summary.json, timeseries.csv,
scenario.toml): peaks, the storm of each crash, the conservation checks, and the verdict from every
limit of the model (wsfleet._limits) with the notes on what happened that is not a limit.

`analyse(run) -> Analysis`. Pure Python, like the rest of the report.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

from . import _plots
from ._describe import as_float, capitalise, fmt_int, fmt_pct, fmt_seconds, fmt_share, gray_failure_label
from ._limits import MARGIN, Limit, evaluate_limits, verdict
from .views import Scenario, Summary, View
from .views import COLUMNS as C

__all__ = ["analyse", "Analysis", "Storm", "Finding", "REJECT_REASONS", "FAIL_REASONS", "CPU_SATURATED",
           "HEADROOM_WARNING", "limit_findings", "action_words"]

#: Below this much headroom (fraction of any limit) the verdict says "tight".
HEADROOM_WARNING = MARGIN
#: A server whose CPU was busy at least this fraction of a sample interval counts as saturated.
CPU_SATURATED = 0.99


@dataclass
class Storm:
    """What one crash did."""
    fault: _plots.Fault
    dropped: Optional[float]
    reconnected_within_s: Optional[float]
    peak_attempts_per_s: Optional[float] = None
    peak_rejected_per_s: Optional[float] = None
    peak_waiting: Optional[float] = None


@dataclass
class Finding:
    level: str      # "fail", "warn" or "ok"
    text: str
    limit: str = ""  # the key of the limit it reports (wsfleet._limits), "" for the other notes


@dataclass
class Analysis:
    """The numbers the report shows, derived from the summary and the time series."""
    name: str
    servers: Optional[int]
    max_connections: Optional[float]
    sample_interval_s: float
    end_s: float
    plot_data: _plots.PlotData
    peak_fleet_connections: Optional[float] = None
    peak_fleet_time: Optional[float] = None
    # The servers that carried the peak: the fleet's servers up at the peak time in an autoscaled
    # run (the autoscaler's fleet, not the starting one), else `servers`.
    servers_at_peak: Optional[int] = None
    peak_server_connections: Optional[float] = None
    peak_server: Optional[int] = None
    peak_server_time: Optional[float] = None
    servers_at_limit: List[Tuple[int, float]] = field(default_factory=list)    # (server, first time)
    class_limits: bool = False             # server classes with different connection limits
    peak_cpu: Optional[float] = None
    peak_cpu_server: Optional[int] = None
    peak_cpu_time: Optional[float] = None
    saturated_servers: List[Tuple[int, float]] = field(default_factory=list)   # (server, first time)
    peak_backlog_ms: Optional[float] = None
    peak_waiting: Optional[float] = None
    peak_waiting_time: Optional[float] = None
    storms: List[Storm] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    status: str = "ok"
    verdict: str = ""
    action: str = ""
    conservation_ok: Optional[bool] = None
    conservation_failed: List[str] = field(default_factory=list)
    conservation_checks: Dict[str, str] = field(default_factory=dict)
    scenario: Dict[str, Any] = field(default_factory=dict)
    limits: List[Limit] = field(default_factory=list)
    binding: Optional[Limit] = None


def _faults(s: View, scenario: Mapping[str, Any]) -> List[Tuple[_plots.Fault, View]]:
    """Each fault with what it did: summary.json's outcomes, else (a summary without them) the
    scenario's [[faults]] entries, read through the summary's view of a fault (the keys both share)."""
    entries = s.faults if "faults" in s else Summary({"faults": [f.raw for f in Scenario(scenario).faults]}).faults
    faults = []
    for entry in entries:
        at = as_float(entry.at_s)
        if at is None:
            continue
        kind = str(entry.type)
        server = as_float(entry.server) if kind in ("crash", "out_of_memory") else None
        share = as_float(entry.share)
        what = (f"balancer {entry.balancer}" if kind == "balancer_crash"
                else f"site {entry.site}" if kind == "site_crash"
                else f"site {entry.site} partitioned" if kind == "site_partition"
                else "the broker" if kind == "broker_outage"
                else "out of memory" if kind == "out_of_memory"
                else f"WebSocket (blocked for {share:.0%} of the clients)" if kind == "websocket_block" and share is not None
                else gray_failure_label(entry) or "")
        recover = as_float(entry.recover_after_s)
        faults.append((_plots.Fault(server=int(server) if server is not None else None, at_s=at,
                                    recover_at_s=at + recover if recover is not None else None,
                                    reconnected_within_s=as_float(entry.reconnected_within_s), what=what,
                                    kind=kind),
                       entry))
    return faults


def _peak(frame: pd.DataFrame, column: str) -> Tuple[Optional[float], Optional[float], Optional[int]]:
    """(max value, time of first max, server of first max) of a column, ignoring NaN."""
    if frame.empty or column not in frame.columns:
        return None, None, None
    values = frame[column]
    if not values.notna().any():
        return None, None, None
    idx = values.idxmax()
    server = as_float(frame.at[idx, C.server])
    return float(values[idx]), float(frame.at[idx, C.time_s]), int(server) if server is not None else None


def _server_limits(fleet: View) -> Dict[int, float]:
    """{server: its class's connection limit} when summary.json's classes differ in limit, else {}."""
    names = fleet.server_class or []
    limits = {c.name: as_float(c.max_connections) for c in fleet.classes}
    if len(set(limits.values())) <= 1:
        return {}
    return {b: limits[n] for b, n in enumerate(names) if limits.get(n) is not None}


def _first_reaching(servers: pd.DataFrame, column: str, threshold: Any) -> List[Tuple[int, float]]:
    if servers.empty or column not in servers.columns:
        return []
    hits = servers[servers[column] >= threshold]
    if hits.empty:
        return []
    first = hits.groupby(C.server)[C.time_s].min().sort_values()
    return [(int(s), float(t)) for s, t in first.items()]


def _list_servers(items: Sequence[Tuple[int, float]], limit: int = 3) -> str:
    parts = [f"server {s} (from {fmt_seconds(t)})" for s, t in items[:limit]]
    if len(items) > limit:
        parts.append(f"{len(items) - limit} more")
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _servers_at_peak(summary: Mapping[str, Any], fleet: pd.DataFrame, peak_time: Optional[float],
                     servers: Optional[int]) -> Optional[int]:
    """Servers up when the fleet held its peak, in a run with an [autoscaler] (summary.json has its
    section); `servers` (the starting fleet) otherwise or without the time series' `up` column."""
    if Summary(summary).autoscaler is None or peak_time is None or C.up not in fleet.columns:
        return servers
    up = fleet.loc[fleet[C.time_s] == peak_time, C.up]
    return int(up.iloc[0]) if not up.empty and pd.notna(up.iloc[0]) else servers


def analyse(run: Any) -> Analysis:
    """Derives the headline numbers, the storm impact and the verdict of a loaded run
    (wsfleet.report.Run: summary, scenario, timeseries, run_dir)."""
    summary, scenario, ts = run.summary, run.scenario, run.timeseries
    s, sc = Summary(summary), Scenario(scenario)
    name = str(s.scenario.name or sc.scenario.name or run.run_dir.name)

    servers_frame = ts[ts[C.scope] == "server"].sort_values([C.time_s, C.server])
    fleet_frame = ts[ts[C.scope] == "fleet"].sort_values(C.time_s).drop_duplicates(C.time_s, keep="last")
    fleet_frame = fleet_frame.reset_index(drop=True)
    servers_frame = servers_frame.reset_index(drop=True)

    # The engine's figures; a summary without them (hand-made): the scenario's, its file's values
    # or the schema's defaults, as the engine would have used them.
    n_servers = as_float(s.fleet.servers)
    if n_servers is None:
        n_servers = (sum(as_float(c.servers) or 0.0 for c in sc.fleet.classes) if sc.fleet.classes
                     else as_float(sc.fleet.servers))
    if n_servers is None and not servers_frame.empty:
        n_servers = float(servers_frame[C.server].nunique())
    max_conn = as_float(s.fleet.max_connections_per_server)
    if max_conn is None:
        max_conn = as_float(sc.fleet.max_connections)

    times = np.unique(ts[C.time_s].to_numpy(dtype=float))
    dt = as_float(sc.run.sample_interval_s)
    if dt is None or dt <= 0:
        if times.size >= 2:
            dt = float(np.median(np.diff(times)))
        elif times.size == 1 and times[0] > 0:
            dt = float(times[0])
        else:
            dt = 1.0
    end_s = as_float(s.simulated_seconds)
    if end_s is None:
        end_s = as_float(sc.run.duration_s)
    if end_s is None:
        end_s = float(times.max()) if times.size else 0.0

    faults = _faults(s, scenario)
    conn = s.connections
    labels = {key: cause_words(verb, getattr(conn, by), names) for key, verb, by, names in (
        ("rejected", "refused", "rejected_by", REJECT_REASONS), ("failed", "failed", "failed_by", FAIL_REASONS))}
    # Site rows (two or more sites: each site's servers up, ready, draining), named from the summary.
    sites_frame = ts[ts[C.scope] == "site"]
    if not sites_frame.empty and C.site in sites_frame.columns:
        sites_frame = sites_frame.sort_values([C.time_s, C.site], kind="stable").reset_index(drop=True)
    else:
        sites_frame = sites_frame.iloc[0:0]
    site_names = [str(site.name) for site in s.topology.sites] if s.topology is not None else []
    # Class rows (two or more [[fleet.classes]]), named from the summary likewise.
    classes_frame = ts[ts[C.scope] == "class"]
    if not classes_frame.empty and C.class_ in classes_frame.columns:
        classes_frame = classes_frame.sort_values([C.time_s, C.class_], kind="stable").reset_index(drop=True)
    else:
        classes_frame = classes_frame.iloc[0:0]
    plot_data = _plots.PlotData(servers=servers_frame, fleet=fleet_frame, faults=[f for f, _ in faults],
                                max_connections=max_conn, sample_interval_s=dt, end_s=end_s, labels=labels,
                                sites=sites_frame, site_names=site_names, classes=classes_frame,
                                class_names=[str(c.name) for c in s.fleet.classes])
    a = Analysis(name=name, servers=int(n_servers) if n_servers is not None else None,
                 max_connections=max_conn, sample_interval_s=dt, end_s=end_s, plot_data=plot_data,
                 scenario=dict(scenario))

    # Connections.
    a.peak_fleet_connections, a.peak_fleet_time, _ = _peak(fleet_frame, C.connections)
    if a.peak_fleet_connections is None and not servers_frame.empty and C.connections in servers_frame:
        totals = servers_frame.groupby(C.time_s)[C.connections].sum()
        if not totals.empty:
            a.peak_fleet_connections, a.peak_fleet_time = float(totals.max()), float(totals.idxmax())
    a.servers_at_peak = _servers_at_peak(summary, fleet_frame, a.peak_fleet_time, a.servers)
    a.peak_server_connections, a.peak_server_time, a.peak_server = _peak(servers_frame, C.connections)
    own_limits = _server_limits(s.fleet)
    if own_limits and not servers_frame.empty:
        # Server classes with different limits: each server against its own class's.
        limit_rows = servers_frame[C.server].map(lambda b: own_limits.get(int(b), max_conn or math.inf))
        a.servers_at_limit = _first_reaching(servers_frame, C.connections, limit_rows)
        a.class_limits = True
    elif max_conn is not None:
        a.servers_at_limit = _first_reaching(servers_frame, C.connections, max_conn)

    # CPU.
    a.peak_cpu, a.peak_cpu_time, a.peak_cpu_server = _peak(servers_frame, C.cpu_utilisation)
    summary_peak = as_float(s.cpu.peak_utilisation)
    if summary_peak is not None and (a.peak_cpu is None or summary_peak > a.peak_cpu):
        a.peak_cpu = summary_peak
    a.saturated_servers = _first_reaching(servers_frame, C.cpu_utilisation, CPU_SATURATED)
    a.peak_backlog_ms, _, _ = _peak(fleet_frame if C.cpu_backlog_ms in fleet_frame else servers_frame,
                                    C.cpu_backlog_ms)
    a.peak_waiting, a.peak_waiting_time, _ = _peak(fleet_frame, C.waiting)

    # Storms.
    windows = _plots.zoom_windows(plot_data, max_windows=len(faults) or 1)
    for fault, entry in faults:
        storm = Storm(fault=fault, dropped=as_float(entry.connections_dropped),
                      reconnected_within_s=fault.reconnected_within_s)
        hi = next((w[1] for w in windows if fault in w[2]), fault.at_s + 60.0)
        later = [f.at_s for f, _ in faults if f.at_s > fault.at_s]
        if later:
            hi = min(hi, min(later) - 1e-9)
        if not fleet_frame.empty:
            window = fleet_frame[(fleet_frame[C.time_s] >= fault.at_s) & (fleet_frame[C.time_s] <= hi)]
            if not window.empty:
                if C.attempts in window and window[C.attempts].notna().any():
                    storm.peak_attempts_per_s = float(window[C.attempts].max()) / dt
                if C.rejected in window and window[C.rejected].notna().any():
                    storm.peak_rejected_per_s = float(window[C.rejected].max()) / dt
                if C.waiting in window and window[C.waiting].notna().any():
                    storm.peak_waiting = float(window[C.waiting].max())
        a.storms.append(storm)

    _conservation(a, s)
    _verdict(a, s)
    return a


def _conservation(a: Analysis, s: View) -> None:
    cons = s.conservation
    a.conservation_ok = cons.ok if isinstance(cons.ok, bool) else None
    for key, check in cons.checks.items():  # the engine writes {"equation", "values", "ok"} per check
        equation = str(check.equation or "")
        if check.values:
            equation += f" ({check.values})"
        if check.ok is False:
            a.conservation_failed.append(str(key))
        a.conservation_checks[str(key)] = equation


def _outages(fleet: pd.DataFrame) -> List[Tuple[float, Optional[float]]]:
    """Sample-time spans with no server up: (first sample with none up, first sample with one up
    again or None)."""
    if fleet.empty or C.up not in fleet.columns:
        return []
    spans: List[Tuple[float, Optional[float]]] = []
    start: Optional[float] = None
    for t, up in zip(fleet[C.time_s].to_numpy(dtype=float), fleet[C.up].to_numpy(dtype=float)):
        if not math.isfinite(up):
            continue
        if up <= 0 and start is None:
            start = t
        elif up > 0 and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, None))
    return spans


REJECT_REASONS = {"server_full": "server full", "no_backend": "no live backend",
                  "rate_limited": "balancer rate limit", "shed": "shed by admission control"}
FAIL_REASONS = {"backend_down": "sent to a down server", "timeout": "handshake timeout",
                "source_ports": "balancer out of source ports", "balancer_down": "balancer down",
                "crash": "cut by a crash or drain", "session_unknown": "Session ID unknown"}


def session_opening_sentence(summary: View) -> Optional[str]:
    """The run report's line on the HTTP requests a client library sends before each WebSocket
    (`summary`: a Summary view; None when the run's clients send none): "each reconnect cost 5 HTTP
    requests; 12 sessions failed with Session ID unknown: the balancer is not sticky"."""
    opening = summary.session_opening
    if opening is None:
        return None
    per = int(opening.requests_per_open or 0) + 1  # and the WebSocket handshake itself
    failed = summary.connections.failed_by.session_unknown or 0
    if not failed:
        return (f"each reconnect cost {per} HTTP requests ({opening.library}: {per - 1} before the WebSocket "
                "upgrade); no session failed with Session ID unknown")
    # Failed attempts stop at the request that missed the session: say what they did send.
    opens = int(opening.opens or 0)
    sent = int(opening.requests.sent or 0)
    each = f"; its {opens:,} attempts sent {sent:,} requests ({sent / opens:.1f} each)" if opens else ""
    return (f"a complete session opening costs {per} HTTP requests ({opening.library}: {per - 1} before the "
            f"WebSocket upgrade){each}; {int(failed):,} sessions failed with Session ID unknown: the balancer is "
            "not sticky")


def cause_words(verb: str, by: Optional[View], names: Mapping[str, str]) -> str:
    """"failed (sent to a down server, balancer out of source ports)": the causes that occurred
    (`by`: Summary.connections.rejected_by or .failed_by; `names`: its keys in words)."""
    seen = [label for key, label in names.items() if by is not None and (as_float(by.get(key)) or 0) > 0]
    return f"{verb} ({', '.join(seen)})" if seen else verb


def reason_counts(by: Optional[View], names: Mapping[str, str]) -> str:
    """'; 12 server full, 3 no live backend' for the reasons that occurred, or ''."""
    if by is None:
        return ""
    parts = [f"{fmt_int(by.get(k))} {label}" for k, label in names.items() if (as_float(by.get(k)) or 0) > 0]
    return ": " + ", ".join(parts) if parts else ""


def limit_findings(limits: Sequence[Limit]) -> List[Finding]:
    """One finding per limit that bound ("fail") or came near ("warn"), with its figure."""
    findings = []
    for limit in limits:
        if limit.state == "bound":
            findings.append(Finding("fail", f"{capitalise(limit.name)}: {limit.figure}"
                                            + (f"; {limit.effect}" if limit.effect else "") + ".", limit.key))
        elif limit.state == "near":
            findings.append(Finding("warn", f"{capitalise(limit.name)}: {limit.figure}, "
                                            f"{fmt_share(max(limit.headroom or 0.0, 0.0))} left.", limit.key))
    return findings


def action_words(status: str, actions: Sequence[str], binding: Optional[Limit]) -> str:
    """The report's "What to do": the advice of the bound and near limits, or why none is needed."""
    if actions:
        return " ".join(actions)
    if status == "ok" and binding is not None:
        return (f"No action needed for this scenario: the closest limit, the {binding.name}, has "
                f"{fmt_share(max(binding.headroom or 0.0, 0.0))} left for growth.")
    if status == "ok":
        return "No action needed for this scenario."
    return "See the findings above; each names the figure it follows from."


def _verdict(a: Analysis, s: View) -> None:
    """The verdict from every limit of the model (wsfleet._limits), and notes on what happened
    that is not a limit (a crashed server that kept receiving tries, an out-of-memory kill)."""
    a.limits = evaluate_limits(s.raw, a.scenario, a.plot_data.servers, a.plot_data.fleet, a.sample_interval_s)
    v = verdict(a.limits)
    findings: List[Finding] = limit_findings(a.limits)
    for start, stop in _outages(a.plot_data.fleet):
        until = f"until about {fmt_seconds(stop)}" if stop is not None else "until the end of the run"
        findings.append(Finding("fail", f"Total outage: no server was up from about {fmt_seconds(start)} {until}."))
    conn = s.connections
    attempted = as_float(conn.attempted)
    for count, verb, by, names in ((conn.rejected, "were refused", conn.rejected_by, REJECT_REASONS),
                                   (conn.failed, "failed", conn.failed_by, FAIL_REASONS)):
        count = as_float(count) or 0.0
        if count > 0:
            findings.append(Finding("note", f"{fmt_int(count)} connection attempts {verb} "
                                            f"({fmt_pct(count, attempted)} of attempts"
                                            f"{reason_counts(by, names)})."))
    for fault in s.faults:
        detected = fault.detected_within_s
        tries = as_float(fault.tries_while_undetected)
        if fault.type == "out_of_memory":
            findings.append(Finding("note", f"Server {fault.server} ran out of memory at "
                                            f"{fmt_seconds(fault.at_s)} (slow consumers' send buffers) and was "
                                            f"killed; it restarted {fmt_seconds(fault.recover_after_s)} later."))
        if fault.type in ("crash", "site_crash") and tries:
            what = f"Server {fault.server}" if fault.type == "crash" else f"Site {fault.site}"
            when = (f"for {fmt_seconds(detected)} until the balancers took it out" if detected is not None
                    else "for the rest of the run: the balancers never took it out")
            findings.append(Finding("note", f"{what} crashed at {fmt_seconds(fault.at_s)}"
                                            f" and kept receiving connection tries {when} "
                                            f"({fmt_int(tries)} tries failed)."))
    if not a.storms and a.servers is not None and a.servers == 1:
        findings.append(Finding("warn", "A single server has no redundancy: if it fails, every client "
                                        "is disconnected until it returns."))
    elif not a.storms and a.servers_at_peak and a.max_connections and a.peak_fleet_connections is not None:
        # The fleet that carried the peak (an autoscaler's, not the starting one) loses a server.
        at_peak = a.servers_at_peak
        n1 = (at_peak - 1) * a.max_connections
        if a.peak_fleet_connections > n1:
            findings.append(Finding("warn", f"No room for a failure: if one server died at the peak, the "
                                            f"other {fmt_int(at_peak - 1)} could hold only {fmt_int(n1)} "
                                            f"of the {fmt_int(a.peak_fleet_connections)} connections."))
            run_had = fmt_int(at_peak) if at_peak == a.servers else f"{fmt_int(at_peak)} up at the peak"
            v.actions.append(f"Survive one failure at the peak with "
                             f"{math.ceil(a.peak_fleet_connections / a.max_connections) + 1} servers "
                             f"(this run: {run_had}).")
    status = v.status
    # A misconfigured run keeps its word: its bound setting is why findings fail (no capacity bound).
    if status not in ("fail", "misconfigured") and any(f.level == "fail" for f in findings):
        status = "fail"
    elif status == "ok" and any(f.level == "warn" for f in findings):
        status = "warn"
    a.status = status
    a.binding = v.binding
    a.verdict = v.text
    a.action = action_words(status, v.actions, v.binding)
    a.findings = findings


def _join_and(items: Sequence[str], conj: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]
