"""Derive a host-build spec from an Envoy binary alone, by loading crafted probe modules.

Each fact is measured with `envoy --mode validate` on small modules that change one thing from
a module that loads. Where a host stops at the first failure (imports, start-up calls), sets are
measured by bisection: one run for a whole set when it links, then halves of a set that fails.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import wasmtime

from ..abi import get_specs
from ..wasm import FuncType
from . import validate
from .process import sigterm_raises, stop_all
from .validate import EnvoyError, EnvoyOutcome, identify, run_validate

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
class Module:
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
                 timeout: float = 60.0):
        self.envoy = envoy
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
            return run_validate(self.envoy, path, runtime or self.runtime,
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

    def run(self, module: Module | str, runtime: str | None = None) -> EnvoyOutcome:
        text = module.wat() if isinstance(module, Module) else module
        return self.run_bytes(bytes(wasmtime.wat2wasm(text)), runtime)

    def first(self, module: Module, runtime: str) -> EnvoyOutcome:
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

    def linking(self, make: Callable[[list], Module], items: list) -> dict:
        """Which items link: bisect on failure (the host names only the first bad import)."""
        result: dict = {}
        pending = [items] if items else []
        while pending:
            outcomes = self.many([make(group) for group in pending])
            nxt = []
            for group, out in zip(pending, outcomes):
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


def probe(envoy: str, name: str | None = None, jobs: int = 2,
          log: Callable[[str], None] | None = None, timeout: float = 60.0) -> dict:
    """Measure the binary; returns the facts as plain data (see write_spec).

    EnvoyError (a RuntimeError) when the binary is not an Envoy that answers or a run times out.
    """
    log = log or (lambda _m: None)
    with sigterm_raises():
        version = identify(envoy, timeout)  # fails early unless an Envoy answers --version
        p = Prober(envoy, jobs, log, timeout)
        try:
            return _probe(p, version, name, log)
        finally:
            p.close()


def _probe(p: Prober, version: str, name: str | None, log) -> dict:
    specs = get_specs()
    hc = specs.hostcalls
    facts: dict = {"version_string": version, "messages": {}}
    msgs = facts["messages"]

    # 1. runtimes compiled in (V8 first: it decides whether this is an Envoy that answers)
    base = Module()
    outs = {"v8": p.first(base, "envoy.wasm.runtime.v8")}
    outs.update({rt: p.run(base, f"envoy.wasm.runtime.{rt}") for rt in RUNTIMES if rt != "v8"})
    compiled = [rt for rt, o in outs.items() if not any(NO_RUNTIME in m for m in o.messages)]
    facts["runtimes_compiled"] = compiled
    log(f"runtimes compiled in: {', '.join(compiled) or 'none'}")
    wasm_engines = [rt for rt in compiled if rt != "null"]  # NullVM runs only native plugins
    if not wasm_engines:
        msgs["no_runtime"] = outs["v8"].first_error or ""
        facts["runtime"] = None
        facts["runs"] = p.runs
        return facts
    engine = "v8" if "v8" in wasm_engines else wasm_engines[0]
    p.runtime = f"envoy.wasm.runtime.{engine}"
    facts["runtime"] = engine
    if outs[engine].status != "loaded":
        o = outs[engine]
        raise EnvoyError(f"the base probe module does not load on {engine}: "
                         f"{o.first_error or o.signal_name or f'exit {o.exit_code}, no Wasm message'}")

    # 2. ABI markers, first-export rule, marker message
    marker_out = dict(zip(MARKERS, p.many([Module(marker=m) for m in MARKERS])))
    accepted = {m: v for m, v in MARKERS.items() if marker_out[m].status == "loaded"}
    facts["markers"] = accepted
    none = p.run(Module(marker=None))
    msgs["missing_marker"] = none.first_error or ""
    facts["marker_rule"] = "first-function-export"
    if {"proxy_abi_version_0_1_0", "proxy_abi_version_0_2_1"} <= set(accepted):
        getconf = [("env", "proxy_get_configuration", hc["env"]["proxy_get_configuration"])]
        first_010 = p.run(Module(markers=("proxy_abi_version_0_1_0", "proxy_abi_version_0_2_1"),
                                 imports=getconf))
        first_021 = p.run(Module(markers=("proxy_abi_version_0_2_1", "proxy_abi_version_0_1_0"),
                                 imports=getconf))
        if first_010.status == "loaded" and first_021.status == "refused":
            facts["marker_rule"] = "first-function-export"
        else:
            facts["marker_rule"] = "unknown"
    log(f"ABI markers: {', '.join(accepted.values())} ({facts['marker_rule']})")

    # 3. host functions per ABI version, and message templates
    env_names = sorted(hc["env"]) + sorted(hc["env_shims"])
    sig = {**hc["env"], **hc["env_shims"]}
    facts["host_functions"] = {}
    facts["host_signatures"] = {}
    for marker, abi in accepted.items():
        res = p.linking(lambda g, m=marker: Module(marker=m, imports=[("env", n, sig[n]) for n in g]),
                        env_names)
        facts["host_functions"][abi] = sorted(n for n, r in res.items() if r == "ok")
        # present with another type: the refusal names the host's type; measure it
        for n in sorted(n for n, r in res.items() if r == "mismatch"):
            host_type = _host_type(p.run(Module(marker=marker, imports=[("env", n, sig[n])])))
            if host_type is not None:
                facts["host_signatures"][n] = str(host_type)
                facts["host_functions"][abi].append(n)
        facts["host_functions"][abi].sort()
    missing = p.run(Module(imports=[("env", "proxy_compatcheck_probe", FuncType((), ()))]))
    msgs["missing_import"] = _template(missing.first_error or "", "env.proxy_compatcheck_probe", "import")
    mismatch = p.run(Module(imports=[("env", "proxy_log", FuncType(("i32",), ()))]))
    mm = mismatch.first_error or ""
    mm = _template(mm, "env.proxy_log", "import")
    mm = re.sub(r"want: .*?, but host exports: .*$", "want: {want}, but host exports: {have}", mm)
    msgs["import_type_mismatch"] = mm
    shims = [n for n in hc["env_shims"] if n in facts["host_functions"][max(accepted.values())]]
    facts["env_shims"] = sorted(shims)
    for abi in facts["host_functions"]:
        facts["host_functions"][abi] = [n for n in facts["host_functions"][abi] if n not in shims]
    log("host functions: " + ", ".join(f"{a}: {len(v)}" for a, v in facts["host_functions"].items()))

    # 4. WASI under each module name
    wasi_names = sorted(hc["wasi"])
    facts["wasi"] = {}
    for module in WASI_NAMES:
        res = p.linking(lambda g, mod=module: Module(imports=[(mod, n, hc["wasi"][n]) for n in g]),
                        wasi_names)
        facts["wasi"][module] = sorted(n for n, r in res.items() if r == "ok")
    log("WASI: " + ", ".join(f"{m}: {len(v)}" for m, v in facts["wasi"].items()))

    # 5. non-function imports
    kinds = {"memory": Module(memory='(import "env" "memory" (memory 1))'),
             "table": Module(extra_imports='(import "env" "table" (table 1 funcref))'),
             "global": Module(extra_imports='(import "env" "g" (global i32))'),
             "tag": Module(extra_imports='(import "env" "tag" (tag (param i32)))')}
    kind_out = dict(zip(kinds, p.many(list(kinds.values()))))
    facts["imports"] = {k: ("accept" if o.status == "loaded" else "crash" if o.status == "crashed"
                            else "reject") for k, o in kind_out.items()}

    # 6. allocator
    no_alloc = p.run(Module(malloc=None))
    msgs["missing_allocator"] = no_alloc.first_error or ""
    alias = p.run(Module(malloc='(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))'))
    facts["allocator_any_of"] = ["malloc"] + (["proxy_on_memory_allocate"] if alias.status == "loaded" else [])
    bad = p.run(Module(malloc='(func (export "malloc") (param i64) (result i32) (i32.const 0))'))
    bs = bad.first_error or ""
    m = re.match(r"(Bad function signature for: )malloc(.*)$", bs)
    if m:
        tail = re.sub(r"want: .*?, but the module exports: .*$",
                      "want: {want}, but the module exports: {have}", m.group(2))
        msgs["bad_signature"] = m.group(1) + "{name}" + tail

    # 7. callbacks whose signature is checked, per ABI (the host reports every bad one)
    candidates = sorted({n for t in specs.builds[0].callbacks.values() for n in t}
                        | {"proxy_on_foreign_function", "proxy_on_request_metadata",
                           "proxy_on_response_metadata", "proxy_validate_configuration"})
    candidates = [c for c in candidates if c.startswith(("proxy_", "envoy_on_"))
                  and c != "proxy_on_memory_allocate"]
    facts["callbacks_checked"] = {}
    for marker, abi in accepted.items():
        wrong = "".join(f'(func (export "{c}") (param i64 i64 i64 i64 i64 i64 i64))' for c in candidates)
        out = p.run(Module(marker=marker, callbacks="", extra=wrong))
        checked = sorted({mm.group(1) for line in out.messages
                          for mm in [re.match(r"Bad function signature for: (\w+)", line)] if mm})
        facts["callbacks_checked"][abi] = checked
    log("checked callbacks: " + ", ".join(f"{a}: {len(v)}" for a, v in facts["callbacks_checked"].items()))

    # 8. start-up sequence: which start exports are called, in which order (each logs its name)
    log_imp = [("env", "proxy_log", hc["env"]["proxy_log"])]
    names = ["_initialize", "main", "__main_void", "_start", "__wasm_call_ctors"]
    types = {"_initialize": "", "_start": "", "__wasm_call_ctors": "",
             "main": "(param i32 i32) (result i32)", "__main_void": "(result i32)"}

    def start_module(exported: list[str]) -> Module:
        data, funcs = [], []
        for i, n in enumerate(exported):
            off = 256 + 32 * i
            data.append(f'(data (i32.const {off}) "{n}")')
            ret = " (i32.const 0)" if "result" in types[n] else ""
            funcs.append(f'(func (export "{n}") {types[n]} (drop (call $i0 (i32.const 3) '
                         f'(i32.const {off}) (i32.const {len(n)}))){ret})')
        return Module(imports=log_imp, extra=" ".join(data + funcs))

    def called(out: EnvoyOutcome) -> list[str]:
        seen = []
        for line in out.messages:
            mm = re.search(r"wasm log[^:]*: (\w+)$", line)
            if mm and mm.group(1) in names and mm.group(1) not in seen:
                seen.append(mm.group(1))
        return seen

    all5, no_init, init_mv = p.many([start_module(names), start_module(names[1:]),
                                     start_module(["_initialize", "__main_void"])])
    seq_all, seq_noinit, seq_mv = called(all5), called(no_init), called(init_mv)
    facts["startup_observed"] = {"all": seq_all, "without _initialize": seq_noinit,
                                 "_initialize + __main_void": seq_mv}
    if seq_all == ["_initialize", "main"] and seq_noinit == ["_start"]:
        facts["startup_sequence"] = ("initialize-main-mainvoid-or-start"
                                     if seq_mv == ["_initialize", "__main_void"]
                                     else "initialize-main-or-start")
    elif seq_all == ["_initialize"] and seq_noinit == ["_start"]:
        facts["startup_sequence"] = "initialize-or-start-or-ctors"
    else:
        facts["startup_sequence"] = "unknown"
    log(f"start-up: {facts['startup_sequence']} (observed {facts['startup_observed']})")

    trap = p.run(Module(extra='(func (export "_initialize") unreachable)'))
    tm = re.match(r"Function: _initialize failed: (.*)$", trap.first_error or "")
    if tm:
        msgs["trap"] = "Function: {function} failed: {trap}"
        facts["unreachable_trap_text"] = tm.group(1)

    # 9. imports allowed during start-up (each called once, zero arguments, from _initialize)
    latest = accepted.get("proxy_abi_version_0_2_1") and "0.2.1" or max(accepted.values())
    latest_marker = next(m for m, v in accepted.items() if v == latest)
    cands = [("env", n, sig[n]) for n in facts["host_functions"][latest] + facts["env_shims"]]
    cands += [("wasi_snapshot_preview1", n, hc["wasi"][n])
              for n in facts["wasi"]["wasi_snapshot_preview1"] if n != "proc_exit"]

    def init_module(group):
        return Module(marker=latest_marker, imports=list(group),
                      init_calls=list(range(len(group))))
    res = p.linking(init_module, cands)
    restricted = p.run(init_module([("env", "proxy_get_property", sig["proxy_get_property"])]))
    rc = next((line for line in restricted.messages if "restricted_callback" in line), "")
    if rc:
        msgs["restricted_call"] = re.sub(r"Function: (\w+) failed", "Function: {function} failed", rc)
    allowed = sorted(f"{'wasi' if mod.startswith('wasi') else mod}.{n}"
                     for (mod, n, _), r in res.items() if r == "ok")
    restricted_names = [f"{mod}.{n}" for (mod, n, _), r in res.items() if r != "ok"]
    facts["startup_allowed"] = None if not restricted_names else allowed
    log(f"allowed during start-up: {len(allowed)}; restricted: {len(restricted_names)}")

    # 10. proposals, memory limits, crashes, bytecode messages
    from .probe_modules import PROPOSAL_MODULES
    prop_out = dict(zip(PROPOSAL_MODULES, p.many([Module(extra=w) for w in PROPOSAL_MODULES.values()])))
    facts["features"] = sorted(f for f, o in prop_out.items() if o.status == "loaded")
    # a well-formed module whose code does not validate: what the runtime's refusal reads like
    invalid = p.run(Module(extra="(func (result i32) (i64.const 0))"))
    msgs["load_failed"] = invalid.first_error or ""
    loaded_pages, refused_pages = None, None
    for pages in (16384, 16385, 32768):
        o = p.run(Module(memory=f'(memory (export "memory") {pages})'))
        if o.status == "loaded":
            loaded_pages = pages
        elif refused_pages is None:
            refused_pages = pages
            msgs["instantiate_failed"] = o.first_error or ""
    facts["memory"] = {"largest_loaded_pages": loaded_pages, "smallest_refused_pages": refused_pages}
    from .probe_modules import CRASH_MODULES
    shapes = [Module(extra_imports=imp, extra=defs) for imp, defs in CRASH_MODULES.values()]
    crashes = [kind for kind, o in zip(CRASH_MODULES, p.many(shapes)) if o.status == "crashed"]
    start_sec = p.run(Module(imports=log_imp, extra='(func $s (drop (call $i0 (i32.const 3) '
                                                    '(i32.const 0) (i32.const 0)))) (start $s)'))
    if start_sec.status == "crashed":
        crashes.append("start-section-host-call")
    facts["crashes"] = crashes
    corrupt = p.run_bytes(b"\0asm\x01\x00\x00\x00\x01\x7f")
    msgs["corrupted"] = corrupt.first_error or ""
    facts["runs"] = p.runs
    return facts



def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _arr(items) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


_FALLBACK_MESSAGES = {
    "missing_import": "Failed to load Wasm module due to a missing import: {import}",
    "import_type_mismatch": ("Failed to load Wasm module due to an import type mismatch: "
                             "{import}, want: {want}, but host exports: {have}"),
    "missing_allocator": "Wasm module is missing malloc function.",
    "load_failed": "Failed to load Wasm bytecode",
}


def _profile_toml(facts: dict, pid: str, source: str) -> str:
    lines = [f"id = {_q(pid)}", 'summary = "Measured from the binary by compatcheck probe."',
             'status = "probed"', f"sources = [{_q(source)}]"]
    if facts.get("crashes"):
        lines.append(f"crashes = {_arr(facts['crashes'])}")
    if facts.get("runtime") is not None:
        hf = facts["host_functions"]
        common = sorted(set.intersection(*(set(v) for v in hf.values())))
        modules = [m for m, fns in facts["wasi"].items() if fns]
        wasi = sorted(set().union(*(facts["wasi"][m] for m in modules)))
        rule = facts["marker_rule"] if facts["marker_rule"] != "unknown" else "first-function-export"
        seq = facts["startup_sequence"]
        lines += ["", "[abi]",
                  "markers = { " + ", ".join(f"{k} = {_q(v)}" for k, v in facts["markers"].items()) + " }",
                  f"rule = {_q(rule)}", "", "[host_functions]", f"common = {_arr(common)}"]
        lines += [f"{_q(abi)} = {_arr(sorted(set(names) - set(common)))}" for abi, names in hf.items()]
        if facts.get("host_signatures"):
            lines += ["", "[host_functions.signatures]"]
            lines += [f"{n} = {_q(t)}" for n, t in sorted(facts["host_signatures"].items())]
        lines += ["", "[wasi]", f"modules = {_arr(modules)}", f"functions = {_arr(wasi)}",
                  "", "[env_shims]", f"functions = {_arr(facts['env_shims'])}", "", "[imports]"]
        lines += [f"{k} = {_q('reject' if v == 'crash' else v)}" for k, v in facts["imports"].items()]
        lines += ["", "[allocator]", f"any_of = {_arr(facts['allocator_any_of'])}",
                  "", "[startup]", f"sequence = {_q(seq if seq != 'unknown' else 'initialize-main-or-start')}"]
        if facts["startup_allowed"] is not None:
            lines.append(f"allowed = {_arr(facts['startup_allowed'])}")
        lines += ["", "[callbacks]", 'table = "cpp-host"', "checked = true"]
        memory = {k: v for k, v in facts["memory"].items() if v is not None}
        if memory:
            lines += ["", "[memory]"] + [f"{k} = {v}" for k, v in memory.items()]
    messages = {**_FALLBACK_MESSAGES, **{k: v for k, v in facts["messages"].items() if v}}
    lines += ["", "[messages]"] + [f"{k} = {_q(v)}" for k, v in sorted(messages.items())]
    return "\n".join(lines) + "\n"


def to_toml(facts: dict, name: str) -> dict[str, str]:
    """Spec files (profiles/, builds/, runtimes.toml) in the project's schema, for --spec-dir."""
    source = f"probed from {facts['version_string']}"
    pid = f"probed-{name}"
    parts = facts["version_string"].split("/")
    number = parts[1] if len(parts) > 1 else "0"
    runtime_id = "none" if facts.get("runtime") is None else f"{name}-{facts['runtime']}"
    build = "\n".join([
        "[[build]]", f"id = {_q(name)}", f"product = {_q(name)}", f"first = {_q(number)}",
        f"last = {_q(number)}", f"title = {_q(name + ' (probed)')}", f"profile = {_q(pid)}",
        f"runtime = {_q(runtime_id)}", f"runtimes_compiled = {_arr(facts.get('runtimes_compiled', []))}",
        'status = "probed"', f"sources = [{_q(source)}]", f"pins = {{ envoy = {_q(parts[0])} }}", ""])
    files = {f"profiles/{pid}.toml": _profile_toml(facts, pid, source),
             f"builds/{name}.toml": build}
    if runtime_id != "none":
        files["runtimes.toml"] = "\n".join([
            "[[runtime]]", f"id = {_q(runtime_id)}", f"engine = {_q(facts['runtime'])}",
            'version = "probed"', 'status = "probed"', f"features = {_arr(facts['features'])}",
            f"sources = [{_q(source)}]", ""])
    return files


