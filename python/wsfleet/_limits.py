"""Every limit the model has, measured against what a run used of it, for the report's verdict.

`evaluate_limits(summary, scenario, servers, fleet, dt)` reads summary.json (the dict), the
effective scenario.toml (parsed) and the per-server and fleet rows of the time series, and returns
one `Limit` per limit of the model: the per-server connection limit, the balancer's source ports,
CPU, memory, the balancer's new-connection rate, the pub/sub broker's capacity, send buffers,
pub/sub delivery latency and loss, message continuity, and the time to recover from a crash.

Each Limit says how much of it the worst moment used (`used`, a fraction), the figure behind that
in words (`figure`), what hitting it did (`effect`: refused attempts, dropped copies, ...), whether
it bound, came near (less than `MARGIN` left) or kept its margin, and advice whose numbers are
computed from the run (`advice`). `verdict(limits)` names the binding constraint.

What a Limit and a Verdict are, and the readings of the run every limit shares, are in
wsfleet._limit; the limits that are settings, and the MISCONFIGURED verdict they give, in
wsfleet._setting_limits (imports run _limit <- _setting_limits <- _limits).

Numbers the engine does not export are derived here from what it does (summary.json,
timeseries.csv, scenario.toml); each such derivation says so in its docstring.
"""
from __future__ import annotations

import math
from typing import Any, List, Mapping, Sequence, Tuple

from ._format import as_float, fmt_int, fmt_mib, fmt_ms, fmt_num, fmt_pct, fmt_seconds, fmt_share, num
from ._limit import (CONFIGURATION, DELIVERY_P99_MS, HANDSHAKE_STALLS, MARGIN, OUTCOMES, RECOVERY_S, SATURATED,
                     STATES, STATUS_WORDS, Limit, Verdict, autoscaled_peak, category, class_of, crashed_servers,
                     peak_demand, faults, peak_row, per_server, row_at, share_of, slowed_rows, state_of,
                     this_run_servers, where_words)
from ._rows import NAN, Rows, argmax, nan_max
from ._setting_limits import backend_cap, misconfigured, new_connection_rate, source_ports, sticky_sessions
from .views import Scenario, Summary, View
from .views import COLUMNS as C

__all__ = ["Limit", "Verdict", "evaluate_limits", "verdict", "MARGIN", "DELIVERY_P99_MS", "RECOVERY_S",
           "STATES", "STATUS_WORDS", "CONFIGURATION", "autoscaled_peak", "this_run_servers"]


# --------------------------------------------------------------------------------------------
# One function per capacity resource and outcome (the settings' are in wsfleet._setting_limits)


def _connections(s: View, servers: Rows, fleet: Rows) -> Limit:
    default = as_float(s.fleet.max_connections_per_server)
    refused = num(s.connections.rejected_by.server_full)
    name = "per-server connection limit"
    if servers.empty or C.connections not in servers or not default:
        peak = as_float(s.connections.peak_per_server)
        used = peak / default if peak is not None and default else None
        return Limit("connections", name, state_of(used, refused), used,
                     f"{fmt_int(peak)} of {fmt_int(default)} connections" if used is not None else "n/a",
                     f"{fmt_int(default)} connections per server", severity=refused)
    limits = per_server(s, servers, "max_connections", default)
    share = share_of(servers[C.connections], limits)
    at = argmax(share)
    used, t, server = row_at(servers, share, at)
    peak = float(servers[C.connections][at]) if used is not None else None
    own = float(limits[at]) if used is not None else default
    effect = f"{fmt_int(refused)} connection attempts refused because the server was full" if refused else ""
    classes, names = class_of(s)
    of_class = ""
    if len(classes) > 1 and server is not None and 0 <= server < len(names):
        of_class = f" of class {names[server]}"
    where = where_words(server, t).replace(f"server {server}", f"server {server}{of_class}", 1)
    lim = Limit("connections", name, state_of(used, refused), used,
                f"{fmt_int(peak)} of {fmt_int(own)} connections{where}",
                f"{fmt_int(own)} connections per server", effect, severity=refused)
    if lim.state in ("bound", "near"):
        demand, _ = peak_demand(fleet)
        n = as_float(s.fleet.servers) or 0
        if demand and own:
            crashed = crashed_servers(s)
            need = math.ceil(demand / (own * (1 - MARGIN)))
            spare = (f" plus {crashed} for the crashed {'server' if crashed == 1 else 'servers'}: {need + crashed}"
                     if crashed else "")
            lim.advice = (f"Holding the peak demand of {fmt_int(demand)} clients (open plus waiting to reconnect) "
                          f"with {fmt_share(MARGIN)} margin at {fmt_int(own)} per server takes "
                          f"{fmt_int(need)} servers{spare} (this run: {this_run_servers(s, n)}), or a limit of "
                          f"{fmt_int(math.ceil(demand / max(n - crashed, 1) / (1 - MARGIN)))} per server.")
    return lim


