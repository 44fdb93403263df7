"""Linear memory: exported, and small enough for the host to allocate."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext


def check(ctx: CheckContext) -> list:
    host, module, out = ctx.host, ctx.module, []
    mems = module.all_memories
    if mems:
        pages = mems[0].limits.minimum
        if host.memory_refused_pages is not None and pages >= host.memory_refused_pages:
            out.append(finding("CC601", host.message("instantiate_failed") or
                               "Failed to create new Wasm instance", "compile",
                               location="memory 0", host_wording=True,
                               fix=f"Initial memory is {pages} pages ({pages * 64} KiB); this "
                                   f"build failed to instantiate {host.memory_refused_pages} "
                                   "pages. Lower the initial memory."))
        elif host.memory_loaded_pages is not None and pages > host.memory_loaded_pages:
            out.append(finding("CC602", f"Initial memory of {pages} pages is above the "
                               f"largest size seen to load on this build "
                               f"({host.memory_loaded_pages} pages).", "advice",
                               location="memory 0", unverified=True))
    exported = [e for e in module.exports if e.kind == "memory"]
    if not any(e.name == "memory" for e in exported):
        where = f" (memory is exported as {exported[0].name!r})" if exported else ""
        out.append(finding("CC603", "No memory exported as \"memory\"" + where +
                           "; the filter loads, but host calls that pass data will fail.",
                           "advice", location="exports"))
    return out
