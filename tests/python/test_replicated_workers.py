"""A run replicated to a precision on worker processes (wsfleet.run(..., workers=N), `wsfleet run
--precision R --workers N`), every replication's time series kept, saved and loaded back
(wsfleet.load -> ReplicatedRunResult), and the report's figure across the replications.

The stopping rule decides on replications 0, 1, ... in index order, so the outcome does not depend on
the number of workers: the same precision.json and summary for 0, 1 and 2 workers, bit for bit.
The ordering is checked by hand on an executor that hands outcomes back in reverse order. On a Dask
cluster (a LocalCluster of two worker processes, skipped without dask.distributed) the result and the
saved files are the same too."""
from __future__ import annotations

import html
import json
import math
import re
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pandas as pd
import pytest

import wsfleet
from wsfleet._precision import Precision, next_total
from wsfleet._replicated import PRECISION_FILE, RUNS_DIR, replicate
from wsfleet._run_dir import ReportError
from wsfleet._stats import mean_ci
from wsfleet._task import Task

import sweep_helpers
from test_sweep import TINY

ROOT = Path(__file__).resolve().parents[2]
WSFLEET = ROOT / ".venv" / "bin" / "wsfleet"
#: Needs more than the first 3 replications on TINY (the existing replicated-run tests show it), so the
#: rule takes a second decision while workers are ahead of it.
RULE = dict(precision=0.003, metrics=["cpu.mean_utilisation", "connections.peak"], max_replications=10)
WALL = ("wall_seconds", "events_per_second")


def _summary(s: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in s.items() if k not in WALL}


def _frame(f: pd.DataFrame) -> pd.DataFrame:
    return f.drop(columns=[c for c in f.columns if c.split(".")[-1] in WALL])


@pytest.fixture(scope="module")
def by_workers() -> Dict[int, "wsfleet.ReplicatedRunResult"]:
    return {w: wsfleet.run(TINY, progress=False, workers=w, **RULE) for w in (0, 1, 2)}


def test_the_result_does_not_depend_on_the_workers(by_workers, tmp_path: Path) -> None:
    serial = by_workers[0]
    n = len(serial.replications)
    assert n > 3 and serial.stopped == "precision reached"
    docs = {}
    for w, r in by_workers.items():
        assert len(r.replications) == len(r.frame) == n, w
        assert r.precision_document() == serial.precision_document(), w
        pd.testing.assert_frame_equal(_frame(r.frame), _frame(serial.frame))
        assert _summary(r.summary) == _summary(serial.summary), w
        for k in range(n):
            mine, theirs = r.replication(k), serial.replication(k)
            assert mine.summary["replication"] == k
            assert _summary(mine.summary) == _summary(theirs.summary), (w, k)
            pd.testing.assert_frame_equal(mine.fleet, theirs.fleet)
            pd.testing.assert_frame_equal(mine.servers, theirs.servers)
        out = r.save(tmp_path / f"w{w}")
        docs[w] = (out / PRECISION_FILE).read_bytes()
        # Only the replications the rule kept are saved: none run beyond its stop.
        assert sorted(int(p.name) for p in (out / RUNS_DIR).iterdir()) == list(range(n))
    assert docs[0] == docs[1] == docs[2]
    a, b = (json.loads((tmp_path / f"w{w}" / "summary.json").read_text()) for w in (1, 2))
    assert _summary(a) == _summary(b)


