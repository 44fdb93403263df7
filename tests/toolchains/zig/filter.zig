//! A tiny Proxy-Wasm filter in Zig against the raw ABI (0.2.1), no SDK, no libc.
//! Built by tests/toolchains/build.py for wasm32-freestanding (no WASI imports, no
//! _initialize/_start) and for wasm32-wasi as a reactor.
const std = @import("std");

extern "env" fn proxy_log(level: u32, msg: [*]const u8, len: usize) u32;

const allocator = std.heap.wasm_allocator;

fn logInfo(s: []const u8) void {
    _ = proxy_log(2, s.ptr, s.len);
}

export fn proxy_abi_version_0_2_1() void {}

export fn proxy_on_memory_allocate(size: usize) ?[*]u8 {
    const buf = allocator.alloc(u8, if (size == 0) 1 else size) catch return null;
    return buf.ptr;
}

export fn proxy_on_vm_start(root_id: u32, vm_config_size: u32) u32 {
    _ = root_id;
    _ = vm_config_size;
    logInfo("zig filter: vm started");
    return 1;
}

export fn proxy_on_configure(root_id: u32, config_size: u32) u32 {
    _ = root_id;
    _ = config_size;
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
    return 0;
}

export fn proxy_on_done(id: u32) u32 {
    _ = id;
    return 1;
}

export fn proxy_on_delete(id: u32) void {
    _ = id;
}
