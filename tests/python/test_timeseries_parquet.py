"""Time series as Parquet (wsfleet._timeseries_parquet): written beside the CSV by RunResult.save
and `wsfleet run --format parquet`, the same table bit for bit, read back by wsfleet.load and the
report."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import wsfleet
from wsfleet._run_dir import ReportError, load_run, load_timeseries_csv

from test_sweep import TINY
from wsfleet_testing import assert_clean_failure, cli


@pytest.fixture(scope="module")
def result() -> wsfleet.RunResult:
    return wsfleet.run(TINY, overrides={"run.sample_interval_s": 1})


def test_parquet_holds_the_csv_table_exactly(result: wsfleet.RunResult, tmp_path: Path) -> None:
    directory = result.save(tmp_path / "run", format="parquet")
    csv = load_timeseries_csv(directory / "timeseries.csv")
    parquet = pq.read_table(directory / "timeseries.parquet").to_pandas()
    pd.testing.assert_frame_equal(parquet, csv, check_exact=True)
    assert list(parquet.columns[:3]) == ["time_s", "scope", "server"]
    assert set(parquet["scope"]) == {"fleet", "server", "balancer"}
    assert str(parquet["server"].dtype) == "int64"  # the types are the CSV reader's (NaN-free integers stay int64)
    # The load reads the Parquet file; its table is the CSV's.
    pd.testing.assert_frame_equal(load_run(directory).timeseries, csv, check_exact=True)
    with pytest.raises(ValueError, match="format must be 'csv' or 'parquet'"):
        result.save(tmp_path / "x", format="feather")


def test_wsfleet_load_round_trip(result: wsfleet.RunResult, tmp_path: Path) -> None:
    for fmt in ("csv", "parquet"):
        loaded = wsfleet.load(result.save(tmp_path / fmt, format=fmt))
        assert loaded.summary == result.summary
        assert loaded.scenario_toml == result.scenario_toml
        pd.testing.assert_frame_equal(loaded.fleet[result.fleet.columns.intersection(loaded.fleet.columns)],
                                      result.fleet[result.fleet.columns.intersection(loaded.fleet.columns)],
                                      check_exact=True, check_dtype=False)
        pd.testing.assert_frame_equal(loaded.servers, result.servers, check_exact=True, check_dtype=False)
        # Only fleet columns that are empty in every sample (none here) may be missing.
        missing = set(result.fleet.columns) - set(loaded.fleet.columns)
        assert all(result.fleet[c].isna().all() for c in missing)
        assert loaded.verdict().text == result.verdict().text


def test_load_refuses_what_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="run directory not found"):
        wsfleet.load(tmp_path / "nothing")
    bad = tmp_path / "bad"
    wsfleet.run(TINY).save(bad)
    (bad / "timeseries.parquet").write_bytes(b"not parquet")
    with pytest.raises(ReportError, match="timeseries.parquet: invalid Parquet"):
        wsfleet.load(bad)


def test_cli_run_format_parquet_and_report(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    out = tmp_path / "run"
    proc = cli("run", scenario, "--out", out, "--format", "parquet", "--report", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (out / "timeseries.parquet").is_file() and (out / "report.html").is_file()
    pd.testing.assert_frame_equal(pq.read_table(out / "timeseries.parquet").to_pandas(),
                                  load_timeseries_csv(out / "timeseries.csv"), check_exact=True)
    # Running again into the directory replaces it whole (no stale Parquet beside a new CSV).
    proc = cli("run", scenario, "--out", out, "--quiet", "--set", "clients.count=500")
    assert proc.returncode == 0, proc.stderr
    assert not (out / "timeseries.parquet").exists()
    # --json keeps stdout for its one object (summary.json and the verdict).
    proc = cli("run", scenario, "--out", tmp_path / "j", "--format", "parquet", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith("{") and proc.stdout.rstrip().endswith("}")
    assert_clean_failure(cli("run", scenario, "--format", "parquet"), 2)
    assert_clean_failure(cli("run", scenario, "--out", tmp_path / "f", "--format", "feather"), 2)
