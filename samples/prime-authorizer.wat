;; prime-authorizer: the filter of the seed story, hand-written with the import/export surface of a
;; Rust proxy-wasm SDK 0.1.0 build for wasm32-unknown-unknown (proxy-wasm-rust-sdk v0.1.0,
;; 3ebf309fd72d2545f3909d2adc13b2450567057e): ABI marker proxy_abi_version_0_1_0, allocator
;; `malloc` without `free`, a user-written `_start`, the SDK's 20 callbacks with their 0.1.0 types,
;; and the 26 env host functions the SDK declares (all stay imported: the SDK's trait-object
;; vtables reference every default method). Imports are in the SDK's declaration order.
;;
;; Behaviour, as the seed's Rust source has it:
;;
;;   #[no_mangle]
;;   pub fn _start() {
;;       proxy_wasm::set_log_level(LogLevel::Trace);      // installs the SDK's panic hook
;;       proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(PrimeAuthorizer) });
;;   }
;;   impl HttpContext for PrimeAuthorizer {
;;       fn on_http_request_headers(&mut self, _: usize) -> Action {
;;           match self.get_http_request_header("token") {
;;               Some(token) if is_prime(token.parse().unwrap()) => {
;;                   self.resume_http_request();
;;                   Action::Continue
;;               }
;;               _ => {
;;                   self.send_http_response(403, vec![], Some(b"Access forbidden.\n"));
;;                   Action::Pause
;;               }
;;           }
;;       }
;;   }
;;
;; so a token that is not a number (or is above u64::MAX) panics inside the proxy: the SDK's
;; panic hook logs "panicked at '...', src/lib.rs:26:48" at critical level through proxy_log,
;; then panic=abort ends in `unreachable`. The SDK itself panics on a header value that is not
;; UTF-8 (String::from_utf8(..).unwrap() in hostcalls::get_map_value) and on any status other
;; than Ok. The panic paths below reproduce Rust 1.42's messages (`{:?}` of the error values).
;; Function names in the name section are the Rust symbols' demangled names.
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
  (import "env" "proxy_get_header_map_value" (func $proxy_get_header_map_value (param i32 i32 i32 i32 i32) (result i32)))
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
  (import "env" "proxy_continue_request" (func $proxy_continue_request (result i32)))
  (import "env" "proxy_continue_response" (func (result i32)))
  (import "env" "proxy_send_local_response" (func $proxy_send_local_response (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_clear_route_cache" (func (result i32)))
  (import "env" "proxy_http_call" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func (param i32) (result i32)))
  (import "env" "proxy_done" (func (result i32)))

  (memory (export "memory") 17)
  (global $__stack_pointer (mut i32) (i32.const 1048576))
  (global $heap (mut i32) (i32.const 1114112))
  (global (export "__data_end") i32 (i32.const 1049600))
  (global (export "__heap_base") i32 (i32.const 1114112))
  (global $panic_hook (mut i32) (i32.const 0))  ;; set by set_log_level
  (global $http_context (mut i32) (i32.const 0))  ;; set by set_http_context
  (global $out (mut i32) (i32.const 0))  ;; the panic message being formatted
  (global $out_len (mut i32) (i32.const 0))
  (global $value_ptr (mut i32) (i32.const 0))  ;; the header value read (a String)
  (global $value_len (mut i32) (i32.const 0))
  (global $parse_error (mut i32) (i32.const 0))  ;; 0 ok, 1 Empty, 2 InvalidDigit, 3 Overflow
  (global $valid_up_to (mut i32) (i32.const 0))
  (global $error_len (mut i32) (i32.const 0))  ;; 0: None

  (data (i32.const 1048576) "token")
  (data (i32.const 1048592) "Access forbidden.\n")
  ;; 1048616: the serialized empty header list (u32 count 0); 1048640/1048644: out-params
  (data (i32.const 1048704) "panicked at '")
  (data (i32.const 1048736) "called `Result::unwrap()` on an `Err` value: ")
  (data (i32.const 1048800) "ParseIntError { kind: ")
  (data (i32.const 1048832) "InvalidDigit")
  (data (i32.const 1048848) "Empty")
  (data (i32.const 1048856) "Overflow")
  (data (i32.const 1048864) " }")
  (data (i32.const 1048872) ", ")
  (data (i32.const 1048880) ")")
  (data (i32.const 1048888) "None")
  (data (i32.const 1048896) "Some(")
  (data (i32.const 1048904) " } }")
  (data (i32.const 1048912) "FromUtf8Error { bytes: [")
  (data (i32.const 1048944) "], error: Utf8Error { valid_up_to: ")
  (data (i32.const 1048992) ", error_len: ")
  (data (i32.const 1049008) "unexpected status: ")
  (data (i32.const 1049040) "', ")
  (data (i32.const 1049048) "src/lib.rs:26:48")
  (data (i32.const 1049072) "/root/.cargo/registry/src/github.com-1ecc6299db9ec823/proxy-wasm-0.1.0/src/hostcalls.rs:")
  (data (i32.const 1049168) "203:26")
  (data (i32.const 1049176) "209:23")
  (data (i32.const 1049184) "514:23")
  (data (i32.const 1049192) "563:23")
  ;; 1049216..1049240: digits of a number being formatted

  ;; ---- SDK surface -------------------------------------------------------------------------
  (func (export "proxy_abi_version_0_1_0"))

  ;; Bump allocator (the SDK's `malloc` export over Rust's global allocator).
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

  ;; The user's `#[no_mangle] pub fn _start()`.
  (func (export "_start")
    (call $set_log_level)
    (global.set $http_context (i32.const 1)))

  (func $set_log_level (@name "proxy_wasm::set_log_level")
    (global.set $panic_hook (i32.const 1)))

  ;; ---- the user's code ---------------------------------------------------------------------
  (func $is_prime (@name "prime_authorizer::is_prime") (param $n i64) (result i32)
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

  (func $on_http_request_headers
    (@name "<prime_authorizer::PrimeAuthorizer as proxy_wasm::traits::HttpContext>::on_http_request_headers")
    (result i32)
    (local $n i64)
    (if (call $get_map_value (i32.const 0) (i32.const 1048576) (i32.const 5))
      (then
        (local.set $n (call $from_str (global.get $value_ptr) (global.get $value_len)))
        (if (global.get $parse_error) (then (call $unwrap_failed_parse (global.get $parse_error))))
        (if (call $is_prime (local.get $n))
          (then
            (call $resume_http_request)
            (return (i32.const 0))))))  ;; Action::Continue
    (call $send_http_response)
    (i32.const 1))  ;; Action::Pause

  (func $dispatch_request_headers (@name "proxy_wasm::dispatcher::Dispatcher::on_http_request_headers")
    (param $ctx i32) (param $num i32) (result i32)
    (call $on_http_request_headers))

  ;; 0.1.0: (context_id, num_headers) -> Action (0 = Continue, 1 = Pause)
  (func $proxy_on_request_headers (export "proxy_on_request_headers") (param $ctx i32) (param $num i32) (result i32)
    (call $dispatch_request_headers (local.get $ctx) (local.get $num)))

  ;; ---- the SDK's host-call wrappers -------------------------------------------------------
  ;; Option<String>: 1 with the value in $value_ptr/$value_len, 0 for None.
  (func $get_map_value (@name "proxy_wasm::hostcalls::get_map_value")
    (param $map i32) (param $key i32) (param $key_len i32) (result i32)
    (local $status i32)
    (local.set $status (call $proxy_get_header_map_value (local.get $map) (local.get $key)
                             (local.get $key_len) (i32.const 1048640) (i32.const 1048644)))
    (if (local.get $status) (then (call $panic_status (local.get $status) (i32.const 1049176))))
    (if (i32.eqz (i32.load (i32.const 1048640))) (then (return (i32.const 0))))
    (global.set $value_ptr (i32.load (i32.const 1048640)))
    (global.set $value_len (i32.load (i32.const 1048644)))
    (if (i32.eqz (call $run_utf8_validation (global.get $value_ptr) (global.get $value_len)))
      (then (call $unwrap_failed_utf8 (global.get $value_ptr) (global.get $value_len))))
    (i32.const 1))

  (func $resume_http_request (@name "proxy_wasm::hostcalls::resume_http_request")
    (local $status i32)
    (local.set $status (call $proxy_continue_request))
    (if (local.get $status) (then (call $panic_status (local.get $status) (i32.const 1049184)))))

  (func $send_http_response (@name "proxy_wasm::hostcalls::send_http_response")
    (local $status i32)
    (local.set $status (call $proxy_send_local_response (i32.const 403) (i32.const 0) (i32.const 0)
                             (i32.const 1048592) (i32.const 18) (i32.const 1048616) (i32.const 4)
                             (i32.const -1)))
    (if (local.get $status) (then (call $panic_status (local.get $status) (i32.const 1049192)))))

  ;; ---- core: u64::from_str (Rust 1.42 from_str_radix, radix 10) ------------------------------
  (func $from_str (@name "core::num::<impl core::str::traits::FromStr for u64>::from_str")
    (param $p i32) (param $len i32) (result i64)
    (local $i i32) (local $c i32) (local $n i64) (local $t i64)
    (global.set $parse_error (i32.const 0))
    (if (i32.eqz (local.get $len)) (then (global.set $parse_error (i32.const 1)) (return (i64.const 0))))
    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 43))  ;; a leading '+'
      (then (local.set $i (i32.const 1))
            (if (i32.eq (local.get $len) (i32.const 1))
              (then (global.set $parse_error (i32.const 1)) (return (i64.const 0))))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.sub (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 48)))
        (if (i32.gt_u (local.get $c) (i32.const 9))
          (then (global.set $parse_error (i32.const 2)) (return (i64.const 0))))
        (if (i64.gt_u (local.get $n) (i64.const 1844674407370955161))
          (then (global.set $parse_error (i32.const 3)) (return (i64.const 0))))
        (local.set $t (i64.mul (local.get $n) (i64.const 10)))
        (local.set $n (i64.add (local.get $t) (i64.extend_i32_u (local.get $c))))
        (if (i64.lt_u (local.get $n) (local.get $t))
          (then (global.set $parse_error (i32.const 3)) (return (i64.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; ---- core: str::from_utf8's validation (sets $valid_up_to and $error_len on failure) ------
  (func $cont (param $b i32) (result i32)  ;; a continuation byte 0x80..0xBF
    (i32.eq (i32.and (local.get $b) (i32.const 0xC0)) (i32.const 0x80)))

  (func $run_utf8_validation (@name "core::str::run_utf8_validation")
    (param $p i32) (param $len i32) (result i32)
    (local $i i32) (local $b i32) (local $b1 i32) (local $w i32) (local $ok i32)
    (block $invalid
      (loop $next
        (if (i32.ge_u (local.get $i) (local.get $len)) (then (return (i32.const 1))))
        (local.set $b (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (if (i32.lt_u (local.get $b) (i32.const 0x80))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $next)))
        (global.set $error_len (i32.const 1))
        (local.set $w (select (i32.const 2) (select (i32.const 3) (select (i32.const 4) (i32.const 0)
          (i32.and (i32.ge_u (local.get $b) (i32.const 0xF0)) (i32.le_u (local.get $b) (i32.const 0xF4))))
          (i32.and (i32.ge_u (local.get $b) (i32.const 0xE0)) (i32.le_u (local.get $b) (i32.const 0xEF))))
          (i32.and (i32.ge_u (local.get $b) (i32.const 0xC2)) (i32.le_u (local.get $b) (i32.const 0xDF)))))
        (br_if $invalid (i32.eqz (local.get $w)))
        (global.set $error_len (i32.const 0))
        (br_if $invalid (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $len)))
        (local.set $b1 (i32.load8_u (i32.add (local.get $p) (i32.add (local.get $i) (i32.const 1)))))
        (local.set $ok (call $cont (local.get $b1)))
        (if (i32.eq (local.get $b) (i32.const 0xE0))
          (then (local.set $ok (i32.ge_u (local.get $b1) (i32.const 0xA0)))))
        (if (i32.eq (local.get $b) (i32.const 0xED))
          (then (local.set $ok (i32.le_u (local.get $b1) (i32.const 0x9F)))))
        (if (i32.eq (local.get $b) (i32.const 0xF0))
          (then (local.set $ok (i32.ge_u (local.get $b1) (i32.const 0x90)))))
        (if (i32.eq (local.get $b) (i32.const 0xF4))
          (then (local.set $ok (i32.le_u (local.get $b1) (i32.const 0x8F)))))
        (local.set $ok (i32.and (local.get $ok) (call $cont (local.get $b1))))
        (global.set $error_len (i32.const 1))
        (br_if $invalid (i32.eqz (local.get $ok)))
        (if (i32.ge_u (local.get $w) (i32.const 3))
          (then
            (global.set $error_len (i32.const 0))
            (br_if $invalid (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $len)))
            (global.set $error_len (i32.const 2))
            (br_if $invalid (i32.eqz (call $cont (i32.load8_u
              (i32.add (local.get $p) (i32.add (local.get $i) (i32.const 2)))))))))
        (if (i32.eq (local.get $w) (i32.const 4))
          (then
            (global.set $error_len (i32.const 0))
            (br_if $invalid (i32.ge_u (i32.add (local.get $i) (i32.const 3)) (local.get $len)))
            (global.set $error_len (i32.const 3))
            (br_if $invalid (i32.eqz (call $cont (i32.load8_u
              (i32.add (local.get $p) (i32.add (local.get $i) (i32.const 3)))))))))
        (local.set $i (i32.add (local.get $i) (local.get $w)))
        (br $next)))
    (global.set $valid_up_to (local.get $i))
    (i32.const 0))

  ;; ---- formatting the panic message --------------------------------------------------------
  (func $write_str (@name "<alloc::string::String as core::fmt::Write>::write_str")
    (param $p i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (global.get $out) (i32.add (global.get $out_len) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (global.set $out_len (i32.add (global.get $out_len) (local.get $n))))

  (func $fmt_u64 (@name "core::fmt::num::imp::fmt_u64") (param $n i64)
    (local $at i32)
    (local.set $at (i32.const 1049240))
    (loop $next
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $n) (i64.const 10)))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $next (i64.ne (local.get $n) (i64.const 0))))
    (call $write_str (local.get $at) (i32.sub (i32.const 1049240) (local.get $at))))

  (func $panic_message (@name "alloc::fmt::format") (param $capacity i32)
    (global.set $out (call $malloc (i32.add (local.get $capacity) (i32.const 512))))
    (global.set $out_len (i32.const 0))
    (call $write_str (i32.const 1048704) (i32.const 13)))  ;; "panicked at '"

  ;; core::result::unwrap_failed for Result<u64, ParseIntError>
  (func $unwrap_failed_parse (@name "core::result::unwrap_failed") (param $kind i32)
    (call $panic_message (i32.const 0))
    (call $write_str (i32.const 1048736) (i32.const 45))
    (call $write_str (i32.const 1048800) (i32.const 22))
    (if (i32.eq (local.get $kind) (i32.const 1)) (then (call $write_str (i32.const 1048848) (i32.const 5))))
    (if (i32.eq (local.get $kind) (i32.const 2)) (then (call $write_str (i32.const 1048832) (i32.const 12))))
    (if (i32.eq (local.get $kind) (i32.const 3)) (then (call $write_str (i32.const 1048856) (i32.const 8))))
    (call $write_str (i32.const 1048864) (i32.const 2))
    (call $panic_fmt (i32.const 1049048) (i32.const 16) (i32.const 0)))

  ;; core::result::unwrap_failed for Result<String, FromUtf8Error> (in hostcalls::get_map_value)
  (func $unwrap_failed_utf8 (@name "core::result::unwrap_failed") (param $p i32) (param $n i32)
    (local $i i32)
    (call $panic_message (i32.mul (local.get $n) (i32.const 5)))
    (call $write_str (i32.const 1048736) (i32.const 45))
    (call $write_str (i32.const 1048912) (i32.const 24))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (local.get $i) (then (call $write_str (i32.const 1048872) (i32.const 2))))
        (call $fmt_u64 (i64.extend_i32_u (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $write_str (i32.const 1048944) (i32.const 35))
    (call $fmt_u64 (i64.extend_i32_u (global.get $valid_up_to)))
    (call $write_str (i32.const 1048992) (i32.const 13))
    (if (global.get $error_len)
      (then (call $write_str (i32.const 1048896) (i32.const 5))
            (call $fmt_u64 (i64.extend_i32_u (global.get $error_len)))
            (call $write_str (i32.const 1048880) (i32.const 1)))
      (else (call $write_str (i32.const 1048888) (i32.const 4))))
    (call $write_str (i32.const 1048904) (i32.const 4))
    (call $panic_fmt (i32.const 1049072) (i32.const 88) (i32.const 1049168)))

  ;; panic!("unexpected status: {}", status as u32) in the SDK's host-call wrappers
  (func $panic_status (@name "std::panicking::begin_panic_fmt") (param $status i32) (param $line i32)
    (call $panic_message (i32.const 0))
    (call $write_str (i32.const 1049008) (i32.const 19))
    (call $fmt_u64 (i64.extend_i32_u (local.get $status)))
    (call $panic_fmt (i32.const 1049072) (i32.const 88) (local.get $line)))

  ;; "', " and the location (file, then "line:col" when $line is set)
  (func $panic_fmt (@name "core::panicking::panic_fmt") (param $file i32) (param $n i32) (param $line i32)
    (call $write_str (i32.const 1049040) (i32.const 3))
    (call $write_str (local.get $file) (local.get $n))
    (if (local.get $line) (then (call $write_str (local.get $line) (i32.const 6))))
    (call $rust_begin_unwind))

  (func $rust_begin_unwind (@name "rust_begin_unwind")
    (call $rust_panic_with_hook))

  ;; The hook set_log_level installed: hostcalls::log(LogLevel::Critical, &panic_info.to_string())
  (func $rust_panic_with_hook (@name "std::panicking::rust_panic_with_hook")
    (if (global.get $panic_hook)
      (then (drop (call $proxy_log (i32.const 5) (global.get $out) (global.get $out_len)))))
    (call $rust_panic))

  (func $rust_panic (@name "rust_panic")
    (call $__rust_start_panic))

  (func $__rust_start_panic (@name "__rust_start_panic")
    (call $abort))

  (func $abort (@name "panic_abort::__rust_start_panic::abort")
    unreachable)

  ;; ---- the SDK's other callbacks (defaults) ------------------------------------------------
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
