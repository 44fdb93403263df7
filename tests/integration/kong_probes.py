"""Probe modules for the Kong ngx_wasm_module judge (test_kong_judge.py).

Kong calls every HTTP callback whether the filter exports it or not (a missing one crashes the
worker), so each probe exports the full 0.2.1 set unless it tests exactly that. Observations go
through proxy_log (the judge prints the host's error.log) or through the outcome of start-up and
of one GET request.
"""

from __future__ import annotations

import wasmtime

LOG = '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
MEM = '(memory (export "memory") 1)'
MARKER = '(func (export "proxy_abi_version_0_2_1"))'
MALLOC = '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'
VM_START = '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))'
CONFIGURE = '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))'
CONTEXT = '(func (export "proxy_on_context_create") (param i32 i32))'
CORE = VM_START + CONFIGURE + CONTEXT
HEADERS = ('(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) '
           '(i32.const 0))')
RESPONSE = '''
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))'''
ENDS = '''
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_delete") (param i32))'''
HTTP = '''
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))''' \
    + RESPONSE + ENDS
FULL = MARKER + MALLOC + CORE + HTTP  # everything but proxy_on_request_headers


def headers(body: str) -> str:
    return ('(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) '
            f'{body} (i32.const 0))')


def mod(*parts: str) -> str:
    return "(module " + "\n".join(parts) + ")"


def _import(module: str, name: str, sig: str, local: str = "$f") -> str:
    return f'(import "{module}" "{name}" (func {local} {sig}))'


# Start-up probes: each start-up export writes its own letter into "started:____", and
# proxy_on_request_headers logs that text, so the log tells which of them ran.
def _startup(*exports: str) -> str:
    funcs = [f'(func (export "{e}") (i32.store8 (i32.const {2008 + i}) (i32.const {65 + i})))'
             for i, e in enumerate(exports)]
    return mod(LOG, MEM, '(data (i32.const 2000) "started:____")', *funcs, FULL,
               headers('(drop (call $log (i32.const 2) (i32.const 2000) (i32.const 12)))'))


def _say_from(where: str, text: str) -> str:
    """An export `where` that proxy_logs `text`."""
    return (f'(data (i32.const 2000) "{text}")'
            f'(func (export "{where}") (drop (call $log (i32.const 2) (i32.const 2000) '
            f'(i32.const {len(text)}))))')


def _zeros(n: int) -> str:
    return " ".join(["(i32.const 0)"] * n)


