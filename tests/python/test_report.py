"""The capacity-planning HTML report (wsfleet.report), on synthetic run directories (its command line
and bad inputs: test_report_cli.py).

The report is pure Python; these tests load it straight from python/wsfleet/ under a private
package name (report_source: so they run the source, not an installed copy of the report). Of the engine it needs
only the schemas behind its typed views (wsfleet.views, from the installed wsfleet._core)."""
from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from report_source import IMG_RE, ROOT, html as _html, load_source

report = load_source("report")
describe = load_source("_describe")
plots = load_source("_plots")


def _section(html_text: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}"[^>]*>(.*?)</section>', html_text, re.DOTALL)
    assert match, f"no section {section_id}"
    return match.group(1)


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


def _edit_summary(run_dir: Path, edit: Callable[[dict], Any]) -> None:
    summary = _summary(run_dir)
    edit(summary)
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The report of a normal run (rendered once for the read-only checks)


@pytest.fixture(scope="module")
def default_report(tmp_path_factory: pytest.TempPathFactory, write_run: Callable[..., Path]) -> Path:
    run_dir = write_run(tmp_path_factory.mktemp("default") / "run")
    out = report.write_report(run_dir)
    assert out == run_dir / "report.html"
    return out


def test_writes_self_contained_html(default_report: Path) -> None:
    text = _html(default_report)
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r'\b(?:src|href)\s*=\s*["\']?(?:https?:)?//', text, re.IGNORECASE)
    assert "<script" not in text.lower() and "<link" not in text.lower()
    sources = IMG_RE.findall(text)
    assert len(sources) == 7  # connections, attempts, CPU, latency, waiting; alerts timeline, SLO burn (docs/monitoring.md)
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert "@media print" in text and "break-before: page" in text
    # Nothing global was changed to draw the plots.
    assert "matplotlib.pyplot" not in sys.modules


def test_html_is_well_formed(default_report: Path) -> None:
    """Every block element that is opened is closed, in order (a cheap structural check)."""
    from html.parser import HTMLParser

    blocks = {"html", "head", "body", "header", "section", "div", "table", "thead", "tbody", "tr", "th",
              "td", "ul", "li", "figure", "figcaption", "pre", "p", "h1", "h2", "h3", "style", "title",
              "footer", "code", "strong", "span"}
    stack: list = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag in blocks:
                stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if tag in blocks:
                assert stack and stack[-1] == tag, f"</{tag}> closes <{stack[-1] if stack else None}>"
                stack.pop()

    checker = Checker()
    checker.feed(_html(default_report))
    checker.close()
    assert stack == []
    text = _html(default_report)
    for section in ("question", "headline", "plots", "scenario"):
        assert f'<section id="{section}"' in text


def test_title_and_headline_numbers(default_report: Path) -> None:
    text = _html(default_report)
    summary = _summary(default_report.parent)
    conn = summary["connections"]
    assert "<title>Capacity report: storm-test</title>" in text
    assert "<h1>Capacity report: storm-test</h1>" in text
    head = _section(text, "headline")
    lat = summary["messages"]["latency_ms"]
    assert "2.4 ms / 87.6 ms / 950 ms" in head                      # p50 / p99 / p99.9
    assert f"{conn['attempted']:,}" in head
    assert f"{conn['retries']:,} were reconnects" in head
    assert describe.fmt_mib(summary["memory"]["peak_server_mib"]) in head
    assert describe.fmt_share(summary["cpu"]["peak_utilisation"]) in head
    assert describe.fmt_ms(lat["p99"]) == "87.6 ms"
    fault = summary["faults"][0]
    assert f"{fault['connections_dropped']:,}" in head
    assert describe.fmt_seconds(fault["reconnected_within_s"]) in head
    assert "Conservation check passed" in head
    assert "Verdict:" in head
    # The busiest server peaked at 2,499 of 3,000 connections: little headroom, said in words.
    assert "TIGHT" in head and "16.7%" in head


