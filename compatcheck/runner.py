"""One module against many host builds: bytes -> Module -> findings per target."""

from __future__ import annotations

from .record import record, replace

from .abi import HostSpec
from .checks import TargetResult, check_targets
from .checks import runtime
from .checks._build import finding
from .checks.finding import Finding
from .wasm import Module, WasmFormatError, read_module
from .wasm.validate import validate

_FORMAT_CODES = {"not-wasm": "CC001", "component": "CC004", "version": "CC002",
                 "malformed": "CC002"}


@record
class ModuleReport:
    name: str
    size: int
    module: Module | None
    problem: Finding | None  # not a readable/valid module: refused by every host
    results: tuple[TargetResult, ...]

    @property
    def ok(self) -> bool:
        return self.problem is None and all(r.verdict == "loads" for r in self.results)

    def json(self) -> dict:
        return {"file": self.name, "size": self.size,
                "problem": None if self.problem is None else self.problem.json(),
                "results": [r.json() for r in self.results]}


def _format_problem(exc: WasmFormatError) -> Finding:
    code = _FORMAT_CODES.get(exc.kind, "CC002")
    return finding(code, str(exc), "parse", offset=exc.offset, location="module")


def _host_view(problem: Finding, exc: WasmFormatError | None, data: bytes,
               host: HostSpec) -> tuple[Finding, ...]:
    """The same problem in this host's words, behind a missing runtime if there is one."""
    out = list(runtime.check_host(host))
    text = host.message("corrupted") or host.message("load_failed")
    if host.marker_stage == "abi" and "corrupted" in host.messages:
        # cpp-host's own pre-parser reads the sections first and ignores the version field
        if exc is not None and exc.kind in ("component", "version"):
            text = _as_core_module(data, host) or text
    elif exc is None or exc.kind != "malformed":
        text = host.message("load_failed")  # the runtime is the first to see it
    detail = f"{problem.message}. " if problem.code != "CC003" else ""
    out.append(replace(problem, message=text or problem.message, host_wording=bool(text),
                       fix=f"{detail}{problem.fix}"))
    return tuple(out)


def _as_core_module(data: bytes, host: HostSpec) -> str | None:
    """cpp-host's pre-parser ignores the version field: what does it make of the sections?"""
    try:
        module = read_module(data[:4] + b"\x01\x00\x00\x00" + data[8:])
    except WasmFormatError:
        return host.message("corrupted") or None
    has_marker = any(e.kind == "func" and e.name in host.abi_markers for e in module.exports)
    if host.marker_rule != "none" and not has_marker:
        return host.message("missing_marker") or None
    return host.message("load_failed") or None


def check_bytes(name: str, data: bytes, hosts: list[HostSpec],
                full_validation: bool = False, smoke: bool = True) -> ModuleReport:
    """Every section and instruction is decoded (feature scan); ``full_validation`` adds
    wasmtime's type check of the code; ``smoke`` allows a sandboxed run of the start-up
    functions when static analysis cannot decide what they call."""
    try:
        module = read_module(data)
    except WasmFormatError as exc:
        problem = _format_problem(exc)
        return ModuleReport(name, len(data), None, problem,
                            tuple(TargetResult(h, _host_view(problem, exc, data, h))
                                  for h in hosts))
    if full_validation:
        validity = validate(data)
        if not validity.valid and not _uses_legacy_exceptions(module):
            problem = finding("CC003", f"invalid module: {validity.reason}", "compile",
                              location="module")
            return ModuleReport(name, len(data), module, problem,
                                tuple(TargetResult(h, _host_view(problem, None, data, h))
                                      for h in hosts))
    try:
        results = check_targets(module, hosts, smoke)
    except WasmFormatError as exc:  # a code body the lazy read did not decode is malformed
        problem = _format_problem(exc)
        return ModuleReport(name, len(data), module, problem,
                            tuple(TargetResult(h, _host_view(problem, exc, data, h))
                                  for h in hosts))
    return ModuleReport(name, len(data), module, None, tuple(_with_oldest(results)))


def _with_oldest(results: list[TargetResult]) -> list[TargetResult]:
    """A refused proposal's fix names the oldest known builds whose runtime accepts it."""
    if not any(f.code == "CC701" for r in results for f in r.findings):
        return results
    from .abi import get_specs
    from .wasm.features import FEATURE_TITLES

    builds = get_specs().builds
    out = []
    for r in results:
        findings = []
        for f in r.findings:
            if f.code == "CC701":
                feature = next((x for x in FEATURE_TITLES if f"({x})" in f.fix), None)
                oldest = _oldest_accepting(builds, feature) if feature else ""
                if oldest:
                    f = replace(f, fix=f"{f.fix} Oldest builds that accept it: {oldest}.")
            findings.append(f)
        out.append(TargetResult(r.host, tuple(findings)))
    return out


def _oldest_accepting(builds, feature: str) -> str:
    firsts = {}
    for b in sorted(builds, key=lambda b: b.first):
        if b.runtime.engine == "none" or b.product in firsts:
            continue
        accepted = feature in b.runtime.features or (
            feature == "exceptions" and b.runtime.features & {"exceptions-legacy",
                                                              "exceptions-exnref"})
        # the oldest build from which every later one of the product accepts it
        later = [x for x in builds if x.product == b.product and x.first >= b.first
                 and x.runtime.engine != "none"]
        if accepted and all(feature in x.runtime.features or feature == "exceptions"
                            for x in later):
            firsts[b.product] = str(b.first)
    return ", ".join(f"{p} {v}" for p, v in sorted(firsts.items()) if p in ("envoy", "istio"))



def _uses_legacy_exceptions(module: Module) -> bool:
    """wasmtime cannot validate legacy try/catch; V8 accepts it, so its verdict does not count."""
    from .wasm.features import detect_features

    try:
        return "exceptions-legacy" in detect_features(module)
    except WasmFormatError:
        return False
