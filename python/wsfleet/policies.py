"""The real C++ balancing and backoff policies, callable without a simulation."""

from __future__ import annotations

from typing import Dict, List

from wsfleet._core import BackoffPolicy, BalancingPolicy, LoadBalancer
from wsfleet._core import backoff_client_presets as _backoff_client_presets
from wsfleet._core import backoff_honours_retry_after as _backoff_honours_retry_after
from wsfleet._core import buffer_presets as _buffer_presets
from wsfleet._core import heartbeat_presets as _heartbeat_presets
from wsfleet._core import backoff_policies as _backoff_policies
from wsfleet._core import balancing_policies as _balancing_policies
from wsfleet._core import balancing_presets as _balancing_presets
from wsfleet._notebook import policy_html

__all__ = ["BackoffPolicy", "BalancingPolicy", "LoadBalancer", "backoff_client_presets", "backoff_honours_retry_after",
           "backoff_policies",
           "balancing_policies", "balancing_presets", "buffer_presets", "heartbeat_presets"]


def balancing_policies() -> List[Dict]:
    """Every balancing policy: [{"name", "summary", "params": [{"name", "default", "min", "max", "integer", "help"}]}]."""
    return list(_balancing_policies())


def balancing_presets() -> List[Dict]:
    """The balancing policies that reproduce real software (NGINX, HAProxy, Envoy, IPVS, AWS ALB), same shape."""
    return list(_balancing_presets())


def backoff_policies() -> List[Dict]:
    """Every backoff policy, in the same shape as balancing_policies()."""
    return list(_backoff_policies())


def heartbeat_presets() -> List[Dict]:
    """The heartbeat presets ([heartbeat] preset = NAME): who pings, how often, and the timeouts."""
    return list(_heartbeat_presets())


def buffer_presets() -> List[Dict]:
    """The send-buffer presets ([pubsub.buffer] preset = NAME): [{"name", "summary", "policy", "limit_kib",
    "close_on_limit"}], the semantics of ws, Socket.IO, Centrifugo and uWebSockets."""
    return list(_buffer_presets())


def backoff_client_presets() -> List[Dict]:
    """The backoff policies that reproduce a client library: [{"name", "library", "source",
    "connect_timeout_s", "honours_retry_after"}] (each name is also in backoff_policies(); connect_timeout_s
    is the library's own per-attempt timeout, None when it has none; honours_retry_after: whether the
    library waits for a shedding server's Retry-After, clients.honour_retry_after = "preset")."""
    return list(_backoff_client_presets())


def backoff_honours_retry_after(name: str) -> bool:
    """Whether clients of backoff policy `name` wait for a shedding server's Retry-After when the scenario
    leaves clients.honour_retry_after at "preset": the library's behaviour for a client preset
    (docs/client_presets.md), True for the generic policies."""
    return bool(_backoff_honours_retry_after(name))


# Docstrings and short representations for the compiled classes (pybind11 heap types accept both).
BalancingPolicy.__doc__ = (
    "BalancingPolicy(name, params={}, seed=1): one of the real C++ balancing algorithms or presets "
    "(wsfleet.balancing_policies(), wsfleet.balancing_presets()), with its parameters. pick(active_connections, "
    "weights=None, eligible=None, ...) returns the index of the backend it would choose for those loads; "
    "on_failure(backend) tells it a try failed. Raises ValueError naming a bad parameter.")
LoadBalancer.__doc__ = (
    "LoadBalancer(name, weights, params={}, seed=1): a balancing policy with its own connection counts over "
    "len(weights) backends. pick(key=0) picks and counts a connection; connection_opened/closed(backend) and "
    "set_eligible(backend, eligible) update its view; picks(n) makes n picks; active_connections and policy "
    "are read-only.")
BackoffPolicy.__doc__ = (
    "BackoffPolicy(name, params={}): one of the real C++ reconnect backoff policies or client-library presets "
    "(wsfleet.backoff_policies()). sample_ms(attempt, samples, seed=1, after='loss') draws the delay before "
    "retry `attempt` (ms); sequence_ms(retries, seed=1) one client's successive delays; max_retries is 0 "
    "when it never gives up.")


def _balancing_repr(self: BalancingPolicy) -> str:
    return f"BalancingPolicy({self.name!r})"


def _load_balancer_repr(self: LoadBalancer) -> str:
    return f"LoadBalancer({self.policy!r}, {len(self.active_connections)} backends, connections {self.active_connections})"


def _backoff_repr(self: BackoffPolicy) -> str:
    retries = f", gives up after {self.max_retries} retries" if self.max_retries else ""
    return f"BackoffPolicy({self.name!r}{retries})"


def _backoff_html(self: BackoffPolicy) -> str:
    delays = ", ".join(f"{d / 1000:.3g} s" for d in self.sequence_ms(6))
    return policy_html(repr(self), f"one client's first delays {delays}")


BalancingPolicy.__repr__ = _balancing_repr  # type: ignore[method-assign]
BalancingPolicy._repr_html_ = lambda self: policy_html(_balancing_repr(self))  # type: ignore[attr-defined]
LoadBalancer.__repr__ = _load_balancer_repr  # type: ignore[method-assign]
LoadBalancer._repr_html_ = lambda self: policy_html(_load_balancer_repr(self))  # type: ignore[attr-defined]
BackoffPolicy.__repr__ = _backoff_repr  # type: ignore[method-assign]
BackoffPolicy._repr_html_ = _backoff_html  # type: ignore[attr-defined]
