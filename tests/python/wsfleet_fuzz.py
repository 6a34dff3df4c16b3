"""A seeded mutation fuzzer for the scenario loader, the `--set` overrides and whole short runs.

Inputs are mutations of a corpus (every scenario under experiments/, plus the hostile inputs of
issue 16), fed to the `wsfleet` executable, one process per input so a crash is an exit status,
not a dead test run. The rules every input must keep:
- the exit status is 0 or 2 (1 is an I/O or internal error, 3 a failed conservation check: neither
  may come from a scenario; a negative status is a signal: a crash);
- a refusal (2) says why in exactly one line on stderr, with no traceback or sanitizer report;
- it finishes within its time limit (a hang is a finding).

`make fuzz` runs it for FUZZ_SECONDS (default 600) with FUZZ_SEED (default: time-based, printed);
`make test` runs a short seeded pass (tests/python/test_fuzz.py). Standalone:
    python tests/python/wsfleet_fuzz.py --seconds 60 --seed 1 [--wsfleet PATH]
"""
from __future__ import annotations

import argparse
import math
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]

#: Values that have broken parsers and engines: limits, signs, denormals, non-finite, overflow.
INTERESTING = ["0", "-1", "1", "0.0", "-0.0", "1e-9", "1e-320", "5e-324", "1e308", "1e309", "-1e308", "inf", "-inf",
               "nan", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
               "4294967296", "65536", "2147483648", "0.5", "1e6", "1e9", "true", '""', '"x"', "[]", "{}", "[1, 2]",
               '"\\u0000"', "1979-05-27T07:32:00Z", "'''a\nb'''"]
#: Characters spliced in by byte mutations: TOML's structure.
STRUCTURE = list("[]{}=.,\"'#\n\\ ") + ["[[", "]]", '"""', "\t", "\r\n", "\x00", "\xff"]

LIVE = "experiments/scenarios/live_scores.toml"
DEFAULT = "experiments/scenarios/default.toml"