PROBES: dict[str, str] = {
    "minimal": mod(MEM, FULL, HEADERS),
    "alloc_on_memory_allocate_only": mod(
        MEM, MARKER, '(func (export "proxy_on_memory_allocate") (param i32) (result i32) '
        '(i32.const 1024))', CORE, HTTP, HEADERS),
    "alloc_none": mod(MEM, MARKER, CORE, HTTP, HEADERS),
    "unknown_import": mod(_import("env", "proxy_foo", "(param i32) (result i32)"), MEM, FULL,
                          HEADERS),
    "log_wrong_type": mod(_import("env", "proxy_log", "(param i32 i32) (result i32)"), MEM, FULL,
                          HEADERS),
    # the Rust and Go SDKs' declaration, called from on_request_headers
    "get_log_level_sdk_signature": mod(
        _import("env", "proxy_get_log_level", "(param i32) (result i32)"), MEM, FULL,
        headers("(drop (call $f (i32.const 3000)))")),
    # Kong's own declaration of it
    "get_log_level_kong_signature": mod(
        _import("env", "proxy_get_log_level", "(param i32 i32) (result i32)"), MEM, FULL,
        HEADERS),
    "no_marker": mod(MEM, MALLOC, CORE, HTTP, HEADERS),
    "marker_0_2_100_only": mod(MEM, '(func (export "proxy_abi_version_0_2_100"))', MALLOC, CORE,
                               HTTP, HEADERS),
    "stub_grpc_call": mod(_import("env", "proxy_grpc_call", "(param " + "i32 " * 12
                                  + ") (result i32)"), MEM, FULL,
                          headers(f"(drop (call $f {_zeros(12)}))")),
    "stub_get_status": mod(_import("env", "proxy_get_status", "(param i32 i32 i32) (result i32)"),
                           MEM, FULL, headers(f"(drop (call $f {_zeros(3)}))")),
    "stub_done": mod(_import("env", "proxy_done", "(result i32)"), MEM, FULL,
                     headers("(drop (call $f))")),
    "wasi_proc_exit": mod(_import("wasi_snapshot_preview1", "proc_exit", "(param i32)"), MEM, FULL,
                          headers("(call $f (i32.const 0))")),
    # WASI outside Kong's own 18: wasmtime's WASI has them
    "wasi_fd_filestat_get": mod(
        _import("wasi_snapshot_preview1", "fd_filestat_get", "(param i32 i32) (result i32)"), MEM,
        FULL, headers("(drop (call $f (i32.const 1) (i32.const 3000)))")),
    "wasi_path_create_directory": mod(
        _import("wasi_snapshot_preview1", "path_create_directory",
                "(param i32 i32 i32) (result i32)"), MEM, FULL, HEADERS),
    # Kong 0.6's own WASI has these three, 0.5's does not (wasmtime's WASI under it has them)
    "wasi_sched_yield": mod(_import("wasi_snapshot_preview1", "sched_yield", "(result i32)"), MEM,
                            FULL, headers("(drop (call $f))")),
    "wasi_fd_fdstat_set_flags": mod(
        _import("wasi_snapshot_preview1", "fd_fdstat_set_flags", "(param i32 i32) (result i32)"),
        MEM, FULL, headers("(drop (call $f (i32.const 1) (i32.const 0)))")),
    # a foreign function other than resolve_lua (0.6: 'unknown foreign function'; 0.5: NYI)
    "foreign_call_unknown": mod(
        _import("env", "proxy_call_foreign_function", "(param i32 i32 i32 i32 i32 i32) "
                "(result i32)"), MEM, '(data (i32.const 2000) "compress")', FULL,
        headers("(drop (call $f (i32.const 2000) (i32.const 8) (i32.const 0) (i32.const 0) "
                "(i32.const 3000) (i32.const 3004)))")),
    "wasi_unknown": mod(_import("wasi_snapshot_preview1", "fd_frobnicate",
                                "(param i32) (result i32)"), MEM, FULL, HEADERS),
    "start_only": _startup("_start"),
    "initialize_only": _startup("_initialize"),
    "start_then_initialize": _startup("_start", "_initialize"),
    "initialize_then_start": _startup("_initialize", "_start"),
    "main_only": mod(LOG, MEM, '(data (i32.const 2000) "started:____")',
                     '(func (export "main") (param i32 i32) (result i32) '
                     '(i32.store8 (i32.const 2008) (i32.const 77)) (i32.const 0))', FULL,
                     headers('(drop (call $log (i32.const 2) (i32.const 2000) (i32.const 12)))')),
    "start_traps": mod(MEM, '(func (export "_start") unreachable)', FULL, HEADERS),
    "start_calls_proxy_log": mod(LOG, MEM, _say_from("_start", "hello from _start"), FULL,
                                 HEADERS),
    "initialize_calls_proxy_log": mod(LOG, MEM, _say_from("_initialize", "hello from init"), FULL,
                                      HEADERS),
    "start_section_calls_proxy_log": mod(
        LOG, MEM, '(data (i32.const 2000) "hello")',
        '(func $s (drop (call $log (i32.const 2) (i32.const 2000) (i32.const 5))))', '(start $s)',
        FULL, HEADERS),
    "start_calls_wasi_random_get": mod(
        _import("wasi_snapshot_preview1", "random_get", "(param i32 i32) (result i32)"), MEM,
        '(func (export "_start") (drop (call $f (i32.const 3000) (i32.const 8))))', FULL, HEADERS),
    "vm_start_calls_proxy_log": mod(
        LOG, MEM, '(data (i32.const 2000) "hello from on_vm_start")', MARKER, MALLOC,
        '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) '
        '(drop (call $log (i32.const 2) (i32.const 2000) (i32.const 22))) (i32.const 1))',
        CONFIGURE, CONTEXT, HTTP, HEADERS),
    "headers_wrong_signature": mod(MEM, FULL, '(func (export "proxy_on_request_headers") '
                                   '(param i32) (result i32) (i32.const 0))'),
    "context_create_wrong_signature": mod(
        MEM, MARKER, MALLOC, VM_START, CONFIGURE,
        '(func (export "proxy_on_context_create") (param i32 i32 i32) (result i64) (i64.const 0))',
        HTTP, HEADERS),
    "no_on_configure": mod(MEM, MARKER, MALLOC, VM_START, CONTEXT, HTTP, HEADERS),
    "vm_start_returns_0": mod(MEM, MARKER, MALLOC,
                              '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) '
                              '(i32.const 0))', CONFIGURE, CONTEXT, HTTP, HEADERS),
    "configure_returns_0": mod(MEM, MARKER, MALLOC, VM_START,
                               '(func (export "proxy_on_configure") (param i32 i32) (result i32) '
                               '(i32.const 0))', CONTEXT, HTTP, HEADERS),
    "no_on_request_headers": mod(MEM, FULL),
    "no_on_response_headers": mod(MEM, MARKER, MALLOC, CORE, HEADERS, ENDS),
    "no_on_log_done_delete": mod(MEM, MARKER, MALLOC, CORE, HEADERS, RESPONSE),
    "headers_traps": mod(MEM, FULL, headers("unreachable")),
    "no_memory_export": mod("(memory 1)", FULL, HEADERS),
    "proposal_tail_call": mod(MEM, FULL, '(func $t (result i32) (i32.const 0))',
                              '(func (export "proxy_on_request_headers") (param i32 i32 i32) '
                              '(result i32) (return_call $t))'),
    "proposal_extended_const": mod(MEM, FULL, HEADERS,
                                   '(global i32 (i32.add (i32.const 1) (i32.const 2)))'),
    "proposal_multi_memory": mod(MEM, "(memory 1)", FULL, HEADERS),
    "proposal_relaxed_simd": mod(MEM, FULL, HEADERS, '(func (result v128) '
                                 '(i32x4.relaxed_trunc_f32x4_s (v128.const i32x4 0 0 0 0)))'),
    "proposal_threads": mod('(memory (export "memory") 1 2 shared)', FULL, HEADERS),
    "proposal_memory64": mod('(memory (export "memory") i64 1)', FULL, HEADERS),
    "proposal_exceptions": mod(MEM, FULL, HEADERS,
                               "(tag $e) (func (try_table (catch_all 0) (throw $e)))"),
    "proposal_function_references": mod(MEM, FULL, HEADERS, "(type $t (func)) (func $g) "
                                        "(elem declare func $g) (func (call_ref $t (ref.func $g)))"),
    "proposal_gc": mod(MEM, FULL, HEADERS, "(type $s (struct (field i32))) "
                       "(func (drop (struct.new $s (i32.const 1))))"),
}

RAW: dict[str, bytes] = {
    "corrupt_section": b"\x00asm\x01\x00\x00\x00\xff\xff",
    "not_wasm": b"garbage",
}

NAMES = [*PROBES, *RAW]


def build(name: str) -> bytes:
    if name in RAW:
        return RAW[name]
    return bytes(wasmtime.wat2wasm(PROBES[name]))
