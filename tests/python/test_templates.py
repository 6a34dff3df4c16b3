"""The reports' Jinja2 templates (python/wsfleet/templates/, docs/reports.md): installed with the package,
every one compiles, a misspelt context key fails the render, every printed value is escaped (as
html.escape spells it) unless it is markup a template rendered, and the modules that render a page
build no HTML themselves."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
import pytest

import wsfleet
from wsfleet import _html

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "python" / "wsfleet" / "templates"

#: The modules whose pages or parts are templates: none of their strings may hold markup.
RENDERERS = ["report.py", "_replication_report.py", "compare.py", "storm.py", "_study_report.py", "_steady_report.py", "_theory.py",
             "_autoscaling_report.py", "_alerts_report.py"]
TAG = re.compile(r"<(p|div|span|table|thead|tbody|tr|td|th|h[1-6]|figure|figcaption|section|ul|li|img|pre|code)[ >]")


def test_every_template_is_installed_with_the_package() -> None:
    installed = Path(wsfleet.__file__).parent / "templates"
    assert _html.TEMPLATES == installed
    names = sorted(p.name for p in SOURCE.glob("*.html.j2"))
    assert len(names) >= 12
    assert sorted(p.name for p in installed.glob("*.html.j2")) == names


@pytest.mark.parametrize("name", sorted(p.name for p in SOURCE.glob("*.html.j2")))
def test_every_template_compiles(name: str) -> None:
    _html.environment().get_template(name)


def test_every_page_extends_the_base_layout() -> None:
    pages = {"run.html.j2", "compare.html.j2", "storm.html.j2", "sweep.html.j2", "plan.html.j2"}
    for name in pages:
        text = (SOURCE / name).read_text(encoding="utf-8")
        parent = re.search(r'{% extends "([^"]+)" %}', text).group(1)
        while parent != "base.html.j2":
            parent = re.search(r'{% extends "([^"]+)" %}', (SOURCE / parent).read_text(encoding="utf-8")).group(1)


def test_a_misspelt_context_key_fails_the_render() -> None:
    with pytest.raises(jinja2.UndefinedError, match="'comparisons' is undefined"):
        _html.render("theory.html.j2", comparison=[])


def test_values_are_escaped_and_rendered_parts_are_not() -> None:
    env = _html.environment()
    card = env.get_template("macros.html.j2").module.card
    # html.escape(s, quote=True): & < > " ' become &amp; &lt; &gt; &quot; &#x27;.
    assert str(card("<b>&", "it's \"x\"")) == ('<div class="card"><div class="value">&lt;b&gt;&amp;</div>'
                                               '<div class="label">it&#x27;s &quot;x&quot;</div></div>')
    part = _html.render("theory.html.j2", comparisons=[])
    assert "<table class=\"theory\">" in str(env.from_string("{{ part }}").render(part=part))
    assert "&lt;table" in env.from_string("{{ part }}").render(part=str(part))


@pytest.mark.parametrize("module", RENDERERS)
def test_the_renderers_build_no_markup(module: str) -> None:
    tree = ast.parse((ROOT / "python" / "wsfleet" / module).read_text(encoding="utf-8"))
    found = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and TAG.search(n.value)]
    docstrings = {n.body[0].value.lineno for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    assert [line for line in found if line not in docstrings] == [], f"{module} builds HTML: move it to a template"


def test_the_scan_sees_markup_in_a_string() -> None:
    assert TAG.search('f"<td class=\\"num\\">{x}</td>"') and TAG.search("<p>text</p>")
    assert not TAG.search("a < b and c > d")
