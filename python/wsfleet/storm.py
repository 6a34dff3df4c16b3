"""The storm map: which triggers a fleet recovers from, and which leave it overloaded for good.

A trigger takes down a share of the servers (`size`: 0.25 = a quarter of them, crashed at `at_s`) for
a time (`duration_s`: they restart empty after it). For every (size, duration) the scenario runs once
more and the map records whether the fleet recovered after the trigger ended: its open connections
back to `threshold` (99 %) of what they were just before the trigger, and how long that took. A run
that did not recover and whose servers are still busy at the end (mean CPU of the last
`tail_s` >= 90 %) is flagged *overloaded*: the trigger is gone but the retries it set off keep the
fleet saturated, the metastable failure of Huang et al., "Metastable Failures in the Wild" (OSDI'22;
their retry experiment, lexiangh/Metastability: past a threshold of trigger size and duration,
retries keep the system overloaded until load is reduced).

    m = wsfleet.storm_map("experiments/scenarios/storm_map.toml", sizes=[0.25, 0.5, 0.75],
                          durations=[2, 10, 30])
    m.frame                 # one row per (size, duration): recovered, recovery_s, overloaded, ...
    m.boundary()            # per duration: the smallest size that did not recover (None: all did)
    m.report("results/storm")   # results/storm/report.html: the phase diagram and the table

`wsfleet storm-map SCENARIO --sizes 0.25,0.5 --durations 2,30 --out DIR` does the same from the shell.

A `[storm]` table in the scenario gives the map's defaults (the arguments override them):

    [storm]
    sizes = [0.125, 0.25, 0.5]
    durations = [1, 10, 60]
    trigger = "slow_server"     # crash (default), slow_server, handshake_blackhole, dropped_messages
    factor = 5.0                # slow_server: its [[faults]] factor; dropped_messages: loss = 0.5
    at_s = 60.0
    horizon_s = 120.0
    threshold = 0.99
    tail_s = 20.0

A trigger other than a crash hits the same share of the servers with that gray failure for the
duration (docs/operations.md): a slow or blackholed or frame-dropping server stays in service.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union

import pandas as pd

from ._describe import fmt_int, fmt_seconds
from ._html import render
from ._plots import new_figure, style_axes, to_png
from .views import Scenario, Summary
from .views import COLUMNS as C

if TYPE_CHECKING:  # _run imports this module's users; the run itself is imported where it is used
    from ._run import Overrides

__all__ = ["storm_map", "StormMap", "main", "STORM_KEYS", "TRIGGERS"]

PathLike = Union[str, "os.PathLike[str]"]

#: The trigger kinds: each a [[faults]] type aimed at a server, with the parameter it takes from [storm].
TRIGGERS: Dict[str, Optional[str]] = {"crash": None, "slow_server": "factor", "handshake_blackhole": None,
                                      "dropped_messages": "loss"}
#: The keys of a [storm] table.
STORM_KEYS = ("sizes", "durations", "trigger", "factor", "loss", "at_s", "horizon_s", "threshold", "tail_s")


def _storm_table(base: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """The scenario's [storm] table, checked: known keys, numbers where numbers go."""
    table = base.get("storm", {})
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: storm must be a table ([storm])")
    out: Dict[str, Any] = {}
    for key, value in table.items():
        if key not in STORM_KEYS:
            raise ValueError(f"{where}: unknown key 'storm.{key}' (allowed: {', '.join(STORM_KEYS)})")
        if key in ("sizes", "durations"):
            if not isinstance(value, list) or not value or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                                   for v in value):
                raise ValueError(f"{where}: storm.{key} must be a non-empty list of numbers (got {value!r})")
            out[key] = [float(v) for v in value]
        elif key == "trigger":
            if value not in TRIGGERS:
                raise ValueError(f"{where}: storm.trigger must be one of {', '.join(TRIGGERS)} (got {value!r})")
            out[key] = value
        else:
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"{where}: storm.{key} must be a number (got {value!r})")
            out[key] = float(value)
    return out


