"""The probe's measurements, one fact family each. A step takes the Prober, the host-call tables
and the facts measured so far, and returns the facts it measured (``messages`` holds the host's
own texts, merged into one table by the caller)."""

from __future__ import annotations

import re

from ...wasm import FuncType
from ..validate import EnvoyError, EnvoyOutcome
from .prober import (MARKERS, NO_RUNTIME, RUNTIMES, WASI_NAMES, ProbeModule, Prober, _host_type,
                     _template)

Facts = dict


def runtimes(p: Prober, hc: dict, known: Facts) -> Facts:
    """Runtimes compiled in; V8 first: it decides whether this is an Envoy that answers."""
    base = ProbeModule()
    outs = {"v8": p.first(base, "envoy.wasm.runtime.v8")}
    outs.update({rt: p.run(base, f"envoy.wasm.runtime.{rt}") for rt in RUNTIMES if rt != "v8"})
    compiled = [rt for rt, o in outs.items() if not any(NO_RUNTIME in m for m in o.messages)]
    wasm_engines = [rt for rt in compiled if rt != "null"]  # NullVM runs only native plugins
    if not wasm_engines:
        return {"runtimes_compiled": compiled, "runtime": None,
                "messages": {"no_runtime": outs["v8"].first_error or ""}}
    engine = "v8" if "v8" in wasm_engines else wasm_engines[0]
    if outs[engine].status != "loaded":
        o = outs[engine]
        raise EnvoyError(f"the base probe module does not load on {engine}: "
                         f"{o.first_error or o.signal_name or f'exit {o.exit_code}, no Wasm message'}")
    p.runtime = f"envoy.wasm.runtime.{engine}"
    return {"runtimes_compiled": compiled, "runtime": engine, "messages": {}}


def markers(p: Prober, hc: dict, known: Facts) -> Facts:
    """ABI markers accepted, the first-export rule, the missing-marker message."""
    marker_out = dict(zip(MARKERS, p.many([ProbeModule(marker=m) for m in MARKERS]), strict=False))
    accepted = {m: v for m, v in MARKERS.items() if marker_out[m].status == "loaded"}
    none = p.run(ProbeModule(marker=None))
    rule = "first-function-export"
    if {"proxy_abi_version_0_1_0", "proxy_abi_version_0_2_1"} <= set(accepted):
        getconf = [("env", "proxy_get_configuration", hc["env"]["proxy_get_configuration"])]
        first_010 = p.run(ProbeModule(markers=("proxy_abi_version_0_1_0", "proxy_abi_version_0_2_1"),
                                 imports=getconf))
        first_021 = p.run(ProbeModule(markers=("proxy_abi_version_0_2_1", "proxy_abi_version_0_1_0"),
                                 imports=getconf))
        if not (first_010.status == "loaded" and first_021.status == "refused"):
            rule = "unknown"
    return {"markers": accepted, "marker_rule": rule,
            "messages": {"missing_marker": none.first_error or ""}}


def host_functions(p: Prober, hc: dict, known: Facts) -> Facts:
    """Host functions per ABI version, host signatures from mismatch messages, shims."""
    env_names = sorted(hc["env"]) + sorted(hc["env_shims"])
    sig = {**hc["env"], **hc["env_shims"]}
    per_abi: dict = {}
    host_signatures: dict = {}
    for marker, abi in known["markers"].items():
        def make(group: list, m: str = marker) -> ProbeModule:
            return ProbeModule(marker=m, imports=[("env", n, sig[n]) for n in group])
        res = p.linking(make, env_names)
        per_abi[abi] = sorted(n for n, r in res.items() if r == "ok")
        # present with another type: the refusal names the host's type; measure it
        for n in sorted(n for n, r in res.items() if r == "mismatch"):
            host_type = _host_type(p.run(ProbeModule(marker=marker, imports=[("env", n, sig[n])])))
            if host_type is not None:
                host_signatures[n] = str(host_type)
                per_abi[abi].append(n)
        per_abi[abi].sort()
    shims = sorted(n for n in hc["env_shims"] if n in per_abi[max(known["markers"].values())])
    per_abi = {abi: [n for n in names if n not in shims] for abi, names in per_abi.items()}
    return {"host_functions": per_abi, "host_signatures": host_signatures, "env_shims": shims,
            "messages": _import_messages(p)}


def _import_messages(p: Prober) -> dict:
    missing = p.run(ProbeModule(imports=[("env", "proxy_compatcheck_probe", FuncType((), ()))]))
    mismatch = p.run(ProbeModule(imports=[("env", "proxy_log", FuncType(("i32",), ()))]))
    mm = _template(mismatch.first_error or "", "env.proxy_log", "import")
    mm = re.sub(r"want: .*?, but host exports: .*$", "want: {want}, but host exports: {have}", mm)
    return {"missing_import": _template(missing.first_error or "", "env.proxy_compatcheck_probe",
                                        "import"),
            "import_type_mismatch": mm}