#: Hostile inputs from issue 16 (its item number first): (text, or a corpus file's name; the
#: command's arguments, where {path} is the scenario file). Each runs as it is, before any mutation.
SEEDS: List[Tuple[str, List[str]]] = [
    # 1. long polling + pub/sub resume + memory kills: `check` said ok, `run` crashed
    (LIVE, ["run", "{path}", "--quiet", "--set", "clients.count=1200", "--set", "fleet.servers=6",
            "--set", "run.duration_s=200", "--set", "transport.long_polling_share=0.5", "--set", "pubsub.buffer.preset=ws",
            "--set", "fleet.memory_limit_mib=262", "--set", "pubsub.resume.cache_messages=0"]),
    # 2. deep nesting: table headers, dotted keys, arrays, inline tables
    ("[" + ".".join(["a"] * 50_000) + "]\n", ["check", "{path}"]),
    (".".join(["a"] * 50_000) + " = 1\n", ["check", "{path}"]),
    ("x = " + "[" * 100_000 + "\n", ["check", "{path}"]),
    ("x = " + "{a = " * 300 + "1" + "}" * 300 + "\n", ["check", "{path}"]),
    # 3. huge weights
    ("[fleet]\nweights = [1e308, 1e308, 1e308, 1e308]\nservers = 4\n", ["run", "{path}", "--quiet"]),
    ("[fleet]\nservers = 4\nweights = [1e200, 1e200, 1e200, 1e200]\n[balancer]\npolicy = \"consistent_hash\"\n",
     ["run", "{path}", "--quiet"]),
    ("[fleet]\nservers = 4\nweights = [1e6, 1e6, 1e6, 1e-300]\n[clients]\ncount = 400\n", ["run", "{path}", "--quiet"]),
    # 4. extreme rates: nanosecond-clock overflow; the schema's largest population
    (LIVE, ["run", "{path}", "--quiet", "--set", "pubsub.links.1.drain_kib_per_s=1e308"]),
    (LIVE, ["run", "{path}", "--quiet", "--set", "pubsub.feed.rate_per_s=1e308"]),
    (LIVE, ["run", "{path}", "--quiet", "--set", "pubsub.broker.capacity_per_s=1e308"]),
    (LIVE, ["run", "{path}", "--quiet", "--set", "pubsub.feed.rate_per_s=1e9", "--set", "clients.count=1000"]),
    (LIVE, ["run", "{path}", "--quiet", "--set", "pubsub.broker.capacity_per_s=1", "--set", "clients.count=1000"]),
    (DEFAULT, ["run", "{path}", "--quiet", "--set", "clients.count=1e9"]),
    (DEFAULT, ["run", "{path}", "--quiet", "--set", "clients.count=1000000000"]),
    (DEFAULT, ["run", "{path}", "--quiet", "--set", "clients.messages_per_minute=1e12"]),
    # 6. consistent-hash rings on the largest weights
    ("", ["balance", "consistent_hash", "--weights", "1e6,1e6", "--picks", "10"]),
    ("[fleet]\nservers = 10\nweights = [1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6, 1e6]\n[clients]\ncount = 500\n"
     "[balancer]\npolicy = \"nginx_hash_consistent\"\n", ["run", "{path}", "--quiet"]),
    # 8. 1e-9 intervals: runs that never finish
    ("[balancer]\nmetrics_interval_s = 1e-9\n", ["run", "{path}", "--quiet"]),
    ("[run]\nsample_interval_s = 1e-9\n", ["run", "{path}", "--quiet"]),
    ("[clients]\nheartbeat_interval_s = 1e-9\ncount = 100\n", ["run", "{path}", "--quiet"]),
    ("[balancer.health_check]\ninterval_s = 1e-9\n", ["run", "{path}", "--quiet"]),
    ("[fleet.rebalance]\ninterval_s = 1e-9\n", ["run", "{path}", "--quiet"]),
    (DEFAULT, ["run", "{path}", "--quiet", "--set", "run.duration_s=1e7", "--set", "run.sample_interval_s=10"]),
    # 10. deep dotted keys in --set
    (DEFAULT, ["check", "{path}", "--set", ".".join(["a"] * 40_000) + "=1"]),
    (DEFAULT, ["check", "{path}", "--set", "clients." + "x" * 100_000 + "=1"]),
    # 11. misleading messages: no position, integers beyond 2^63, denormals, a newline in a value
    (DEFAULT, ["check", "{path}", "--set", "balancer.metrics_interval_s=1e-10"]),
    (DEFAULT, ["check", "{path}", "--set", "clients.count=99999999999999999999"]),
    (DEFAULT, ["check", "{path}", "--set", "clients.ramp_s=5e-324"]),
    (DEFAULT, ["check", "{path}", "--set", "scenario.name=\"a\nb\""]),
    (DEFAULT, ["check", "{path}", "--set", "clients.count=1\n2"]),
    ("[clients]\ncount = 18446744073709551616\n", ["check", "{path}"]),
    # 12. seeds beyond int64
    (DEFAULT, ["run", "{path}", "--quiet", "--seed", "9223372036854775808"]),
    ("[run]\nseed = 9223372036854775808\n", ["check", "{path}"]),
    # 13. degenerate outputs: inf memory, a Maglev table smaller than the fleet, 100 M clients
    ("[fleet]\nmemory_per_connection_kib = 1e308\n[clients]\ncount = 100\n", ["run", "{path}", "--quiet"]),
    ("[fleet]\nservers = 10\n[balancer]\npolicy = \"maglev\"\ntable_size = 3\n", ["check", "{path}"]),
    (DEFAULT, ["run", "{path}", "--quiet", "--set", "clients.count=100000000", "--set", "fleet.servers=5000",
               "--set", "run.max_events=1e9"]),
    # bytes that are not TOML, or not UTF-8
    ("\x00\x01\x02\xff\xfe garbage", ["check", "{path}"]),
    ("\xef\xbb\xbf\xc3\x28", ["check", "{path}"]),
]

