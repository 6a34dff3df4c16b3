"""A single run replicated to a precision (wsfleet.run(..., precision=...), `wsfleet run --precision`):
its replications are a sweep's, bit for bit; its interval covers Erlang B on an Erlang loss system;
the stopping rule is the sweeps'; bad options get one clear error; the report's figures are the
replications' own numbers, read back."""
from __future__ import annotations

import html
import json
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wsfleet
from wsfleet._metrics import NONDETERMINISTIC
from wsfleet._precision import next_total
from wsfleet._stats import mean_ci
from wsfleet._theory import erlang_b

from test_plan import ERLANG
from test_sweep import TINY

ROOT = Path(__file__).resolve().parents[2]
WSFLEET = ROOT / ".venv" / "bin" / "wsfleet"
TARGET = ["connections.rejected_fraction"]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _missing(a) -> bool:
    return a is None or (isinstance(a, float) and math.isnan(a))


def _same(a, b) -> bool:
    """Equal, bit for bit; a missing value (None in one table, NaN in a Parquet column) equals another."""
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return a == b


@pytest.fixture(scope="module")
def replicated() -> "wsfleet.ReplicatedRunResult":
    # The mean CPU of this tiny fleet varies about 0.5 % between replications: a 0.3 % target needs more than 3.
    return wsfleet.run(TINY, precision=0.003, metrics=["cpu.mean_utilisation", "connections.peak"],
                       max_replications=10, progress=False)


def test_replication_0_is_the_plain_run(replicated) -> None:
    plain = wsfleet.run(TINY, progress=False)
    skip = {"wall_seconds", "events_per_second"}
    assert {k: v for k, v in plain.summary.items() if k not in skip} == \
        {k: v for k, v in replicated.summary.items() if k not in skip}
    pd.testing.assert_frame_equal(plain.fleet, replicated.fleet)
    assert replicated.replications[0].summary["replication"] == 0
    assert [r.summary["replication"] for r in replicated.replications] == list(range(len(replicated.replications)))
    assert {r.summary["seed"] for r in replicated.replications} == {5}  # the scenario's run.seed


def test_replications_equal_a_sweeps_bit_for_bit(replicated, tmp_path: Path) -> None:
    n = len(replicated.replications)
    assert len(replicated.frame) == n >= 3
    sweep = wsfleet.Sweep(TINY, {"fleet.servers": [4]}, replications=n).run(tmp_path / "sw", workers=0,
                                                                             progress=False)
    rows = sweep.frame.sort_values("replication").reset_index(drop=True)
    metrics = [c for c in rows.columns if c not in ("point", "point_id", "fleet.servers") + NONDETERMINISTIC]
    assert "steady_state.connections.mean" in metrics and "messages.latency_ms.p99" in metrics
    for r in range(n):
        mine, theirs = replicated.frame.iloc[r], rows.iloc[r]
        different = [c for c in metrics if not _same(mine[c], theirs[c])]
        assert not different, (r, different[:5])
    # The replications differ from each other (independent streams), so the interval is not a formality.
    assert replicated.frame["cpu.mean_utilisation"].nunique() == n
    assert replicated.stopped == "precision reached" and n > 3


def test_the_stopping_rule_is_the_sweeps(replicated, tmp_path: Path) -> None:
    """A precision-driven sweep of the same single point, with the same rule, stops at the same count."""
    rule = replicated.rule
    sweep = wsfleet.Sweep(TINY, {"fleet.servers": [4]}, replications=3, precision=rule.relative,
                          max_replications=rule.max_replications, precision_metrics=list(rule.metrics))
    result = sweep.run(tmp_path / "sw", workers=0, progress=False)
    assert len(result.frame) == len(replicated.frame)
    # And the count is the rule's own decision: 3 first, then the rounds Law and Kelton's estimate asks for.
    n = len(replicated.frame)
    status = replicated.precision()
    total, rounds = 3, [3]
    while (more := next_total(replicated.frame.iloc[:total], rule, total)) is not None:
        total = more
        rounds.append(total)
    assert total == n and len(rounds) >= 2  # the first 3 were not enough
    if replicated.stopped == "precision reached":
        assert status["met"].all()
    else:
        assert n == rule.max_replications and not status["met"].all()
    # The table's figures are the t interval of the rows (SciPy's quantile, as the sweeps').
    row = status.set_index("metric").loc["cpu.mean_utilisation"]
    mean, half, count = mean_ci(replicated.frame["cpu.mean_utilisation"].tolist())
    assert (row["mean"], row["ci_half_width"], row["n"]) == (mean, half, count)
    assert row["relative_half_width"] == pytest.approx(half / mean)


