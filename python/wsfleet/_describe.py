"""The plain-words statement of a scenario, for the run report (and the number formatting of
_format.py, re-exported for its readers).

No plotting, and of the engine only the scenario's schema (wsfleet.views.Scenario, for the
defaults of keys a file leaves out): `describe_scenario` turns the effective
scenario.toml of a run (already parsed into a dict) into a few sentences a capacity planner can
check against what they meant to simulate. Unknown policies and parameters are described
generically, so a scenario written for a newer engine still gets a readable description.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ._format import (as_float, fmt_duration, fmt_int, fmt_mib, fmt_ms, fmt_num, fmt_pct, fmt_seconds, fmt_share,
                      pluralise)
from .policies import backoff_client_presets
from .views import Scenario, View, declared_keys

# The connect timeout of attempts whose backoff policy has none and whose scenario gives none, s
# (models::kDefaultConnectTimeoutS).
DEFAULT_CONNECT_TIMEOUT_S = 10.0

__all__ = [
    "fmt_int",
    "fmt_num",
    "fmt_seconds",
    "fmt_duration",
    "fmt_ms",
    "fmt_mib",
    "fmt_pct",
    "fmt_share",
    "as_float",
    "pluralise",
    "describe_scenario",
    "scenario_question",
    "balancer_phrase",
    "backoff_phrase",
    "connect_timeout_sentence",
    "gray_failure_label",
    "GRAY_FAILURES",
]


def _article(phrase: str) -> str:
    lower = phrase.lower()
    if lower.startswith(("uni", "use", "usu", "eu", "one")):
        return "a"
    return "an" if lower[:1] in "aeiou" else "a"


def _join(items: Sequence[str], conj: str = "and") -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {conj} " + items[-1]


#: Every key at the scenario schema's default (what the engine uses for a key a file leaves out).
_DEFAULT = Scenario()


# --------------------------------------------------------------------------------------------
# Policies

_BALANCERS = {
    "round_robin": "round-robin",
    "weighted_round_robin": "weighted round-robin",
    "smooth_weighted_round_robin": "smooth weighted round-robin",
    "least_connections": "least-connections",
    "weighted_least_connections": "weighted least-connections",
    "least_loaded": "least-loaded (CPU)",
    "least_cpu": "least-loaded (CPU)",
    "least_response_time": "least-response-time",
    "least_bandwidth": "least-bandwidth",
    "random": "random",
    "weighted_random": "weighted random",
    "power_of_two": "power-of-two-choices",
    "power_of_two_choices": "power-of-two-choices",
    "p2c": "power-of-two-choices",
    "consistent_hash": "consistent-hashing",
    "ring_hash": "ring-hashing",
    "rendezvous_hash": "rendezvous-hashing",
    "maglev": "Maglev-hashing",
    "ip_hash": "IP-hashing",
    "hash": "hashing",
}

_BACKOFFS = {
    "full_jitter": "full-jitter exponential backoff",
    "equal_jitter": "equal-jitter exponential backoff",
    "decorrelated_jitter": "decorrelated-jitter backoff",
    "retry_budget": "full-jitter exponential backoff paid from a per-client retry budget",
    "circuit_breaker": "full-jitter exponential backoff behind a client-side circuit breaker",
    "exponential": "exponential backoff without jitter",
    "exponential_backoff": "exponential backoff without jitter",
    "linear": "linear backoff",
    "constant": "a constant delay",
    "fixed": "a fixed delay",
    "immediate": "no delay",
    "none": "no delay",
}

# How a parameter is named in a sentence; the unit comes from the suffix of its key.
_PARAM_WORDS = {
    "base": "base",
    "cap": "cap",
    "max": "cap",
    "delay": "delay",
    "initial": "initial delay",
    "multiplier": "multiplier",
    "factor": "factor",
    "choices": "choices",
    "report_interval": "load reports every",
    "replicas": "ring replicas",
    "virtual_nodes": "virtual nodes",
    "table_size": "table size",
    "jitter": "jitter",
}

_UNIT_SUFFIXES = (("_ms", "ms"), ("_us", "µs"), ("_s", "s"), ("_pct", "%"))


def _policy_params(section: View) -> Dict[str, Any]:
    """A policy's parameters: the keys of its [balancer]/[backoff] table the schema leaves open."""
    declared = set(declared_keys(section).values())
    return {k: v for k, v in section.raw.items() if k not in declared}


