"""The limits measured without pandas (wsfleet._rows): a sweep's worker reads the engine's columns
as array('d'), a report reads pandas frames; both must give the same limits and the same verdict,
and the readings must follow pandas' rules (a NaN is skipped, the first of equal maxima wins), so a
point's verdict in a sweep is the verdict its run's report gives."""
from __future__ import annotations

import dataclasses
import json
import math
import random
import subprocess
import sys
from array import array
from pathlib import Path
from typing import Any, Dict, List

import pytest

wsfleet = pytest.importorskip("wsfleet")
pd = pytest.importorskip("pandas")
from wsfleet import _core  # noqa: E402
from wsfleet._limits import verdict  # noqa: E402
from wsfleet._rows import Rows, argmax, nan_max  # noqa: E402
from wsfleet._run_frames import run_limits  # noqa: E402

from test_classes import MIXED  # noqa: E402
from test_verdict import BASE, CASES, CONFIG_CASES  # noqa: E402

SCENARIOS = Path(__file__).resolve().parents[2] / "experiments" / "scenarios"


def test_argmax_is_pandas_idxmax() -> None:
    """Over random columns with NaNs and ties, whole numbers and fractions: the same row and value
    as pandas' idxmax and max; None where pandas has no maximum."""
    rng = random.Random(7)
    for trial in range(600):
        n = rng.randint(0, 12)
        pool = [0, 1, 2, 2.5, math.nan] if trial % 2 else [0.0, 0.25, 0.25, -1.0, math.nan, math.inf]
        values = [rng.choice(pool) for _ in range(n)]
        series = pd.Series(values, dtype=float)
        if series.notna().any():
            assert argmax(values) == series.idxmax(), values
            assert nan_max(values) == series.max(), values
        else:
            assert argmax(values) is None and nan_max(values) is None, values


def test_rows_read_a_frame_and_the_engines_columns_alike() -> None:
    columns = {"time_s": array("d", [1.0, 2.0, 3.0]), "server": array("d", [0.0, 1.0, 0.0])}
    frame = pd.DataFrame({"time_s": [1.0, 2.0, 3.0], "server": [0, 1, 0]})
    for rows in (Rows(columns), Rows(frame), Rows.of(Rows(frame))):
        assert len(rows) == 3 and not rows.empty
        assert "server" in rows and "connections" not in rows
        assert rows["time_s"] == [1.0, 2.0, 3.0] and rows["server"] == [0, 1, 0]
    for empty in (Rows({}), Rows(pd.DataFrame()), Rows({"time_s": array("d")}), Rows(frame.iloc[:0])):
        assert empty.empty and len(empty) == 0


def _cases() -> Dict[str, Any]:
    """Every verdict case (one per limit, settings included), a mixed-class fleet (each server's own
    limit) and the bundled gray failure (a slow_server's samples left out of the CPU's peak)."""
    cases: Dict[str, Any] = {k: (BASE.format(name=k, duration_s=40.0) + extra, overrides)
                             for k, (extra, overrides, *_) in {**CASES, **CONFIG_CASES}.items()}
    cases["classes"] = (MIXED, {})
    cases["gray_failure"] = ((SCENARIOS / "gray_failure.toml").read_text(encoding="utf-8"), {})
    return cases


def _limits(result: Any, servers: Any, fleet: Any) -> List[Dict[str, Any]]:
    return [dataclasses.asdict(limit) for limit in run_limits(result.summary, result.scenario_toml, servers, fleet)]


@pytest.mark.parametrize("name", sorted(_cases()))
def test_the_same_limits_from_frames_and_from_columns(name: str) -> None:
    text, overrides = _cases()[name]
    result = wsfleet.run(text, overrides=overrides)
    native = _core.run_text(text, name, [f"{k}={json.dumps(v)}" if isinstance(v, str) else f"{k}={v}"
                                         for k, v in overrides.items()])
    timing = {"wall_seconds", "events_per_second"}  # the same run, but for its wall clock
    assert ({k: v for k, v in json.loads(native.summary_json()).items() if k not in timing}
            == {k: v for k, v in result.summary.items() if k not in timing})
    from_frames = _limits(result, result.servers, result.fleet)
    from_arrays = _limits(result, native.server_columns(numpy=False), native.fleet_columns(numpy=False))
    from_numpy = _limits(result, native.server_columns(), native.fleet_columns())
    assert from_arrays == from_frames
    assert from_numpy == from_frames
    # Each case measures what it is there for: a limit reached, or the slowed server left out.
    states = {limit["key"]: limit["state"] for limit in from_frames}
    if name in CASES or name in CONFIG_CASES:
        assert states[name] == "bound"
    elif name == "gray_failure":
        cpu = next(limit for limit in from_frames if limit["key"] == "cpu")
        assert "while a slow_server fault slowed it (not counted)" in cpu["figure"]
    else:
        # The small servers fill first: 100 of their own 100, not of the large class's 400.
        figure = next(limit["figure"] for limit in from_frames if limit["key"] == "connections")
        assert states["connections"] == "bound"
        assert figure.startswith("100 of 100 connections (server 0 of class small")
    assert verdict(run_limits(result.summary, result.scenario_toml, native.server_columns(numpy=False),
                              native.fleet_columns(numpy=False))).document() == result.verdict().document()


WORKER = """
import json, sys
from wsfleet._task import Task, run_task
row = run_task(Task(0, "p0", 0, 1, sys.argv[1], "<test>", ("clients.count=300",)))
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"pandas", "numpy", "pyarrow", "scipy"})
print(json.dumps({"status": row["verdict.status"], "limit": row["verdict.limit"], "loaded": loaded}))
"""


def test_a_sweep_worker_loads_neither_pandas_nor_numpy() -> None:
    """A worker measures a point's verdict on the engine's columns: the start-up of a worker is the
    engine and the standard library (pandas and numpy cost 0.2-0.4 s a worker, more than many runs)."""
    text = BASE.format(name="worker", duration_s=20.0)
    out = subprocess.run([sys.executable, "-c", WORKER, text], capture_output=True, text=True, check=True)
    row = json.loads(out.stdout)
    assert row["loaded"] == []
    expected = wsfleet.run(text, overrides={"clients.count": 300}).verdict().document()
    assert (row["status"], row["limit"]) == (expected["status"], expected["limit"])