def _cpu(s: View, servers: Rows) -> Limit:
    name = "CPU"
    timeouts = num(s.connections.failed_by.timeout)
    used = t = server = None
    slowed = ""
    if not servers.empty and C.cpu_utilisation in servers:
        util = servers[C.cpu_utilisation]
        healthy = [NAN if slowed else u for u, slowed in zip(util, slowed_rows(s, servers))]
        used, t, server = peak_row(servers, util)
        top_healthy = nan_max(healthy)
        if top_healthy is not None and float(top_healthy) < used:
            # The peak is a server a slow_server fault had slowed: what it says of the fault is in the
            # gray failures' section; the capacity question is how busy the healthy servers were.
            slowed = (f"; {fmt_share(used)} on server {server} at {fmt_seconds(t)} while a slow_server fault "
                      "slowed it (not counted)")
            used, t, server = peak_row(servers, healthy)
    if used is None:
        used = as_float(s.cpu.peak_utilisation)
    effect = (f"{fmt_int(timeouts)} handshakes timed out waiting for the CPU "
              f"(client connect timeout)") if timeouts else ""
    stalls = sorted({str(f.type) for f in faults(s, *HANDSHAKE_STALLS)})
    if timeouts and stalls:
        # A server that never completes handshakes, or a path that loses them, times them out whatever
        # the CPU does; a CPU that never came near saturation held none of them for a connect timeout.
        kinds = " and ".join(stalls)
        if used is None or used < SATURATED:
            effect = (f"{fmt_int(timeouts)} handshakes timed out, stalled by a {kinds} fault (not the CPU, "
                      f"{fmt_share(used) if used is not None else 'n/a'} busy at most)")
            timeouts = 0
        else:
            effect = (f"{fmt_int(timeouts)} handshakes timed out: a {kinds} fault stalled some and the CPU was "
                      f"saturated ({fmt_share(used)} busy)")
    # The busiest server's cores, as the engine wrote its class (the first class's without a server).
    classes, names = class_of(s)
    cls = classes.get(names[server]) if server is not None and 0 <= server < len(names) else None
    if cls is None and classes:
        cls = next(iter(classes.values()))
    cores = (as_float(cls.cpu_cores) if cls is not None else None) or 1.0
    lim = Limit("cpu", name, state_of(used, timeouts), used,
                f"{fmt_share(used)} busy{where_words(server, t)}{slowed}" if used is not None else "n/a",
                f"{fmt_int(cores)} {'core' if cores == 1 else 'cores'} per server", effect, severity=timeouts)
    if lim.state in ("bound", "near") and used is not None:
        need = math.ceil(used * cores / (1 - MARGIN))
        if used >= 0.99:
            lim.advice = (f"The busiest server's CPU was saturated ({fmt_share(used)} of {fmt_int(cores)} "
                          f"{'core' if cores == 1 else 'cores'} in a sample): at least {need} cores per server, "
                          "or more servers to share the handshakes; the work that queued behind it is the "
                          "demand the samples could not show.")
        else:
            lim.advice = (f"With {fmt_share(MARGIN)} margin the busiest server needs {need} "
                          f"{'core' if need == 1 else 'cores'} (this run: {fmt_int(cores)}), or more servers.")
    return lim