def _param_phrase(key: str, value: Any) -> str:
    unit = ""
    stem = key
    for suffix, u in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            stem, unit = key[: -len(suffix)], u
            break
    word = _PARAM_WORDS.get(stem, stem.replace("_", " "))
    x = as_float(value)
    shown = fmt_num(x) if x is not None else str(value)
    if unit == "%":
        return f"{word} {shown}%"
    return f"{word} {shown}" + (f" {unit}" if unit else "")


def _balancer_settings(b: View) -> List[str]:
    """The balancer's own settings (keys the scenario schema declares for [balancer]) that differ
    from the schema's defaults, in words."""
    words = []
    default = _DEFAULT.balancer
    count = as_float(b.count)
    if count is not None and count > (as_float(default.count) or 1):
        words.append(f"{fmt_int(count)} balancers side by side")
    rate = as_float(b.max_new_connections_per_s)
    if rate:
        words.append(f"at most {fmt_num(rate)} new connections/s per balancer")
    per_backend = as_float(b.max_connections_per_backend)
    if per_backend:
        words.append(f"at most {fmt_int(per_backend)} connections per server per balancer")
    ports = as_float(b.source_ports)
    addresses = as_float(b.source_addresses) or 1.0
    if ports != as_float(default.source_ports) or addresses != as_float(default.source_addresses):
        words.append(f"{fmt_int((ports or 0) * addresses)} source ports to each server "
                     f"({fmt_int(addresses)} source {pluralise(addresses, 'address', 'addresses')})")
    if b.sticky and b.sticky != default.sticky:
        words.append(f"sticky sessions by {str(b.sticky).replace('_', ' ')}")
    tries = as_float(b.tries)
    if tries is not None and tries != as_float(default.tries):
        words.append("every server tried" if tries == 0 else f"up to {fmt_int(tries)} servers tried per connection")
    idle = as_float(b.idle_timeout_s)
    if idle:
        words.append(f"idle connections cut after {fmt_seconds(idle)}")
    hc = b.health_check
    if hc.mode == "active":
        words.append(f"health checks every {fmt_seconds(hc.interval_s)}, out after {fmt_int(hc.fall)} failed")
    elif hc.mode == "none":
        words.append("no active health checks")
    else:
        words.append(f"{hc.mode} health checks")
    if (as_float(b.slow_start.window_s) or 0) > 0:
        words.append(f"slow start over {fmt_seconds(b.slow_start.window_s)}")
    return words


def _section(scenario_key: str, section: Any) -> View:
    """A [balancer]/[backoff] table (parsed, or already a view) as the scenario's view of it."""
    return section if isinstance(section, View) else getattr(Scenario({scenario_key: section}), scenario_key)


def balancer_phrase(section: Any) -> str:
    """E.g. "a least-connections balancer", "a power-of-two-choices balancer (choices 2)"; the
    balancer's own settings (health checks, limits) follow in words when they are not the defaults."""
    b = _section("balancer", section)
    name = str(b.policy)
    phrase = _BALANCERS.get(name, name.replace("_", "-"))
    params = [_param_phrase(k, v) for k, v in sorted(_policy_params(b).items()) if not isinstance(v, (Mapping, list))]
    text = f"{_article(phrase)} {phrase} balancer"
    details = params + _balancer_settings(b)
    if details:
        text += f" ({', '.join(details)})"
    return text


def backoff_phrase(section: Any) -> str:
    """E.g. "full-jitter exponential backoff (base 1 s, cap 30 s), never giving up"."""
    b = _section("backoff", section)
    name = str(b.policy)
    phrase = _BACKOFFS.get(name, name.replace("_", "-") + " backoff")
    params = _policy_params(b)
    max_retries = params.pop("max_retries", params.pop("retries", None))
    shown = [_param_phrase(k, v) for k, v in sorted(params.items(), key=lambda kv: _param_order(kv[0]))
             if not isinstance(v, (Mapping, list))]
    text = phrase + (f" ({', '.join(shown)})" if shown else "")
    n = as_float(max_retries)
    if n is not None and n > 0:
        text += f", giving up after {fmt_int(n)} {pluralise(n, 'retry', 'retries')}"
    elif max_retries is not None:
        text += ", never giving up"
    return text


def _param_order(key: str) -> tuple:
    order = ["base_s", "initial_s", "delay_s", "multiplier", "factor", "cap_s", "max_s"]
    return (order.index(key) if key in order else len(order), key)