#: Every whole run of a mutated input gets this limit: a run estimated beyond it is refused (exit 2)
#: rather than run, so that each accepted run ends well within the time limit (the estimate is
#: within a factor of about 2 of the real count: tests/python/test_estimate.py).
RUN_MAX_EVENTS = "run.max_events=1e7"


@dataclass
class Finding:
    kind: str
    detail: str
    args: List[str]
    text: str


@dataclass
class Stats:
    inputs: int = 0
    runs: int = 0
    by_status: dict = field(default_factory=dict)
    findings: List[Finding] = field(default_factory=list)


def corpus() -> List[Tuple[str, str]]:
    """(name, text) of every TOML scenario under experiments/."""
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
            for p in sorted((ROOT / "experiments").rglob("*.toml"))]


def _numbers(text: str) -> List[re.Match]:
    return list(re.finditer(r"(?<![\w.])[-+]?(\d[\d_]*\.?\d*(e[-+]?\d+)?|inf|nan)(?![\w.])", text))


def mutate(text: str, rng: random.Random, others: Sequence[str]) -> str:
    """One to four random edits of `text`."""
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        op = rng.randrange(8)
        if op <= 2:  # a number becomes an interesting value (the most productive edit)
            found = _numbers(text)
            if found:
                m = rng.choice(found)
                text = text[:m.start()] + rng.choice(INTERESTING) + text[m.end():]
                continue
        if op == 3 and lines:  # delete or duplicate a line
            i = rng.randrange(len(lines))
            if rng.random() < 0.5:
                del lines[i]
            else:
                lines.insert(i, lines[i])
        elif op == 4 and lines and others:  # a line from another scenario, anywhere
            donor = rng.choice(others).split("\n")
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(donor))
        elif op == 5 and text:  # structure characters spliced in
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(STRUCTURE) + text[i:]
            continue
        elif op == 6 and text:  # a byte removed or flipped
            i = rng.randrange(len(text))
            text = text[:i] + (chr(rng.randrange(32, 127)) if rng.random() < 0.5 else "") + text[i + 1:]
            continue
        elif op == 7 and lines:  # a value replaced by another key's value from the corpus
            assigns = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
            if assigns and others:
                donor = [d for d in rng.choice(others).split("\n") if "=" in d and not d.lstrip().startswith("#")]
                if donor:
                    i = rng.choice(assigns)
                    key = lines[i].split("=", 1)[0]
                    lines[i] = key + "=" + rng.choice(donor).split("=", 1)[1]
        text = "\n".join(lines)
    return text


def override(text: str, rng: random.Random) -> str:
    """A `--set KEY=VALUE` built from a key of `text` (its section and name) and an interesting value."""
    section, keys = "", []
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("[[") and s.endswith("]]"):
            section = s[2:-2].strip() + ".0"
        elif s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
        elif "=" in s and not s.startswith("#"):
            name = s.split("=", 1)[0].strip()
            keys.append(f"{section}.{name}" if section else name)
    key = rng.choice(keys) if keys else "clients.count"
    return f"{key}={rng.choice(INTERESTING)}"


# Sizes that keep a whole run short: overrides applied after the mutations, when the keys exist.
SMALL = ["clients.count=200", "run.duration_s=60"]


