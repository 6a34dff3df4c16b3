"""The verdict's words, by status: declared once here, a leaf module, so that the verdict
(wsfleet._limit) and the HTML views (wsfleet._html) both read it without importing each other."""
from __future__ import annotations

__all__ = ["STATUS_WORDS"]

#: The verdict's words, by status (every report, the command line, `--json`).
STATUS_WORDS = {"ok": "ENOUGH CAPACITY", "warn": "TIGHT", "fail": "NOT ENOUGH CAPACITY",
                "misconfigured": "MISCONFIGURED"}
