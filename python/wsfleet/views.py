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
checks) a dict of views. A key the data lacks is the schema's default for a scenario, and None for a
summary (a section only some runs write, a number the engine wrote as null because it is
undefined). Keys the schema leaves open (a policy's parameters) are read with `view["name"]` or
`view.get("name")`. `.raw` is the underlying mapping. Views never change the data.
"""
from __future__ import annotations

import json
import keyword
from functools import lru_cache
from typing import Any, Dict, Iterator, List, Mapping, Optional, Type

from wsfleet import _core

__all__ = ["View", "Scenario", "Summary", "summary_schema", "scenario_schema", "attribute_name"]


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


class View:
    """A read-only typed window on one table of a scenario or summary (see the module docstring)."""

    __slots__ = ("_data",)
    _keys: Dict[str, str] = {}  # attribute -> key

    def __init__(self, data: Optional[Mapping[str, Any]] = None) -> None:
        self._data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}

    @property
    def raw(self) -> Mapping[str, Any]:
        """The mapping this view reads."""
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """A key's raw value, declared or not (a policy's parameters), else `default`."""
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


def _is_object(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "object" and "properties" in node


def _doc(node: Mapping[str, Any]) -> str:
    return str(node.get("description", ""))


def _type_name(node: Mapping[str, Any]) -> str:
    t = node.get("type")
    if isinstance(t, list):
        t = "/".join(str(x) for x in t)
    return str(t or "value")


_RESERVED = frozenset(name for name in dir(View) if not name.startswith("__"))


class _Builder:
    """Makes one View class per object node of a schema (nested classes cached by path)."""

    def __init__(self, defaults: bool) -> None:
        self.defaults = defaults

    def make(self, name: str, node: Mapping[str, Any]) -> Type[View]:
        props: Mapping[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        namespace: Dict[str, Any] = {"__slots__": (), "_keys": {}}
        lines = [_doc(node) or name, "", "Attributes:"]
        for key, sub in props.items():
            attr = attribute_name(key)
            namespace["_keys"][attr] = key
            namespace[attr] = self.accessor(name, key, sub)
            unit = sub.get("x-unit")
            unit_text = f" [{unit}]" if unit else ""
            lines.append(f"    {attr} ({_type_name(sub)}{unit_text}): {_doc(sub)}"
                         + ("" if key in required or self.defaults else " (None when absent)"))
        namespace["__doc__"] = "\n".join(lines)
        return type(name, (View,), namespace)

    def accessor(self, owner: str, key: str, node: Mapping[str, Any]) -> property:
        doc = _doc(node) + (f" [{node['x-unit']}]" if node.get("x-unit") else "")
        child_name = owner + "".join(p.capitalize() for p in key.split("_"))
        if _is_object(node):
            cls = self.make(child_name, node)

            defaults = self.defaults

            def get_object(self: View) -> Optional[View]:
                value = self._data.get(key)
                if isinstance(value, Mapping):
                    return cls(value)
                return cls({}) if defaults else None  # a scenario's absent table: its defaults

            return property(get_object, doc=doc)
        items = node.get("items") if node.get("type") == "array" else None
        if isinstance(items, Mapping) and _is_object(items):
            cls = self.make(child_name + "Item", items)

            def get_list(self: View) -> List[View]:
                value = self._data.get(key)
                return [cls(v) for v in value] if isinstance(value, list) else []

            return property(get_list, doc=doc)
        extra = node.get("additionalProperties")
        if node.get("type") == "object" and isinstance(extra, Mapping) and _is_object(extra):
            cls = self.make(child_name + "Entry", extra)

            def get_map(self: View) -> Dict[str, View]:
                value = self._data.get(key)
                return {k: cls(v) for k, v in value.items()} if isinstance(value, Mapping) else {}

            return property(get_map, doc=doc)
        default = node.get("default") if self.defaults else None

        def get_value(self: View) -> Any:
            value = self._data.get(key)
            return default if value is None else value

        return property(get_value, doc=doc)


Summary: Type[View] = _Builder(defaults=False).make("Summary", summary_schema())
Summary.__module__ = __name__
Scenario: Type[View] = _Builder(defaults=True).make("Scenario", scenario_schema())
Scenario.__module__ = __name__
