"""Full validity verdict from wasmtime's validator (code bodies included)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Validity:
    valid: bool
    reason: str | None = None  # wasmtime's message when invalid


@lru_cache(maxsize=None)
def _engine(features: frozenset[str] | None):
    import wasmtime  # heavy; imported only when a verdict is needed

    config = wasmtime.Config()
    wanted = ALL_PROPOSALS if features is None else features
    for proposal, attr in _CONFIG_SWITCHES.items():
        try:
            setattr(config, attr, proposal in wanted)
        except (AttributeError, wasmtime.WasmtimeError):  # older wasmtime wheel
            pass
    return wasmtime.Engine(config)


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
ALL_PROPOSALS = frozenset(_CONFIG_SWITCHES)


def validate(data: bytes, features: frozenset[str] | None = None) -> Validity:
    """Validate with wasmtime; ``features`` limits the proposals enabled (None = all)."""
    import wasmtime

    try:
        wasmtime.Module.validate(_engine(features), data)
    except wasmtime.WasmtimeError as exc:
        return Validity(False, str(exc).strip().splitlines()[0] if str(exc).strip() else
                        "invalid module")
    return Validity(True)
