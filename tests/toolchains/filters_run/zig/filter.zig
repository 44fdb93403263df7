//! An API-key filter in Zig against the raw Proxy-Wasm ABI (0.2.1), no SDK, no libc; for
//! `compatcheck run` and the serving judge (tests/integration/test_serving.py). Built for
//! wasm32-freestanding with ReleaseSafe, so safety checks stay in and a failed one traps.
//!
//! Plugin configuration "max=N": keys up to N bytes are accepted; no configuration, or one that
//! is not a number, makes proxy_on_configure fail. A request without x-api-key gets a local 401,
//! a longer key 431; an accepted key is summed into x-key-checksum. The bug it carries: the key
//! is copied into a 16-byte buffer, so with max above 16 a key of 17+ bytes is an out-of-bounds
//! slice, which panics (a trap) inside the proxy.
const std = @import("std");

extern "env" fn proxy_log(level: u32, msg: [*]const u8, len: usize) u32;
extern "env" fn proxy_get_buffer_bytes(kind: u32, start: usize, max: usize, ptr: *?[*]u8, len: *usize) u32;
extern "env" fn proxy_get_header_map_value(kind: u32, key: [*]const u8, key_len: usize, value: *?[*]u8, value_len: *usize) u32;
extern "env" fn proxy_add_header_map_value(kind: u32, key: [*]const u8, key_len: usize, value: [*]const u8, value_len: usize) u32;
extern "env" fn proxy_send_local_response(code: u32, details: [*]const u8, details_len: usize, body: [*]const u8, body_len: usize, pairs: [*]const u8, pairs_len: usize, grpc: i32) u32;

const allocator = std.heap.wasm_allocator;
var max_key: usize = 0;

fn say(level: u32, s: []const u8) void {
    _ = proxy_log(level, s.ptr, s.len);
}

fn reply(code: u32, body: []const u8) void {
    const no_headers = [_]u8{ 0, 0, 0, 0 };
    _ = proxy_send_local_response(code, "zig_filter", 10, body.ptr, body.len, &no_headers, no_headers.len, -1);
}

export fn proxy_abi_version_0_2_1() void {}

export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    const buf = allocator.alloc(u8, if (size == 0) 1 else size) catch return null;
    return buf.ptr;
}

export fn proxy_on_vm_start(root: u32, size: u32) u32 {
    _ = root;
    _ = size;
    return 1;
}

export fn proxy_on_configure(root: u32, size: u32) u32 {
    _ = root;
    var ptr: ?[*]u8 = null;
    var len: usize = 0;
    if (size == 0 or proxy_get_buffer_bytes(7, 0, size, &ptr, &len) != 0 or ptr == null) {
        say(3, "zig filter: needs a configuration max=N");
        return 0;
    }
    const config = ptr.?[0..len];
    if (!std.mem.startsWith(u8, config, "max=")) {
        say(3, "zig filter: configuration is not max=N");
        return 0;
    }
    max_key = std.fmt.parseInt(usize, config[4..], 10) catch {
        say(3, "zig filter: max is not a number");
        return 0;
    };
    say(2, "zig filter: configured");
    return 1;
}

export fn proxy_on_context_create(id: u32, parent: u32) void {
    _ = id;
    _ = parent;
}

export fn proxy_on_request_headers(id: u32, headers: u32, end_of_stream: u32) u32 {
    _ = id;
    _ = headers;
    _ = end_of_stream;
    var ptr: ?[*]u8 = null;
    var len: usize = 0;
    if (proxy_get_header_map_value(0, "x-api-key", 9, &ptr, &len) != 0 or ptr == null) {
        reply(401, "missing key\n");
        return 1;
    }
    const key = ptr.?[0..len];
    if (key.len > max_key) {
        reply(431, "key too long\n");
        return 1;
    }
    var copy: [16]u8 = undefined;
    @memcpy(copy[0..key.len], key);
    var sum: u32 = 0;
    for (copy[0..key.len]) |c| sum +%= c;
    var text: [16]u8 = undefined;
    const shown = std.fmt.bufPrint(&text, "{d}", .{sum}) catch unreachable;
    _ = proxy_add_header_map_value(0, "x-key-checksum", 14, shown.ptr, shown.len);
    say(2, "zig filter: key accepted");
    return 0;
}

export fn proxy_on_done(id: u32) u32 {
    _ = id;
    return 1;
}

export fn proxy_on_delete(id: u32) void {
    _ = id;
}
