"""The smoke child process: compile a module once, run each requested start-up sequence in a
fresh instance, print one JSON line per sequence as soon as it ends.

    python -m compatcheck.smoke.child < (header line, JSON) + (module bytes)

Started only by compatcheck.smoke.run_startups, which set the OS limits below first thing.
"""

from __future__ import annotations

import json
import resource
import sys

from . import limits
from .stubs import CallLimit, Exited, Recorder, make_stub


def _set_os_limits(box: dict) -> None:
    for which, value in ((resource.RLIMIT_AS, box["address_space"]),
                         (resource.RLIMIT_CPU, box["cpu_seconds"]),
                         (resource.RLIMIT_FSIZE, 0),  # the child writes no file
                         (resource.RLIMIT_CORE, 0)):
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))


def _engine(wasmtime):
    config = wasmtime.Config()
    config.consume_fuel = True
    config.cranelift_opt_level = "none"  # compile fast; the run is short
    config.parallel_compilation = False  # one core: the parent may run several children
    config.memory_reservation = 0  # reserve what is used, so RLIMIT_AS measures real memory
    config.memory_guard_size = 1 << 16
    config.memory_reservation_for_growth = 1 << 20
    config.memory_init_cow = False  # copy-on-write images are memfd files; the child writes none
    config.shared_memory = True
    for attr in ("wasm_threads", "wasm_tail_call", "wasm_reference_types", "wasm_simd",
                 "wasm_bulk_memory", "wasm_multi_value", "wasm_multi_memory", "wasm_memory64",
                 "wasm_relaxed_simd", "wasm_exceptions", "wasm_function_references", "wasm_gc"):
        try:
            setattr(config, attr, True)
        except (AttributeError, wasmtime.WasmtimeError):
            pass
    return wasmtime.Engine(config)


def _define_imports(wasmtime, store, linker, module, rec: Recorder, memory_bytes: int) -> None:
    defined = set()
    for imp in module.imports:
        if (imp.module, imp.name) in defined:
            continue  # a module may import the same name twice (Go's wasip1 imports fd_write
        defined.add((imp.module, imp.name))  # twice); the linker holds one definition
        if imp.kind == "func":
            linker.define(store, imp.module, imp.name, make_stub(store, imp, rec, wasmtime))
        elif imp.kind == "memory":
            lim = imp.type.limits
            cap = max(lim.minimum, memory_bytes // limits.PAGE)
            maximum = cap if lim.maximum is None else min(lim.maximum, cap)
            mt = wasmtime.MemoryType(wasmtime.Limits(lim.minimum, maximum),
                                     is_64=lim.is64, shared=lim.shared)
            linker.define(store, imp.module, imp.name, wasmtime.Memory(store, mt))
        elif imp.kind == "table":
            lim = imp.type.limits
            tt = wasmtime.TableType(wasmtime.ValType.funcref(),
                                    wasmtime.Limits(lim.minimum, lim.maximum))
            linker.define(store, imp.module, imp.name, wasmtime.Table(store, tt, None))


def _outcome(wasmtime, exc: BaseException, box: dict) -> tuple[str, str]:
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, (Exited, CallLimit)):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, Exited):
        return "exited", f"proc_exit({cause.args[0]})"
    if isinstance(cause, CallLimit):
        return "stopped", f"host-call limit ({box['max_calls']:,} calls)"
    text = str(exc)
    out_of_fuel = isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL
    if out_of_fuel or "all fuel consumed" in text:
        return "stopped", f"instruction budget ({box['fuel']:,} instructions)"
    if isinstance(exc, MemoryError):
        return "stopped", "memory limit (address space)"
    return "trapped", trap_reason(text)


def trap_reason(text: str) -> str:
    """wasmtime puts the backtrace first and the reason after 'Caused by:'."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if line.startswith("Caused by:") and i + 1 < len(lines):
            return lines[i + 1].lstrip("0123456789: ")[:200]
    return (lines[-1] if lines else "trap")[:200]


def _run_sequence(wasmtime, engine, compiled, module, sequence, box: dict) -> dict:
    memory_bytes = box["memory_bytes"]
    rec = Recorder(box["max_calls"])
    store = wasmtime.Store(engine)
    store.set_limits(memory_size=memory_bytes, table_elements=limits.TABLE_ELEMENTS,
                     instances=1, tables=16, memories=16)
    store.set_fuel(box["fuel"])
    outcome, detail = "completed", ""
    try:
        linker = wasmtime.Linker(engine)
        _define_imports(wasmtime, store, linker, module, rec, memory_bytes)
        instance = linker.instantiate(store, compiled)
        exports = instance.exports(store)
        for name in sequence:
            fn = exports.get(name)
            if not isinstance(fn, wasmtime.Func):
                continue
            rec.current = name
            fn(store, *([0] * len(fn.type(store).params)))
    except (Exited, CallLimit, MemoryError, wasmtime.WasmtimeError, wasmtime.Trap) as exc:
        outcome, detail = _outcome(wasmtime, exc, box)
    except Exception as exc:  # the bindings refused something: the run tells us nothing
        outcome, detail = "not-run", f"the sandbox cannot run it ({type(exc).__name__}: {exc})"
    return {"sequence": list(sequence), "calls": [list(c) for c in rec.calls],
            "outcome": outcome, "detail": detail}


def serve(items_key: str, run_item) -> int:
    """The child's life: OS limits first, compile the module once, then one JSON line per item
    of the header's ``items_key``, each run by ``run_item(wasmtime, engine, compiled, module,
    header, item)`` in a fresh store. Shared by smoke mode and the emulator."""
    header = json.loads(sys.stdin.buffer.readline())
    _set_os_limits(header["limits"])
    data = sys.stdin.buffer.read()
    import wasmtime

    from ..wasm import read_module

    module = read_module(data)
    engine = _engine(wasmtime)
    out = sys.stdout
    try:
        compiled = wasmtime.Module(engine, data)
    except MemoryError:
        out.write(json.dumps({"compile": "stopped", "detail": "memory backstop while compiling"}))
        return 0
    except wasmtime.WasmtimeError as exc:
        out.write(json.dumps({"compile": "failed", "detail": trap_reason(str(exc))}) + "\n")
        return 0
    out.write(json.dumps({"compile": "ok"}) + "\n")
    out.flush()
    for item in header[items_key]:
        out.write(json.dumps(run_item(wasmtime, engine, compiled, module, header, item)) + "\n")
        out.flush()
    return 0


def main() -> int:
    return serve("sequences", lambda wasmtime, engine, compiled, module, header, sequence:
                 _run_sequence(wasmtime, engine, compiled, module, tuple(sequence),
                               header["limits"]))


if __name__ == "__main__":
    sys.exit(main())
