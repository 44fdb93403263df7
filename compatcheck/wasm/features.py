"""Which Wasm proposals a module really uses, with the first place each is used."""

from __future__ import annotations

import bisect
from ..record import record

from .model import Module
from .reader import read_module

FEATURE_TITLES = {
    "sign-extension": "sign-extension operators",
    "saturating-float-to-int": "non-trapping float-to-int conversions",
    "bulk-memory": "bulk memory operations",
    "multi-value": "multi-value",
    "reference-types": "reference types",
    "ref-null-heap-type": "ref.null with a heap type (reference types as standardised in 2020)",
    "simd": "fixed-width SIMD",
    "relaxed-simd": "relaxed SIMD",
    "threads": "threads and atomics",
    "exceptions": "exception handling",
    "exceptions-legacy": "exception handling (legacy try/catch)",
    "exceptions-exnref": "exception handling (exnref, try_table)",
    "tail-call": "tail calls",
    "extended-const": "extended constant expressions",
    "function-references": "typed function references",
    "gc": "garbage collection",
    "multi-memory": "multiple memories",
    "memory64": "64-bit memory",
    "mutable-globals": "import/export of mutable globals",
}


@record
class FeatureUse:
    feature: str
    offset: int
    function_index: int | None  # None: outside code (types, imports, globals, ...)
    function_name: str | None

    def where(self) -> str:
        if self.function_index is None:
            return f"byte offset {self.offset}"
        name = f" ({self.function_name})" if self.function_name else ""
        return f"function {self.function_index}{name}, byte offset {self.offset}"


# Code larger than this is scanned through wasmtime's validator (native, parallel) first.
FAST_PATH_CODE_BYTES = 1 << 20
# Proposals wasmtime cannot switch off: only our own scan can see them. (extended-const lives
# in constant expressions only, which the structural pass reads; exception handling is switched
# as one, and a refusal sends us to the full scan to tell legacy from exnref. ref.null's heap
# type is not switchable either, but in code ref.null needs reference types, which are: code
# that validates without them has no ref.null, and code that needs them gets the full scan.)
_NOT_SWITCHABLE = {"sign-extension", "saturating-float-to-int", "mutable-globals"}
_EXCEPTIONS = {"exceptions", "exceptions-legacy", "exceptions-exnref"}


def _first_uses(module: Module, decode_code: bool) -> dict[str, int]:
    """Proposal -> offset of its first use, from one read of the module."""
    first: dict[str, int] = {}

    def sink(feature: str, offset: int) -> None:
        if feature not in first:
            first[feature] = offset

    read_module(module.data, feature_sink=sink, decode_code=decode_code, custom=False)
    for e in module.exports:
        if e.kind == "global" and getattr(e.type, "mutable", False):
            sink("mutable-globals", e.offset)
    return first


def detect_features(module: Module) -> dict[str, FeatureUse]:
    """First use of each proposal; decodes every code body (the full scan)."""
    return _located(module, _first_uses(module, decode_code=True))


def detect_relevant_features(module: Module, relevant: frozenset[str]) -> dict[str, FeatureUse]:
    """Uses of the ``relevant`` proposals only (those some target refuses).

    Small modules get the full scan. For large ones wasmtime's validator, run with the relevant
    proposals switched off, names what the code needs in a fraction of the time; anything it
    cannot tell apart falls back to the full scan.
    """
    code_bytes = sum(module.code_sizes)
    # Every code body is read either way: a malformed one raises WasmFormatError.
    if code_bytes < FAST_PATH_CODE_BYTES or relevant & _NOT_SWITCHABLE:
        return {f: u for f, u in detect_features(module).items() if f in relevant}
    from .validate import SWITCHABLE, refused_proposals

    first = _first_uses(module, decode_code=False)  # types, imports, globals, segments...
    if _EXCEPTIONS & set(first):
        # exnref is also a reference type to wasmtime: only our scan tells them apart
        return {f: u for f, u in detect_features(module).items() if f in relevant}
    wanted = frozenset(relevant & SWITCHABLE) - frozenset(first)
    if relevant & _EXCEPTIONS:
        wanted |= {"exceptions"}
    ref_null = "ref-null-heap-type" in relevant and "ref-null-heap-type" not in first
    if ref_null:
        if "reference-types" in first:  # used outside code: the code may hold ref.null too
            return {f: u for f, u in detect_features(module).items() if f in relevant}
        wanted |= {"reference-types"}
    refused = refused_proposals(module.data, wanted)
    if refused is None or (ref_null and "reference-types" in refused):
        return {f: u for f, u in detect_features(module).items() if f in relevant}
    for feature, offset in refused.items():
        first.setdefault(feature, offset)
    return {f: u for f, u in _located(module, first).items() if f in relevant}


def _located(module: Module, first: dict[str, int]) -> dict[str, FeatureUse]:
    starts, sizes = module.code_offsets, module.code_sizes
    out = {}
    for feature, offset in sorted(first.items(), key=lambda kv: kv[1]):
        i = bisect.bisect_right(starts, offset) - 1
        func = None
        if i >= 0 and offset < starts[i] + sizes[i]:
            func = module.imported_function_count + i
        out[feature] = FeatureUse(feature, offset, func,
                                  module.function_name(func) if func is not None else None)
    return out


# LLVM's names in the target_features custom section -> ours
LLVM_FEATURES = {
    "sign-ext": "sign-extension", "nontrapping-fptoint": "saturating-float-to-int",
    "bulk-memory": "bulk-memory", "bulk-memory-opt": "bulk-memory", "multivalue": "multi-value",
    "reference-types": "reference-types", "call-indirect-overlong": "reference-types",
    "simd128": "simd", "relaxed-simd": "relaxed-simd", "atomics": "threads",
    "shared-mem": "threads", "exception-handling": "exceptions", "tail-call": "tail-call",
    "extended-const": "extended-const", "mutable-globals": "mutable-globals",
    "memory64": "memory64", "multimemory": "multi-memory", "gc": "gc",
}


def target_features_mismatch(module: Module, uses: dict[str, FeatureUse]) -> tuple[str, ...]:
    """Where the toolchain's target_features section and the code disagree."""
    if not module.target_features:
        return ()
    declared = {LLVM_FEATURES.get(name, name) for prefix, name in module.target_features
                if prefix in "+="}
    used = set(uses)
    if {"exceptions-legacy", "exceptions-exnref"} & used:
        used.add("exceptions")
    notes = []
    for f in sorted(used - declared - {"exceptions-legacy", "exceptions-exnref"}):
        notes.append(f"code uses {f} ({uses[f].where() if f in uses else 'exceptions'}) but "
                     "target_features does not declare it")
    for f in sorted(declared - used):
        if f in FEATURE_TITLES:
            notes.append(f"target_features enables {f} but the code does not use it")
    return tuple(notes)