def test_plain_words_description(default_report: Path) -> None:
    question = _section(_html(default_report), "question")
    assert "5 servers, each limited to 3,000 connections and 1 CPU core" in question
    assert "least-connections balancer" in question
    assert "10,000 clients connect over 30 s and stay connected" in question
    assert "3 messages a minute" in question and "heartbeat every 25 s" in question
    assert "Server 2 crashes at 120 s and returns 60 s later" in question
    assert "full-jitter exponential backoff (base 1 s, cap 30 s)" in question
    assert "loses server 2 at 120 s" in question       # the question


def test_scenario_file_and_metadata(default_report: Path) -> None:
    text = _html(default_report)
    meta = _section(text, "scenario")
    assert "<pre>[scenario]" in meta
    assert "name = &quot;storm-test&quot;" in meta
    assert "&lt;&amp;&gt;" in meta and "<&>" not in text     # user text is escaped everywhere
    assert "12,345,678" in meta                                # events processed
    assert "1.9 s" in meta                                     # wall time
    assert "attempted = established + rejected + failed + pending_at_end" in meta


def test_custom_output_path_and_deterministic(make_run: Callable[..., Path], tmp_path: Path) -> None:
    run_dir = make_run(duration_s=20.0, ramp_s=5.0, faults=[{"server": 1, "at_s": 10.0, "recover_after_s": 5.0}])
    out = tmp_path / "reports" / "nested" / "r.html"
    assert report.write_report(str(run_dir), out=str(out)) == out
    again = report.write_report(run_dir, out=tmp_path / "r2.html")
    assert out.read_bytes() == again.read_bytes()
    assert not (run_dir / "report.html").exists()
    assert not list(out.parent.glob(".*.tmp"))


# --------------------------------------------------------------------------------------------
# Verdicts


def test_verdict_when_servers_hit_the_limit(make_run: Callable[..., Path]) -> None:
    run_dir = make_run(servers=4, max_connections=2600, clients=10000, faults=[{"server": 1, "at_s": 60.0}],
                       duration_s=120.0)
    head = _section(_html(report.write_report(run_dir, plots=False)), "headline")
    assert "NOT ENOUGH CAPACITY" in head
    assert "The binding constraint is the per-server connection limit: 2,600 of 2,600 connections" in head
    # The advice follows from the figures: 10,000 clients / (2,600 x 0.8) = 5 servers, + 1 for the crash.
    assert "takes 5 servers plus 1 for the crashed server: 6 (this run: 4)" in head
    assert "had not all reconnected by the end of the run" in head
    assert "does not come back" in _html(run_dir / "report.html")
    assert "the peak load would not fit" in head


def test_verdict_with_plenty_of_headroom(make_run: Callable[..., Path]) -> None:
    run_dir = make_run(servers=5, max_connections=20000, faults=[])
    head = _section(_html(report.write_report(run_dir, plots=False)), "headline")
    assert "Verdict: ENOUGH CAPACITY" in head
    assert "No action needed" in head
    assert "no reconnect storm" in head


def test_single_server_crash_is_an_outage(make_run: Callable[..., Path]) -> None:
    run_dir = make_run(servers=1, clients=1000, faults=[{"server": 0, "at_s": 50.0, "recover_after_s": 20.0}],
                       duration_s=100.0)
    head = _section(_html(report.write_report(run_dir, plots=False)), "headline")
    assert "Total outage: no server was up from about 50 s until about 70 s." in head
    assert "run at least two servers" in head and "NOT ENOUGH CAPACITY" in head


def test_no_room_for_a_failure(make_run: Callable[..., Path]) -> None:
    run_dir = make_run(servers=4, max_connections=3000, clients=10000, faults=[], duration_s=60.0)
    head = _section(_html(report.write_report(run_dir, plots=False)), "headline")
    assert "Verdict: TIGHT" in head
    assert "if one server died at the peak, the other 3 could hold only 9,000 of the 10,000 connections" in head


