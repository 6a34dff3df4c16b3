"""Every point of a sweep or plan carries the run's verdict (wsfleet._point_verdicts): measured by the
worker on the run's time series, kept in the results rows (declared in wsfleet.study_schema), judged
over a point's replications as a replicated run's verdict is, and shown in the sweep and plan reports.

The scenario (test_verdict's): 400 clients over 4 servers behind a least-connections balancer. With
80 connections per server the fleet holds 320, so 80 clients find every server full: the per-server
connection limit binds (80 of 80 connections) and refuses attempts. With 1,000 per server each server holds
about 100 (10 % of its limit), far from the 80 % at which a limit comes near."""
from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Dict, List

import pytest

wsfleet = pytest.importorskip("wsfleet")
from wsfleet import study_schema  # noqa: E402
from wsfleet._point_verdicts import point_verdicts  # noqa: E402
from wsfleet.report import write_report  # noqa: E402
from test_verdict import BASE  # noqa: E402

SCENARIO = BASE.format(name="point-verdicts", duration_s=40)


def _rows(text: str) -> List[List[str]]:
    """The first table's rows of section 2 of the sweep report (the verdict per point), each cell's
    text unescaped."""
    section = text.split('<section id="results"', 1)[1].split("</table>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", section, re.S):
        rows.append([html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)])
    return rows


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> wsfleet.SweepResult:
    out = tmp_path_factory.mktemp("sweep") / "out"
    return wsfleet.sweep(SCENARIO, {"fleet.max_connections": [80, 1000]}, replications=2, out=out, workers=2)


def test_every_run_row_carries_its_verdict_from_the_limits(sweep: wsfleet.SweepResult) -> None:
    frame = sweep.frame
    full = frame[frame["fleet.max_connections"] == 80]
    roomy = frame[frame["fleet.max_connections"] == 1000]
    assert len(full) == 2 and len(roomy) == 2
    # 320 places for 400 clients: every server at its limit, the overflow refused as server full.
    assert (full["verdict.status"] == "fail").all() and (full["verdict.limit"] == "connections").all()
    assert (full["verdict.limits.connections.used"] == 1.0).all()
    assert (full["verdict.limits.connections.state"] == "bound").all()
    assert full["verdict.figure"].str.startswith("80 of 80 connections").all()
    # The work the limit stopped is the attempts refused because the server was full (summary.json).
    assert (full["verdict.limits.connections.severity"] == full["connections.rejected_by.server_full"]).all()
    assert (full["connections.rejected_by.server_full"] > 0).all()
    # 100 clients a server of 1,000: 10 % used, the closest limit, and every limit keeps its margin.
    assert (roomy["verdict.status"] == "ok").all()
    used = roomy["verdict.limits.connections.used"]
    assert ((used >= 0.09) & (used <= 0.11)).all(), used
    assert (roomy["verdict.limits.connections.used"] * 1000 <= roomy["connections.peak_per_server"]).all()
    states = roomy[[c for c in roomy.columns if c.startswith("verdict.limits.") and c.endswith(".state")]]
    assert set(states.to_numpy().ravel()) <= {"ok", "n/a"}
    # The columns are the study schema's (flat, joined with dots).
    declared = {f.path.replace("*", "connections") for f in study_schema.RESULT_ROW_FIELDS
                if f.type not in ("object", "map")}
    assert declared <= set(frame.columns)
    assert "results_row" in study_schema.json_schema("study")["definitions"]


def test_each_point_is_judged_over_its_replications(sweep: wsfleet.SweepResult) -> None:
    frame = sweep.frame
    verdicts = point_verdicts(frame)
    point_of = {int(v): int(p) for p, v in zip(frame["point"], frame["fleet.max_connections"])}
    full, roomy = verdicts[point_of[80]], verdicts[point_of[1000]]
    assert (full.status, full.words, full.limit.key) == ("fail", "NOT ENOUGH CAPACITY", "connections")
    assert full.statuses == ["fail", "fail"]
    # Both replications at 100 %: the mean with a zero half-width, the range one value.
    assert full.used == "100% in each of the 2 replications", full.used
    assert (roomy.status, roomy.words, roomy.limit.key) == ("ok", "ENOUGH CAPACITY", "connections")
    assert "Every limit keeps at least 20% margin" in roomy.text


def test_the_sweep_report_shows_each_points_verdict(sweep: wsfleet.SweepResult, tmp_path: Path) -> None:
    text = write_report(sweep.directory, tmp_path / "sweep.html", plots=False).read_text(encoding="utf-8")
    plain = html.unescape(text)
    assert "Verdict per point" in plain and "Binding or closest limit" in plain
    by_value: Dict[str, List[str]] = {row[0]: row[1:] for row in _rows(text) if row}
    words, limit = by_value["80"]
    assert words == "NOT ENOUGH CAPACITY" and limit.startswith("per-server connection limit, 100% in each of the 2 replications"), limit
    assert "each replication alone reads NOT ENOUGH CAPACITY" in limit
    words, limit = by_value["1000"]
    assert words == "ENOUGH CAPACITY" and limit.startswith("per-server connection limit, 10%"), limit
    assert "each limit is judged at the upper bound of the 95% confidence interval of its mean use" in plain


def test_the_plan_names_the_binding_limit_at_its_answer_and_one_size_below(tmp_path: Path) -> None:
    """150 connections a server for 400 clients: 2 servers hold 300 (100 refused), 3 hold 450 with
    about 134 each (89 % of the limit: near, TIGHT), so the answer is 3 servers."""
    scenario = SCENARIO.replace("max_connections = 1000", "max_connections = 150")
    assert scenario != SCENARIO
    result = wsfleet.plan(scenario, {"rejected_pct": 1.0}, replications=2, out=tmp_path / "plan", workers=0)
    assert result.recommended == 3
    page = write_report(result.directory, tmp_path / "plan.html", plots=False)
    text = html.unescape(page.read_text(encoding="utf-8"))
    box = text.split('id="recommendation"', 1)[1].split("<h3>", 1)[0]
    box = re.sub(r"<[^>]+>", " ", box)
    at3 = re.search(r"At fleet\.servers = 3: (.*?)\.\s", box, re.S).group(1)
    at2 = re.search(r"At fleet\.servers = 2: (.*?)\.\s", box, re.S).group(1)
    assert at3.startswith("TIGHT over 2 replications; the closest limit is the per-server connection limit, 8"), at3
    assert at2.startswith("NOT ENOUGH CAPACITY over 2 replications; the binding constraint is the per-server "
                          "connection limit, 100% in each of the 2 replications"), at2
    frame = result.frame
    at_2 = frame[frame["fleet.servers"] == 2]
    used_3 = frame.loc[frame["fleet.servers"] == 3, "verdict.limits.connections.used"]
    assert (at_2["verdict.limits.connections.used"] == 1.0).all()
    assert all(math.ceil(400 / 3) / 150 - 0.02 <= u <= 1.0 for u in used_3), used_3
