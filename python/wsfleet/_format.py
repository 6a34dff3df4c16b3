"""Number formatting for the reports: counts with thousands separators, seconds, milliseconds,
MiB, shares and percentages, `as_float` that reads a JSON or TOML value as a finite float or
None, and `num` that reads a count (0 when absent). Pure Python; `_describe` re-exports these for
its readers."""
from __future__ import annotations

import math
from typing import Any, Optional

__all__ = ["as_float", "num", "fmt_int", "fmt_num", "fmt_seconds", "fmt_duration", "fmt_ms", "fmt_mib", "fmt_share", "fmt_pct",
           "pluralise"]


def as_float(value: Any) -> Optional[float]:
    """`value` as a finite float, or None (missing, null, NaN, not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def num(value: Any) -> float:
    """A summary's number as a float; 0 when absent or null (a count the run did not write)."""
    return as_float(value) or 0.0


def fmt_int(value: Any) -> str:
    """12345 -> "12,345"; missing -> "n/a"."""
    x = as_float(value)
    if x is None:
        return "n/a"
    return f"{int(round(x)):,}"


def fmt_num(value: Any, digits: int = 3) -> str:
    """A compact decimal without exponent: 1.0 -> "1", 0.5 -> "0.5", 12.345 -> "12.3",
    1234.5 -> "1,234.5" (at most one decimal from 1,000 up); missing -> "n/a"."""
    x = as_float(value)
    if x is None:
        return "n/a"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        text = f"{x:,.1f}"
    else:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
        text = f"{x:.{decimals}f}"
        if float(text) != 0 and abs(float(text)) >= 10 ** digits:  # rounding carried a digit
            text = f"{x:.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_seconds(value: Any) -> str:
    """300 -> "300 s"; missing -> "n/a"."""
    x = as_float(value)
    return "n/a" if x is None else f"{fmt_num(x)} s"


def fmt_duration(value: Any) -> str:
    """A duration in the unit a person would use: 45 -> "45 s", 600 -> "10 min", 7200 -> "2 h"."""
    x = as_float(value)
    if x is None:
        return "n/a"
    if abs(x) < 120:
        return f"{fmt_num(x)} s"
    if abs(x) < 2 * 3600:
        return f"{fmt_num(x / 60)} min"
    if abs(x) < 2 * 86400:
        return f"{fmt_num(x / 3600)} h"
    return f"{fmt_num(x / 86400)} days"


def fmt_ms(value: Any) -> str:
    """A latency in milliseconds: 87.6 -> "87.6 ms", 2500 -> "2,500 ms"; missing -> "n/a"."""
    x = as_float(value)
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f} ms"
    return f"{fmt_num(x)} ms"


def fmt_mib(value: Any) -> str:
    """1234.5 -> "1,234.5 MiB"; 20480 -> "20,480 MiB (20 GiB)"."""
    x = as_float(value)
    if x is None:
        return "n/a"
    text = f"{fmt_num(x)} MiB"
    if abs(x) >= 10 * 1024:
        text += f" ({fmt_num(x / 1024)} GiB)"
    return text


def fmt_share(fraction: Any) -> str:
    """A fraction as a percentage: 0.314 -> "31.4%", 1 -> "100%", 1e-5 -> "<0.01%"."""
    x = as_float(fraction)
    if x is None:
        return "n/a"
    pct = 100.0 * x
    if 0 < abs(pct) < 0.01:
        return "<0.01%"
    if abs(pct) >= 99.95 and abs(pct) < 100:  # do not round a near miss up to 100%
        return f"{math.floor(pct * 100) / 100:.2f}%"
    if abs(pct) < 1:
        return f"{pct:.2f}".rstrip("0").rstrip(".") + "%"
    return f"{pct:.1f}".rstrip("0").rstrip(".") + "%"


def fmt_pct(part: Any, whole: Any) -> str:
    """`part` as a percentage of `whole`; "n/a" when either is missing or `whole` is 0."""
    p, w = as_float(part), as_float(whole)
    if p is None or w is None or w == 0:
        return "n/a"
    return fmt_share(p / w)


def pluralise(n: float, singular: str, plural: Optional[str] = None) -> str:
    return singular if n == 1 else (plural or singular + "s")
