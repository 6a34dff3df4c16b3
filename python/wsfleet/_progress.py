"""Progress display: where it goes (a tqdm bar in a terminal or a notebook, a plain line on stderr
otherwise) and the progress of one run (`RunProgress`, the hook wsfleet.run gives the engine).

The engine calls the hook about every 50 ms of wall time with the simulated time (wsfleet._core.run_text/run_file's
`progress`); the hook only reads it, so a run's results are the same with or without it. The
binding also checks for Ctrl-C at each call, so an interrupt stops a run within a fraction of a second.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional, Union

__all__ = ["RunProgress", "ProgressHook", "in_notebook", "interactive", "tqdm_class", "RUN_PROGRESS_DELAY_S",
           "RUN_PLAIN_EVERY_S"]

#: A hook the engine calls with (simulated seconds, run length in simulated seconds, events so far).
ProgressHook = Callable[[float, float, int], None]

#: A run's progress appears only once the run has taken this long (wall seconds): short runs stay quiet.
RUN_PROGRESS_DELAY_S = 2.0
#: Wall seconds between two plain progress lines of a run when stderr is not a terminal.
RUN_PLAIN_EVERY_S = 30.0
#: Wall seconds between two redraws of a run's bar.
RUN_BAR_EVERY_S = 0.1


def in_notebook() -> bool:
    """True in a Jupyter kernel (an IPython ZMQ shell)."""
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and type(shell.get_ipython()).__name__ == "ZMQInteractiveShell"  # type: ignore
    except Exception:  # noqa: BLE001
        return False


def interactive() -> bool:
    """A notebook, or stderr is a terminal: a bar can be redrawn in place."""
    return in_notebook() or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())


def tqdm_class() -> Any:
    """tqdm's notebook widget when ipywidgets is there, else the text bar."""
    if in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm

            return tqdm
        except ImportError:
            pass
    from tqdm.std import tqdm

    return tqdm


class RunProgress:
    """The progress of one run, fed by the engine's hook (call the object with simulated_s, end_s,
    events). enabled: None = a bar in a terminal or notebook, a plain line on stderr at most every
    RUN_PLAIN_EVERY_S seconds otherwise; True = a bar even off a terminal; False = nothing. Either
    appears only once the run has taken RUN_PROGRESS_DELAY_S seconds."""

    def __init__(self, enabled: Optional[bool], label: str = "run") -> None:
        self.enabled = enabled is not False
        self.bar_wanted = bool(enabled) or interactive()
        self.label = label
        self.bar: Any = None
        self.start = time.monotonic()
        self.last_line: Optional[float] = None
        self.last_draw = 0.0
        self.shown = False
        self.sim_s = 0.0
        self.end_s = 0.0
        self.events = 0

    def __call__(self, sim_s: float, end_s: float, events: int) -> None:
        self.sim_s, self.end_s, self.events = float(sim_s), float(end_s), int(events)
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < RUN_PROGRESS_DELAY_S:
            return
        if self.bar_wanted:
            if self.bar is not None and now - self.last_draw < RUN_BAR_EVERY_S:
                return
            self.last_draw = now
            if self.bar is None:
                self.bar = tqdm_class()(total=round(end_s, 1), unit="sim s", desc=self.label, dynamic_ncols=True,
                                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} "
                                                   "simulated s [{elapsed}<{remaining}{postfix}]")
            self.bar.n = min(round(sim_s, 1), self.bar.total)
            self.bar.set_postfix_str(f"{events / max(now - self.start, 1e-9) / 1e6:.2f}M events/s", refresh=False)
            self.bar.refresh()
        elif self.last_line is None or now - self.last_line >= RUN_PLAIN_EVERY_S:
            self._line(now)
        self.shown = True

    def _line(self, now: float) -> None:
        elapsed = now - self.start
        left = ""
        if self.sim_s > 0 and self.end_s > self.sim_s:
            left = f", about {elapsed * (self.end_s - self.sim_s) / self.sim_s:.0f} s left"
        print(f"wsfleet {self.label}: simulated {self.sim_s:.1f} / {self.end_s:g} s, {elapsed:.0f} s elapsed, "
              f"{self.events / max(elapsed, 1e-9) / 1e6:.2f}M events/s{left}", file=sys.stderr, flush=True)
        self.last_line = now

    def close(self, finished: bool) -> None:
        """Ends the display: a shown bar is filled when the run finished (left where it stopped when
        interrupted)."""
        if self.bar is not None:
            if finished:
                self.bar.n = self.bar.total
                self.bar.refresh()
            self.bar.close()
            self.bar = None


def make_hook(progress: Union[bool, None, ProgressHook], label: str = "run") -> Optional[Any]:
    """The engine's hook for wsfleet.run's `progress` argument: a RunProgress for None/True/False
    (False: none, but the engine still checks for Ctrl-C), or the user's callable as it is."""
    if callable(progress):
        return progress
    if progress is not None and not isinstance(progress, bool):
        raise TypeError("progress must be True, False, None (automatic) or a callable "
                        f"(simulated_s, end_s, events) (got {progress!r})")
    return RunProgress(progress, label)
