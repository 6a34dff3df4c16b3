"""The model of experiments/bench/million.toml written in SimPy: the peer a capacity planner would
otherwise write, used to measure wsfleet's speed against it (`make bench`, tests/bench/bench_simpy.py)
and checked to be the same model (tests/python/test_simpy_model.py compares its counts with wsfleet's).

    .venv/bin/python tests/bench/simpy_model.py [SCENARIO] [KEY=VALUE ...]
    .venv/bin/python tests/bench/simpy_model.py experiments/bench/million.toml clients.count=2000 fleet.servers=2 faults.0.server=1

It is written as a competent SimPy user would write it (SimPy 4.1: processes, a simpy.Resource per
server CPU, a shared event for a crash), not deliberately slow, and it models what wsfleet models for
this scenario (models/fleet/connections.cpp, server_pool.cpp, cpu_queue.cpp, balancer_tier.cpp):

- Clients make their first connection at sorted uniform times over [0, clients.ramp_s] (a Poisson
  process conditioned on the count). Each attempt goes through the balancer: least connections over
  the servers the balancer believes up (counts include handshakes in progress; scan from a rotating
  start, the first of equals wins, as models/balancing/least_connections.cpp). The balancer's active
  health checks (its defaults: every 2 s per backend from a random phase, down after 3 consecutive
  failed probes) find a crashed server; until then it is still picked (the crash emptied its count,
  so it is picked first), the try fails at once, and with balancer.tries = 1 (the default) the
  attempt fails and the client backs off. A server holding fleet.max_connections refuses the
  attempt. A live server's probe passes (wsfleet fails it when the CPU backlog exceeds the 2 s probe
  timeout: this scenario's backlog stays far below it).
- The handshake costs fleet.cpu.handshake_us on the server's CPU (a FCFS queue served by cpu_cores
  cores, simpy.Resource); it fails if not done within clients.connect_timeout_s (the work is still
  done, as in wsfleet's CPU queue).
- A connected client sends a heartbeat every clients.heartbeat_interval_s from its connection
  (fleet.cpu.heartbeat_us each) and messages as a Poisson process of clients.messages_per_minute
  (inbound_message_us + replies_per_message x outbound_message_us each); a message's latency is its
  time in the CPU queue (waiting + service), as wsfleet's messages.latency_ms. The next message's gap
  is drawn after the previous one is served: at this scenario's 1-2 % CPU load the shift (70 us per
  minute) is far below anything the counts can see.
- A [[faults]] crash takes its server down at at_s for good: its connections and handshakes are cut,
  jobs still queued on it are lost, and its clients reconnect with the [backoff] policy (full jitter:
  a delay uniform in [0, min(cap, base x 2^n)) for the n-th retry since the last connection, and no
  retry sooner than 1 ms, as Connections::retry_later).

What it leaves out, as wsfleet's own work that does not change these counts: the time series sampler
and the balancer's health-check probes (they cost no server CPU in wsfleet either).
"""
from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import simpy

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as _toml  # type: ignore[no-redef]

MIN_RETRY_GAP_S = 1e-3  # Connections::kMinRetryGap: no retry sooner than 1 ms


@dataclass(frozen=True)
class Params:
    duration_s: float
    seed: int
    servers: int
    max_connections: int
    cores: int
    handshake_s: float
    message_s: float
    heartbeat_s: float
    clients: int
    ramp_s: float
    messages_per_minute: float
    heartbeat_interval_s: float
    connect_timeout_s: float
    backoff_base_s: float
    backoff_cap_s: float
    probe_interval_s: float
    probe_fall: int
    crash_server: Optional[int]
    crash_at_s: float