def wasi(p: Prober, hc: dict, known: Facts) -> Facts:
    """WASI functions registered under each module name."""
    names = sorted(hc["wasi"])
    out = {}
    for module in WASI_NAMES:
        def make(group: list, mod: str = module) -> ProbeModule:
            return ProbeModule(imports=[(mod, n, hc["wasi"][n]) for n in group])
        res = p.linking(make, names)
        out[module] = sorted(n for n, r in res.items() if r == "ok")
    return {"wasi": out, "messages": {}}


def import_kinds(p: Prober, hc: dict, known: Facts) -> Facts:
    """Memory, table, global and tag imports: accepted, refused or fatal."""
    kinds = {"memory": ProbeModule(memory='(import "env" "memory" (memory 1))'),
             "table": ProbeModule(extra_imports='(import "env" "table" (table 1 funcref))'),
             "global": ProbeModule(extra_imports='(import "env" "g" (global i32))'),
             "tag": ProbeModule(extra_imports='(import "env" "tag" (tag (param i32)))')}
    outs = dict(zip(kinds, p.many(list(kinds.values())), strict=False))
    return {"imports": {k: ("accept" if o.status == "loaded" else "crash"
                            if o.status == "crashed" else "reject") for k, o in outs.items()},
            "messages": {}}


def allocator(p: Prober, hc: dict, known: Facts) -> Facts:
    """The allocator exports accepted, the missing-allocator and bad-signature messages."""
    msgs = {"missing_allocator": p.run(ProbeModule(malloc=None)).first_error or ""}
    alias = p.run(ProbeModule(malloc='(func (export "proxy_on_memory_allocate") (param i32) '
                                '(result i32) (i32.const 0))'))
    bad = p.run(ProbeModule(malloc='(func (export "malloc") (param i64) (result i32) (i32.const 0))'))
    m = re.match(r"(Bad function signature for: )malloc(.*)$", bad.first_error or "")
    if m:
        tail = re.sub(r"want: .*?, but the module exports: .*$",
                      "want: {want}, but the module exports: {have}", m.group(2))
        msgs["bad_signature"] = m.group(1) + "{name}" + tail
    return {"allocator_any_of": ["malloc"] + (["proxy_on_memory_allocate"]
                                              if alias.status == "loaded" else []),
            "messages": msgs}


def callbacks_checked(p: Prober, hc: dict, known: Facts) -> Facts:
    """Callbacks whose signature is checked, per ABI (the host reports every bad one)."""
    candidates = sorted({n for t in known["_callback_tables"] for n in t}
                        | {"proxy_on_foreign_function", "proxy_on_request_metadata",
                           "proxy_on_response_metadata", "proxy_validate_configuration"})
    candidates = [c for c in candidates if c.startswith(("proxy_", "envoy_on_"))
                  and c != "proxy_on_memory_allocate"]
    checked = {}
    wrong = "".join(f'(func (export "{c}") (param i64 i64 i64 i64 i64 i64 i64))'
                    for c in candidates)
    for marker, abi in known["markers"].items():
        out = p.run(ProbeModule(marker=marker, callbacks="", extra=wrong))
        checked[abi] = sorted({mm.group(1) for line in out.messages
                               for mm in [re.match(r"Bad function signature for: (\w+)", line)]
                               if mm})
    return {"callbacks_checked": checked, "messages": {}}


_START_NAMES = ["_initialize", "main", "__main_void", "_start", "__wasm_call_ctors"]
_START_TYPES = {"_initialize": "", "_start": "", "__wasm_call_ctors": "",
                "main": "(param i32 i32) (result i32)", "__main_void": "(result i32)"}


def _start_module(hc: dict, exported: list[str]) -> ProbeModule:
    """Each start export logs its own name."""
    data, funcs = [], []
    for i, n in enumerate(exported):
        off = 256 + 32 * i
        data.append(f'(data (i32.const {off}) "{n}")')
        ret = " (i32.const 0)" if "result" in _START_TYPES[n] else ""
        funcs.append(f'(func (export "{n}") {_START_TYPES[n]} (drop (call $i0 (i32.const 3) '
                     f'(i32.const {off}) (i32.const {len(n)}))){ret})')
    return ProbeModule(imports=[("env", "proxy_log", hc["env"]["proxy_log"])],
                  extra=" ".join(data + funcs))


def _called(out: EnvoyOutcome) -> list[str]:
    seen = []
    for line in out.messages:
        mm = re.search(r"wasm log[^:]*: (\w+)$", line)
        if mm and mm.group(1) in _START_NAMES and mm.group(1) not in seen:
            seen.append(mm.group(1))
    return seen


def _matching_sequence(observed: list[tuple[list[str], list[str]]]) -> str:
    """The start-up sequence of startup.toml that calls what Envoy called for every probe
    module (exports, calls); "unknown" when none does (a new sequence to write down)."""
    from ...abi import get_specs
    for sequence in get_specs().sequences.values():
        if all(sequence.calls(exports) == calls for exports, calls in observed):
            return sequence.id
    return "unknown"


