"""Child processes that cannot outlive the testbed: each runs in its own session (process group), is
remembered by PID, and is killed (SIGKILL to its group, by that PID) when its ProcessSet closes, on any
exception, and at interpreter exit."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

_LIVE: Dict[int, subprocess.Popen] = {}


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group whose leader is `proc` (it was started with start_new_session=True, so
    its group id is its PID), then reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process is reaped at once
        pass
    _LIVE.pop(proc.pid, None)


@atexit.register
def _kill_all_at_exit() -> None:
    for proc in list(_LIVE.values()):
        _kill_group(proc)


class ProcessSet:
    """The processes of one testbed run. Use as a context manager: leaving it kills every process still
    running, whatever happened inside."""

    def __init__(self, workdir: Path):
        # Absolute: the children run in this directory, and the paths in their configs must still hold.
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._procs: Dict[str, subprocess.Popen] = {}
        self._held: Dict[int, socket.socket] = {}

    def __enter__(self) -> "ProcessSet":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for name in list(self._procs):
            self.kill(name)
        for port in list(self._held):
            self.release_port(port)

    def hold_port(self, port: int) -> None:
        """Keeps a dead server's loopback port: bound but not listening, it refuses connections as the
        dead process did, and no other program (another test on a busy machine picking a free port)
        can take it and answer in its place. Nothing happens if the port is still in use."""
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            return
        self._held[port] = s

    def release_port(self, port: int) -> None:
        """Frees a port hold_port kept (before a server starts on it again)."""
        held = self._held.pop(port, None)
        if held is not None:
            held.close()

    def start(self, name: str, argv: Sequence[str], env: Optional[Dict[str, str]] = None,
              ready_line: bool = False, timeout_s: float = 10.0) -> dict:
        """Starts `argv` as `name` (stdout/stderr to WORKDIR/NAME.log unless ready_line, in which case the
        first stdout line must be a JSON object and is returned). Raises RuntimeError if it exits or is
        not ready within timeout_s."""
        if name in self._procs and self._procs[name].poll() is None:
            raise RuntimeError(f"testbed: {name} is already running (pid {self._procs[name].pid})")
        log = open(self.workdir / f"{name}.log", "ab")
        full_env = dict(os.environ, **(env or {}))
        proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE if ready_line else log, stderr=log,
                                stdin=subprocess.DEVNULL, env=full_env, start_new_session=True,
                                cwd=self.workdir)
        log.close()
        self._procs[name] = proc
        _LIVE[proc.pid] = proc
        if not ready_line:
            return {}
        deadline = time.monotonic() + timeout_s
        assert proc.stdout is not None
        poller = select.poll()  # not select(): this process may hold more than 1024 descriptors
        poller.register(proc.stdout, select.POLLIN | select.POLLHUP)
        while time.monotonic() < deadline:
            if poller.poll(max(0, int((deadline - time.monotonic()) * 1000))):
                line = proc.stdout.readline()
                if line:
                    return json.loads(line)
                break
        self.kill(name)
        raise RuntimeError(f"testbed: {name} did not start within {timeout_s} s "
                           f"(see {self.workdir / (name + '.log')}): {' '.join(argv)}")

    def pid(self, name: str) -> int:
        return self._procs[name].pid

    def running(self, name: str) -> bool:
        proc = self._procs.get(name)
        return proc is not None and proc.poll() is None

    def kill(self, name: str) -> None:
        """SIGKILL `name` (and anything it started) by its PID; a no-op if it already exited."""
        proc = self._procs.pop(name, None)
        if proc is not None:
            _kill_group(proc)
            if proc.stdout is not None:
                proc.stdout.close()

    def names(self) -> List[str]:
        return list(self._procs)
