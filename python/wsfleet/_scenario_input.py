"""What wsfleet.run, wsfleet.check and the studies take as a scenario and its overrides: a path, a
TOML string or a dict, and overrides as a mapping or 'key=value' strings, turned into the engine's
arguments (the loader validates them)."""

from __future__ import annotations

import json
import numbers
import os
from typing import Any, Mapping, Optional, Sequence, Union

import tomli_w

from wsfleet import _core

__all__ = ["Scenario", "Overrides", "format_value", "override_list", "whole", "looks_like_path", "dispatch", "check"]

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]
Overrides = Union[Mapping[str, Any], Sequence[str], None]


def _is_bool(value: Any) -> bool:
    """A Python or numpy bool (numpy's is not a bool subclass; told by its type, so that this module
    does not load numpy)."""
    return isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"))


def format_value(value: Any) -> str:
    """A Python value as the TOML text of an override (`--set key=value`)."""
    if _is_bool(value):
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
        items.append(f"run.seed={whole('seed', seed)}")
    if replication is not None:
        items.append(f"run.replication={whole('replication', replication)}")
    return items


def whole(name: str, value: Any) -> int:
    """`value` as an int when it is a whole number (2 or 2.0); otherwise a ValueError naming `name`
    (int(1.7) would silently run seed 1)."""
    if _is_bool(value) or not isinstance(value, numbers.Real):
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


def dispatch(scenario: Scenario, overrides: list, file_fn, text_fn, **extra: Any):
    """file_fn(path, overrides) for a path, text_fn(text, source name, overrides) for TOML text or a dict."""
    if isinstance(scenario, Mapping):
        return text_fn(tomli_w.dumps(dict(scenario)), "<dict>", overrides, **extra)
    if isinstance(scenario, os.PathLike):
        return file_fn(os.fspath(scenario), overrides, **extra)
    if isinstance(scenario, str):
        if looks_like_path(scenario):
            return file_fn(scenario, overrides, **extra)
        return text_fn(scenario, "<string>", overrides, **extra)
    raise TypeError("scenario must be a path, a TOML string or a dict")


def check(scenario: Scenario, *, overrides: Overrides = None) -> str:
    """Validate a scenario without running it; returns the effective scenario as TOML."""
    return dispatch(scenario, override_list(overrides, None, None), _core.load_scenario_file, _core.load_scenario_text)
