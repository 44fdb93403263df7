"""Resolved, immutable host-build specs: what one Proxy-Wasm host build accepts."""

from __future__ import annotations

from types import MappingProxyType

from ..record import record
from typing import Mapping

from packaging.version import Version

from ..wasm import FuncType
from .vocabulary import fill_message

WASI_MODULES = ("wasi_unstable", "wasi_snapshot_preview1")


@record
class Source:
    """Where a fact comes from: ``repo@commit:file`` or ``probed from <binary>``."""
    ref: str
    status: str  # verified | inferred | probed | unverified

    def __str__(self) -> str:
        return self.ref if self.status == "verified" else f"{self.ref} ({self.status})"


@record
class Runtime:
    id: str
    engine: str  # v8 | wamr | wasmtime | wavm | null
    version: str
    features: frozenset[str]
    source: Source
    crashes: frozenset[str] = frozenset()  # module shapes this runtime cannot survive
    forced: frozenset[str] = frozenset()  # accepted only because the embedding API forces them
    max_memory_pages: int | None = None  # the runtime's own limit on initial memory
    # its own error when it refuses a proposal: (proposal or "default", text) pairs
    refusals: tuple[tuple[str, str], ...] = ()
    # its own wording of failed calls: (unreachable | exit | arity, text) pairs
    texts: tuple[tuple[str, str], ...] = ()

    def text(self, key: str) -> str | None:
        return dict(self.texts).get(key)

    def refusal(self, feature: str) -> str | None:
        """The runtime's own error for a module using this proposal, if data gives it."""
        texts = dict(self.refusals)
        return texts.get(feature) or texts.get("default")


@record
class StartupSequence:
    """Which exports a host calls after instantiation (abi_specs/startup.toml)."""
    id: str
    summary: str
    # alternatives tried in order; each a list of steps; each step the candidate exports
    alternatives: tuple[tuple[tuple[str, ...], ...], ...]
    pick: str  # listed | export-order: which exported candidate of a step is called
    sources: tuple[Source, ...]

    def calls(self, exported: tuple[str, ...] | list[str]) -> list[str]:
        """The exports called, in order, for a module exporting these functions (in export
        section order)."""
        position: dict[str, int] = {}
        for i, name in enumerate(exported):
            position.setdefault(name, i)

        def pick(step: tuple[str, ...]) -> str | None:
            present = [n for n in step if n in position]
            if not present:
                return None
            return min(present, key=position.__getitem__) if self.pick == "export-order" \
                else present[0]

        for alternative in self.alternatives:
            first = pick(alternative[0])
            if first is None:
                continue
            later = (pick(step) for step in alternative[1:])
            return [first] + [n for n in later if n is not None]
        return []


