"""`wsfleet alerts RUN_DIR --rules RULES.yml`: the user's Prometheus alerting and recording rules,
evaluated on a run's series by Prometheus's own rule engine, with what a planner asks of them: when
each alert became pending, fired and resolved, how long after each fault the first alert fired (time
to detect), and how many users were failing before it did.

How (and why this way): the run's series (wsfleet._prom_series, the same as `wsfleet export`) become
the `input_series` of a generated `promtool test rules` file whose evaluation_interval is the run's
sample interval; promtool evaluates every rule group at every step from t = 0 exactly as Prometheus's
rule manager does (for, keep_firing_for, ALERTS and recording rules written back to its storage) and
then runs one PromQL query per step: `ALERTS` (and any expression asked for, such as the bundled
burn rates), tagged with the step. The generated test expects nothing, so promtool prints what each
query returned ("got: ..."), which is parsed here. This needs no server, no ports, no real time and
no wall-clock alignment: a 600-step run takes a fraction of a second. (A Prometheus server over a
backfilled TSDB would evaluate rules only in real time, from now on; `promtool tsdb
create-blocks-from rules` backfills recording rules but ignores alerting rules.)

The rules file is first checked with `promtool check rules`; a bad one raises AlertsError quoting
promtool's message, which names the file and the line.

Python: `wsfleet.alerts(run_dir, rules) -> AlertsResult`. Times are seconds from the run's start.
Requires promtool (Debian package `prometheus`, installed by scripts/bootstrap)."""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pandas as pd

from wsfleet._prom_series import Series, fault_target, run_series
from wsfleet._run_dir import PathLike, ReportError, Run, load_run
from wsfleet.views import Scenario, Summary
from wsfleet.views import COLUMNS as C

__all__ = ["AlertsError", "PromtoolError", "AlertEpisode", "FaultDetection", "AlertsResult", "alerts", "evaluate", "bundled_rules",
           "find_promtool", "main"]

#: The bundled rules (package data): wsfleet.alerting.bundled_rules("slo") etc.
RULES_DIR = Path(__file__).resolve().parent / "rules"
_STEP_LABEL = "wsfleet_step"
_TIMEOUT_S = 300


class AlertsError(Exception):
    """The rules could not be evaluated: promtool missing, a bad rules file (promtool's message with
    file and line), or a rule that fails at evaluation."""


class PromtoolError(AlertsError):
    """promtool is missing or could not be run (not the rules' fault: `wsfleet alerts` exits 1)."""


@dataclass
class AlertEpisode:
    """One alert instance (alertname and labels) from the step it became active until it resolved.
    pending_s: first step pending (None when it fired at once: no `for`); firing_s: first step firing
    (None when it resolved while pending); resolved_s: first step it was no longer active (None when
    still active at the end of the run)."""
    alertname: str
    labels: Dict[str, str]
    pending_s: Optional[float]
    firing_s: Optional[float]
    resolved_s: Optional[float]

    @property
    def started_s(self) -> float:
        return self.pending_s if self.pending_s is not None else float(self.firing_s or 0.0)


@dataclass
class FaultDetection:
    """A scenario fault and the first alert that fired at or after its start."""
    index: int
    type: str
    target: str
    at_s: float
    alertname: Optional[str]          # None: no alert fired after the fault
    firing_s: Optional[float]
    time_to_detect_s: Optional[float]
    #: Over the sample intervals that end at or after the fault's instant, up to the first alert firing
    #: (to the end of the run when none fired): attempts
    #: refused and failed, connections dropped, the most clients waiting in backoff at once, pub/sub
    #: copies dropped (runs with pub/sub).
    refused: int = 0
    failed: int = 0
    dropped: int = 0
    peak_waiting: int = 0
    messages_dropped: Optional[int] = None


