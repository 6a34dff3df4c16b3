"""The storm map (wsfleet.storm_map, `wsfleet storm-map`): trigger size x duration to recovered or
not, on experiments/scenarios/storm_map.toml, a fleet that can fail metastably. The boundary must be
monotonic, and both sides must exist: small, short triggers recover; past the threshold the fleet
stays overloaded after the trigger ended (the qualitative result of the OSDI'22 retry experiment)."""
from __future__ import annotations

from pathlib import Path

import pytest

import wsfleet
from wsfleet_testing import ROOT, assert_clean_failure, cli

SCENARIO = ROOT / "experiments" / "scenarios" / "storm_map.toml"


@pytest.fixture(scope="module")
def storm() -> wsfleet.StormMap:
    return wsfleet.storm_map(SCENARIO, sizes=[0.125, 0.25, 0.75], durations=[1.0, 10.0, 60.0], horizon_s=90.0)


def test_the_boundary_is_monotonic_with_both_sides(storm: wsfleet.StormMap) -> None:
    f = storm.frame
    assert len(f) == 9
    assert storm.is_monotonic()
    assert f["recovered"].any() and (~f["recovered"]).any()
    small = f[(f["size"] == 0.125) & (f["duration_s"] == 1.0)].iloc[0]
    assert small["recovered"] and small["recovery_s"] < 30
    # Metastable: the trigger ended (the servers are back), the fleet is saturated and stays short.
    stuck = f[~f["recovered"]]
    assert stuck["overloaded"].all()
    assert (stuck["cpu_at_end"] >= 0.9).all()
    assert (stuck["connections_at_end"] < 0.99 * stuck["connections_before"]).all()


def test_the_report_draws_the_phase_diagram(storm: wsfleet.StormMap, tmp_path: Path) -> None:
    page = storm.report(tmp_path / "storm").read_text(encoding="utf-8")
    assert "Storm map: storm_map" in page and "data:image/png;base64," in page
    assert "The boundary is monotonic" in page
    assert (tmp_path / "storm" / "storm_map.csv").is_file()
    for duration, smallest in storm.boundary().items():
        if smallest is not None:
            assert f"did not recover from losing {smallest:.0%} of its servers or more" in page


def test_the_cli_checks_its_arguments(tmp_path: Path) -> None:
    err = assert_clean_failure(cli("storm-map", SCENARIO, "--sizes", "0.5,2", "--durations", "1", "--out", tmp_path / "x"))
    assert "every size must be a share of the servers in (0, 1]" in err
    with pytest.raises(ValueError, match="every duration must be > 0 s"):
        wsfleet.storm_map(SCENARIO, sizes=[0.5], durations=[0.0])
