"""Queueing theory beside the simulation, for the run report.

- The connection limit as a loss system: Erlang B (Poisson arrivals of sessions, any session length,
  no retries) for the offered load A = arrival rate x mean session, pooled over the fleet for a
  least-connections balancer (a server is full only when every server is) and per server for the
  others; Engset for a finite population of clients that come back after an idle time.
- The CPU as an M/M/c queue: utilisation rho = lambda S / c and the mean wait of Erlang C, from the
  operations the run counted (handshakes, messages, heartbeats) and their CPU costs.

`theory(summary, scenario) -> List[Comparison]`: each comparison gives the analytic figure, the
simulated one, and in words when and why they differ (retries, ramps and storms that are not
Poisson, constant service times). Pure Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional

from ._describe import as_float, fmt_int, fmt_ms, fmt_num, fmt_pct, fmt_share
from ._format import num
from .views import Scenario, Summary, View

__all__ = ["erlang_b", "engset", "erlang_c", "Comparison", "theory"]


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of c servers (trunks) offered a erlangs (the stable recurrence)."""
    b = 1.0
    for k in range(1, int(c) + 1):
        b = a * b / (k + a * b)
    return b


def engset(c: int, n: int, beta: float) -> float:
    """Call congestion of c trunks and n sources, each offering beta = (mean session / mean idle time)
    while idle: the blocking an arriving source sees (Engset; Erlang B as n grows with n beta fixed)."""
    if n <= c:
        return 0.0
    # Time congestion with n - 1 sources is the call congestion with n (the arrival theorem).
    terms = [math.comb(n - 1, k) * beta ** k for k in range(c + 1)]
    return terms[-1] / sum(terms)


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a (< c) erlangs."""
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1 - b))


@dataclass
class Comparison:
    """One analytic result beside its simulated counterpart."""
    key: str              # "connections", "cpu"
    title: str
    model: str            # "Erlang B (pooled over 10 servers of 20,000)"
    analytic: str         # the analytic figure, formatted
    simulated: str        # the simulated figure, formatted
    why: str              # when and why the simulation departs (or that it does not apply)


def _connections(s: View, sc: View) -> Comparison:
    clients = sc.clients
    session = clients.session  # "never" or a view of its distribution
    n_servers = int(as_float(s.fleet.servers) or 1)
    limit = int(as_float(s.fleet.max_connections_per_server) or 0)
    count = as_float(clients.count) or 0.0
    ramp = as_float(clients.ramp_s) or 0.0
    mean = as_float(session.mean_s) if isinstance(session, View) else None
    title = "Connection limit: a loss system"
    if mean is None or ramp <= 0 or limit <= 0:
        per = count / max(n_servers, 1)
        return Comparison("connections", title, "Erlang B / Engset", "does not apply",
                          f"{fmt_int(per)} clients per server against a limit of {fmt_int(limit)}",
                          "Clients arrive once and stay (or sessions have no mean): the limit is a question of "
                          "fit, not a loss system with arrivals and departures in balance, so Erlang B and "
                          "Engset have nothing to predict here.")
    rate = count / ramp
    a = rate * mean
    policy = str(sc.balancer.policy or "")
    pooled = "least" in policy
    if pooled:
        blocking = erlang_b(n_servers * limit, a)
        model = f"Erlang B, pooled: {fmt_int(n_servers * limit)} connections offered {fmt_num(a)} erlangs"
    else:
        blocking = erlang_b(limit, a / n_servers)
        model = f"Erlang B per server: {fmt_int(limit)} connections offered {fmt_num(a / n_servers)} erlangs"
    attempted = num(s.connections.attempted)
    full = num(s.connections.rejected_by.server_full)
    retries = num(s.connections.retries)
    duration = as_float(sc.run.duration_s) or ramp
    reasons = []
    if ramp < duration:
        reasons.append(f"arrivals are Poisson only while clients arrive (the first {fmt_num(ramp)} s of "
                       f"{fmt_num(duration)} s); after that the connections only drain")
    if retries:
        reasons.append(f"{fmt_int(retries)} attempts were retries, which Erlang B does not have (a refused "
                       "client of the formula is lost, a simulated one comes back and raises the load)")
    if not pooled and n_servers > 1:
        reasons.append(f"the {policy or 'balancer'} policy does not send a connection to the emptiest server, so "
                       "the fleet is modelled as separate servers each offered an equal share")
    engset_note = (" Engset (a finite population) would need clients that come back after an idle time; "
                   "these leave when their session ends, so the population is effectively infinite.")
    why = ("The simulation departs where " + "; ".join(reasons) + "." if reasons else
           "The run meets the formula's assumptions (Poisson arrivals throughout, no retries): the two differ "
           "by the fleet filling up at the start and by chance.")
    return Comparison("connections", title, model, f"{fmt_share(blocking)} of arrivals refused",
                      f"{fmt_pct(full, attempted)} of attempts refused (server full)", why + engset_note)


def _cpu(s: View, sc: View) -> Optional[Comparison]:
    cpu = sc.fleet.cpu
    seconds = as_float(s.simulated_seconds)
    n_servers = as_float(s.fleet.servers) or 1.0
    classes = s.fleet.classes
    cores = int(as_float(classes[0].cpu_cores if classes else sc.fleet.cpu_cores) or 1)
    if not seconds:
        return None
    ops = [(num(s.connections.established), as_float(cpu.handshake_us) or 0.0),
           (num(s.messages.sent), as_float(cpu.inbound_message_us) or 0.0),
           (num(s.messages.delivered), as_float(cpu.outbound_message_us) or 0.0),
           (num(s.heartbeats.delivered), as_float(cpu.heartbeat_us) or 0.0)]
    count = sum(n for n, cost in ops if cost > 0)
    work_s = sum(n * cost * 1e-6 for n, cost in ops)
    if count <= 0 or work_s <= 0:
        return None
    lam = count / seconds / n_servers            # operations per second per server
    service_s = work_s / count                   # mean CPU time per operation
    a = lam * service_s                          # offered load, erlangs per server
    rho = a / cores
    measured = as_float(s.cpu.mean_utilisation)
    wait = erlang_c(cores, a) * service_s / (cores - a) if a < cores else math.inf
    return Comparison(
        "cpu", "CPU: an M/M/c queue per server",
        f"M/M/{cores}: {fmt_num(lam)} operations/s per server, {fmt_num(service_s * 1e6)} µs each on average",
        f"utilisation {fmt_share(rho)}; mean wait {fmt_ms(wait * 1e3)}",
        f"mean utilisation {fmt_share(measured)}",
        "The utilisations agree by construction (the same work over the same time) unless servers were down "
        "or the fleet changed size. The waits differ: each operation's CPU cost is a constant, not exponential "
        "(an M/D/c queue waits about half as long), and arrivals come in bursts (the ramp, a reconnect storm) "
        "rather than as a Poisson stream, which the mean over the whole run hides; the peaks are in the CPU plot.")


def theory(summary: Mapping[str, Any], scenario: Mapping[str, Any]) -> List[Comparison]:
    """The analytic results that apply to this run, each beside its simulated figure."""
    s, sc = Summary(summary), Scenario(scenario)
    found = [_connections(s, sc)]
    cpu = _cpu(s, sc)
    if cpu is not None:
        found.append(cpu)
    return found


def theory_html(summary: Mapping[str, Any], scenario: Mapping[str, Any]) -> str:
    """The report's table of analytic against simulated figures, with the reasons they differ."""
    from ._html import render

    return render("theory.html.j2", comparisons=theory(summary, scenario))