def _check_range(key: str, value: float, low: float, high: float, low_open: bool = True, high_name: str = "") -> None:
    """`value` (the argument, or storm.KEY of the scenario) within (low, high] ([low, high] when not
    low_open); a ValueError naming both places otherwise. high_name: the key the upper bound comes from."""
    if not (value > low if low_open else value >= low) or not value <= high:
        bound = "" if math.isinf(high) else (f"{high_name} = {high:g}" if high_name else f"{high:g}")
        allowed = (f"{'>' if low_open else '>='} {low:g}" if not bound else
                   f"in {'(' if low_open else '['}{low:g}, {bound}]")
        raise ValueError(f"storm_map: {key} (its argument, or storm.{key} in the scenario) must be {allowed} "
                         f"(got {value:g})")


def _name(base: Mapping[str, Any], otherwise: str) -> str:
    """The scenario's name, else `otherwise`."""
    identity = Scenario(base).scenario
    return str(identity.name) if "name" in identity else otherwise


def _trigger_words(trigger: str) -> str:
    return {"crash": "A share of the servers crashes (and restarts empty)",
            "slow_server": "A share of the servers runs slow",
            "handshake_blackhole": "A share of the servers stops completing handshakes",
            "dropped_messages": "A share of the servers drops its inbound frames"}.get(trigger, f"A share of the servers: {trigger}")