def connect_timeout_sentence(given_s: Optional[float], backoff: Any) -> str:
    """Which connect timeout the run's attempts had: clients.connect_timeout_s when the scenario gives
    it, else the backoff preset's own (the library's, per attempt), else the 10 s default."""
    if given_s is not None:
        return f"A handshake not completed within {fmt_duration(given_s)} fails (clients.connect_timeout_s)."
    b = _section("backoff", backoff)
    name = str(b.policy)
    params = _policy_params(b)
    own = {p["name"]: p for p in backoff_client_presets()}.get(name)
    if own is None or own["connect_timeout_s"] is None:
        return f"A handshake not completed within {fmt_duration(DEFAULT_CONNECT_TIMEOUT_S)} fails (the default)."
    library = own["library"]
    if name == "grpc":
        floor = as_float(params.get("min_connect_timeout_s"))
        floor = own["connect_timeout_s"] if floor is None else floor
        return (f"Each connection attempt fails unless done within the longer of {fmt_duration(floor)} and its backoff "
                f"({library}: MIN_CONNECT_TIMEOUT).")
    if name == "pusher":
        first = as_float(params.get("timeout_s"))
        limit = as_float(params.get("timeout_limit_s"))
        first = own["connect_timeout_s"] if first is None else first
        limit = 60.0 if limit is None else limit
        return (f"A connection attempt fails unless done within {fmt_duration(first)}, doubled for each next attempt "
                f"of a reconnection up to {fmt_duration(limit)} ({library}: timeout, timeoutLimit).")
    return f"A handshake not completed within {fmt_duration(own['connect_timeout_s'])} fails ({library}'s own timeout)."


# --------------------------------------------------------------------------------------------
# Clients


def _dist_phrase(session: Any) -> Optional[str]:
    """Sessions lengths in words (clients.session: "never" or a view of its distribution's table);
    None for "never" (clients stay for the whole run)."""
    if session is None:
        return None
    if isinstance(session, str):
        return None if session.lower() in ("never", "inf", "infinite", "forever") else session
    if not isinstance(session, View):
        x = as_float(session)
        return f"exactly {fmt_duration(x)}" if x is not None else None
    kind = str(session.distribution or "").lower()
    if kind == "constant":
        return f"exactly {fmt_duration(as_float(session.value_s))}"
    if kind == "exponential":
        return f"exponentially distributed with mean {fmt_duration(as_float(session.mean_s))}"
    if kind == "uniform":
        return (f"uniformly between {fmt_duration(as_float(session.low_s))} and "
                f"{fmt_duration(as_float(session.high_s))}")
    if kind == "lognormal":
        return (f"log-normally distributed with mean {fmt_duration(as_float(session.mean_s))} "
                f"and standard deviation {fmt_duration(as_float(session.stddev_s))}")
    if kind == "pareto":
        return (f"Pareto-distributed (scale {fmt_duration(as_float(session.scale_s))}, "
                f"shape {fmt_num(as_float(session.shape))})")
    params = ", ".join(f"{k} {v}" for k, v in session.raw.items() if k != "distribution")
    return f"{kind or 'an unnamed'} distribution" + (f" ({params})" if params else "")


def _cpu_cost(us: Any) -> Optional[str]:
    x = as_float(us)
    if x is None:
        return None
    return f"{fmt_num(x / 1000)} ms" if x >= 1000 else f"{fmt_num(x)} µs"


# --------------------------------------------------------------------------------------------
# Faults


