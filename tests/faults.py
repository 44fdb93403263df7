"""Single-fault modules, one or more per failure class the checks know, built from WAT.

Each starts from a module that loads on every V8 build and changes one thing.
"""

from __future__ import annotations

MEM = '(memory (export "memory") 1)'
MARKER = '(func (export "proxy_abi_version_0_2_1"))'
MALLOC = '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'
CALLBACKS = ('(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))'
             '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))'
             '(func (export "proxy_on_context_create") (param i32 i32))')


def _m(*parts: str, marker: str = MARKER, malloc: str = MALLOC, mem: str = MEM,
       callbacks: str = CALLBACKS) -> str:
    return f"(module {' '.join(parts)} {mem} {marker} {malloc} {callbacks})"


V128 = "(v128.const i32x4 0 0 0 0)"
LOG = '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
GET_PROP = '(import "env" "proxy_get_property" (func $gp (param i32 i32 i32 i32) (result i32)))'

FAULTS: dict[str, str] = {
    "base": _m(),
    # ABI marker
    "abi-none": _m(marker=""),
    "abi-global": _m(marker='(global (export "proxy_abi_version_0_2_1") i32 (i32.const 0))'),
    "abi-vnext": _m(marker='(func (export "proxy_abi_version_0_x_x"))'),
    "abi-0.1.0": _m(marker='(func (export "proxy_abi_version_0_1_0"))'),
    "abi-two-first-wins": _m('(import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))',
                             marker='(func (export "proxy_abi_version_0_2_1")) (func (export "proxy_abi_version_0_1_0"))'),
    # imports
    "import-missing": _m('(import "env" "proxy_does_not_exist" (func (param i32) (result i32)))'),
    "import-two-missing": _m('(import "env" "proxy_a" (func)) (import "env" "proxy_b" (func))'),
    "import-unknown-module": _m('(import "foo" "proxy_log" (func (param i32 i32 i32) (result i32)))'),
    "import-mismatch": _m('(import "env" "proxy_log" (func (param i32 i32) (result i32)))'),
    "import-mismatch-then-missing": _m('(import "env" "proxy_log" (func (param i32 i32) (result i32)))'
                                       '(import "env" "proxy_nope" (func))'),
    "import-other-abi": _m('(import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))'),
    "import-0.1.0-void-continue": _m('(import "env" "proxy_continue_request" (func))',
                                     marker='(func (export "proxy_abi_version_0_1_0"))'),
    "import-0.2.0-log-level": _m('(import "env" "proxy_get_log_level" (func (param i32) (result i32)))',
                                 marker='(func (export "proxy_abi_version_0_2_0"))'),
    "wasi-sock-accept": _m('(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))'),
    "wasi-unstable-poll": _m('(import "wasi_unstable" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))'),
    "wasi-unknown": _m('(import "wasi_snapshot_preview1" "proc_raise" (func (param i32) (result i32)))'),
    "import-global": _m('(import "env" "__stack_pointer" (global (mut i32)))'),
    "import-tag": _m('(import "env" "tag" (tag (param i32)))'),
    "import-memory-table": _m('(import "env" "table" (table 1 funcref))', mem='(import "env" "memory" (memory 1))'),
    "import-shims": _m('(import "env" "pthread_equal" (func (param i32 i32) (result i32)))'
                       '(import "env" "emscripten_notify_memory_growth" (func (param i32)))'),
    "import-envoy-resolve-dns": _m('(import "env" "envoy_resolve_dns" (func (param i32 i32 i32) (result i32)))'),
    # allocator
    "alloc-none": _m(malloc=""),
    "alloc-alias": _m(malloc='(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))'),
    "alloc-malloc-i64": _m(malloc='(func (export "malloc") (param i64) (result i32) (i32.const 0))'),
    "alloc-bad-malloc-good-alias": _m(malloc='(func (export "malloc") (param i64) (result i32) (i32.const 0))'
                                      '(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))'),
    # callbacks
    "cb-headers-0.1.0-type": _m('(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))'),
    "cb-vm-start-type": _m(callbacks='(func (export "proxy_on_vm_start") (param i32) (result i32) (i32.const 1))'),
    "cb-typo": _m('(func (export "proxy_on_request_header") (param i32 i32 i32) (result i32) (i32.const 0))'),
    "cb-two-bad": _m('(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))'
                     '(func (export "proxy_on_tick") (param i32 i32))'),
    "cb-envoy-on-resolve-dns-type": _m('(func (export "envoy_on_resolve_dns") (param i32 i32) (result i32) (i32.const 0))'),
    "cb-envoy-on-stats-update-type": _m('(func (export "envoy_on_stats_update") (param i32))'),
    # start-up
    "start-restricted-call": _m(GET_PROP, '(func (export "_initialize") (drop (call $gp (i32.const 0) '
                                '(i32.const 0) (i32.const 0) (i32.const 0))))'),
    "start-allowed-call": _m(LOG, '(func (export "_initialize") (drop (call $log (i32.const 2) '
                             '(i32.const 0) (i32.const 0))))'),
    "start-main-void-type": _m('(func (export "_initialize")) (func (export "__main_void"))'),
    "start-initialize-type": _m('(func (export "_initialize") (param i32))'),
    "start-section-host-call": _m(LOG, '(func $s (drop (call $log (i32.const 2) (i32.const 0) '
                                  '(i32.const 0)))) (start $s)'),
    "start-ctors-only": _m('(func (export "__wasm_call_ctors") unreachable)'),
    "start-initialize-traps": _m('(func $panic unreachable) (func (export "_initialize") (call $panic))'),
    "start-initialize-traps-maybe": _m('(func (export "_initialize") (param) (if (i32.eqz (i32.const 1)) (then unreachable)))'),
    # memory
    "memory-none": _m(mem=""),
    "memory-32768": _m(mem='(memory (export "memory") 32768)'),
    "memory-16384": _m(mem='(memory (export "memory") 16384)'),
    "memory64": _m(mem='(memory (export "memory") i64 1)'),
    # proposals (all accepted by V8 13.8 / 14.6)
    "feature-multi-value": _m('(func (result i32 i32) (i32.const 1) (i32.const 2))'),
    "feature-simd": _m('(func (drop (v128.const i32x4 0 0 0 0)))'),
    "feature-relaxed-simd": _m('(func (drop (f32x4.relaxed_madd (v128.const i32x4 0 0 0 0) '
                               '(v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0))))'),
    "feature-tail-call": _m('(func $t (return_call $t))'),
    "feature-gc": _m('(type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1))))'),
    "feature-exnref": _m('(tag $e) (func (block $h (result exnref) (try_table (catch_all_ref $h) '
                         '(throw $e)) (unreachable)) (drop))'),
    "feature-reference-types": _m('(table 2 funcref) (table 1 externref) (func (drop (ref.null extern)))'),
    # V8's C API: a type it cannot represent in an import or export aborts the process
    "capi-v128-export-result": _m(f'(func (export "simd") (result v128) {V128})'),
    "capi-v128-export-param": _m('(func (export "simd") (param v128))'),
    "capi-v128-import-param": _m('(import "env" "proxy_log" (func (param v128)))'),
    "capi-v128-import-missing": _m('(import "env" "proxy_nope" (func (param v128)))'),
    "capi-v128-global-export": _m(f'(global (export "g") v128 {V128})'),
    "capi-v128-global-import": _m('(import "env" "g" (global v128))'),
    "capi-typed-ref-table-export": _m('(type $t (func)) (table (export "t") 1 (ref null $t))'),
    "capi-typed-ref-param-export": _m('(type $t (func)) (func (export "f") (param (ref null $t)))'),
    "capi-anyref-param-export": _m('(func (export "f") (param anyref))'),
    "capi-eqref-global-export": _m('(global (export "g") eqref (ref.null eq))'),
    "capi-exnref-param-export": _m('(func (export "f") (param exnref))'),
    "capi-tag-export": _m('(tag (export "t") (param i32))'),
    "capi-export-after-missing-import": _m('(import "env" "proxy_nope" (func)) (func (export "simd") (param v128))'),
    # members of no crash class: the same types inside the module, mapped reference types
    "capi-internal-types": _m(f'(type $t (func)) (func (param v128 (ref null $t) anyref exnref)) '
                              f'(global v128 {V128}) (tag $e (param i32))'),
    "capi-mapped-refs-export": _m('(func (export "f") (param funcref externref (ref func) (ref null extern)))'),
}

# Not Wasm modules at all: name -> bytes
RAW: dict[str, bytes] = {
    "raw-text": b"(module)\n",
    "raw-version-2": b"\0asm\x02\x00\x00\x00",
}
