"""Running scenarios from Python: the same loader and engine as the `wsfleet` command."""

from __future__ import annotations

import html
import json
import numbers
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Tuple, Union

try:  # Python 3.11+
    import tomllib
except ImportError:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib  # type: ignore[no-redef]

import numpy as np
import pandas as pd
import tomli_w

from wsfleet import _core
from wsfleet._progress import ProgressHook, RunProgress, make_hook
from wsfleet.views import Scenario as ScenarioView
from wsfleet.views import COLUMNS as C
from wsfleet.views import Summary

if TYPE_CHECKING:
    from wsfleet._limits import Verdict

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]
#: Fleet columns whose steady state RunResult.steady_state() reports by default.
STEADY_COLUMNS = (C.connections, C.cpu_utilisation)
Overrides = Union[Mapping[str, Any], Sequence[str], None]


def format_value(value: Any) -> str:
    """A Python value as the TOML text of an override (`--set key=value`)."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))  # numpy integers too
    if isinstance(value, numbers.Real):
        return repr(float(value))  # numpy floats too: "0.5", not "np.float64(0.5)"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string
    if isinstance(value, Mapping):
        items = ", ".join(f"{k} = {format_value(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise TypeError(f"override value {value!r} has unsupported type {type(value).__name__}")


def override_list(overrides: Overrides, seed: Optional[int], replication: Optional[int]) -> list:
    items: list = []
    if overrides is None:
        pass
    elif isinstance(overrides, Mapping):
        items = [f"{key}={format_value(value)}" for key, value in overrides.items()]
    elif isinstance(overrides, (str, bytes)):
        raise TypeError("overrides must be a mapping {key: value} or a list of 'key=value' strings")
    else:
        items = [str(item) for item in overrides]
    if seed is not None:
        items.append(f"run.seed={_whole('seed', seed)}")
    if replication is not None:
        items.append(f"run.replication={_whole('replication', replication)}")
    return items


def _whole(name: str, value: Any) -> int:
    """`value` as an int when it is a whole number (2 or 2.0); otherwise a ValueError naming `name`
    (int(1.7) would silently run seed 1)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a whole number (got {value!r})")
    if isinstance(value, numbers.Integral):
        return int(value)
    if not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number (got {float(value)!r})")
    return int(value)


def looks_like_path(text: str) -> bool:
    """A one-line string naming an existing file is a path, even with '=' or '[' in it
    ("results/seed=7/scenario.toml"); otherwise TOML text has '=', '[' or several lines."""
    if "\n" in text:
        return False
    if os.path.isfile(text):
        return True
    return "=" not in text and "[" not in text


def _dispatch(scenario: Scenario, overrides: list, file_fn, text_fn, **extra: Any):
    if isinstance(scenario, Mapping):
        return text_fn(tomli_w.dumps(dict(scenario)), "<dict>", overrides, **extra)
    if isinstance(scenario, os.PathLike):
        return file_fn(os.fspath(scenario), overrides, **extra)
    if isinstance(scenario, str):
        if looks_like_path(scenario):
            return file_fn(scenario, overrides, **extra)
        return text_fn(scenario, "<string>", overrides, **extra)
    raise TypeError("scenario must be a path, a TOML string or a dict")


