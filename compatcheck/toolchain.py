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


def detect(module: Module) -> tuple[ToolchainGuess, ...]:
    exports = {e.name for e in module.exports}
    imports = {(i.module, i.name) for i in module.imports}
    import_modules = {i.module for i in module.imports}
    languages = _producer_values(module, "language")
    processed = _producer_values(module, "processed-by")
    sdks = _producer_values(module, "sdk")
    guesses: list[ToolchainGuess] = []

    def add(name: str, evidence: list[str]) -> None:
        if evidence:
            guesses.append(ToolchainGuess(name, tuple(evidence)))

    # Rust proxy-wasm SDK
    rust = [f"producers language: {v}" for v in languages if v.startswith("Rust")]
    rust += [f"producers processed-by: {v}" for v in processed if v.startswith("rustc")]
    rust += [f"function name {n!r}" for n in _names_containing(module, "proxy_wasm::")]
    rust += [f"function name {n!r}" for n in _names_containing(module, "__rust_")]
    if rust:
        add("Rust (proxy-wasm-rust-sdk)" if _names_containing(module, "proxy_wasm") or
            "proxy_on_memory_allocate" in exports or "malloc" in exports else "Rust", rust)

    # Go for the browser (GOOS=js): imports its JavaScript glue, cannot run in a proxy
    if "gojs" in import_modules or "go" in import_modules:
        add("Go (GOOS=js, a browser target)", [f"imports from {m!r}" for m in sorted(
            import_modules & {"gojs", "go"})])

    # Go: TinyGo or the gc compiler (GOOS=wasip1)
    tinygo = [f"producers: {v}" for v in languages + processed if "TinyGo" in v]
    tinygo += [f"function name {n!r}" for n in _names_containing(module, "runtime.alloc")]
    gc_go = [f"function name {n!r}" for n in _names_containing(module, "runtime.mallocgc")]
    gc_go += [f"producers: {v}" for v in languages + processed if v.startswith("Go ")]
    go_sdk = _names_containing(module, "proxy-wasm-go-sdk") or \
        _names_containing(module, "proxywasm")
    if tinygo and not gc_go:
        add("TinyGo" + (" (proxy-wasm-go-sdk)" if go_sdk else ""),
            tinygo + [f"function name {n!r}" for n in go_sdk])
    elif gc_go and not import_modules & {"gojs", "go"}:
        add("Go (GOOS=wasip1)" + (" (proxy-wasm-go-sdk)" if go_sdk else ""),
            gc_go + [f"function name {n!r}" for n in go_sdk])

    # Emscripten / C++ SDK
    emcc = []
    if ("env", "emscripten_notify_memory_growth") in imports:
        emcc.append("imports env.emscripten_notify_memory_growth")
    emcc += [f"exports {n}" for n in ("stackSave", "stackRestore", "emscripten_stack_get_end",
                                        "emscripten_stack_init") if n in exports]
    emcc += [f"producers sdk: {v}" for v in sdks if "Emscripten" in v]
    if emcc:
        add("C++ (Emscripten, proxy-wasm-cpp-sdk)" if any(
            "proxy_on_" in e for e in exports) else "Emscripten", emcc)

    # AssemblyScript (+ solo-io proxy-runtime)
    asc = []
    if ("env", "abort") in imports:
        asc.append("imports env.abort")
    asc += [f"exports {n}" for n in ("__new", "__pin", "__unpin", "__collect", "__rtti_base",
                                       "__alloc", "__retain", "__release") if n in exports]
    if len(asc) >= 2 or ("__new" in exports and "__pin" in exports):
        add("AssemblyScript" + (" (@solo-io/proxy-runtime)" if "malloc" in exports else ""), asc)

    # C / Zig against wasi-libc
    c_like = [f"producers language: {v}" for v in languages if v.startswith(("C", "Zig"))]
    c_like += [f"producers processed-by: {v}" for v in processed
               if v.startswith(("clang", "Zig", "zig")) and not rust]
    if c_like and not emcc and not rust:
        add("Zig" if any("Zig" in v or "zig" in v for v in c_like) else "C/C++ (clang)", c_like)

    if not guesses and import_modules & {"wasi_snapshot_preview1", "wasi_unstable"}:
        add("unknown (WASI libc)", [f"imports from {m}" for m in sorted(
            import_modules & {"wasi_snapshot_preview1", "wasi_unstable"})])
    return tuple(guesses)
