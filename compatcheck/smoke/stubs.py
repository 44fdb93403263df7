"""Recording import stubs for the smoke child: every call is logged and answered like a quiet
host (as Envoy's WASI is): time moves, random bytes come, there are no arguments, environment
variables or preopened directories. Language runtimes take other paths (sleeping, retrying)
when these answer nonsense. Every answer is a function of the call sequence alone, so the same
module always takes the same path.
"""

from __future__ import annotations

import random

_CLOCK_START_NS = 1_700_000_000 * 10**9  # a fixed wall-clock start
_CLOCK_STEP_NS = 1_000_000  # each reading is 1 ms later than the one before


class Exited(Exception):
    """proc_exit: the module ended itself."""


class CallLimit(Exception):
    """The module called the stubs more often than the budget allows."""


class Recorder:
    """The calls of one start-up run and the state the stubs share (clock, random stream)."""

    def __init__(self, max_calls: int):
        self.calls: list[tuple[str, str]] = []
        self.seen: set[tuple[str, str]] = set()
        self.count = 0
        self.current = "(start section)"
        self.max_calls = max_calls
        self.clock_ns = _CLOCK_START_NS
        self.random = random.Random(0)

    def note(self, qname: str) -> None:
        self.count += 1
        if self.count > self.max_calls:
            raise CallLimit(self.max_calls)
        call = (self.current, qname)
        if call not in self.seen:  # the first call of each import from each export, in order
            self.seen.add(call)
            self.calls.append(call)


def _memory(caller):
    memory = caller.get("memory")
    if memory is None or not hasattr(memory, "write"):
        raise LookupError("no exported memory")
    return memory


def _put(caller, ptr: int, value: int, size: int) -> None:
    _memory(caller).write(caller, (value % (1 << (8 * size))).to_bytes(size, "little"), ptr)


def _fd_write(rec, caller, _fd, iovs, iovs_len, nwritten_ptr):
    memory = _memory(caller)
    total = 0
    for i in range(min(iovs_len, 1024)):
        raw = memory.read(caller, iovs + 8 * i, iovs + 8 * i + 8)
        total += int.from_bytes(raw[4:8], "little")
    _put(caller, nwritten_ptr, total, 4)
    return 0


def _clock_time_get(rec, caller, _clock, _precision, out):
    rec.clock_ns += _CLOCK_STEP_NS
    _put(caller, out, rec.clock_ns, 8)
    return 0


def _random_get(rec, caller, buf, length):
    n = min(length, 1 << 20)
    _memory(caller).write(caller, rec.random.randbytes(n), buf)
    return 0


def _sizes(rec, caller, count_ptr, size_ptr):
    _put(caller, count_ptr, 0, 4)
    _put(caller, size_ptr, 0, 4)
    return 0


def _fdstat_get(rec, caller, fd, out):
    _memory(caller).write(caller, bytes([2 if fd <= 2 else 0]) + bytes(23), out)
    return 0 if fd <= 2 else 8  # EBADF


def _clock_res_get(rec, caller, _clock, out):
    _put(caller, out, 1000, 8)
    return 0


WASI = {
    "fd_write": _fd_write,
    "clock_time_get": _clock_time_get,
    "clock_res_get": _clock_res_get,
    "random_get": _random_get,
    "args_sizes_get": _sizes,
    "environ_sizes_get": _sizes,
    "fd_fdstat_get": _fdstat_get,
    "fd_prestat_get": lambda rec, caller, fd, out: 8,  # EBADF: no preopened directories
}
WASI_MODULES = ("wasi_snapshot_preview1", "wasi_unstable")


def make_stub(store, imp, rec: Recorder, wasmtime):
    """A wasmtime.Func for one imported function: records the call, returns zeros (or what the
    WASI emulation answers)."""
    valtype = {"i32": wasmtime.ValType.i32(), "i64": wasmtime.ValType.i64(),
               "f32": wasmtime.ValType.f32(), "f64": wasmtime.ValType.f64()}
    ft = wasmtime.FuncType([valtype[t] for t in imp.type.params],
                           [valtype[t] for t in imp.type.results])
    qname = f"{imp.module}.{imp.name}"
    zeros = [0 if t in ("i32", "i64") else 0.0 for t in imp.type.results]
    wasi = imp.module in WASI_MODULES
    emulate = WASI.get(imp.name) if wasi else None

    def call(caller, *args):
        rec.note(qname)
        if wasi and imp.name == "proc_exit":
            raise Exited(args[0] if args else 0)
        result = None
        if emulate is not None:
            try:
                result = emulate(rec, caller, *args)
            except (LookupError, ValueError, TypeError, IndexError, wasmtime.WasmtimeError):
                result = None  # a bad pointer or no memory: leave it to the module
        if not zeros:
            return None
        if result is not None and len(zeros) == 1:
            return result
        return zeros[0] if len(zeros) == 1 else zeros

    return wasmtime.Func(store, ft, call, access_caller=True)