def _fault_sentence(fault: View) -> str:
    """A [[faults]] entry (a view of the scenario: keys left out are the schema's defaults) in words."""
    kind = str(fault.type)
    at = fmt_seconds(fault.at_s)
    recover = as_float(fault.recover_after_s)
    if kind == "crash":
        text = f"server {fault.server} crashes at {at}"
    elif kind == "balancer_crash":
        text = f"balancer {fault.balancer} crashes at {at}, dropping every connection through it"
    elif kind == "site_crash":
        text = f"every server of site {fault.site} crashes at {at}"
    elif kind == "broker_outage":
        text = f"the pub/sub broker goes down at {at}, losing the publications it holds"
    elif kind == "slow_server":
        text = (f"server {fault.server} slows down at {at} to 1/{fmt_num(as_float(fault.factor))} "
                "of its CPU speed, still up and still taking connections")
    elif kind == "handshake_blackhole":
        text = (f"server {fault.server} stops completing handshakes at {at} (it still accepts "
                "connections, so its clients wait for their connect timeout)")
    elif kind == "health_flap":
        text = (f"the health endpoint of server {fault.server} starts failing half of every "
                f"{fmt_seconds(fault.period_s)} at {at}, while the server serves on")
    elif kind == "site_partition":
        text = (f"the servers of site {fault.site} become unreachable at {at} behind balancers that still "
                "answer (their connections die, new handshakes hang)")
    elif kind == "link_degrade":
        text = (f"every path to site {fault.site} becomes {fmt_num(as_float(fault.latency_ms))} ms "
                f"slower (one way) at {at}")
    elif kind == "dropped_messages":
        loss = as_float(fault.loss)
        text = (f"server {fault.server} starts silently dropping {fmt_num(100.0 * (0.1 if loss is None else loss))} % "
                f"of its inbound messages and heartbeats at {at} (its clients see timeouts, not closes)")
    elif kind == "link_loss":
        loss = as_float(fault.loss)
        text = (f"every path to site {fault.site} starts losing {fmt_num(100.0 * (0.1 if loss is None else loss))} % "
                f"of its packets at {at} (TCP retransmits them)")
    elif kind == "link_down":
        region = fault.region
        text = (f"the link from {('region ' + str(region)) if region else 'every region'} to site {fault.site} "
                f"goes down at {at} (attempts time out, connections stall until their heartbeat timeout)")
    else:
        text = f"a {kind.replace('_', ' ')} happens at {at}"
    gray = kind in GRAY_FAILURES
    if recover is not None:
        text += f" and {'recovers' if gray else 'returns'} {fmt_seconds(recover)} later"
    else:
        text += " until the end of the run" if gray else " and does not come back"
    return text


#: The gray failures among the fault kinds: the server (or link) stays up, degraded.
GRAY_FAILURES = ("slow_server", "handshake_blackhole", "health_flap", "link_degrade", "dropped_messages", "link_loss",
                 "link_down")


def gray_failure_label(fault: Any) -> Optional[str]:
    """A short label of a gray failure for plots ("server 3 slow"), or None for other kinds (`fault`:
    a fault of the summary or of the scenario, as a view: both name type, server and site)."""
    server = "?" if fault.server is None else fault.server
    return {"slow_server": f"server {server} slow",
            "handshake_blackhole": f"server {server} handshakes stall",
            "health_flap": f"server {server} health flaps",
            "link_degrade": f"link to {fault.site or '?'} slow",
            "dropped_messages": f"server {server} drops frames",
            "link_loss": f"link to {fault.site or '?'} lossy",
            "link_down": f"link to {fault.site or '?'} down"}.get(str(fault.type))


def _count_phrase(value: Any) -> str:
    """A Deployment count: 3 -> "3", "25%" -> "25 %"."""
    if isinstance(value, str) and value.endswith("%"):
        return f"{value[:-1]} %"
    return fmt_int(value)


_SIGTERM = {"close": "close every connection at SIGTERM", "spread": "spread their closes over the grace period",
            "ignore": "ignore SIGTERM until SIGKILL cuts their connections"}


def _deploy_sentence(deploy: View) -> str:
    """A [[deploys]] entry (a view of the scenario: keys left out are the schema's defaults) in one sentence."""
    strategy = str(deploy.strategy)
    at = fmt_seconds(deploy.at_s)
    if strategy == "blue_green":
        text = (f"At {at} a blue/green deploy starts a whole new set of servers and switches the balancers to it "
                "once every new server is available")
    else:
        text = (f"At {at} a {'canary rollout' if strategy == 'canary' else 'rolling update'} replaces the servers "
                f"(max surge {_count_phrase(deploy.max_surge)}, max unavailable "
                f"{_count_phrase(deploy.max_unavailable)}")
        if strategy == "canary":
            text += (f"; {_count_phrase(deploy.canary)} new servers run alone for "
                     f"{fmt_seconds(deploy.canary_hold_s)} first")
        text += ")"
    text += f"; a new server is ready {fmt_seconds(deploy.ready_after_s)} after it starts"
    prestop = as_float(deploy.prestop_s) or 0.0
    text += "; old servers leave the balancers"
    if prestop > 0:
        text += f", run a {fmt_seconds(prestop)} preStop hook"
    text += (f", then {_SIGTERM.get(str(deploy.on_sigterm), 'close their connections')}, within a "
             f"{fmt_seconds(deploy.grace_s)} grace period, and their clients reconnect.")
    return text


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------------
# The whole scenario