@dataclass
class AlertsResult:
    """What `alerts()` found. `states` has one row per step and active alert instance (time_s,
    alertname, alertstate, labels); `expressions` one frame per expression asked for (time_s, labels,
    value)."""
    run_dir: Path
    rules: List[Path]
    step_s: float
    end_s: float
    episodes: List[AlertEpisode]
    detections: List[FaultDetection]
    states: pd.DataFrame
    expressions: Dict[str, pd.DataFrame] = field(default_factory=dict)
    first_firing_s: Optional[float] = None
    before_first_firing: Dict[str, Any] = field(default_factory=dict)

    def fired(self, alertname: str) -> List[AlertEpisode]:
        """The episodes of that alert that fired."""
        return [e for e in self.episodes if e.alertname == alertname and e.firing_s is not None]

    def text(self) -> str:
        """A plain-text account (what the CLI prints)."""
        lines = [f"rules: {', '.join(str(r) for r in self.rules)}",
                 f"evaluated every {self.step_s:g} s from 0 to {self.end_s:g} s"]
        if not self.episodes:
            lines.append("no alert became pending or fired")
        for e in self.episodes:
            labels = ", ".join(f"{k}={v}" for k, v in sorted(e.labels.items()))
            when = [f"pending {_t(e.pending_s)}" if e.pending_s is not None else "",
                    f"firing {_t(e.firing_s)}" if e.firing_s is not None else "never fired",
                    f"resolved {_t(e.resolved_s)}" if e.resolved_s is not None else "still active at the end"]
            lines.append(f"  {e.alertname}{' {' + labels + '}' if labels else ''}: " + ", ".join(w for w in when if w))
        for d in self.detections:
            head = f"fault {d.index} ({d.type} {d.target} at {_t(d.at_s)})"
            if d.alertname is None:
                lines.append(f"{head}: no alert fired after it (to the end of the run: {d.refused} refused, "
                             f"{d.failed} failed, {d.dropped} dropped, up to {d.peak_waiting} waiting in backoff)")
            else:
                lines.append(f"{head}: detected by {d.alertname} after {d.time_to_detect_s:g} s; before it fired "
                             f"{d.refused} attempts were refused, {d.failed} failed, {d.dropped} connections dropped, "
                             f"up to {d.peak_waiting} clients waited in backoff"
                             + (f", {d.messages_dropped} pub/sub copies dropped" if d.messages_dropped else ""))
        return "\n".join(lines) + "\n"


def _t(seconds: Optional[float]) -> str:
    return "-" if seconds is None else f"{seconds:g} s"


def bundled_rules(name: str = "slo") -> Path:
    """The path of a bundled rules file: "slo" (multiwindow multi-burn-rate SLO alerts, windows scaled
    for short runs) or "saturation" (connections near the limit, buffers growing, CPU, memory)."""
    path = RULES_DIR / f"wsfleet_{name}.yml"
    if not path.is_file():
        known = sorted(p.stem.replace("wsfleet_", "") for p in RULES_DIR.glob("wsfleet_*.yml"))
        raise AlertsError(f"no bundled rules named {name!r} (bundled: {', '.join(known)})")
    return path


def find_promtool() -> str:
    """promtool: $WSFLEET_PROMTOOL, else on PATH."""
    env = os.environ.get("WSFLEET_PROMTOOL")
    if env:
        return env
    found = shutil.which("promtool")
    if not found:
        raise PromtoolError("promtool not found: install Debian's `prometheus` package (scripts/bootstrap does), "
                          "or set WSFLEET_PROMTOOL to its path")
    return found


