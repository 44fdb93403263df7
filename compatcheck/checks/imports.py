"""Imports the host does not provide, provides with another type, or only for another ABI."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext, v8_signature


def _other_abi_versions(ctx: CheckContext, name: str) -> list[str]:
    return [v for v, table in ctx.host.host_functions.items()
            if v != ctx.abi_for_checks and name in table]


def check(ctx: CheckContext) -> list:
    host, out = ctx.host, []
    position = 0
    for imp in ctx.module.imports:
        position += 1
        qname = imp.qualified_name
        names = {"import": qname, "module": imp.module, "field": imp.name}
        loc = f"import {qname}"
        if imp.kind == "tag" and "tag-import" in host.crashes:
            continue  # the proxy aborts before it gets here (checks/capi.py)
        if imp.kind in ("memory", "table"):
            if host.non_function_imports.get(imp.kind) == "accept":
                continue
        if imp.kind != "func":
            code = "CC205" if imp.kind == "global" else "CC207"
            out.append(finding(code, host.message("missing_import", **names), "link",
                               location=loc, offset=imp.offset, position=position,
                               host_wording=True))
            continue
        have = None
        is_wasi = imp.module in host.wasi_modules
        if imp.module == "env":
            have = ctx.host_functions.get(imp.name) or host.env_shims.get(imp.name)
        elif is_wasi:
            have = host.wasi.get(imp.name)
        if have is None:
            other = _other_abi_versions(ctx, imp.name) if imp.module == "env" else []
            text = host.message("missing_import", **names)
            if other:
                out.append(finding(
                    "CC203", text, "link", location=loc, offset=imp.offset, position=position,
                    host_wording=True,
                    fix=f"{qname} exists in this build only for ABI {', '.join(other)}, and the "
                        f"module is ABI {ctx.abi_for_checks}. " + _abi_fix(imp.name)))
            elif is_wasi or imp.module in ("wasi_unstable", "wasi_snapshot_preview1"):
                out.append(finding(
                    "CC204", host.message("missing_wasi_import", **names) or text, "link",
                    location=loc, offset=imp.offset, position=position, host_wording=True,
                    fix=f"This build provides {len(host.wasi)} WASI functions under "
                        f"{' and '.join(host.wasi_modules)}; {imp.name} is not one of them. "
                        + _wasi_fix(ctx, imp.module, imp.name)))
            else:
                out.append(finding("CC201", text, "link", location=loc, offset=imp.offset,
                                   position=position, host_wording=True,
                                   fix=_missing_fix(ctx, imp.module, imp.name)))
            continue
        if have != imp.type:
            text = host.message("import_type_mismatch", **names,
                                want=v8_signature(imp.type), have=v8_signature(have))
            out.append(finding("CC202", text, "link", location=loc, offset=imp.offset,
                               position=position, host_wording=True,
                               fix=f"Declare {qname} as {have} (the host's type); the module "
                                   f"declares {imp.type}."))
    return out


def _abi_fix(name: str) -> str:
    if name == "proxy_get_configuration":
        return ("ABI 0.2.x reads the plugin configuration with proxy_get_buffer_bytes "
                "(buffer type 7) inside proxy_on_configure; or keep the 0.1.0 marker.")
    if name in ("proxy_continue_request", "proxy_continue_response"):
        return "ABI 0.2.x uses proxy_continue_stream(stream_type) instead."
    if name == "proxy_clear_route_cache":
        return "ABI 0.2.x has no proxy_clear_route_cache; drop the call."
    if name in ("proxy_continue_stream", "proxy_close_stream", "proxy_get_log_level"):
        return "Use an SDK whose ABI marker matches the imports it makes."
    return "Use the SDK release that matches the marker."


def _wasi_fix(ctx: CheckContext, module: str, name: str) -> str:
    if module not in ctx.host.wasi_modules:
        return f"This build has no WASI module {module!r}."
    return "Newer host builds provide more WASI functions; check the matrix."


# Imports that toolchains add for their usual (browser / JS) hosts.
_FOREIGN = {
    ("env", "abort"): "AssemblyScript imports env.abort by default; build with "
                      "`asc ... --use abort=abort_proc_exit` (as @solo-io/proxy-runtime documents), "
                      "which routes it to WASI proc_exit.",
    ("env", "seed"): "AssemblyScript's Math.random needs env.seed; avoid Math.random or provide "
                     "your own seed via --use.",
    ("env", "trace"): "AssemblyScript's trace() needs env.trace; remove the trace calls.",
}


def _missing_fix(ctx: CheckContext, module: str, name: str) -> str:
    if (module, name) in _FOREIGN:
        return _FOREIGN[(module, name)]
    if name.startswith("__wbindgen") or module.startswith("__wbindgen") or module == "wbg":
        return ("wasm-bindgen glue is for JavaScript hosts; build the filter without "
                "wasm-bindgen (plain wasm32-unknown-unknown / wasm32-wasip1 with a Proxy-Wasm SDK).")
    if module != "env" and module not in ctx.host.wasi_modules:
        return (f"Proxy-Wasm hosts provide only the modules env and "
                f"{' / '.join(ctx.host.wasi_modules)}; {module!r} is not one of them (a "
                "wasm-bindgen or browser toolchain import?).")
    if name.startswith("proxy_on_"):
        return f"{name} is a callback the module must export, not import."
    if name in ctx.host.known_host_functions:
        return (f"{name} is a Proxy-Wasm host function, but this build does not register it "
                "(for any ABI version); avoid the call or pick a build that has it "
                "(`compatcheck matrix` shows which).")
    return f"No host function {name} exists in this build; remove the call."
