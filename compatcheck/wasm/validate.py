"""wasmtime's validator: the full validity verdict, and proposal detection for large modules."""

from __future__ import annotations

import re
from ..record import record
from functools import lru_cache


@record
class Validity:
    valid: bool
    reason: str | None = None  # wasmtime's message when invalid


# proposal name (ours) -> wasmtime.Config attribute
_CONFIG_SWITCHES = {
    "threads": "wasm_threads",
    "tail-call": "wasm_tail_call",
    "reference-types": "wasm_reference_types",
    "simd": "wasm_simd",
    "bulk-memory": "wasm_bulk_memory",
    "multi-value": "wasm_multi_value",
    "multi-memory": "wasm_multi_memory",
    "memory64": "wasm_memory64",
    "relaxed-simd": "wasm_relaxed_simd",
    "exceptions": "wasm_exceptions",
    "function-references": "wasm_function_references",
    "gc": "wasm_gc",
}
SWITCHABLE = frozenset(_CONFIG_SWITCHES)
# Turning a proposal off must also turn off those that build on it: wasmtime aborts the whole
# process (a Rust panic) on an inconsistent configuration.
_DEPENDENTS = {"simd": {"relaxed-simd"}, "reference-types": {"function-references", "gc"},
               "function-references": {"gc"}}
# Component-model and other non-core features that require core proposals we may turn off.
_OFF_ALWAYS = ("component_model", "component_model_async", "component_model_async_stackful",
               "component_model_more_async_builtins", "component_model_map",
               "component_model_implements", "component_model_accessors",
               "component_model_canonical_names", "stack_switching", "wide_arithmetic",
               "custom_page_sizes", "compact_imports")


def _closure(enabled: frozenset[str]) -> frozenset[str]:
    out = set(enabled)
    for feature, dependents in _DEPENDENTS.items():
        if feature not in out:
            out -= dependents
    return frozenset(out)


@lru_cache(maxsize=32)
def _engine(enabled: frozenset[str] | None):
    import wasmtime  # heavy; imported only when needed
    from wasmtime import _bindings

    config = wasmtime.Config()
    if enabled is not None:
        for name in _OFF_ALWAYS:
            setter = getattr(_bindings, f"wasmtime_config_wasm_{name}_set", None)
            if setter is not None:
                setter(config.ptr(), False)
        enabled = _closure(enabled)
    for proposal, attr in _CONFIG_SWITCHES.items():
        try:
            setattr(config, attr, True if enabled is None else proposal in enabled)
        except (AttributeError, wasmtime.WasmtimeError):  # older wasmtime wheel
            pass
    return wasmtime.Engine(config)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "invalid module"


def validate(data: bytes, features: frozenset[str] | None = None) -> Validity:
    """Validate with wasmtime; ``features`` limits the proposals enabled (None = all)."""
    import wasmtime

    try:
        wasmtime.Module.validate(_engine(features), data)
    except wasmtime.WasmtimeError as exc:
        return Validity(False, _first_line(exc))
    return Validity(True)


# wasmtime's refusal for a proposal that is switched off -> the proposal
_REFUSALS = [
    (re.compile(r"multi-value"), "multi-value"),
    (re.compile(r"bulk memory"), "bulk-memory"),
    (re.compile(r"reference types"), "reference-types"),
    (re.compile(r"relaxed SIMD", re.I), "relaxed-simd"),
    (re.compile(r"\bSIMD\b"), "simd"),
    (re.compile(r"threads"), "threads"),
    (re.compile(r"tail calls"), "tail-call"),
    (re.compile(r"function references"), "function-references"),
    (re.compile(r"\bgc\b"), "gc"),
    (re.compile(r"multiple memories"), "multi-memory"),
    (re.compile(r"memory64"), "memory64"),
]
_OFFSET = re.compile(r"\(at offset (0x[0-9a-f]+)\)")


def refused_proposals(data: bytes, wanted: frozenset[str],
                      max_rounds: int = 16) -> dict[str, int] | None:
    """Which of ``wanted`` (switchable) proposals the module needs, with the first offset.

    Validates with those proposals off and turns each on as wasmtime names it. Returns None
    when wasmtime's refusal is not one we can read (the caller then scans the code itself).
    """
    enabled = frozenset(SWITCHABLE - wanted)
    found: dict[str, int] = {}
    for _ in range(max_rounds):
        validity = validate(data, enabled)
        if validity.valid:
            return found
        reason = validity.reason or ""
        feature = next((f for rx, f in _REFUSALS if rx.search(reason)), None)
        m = _OFFSET.search(reason)
        if feature is None or feature in enabled or m is None:
            return None  # not a proposal refusal we can read (or exception handling: which kind?)
        found[feature] = int(m.group(1), 16)
        enabled = enabled | {feature}
    return None