def _memory(s: View, servers: Rows) -> Limit:
    name = "server memory"
    kills = faults(s, "out_of_memory")
    default = None
    classes, _ = class_of(s)
    limits = {as_float(c.memory_limit_mib) or 0.0 for c in classes.values()}
    peak_mib = as_float(s.memory.peak_server_mib)
    effect = (f"{len(kills)} {'server' if len(kills) == 1 else 'servers'} killed for running out of memory, "
              f"{fmt_int(sum(num(f.connections_dropped) for f in kills))} connections dropped"
              if kills else "")
    if not any(limits) or servers.empty or C.memory_mib not in servers:
        return Limit("memory", name, "bound" if kills else "n/a", None,
                     f"peak {fmt_mib(peak_mib)} per server; no memory limit set" if not any(limits) else fmt_mib(peak_mib),
                     effect=effect, severity=float(len(kills)))
    per = per_server(s, servers, "memory_limit_mib", default)
    share = share_of(servers[C.memory_mib], per)
    at = argmax(share)
    used, t, server = row_at(servers, share, at)
    if used is None:
        return Limit("memory", name, "bound" if kills else "n/a", None, fmt_mib(peak_mib), effect=effect,
                     severity=float(len(kills)))
    own = float(per[at])
    mib = float(servers[C.memory_mib][at])
    lim = Limit("memory", name, state_of(used, float(len(kills))), used,
                f"{fmt_mib(mib)} of {fmt_mib(own)}{where_words(server, t)}", f"{fmt_mib(own)} per server", effect,
                severity=float(len(kills)))
    if lim.state in ("bound", "near"):
        lim.advice = (f"With {fmt_share(MARGIN)} margin the busiest server needs a memory limit of "
                      f"{fmt_mib(math.ceil(mib / (1 - MARGIN)))} (this run: {fmt_mib(own)}); if slow readers' send "
                      "buffers grew it, a smaller buffer limit per connection caps it instead.")
    return lim


def _broker(s: View, sc: View, fleet: Rows, dt: float) -> Limit:
    """Broker load per second = publications per second (time series) x forwards per publication
    (fanouts.dispatched / publications.published); the engine exports no broker queue length."""
    name = "pub/sub broker capacity"
    pubsub = s.pubsub
    capacity = as_float(sc.pubsub.broker.capacity_per_s) or 0.0
    if pubsub is None or capacity <= 0:
        return Limit("broker", name, "n/a", None, "unlimited", shown=pubsub is not None)
    published = num(pubsub.publications.published)
    forwards = num(pubsub.fanouts.dispatched)
    per_pub = forwards / published if published else 0.0
    peak = t = None
    at = argmax(fleet[C.published]) if not fleet.empty and C.published in fleet else None
    if at is not None:
        peak, t = float(fleet[C.published][at]) / dt * per_pub, float(fleet[C.time_s][at])
    else:
        seconds = as_float(s.simulated_seconds)
        peak = forwards / seconds if seconds else None
    used = peak / capacity if peak is not None else None
    lim = Limit("broker", name, state_of(used, 0.0), used,
                f"{fmt_num(peak)} of {fmt_num(capacity)} forwards/s{where_words(None, t)}",
                f"{fmt_num(capacity)} forwards/s")
    if lim.state in ("bound", "near") and peak is not None:
        lim.effect = "publications queue in the broker, so every delivery waits longer" if used >= 1 else ""
        lim.advice = (f"With {fmt_share(MARGIN)} margin the broker needs pubsub.broker.capacity_per_s = "
                      f"{fmt_int(math.ceil(peak / (1 - MARGIN)))} (this run: {fmt_num(capacity)}), or sharding.")
    return lim


