"""Where sweep tasks run: worker processes on this machine, or a Dask distributed cluster.

Both executors yield (task, ok, value) as tasks finish, in completion order: value is the task's
result, or the exception it raised. The local executor also yields None every tick_s seconds
without an outcome when asked to (`ticks` is True), so that its caller can commit what it gathered
on time (wsfleet._store's group commits). An exception raised by the task itself (a conservation check
failing, say) is deterministic and is not retried. A worker that dies (killed, out of memory,
crashed) takes its task with it; it is run again, and a task that kills its worker more than
`retries` times is reported as WorkerLost while every other task completes.

Instead of a list, every executor (local, serial, Dask) also takes a feed (an object with take(room) ->
list of tasks): it is asked for more tasks whenever there is room, after each outcome has been handed
to the caller, so the caller decides what runs next from what has finished (a replicated run's
sequential stopping rule, wsfleet._replicated). Closing the generator early (the caller stops, or
Ctrl-C) cancels what is queued; with kill_running=True the runs still going in the workers are
killed too instead of being left to finish.

Local execution uses worker processes of this package's own (wsfleet._workers): each a fresh
Python fed tasks over its own pipes, which imports nothing of the script that started the study. No scheduler to start, no ports opened, no threads, and the one task a dead worker was
running is known: that task is charged a try and the worker replaced. Dask is used only when the
user points at a cluster (a scheduler address or a dask.distributed.Client); its scheduler already
reassigns the tasks of a lost worker and raises KilledWorker only for a task that kept killing
workers.
"""
from __future__ import annotations

import functools
import math
import os
import signal
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, Optional, Tuple

from wsfleet._task import Task
from wsfleet._workers import Worker, readable, reap

__all__ = ["WorkerLost", "LocalExecutor", "SerialExecutor", "DaskExecutor", "make_executor"]

Outcome = Tuple[Task, bool, Any]
TaskFn = Callable[[Task], Any]


class WorkerLost(RuntimeError):
    """A task's worker died every time it was tried."""


def _lost(task: Task, tries: int, why: str) -> WorkerLost:
    return WorkerLost(f"point {task.point} replication {task.replication}: its worker died {tries} time(s) "
                      f"({why}); giving up on it")


def time_limited(fn: TaskFn, timeout_s: float, task: Task) -> Any:
    """Runs fn(task) in a worker process that the kernel ends (SIGALRM, default action) if the task
    takes longer than timeout_s: the engine runs without the GIL, so nothing in Python could stop
    it. The executor then sees a dead worker, and the task is retried and finally reported."""
    signal.alarm(max(1, math.ceil(timeout_s)))
    try:
        return fn(task)
    finally:
        signal.alarm(0)


def _guard(fn: TaskFn, timeout_s: Optional[float]) -> TaskFn:
    return fn if timeout_s is None else functools.partial(time_limited, fn, timeout_s)


def _why(timeout_s: Optional[float]) -> str:
    limit = f", or the run took longer than the {timeout_s:g} s time limit" if timeout_s is not None else ""
    return f"the worker process exited abruptly: killed, out of memory{limit}"


def _why_exited(status: int, timeout_s: Optional[float]) -> str:
    """Why a local worker died, from its exit status (negative: the signal that ended it)."""
    if status < 0:
        if -status == signal.SIGALRM and timeout_s is not None:
            return f"the run took longer than the {timeout_s:g} s time limit"
        if -status == signal.SIGKILL:
            return "the worker process was killed (SIGKILL: by hand, or by the kernel when memory ran out)"
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"the worker process was killed by {name}"
    return f"the worker process exited with status {status} (what it printed, if anything, is above)"


