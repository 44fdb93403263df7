"""Not allowed by the platform: a managed host's documented restrictions (host functions it
does not offer, size and memory limits). The platform refuses the plugin or the call."""

from __future__ import annotations

from ._build import finding
from .call_sites import callers, describe
from .context import CheckContext


def check(ctx: CheckContext) -> list:
    host = ctx.host
    if not host.platform_forbidden and not host.platform_limits:
        return []
    out = []
    for index, imp in enumerate(ctx.module.imports_of_kind("func")):
        if imp.module != "env" or imp.name not in host.platform_forbidden:
            continue
        names, indirect = callers(ctx, index)
        out.append(finding(
            "CC802", _refused(host, imp.name) + f" ({imp.qualified_name}: "
            f"{describe(names, indirect)})", "link", location=f"import {imp.qualified_name}",
            offset=imp.offset, position=index, unverified=host.is_unverified("platform"),
            fix=f"{host.label} documents {imp.name} as unsupported"
                f"{_source(host)}. Remove the feature that needs it (timers, metrics, shared "
                "data, queues and outbound calls are the usual ones) or deploy elsewhere."))
    out += _limits(ctx)
    return out


def _limits(ctx: CheckContext) -> list:
    host, module, out = ctx.host, ctx.module, []
    size_cap = host.platform_limits.get("module_bytes")
    if size_cap is not None and len(module.data) > size_cap:
        out.append(finding(
            "CC803", _refused(host, f"a module of {len(module.data)} bytes (limit {size_cap})"),
            "link", location="module", unverified=host.is_unverified("platform.limits"),
            fix=f"The module and its configuration may take at most {size_cap} bytes"
                f"{_source(host)}: strip debug sections (wasm-opt --strip-debug, "
                "wasm-tools strip) and build with size optimisation (-Oz / opt-level = \"z\")."))
    mem_cap = host.platform_limits.get("memory_bytes")
    memories = module.all_memories
    if mem_cap is not None and memories:
        initial = memories[0].limits.minimum * 65536
        if initial > mem_cap:
            out.append(finding(
                "CC803", _refused(host, f"an initial memory of {initial} bytes (limit "
                                        f"{mem_cap} per VM)"), "link", location="memory 0",
                unverified=host.is_unverified("platform.limits"),
                fix=f"A plugin VM may use at most {mem_cap} bytes{_source(host)}; lower the "
                    "initial memory (linker --initial-memory, Go: smaller heap) and keep "
                    "per-request state small."))
    return out


def _refused(host, what: str) -> str:
    return host.message("platform_refused", name=what) or f"The platform does not allow {what}"


def _source(host) -> str:
    return f" ({host.platform_source.removeprefix('doc: ')})" if host.platform_source else ""