def test_conservation_failure_is_flagged(run_dir: Path) -> None:
    def fail(summary: dict) -> None:
        summary["conservation"]["ok"] = False
    _edit_summary(run_dir, fail)
    text = _html(report.write_report(run_dir, plots=False))
    assert "Conservation check FAILED" in text


def test_gave_up_clients_are_a_problem(run_dir: Path) -> None:
    def gave_up(summary: dict) -> None:
        summary["connections"]["gave_up"] = 42
    _edit_summary(run_dir, gave_up)
    head = _section(_html(report.write_report(run_dir, plots=False)), "headline")
    assert "42 clients gave up reconnecting" in head and "NOT ENOUGH CAPACITY" in head


# --------------------------------------------------------------------------------------------
# Edge cases


@pytest.mark.parametrize("options, expect", [
    ({"faults": []}, "No server fails during the run"),
    ({"messages_per_minute": 0.0}, "No message completed during this run"),
    ({"servers": 1, "clients": 1000, "faults": [{"server": 0, "at_s": 50.0, "recover_after_s": 20.0}],
      "duration_s": 100.0}, "1 server, limited to 3,000 connections"),
    ({"duration_s": 2.0, "ramp_s": 1.0, "faults": []}, "The run simulates 2 s"),
    ({"duration_s": 1.0, "ramp_s": 1.0, "faults": [{"server": 0, "at_s": 0.5}]}, "crashes at 0.5 s"),
    ({"servers": 3, "faults": [{"server": 0, "at_s": 40.0, "recover_after_s": 10.0},
                               {"server": 1, "at_s": 45.0, "recover_after_s": 10.0},
                               {"server": 2, "at_s": 200.0}], "duration_s": 240.0},
     "server 1 crashes at 45 s"),
    ({"sample_interval_s": 5.0, "duration_s": 600.0}, "sampled every 5 s"),
])
def test_edge_cases_do_not_raise(make_run: Callable[..., Path], options: dict, expect: str) -> None:
    run_dir = make_run(**options)
    text = _html(report.write_report(run_dir))
    assert expect in text
    assert "http://" not in text


def test_no_messages_has_null_latencies(make_run: Callable[..., Path]) -> None:
    run_dir = make_run(messages_per_minute=0.0)
    assert _summary(run_dir)["messages"]["latency_ms"]["p99"] is None
    head = _section(_html(report.write_report(run_dir)), "headline")
    assert "n/a / n/a / n/a" in head
    assert "sends no messages" in _html(run_dir / "report.html")
    assert len(IMG_RE.findall(_html(run_dir / "report.html"))) == 6  # no latency plot; + the monitoring section's alerts timeline and SLO burn


def test_many_servers(make_run: Callable[..., Path]) -> None:
    run_dir = make_run(servers=100, clients=200000, max_connections=4000, duration_s=40.0, ramp_s=10.0,
                       faults=[{"server": 17, "at_s": 20.0, "recover_after_s": 10.0}])
    text = _html(report.write_report(run_dir))
    assert "Crashed and busiest servers are coloured, the others are grey." in text
    data = report.analyse(report.load_run(run_dir)).plot_data
    wide = plots._wide(data.servers, "connections")
    fig = plots.new_figure(3)
    handles = plots._plot_servers(fig.add_subplot(1, 1, 1), wide, data,
                                  plots._highlight(data, wide, plots._busiest(wide)), {17: "crashed"})
    labels = [h.get_label() for h in handles]
    assert len(labels) <= plots.MAX_HIGHLIGHT + 1
    assert labels[0] == "server 17 (crashed)" and labels[-1].startswith("other servers (")


