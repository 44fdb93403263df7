"""Probe modules for the APISIX wasm-nginx-module judge (test_apisix_judge.py).

Each probe makes one host behaviour observable through proxy_log lines (the judge prints the
host's error.log) or through the outcome of wasm.load / on_configure / on_http_request_headers.
"""

from __future__ import annotations

import wasmtime

LOG = '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
# $say: proxy_log at info of a data segment; $rc: logs "rc=NN" for a host call's result
HELPERS = '''
  (memory (export "memory") 1)
  (data (i32.const 16) "configured-ok")
  (data (i32.const 48) "headers-ok")
  (data (i32.const 64) "start-ran")
  (data (i32.const 80) "initialize-ran")
  (data (i32.const 96) "main-ran")
  (data (i32.const 112) "rc=")
  (func $say (param i32 i32) (drop (call $log (i32.const 2) (local.get 0) (local.get 1))))
  (func $rc (param i32)
    (i32.store8 (i32.const 115) (i32.add (i32.const 48) (i32.div_u (local.get 0) (i32.const 10))))
    (i32.store8 (i32.const 116) (i32.add (i32.const 48) (i32.rem_u (local.get 0) (i32.const 10))))
    (call $say (i32.const 112) (i32.const 5)))
'''
MARKER = '(func (export "proxy_abi_version_0_2_1"))'
MALLOC = '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'
CONTEXT = '''
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
'''
CONFIGURE = '''(func (export "proxy_on_configure") (param i32 i32) (result i32)
    (call $say (i32.const 16) (i32.const 13)) (i32.const 1))'''
HEADERS = '''(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $say (i32.const 48) (i32.const 10)) (i32.const 0))'''
# proxy_get_buffer_bytes(PluginConfiguration=7, 0, len, &ptr, &len): the host allocates in the
# module (malloc / proxy_on_memory_allocate); rc logged, then the configuration itself
CONFIGURE_READS = ('''
  (import "env" "proxy_get_buffer_bytes"
    (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))''', '''
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (call $rc (call $get_buffer (i32.const 7) (i32.const 0) (local.get 1) (i32.const 200) (i32.const 204)))
    (call $say (i32.load (i32.const 200)) (i32.load (i32.const 204)))
    (i32.const 1))''')


def _stub_call(name: str, params: int) -> str:
    args = " ".join("(i32.const 0)" for _ in range(params))
    return (f'(import "env" "{name}" (func $stub (param {" ".join(["i32"] * params)}) (result i32)))',
            f'''
  {CONFIGURE}
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $rc (call $stub {args})) (i32.const 0))''')


def _filter(*parts: str | tuple[str, str], log: bool = True, helpers: bool = True) -> str:
    """A module from parts: a string starting with "(import" or a tuple's first item is an
    import (imports go first), anything else a definition."""
    imports, rest = [LOG] if log else [], [HELPERS] if helpers else []
    for p in parts:
        if isinstance(p, tuple):
            imports.append(p[0])
            rest.append(p[1])
        elif p.lstrip().startswith("(import"):
            imports.append(p)
        else:
            rest.append(p)
    return "(module " + " ".join(imports + rest) + ")"


START = '(func (export "_start") (call $say (i32.const 64) (i32.const 9)))'
INITIALIZE = '(func (export "_initialize") (call $say (i32.const 80) (i32.const 14)))'

