"""The verdict of a replicated run is every replication's (wsfleet._replicated_verdict): each limit
judged at the upper bound of the 95 % Student-t interval of its mean use, bound when it stopped work in
any replication; the report's limits table gives each limit's mean ± half-width and range, and the
verdict says how many replications reach each status on their own.

The intervals are computed here by hand from the t quantile (scipy.stats.t, the reference
implementation), not with the module's own helper."""
from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import List

import pytest
from scipy import stats

import wsfleet
from wsfleet._format import fmt_share
from wsfleet._limits import Limit
from wsfleet._replicated_verdict import replicated_verdict


def _t_interval(xs: List[float]) -> tuple:
    n = len(xs)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    return mean, stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)


def _limits(connections: float, cpu: float, refused: float = 0.0) -> List[Limit]:
    """A run's limits: the connection limit at `connections` of it (bound with refusals), the CPU."""
    state = "bound" if refused or connections >= 1 else "near" if connections > 0.8 else "ok"
    return [Limit("connections", "per-server connection limit", state, connections,
                  f"{connections * 1000:.0f} of 1,000 connections", "1,000 connections per server",
                  f"{refused:.0f} connection attempts refused because the server was full" if refused else "",
                  severity=refused),
            Limit("cpu", "CPU", "ok", cpu, f"{cpu:.0%} busy", "1 core per server")]


def test_each_replication_enough_but_the_upper_bound_is_tight() -> None:
    """70 %, 74 %, 78 %: each replication alone keeps 22 % or more, but the mean's 95 % interval is
    74 % ± 4.303 × 0.04 / √3 = ± 9.94 %, up to 83.9 %: above 80 %, so TIGHT."""
    uses = [0.70, 0.74, 0.78]
    mean, half = _t_interval(uses)
    assert half == pytest.approx(0.0994, abs=1e-4)
    rv = replicated_verdict([_limits(u, 0.3) for u in uses])
    assert rv.statuses == ["ok", "ok", "ok"]
    assert rv.verdict.status == "warn" and rv.verdict.binding.key == "connections"
    conn = rv.limits[0]
    assert (conn.mean, conn.low, conn.high, conn.n) == (pytest.approx(mean), 0.70, 0.78, 3)
    assert conn.half == pytest.approx(half)
    assert conn.limit.used == pytest.approx(mean + half)
    assert conn.limit.used_text == f"{fmt_share(mean)} ± {fmt_share(half)} (70% to 78%)"
    assert conn.limit.state == "near" and rv.limits[1].limit.state == "ok"
    assert rv.text == (
        "No limit stopped work in any replication, but at the upper bound of its 95% interval the per-server "
        f"connection limit comes within 20%: it used {conn.limit.used_text} of its limit (mean ± 95% half-width, "
        f"lowest to highest replication; upper bound {fmt_share(mean + half)}). "
        "Every one of the 3 replications reads ENOUGH CAPACITY on its own.")


def test_a_limit_that_stopped_work_in_one_replication_binds() -> None:
    """Refusals in 1 of 4 replications: the mean refusals' interval is above 0, so the limit binds;
    the verdict says the replications disagree, with each status's count."""
    runs = [_limits(0.6, 0.3), _limits(0.7, 0.3), _limits(1.0, 0.3, refused=120), _limits(0.85, 0.3)]
    rv = replicated_verdict(runs)
    assert rv.statuses == ["ok", "ok", "fail", "warn"]
    assert rv.verdict.status == "fail" and rv.verdict.binding.key == "connections"
    conn = rv.limits[0]
    assert (conn.bound_in, conn.near_in, conn.worst) == (1, 1, 2)
    assert conn.limit.severity == 30.0  # 120 refusals over 4 replications
    assert "bound in 1 of 4 replications" in conn.limit.effect
    assert "replication 2: 120 connection attempts refused because the server was full" in conn.limit.effect
    assert conn.limit.figure == "replication 2, the worst: 1000 of 1,000 connections"
    assert rv.text.endswith("The replications disagree: NOT ENOUGH CAPACITY in 1 of 4, TIGHT in 1 of 4, "
                            "ENOUGH CAPACITY in 2 of 4 replications on their own.")
    assert rv.text.startswith("Over the 4 replications the binding constraint is the per-server connection limit")


