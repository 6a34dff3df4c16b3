"""The views a notebook shows (the _repr_html_ of runs, sweeps, plans and policies) are rendered from
templates/notebook.html.j2, autoescaped: every text they print is escaped as html.escape spells it,
and they hold what the objects hold."""
from __future__ import annotations

import html
from pathlib import Path

import pytest

wsfleet = pytest.importorskip("wsfleet")
from test_sweep import TINY  # noqa: E402
from wsfleet import _html  # noqa: E402
from wsfleet._notebook import policy_html, run_html  # noqa: E402

NASTY = "<b>&'\""


def test_every_view_escapes_what_it_prints() -> None:
    assert _html.snippet("policy", text=NASTY) == "<code>&lt;b&gt;&amp;&#x27;&quot;</code>"
    assert policy_html(NASTY, "a < b") == "<div><strong>&lt;b&gt;&amp;&#x27;&quot;</strong>: a &lt; b</div>"
    page = _html.snippet("run", title=NASTY, rows=[(NASTY, "1 < 2")], words="TIGHT", text="x & y")
    assert "<b>" not in page and "&lt;b&gt;&amp;&#x27;&quot;" in page and "1 &lt; 2" in page and "x &amp; y" in page
    plan = _html.snippet("plan", variable="fleet.servers", summary=NASTY, candidates=[(NASTY, 3, "2✗, 3✓")])
    assert plan.count("&lt;b&gt;") == 2 and "<b>" not in plan
    sweep = _html.snippet("sweep", title=NASTY, outcome=None, head=["point", NASTY], rows=[["0", "<i>"]])
    assert "<b>" not in sweep and "<i>" not in sweep and "&lt;i&gt;" in sweep


def test_a_runs_view_holds_its_headline_and_verdict() -> None:
    result = wsfleet.run(TINY.replace('name = "tiny"', 'name = "tiny <&>"'))
    page = run_html(result)
    plain = html.unescape(page)
    title, rows = result._headline()
    assert "tiny <&>" in plain and "<&>" not in page and title in plain
    for label, value in rows:
        assert f"<th style=\"text-align:left\">{html.escape(label)}</th>" in page and value in plain
    v = result.verdict()
    assert f"<strong>{v.words}</strong>: {html.escape(v.text)}" in page


def test_policies_sweeps_and_plans_show_their_own_figures(tmp_path: Path) -> None:
    backoff = wsfleet.BackoffPolicy("constant", {"delay_s": 2})
    page = backoff._repr_html_()
    assert page.startswith("<div><strong>BackoffPolicy(&#x27;constant&#x27;)</strong>: "
                           "one client&#x27;s first delays 2 s, 2 s")
    policy = wsfleet.BalancingPolicy("round_robin")._repr_html_()
    assert policy == "<code>BalancingPolicy(&#x27;round_robin&#x27;)</code>"
    sweep = wsfleet.sweep(TINY, {"fleet.servers": [3, 4]}, out=tmp_path / "a<b>", workers=0)
    page = sweep._repr_html_()
    assert "a&lt;b&gt;" in page and "a<b>" not in page
    table = sweep.aggregate().head(12)
    assert page.count("<tr>") == 1 + len(table)
    plan = wsfleet.plan(TINY, {"rejected_pct": 5.0}, out=tmp_path / "p", workers=0)
    page = html.unescape(plan._repr_html_())
    assert f"Plan for fleet.servers</strong>: {plan.summary()}" in page
    assert ", ".join(f"{e.value}{'✓' if e.passed else '✗'}" for e in plan.candidates[0].evaluations) in page
