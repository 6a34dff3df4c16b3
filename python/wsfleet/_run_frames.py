"""A run's time series as pandas frames, built from the engine's columns (name -> values), what a
RunResult builds when a frame is first read; and the limits of the model measured on a run, from
its frames or, in a sweep's worker (wsfleet._task), from the engine's columns without frames."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Mapping, Sequence

from wsfleet.views import COLUMNS as C

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["frame", "server_frame", "run_limits"]


def frame(columns: Mapping[str, Any], integer_columns: Sequence[str]) -> "pd.DataFrame":
    import numpy as np
    import pandas as pd

    # Whole-number columns are cast before the frame is built (one cast per column, not one frame
    # update each); a column holding a NaN or an infinity raises as pandas' astype would.
    whole = set(integer_columns)
    data = {}
    for name, values in columns.items():
        if name in whole:
            array = np.asarray(values, dtype=float)
            if not np.isfinite(array).all():
                raise ValueError(f"column {name!r} is declared whole but holds a NaN or an infinity")
            data[name] = array.astype("int64")
        else:
            data[name] = values
    return pd.DataFrame(data)


def server_frame(columns: Mapping[str, Any], classes: List[str]) -> "pd.DataFrame":
    servers = frame(columns, C.whole("server"))
    if classes and not servers.empty:
        import pandas as pd

        # Each server's class ([[fleet.classes]] name, "default" without classes), after "server".
        servers.insert(servers.columns.get_loc(C.server) + 1, "class",
                       pd.Categorical([classes[i] for i in servers[C.server]], categories=list(dict.fromkeys(classes))))
    return servers


def run_limits(summary: Mapping[str, Any], scenario_toml: str, servers: Any, fleet: Any) -> list:
    """Every limit of the model (wsfleet._limits.Limit) measured on a run's summary, effective
    scenario and per-server and fleet time series (pandas frames, or the engine's columns:
    wsfleet._rows.Rows reads either)."""
    try:  # Python 3.11+
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.9/3.10
        import tomli as tomllib  # type: ignore[no-redef]

    from wsfleet._limits import evaluate_limits
    from wsfleet.views import Scenario

    scenario = tomllib.loads(scenario_toml)
    dt = float(Scenario(scenario).run.sample_interval_s or 1.0)
    return evaluate_limits(summary, scenario, servers, fleet, dt)
