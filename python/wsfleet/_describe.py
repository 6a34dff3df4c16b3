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
from .views import Scenario, View

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
    "fault_list",
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


def _table(scenario: Mapping[str, Any], key: str) -> Dict[str, Any]:
    value = scenario.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


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


def _policy_params(section: Mapping[str, Any]) -> Dict[str, Any]:
    """Parameters of a [balancer]/[backoff] table: every key but `policy`, plus a `params` table."""
    params = {k: v for k, v in section.items() if k not in ("policy", "params", "name")}
    nested = section.get("params")
    if isinstance(nested, Mapping):
        params.update(nested)
    return params


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


def _policy_name(section: Mapping[str, Any], default: str) -> str:
    name = section.get("policy", section.get("name", default))
    return str(name) if name is not None else default


#: The balancer's own keys (docs/balancer.md), described by _balancer_settings, not as policy parameters.
_BALANCER_KEYS = ("count", "failover_s", "health_check", "idle_timeout_s", "max_connections_per_backend",
                  "max_new_connections_per_s", "metrics_interval_s", "passive", "slow_start", "source_addresses",
                  "source_ports", "sticky", "tries", "weights")
#: Linux's ephemeral port range 32768-60999, the engine's default source_ports.
_DEFAULT_SOURCE_PORTS = 28232


def _balancer_settings(section: Mapping[str, Any]) -> List[str]:
    """The balancer's own settings that differ from wsfleet's defaults, in words."""
    words = []
    count = as_float(section.get("count"))
    if count is not None and count > 1:
        words.append(f"{fmt_int(count)} balancers side by side")
    rate = as_float(section.get("max_new_connections_per_s"))
    if rate:
        words.append(f"at most {fmt_num(rate)} new connections/s per balancer")
    per_backend = as_float(section.get("max_connections_per_backend"))
    if per_backend:
        words.append(f"at most {fmt_int(per_backend)} connections per server per balancer")
    ports = as_float(section.get("source_ports"))
    addresses = as_float(section.get("source_addresses")) or 1.0
    if (ports is not None and ports != _DEFAULT_SOURCE_PORTS) or addresses != 1:
        words.append(f"{fmt_int((ports or _DEFAULT_SOURCE_PORTS) * addresses)} source ports to each server "
                     f"({fmt_int(addresses)} source {pluralise(addresses, 'address', 'addresses')})")
    sticky = section.get("sticky")
    if sticky and sticky != "none":
        words.append(f"sticky sessions by {str(sticky).replace('_', ' ')}")
    tries = as_float(section.get("tries"))
    if tries is not None and tries != 1:
        words.append("every server tried" if tries == 0 else f"up to {fmt_int(tries)} servers tried per connection")
    idle = as_float(section.get("idle_timeout_s"))
    if idle:
        words.append(f"idle connections cut after {fmt_seconds(idle)}")
    hc = section.get("health_check")
    if isinstance(hc, Mapping):
        mode = hc.get("mode", "active")
        if mode == "active":
            words.append(f"health checks every {fmt_seconds(hc.get('interval_s'))}, out after "
                         f"{fmt_int(hc.get('fall'))} failed")
        elif mode == "none":
            words.append("no active health checks")
        else:
            words.append(f"{mode} health checks")
    slow = section.get("slow_start")
    if isinstance(slow, Mapping) and (as_float(slow.get("window_s")) or 0) > 0:
        words.append(f"slow start over {fmt_seconds(slow.get('window_s'))}")
    return words


def balancer_phrase(section: Mapping[str, Any]) -> str:
    """E.g. "a least-connections balancer", "a power-of-two-choices balancer (choices 2)"; the
    balancer's own settings (health checks, limits) follow in words when they are not the defaults."""
    name = _policy_name(section, "round_robin")
    phrase = _BALANCERS.get(name, name.replace("_", "-"))
    params = [_param_phrase(k, v) for k, v in sorted(_policy_params(section).items())
              if k not in _BALANCER_KEYS and not isinstance(v, (Mapping, list))]
    text = f"{_article(phrase)} {phrase} balancer"
    details = params + _balancer_settings(section)
    if details:
        text += f" ({', '.join(details)})"
    return text


def backoff_phrase(section: Mapping[str, Any]) -> str:
    """E.g. "full-jitter exponential backoff (base 1 s, cap 30 s), never giving up"."""
    name = _policy_name(section, "full_jitter")
    phrase = _BACKOFFS.get(name, name.replace("_", "-") + " backoff")
    params = _policy_params(section)
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


