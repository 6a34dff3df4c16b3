"""Every notebook in notebooks/ runs from top to bottom without a cell error, headless, with this
interpreter (the one wsfleet is installed in) as its kernel and a small fleet
(WSFLEET_NOTEBOOK_CLIENTS), from notebooks/ as the working directory."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS: List[Path] = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL_NAME = "wsfleet-test-python"
CLIENTS = "2000"


@pytest.fixture(scope="module")
def jupyter_data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A kernelspec that starts this very interpreter, found first on a private JUPYTER_PATH, so the
    notebooks import the wsfleet under test whatever other kernels the machine has."""
    pytest.importorskip("ipykernel")
    from ipykernel.kernelspec import write_kernel_spec

    data_dir = tmp_path_factory.mktemp("jupyter")
    write_kernel_spec(path=str(data_dir / "kernels" / KERNEL_NAME),
                      overrides={"display_name": "wsfleet tests", "argv": [
                          sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]})
    return str(data_dir)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, jupyter_data_dir: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("JUPYTER_PATH", jupyter_data_dir)
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")    # no deprecation warning from jupyter_core
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("WSFLEET_NOTEBOOK_CLIENTS", CLIENTS)
    monkeypatch.delenv("MPLBACKEND", raising=False)      # the kernel's inline backend draws headless
    monkeypatch.delenv("DISPLAY", raising=False)

    notebook = nbformat.read(path, as_version=4)
    # Committed without outputs, so diffs show only what changed in the code and text.
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} is committed with outputs"

    client = nbclient.NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=600, allow_errors=False,
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    # The notebook really ran wsfleet and drew its plots.
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "no plot was drawn"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    if path.name == "balancer_comparison.ipynb":
        assert f"{int(CLIENTS):,} clients" in text
        assert len(images) >= 2  # imbalance after the crash and after the scale-out
        tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
        for policy in ("round_robin", "least_connections", "random_two_choices"):
            assert policy in tables
        for label in ("tries to the dead server", "checks every 10 s", "cookie affinity", "closed to rebalance"):
            assert label in tables, label
        assert "Most tries sent to the dead server" in text
    if path.name == "capacity_planning.ipynb":
        assert f"{int(CLIENTS):,} clients" in text
        assert "Recommendation: " in text and " servers (minimum " in text
        assert "plan report:" in text and "report.html" in text
        assert len(images) >= 3  # the sweep's rejections per backoff policy, the plan's search, equal cost
        assert "all at the same cost per hour" in text
    if path.name == "heartbeats.ipynb":
        assert f"{int(CLIENTS):,} clients" in text
        # The cells that compare the engine with the theory ran (they raise if it drifts).
        assert "every preset's detection time is within 2 % of the theory" in text
        assert "detection within 2 % of T/2 + timeout" in text
        assert len(images) >= 2  # presets: detection and half-open over time; the interval sweep
        tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
        for preset in ("socketio", "phoenix", "signalr", "ably", "centrifugo", "uwebsockets", "pusher"):
            assert preset in tables, preset
        assert "The servers found and closed" in text  # the run report's section on connections' life
    if path.name == "slow_consumers.ipynb":
        assert f"{int(CLIENTS):,} clients" in text
        # The cells that compare the engine with the arithmetic ran (they raise if it drifts).
        for line in ("buffer growth within 10 % of slow clients x 5 msgs/s x message bytes",
                     "first memory crash within 15 % of headroom / growth",
                     "delivered per slow client is 15/s within 10 %, drops 5/s per slow client within 10 %",
                     "latency and closes match the buffer's size", "delta compression: no backlog, no loss"):
            assert line in text, line
        assert len(images) >= 1  # buffers and p99 over time
        tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
        for policy in ("unbounded + memory limit", "drop_newest", "centrifugo", "uws", "conflate", "delta_ratio"):
            assert policy in tables, policy
    if path.name == "reconnect_storm_resume.ipynb":
        assert f"{int(CLIENTS):,} clients" in text
        assert "continuity facts hold" in text
        assert "exactly once held for: resume, 120 s window, history from position" in text
        assert len(images) >= 1  # deliveries around the crash; recovered, lost and duplicated
        tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
        for variant in ("no resume", "resume, 10 ms window", "history rewind 2000", "history of 5 messages"):
            assert variant in tables, variant