def test_header_only_timeseries(run_dir: Path) -> None:
    ts = run_dir / "timeseries.csv"
    ts.write_text(ts.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    text = _html(report.write_report(run_dir))
    assert "the run produced no samples" in text


def test_summary_with_missing_sections(run_dir: Path) -> None:
    (run_dir / "summary.json").write_text(json.dumps({"scenario": {"name": "sparse"}}), encoding="utf-8")
    text = _html(report.write_report(run_dir))
    assert "Capacity report: sparse" in text and "n/a" in text


def test_timeseries_without_optional_columns(run_dir: Path) -> None:
    ts = run_dir / "timeseries.csv"
    lines = ts.read_text(encoding="utf-8").splitlines()
    keep = ["time_s", "scope", "server", "connections"]
    header = lines[0].split(",")
    idx = [header.index(c) for c in keep]
    ts.write_text("\n".join(",".join(line.split(",")[i] for i in idx) for line in lines) + "\n", encoding="utf-8")
    text = _html(report.write_report(run_dir))
    assert len(IMG_RE.findall(text)) == 1
    assert "No CPU samples in this run." in text


# --------------------------------------------------------------------------------------------
# The life of connections: heartbeats, dead peers, idle timeouts, shedding


def _text(fragment: str) -> str:
    import html as _html_mod
    return _html_mod.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)))


def _with_connection_life(run_dir: Path) -> None:
    """Gives a synthetic run every mechanism of the section, with numbers whose wording is known."""
    def edit(s: dict) -> None:
        s["heartbeats"].update(sent=2_000_000, delivered=2_000_000, dropped=0, per_message=2.5,
                               bytes=2_000_000 * 132, half_open_detected=1150, half_open_at_end=50,
                               detection_s={"count": 1150, "mean": 32.5, "p50": 32.2, "p99": 44.9, "max": 45.0})
        s["connections"].update(vanished=1200, idle_cut=300, idle_closed=0, rebalanced=120,
                                rejected_by={"server_full": 0, "no_backend": 0, "rate_limited": 0, "shed": 500})
    _edit_summary(run_dir, edit)
    scen = run_dir / "scenario.toml"
    text = scen.read_text(encoding="utf-8").replace("[balancer]\n", "[balancer]\nidle_timeout_s = 60.0\n")
    text += ("\n[fleet.admission]\nmax_handshakes_per_s = 0.0\nreject_above_backlog_ms = 250.0\nreject_us = 20.0\n"
             "retry_after_s = 2.0\n\n[fleet.rebalance]\ninterval_s = 5.0\ntolerance = 0.1\nmax_per_interval = 100\n"
             '\n[heartbeat]\npreset = "socketio"\nsender = "server"\nmode = "periodic"\n')
    scen.write_text(text, encoding="utf-8")
    ts = report.load_run(run_dir).timeseries
    fleet = ts["scope"] == "fleet"
    ts.loc[fleet, "half_open"] = 40.0
    ts.loc[fleet & (ts["time_s"] == 150.0), "half_open"] = 61.0
    ts.loc[~fleet, "half_open"] = 10.0
    ts.to_csv(run_dir / "timeseries.csv", index=False)


