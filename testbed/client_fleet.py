"""Thousands of real WebSocket clients (Python `websockets` on asyncio) in one process. Each connects
through the proxy, learns its server from the upgrade response's X-Server header, sends messages and
pings on its own timers, and after a loss or a failed attempt waits the delay that wsfleet's own
backoff code (wsfleet.BackoffPolicy, the C++ policy) gives it."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Callable, Dict, List, Optional

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

import wsfleet

from testbed.recorder import Recorder

MAX_RETRIES_PER_EPISODE = 256


class ClientFleet:
    def __init__(self, url: str, count: int, recorder: Recorder, *, backoff: str, backoff_params: Dict[str, float],
                 ramp_s: float, end_s: float, connect_timeout_s: float, heartbeat_interval_s: float,
                 heartbeat_timeout_s: float, messages_per_minute: float, message_bytes: int, seed: int,
                 clock: Callable[[], float]):
        self.url = url
        self.count = count
        self.rec = recorder
        self.policy = wsfleet.BackoffPolicy(backoff, backoff_params)
        self.end_s = end_s
        self.connect_timeout_s = connect_timeout_s
        self.heartbeat_interval_s = heartbeat_interval_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.messages_per_minute = messages_per_minute
        self.payload_bytes = max(16, message_bytes)
        self.seed = seed
        self.now = clock
        rng = random.Random(seed)
        # First connection times: uniform over the ramp, as wsfleet draws them.
        self.start_at = sorted(rng.uniform(0.0, ramp_s) for _ in range(count)) if ramp_s > 0 else [0.0] * count
        self.stopping = asyncio.Event()
        self.gave_up = 0
        self._sockets: Dict[int, object] = {}

    def _delays(self, client: int, episode: int, after: str) -> List[float]:
        seq_seed = (self.seed * 1_000_003 + client * 7_919 + episode) & 0xFFFFFFFF
        return [d / 1000.0 for d in self.policy.sequence_ms(MAX_RETRIES_PER_EPISODE, seed=seq_seed, after=after)]

    async def _sleep_until_stop(self, delay_s: float) -> bool:
        """Sleeps delay_s; True if the run is stopping."""
        try:
            async with asyncio.timeout(max(0.0, delay_s)):
                await self.stopping.wait()
            return True
        except TimeoutError:
            return self.stopping.is_set()

    async def _hold(self, i: int, ws, rng: random.Random) -> bool:
        """Keeps the connection: messages and heartbeats until it closes or the run stops. True if the
        peer (server or proxy) ended it."""

        async def reader():
            async for msg in ws:
                try:
                    sent = float(str(msg).split(" ", 1)[0])
                except ValueError:
                    continue
                t = self.now()
                self.rec.message(t, (t - sent) * 1000.0)

        async def writer():
            rate_s = self.messages_per_minute / 60.0
            if rate_s <= 0:
                await self.stopping.wait()
                return
            while True:
                await asyncio.sleep(rng.expovariate(rate_s))
                t = self.now()
                await ws.send(f"{t:.6f} ".ljust(self.payload_bytes, "x"))

        async def heartbeat():
            if self.heartbeat_interval_s <= 0:
                await self.stopping.wait()
                return
            await asyncio.sleep(rng.uniform(0, self.heartbeat_interval_s))
            while True:
                waiter = await ws.ping()
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a cancellation that
                # races with the pong, and the heartbeat would then outlive the run.
                async with asyncio.timeout(self.heartbeat_timeout_s):
                    await waiter
                await asyncio.sleep(self.heartbeat_interval_s)

        tasks = [asyncio.create_task(f()) for f in (reader, writer, heartbeat)]
        stop = asyncio.create_task(self.stopping.wait())
        done, _ = await asyncio.wait(tasks + [stop], return_when=asyncio.FIRST_COMPLETED)
        for t in tasks + [stop]:
            t.cancel()
        await asyncio.wait(tasks + [stop], timeout=5.0)
        return stop not in done

    async def _client(self, i: int) -> None:
        rng = random.Random((self.seed << 20) ^ i)
        if await self._sleep_until_stop(self.start_at[i]):
            return
        delays: Optional[List[float]] = None
        index = 0
        episode = 0
        retry = False
        while not self.stopping.is_set():
            t0 = self.now()
            self.rec.attempt(t0, retry)
            ws = None
            cause = None
            try:
                async with asyncio.timeout(self.connect_timeout_s):
                    ws = await connect(self.url, proxy=None, compression=None, open_timeout=None,
                                       ping_interval=None, ping_timeout=None, close_timeout=1,
                                       user_agent_header=None)
            except InvalidStatus as e:
                cause = f"http_{e.response.status_code}"
            except asyncio.TimeoutError:
                cause = "failed_timeout"
            except (OSError, WebSocketException, EOFError):
                cause = "failed_other"
            t1 = self.now()
            if ws is not None:
                server = int(ws.response.headers.get("X-Server", "-1"))
                if server < 0:
                    await ws.close()
                    raise RuntimeError("testbed: a server answered without X-Server")
                self.rec.established(t1, server, (t1 - t0) * 1000.0)
                self._sockets[i] = ws
                lost = await self._hold(i, ws, rng)
                self._sockets.pop(i, None)
                t2 = self.now()
                self.rec.closed(t2, server, dropped=lost)
                if not lost:
                    ws.transport.abort()
                    return
                ws.transport.abort()
                episode += 1
                delays, index = self._delays(i, episode, "loss"), 0
            else:
                self.rec.refused(t1, cause)
                if delays is None:
                    episode += 1
                    delays, index = self._delays(i, episode, "failure"), 0
            if index >= len(delays):
                self.gave_up += 1
                return
            delay = delays[index]
            index += 1
            retry = True
            self.rec.waiting_now += 1
            stop = await self._sleep_until_stop(delay)
            self.rec.waiting_now -= 1
            if stop:
                return

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._client(i)) for i in range(self.count)]
        await asyncio.gather(*tasks, return_exceptions=False)

    def stop(self) -> None:
        self.stopping.set()