def check_one(exe: str, args: List[str], text: str, timeout_s: float, stats: Stats, workdir: Path,
              wall_timeout_s: Optional[float] = None) -> None:
    """Runs one input. A hang is more than `timeout_s` of CPU time (the process is stopped by
    RLIMIT_CPU: a busy machine does not make a slow input look hung) or more than `wall_timeout_s`
    (default 10 x timeout_s) of wall time (an input that blocks)."""
    path = workdir / "fuzz.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    # A command-line argument cannot hold a NUL byte (the OS would refuse to start the process).
    cmd = [str(Path(exe).resolve()) if os.sep in exe else exe,
           *[a.replace("{path}", str(path)).replace("\x00", "") for a in args]]
    stats.inputs += 1
    wall = wall_timeout_s if wall_timeout_s is not None else 10.0 * timeout_s
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir)
    try:
        limit = max(1, int(math.ceil(timeout_s)))
        resource.prlimit(proc.pid, resource.RLIMIT_CPU, (limit, limit + 1))
    except (ProcessLookupError, OSError):
        pass  # it has already ended
    try:
        _, err = proc.communicate(timeout=wall)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        stats.findings.append(Finding("hang", f"no exit within {wall:g} s", args, text))
        return
    if proc.returncode == -signal.SIGXCPU:
        stats.findings.append(Finding("hang", f"more than {timeout_s:g} s of CPU time", args, text))
        return
    status = proc.returncode
    stats.by_status[status] = stats.by_status.get(status, 0) + 1
    stderr = err.decode("utf-8", "replace")
    if status < 0:
        stats.findings.append(Finding("crash", f"signal {-status}: {stderr[-400:]}", args, text))
    elif status not in (0, 2):
        stats.findings.append(Finding(f"exit {status}", stderr.strip()[-400:], args, text))
    elif status == 2:
        lines = stderr.rstrip("\n").split("\n")
        if len(lines) == 2 and lines[1].startswith("Run 'wsfleet --help'"):
            lines = lines[:1]  # a command-line usage error: its one line, then where the usage is
        if len(lines) != 1 or not lines[0].strip():
            stats.findings.append(Finding("message", f"{len(lines)} lines on stderr: {stderr[:400]!r}", args, text))
    if any(m in stderr for m in ("Traceback", "terminate called", "Sanitizer", "runtime error:")):
        stats.findings.append(Finding("internal", stderr[-400:], args, text))


def seed_inputs() -> List[Tuple[str, List[str]]]:
    """SEEDS with corpus names replaced by the files' text."""
    files = dict(corpus())
    return [(files.get(text, text), args) for text, args in SEEDS]


def _worker(exe: str, seed: int, deadline: float, max_inputs: Optional[int], run_share: float, timeout_s: float,
            texts: Sequence[str], stats: Stats, lock: threading.Lock, issued: List[int],
            cpu_until: Optional[float] = None, progress: bool = False) -> None:
    rng = random.Random(seed)
    local = Stats()
    try:
        with tempfile.TemporaryDirectory(prefix="wsfleet-fuzz-") as tmp:
            workdir = Path(tmp)
            while time.monotonic() < deadline and (cpu_until is None or cpu_seconds() < cpu_until):
                with lock:  # the inputs taken by all threads, against max_inputs
                    if max_inputs is not None and issued[0] >= max_inputs:
                        break
                    issued[0] += 1
                text = mutate(rng.choice(texts), rng, texts)
                args = ["check", "{path}"]
                for _ in range(rng.choice([0, 0, 1, 2])):
                    args += ["--set", override(text, rng)]
                if rng.random() < run_share:
                    local.runs += 1
                    args[0] = "run"
                    args += ["--quiet", "--set", RUN_MAX_EVENTS] + [a for s in SMALL if s.split("=")[0].split(".")[-1] in text
                                                                    for a in ("--set", s)]
                check_one(exe, args, text, timeout_s, local, workdir)
                if progress and local.inputs % 500 == 0:
                    print(f"  {time.strftime('%H:%M:%S')} thread 0: {local.inputs} inputs, {len(local.findings)} findings, "
                          f"{cpu_seconds() / 60:.1f} CPU-minutes so far", flush=True)
    finally:  # what this thread saw counts even if it failed (e.g. the executable vanished)
        with lock:
            stats.inputs += local.inputs
            stats.runs += local.runs
            for k, v in local.by_status.items():
                stats.by_status[k] = stats.by_status.get(k, 0) + v
            stats.findings.extend(local.findings)


