"""Smoke mode: run a module's start-up in a sandbox to see which imports it really calls.

Static reachability cannot tell whether a start-up function calls, say, `proc_exit`: that
depends on values (`main` returning non-zero) or on indirect calls (Go's runtime). Here the
start-up sequence a host would run is executed in wasmtime with every import replaced by a stub
that records the call and returns zeros. The run is boxed in: no WASI and no host access at all,
a fuel budget (instructions), a wall-clock deadline, and caps on memory and tables.
"""

from __future__ import annotations

import threading
from .record import record
from functools import lru_cache

FUEL = 200_000_000  # instructions, roughly
DEADLINE_SECONDS = 5.0
MEMORY_LIMIT = 1 << 30  # bytes of linear memory the module may grow to
MAX_CODE_BYTES = 8 << 20  # larger modules are not compiled for a smoke run


@record
class SmokeRun:
    sequence: tuple[str, ...]  # exports called, in order
    calls: tuple[tuple[str, str], ...]  # (export running, "module.name" called), in order
    outcome: str  # completed | exited | trapped | out-of-fuel | timeout | not-run
    detail: str = ""


class _Exit(Exception):
    pass


@lru_cache(maxsize=1)
def _engine():
    import wasmtime

    config = wasmtime.Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    config.cranelift_opt_level = "none"  # compile fast; the run is short
    config.shared_memory = True
    for attr in ("wasm_threads", "wasm_tail_call", "wasm_reference_types", "wasm_simd",
                 "wasm_bulk_memory", "wasm_multi_value", "wasm_multi_memory", "wasm_memory64",
                 "wasm_relaxed_simd", "wasm_exceptions", "wasm_function_references", "wasm_gc"):
        try:
            setattr(config, attr, True)
        except (AttributeError, wasmtime.WasmtimeError):
            pass
    return wasmtime.Engine(config)


def _stub(store, imp, calls: list, current: list, wasmtime):
    """A function that records its call; WASI stubs write plausible out-parameters."""
    ft = wasmtime.FuncType([_valtype(t, wasmtime) for t in imp.type.params],
                           [_valtype(t, wasmtime) for t in imp.type.results])
    qname = f"{imp.module}.{imp.name}"
    zeros = [0 if t in ("i32", "i64") else 0.0 for t in imp.type.results]

    wasi = imp.module in ("wasi_snapshot_preview1", "wasi_unstable")
    emulate = _WASI.get(imp.name) if wasi else None

    def call(caller, *args):
        calls.append((current[0], qname))
        if wasi and imp.name == "proc_exit":
            raise _Exit(args[0] if args else 0)
        result = None
        if emulate is not None:
            try:
                result = emulate(caller, *args)
            except Exception:  # a bad pointer: leave it to the module
                result = None
        if not zeros:
            return None
        if result is not None and len(zeros) == 1:
            return result
        return zeros[0] if len(zeros) == 1 else zeros

    return wasmtime.Func(store, ft, call, access_caller=True)


# WASI stubs that behave like a quiet host (as Envoy's do): time moves, random bytes are
# random, there are no arguments, environment variables or preopened directories. Language
# runtimes take other paths (sleeping, retrying) when these answer nonsense.
def _put(caller, ptr: int, value: int, size: int) -> None:
    caller.get("memory").write(caller, (value % (1 << (8 * size))).to_bytes(size, "little"), ptr)


def _fd_write(caller, _fd, iovs, iovs_len, nwritten_ptr):
    memory = caller.get("memory")
    total = 0
    for i in range(min(iovs_len, 1024)):
        raw = memory.read(caller, iovs + 8 * i, iovs + 8 * i + 8)
        total += int.from_bytes(raw[4:8], "little")
    _put(caller, nwritten_ptr, total, 4)
    return 0


def _clock_time_get(caller, _clock, _precision, out):
    import time
    _put(caller, out, time.time_ns(), 8)
    return 0


def _random_get(caller, buf, length):
    import os
    caller.get("memory").write(caller, os.urandom(min(length, 1 << 20)), buf)
    return 0


def _sizes(caller, count_ptr, size_ptr):
    _put(caller, count_ptr, 0, 4)
    _put(caller, size_ptr, 0, 4)
    return 0


def _fdstat_get(caller, fd, out):
    caller.get("memory").write(caller, bytes([2 if fd <= 2 else 0]) + bytes(23), out)
    return 0 if fd <= 2 else 8  # EBADF


