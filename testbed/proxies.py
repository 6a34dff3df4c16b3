"""HAProxy and NGINX in front of the testbed's servers, configured from a wsfleet balancer preset."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from testbed import LOOPBACK
from testbed.processes import ProcessSet

TEMPLATES = Path(__file__).with_name("templates")

# wsfleet preset -> (software, the software's own name for the algorithm).
HAPROXY_ALGORITHMS = {"haproxy_roundrobin": "roundrobin", "haproxy_static_rr": "static-rr",
                      "haproxy_leastconn": "leastconn", "haproxy_first": "first"}
NGINX_ALGORITHMS = {"nginx_round_robin": "", "nginx_least_conn": "least_conn;"}


def software_of(preset: str) -> str:
    if preset in HAPROXY_ALGORITHMS:
        return "haproxy"
    if preset in NGINX_ALGORITHMS:
        return "nginx"
    allowed = ", ".join(sorted(HAPROXY_ALGORITHMS) + sorted(NGINX_ALGORITHMS))
    raise ValueError(f"testbed: balancer preset '{preset}' has no real proxy in the testbed (allowed: {allowed})")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class ProxySpec:
    """How the real proxy is set up: HAProxy with its check defaults (inter 2 s, fall 3, rise 2) but
    `retries 0` and no redispatch (each connection goes to one server and fails at once; the HAProxy
    presets' `retries` parameter is set to match when the storm is simulated), NGINX with one worker (the
    preset keeps one set of least_conn counts) and its passive defaults max_fails=1 fail_timeout=10s."""

    preset: str
    weights: Sequence[float]
    check_interval_s: float = 2.0
    fall: int = 3
    rise: int = 2
    retries: int = 0
    redispatch: bool = False
    #: HAProxy health checks on the servers (False: none, so nothing but the retry logic reacts to a dead server).
    checks: bool = True
    connect_timeout_s: float = 5.0
    queue_timeout_s: float = 5.0
    maxconn_per_server: int = 0        # HAProxy `maxconn` / NGINX `max_conns`; 0 = unlimited
    nginx_workers: int = 1
    nginx_zone: bool = False
    max_fails: int = 1
    fail_timeout_s: float = 10.0


def _haproxy_maxconn() -> int:
    """HAProxy needs about two descriptors per connection and refuses to start if the hard limit is lower."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 20000 if hard == resource.RLIM_INFINITY else max(256, min(20000, (hard - 256) // 2))


def _haproxy_config(spec: ProxySpec, ports: Sequence[int], port: int, workdir: Path) -> str:
    lines = []
    for i, (p, w) in enumerate(zip(ports, spec.weights)):
        extra = f" maxconn {spec.maxconn_per_server}" if spec.maxconn_per_server else ""
        check = " check" if spec.checks else ""
        lines.append(f"    server s{i} {LOOPBACK}:{p} weight {int(round(w))}{check}{extra}")
    return (TEMPLATES / "haproxy.cfg").read_text().format(
        preset=spec.preset, maxconn=_haproxy_maxconn(), workdir=workdir, host=LOOPBACK, port=port,
        connect_timeout_ms=int(spec.connect_timeout_s * 1000), queue_timeout_ms=int(spec.queue_timeout_s * 1000),
        retries=spec.retries, redispatch="    option redispatch\n" if spec.redispatch else "",
        algorithm=HAPROXY_ALGORITHMS[spec.preset], check_interval_ms=int(spec.check_interval_s * 1000),
        fall=spec.fall, rise=spec.rise, servers="\n".join(lines))


def _nginx_config(spec: ProxySpec, ports: Sequence[int], port: int, workdir: Path) -> str:
    lines = []
    for p, w in zip(ports, spec.weights):
        extra = f" max_conns={spec.maxconn_per_server}" if spec.maxconn_per_server else ""
        lines.append(f"        server {LOOPBACK}:{p} weight={int(round(w))} max_fails={spec.max_fails} "
                     f"fail_timeout={int(spec.fail_timeout_s)}s{extra};")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    return (TEMPLATES / "nginx.conf").read_text().format(
        preset=spec.preset, workers=spec.nginx_workers, workdir=workdir, nofile=16384,
        worker_connections=8192, algorithm=NGINX_ALGORITHMS[spec.preset],
        zone="        zone be 64k;" if spec.nginx_zone else "", servers="\n".join(lines), host=LOOPBACK,
        port=port, connect_timeout_ms=int(spec.connect_timeout_s * 1000))


class Proxy:
    """One HAProxy or NGINX process on 127.0.0.1:port in front of `server_ports`."""

    def __init__(self, procs: ProcessSet, spec: ProxySpec, server_ports: Sequence[int]):
        if len(spec.weights) != len(server_ports):
            raise ValueError(f"testbed: {len(spec.weights)} weights for {len(server_ports)} servers")
        self.procs = procs
        self.spec = spec
        self.software = software_of(spec.preset)
        self.server_ports = list(server_ports)
        self.port = free_port()
        self.workdir = procs.workdir
        binary = shutil.which(self.software) or f"/usr/sbin/{self.software}"
        if not os.path.exists(binary):
            raise RuntimeError(f"testbed: {self.software} is not installed (scripts/bootstrap installs it)")
        self.binary = binary
        if self.software == "haproxy":
            text = _haproxy_config(spec, self.server_ports, self.port, self.workdir)
            self.config = self.workdir / "haproxy.cfg"
        else:
            text = _nginx_config(spec, self.server_ports, self.port, self.workdir)
            self.config = self.workdir / "nginx.conf"
        self.config.write_text(text)

    @property
    def url(self) -> str:
        return f"ws://{LOOPBACK}:{self.port}/"

    def start(self, timeout_s: float = 10.0) -> None:
        if self.software == "haproxy":
            argv = [self.binary, "-db", "-f", str(self.config)]
        else:
            argv = [self.binary, "-p", str(self.workdir), "-c", str(self.config)]
        self.procs.start("proxy", argv)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.procs.running("proxy"):
                break
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        log = (self.workdir / "proxy.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"testbed: {self.software} did not start on {LOOPBACK}:{self.port}:\n{log}")

    def stop(self) -> None:
        self.procs.kill("proxy")

    def haproxy_stats(self) -> Optional[List[Dict[str, str]]]:
        """`show stat` of HAProxy's admin socket (a Unix socket in the work directory), one dict per
        row; None for NGINX or when HAProxy is not answering."""
        if self.software != "haproxy":
            return None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(1.0)
                s.connect(str(self.workdir / "haproxy.sock"))
                s.sendall(b"show stat\n")
                chunks = []
                while True:
                    data = s.recv(65536)
                    if not data:
                        break
                    chunks.append(data)
        except OSError:
            return None
        text = b"".join(chunks).decode(errors="replace").strip().splitlines()
        if not text or not text[0].startswith("# "):
            return None
        header = text[0][2:].split(",")
        return [dict(zip(header, line.split(","))) for line in text[1:] if line]