def _trigger_faults(trigger: str, lost: int, at_s: float, duration: float, params: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The [[faults]] of one trigger: `lost` servers hit by `trigger` at at_s for `duration`."""
    out = []
    for k in range(lost):
        fault: Dict[str, Any] = {"type": trigger, "server": k, "at_s": at_s, "recover_after_s": duration}
        param = TRIGGERS[trigger]
        if param is not None and param in params:
            fault[param] = params[param]
        out.append(fault)
    return out


@dataclass
class StormMap:
    """The outcome of every (size, duration) trigger."""

    frame: pd.DataFrame
    scenario: str
    at_s: float
    horizon_s: float
    threshold: float
    settings: Dict[str, Any] = field(default_factory=dict)

    def boundary(self) -> Dict[float, Optional[float]]:
        """For each duration: the smallest trigger size the fleet did not recover from (None when it
        recovered from every size)."""
        out: Dict[float, Optional[float]] = {}
        for duration, rows in self.frame.groupby("duration_s"):
            failed = rows[~rows["recovered"]]["size"]
            out[float(duration)] = float(failed.min()) if not failed.empty else None
        return out

    def is_monotonic(self) -> bool:
        """True when a larger or longer trigger never recovers where a smaller or shorter one did not."""
        table = self.frame.pivot(index="size", columns="duration_s", values="recovered").sort_index().sort_index(axis=1)
        values = table.to_numpy(dtype=bool)
        down = all(not (not values[i, j] and values[i + 1, j]) for i in range(values.shape[0] - 1)
                   for j in range(values.shape[1]))
        across = all(not (not values[i, j] and values[i, j + 1]) for i in range(values.shape[0])
                     for j in range(values.shape[1] - 1))
        return down and across

    def figure(self) -> bytes:
        """The phase diagram: trigger size x duration, recovered (with the recovery time) or not."""
        f = self.frame
        fig = new_figure(3.6)
        ax = fig.add_subplot(1, 1, 1)
        rec = f[f["recovered"]]
        stuck = f[~f["recovered"] & f["overloaded"]]
        other = f[~f["recovered"] & ~f["overloaded"]]
        if not rec.empty:
            sc = ax.scatter(rec["duration_s"], rec["size"], c=rec["recovery_s"], cmap="viridis", marker="o", s=90,
                            edgecolors="#333333", linewidths=0.5, label="recovered (colour: recovery time, s)")
            bar = fig.colorbar(sc, ax=ax, pad=0.01)
            bar.set_label("recovery time after the trigger (s)", fontsize=7)
            bar.ax.tick_params(labelsize=7)
        if not stuck.empty:
            ax.scatter(stuck["duration_s"], stuck["size"], marker="X", s=110, color="#d62728",
                       label="still overloaded at the end (metastable)")
        if not other.empty:
            ax.scatter(other["duration_s"], other["size"], marker="s", s=80, facecolors="none", edgecolors="#d62728",
                       label="not recovered, servers not saturated")
        # The boundary: per duration, below the smallest size that did not recover.
        sizes = sorted(f["size"].unique())
        xs, ys = [], []
        for duration, smallest in sorted(self.boundary().items()):
            if smallest is None:
                continue
            below = [s for s in sizes if s < smallest]
            xs.append(duration)
            ys.append((smallest + below[-1]) / 2 if below else smallest / 2)
        if xs:
            ax.plot(xs, ys, color="#d62728", linestyle="--", linewidth=1.0, drawstyle="steps-mid",
                    label="the boundary")
        if len(f["duration_s"].unique()) > 2 and f["duration_s"].min() > 0:
            ax.set_xscale("log")
        style_axes(ax, "share of servers lost", xlabel="trigger duration (s)")
        ax.set_title("Storm map: which triggers the fleet recovers from", loc="left", fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.18), ncol=2, frameon=False)
        return to_png(fig)

    def save(self, directory: PathLike) -> Path:
        """Writes storm_map.csv (the frame) into `directory`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.frame.to_csv(out / "storm_map.csv", index=False)
        return out

    def report(self, directory: PathLike) -> Path:
        """Saves the frame and writes directory/report.html: the phase diagram, the boundary and the table."""
        out = self.save(directory)
        path = out / "report.html"
        path.write_text(self.html(), encoding="utf-8")
        return path

    def sentences(self) -> List[str]:
        f = self.frame
        total, ok = len(f), int(f["recovered"].sum())
        stuck = int((~f["recovered"] & f["overloaded"]).sum())
        text = [f"{fmt_int(total)} triggers were run: {fmt_int(ok)} recovered after the trigger ended, "
                f"{fmt_int(total - ok)} did not, {fmt_int(stuck)} of them with the servers still saturated at the end "
                "(the retries, not the trigger, kept the fleet overloaded)."]
        for duration, smallest in sorted(self.boundary().items()):
            if smallest is None:
                text.append(f"A {fmt_seconds(duration)} trigger: the fleet recovered from every size tried.")
            else:
                text.append(f"A {fmt_seconds(duration)} trigger: the fleet did not recover from losing "
                            f"{smallest:.0%} of its servers or more.")
        text.append("The boundary is " + ("monotonic: a larger or longer trigger never recovers where a smaller "
                                          "or shorter one did not." if self.is_monotonic() else
                                          "not monotonic here: a larger or longer trigger recovered where a smaller "
                                          "or shorter one did not (look at the runs near the boundary; replications "
                                          "or a finer grid may be needed)."))
        return text

    def html(self) -> str:
        """The storm map's page: the sentences, the phase diagram and every run."""
        f = self.frame.sort_values(["size", "duration_s"])
        rows = [[f"{r.size:.0%}", fmt_int(r.servers_lost), fmt_seconds(r.duration_s), "yes" if r.recovered else "no",
                 fmt_seconds(r.recovery_s) if r.recovered else "—", "yes" if r.overloaded else "no",
                 fmt_int(r.connections_before), fmt_int(r.connections_at_end), f"{r.cpu_at_end:.0%}"]
                for r in f.itertuples()]
        return render("storm.html.j2", scenario=self.scenario,
                      trigger=_trigger_words(self.settings.get("trigger", "crash")), at=fmt_seconds(self.at_s),
                      horizon=fmt_seconds(self.horizon_s), threshold=f"{self.threshold:.0%}",
                      sentences=self.sentences(), png=self.figure(), rows=rows)


def _outcome(fleet: pd.DataFrame, at_s: float, end_of_trigger: float, threshold: float, tail_s: float) -> Dict[str, Any]:
    before_rows = fleet[fleet[C.time_s] < at_s]  # the sample at at_s comes after the crash
    before = float(before_rows[C.connections].iloc[-1]) if not before_rows.empty else 0.0
    after = fleet[fleet[C.time_s] >= end_of_trigger]
    back = after[after[C.connections] >= threshold * before]
    recovered = not back.empty and before > 0
    last = fleet[fleet[C.time_s] > float(fleet[C.time_s].max()) - tail_s]
    cpu = float(last[C.cpu_utilisation].mean()) if not last.empty else 0.0
    return {"recovered": bool(recovered),
            "recovery_s": float(back[C.time_s].iloc[0] - end_of_trigger) if recovered else math.nan,
            "overloaded": bool(not recovered and cpu >= 0.9),
            "connections_before": before,
            "connections_at_end": float(fleet[C.connections].iloc[-1]) if not fleet.empty else 0.0,
            "cpu_at_end": cpu}


def storm_map(scenario: Union[PathLike, Mapping[str, Any]], sizes: Optional[Sequence[float]] = None,
              durations: Optional[Sequence[float]] = None, *, at_s: Optional[float] = None,
              horizon_s: Optional[float] = None, threshold: Optional[float] = None, tail_s: Optional[float] = None,
              trigger: Optional[str] = None, factor: Optional[float] = None, loss: Optional[float] = None,
              overrides: Overrides = None, seed: Optional[int] = None, progress: bool = False) -> StormMap:
    """Runs `scenario` once per (size, duration) trigger and returns the map. The scenario's own
    [[faults]] are replaced by the trigger; run.duration_s becomes at_s + duration + horizon_s.
    Arguments left out come from the scenario's [storm] table, else the defaults (at 60 s, 120 s to
    recover, 99 %, a 20 s tail (at most the horizon), a crash). `factor` (slow_server) and `loss`
    (dropped_messages) are the trigger's parameter, else the fault's default. A value out of its
    range, or a parameter the trigger does not take, raises ValueError."""
    from ._run import run

    if isinstance(scenario, Mapping):
        base = dict(scenario)
        name = _name(base, "scenario")
        where = "storm_map"
    else:
        path = Path(os.fspath(scenario))
        base = tomllib.loads(path.read_text(encoding="utf-8"))
        name = _name(base, path.stem)
        where = str(path)
    storm_table = _storm_table(base, where)
    base.pop("storm", None)
    sizes = list(sizes) if sizes is not None else storm_table.get("sizes", [])
    durations = list(durations) if durations is not None else storm_table.get("durations", [])
    at_s = float(at_s if at_s is not None else storm_table.get("at_s", 60.0))
    horizon_s = float(horizon_s if horizon_s is not None else storm_table.get("horizon_s", 120.0))
    threshold = float(threshold if threshold is not None else storm_table.get("threshold", 0.99))
    # (the default tail, 20 s, is cut to the horizon: a tail longer than it would reach into the trigger)
    tail_s = float(tail_s if tail_s is not None else storm_table.get("tail_s", min(20.0, horizon_s)))
    trigger = trigger if trigger is not None else storm_table.get("trigger", "crash")
    if trigger not in TRIGGERS:
        raise ValueError(f"storm_map: trigger must be one of {', '.join(TRIGGERS)} (got {trigger!r})")
    params = {k: storm_table[k] for k in ("factor", "loss") if k in storm_table}
    params.update({k: float(v) for k, v in (("factor", factor), ("loss", loss)) if v is not None})
    for key, given in (("factor", factor), ("loss", loss)):
        if given is not None and TRIGGERS[trigger] != key:
            raise ValueError(f"storm_map: {key} applies to the trigger "
                             f"{next(t for t, k in TRIGGERS.items() if k == key)}, not {trigger}")
    _check_range("at_s", at_s, 0.0, math.inf, low_open=False)
    _check_range("horizon_s", horizon_s, 0.0, math.inf)
    _check_range("threshold", threshold, 0.0, 1.0)
    _check_range("tail_s", tail_s, 0.0, horizon_s, high_name="horizon_s")
    for s in sizes:
        if not 0.0 < float(s) <= 1.0:
            raise ValueError(f"storm_map: every size must be a share of the servers in (0, 1] (got {s})")
    for d in durations:
        if not float(d) > 0.0:
            raise ValueError(f"storm_map: every duration must be > 0 s (got {d})")
    if not sizes or not durations:
        raise ValueError("storm_map: give at least one size and one duration (arguments, or sizes and durations in [storm])")
    fleet = Scenario(base).fleet
    # With [[fleet.classes]], fleet.servers is their sum (the scenario leaves it out).
    servers = sum(int(c.servers) for c in fleet.classes) if fleet.classes else int(fleet.servers)
    rows = []
    for size in sorted(float(s) for s in sizes):
        lost = max(1, min(servers, int(round(size * servers))))
        for duration in sorted(float(d) for d in durations):
            doc = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in base.items()}
            doc["faults"] = _trigger_faults(trigger, lost, at_s, duration, params)
            doc.setdefault("run", {})
            doc["run"]["duration_s"] = at_s + duration + horizon_s
            result = run(doc, overrides=overrides, seed=seed)
            if not Summary(result.summary).conservation.ok:
                raise RuntimeError(f"storm_map: conservation failed for size {size}, duration {duration}")
            row = {"size": size, "servers_lost": lost, "duration_s": duration}
            row.update(_outcome(result.fleet, at_s, at_s + duration, threshold, tail_s))
            rows.append(row)
            if progress:
                print(f"size {size:.0%} ({lost} servers), {duration:g} s: "
                      f"{'recovered' if row['recovered'] else 'overloaded' if row['overloaded'] else 'not recovered'}",
                      file=sys.stderr)
    frame = pd.DataFrame(rows)
    return StormMap(frame, name, at_s, horizon_s, threshold,
                    {"sizes": list(sizes), "durations": list(durations), "tail_s": tail_s, "trigger": trigger})


