"""Guessing which toolchain / Proxy-Wasm SDK produced a module, with the evidence."""

from __future__ import annotations

from .record import record

from .wasm import Module


@record
class ToolchainGuess:
    name: str
    evidence: tuple[str, ...]

    def json(self) -> dict:
        return {"name": self.name, "evidence": list(self.evidence)}


def _producer_values(module: Module, field: str) -> list[str]:
    return [f"{n} {v}".strip() for n, v in module.producers.get(field, ())]


def _names_containing(module: Module, needle: str, limit: int = 1) -> list[str]:
    out = []
    for name in module.function_names.values():
        if needle in name:
            out.append(name)
            if len(out) >= limit:
                break
    return out


class _Clues:
    """What every detector reads: export and import names, producers section values."""

    def __init__(self, module: Module):
        self.module = module
        self.exports = {e.name for e in module.exports}
        self.imports = {(i.module, i.name) for i in module.imports}
        self.import_modules = {i.module for i in module.imports}
        self.languages = _producer_values(module, "language")
        self.processed = _producer_values(module, "processed-by")
        self.sdks = _producer_values(module, "sdk")

    def names(self, needle: str) -> list[str]:
        return _names_containing(self.module, needle)


def _rust(c: _Clues) -> tuple[str, list[str]]:
    rust = [f"producers language: {v}" for v in c.languages if v.startswith("Rust")]
    rust += [f"producers processed-by: {v}" for v in c.processed if v.startswith("rustc")]
    rust += [f"function name {n!r}" for n in c.names("proxy_wasm::") + c.names("__rust_")]
    sdk = c.names("proxy_wasm") or {"proxy_on_memory_allocate", "malloc"} & c.exports
    return ("Rust (proxy-wasm-rust-sdk)" if sdk else "Rust"), rust


def _go_js(c: _Clues) -> tuple[str, list[str]]:
    """Go for the browser (GOOS=js) imports its JavaScript glue and cannot run in a proxy."""
    return "Go (GOOS=js, a browser target)", [f"imports from {m!r}" for m in sorted(
        c.import_modules & {"gojs", "go"})]


def _go(c: _Clues) -> tuple[str, list[str]]:
    """TinyGo or the gc compiler (GOOS=wasip1)."""
    tinygo = [f"producers: {v}" for v in c.languages + c.processed if "TinyGo" in v]
    tinygo += [f"function name {n!r}" for n in c.names("runtime.alloc")]
    gc_go = [f"function name {n!r}" for n in c.names("runtime.mallocgc")]
    gc_go += [f"producers: {v}" for v in c.languages + c.processed if v.startswith("Go ")]
    sdk = c.names("proxy-wasm-go-sdk") or c.names("proxywasm")
    suffix = " (proxy-wasm-go-sdk)" if sdk else ""
    sdk_evidence = [f"function name {n!r}" for n in sdk]
    if tinygo and not gc_go:
        return "TinyGo" + suffix, tinygo + sdk_evidence
    if gc_go and not c.import_modules & {"gojs", "go"}:
        return "Go (GOOS=wasip1)" + suffix, gc_go + sdk_evidence
    return "", []


def _emscripten(c: _Clues) -> tuple[str, list[str]]:
    emcc = (["imports env.emscripten_notify_memory_growth"]
            if ("env", "emscripten_notify_memory_growth") in c.imports else [])
    emcc += [f"exports {n}" for n in ("stackSave", "stackRestore", "emscripten_stack_get_end",
                                        "emscripten_stack_init") if n in c.exports]
    emcc += [f"producers sdk: {v}" for v in c.sdks if "Emscripten" in v]
    sdk = any("proxy_on_" in e for e in c.exports)
    return ("C++ (Emscripten, proxy-wasm-cpp-sdk)" if sdk else "Emscripten"), emcc


def _assemblyscript(c: _Clues) -> tuple[str, list[str]]:
    asc = ["imports env.abort"] if ("env", "abort") in c.imports else []
    asc += [f"exports {n}" for n in ("__new", "__pin", "__unpin", "__collect", "__rtti_base",
                                       "__alloc", "__retain", "__release") if n in c.exports]
    if len(asc) < 2 and not {"__new", "__pin"} <= c.exports:
        return "", []
    return "AssemblyScript" + (" (@solo-io/proxy-runtime)" if "malloc" in c.exports else ""), asc


def _c_or_zig(c: _Clues) -> tuple[str, list[str]]:
    """C / Zig against wasi-libc (unless the Rust or Emscripten evidence explains it)."""
    if _rust(c)[1] or _emscripten(c)[1]:
        return "", []
    c_like = [f"producers language: {v}" for v in c.languages if v.startswith(("C", "Zig"))]
    c_like += [f"producers processed-by: {v}" for v in c.processed
               if v.startswith(("clang", "Zig", "zig"))]
    return ("Zig" if any("Zig" in v or "zig" in v for v in c_like) else "C/C++ (clang)"), c_like


_DETECTORS = (_rust, _go_js, _go, _emscripten, _assemblyscript, _c_or_zig)


def detect(module: Module) -> tuple[ToolchainGuess, ...]:
    clues = _Clues(module)
    guesses = [ToolchainGuess(name, tuple(evidence)) for name, evidence
               in (d(clues) for d in _DETECTORS) if evidence]
    wasi = clues.import_modules & {"wasi_snapshot_preview1", "wasi_unstable"}
    if not guesses and wasi:
        guesses.append(ToolchainGuess("unknown (WASI libc)",
                                      tuple(f"imports from {m}" for m in sorted(wasi))))
    return tuple(guesses)
