"""The real C++ balancing and backoff policies, callable without a simulation."""

from __future__ import annotations

from typing import Dict, List

from wsfleet._core import BackoffPolicy, BalancingPolicy, LoadBalancer
from wsfleet._core import backoff_client_presets as _backoff_client_presets
from wsfleet._core import buffer_presets as _buffer_presets
from wsfleet._core import heartbeat_presets as _heartbeat_presets
from wsfleet._core import backoff_policies as _backoff_policies
from wsfleet._core import balancing_policies as _balancing_policies
from wsfleet._core import balancing_presets as _balancing_presets

__all__ = ["BackoffPolicy", "BalancingPolicy", "LoadBalancer", "backoff_client_presets", "backoff_policies",
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
    "connect_timeout_s"}] (each name is also in backoff_policies(); connect_timeout_s is the library's own
    per-attempt timeout, None when it has none)."""
    return list(_backoff_client_presets())