def _numbers(text: str, what: str) -> List[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"wsfleet storm-map: --{what} must be numbers separated by commas (got {text!r})")


def main(argv: Optional[Sequence[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(prog=prog or "wsfleet storm-map",
                                     description="Map trigger size x duration to recovered or overloaded (a phase diagram).")
    parser.add_argument("scenario", help="the scenario file (its [[faults]] are replaced by each trigger)")
    parser.add_argument("--sizes", help="shares of the servers hit, e.g. 0.25,0.5,0.75 (default: [storm] sizes)")
    parser.add_argument("--durations", help="trigger durations in seconds, e.g. 2,10,30 (default: [storm] durations)")
    parser.add_argument("--out", required=True, help="directory for storm_map.csv and report.html")
    parser.add_argument("--at", type=float, default=None, help="when the trigger starts, s (default: [storm] at_s, else 60)")
    parser.add_argument("--horizon", type=float, default=None,
                        help="time after the trigger to recover, s (default: [storm] horizon_s, else 120)")
    parser.add_argument("--trigger", choices=list(TRIGGERS), default=None,
                        help="what hits the servers (default: [storm] trigger, else crash)")
    parser.add_argument("--factor", type=float, default=None,
                        help="--trigger slow_server: the servers run at 1/factor of their speed (default: [storm] factor)")
    parser.add_argument("--loss", type=float, default=None,
                        help="--trigger dropped_messages: the share of frames dropped (default: [storm] loss)")
    parser.add_argument("--threshold", type=float, default=None,
                        help="share of the connections before the trigger that counts as recovered (default: [storm] "
                             "threshold, else 0.99)")
    parser.add_argument("--tail", type=float, default=None,
                        help="the last seconds whose mean CPU decides 'overloaded' (default: [storm] tail_s, else 20, or the horizon if shorter; at most the horizon)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a scenario key")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    for item in args.set:
        if "=" not in item:
            print(f"{parser.prog}: --set takes KEY=VALUE (got {item!r})", file=sys.stderr)
            return 2
    try:
        # The overrides go through as KEY=VALUE text, parsed as TOML values exactly as `wsfleet run --set` does.
        m = storm_map(args.scenario, _numbers(args.sizes, "sizes") if args.sizes else None,
                      _numbers(args.durations, "durations") if args.durations else None,
                      at_s=args.at, horizon_s=args.horizon, threshold=args.threshold, tail_s=args.tail,
                      trigger=args.trigger, factor=args.factor, loss=args.loss, overrides=list(args.set),
                      seed=args.seed, progress=True)
    except (ValueError, OSError, tomllib.TOMLDecodeError) as e:
        print(f"{parser.prog}: {e}", file=sys.stderr)
        return 2
    path = m.report(args.out)
    for s in m.sentences():
        print(s)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
