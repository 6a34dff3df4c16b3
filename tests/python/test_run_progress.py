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

#: About 0.4 s of wall time on a quiet machine (the hook reaches Python every 50 ms; 20,000 clients
#: took 0.09 s, too few hooks to tell).
BUSY = {"clients.count": 100000, "fleet.servers": 100, "fleet.max_connections": 2000,
        "clients.messages_per_minute": 60, "run.duration_s": 300, "run.sample_interval_s": 5}


def test_the_hook_sees_the_simulated_time_and_changes_nothing() -> None:
    calls = []
    hooked = wsfleet.run(TINY, overrides=BUSY, progress=lambda sim_s, end_s, events: calls.append((sim_s, end_s, events)))
    plain = wsfleet.run(TINY, overrides=BUSY, progress=False)
    assert len(calls) >= 2
    events = [e for _, _, e in calls]
    assert all(e % 256 == 0 for e in events) and events == sorted(set(events))
    assert all(end == 300.0 for _, end, _ in calls)
    times = [t for t, _, _ in calls]
    assert times == sorted(times) and 0 < times[0] and times[-1] <= 300.0
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
    assert elapsed < 2.0, f"the run went on for {elapsed - 0.5:.1f} s after Ctrl-C (it takes about 15 s)"
    # The interpreter and the engine still work.
    assert wsfleet.run(TINY).summary["conservation"]["ok"]


def test_a_plain_line_off_a_terminal_and_a_bar_when_asked(monkeypatch, capsys) -> None:
    monkeypatch.setattr(_progress, "RUN_PROGRESS_DELAY_S", 0.0)
    monkeypatch.setattr(_progress, "RUN_PLAIN_EVERY_S", 0.0)
    monkeypatch.setattr(_progress, "interactive", lambda: False)
    wsfleet.run(TINY, overrides=BUSY)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("wsfleet run:")]
    assert len(lines) >= 2
    assert lines[0].startswith("wsfleet run: simulated ") and "/ 300 s" in lines[0] and "M events/s" in lines[0]
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


def test_in_a_notebook_kernel_a_bar_shows_and_the_interrupt_stops_the_run(tmp_path, monkeypatch) -> None:
    """A real Jupyter kernel (this interpreter): a run shows its bar in the cell's output, and the
    kernel's interrupt (the notebook's stop button: SIGINT to the kernel) ends a long run at once."""
    jupyter_client = pytest.importorskip("jupyter_client")
    pytest.importorskip("ipykernel")
    import sys

    from ipykernel.kernelspec import write_kernel_spec

    write_kernel_spec(path=str(tmp_path / "jupyter" / "kernels" / "wsfleet-progress"),
                      overrides={"display_name": "wsfleet tests", "argv": [
                          sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]})
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    km = jupyter_client.KernelManager(kernel_name="wsfleet-progress")
    km.start_kernel(cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)

        def execute(code: str, interrupt_after_s: float = 0.0):
            msg_id = kc.execute(code)
            # The shell reply can come before the last output on iopub: the cell is over only when
            # both the reply and the kernel's "idle" status for this request have arrived.
            streams, reply, idle, elapsed = [], None, False, None
            deadline = time.monotonic() + 300
            interrupted = False
            started = time.monotonic()
            while (reply is None or not idle) and time.monotonic() < deadline:
                if interrupt_after_s and not interrupted and time.monotonic() - started > interrupt_after_s:
                    km.interrupt_kernel()
                    interrupted = True
                try:
                    msg = kc.get_iopub_msg(timeout=0.2)
                    if msg["parent_header"].get("msg_id") == msg_id:
                        if msg["msg_type"] == "stream":
                            streams.append(msg["content"]["text"])
                        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                            idle = True
                except Exception:  # noqa: BLE001 - queue.Empty
                    pass
                if reply is None:
                    try:
                        r = kc.get_shell_msg(timeout=0.01)
                        if r["parent_header"].get("msg_id") == msg_id:
                            reply, elapsed = r, time.monotonic() - started
                    except Exception:  # noqa: BLE001
                        pass
            return reply, "".join(streams), elapsed

        setup = (f"import wsfleet\nfrom wsfleet import _progress\n_progress.RUN_PROGRESS_DELAY_S = 0.0\n"
                 f"TINY = {TINY!r}\nBUSY = {BUSY!r}\n")
        reply, _, _ = execute(setup)
        assert reply["content"]["status"] == "ok"
        reply, text, _ = execute("r = wsfleet.run(TINY, overrides=BUSY)\nprint('done', r.summary['conservation']['ok'])")
        assert reply["content"]["status"] == "ok", reply["content"]
        assert "simulated s" in text and "done True" in text
        long = dict(BUSY, **{"run.duration_s": 3000, "clients.count": 40000, "fleet.servers": 40})
        reply, _, elapsed = execute(f"wsfleet.run(TINY, overrides={long!r}, progress=False)\nprint('finished')",
                                    interrupt_after_s=1.0)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert elapsed < 4.0  # the interrupt at 1 s; the whole run takes about 15 s
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