def _send_buffers(s: View, sc: View) -> Limit:
    name = "send buffers"
    pubsub = s.pubsub
    if pubsub is None:
        return Limit("send_buffers", name, "n/a", None, "no pub/sub", shown=False)
    buffer = sc.pubsub.buffer
    # An unbounded buffer has no per-connection limit whatever limit_kib says.
    limit_kib = 0.0 if buffer.policy == "unbounded" else as_float(buffer.limit_kib) or 0.0
    copies = num(pubsub.copies.created)
    dropped = num(pubsub.slow_consumers.dropped)
    closed = num(pubsub.slow_consumers.closed)
    peak_mib = as_float(pubsub.slow_consumers.peak_server_buffered_mib)
    parts = []
    if dropped:
        parts.append(f"{fmt_int(dropped)} copies dropped or conflated ({fmt_pct(dropped, copies)} of {fmt_int(copies)})")
    if closed:
        parts.append(f"{fmt_int(closed)} slow readers disconnected")
    lim = Limit("send_buffers", name, "bound" if parts else "ok", None,
                f"peak {fmt_mib(peak_mib)} buffered on one server",
                f"{fmt_num(limit_kib)} KiB per connection" if limit_kib else "no per-connection limit",
                "; ".join(parts), severity=dropped + closed)
    if parts:
        lim.advice = (f"Readers slower than the publish rate fill any buffer: at {fmt_num(limit_kib)} KiB a slow "
                      f"reader is cut or loses copies ({'; '.join(parts)}). Conflation, a lower publish rate per "
                      "channel, or resume after the cut decide what those clients see.")
    return lim


def _delivery_latency(s: View) -> Limit:
    name = "pub/sub delivery latency (p99)"
    pubsub = s.pubsub
    if pubsub is None:
        return Limit("delivery_latency", name, "n/a", None, "no pub/sub", shown=False)
    p99 = as_float(pubsub.latency_ms.p99)
    used = p99 / DELIVERY_P99_MS if p99 is not None else None
    state = "bound" if used is not None and used > 1.0 else state_of(used, 0.0) if used is not None else "n/a"
    lim = Limit("delivery_latency", name, state, used, f"p99 {fmt_ms(p99)}",
                f"{fmt_ms(DELIVERY_P99_MS)} for a live feed")
    if state == "bound":
        lim.effect = f"1 % of deliveries took {fmt_ms(p99)} or longer"
        lim.advice = (f"A p99 of {fmt_ms(p99)} is {fmt_num(used)} × the {fmt_ms(DELIVERY_P99_MS)} a live feed "
                      "allows: look at the send buffers of slow readers and the broker's load below.")
    return lim


def _delivery_loss(s: View) -> Limit:
    name = "pub/sub delivery loss"
    pubsub = s.pubsub
    if pubsub is None:
        return Limit("delivery_loss", name, "n/a", None, "no pub/sub", shown=False)
    copies = num(pubsub.copies.created)
    lost_broker = num(pubsub.publications.lost_in_broker)
    lost_fanouts = num(pubsub.fanouts.lost)
    failed_pub = num(pubsub.publications.publish_failed)
    delivered = num(pubsub.copies.delivered)
    parts = []
    if lost_broker:
        parts.append(f"{fmt_int(lost_broker)} publications lost in the broker")
    if lost_fanouts:
        parts.append(f"{fmt_int(lost_fanouts)} fan-outs lost with their server")
    if failed_pub:
        parts.append(f"{fmt_int(failed_pub)} publishes failed")
    lim = Limit("delivery_loss", name, "bound" if parts else "ok", None,
                f"{fmt_int(delivered)} of {fmt_int(copies)} copies delivered ({fmt_pct(delivered, copies)})",
                "no loss", "; ".join(parts), severity=lost_broker + lost_fanouts + failed_pub)
    if parts:
        lim.advice = "Publications were lost before the send buffers: " + "; ".join(parts) + \
                     ". A broker with persistence or publish retries would keep them."
    return lim