def scenario_question(scenario: Mapping[str, Any]) -> str:
    """The question the run answers, in one sentence."""
    sc = Scenario(scenario)
    faults = sc.faults
    if not faults and sc.deploys:
        return ("Is this deploy a reconnect storm: how many clients does it disconnect, how fast do they come "
                "back, and how long does the rollout take?")
    if faults and all(str(f.type) in GRAY_FAILURES for f in faults):
        return ("What does a gray failure cost: while a degraded server or link stays in service, how many "
                "clients are slowed down, time out or reconnect, and do the balancers notice?")
    if not faults:
        return ("Does this fleet carry this load with headroom to spare, and how close does any "
                "server come to its connection limit or CPU capacity?")
    def lost(f: View) -> str:
        kind = str(f.type)
        what = (f"site {f.site}" if kind in ("site_crash", "site_partition")
                else f"balancer {f.balancer}" if kind == "balancer_crash"
                else f"server {f.server}")
        return f"{what} at {fmt_seconds(f.at_s)}"

    losses = _join([lost(f) for f in faults[:4]])
    if len(faults) > 4:
        losses += f" and {len(faults) - 4} more"
    return (f"What happens when the fleet loses {losses}: do the reconnecting clients overload the "
            "remaining servers, and how long until everyone is connected again?")


def _class_phrase(c: View, fleet: View) -> str:
    """'3 "small" (1,000 connections, 2 CPU cores, weight 1, 0.1 an hour)': one [[fleet.classes]]
    entry (a view of the scenario), its keys defaulting to [fleet]'s, and those to the schema's."""
    def own(value: Any, fleet_value: Any) -> Optional[float]:
        return as_float(value if value is not None else fleet_value)

    n, conns = own(c.servers, fleet.servers), own(c.max_connections, fleet.max_connections)
    cores, cost = own(c.cpu_cores, fleet.cpu_cores), own(c.cost_per_hour, fleet.cost_per_hour)
    weight = as_float(c.weight)
    parts = []
    if conns is not None:
        parts.append(f"{fmt_int(conns)} connections")
    if cores is not None:
        parts.append(f"{fmt_num(cores)} CPU {pluralise(cores, 'core')}")
    if weight is not None:
        parts.append(f"weight {fmt_num(weight)}")
    if cost:
        parts.append(f"{fmt_num(cost)} an hour")
    return f"{fmt_int(n)} \"{c.name or '?'}\" ({', '.join(parts)})"


