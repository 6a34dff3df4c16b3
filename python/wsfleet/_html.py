"""The HTML basics every report shares (run, sweep, plan, comparison, alerts, storm map): the Jinja2
environment that renders the templates of wsfleet/templates/ (autoescaping on), the stylesheet, the
data: URL of an embedded PNG image and the verdict's words.

Every report's page is a template that extends `base.html.j2` (head, stylesheet, header, footer) and
uses the macros of `macros.html.j2` (cards, tables, figures, notes, paragraphs); the Python side
computes a context of numbers and sentences and calls `render`."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ._status import STATUS_WORDS  # the verdict's words, by status

__all__ = ["CSS", "STATUS_WORDS", "TEMPLATES", "data_url", "environment", "esc", "render", "snippet"]

#: The folder of the report templates (packaged with the wheel beside this module).
TEMPLATES = Path(__file__).with_name("templates")

#: The stylesheet of every report (run, sweep, plan, comparison), embedded in each page.
CSS = (Path(__file__).with_name("report.css")).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    """str(value) safe inside HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def data_url(png: bytes) -> str:
    """The PNG as a data: URL (the report needs no other file)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _finalize(value: Any) -> Any:
    """Every printed value, escaped by html.escape (so `"` prints as &quot; and `'` as &#x27;, as every
    report has always spelt them; markup a template rendered passes as it is)."""
    return value if hasattr(value, "__html__") else Markup(esc(value))


_ENV: Optional[Environment] = None


def environment() -> Environment:
    """The templates' environment, made once: every value is escaped unless marked safe, and an
    undefined name is an error (a misspelt context key fails the render instead of printing nothing)."""
    global _ENV
    if _ENV is None:
        env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, finalize=_finalize,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.globals.update(css=Markup(CSS), status_words=STATUS_WORDS)
        env.filters["data_url"] = data_url
        _ENV = env
    return _ENV


def render(template: str, **context: Any) -> Markup:
    """The template `template` (a file of wsfleet/templates/) rendered with `context`, as markup that
    another template includes as it is."""
    return Markup(environment().get_template(template).render(**context))


def snippet(name: str, **context: Any) -> str:
    """The notebook view `name` (a macro of templates/notebook.html.j2: run, plan, sweep, policy)
    rendered with `context`: what a result's or a policy's _repr_html_ returns."""
    return str(getattr(environment().get_template("notebook.html.j2").module, name)(**context))