@pytest.fixture(scope="module")
def dask_client():
    """A real Dask cluster, as the sweeps' Dask tests use: a LocalCluster of two worker processes."""
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=50)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_a_dask_cluster_gives_the_same_result_bit_for_bit(by_workers, dask_client, tmp_path: Path) -> None:
    serial = by_workers[0]
    n = len(serial.replications)
    ref = serial.save(tmp_path / "serial")
    for name, scheduler in (("client", dask_client), ("address", dask_client.scheduler.address)):
        r = wsfleet.run(TINY, progress=False, scheduler=scheduler, **RULE)
        assert len(r.replications) == len(r.frame) == n, name
        assert r.precision_document() == serial.precision_document(), name
        pd.testing.assert_frame_equal(_frame(r.frame), _frame(serial.frame))
        for k in range(n):
            mine, theirs = r.replication(k), serial.replication(k)
            assert _summary(mine.summary) == _summary(theirs.summary), (name, k)
            pd.testing.assert_frame_equal(mine.fleet, theirs.fleet)
            pd.testing.assert_frame_equal(mine.servers, theirs.servers)
        # The files the Dask workers sent back are the engine's own, byte for byte.
        out = r.save(tmp_path / name)
        assert (out / PRECISION_FILE).read_bytes() == (ref / PRECISION_FILE).read_bytes()
        assert sorted(int(p.name) for p in (out / RUNS_DIR).iterdir()) == list(range(n))
        for k in range(n):
            for f in ("timeseries.csv", "scenario.toml"):
                assert (out / RUNS_DIR / str(k) / f).read_bytes() == (ref / RUNS_DIR / str(k) / f).read_bytes()
        assert r.verdict().text == serial.verdict().text