def _set(table: Dict[str, Any], key: str, text: str) -> None:
    """Applies one KEY=VALUE override (a dotted key; an integer index selects an array element)."""
    parts = key.split(".")
    node: Any = table
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    value = _toml.loads(f"v = {text}")["v"] if text not in ("true", "false") else text == "true"
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def load_params(path: str = "experiments/bench/million.toml", overrides: Sequence[str] = ()) -> Params:
    """The model's parameters from a scenario file and wsfleet-style overrides; refuses a scenario
    that uses something this model does not implement (rather than silently model something else)."""
    with open(path, "rb") as f:
        table = _toml.load(f)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r}: expected KEY=VALUE")
        _set(table, key.strip(), text.strip())
    run, fleet, clients = table.get("run", {}), table.get("fleet", {}), table.get("clients", {})
    cpu = fleet.get("cpu", {})
    balancer, backoff = table.get("balancer", {}), table.get("backoff", {})
    if balancer.get("policy", "least_connections") != "least_connections":
        raise ValueError("the SimPy model implements balancer.policy = \"least_connections\" only")
    health = balancer.get("health_check", {})
    if set(balancer) - {"policy", "health_check"} or health.get("mode", "active") != "active" or "timeout_s" in health:
        raise ValueError("the SimPy model implements one balancer with active health checks and its other defaults")
    if backoff.get("policy") != "full_jitter":
        raise ValueError("the SimPy model implements backoff.policy = \"full_jitter\" only")
    if clients.get("session", "never") != "never":
        raise ValueError("the SimPy model implements clients.session = \"never\" only")
    faults = table.get("faults", [])
    if len(faults) > 1 or any(f.get("type") != "crash" or "recover_after_s" in f for f in faults):
        raise ValueError("the SimPy model implements at most one [[faults]] crash that does not recover")
    servers = int(fleet["servers"])
    crash = faults[0] if faults else None
    if crash is not None and not 0 <= int(crash["server"]) < servers:
        raise ValueError(f"faults.0.server = {crash['server']} is not a server of a fleet of {servers}")
    return Params(
        duration_s=float(run["duration_s"]), seed=int(run.get("seed", 1)), servers=servers,
        max_connections=int(fleet["max_connections"]), cores=int(fleet.get("cpu_cores", 1)),
        handshake_s=float(cpu["handshake_us"]) * 1e-6,
        message_s=(float(cpu["inbound_message_us"])
                   + float(clients.get("replies_per_message", 0.0)) * float(cpu["outbound_message_us"])) * 1e-6,
        heartbeat_s=float(cpu["heartbeat_us"]) * 1e-6, clients=int(clients["count"]),
        ramp_s=float(clients["ramp_s"]), messages_per_minute=float(clients["messages_per_minute"]),
        heartbeat_interval_s=float(clients["heartbeat_interval_s"]),
        connect_timeout_s=float(clients["connect_timeout_s"]),
        backoff_base_s=float(backoff["base_s"]), backoff_cap_s=float(backoff["cap_s"]),
        probe_interval_s=float(health.get("interval_s", 2.0)), probe_fall=int(health.get("fall", 3)),
        crash_server=int(crash["server"]) if crash else None,
        crash_at_s=float(crash["at_s"]) if crash else math.inf)


class Server:
    def __init__(self, env: simpy.Environment, index: int, cores: int) -> None:
        self.index = index
        self.cpu = simpy.Resource(env, capacity=cores)
        self.up = True
        self.in_service = True          # the balancer's belief, from its health checks
        self.active = 0                 # the balancer's count: handshakes in progress + connections
        self.crashed = env.event()      # succeeds when the server crashes


class Connection:
    __slots__ = ("server", "open")

    def __init__(self, server: Server) -> None:
        self.server = server
        self.open = True


