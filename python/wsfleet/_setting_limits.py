"""The limits that are settings, not capacity (CONFIGURATION): the balancer's source ports, its
new-connection rate limit, its connections per server (max_conns) and the sticky sessions that
socket.io's and SignalR's session opening needs. Each stops work the servers had room for; when one
binds and no capacity resource does, the verdict is MISCONFIGURED (`misconfigured`): it names the
closest capacity limit, to show the servers had room, and the setting to change.
"""
from __future__ import annotations

import math
from typing import List, Sequence

from ._format import as_float, fmt_int, fmt_num, fmt_pct, fmt_seconds, fmt_share, num
from ._limit import (MARGIN, Limit, Verdict, category, crashed_servers, peak_demand, peak_row, state_of,
                     where_words)
from ._rows import Rows, argmax
from .views import View
from .views import COLUMNS as C

__all__ = ["source_ports", "new_connection_rate", "backend_cap", "sticky_sessions", "misconfigured"]


def source_ports(s: View, sc: View, fleet: Rows) -> Limit:
    name = "balancer source ports"
    ports = as_float(sc.balancer.source_ports)
    addresses = as_float(sc.balancer.source_addresses) or 1.0
    failed = num(s.connections.failed_by.source_ports)
    peaks = [(num(b.peak_ports_per_backend), int(b.index if b.index is not None else i))
             for i, b in enumerate(s.balancers)]
    if not ports or not peaks:
        return Limit("source_ports", name, "bound" if failed else "n/a", None,
                     "no source-port limit set" if not ports else "n/a", severity=failed,
                     effect=f"{fmt_int(failed)} attempts failed: balancer out of source ports" if failed else "")
    per_backend = ports * addresses
    peak, index = max(peaks)
    used = peak / per_backend
    who = f"balancer {index}" if len(peaks) > 1 else "the balancer"
    effect = (f"{fmt_int(failed)} connection attempts failed with \"Cannot assign requested address\" "
              "(balancer out of source ports)") if failed else ""
    lim = Limit("source_ports", name, state_of(used, failed), used,
                f"{fmt_int(peak)} of {fmt_int(per_backend)} ports from {who} to one server",
                f"{fmt_int(ports)} ports × {fmt_int(addresses)} source "
                f"{'address' if addresses == 1 else 'addresses'} per server", effect, severity=failed,
                setting="balancer.source_addresses")
    if lim.state in ("bound", "near"):
        demand, _ = peak_demand(fleet)
        n = as_float(s.fleet.servers) or 1.0
        if demand:
            per_server = demand / max(n - crashed_servers(s), 1) / max(len(peaks), 1)
            need = math.ceil(per_server / (ports * (1 - MARGIN)))
            lim.advice = (f"Each server needs about {fmt_int(per_server)} connections from each balancer "
                          f"({fmt_int(demand)} clients at peak over {fmt_int(n)} servers and {len(peaks)} "
                          f"{'balancer' if len(peaks) == 1 else 'balancers'}); with {fmt_share(MARGIN)} margin "
                          f"that takes balancer.source_addresses = {need} (this run: {fmt_int(addresses)}), "
                          "or more servers or balancers. Raising the servers' connection limit does not help.")
    return lim


def new_connection_rate(s: View, sc: View, fleet: Rows, dt: float) -> Limit:
    name = "balancer new-connection rate"
    per_balancer = as_float(sc.balancer.max_new_connections_per_s) or 0.0
    refused = num(s.connections.rejected_by.rate_limited)
    count = max(len(s.balancers), 1)
    peak = t = None
    at = argmax(fleet[C.attempts]) if not fleet.empty and C.attempts in fleet else None
    if at is not None:
        peak, t = float(fleet[C.attempts][at]) / dt, float(fleet[C.time_s][at])
    effect = f"{fmt_int(refused)} connection attempts refused by the balancer's rate limit" if refused else ""
    if per_balancer <= 0:
        return Limit("new_connection_rate", name, "bound" if refused else "n/a", None,
                     f"peak {fmt_num(peak)} attempts/s; no rate limit set" if peak is not None else "no rate limit set",
                     effect=effect, severity=refused)
    total = per_balancer * count
    used = peak / total if peak is not None else None
    lim = Limit("new_connection_rate", name, state_of(used, refused), used,
                f"{fmt_num(peak)} of {fmt_num(total)} new connections/s{where_words(None, t)}",
                f"{fmt_num(per_balancer)} new connections/s per balancer", effect, severity=refused,
                setting="balancer.max_new_connections_per_s")
    if lim.state in ("bound", "near") and peak is not None:
        lim.advice = (f"The peak of {fmt_num(peak)} attempts/s (a {fmt_seconds(dt)} sample) needs "
                      f"balancer.max_new_connections_per_s = {fmt_int(math.ceil(peak / count / (1 - MARGIN)))} "
                      f"(this run: {fmt_num(per_balancer)}), or a longer backoff to spread the attempts.")
    return lim


