"""The house's layering, checked from the code's own #include lines: the kernel (sim/) knows nothing
of the fleet, the fleet (models/) nothing of scenario files, the CLI or Python, and the fleet's
components never include the orchestrator that builds them (models/fleet.hpp)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)

# Folder -> the project folders its files may include (system and third-party headers are free).
ALLOWED = {
    "sim": {"sim"},
    "models": {"sim", "models"},
    "experiments": {"sim", "models", "experiments"},
    "python": {"sim", "models", "experiments", "python"},
}
# Parts of the fleet that the orchestrator builds: they must not include it.
COMPONENT_FOLDERS = ["models/fleet", "models/faults", "models/pubsub", "models/transport", "models/balancer"]
ORCHESTRATOR = "models/fleet.hpp"


def sources(folder: str):
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix in {".hpp", ".cpp", ".h"}:
            yield path


def includes(path: Path):
    return INCLUDE.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_includes_run_one_way(folder):
    wrong = []
    for path in sources(folder):
        for inc in includes(path):
            top = inc.split("/", 1)[0]
            if top in ALLOWED and top not in ALLOWED[folder]:
                wrong.append(f"{path.relative_to(ROOT)} includes {inc}")
            if inc.startswith("tests/"):
                wrong.append(f"{path.relative_to(ROOT)} includes a test header {inc}")
    assert not wrong, f"{folder}/ may include only {sorted(ALLOWED[folder])}:\n" + "\n".join(wrong)


def test_components_do_not_include_the_orchestrator():
    wrong = [
        f"{path.relative_to(ROOT)} includes {ORCHESTRATOR}"
        for folder in COMPONENT_FOLDERS
        for path in sources(folder)
        if ORCHESTRATOR in includes(path)
    ]
    assert not wrong, "components talk through each other's interfaces, never through the Fleet:\n" + "\n".join(wrong)


def test_every_include_names_an_existing_project_file():
    # A stale include of a moved file would still compile through another path on some machines.
    missing = []
    for folder in ALLOWED:
        for path in sources(folder):
            for inc in includes(path):
                if inc.split("/", 1)[0] in ALLOWED and not (ROOT / inc).exists():
                    missing.append(f"{path.relative_to(ROOT)} includes {inc}")
    assert not missing, "\n".join(missing)


def test_the_checker_sees_a_wrong_include(tmp_path):
    # The rule itself: a sim/ file including models/ is caught.
    bad = tmp_path / "x.hpp"
    bad.write_text('#include "models/fleet.hpp"\n#include <vector>\n', encoding="utf-8")
    assert includes(bad) == ["models/fleet.hpp"]
    assert "models" not in ALLOWED["sim"]


# --------------------------------------------------------------------------------------------
# The Python package: no import cycles, and no module reaching into another module's private names.
# Read from the code itself (ast), function-level imports included: an import hidden inside a
# function still ties the two modules together.

PACKAGE = ROOT / "python" / "wsfleet"


def package_modules(folder: Path):
    """The package's module names: every .py, and the compiled engine through its stub (_core.pyi)."""
    return {p.stem for p in folder.glob("*.py")} | {p.stem for p in folder.glob("*.pyi")}


def package_imports(path: Path, modules):
    """(line, imported module, names taken from it) for every import of the package in `path`,
    at any depth. `from wsfleet import _plots` imports the module _plots; `from wsfleet import run`
    takes the name run from the package (__init__)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                target = node.module
            elif node.level == 0 and node.module and (node.module == "wsfleet" or node.module.startswith("wsfleet.")):
                target = node.module.partition(".")[2] or None
            else:
                continue
            if target is None:  # from . import x / from wsfleet import x
                for alias in node.names:
                    if alias.name in modules:
                        found.append((node.lineno, alias.name, []))
                    else:
                        found.append((node.lineno, "__init__", [alias.name]))
            else:
                found.append((node.lineno, target.split(".")[0], [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("wsfleet."):
                    found.append((node.lineno, alias.name.split(".")[1], []))
    return found


def module_aliases(path: Path, modules):
    """Local name -> package module, for `from wsfleet import _plots` and the like."""
    aliases = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level == 1 and node.module is None or node.module == "wsfleet"):
            for alias in node.names:
                if alias.name in modules:
                    aliases[alias.asname or alias.name] = alias.name
    return aliases


def import_graph(folder: Path):
    modules = package_modules(folder)
    return {path.stem: sorted({target for _, target, _ in package_imports(path, modules) if target != path.stem})
            for path in sorted(folder.glob("*.py"))}


def import_cycles(graph):
    """Every import cycle, each once, as [a, b, ..., a] (a depth-first search from every module)."""
    cycles, seen = [], set()
    def visit(node, stack):
        for nxt in graph.get(node, []):
            if nxt in stack:
                cycle = stack[stack.index(nxt):] + [nxt]
                key = frozenset(zip(cycle, cycle[1:]))
                if key not in seen:
                    seen.add(key)
                    cycles.append(cycle)
            elif nxt in graph:
                visit(nxt, stack + [nxt])
    for start in sorted(graph):
        visit(start, [start])
    return cycles


def private_uses(folder: Path):
    """`from X import _name` / `from .X import _name` / `X._name` where _name belongs to another module
    of the package (dunders are not private; a private *module* may be imported by name)."""
    modules = package_modules(folder)
    wrong = []
    for path in sorted(folder.glob("*.py")):
        where = f"{path.parent.name}/{path.name}"
        for line, target, names in package_imports(path, modules):
            for name in names:
                if name.startswith("_") and not name.startswith("__") and not (target == "__init__" and name in modules):
                    wrong.append(f"{where}:{line} imports {target}.{name}")
        aliases = module_aliases(path, modules)
        wrong += [f"{where}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}"
                  for node in sorted(ast.walk(ast.parse(path.read_text(encoding="utf-8"))),
                                     key=lambda n: getattr(n, "lineno", 0))
                  if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id in aliases and node.attr.startswith("_") and not node.attr.startswith("__")]
    return wrong


def test_the_python_package_has_no_import_cycle():
    cycles = import_cycles(import_graph(PACKAGE))
    assert not cycles, "import cycles in python/wsfleet (function-level imports count):\n" + "\n".join(
        " -> ".join(cycle) for cycle in cycles)


def test_no_module_uses_another_modules_private_names():
    wrong = private_uses(PACKAGE)
    assert not wrong, ("a name another module needs is public in its (private) module; these reach into "
                       "private names:\n" + "\n".join(wrong))


def test_the_checkers_see_a_hidden_cycle_and_a_private_import(tmp_path):
    # The rules themselves, on a tiny package: a cycle closed by an import inside a function, a
    # private name imported at function level, and a private helper called through its module.
    (tmp_path / "a.py").write_text("from .b import helper\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("def helper():\n    from wsfleet.a import _secret\n    return _secret\n",
                                   encoding="utf-8")
    (tmp_path / "c.py").write_text("from wsfleet import _d\nx = _d._png(1)\ny = _d.public\n", encoding="utf-8")
    (tmp_path / "_d.py").write_text("import os\n", encoding="utf-8")
    graph = import_graph(tmp_path)
    assert graph == {"_d": [], "a": ["b"], "b": ["a"], "c": ["_d"]}
    assert import_cycles(graph) == [["a", "b", "a"]]
    assert private_uses(tmp_path) == [f"{tmp_path.name}/b.py:2 imports a._secret",
                                      f"{tmp_path.name}/c.py:2 uses _d._png"]
