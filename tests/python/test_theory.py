"""Theory beside the simulation: the formulas against tables, and the report's comparison against a
run that is an Erlang loss system (Poisson sessions, no retries) and one that is not."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib  # type: ignore[no-redef]

import wsfleet
from wsfleet._theory import engset, erlang_b, erlang_c, theory
from test_plan import ERLANG


def test_formulas_match_the_tables() -> None:
    assert erlang_b(4, 3.0) == pytest.approx(0.2061, abs=1e-4)     # B(4, 3): the table value
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=1e-5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, abs=1e-12)      # M/M/2 at rho 0.5
    # Engset tends to Erlang B as the population grows with the offered load fixed.
    assert engset(4, 100000, 3.0 / 100000) == pytest.approx(erlang_b(4, 3.0), rel=1e-3)
    assert engset(4, 4, 1.0) == 0.0                                  # no more sources than trunks


def _theory_text(tmp_path: Path, scenario: str) -> str:
    run_dir = wsfleet.run(scenario).save(tmp_path / "run")
    page = wsfleet.report(run_dir, plots=False).read_text(encoding="utf-8")
    match = re.search(r'<section id="theory">(.*?)</section>', page, re.S)
    assert match
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))))


def test_an_erlang_loss_system_agrees_with_erlang_b(tmp_path: Path) -> None:
    """One server of 4 connections offered 3 erlangs, no retries: B(4, 3) = 20.6 %."""
    result = wsfleet.run(ERLANG)
    found = {c.key: c for c in theory(result.summary, tomllib.loads(result.scenario_toml))}
    assert found["connections"].analytic == "20.6% of arrivals refused"
    conn = result.summary["connections"]
    simulated = conn["rejected_by"]["server_full"] / conn["attempted"]
    assert simulated == pytest.approx(erlang_b(4, 3.0), abs=0.01)
    text = _theory_text(tmp_path, ERLANG)
    assert "Erlang B per server: 4 connections offered 3 erlangs" in text
    # Nothing departs from the formula's assumptions, and the report says so rather than listing reasons.
    assert "The run meets the formula's assumptions (Poisson arrivals throughout, no retries)" in text
    assert "The simulation departs where" not in text


def test_a_fleet_of_staying_clients_says_erlang_does_not_apply(tmp_path: Path) -> None:
    from test_sweep import TINY

    text = _theory_text(tmp_path, TINY)
    assert "does not apply" in text and "150 clients per server against a limit of 300" in text
    assert "M/M/1:" in text and "utilisation" in text