class Fleet:
    """The fleet, its clients and the counts of a run."""

    def __init__(self, p: Params, seed: Optional[int] = None) -> None:
        self.p = p
        self.env = simpy.Environment()
        seed = p.seed if seed is None else seed
        # One random stream per purpose, as wsfleet keeps (named) streams.
        self.rng_arrivals = random.Random(f"{seed}/arrivals")
        self.rng_messages = random.Random(f"{seed}/messages")
        self.rng_backoff = random.Random(f"{seed}/backoff")
        self.rng_probes = random.Random(f"{seed}/probes")
        self.servers = [Server(self.env, i, p.cores) for i in range(p.servers)]
        self.start = 0  # least connections: where the next scan starts
        self.attempted = self.established = self.rejected = 0
        self.failed_backend_down = self.failed_timeout = self.failed_crash = 0
        self.heartbeats_sent = self.heartbeats_delivered = 0
        self.messages_sent = self.messages_delivered = 0
        self.latencies: List[float] = []
        self.dropped = 0              # connections the crash cut
        self.storm_outstanding = 0    # of those, not reconnected yet
        self.reconnected_within_s: Optional[float] = None
        self.env.process(self.arrivals())
        for server in self.servers:
            self.env.process(self.health_checks(server))
        if p.crash_server is not None and p.crash_at_s <= p.duration_s:
            self.env.process(self.crash(self.servers[p.crash_server], p.crash_at_s))

    # -- the balancer -----------------------------------------------------------------------------
    def pick(self) -> Optional[Server]:
        n = len(self.servers)
        best: Optional[Server] = None
        for i in range(n):
            s = self.servers[(self.start + i) % n]
            if s.in_service and (best is None or s.active < best.active):
                best = s
        if best is not None:
            self.start = best.index + 1
        return best

    def health_checks(self, server: Server):
        env, p = self.env, self.p
        yield env.timeout(self.rng_probes.random() * p.probe_interval_s)
        failed = 0  # consecutive failed probes (a server never comes back here: no rise)
        while server.in_service:
            failed = 0 if server.up else failed + 1
            if failed >= p.probe_fall:
                server.in_service = False
                return
            yield env.timeout(p.probe_interval_s)

    # -- processes --------------------------------------------------------------------------------
    def arrivals(self):
        env, p = self.env, self.p
        times = sorted(self.rng_arrivals.random() * p.ramp_s for _ in range(p.clients))
        for t in times:
            yield env.timeout(t - env.now)
            env.process(self.client())

    def backoff_delay(self, retries: int) -> float:
        p = self.p
        ceiling = min(p.backoff_cap_s, p.backoff_base_s * 2.0 ** min(retries, 62))
        return max(self.rng_backoff.random() * ceiling, MIN_RETRY_GAP_S)

    def cpu_work(self, server: Server, cost: float):
        with server.cpu.request() as req:
            yield req
            yield self.env.timeout(cost)

    def client(self):
        env, p = self.env, self.p
        retries = 0        # retries since the last connection (the backoff's n)
        in_storm = False   # cut by the crash and not reconnected yet
        while True:
            self.attempted += 1
            server = self.pick()
            if server is None or server.active >= p.max_connections or not server.up:
                if server is None or server.up:
                    self.rejected += 1              # no backend, or the server is full
                else:
                    self.failed_backend_down += 1   # picked before the health checks found the crash
                yield env.timeout(self.backoff_delay(retries))
                retries += 1
                continue
            server.active += 1
            handshake = env.process(self.cpu_work(server, p.handshake_s))
            outcome = yield handshake | env.timeout(p.connect_timeout_s) | server.crashed
            if server.crashed in outcome:
                self.failed_crash += 1   # the crash took the balancer's count with it
                yield env.timeout(self.backoff_delay(retries))
                retries += 1
                continue
            if handshake not in outcome:
                self.failed_timeout += 1
                server.active -= 1
                yield env.timeout(self.backoff_delay(retries))
                retries += 1
                continue
            # Connected: heartbeats and messages run until the server crashes.
            self.established += 1
            retries = 0
            if in_storm:
                in_storm = False
                self.storm_outstanding -= 1
                if self.storm_outstanding == 0:
                    self.reconnected_within_s = env.now - p.crash_at_s
            conn = Connection(server)
            if p.heartbeat_interval_s > 0:
                env.process(self.heartbeats(conn))
            if p.messages_per_minute > 0:
                env.process(self.messages(conn))
            yield server.crashed
            conn.open = False
            self.dropped += 1
            self.storm_outstanding += 1
            in_storm = True
            yield env.timeout(self.backoff_delay(retries))
            retries += 1

    def heartbeats(self, conn: Connection):
        env, p = self.env, self.p
        cpu, cost, interval = conn.server.cpu, p.heartbeat_s, p.heartbeat_interval_s
        due = env.now + interval
        while True:
            yield env.timeout(due - env.now)
            if not conn.open:
                return
            self.heartbeats_sent += 1
            with cpu.request() as req:
                yield req
                yield env.timeout(cost)
            if conn.open:
                self.heartbeats_delivered += 1
            due += interval

    def messages(self, conn: Connection):
        env, p = self.env, self.p
        cpu, cost = conn.server.cpu, p.message_s
        rate = p.messages_per_minute / 60.0
        expovariate = self.rng_messages.expovariate
        while True:
            yield env.timeout(expovariate(rate))
            if not conn.open:
                return
            self.messages_sent += 1
            sent = env.now
            with cpu.request() as req:
                yield req
                yield env.timeout(cost)
            if conn.open:
                self.messages_delivered += 1
                self.latencies.append(env.now - sent)

    def crash(self, server: Server, at: float):
        yield self.env.timeout(at)
        server.up = False
        server.active = 0
        server.crashed.succeed()

    # -- running ----------------------------------------------------------------------------------
    def run(self) -> Dict[str, Any]:
        self.env.run(until=self.p.duration_s)
        lat = sorted(self.latencies)

        def quantile(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1e3 if lat else float("nan")

        return {
            "attempted": self.attempted, "established": self.established, "rejected": self.rejected,
            "failed": self.failed_backend_down + self.failed_timeout + self.failed_crash,
            "failed_backend_down": self.failed_backend_down, "failed_timeout": self.failed_timeout,
            "failed_crash": self.failed_crash,
            "heartbeats_sent": self.heartbeats_sent, "heartbeats_delivered": self.heartbeats_delivered,
            "messages_sent": self.messages_sent, "messages_delivered": self.messages_delivered,
            "latency_mean_ms": (sum(lat) / len(lat) * 1e3) if lat else float("nan"),
            "latency_p50_ms": quantile(0.5), "latency_p99_ms": quantile(0.99),
            "connections_dropped": self.dropped, "storm_outstanding": self.storm_outstanding,
            "reconnected_within_s": self.reconnected_within_s,
        }


def run(path: str = "experiments/bench/million.toml", overrides: Sequence[str] = (),
        seed: Optional[int] = None) -> Dict[str, Any]:
    """Builds and runs the model; the counts, and cpu_s: the CPU seconds of building and running it."""
    params = load_params(path, overrides)
    start = time.process_time()
    counts = Fleet(params, seed).run()
    counts["cpu_s"] = time.process_time() - start
    return counts


def main(argv: Sequence[str]) -> int:
    path = argv[0] if argv and "=" not in argv[0] else "experiments/bench/million.toml"
    overrides = [a for a in argv if "=" in a]
    if not Path(path).is_file():
        print(f"simpy_model: {path}: no such scenario file", file=sys.stderr)
        return 2
    try:
        counts = run(path, overrides)
    except (ValueError, KeyError) as exc:
        print(f"simpy_model: {path}: {exc}", file=sys.stderr)
        return 2
    print(f"SimPy {simpy.__version__} model of {path} {' '.join(overrides)}")
    for key, value in counts.items():
        print(f"{key:>22}  {value:.6g}" if isinstance(value, float) else f"{key:>22}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
