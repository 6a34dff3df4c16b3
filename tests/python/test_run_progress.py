"""wsfleet.run's progress: the engine's hook (wsfleet._core run_text/run_file `progress`), the bar
and the plain line (wsfleet._progress), the same results with and without it, and Ctrl-C."""
from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import pytest

import wsfleet
from wsfleet import _progress

from test_sweep import TINY

#: About 43,000 events (the hook is called every 2^14).
BUSY = {"clients.count": 20000, "fleet.servers": 20, "fleet.max_connections": 2000,
        "clients.messages_per_minute": 60, "run.duration_s": 120, "run.sample_interval_s": 5}


def test_the_hook_sees_the_simulated_time_and_changes_nothing() -> None:
    calls = []
    hooked = wsfleet.run(TINY, overrides=BUSY, progress=lambda sim_s, end_s, events: calls.append((sim_s, end_s, events)))
    plain = wsfleet.run(TINY, overrides=BUSY, progress=False)
    assert len(calls) >= 2
    assert [e for _, _, e in calls] == [(i + 1) << 14 for i in range(len(calls))]
    assert all(end == 120.0 for _, end, _ in calls)
    times = [t for t, _, _ in calls]
    assert times == sorted(times) and 0 < times[0] and times[-1] <= 120.0
    assert hooked.summary["events_processed"] >= calls[-1][2]
    # Bit for bit the same run.
    a, b = dict(hooked.summary), dict(plain.summary)
    a.pop("wall_seconds"), b.pop("wall_seconds")
    a.pop("events_per_second", None), b.pop("events_per_second", None)
    assert a == b
    pd.testing.assert_frame_equal(hooked.fleet, plain.fleet)
    pd.testing.assert_frame_equal(hooked.servers, plain.servers)


def test_ctrl_c_interrupts_a_run_in_progress() -> None:
    # The engine runs without the GIL; the hook lets Python see the SIGINT within ~1M events.
    long = dict(BUSY, **{"run.duration_s": 3000, "clients.count": 40000, "fleet.servers": 40})
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            wsfleet.run(TINY, overrides=long, progress=False)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - start
    assert elapsed < 5.0, f"the run went on for {elapsed:.1f} s after Ctrl-C"
    # The interpreter and the engine still work.
    assert wsfleet.run(TINY).summary["conservation"]["ok"]


def test_a_plain_line_off_a_terminal_and_a_bar_when_asked(monkeypatch, capsys) -> None:
    monkeypatch.setattr(_progress, "RUN_PROGRESS_DELAY_S", 0.0)
    monkeypatch.setattr(_progress, "RUN_PLAIN_EVERY_S", 0.0)
    monkeypatch.setattr(_progress, "interactive", lambda: False)
    wsfleet.run(TINY, overrides=BUSY)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("wsfleet run:")]
    assert len(lines) >= 2
    assert lines[0].startswith("wsfleet run: simulated ") and "/ 120 s" in lines[0] and "M events/s" in lines[0]
    wsfleet.run(TINY, overrides=BUSY, progress=True)  # a tqdm bar, even off a terminal
    err = capsys.readouterr().err
    assert "simulated s" in err and "100%" in err
    wsfleet.run(TINY, overrides=BUSY, progress=False)
    assert capsys.readouterr().err == ""


def test_short_runs_stay_quiet_and_bad_progress_is_refused(capsys) -> None:
    wsfleet.run(TINY)
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress must be True, False, None"):
        wsfleet.run(TINY, progress="yes")


def test_an_error_in_the_callback_stops_the_run() -> None:
    def boom(sim_s, end_s, events):
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        wsfleet.run(TINY, overrides=BUSY, progress=boom)
