/* A Proxy-Wasm HTTP filter in C against the raw ABI (0.2.1), no SDK, for `compatcheck run`
 * and the serving judge (tests/integration/test_serving.py). Built with clang + wasi-libc and with zig cc.
 *
 * What it does is chosen by its configuration, so one binary covers many cases:
 *   VM configuration:     "fail-start" (proxy_on_vm_start returns false), "trap-start"
 *   plugin configuration: comma-separated modes; none at all makes proxy_on_configure fail
 *     fail-configure  proxy_on_configure returns false
 *     trap-configure  proxy_on_configure traps
 *     trap-context    proxy_on_context_create traps for every stream
 *     divide          1000 / x-divisor header: a missing or zero divisor traps (divide by zero)
 *     deny            no x-allow header: local response 401 with a header and a body
 *     tag             adds x-c-filter to the request and the response
 *     body            buffers the request body; a JSON object is answered locally, any other
 *                     body is forwarded upper-cased
 *     call            calls cluster `upstream`, answers with what it said
 *     tick            a 200 ms timer that logs
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(proxy_log) int32_t proxy_log(int32_t level, const char *msg, size_t len);
IMPORT(proxy_get_buffer_bytes) int32_t proxy_get_buffer_bytes(int32_t type, size_t start,
                                                              size_t max, char **ptr, size_t *len);
IMPORT(proxy_set_buffer_bytes) int32_t proxy_set_buffer_bytes(int32_t type, size_t start,
                                                              size_t len, const char *p, size_t n);
IMPORT(proxy_get_header_map_value) int32_t proxy_get_header_map_value(int32_t type, const char *k,
                                                                      size_t kn, char **v, size_t *vn);
IMPORT(proxy_add_header_map_value) int32_t proxy_add_header_map_value(int32_t type, const char *k,
                                                                      size_t kn, const char *v, size_t vn);
IMPORT(proxy_send_local_response) int32_t proxy_send_local_response(
    int32_t code, const char *details, size_t dn, const char *body, size_t bn, const char *pairs,
    size_t pn, int32_t grpc);
IMPORT(proxy_set_tick_period_milliseconds) int32_t proxy_set_tick_period_milliseconds(int32_t ms);
IMPORT(proxy_http_call) int32_t proxy_http_call(const char *uri, size_t un, const char *hp, size_t hn,
                                                const char *bp, size_t bn, const char *tp, size_t tn,
                                                int32_t timeout, uint32_t *token);
IMPORT(proxy_set_effective_context) int32_t proxy_set_effective_context(int32_t id);

enum { TRACE, DEBUG, INFO, WARN };
enum { REQUEST_HEADERS = 0, RESPONSE_HEADERS = 2, CALL_HEADERS = 6 };
enum { REQUEST_BODY = 0, CALL_BODY = 4, VM_CONFIG = 6, PLUGIN_CONFIG = 7 };

static char config[256];
static uint32_t waiting_stream;

static void say(int level, const char *s) { proxy_log(level, s, strlen(s)); }

static int has(const char *mode) {
  size_t n = strlen(mode);
  for (const char *p = config; (p = strstr(p, mode)) != NULL; p += n)
    if ((p == config || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return 1;
  return 0;
}

/* A buffer's bytes as a NUL-terminated string the caller frees (NULL when there are none). */
static char *buffer(int type, size_t size) {
  char *p = NULL, *out;
  size_t n = 0;
  if (proxy_get_buffer_bytes(type, 0, size, &p, &n) != 0 || p == NULL) return NULL;
  out = realloc(p, n + 1);
  out[n] = '\0';
  return out;
}

static char *header(int map, const char *name) {
  char *p = NULL, *out;
  size_t n = 0;
  if (proxy_get_header_map_value(map, name, strlen(name), &p, &n) != 0) return NULL;
  out = realloc(p, n + 1);
  out[n] = '\0';
  return out;
}

/* One header pair in the Proxy-Wasm pairs format, with its size. */
static size_t one_pair(char *out, const char *k, const char *v) {
  uint32_t count = 1, kn = strlen(k), vn = strlen(v);
  memcpy(out, &count, 4);
  memcpy(out + 4, &kn, 4);
  memcpy(out + 8, &vn, 4);
  memcpy(out + 12, k, kn + 1);
  memcpy(out + 13 + kn, v, vn + 1);
  return 14 + kn + vn;
}

static int32_t reply(int code, const char *k, const char *v, const char *body) {
  char pairs[256];
  size_t n = one_pair(pairs, k, v);
  return proxy_send_local_response(code, "c_filter", 8, body, strlen(body), pairs, n, -1);
}

EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}
EXPORT(proxy_on_memory_allocate) void *proxy_on_memory_allocate(size_t size) { return malloc(size); }

EXPORT(proxy_on_vm_start) int32_t proxy_on_vm_start(uint32_t root, uint32_t size) {
  char *vm = size ? buffer(VM_CONFIG, size) : NULL;
  int fail = vm && strcmp(vm, "fail-start") == 0, trap = vm && strcmp(vm, "trap-start") == 0;
  free(vm);
  if (trap) __builtin_trap();
  say(fail ? WARN : INFO, fail ? "c filter: refusing to start" : "c filter: vm started");
  return !fail;
}