def test_ample_margin_in_every_replication_reads_enough() -> None:
    """40 %, 42 %, 44 %: the interval's upper bound, 42 % + 4.97 %, keeps the 20 % margin."""
    rv = replicated_verdict([_limits(u, 0.2) for u in (0.40, 0.42, 0.44)])
    assert rv.verdict.status == "ok"
    assert rv.text.startswith("Every limit keeps at least 20% margin at the upper bound of its 95% interval; "
                              "the closest is the per-server connection limit")


# --------------------------------------------------------------------------------------------
# A real replicated run whose replications straddle the 80 % threshold


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


STRADDLE = """\
[scenario]
name = "straddle"

[run]
duration_s = 30.0
sample_interval_s = 1.0
seed = 11

[fleet]
servers = 4
max_connections = {max_connections}

[clients]
count = 400
ramp_s = 5.0
messages_per_minute = 1.0

[balancer]
policy = "random"
"""
#: 400 clients on 4 servers by a random balancer: the busiest server peaks at 102 to 119 connections
#: depending on the replication, around the 112 (80 % of 140) where the connection limit comes near.
MAX_CONNECTIONS = 140
RULE = dict(precision=0.001, metrics=["connections.peak_per_server"], max_replications=6)


@pytest.fixture(scope="module")
def straddling():
    return wsfleet.run(STRADDLE.format(max_connections=MAX_CONNECTIONS), progress=False, workers=0, **RULE)


def test_a_replicated_run_straddling_the_threshold(straddling, tmp_path: Path) -> None:
    r = straddling
    n = len(r.replications)
    assert n == 6  # the cap: 0.1 % is out of reach
    # Each replication's use of the connection limit, by hand from its own server samples.
    uses = [float(r.replication(k).servers["connections"].max()) / MAX_CONNECTIONS for k in range(n)]
    own = [r.replication(k).verdict().status for k in range(n)]
    assert set(own) == {"ok", "warn"}, own  # the replications straddle 80 %
    assert own == ["warn" if u > 0.8 else "ok" for u in uses]
    mean, half = _t_interval(uses)
    assert mean + half > 0.8
    # The verdict over the replications: TIGHT at the upper bound, with the replications' own counts.
    v = r.verdict()
    assert (v.status, v.words, v.binding.key) == ("warn", "TIGHT", "connections")
    counts = {s: own.count(s) for s in ("warn", "ok")}
    assert v.text.endswith(f"The replications disagree: TIGHT in {counts['warn']} of {n}, ENOUGH CAPACITY in "
                           f"{counts['ok']} of {n} replications on their own.")
    # The report: the verdict word, the sentence, and the limits table's mean ± half-width (range).
    page = r.report(tmp_path / "run", plots=False).read_text(encoding="utf-8")
    box = _text(re.search(r'<div class="verdict[^"]*">(.*?)</div>', page, re.S).group(1))
    assert box.startswith("Verdict: TIGHT")
    assert f"TIGHT in {counts['warn']} of {n}, ENOUGH CAPACITY in {counts['ok']} of {n}" in box
    row = _text(re.search(r'<tr class="limit-near" data-limit="connections">(.*?)</tr>', page, re.S).group(1))
    assert f"{fmt_share(mean)} ± {fmt_share(half)} ({fmt_share(min(uses))} to {fmt_share(max(uses))})" in row
    worst = max(range(n), key=lambda k: (uses[k], -k))
    assert f"replication {worst}, the worst: {round(uses[worst] * MAX_CONNECTIONS)} of 140 connections" in row
    assert f"near in {counts['warn']} of {n} replications" in row
    # The rule is stated under the cards.
    assert "each limit is judged at the upper bound of the 95% confidence interval of its mean use" in _text(page)


def test_the_cli_prints_the_verdict_over_the_replications(straddling, tmp_path: Path) -> None:
    import json
    import subprocess

    scenario = tmp_path / "straddle.toml"
    scenario.write_text(STRADDLE.format(max_connections=MAX_CONNECTIONS), encoding="utf-8")
    wsfleet_cli = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "wsfleet"
    args = [str(wsfleet_cli), "run", str(scenario), "--precision", "0.001", "--metric", "connections.peak_per_server",
            "--max-replications", "6", "--workers", "0", "-q"]
    done = subprocess.run(args + ["--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)["verdict"]
    v = straddling.verdict()
    assert verdict == {"status": "warn", "words": "TIGHT", "limit": "connections",
                       "limit_name": "per-server connection limit", "figure": v.binding.figure, "setting": None,
                       "text": v.text, "actions": v.actions}
    text = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert text.returncode == 0, text.stderr
    assert f"  verdict over the replications: TIGHT: {v.text}" in text.stdout.splitlines()
