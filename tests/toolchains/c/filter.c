/* A tiny Proxy-Wasm filter written against the raw ABI (0.2.1), no SDK.
 *
 * Built by tests/toolchains/build.py with clang (and zig cc) in several variants; each
 * FEATURE_* macro makes the filter really execute an instruction of that Wasm proposal,
 * so the module carries it (tests assert that with detect_features).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(proxy_log) int32_t proxy_log(int32_t level, const char *msg, size_t len);
IMPORT(proxy_get_buffer_bytes) int32_t proxy_get_buffer_bytes(int32_t type, size_t start,
                                                              size_t max, char **ptr, size_t *len);
#ifdef WITH_UNKNOWN_IMPORT
/* A host function no Envoy build provides: the module must be refused. */
IMPORT(proxy_definitely_not_a_host_call) int32_t proxy_definitely_not_a_host_call(int32_t);
#endif

static void log_info(const char *s) { proxy_log(2 /* info */, s, strlen(s)); }

EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

EXPORT(proxy_on_memory_allocate) void *proxy_on_memory_allocate(size_t size) {
  return malloc(size);
}

/* A counter the proposal helpers below touch, so nothing is folded away. */
static volatile uint32_t scratch_len = 13;
static char scratch[64];

#ifdef FEATURE_SIMD
#include <wasm_simd128.h>
__attribute__((noinline)) static uint32_t simd_sum(const uint32_t *v) {
  v128_t a = wasm_v128_load(v), b = wasm_v128_load(v + 4);
  v128_t s = wasm_i32x4_add(a, b);
  return wasm_i32x4_extract_lane(s, 0) + wasm_i32x4_extract_lane(s, 3);
}
#endif

#ifdef FEATURE_TAIL_CALL
__attribute__((noinline)) static uint32_t countdown(uint32_t n, uint32_t acc);
__attribute__((noinline)) static uint32_t countdown_step(uint32_t n, uint32_t acc) {
  __attribute__((musttail)) return countdown(n - 1, acc + n);
}
__attribute__((noinline)) static uint32_t countdown(uint32_t n, uint32_t acc) {
  if (n == 0) return acc;
  __attribute__((musttail)) return countdown_step(n, acc);
}
#endif

#ifdef FEATURE_MULTIVALUE
struct pair { uint32_t lo, hi; };
/* With -target-abi experimental-mv a small struct is returned as two results. */
__attribute__((noinline)) static struct pair split(uint32_t v) {
  struct pair p = {v & 0xffff, v >> 16};
  return p;
}
#endif

#ifdef FEATURE_REFTYPES
/* An indirect call through a function pointer: with reference-types the table is a
 * symbol and call_indirect names it explicitly. */
typedef uint32_t (*op_fn)(uint32_t);
__attribute__((noinline)) static uint32_t twice(uint32_t v) { return v * 2; }
__attribute__((noinline)) static uint32_t thrice(uint32_t v) { return v * 3; }
static op_fn ops[2] = {twice, thrice};
#endif

static uint32_t exercise(void) {
  uint32_t r = 0;
  /* memcpy/memset with a runtime length: memory.copy / memory.fill under bulk-memory */
  memset(scratch, 'x', scratch_len);
  memcpy(scratch + 32, scratch, scratch_len);
  r += (uint32_t)scratch[32];
#ifdef FEATURE_SIMD
  uint32_t v[8] = {1, 2, 3, 4, 5, 6, 7, scratch_len};
  r += simd_sum(v);
#endif
#ifdef FEATURE_TAIL_CALL
  r += countdown(scratch_len, 0);
#endif
#ifdef FEATURE_MULTIVALUE
  struct pair p = split(scratch_len * 65537u);
  r += p.lo + p.hi;
#endif
#ifdef FEATURE_REFTYPES
  r += ops[scratch_len & 1](scratch_len);
  /* The call above proves nothing on its own: whether its table index is encoded padded (a
   * reference-types encoding) depends on the linker and on a wasm-opt that clang runs by itself
   * when one is on PATH. table.size exists only with reference-types, in every toolchain. */
  uint32_t table_size;
  __asm__ volatile("table.size __indirect_function_table\n local.set %0" : "=r"(table_size));
  r += table_size;
#endif
#ifdef WITH_UNKNOWN_IMPORT
  r += (uint32_t)proxy_definitely_not_a_host_call((int32_t)r);
#endif
  return r;
}

EXPORT(proxy_on_vm_start) int32_t proxy_on_vm_start(uint32_t root_id, uint32_t vm_config_size) {
  (void)root_id;
  (void)vm_config_size;
  log_info(exercise() ? "c filter: vm started" : "c filter: vm started (0)");
  return 1;
}

EXPORT(proxy_on_configure) int32_t proxy_on_configure(uint32_t root_id, uint32_t config_size) {
  (void)root_id;
  if (config_size > 0) {
    char *cfg = NULL;
    size_t len = 0;
    if (proxy_get_buffer_bytes(7 /* plugin configuration */, 0, config_size, &cfg, &len) == 0)
      free(cfg);
  }
  return 1;
}

EXPORT(proxy_on_context_create) void proxy_on_context_create(uint32_t id, uint32_t parent) {
  (void)id;
  (void)parent;
}

EXPORT(proxy_on_request_headers) int32_t proxy_on_request_headers(uint32_t id, uint32_t headers,
                                                                  uint32_t end_of_stream) {
  (void)id;
  (void)headers;
  (void)end_of_stream;
  return 0; /* Continue */
}

EXPORT(proxy_on_done) int32_t proxy_on_done(uint32_t id) { (void)id; return 1; }
EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t id) { (void)id; }

#ifdef COMMAND
#ifndef MAIN_STATUS
#define MAIN_STATUS 0
#endif
/* A WASI command: wasi-libc's _start calls main. */
int main(void) { return MAIN_STATUS; }
#endif
