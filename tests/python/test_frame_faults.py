"""Frame-level gray failures from the user's side ([[faults]] dropped_messages, link_loss, link_down):
summary.json names what each lost, the report says it in words, bad keys fail with the key's name.
(Each kind is checked against hand-computed counts in tests/cpp/test_frame_faults.cpp.)"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import wsfleet

SCENARIO = """\
[run]
duration_s = 160.0
sample_interval_s = 1.0
seed = 4

[fleet]
servers = 4
max_connections = 1000

[clients]
count = 2000
ramp_s = 10.0
messages_per_minute = 6.0
heartbeat_interval_s = 25.0

[balancer]
policy = "least_connections"

[[topology.links]]
between = ["eu", "ams"]
latency_ms = 5.0

[[topology.links]]
between = ["eu", "fra"]
latency_ms = 15.0

[[topology.sites]]
name = "ams"
servers = 2

[[topology.sites]]
name = "fra"
servers = 2

[[topology.regions]]
name = "eu"
share = 1.0

[[faults]]
type = "dropped_messages"
server = 0
loss = 1.0
at_s = 40.0
recover_after_s = 30.0

[[faults]]
type = "link_down"
site = "ams"
region = "eu"
at_s = 100.0
recover_after_s = 30.0
"""


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_lost_frames_are_counted_and_explained(tmp_path: Path) -> None:
    path = tmp_path / "frames.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    run = wsfleet.run(path)
    s = run.summary
    assert s["conservation"]["ok"]
    dropped, down = s["faults"]
    assert dropped["type"] == "dropped_messages" and down["type"] == "link_down"
    # Everyone sits in ams (nearest, 2 x 1,000). Server 0 drops every frame for 30 s: each of its
    # connections loses one ping and is closed by its heartbeat timeout 20 s later.
    assert dropped["heartbeats_lost"] == dropped["heartbeat_timeouts"] == dropped["connections_dropped"] > 0
    assert dropped["messages_lost"] > 0
    # The link down for 30 s (longer than the 20 s timeout): every connection still there loses a
    # ping; those whose timeout ran out before the link came back closed.
    assert down["heartbeats_lost"] > 0 and down["handshakes_failed"] >= 0
    assert down["heartbeat_timeouts"] == down["connections_dropped"]
    assert "retransmissions" not in down and "messages_lost" in down
    assert s["connections"]["active_at_end"] == 2000
    page = Path(run.report(tmp_path / "report")).read_text(encoding="utf-8")
    text = _text(page)
    assert "Server 0 starts silently dropping 100 % of its inbound messages and heartbeats at 40 s" in text
    assert "the link from region eu to site ams goes down at 100 s" in text
    assert f"heartbeat timeouts then closed {dropped['heartbeat_timeouts']:,} connections" in text
    # The attempts that timed out on the downed link are the link's, not the CPU's (it stayed far from
    # saturation): the verdict does not blame the CPU, and the storm card names the fault, not a crash.
    timeouts = s["connections"]["failed_by"]["timeout"]
    assert timeouts > 0 and s["cpu"]["peak_utilisation"] < 0.5
    assert f"{timeouts:,} handshakes timed out, stalled by a link_down fault (not the CPU" in text
    assert "waiting for the CPU" not in text and "binding constraint is the CPU" not in text
    assert "dropped by the crash of" not in text
    assert re.search(r"dropped by the fault “(server 0 drops frames|link to ams down)” were back", text)
    assert "<th>Fault</th>" in page


@pytest.mark.parametrize("extra, key, says", [
    ('[[faults]]\ntype = "crash"\nserver = 1\nloss = 0.5\n', "faults.0.loss", 'is for type = "dropped_messages"'),
    ('[[faults]]\ntype = "link_loss"\nsite = "ams"\nloss = 1.0\n', "faults.0.loss", "link_down"),
    ('[[faults]]\ntype = "link_down"\nsite = "ams"\nregion = "us"\n', "faults.0.region", "eu"),
])
def test_bad_frame_fault_keys_name_the_key(extra: str, key: str, says: str) -> None:
    base = SCENARIO.split("[[faults]]")[0]
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.check(base + extra)
    assert info.value.key == key
    assert says in str(info.value)


def test_the_cli_names_each_frame_fault_by_its_kind_and_site(tmp_path: Path) -> None:
    from wsfleet_testing import cli

    path = tmp_path / "frames.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    done = cli("run", path)
    assert done.returncode == 0, done.stderr
    faults = [line.split(None, 1)[1] for line in done.stdout.splitlines() if line.split()[:1] in (["fault"], ["crash"])]
    s = wsfleet.run(path).summary
    dropped, down = s["faults"]
    # Neither is a crash; the link fault names its site (not a server index) and what it lost.
    assert [line.split(":")[0] for line in faults] == ["dropped_messages 0 at 40 s", "link_down ams at 100 s"]
    assert (f"{dropped['messages_lost']} messages and {dropped['heartbeats_lost']} heartbeats lost, "
            f"{dropped['connections_dropped']} dropped") in faults[0]
    assert "out of the balancer" not in faults[1]
    assert f"{down['heartbeats_lost']} heartbeats lost" in faults[1]
    assert not any(line.startswith("  crash") for line in done.stdout.splitlines())
