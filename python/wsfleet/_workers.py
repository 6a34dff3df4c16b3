"""Worker processes on this machine, each fed over its own pair of pipes (the local executor's).

A worker is a fresh Python (`python -c`) given the driver's module search path, which imports
wsfleet's worker loop and nothing of the script or notebook that started the study: no
`if __name__ == "__main__":` guard is needed, and a script that imports pandas or builds data at
its top level does not do so again in every worker. It reads one task at a time (the task function
and its argument, pickled, after an 8-byte length) from its task pipe, runs it, and writes the
outcome (ok, value, the traceback's text when it raised) to its result pipe. The driver hands a
worker its next task as soon as its outcome is read, or before (one waiting in its pipe), and waits
on the result pipes itself: no threads, no shared queue, and a worker that dies (killed, out of
memory, a time limit) is seen as the end of its result pipe, with the task it was running known.

An end of file on its task pipe tells a worker to exit; it also dies with the driver (Linux
PR_SET_PDEATHSIG), even when the driver is killed with SIGKILL, and ignores Ctrl-C, which the
terminal sends to the whole process group: the driver handles it.
"""
from __future__ import annotations

import atexit
import os
import pickle
import select
import signal
import struct
import sys
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    import subprocess

__all__ = ["Worker", "serve", "readable", "reap"]

_HEADER = struct.Struct("!Q")  # a message's length, then the pickled message
#: The buffer asked for each pipe (Linux's default limit for an unprivileged process, 1 MiB).
PIPE_BYTES = 1 << 20

#: Workers told to exit, not yet waited for: reaped when the next worker starts, or when a study ends.
_exiting: List["subprocess.Popen"] = []
_at_exit = False  # _reap_at_exit registered
#: Workers not yet told to exit (an executor never closed still has its workers ended at exit).
_live: "weakref.WeakSet[Worker]" = weakref.WeakSet()


class RemoteTraceback(Exception):
    """The traceback of a task that raised in its worker, as the exception's cause."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


def _interpreter_flags() -> List[str]:
    """The driver's interpreter options (-O, -X dev, -W ...), as multiprocessing passes them on."""
    import subprocess

    try:
        return list(subprocess._args_from_interpreter_flags())  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - a Python without the helper multiprocessing uses
        return []