def connect_timeout_sentence(given_s: Optional[float], backoff: Mapping[str, Any]) -> str:
    """Which connect timeout the run's attempts had: clients.connect_timeout_s when the scenario gives
    it, else the backoff preset's own (the library's, per attempt), else the 10 s default."""
    if given_s is not None:
        return f"A handshake not completed within {fmt_duration(given_s)} fails (clients.connect_timeout_s)."
    name = _policy_name(backoff, "full_jitter")
    params = _policy_params(backoff)
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
    """Sessions lengths in words; None for "never" (clients stay for the whole run)."""
    if session is None:
        return None
    if isinstance(session, str):
        return None if session.lower() in ("never", "inf", "infinite", "forever") else session
    if not isinstance(session, Mapping):
        x = as_float(session)
        return f"exactly {fmt_duration(x)}" if x is not None else None
    kind = str(session.get("distribution", session.get("kind", session.get("type", "")))).lower()

    def get(*names: str) -> Optional[float]:
        for n in names:
            for key in (n + "_s", n):
                if key in session:
                    return as_float(session[key])
        return None

    if kind in ("never", "inf", "infinite"):
        return None
    if kind == "constant":
        return f"exactly {fmt_duration(get('value', 'mean'))}"
    if kind == "exponential":
        return f"exponentially distributed with mean {fmt_duration(get('mean'))}"
    if kind == "uniform":
        return f"uniformly between {fmt_duration(get('low', 'min'))} and {fmt_duration(get('high', 'max'))}"
    if kind in ("lognormal", "log_normal"):
        return (f"log-normally distributed with mean {fmt_duration(get('mean'))} "
                f"and standard deviation {fmt_duration(get('stddev', 'sd', 'std'))}")
    if kind == "pareto":
        shape = get("shape", "alpha")
        return (f"Pareto-distributed (scale {fmt_duration(get('scale', 'xm'))}, "
                f"shape {fmt_num(shape)})")
    params = ", ".join(f"{k} {v}" for k, v in session.items() if k not in ("distribution", "kind", "type"))
    return f"{kind or 'an unnamed'} distribution" + (f" ({params})" if params else "")


def _cpu_cost(us: Any) -> Optional[str]:
    x = as_float(us)
    if x is None:
        return None
    return f"{fmt_num(x / 1000)} ms" if x >= 1000 else f"{fmt_num(x)} µs"


# --------------------------------------------------------------------------------------------
# Faults


