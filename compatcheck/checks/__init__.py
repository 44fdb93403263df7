"""The checks: each a small pure function from (module, host build) to findings."""

from __future__ import annotations

from ..record import record

from ..abi import HostSpec
from ..wasm import Module
from . import (abi_marker, allocator, callbacks, capi, imports, memory, platform, proposals,
               runtime, startup, stubbed_calls)
from .codes import FAILS_WHEN_CALLED, PLATFORM
from .context import CheckContext
from .finding import Finding

CHECKS = (runtime.check, abi_marker.check, proposals.check, capi.check, imports.check,
          allocator.check, startup.check, callbacks.check, memory.check, platform.check,
          stubbed_calls.check)


@record
class TargetResult:
    host: HostSpec
    findings: tuple[Finding, ...]  # in the order the host meets them

    @property
    def verdict(self) -> str:
        """What the host does: it stops at the first blocking problem it meets."""
        first = self.first_error
        if first is None:
            return "loads"
        return "crash" if first.severity == "crash" else "refused"

    @property
    def outcome(self) -> str:
        """The verdict, finer: a module that loads may still fail when it calls a stubbed host
        function ("fails-when-called"); a refusal may be the platform's ("not-allowed")."""
        first = self.first_error
        if first is not None and first.code in PLATFORM:
            return "not-allowed"
        if first is None and any(f.code in FAILS_WHEN_CALLED and f.severity == "warning"
                                 for f in self.findings):
            return "fails-when-called"
        return self.verdict

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocks_load)

    @property
    def first_error(self) -> Finding | None:
        """What the host would print first (it stops there; we list all)."""
        blocking = self.blocking
        return blocking[0] if blocking else None

    @property
    def unverified(self) -> bool:
        return any(f.unverified for f in self.blocking)

    def json(self) -> dict:
        first = self.first_error
        return {"target": self.host.id, "product": self.host.product,
                "versions": self.host.version_label, "verdict": self.verdict,
                "outcome": self.outcome,
                "spec_status": self.host.status,
                "first_error": None if first is None else first.message,
                "findings": [f.json() for f in self.findings]}


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
