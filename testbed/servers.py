"""The testbed's WebSocket servers: Node.js processes running ws_server.js (the `ws` library)."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from testbed import LOOPBACK
from testbed.processes import ProcessSet

SERVER_SCRIPT = Path(__file__).with_name("ws_server.js")
# Debian's node-ws installs into /usr/share/nodejs, which a Node.js from another source does not search.
NODE_PATH = "/usr/share/nodejs"


def node_binary() -> str:
    for name in ("node", "nodejs"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("testbed: Node.js is not installed (scripts/bootstrap installs nodejs and node-ws)")


class ServerFleet:
    """N ws servers on 127.0.0.1; server i is process 'server{i}' of the ProcessSet."""

    def __init__(self, procs: ProcessSet, count: int, reply: int = 1, max_lifetime_s: float = 900.0):
        if count < 1:
            raise ValueError("testbed: at least one server")
        self.procs = procs
        self.count = count
        self.reply = reply
        self.max_lifetime_s = max_lifetime_s
        self.ports: List[int] = [0] * count

    def _argv(self, i: int) -> List[str]:
        return [node_binary(), str(SERVER_SCRIPT), "--id", str(i), "--port", str(self.ports[i]),
                "--reply", str(self.reply), "--max-lifetime-s", str(self.max_lifetime_s)]

    def start(self, i: int) -> None:
        if self.ports[i]:
            self.procs.release_port(self.ports[i])  # a restart: the port was kept while it was down
        env = {"NODE_PATH": os.pathsep.join(p for p in (NODE_PATH, os.environ.get("NODE_PATH", "")) if p)}
        info = self.procs.start(f"server{i}", self._argv(i), env=env, ready_line=True)
        self.ports[i] = int(info["port"])

    def start_all(self) -> None:
        for i in range(self.count):
            self.start(i)

    def kill(self, i: int) -> None:
        """SIGKILL server i: the kernel resets its connections, as when a process crashes."""
        self.procs.kill(f"server{i}")
        self.procs.hold_port(self.ports[i])

    def up(self, i: int) -> bool:
        return self.procs.running(f"server{i}")

    def pid(self, i: int) -> int:
        return self.procs.pid(f"server{i}")

    def _request(self, i: int, path: str, method: str = "GET", timeout_s: float = 2.0) -> bytes:
        req = urllib.request.Request(f"http://{LOOPBACK}:{self.ports[i]}{path}", method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.read()

    def stats(self, i: int) -> Optional[Dict]:
        """The server's own accounting (connections, handshakes, process.cpuUsage, memory), None if down."""
        if not self.up(i):
            return None
        try:
            return json.loads(self._request(i, "/stats"))
        except (OSError, ValueError):
            return None

    def slow(self, i: int, ms: float) -> None:
        """Server i burns `ms` of CPU per handshake, message and ping from now on (0 = normal)."""
        self._request(i, f"/slow?ms={ms}", method="POST")

    def push(self, i: int, n: int) -> None:
        """Server i sends n messages to each of its connections."""
        self._request(i, f"/push?n={n}", method="POST", timeout_s=30.0)
