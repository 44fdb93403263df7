"""The module's side of a host call: its memory, its allocator, and the pairs format.

Semantics follow proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef:
- getMemory (src/v8/v8.cc): a range is valid when pointer + size <= memory size; a failed
  read or write makes the host call return InvalidMemoryAccess (src/exports.cc);
- copyToPointerSize (include/proxy-wasm/wasm.h): an empty value is written as pointer 0 and
  size 0 without calling the allocator; otherwise the module's own allocator (malloc, else
  proxy_on_memory_allocate, WasmBase::getFunctions in src/wasm.cc) is called, and during that
  call only proxy_log, fd_write, clock_time_get and poll_oneoff may be called
  (WasmBase::allocMemory);
- pairs (src/pairs_util.cc): u32 count, then (u32 name length, u32 value length) per pair,
  then each name and value followed by a NUL byte; little-endian.
"""

from __future__ import annotations

import struct

# WasmBase::allocMemory's restricted set (include/proxy-wasm/wasm.h at the commit above);
# WASI names are matched under either WASI module name.
ALLOC_ALLOWED = frozenset({"env.proxy_log", "wasi.fd_write", "wasi.clock_time_get",
                           "wasi.poll_oneoff"})
PAIRS_MAX_BYTES = 1024 * 1024  # PROXY_WASM_HOST_PAIRS_MAX_BYTES (include/proxy-wasm/limits.h)
PAIRS_MAX_COUNT = 1024  # PROXY_WASM_HOST_PAIRS_MAX_COUNT


class Guest:
    """Reads and writes the module's memory; the caller (wasmtime.Caller) is set per call."""

    def __init__(self, session):
        self.session = session
        self.caller = None

    def _memory(self):
        memory = self.caller.get("memory") if self.caller is not None else None
        return memory if memory is not None and hasattr(memory, "read") else None

    def read(self, ptr: int, size: int) -> bytes | None:
        memory = self._memory()
        if memory is None or ptr + size > memory.data_len(self.caller):
            return None
        return bytes(memory.read(self.caller, ptr, ptr + size)) if size else b""

    def write(self, ptr: int, data: bytes) -> bool:
        memory = self._memory()
        if memory is None or ptr + len(data) > memory.data_len(self.caller):
            return False
        if data:
            memory.write(self.caller, data, ptr)
        return True

    def set_u32(self, ptr: int, value: int) -> bool:
        return self.write(ptr, struct.pack("<I", value & 0xFFFFFFFF))

    def set_u64(self, ptr: int, value: int) -> bool:
        return self.write(ptr, struct.pack("<Q", value & 0xFFFFFFFFFFFFFFFF))

    def alloc(self, size: int) -> int | None:
        """The module's allocator, as cpp-host calls it; None when it returns 0 or no range."""
        name, fn = self.session.allocator(self.caller)
        if fn is None:
            return None
        try:
            with self.session.restricted(ALLOC_ALLOWED, "allocator"):
                ptr = fn(self.caller, size) & 0xFFFFFFFF
        except self.session.inner_errors as exc:
            self.session.inner_trap(name, exc)
            return None
        if ptr == 0 or self.read(ptr, 0) is None or ptr + size > self._memory().data_len(self.caller):
            return None
        return ptr

    def copy_out(self, data: bytes, ptr_ptr: int, size_ptr: int) -> bool:
        """copyToPointerSize: allocate in the module, copy, write pointer and size."""
        ptr: int | None  # None: the allocator gave no memory
        ptr = 0
        if data:
            ptr = self.alloc(len(data))
            if ptr is None or not self.write(ptr, data):
                return False
        return self.set_u32(ptr_ptr, ptr) and self.set_u32(size_ptr, len(data))


def pairs_size(pairs) -> int:
    return 4 + sum(8 + len(k) + 1 + len(v) + 1 for k, v in pairs)


def marshal_pairs(pairs) -> bytes:
    out = [struct.pack("<I", len(pairs))]
    out += [struct.pack("<II", len(k), len(v)) for k, v in pairs]
    for k, v in pairs:
        out += [k, b"\0", v, b"\0"]
    return b"".join(out)


def to_pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    """PairsUtil::toPairs: anything malformed or over the limits gives no pairs at all."""
    if len(data) > PAIRS_MAX_BYTES or len(data) < 4:
        return []
    (count,) = struct.unpack_from("<I", data)
    if count > PAIRS_MAX_COUNT or 4 + count * 8 > len(data):
        return []
    sizes = [struct.unpack_from("<II", data, 4 + 8 * i) for i in range(count)]
    pos, out = 4 + 8 * count, []
    for name_len, value_len in sizes:
        parts = []
        for n in (name_len, value_len):
            if pos + n + 1 > len(data) or data[pos + n] != 0:  # each NUL-terminated
                return []
            parts.append(data[pos:pos + n])
            pos += n + 1
        out.append((parts[0], parts[1]))
    return out if pos == len(data) else []