def fault_list(scenario: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The [[faults]] entries of a scenario (tolerates a missing or malformed list)."""
    faults = scenario.get("faults", [])
    if isinstance(faults, Mapping):
        faults = [faults]
    if not isinstance(faults, list):
        return []
    return [dict(f) for f in faults if isinstance(f, Mapping)]


def _fault_sentence(fault: Mapping[str, Any]) -> str:
    kind = str(fault.get("type", "crash"))
    at = fmt_seconds(fault.get("at_s"))
    recover = as_float(fault.get("recover_after_s"))
    if kind == "crash":
        text = f"server {fault.get('server', '?')} crashes at {at}"
    elif kind == "balancer_crash":
        text = f"balancer {fault.get('balancer', '?')} crashes at {at}, dropping every connection through it"
    elif kind == "site_crash":
        text = f"every server of site {fault.get('site', '?')} crashes at {at}"
    elif kind == "broker_outage":
        text = f"the pub/sub broker goes down at {at}, losing the publications it holds"
    elif kind == "slow_server":
        factor = as_float(fault.get("factor"))
        text = (f"server {fault.get('server', '?')} slows down at {at} to 1/{fmt_num(2.0 if factor is None else factor)} "
                "of its CPU speed, still up and still taking connections")
    elif kind == "handshake_blackhole":
        text = (f"server {fault.get('server', '?')} stops completing handshakes at {at} (it still accepts "
                "connections, so its clients wait for their connect timeout)")
    elif kind == "health_flap":
        period = as_float(fault.get("period_s"))
        text = (f"the health endpoint of server {fault.get('server', '?')} starts failing half of every "
                f"{fmt_seconds(20.0 if period is None else period)} at {at}, while the server serves on")
    elif kind == "site_partition":
        text = (f"the servers of site {fault.get('site', '?')} become unreachable at {at} behind balancers that still "
                "answer (their connections die, new handshakes hang)")
    elif kind == "link_degrade":
        latency = as_float(fault.get("latency_ms"))
        text = (f"every path to site {fault.get('site', '?')} becomes {fmt_num(100.0 if latency is None else latency)} ms "
                f"slower (one way) at {at}")
    elif kind == "dropped_messages":
        loss = as_float(fault.get("loss"))
        text = (f"server {fault.get('server', '?')} starts silently dropping {fmt_num(100.0 * (0.1 if loss is None else loss))} % "
                f"of its inbound messages and heartbeats at {at} (its clients see timeouts, not closes)")
    elif kind == "link_loss":
        loss = as_float(fault.get("loss"))
        text = (f"every path to site {fault.get('site', '?')} starts losing {fmt_num(100.0 * (0.1 if loss is None else loss))} % "
                f"of its packets at {at} (TCP retransmits them)")
    elif kind == "link_down":
        region = fault.get("region")
        text = (f"the link from {('region ' + str(region)) if region else 'every region'} to site {fault.get('site', '?')} "
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


def gray_failure_label(fault: Mapping[str, Any]) -> Optional[str]:
    """A short label of a gray failure for plots ("server 3 slow"), or None for other kinds."""
    kind = fault.get("type")
    server = fault.get("server", "?")
    return {"slow_server": f"server {server} slow",
            "handshake_blackhole": f"server {server} handshakes stall",
            "health_flap": f"server {server} health flaps",
            "link_degrade": f"link to {fault.get('site', '?')} slow",
            "dropped_messages": f"server {server} drops frames",
            "link_loss": f"link to {fault.get('site', '?')} lossy",
            "link_down": f"link to {fault.get('site', '?')} down"}.get(str(kind))


def _entries(scenario: Mapping[str, Any], key: str) -> List[Dict[str, Any]]:
    """The entries of an array of tables ([[deploys]]), tolerating a missing or malformed list."""
    entries = scenario.get(key, [])
    if isinstance(entries, Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        return []
    return [dict(e) for e in entries if isinstance(e, Mapping)]


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
    faults = fault_list(scenario)
    if not faults and _entries(scenario, "deploys"):
        return ("Is this deploy a reconnect storm: how many clients does it disconnect, how fast do they come "
                "back, and how long does the rollout take?")
    if faults and all(str(f.get("type")) in GRAY_FAILURES for f in faults):
        return ("What does a gray failure cost: while a degraded server or link stays in service, how many "
                "clients are slowed down, time out or reconnect, and do the balancers notice?")
    if not faults:
        return ("Does this fleet carry this load with headroom to spare, and how close does any "
                "server come to its connection limit or CPU capacity?")
    def lost(f: Mapping[str, Any]) -> str:
        kind = str(f.get("type", "crash"))
        what = (f"site {f.get('site', '?')}" if kind in ("site_crash", "site_partition")
                else f"balancer {f.get('balancer', '?')}" if kind == "balancer_crash"
                else f"server {f.get('server', '?')}")
        return f"{what} at {fmt_seconds(f.get('at_s'))}"

    losses = _join([lost(f) for f in faults[:4]])
    if len(faults) > 4:
        losses += f" and {len(faults) - 4} more"
    return (f"What happens when the fleet loses {losses}: do the reconnecting clients overload the "
            "remaining servers, and how long until everyone is connected again?")


def _class_phrase(c: View, fleet: View) -> str:
    """'3 "small" (1,000 connections, 2 CPU cores, weight 1, 0.1 an hour)': one [[fleet.classes]]
    entry (a view of the scenario), its keys defaulting to [fleet]'s, and those to the schema's."""
    def get(key: str) -> Optional[float]:
        own = c.get(key)
        return as_float(own if own is not None else getattr(fleet, key))

    n, conns, cores = get("servers"), get("max_connections"), get("cpu_cores")
    weight, cost = as_float(c.weight), get("cost_per_hour")
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
    """The scenario in plain words, as a list of sentences (the first is the main one)."""
    fleet = _table(scenario, "fleet")
    clients = _table(scenario, "clients")
    run = _table(scenario, "run")
    balancer = _table(scenario, "balancer")
    backoff = _table(scenario, "backoff")
    cpu = _table(fleet, "cpu")

    # Servers and balancer.
    classes = [c for c in fleet.get("classes") or [] if isinstance(c, Mapping)]
    n_servers = as_float(fleet.get("servers"))
    if classes:
        n_servers = sum(as_float(c.get("servers")) or 0 for c in classes)
    max_conn = as_float(fleet.get("max_connections"))
    cores = as_float(Scenario(scenario).fleet.cpu_cores)
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
    weights = fleet.get("weights") or []
    weight_values = [w for w in (as_float(v) for v in weights) if w is not None] if isinstance(weights, list) else []
    weight_text = ""
    if weight_values and min(weight_values) != max(weight_values):
        if len(weight_values) <= 6:
            weight_text = f" with weights {', '.join(fmt_num(w) for w in weight_values)}"
        else:
            weight_text = f" with weights from {fmt_num(min(weight_values))} to {fmt_num(max(weight_values))}"
    if classes:
        kinds = pluralise(len(classes), "class", "classes")
        view = Scenario(scenario).fleet
        server_text = f"{fmt_int(n_servers)} servers of {len(classes)} {kinds}: " \
            + _join([_class_phrase(c, view) for c in view.classes])
    first = f"{server_text}, behind {balancer_phrase(balancer)}{weight_text}."

    # Clients.
    count = as_float(clients.get("count"))
    ramp = as_float(clients.get("ramp_s"))
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
    view = Scenario(scenario)
    dist = _dist_phrase(view.clients.session)
    if dist is None:
        stay = f"{verb('stay')} connected"
    else:
        end = str(view.clients.on_session_end).lower()
        after = f"then {verb('reconnect')} at once" if end == "reconnect" else f"then {verb('leave')}"
        stay = f"{verb('hold')} sessions {dist}, {after}"
    mpm = as_float(clients.get("messages_per_minute"))
    hb = as_float(clients.get("heartbeat_interval_s"))
    replies = as_float(clients.get("replies_per_message"))
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
    vanish = as_float(clients.get("vanish_share")) or 0.0
    offline = as_float(clients.get("offline_mean_s")) or 0.0
    if vanish > 0 and offline > 0:
        second += (f" {fmt_share(vanish)} of the sessions end with the client's network dropping (mobile churn): "
                   f"it stays offline {fmt_duration(offline)} on average (exponentially) before it reconnects.")
    wave = as_float(clients.get("wave_share")) or 0.0
    if wave > 0:
        second += (f" A wave (a push notification) brings {fmt_share(wave)} of the clients for their first connection "
                   f"within {fmt_duration(as_float(clients.get('wave_window_s')) or 10.0)} of "
                   f"{fmt_seconds(clients.get('wave_at_s') or 0.0)}.")

    # Faults and reconnection.
    faults = fault_list(scenario)
    retry = f"disconnected clients retry with {backoff_phrase(backoff)}"
    if faults:
        shown = [_fault_sentence(f) for f in faults[:6]]
        if len(faults) > 6:
            shown.append(f"{len(faults) - 6} more faults follow")
        third = capitalise("; ".join(shown)) + f"; {retry}."
    else:
        third = f"No server fails during the run; rejected or timed-out clients retry with {backoff_phrase(backoff)}."

    sentences = [first, second, third]
    sentences.extend(_deploy_sentence(d) for d in Scenario(scenario).deploys)

    # Costs.
    costs = []
    for key, label in (("handshake_us", "a handshake"), ("inbound_message_us", "receiving a message"),
                       ("outbound_message_us", "sending a message"), ("heartbeat_us", "a heartbeat")):
        c = _cpu_cost(cpu.get(key))
        if c is not None:
            costs.append(f"{label} {c}")
    timeout = as_float(clients.get("connect_timeout_s"))
    cost_text = ""
    if costs:
        cost_text = f"CPU cost per operation: {_join(costs)}."
    mem_conn = as_float(fleet.get("memory_per_connection_kib"))
    mem_base = as_float(fleet.get("base_memory_mib"))
    if mem_conn is not None or mem_base is not None:
        mem = []
        if mem_base is not None:
            mem.append(f"{fmt_num(mem_base)} MiB per idle server")
        if mem_conn is not None:
            mem.append(f"{fmt_num(mem_conn)} KiB per connection")
        cost_text += (" " if cost_text else "") + f"Memory: {_join(mem, 'plus')}."
    cost_text += (" " if cost_text else "") + connect_timeout_sentence(timeout, backoff)
    if cost_text:
        sentences.append(cost_text)

    duration = as_float(run.get("duration_s"))
    if duration is not None:
        run_text = f"The run simulates {fmt_duration(duration)}"
        if duration >= 120:
            run_text += f" ({fmt_seconds(duration)})"
        step = as_float(run.get("sample_interval_s"))
        if step is not None:
            run_text += f", sampled every {fmt_duration(step)}"
        sentences.append(run_text + ".")
    return sentences