@dataclass(repr=False)
class RunResult:
    """The result of one run.

    summary: the same dict as summary.json. fleet: one row per sample time (fleet totals).
    servers: one row per sample time per server, with its class. scenario_toml: the effective scenario.
    balancers: one row per sample time per balancer (source ports in use, refusals by cause).
    sites: with two or more [[topology.sites]], one row per sample time per site (its servers up,
    ready and draining, its connections; empty otherwise). Every column is declared in
    experiments/timeseries_schema.cpp (`wsfleet schema --timeseries`; wsfleet.views.COLUMNS).
    """

    summary: dict
    fleet: pd.DataFrame
    servers: pd.DataFrame
    scenario_toml: str
    balancers: pd.DataFrame = field(default_factory=pd.DataFrame)
    _native: Any = field(repr=False, default=None)
    sites: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def timeseries(self) -> pd.DataFrame:
        """Fleet, server, balancer and site rows in one tidy frame, as timeseries.csv has them."""
        fleet = self.fleet.assign(scope="fleet", server=-1)
        servers = self.servers.drop(columns="class", errors="ignore").assign(scope="server")
        frames = [fleet, servers]
        if not self.balancers.empty:
            frames.append(self.balancers.assign(scope="balancer", server=-1))
        if not self.sites.empty:
            frames.append(self.sites.assign(scope="site", server=-1))
        return pd.concat(frames, ignore_index=True)

    def save(self, directory: Union[str, "os.PathLike[str]"], *, format: str = "csv") -> Path:
        """Write summary.json, timeseries.csv and scenario.toml exactly as `wsfleet run --out` does;
        format="parquet" adds timeseries.parquet (the same table), as `--format parquet` does."""
        if format not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet' (got {format!r})")
        if self._native is None:
            raise ValueError("this result was loaded from a directory (wsfleet.load): its files are there already")
        self._native.write(os.fspath(directory))
        if format == "parquet":
            from wsfleet._timeseries_parquet import write_timeseries_parquet

            write_timeseries_parquet(directory)
        return Path(directory)

    def steady_state(self, columns: Sequence[str] = STEADY_COLUMNS) -> pd.DataFrame:
        """The fleet's steady-state figures: for each fleet time-series column, the warm-up MSER-5
        finds in it (samples and seconds discarded), the mean and standard deviation of the rest,
        and whether a steady state was found at all ("reliable": False when MSER-5's cut lies at the
        middle of the run, i.e. the column still drifts). ci_half_width: the half-width of the 95 %
        interval of the steady mean from 10 batch means; steady: False also when the run ended in a
        transient (its last tenth outside the range of the rest). See wsfleet._warmup, wsfleet._steady."""
        from wsfleet._steady import steady_figure
        from wsfleet._warmup import mser5

        rows = []
        times = self.fleet[C.time_s].to_numpy(dtype=float) if C.time_s in self.fleet else None
        for column in columns:
            if C.of(column) not in self.fleet.columns:
                raise KeyError(f"no fleet time-series column {column!r}; columns: {', '.join(self.fleet.columns)}")
            values = self.fleet[column].to_numpy(dtype=float)
            keep = np.isfinite(values)
            w = mser5(values[keep], times[keep] if times is not None else None)
            f = steady_figure(values[keep], times[keep] if times is not None else None)
            rows.append({"column": column, "warmup_samples": w.truncated, "warmup_end_s": w.warmup_end_s,
                         "steady_mean": w.steady_mean, "steady_std": w.steady_std,
                         "whole_run_mean": float(values[keep].mean()), "reliable": w.reliable,
                         "ci_half_width": f.half_width, "steady": f.steady})
        return pd.DataFrame(rows)

    def report(self, out: Union[str, "os.PathLike[str]", None] = None, *, plots: bool = True) -> Path:
        """Save the run into directory `out` (default: a new temporary directory) and write its HTML
        capacity report there; returns the report's path (out/report.html)."""
        from wsfleet.report import write_report

        directory = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="wsfleet-run-"))
        self.save(directory)
        return write_report(directory, plots=plots)

    def verdict(self) -> "Verdict":
        """The report's verdict: the status and the binding (or closest) limit, from every limit of the
        model (wsfleet._limits)."""
        from wsfleet._limits import evaluate_limits, verdict

        scenario = tomllib.loads(self.scenario_toml)
        dt = float(ScenarioView(scenario).run.sample_interval_s or 1.0)
        return verdict(evaluate_limits(self.summary, scenario, self.servers, self.fleet, dt))

    def _headline(self) -> Tuple[str, List[Tuple[str, str]]]:
        s = Summary(self.summary)
        conn = s.connections
        name = s.scenario.name or ""
        title = (f"RunResult {name!r}: {s.fleet.servers} servers, "
                 f"{s.clients.count or 0:,} clients, {s.simulated_seconds or 0:g} s simulated")
        rows = [("peak connections", f"{conn.peak or 0:,} (busiest server {conn.peak_per_server or 0:,})"),
                ("attempts", f"{conn.attempted or 0:,}: {conn.rejected or 0:,} refused, "
                             f"{conn.failed or 0:,} failed"),
                ("peak CPU", f"{100 * (s.cpu.peak_utilisation or 0):.1f} %"),
                ("conservation", "ok" if s.conservation.ok else "FAILED")]
        return title, rows

    def __repr__(self) -> str:
        title, rows = self._headline()
        return title + "\n" + "\n".join(f"  {k}: {v}" for k, v in rows) + \
            "\n  (.summary, .fleet, .servers, .report(), .verdict(), .steady_state())"

    def _repr_html_(self) -> str:
        title, rows = self._headline()
        v = self.verdict()
        words = {"ok": "ENOUGH CAPACITY", "warn": "TIGHT", "fail": "NOT ENOUGH CAPACITY"}[v.status]
        cells = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                        f"{html.escape(val)}</td></tr>" for k, val in rows)
        return (f"<div><strong>{html.escape(title)}</strong><table>{cells}</table>"
                f"<p><strong>{words}</strong>: {html.escape(v.text)}</p></div>")


