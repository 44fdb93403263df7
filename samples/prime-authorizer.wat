;; prime-authorizer: the filter of the seed story, hand-written with the import/export surface of a
;; Rust proxy-wasm SDK 0.1.0 build for wasm32-unknown-unknown (proxy-wasm-rust-sdk v0.1.0,
;; 3ebf309fd72d2545f3909d2adc13b2450567057e): ABI marker proxy_abi_version_0_1_0, allocator
;; `malloc` without `free`, a user-written `_start`, the SDK's 20 callbacks with their 0.1.0 types,
;; and the 26 env host functions the SDK declares (all stay imported: the SDK's trait-object
;; vtables reference every default method). Imports are in the SDK's declaration order.
;;
;; Behaviour: reads request header `token`; a prime number continues the request, anything else
;; gets a local 403 "Access forbidden.".
(module
  (@producers (language "Rust" "") (processed-by "rustc" "1.42.0") (sdk "proxy-wasm" "0.1.0"))
  (type $i_i (func (param i32) (result i32)))
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_current_time_nanoseconds" (func (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func (param i32) (result i32)))
  (import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_set_header_map_pairs" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_header (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_remove_header_map_value" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_property" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_resolve_shared_queue" (func (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func (param i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_request" (func (result i32)))
  (import "env" "proxy_continue_response" (func (result i32)))
  (import "env" "proxy_send_local_response" (func $send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_clear_route_cache" (func (result i32)))
  (import "env" "proxy_http_call" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func (param i32) (result i32)))
  (import "env" "proxy_done" (func (result i32)))

  (memory (export "memory") 17)
  (global $stack_pointer (mut i32) (i32.const 1048576))
  (global $heap (mut i32) (i32.const 1114112))
  (global (export "__data_end") i32 (i32.const 1049600))
  (global (export "__heap_base") i32 (i32.const 1114112))

  (data (i32.const 1048576) "token")
  (data (i32.const 1048592) "Access forbidden.")

  ;; ---- SDK surface -------------------------------------------------------------------------
  (func (export "proxy_abi_version_0_1_0"))

  ;; Bump allocator: the host calls it to hand header values to the filter.
  (func $malloc (export "malloc") (type $i_i) (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end)
                      (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1)))
                    (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; The user's `#[no_mangle] pub fn _start()` (registers the HTTP context factory in Rust).
  (func (export "_start"))

  (func $is_prime (param $n i64) (result i32)
    (local $d i64)
    (if (i64.lt_u (local.get $n) (i64.const 2)) (then (return (i32.const 0))))
    (local.set $d (i64.const 2))
    (block $done
      (loop $next
        (br_if $done (i64.gt_u (i64.mul (local.get $d) (local.get $d)) (local.get $n)))
        (if (i64.eqz (i64.rem_u (local.get $n) (local.get $d))) (then (return (i32.const 0))))
        (local.set $d (i64.add (local.get $d) (i64.const 1)))
        (br $next)))
    (i32.const 1))

  ;; Decimal digits -> number; -1 when empty, not a number or above 10^18.
  (func $parse (param $ptr i32) (param $len i32) (result i64)
    (local $i i32) (local $c i32) (local $n i64)
    (if (i32.or (i32.eqz (local.get $len)) (i32.gt_u (local.get $len) (i32.const 18)))
      (then (return (i64.const -1))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.sub (i32.load8_u (i32.add (local.get $ptr) (local.get $i))) (i32.const 48)))
        (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i64.const -1))))
        (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; 0.1.0: (context_id, num_headers) -> Action (0 = Continue, 1 = Pause)
  (func (export "proxy_on_request_headers") (param $ctx i32) (param $num i32) (result i32)
    (local $n i64)
    (local.set $n (i64.const -1))
    ;; map type 0 = request headers; results land at 1048608 (pointer) and 1048612 (size)
    (if (i32.eqz (call $get_header (i32.const 0) (i32.const 1048576) (i32.const 5)
                       (i32.const 1048608) (i32.const 1048612)))
      (then (local.set $n (call $parse (i32.load (i32.const 1048608)) (i32.load (i32.const 1048612))))))
    (if (i32.and (i64.ne (local.get $n) (i64.const -1)) (call $is_prime (local.get $n)))
      (then (return (i32.const 0))))
    (drop (call $send_local_response (i32.const 403) (i32.const 0) (i32.const 0)
                (i32.const 1048592) (i32.const 17) (i32.const 0) (i32.const 0) (i32.const -1)))
    (i32.const 1))

  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_delete") (param i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_tick") (param i32))
  (func (export "proxy_on_queue_ready") (param i32 i32))
  (func (export "proxy_on_new_connection") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_downstream_connection_close") (param i32 i32))
  (func (export "proxy_on_upstream_data") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_upstream_connection_close") (param i32 i32))
  (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_request_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_trailers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_http_call_response") (param i32 i32 i32 i32 i32))
)
