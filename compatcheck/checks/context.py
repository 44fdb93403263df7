"""Facts about one (module, host build) pair that several checks share."""

from __future__ import annotations

from functools import cached_property

from ..abi import HostSpec
from ..wasm import FuncType, Module
from ..wasm.features import FeatureUse, detect_features

ABI_MARKER_PREFIX = "proxy_abi_version_"


def v8_signature(ft: object) -> str:
    """Types the way V8-based hosts print them: ``i32 i32 -> i32``, ``void -> void``."""
    if not isinstance(ft, FuncType):
        return "?"
    params = " ".join(ft.params) or "void"
    results = " ".join(ft.results) or "void"
    return f"{params} -> {results}"


class CheckContext:
    """One (module, host) pair being checked; shares costly results across targets."""

    def __init__(self, module: Module, host: HostSpec,
                 features_cache: dict[str, FeatureUse] | None = None,
                 smoke_cache: dict | None = None, reach_cache: dict | None = None,
                 calls_cache: dict | None = None):
        self.module = module
        self.host = host
        self.features_cache = features_cache
        self.smoke_cache = smoke_cache  # start-up sequence -> SmokeRun; None: smoke runs off
        self.reach_cache = {} if reach_cache is None else reach_cache
        self.calls_cache = {} if calls_cache is None else calls_cache

    def reach(self, roots: list[int]):
        """Imports reachable from these functions (the call lists are shared by all targets)."""
        from ..wasm.callgraph import reachable_imports

        key = tuple(roots)
        if key not in self.reach_cache:
            self.reach_cache[key] = reachable_imports(self.module, roots, self.calls_cache)
        return self.reach_cache[key]

    def smoke(self, sequence: tuple[str, ...]):
        """The sandboxed start-up run for this sequence (shared by every target)."""
        if self.smoke_cache is None:
            return None
        if sequence not in self.smoke_cache:  # normally filled for all targets at once
            from ..smoke import run_startups
            self.smoke_cache.update(run_startups(self.module, [sequence]))
        return self.smoke_cache[sequence]

    @cached_property
    def marker_exports(self) -> list:
        return [e for e in self.module.exports if e.name.startswith(ABI_MARKER_PREFIX)]

    @cached_property
    def abi(self) -> str | None:
        """The ABI version this host will detect, or None if it detects none."""
        host = self.host
        if host.marker_rule == "none":
            return next(iter(host.host_functions))
        if host.marker_rule == "optional":  # the preferred known marker, else the assumed ABI
            present = {e.name for e in self.module.exports if e.kind == "func"}
            return next((v for name, v in host.abi_markers.items() if name in present),
                        host.abi_assumed)
        for e in self.module.exports:
            if e.kind != "func":
                continue
            version = host.abi_markers.get(e.name)
            if version is not None:
                if host.marker_rule == "first-function-export":
                    return version
                return version
        return None

    @cached_property
    def abi_for_checks(self) -> str:
        """ABI to check imports/callbacks against when the host detects none."""
        if self.abi is not None:
            return self.abi
        versions = sorted(self.host.host_functions)
        for e in self.marker_exports:
            tail = e.name[len(ABI_MARKER_PREFIX):].replace("_", ".")
            if tail in versions:
                return tail
        return versions[-1]

    @property
    def host_functions(self):
        return self.host.host_functions[self.abi_for_checks]

    @property
    def callbacks(self):
        return self.host.callbacks[self.abi_for_checks]

    @property
    def features(self) -> dict[str, FeatureUse]:
        if self.features_cache is None:
            self.features_cache = detect_features(self.module)
        return self.features_cache

    def exported_function(self, name: str):
        for e in self.module.exports:
            if e.name == name and e.kind == "func":
                return e
        return None
