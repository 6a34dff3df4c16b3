"""The result of one run (wsfleet.run, wsfleet.load): its summary and its time series as pandas
DataFrames, each built from the engine's columns when first asked for, so that a run whose caller
reads only the summary never loads pandas."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from wsfleet._run_frames import frame, run_limits, server_frame
from wsfleet.views import COLUMNS as C
from wsfleet.views import Summary

if TYPE_CHECKING:
    import pandas as pd

    from wsfleet._limits import Verdict

__all__ = ["RunResult", "STEADY_COLUMNS", "FRAMES", "Pending", "result_of_columns"]

#: Fleet columns whose steady state RunResult.steady_state() reports by default.
STEADY_COLUMNS = (C.connections, C.cpu_utilisation)
#: The time-series frames of a RunResult, in the order its constructor takes them.
FRAMES = ("fleet", "servers", "balancers", "sites", "classes")


class Pending:
    """A frame not built yet: built (with pandas) when first asked for, once, however many results
    share it (a replicated run's own frames are its replication 0's)."""

    __slots__ = ("_make", "_frame")

    def __init__(self, make: Callable[[], "pd.DataFrame"]) -> None:
        self._make: Optional[Callable[[], "pd.DataFrame"]] = make
        self._frame: Any = None

    def frame(self) -> "pd.DataFrame":
        if self._make is not None:
            self._frame, self._make = self._make(), None  # the columns it was built from are let go
        return self._frame


def _empty() -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame()


def _frame_property(name: str, doc: str) -> property:
    def get(self: "RunResult") -> "pd.DataFrame":
        value = self._frames[name]
        if isinstance(value, Pending):
            value = self._frames[name] = value.frame()
        return value

    def set_(self: "RunResult", value: Any) -> None:
        self._frames[name] = Pending(_empty) if value is None else value

    return property(get, set_, doc=doc)


class RunResult:
    """The result of one run.

    summary: the same dict as summary.json. fleet: one row per sample time (fleet totals).
    servers: one row per sample time per server, with its class. scenario_toml: the effective scenario.
    balancers: one row per sample time per balancer (source ports in use, refusals by cause).
    sites: with two or more [[topology.sites]], one row per sample time per site (its servers up,
    ready and draining, its connections; empty otherwise). classes: with two or more
    [[fleet.classes]], one row per sample time per class (column `class`: its number in
    summary.json's fleet.classes; its servers up and ready, its connections, its servers' mean and
    highest CPU utilisation, the attempts they refused; empty otherwise). Every column is declared
    by the engine component that writes it (`wsfleet schema --timeseries`; wsfleet.views.COLUMNS).
    The frames are pandas DataFrames built when first read (pandas is loaded then, not before).
    """

    fleet = _frame_property("fleet", "One row per sample time: the fleet's totals.")
    servers = _frame_property("servers", "One row per sample time per server, with its class.")
    balancers = _frame_property("balancers", "One row per sample time per balancer.")
    sites = _frame_property("sites", "With two or more sites, one row per sample time per site (else empty).")
    classes = _frame_property("classes", "With two or more [[fleet.classes]], one row per sample time per class "
                                         "(else empty).")

    def __init__(self, summary: dict, fleet: Any = None, servers: Any = None, scenario_toml: str = "",
                 balancers: Any = None, _native: Any = None, sites: Any = None, classes: Any = None) -> None:
        """Each frame: a DataFrame, a Pending (built when first read) or None (empty)."""
        self.summary = summary
        self.scenario_toml = scenario_toml
        self._native = _native
        self._frames: Dict[str, Any] = {}
        for name, value in zip(FRAMES, (fleet, servers, balancers, sites, classes)):
            setattr(self, name, value)

    def __getstate__(self) -> Dict[str, Any]:
        """Pickled with every frame built (a frame not built yet holds a function)."""
        state = dict(self.__dict__)
        state["_frames"] = {name: getattr(self, name) for name in FRAMES}
        return state

    def _shared_frames(self) -> Dict[str, Any]:
        """Each frame as it is held (a DataFrame, or a Pending not built yet), to share with another result."""
        return dict(self._frames)

    @property
    def timeseries(self) -> "pd.DataFrame":
        """Fleet, server, balancer, site and class rows in one tidy frame, as timeseries.csv has them."""
        fleet = self.fleet.assign(scope="fleet", server=-1)
        # (the servers' class names: the CSV's class column is the class rows' number)
        servers = self.servers.drop(columns=C.class_, errors="ignore").assign(scope="server")
        frames = [fleet, servers]
        if not self.balancers.empty:
            frames.append(self.balancers.assign(scope="balancer", server=-1))
        if not self.sites.empty:
            frames.append(self.sites.assign(scope="site", server=-1))
        if not self.classes.empty:
            frames.append(self.classes.assign(scope="class", server=-1))
        import pandas as pd

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

    def steady_state(self, columns: Sequence[str] = STEADY_COLUMNS) -> "pd.DataFrame":
        """The fleet's steady-state figures: for each fleet time-series column, the warm-up MSER-5
        finds in it (samples and seconds discarded), the mean and standard deviation of the rest,
        and whether a steady state was found at all ("reliable": False when MSER-5's cut lies at the
        middle of the run, i.e. the column still drifts). ci_half_width: the half-width of the 95 %
        interval of the steady mean from 10 batch means; steady: False also when the run ended in a
        transient (its last tenth outside the range of the rest). See wsfleet._warmup, wsfleet._steady."""
        import numpy as np
        import pandas as pd

        from wsfleet._steady import steady_after
        from wsfleet._warmup import mser5

        rows = []
        times = self.fleet[C.time_s].to_numpy(dtype=float) if C.time_s in self.fleet else None
        for column in columns:
            if C.of(column) not in self.fleet.columns:
                raise KeyError(f"no fleet time-series column {column!r}; columns: {', '.join(self.fleet.columns)}")
            values = self.fleet[column].to_numpy(dtype=float)
            keep = np.isfinite(values)
            w = mser5(values[keep], times[keep] if times is not None else None)
            f = steady_after(w, values[keep])
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

    def limits(self) -> list:
        """Every limit of the model measured in this run (wsfleet._limits.Limit)."""
        return run_limits(self.summary, self.scenario_toml, self.servers, self.fleet)

    def verdict(self) -> "Verdict":
        """The report's verdict: the status ("ok", "warn", "fail", "misconfigured"; .words gives
        ENOUGH CAPACITY, TIGHT, NOT ENOUGH CAPACITY or MISCONFIGURED) and the binding (or closest) limit,
        from every limit of the model (wsfleet._limits)."""
        from wsfleet._limits import verdict

        return verdict(self.limits())

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
        from wsfleet._notebook import run_html  # the template renders a replicated run's precision too

        return run_html(self)


def result_of_columns(fleet_columns: dict, server_columns: dict, balancer_columns: dict, summary: dict,
                      scenario_toml: str, native: Any, site_columns: Optional[dict] = None,
                      class_columns: Optional[dict] = None) -> RunResult:
    """A RunResult whose frames are built from these columns (name -> values) when first read.
    Whole-number columns (declared integer or flag for their scope) are int64."""
    classes = Summary(summary).fleet.server_class or []
    return RunResult(
        summary=summary,
        fleet=Pending(lambda: frame(fleet_columns, C.whole("fleet"))),
        servers=Pending(lambda: server_frame(server_columns, classes)),
        balancers=Pending(lambda: frame(balancer_columns, C.whole("balancer"))),
        scenario_toml=scenario_toml,
        _native=native,
        sites=Pending(lambda: frame(site_columns or {}, C.whole("site"))),
        classes=Pending(lambda: frame(class_columns or {}, C.whole("class"))),
    )
