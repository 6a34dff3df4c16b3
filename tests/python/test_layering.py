"""The house's layering, checked from the code's own #include lines: the kernel (sim/) knows nothing
of the fleet, the fleet (models/) nothing of scenario files, the CLI or Python, and the fleet's
components never include the orchestrator that builds them (models/fleet.hpp)."""
from __future__ import annotations

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
