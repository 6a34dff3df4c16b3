"""The report's modules loaded from the source tree (python/wsfleet/) under a private package name, so
that the report tests run the source, not an installed copy; and what they read of a report."""
from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG_DIR = ROOT / "python" / "wsfleet"
SRC_PKG = "_wsfleet_report_src"

IMG_RE = re.compile(r'<img\b[^>]*\bsrc="([^"]*)"', re.IGNORECASE)


def load_source(module: str) -> types.ModuleType:
    """python/wsfleet/<module>.py, imported as a submodule of a stand-in package (no __init__)."""
    if SRC_PKG not in sys.modules:
        pkg = types.ModuleType(SRC_PKG)
        pkg.__path__ = [str(PKG_DIR)]  # type: ignore[attr-defined]
        sys.modules[SRC_PKG] = pkg
    return importlib.import_module(f"{SRC_PKG}.{module}")


def html(path: Path) -> str:
    return path.read_text(encoding="utf-8")
