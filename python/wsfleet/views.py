"""Typed views of a scenario and of a run's summary, generated from the engine's own schemas.

    from wsfleet.views import Scenario, Summary
    s = Summary(json.load(open("results/x/summary.json")))
    s.cpu.mean_utilisation          # share; None when undefined
    s.fleet.classes[0].cpu_cores    # cores
    sc = Scenario(tomllib.load(open("results/x/scenario.toml", "rb")))
    sc.fleet.cpu.heartbeat_us       # the file's value, else the schema's default

Each view is a class with one read-only attribute per key of its section, made from the JSON
Schemas the engine exports (`wsfleet schema` for scenarios, `wsfleet schema --summary` for
summary.json, both declared once in C++): the attribute's docstring is the key's documentation with
its unit. A nested table is a view, an array of tables a list of views, a map (the conservation
checks) a dict of views. A key the data lacks is the schema's default for a scenario. In a summary,
a section or key the engine writes only in some runs (declared optional: [pubsub], [autoscaler],
[topology], [[deploys]], a fault kind's own key) is None when absent, so a reader says what it does
without it; a section every run writes is a view even when a hand-made summary lacks it (its numbers
are then None), and a number the engine wrote as null (undefined) is None. Keys the schema leaves
open (a policy's parameters) are read with `view["name"]` or `view.get("name")`. `.raw` is the
underlying mapping. Views never change the data.

A name the schema does not declare is an error, not a silent None: `summary.connections.teleported`
raises AttributeError and, on a closed table (every table of a summary), `view.get("teleported")`
and `view["teleported"]` raise KeyError, both naming the table and the schema that lacks the key.
`declared_keys(view_or_class)` lists a table's keys (tests/python/test_views_readers.py uses it).

A sweep's or plan's directory has two more files, declared in Python (wsfleet.study_schema, the
JSON Schemas `wsfleet schema --study` and `--plan`): StudyFile(read_study(dir)) views study.json
(what was asked), PlanFile(json.load(open("DIR/plan.json"))) views plan.json (what a plan found).
A key written as null (a plan without a winner has no minimum, no precision rule) is None.

A run's time series (timeseries.csv, timeseries.parquet, RunResult.fleet/.servers/.balancers/.sites)
is declared in C++ too (by the engine component that writes each column, `wsfleet schema --timeseries`): COLUMNS
names its columns, one attribute per column whose value is the column's name, so readers index frames
with declared names only (`fleet[COLUMNS.connections]`, `COLUMNS.half_open in fleet.columns`,
`COLUMNS.of(f"latency_le_ms_{le}")` for a name made at run time); an undeclared name raises
UndeclaredColumn (AttributeError for an attribute) naming the file. `COLUMNS.unit("up", "site")`,
`.doc(...)`, `.names("site")` read the declaration. TimeSeries(frame) reads a frame's columns as
attributes (`TimeSeries(r.fleet).connections`, a pandas Series) and its rows of one scope.
"""
from __future__ import annotations

import json
import keyword
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Type

from wsfleet import _core

__all__ = ["View", "Scenario", "Summary", "StudyFile", "PlanFile", "summary_schema", "scenario_schema",
           "study_file_schema", "attribute_name", "declared_keys", "UndeclaredKey", "timeseries_schema",
           "TimeSeriesColumns", "COLUMNS", "TimeSeries", "UndeclaredColumn", "SCOPES"]


def attribute_name(key: str) -> str:
    """The attribute of a key: the key itself, with "_" appended to a Python keyword or to a name
    every view has (raw, get)."""
    return key + "_" if keyword.iskeyword(key) or key in _RESERVED else key


@lru_cache(maxsize=None)
def summary_schema() -> Dict[str, Any]:
    """The JSON Schema of summary.json, as the engine declares it (docs/summary.schema.json)."""
    return json.loads(_core.summary_schema())


@lru_cache(maxsize=None)
def scenario_schema() -> Dict[str, Any]:
    """The JSON Schema of a scenario file, as the engine declares it (docs/scenario.schema.json)."""
    return json.loads(_core.scenario_schema())


@lru_cache(maxsize=None)
def study_file_schema(which: str) -> Dict[str, Any]:
    """The JSON Schema of a study directory's "study" (study.json) or "plan" (plan.json), as
    wsfleet.study_schema declares it (docs/study.schema.json, docs/plan.schema.json)."""
    from wsfleet import study_schema  # (not at a sweep worker's start: it reads no study file)

    return study_schema.json_schema(which)