class Worker:
    """One worker process and the driver's ends of its two pipes."""

    def __init__(self) -> None:
        import subprocess  # the driver's (a worker does not load it)

        global _at_exit
        if not _at_exit:
            atexit.register(_reap_at_exit)
            _at_exit = True
        reap()
        self._task_write = self._result_read = -1  # (closed: see __del__)
        task_read, self._task_write = os.pipe()
        self._result_read, result_write = os.pipe()
        boot = (f"import sys; sys.path[:] = {list(sys.path)!r}; from wsfleet._workers import serve; "
                f"serve({task_read}, {result_write}, {os.getpid()})")
        try:
            self.process = subprocess.Popen([sys.executable, *_interpreter_flags(), "-c", boot],
                                            pass_fds=(task_read, result_write), stdin=subprocess.DEVNULL)
        except BaseException:
            self._close()
            raise
        finally:
            os.close(task_read)
            os.close(result_write)
        self._room = _enlarge(self._task_write)
        _enlarge(self._result_read)
        # The tasks handed to it and not answered yet, in order: the first is the one it runs (or is
        # about to), the others wait in its task pipe.
        self.tasks: Deque[Any] = deque()
        _live.add(self)

    def fileno(self) -> int:
        return self._result_read

    def send(self, fn: Callable[[Any], Any], task: Any) -> bool:
        """Hands the worker `task`, run after those it has. A worker that has died (while idle, or at
        its start) is seen as the end of its result pipe, as one that dies running a task is.

        To a busy worker only a task that fits in its task pipe's buffer is handed (False otherwise,
        and nothing is sent): writing more would wait for the worker to read it, while the worker,
        done with its task, may be waiting for the driver to read its outcome."""
        data = pickle.dumps((fn, task), pickle.HIGHEST_PROTOCOL)
        if self.tasks and len(data) + _HEADER.size > self._room:
            return False
        self.tasks.append(task)
        try:
            _write_all(self._task_write, _HEADER.pack(len(data)) + data)
        except OSError:  # EPIPE: the worker is gone
            pass
        return True

    def receive(self) -> Optional[Tuple[bool, Any]]:
        """The outcome of its first task (ok, value), which leaves self.tasks: (False, the exception)
        when the task raised; None when the worker died before its whole outcome was written (the
        first task is the one it was running). Blocks until it is complete; call it when the result
        pipe is readable."""
        header = _read_exactly(self._result_read, _HEADER.size)
        data = _read_exactly(self._result_read, _HEADER.unpack(header)[0]) if header is not None else None
        if data is None:
            return None
        self.tasks.popleft()
        try:
            ok, value, trace = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - an outcome this process cannot rebuild
            return False, RuntimeError(f"the worker's result could not be read here: {type(exc).__name__}: {exc}")
        if trace:
            value.__cause__ = RemoteTraceback(trace)
        return ok, value

    def __del__(self) -> None:  # a worker dropped without stop() or kill() still exits
        if self._task_write >= 0:
            try:
                self.stop()
            except Exception:  # noqa: BLE001 - at the interpreter's exit, modules may be gone already
                pass

    def stop(self) -> None:
        """Tells the worker to exit once its running task is done (an end of file on its task pipe);
        the outcome it then writes finds its result pipe closed, and it exits without running the
        tasks still waiting in its task pipe. Not waited for: reaped later (reap())."""
        self._close()
        if self.process.poll() is None:
            _exiting.append(self.process)

    def ended(self) -> int:
        """After its result pipe ended: the worker's exit status (negative: the signal that ended
        it), waited for; a worker still there seconds later (it cannot be: the pipe ends when it
        exits) is killed."""
        import subprocess

        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - see above
            self.process.kill()
            self.process.wait()
        self._close()
        return self.process.returncode

    def kill(self) -> None:
        """Ends the worker now and waits for it (no half-written outcome is read)."""
        self.process.kill()
        self.process.wait()
        self._close()

    def _close(self) -> None:
        for fd in (self._task_write, self._result_read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._task_write = self._result_read = -1


def _enlarge(fd: int) -> int:
    """Asks for a PIPE_BYTES buffer on the pipe of `fd` (Linux); returns the pipe's buffer size."""
    try:
        import fcntl

        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:  # above this system's limit (fs.pipe-max-size): the pipe keeps its own
            pass
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except (ImportError, AttributeError, OSError):  # not Linux
        return 4096  # what any pipe holds at the least (POSIX PIPE_BUF)


def readable(workers: Sequence[Worker], timeout_s: Optional[float]) -> List[Worker]:
    """The workers among `workers` whose result pipe has something (an outcome, or its end: the
    worker died), waiting up to timeout_s (None: until one has)."""
    poller = select.poll()
    by_fd = {}
    for worker in workers:
        by_fd[worker.fileno()] = worker
        poller.register(worker.fileno(), select.POLLIN)
    events = poller.poll(None if timeout_s is None else max(0, int(timeout_s * 1000)))
    return [by_fd[fd] for fd, _ in events]


def reap() -> None:
    """Waits for the workers told to exit that have exited (no zombie processes left behind)."""
    _exiting[:] = [p for p in _exiting if p.poll() is None]


def _reap_at_exit() -> None:
    """At the driver's exit: every worker is told to exit (those of an executor never closed too)
    and waited for (they are ending), and killed if one is not gone within seconds."""
    for worker in list(_live):
        if worker._task_write >= 0:
            worker.stop()
    for process in _exiting:
        try:
            process.wait(timeout=5)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired: it ends with this process anyway
            process.kill()
            process.wait()
    _exiting.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, n: int) -> Optional[bytes]:
    """n bytes from fd, or None at an end of file before them."""
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _die_with_parent(parent_pid: int) -> None:
    """The kernel kills this worker when the driver dies, even by kill -9 (which runs no cleanup),
    instead of leaving it blocked forever on a pipe nobody writes (Linux PR_SET_PDEATHSIG;
    elsewhere a no-op). Ctrl-C is ignored: the driver handles it (saves what is done, ends the
    workers), and a worker would only print a KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the driver died before prctl took effect
        os._exit(1)


def serve(task_fd: int, result_fd: int, parent_pid: int) -> None:
    """A worker's life: tasks in, outcomes out, until the driver closes the task pipe."""
    _die_with_parent(parent_pid)
    while True:
        header = _read_exactly(task_fd, _HEADER.size)
        data = _read_exactly(task_fd, _HEADER.unpack(header)[0]) if header is not None else None
        if data is None:
            _exit()  # the driver is done with this worker
        try:
            fn, task = pickle.loads(data)
            outcome = (True, fn(task), "")
        except BaseException as exc:  # noqa: BLE001 - the task's own error goes to the driver
            import traceback

            outcome = (False, exc, "".join(traceback.format_exception(exc)))
        try:
            reply = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
            reply = pickle.dumps((False, RuntimeError(f"the task's outcome could not be sent to the driver: "
                                                      f"{type(exc).__name__}: {exc}"), ""), pickle.HIGHEST_PROTOCOL)
        try:
            _write_all(result_fd, _HEADER.pack(len(reply)) + reply)
        except OSError:  # the driver stopped reading (interrupted): nothing to report to
            _exit()


def _exit() -> None:
    """Ends the worker at once, its output flushed: nothing else of its state is worth the
    interpreter's teardown (some 10 ms of CPU, taken from the driver assembling its table)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)