def _continuity(s: View) -> Limit:
    name = "message continuity"
    pubsub = s.pubsub
    if pubsub is None:
        return Limit("continuity", name, "n/a", None, "no pub/sub", shown=False)
    cont = pubsub.continuity
    expected, lost = num(cont.expected), num(cont.lost)
    duplicated, out_of_order = num(cont.duplicated), num(cont.out_of_order)
    parts = []
    if lost:
        parts.append(f"{fmt_int(lost)} messages never reached a client that expected them "
                     f"({fmt_pct(lost, expected)} of {fmt_int(expected)})")
    if duplicated:
        parts.append(f"{fmt_int(duplicated)} duplicated")
    if out_of_order:
        parts.append(f"{fmt_int(out_of_order)} out of order")
    held = "exactly once held" if cont.exactly_once else "exactly once did not hold"
    lim = Limit("continuity", name, "bound" if parts else "ok", None,
                f"{fmt_int(expected)} messages expected; {held}", "every expected message once, in order",
                "; ".join(parts), severity=lost + duplicated)
    if lost:
        resume = pubsub.resume
        rate = as_float(resume.success_rate)
        tail = (f"; {fmt_share(rate)} of {fmt_int(resume.attempts)} resume attempts succeeded"
                if rate is not None else "")
        lim.advice = (f"{fmt_int(lost)} messages were lost to clients{tail}: a longer resume window, a larger "
                      "history per channel, or history fetches after a reconnect would recover them.")
    return lim


def _recovery(s: View, fleet: Rows) -> Limit:
    name = "recovery after a crash"
    crashes = faults(s, "crash", "site_crash", "out_of_memory", "balancer_crash", "site_partition")
    gave_up = num(s.connections.gave_up)
    outage = None
    if not fleet.empty and C.up in fleet:
        down = next((i for i, up in enumerate(fleet[C.up]) if up <= 0), None)
        if down is not None:
            outage = float(fleet[C.time_s][down])
    if not crashes and not gave_up and outage is None:
        return Limit("recovery", name, "n/a", None, "no crash in this run")
    stranded = [f for f in crashes if num(f.connections_dropped) > 0 and as_float(f.reconnected_within_s) is None]
    times = [(as_float(f.reconnected_within_s), f) for f in crashes if num(f.connections_dropped) > 0]
    times = [(t, f) for t, f in times if t is not None]
    worst_t, worst = max(times, key=lambda x: x[0]) if times else (None, None)
    parts = []
    if stranded:
        parts.append(f"the clients of {len(stranded)} {'crash' if len(stranded) == 1 else 'crashes'} had not all "
                     "reconnected by the end of the run")
    if gave_up:
        parts.append(f"{fmt_int(gave_up)} clients gave up reconnecting")
    if outage is not None:
        parts.append(f"no server was up from {fmt_seconds(outage)}")
    used = worst_t / RECOVERY_S if worst_t is not None else None
    what = _fault_label(worst) if worst is not None else ""
    figure = (f"all {fmt_int(worst.connections_dropped)} clients of {what} back within {fmt_seconds(worst_t)}"
              if worst is not None else "no crash dropped a connection" if not stranded else "not all back")
    state = "bound" if parts or (used is not None and used > 1.0) else state_of(used, 0.0)
    lim = Limit("recovery", name, state, used, figure, f"{fmt_seconds(RECOVERY_S)} to be back",
                "; ".join(parts) or (f"recovery took {fmt_seconds(worst_t)}" if state == "bound" else ""),
                severity=gave_up + sum(num(f.connections_dropped) for f in stranded))
    if state == "bound":
        advice = []
        if gave_up:
            advice.append(f"allow more retries (backoff.max_retries) so the {fmt_int(gave_up)} clients keep trying")
        if outage is not None:
            servers = as_float(s.fleet.servers) or 0
            advice.append("run at least two servers" if servers <= 1 else
                          f"run enough servers that a failure never leaves none up (this run: {fmt_int(servers)})")
        if stranded or (used is not None and used > 1.0):
            advice.append("add spare servers or a shorter backoff cap so a crash's clients find room sooner")
        lim.advice = "To recover: " + "; ".join(advice) + "."
    return lim