@lru_cache(maxsize=None)
def timeseries_schema() -> Dict[str, Any]:
    """The JSON Schema of one row of timeseries.csv, as the engine declares it
    (docs/timeseries.schema.json): every column, and per scope its type, unit, meaning and the runs
    that write it (x-scopes)."""
    return json.loads(_core.timeseries_schema())


class UndeclaredKey(KeyError):
    """A reader asked a closed table for a key its schema does not declare."""

    def __str__(self) -> str:  # KeyError quotes its argument; this is a sentence
        return str(self.args[0]) if self.args else ""


class View:
    """A read-only typed window on one table of a scenario or summary (see the module docstring)."""

    __slots__ = ("_data",)
    _keys: Dict[str, str] = {}  # attribute -> key
    _closed = False             # the schema allows no other keys (additionalProperties false)
    _where = "a table"          # "summary.json's connections" (for error messages)

    def __init__(self, data: Any = None) -> None:
        if isinstance(data, View):  # a view of a view reads the same mapping
            data = data._data
        self._data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}

    @property
    def raw(self) -> Mapping[str, Any]:
        """The mapping this view reads."""
        return self._data

    def _undeclared(self, key: str) -> str:
        return (f"{self._where} has no key {key!r}: the schema does not declare it "
                f"(declared: {', '.join(self._keys.values()) or 'none'})")

    def __getattr__(self, name: str) -> Any:  # only for names that are not declared attributes
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(self._undeclared(name))

    def __getitem__(self, key: str) -> Any:
        if self._closed and key not in self._keys.values():
            raise UndeclaredKey(self._undeclared(key))
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A key's raw value, else `default`; on a closed table (all of a summary's) only a declared
        key, on an open one also a policy's parameters."""
        if self._closed and key not in self._keys.values():
            raise UndeclaredKey(self._undeclared(key))
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._data == self._data  # type: ignore[attr-defined]

    def __hash__(self) -> int:  # views of mutable mappings: identity
        return id(self)

    def __repr__(self) -> str:
        shown = ", ".join(f"{a}={getattr(self, a)!r}" for a in list(self._keys)[:6])
        return f"{type(self).__name__}({shown}{', ...' if len(self._keys) > 6 else ''})"


def _has_type(node: Mapping[str, Any], name: str) -> bool:
    """The node's type is `name`, or a list of types holding it (["object", "null"]: a table or null)."""
    t = node.get("type")
    return t == name or (isinstance(t, list) and name in t)


def _is_object(node: Mapping[str, Any]) -> bool:
    return _has_type(node, "object") and "properties" in node


def _doc(node: Mapping[str, Any]) -> str:
    return str(node.get("description", ""))


def _type_name(node: Mapping[str, Any]) -> str:
    t = node.get("type")
    if isinstance(t, list):
        t = "/".join(str(x) for x in t)
    return str(t or "value")


_RESERVED = frozenset(name for name in dir(View) if not name.startswith("__"))


def declared_keys(view: Any) -> Dict[str, str]:
    """The keys a view (or view class) declares: attribute -> key."""
    return dict(view._keys)


