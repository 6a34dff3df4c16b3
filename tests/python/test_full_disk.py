"""A full disk (issue 16): a sweep, and `wsfleet run --out`, writing to a small tmpfs that fills up.

Each must stop with one clear error that names the directory and says "No space left", exit 1 (an
I/O error, not bad input), and leave nothing corrupt: no cut-short part or temporary file, no half
run directory. Once space is freed, running the same sweep again finishes it, and its table equals
that of an uninterrupted sweep, point for point.

Mounting a tmpfs needs root (CI's Debian VMs run the tests as root); elsewhere these tests are
skipped with that reason."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow.parquet as pq
import pytest

import wsfleet
from wsfleet._metrics import NONDETERMINISTIC
from wsfleet_testing import SWEEP_SPEC, cli

ROOT = Path(__file__).resolve().parents[2]

# A tiny storm (as in test_sweep.py): 600 clients for 40 s; a point takes milliseconds.
TINY = """[scenario]
name = "tiny"
[run]
duration_s = 40
sample_interval_s = 10
seed = 5
[fleet]
servers = 4
max_connections = 300
[clients]
count = 600
ramp_s = 5
messages_per_minute = 6
[[faults]]
type = "crash"
server = 1
at_s = 20
"""
AXIS = "fleet.servers=2,3,4,5,6,7,8,9,10,11,12,13"  # 12 points


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): {proc.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """A file that takes all but about `leave_bytes` of the disk."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave_bytes))
    return filler


def deterministic(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=list(NONDETERMINISTIC))


def no_corrupt_part(out: Path) -> int:
    """Every part in place is whole (its checksum matches, pyarrow reads it); no temporary is left.
    Returns the number of points (rows: one replication each) the parts hold."""
    results = out / "results"
    leftovers = [p.name for p in results.iterdir() if p.name.endswith(".tmp")] if results.exists() else []
    assert not leftovers, f"temporary files left on the full disk: {leftovers}"
    parts = sorted(results.glob("part-*.parquet")) if results.exists() else []
    for part in parts:
        checksum = part.with_name(f".{part.name}.sha256")
        assert checksum.is_file(), f"{part.name} has no checksum"
        assert checksum.read_text().strip() == hashlib.sha256(part.read_bytes()).hexdigest(), part.name
    return sum(pq.read_table(part).num_rows for part in parts)


def test_a_sweep_on_a_full_disk_fails_clearly_and_resumes_once_space_is_freed(tmp_path: Path, small_disk: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    # Room for the study files and the first part (one point, committed at once: the first group),
    # not for the group of the 11 others (the parts are about 56 KiB and 60 KiB with the verdict's
    # columns; the study files about 11 KiB).
    filler = fill(small_disk, 96 * 1024)
    out = small_disk / "sw"
    args = ["sweep", str(scenario), "--out", str(out), "--axis", AXIS, "--workers", "0", "-q"]
    full = cli(*args)
    assert full.returncode == 1, (full.returncode, full.stderr)
    message = full.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith("wsfleet sweep: error: cannot write to " + str(out)), message
    assert "no space left" in message.lower(), message
    written = no_corrupt_part(out)
    assert 1 <= written < 12, written  # it filled up mid-sweep

    filler.unlink()  # space freed: the same command finishes the sweep
    resumed = cli(*args)
    assert resumed.returncode == 0, resumed.stderr
    assert no_corrupt_part(out) == 12
    reference = wsfleet.Sweep(scenario, {"fleet.servers": list(range(2, 14))}).run(tmp_path / "ref", workers=0).frame
    pd.testing.assert_frame_equal(deterministic(wsfleet.load_sweep(out)), deterministic(reference))


def test_run_out_on_a_full_disk_leaves_no_half_run_directory(tmp_path: Path, small_disk: Path) -> None:
    scenario = str(ROOT / "experiments" / "scenarios" / "default.toml")
    fill(small_disk, 64 * 1024)  # less than the time series of 2,000 clients' run
    out = small_disk / "run"
    proc = cli("run", scenario, "--set", "clients.count=2000", "--out", str(out), "-q")
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    message = proc.stderr.strip()
    assert "\n" not in message and message.startswith("wsfleet: error: " + str(out)), message
    assert "no space left" in message.lower(), message
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # neither DIR nor its .partial build


def test_a_write_cut_by_enospc_leaves_neither_temporary_nor_unverified_part(tmp_path: Path, monkeypatch) -> None:
    """The same guarantees without a tmpfs (any machine): the write of a part fails with ENOSPC."""
    import errno

    from wsfleet import _store

    store = _store.ResultStore(tmp_path / "sw", "sweep", SWEEP_SPEC, "id", TINY)
    real_open = open

    class FullDisk:
        """A file whose write puts half of its data on the disk, then fails as a full disk does."""

        def __init__(self, f) -> None:
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.f.close()

        def write(self, data: bytes) -> int:
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.f.name)

    def full_disk_open(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        name = Path(path).name
        if "w" in mode and name.startswith(".part-") and name.endswith(".tmp") and ".sha256" not in name:
            return FullDisk(f)
        return f

    monkeypatch.setattr("builtins.open", full_disk_open)
    with pytest.raises(OSError) as info:
        store.write_point("abc", [{"point": 0, "replication": 0, "x": 1.0}])
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in (tmp_path / "sw" / "results").iterdir()) == []  # no .tmp, no orphan checksum
    message = _store.write_error(tmp_path / "sw", info.value)
    assert message.startswith(f"cannot write to {tmp_path / 'sw'}: No space left on device (writing ")
    assert message.endswith("run the same command again to compute only the missing points")
    # With space again, the part is written whole, with its checksum.
    store.write_point("abc", [{"point": 0, "replication": 0, "x": 1.0}])
    assert no_corrupt_part(tmp_path / "sw") == 1