@dataclass(repr=False)
class ReplicatedRunResult(RunResult):
    """A run replicated until its chosen metrics have the asked precision (wsfleet.run(...,
    precision=...)). As a RunResult it is replication 0 (summary, fleet, servers, report(),
    verdict(): the plain run of the same scenario and seed); besides:

    replications: every replication's RunResult, in order (replication r ran with run.replication = r).
    frame: one row per replication: replication, seed, then the metrics a sweep's results row has.
    rule: the stopping rule (wsfleet._precision.Precision); seed: the run.seed of every replication.
    """

    replications: List[RunResult] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    rule: Any = None
    seed: int = 0
    pilot: int = 2

    def precision(self) -> pd.DataFrame:
        """Per chosen metric: n, the mean, the half-width of its 95 % interval, the relative
        half-width (half-width / |mean|), whether the run measures it and whether it is met."""
        from wsfleet._replicated import metric_status

        return metric_status(self.frame, self.rule)

    @property
    def stopped(self) -> str:
        """"precision reached" or "cap reached"."""
        from wsfleet._replicated import stopped

        return stopped(self.precision())

    def intervals(self, metrics: Optional[Sequence[str]] = None, confidence: float = 0.95) -> pd.DataFrame:
        """The mean of each metric over the replications with its two-sided Student-t interval
        (default metrics: every numeric column), as wsfleet.aggregate gives a sweep's point."""
        from wsfleet._aggregate import aggregate

        frame = self.frame.assign(point=0, point_id="run")
        table = aggregate(frame, axes=[], metrics=metrics, confidence=confidence)
        return table.drop(columns=["point", "point_id"])

    def precision_document(self) -> dict:
        """What precision.json holds: the rule, the replications, what stopped them ("precision
        reached" or "cap reached") and per metric what it reached."""
        from wsfleet._replicated import precision_document

        return precision_document(self.frame, self.rule, self.pilot, self.seed)

    def save(self, directory: Union[str, "os.PathLike[str]"], *, format: str = "csv") -> Path:
        """Replication 0's files (as RunResult.save), plus replications.parquet (one row per
        replication) and precision.json (the rule and what it reached), which the report reads."""
        from wsfleet._replicated import write_replications

        path = super().save(directory, format=format)
        write_replications(path, self.frame, self.precision_document())
        return path

    def __repr__(self) -> str:
        from wsfleet._replicated import outcome_words

        title, rows = self._headline()
        return ("Replicated" + title + " (replication 0)\n" + "\n".join(f"  {k}: {v}" for k, v in rows)
                + "\n  " + outcome_words(self.precision_document())
                + "\n  (.replications, .frame, .precision(), .intervals(), .summary, .fleet, .report(), .verdict())")

    def _repr_html_(self) -> str:
        from wsfleet._replicated import outcome_words

        return super()._repr_html_().replace(
            "</div>", f"<p>{html.escape(outcome_words(self.precision_document()))}</p></div>", 1)


