;; The shape of an AssemblyScript filter built with @solo-io/proxy-runtime: ABI 0.2.0 marker,
;; `malloc` allocator exported by the runtime, AssemblyScript's memory manager exports (__new,
;; __pin, __unpin, __collect, __rtti_base). Built as proxy-runtime documents it, with
;; `--use abort=abort_proc_exit`: AssemblyScript's default env.abort import is routed to WASI
;; proc_exit, because no Proxy-Wasm host provides env.abort.
(module
  (import "wasi_unstable" "proc_exit" (func $proc_exit (param i32)))
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func (param i32) (result i32)))
  (import "env" "proxy_done" (func (result i32)))

  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 8192))
  (global (export "__rtti_base") i32 (i32.const 1024))

  (func $__new (export "__new") (param $size i32) (param $id i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (i32.and (i32.add (local.get $size) (i32.const 15)) (i32.const -16))))
    (local.get $ptr))
  (func (export "__pin") (param i32) (result i32) (local.get 0))
  (func (export "__unpin") (param i32))
  (func (export "__collect"))
  (func (export "malloc") (param $size i32) (result i32) (call $__new (local.get $size) (i32.const 0)))
  (func (export "_start"))
  (func (export "proxy_abi_version_0_2_0"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)
