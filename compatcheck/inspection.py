"""What ``compatcheck inspect`` knows about one module: structure, validity, Proxy-Wasm shape."""

from __future__ import annotations

from .record import record

from .checks.context import ABI_MARKER_PREFIX
from .toolchain import ToolchainGuess, detect
from .wasm import Module, WasmFormatError, read_module
from .wasm.features import FeatureUse, detect_features, target_features_mismatch
from .wasm.validate import Validity, validate

ALLOCATOR_EXPORTS = ("malloc", "proxy_on_memory_allocate", "free", "proxy_on_memory_free")
START_EXPORTS = ("_initialize", "_start", "main", "__main_void", "__wasm_call_ctors")

INSPECT_SCHEMA_VERSION = 1


@record
class Inspection:
    name: str
    size: int
    module: Module | None
    error: WasmFormatError | None
    validity: Validity | None
    toolchains: tuple[ToolchainGuess, ...] = ()
    proposals: tuple[FeatureUse, ...] = ()
    target_features_notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.module is not None and (self.validity is None or self.validity.valid)

    @property
    def abi_markers(self) -> tuple[str, ...]:
        if self.module is None:
            return ()
        return tuple(e.name for e in self.module.exports
                     if e.name.startswith(ABI_MARKER_PREFIX))

    def _exported(self, wanted: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``wanted`` the module exports as functions, in ``wanted``'s order."""
        if self.module is None:
            return ()
        names = {e.name for e in self.module.exports if e.kind == "func"}
        return tuple(n for n in wanted if n in names)

    @property
    def allocators(self) -> tuple[str, ...]:
        return self._exported(ALLOCATOR_EXPORTS)

    @property
    def start_functions(self) -> tuple[str, ...]:
        return self._exported(START_EXPORTS)

    def json(self) -> dict:
        out: dict = {"file": self.name, "size": self.size}
        if self.module is None:
            assert self.error is not None
            out["error"] = {"kind": self.error.kind, "reason": self.error.reason,
                            "offset": self.error.offset}
            return out
        m = self.module
        out["valid"] = None if self.validity is None else self.validity.valid
        if self.validity is not None and not self.validity.valid:
            out["invalid_reason"] = self.validity.reason
        out["sections"] = [{"id": s.id, "name": s.name, "offset": s.offset,
                            "size": s.size} for s in m.sections]
        out["imports"] = [{"module": i.module, "name": i.name, "kind": i.kind,
                           "type": str(i.type)} for i in m.imports]
        out["exports"] = [{"name": e.name, "kind": e.kind, "index": e.index,
                           "type": None if e.type is None else str(e.type)} for e in m.exports]
        out["memories"] = [_limits_json(mem.limits) for mem in m.all_memories]
        out["tables"] = [{"element": t.element, **_limits_json(t.limits)} for t in m.tables]
        out["start_section"] = m.start
        out["start_functions"] = list(self.start_functions)
        out["abi_markers"] = list(self.abi_markers)
        out["allocators"] = list(self.allocators)
        out["toolchains"] = [t.json() for t in self.toolchains]
        out["producers"] = {k: [{"name": n, "version": v} for n, v in vals]
                            for k, vals in m.producers.items()}
        out["target_features"] = [f"{p}{n}" for p, n in m.target_features]
        out["proposals"] = [{"name": u.feature, "offset": u.offset,
                             "function_index": u.function_index,
                             "function_name": u.function_name} for u in self.proposals]
        out["target_features_notes"] = list(self.target_features_notes)
        out["notes"] = list(m.all_notes)
        return out


def _limits_json(limits) -> dict:
    return {"min": limits.minimum, "max": limits.maximum, "shared": limits.shared,
            "memory64": limits.is64}


def inspect_bytes(name: str, data: bytes, full_validation: bool = True) -> Inspection:
    try:
        module = read_module(data)
        uses = detect_features(module)  # decodes every instruction
    except WasmFormatError as exc:
        return Inspection(name, len(data), None, exc, None)
    validity = validate(data) if full_validation else None
    return Inspection(name, len(data), module, None, validity, detect(module),
                      tuple(uses.values()), target_features_mismatch(module, uses))