def replicated_run(scenario: Scenario, overrides: Overrides, seed: Optional[int],
                   progress: Union[bool, None, "ProgressHook"], precision: Any, metrics: Any,
                   max_replications: Any, names: Any = None, *, replication: Optional[int] = None
                   ) -> ReplicatedRunResult:
    """wsfleet.run with a precision (see wsfleet._replicated); `names`: how the options are called in
    error messages (wsfleet._replicated.API_NAMES or CLI_NAMES)."""
    from wsfleet._replicated import API_NAMES, check_metrics, make_rule, replicate, replication_row

    names = names or API_NAMES
    rule, pilot = make_rule(precision, metrics, max_replications, names)
    if replication is not None:
        raise ValueError(f"{names.replication} cannot be given with {names.precision}: the replications are "
                         "0, 1, 2, ... (as a sweep's), each with the same seed")
    if seed is None:
        seed = tomllib.loads(check(scenario, overrides=overrides))["run"]["seed"]
    seed = _whole("seed", seed)

    def one(r: int) -> Tuple[RunResult, dict]:
        result = _one_run(scenario, overrides, seed, r, progress, f"replication {r}")
        return result, replication_row(r, seed, result.summary, result._native.fleet_columns())

    results, frame = replicate(one, rule, pilot, lambda row: check_metrics(rule, row, names))
    first = results[0]
    return ReplicatedRunResult(summary=first.summary, fleet=first.fleet, servers=first.servers,
                               scenario_toml=first.scenario_toml, balancers=first.balancers, _native=first._native,
                               sites=first.sites,
                               replications=results, frame=frame, rule=rule, seed=seed, pilot=pilot)