PROBES: dict[str, str] = {
    "minimal": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "unknown_import": _filter('(import "env" "proxy_foo" (func (param i32) (result i32)))',
                              MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "log_wrong_type": _filter(MARKER, MALLOC, CONTEXT, '''
  (import "env" "proxy_log" (func $badlog (param i32 i32) (result i32)))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))''', log=False,
                              helpers=False),
    "get_metric_sdk_signature": _filter(
        '(import "env" "proxy_get_metric" (func $gm (param i32 i32) (result i32)))',
        MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "get_metric_declared_signature": _filter(
        '(import "env" "proxy_get_metric" (func $gm (param i32 i64) (result i32)))',
        MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "no_marker": _filter(MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "marker_0_2_100_only": _filter('(func (export "proxy_abi_version_0_2_100"))', MALLOC, CONTEXT,
                                   CONFIGURE, HEADERS),
    "marker_0_1_0_headers_3_params": _filter('(func (export "proxy_abi_version_0_1_0"))', MALLOC,
                                             CONTEXT, CONFIGURE, HEADERS),
    "alloc_malloc": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE_READS, HEADERS),
    "alloc_on_memory_allocate_only": _filter(
        MARKER, '(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))',
        CONTEXT, CONFIGURE_READS, HEADERS),
    "alloc_none": _filter(MARKER, CONTEXT, CONFIGURE_READS, HEADERS),
    "alloc_none_unused": _filter(MARKER, CONTEXT, CONFIGURE, HEADERS),
    "stub_get_shared_data": _filter(MARKER, MALLOC, CONTEXT, _stub_call("proxy_get_shared_data", 5)),
    "stub_grpc_call": _filter(MARKER, MALLOC, CONTEXT, _stub_call("proxy_grpc_call", 12)),
    "stub_get_current_time": _filter(MARKER, MALLOC, CONTEXT,
                                     _stub_call("proxy_get_current_time_nanoseconds", 1)),
    "wasi_fd_filestat_get_import": _filter(
        '(import "wasi_snapshot_preview1" "fd_filestat_get" (func (param i32 i32) (result i32)))',
        MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "wasi_unstable_import": _filter(
        '(import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
        MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "wasi_proc_exit_in_start": _filter(
        '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))',
        '(func (export "_start") (call $exit (i32.const 0)))',
        MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "wasi_proc_exit_1_in_start": _filter(
        '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))',
        '(func (export "_start") (call $exit (i32.const 1)))',
        MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "start_only": _filter(START, MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "initialize_only": _filter(INITIALIZE, MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "start_then_initialize": _filter(START, INITIALIZE, MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "initialize_then_start": _filter(INITIALIZE, START, MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "main_only": _filter('(func (export "main") (param i32 i32) (result i32) '
                         '(call $say (i32.const 96) (i32.const 8)) (i32.const 0))',
                         MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS),
    "start_traps": _filter('(func (export "_start") unreachable)', MARKER, MALLOC, CONTEXT,
                           CONFIGURE, HEADERS),
    "start_wrong_signature": _filter('(func (export "_start") (param i32))', MARKER, MALLOC,
                                     CONTEXT, CONFIGURE, HEADERS),
    "no_memory_export": '(module ' + LOG + MARKER + MALLOC + CONTEXT +
        '(memory 1) (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1)))',
    "no_on_configure": _filter(MARKER, MALLOC, CONTEXT, HEADERS),
    "configure_returns_0": _filter(MARKER, MALLOC, CONTEXT,
                                   '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0))',
                                   HEADERS),
    "configure_wrong_signature": _filter(MARKER, MALLOC, CONTEXT,
                                         '(func (export "proxy_on_configure") (param i32) (result i32) (i32.const 1))',
                                         HEADERS),
    "headers_wrong_signature": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE,
                                       '(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))'),
    "headers_traps": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE,
                             '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable)'),
    "context_create_wrong_signature": _filter(MARKER, MALLOC, CONFIGURE, HEADERS,
                                              '(func (export "proxy_on_context_create") (param i32) )',
                                              '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))'),
    "no_on_done": _filter(MARKER, MALLOC, '(func (export "proxy_on_context_create") (param i32 i32))',
                          CONFIGURE, HEADERS),
    "proposal_tail_call": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS,
                                  '(func $t (result i32) (return_call $t))'),
    "proposal_multi_memory": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS, '(memory $m2 1)'),
    "proposal_memory64": '(module (memory (export "memory") i64 1)' + MARKER + MALLOC + CONTEXT +
        '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1)))',
    "proposal_threads": '(module (memory (export "memory") 1 1 shared)' + MARKER + MALLOC + CONTEXT +
        '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1)))',
    "proposal_simd": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS,
                             '(func (result v128) (v128.const i64x2 0 0))'),
    "proposal_exceptions": _filter(MARKER, MALLOC, CONTEXT, CONFIGURE, HEADERS,
                                   '(tag $e) (func (throw $e))'),
}


def build(name: str) -> bytes:
    cfg = wasmtime.Config()
    for feature in ("wasm_multi_memory", "wasm_memory64", "wasm_threads", "wasm_tail_call",
                    "wasm_exceptions"):
        if hasattr(cfg, feature):
            setattr(cfg, feature, True)
    return bytes(wasmtime.wat2wasm(PROBES[name]))
