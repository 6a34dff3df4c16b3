"""The local executor's worker processes (wsfleet._workers): outcomes, errors with their traceback,
a dead worker's tasks (the one it ran is charged, those waiting behind it are not), workers that exit
when the study is done, and workers dying at the worst moments: in the middle of writing an outcome
(half a message in the result pipe), and while running a task when the driver stops early with
kill_running=True (a replicated run that stops while replications it started to keep the workers
busy are still running). Neither may hang the driver, and no worker is left. The sweep and
replicated-run tests exercise them end to end."""
from __future__ import annotations

import time
from pathlib import Path

from wsfleet._executors import LocalExecutor, WorkerLost
from wsfleet._task import Task
from wsfleet._workers import RemoteTraceback

import sweep_helpers


def _task(point: int) -> Task:
    return Task(point=point, point_id=f"p{point}", replication=0, seed=1, scenario_text="", source="<test>",
                overrides=())


def _outcomes(executor: LocalExecutor, fn, points, **kw):
    return [o for o in executor.run(fn, [_task(p) for p in points], tick_s=0.05, **kw) if o is not None]


def test_every_task_is_answered_once_by_workers_that_exit_when_the_study_is_done() -> None:
    executor = LocalExecutor(workers=2)
    outcomes = _outcomes(executor, sweep_helpers.echo_or_die_on_point_1, range(2, 42))
    assert sorted(t.point for t, ok, _ in outcomes) == list(range(2, 42))
    assert all(ok and value["point"] == t.point for t, ok, value in outcomes)
    pids = {value["pid"] for _, _, value in outcomes}
    assert len(pids) == 2  # both workers ran tasks, and only two were started
    # Kept for another run() of the same executor (a precision round), then told to exit.
    again = _outcomes(executor, sweep_helpers.echo_or_die_on_point_1, [50, 51])
    assert {value["pid"] for _, _, value in again} <= pids
    executor.close()
    assert not sweep_helpers.still_alive(pids), "workers still running after close()"


def test_a_task_error_comes_back_with_its_traceback_and_is_not_retried() -> None:
    executor = LocalExecutor(workers=1)
    outcomes = _outcomes(executor, sweep_helpers.raise_on_point_1, [1, 2])
    executor.close()
    by_point = {t.point: (ok, value) for t, ok, value in outcomes}
    ok, error = by_point[1]
    assert not ok and isinstance(error, ArithmeticError) and str(error) == "point 1 cannot be computed"
    assert isinstance(error.__cause__, RemoteTraceback)
    assert "raise_on_point_1" in str(error.__cause__)  # where it was raised, in the worker
    assert by_point[2] == (True, {"point": 2})
    assert len(outcomes) == 2


def test_a_dead_worker_charges_the_task_it_ran_not_those_waiting_behind_it() -> None:
    """One worker, tasks queued behind the one it runs: point 1 kills it. With no retries, point 1
    alone is reported lost; the points that were waiting in the dead worker's pipe run in its
    replacement."""
    executor = LocalExecutor(workers=1)
    outcomes = _outcomes(executor, sweep_helpers.echo_or_die_on_point_1, [1, 2, 3, 4, 5], retries=0)
    executor.close()
    lost = [(t, value) for t, ok, value in outcomes if not ok]
    assert [t.point for t, _ in lost] == [1]
    assert isinstance(lost[0][1], WorkerLost) and "its worker died 1 time(s)" in str(lost[0][1])
    assert "the worker process exited with status 9" in str(lost[0][1])  # os._exit(9)
    assert sorted(t.point for t, ok, _ in outcomes if ok) == [2, 3, 4, 5]


def test_a_task_that_kills_every_worker_is_tried_retries_plus_one_times() -> None:
    executor = LocalExecutor(workers=2)
    outcomes = _outcomes(executor, sweep_helpers.echo_or_die_on_point_1, [1, 2, 3], retries=2)
    executor.close()
    [(task, value)] = [(t, v) for t, ok, v in outcomes if not ok]
    assert task.point == 1 and "its worker died 3 time(s)" in str(value)
    assert sorted(t.point for t, ok, _ in outcomes if ok) == [2, 3]


