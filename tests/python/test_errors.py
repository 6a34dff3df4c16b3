"""Every kind of bad input, from the command line and from Python.

The contract: exit status 2 (never a crash, a traceback or "terminate called"), and one message on
stderr that says where (FILE:LINE:COL for a scenario file, the override or option otherwise), which
key, and what is allowed. From Python the same problems raise wsfleet.ScenarioError (a ValueError)
with .file, .line, .column and .key, whose text is the CLI's message."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import pytest

import wsfleet
from wsfleet_testing import (STORM_TOML, assert_clean_failure, cli, line_of, located, with_lines,
                             write_scenario)


@dataclass
class Case:
    """A scenario file that must be refused."""
    id: str
    replacements: Sequence[Tuple[str, str]]   # applied to STORM_TOML
    at: str                                   # text on the offending line
    key: str                                  # ScenarioError.key ("" for syntax errors)
    says: List[str] = field(default_factory=list)  # fragments of the message (the key, what is allowed)
    column: Optional[int] = None              # expected column, when it matters

    def text(self) -> str:
        return with_lines(STORM_TOML, self.replacements)


CASES = [
    # Malformed TOML.
    Case("syntax-double-equals", [("duration_s = 60.0", "duration_s = = 60.0")], "duration_s = = 60.0", "",
         ["TOML syntax error"]),
    Case("syntax-unclosed-table", [("[fleet]\n", "[fleet\n")], "[fleet", "", ["TOML syntax error"]),
    Case("syntax-unterminated-string", [('name = "storm"', 'name = "storm')], 'name = "storm', "",
         ["TOML syntax error"]),
    Case("syntax-duplicate-key", [("seed = 11", "seed = 11\nseed = 12")], "seed = 12", "",
         ["TOML syntax error", "seed"]),
    # Unknown keys and sections.
    Case("unknown-key", [("ramp_s = 20.0", "rmap_s = 20.0")], "rmap_s", "clients.rmap_s",
         ["unknown key 'rmap_s' in [clients]", "did you mean 'ramp_s'?",
          "Allowed: count, ramp_s, session, on_session_end"], column=1),
    Case("unknown-key-nested", [("handshake_us = 10000.0", "handshake_ms = 10.0")], "handshake_ms",
         "fleet.cpu.handshake_ms",
         ["unknown key 'handshake_ms' in [fleet.cpu]", "did you mean 'handshake_us'?", "Allowed: handshake_us"],
         column=1),
    Case("unknown-key-in-fault", [("recover_after_s = 15.0", "recover_after = 15.0")], "recover_after =",
         "faults.0.recover_after", ["did you mean 'recover_after_s'?", "Allowed: type, server, balancer, site, share, factor, period_s, latency_ms, "
                                  "loss, region, at_s, recover_after_s"]),
    Case("unknown-section", [("[clients]", "[clinets]")], "[clinets]", "clinets",
         ["unknown section [clinets]", "did you mean [clients]?", "Allowed sections: [scenario], [run], [fleet]"]),
    Case("key-outside-section", [("[scenario]", "count = 5\n[scenario]")], "count = 5", "count",
         ["'count' is outside any section", "belongs in [clients]"]),
    # Wrong types.
    Case("wrong-type-integer", [("count = 2000", 'count = "many"')], 'count = "many"', "clients.count",
         ["clients.count must be an integer (got string)"], column=9),
    Case("wrong-type-float-given", [("servers = 4", "servers = 4.5")], "servers = 4.5", "fleet.servers",
         ["fleet.servers must be an integer (got float)"]),
    Case("wrong-type-number", [("duration_s = 60.0", 'duration_s = "60"')], 'duration_s = "60"', "run.duration_s",
         ["run.duration_s must be a number (got string)"]),
    Case("wrong-type-table", [("[balancer]\npolicy = \"least_connections\"\n", ""),
                              ("[scenario]", 'balancer = "least_connections"\n[scenario]')],
         'balancer = "least_connections"', "balancer", ["balancer must be a table, written [balancer]"]),
    Case("wrong-type-session", [("ramp_s = 20.0", "ramp_s = 20.0\nsession = 600")], "session = 600",
         "clients.session", ["clients.session must be a table such as", '"never"']),
    Case("wrong-choice", [("ramp_s = 20.0", 'ramp_s = 20.0\non_session_end = "stay"')], "on_session_end",
         "clients.on_session_end", ["clients.on_session_end must be one of leave, reconnect (got 'stay')"]),
    Case("wrong-distribution", [("ramp_s = 20.0", 'ramp_s = 20.0\nsession = {distribution = "exponentail", mean_s = 9}')],
         "session =", "clients.session.distribution",
         ["must be one of constant, exponential", "did you mean 'exponential'?"]),
    # Out-of-range values.
    Case("negative-count", [("count = 2000", "count = -5")], "count = -5", "clients.count",
         ["clients.count must be between 0 and 1000000000 (got -5)"], column=9),
    Case("zero-servers", [("servers = 4", "servers = 0")], "servers = 0", "fleet.servers",
         ["fleet.servers must be between 1 and 100000 (got 0)"]),
    Case("zero-duration", [("duration_s = 60.0", "duration_s = 0.0")], "duration_s = 0.0", "run.duration_s",
         ["run.duration_s must be > 0"]),
    Case("sample-interval-longer-than-run", [("sample_interval_s = 1.0", "sample_interval_s = 120.0")],
         "sample_interval_s", "run.sample_interval_s", ["run.sample_interval_s must be", "run.duration_s = 60"]),
    Case("zero-timeout", [("connect_timeout_s = 0.5", "connect_timeout_s = 0")], "connect_timeout_s",
         "clients.connect_timeout_s", ["clients.connect_timeout_s must be > 0 (got 0)"]),
    Case("nan-ramp", [("ramp_s = 20.0", "ramp_s = nan")], "ramp_s = nan", "clients.ramp_s",
         ["clients.ramp_s must be a finite number"]),
    Case("fault-after-end", [("at_s = 30.0", "at_s = 90.0")], "at_s = 90.0", "faults.0.at_s",
         ["faults.0.at_s must be between 0 and run.duration_s = 60 (got 90)"]),
    Case("fault-without-type", [('type = "crash"\n', "")], "[[faults]]", "faults.0.type",
         ["faults.0.type is required", "crash"]),
    Case("fault-unknown-type", [('type = "crash"', 'type = "crsh"')], 'type = "crsh"', "faults.0.type",
         ["faults.0.type must be one of crash, balancer_crash, site_crash, broker_outage, websocket_block, slow_server, "
          "handshake_blackhole, health_flap, link_degrade, site_partition, dropped_messages, link_loss, link_down (got 'crsh')"]),
    # Policies.
    Case("unknown-balancing-policy", [('policy = "least_connections"', 'policy = "least_conection"')],
         'policy = "least_conection"', "balancer.policy",
         ["unknown balancing policy 'least_conection'", "did you mean 'least_connections'?",
          "Known: round_robin, weighted_round_robin, least_connections"], column=10),
    Case("unknown-backoff-policy", [('policy = "full_jitter"', 'policy = "ful_jitter"')], 'policy = "ful_jitter"',
         "backoff.policy", ["unknown backoff policy 'ful_jitter'", "did you mean 'full_jitter'?",
                            "Known: none, immediate, constant, exponential, full_jitter"]),
    Case("policy-not-a-string", [('policy = "full_jitter"', "policy = 3")], "policy = 3", "backoff.policy",
         ["backoff.policy must be a string (got integer)"]),
    Case("policy-param-out-of-range", [("base_s = 0.5", "base_s = -1.0")], "base_s = -1.0", "backoff.base_s",
         ["backoff.base_s must be between 1e-09 and 86400 (got -1)"]),
    Case("policy-param-unknown", [("base_s = 0.5", "bsae_s = 0.5")], "bsae_s", "backoff.bsae_s",
         ["unknown key 'bsae_s' in [backoff] for policy 'full_jitter'", "did you mean 'base_s'?",
          "Allowed: policy, base_s, cap_s, max_retries"]),
    Case("policy-param-inconsistent", [("cap_s = 8.0", "cap_s = 0.25")], "cap_s = 0.25", "backoff.cap_s",
         ["backoff.cap_s must be >= base_s"]),
    Case("policy-param-not-whole", [('policy = "least_connections"', 'policy = "random_two_choices"\nchoices = 2.5')],
         "choices = 2.5", "balancer.choices", ["balancer.choices must be a whole number (got 2.5)"]),
    Case("policy-param-not-taken", [('policy = "least_connections"', 'policy = "least_connections"\nchoices = 2')],
         "choices = 2", "balancer.choices",
         ["unknown key 'choices' in [balancer] for policy 'least_connections'", "Allowed: policy"]),
    Case("policy-param-wrong-type", [("cap_s = 8.0", 'cap_s = "8"')], 'cap_s = "8"', "backoff.cap_s",
         ["backoff.cap_s must be a number (got string)"]),
    # Faults and weights that do not fit the fleet.
    Case("fault-on-nonexistent-server", [("server = 1", "server = 4")], "server = 4", "faults.0.server",
         ["faults.0.server must be between 0 and fleet.servers - 1 = 3 (got 4)"], column=10),
    Case("weights-wrong-length", [("cpu_cores = 1", "cpu_cores = 1\nweights = [1, 2]")], "weights = [1, 2]",
         "fleet.weights", ["fleet.weights has 2 entries but fleet.servers is 4", "one weight per server"]),
    Case("weight-not-positive", [("cpu_cores = 1", "cpu_cores = 1\nweights = [1, 0, 1, 1]")], "weights =",
         "fleet.weights.1", ["fleet.weights.1 is 0, which only an ipvs_* balancer policy allows",
                             "balancer.policy is \"least_connections\": give a weight > 0"]),
]


@pytest.fixture
def bad_scenario(request: pytest.FixtureRequest, tmp_path: Path) -> Tuple[Case, Path]:
    case: Case = request.param
    return case, write_scenario(tmp_path, case.text(), name="bad.toml")


def _check_message(case: Case, text: str, message: str) -> None:
    for fragment in case.says:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    if case.key:
        # The message names the key (as written in the file, or dotted).
        assert case.key in message or case.key.rsplit(".", 1)[-1] in message, message


@pytest.mark.parametrize("bad_scenario", CASES, ids=[c.id for c in CASES], indirect=True)
@pytest.mark.parametrize("command", ["check", "run"])
def test_cli_refuses_bad_scenario(bad_scenario: Tuple[Case, Path], command: str) -> None:
    case, path = bad_scenario
    text = case.text()
    proc = cli(command, path.name, cwd=path.parent, *(["--out", "out"] if command == "run" else []))
    stderr = assert_clean_failure(proc)
    match = located(stderr, "bad.toml")
    assert int(match.group(1)) == line_of(text, case.at), stderr
    if case.column is not None:
        assert int(match.group(2)) == case.column, stderr
    _check_message(case, text, match.group(3))
    assert proc.stdout == ""
    assert not (path.parent / "out").exists(), "a refused run must not write results"


@pytest.mark.parametrize("bad_scenario", CASES, ids=[c.id for c in CASES], indirect=True)
def test_python_raises_scenario_error(bad_scenario: Tuple[Case, Path]) -> None:
    case, path = bad_scenario
    text = case.text()
    for call in (wsfleet.check, wsfleet.run):
        with pytest.raises(wsfleet.ScenarioError) as info:
            call(path)
        err = info.value
        assert isinstance(err, ValueError)
        assert err.file == str(path)
        assert err.line == line_of(text, case.at)
        assert err.column >= 1
        if case.column is not None:
            assert err.column == case.column
        assert err.key == case.key
        assert str(err).startswith(f"{path}:{err.line}:{err.column}: ")
        _check_message(case, text, str(err))
    # A TOML string gets the same error, located in "<string>".
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.check(text)
    assert info.value.file == "<string>"
    assert info.value.line == line_of(text, case.at)
    assert info.value.key == case.key


def test_cli_and_python_say_the_same(tmp_path: Path) -> None:
    case = CASES[[c.id for c in CASES].index("unknown-key")]
    path = write_scenario(tmp_path, case.text(), name="bad.toml")
    proc = cli("check", path)
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.check(path)
    assert proc.stderr.strip() == str(info.value)


def test_dict_scenario_errors_name_the_key() -> None:
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.run({"clients": {"count": 10, "cuont": 5}})
    assert info.value.key == "clients.cuont"
    assert info.value.file == "<dict>"
    assert "did you mean 'count'?" in str(info.value)
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.check({"balancer": {"policy": "round_robbin"}})
    assert info.value.key == "balancer.policy"
    assert "did you mean 'round_robin'?" in str(info.value)


# ------------------------------------------------------------------------------------------------
# Files that cannot be read


def test_missing_file(tmp_path: Path) -> None:
    for command in ("check", "run"):
        proc = cli(command, "missing.toml", cwd=tmp_path)
        stderr = assert_clean_failure(proc)
        assert stderr.strip() == "missing.toml: cannot open scenario file: No such file or directory"
    for call in (wsfleet.check, wsfleet.run):
        with pytest.raises(wsfleet.ScenarioError) as info:
            call(tmp_path / "missing.toml")
        assert info.value.file == str(tmp_path / "missing.toml")
        assert (info.value.line, info.value.column, info.value.key) == (0, 0, "")
        assert "cannot open scenario file" in str(info.value)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    proc = cli("check", tmp_path)
    stderr = assert_clean_failure(proc)
    assert stderr.startswith(f"{tmp_path}: cannot read scenario file")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00[run]\n")
    stderr = assert_clean_failure(cli("check", path))
    assert located(stderr, str(path)).group(3).startswith("TOML syntax error")


# ------------------------------------------------------------------------------------------------
# --set overrides


SET_CASES = [
    # (override, key, fragments of the message)
    ("clients.cuont=5", "clients.cuont", ["unknown key 'cuont' in [clients]", "did you mean 'count'?", "Allowed: count"]),
    ("clinets.count=5", "clinets", ["unknown section [clinets]", "did you mean [clients]?"]),
    ("clients.count=abc", "clients.count", ["clients.count must be an integer (got string)"]),
    ("clients.count=2.5", "clients.count", ["clients.count must be an integer (got float)"]),
    ("clients.count=-1", "clients.count", ["clients.count must be between 0 and 1000000000 (got -1)"]),
    ("run.duration_s=inf", "run.duration_s", ["run.duration_s must be a finite number (got inf)"]),
    ("clients.count", "", ["expected KEY=VALUE, e.g. clients.count=5000"]),
    ("=5", "", ["invalid key ''", "dotted path"]),
    ("clients..count=5", "clients..count", ["invalid key 'clients..count'"]),
    ("faults.3.at_s=1", "faults.3.at_s", ["index 3 is out of range", "'faults' has 1 entry"]),
    ("clients.count.x=1", "clients.count.x", ["'clients.count' is an integer, not a table"]),
    ("balancer.policy=least_conn", "balancer.policy", ["unknown balancing policy 'least_conn'",
                                                       "did you mean 'least_connections'?"]),
    ("backoff.base_s=0", "backoff.base_s", ["backoff.base_s must be between 1e-09 and 86400 (got 0)"]),
    ("faults.0.server=9", "faults.0.server", ["faults.0.server must be between 0 and fleet.servers - 1 = 3 (got 9)"]),
    ("fleet.weights=[1, 2]", "fleet.weights", ["fleet.weights has 2 entries but fleet.servers is 4"]),
    ("fleet.servers=1", "faults.0.server", ["faults.0.server must be between 0 and fleet.servers - 1 = 0 (got 1)"]),
]


@pytest.mark.parametrize("override, key, says", SET_CASES, ids=[c[0] for c in SET_CASES])
def test_bad_set(tmp_path: Path, override: str, key: str, says: List[str]) -> None:
    path = write_scenario(tmp_path)
    for command in ("check", "run"):
        proc = cli(command, path, "--set", override)
        stderr = assert_clean_failure(proc)
        if key == "faults.0.server" and override.startswith("fleet.servers"):
            # The override is fine; the file's fault no longer fits: the file is blamed, at the fault.
            assert located(stderr, str(path)).group(3).startswith("faults.0.server")
        else:
            assert stderr.startswith(f"--set {override}: "), stderr
        for fragment in says:
            assert fragment in stderr, f"{fragment!r} not in {stderr!r}"
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.run(path, overrides=[override])
    assert info.value.key == key
    for fragment in says:
        assert fragment in str(info.value)


def test_bad_overrides_from_python_dict(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    with pytest.raises(wsfleet.ScenarioError) as info:
        wsfleet.run(path, overrides={"clients.count": "many"})
    assert info.value.key == "clients.count"
    assert info.value.file == '--set clients.count="many"'
    assert (info.value.line, info.value.column) == (0, 0)
    with pytest.raises(TypeError):
        wsfleet.run(path, overrides="clients.count=5")  # a string is not a list of overrides
    with pytest.raises(TypeError):
        wsfleet.run(path, overrides={"clients.count": object()})


# ------------------------------------------------------------------------------------------------
# Command-line options


OPTION_CASES = [
    # (args, fragments of the message)
    (["backoff", "full_jitter", "--param", "base_s", "--attempt", "1", "--samples", "1"],
     ["--param 'base_s'", "expected NAME=VALUE"]),
    (["backoff", "full_jitter", "--param", "base_s=abc", "--attempt", "1", "--samples", "1"],
     ["--param base_s", "'abc' is not a number"]),
    (["backoff", "full_jitter", "--param", "bsae_s=1", "--attempt", "1", "--samples", "1"],
     ["unknown parameter 'bsae_s' for full_jitter", "did you mean 'base_s'?", "Allowed: base_s, cap_s, max_retries"]),
    (["backoff", "full_jitter", "--param", "base_s=-1", "--attempt", "1", "--samples", "1"],
     ["full_jitter.base_s must be between 1e-09 and 86400 (got -1)"]),
    (["backoff", "full_jitter", "--param", "base_s=nan", "--attempt", "1", "--samples", "1"],
     ["full_jitter.base_s must be a finite number"]),
    (["backoff", "full_jitter", "--param", "base_s=1", "--param", "base_s=2", "--attempt", "1", "--samples", "1"],
     ["--param base_s given twice"]),
    (["backoff", "exponential", "--param", "base_s=10", "--param", "cap_s=1", "--attempt", "1", "--samples", "1"],
     ["exponential.cap_s must be >= base_s"]),
    (["backoff", "ful_jitter", "--attempt", "1", "--samples", "1"],
     ["unknown backoff policy 'ful_jitter'", "did you mean 'full_jitter'?", "Known: none, immediate"]),
    (["backoff", "full_jitter", "--attempt", "1", "--samples", "-1"], ["--samples", "whole number from 1 to", "'-1'"]),
    (["backoff", "full_jitter", "--attempt", "1", "--samples", "0"], ["--samples", "whole number from 1 to", "'0'"]),
    (["backoff", "full_jitter", "--attempt", "1", "--samples", "abc"], ["--samples", "whole number", "'abc'"]),
    (["backoff", "full_jitter", "--attempt", "1", "--samples", "2.5"], ["--samples", "whole number", "'2.5'"]),
    (["backoff", "full_jitter", "--attempt", "-1", "--samples", "1"], ["--attempt", "whole number from 0 to", "'-1'"]),
    (["backoff", "full_jitter", "--attempt", "x", "--samples", "1"], ["--attempt", "whole number", "'x'"]),
    (["backoff", "full_jitter", "--attempt", "1", "--samples", "1", "--seed", "-1"], ["--seed", "whole number", "'-1'"]),
    (["backoff", "full_jitter", "--samples", "1"], ["--attempt is required"]),
    (["balance", "round_robin", "--picks", "-1"], ["--picks", "whole number from 1 to", "'-1'"]),
    (["balance", "round_robin", "--picks", "0"], ["--picks", "whole number from 1 to", "'0'"]),
    (["balance", "round_robin", "--picks", "abc"], ["--picks", "whole number", "'abc'"]),
    (["balance", "round_robin", "--picks", "1e3"], ["--picks", "whole number", "'1e3'"]),
    (["balance", "round_robin", "--picks", "100000001"], ["--picks", "whole number from 1 to 100000000"]),
    (["balance", "round_robin", "--picks", "3", "--seed", "-5"], ["--seed", "whole number", "'-5'"]),
    (["balance", "round_robin", "--picks", "3", "--weights", "1,,2"], ["--weights", "'' is not a weight", "> 0"]),
    (["balance", "round_robin", "--picks", "3", "--weights", "1,x"], ["--weights", "'x' is not a weight"]),
    (["balance", "round_robin", "--picks", "3", "--weights", "1,-2"], ["--weights", "'-2' is not a weight"]),
    (["balance", "round_robin", "--picks", "3", "--weights", "1,0"], ["--weights", "'0' is not a weight"]),
    (["balance", "round_robin", "--picks", "3", "--weights", "1,2,"], ["--weights", "'' is not a weight"]),
    (["balance", "round_robin", "--picks", "3", "--weights", ""], ["--weights", "at least one weight"]),
    (["balance", "round_robin", "--picks", "3", "--weights", "1;2"], ["--weights", "'1;2' is not a weight"]),
    (["balance", "least_conn", "--picks", "3"],
     ["unknown balancing policy 'least_conn'", "did you mean 'least_connections'?", "Known: round_robin"]),
    (["balance", "random_two_choices", "--picks", "3", "--param", "choices=1"],
     ["random_two_choices.choices must be between 2 and 32 (got 1)"]),
    (["balance", "random_two_choices", "--picks", "3", "--param", "choices=2.5"],
     ["random_two_choices.choices must be a whole number (got 2.5)"]),
    (["balance", "round_robin", "--picks", "3", "--param", "choices=2"],
     ["unknown parameter 'choices' for round_robin"]),
    (["frobnicate"], ["unknown command 'frobnicate'", "Commands: run, check, list, backoff, balance, report"]),
    (["ballance", "round_robin", "--picks", "3"], ["unknown command 'ballance'", "did you mean 'balance'?"]),
    ([], ["subcommand is required"]),
    (["run"], ["scenario is required"]),
    (["run", "a.toml", "b.toml"], ["not expected", "b.toml"]),
    (["run", "a.toml", "--bogus"], ["--bogus"]),
    (["run", "a.toml", "--seed", "-1"], ["--seed", "whole number from 0 to 9223372036854775807", "'-1'"]),
    (["run", "a.toml", "--seed", "abc"], ["--seed", "whole number", "'abc'"]),
    (["run", "a.toml", "--seed", "9223372036854775808"], ["--seed", "whole number"]),
    (["run", "a.toml", "--report"], ["--report needs --out"]),
    (["list", "--bogus"], ["--bogus"]),
]


@pytest.mark.parametrize("args, says", OPTION_CASES, ids=[" ".join(c[0]) or "(none)" for c in OPTION_CASES])
def test_bad_command_line(tmp_path: Path, args: List[str], says: List[str]) -> None:
    write_scenario(tmp_path, name="a.toml")
    proc = cli(*args, cwd=tmp_path)
    stderr = assert_clean_failure(proc)
    assert stderr.startswith("wsfleet"), stderr
    for fragment in says:
        assert fragment in stderr, f"{fragment!r} not in {stderr!r}"
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.toml"]


def test_long_times_are_not_errors(tmp_path: Path) -> None:
    """The loader accepts durations far beyond any run ("never within this run"); the engine must run
    them, not fail with exit 1 (C++ bug fixed with this test)."""
    path = write_scenario(tmp_path)
    for override in ("faults.0.recover_after_s=1e300", "clients.ramp_s=1e300", "clients.heartbeat_interval_s=1e300",
                     "clients.connect_timeout_s=1e300", "clients.messages_per_minute=1e-300",
                     'clients.session={distribution = "constant", value_s = 9.5e9}'):
        proc = cli("run", path, "-q", "--set", override)
        assert proc.returncode == 0, (override, proc.stderr)
        assert "conservation                ok" in proc.stdout
        wsfleet.run(path, overrides=[override])
