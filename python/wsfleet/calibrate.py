"""`wsfleet calibrate`: measure a real WebSocket server's costs and write them as a scenario's cost section.

Real WebSocket clients (Python `websockets`) on loopback open connections to the server, send messages it
handles without answering, messages it answers once, and pings; each phase's cost is the growth of the
server process's own CPU time (the kernel's per-thread accounting, /proc/PID/task/*/schedstat, in ns)
and resident memory (/proc/PID/status), less what the idle process spends in as long. The server must run
on this machine: give its PID and port, or a command that starts it (`{port}` in it is replaced by a free
port). Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
MAX_CONNECTIONS = 5000
MAX_PER_CONNECTION = 1000


class CalibrationError(RuntimeError):
    """A calibration that cannot be done (bad options, server not reachable, process gone)."""


def process_cpu_ns(pid: int) -> int:
    """CPU time (ns) that every thread of `pid` has run, from /proc/PID/task/*/schedstat."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError as exc:
        raise CalibrationError(f"process {pid} is not running") from exc
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue  # a thread that ended while we read
    return total


def process_rss_kib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return float(line.split()[1])
    except FileNotFoundError as exc:
        raise CalibrationError(f"process {pid} is not running") from exc
    raise CalibrationError(f"process {pid} has no VmRSS (a kernel thread?)")


@dataclass
class Costs:
    handshake_us: float
    inbound_message_us: float
    outbound_message_us: float
    heartbeat_us: float
    memory_per_connection_kib: float
    base_memory_mib: float

    def toml(self, comment: str) -> str:
        lines = [f"# {line}" for line in comment.splitlines()]
        lines += ["[fleet]",
                  f"memory_per_connection_kib = {self.memory_per_connection_kib:.3f}",
                  f"base_memory_mib = {self.base_memory_mib:.3f}",
                  "",
                  "[fleet.cpu]",
                  f"handshake_us = {self.handshake_us:.3f}",
                  f"inbound_message_us = {self.inbound_message_us:.3f}",
                  f"outbound_message_us = {self.outbound_message_us:.3f}",
                  f"heartbeat_us = {self.heartbeat_us:.3f}", ""]
        return "\n".join(lines)

    def as_dict(self) -> Dict[str, float]:
        return dict(self.__dict__)


class _Meter:
    """CPU of one process over a phase, less its idle rate."""

    def __init__(self, pid: int, idle_ns_per_s: float):
        self.pid = pid
        self.idle = idle_ns_per_s

    async def settle(self, timeout_s: float = 10.0) -> None:
        """Waits until the process stops working through a backlog (no more than the idle rate plus
        2 ms in 100 ms), bounded by timeout_s."""
        deadline = time.monotonic() + timeout_s
        last = process_cpu_ns(self.pid)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            now = process_cpu_ns(self.pid)
            if now - last <= self.idle * 0.1 + 2e6:
                return
            last = now

    async def measure(self, work) -> float:
        """CPU (ns) the process spends on `work()` (awaited), idle share removed."""
        await self.settle()
        t0, c0 = time.monotonic(), process_cpu_ns(self.pid)
        await work()
        await self.settle()
        t1, c1 = time.monotonic(), process_cpu_ns(self.pid)
        return max(0.0, (c1 - c0) - self.idle * (t1 - t0))


async def _calibrate(pid: int, url: str, connections: int, per_connection: int, inbound: str, echo: str,
                     concurrency: int = 50) -> Costs:
    from websockets.asyncio.client import connect  # the testbed's client library (a runtime dependency)

    c0, t0 = process_cpu_ns(pid), time.monotonic()
    await asyncio.sleep(1.0)
    idle = (process_cpu_ns(pid) - c0) / (time.monotonic() - t0)
    meter = _Meter(pid, idle)
    sockets: List = []
    base_rss_kib = process_rss_kib(pid)

    async def open_all():
        sem = asyncio.Semaphore(concurrency)

        async def one():
            async with sem:
                async with asyncio.timeout(10.0):
                    sockets.append(await connect(url, proxy=None, compression=None, open_timeout=None,
                                                 ping_interval=None, user_agent_header=None))
        await asyncio.gather(*(one() for _ in range(connections)))

    async def send_all(text: str, expect_reply: bool):
        async def one(ws):
            for _ in range(per_connection):
                await ws.send(text)
                if expect_reply:
                    async with asyncio.timeout(10.0):
                        await ws.recv()
        await asyncio.gather(*(one(ws) for ws in sockets))

    async def ping_all():
        async def one(ws):
            for _ in range(per_connection):
                waiter = await ws.ping()
                async with asyncio.timeout(10.0):
                    await waiter
        await asyncio.gather(*(one(ws) for ws in sockets))

    try:
        handshake_ns = await meter.measure(open_all)
        await asyncio.sleep(0.5)
        rss_kib = process_rss_kib(pid)
        inbound_ns = await meter.measure(lambda: send_all(inbound, False))
        echo_ns = await meter.measure(lambda: send_all(echo, True))
        ping_ns = await meter.measure(ping_all)
    finally:
        for ws in sockets:
            ws.transport.abort()
    n = float(connections)
    m = n * per_connection
    inbound_us = inbound_ns / m / 1e3
    return Costs(handshake_us=handshake_ns / n / 1e3, inbound_message_us=inbound_us,
                 outbound_message_us=max(0.0, echo_ns / m / 1e3 - inbound_us), heartbeat_us=ping_ns / m / 1e3,
                 memory_per_connection_kib=max(0.0, (rss_kib - base_rss_kib) / n),
                 base_memory_mib=base_rss_kib / 1024.0)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(host: str, port: int, proc: Optional[subprocess.Popen], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise CalibrationError(f"the server command exited with status {proc.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise CalibrationError(f"nothing listens on {host}:{port} after {timeout_s:g} s")


def calibrate(*, pid: Optional[int] = None, port: Optional[int] = None, command: Optional[Sequence[str]] = None,
              env: Optional[Dict[str, str]] = None, host: str = "127.0.0.1", path: str = "/",
              connections: int = 500, per_connection: int = 20, inbound_message: str = "nr:" + "x" * 61,
              echo_message: str = "x" * 64, start_timeout_s: float = 15.0) -> Costs:
    """Measures a server's costs: give pid and port of a running server, or a command (argv; "{port}"
    is replaced by `port` or a free port) that calibrate starts and kills (by PID) afterwards.
    inbound_message is one the server handles without answering, echo_message one it answers once."""
    if host not in LOOPBACK_HOSTS:
        raise CalibrationError(f"host must be a loopback address ({', '.join(LOOPBACK_HOSTS)}): got '{host}'")
    if (pid is None) == (command is None):
        raise CalibrationError("give either --pid (with --port) or --command")
    if not 1 <= connections <= MAX_CONNECTIONS:
        raise CalibrationError(f"connections must be 1..{MAX_CONNECTIONS} (got {connections})")
    if not 1 <= per_connection <= MAX_PER_CONNECTION:
        raise CalibrationError(f"messages per connection must be 1..{MAX_PER_CONNECTION} (got {per_connection})")
    proc = None
    if command is not None:
        port = port or _free_port()
        argv = [a.replace("{port}", str(port)) for a in command]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    env=dict(os.environ, **(env or {})), start_new_session=True)
        except OSError as exc:
            raise CalibrationError(f"cannot start {argv[0]}: {exc}") from exc
        pid = proc.pid
    elif port is None:
        raise CalibrationError("--pid needs --port")
    assert pid is not None and port is not None
    try:
        _wait_for_port(host, port, proc, start_timeout_s)
        url = f"ws://{'[::1]' if host == '::1' else host}:{port}{path}"
        return asyncio.run(_calibrate(pid, url, connections, per_connection, inbound_message, echo_message))
    except (OSError, TimeoutError) as exc:
        raise CalibrationError(f"measuring {host}:{port} failed: {exc!r}") from exc
    finally:
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(prog=prog or "python -m wsfleet.calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--command", help='the server command, e.g. "node server.js --port {port}"')
    target.add_argument("--pid", type=int, help="PID of a server already running on this machine")
    parser.add_argument("--port", type=int, help="its port on loopback (with --pid; optional with --command)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="environment for --command")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--path", default="/", help="WebSocket path (default /)")
    parser.add_argument("--connections", type=int, default=500, help="connections to open (default 500)")
    parser.add_argument("--messages", type=int, default=20, help="messages and pings per connection (default 20)")
    parser.add_argument("--inbound-message", default="nr:" + "x" * 61,
                        help="a message the server handles without answering (default: the testbed server's 'nr:' form)")
    parser.add_argument("--echo-message", default="x" * 64, help="a message the server answers exactly once")
    parser.add_argument("--out", help="write the cost section here (default: print it)")
    args = parser.parse_args(argv)
    env = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--env wants KEY=VALUE (got '{item}')")
        env[key] = value
    try:
        costs = calibrate(pid=args.pid, port=args.port, command=shlex.split(args.command) if args.command else None,
                          env=env, host=args.host, path=args.path, connections=args.connections,
                          per_connection=args.messages, inbound_message=args.inbound_message,
                          echo_message=args.echo_message)
    except CalibrationError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    what = args.command if args.command else f"pid {args.pid}"
    comment = (f"Measured by wsfleet calibrate on {datetime.date.today().isoformat()} against {what}:\n"
               f"{args.connections} connections on loopback, {args.messages} messages and pings each; the server "
               "process's own CPU and memory accounting.")
    text = costs.toml(comment)
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