def test_a_worker_killed_while_writing_its_outcome_is_a_lost_worker_not_a_hang() -> None:
    executor = LocalExecutor(workers=1)
    start = time.monotonic()
    outcomes = [o for o in executor.run(sweep_helpers.half_an_outcome, [_task(1)], retries=1, tick_s=0.05)
                if o is not None]
    executor.close()
    assert time.monotonic() - start < 60
    [(task, ok, value)] = outcomes
    assert task.point == 1 and not ok and isinstance(value, WorkerLost)
    assert "its worker died 2 time(s)" in str(value)  # tried, then tried once more


def test_stopping_early_with_kill_running_ends_the_running_workers() -> None:
    executor = LocalExecutor(workers=2)
    outcomes = executor.run(sweep_helpers.hang_on_point_1, [_task(1), _task(1)], tick_s=0.05, kill_running=True)
    deadline = time.monotonic() + 30
    busy = []
    while len(busy) < 2:  # both workers have started and run their task
        assert next(outcomes) is None  # a tick: nothing finished
        busy = outcomes.gi_frame.f_locals["busy"]
        assert time.monotonic() < deadline
    pids = [w.process.pid for w in busy]
    assert all(sweep_helpers.alive(p) for p in pids)
    outcomes.close()  # the consumer stops: the interrupted path kills the running workers
    assert not [p for p in pids if sweep_helpers.alive(p)], "workers left running"
    executor.close()


def test_a_lost_task_says_how_its_worker_ended() -> None:
    executor = LocalExecutor(workers=1)
    outcomes = _outcomes(executor, sweep_helpers.sigkill_on_point_1, [1, 2], retries=0)
    executor.close()
    [(task, value)] = [(t, v) for t, ok, v in outcomes if not ok]
    assert task.point == 1
    assert "the worker process was killed (SIGKILL: by hand, or by the kernel when memory ran out)" in str(value)


def test_a_busy_worker_is_handed_only_a_task_its_pipe_holds() -> None:
    """A task waiting in a busy worker's pipe must fit in the pipe's buffer: writing more would wait
    for the worker, which may be waiting for the driver to read its outcome (a deadlock)."""
    from wsfleet._workers import Worker, readable

    worker = Worker()
    try:
        assert worker._room >= 64 * 1024  # the buffer asked for (1 MiB on Linux by default)
        assert worker.send(sweep_helpers.echo_or_die_on_point_1, _task(2))  # idle: always handed
        worker._room = 100  # as a pipe of 100 bytes would be
        assert not worker.send(sweep_helpers.echo_or_die_on_point_1, _task(3))
        assert [t.point for t in worker.tasks] == [2]
        assert readable([worker], 30) == [worker]
        assert worker.receive()[1]["point"] == 2
        assert worker.send(sweep_helpers.echo_or_die_on_point_1, _task(4))  # idle again
        assert readable([worker], 30) == [worker] and worker.receive()[1]["point"] == 4
    finally:
        worker.kill()


def test_an_executor_never_closed_still_has_its_workers_end_quietly_at_exit() -> None:
    import os
    import subprocess
    import sys

    code = ("import sweep_helpers\n"
            "from wsfleet._executors import LocalExecutor\n"
            "from wsfleet._task import Task\n"
            "ex = LocalExecutor(2)\n"
            "tasks = [Task(point=p, point_id=f'p{p}', replication=0, seed=1, scenario_text='', source='<t>',"
            " overrides=()) for p in (2, 3, 4)]\n"
            "outcomes = [o for o in ex.run(sweep_helpers.echo_or_die_on_point_1, tasks) if o]\n"
            "print(sorted(o[2]['pid'] for o in outcomes)[0], sorted(o[2]['pid'] for o in outcomes)[-1])\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-W", "error::ResourceWarning", "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert not sweep_helpers.still_alive(pids)