def test_connection_life_section_states_the_numbers(run_dir: Path) -> None:
    _with_connection_life(run_dir)
    page = _html(report.write_report(run_dir))
    section = _section(page, "life")
    assert "<h2>3. The life of connections</h2>" in section
    assert "<h2>4. What happened over time</h2>" in page and "<h2>6. Scenario file and run metadata</h2>" in page
    text = _text(section)
    # Heartbeat cost: 2e6 exchanges x 5 us = 10 s of CPU, of 0.31 x 5 servers x 300 s = 465 s busy (2.2 %)
    # and 1,500 s of capacity (0.67 %); 2e6 x 132 bytes x 8 / 300 s = 7.04 Mbit/s.
    assert "2,000,000 ping exchanges: the servers ping every 25 s (socketio defaults), 2.5 per data message" in text
    assert "more heartbeat frames than data messages" in text
    assert "Answering them took 10 s of server CPU: 2.2% of all the CPU work the servers did" in text
    assert "(0.67% of the fleet's CPU capacity)" in text
    assert "On the wire: 7.04 Mbit/s on average" in text
    # Dead peers: counts, percentiles and what the time series held.
    assert "1,200 sessions ended without a close" in text
    assert ("The servers found and closed 1,150 of them; detection took 32.2 s at the median, 44.9 s at p99 "
            "and 45 s at most (mean 32.5 s).") in text
    assert "61 at most (at 150 s)" in text
    assert "50 were still held at the end of the run." in text
    # Idle cuts and shedding.
    assert "The balancer cut 300 connections that carried no frame for 60 s" in text
    assert "idle policy" not in text  # no idle close in this run
    assert "Admission control refused 500 connection attempts" in text
    assert "while a server's CPU queue was longer than 250 ms" in text
    assert "Retry-After of 2 s" in text
    assert "Rebalancing closed 120 connections on servers holding more than the fleet's mean + 10%" in text
    # The half-open connections over time are plotted in the section.
    assert len(IMG_RE.findall(section)) == 1
    assert len(IMG_RE.findall(page)) == 8  # + the monitoring section's alerts timeline and SLO burn
    # Without plots: the words stay, the figure goes.
    quick = _section(_html(report.write_report(run_dir, plots=False)), "life")
    assert "The servers found and closed 1,150" in _text(quick) and not IMG_RE.findall(quick)


def test_connection_life_topics_without_data_are_left_out(default_report: Path, make_run: Callable[..., Path]) -> None:
    # The synthetic run has heartbeats but no dead peer, idle cut or shedding: only the cost is stated.
    section = _section(_html(default_report), "life")
    assert 'id="life-heartbeats"' in section
    for topic in ("half_open", "idle", "shedding"):
        assert f'id="life-{topic}"' not in section
    assert not IMG_RE.findall(section)
    # A run with none of them has no such section, and the sections keep their numbers.
    run_dir = make_run("quiet")
    _edit_summary(run_dir, lambda s: s["heartbeats"].update(sent=0, delivered=0, dropped=0))
    page = _html(report.write_report(run_dir))
    assert 'id="life"' not in page and "The life of connections" not in page
    assert "<h2>3. What happened over time</h2>" in page and "<h2>5. Scenario file and run metadata</h2>" in page


def test_connection_life_when_nothing_detects_dead_peers(run_dir: Path) -> None:
    _edit_summary(run_dir, lambda s: (s["connections"].update(vanished=80),
                                      s["heartbeats"].update(half_open_detected=0, half_open_at_end=80)))
    text = _text(_section(_html(report.write_report(run_dir)), "life"))
    assert "80 sessions ended without a close" in text
    assert "Nothing found any of them" in text and "80 were still held at the end of the run." in text


def _with_pubsub(run_dir: Path) -> None:
    """A synthetic pub/sub run: a slow-consumer workload with a memory crash and resume."""
    def edit(s: dict) -> None:
        s["connections"]["slow_consumer"] = 40
        s["pubsub"] = {
            "publications": {"published": 1200, "from_feeds": 1200, "from_clients": 0, "publish_failed": 0,
                             "arrived": 1200, "lost_in_broker": 0, "in_broker_at_end": 0},
            "fanouts": {"dispatched": 4800, "done": 4800, "lost": 0, "pending_at_end": 0},
            "copies": {"created": 2_400_000, "delivered": 2_300_000, "dropped_full": 60_000, "dropped_oldest": 0,
                       "dropped_volatile": 0, "conflated": 30_000, "discarded": 10_000, "buffered_at_end": 0,
                       "bytes_delivered": 2.3e9},
            "latency_ms": {"count": 2_300_000, "mean": 40.0, "p50": 5.2, "p90": 300.0, "p99": 1500.0,
                           "p999": 2000.0, "max": 2500.0},
            "slow_consumers": {"closed": 40, "memory_crashes": 2, "peak_server_buffered_mib": 12.5,
                               "dropped": 100_000},
            "continuity": {"expected": 2_400_000, "in_order": 2_290_000, "recovered_resume": 8_000,
                           "recovered_history": 2_000, "lost": 100_000, "pending_at_end": 0, "duplicated": 0,
                           "out_of_order": 2_000, "exactly_once": False},
            "resume": {"attempts": 500, "resumed": 450, "too_late": 50, "evicted": 0, "success_rate": 0.9,
                       "history_fetches": 50},
        }
    _edit_summary(run_dir, edit)
    scen = run_dir / "scenario.toml"
    text = scen.read_text(encoding="utf-8").replace("[fleet]\n", "[fleet]\nmemory_limit_mib = 300.0\n")
    scen.write_text(text + "\n[pubsub]\nchannels = 1\n\n[pubsub.resume]\nwindow_s = 120.0\n", encoding="utf-8")