def fuzz(exe: str, seed: int, seconds: float, max_inputs: Optional[int] = None, run_share: float = 0.1,
         timeout_s: float = 20.0, jobs: int = 1, cpu_seconds_budget: Optional[float] = None,
         progress: bool = False) -> Stats:
    """Feeds the issue's inputs, then mutated ones, to `exe` for `seconds` (or `max_inputs`, or
    until `cpu_seconds_budget` of CPU time is spent), a `run_share` of them as whole short runs,
    the rest to `check`, from `jobs` threads (each one `wsfleet` process at a time, with its own
    random stream seed + i); returns what it saw."""
    cpu_until = cpu_seconds() + cpu_seconds_budget if cpu_seconds_budget is not None else None
    base = corpus()
    texts = [t for _, t in base]
    stats = Stats()
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="wsfleet-fuzz-") as tmp:
        for text, args in seed_inputs():  # the inputs first, as they are
            if "run" in args:
                stats.runs += 1
            check_one(exe, args, text, max(timeout_s, 60.0), stats, Path(tmp))
    lock, issued = threading.Lock(), [stats.inputs]
    threads = [threading.Thread(target=_worker, args=(exe, seed + i, deadline, max_inputs, run_share, timeout_s, texts,
                                                      stats, lock, issued, cpu_until, progress and i == 0))
               for i in range(max(1, jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats


def cpu_seconds() -> float:
    """User + system CPU time of this process and every `wsfleet` process it waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def default_exe() -> str:
    here = Path(sys.executable).parent / "wsfleet"
    return str(here) if here.exists() else "wsfleet"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 600)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", time.time_ns() % 1_000_000)))
    parser.add_argument("--run-share", type=float, default=float(os.environ.get("FUZZ_RUN_SHARE", 0.1)),
                        help="the share of mutated inputs run whole (the rest are checked)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("FUZZ_JOBS", 1)),
                        help="wsfleet processes at a time (one per thread)")
    parser.add_argument("--cpu-minutes", type=float, default=float(os.environ.get("FUZZ_CPU_MINUTES", 0)) or None,
                        help="stop once this much CPU time (this process and its wsfleet processes) is spent")
    parser.add_argument("--wsfleet", default=default_exe())
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "fuzz", help="where findings are written")
    args = parser.parse_args(argv)
    print(f"fuzzing {args.wsfleet} for {args.seconds:g} s"
          f"{f' or {args.cpu_minutes:g} CPU-minutes' if args.cpu_minutes else ''}, seed {args.seed}, {args.jobs} jobs, "
          f"{args.run_share:g} of the inputs run whole", flush=True)
    start, cpu0 = time.monotonic(), cpu_seconds()
    budget = args.cpu_minutes * 60.0 if args.cpu_minutes else None
    stats = fuzz(args.wsfleet, args.seed, args.seconds, run_share=args.run_share, jobs=args.jobs,
                 cpu_seconds_budget=budget, progress=True)
    wall, cpu = time.monotonic() - start, cpu_seconds() - cpu0
    print(f"{stats.inputs} inputs ({stats.runs} whole runs) in {wall:.0f} s wall, {cpu / 60:.1f} CPU-minutes "
          f"(user + system, this process and every wsfleet it started); exit statuses {stats.by_status}; "
          f"{len(stats.findings)} findings")
    if stats.findings:
        args.out.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(stats.findings):
            (args.out / f"finding-{i}.toml").write_text(f.text, encoding="utf-8", errors="surrogateescape")
            (args.out / f"finding-{i}.args").write_text("\n".join(f.args) + "\n", encoding="utf-8", errors="surrogateescape")
            print(f"  finding-{i}: {f.kind}: wsfleet {' '.join(a[:200] for a in f.args)}: "
                  f"{f.detail.splitlines()[0] if f.detail else ''}")
        print(f"inputs written to {args.out}/")
    return 1 if stats.findings else 0


if __name__ == "__main__":
    sys.exit(main())