class _Builder:
    """Makes one View class per object node of a schema (nested classes cached by path)."""

    def __init__(self, defaults: bool, file: str) -> None:
        self.defaults = defaults
        self.file = file

    def make(self, name: str, node: Mapping[str, Any], where: str = "") -> Type[View]:
        props: Mapping[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        namespace: Dict[str, Any] = {"__slots__": (), "_keys": {}, "_closed": node.get("additionalProperties") is False,
                                     "_where": f"{self.file}'s {where}" if where else self.file}
        lines = [_doc(node) or name, "", "Attributes:"]
        for key, sub in props.items():
            attr = attribute_name(key)
            namespace["_keys"][attr] = key
            namespace[attr] = self.accessor(name, key, sub, key in required, f"{where}.{key}" if where else key)
            unit = sub.get("x-unit")
            unit_text = f" [{unit}]" if unit else ""
            lines.append(f"    {attr} ({_type_name(sub)}{unit_text}): {_doc(sub)}"
                         + ("" if key in required or self.defaults else " (None when absent)"))
        namespace["__doc__"] = "\n".join(lines)
        return type(name, (View,), namespace)

    def later(self, name: str, node: Mapping[str, Any], where: str) -> Callable[[], Type[View]]:
        """The nested view class, made when first read: a summary has some sixty tables, and a
        sweep's worker reads a handful of them."""
        return lru_cache(maxsize=None)(partial(self.make, name, node, where))

    def accessor(self, owner: str, key: str, node: Mapping[str, Any], required: bool, where: str) -> property:
        doc = _doc(node) + (f" [{node['x-unit']}]" if node.get("x-unit") else "")
        child_name = owner + "".join(p.capitalize() for p in key.split("_"))
        # A scenario's absent table is its defaults; a summary's absent section is an empty view when
        # every run writes it (a hand-made summary), None when only some runs do.
        empty_when_absent = self.defaults or required
        if _is_object(node):
            cls = self.later(child_name, node, where)

            def get_object(self: View) -> Optional[View]:
                value = self._data.get(key)
                if isinstance(value, Mapping):
                    return cls()(value)
                if value is None and key in self._data:  # written as null: it does not apply
                    return None
                return cls()({}) if empty_when_absent else None

            return property(get_object, doc=doc)
        items = node.get("items") if _has_type(node, "array") else None
        if isinstance(items, Mapping) and _is_object(items):
            cls = self.later(child_name + "Item", items, where + "[]")

            def get_list(self: View) -> Optional[List[View]]:
                value = self._data.get(key)
                if isinstance(value, list):
                    item = cls()
                    return [item(v) for v in value]
                return [] if empty_when_absent else None

            return property(get_list, doc=doc)
        extra = node.get("additionalProperties")
        if _has_type(node, "object") and isinstance(extra, Mapping) and _is_object(extra):
            cls = self.later(child_name + "Entry", extra, where + ".*")

            def get_map(self: View) -> Dict[str, View]:
                value = self._data.get(key)
                entry = cls()
                return {k: entry(v) for k, v in value.items()} if isinstance(value, Mapping) else {}

            return property(get_map, doc=doc)
        default = node.get("default") if self.defaults else None
        tables = [n for n in node.get("oneOf", []) if isinstance(n, Mapping) and _is_object(n)]
        if tables:  # a name or a table (clients.session: "never" or a distribution's table)
            cls = self.later(child_name + "Table", tables[0], where)

            def get_either(self: View) -> Any:
                value = self._data.get(key)
                if isinstance(value, Mapping):
                    return cls()(value)
                return default if value is None else value

            return property(get_either, doc=doc)

        def get_value(self: View) -> Any:
            value = self._data.get(key)
            return default if value is None else value

        return property(get_value, doc=doc)


#: The views, each built from its schema when first imported (PEP 562): a sweep's worker, which
#: reads summaries only, never builds the scenario's (the largest).
_VIEWS: Dict[str, Any] = {
    "Summary": lambda: _Builder(defaults=False, file="summary.json").make("Summary", summary_schema()),
    "Scenario": lambda: _Builder(defaults=True, file="the scenario").make("Scenario", scenario_schema()),
    "StudyFile": lambda: _Builder(defaults=False, file="study.json").make("StudyFile", study_file_schema("study")),
    "PlanFile": lambda: _Builder(defaults=False, file="plan.json").make("PlanFile", study_file_schema("plan")),
}
if TYPE_CHECKING:
    Summary: Type[View]
    Scenario: Type[View]
    StudyFile: Type[View]
    PlanFile: Type[View]


def __getattr__(name: str) -> Any:
    make = _VIEWS.get(name)
    if make is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    view = make()
    view.__module__ = __name__
    globals()[name] = view  # later lookups skip __getattr__
    return view


# --------------------------------------------------------------------------------------------
# The time series

#: The kinds of row of timeseries.csv, in the order the engine writes them (site rows: only with two
#: or more [[topology.sites]]; class rows: only with two or more [[fleet.classes]]).
SCOPES = ("fleet", "server", "balancer", "site", "class")


class UndeclaredColumn(KeyError, AttributeError):
    """A reader asked for a time-series column the engine does not declare (`wsfleet schema --timeseries`)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TimeSeriesColumns:
    """The columns of timeseries.csv as the engine declares them (`wsfleet schema --timeseries`): one
    attribute per column, whose value is its name (`COLUMNS.connections == "connections"`), so that a
    reader indexes a frame by a declared name only; an undeclared name raises UndeclaredColumn. A
    column named as a Python keyword is the attribute with "_" appended (`COLUMNS.class_ == "class"`)."""

    __slots__ = ("_scopes",)

    def __init__(self, schema: Mapping[str, Any]) -> None:
        props: Mapping[str, Any] = schema.get("properties", {})
        self._scopes: Dict[str, Dict[str, Any]] = {name: dict(node.get("x-scopes", {})) for name, node in props.items()}

    def _refuse(self, name: str) -> UndeclaredColumn:
        return UndeclaredColumn(f"timeseries.csv has no column {name!r}: the engine does not declare it "
                                f"(`wsfleet schema --timeseries` lists every column)")

    def __getattr__(self, name: str) -> str:  # only for names that are not the class's own
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._scopes:
            return name
        if name.endswith("_") and keyword.iskeyword(name[:-1]) and name[:-1] in self._scopes:
            return name[:-1]
        raise self._refuse(name)

    def __dir__(self) -> List[str]:
        return sorted(set(self._scopes) | set(dir(type(self))))

    def __contains__(self, name: object) -> bool:
        return name in self._scopes

    def __iter__(self) -> Iterator[str]:
        return iter(self._scopes)

    def of(self, name: str) -> str:
        """`name` when it is a declared column (a name made at run time: latency_le_ms_<le>), else
        UndeclaredColumn."""
        if name not in self._scopes:
            raise self._refuse(name)
        return name

    def names(self, scope: Optional[str] = None) -> List[str]:
        """Every column, or those of one scope ("fleet", "server", "balancer", "site", "class"), in order."""
        if scope is not None and scope not in SCOPES:
            raise ValueError(f"no scope {scope!r}; scopes: {', '.join(SCOPES)}")
        return [n for n, scopes in self._scopes.items() if scope is None or scope in scopes]

    def _scope_of(self, name: str, scope: Optional[str]) -> Dict[str, Any]:
        scopes = self._scopes[self.of(name)]
        if scope is None:
            return next(iter(scopes.values()), {})
        if scope not in scopes:
            raise self._refuse(f"{name} on {scope} rows")
        return dict(scopes[scope])

    def unit(self, name: str, scope: Optional[str] = None) -> str:
        """The column's unit on `scope`'s rows (its first scope's when None); "" for a flag or an index."""
        return str(self._scope_of(name, scope).get("unit", ""))

    def doc(self, name: str, scope: Optional[str] = None) -> str:
        """The column's one line of documentation on `scope`'s rows."""
        return str(self._scope_of(name, scope).get("description", ""))

    def kind(self, name: str, scope: Optional[str] = None) -> str:
        """"integer", "number" (empty cells when undefined) or "flag" (0 or 1)."""
        return str(self._scope_of(name, scope).get("type", "number"))

    def whole(self, scope: str) -> List[str]:
        """The columns of `scope` whose values are whole numbers (integer or flag): int64 in frames."""
        return [n for n in self.names(scope) if self.kind(n, scope) in ("integer", "flag")]

    def __repr__(self) -> str:
        return f"TimeSeriesColumns({len(self._scopes)} columns)"


#: The declared columns of timeseries.csv (see TimeSeriesColumns).
COLUMNS = TimeSeriesColumns(timeseries_schema())


class TimeSeries:
    """A read-only view of a time-series frame (timeseries.csv's table, or RunResult.fleet, .servers,
    .balancers, .sites) that reads only declared columns: `TimeSeries(frame).connections` is the
    column (a pandas Series); an undeclared name raises UndeclaredColumn, a declared one the frame
    lacks KeyError. `.has(name)`: declared, present and holding a value. `.scope("fleet")`: that
    scope's rows (of the whole table), in time order."""

    __slots__ = ("frame",)

    def __init__(self, frame: Any) -> None:
        self.frame = frame.frame if isinstance(frame, TimeSeries) else frame

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        column = COLUMNS.of(name)
        if column not in self.frame.columns:
            raise KeyError(f"this time series has no column {column!r} (declared, not written by this run or scope)")
        return self.frame[column]

    def has(self, name: str) -> bool:
        column = COLUMNS.of(name)
        return column in self.frame.columns and bool(self.frame[column].notna().any())

    def scope(self, scope: str) -> "TimeSeries":
        if scope not in SCOPES:
            raise ValueError(f"no scope {scope!r}; scopes: {', '.join(SCOPES)}")
        rows = self.frame[self.frame[COLUMNS.scope] == scope]
        return TimeSeries(rows.sort_values(COLUMNS.time_s, kind="stable"))

    def __len__(self) -> int:
        return len(self.frame)