EXPORT(proxy_on_configure) int32_t proxy_on_configure(uint32_t root, uint32_t size) {
  char *cfg = size ? buffer(PLUGIN_CONFIG, size) : NULL, line[300];
  if (cfg == NULL) {
    say(WARN, "c filter: no configuration, cannot work");
    return 0;
  }
  snprintf(config, sizeof config, "%s", cfg);
  free(cfg);
  snprintf(line, sizeof line, "c filter: configured with %s", config);
  say(INFO, line);
  if (has("trap-configure")) __builtin_trap();
  if (has("tick")) proxy_set_tick_period_milliseconds(200);
  return !has("fail-configure");
}

EXPORT(proxy_on_tick) void proxy_on_tick(uint32_t root) { say(INFO, "c filter: tick"); }

EXPORT(proxy_on_context_create) void proxy_on_context_create(uint32_t id, uint32_t parent) {
  if (parent != 0 && has("trap-context")) __builtin_trap();
}

static volatile int32_t numerator = 1000;

static int32_t divide(void) {
  char *v = header(REQUEST_HEADERS, "x-divisor"), line[64];
  int32_t divisor = v ? atoi(v) : 0;
  free(v);
  snprintf(line, sizeof line, "c filter: share %d", (int)(numerator / divisor));
  say(INFO, line);
  return 0;
}

static int32_t call_upstream(uint32_t id) {
  static const char hdrs[] = "\3\0\0\0" "\7\0\0\0" "\3\0\0\0" "\5\0\0\0" "\7\0\0\0"
                             "\12\0\0\0" "\10\0\0\0" ":method\0GET\0:path\0/from-c\0"
                             ":authority\0upstream\0";
  uint32_t token = 0;
  int32_t r = proxy_http_call("upstream", 8, hdrs, sizeof hdrs - 1, "", 0, "", 0, 5000, &token);
  char line[64];
  snprintf(line, sizeof line, "c filter: http call status %d", (int)r);
  say(INFO, line);
  waiting_stream = id;
  return r == 0 ? 1 : 0; /* wait for the answer, or go on without it */
}

EXPORT(proxy_on_request_headers) int32_t proxy_on_request_headers(uint32_t id, uint32_t n,
                                                                  uint32_t end) {
  if (has("divide")) return divide();
  if (has("deny")) {
    char *allow = header(REQUEST_HEADERS, "x-allow");
    free(allow);
    if (allow == NULL) {
      reply(401, "x-denied-by", "c-filter", "denied by the c filter\n");
      return 1;
    }
  }
  if (has("call")) return call_upstream(id);
  if (has("tag")) proxy_add_header_map_value(REQUEST_HEADERS, "x-c-filter", 10, "seen", 4);
  return 0;
}

EXPORT(proxy_on_request_body) int32_t proxy_on_request_body(uint32_t id, uint32_t size,
                                                            uint32_t end) {
  if (!has("body")) return 0;
  if (!end) return 1; /* StopIterationAndBuffer */
  char *body = buffer(REQUEST_BODY, size), line[64];
  if (body == NULL) return 0;
  if (body[0] == '{') {
    snprintf(line, sizeof line, "json body of %u bytes\n", (unsigned)size);
    free(body);
    reply(200, "x-c-filter", "json", line);
    return 1;
  }
  for (char *p = body; *p; ++p)
    if (*p >= 'a' && *p <= 'z') *p -= 32;
  proxy_set_buffer_bytes(REQUEST_BODY, 0, size, body, size);
  free(body);
  say(INFO, "c filter: body upper-cased");
  return 0;
}

EXPORT(proxy_on_response_headers) int32_t proxy_on_response_headers(uint32_t id, uint32_t n,
                                                                    uint32_t end) {
  if (has("tag")) {
    char count[16];
    snprintf(count, sizeof count, "%u", (unsigned)n);
    proxy_add_header_map_value(RESPONSE_HEADERS, "x-c-filter", 10, count, strlen(count));
  }
  return 0;
}

EXPORT(proxy_on_http_call_response) void proxy_on_http_call_response(
    uint32_t root, uint32_t token, uint32_t headers, uint32_t size, uint32_t trailers) {
  char *status = header(CALL_HEADERS, ":status"), *body = size ? buffer(CALL_BODY, size) : NULL;
  char text[300];
  snprintf(text, sizeof text, "upstream said: %s", body ? body : "");
  proxy_set_effective_context(waiting_stream);
  reply(200, "x-call-status", status ? status : "none", text);
  free(status);
  free(body);
}

EXPORT(proxy_on_log) void proxy_on_log(uint32_t id) { say(INFO, "c filter: done with a request"); }
EXPORT(proxy_on_done) int32_t proxy_on_done(uint32_t id) { return 1; }
EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t id) {}
