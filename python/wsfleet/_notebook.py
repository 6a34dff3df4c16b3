"""What a notebook shows for a run's result or a policy (their _repr_html_), rendered from
templates/notebook.html.j2 (autoescaped) like every other snippet (sweeps and plans call
wsfleet._html.snippet themselves). Jinja2 is imported when a view is first shown, not with the
package."""
from __future__ import annotations

from typing import Any

__all__ = ["run_html", "policy_html"]


def policy_html(text: str, detail: str = "") -> str:
    """A policy's view: its repr as code, or in bold followed by `detail`."""
    from wsfleet._html import snippet

    return snippet("policy", text=text, detail=detail or None)


def run_html(result: Any) -> str:
    """A RunResult's view: its title, headline rows and verdict; a replicated run's (one with a
    precision document) adds what its precision rule reached."""
    from wsfleet._html import snippet

    title, rows = result._headline()
    v = result.verdict()
    outcome = result._outcome_words() if hasattr(result, "_outcome_words") else None
    return snippet("run", title=title, rows=rows, words=v.words, text=v.text, outcome=outcome)