def test_the_cli_runs_the_replications_on_a_scheduler_address(dask_client, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    docs = {}
    for how, option in (("workers", ["--workers", "0"]), ("dask", ["--scheduler", dask_client.scheduler.address])):
        out = tmp_path / how
        done = subprocess.run([str(WSFLEET), "run", str(scenario), "--out", str(out), "--precision", "0.003",
                               "--metric", "cpu.mean_utilisation", "--max-replications", "6", "-q", *option],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        docs[how] = (out / PRECISION_FILE).read_bytes()
    assert docs["workers"] == docs["dask"]


def test_scheduler_needs_precision_and_excludes_workers() -> None:
    with pytest.raises(ValueError, match="scheduler needs precision"):
        wsfleet.run(TINY, scheduler="tcp://127.0.0.1:1", progress=False)
    with pytest.raises(ValueError, match="workers and scheduler cannot both be given"):
        wsfleet.run(TINY, precision=0.05, workers=2, scheduler="tcp://127.0.0.1:1", progress=False)


def test_every_replication_is_the_plain_run_of_its_number(by_workers) -> None:
    r = by_workers[2]
    for k in (0, len(r.replications) - 1):
        plain = wsfleet.run(TINY, replication=k, progress=False)
        assert _summary(plain.summary) == _summary(r.replication(k).summary)
        pd.testing.assert_frame_equal(plain.fleet, r.replication(k).fleet)
        pd.testing.assert_frame_equal(plain.servers, r.replication(k).servers)


def test_tidy_and_band(by_workers) -> None:
    r = by_workers[2]
    n = len(r.replications)
    tidy = r.tidy("fleet")
    assert list(tidy.columns[:2]) == ["replication", "time_s"]
    assert len(tidy) == sum(len(r.replication(k).fleet) for k in range(n))
    assert sorted(tidy["replication"].unique()) == list(range(n))
    servers = r.tidy("servers")
    assert len(servers) == sum(len(r.replication(k).servers) for k in range(n))
    b = r.band("latency_p99_ms")
    # By hand at one sample time: the replications' own values.
    t = float(b["time_s"].iloc[1])
    xs = [float(r.replication(k).fleet.set_index("time_s").loc[t, "latency_p99_ms"]) for k in range(n)]
    xs = [x for x in xs if math.isfinite(x)]
    row = b.set_index("time_s").loc[t]
    mean, half, count = mean_ci(xs)
    assert (row["n"], row["mean"], row["min"], row["max"]) == (count, mean, min(xs), max(xs))
    assert row["ci_half_width"] == half
    with pytest.raises(ValueError, match="scope must be 'fleet', 'servers' or 'balancers'"):
        r.tidy("server")
    with pytest.raises(KeyError, match="no fleet time-series column 'latency'"):
        r.band("latency")
    with pytest.raises(IndexError, match=f"replication must be a whole number from 0 to {n - 1}"):
        r.replication(n)


def test_load_gives_every_replication(by_workers, tmp_path: Path) -> None:
    r = by_workers[2]
    out = r.save(tmp_path / "run", format="parquet")
    loaded = wsfleet.load(out)
    assert isinstance(loaded, wsfleet.ReplicatedRunResult)
    n = len(r.replications)
    assert len(loaded.replications) == n and loaded.seed == r.seed and loaded.rule == r.rule
    pd.testing.assert_frame_equal(loaded.frame, r.frame)
    pd.testing.assert_frame_equal(loaded.precision(), r.precision())
    assert loaded.stopped == r.stopped
    for k in range(n):
        assert (out / RUNS_DIR / str(k) / "timeseries.parquet").is_file()
        assert _summary(loaded.replication(k).summary) == _summary(r.replication(k).summary)
        pd.testing.assert_frame_equal(loaded.replication(k).fleet, r.replication(k).fleet, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.band("connections"), r.band("connections"))
    assert "replications (seed 5" in repr(loaded)
    # A plain run still loads as a RunResult.
    plain = wsfleet.run(TINY, progress=False).save(tmp_path / "plain")
    assert type(wsfleet.load(plain)) is wsfleet.RunResult


def test_precision_json_is_checked(by_workers, tmp_path: Path) -> None:
    out = by_workers[0].save(tmp_path / "run")
    doc = json.loads((out / PRECISION_FILE).read_text())
    assert doc["runs"] == RUNS_DIR
    bad = dict(doc, stoped="cap reached")
    (out / PRECISION_FILE).write_text(json.dumps(bad))
    with pytest.raises(ReportError, match="precision.json has an undeclared key 'stoped'"):
        wsfleet.load(out)
    bad = dict(doc, replications="5")
    (out / PRECISION_FILE).write_text(json.dumps(bad))
    with pytest.raises(ReportError, match=r"precision.json.replications must be int \(got '5'\)"):
        wsfleet.load(out)
    # A replication's directory missing: named.
    (out / PRECISION_FILE).write_text(json.dumps(doc))
    import shutil

    shutil.rmtree(out / RUNS_DIR / "2")
    with pytest.raises(ReportError, match="2 is missing"):
        wsfleet.load(out)
    # Saved before every replication was kept (no "runs"): replication 0 loads, the others say why not.
    del doc["runs"]
    (out / PRECISION_FILE).write_text(json.dumps(doc))
    old = wsfleet.load(out)
    assert old.replication(0).summary["replication"] == 0
    with pytest.raises(ValueError, match="saved before wsfleet kept every replication's"):
        old.replication(1)


def test_bad_workers_get_one_clear_error() -> None:
    with pytest.raises(ValueError, match="workers needs precision"):
        wsfleet.run(TINY, workers=2, progress=False)
    with pytest.raises(ValueError, match="workers must be a whole number >= 0"):
        wsfleet.run(TINY, workers=-1, progress=False, **RULE)
    with pytest.raises(ValueError, match="a progress callable is called in this process: it needs workers=0"):
        wsfleet.run(TINY, workers=2, progress=lambda *a: None, **RULE)


# --------------------------------------------------------------------------------------------
# The stopping rule's order, by hand


class _Reversed:
    """An executor that takes every task the feed allows, `workers` at a time, and hands their outcomes
    back in reverse order (the latest first), as worker processes may."""

    name = "reversed"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.ran: List[int] = []

    def run(self, fn, feed, retries: int = 3):
        while True:
            batch = feed.take(self.workers)
            if not batch:
                return
            for task in reversed(batch):
                self.ran.append(task.replication)
                try:
                    yield task, True, fn(task)
                except Exception as exc:  # noqa: BLE001
                    yield task, False, exc


VALUES = [10.0, 11.0, 9.0, 10.8, 9.4, 10.5, 9.5, 10.0, 10.2, 9.8, 10.1, 9.9, 10.3, 9.6, 10.0]


def _task(r: int) -> Task:
    return Task(point=0, point_id="run", replication=r, seed=1, scenario_text="", source="", overrides=())


def _fn(fail_at: int = -1):
    def fn(task: Task) -> Dict[str, Any]:
        if task.replication == fail_at:
            raise RuntimeError(f"replication {task.replication} failed")
        return {"row": {"replication": task.replication, "m": VALUES[task.replication]}}
    return fn


def test_the_decision_is_taken_in_index_order_whatever_the_completion_order() -> None:
    rule = Precision(0.08, len(VALUES), ("m",))
    # By hand: the one-after-another rounds of Law and Kelton's rule on VALUES.
    total = 3
    while (more := next_total(pd.DataFrame({"m": VALUES[:total]}), rule, total)) is not None:
        total = more
    assert 3 < total < len(VALUES)
    ahead = []
    for workers in (1, 2, 3, 5):
        ex = _Reversed(workers)
        outcomes, frame = replicate(_task, _fn(), rule, 3, ex)
        assert [o["row"]["replication"] for o in outcomes] == list(range(total)), workers
        assert frame["m"].tolist() == VALUES[:total]
        assert sorted(ex.ran) == list(range(len(ex.ran)))  # in index order, none skipped
        ahead.append(max(ex.ran) >= total)
    # With several workers some replications ran beyond the stop, and were dropped.
    assert any(ahead) and not ahead[0]


def test_an_error_beyond_the_stop_is_dropped_and_one_before_it_raised() -> None:
    rule = Precision(0.08, len(VALUES), ("m",))
    first = _Reversed(5)
    outcomes, _ = replicate(_task, _fn(), rule, 3, first)
    n = len(outcomes)
    beyond = [r for r in first.ran if r >= n]
    assert beyond  # replications ran beyond the stop
    ex = _Reversed(5)
    kept, _ = replicate(_task, _fn(fail_at=beyond[0]), rule, 3, ex)  # its failure comes before the stop
    assert len(kept) == n and beyond[0] in ex.ran
    with pytest.raises(RuntimeError, match=f"replication {n - 1} failed"):
        replicate(_task, _fn(fail_at=n - 1), rule, 3, _Reversed(5))


# --------------------------------------------------------------------------------------------
# The report


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_the_report_shows_every_replication_and_its_sentences_follow_from_the_numbers(by_workers,
                                                                                      tmp_path: Path) -> None:
    from wsfleet._format import fmt_int, fmt_ms, fmt_num, fmt_share

    r = by_workers[2]
    n = len(r.replications)
    page = r.report(tmp_path / "run").read_text(encoding="utf-8")
    section = page[page.index('id="plot-replications"'):page.index('id="plot-connections"')]
    assert f"Across the {n} replications" in _text(section)
    assert section.count("<img") == 1
    # TINY's crash of server 1 at 20 s is scheduled: the same in every replication, marked and named.
    assert "Dashed lines: the start of each fault, at the same time in every replication (crash at 20 s)." in \
        _text(section)
    text = _text(section)
    # Connections: the fleet's open connections at each sample time.
    b = r.band("connections")
    spread = b["max"] - b["min"]
    if spread.max() > 0:
        at = b.loc[spread.idxmax()]
        assert (f"the replications differ most at {fmt_num(at['time_s'])} s, from {fmt_int(at['min'])} to "
                f"{fmt_int(at['max'])} (mean {fmt_int(at['mean'])})") in text
    else:
        assert "The fleet's open connections: the same in every replication at every sample time." in text
    # The busiest server's CPU: the largest server value at each time, per replication.
    tidy = r.tidy("servers")
    busiest = tidy.groupby(["replication", "time_s"])["cpu_utilisation"].max().unstack("replication")
    lo, hi = busiest.min(axis=1), busiest.max(axis=1)
    t = (hi - lo).idxmax()
    assert (f"The CPU utilisation of the busiest server: the replications differ most in the sample interval "
            f"ending at {fmt_num(t)} s, from {fmt_share(lo[t])} to {fmt_share(hi[t])} "
            f"(mean {fmt_share(busiest.loc[t].mean())})") in text
    # p99 latency per interval.
    p99 = r.band("latency_p99_ms")
    at = p99.loc[(p99["max"] - p99["min"]).idxmax()]
    assert f"from {fmt_ms(at['min'])} to {fmt_ms(at['max'])}" in text
    # The headline's note says which plots are replication 0's.
    assert ("and so are the plots below but the first, which shows every replication's time series" in
            _text(page[page.index('id="replications"'):]))


def test_a_report_without_plots_still_says_the_spread(by_workers, tmp_path: Path) -> None:
    page = by_workers[0].report(tmp_path / "run", plots=False).read_text(encoding="utf-8")
    section = page[page.index('id="plot-replications"'):]
    assert "<img" not in section.split('id="theory"')[0]
    assert "the replications differ most" in _text(section) or "the same in every replication" in _text(section)


# --------------------------------------------------------------------------------------------
# The command line


def test_the_cli_gives_the_same_files_for_any_workers(tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    docs = {}
    for w in (0, 2):
        out = tmp_path / f"w{w}"
        done = subprocess.run([str(WSFLEET), "run", str(scenario), "--out", str(out), "--precision", "0.003",
                               "--metric", "cpu.mean_utilisation", "--max-replications", "6", "--workers", str(w),
                               "-q"], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        docs[w] = (out / PRECISION_FILE).read_bytes()
        n = json.loads(docs[w])["replications"]
        assert sorted(int(p.name) for p in (out / RUNS_DIR).iterdir()) == list(range(n))
        assert f"{RUNS_DIR}/K/" in done.stdout
    assert docs[0] == docs[2]
    a, b = (_summary(json.loads((tmp_path / f"w{w}" / "summary.json").read_text())) for w in (0, 2))
    assert a == b
    bad = subprocess.run([str(WSFLEET), "run", str(scenario), "--workers", "2", "-q"], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "--workers needs --precision" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_plain_script_without_the_main_guard_runs(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(f"import wsfleet\nr = wsfleet.run({TINY!r}, precision=0.05, max_replications=4, workers=2, "
                      f"progress=False)\nprint(len(r.replications))\n", encoding="utf-8")
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert 2 <= int(done.stdout) <= 4


def _descendants(pid: int) -> List[int]:
    """Pids of the live descendants of `pid` (from /proc)."""
    parents: Dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        found += kids
        todo += kids
    return found


def test_ctrl_c_stops_the_replications_cleanly(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the terminal's process group) while two workers run replications: exit 130 with
    one line, no traceback, no worker left behind, nothing written."""
    import os
    import signal
    import sys
    import time

    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    slow = ["--set", "run.duration_s=3000", "--set", "clients.count=20000", "--set", "fleet.max_connections=10000",
            "--set", "clients.messages_per_minute=60"]  # about 3 s a replication
    out = tmp_path / "out"
    env = dict(os.environ, WSFLEET_PYTHON=sys.executable)
    proc = subprocess.Popen([str(WSFLEET), "run", str(scenario), "--out", str(out), "--precision", "0.0001",
                             "--max-replications", "20", "--workers", "2", "-q", *slow], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen: List[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.2)
            seen = sorted(set(seen) | set(_descendants(proc.pid)))
            workers = [p for p in seen
                       if sweep_helpers.alive(p) and b"wsfleet._workers" in Path(f"/proc/{p}/cmdline").read_bytes()]
            if len(workers) >= 2:
                break
        assert len(workers) >= 2, "the workers never started"
        time.sleep(2)  # they are running replications
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert stderr.strip() == "wsfleet run: interrupted"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(sweep_helpers.alive(p) for p in seen):
            time.sleep(0.2)
        assert not [p for p in seen if sweep_helpers.alive(p)], "worker processes left behind"
        assert not out.exists()
    finally:
        proc.kill()
        for p in [p for p in seen if sweep_helpers.alive(p)]:  # never leave one behind, even when the test fails
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def test_a_replicated_save_is_atomic_and_refuses_foreign_files(by_workers, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import wsfleet._replicated as replicated_module

    r = by_workers[0]
    n = len(r.replications)
    out = r.save(tmp_path / "run")
    # Saved again over itself, with fewer replications: replaced at once, no stale replication left.
    fewer = wsfleet.run(TINY, progress=False, workers=0, precision=0.5, metrics=["connections.peak"],
                        max_replications=3)
    assert len(fewer.replications) < n
    fewer.save(out)
    assert sorted(int(p.name) for p in (out / RUNS_DIR).iterdir()) == list(range(len(fewer.replications)))
    assert len(wsfleet.load(out).replications) == len(fewer.replications)
    # A save cut short (here: precision.json cannot be written) leaves the previous results whole.
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(replicated_module, "write_replications", broken)
    with pytest.raises(OSError, match="No space left"):
        r.save(out)
    monkeypatch.undo()
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging folder left behind
    # A directory that holds something else is refused, as `wsfleet run --out` refuses it.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="holds 'notes.txt', which is not a run's output"):
        r.save(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    # One replication saved on its own is a plain run directory, written the same way.
    single = r.replication(2).save(tmp_path / "rep2")
    assert sorted(p.name for p in single.iterdir()) == ["scenario.toml", "summary.json", "timeseries.csv"]
    plain = wsfleet.run(TINY, replication=2, progress=False).save(tmp_path / "plain2")
    assert (single / "timeseries.csv").read_bytes() == (plain / "timeseries.csv").read_bytes()


def test_the_report_says_whether_every_replication_gets_replication_0s_verdict(by_workers, tmp_path: Path) -> None:
    r = by_workers[2]
    n = len(r.replications)
    page = r.report(tmp_path / "run", plots=False).read_text(encoding="utf-8")
    sentence = _text(re.search(r'<p class="verdicts">(.*?)</p>', page, re.S).group(1))
    # Each replication's verdict from the Python API (the same limits, from its in-memory frames).
    verdicts = [r.replication(k).verdict() for k in range(n)]
    from wsfleet._limits import STATUS_WORDS as words

    v0 = verdicts[0]
    kind = "binding" if v0.status == "fail" else "closest"
    what = f"{words[v0.status]}, {kind} limit: the {v0.binding.name}"
    if all((v.status, v.binding.key) == (v0.status, v0.binding.key) for v in verdicts):
        assert sentence.startswith(f"Every one of the {n} replications gets replication 0's verdict ({what}).")
    else:
        assert sentence.startswith(f"Replication 0's verdict ({what}) is that of ")
    used = [v.binding.used for v in verdicts]
    from wsfleet._format import fmt_share

    assert f"used {fmt_share(min(used))} to {fmt_share(max(used))} of its limit across the replications" in sentence


def test_a_replication_with_another_verdict_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    import wsfleet._analysis as analysis
    from wsfleet._limits import Limit
    from wsfleet._replication_report import verdicts_sentence

    def limits(cpu: float) -> list:
        return [Limit("connections", "per-server connection limit", "ok", 0.5, "x"),
                Limit("cpu", "CPU", "ok" if cpu < 0.8 else "near" if cpu < 1 else "bound", cpu, "y",
                      severity=1.0 if cpu >= 1 else 0.0)]

    cpu = {0: 0.4, 1: 0.85, 2: 0.3, 3: 1.0}
    monkeypatch.setattr(analysis, "analyse", lambda run: SimpleNamespace(limits=limits(cpu[run])))
    text = verdicts_sentence([0, 1, 2, 3])
    assert text == ("Replication 0's verdict (ENOUGH CAPACITY, closest limit: the per-server connection limit) is "
                    "that of 2 of the 4 replications; the others differ (replication 1: TIGHT, closest limit: the "
                    "CPU; replication 3: NOT ENOUGH CAPACITY, binding limit: the CPU). The per-server connection "
                    "limit used 50% to 50% of its limit across the replications.")
