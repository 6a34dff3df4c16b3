"""Sweeps on a real Dask cluster (a LocalCluster with two worker processes): the same table as
local execution, from a Client or a scheduler address, and a killed worker's tasks are retried."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import sweep_helpers
import wsfleet
from test_sweep import AXES, TINY, deterministic
from wsfleet_testing import cli

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def markers(tmp_path_factory: pytest.TempPathFactory):
    """The directory sweep_helpers leaves markers in, set before the workers start (so a worker
    the nanny restarts has it too)."""
    path = tmp_path_factory.mktemp("markers")
    old = os.environ.get(sweep_helpers.MARKERS)
    os.environ[sweep_helpers.MARKERS] = str(path)
    yield path
    if old is None:
        del os.environ[sweep_helpers.MARKERS]
    else:
        os.environ[sweep_helpers.MARKERS] = old


@pytest.fixture(scope="module")
def client(markers: Path):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=50)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_matches_local_execution(client, tmp_path: Path) -> None:
    local = wsfleet.sweep(TINY, AXES, out=tmp_path / "local", replications=2, workers=2).frame
    dask = wsfleet.sweep(TINY, AXES, out=tmp_path / "dask", replications=2, scheduler=client).frame
    pd.testing.assert_frame_equal(deterministic(dask), deterministic(local))
    by_address = wsfleet.sweep(TINY, AXES, out=tmp_path / "address", replications=2,
                               scheduler=client.scheduler.address).frame
    pd.testing.assert_frame_equal(deterministic(by_address), deterministic(local))


def test_dask_worker_killed_mid_task_is_retried(client, markers: Path, tmp_path: Path) -> None:
    reference = wsfleet.sweep(TINY, AXES, out=tmp_path / "ref", replications=2, workers=0).frame
    result = wsfleet.Sweep(TINY, AXES, replications=2).run(tmp_path / "out", scheduler=client,
                                                            _task_fn=sweep_helpers.die_once)
    assert any(markers.glob("died-1-*"))
    pd.testing.assert_frame_equal(deterministic(result.frame), deterministic(reference))


def test_cli_sweep_on_a_scheduler_address(client, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY + "\n[sweep]\nreplications = 2\n[sweep.axes]\n\"fleet.servers\" = [3, 4]\n",
                        encoding="utf-8")
    proc = cli("sweep", scenario, "--out", tmp_path / "out", "--scheduler", client.scheduler.address, "-q")
    assert proc.returncode == 0, proc.stderr
    local = wsfleet.Sweep(scenario).run(tmp_path / "local", workers=0).frame
    pd.testing.assert_frame_equal(deterministic(wsfleet.load_sweep(tmp_path / "out")), deterministic(local))