_WASI = {
    "fd_write": _fd_write,
    "clock_time_get": _clock_time_get,
    "clock_res_get": lambda caller, _clock, out: (_put(caller, out, 1000, 8), 0)[1],
    "random_get": _random_get,
    "args_sizes_get": _sizes,
    "environ_sizes_get": _sizes,
    "fd_fdstat_get": _fdstat_get,
    "fd_prestat_get": lambda caller, fd, out: 8,  # EBADF: no preopened directories
}


def _valtype(name: str, wasmtime):
    return {"i32": wasmtime.ValType.i32(), "i64": wasmtime.ValType.i64(),
            "f32": wasmtime.ValType.f32(), "f64": wasmtime.ValType.f64()}[name]


def _trap_reason(text: str) -> str:
    """wasmtime puts the backtrace first and the reason after 'Caused by:'."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if line.startswith("Caused by:") and i + 1 < len(lines):
            return lines[i + 1].lstrip("0123456789: ")[:200]
    return (lines[-1] if lines else "trap")[:200]


def run_startup(module, sequence: tuple[str, ...]) -> SmokeRun:
    """Instantiate ``module`` with recording stubs and call ``sequence`` (e.g. _initialize, main)."""
    import wasmtime

    if sum(module.code_sizes) > MAX_CODE_BYTES:
        return SmokeRun(sequence, (), "not-run", "module too large for a smoke run")
    for imp in module.imports:
        if imp.kind == "func" and any(t not in ("i32", "i64", "f32", "f64")
                                      for t in imp.type.params + imp.type.results):
            return SmokeRun(sequence, (), "not-run", f"cannot stub {imp.qualified_name}")
        if imp.kind in ("global", "tag"):
            return SmokeRun(sequence, (), "not-run", f"cannot stub {imp.kind} imports")
    engine = _engine()
    store = wasmtime.Store(engine)
    store.set_limits(memory_size=MEMORY_LIMIT, table_elements=1_000_000, instances=1,
                     tables=16, memories=16)
    store.set_fuel(FUEL)
    store.set_epoch_deadline(1)
    calls: list[tuple[str, str]] = []
    current = ["(start section)"]
    timer = threading.Timer(DEADLINE_SECONDS, engine.increment_epoch)
    timer.daemon = True
    timer.start()
    try:
        wasm_module = wasmtime.Module(engine, module.data)
        linker = wasmtime.Linker(engine)
        for imp in module.imports:
            if imp.kind == "func":
                linker.define(store, imp.module, imp.name,
                              _stub(store, imp, calls, current, wasmtime))
            elif imp.kind == "memory":
                lim = imp.type.limits
                mt = wasmtime.MemoryType(wasmtime.Limits(lim.minimum, lim.maximum),
                                         is_64=lim.is64, shared=lim.shared)
                linker.define(store, imp.module, imp.name, wasmtime.Memory(store, mt))
            elif imp.kind == "table":
                lim = imp.type.limits
                tt = wasmtime.TableType(wasmtime.ValType.funcref(),
                                        wasmtime.Limits(lim.minimum, lim.maximum))
                linker.define(store, imp.module, imp.name, wasmtime.Table(store, tt, None))
        instance = linker.instantiate(store, wasm_module)
        exports = instance.exports(store)
        for name in sequence:
            fn = exports.get(name)
            if not isinstance(fn, wasmtime.Func):
                continue
            current[0] = name
            fn(store, *([0] * len(fn.type(store).params)))
        return SmokeRun(sequence, tuple(calls), "completed")
    except _Exit as exc:
        return SmokeRun(sequence, tuple(calls), "exited", f"proc_exit({exc.args[0]})")
    except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
        text = str(exc)
        if isinstance(getattr(exc, "__cause__", None), _Exit) or "_Exit" in text:
            return SmokeRun(sequence, tuple(calls), "exited", "proc_exit")
        outcome = ("out-of-fuel" if "fuel" in text else
                   "timeout" if "interrupt" in text or "epoch" in text else "trapped")
        return SmokeRun(sequence, tuple(calls), outcome, _trap_reason(text))
    except Exception as exc:  # a stub or binding problem: the run tells us nothing
        return SmokeRun(sequence, tuple(calls), "not-run", f"{type(exc).__name__}: {exc}")
    finally:
        timer.cancel()