class SerialExecutor:
    """Runs tasks one after the other in this process (workers=0): for debugging and tiny studies."""

    name = "serial"
    workers = 0
    ticks = False  # a run in this process cannot be interrupted to tick

    def run(self, fn: TaskFn, tasks: Iterable[Task], retries: int = 3) -> Iterator[Outcome]:
        for task in _feed_iter(tasks):
            try:
                yield task, True, fn(task)
            except Exception as exc:  # noqa: BLE001 - reported to the caller with its task
                yield task, False, exc

    def close(self) -> None:
        pass


def _is_feed(tasks: Any) -> bool:
    """A feed hands out tasks as the caller allows them (take(room) -> list), instead of all at once."""
    return hasattr(tasks, "take")


def _feed_iter(tasks: Any) -> Iterator[Task]:
    """The tasks one by one; a feed is asked for the next only once the previous outcome is handed out."""
    if not _is_feed(tasks):
        yield from tasks
        return
    while True:
        batch = tasks.take(1)
        if not batch:
            return
        yield from batch


class LocalExecutor:
    """Worker processes on this machine (wsfleet._workers), each running one task at a time, with
    a second waiting in its pipe while more tasks wait than there are workers."""

    name = "local"
    ticks = True

    def __init__(self, workers: Optional[int] = None, timeout_s: Optional[float] = None) -> None:
        self.timeout_s = timeout_s
        if workers is None:
            workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if workers < 1:
            raise ValueError(f"workers must be >= 1 (got {workers})")
        self.workers = workers
        self._idle: List[Worker] = []  # started and waiting for a task; kept between run() calls until close()

    def run(self, fn: TaskFn, tasks: Iterable[Task], retries: int = 3,
            tick_s: Optional[float] = None, kill_running: bool = False) -> Iterator[Optional[Outcome]]:
        fn = _guard(fn, self.timeout_s)
        feed = tasks if _is_feed(tasks) else None
        pending: Deque[Task] = deque() if feed is not None else deque(tasks)
        tries: Dict[Tuple[str, int], int] = {}
        idle, busy = self._idle, []  # busy: the workers with tasks (worker.tasks)
        finished = False
        limit = 2 * self.workers  # tasks handed out and waiting here; an interrupt drops those waiting

        def handed() -> int:
            return sum(len(w.tasks) for w in busy)

        def refill() -> None:
            if feed is not None:
                room = limit - handed() - len(pending)
                if room > 0:
                    pending.extend(feed.take(room))

        def dispatch() -> None:
            """Hands waiting tasks to idle workers, starting workers up to self.workers; then, while
            more tasks wait than there are workers, one more to each busy worker, run as soon as it
            is done with the one it runs (not after the driver has gathered and committed its
            outcome). Near the end, tasks wait here for the first worker free instead."""
            while pending and (idle or len(busy) < self.workers):
                worker = idle.pop() if idle else Worker()
                worker.send(fn, pending.popleft())
                busy.append(worker)
            for worker in busy:
                if len(pending) <= self.workers:
                    break
                if len(worker.tasks) < 2 and worker.send(fn, pending[0]):
                    pending.popleft()

        try:
            refill()
            while pending or busy:
                dispatch()
                ready = readable(busy, tick_s)
                if not ready:
                    yield None  # a tick: nothing finished within tick_s
                    refill()
                    continue
                for worker in ready:
                    task = worker.tasks[0]
                    outcome = worker.receive()
                    if outcome is None:  # the worker died running `task`; the others never started
                        busy.remove(worker)
                        status = worker.ended()
                        pending.extendleft(reversed(list(worker.tasks)[1:]))
                        tries[task.key] = tries.get(task.key, 0) + 1
                        if tries[task.key] > retries:
                            yield task, False, _lost(task, tries[task.key], _why_exited(status, self.timeout_s))
                        else:
                            pending.appendleft(task)
                        continue
                    if not worker.tasks:
                        busy.remove(worker)
                        idle.append(worker)
                    dispatch()  # its next task before this outcome is handed out
                    yield (task, *outcome)
                refill()
            finished = True
        finally:
            if not finished:  # interrupted: drop what is waiting; end or abandon what runs
                for worker in busy:
                    if kill_running:
                        worker.kill()
                    else:
                        worker.stop()  # it finishes its run, then exits; the outcome is dropped
                busy.clear()

    def close(self) -> None:
        # Every task has finished: the workers are told to exit and do so while the study assembles
        # its table (waiting for them cost 0.1-0.2 s at the end of every sweep).
        for worker in self._idle:
            worker.stop()
        self._idle.clear()
        reap()


