"""wsfleet._run_frames: a run's frames, with each whole-number column cast once before the frame is
built, are the frames pandas' own per-column astype gives; a whole column holding a NaN is refused."""
from __future__ import annotations

import math

import pandas as pd
import pytest

import wsfleet
from wsfleet import _core
from wsfleet._run_frames import frame
from wsfleet.views import COLUMNS as C

from test_sweep import TINY


def _per_column_astype(columns, whole):
    out = pd.DataFrame(dict(columns))
    for name in whole:
        if name in out:
            out[name] = out[name].astype("int64")
    return out


def test_frames_equal_a_per_column_astype_on_every_scope() -> None:
    native = _core.run_text(TINY, "<string>", [])
    for scope, columns in (("fleet", native.fleet_columns()), ("server", native.server_columns()),
                           ("balancer", native.balancer_columns())):
        whole = C.whole(scope)
        built = frame(columns, whole)
        pd.testing.assert_frame_equal(built, _per_column_astype(columns, whole))
        assert any(str(built[name].dtype) == "int64" for name in whole if name in built), scope


def test_a_whole_column_with_a_nan_is_refused() -> None:
    with pytest.raises(ValueError, match="'connections' is declared whole but holds a NaN"):
        frame({"time_s": [0.0, 1.0], "connections": [1.0, math.nan]}, ["connections"])
    assert list(frame({"connections": []}, ["connections"])["connections"]) == []


def test_a_runs_frames_are_built_this_way() -> None:
    r = wsfleet.run(TINY, progress=False)
    assert str(r.fleet[C.connections].dtype) == "int64"