def _frame(columns: dict, integer_columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame({name: values for name, values in columns.items()})
    for name in integer_columns:
        if name in frame:
            frame[name] = frame[name].astype("int64")
    return frame


def run(
    scenario: Scenario,
    *,
    overrides: Overrides = None,
    seed: Optional[int] = None,
    replication: Optional[int] = None,
    progress: Union[bool, None, "ProgressHook"] = None,
    precision: Optional[float] = None,
    metrics: Optional[Sequence[str]] = None,
    max_replications: Optional[int] = None,
) -> RunResult:
    """Run one scenario: a file path, a TOML string, or a dict with the scenario's tables.

    overrides: {"clients.count": 5000} or ["clients.count=5000"], validated like the file.
    seed/replication: override run.seed/run.replication. The GIL is released while the engine runs.
    progress: None (default) shows a bar of the simulated time in a terminal or notebook, or a plain
    line on stderr every 30 s otherwise, once the run has taken 2 s; True a bar always; False
    nothing; or a callable progress(simulated_s, end_s, events), called about every 50 ms. The
    results are the same whatever it is. Ctrl-C (a notebook's interrupt) stops the run with
    KeyboardInterrupt within about 50 ms (the engine looks at the clock every 256 events).
    precision: replicate the run (run.replication = 0, 1, 2, ... with the same run.seed: the
    replications of a sweep's point, bit for bit) until the 95 % confidence interval of the mean of
    every metric in `metrics` is within ±precision of the mean (0.05: ±5 %), or max_replications
    (default 30, at least 2) is reached; metrics: columns of the flattened summary or its
    steady-state figures (default: p99 message and handshake latency, peak CPU, peak connections
    per server). Returns a ReplicatedRunResult (every replication, the intervals, what was reached;
    see wsfleet._replicated); without precision nothing changes.
    Raises ScenarioError (a ValueError) on bad input, with .file, .line, .column and .key.
    """
    if precision is not None or metrics is not None or max_replications is not None:
        return replicated_run(scenario, overrides, seed, progress, precision, metrics, max_replications,
                              replication=replication)
    return _one_run(scenario, overrides, seed, replication, progress, "run")


def _one_run(scenario: Scenario, overrides: Overrides, seed: Optional[int], replication: Optional[int],
             progress: Union[bool, None, "ProgressHook"], label: str) -> RunResult:
    hook = make_hook(progress, label)
    finished = False
    try:
        native = _dispatch(scenario, override_list(overrides, seed, replication), _core.run_file, _core.run_text,
                           progress=hook)
        finished = True
    finally:
        if isinstance(hook, RunProgress):
            hook.close(finished)
    return _result(native.fleet_columns(), native.server_columns(), native.balancer_columns(),
                   json.loads(native.summary_json()), native.scenario_toml(), native, native.site_columns())


def _result(fleet_columns: dict, server_columns: dict, balancer_columns: dict, summary: dict, scenario_toml: str,
            native: Any, site_columns: Optional[dict] = None) -> RunResult:
    # Whole-number columns (declared integer or flag for their scope) are int64.
    fleet = _frame(fleet_columns, C.whole("fleet"))
    servers = _frame(server_columns, C.whole("server"))
    balancers = _frame(balancer_columns, C.whole("balancer"))
    sites = _frame(site_columns or {}, C.whole("site"))
    classes = Summary(summary).fleet.server_class or []
    if classes and not servers.empty:
        # Each server's class ([[fleet.classes]] name, "default" without classes), after "server".
        servers.insert(servers.columns.get_loc(C.server) + 1, "class",
                       pd.Categorical([classes[i] for i in servers[C.server]], categories=list(dict.fromkeys(classes))))
    return RunResult(
        summary=summary,
        fleet=fleet,
        servers=servers,
        balancers=balancers,
        scenario_toml=scenario_toml,
        _native=native,
        sites=sites,
    )


def load(directory: Union[str, "os.PathLike[str]"]) -> RunResult:
    """A run directory (`wsfleet run --out DIR`, RunResult.save) as a RunResult: the summary, the
    effective scenario and the time series (from timeseries.parquet when it is there, else
    timeseries.csv), split into fleet, server and balancer rows as wsfleet.run gives them. A
    column a scope never fills (a server-only column on fleet rows) is left out of that scope's
    frame. Raises ReportError naming the file at fault; a sweep or plan directory is refused (use
    wsfleet.load_sweep)."""
    from wsfleet._run_dir import ReportError, load_run

    if (Path(directory) / "study.json").is_file():
        raise ReportError(directory, "a sweep or plan directory: load it with wsfleet.load_sweep")
    run_dir = load_run(directory)
    ts = run_dir.timeseries

    def scope(name: str, index: Optional[str]) -> dict:
        rows = ts[ts[C.scope] == name].drop(columns=[C.scope])
        if index != C.server:
            rows = rows.drop(columns=[C.server])
        rows = rows.dropna(axis=1, how="all") if not rows.empty else rows.iloc[:, :0]
        return {c: rows[c].to_numpy() for c in rows.columns}

    return _result(scope("fleet", None), scope("server", C.server), scope("balancer", None), run_dir.summary,
                   run_dir.scenario_text, None, scope("site", None))


def check(scenario: Scenario, *, overrides: Overrides = None) -> str:
    """Validate a scenario without running it; returns the effective scenario as TOML."""
    return _dispatch(scenario, override_list(overrides, None, None), _core.load_scenario_file, _core.load_scenario_text)
