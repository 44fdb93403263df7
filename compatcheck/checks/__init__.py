"""The checks: each a small pure function from (module, host build) to findings."""

from __future__ import annotations

from ..abi import HostSpec
from ..wasm import Module
from . import (abi_marker, allocator, callbacks, capi, imports, memory, platform, proposals,
               runtime, startup, stubbed_calls)
from .context import CheckContext
from ..results import Finding, TargetResult

CHECKS = (runtime.check, abi_marker.check, proposals.check, capi.check, imports.check,
          allocator.check, startup.check, callbacks.check, memory.check, platform.check,
          stubbed_calls.check)


def check_module(module: Module, host: HostSpec, features=None,
                 smoke_cache: dict | None = None, shared: dict | None = None) -> TargetResult:
    shared = {} if shared is None else shared
    ctx = CheckContext(module, host, features, smoke_cache,
                       shared.setdefault("reach", {}), shared.setdefault("calls", {}))
    found: list[Finding] = []
    for check in CHECKS:
        found.extend(check(ctx))
    found.sort(key=Finding.sort_key)
    return TargetResult(host, tuple(found))


def check_targets(module: Module, hosts: list[HostSpec], smoke: bool = True) -> list[TargetResult]:
    """The feature scan (and any smoke run) happens once for all targets."""
    from ..wasm.features import FEATURE_TITLES, detect_relevant_features

    relevant = frozenset().union(*(frozenset(FEATURE_TITLES) - h.runtime.features
                                   for h in hosts if h.runtime.engine != "none"))
    features = detect_relevant_features(module, relevant)
    smoke_cache: dict | None = {} if smoke else None
    shared: dict = {}  # call graph analyses, reused by every target
    if smoke_cache is not None:
        wanted = set().union(*(startup.smoke_requests(
            CheckContext(module, h, features, None, shared.setdefault("reach", {}),
                         shared.setdefault("calls", {}))) for h in hosts))
        if wanted:
            from ..smoke import run_startups
            smoke_cache.update(run_startups(module, sorted(wanted)))
    return [check_module(module, host, features, smoke_cache, shared) for host in hosts]
