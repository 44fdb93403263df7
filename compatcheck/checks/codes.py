"""Every finding code, documented once: ``compatcheck explain CODE`` prints these."""

from __future__ import annotations

from ..record import record


@record
class CodeInfo:
    code: str
    name: str
    severity: str
    cause: str
    host_text: str  # what the host prints (V8-based cpp-host unless said otherwise)
    fix: str


_CODES = [
    CodeInfo("CC000", "unreadable-input", "error", "A path given to compatcheck gave no module: missing, a directory without .wasm files, not a regular file, unreadable, or over the size cap (exit 2).",
             "", "Check the path; raise the cap with --max-size if the file is really that large."),
    CodeInfo("CC001", "not-wasm", "error", "The file is not a WebAssembly binary at all.",
             "Failed to parse corrupted Wasm module", "Build the filter to a .wasm binary; a .wat text file must be assembled first (wat2wasm)."),
    CodeInfo("CC002", "malformed", "error", "The binary breaks the WebAssembly binary format (truncated, bad section, bad LEB128 ...).",
             "Failed to parse corrupted Wasm module / Failed to load Wasm bytecode", "Rebuild the module; a truncated download or a post-processing step corrupted it."),
    CodeInfo("CC003", "invalid", "error", "The binary is well-formed but does not validate (type errors in code, bad indices).",
             "Failed to load Wasm bytecode", "Rebuild with a supported toolchain; run wasm-validate or wasmtime to see the exact error."),
    CodeInfo("CC004", "component", "error", "The file is a WebAssembly component (component model), not a core module.",
             "Failed to load Wasm bytecode", "Proxy-Wasm hosts load core modules: build for wasm32-wasip1 / wasm32-unknown-unknown, not wasm32-wasip2, or extract the core module."),
    CodeInfo("CC010", "no-runtime", "error", "This host build has no Wasm runtime compiled in; no module can load.",
             "Failed to create Wasm VM using envoy.wasm.runtime.v8 runtime. Envoy was compiled without support for it", "Use a build with a Wasm runtime (V8 is Envoy's default) or choose the runtime the build has in vm_config.runtime."),
    CodeInfo("CC011", "runtime-not-compiled", "error", "The manifest's vm_config.runtime names a Wasm runtime this build was not compiled with (official Envoy and Istio builds have V8 and NullVM only).",
             "Failed to create Wasm VM using <runtime> runtime. Envoy was compiled without support for it", "Set vm_config.runtime to envoy.wasm.runtime.v8 (or leave it empty on Envoy 1.2x+ to take the first runtime the build has)."),
    CodeInfo("CC012", "nullvm-plugin-missing", "error", "vm_config.runtime is envoy.wasm.runtime.null, but this build has no NullVM plugin of the name the code names (upstream Envoy registers none; Istio's proxy registered a few, dropped from 1.18 on).",
             "Failed to load Wasm code", "NullVM plugins are compiled into the proxy: use a build that has the plugin, or ship the filter as a .wasm with runtime envoy.wasm.runtime.v8."),
    CodeInfo("CC101", "abi-marker-missing", "error", "The module exports no Proxy-Wasm ABI marker function this host knows (proxy_abi_version_0_1_0/0_2_0/0_2_1).",
             "Missing or unknown Proxy-Wasm ABI version", "Build with a Proxy-Wasm SDK; the SDK exports the marker. The marker must be an exported function."),
    CodeInfo("CC102", "abi-marker-unsupported", "error", "The module's ABI marker names a version this host build does not implement.",
             "Missing or unknown Proxy-Wasm ABI version", "Use an SDK release that targets an ABI version this host supports, or upgrade the host."),
    CodeInfo("CC103", "abi-marker-several", "warning", "Several ABI markers are exported; the host uses the first function export it knows and ignores the rest.",
             "", "Export one marker. Decide which ABI your imports and callbacks follow."),
    CodeInfo("CC201", "missing-import", "error", "The module imports a function the host does not provide (for this ABI version).",
             "Failed to load Wasm module due to a missing import: <module>.<name>", "Remove the call, or use a host build that provides it."),
    CodeInfo("CC202", "import-type-mismatch", "error", "An import exists but with a different signature than the host's.",
             "Failed to load Wasm module due to an import type mismatch: <module>.<name>, want: <module type>, but host exports: <host type>", "Declare the import with the host's signature (update the SDK)."),
    CodeInfo("CC203", "import-other-abi", "error", "The host provides this function only for another ABI version than the module's marker.",
             "Failed to load Wasm module due to a missing import: <module>.<name>", "Use the SDK release matching the marker; e.g. ABI 0.2.x reads the plugin configuration with proxy_get_buffer_bytes in proxy_on_configure instead of proxy_get_configuration."),
    CodeInfo("CC204", "missing-wasi", "error", "A WASI function the module imports is not provided by this host build.",
             "Failed to load Wasm module due to a missing import: wasi_snapshot_preview1.<name>", "Avoid the libc call that needs it (files, sockets, threads), or use a newer host; TinyGo/Go and Rust wasip1 builds pull in WASI through their runtimes."),
    CodeInfo("CC205", "global-import", "error", "The module imports a global; Proxy-Wasm hosts provide no globals.",
             "Failed to load Wasm module due to a missing import: <module>.<name>", "Link so that globals are defined in the module (e.g. no -Wl,--import-memory style shared stack pointer)."),
    CodeInfo("CC206", "capi-type-crash", "crash", "An import or export has a type V8's C API has no Wasm type for (v128, a typed or GC reference, exnref) or is an exception tag. cpp-host asks V8's C API for the type of every import (first thing when linking) and every export (after instantiating); V8 reaches UNREACHABLE() and aborts the whole proxy process (SIGTRAP).",
             "# Fatal error in , line 0 / # unreachable code", "Keep such types inside the module: no v128, typed/GC reference or exnref in an imported or exported function's parameters or results, global or table, and no imported or exported tags (Rust: do not export SIMD or externref-typed functions; build with panic=abort)."),
    CodeInfo("CC207", "unknown-import-kind", "error", "The module imports something other than functions, memories, tables.",
             "Failed to load Wasm module due to a missing import: <module>.<name>", "Remove the import."),
    CodeInfo("CC301", "allocator-missing", "error", "The module exports no allocator the host can call to pass data in.",
             "Wasm module is missing malloc function.", "Export malloc or proxy_on_memory_allocate (i32) -> i32 (Proxy-Wasm SDKs do this)."),
    CodeInfo("CC302", "allocator-bad-signature", "error", "The allocator export has a signature the host rejects.",
             "Bad function signature for: malloc, want: i32 -> i32, but the module exports: ...", "Export malloc / proxy_on_memory_allocate as (i32) -> i32."),
    CodeInfo("CC303", "allocator-free-missing", "error", "This early host requires both malloc and free exports.",
             "WASM missing malloc/free", "Export free (i32) -> () as well, or use a newer host."),
    CodeInfo("CC401", "callback-bad-signature", "error", "A callback the host looks up is exported with another signature.",
             "Bad function signature for: <name>, want: <host type>, but the module exports: <module type>", "Match the ABI version of the marker (e.g. proxy_on_request_headers takes 3 params from ABI 0.2.0 on)."),
    CodeInfo("CC402", "callback-unknown", "warning", "An export looks like a Proxy-Wasm callback but the host never calls it (typo or other ABI).",
             "", "Rename it to the callback the ABI defines; as it is, the host will never call it."),
    CodeInfo("CC403", "callback-required", "error", "The module does not export a callback this build requires at load (callbacks.required: Kong's ngx_wasm_module needs proxy_on_context_create, proxy_on_vm_start and proxy_on_configure).",
             "filter missing one of: on_context_create, on_vm_start, on_plugin_start (incompatible SDK interface) (Kong)", "Export the callback (Proxy-Wasm SDKs export them all); a hand-written filter must export at least the ones the build names."),
    CodeInfo("CC404", "callback-missing-crash", "crash", "The module does not export an HTTP callback that this build calls on every request anyway (callbacks.always_called): Kong's ngx_wasm_module calls a null function reference and the worker dies (SIGSEGV) at the first request.",
             "worker process exited on signal 11 (Kong)", "Export every HTTP callback the build names (an SDK exports them all; a hand-written filter may return Continue from them)."),
    CodeInfo("CC501", "startup-sequence", "info", "Which start-up functions this host calls, in which order.",
             "", ""),
    CodeInfo("CC502", "startup-restricted-call", "warning", "A function the host calls at start-up can reach an import that this host forbids during start-up; if it is called, start-up traps.",
             "Function: _initialize failed: Uncaught Error: restricted_callback", "Move that call to proxy_on_vm_start / proxy_on_configure, or avoid it in initialisers."),
    CodeInfo("CC503", "start-section-host-call", "crash", "The module has a Wasm start section that calls a host function; these builds crash (SIGSEGV) while instantiating it.",
             "Caught Segmentation fault", "Do not use a start section that calls imports; export _initialize instead."),
    CodeInfo("CC504", "start-section", "warning", "The module has a Wasm start section; it runs at instantiation, before the host is ready for host calls.",
             "Failed to create new Wasm instance (if it traps)", "Export _initialize (reactor) instead of using a start section."),
    CodeInfo("CC505", "startup-not-called", "warning", "The module relies on a start-up export this host never calls (e.g. __wasm_call_ctors, main without _initialize).",
             "", "Export _initialize (and main if needed) as WASI reactors do."),
    CodeInfo("CC506", "startup-trap", "error", "A start-up function the host calls always reaches an `unreachable` (a panic or abort in initialisation).",
             "Function: _start failed: Uncaught RuntimeError: unreachable", "Fix the initialiser, or do not export the function."),
    CodeInfo("CC507", "startup-undecided", "warning", "Static analysis cannot tell whether a start-up function calls an import this host forbids during start-up, and the sandboxed start-up run (smoke mode) could not settle it: it was stopped by a limit (instructions, host calls, memory, size), trapped with stubbed imports, or could not be run.",
             "", "Run `compatcheck confirm` against a real Envoy, or shorten start-up (move work to proxy_on_vm_start)."),
    CodeInfo("CC508", "startup-export-host-call", "crash", "The start-up export this build calls (_start / _initialize) calls a Proxy-Wasm (env) host function; the build has no filter context yet and the process dies (SIGSEGV). WASI calls there are fine.",
             "worker process exited on signal 11 (Kong)", "Move the call to proxy_on_vm_start / proxy_on_configure; keep start-up to WASI calls (Go: no proxywasm calls in init() or main())."),
    CodeInfo("CC510", "start-failed", "error", "proxy_on_vm_start (or a start-up function or the root context's creation) returns false or traps when the emulated host starts the plugin (check --plugin-config); the build refuses it.",
             "Failed to start base Wasm", "See the trap or the filter's log lines (`compatcheck run`); check the VM configuration."),
    CodeInfo("CC511", "configure-failed", "error", "proxy_on_configure returns false or traps with the given plugin configuration (or with none); the build refuses the plugin.",
             "Failed to configure base Wasm plugin", "Pass the configuration the plugin expects (--plugin-config), or fix the filter's parser."),
    CodeInfo("CC512", "start-undecided", "warning", "The emulated start or configuration was stopped by a budget (instructions, host calls, memory): nothing is decided.",
             "", "Run `compatcheck run -v` to see where it stopped, or judge it with a real Envoy."),
    CodeInfo("CC513", "request-failed", "warning", "The module loads, starts and is configured, but the first plain GET request through it fails in the emulated host (check --plugin-config): a trap, a callback the runtime refuses to call with the ABI's arguments, a stubbed host function that traps; or the first timer tick (delivered when the filter set a tick period) traps, which fails the VM and every request after it. The host answers 500/503 or resets the stream; every request may fail the same way.",
             "Function: proxy_on_request_headers failed: ... (cpp-host); error while executing at wasm backtrace: ... (Kong)", "See the request with `compatcheck run FILE --request` (-v for the trace); fix the callback, or export it with the type the ABI of the module's marker defines."),
    CodeInfo("CC601", "memory-too-large", "error", "The initial memory is larger than this host can allocate.",
             "Failed to create new Wasm instance", "Lower the initial memory (linker flag --initial-memory / -Wl,-z,stack-size)."),
    CodeInfo("CC602", "memory-large", "warning", "The initial memory is larger than any size seen to load on this host.",
             "", "Lower the initial memory."),
    CodeInfo("CC603", "memory-not-exported", "warning", "No memory is exported as \"memory\"; the host cannot exchange data with the filter. An error on builds that look the export up at load (memory.export_required: APISIX's wasm-nginx-module).",
             "", "Export the linear memory as \"memory\" (the default for every Proxy-Wasm SDK)."),
    CodeInfo("CC701", "unsupported-proposal", "error", "The module uses a WebAssembly proposal this build's runtime does not accept.",
             "Failed to load Wasm bytecode", "Rebuild without that feature (see the fix in the finding) or use a newer host."),
    CodeInfo("CC801", "fails-when-called", "warning", "The module loads, but imports a host function this build links to a stub: Kong's ngx_wasm_module traps when it is called (NYI), APISIX's wasm-nginx-module returns ResultUnimplemented. The finding names the exports that reach the call.",
             "host trap (function not yet implemented): <name>", "Avoid the call on this host or pick a host that implements it; `compatcheck matrix` shows which."),
    CodeInfo("CC802", "platform-forbidden", "error", "A managed platform (Google Service Extensions) documents this host function as unsupported (timers, metrics, shared data, queues, outbound HTTP/gRPC calls).",
             "", "Remove the feature that needs the call, or deploy on a host that offers it."),
    CodeInfo("CC803", "platform-limit", "error", "The module exceeds a documented platform limit (module size, memory per VM).",
             "", "Shrink the module (strip debug sections, optimise for size) or its initial memory."),
    CodeInfo("CC900", "artifact", "info", "Where the module came from: the image's manifest digest (what WasmPlugin.spec.sha256 or an EnvoyExtensionPolicy image sha256 must equal for oci://) and the module's sha256 (what http and file sources compare).",
             "", ""),
    CodeInfo("CC901", "image-refused", "error", "The consumer that pulls this image (istio-agent, Envoy Gateway, Higress) refuses its layout: a manifest, layer count or media type its image fetcher does not accept, or no plugin.wasm where it looks.",
             "could not fetch Wasm binary: the given image is in invalid format as an OCI image: ...", "Build the image as the consumer reads it: one layer (application/vnd.oci.image.layer.v1.tar+gzip or Docker's rootfs.diff.tar.gzip) holding plugin.wasm (`FROM scratch` + `COPY filter.wasm plugin.wasm`), or the oci variant: two layers, one application/vnd.module.wasm.content.layer.v1+wasm."),
    CodeInfo("CC902", "sha256-mismatch", "error", "The sha256 the manifest gives is not the one the consumer computes: for oci:// the image manifest's digest (of the linux/amd64 image), for http(s) and Envoy's code.remote the downloaded module's. The consumer refuses to load it.",
             "module downloaded from <url> has checksum <got>, which does not match: <want>", "Set sha256 to the value compatcheck reports (CC900), or drop it where the consumer allows."),
    CodeInfo("CC903", "sha256-invalid", "error", "The sha256 field is malformed or missing where required: Istio validates WasmPlugin.spec.sha256 as [a-f0-9]{64}; Envoy's RemoteDataSource requires a sha256.",
             "sha256 field must be 64 characters long / Proto constraint validation failed", "Give the lowercase hex sha256 (64 characters) without a sha256: prefix."),
    CodeInfo("CC904", "configuration-type", "warning", "The plugin configuration is neither google.protobuf.StringValue nor BytesValue: Envoy passes the serialized protobuf bytes of any other message (e.g. a Struct) to the plugin, not JSON.",
             "", "Wrap the configuration as google.protobuf.StringValue with the JSON (or text) as its value."),
]

# Codes whose findings change the verdict without a load failure (TargetResult.outcome)
FAILS_WHEN_CALLED = frozenset({"CC801", "CC513"})
PLATFORM = frozenset({"CC802", "CC803"})

CODES = {c.code: c for c in _CODES}
BY_NAME = {c.name: c for c in _CODES}


def lookup(code_or_name: str) -> CodeInfo | None:
    key = code_or_name.strip()
    return CODES.get(key.upper()) or BY_NAME.get(key.lower())