def test_pubsub_section_states_the_numbers(run_dir: Path) -> None:
    _with_pubsub(run_dir)
    text = _text(_section(_html(report.write_report(run_dir, plots=False)), "life"))
    assert 'Pub/sub: fan-out, slow consumers and continuity' in text
    assert "1,200 publications (1,200 from server-side feeds)." in text
    assert ("The servers made 2,400,000 copies for subscribers and wrote 2,300,000 of them to their clients "
            "(95.8%); from publication to delivery 5.2 ms at the median and 1,500 ms at p99.") in text
    assert ("100,000 copies never reached their client: 60,000 refused by a full send buffer; 30,000 replaced "
            "by a newer message on their channel (conflation); 10,000 thrown away") in text
    assert "drop oldest" not in text and "volatile" not in text  # causes without drops are not named
    assert "40 slow consumers were disconnected" in text
    assert "Send buffers ran 2 servers out of memory (fleet.memory_limit_mib = 300 MiB)" in text
    assert "At the peak one server held 12.5 MiB of unsent messages." in text
    assert ("Of the 2,400,000 messages the subscribers should have seen, 2,290,000 arrived live and in order, "
            "8,000 were recovered by resuming the session, 2,000 were fetched from history; 100,000 were lost "
            "and 0 duplicated, 2,000 arrived out of order. Exactly-once delivery did not hold.") in text
    assert "500 reconnections tried to resume within the 120 s window: 450 succeeded (90%), 50 came too late." in text
    assert "from history 50 times" in text


def test_pubsub_exactly_once_and_omitted_without_pubsub(run_dir: Path, default_report: Path) -> None:
    # The synthetic default run has no pub/sub: no such topic.
    assert 'id="life-pubsub"' not in _html(default_report)
    _with_pubsub(run_dir)
    def clean(s: dict) -> None:
        ps = s["pubsub"]
        ps["copies"].update(dropped_full=0, conflated=0, discarded=0)
        ps["continuity"].update(lost=0, exactly_once=True)
        ps["slow_consumers"].update(closed=0, memory_crashes=0)
        ps["resume"].update(attempts=0, resumed=0, too_late=0, success_rate=None, history_fetches=0)
        s["connections"]["slow_consumer"] = 0
    _edit_summary(run_dir, clean)
    text = _text(_section(_html(report.write_report(run_dir, plots=False)), "life"))
    assert "No copy was dropped." in text and "Exactly-once delivery held." in text
    assert "slow consumers were disconnected" not in text and "out of memory" not in text
    assert "tried to resume" not in text


# --------------------------------------------------------------------------------------------
# Plain words and number formatting