def describe_scenario(scenario: Mapping[str, Any]) -> List[str]:
    """The scenario in plain words, as a list of sentences (the first is the main one). A key the
    scenario leaves out is the schema's default, as the engine runs it (wsfleet.views.Scenario)."""
    sc = Scenario(scenario)
    fleet, clients, run = sc.fleet, sc.clients, sc.run

    # Servers and balancer.
    classes = fleet.classes
    n_servers = as_float(fleet.servers)
    if classes:
        n_servers = sum(as_float(c.servers) or 0 for c in classes)
    max_conn = as_float(fleet.max_connections)
    cores = as_float(fleet.cpu_cores)
    n_text = fmt_int(n_servers) if n_servers is not None else "An unstated number of"
    parts = []
    if max_conn is not None:
        parts.append(f"limited to {fmt_int(max_conn)} connections")
    if cores is not None:
        parts.append(f"{fmt_num(cores)} CPU {pluralise(cores, 'core')}")
    each = ("each " + _join(parts)) if parts else ""
    if n_servers == 1:
        server_text = f"1 server{', ' + each.replace('each ', '', 1) if each else ''}"
    else:
        server_text = f"{n_text} servers{', ' + each if each else ''}"
    weights = fleet.weights
    weight_values = [w for w in (as_float(v) for v in weights) if w is not None] if isinstance(weights, list) else []
    weight_text = ""
    if weight_values and min(weight_values) != max(weight_values):
        if len(weight_values) <= 6:
            weight_text = f" with weights {', '.join(fmt_num(w) for w in weight_values)}"
        else:
            weight_text = f" with weights from {fmt_num(min(weight_values))} to {fmt_num(max(weight_values))}"
    if classes:
        kinds = pluralise(len(classes), "class", "classes")
        server_text = f"{fmt_int(n_servers)} servers of {len(classes)} {kinds}: " \
            + _join([_class_phrase(c, fleet) for c in classes])
    first = f"{server_text}, behind {balancer_phrase(sc.balancer)}{weight_text}."

    # Clients.
    count = as_float(clients.count)
    ramp = as_float(clients.ramp_s)
    who = f"{fmt_int(count)} {pluralise(count or 0, 'client')}" if count is not None else "The clients"
    one = count == 1

    def verb(plural: str) -> str:
        return (plural[:-1] + "ies" if plural.endswith("y") and plural[-2:-1] not in "aeiou" else plural + "s") \
            if one else plural

    if ramp is None:
        connect = verb("connect")
    elif ramp == 0:
        connect = f"{verb('connect')} at once at the start"
    else:
        connect = f"{verb('connect')} over {fmt_duration(ramp)}"
    dist = _dist_phrase(clients.session)
    if dist is None:
        stay = f"{verb('stay')} connected"
    else:
        end = str(clients.on_session_end).lower()
        after = f"then {verb('reconnect')} at once" if end == "reconnect" else f"then {verb('leave')}"
        stay = f"{verb('hold')} sessions {dist}, {after}"
    mpm = as_float(clients.messages_per_minute)
    hb = as_float(clients.heartbeat_interval_s)
    replies = as_float(clients.replies_per_message)
    habits = []
    if mpm is not None:
        if mpm == 0:
            habits.append("sends no messages")
        else:
            msg = f"sends {fmt_num(mpm)} {pluralise(mpm, 'message')} a minute"
            if replies is not None:
                msg += (" (no replies)" if replies == 0 else
                        f" (the server answers each with {fmt_num(replies)} {pluralise(replies, 'reply', 'replies')})")
            habits.append(msg)
    if hb is not None:
        habits.append("no heartbeats" if hb == 0 else f"a heartbeat every {fmt_duration(hb)}")
    second = f"{who} {connect} and {stay}"
    if habits:
        second += f"; each {_join(habits)}"
    second += "."
    vanish = as_float(clients.vanish_share) or 0.0
    offline = as_float(clients.offline_mean_s) or 0.0
    if vanish > 0 and offline > 0:
        second += (f" {fmt_share(vanish)} of the sessions end with the client's network dropping (mobile churn): "
                   f"it stays offline {fmt_duration(offline)} on average (exponentially) before it reconnects.")
    wave = as_float(clients.wave_share) or 0.0
    if wave > 0:
        second += (f" A wave (a push notification) brings {fmt_share(wave)} of the clients for their first connection "
                   f"within {fmt_duration(as_float(clients.wave_window_s))} of {fmt_seconds(clients.wave_at_s)}.")

    # Faults and reconnection.
    faults = sc.faults
    retry = f"disconnected clients retry with {backoff_phrase(sc.backoff)}"
    if faults:
        shown = [_fault_sentence(f) for f in faults[:6]]
        if len(faults) > 6:
            shown.append(f"{len(faults) - 6} more faults follow")
        third = capitalise("; ".join(shown)) + f"; {retry}."
    else:
        third = f"No server fails during the run; rejected or timed-out clients retry with {backoff_phrase(sc.backoff)}."

    sentences = [first, second, third]
    sentences.extend(_deploy_sentence(d) for d in sc.deploys)

    # Costs.
    cpu = fleet.cpu
    costs = [f"{label} {c}" for label, c in (
        ("a handshake", _cpu_cost(cpu.handshake_us)), ("receiving a message", _cpu_cost(cpu.inbound_message_us)),
        ("sending a message", _cpu_cost(cpu.outbound_message_us)), ("a heartbeat", _cpu_cost(cpu.heartbeat_us)))
        if c is not None]
    timeout = as_float(clients.connect_timeout_s)
    cost_text = ""
    if costs:
        cost_text = f"CPU cost per operation: {_join(costs)}."
    mem_conn = as_float(fleet.memory_per_connection_kib)
    mem_base = as_float(fleet.base_memory_mib)
    if mem_conn is not None or mem_base is not None:
        mem = []
        if mem_base is not None:
            mem.append(f"{fmt_num(mem_base)} MiB per idle server")
        if mem_conn is not None:
            mem.append(f"{fmt_num(mem_conn)} KiB per connection")
        cost_text += (" " if cost_text else "") + f"Memory: {_join(mem, 'plus')}."
    cost_text += (" " if cost_text else "") + connect_timeout_sentence(timeout, sc.backoff)
    if cost_text:
        sentences.append(cost_text)

    duration = as_float(run.duration_s)
    if duration is not None:
        run_text = f"The run simulates {fmt_duration(duration)}"
        if duration >= 120:
            run_text += f" ({fmt_seconds(duration)})"
        step = as_float(run.sample_interval_s)
        if step is not None:
            run_text += f", sampled every {fmt_duration(step)}"
        sentences.append(run_text + ".")
    return sentences
