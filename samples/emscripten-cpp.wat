;; The shape of a C++ proxy-wasm-cpp-sdk filter built with Emscripten (STANDALONE_WASM reactor):
;; `_initialize`, malloc/free, stackSave/stackRestore, and env.emscripten_notify_memory_growth,
;; which Envoy registers only from 1.23 on (cpp-host 2cf68d6c). Memory growth notifies the host
;; from malloc, outside start-up.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "emscripten_notify_memory_growth" (func $notify (param i32)))
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func (param i32) (result i32)))

  (memory (export "memory") 16)
  (global $sp (mut i32) (i32.const 65536))
  (global $heap (mut i32) (i32.const 131072))

  (func $__wasm_call_ctors)
  (func (export "_initialize") (call $__wasm_call_ctors))
  (func (export "malloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 1))) (call $notify (i32.const 0))))
    (local.get $ptr))
  (func (export "free") (param i32))
  (func (export "stackSave") (result i32) (global.get $sp))
  (func (export "stackRestore") (param i32) (global.set $sp (local.get 0)))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)
