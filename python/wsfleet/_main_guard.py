"""Is the sweep or plan being started from a script's unguarded top level?

Worker processes are started with the "spawn" method: each one imports the script that started the
study (as `__mp_main__`) before it can run a task. A script that calls `Sweep(...).run(...)` or
`wsfleet.plan(...)` at its top level, outside `if __name__ == "__main__":`, would start the study
again in every worker, which cannot start processes while it bootstraps and dies; the parent would
only see workers dying. `unguarded_call_line()` finds that case before any worker starts, by
reading the script's syntax tree: the line of the script's top level that is running now, and
whether an `if __name__ == "__main__":` block holds it.
"""
from __future__ import annotations

import ast
import sys
from typing import Optional, Tuple

__all__ = ["unguarded_call_line", "GUARD_HINT"]

GUARD_HINT = ('worker processes re-import the script that starts them: put the call under '
              '`if __name__ == "__main__":`, or pass workers=0')


def _is_main_test(node: ast.expr) -> bool:
    """`__name__ == "__main__"` (either order)."""
    if not isinstance(node, ast.Compare) or len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq):
        return False
    sides = [node.left, node.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names) and bool(consts)


def _guarded(tree: ast.Module, line: int) -> bool:
    for node in tree.body:
        if isinstance(node, ast.If) and _is_main_test(node.test):
            end = getattr(node, "end_lineno", None) or line
            if node.lineno <= line <= end:
                return True
    return False


def unguarded_call_line() -> Optional[Tuple[str, int]]:
    """(script path, line) when the running code was called from the top level of the main script
    outside an `if __name__ == "__main__":` block; None otherwise (a notebook, `python -c`, a
    function called from a guarded block, an interactive session)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path:
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            break
        frame = frame.f_back
    if frame is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    line = frame.f_lineno
    return None if _guarded(tree, line) else (path, line)
