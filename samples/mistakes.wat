;; A filter with the mistakes users make most (each one is a field report): an ABI 0.2.1 marker
;; with a 0.1.0-only import (proxy_get_configuration), a host call declared with the wrong type,
;; an imported global, no allocator export, the headers callback with its 0.1.0 type, and a typo
;; in a callback name, and AssemblyScript's env.abort left in. Hosts report only the first;
;; compatcheck reports all of them.
(module
  (import "env" "abort" (func (param i32 i32 i32 i32)))
  (import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))
  (import "env" "proxy_log" (func (param i32 i32) (result i32)))
  (import "env" "__stack_pointer" (global (mut i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_respone_headers") (param i32 i32 i32) (result i32) (i32.const 0))
)
