"""`wsfleet export RUN_DIR --format openmetrics [--start RFC3339] [--out FILE]`: a run's series as
OpenMetrics text (https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md),
with timestamps from a chosen start, ready for `promtool tsdb create-blocks-from openmetrics FILE DIR`
(docs/monitoring.md). The metrics are those of wsfleet._prom_series.METRICS.

Python: `wsfleet.export_openmetrics(run_dir, out=None, start=None) -> str` (the text; written to `out`
when given). `start` is a datetime (naive = UTC) or an RFC 3339 string; by default the run ends now, so
that a Prometheus with the default 15-day retention keeps the backfilled blocks."""
from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from wsfleet._prom_series import HISTOGRAM, METRICS, Series, run_series
from wsfleet._run_dir import PathLike, ReportError, ReportWriteError, load_run
from wsfleet.views import Summary

__all__ = ["export_openmetrics", "parse_start", "ExportError", "main"]

FORMATS = ("openmetrics",)


class ExportError(ValueError):
    """A bad argument to export (the message says which and what is allowed)."""


def parse_start(text: str) -> datetime:
    """An RFC 3339 date-time ("2026-01-31T12:00:00Z", "2026-01-31T13:00:00+01:00"), as an aware datetime."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ExportError(f"--start: not an RFC 3339 date-time (got {text!r}; for example "
                          f"2026-01-31T12:00:00Z)") from None
    if "T" not in value.upper() or parsed.tzinfo is None:
        raise ExportError(f"--start: RFC 3339 needs a date, a 'T', a time and an offset such as Z or +01:00 "
                          f"(got {text!r})")
    return parsed


def _start_seconds(start: Union[None, str, datetime], duration_s: float) -> float:
    if start is None:
        # The run ends now (whole seconds): recent enough for any retention.
        return float(math.floor(datetime.now(timezone.utc).timestamp() - duration_s))
    if isinstance(start, str):
        start = parse_start(start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start.timestamp()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 2 ** 53:
        return str(int(value))
    return repr(value)


def _timestamp(seconds: float) -> str:
    # Milliseconds are what the TSDB keeps: round there so that the text and the blocks agree.
    ms = round(seconds * 1000.0)
    whole, frac = divmod(ms, 1000)
    return f"{whole}.{frac:03d}" if frac else str(whole)


def _label_text(labels: Dict[str, str]) -> str:
    # An empty label value is the same as no label to Prometheus: leave it out.
    items = [(k, v) for k, v in sorted(labels.items()) if v != ""]
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in items) + "}"


def _histogram_lines(family: List[Series], start_s: float) -> List[str]:
    """A histogram's samples: OpenMetrics puts all the samples of one MetricPoint (its buckets in
    ascending le, then _count and _sum) together, and the points of one labelled metric in time order."""
    groups: Dict[str, List[Series]] = {}
    for s in family:
        key = _label_text({k: v for k, v in s.labels.items() if k != "le"})
        groups.setdefault(key, []).append(s)
    order = {"_bucket": 0, "_count": 1, "_sum": 2}

    def rank(s: Series) -> Tuple[int, float]:
        le = s.labels.get("le", "")
        return order.get(s.suffix, 3), (math.inf if le == "+Inf" else float(le or 0.0))

    lines: List[str] = []
    for members in groups.values():
        members = sorted(members, key=rank)
        heads = [s.sample_name + _label_text(s.labels) for s in members]
        by_time = [dict(s.samples) for s in members]
        for t in sorted({t for s in members for t, _ in s.samples}):
            stamp = _timestamp(start_s + t)
            for head, values in zip(heads, by_time):
                if t in values:
                    lines.append(f"{head} {_number(values[t])} {stamp}")
    return lines


def openmetrics_text(series: List[Series], start_s: float) -> str:
    """The series as one OpenMetrics exposition: families in METRICS order, each with its # TYPE,
    # UNIT and # HELP, each series's samples contiguous and ascending in time, ending with # EOF."""
    by_family: Dict[str, List[Series]] = {}
    for s in series:
        by_family.setdefault(s.metric.name, []).append(s)
    lines: List[str] = []
    for metric in METRICS:
        family = by_family.get(metric.name)
        if not family:
            continue
        lines.append(f"# TYPE {metric.name} {metric.type}")
        if metric.unit:
            lines.append(f"# UNIT {metric.name} {metric.unit}")
        lines.append(f"# HELP {metric.name} {_escape(metric.help)}")
        if metric.type == HISTOGRAM:
            lines.extend(_histogram_lines(family, start_s))
            continue
        for s in family:
            head = s.sample_name + _label_text(s.labels)
            for t, v in s.samples:
                lines.append(f"{head} {_number(v)} {_timestamp(start_s + t)}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def export_openmetrics(run_dir: PathLike, out: Optional[PathLike] = None,
                       start: Union[None, str, datetime] = None) -> str:
    """The run's series as OpenMetrics text, timestamps from `start` (the run's t = 0); written to
    `out` too when given. Raises ReportError for a bad run directory, ExportError for a bad start."""
    run = load_run(run_dir)
    duration = float(Summary(run.summary).simulated_seconds or 0.0)
    text = openmetrics_text(run_series(run), _start_seconds(start, duration))
    if out is not None:
        path = Path(out)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportWriteError(path, exc.strerror or str(exc)) from None
    return text


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m wsfleet.export",
        description="Write a run's series as OpenMetrics text, for promtool tsdb create-blocks-from openmetrics.")
    parser.add_argument("run_dir", metavar="DIR", help="a directory written by `wsfleet run --out`")
    parser.add_argument("--format", default="openmetrics", help="the output format: openmetrics (the only one)")
    parser.add_argument("--start", default=None,
                        help="RFC 3339 date-time of the run's t = 0 (default: the run ends now)")
    parser.add_argument("--out", default=None, help="the file to write (default: standard output)")
    args = parser.parse_args(argv)
    if args.format not in FORMATS:
        print(f"{parser.prog}: error: --format: unknown format {args.format!r} (allowed: {', '.join(FORMATS)})",
              file=sys.stderr)
        return 2
    try:
        text = export_openmetrics(args.run_dir, args.out, args.start)
    except ExportError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except ReportWriteError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except ReportError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    if args.out is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main())
