"""The order in which a real HAProxy or NGINX sends connections to its servers, against the order the
wsfleet preset of the same name picks them (wsfleet.LoadBalancer, the C++ policy)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import List, Sequence

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

import wsfleet

from testbed.processes import ProcessSet
from testbed.proxies import Proxy, ProxySpec
from testbed.servers import ServerFleet

MAX_PICKS = 500


async def _real_order(url: str, picks: int) -> List[int]:
    """Opens `picks` connections one after another through the proxy, keeping each open (as the
    preset's picks do), and returns the server each landed on."""
    sockets = []
    order: List[int] = []
    try:
        for _ in range(picks):
            async with asyncio.timeout(10.0):
                ws = await connect(url, proxy=None, compression=None, open_timeout=None, ping_interval=None,
                                   user_agent_header=None)
            sockets.append(ws)
            order.append(int(ws.response.headers["X-Server"]))
    finally:
        for ws in sockets:
            ws.transport.abort()
    return order


async def timed_connects(url: str, count: int, timeout_s: float = 20.0) -> List[tuple]:
    """Opens `count` connections one after another through the proxy (each closed at once); for each,
    (seconds until the answer, the server index or the proxy's HTTP status)."""
    out: List[tuple] = []
    for _ in range(count):
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s):
                ws = await connect(url, proxy=None, compression=None, open_timeout=None, ping_interval=None,
                                   user_agent_header=None)
        except InvalidStatus as e:
            out.append((time.monotonic() - t0, e.response.status_code))
            continue
        out.append((time.monotonic() - t0, f"server {ws.response.headers['X-Server']}"))
        ws.transport.abort()
    return out


def haproxy_retries_probe(retries: int, redispatch: bool, workdir: Path, count: int = 4) -> List[tuple]:
    """HAProxy roundrobin over two servers, server 0 SIGKILLed and never detected (no health checks:
    HAProxy marks a server down on its first failed check after start-up, which would race the probe):
    what `count` connections see (timed_connects)."""
    with ProcessSet(Path(workdir)) as procs:
        servers = ServerFleet(procs, 2, max_lifetime_s=120.0)
        servers.start_all()
        proxy = Proxy(procs, ProxySpec("haproxy_roundrobin", [1, 1], retries=retries, redispatch=redispatch,
                                       checks=False), servers.ports)
        proxy.start()
        servers.kill(0)
        return asyncio.run(timed_connects(proxy.url, count))


def real_pick_order(preset: str, weights: Sequence[float], picks: int, workdir: Path) -> List[int]:
    if not 1 <= picks <= MAX_PICKS:
        raise ValueError(f"testbed: picks must be 1..{MAX_PICKS} (got {picks})")
    with ProcessSet(Path(workdir)) as procs:
        servers = ServerFleet(procs, len(weights), max_lifetime_s=120.0)
        servers.start_all()
        proxy = Proxy(procs, ProxySpec(preset, list(weights)), servers.ports)
        proxy.start()
        return asyncio.run(_real_order(proxy.url, picks))


def preset_pick_order(preset: str, weights: Sequence[float], picks: int) -> List[int]:
    return list(wsfleet.LoadBalancer(preset, list(weights)).picks(picks))