def _fault_label(fault: View) -> str:
    """A fault outcome of the summary (Summary.faults[i]) in words."""
    kind = fault.type
    if kind == "site_crash":
        return f"site {fault.site}"
    if kind == "site_partition":
        return f"the partition of site {fault.site}"
    if kind == "balancer_crash":
        return f"balancer {fault.balancer}"
    if kind == "out_of_memory":
        return f"server {fault.server} (out of memory)"
    return f"the crash of server {fault.server}"


def evaluate_limits(summary: Mapping[str, Any], scenario: Mapping[str, Any], servers: Any, fleet: Any,
                    dt: float) -> List[Limit]:
    """Every limit of the model, measured (see the module docstring). `servers` and `fleet` are the
    per-server and fleet rows of the time series: wsfleet._rows.Rows, the engine's columns (name ->
    values) or pandas frames."""
    s, sc = Summary(summary), Scenario(scenario)
    servers, fleet = Rows.of(servers), Rows.of(fleet)
    return [
        _connections(s, servers, fleet),
        source_ports(s, sc, fleet),
        _cpu(s, servers),
        _memory(s, servers),
        new_connection_rate(s, sc, fleet, dt),
        backend_cap(s, sc, servers),
        _broker(s, sc, fleet, dt),
        _send_buffers(s, sc),
        _delivery_latency(s),
        _delivery_loss(s),
        _continuity(s),
        sticky_sessions(s),
        _recovery(s, fleet),
    ]


def _rank(limit: Limit) -> Tuple[int, int, float, float]:
    return (STATES.index(limit.state), category(limit), -limit.severity, -(limit.used or 0.0))


def verdict(limits: Sequence[Limit]) -> Verdict:
    """The status, the binding (or closest) limit and sentences that follow from the figures."""
    measured = [l for l in limits if l.state != "n/a"]
    bound = sorted([l for l in measured if l.state == "bound"], key=_rank)
    near = sorted([l for l in measured if l.state == "near"], key=lambda l: -(l.used or 0.0))
    if bound:
        top = bound[0]
        text = f"The binding constraint is the {top.name}: {top.figure}" + (f"; {top.effect}" if top.effect else "") + "."
        others = [l for l in bound[1:]]
        if others:
            text += " Also reached: " + "; ".join(f"the {l.name}, {l.effect or l.figure}" for l in others) + "."
        actions = [l.advice for l in bound + near if l.advice]
        if top.configuration:
            return misconfigured(top, measured, text, actions)
        return Verdict("fail", top, text, actions)
    if near:
        top = near[0]
        text = (f"No limit stopped any work, but the {top.name} came within {fmt_share(MARGIN)}: "
                f"{top.figure}, {fmt_share(max(top.headroom or 0.0, 0.0))} left.")
        return Verdict("warn", top, text, [l.advice for l in near if l.advice])
    with_use = sorted([l for l in measured if l.used is not None],
                      key=lambda l: (l.key in OUTCOMES, -(l.used or 0.0)))
    top = with_use[0] if with_use else None
    if top is None:
        return Verdict("ok", None, "No limit was reached.", [])
    text = (f"Every limit kept at least {fmt_share(MARGIN)} margin; the closest is the {top.name}: "
            f"{top.figure}, {fmt_share(max(top.headroom or 0.0, 0.0))} left.")
    return Verdict("ok", top, text, [])