def test_the_cap_stops_a_metric_that_does_not_converge_in_time() -> None:
    r = wsfleet.run(TINY, precision=0.003, metrics=["messages.latency_ms.mean"], max_replications=4, progress=False)
    status = r.precision().set_index("metric").loc["messages.latency_ms.mean"]
    assert len(r.replications) == 4 and r.stopped == "cap reached" and not bool(status["met"])
    assert status["relative_half_width"] > 0.003
    text = repr(r)
    assert (f"stopped at the cap of 4 replications without reaching ±0.3 %: messages.latency_ms.mean at "
            f"±{100 * status['relative_half_width']:.2g} %") in text


def test_an_erlang_loss_system_interval_covers_erlang_b() -> None:
    """One server of 4 connections offered 3 erlangs, no retries: refused share = B(4, 3) = 20.61 %.
    Replicated to ±0.5 % (3 runs give about ±0.8 %: it takes more rounds), the 95 % interval of the
    mean covers it, and is narrow enough to mean it."""
    r = wsfleet.run(ERLANG, precision=0.005, metrics=TARGET, max_replications=30, progress=False)
    status = r.precision().set_index("metric").loc[TARGET[0]]
    assert r.stopped == "precision reached" and bool(status["met"])
    assert status["relative_half_width"] <= 0.005
    exact = erlang_b(4, 3.0)
    assert abs(status["mean"] - exact) <= status["ci_half_width"]
    assert status["ci_half_width"] < 0.005 * exact + 1e-12
    assert len(r.replications) > 3


def test_intervals_table(replicated) -> None:
    table = replicated.intervals(["connections.peak", "cpu.peak_utilisation"]).set_index("metric")
    values = replicated.frame["cpu.peak_utilisation"].tolist()
    mean, half, n = mean_ci(values)
    assert table.loc["cpu.peak_utilisation", "mean"] == pytest.approx(mean)
    assert table.loc["cpu.peak_utilisation", "ci_half_width"] == pytest.approx(half)
    assert table.loc["cpu.peak_utilisation", "n"] == n == len(replicated.replications)


@pytest.mark.parametrize("kwargs, message", [
    ({"precision": 0}, "precision must be a relative confidence half-width strictly between 0 and 1"),
    ({"precision": 1.0}, "precision must be a relative confidence half-width strictly between 0 and 1"),
    ({"precision": -0.1}, "strictly between 0 and 1"),
    ({"precision": 0.05, "max_replications": 1}, "max_replications must be a whole number >= 2"),
    ({"precision": 0.05, "max_replications": 2.5}, "max_replications must be a whole number >= 2"),
    ({"max_replications": 5}, "max_replications needs precision"),
    ({"metrics": ["cpu.peak_utilisation"]}, "metrics needs precision"),
    ({"precision": 0.05, "metrics": ["messages.latency_ms.p999x"]},
     "'messages.latency_ms.p999x' is not a metric of this run (did you mean 'messages.latency_ms.p999'?)"),
    ({"precision": 0.05, "replication": 2}, "replication cannot be given with precision"),
])
def test_bad_options_get_one_clear_error(kwargs, message) -> None:
    with pytest.raises(ValueError) as info:
        wsfleet.run(TINY, progress=False, **kwargs)
    assert message in str(info.value)


def test_the_cli_replicates_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    done = subprocess.run([str(WSFLEET), "run", str(scenario), "--out", str(out), "--precision", "0.003", "--metric",
                           "cpu.mean_utilisation", "--max-replications", "4", "--report", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "precision.json").read_text())
    frame = pd.read_parquet(out / "replications.parquet")
    n = doc["replications"]
    assert len(frame) == n and 3 <= n <= 4
    # The same as the Python call: replication r of the file is replication r of wsfleet.run.
    api = wsfleet.run(scenario, precision=0.003, metrics=["cpu.mean_utilisation"], max_replications=4,
                      progress=False)
    assert frame["cpu.mean_utilisation"].tolist() == api.frame["cpu.mean_utilisation"].tolist()
    # The text says how many replications and the half-width reached.
    m = doc["metrics"][0]
    assert f"{n} replications (seed 5, replications 0 to {n - 1})" in done.stdout
    assert f"±{100 * m['relative_half_width']:.2g} %" in done.stdout
    # Without --precision the summary.json is the plain run's (replication 0).
    plain = tmp_path / "plain"
    subprocess.run([str(WSFLEET), "run", str(scenario), "--out", str(plain), "-q"], check=True, capture_output=True)
    a, b = (json.loads((d / "summary.json").read_text()) for d in (plain, out))
    for d in (a, b):
        d.pop("wall_seconds"), d.pop("events_per_second")
    assert a == b
    assert not (plain / "precision.json").exists()