def backend_cap(s: View, sc: View, servers: Rows) -> Limit:
    """balancer.max_connections_per_backend (NGINX max_conns, HAProxy maxconn) is per balancer: a
    server takes at most that many from each balancer. Once every server is at it, attempts are
    refused with no_backend ("no live upstreams"), whatever room the servers have. The engine counts
    those refusals with an outage's (rejected_by.no_backend); the peak per-server connections against
    the cap tell the two apart."""
    name = "balancer connections per server (max_conns)"
    cap = as_float(sc.balancer.max_connections_per_backend) or 0.0
    if cap <= 0:
        return Limit("backend_cap", name, "n/a", None, "no cap set", shown=False)
    count = max(len(s.balancers), 1)
    per_server = cap * count
    refused = num(s.connections.rejected_by.no_backend)
    peak = t = server = None
    if not servers.empty and C.connections in servers:
        peak, t, server = peak_row(servers, servers[C.connections])
    if peak is None:
        peak = as_float(s.connections.peak_per_server)
    used = peak / per_server if peak is not None else None
    at_cap = used is not None and used >= 1.0
    own = as_float(s.fleet.max_connections_per_server)
    state = "bound" if at_cap and refused else state_of(min(used, 0.999) if used is not None else None, 0.0)
    effect = (f"{fmt_int(refused)} connection attempts refused with no live backend: every server at the "
              "balancers' cap" + (f", below the servers' own {fmt_int(own)}" if own and own > per_server else "")
              if state == "bound" else "")
    lim = Limit("backend_cap", name, state, used,
                f"{fmt_int(peak)} of {fmt_int(per_server)} connections{where_words(server, t)}",
                f"{fmt_int(cap)} per server from each of {count} {'balancer' if count == 1 else 'balancers'}",
                effect, severity=refused if state == "bound" else 0.0, setting="balancer.max_connections_per_backend")
    if state in ("bound", "near") and own:
        lim.advice = (f"The servers take {fmt_int(own)} connections each: balancer.max_connections_per_backend = "
                      f"{math.ceil(own / count)} (this run: {fmt_int(cap)}) lets the balancers fill them, "
                      "or 0 for no cap.")
    return lim


def sticky_sessions(s: View) -> Limit:
    """socket.io's polling-then-upgrade and SignalR's negotiate need every request of an attempt on
    one server: without sticky sessions the attempt fails with "Session ID unknown", whatever the
    capacity."""
    name = "sticky sessions"
    opening = s.session_opening
    if opening is None:
        return Limit("sticky_sessions", name, "n/a", None, "no requests before the WebSocket", shown=False)
    unknown = num(s.connections.failed_by.session_unknown)
    attempted = num(s.connections.attempted)
    library = "socket.io (engine.io)" if opening.library == "engine.io" else "SignalR"
    figure = (f"{fmt_int(unknown)} of {fmt_int(attempted)} attempts failed with Session ID unknown"
              + (f" ({fmt_pct(unknown, attempted)})" if attempted else ""))
    effect = ""
    if unknown:
        effect = (f"{library}'s requests before the WebSocket reached servers without the session"
                  + ("; no client connected" if num(s.connections.established) == 0 else "")
                  + "; more servers would not help")
    lim = Limit("sticky_sessions", name, "bound" if unknown else "ok", None, figure,
                f"{fmt_int(opening.requests_per_open)} requests and the upgrade on the server that holds the session",
                effect, severity=unknown)
    if unknown:
        skip = ('clients.upgrade_from_polling = "off"' if opening.library == "engine.io"
                else "clients.skip_negotiation = true")
        lim.setting = f"balancer.sticky, or {skip.split(' =', 1)[0]}"
        lim.advice = ('Make the balancer sticky (balancer.sticky = "cookie" or "source_ip"), or let the clients '
                      f"open on the WebSocket directly ({skip}).")
    return lim


def _room(limits: Sequence[Limit]) -> str:
    """"the per-server connection limit: 6,000 of 8,000 connections, 25% left": the capacity resource
    that came closest, for a verdict that says the servers had room."""
    resources = sorted([l for l in limits if category(l) == 0 and l.state != "n/a" and l.used is not None],
                       key=lambda l: -(l.used or 0.0))
    if not resources:
        return ""
    top = resources[0]
    return f"the {top.name}: {top.figure}, {fmt_share(max(top.headroom or 0.0, 0.0))} left"


def misconfigured(top: Limit, measured: Sequence[Limit], text: str, actions: List[str]) -> Verdict:
    """The verdict when the binding limit `top` is a setting and no capacity resource bound: `text`
    (the binding constraint's sentence) goes on to say the servers had room and which key to change."""
    room = _room(measured)
    text += (" It is a setting, not a lack of capacity: "
             + (f"the servers had room (the closest capacity limit is {room}); " if room else "")
             + f"change {top.setting}.")
    return Verdict("misconfigured", top, text, actions)
