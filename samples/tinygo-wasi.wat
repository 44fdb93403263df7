;; The shape of a TinyGo + proxy-wasm-go-sdk filter (wasi target): many wasi_snapshot_preview1
;; imports, among them fd_prestat_get / fd_prestat_dir_name (wasi-libc's preopen scan, run from
;; _start) and path_open, which hosts before Envoy 1.21 / Istio 1.13 do not provide; exports
;; malloc/free/calloc/realloc beside proxy_on_memory_allocate. Function names follow TinyGo's.
(module
  (@producers (processed-by "TinyGo" "0.28.1"))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func (param i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func (param i32 i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))

  (func $runtime.alloc (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (i32.and (i32.add (local.get $size) (i32.const 15)) (i32.const -16))))
    (local.get $ptr))
  ;; wasi-libc: scan preopened directories (fd 3, 4, ...) until EBADF
  (func $__wasilibc_populate_preopens
    (drop (call $fd_prestat_get (i32.const 3) (i32.const 0))))
  (func $runtime.run (call $__wasilibc_populate_preopens))
  (func (export "_start") (call $runtime.run))
  (func (export "malloc") (param i32) (result i32) (call $runtime.alloc (local.get 0)))
  (func (export "free") (param i32))
  (func (export "calloc") (param i32 i32) (result i32) (call $runtime.alloc (i32.mul (local.get 0) (local.get 1))))
  (func (export "realloc") (param i32 i32) (result i32) (call $runtime.alloc (local.get 1)))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (call $runtime.alloc (local.get 0)))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_tick") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32))
)
