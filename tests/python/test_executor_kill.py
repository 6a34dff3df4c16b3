"""The local executor's interrupted path with kill_running=True (a replicated run that stops while
replications it started to keep the workers busy are still running): the workers are killed, and
the pool's manager thread must end even when a killed worker left half a result in the result pipe.
Before the fix it waited for the rest of that message for ever, and the interpreter with it at exit
(a `make test` that printed its summary and never returned)."""
from __future__ import annotations

import os
import struct
import time

from wsfleet._executors import LocalExecutor
from wsfleet._task import Task

import sweep_helpers


def test_killed_workers_with_half_a_result_in_the_pipe_do_not_hang_the_pool() -> None:
    executor = LocalExecutor(workers=1)
    task = Task(point=1, point_id="p1", replication=0, seed=1, scenario_text="", source="<test>", overrides=())
    outcomes = executor.run(sweep_helpers.hang_on_point_1, [task], tick_s=0.05, kill_running=True)
    deadline = time.monotonic() + 30
    pool = None
    while pool is None or not pool._processes:  # the worker has started and runs the task
        assert next(outcomes) is None  # a tick: nothing finished
        pool = outcomes.gi_frame.f_locals["pool"]
        assert time.monotonic() < deadline
    manager = pool._executor_manager_thread
    # What a worker killed in the middle of writing its result leaves: a length header announcing
    # 1,000 bytes, and 3 of them.
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1000) + b"abc")
    outcomes.close()  # the consumer stops: the interrupted path kills the running worker
    manager.join(10)
    assert not manager.is_alive(), "the pool's manager thread still waits for the rest of a killed worker's result"
    executor.close()