def compare(facts: dict, host) -> list[str]:
    """Facts where a committed spec and a probe of the same binary disagree."""
    diffs = []

    def differ(what: str, spec_value, probed) -> None:
        if spec_value != probed:
            diffs.append(f"{what}: spec {spec_value!r}, probe {probed!r}")

    compiled = facts.get("runtimes_compiled", [])
    if facts.get("runtime") is None:
        differ("runtime", host.runtime.engine, "none")
        return diffs
    differ("runtime", host.runtime.engine, facts["runtime"])
    differ("abi markers", dict(host.abi_markers), facts["markers"])
    differ("marker rule", host.marker_rule, facts["marker_rule"])
    for abi, names in facts["host_functions"].items():
        differ(f"host functions ABI {abi}", sorted(host.host_functions.get(abi, {})), names)
        for n in names:
            probed_type = facts.get("host_signatures", {}).get(n)
            if probed_type is not None and n in host.host_functions.get(abi, {}):
                differ(f"signature of {n}", str(host.host_functions[abi][n]), probed_type)
    differ("env shims", sorted(host.env_shims), facts["env_shims"])
    for module, names in facts["wasi"].items():
        spec_names = sorted(host.wasi) if module in host.wasi_modules else []
        differ(f"WASI under {module}", spec_names, names)
    probed_imports = {k: ("reject" if v == "crash" else v) for k, v in facts["imports"].items()}
    differ("non-function imports", dict(host.non_function_imports), probed_imports)
    differ("allocator", list(host.allocator_any_of), facts["allocator_any_of"])
    differ("start-up sequence", host.startup_sequence, facts["startup_sequence"])
    differ("start-up allowed imports",
           None if host.startup_allowed is None else sorted(host.startup_allowed),
           facts["startup_allowed"])
    for abi, checked in facts["callbacks_checked"].items():
        table = host.callbacks.get(abi, {})
        spec_checked = sorted(n for n in table if n.startswith(("proxy_", "envoy_on_")) and
                              n != "proxy_on_memory_allocate") if host.callbacks_checked else []
        differ(f"checked callbacks ABI {abi}", spec_checked, checked)
    probed_features = set(facts["features"])
    from .probe_modules import PROPOSAL_MODULES
    spec_features = {f for f in host.runtime.features if f in PROPOSAL_MODULES}
    differ("proposals accepted", sorted(spec_features), sorted(probed_features))
    differ("crashes", sorted(host.crashes), sorted(facts["crashes"]))
    differ("memory", {"largest_loaded_pages": host.memory_loaded_pages,
                      "smallest_refused_pages": host.memory_refused_pages}, facts["memory"])
    for key, text in facts["messages"].items():
        if text and key in host.messages:
            differ(f"message {key}", host.messages[key], text)
    differ("runtimes compiled in", sorted(host.runtimes_compiled), sorted(compiled))
    return diffs
