"""One emulated VM: the wasmtime store, the host functions generated from the build's spec,
and the calls into the module, each with counted budgets.

Only the functions the spec lists for the module's ABI (plus the build's env shims and WASI
functions) are defined, with the spec's signatures, so linking fails where the build's would.
Every call into the module gets a fresh instruction budget (wasmtime fuel) and host-call
budget; a stage stopped by one decides nothing. Memory is capped by the smaller of the
sandbox cap and the host's own cap on a VM's memory (the spec's memory.cap_pages).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from ..abi.vocabulary import fill_message
from ..smoke.stubs import CallLimit
from ..wasm import FuncType, Module
from . import calls_core, calls_http
from .guest import Guest
from .model import Stage
from .state import STATUS_NAMES, UNIMPLEMENTED, HostState
from .traps import FUEL_TEXT, HostTrap, backtrace, fail_message, v8_text
from .wasi import ENOSYS, WASI

PAGE = 65536
RESTRICTED = "Uncaught Error: restricted_callback"  # V8::trap("restricted_callback") as thrown


class LinkError(Exception):
    """The build would refuse the module while linking (its own message)."""


def _impl(facts: dict, module: str, name: str):
    """(implementation, spec type) of an import, or (None, None) when the build lacks it."""
    stubbed = facts.get("stubbed", ())
    if module == "env":
        sig = facts["functions"].get(name) or facts["shims"].get(name)
        if sig is None:
            return None, None
        if name in stubbed:
            return _stub(facts, name), FuncType.parse(sig)
        fn = getattr(calls_http, name[6:], None) or getattr(calls_core, name[6:], None) \
            if name.startswith("proxy_") else getattr(calls_core, name, None)
        return fn or _unimplemented(name, UNIMPLEMENTED), FuncType.parse(sig)
    if module in facts["wasi_modules"] and name in facts["wasi"]:
        if f"wasi.{name}" in stubbed:
            return _stub(facts, f"wasi.{name}"), FuncType.parse(facts["wasi"][name])
        exit_text = facts.get("runtime_texts", {}).get("exit")
        if name == "proc_exit" and exit_text:
            return _exit(exit_text), FuncType.parse(facts["wasi"][name])
        return WASI.get(name) or _unimplemented(name, ENOSYS), FuncType.parse(facts["wasi"][name])
    return None, None


def _stub(facts: dict, name: str):
    """A host function the build links to a stub (host_functions.stubbed), as it behaves:
    trap (the spec's messages.stub_call), returns-unimplemented (12), returns-ok-noop (0)."""
    behaviour = facts.get("stub_behaviour", "trap")
    field = name.removeprefix("wasi.")

    def call(h, *_args):
        h.note(f"{name} is a stub in this build ({behaviour})")
        if behaviour == "returns-unimplemented":
            return UNIMPLEMENTED
        if behaviour == "returns-ok-noop":
            return 0
        text = fill_message(facts["messages"].get("stub_call", ""), **{"import": field})
        raise HostTrap(text or f"{name} is not implemented by this build")
    return call


def _exit(text: str):
    """proc_exit where the runtime ends the call with an error (runtimes.toml texts.exit)."""
    def call(h, code):
        h.note(f"the module called proc_exit({code}); the runtime ends the call")
        raise HostTrap(text.format(status=code))
    return call


def arity_failure(facts: dict, have: int, want: int) -> str:
    """The runtime's refusal of a call with the wrong argument count (texts.arity)."""
    template = facts.get("runtime_texts", {}).get("arity") or "expected {want} arguments, got {have}"
    return template.format(want=want, have=have)


def _unimplemented(name: str, code: int):
    def call(h, *args):
        h.note(f"{name} is not emulated; it answered {STATUS_NAMES.get(code, code)}")
        return code
    return call


class Calls:
    """The calls into the module (a mixin of Session, kept apart to keep each part short)."""

    # What Session.__init__ sets and defines, declared for the type checker (wasmtime is untyped).
    wt: Any  # the wasmtime module
    module: Module
    box: dict
    host: HostState
    facts: dict  # the build's facts (emulator.host_facts)
    store: Any  # wasmtime.Store
    compiled: Any  # wasmtime.Module
    instance: Any  # wasmtime.Instance
    exports: Any  # wasmtime's exports of the instance ({} before it)
    stages: list[Stage]
    stopped: str
    inner_errors: tuple[type[BaseException], ...]
    _allowed: list
    _count: int
    _calls: dict[str, list]
    _names: dict[int, str]

    if TYPE_CHECKING:
        def link(self) -> Any: ...
        def _fail(self, message: str) -> None: ...
        def _message(self, key: str, **values) -> str: ...

    def instantiate(self) -> Stage:
        """Link (LinkError when the build would refuse) and instantiate (start section)."""
        linker = self.link()
        self.host.current = 0
        self.store.set_fuel(self.box["fuel"])
        frames: tuple[str, ...]
        outcome, detail, frames = "returned", "", ()
        try:
            self.instance = linker.instantiate(self.store, self.compiled)
            self.exports = self.instance.exports(self.store)
        except Exception as exc:  # noqa: BLE001 - every failure is classified
            outcome, detail, frames = self._classify(exc)
            if outcome == "stopped":
                self.stopped = f"instantiation: {detail}"
        stage = Stage("instantiate", "start", None, (), outcome, None, detail, frames,
                      tuple(self.host.logs), self._summary())
        self.stages.append(stage)
        return stage

    def call(self, phase: str, name: str, context: int, *args, allowed=None) -> Stage | None:
        """Call an export as the host does; None when the module does not export it."""
        fn = self.exports.get(name) if self.exports else None
        if not isinstance(fn, self.wt.Func):
            return None
        h = self.host
        h.current, h.effective, h.logs = context, 0, []
        h.stop_iteration = False  # reset after every VM call (DeferAfterCallActions)
        self._count, self._calls = 0, {}
        self.store.set_fuel(self.box["fuel"])
        self._allowed = [allowed] if allowed is not None else []
        frames: tuple[str, ...]
        result, outcome, detail, frames = None, "returned", "", ()
        params = len(fn.type(self.store).params)
        if params != len(args) and self.facts.get("callback_arguments") == "export-type":
            # the host passes as many arguments as the export's own type asks for (Kong's
            # ngx_wavm_val_vec_set reads the function's type): the ABI's first ones, then 0
            args = (tuple(args) + (0,) * params)[:params]
        try:
            if params != len(args):
                # a host that checks a callback's type only when it calls it: the runtime
                # refuses the call (callbacks.checked = false)
                raise HostTrap(arity_failure(self.facts, len(args), params))
            value = fn(self.store, *args)
            result = value & 0xFFFFFFFF if isinstance(value, int) else None
        except Exception as exc:  # noqa: BLE001 - every failure is classified
            outcome, detail, frames = self._classify(exc)
            if outcome == "trapped":
                self._fail(fail_message(self._message, name, detail, frames))
            elif outcome == "stopped":
                self.stopped = self.stopped or f"{name}: {detail}"
        self._allowed = []
        stage = Stage(name, phase, context, tuple(args), outcome, result, detail, frames,
                      tuple(h.logs), self._summary())
        self.stages.append(stage)
        return stage

    def _summary(self):
        return tuple((q, n, r) for q, (n, r) in self._calls.items())

    def _classify(self, exc) -> tuple[str, str, tuple[str, ...]]:
        cause = exc
        while cause is not None and not isinstance(cause, (CallLimit, MemoryError)):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, CallLimit):
            return "stopped", f"host-call budget ({self.box['max_calls']:,} calls)", ()
        if isinstance(cause, MemoryError):
            return "stopped", "memory backstop (address space)", ()
        code = getattr(getattr(exc, "trap_code", None), "name", None)
        if code == "OUT_OF_FUEL" or FUEL_TEXT in str(exc):
            return "stopped", f"instruction budget ({self.box['fuel']:,} instructions)", ()
        if isinstance(exc, self.inner_errors):
            return "trapped", v8_text(exc, self.module.data, self.facts.get("runtime_texts")), \
                backtrace(exc, self._names)
        return "stopped", f"the sandbox cannot run it ({type(exc).__name__}: {exc})", ()


