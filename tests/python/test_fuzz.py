"""The short seeded pass of the mutation fuzzer (tests/python/wsfleet_fuzz.py); `make fuzz` runs it long.

Every mutated scenario, override and short run must end with status 0 or 2, a refusal in one
line, within its time limit: no crash, hang, internal error or conservation failure."""
from __future__ import annotations

import os

import pytest

import wsfleet_fuzz
from wsfleet_testing import wsfleet_exe

SECONDS = float(os.environ.get("WSFLEET_FUZZ_TEST_SECONDS", 40))


def test_mutated_inputs_never_crash_hang_or_mislead() -> None:
    stats = wsfleet_fuzz.fuzz(wsfleet_exe(), seed=20261206, seconds=SECONDS, max_inputs=800, run_share=0.1)
    # The inputs ran first, as they are (some as whole runs), before any mutation.
    assert stats.inputs >= len(wsfleet_fuzz.SEEDS)
    report = "\n".join(f"{f.kind}: wsfleet {' '.join(f.args)}: {f.detail[:300]}\n--- input ---\n{f.text[:2000]}"
                       for f in stats.findings[:5])
    assert not stats.findings, f"{len(stats.findings)} findings; the first:\n{report}"
    # The pass exercised both sides: inputs accepted (some run whole) and inputs refused.
    assert stats.inputs >= 100 and stats.runs >= 5
    assert stats.by_status.get(0, 0) > 0 and stats.by_status.get(2, 0) > 0


def test_the_fuzzer_notices_what_it_must() -> None:
    """A stand-in executable that crashes, hangs, answers 1 or prints two lines is caught each time."""
    stats = wsfleet_fuzz.Stats()
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for script, kind, wall in [("kill -SEGV $$", "crash", 60), ("sleep 5", "hang", 2), ("exit 1", "exit 1", 60),
                                   ("printf 'a\\nb\\n' >&2; exit 2", "message", 60),
                                   ("echo Traceback >&2; exit 2", "internal", 60),
                                   ("while :; do :; done", "hang", 300)]:  # stopped by its CPU time limit
            exe = work / "fake"
            exe.write_text(f"#!/bin/sh\n{script}\n")
            exe.chmod(0o755)
            before = len(stats.findings)
            wsfleet_fuzz.check_one(str(exe), ["check", "{path}"], "x = 1", 1.0, stats, work, wall_timeout_s=wall)
            assert [f.kind for f in stats.findings[before:]] == [kind], script
            if script.startswith("while"):
                assert "CPU time" in stats.findings[-1].detail