class DaskExecutor:
    """A Dask distributed cluster, given by its scheduler address or a connected Client."""

    name = "dask"
    ticks = False

    def __init__(self, scheduler: Any, timeout_s: Optional[float] = None) -> None:
        from dask.distributed import Client

        self.timeout_s = timeout_s
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        elif isinstance(scheduler, str):
            self.client, self._own = Client(scheduler), True
        else:
            raise TypeError(f"scheduler must be an address such as 'tcp://host:8786' or a "
                            f"dask.distributed.Client (got {type(scheduler).__name__})")
        info = self.client.scheduler_info()
        self.workers = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())

    def run(self, fn: TaskFn, tasks: Iterable[Task], retries: int = 3) -> Iterator[Outcome]:
        from dask.distributed import as_completed
        from distributed.scheduler import KilledWorker

        import uuid  # here, not at a local worker's start (it loads platform)

        fn = _guard(fn, self.timeout_s)
        run_id = uuid.uuid4().hex[:8]
        tries: Dict[Tuple[str, int], int] = {}
        outstanding: Dict[str, Tuple[Any, Task]] = {}  # Dask key -> (future, task)

        def submit(task: Task) -> Any:
            key = f"wsfleet-{run_id}-{task.point_id}-r{task.replication}-t{tries.get(task.key, 0)}"
            future = self.client.submit(fn, task, key=key, pure=False)
            outstanding[future.key] = (future, task)
            return future

        # A feed (a replicated run) is asked for more after each outcome is handed out, so that what
        # runs next follows what has finished; a few per worker are kept in flight, as locally.
        feed = tasks if _is_feed(tasks) else None
        limit = 2 * max(self.workers, 1)
        futures = as_completed([submit(t) for t in (feed.take(limit) if feed is not None else tasks)])
        try:
            for future in futures:
                _, task = outstanding.pop(future.key)
                try:
                    result = future.result()
                except KilledWorker as exc:
                    tries[task.key] = tries.get(task.key, 0) + 1
                    if tries[task.key] > retries:
                        yield task, False, _lost(task, tries[task.key], str(exc).splitlines()[0]
                                                 + (f" ({_why(self.timeout_s)})" if self.timeout_s else ""))
                    else:
                        futures.add(submit(task))
                except Exception as exc:  # noqa: BLE001 - the task's own error
                    yield task, False, exc
                else:
                    yield task, True, result
                finally:
                    future.release()
                if feed is not None:
                    for more in feed.take(limit - len(outstanding)):
                        futures.add(submit(more))
        finally:
            if outstanding:  # interrupted: stop what has not run yet
                self.client.cancel([f for f, _ in outstanding.values()])

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_executor(workers: Optional[int] = None, scheduler: Any = None, timeout_s: Optional[float] = None):
    """The executor for `workers` (None: one per core; 0: in this process) or a Dask `scheduler`.
    timeout_s: the longest one run may take (worker processes only: not with workers=0)."""
    if timeout_s is not None and (not math.isfinite(timeout_s) or timeout_s <= 0):
        raise ValueError(f"timeout must be a number of seconds > 0 (got {timeout_s!r})")
    if scheduler is not None:
        return DaskExecutor(scheduler, timeout_s)
    if workers == 0:
        if timeout_s is not None:
            raise ValueError("a time limit needs worker processes (workers >= 1 or a Dask scheduler), "
                             "not workers=0")
        return SerialExecutor()
    return LocalExecutor(workers, timeout_s)
