"""One module against many host builds: bytes -> Module -> findings per target."""

from __future__ import annotations


from .abi import HostSpec
from .checks import check_targets
from .checks._build import finding
from .checks.format import format_problem, host_view
from .results import ModuleReport, TargetResult
from .wasm import Module, WasmFormatError, read_module
from .wasm.validate import validate

def check_bytes(name: str, data: bytes, hosts: list[HostSpec],
                full_validation: bool = False, smoke: bool = True) -> ModuleReport:
    """Every section and instruction is decoded (feature scan); ``full_validation`` adds
    wasmtime's type check of the code; ``smoke`` allows a sandboxed run of the start-up
    functions when static analysis cannot decide what they call."""
    try:
        module = read_module(data)
    except WasmFormatError as exc:
        problem = format_problem(exc)
        return ModuleReport(name, len(data), None, problem,
                            tuple(TargetResult(h, host_view(problem, exc, data, h))
                                  for h in hosts))
    if full_validation:
        validity = validate(data)
        if not validity.valid and not _uses_legacy_exceptions(module):
            problem = finding("CC003", f"invalid module: {validity.reason}", "compile",
                              location="module")
            return ModuleReport(name, len(data), module, problem,
                                tuple(TargetResult(h, host_view(problem, None, data, h))
                                      for h in hosts))
    try:
        results = check_targets(module, hosts, smoke)
    except WasmFormatError as exc:  # a code body the lazy read did not decode is malformed
        problem = format_problem(exc)
        return ModuleReport(name, len(data), module, problem,
                            tuple(TargetResult(h, host_view(problem, exc, data, h))
                                  for h in hosts))
    return ModuleReport(name, len(data), module, None, tuple(results))


def _uses_legacy_exceptions(module: Module) -> bool:
    """wasmtime cannot validate legacy try/catch; V8 accepts it, so its verdict does not count."""
    from .wasm.features import detect_features

    try:
        return "exceptions-legacy" in detect_features(module)
    except WasmFormatError:
        return False
