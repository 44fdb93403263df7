"""The probe's instruments: a probe module (a base that loads, plus one change) and the Prober
that runs modules through `envoy --mode validate`, in parallel, bisecting import sets."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import wasmtime

from ...wasm import FuncType
from .. import validate
from ..process import stop_all
from ..judge import EnvoyJudge, Judge
from ..validate import EnvoyError, EnvoyOutcome

RUNTIMES = ("v8", "wamr", "wasmtime", "wavm", "wasmedge", "null")
MARKERS = {"proxy_abi_version_0_1_0": "0.1.0", "proxy_abi_version_0_2_0": "0.2.0",
           "proxy_abi_version_0_2_1": "0.2.1"}
NO_RUNTIME = "compiled without support"
WASI_NAMES = ("wasi_snapshot_preview1", "wasi_unstable")


def _sig(ft: FuncType) -> str:
    params = f"(param {' '.join(ft.params)})" if ft.params else ""
    results = f"(result {' '.join(ft.results)})" if ft.results else ""
    return f"{params} {results}".strip()


def _const(t: str) -> str:
    return f"({t}.const 0)"


@dataclass
class ProbeModule:
    """A probe module: a base that loads, plus changes."""
    marker: str | None = "proxy_abi_version_0_2_1"
    markers: tuple[str, ...] = ()
    malloc: str | None = "(func (export \"malloc\") (param i32) (result i32) (i32.const 1024))"
    memory: str = '(memory (export "memory") 1)'
    callbacks: str = ('(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))'
                      '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))'
                      '(func (export "proxy_on_context_create") (param i32 i32))')
    imports: list[tuple[str, str, FuncType]] = field(default_factory=list)
    extra: str = ""
    extra_imports: str = ""  # non-function imports (must precede definitions)
    init_calls: list[int] | None = None  # import indices _initialize calls once each

    def wat(self) -> str:
        parts = ["(module"]
        for i, (mod, name, ft) in enumerate(self.imports):
            parts.append(f'(import "{mod}" "{name}" (func $i{i} {_sig(ft)}))')
        parts.append(self.extra_imports)
        parts.append(self.memory)
        for m in (self.markers or ((self.marker,) if self.marker else ())):
            parts.append(f'(func (export "{m}"))')
        if self.malloc:
            parts.append(self.malloc)
        parts.append(self.callbacks)
        if self.init_calls is not None:
            body = []
            for i in self.init_calls:
                ft = self.imports[i][2]
                call = f"(call $i{i} {' '.join(_const(p) for p in ft.params)})"
                body.append(f"(drop {call})" if ft.results else call)
            parts.append(f'(func (export "_initialize") {" ".join(body)})')
        parts.append(self.extra)
        parts.append(")")
        return "\n".join(parts)


class Prober:
    def __init__(self, envoy: str, jobs: int = 2, log: Callable[[str], None] | None = None,
                 timeout: float = 60.0, judge: Judge | None = None):
        self.envoy = envoy
        self.judge: Judge = judge or EnvoyJudge(envoy)
        self.jobs = jobs
        self.runs = 0
        self.timeout = timeout
        self.log = log or (lambda _msg: None)
        self._tmp = tempfile.TemporaryDirectory(prefix="compatcheck-probe-")
        self._n = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()  # set on the first failure: no further Envoy starts
        self._failure: EnvoyError | None = None
        self.runtime = "envoy.wasm.runtime.v8"

    def close(self) -> None:
        self._tmp.cleanup()

    def outcome(self, data: bytes, runtime: str | None = None,
                timeout: float | None = None) -> EnvoyOutcome:
        """One validate run of `data`, whatever its outcome."""
        with self._lock:
            self._n += 1
            self.runs += 1
            path = os.path.join(self._tmp.name, f"p{self._n}.wasm")
        with open(path, "wb") as fh:
            fh.write(data)
        try:
            return self.judge.load(path, runtime or self.runtime,
                                   timeout=timeout or self.timeout, stop=self._stop)
        finally:
            os.unlink(path)

    def run_bytes(self, data: bytes, runtime: str | None = None) -> EnvoyOutcome:
        """An outcome that decides something; a timeout or an unrunnable binary ends the probe."""
        out = self.outcome(data, runtime)
        if self._stop.is_set():
            raise self._failure or EnvoyError("stopped")
        if out.status in ("timeout", "error"):
            self.fail(EnvoyError(out.detail + ("; nothing measured" if out.status == "timeout" else "")))
        return out

    def fail(self, exc: EnvoyError) -> None:
        """Keep the first failure and stop the runs of other threads at once."""
        with self._lock:
            self._failure = self._failure or exc
        stop_all(self._stop)
        raise self._failure

    def run(self, module: ProbeModule | str, runtime: str | None = None) -> EnvoyOutcome:
        text = module.wat() if isinstance(module, ProbeModule) else module
        return self.run_bytes(bytes(wasmtime.wat2wasm(text)), runtime)

    def first(self, module: ProbeModule, runtime: str) -> EnvoyOutcome:
        """A module that loads on every build must get an Envoy outcome in bounded time."""
        limit = min(self.timeout, validate.ANSWER_TIMEOUT)
        out = self.outcome(bytes(wasmtime.wat2wasm(module.wat())), runtime, limit)
        if out.status == "timeout":
            self.fail(EnvoyError("not an Envoy that answers: a validate run of a module that loads "
                                 f"gave no answer in {limit:g} s"))
        if out.status == "error":
            self.fail(EnvoyError(out.detail))
        return out

    def many(self, modules: list) -> list[EnvoyOutcome]:
        pool = ThreadPoolExecutor(self.jobs)
        try:
            return list(pool.map(self.run, modules))
        except BaseException as exc:
            # a failed run, KeyboardInterrupt or SIGTERM: start nothing more, end the others' runs
            pool.shutdown(wait=False, cancel_futures=True)
            stop_all(self._stop)
            if isinstance(exc, EnvoyError) and self._failure is not None:
                raise self._failure from None  # the cause, not a run it stopped
            raise
        finally:
            pool.shutdown(wait=True)

    def linking(self, make: Callable[[list], ProbeModule], items: list) -> dict:
        """Which items link: bisect on failure (the host names only the first bad import)."""
        result: dict = {}
        pending = [items] if items else []
        while pending:
            outcomes = self.many([make(group) for group in pending])
            nxt = []
            for group, out in zip(pending, outcomes, strict=False):
                if out.status == "loaded":
                    result.update({item: "ok" for item in group})
                elif len(group) == 1:
                    result[group[0]] = _classify(out)
                else:
                    nxt += [group[: len(group) // 2], group[len(group) // 2:]]
            pending = nxt
        return result


def _classify(out: EnvoyOutcome) -> str:
    first = out.first_error or ""
    if out.status == "crashed":
        return "crash"
    if "missing import" in first:
        return "missing"
    if "type mismatch" in first:
        return "mismatch"
    if "restricted_callback" in " ".join(out.messages):
        return "restricted"
    return "other: " + first


def _host_type(out: EnvoyOutcome) -> FuncType | None:
    """'..., but host exports: i32 i32 -> i32' -> FuncType (V8's rendering, void = none)."""
    m = re.search(r"but host exports: (.*?) -> (.*)$", out.first_error or "")
    if m is None:
        return None

    def side(text: str) -> tuple[str, ...]:
        text = text.strip()
        return () if text in ("", "void") else tuple(text.split())

    return FuncType(side(m.group(1)), side(m.group(2)))


def _template(text: str, value: str, key: str) -> str:
    return text.replace(value, "{" + key + "}")


