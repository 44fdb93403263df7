"""Linear memory: exported, and small enough for the host to allocate."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext


def memory_limit(host) -> tuple[int | None, str]:
    """The largest initial memory this build instantiates, from its runtime and host data."""
    limits = []
    if host.runtime.max_memory_pages is not None:
        limits.append((host.runtime.max_memory_pages,
                       f"{host.runtime.engine} {host.runtime.version} allows at most "
                       f"{host.runtime.max_memory_pages} pages"))
    if host.memory_cap_pages is not None and host.runtime.engine != "none":
        limits.append((host.memory_cap_pages,
                       f"proxy-wasm-cpp-host caps the runtime at {host.memory_cap_pages} pages "
                       f"({host.memory_cap_pages * 64 // 1024} MiB)"))
    return min(limits) if limits else (None, "")


def check(ctx: CheckContext) -> list:
    host, module, out = ctx.host, ctx.module, []
    mems = module.all_memories
    if mems:
        pages = mems[0].limits.minimum
        limit, why = memory_limit(host)
        text = host.message("instantiate_failed")
        if host.memory_refused_pages is not None and pages >= host.memory_refused_pages:
            out.append(finding("CC601", text or "Failed to create new Wasm instance", "compile",
                               location="memory 0", host_wording=bool(text),
                               fix=f"Initial memory is {pages} pages ({pages * 64} KiB); this "
                                   f"build failed to instantiate {host.memory_refused_pages} "
                                   "pages. Lower the initial memory."))
        elif limit is not None and pages > limit:
            out.append(finding("CC601", text or "Failed to create new Wasm instance", "compile",
                               location="memory 0", host_wording=bool(text),
                               unverified=host.status != "probed",
                               fix=f"Initial memory is {pages} pages ({pages * 64} KiB); {why}. "
                                   f"Lower the initial memory to at most {limit} pages (Rust: "
                                   "-C link-arg=--initial-memory=<bytes>; TinyGo/clang: "
                                   "-Wl,--initial-memory=<bytes>)."))
        elif host.memory_loaded_pages is not None and pages > host.memory_loaded_pages:
            out.append(finding("CC602", f"Initial memory of {pages} pages is above the "
                               f"largest size seen to load on this build "
                               f"({host.memory_loaded_pages} pages).", "advice",
                               location="memory 0", unverified=True))
    exported = [e for e in module.exports if e.kind == "memory"]
    if not any(e.name == "memory" for e in exported):
        where = f" (memory is exported as {exported[0].name!r})" if exported else ""
        if host.memory_export_required:  # looked up right after instantiating
            text = host.message("missing_memory_export")
            out.append(finding("CC603", text or "No memory exported as \"memory\"" + where,
                               "functions", location="exports", severity="error",
                               host_wording=bool(text),
                               fix="This build refuses a module that does not export its "
                                   f"memory as \"memory\"{where}; export it (Proxy-Wasm SDKs "
                                   "do; clang/Rust linkers export it by default unless told "
                                   "otherwise)."))
        else:
            out.append(finding("CC603", "No memory exported as \"memory\"" + where +
                               "; the filter loads, but host calls that pass data will fail.",
                               "advice", location="exports"))
    return out