@record
class HostSpec:
    id: str
    product: str
    first: Version
    last: Version | None  # None: every patch release of first's minor
    title: str
    status: str
    sources: tuple[Source, ...]
    unverified: frozenset[str]  # fact keys nobody could verify
    profile: str
    current: bool
    pins: Mapping[str, str]
    # ABI detection
    abi_markers: Mapping[str, str]  # export name -> ABI version, in host preference order
    marker_rule: str  # first-function-export | require-any | optional | none (vocabulary)
    marker_stage: str  # abi (checked before compiling) | functions (after linking)
    # host functions by ABI version: name -> type (module "env")
    host_functions: Mapping[str, Mapping[str, FuncType]]
    wasi_modules: tuple[str, ...]
    wasi: Mapping[str, FuncType]
    env_shims: Mapping[str, FuncType]
    non_function_imports: Mapping[str, str]  # kind -> accept | reject
    allocator_any_of: tuple[str, ...]
    allocator_all_of: tuple[str, ...]
    allocator_type: FuncType
    startup: StartupSequence
    startup_allowed: frozenset[str] | None  # qualified import names; None = unrestricted
    callbacks: Mapping[str, Mapping[str, FuncType]]  # ABI version -> name -> type
    callbacks_checked: bool
    runtime: Runtime
    runtimes_compiled: tuple[str, ...]
    messages: Mapping[str, str]
    notes: tuple[str, ...] = ()
    known_host_functions: frozenset[str] = frozenset()  # every env.proxy_* any host has
    crashes: frozenset[str] = frozenset()  # module shapes known to take the process down
    memory_loaded_pages: int | None = None  # largest initial memory seen to load
    memory_refused_pages: int | None = None  # smallest initial memory seen refused
    memory_cap_pages: int | None = None  # the host's cap on the runtime's memory (cpp-host)
    memory_export_required: bool = False  # load fails unless memory is exported as "memory"
    abi_assumed: str | None = None  # the ABI when no marker decides (rules optional, none)
    callbacks_elsewhere: Mapping[str, str] = MappingProxyType({})  # name -> why it is harmless
    callback_triggers: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # the host calls
    # host functions that link but fail when called, and how (trap | returns-unimplemented ...)
    stubbed_functions: frozenset[str] = frozenset()
    stub_behaviour: str = "trap"
    # a managed platform's documented restrictions: host functions it does not allow, limits
    platform_forbidden: frozenset[str] = frozenset()
    platform_limits: Mapping[str, int] = MappingProxyType({})
    platform_source: str = ""
    feature_since: Mapping[str, str] = MappingProxyType({})  # proposal -> oldest accepting builds
    # how it starts and configures a plugin ([lifecycle]; cpp-host's unless the profile says)
    lifecycle: Mapping[str, bool] = MappingProxyType({})
    # callbacks the build requires at load (callbacks.required), those it calls on every
    # request whether exported or not (callbacks.always_called), and what it passes a callback
    # (callbacks.arguments: abi | export-type)
    callbacks_required: tuple[str, ...] = ()
    callbacks_always_called: tuple[str, ...] = ()
    callback_arguments: str = "abi"
    # proxy_call_foreign_function: the names the build implements (None: the emulator's own
    # set, cpp-host/Envoy's) and what another name does (not-found | trap)
    foreign_functions: frozenset[str] | None = None
    foreign_unknown: str = "not-found"
    # per fact (a profile section: abi, host_functions, wasi, startup, messages, ...): who
    # states it ("profile X", "build Y") and from which sources, the nearest first
    fact_sources: Mapping[str, tuple[tuple[str, tuple[Source, ...]], ...]] = \
        MappingProxyType({})

    @property
    def startup_sequence(self) -> str:
        return self.startup.id

    @property
    def version_label(self) -> str:
        if self.last is None:
            series = f"{self.first.major}.{self.first.minor}.x"
            return series if self.first.micro == 0 else f"{self.first}–{series}"
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"

    @property
    def label(self) -> str:
        return f"{self.product} {self.version_label}"

    def covers(self, version: Version) -> bool:
        if self.last is None:
            return version.release[:2] == self.first.release[:2] and version >= self.first
        return self.first <= version <= self.last

    def candidate_versions(self) -> list[Version]:
        """Release versions this build stands for, to test a specifier against."""
        if self.last is None:
            major, minor = self.first.release[:2]
            return [Version(f"{major}.{minor}.{p}") for p in range(self.first.micro, 100)]
        if self.first == self.last:
            return [self.first]
        if self.first.release[:2] == self.last.release[:2]:
            major, minor = self.first.release[:2]
            return [Version(f"{major}.{minor}.{p}")
                    for p in range(self.first.micro, self.last.micro + 1)]
        return [self.first, self.last]

    def message(self, key: str, **values: str) -> str:
        if "import" in values and "module" not in values:  # callers that pass only module.name
            values["module"], _, values["field"] = values["import"].partition(".")
        return fill_message(self.messages.get(key, ""), **values)

    @property
    def markers_required(self) -> bool:
        """Does the host refuse a module without a marker it knows?"""
        return self.marker_rule not in ("optional", "none")

    def abi_for_marker(self, name: str) -> str | None:
        return self.abi_markers.get(name)

    def is_unverified(self, fact: str) -> bool:
        return any(fact == u or fact.startswith(u + ".") for u in self.unverified)

    def json(self) -> dict:
        return {
            "id": self.id, "product": self.product, "versions": self.version_label,
            "title": self.title, "status": self.status, "current": self.current,
            "profile": self.profile, "runtime": {"engine": self.runtime.engine,
                                                 "version": self.runtime.version},
            "runtimes_compiled": list(self.runtimes_compiled),
            "abi_versions": sorted(set(self.abi_markers.values())),
            "pins": dict(self.pins),
            "sources": [{"ref": s.ref, "status": s.status} for s in self.sources],
            "unverified": sorted(self.unverified),
        }
