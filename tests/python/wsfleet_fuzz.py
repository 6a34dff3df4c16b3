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
import os
import random
import re
import subprocess
import sys
import tempfile
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

#: Hostile inputs from issue 16, each a complete scenario text (or None for a corpus-based one).
SEEDS = [
    "[" + ".".join(["a"] * 50_000) + "]\n",
    ".".join(["a"] * 50_000) + " = 1\n",
    "x = " + "[" * 100_000 + "\n",
    "x = " + "{a = " * 300 + "1" + "}" * 300 + "\n",
    "[fleet]\nweights = [1e308, 1e308, 1e308, 1e308]\nservers = 4\n",
    "[fleet]\nservers = 4\nweights = [1e200, 1e200, 1e200, 1e200]\n[balancer]\npolicy = \"consistent_hash\"\n",
    "[fleet]\nservers = 10\n[balancer]\npolicy = \"maglev\"\ntable_size = 3\n",
    "[run]\nseed = 9223372036854775808\n",
    "[fleet]\nmemory_per_connection_kib = 1e308\n",
    "\x00\x01\x02\xff\xfe garbage",
    "\xef\xbb\xbf\xc3\x28",
]


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


def check_one(exe: str, args: List[str], text: str, timeout_s: float, stats: Stats, workdir: Path) -> None:
    path = workdir / "fuzz.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    # A command-line argument cannot hold a NUL byte (the OS would refuse to start the process).
    cmd = [str(Path(exe).resolve()) if os.sep in exe else exe,
           *[a.replace("{path}", str(path)).replace("\x00", "") for a in args]]
    stats.inputs += 1
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout_s, cwd=workdir)
    except subprocess.TimeoutExpired:
        stats.findings.append(Finding("hang", f"no exit within {timeout_s:g} s", args, text))
        return
    status = proc.returncode
    stats.by_status[status] = stats.by_status.get(status, 0) + 1
    stderr = proc.stderr.decode("utf-8", "replace")
    if status < 0:
        stats.findings.append(Finding("crash", f"signal {-status}: {stderr[-400:]}", args, text))
    elif status not in (0, 2):
        stats.findings.append(Finding(f"exit {status}", stderr.strip()[-400:], args, text))
    elif status == 2:
        lines = stderr.rstrip("\n").split("\n")
        if len(lines) != 1 or not lines[0].strip():
            stats.findings.append(Finding("message", f"{len(lines)} lines on stderr: {stderr[:400]!r}", args, text))
    if any(m in stderr for m in ("Traceback", "terminate called", "Sanitizer", "runtime error:")):
        stats.findings.append(Finding("internal", stderr[-400:], args, text))


def fuzz(exe: str, seed: int, seconds: float, max_inputs: Optional[int] = None, run_share: float = 0.1,
         timeout_s: float = 20.0) -> Stats:
    """Feeds mutated inputs to `exe` for `seconds` (or `max_inputs`), a `run_share` of them as
    whole short runs, the rest to `check`; returns what it saw."""
    rng = random.Random(seed)
    base = corpus()
    texts = [t for _, t in base]
    stats = Stats()
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="wsfleet-fuzz-") as tmp:
        workdir = Path(tmp)
        for text in SEEDS:  # the inputs first, as they are
            check_one(exe, ["check", "{path}"], text, timeout_s, stats, workdir)
        while time.monotonic() < deadline and (max_inputs is None or stats.inputs < max_inputs):
            text = mutate(rng.choice(texts), rng, texts)
            args = ["check", "{path}"]
            for _ in range(rng.choice([0, 0, 1, 2])):
                args += ["--set", override(text, rng)]
            if rng.random() < run_share:
                stats.runs += 1
                args[0] = "run"
                args += ["--quiet"] + [a for s in SMALL if s.split("=")[0].split(".")[-1] in text
                                      for a in ("--set", s)]
            check_one(exe, args, text, timeout_s, stats, workdir)
    return stats


def default_exe() -> str:
    here = Path(sys.executable).parent / "wsfleet"
    return str(here) if here.exists() else "wsfleet"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 600)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", time.time_ns() % 1_000_000)))
    parser.add_argument("--wsfleet", default=default_exe())
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "fuzz", help="where findings are written")
    args = parser.parse_args(argv)
    print(f"fuzzing {args.wsfleet} for {args.seconds:g} s, seed {args.seed}", flush=True)
    start = time.monotonic()
    stats = fuzz(args.wsfleet, args.seed, args.seconds)
    cpu = time.monotonic() - start
    print(f"{stats.inputs} inputs ({stats.runs} whole runs) in {cpu:.0f} s; exit statuses {stats.by_status}; "
          f"{len(stats.findings)} findings")
    if stats.findings:
        args.out.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(stats.findings):
            (args.out / f"finding-{i}.toml").write_text(f.text, encoding="utf-8", errors="surrogateescape")
            print(f"  finding-{i}: {f.kind}: wsfleet {' '.join(f.args)}: {f.detail.splitlines()[0] if f.detail else ''}")
        print(f"inputs written to {args.out}/")
    return 1 if stats.findings else 0


if __name__ == "__main__":
    sys.exit(main())
