"""The HTML basics every report shares (run, sweep, plan, comparison): the stylesheet, escaping,
an embedded PNG image and the verdict's words."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

from ._limits import STATUS_WORDS  # the verdict's words, by status, declared with the statuses

__all__ = ["CSS", "STATUS_WORDS", "esc", "img"]

#: The stylesheet of every report (run, sweep, plan, comparison), embedded in each page.
CSS = (Path(__file__).with_name("report.css")).read_text(encoding="utf-8")


def esc(value: Any) -> str:
    """str(value) safe inside HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def img(png: bytes, alt: str) -> str:
    """An <img> with the PNG embedded as a data: URL (the report needs no other file)."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
