"""Probed facts as a spec directory (TOML) and compared with a committed build spec."""

from __future__ import annotations

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
    from ..probe_modules import PROPOSAL_MODULES
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
