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
    # The outcome's settings: each out of its range is refused before anything runs, with what is allowed.
    for kwargs, allowed in (({"threshold": 0.0}, r"threshold .* must be in \(0, 1\] \(got 0\)"),
                            ({"threshold": 1.5}, r"threshold .* must be in \(0, 1\]"),
                            ({"tail_s": -5.0}, r"tail_s .* must be in \(0, horizon_s = 120\] \(got -5\)"),
                            ({"tail_s": 200.0, "horizon_s": 90.0}, r"tail_s .* must be in \(0, horizon_s = 90\]"),
                            ({"horizon_s": -5.0}, r"horizon_s .* must be > 0 \(got -5\)"),
                            ({"at_s": -1.0}, r"at_s .* must be >= 0 \(got -1\)"),
                            ({"factor": -1.0}, "factor applies to the trigger slow_server, not crash"),
                            ({"loss": 2.0, "trigger": "slow_server"}, "loss applies to the trigger dropped_messages, not slow_server")):
        with pytest.raises(ValueError, match=allowed):
            wsfleet.storm_map(SCENARIO, sizes=[0.5], durations=[1.0], **kwargs)
    err = assert_clean_failure(cli("storm-map", SCENARIO, "--sizes", "0.5", "--durations", "1", "--threshold", "0",
                                   "--out", tmp_path / "y"))
    assert "threshold (its argument, or storm.threshold in the scenario) must be in (0, 1] (got 0)" in err


def test_a_storm_table_gives_the_triggers_and_a_gray_trigger_cuts_nothing(tmp_path: Path) -> None:
    # [storm] in the scenario: the same share of servers crashed, or slowed eightfold, for 10 s. A
    # crash drops their connections (the fleet needs time to take them back); a slow server keeps
    # every connection, so the fleet is whole at the first sample after the trigger.
    text = SCENARIO.read_text(encoding="utf-8")
    path = tmp_path / "storm.toml"
    path.write_text(text + '\n[storm]\nsizes = [0.25]\ndurations = [10]\nhorizon_s = 60\n'
                    'trigger = "slow_server"\nfactor = 8\n', encoding="utf-8")
    slow = wsfleet.storm_map(path)
    assert slow.settings["trigger"] == "slow_server"
    assert list(slow.frame["size"]) == [0.25] and list(slow.frame["duration_s"]) == [10.0]
    row = slow.frame.iloc[0]
    assert row["recovered"] and row["recovery_s"] <= 1.0
    crash = wsfleet.storm_map(path, trigger="crash").frame.iloc[0]
    assert crash["recovery_s"] > row["recovery_s"] + 5.0
    # The command line takes its sizes and durations from [storm] too.
    out = cli("storm-map", path, "--out", tmp_path / "map")
    assert out.returncode == 0, out.stderr
    assert "A share of the servers runs slow" in (tmp_path / "map" / "report.html").read_text(encoding="utf-8")


def test_a_bad_storm_table_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.read_text(encoding="utf-8") + '\n[storm]\nsizes = [0.25]\ndurations = [10]\nsize = 1\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown key 'storm.size'"):
        wsfleet.storm_map(path)
    path.write_text(SCENARIO.read_text(encoding="utf-8") + '\n[storm]\nsizes = [0.25]\ndurations = [10]\ntrigger = "flood"\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="storm.trigger must be one of crash, slow_server"):
        wsfleet.storm_map(path)
    # The scenario with its [storm] table is still a valid scenario for a run (the loader leaves the
    # table to the Python package).
    wsfleet.check(SCENARIO.read_text(encoding="utf-8") + '\n[storm]\nsizes = [0.25]\n')


def test_a_fleet_of_classes_loses_a_share_of_its_classes_servers() -> None:
    # [[fleet.classes]] set the servers (2 + 2): half of them is 2 servers, not half of the default 10
    # (which crashed servers 0 to 4 of 4 and made every run invalid).
    scenario = {"run": {"duration_s": 20.0, "sample_interval_s": 1.0},
                "fleet": {"classes": [{"name": "small", "servers": 2, "max_connections": 100},
                                      {"name": "big", "servers": 2, "max_connections": 200}]},
                "clients": {"count": 200, "ramp_s": 2.0}}
    m = wsfleet.storm_map(scenario, sizes=[0.5, 1.0], durations=[2.0], at_s=5.0, horizon_s=10.0)
    assert m.frame["servers_lost"].tolist() == [2, 4]