@pytest.mark.parametrize("args, message", [
    (["--precision", "1.5"], "--precision must be a relative confidence half-width strictly between 0 and 1"),
    (["--precision", "abc"], "argument --precision: invalid float value: 'abc'"),
    (["--precision", "0.05", "--max-replications", "1"], "--max-replications must be a whole number >= 2"),
    (["--precision", "0.05", "--metric", "nope.p99"], "--metric: 'nope.p99' is not a metric of this run"),
    (["--metric", "connections.peak"], "--metric needs --precision"),
])
def test_cli_bad_options(tmp_path: Path, args, message) -> None:
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    done = subprocess.run([str(WSFLEET), "run", str(scenario), *args, "-q"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1  # one error
    assert "Traceback" not in done.stderr


def test_the_report_figures_are_the_replications(replicated, tmp_path: Path) -> None:
    page = replicated.report(tmp_path / "run", plots=False).read_text(encoding="utf-8")
    headline = re.search(r'<section id="headline".*?</section>', page, re.S).group(0)
    frame = replicated.frame
    n = len(frame)
    # The cards: the mean over the replications ± its half-width, as the report's formatters write them.
    from wsfleet._format import fmt_int, fmt_ms, fmt_num, fmt_share

    cards = re.findall(r'<div class="card"><div class="value">(.*?)</div><div class="label">(.*?)</div>', headline)
    mean, half, _ = mean_ci(frame["messages.latency_ms.p99"].tolist())
    p99 = [html.unescape(v) for v, label in cards if label.startswith("p99 message latency")]
    assert p99 == [f"{fmt_ms(mean)} ± {fmt_ms(half)}"]
    cpu, cpu_half, _ = mean_ci(frame["cpu.peak_utilisation"].tolist())
    assert f"{fmt_share(cpu)} ± {fmt_share(cpu_half)}" in [html.unescape(v) for v, _ in cards]
    bad = ((frame["connections.rejected"] + frame["connections.failed"]) / frame["connections.attempted"]).tolist()
    share, share_half, _ = mean_ci(bad)
    assert f"{fmt_share(share)} ± {fmt_share(share_half)}" in [html.unescape(v) for v, _ in cards]
    rec, rec_half, _ = mean_ci(frame["recovery_s"].tolist())
    assert any(html.unescape(v).startswith(f"{fmt_num(rec)} s ± ") for v, _ in cards)
    assert any(f"(mean of {n} replications ± 95% CI)" in html.unescape(label) for _, label in cards)
    peak, peak_half, _ = mean_ci(frame["connections.peak"].tolist())
    assert f"{fmt_int(peak)} ± {fmt_int(peak_half)}" in [html.unescape(v) for v, _ in cards]
    # The precision table: one row per chosen metric with what it reached.
    doc = json.loads((tmp_path / "run" / "precision.json").read_text())
    text = _text(re.search(r'<div class="replications".*?</table></div>', headline, re.S).group(0))
    assert f"{n} replications (seed 5, replications 0 to {n - 1})" in text
    for m in doc["metrics"]:
        row = _text(re.search(rf'<tr data-metric="{re.escape(m["metric"])}".*?</tr>', headline, re.S).group(0))
        assert ("not met" in row) == (not m["met"])
    assert "The verdict and the limits table are over every replication: each limit is judged at the upper " \
        "bound of the 95% confidence interval of its mean use over the replications" in text
    assert "The tables below are replication 0's" in text
    # The subtitle says which replication the rest of the report is.
    assert f"replication 0 of {n} run to a precision" in _text(page)


def test_a_plain_report_has_no_replication_block(tmp_path: Path) -> None:
    page = wsfleet.run(TINY, progress=False).report(tmp_path / "run", plots=False).read_text(encoding="utf-8")
    assert 'id="replications"' not in page and "mean of" not in page


def test_repr(replicated) -> None:
    text = repr(replicated)
    assert text.startswith("ReplicatedRunResult 'tiny'") and "(replication 0)" in text
    assert f"{len(replicated.replications)} replications" in text
    assert "<p>" in replicated._repr_html_()