class Session(Calls):
    def __init__(self, wasmtime, engine, compiled, module, facts: dict, scenario, box: dict):
        self.wt, self.module, self.facts, self.box = wasmtime, module, facts, box
        self.host = HostState(scenario, facts)
        self.host.guest = Guest(self)
        self.engine = engine
        self.store = wasmtime.Store(engine)
        cap = facts.get("memory_cap_pages")
        memory = box["memory_bytes"] if cap is None else min(box["memory_bytes"], cap * PAGE)
        self.memory_bytes = memory
        self.store.set_limits(memory_size=memory, table_elements=box["table_elements"],
                              instances=1, tables=16, memories=16)
        self.compiled = compiled
        self.exports = {}
        self.stages: list[Stage] = []
        self.failed: str | None = None  # the VM failed (a trap): the host's message
        self.stopped = ""  # a budget stopped a call: why (the run decides nothing after it)
        self.messages: list[str] = []
        self._allowed: list = []
        self._count = 0
        self._calls: dict[str, list] = {}
        self._names = dict(module.function_names)
        self.inner_errors = (wasmtime.Trap, wasmtime.WasmtimeError, HostTrap)

    # -- host-call plumbing -----------------------------------------------------------
    def allocator(self, caller):
        for name in self.facts["allocator"]:
            fn = caller.get(name)
            if isinstance(fn, self.wt.Func):
                return name, fn
        return None, None

    @contextlib.contextmanager
    def restricted(self, allowed, _why: str):
        self._allowed.append(allowed)
        try:
            yield
        finally:
            self._allowed.pop()

    def _enter(self, key: str) -> None:
        self._count += 1
        if self._count > self.box["max_calls"]:
            raise CallLimit(self.box["max_calls"])
        allowed = self._allowed[-1] if self._allowed else None
        if allowed is not None and key not in allowed:
            raise HostTrap(RESTRICTED)

    def _record(self, qname: str, result) -> None:
        entry = self._calls.setdefault(qname, [0, None])
        entry[0] += 1
        entry[1] = result

    def inner_trap(self, function: str, exc) -> None:
        """A trap in a call the host made from inside a host function (the allocator): the
        VM fails, the host function fails, the outer call goes on (V8 returns the trap)."""
        if isinstance(exc, (CallLimit, MemoryError)) or FUEL_TEXT in str(exc):
            raise exc
        frames = backtrace(exc, self._names)
        self._fail(fail_message(self._message, function, v8_text(
            exc, self.module.data, self.facts.get("runtime_texts")), frames))

    def _fail(self, message: str) -> None:
        if self.failed is None:
            self.failed = message
            self.messages.append(message)

    def _message(self, key: str, **values) -> str:
        return fill_message(self.facts["messages"].get(key, ""), **values)

    # -- linking ----------------------------------------------------------------------
    def _func(self, imp, impl, ftype):
        wt = self.wt
        vt = {"i32": wt.ValType.i32(), "i64": wt.ValType.i64(), "f32": wt.ValType.f32(),
              "f64": wt.ValType.f64()}
        ft = wt.FuncType([vt[t] for t in ftype.params], [vt[t] for t in ftype.results])
        masks = [(1 << 32) - 1 if t == "i32" else (1 << 64) - 1 for t in ftype.params]
        key = f"wasi.{imp.name}" if imp.module in self.facts["wasi_modules"] else imp.qualified_name
        qname, h, has_result = imp.qualified_name, self.host, bool(ftype.results)

        def call(caller, *args):
            self._enter(key)
            previous, h.guest.caller = h.guest.caller, caller
            try:
                result = impl(h, *(a & m if isinstance(a, int) else a for a, m in zip(args, masks, strict=True)))
            except HostTrap:
                self._record(qname, None)  # the call was made (a stub that traps, proc_exit)
                raise
            finally:
                h.guest.caller = previous
            self._record(qname, result)
            return (result or 0) if has_result else None

        return wt.Func(self.store, ft, call, access_caller=True)

    def link(self):
        """Define every import as the build would, or raise LinkError with its message."""
        linker = self.wt.Linker(self.engine)
        linker.allow_shadowing = True  # a module may import the same function twice
        for imp in self.module.imports:
            if imp.kind == "func":
                impl, ftype = _impl(self.facts, imp.module, imp.name)
                if impl is None:
                    wasi = imp.module in self.facts["wasi_modules"] and \
                        self._message("missing_wasi_import", **_names(imp))
                    raise LinkError(wasi or self._message("missing_import", **_names(imp)))
                if ftype != imp.type:
                    raise LinkError(self._message(
                        "import_type_mismatch", **_names(imp),
                        want=_v8(imp.type), have=_v8(ftype)))
                linker.define(self.store, imp.module, imp.name, self._func(imp, impl, ftype))
            elif imp.kind in ("memory", "table") and self.facts["non_function_imports"].get(imp.kind) == "accept":
                linker.define(self.store, imp.module, imp.name, self._extern(imp))
            else:
                raise LinkError(self._message("missing_import", **_names(imp)))
        return linker

    def _extern(self, imp):
        wt, lim = self.wt, imp.type.limits
        if imp.kind == "memory":
            cap = max(lim.minimum, self.memory_bytes // PAGE)
            maximum = cap if lim.maximum is None else min(lim.maximum, cap)
            return wt.Memory(self.store, wt.MemoryType(wt.Limits(lim.minimum, maximum),
                                                       is_64=lim.is64, shared=lim.shared))
        tt = wt.TableType(wt.ValType.funcref(), wt.Limits(lim.minimum, lim.maximum))
        return wt.Table(self.store, tt, None)


def _names(imp) -> dict:
    return {"import": imp.qualified_name, "module": imp.module, "field": imp.name}


def _v8(ft) -> str:
    return f"{' '.join(ft.params) or 'void'} -> {' '.join(ft.results) or 'void'}"