def startup_sequence(p: Prober, hc: dict, known: Facts) -> Facts:
    """Which start exports are called, in which order; the trap message."""
    all5, no_init, init_mv = p.many([_start_module(hc, _START_NAMES),
                                     _start_module(hc, _START_NAMES[1:]),
                                     _start_module(hc, ["_initialize", "__main_void"])])
    seq_all, seq_noinit, seq_mv = _called(all5), _called(no_init), _called(init_mv)
    sequence = _matching_sequence([(_START_NAMES, seq_all), (_START_NAMES[1:], seq_noinit),
                                   (["_initialize", "__main_void"], seq_mv)])
    out: Facts = {"startup_sequence": sequence, "messages": {},
                  "startup_observed": {"all": seq_all, "without _initialize": seq_noinit,
                                       "_initialize + __main_void": seq_mv}}
    trap = p.run(ProbeModule(extra='(func (export "_initialize") unreachable)'))
    tm = re.match(r"Function: _initialize failed: (.*)$", trap.first_error or "")
    if tm:
        out["messages"]["trap"] = "Function: {function} failed: {trap}"
        out["unreachable_trap_text"] = tm.group(1)
    return out


def startup_allowed(p: Prober, hc: dict, known: Facts) -> Facts:
    """Imports allowed during start-up (each called once, zero arguments, from _initialize)."""
    accepted = known["markers"]
    latest = "0.2.1" if "proxy_abi_version_0_2_1" in accepted else max(accepted.values())
    latest_marker = next(m for m, v in accepted.items() if v == latest)
    sig = {**hc["env"], **hc["env_shims"]}
    cands = [("env", n, sig[n]) for n in known["host_functions"][latest] + known["env_shims"]]
    cands += [("wasi_snapshot_preview1", n, hc["wasi"][n])
              for n in known["wasi"]["wasi_snapshot_preview1"] if n != "proc_exit"]

    def init_module(group):
        return ProbeModule(marker=latest_marker, imports=list(group),
                      init_calls=list(range(len(group))))

    res = p.linking(init_module, cands)
    restricted = p.run(init_module([("env", "proxy_get_property", sig["proxy_get_property"])]))
    rc = next((line for line in restricted.messages if "restricted_callback" in line), "")
    msgs = {"restricted_call": re.sub(r"Function: (\w+) failed", "Function: {function} failed",
                                      rc)} if rc else {}
    allowed = sorted(f"{'wasi' if mod.startswith('wasi') else mod}.{n}"
                     for (mod, n, _), r in res.items() if r == "ok")
    restricted_names = [f"{mod}.{n}" for (mod, n, _), r in res.items() if r != "ok"]
    return {"startup_allowed": None if not restricted_names else allowed,
            "_restricted_count": len(restricted_names), "messages": msgs}


def runtime_limits(p: Prober, hc: dict, known: Facts) -> Facts:
    """Proposals accepted, memory limits, the module shapes that crash the process, and how
    the runtime words a refusal."""
    from ..probe_modules import CRASH_MODULES, PROPOSAL_MODULES
    prop_out = dict(zip(PROPOSAL_MODULES, p.many([ProbeModule(extra=w)
                                                  for w in PROPOSAL_MODULES.values()]), strict=False))
    # a well-formed module whose code does not validate: what the runtime's refusal reads like
    msgs = {"load_failed": p.run(ProbeModule(extra="(func (result i32) (i64.const 0))")).first_error
            or ""}
    loaded_pages, refused_pages = None, None
    for pages in (16384, 16385, 32768):
        o = p.run(ProbeModule(memory=f'(memory (export "memory") {pages})'))
        if o.status == "loaded":
            loaded_pages = pages
        elif refused_pages is None:
            refused_pages = pages
            msgs["instantiate_failed"] = o.first_error or ""
    shapes = [ProbeModule(extra_imports=imp, extra=defs) for imp, defs in CRASH_MODULES.values()]
    crashes = [kind for kind, o in zip(CRASH_MODULES, p.many(shapes), strict=False) if o.status == "crashed"]
    start_sec = p.run(ProbeModule(imports=[("env", "proxy_log", hc["env"]["proxy_log"])],
                             extra='(func $s (drop (call $i0 (i32.const 3) (i32.const 0) '
                                   '(i32.const 0)))) (start $s)'))
    if start_sec.status == "crashed":
        crashes.append("start-section-host-call")
    msgs["corrupted"] = p.run_bytes(b"\0asm\x01\x00\x00\x00\x01\x7f").first_error or ""
    return {"features": sorted(f for f, o in prop_out.items() if o.status == "loaded"),
            "memory": {"largest_loaded_pages": loaded_pages,
                       "smallest_refused_pages": refused_pages},
            "crashes": crashes, "messages": msgs}


# In order: later steps read what earlier ones measured.
STEPS = (markers, host_functions, wasi, import_kinds, allocator, callbacks_checked,
         startup_sequence, startup_allowed, runtime_limits)