def test_describe_variants() -> None:
    scenario = {
        "fleet": {"servers": 8, "max_connections": 1000, "cpu_cores": 2, "weights": [1, 1, 2, 2, 1, 1, 3, 1]},
        "clients": {"count": 1, "ramp_s": 0, "session": {"distribution": "lognormal", "mean_s": 600, "stddev_s": 300},
                    "on_session_end": "reconnect", "messages_per_minute": 0.5, "replies_per_message": 0,
                    "heartbeat_interval_s": 0},
        "balancer": {"policy": "power_of_two_choices", "choices": 2},
        "backoff": {"policy": "decorrelated_jitter", "base_s": 0.5, "cap_s": 60, "max_retries": 5},
        "faults": [{"type": "crash", "server": 4, "at_s": 10}],
    }
    text = " ".join(describe.describe_scenario(scenario))
    assert "8 servers, each limited to 1,000 connections and 2 CPU cores" in text
    # Active health checks are on unless the scenario turns them off: the schema's defaults.
    assert ("a power-of-two-choices balancer (choices 2, health checks every 2 s, out after 3 failed) with weights "
            "from 1 to 3") in text
    assert "1 client connects at once at the start" in text
    assert "log-normally distributed with mean 10 min and standard deviation 5 min, then reconnects at once" in text
    assert "0.5 messages a minute (no replies)" in text and "no heartbeats" in text
    assert "Server 4 crashes at 10 s and does not come back" in text
    assert "decorrelated-jitter backoff (base 0.5 s, cap 60 s), giving up after 5 retries" in text
    assert "an unknown-policy balancer" in describe.balancer_phrase({"policy": "unknown_policy"})
    # An empty scenario is the engine's defaults (the scenario schema's), described as such.
    fleet = json.loads((ROOT / "docs" / "scenario.schema.json").read_text())["properties"]["fleet"]["properties"]
    assert describe.describe_scenario({})[0].startswith(
        f"{fleet['servers']['default']} servers, each limited to {describe.fmt_int(fleet['max_connections']['default'])} "
        "connections and 1 CPU core, behind a round-robin balancer")


def test_describe_says_which_connect_timeout_applied() -> None:
    def text(clients: dict, backoff: dict) -> str:
        return " ".join(describe.describe_scenario({"clients": clients, "backoff": backoff}))

    # Given by the scenario: that, whatever the preset.
    assert "not completed within 7 s fails (clients.connect_timeout_s)" in text({"connect_timeout_s": 7},
                                                                                {"policy": "socketio"})
    # Left out: the preset's own (the libraries' defaults), else the 10 s default.
    assert "within 20 s fails (socket.io-client 4.x's own timeout)" in text({}, {"policy": "socketio"})
    assert "within 4 s fails (reconnecting-websocket 4.4's own timeout)" in text({}, {"policy": "reconnecting_websocket"})
    assert "within 5 s fails (centrifuge-js 5.x's own timeout)" in text({}, {"policy": "centrifuge"})
    assert "the longer of 20 s and its backoff" in text({}, {"policy": "grpc"})
    assert "the longer of 2 s and its backoff" in text({}, {"policy": "grpc", "min_connect_timeout_s": 2})
    assert "within 8 s, doubled for each next attempt of a reconnection up to 32 s" in text(
        {}, {"policy": "pusher", "timeout_s": 8, "timeout_limit_s": 32})
    assert "within 15 s, doubled for each next attempt of a reconnection up to 60 s" in text({}, {"policy": "pusher"})
    assert "within 10 s fails (the default)" in text({}, {"policy": "full_jitter"})
    assert "within 10 s fails (the default)" in text({}, {"policy": "signalr"})


def test_number_formats() -> None:
    assert describe.fmt_int(1234567) == "1,234,567"
    assert describe.fmt_int(None) == "n/a"
    assert describe.fmt_num(1.0) == "1" and describe.fmt_num(0.5) == "0.5" and describe.fmt_num(12.345) == "12.3"
    assert describe.fmt_num(1234.5) == "1,234.5" and describe.fmt_num(float("nan")) == "n/a"
    assert describe.fmt_ms(87.6) == "87.6 ms" and describe.fmt_ms(2500) == "2,500 ms"
    assert describe.fmt_pct(1, 3) == "33.3%" and describe.fmt_pct(1, 0) == "n/a"
    assert describe.fmt_share(0.99999) == "99.99%" and describe.fmt_share(1e-6) == "<0.01%"
    assert describe.fmt_duration(600) == "10 min" and describe.fmt_duration(45) == "45 s"
    assert describe.fmt_mib(20480) == "20,480 MiB (20 GiB)"
