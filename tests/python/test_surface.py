"""The Python surface: short representations, explicit keywords and docstrings, progress lines when
stderr is not a terminal, and sweeps from a plain script (work when guarded, fail at once otherwise)."""
from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import wsfleet
import importlib

study_module = importlib.import_module("wsfleet._study")  # where the progress line of sweeps and plans lives
from test_sweep import TINY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result() -> wsfleet.RunResult:
    return wsfleet.run(TINY)


def test_a_run_result_shows_a_short_summary(result: wsfleet.RunResult) -> None:
    text = repr(result)
    assert len(text) < 600 and text.count("\n") < 8
    assert "RunResult 'tiny': 4 servers, 600 clients, 40 s simulated" in text
    conn = result.summary["connections"]
    assert f"{conn['attempted']:,}: {conn['rejected']:,} refused, {conn['failed']:,} failed" in text
    page = result._repr_html_()
    assert len(page) < 3000 and "<table>" in page
    assert result.verdict().text in wsfleet_unescape(page)


def wsfleet_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_result_report_writes_the_html_report(result: wsfleet.RunResult, tmp_path: Path) -> None:
    path = result.report(tmp_path / "run", plots=False)
    assert path == tmp_path / "run" / "report.html"
    assert "Capacity report: tiny" in path.read_text(encoding="utf-8")


def test_policies_have_docstrings_and_short_reprs() -> None:
    assert repr(wsfleet.BalancingPolicy("least_connections")) == "BalancingPolicy('least_connections')"
    backoff = wsfleet.BackoffPolicy("full_jitter", {"base_s": 1, "cap_s": 30})
    assert repr(backoff) == "BackoffPolicy('full_jitter')"
    assert "first delays" in backoff._repr_html_()
    lb = wsfleet.LoadBalancer("round_robin", [1, 1])
    lb.connection_opened(lb.pick())
    assert repr(lb) == "LoadBalancer('round_robin', 2 backends, connections [1, 0])"
    for cls in (wsfleet.BalancingPolicy, wsfleet.BackoffPolicy, wsfleet.LoadBalancer):
        assert cls.__doc__ and len(cls.__doc__) > 80


def test_public_functions_take_explicit_keywords_and_have_docstrings() -> None:
    for name in wsfleet.__all__:
        obj = getattr(wsfleet, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__, f"wsfleet.{name} has no docstring"
        if inspect.isfunction(obj):
            kinds = {p.kind for p in inspect.signature(obj).parameters.values()}
            assert inspect.Parameter.VAR_KEYWORD not in kinds, f"wsfleet.{name} hides keywords behind **"
    assert "variable" in inspect.signature(wsfleet.plan).parameters
    assert "replications" in inspect.signature(wsfleet.sweep).parameters


def test_a_plain_progress_line_when_stderr_is_not_a_terminal(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(study_module, "PLAIN_PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(study_module, "interactive", lambda: False)
    wsfleet.Sweep(TINY, {"fleet.servers": [3, 4]}).run(tmp_path / "sw", workers=0)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("wsfleet sweep:")]
    assert lines[0].startswith("wsfleet sweep: 1/2 points done")
    assert lines[-1].startswith("wsfleet sweep: 2/2 points done")
    wsfleet.Sweep(TINY, {"fleet.servers": [5]}).run(tmp_path / "quiet", workers=0, progress=False)
    assert "wsfleet sweep:" not in capsys.readouterr().err


SCRIPT = """
import os, wsfleet
with open({marks!r}, "a") as f:  # each time this top level runs
    f.write(str(os.getpid()) + chr(10))
TINY = {tiny!r}
{guard}wsfleet.Sweep(TINY, {{"fleet.servers": [3, 4, 5]}}).run({out!r}, workers=2, progress=False)
{guard}print("swept")
"""


def _script(tmp_path: Path, guarded: bool) -> subprocess.CompletedProcess:
    guard = 'if __name__ == "__main__":\n    ' if guarded else ""
    text = SCRIPT.format(tiny=TINY, guard=guard, out=str(tmp_path / "out"), marks=str(tmp_path / "marks"))
    path = tmp_path / "study.py"
    path.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)


@pytest.mark.parametrize("guarded", [False, True])
def test_a_sweep_from_a_script_runs_its_top_level_once_guarded_or_not(tmp_path: Path, guarded: bool) -> None:
    """Worker processes do not import the script that starts the study: no `if __name__ ==
    "__main__":` is needed, and what the script does at its top level is done once, by the driver."""
    proc = _script(tmp_path, guarded=guarded)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "swept"
    assert len((tmp_path / "marks").read_text().split()) == 1  # the driver's own run of it only
    assert len(wsfleet.load_sweep(tmp_path / "out")) == 3