def _promtool(args: Sequence[str], cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([find_promtool(), *args], cwd=cwd, capture_output=True, text=True,
                              timeout=_TIMEOUT_S, check=False)
    except OSError as exc:
        raise PromtoolError(f"cannot run promtool: {exc}") from None
    except subprocess.TimeoutExpired:
        raise PromtoolError(f"promtool did not finish within {_TIMEOUT_S} s") from None


def check_rules(path: Path) -> None:
    """`promtool check rules`: AlertsError with promtool's own message (file and line) when it fails."""
    check_all_rules([path])


def check_all_rules(paths: Sequence[Path]) -> None:
    """`promtool check rules` on every file in one call (one process instead of one per file); when
    it fails, each file is checked alone to name the culprit (promtool writes "Checking FILE" to
    stdout and the errors to stderr, so one call's output cannot say which file they belong to)."""
    for path in paths:
        if not path.is_file():
            raise AlertsError(f"{path}: rules file not found")
    if len(paths) > 1 and _promtool(["check", "rules", *(str(p) for p in paths)]).returncode == 0:
        return
    for path in paths:
        _check_one(path)


def _check_one(path: Path) -> None:
    proc = _promtool(["check", "rules", str(path)])
    if proc.returncode != 0:
        text = "\n".join(line for line in (proc.stderr + proc.stdout).splitlines()
                         if line.strip() and not line.startswith("Checking ") and line.strip() != "FAILED:")
        raise AlertsError(f"{path}: invalid rules file (promtool check rules): {text.strip()}")


def _duration(seconds: float) -> str:
    ms = round(seconds * 1000.0)
    if ms <= 0:
        raise AlertsError(f"the run's sample interval ({seconds} s) is not a positive number of milliseconds")
    return f"{ms}ms"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _selector(s: Series) -> str:
    labels = [(k, v) for k, v in sorted(s.labels.items()) if v != ""]
    inner = ",".join(f"{k}={json.dumps(v)}" for k, v in labels)
    return f"{s.sample_name}{{{inner}}}" if inner else s.sample_name


def _grid(run: Run) -> Tuple[float, int]:
    """(step_s, steps): rules are evaluated at k * step_s for k = 0..steps (the run's sample grid;
    a last, shorter interval that ends off the grid is left out)."""
    step = Scenario(run.scenario).run.sample_interval_s
    end = float(Summary(run.summary).simulated_seconds or 0.0)
    if not isinstance(step, (int, float)) or step <= 0:
        fleet = run.timeseries[run.timeseries[C.scope] == "fleet"][C.time_s].astype(float).tolist()
        step = fleet[0] if fleet else 1.0
    step = float(step)
    steps = int(math.floor(end / step + 1e-9))
    return step, steps


def _input_values(s: Series, step: float, steps: int) -> str:
    """The series in promtool's notation: a value per step; before the first value "_" (nothing
    yet), after it "stale" where the run has no value (a crashed server's latency, an interval
    without messages), as a scrape that no longer exposes the series would make it: without the
    marker, queries would keep seeing the last value for Prometheus's 5-minute lookback."""
    values: List[Optional[str]] = [None] * (steps + 1)
    for t, v in s.samples:
        k = t / step
        index = int(round(k))
        if abs(k - index) <= 1e-6 and 0 <= index <= steps:
            values[index] = _number(v)
    out, seen = [], False
    for value in values:
        seen = seen or value is not None
        out.append(value if value is not None else ("stale" if seen else "_"))
    return " ".join(out)


#: A metric (or recording rule) name alone, which `offset` can shift.
_PLAIN_NAME = re.compile(r"^\s*[A-Za-z_:][A-Za-z0-9_:]*\s*$")


def _every_step(name: str, q: int, step: float, steps: int) -> str:
    """One PromQL expression, evaluated at the last step, whose result is `name` at every step k,
    labelled q:k: the union of `name offset (last - k) * step` (offset 0 has no modifier)."""
    parts = []
    for k in range(steps + 1):
        back = steps - k
        shifted = f"{name.strip()} offset {_duration(back * step)}" if back else name.strip()
        parts.append(f'label_replace({shifted}, "{_STEP_LABEL}", "{q}:{k}", "", "")')
    # A balanced tree of `or`: each `or` hashes the label sets of both sides, so a chain would cost
    # O(steps^2), a tree O(steps log steps).
    while len(parts) > 1:
        parts = [f"({parts[i]} or {parts[i + 1]})" if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


_GOT = re.compile(r"^\s*got:\s?(.*)$")
#: promtool's messages for a rule that failed at evaluation, and for a query that failed.
_RULE_ERROR = re.compile(r"^\s*rule: .*, time: [^,]*, err: ")
_QUERY_ERROR = re.compile(r'^\s*expr: ".*", time: [^,]*, err: ')


def _parse_samples(text: str) -> List[Tuple[Dict[str, str], float]]:
    """promtool's "got:" line: `{a="x", b="y"} 1E+00, {…} 2E+00` (Go-quoted label values)."""
    out: List[Tuple[Dict[str, str], float]] = []
    i, n = 0, len(text)
    text = text.rstrip()
    n = len(text)
    if text.strip() == "nil":
        return out
    while i < n:
        while i < n and text[i] in " ,":
            i += 1
        if i >= n:
            break
        if text[i] != "{":
            raise AlertsError(f"cannot read promtool's output: {text!r}")
        i += 1
        labels: Dict[str, str] = {}
        while i < n and text[i] != "}":
            while text[i] in " ,":
                i += 1
            eq = text.index("=", i)
            name = text[i:eq]
            j = eq + 2  # past ="
            chars = []
            while text[j] != '"':
                if text[j] == "\\":
                    chars.append(text[j:j + 2])
                    j += 2
                else:
                    chars.append(text[j])
                    j += 1
            raw = "".join(chars)
            try:
                labels[name] = json.loads('"' + raw + '"')
            except ValueError:
                labels[name] = raw
            i = j + 1
        i += 1  # past }
        j = i
        while j < n and text[j] != ",":
            j += 1
        out.append((labels, float(text[i:j].strip())))
        i = j
    return out


def evaluate(run: Run, rules: Sequence[Path], expressions: Sequence[str] = ()) -> Tuple[pd.DataFrame, Dict[str, pd.DataFrame], float, int]:
    """Runs promtool on the run's series: (alert states, expression frames, step_s, steps)."""
    step, steps = _grid(run)
    # Only the series the rules and expressions name (promtool's time grows with the series it loads):
    # a rule can name a metric only literally, unless it matches on __name__.
    text = "\n".join(Path(r).read_text(encoding="utf-8", errors="replace") for r in rules) + "\n".join(expressions)
    series = run_series(run, include_summary=False, named_in=None if "__name__" in text else text)
    if "__name__" not in text:
        series = [s for s in series if s.sample_name in text]
    queries = ["ALERTS"] + list(expressions)
    with tempfile.TemporaryDirectory(prefix="wsfleet-alerts-") as tmp:
        tests = []
        end = _duration(steps * step) if steps else "0s"
        for q, expr in enumerate(queries):
            if _PLAIN_NAME.match(expr):
                # One query at the end reads every step back from storage (ALERTS and recording rules
                # are written there at each evaluation): `x offset d` at the end is `x` at end - d,
                # lookback and staleness included, for one query instead of one per step.
                tests.append({"expr": _every_step(expr, q, step, steps), "eval_time": end, "exp_samples": []})
                continue
            for k in range(steps + 1):
                tests.append({"expr": f'label_replace(({expr}), "{_STEP_LABEL}", "{q}:{k}", "", "")',
                              "eval_time": _duration(k * step) if k else "0s", "exp_samples": []})
        document = {
            "rule_files": [str(Path(r).resolve()) for r in rules],
            "evaluation_interval": _duration(step),
            "tests": [{"interval": _duration(step),
                       "input_series": [{"series": _selector(s), "values": _input_values(s, step, steps)}
                                        for s in series],
                       "promql_expr_test": tests}],
        }
        test_file = Path(tmp) / "wsfleet_rules_test.json"  # JSON is YAML: promtool reads it as it is
        test_file.write_text(json.dumps(document), encoding="utf-8")
        proc = _promtool(["test", "rules", test_file.name], cwd=Path(tmp))
    results: List[List[Tuple[float, Dict[str, str], float]]] = [[] for _ in queries]
    errors: List[str] = []
    lines = (proc.stderr or "").splitlines()
    for line in lines:
        m = _GOT.match(line)
        if m:
            for labels, value in _parse_samples(m.group(1)):
                tag = labels.pop(_STEP_LABEL, None)
                if tag is None:
                    continue
                q, k = (int(x) for x in tag.split(":"))
                results[q].append((k * step, labels, value))
        elif _RULE_ERROR.match(line) or _QUERY_ERROR.match(line):
            errors.append(line.strip())
    if proc.returncode not in (0, 1) or errors or (proc.returncode == 1 and not any(results) and
                                                   "FAILED" in proc.stderr and "got:" not in proc.stderr):
        detail = "\n".join(errors[:5]) or "\n".join((proc.stderr or proc.stdout).strip().splitlines()[:10])
        raise AlertsError(f"promtool could not evaluate the rules: {detail}")
    state_rows = []
    for t, labels, _value in results[0]:
        labels.pop("__name__", None)
        name = labels.pop("alertname", "")
        state = labels.pop("alertstate", "")
        state_rows.append({"time_s": t, "alertname": name, "alertstate": state,
                           "labels": json.dumps(labels, sort_keys=True)})
    states = pd.DataFrame(state_rows, columns=["time_s", "alertname", "alertstate", "labels"])
    frames: Dict[str, pd.DataFrame] = {}
    for q, expr in enumerate(expressions, start=1):
        rows = []
        for t, labels, value in results[q]:
            labels.pop("__name__", None)
            rows.append({"time_s": t, "labels": json.dumps(labels, sort_keys=True), "value": value})
        frames[expr] = pd.DataFrame(rows, columns=["time_s", "labels", "value"])
    return states, frames, step, steps


def episodes_of(states: pd.DataFrame, step: float, steps: int) -> List[AlertEpisode]:
    """The alert instances' episodes, from the per-step states."""
    by_key: Dict[Tuple[str, str], Dict[int, str]] = {}
    for row in states.itertuples(index=False):
        k = int(round(row.time_s / step))
        by_key.setdefault((row.alertname, row.labels), {})[k] = row.alertstate
    out: List[AlertEpisode] = []
    for (name, labels_json), per_step in by_key.items():
        labels = json.loads(labels_json)
        current: Optional[AlertEpisode] = None
        for k in range(steps + 1):
            state = per_step.get(k)
            t = k * step
            if state is None:
                if current is not None:
                    current.resolved_s = t
                    out.append(current)
                    current = None
                continue
            if current is None:
                current = AlertEpisode(name, labels, t if state == "pending" else None,
                                       t if state == "firing" else None, None)
            elif state == "firing" and current.firing_s is None:
                current.firing_s = t
            elif state == "pending" and current.firing_s is not None:
                # firing -> pending cannot happen in Prometheus; a new episode would start pending.
                out.append(current)
                current = AlertEpisode(name, labels, t, None, None)
        if current is not None:
            out.append(current)
    out.sort(key=lambda e: (e.started_s, e.alertname, json.dumps(e.labels, sort_keys=True)))
    return out


def _failing_between(run: Run, start: float, end: Optional[float]) -> Dict[str, Any]:
    fleet = run.timeseries[run.timeseries[C.scope] == "fleet"]
    window = fleet[(fleet[C.time_s] >= start) & ((fleet[C.time_s] <= end) if end is not None else True)]

    def total(column: str) -> int:
        return int(window[column].fillna(0).sum()) if column in window.columns else 0

    peak = window[C.waiting].max() if C.waiting in window.columns and len(window) else 0
    return {"refused": total(C.rejected), "failed": total(C.failed), "dropped": total(C.dropped),
            "peak_waiting": int(peak) if isinstance(peak, (int, float)) and not math.isnan(peak) else 0,
            "messages_dropped": total(C.pubsub_dropped) if C.pubsub_dropped in window.columns else None}


def _detections(run: Run, episodes: List[AlertEpisode]) -> List[FaultDetection]:
    fired = sorted((e.firing_s, e.alertname) for e in episodes if e.firing_s is not None)
    out = []
    for index, fault in enumerate(Summary(run.summary).faults):
        if not isinstance(fault.at_s, (int, float)):
            continue
        at = float(fault.at_s)
        first = next(((t, name) for t, name in fired if t >= at), None)
        firing = first[0] if first else None
        counts = _failing_between(run, at, firing)
        out.append(FaultDetection(index, str(fault.type or ""), fault_target(fault), at,
                                  first[1] if first else None, firing,
                                  firing - at if firing is not None else None, **counts))
    return out


def alerts(run_dir: PathLike, rules: Any = None, *, expressions: Sequence[str] = ()) -> AlertsResult:
    """Evaluates Prometheus rules files on a run directory with promtool and returns the alerts'
    episodes, the time to detect each fault and what users suffered before the first alert fired.
    rules: a path or a list of paths; None takes the scenario's `[alerts] rules` (stored in the
    run's scenario.toml as a path relative to it, or absolute). expressions: PromQL to record at every
    step as well (for example recording rules' names), in AlertsResult.expressions."""
    run = load_run(run_dir)
    if rules is None:
        configured = Scenario(run.scenario).alerts.rules
        if not configured:
            raise AlertsError(f"{run.run_dir}: no rules given and the scenario has no [alerts] rules")
        rules = [configured] if isinstance(configured, str) else list(configured)
        rules = [p if Path(p).is_absolute() else run.run_dir / p for p in rules]
    paths = [Path(rules)] if isinstance(rules, (str, os.PathLike)) else [Path(r) for r in rules]
    if not paths:
        raise AlertsError("no rules files given")
    check_all_rules(paths)
    states, frames, step, steps = evaluate(run, paths, expressions)
    episodes = episodes_of(states, step, steps)
    first = min((e.firing_s for e in episodes if e.firing_s is not None), default=None)
    return AlertsResult(run.run_dir, paths, step, steps * step, episodes, _detections(run, episodes), states, frames,
                        first, _failing_between(run, 0.0, first))


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m wsfleet.alerting",
        description="Evaluate Prometheus alerting and recording rules on a run with promtool's rule engine: "
                    "when each alert was pending, firing and resolved, and the time to detect each fault.")
    parser.add_argument("run_dir", metavar="DIR", help="a directory written by `wsfleet run --out`")
    parser.add_argument("--rules", action="append", default=None, metavar="RULES.yml",
                        help="a Prometheus rules file (repeatable); 'bundled:slo' or 'bundled:saturation' name "
                             "the bundled ones; default: the scenario's [alerts] rules")
    parser.add_argument("--json", action="store_true", help="print the episodes and detections as JSON")
    args = parser.parse_args(argv)
    try:
        rules = None
        if args.rules:
            rules = [bundled_rules(r.split(":", 1)[1]) if r.startswith("bundled:") else Path(r) for r in args.rules]
        result = alerts(args.run_dir, rules)
    except (AlertsError, ReportError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, PromtoolError) else 2
    if args.json:
        print(json.dumps({"episodes": [e.__dict__ for e in result.episodes],
                          "detections": [d.__dict__ for d in result.detections],
                          "first_firing_s": result.first_firing_s,
                          "before_first_firing": result.before_first_firing}, indent=2))
    else:
        sys.stdout.write(result.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
