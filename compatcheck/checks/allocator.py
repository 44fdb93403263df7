"""The allocator export the host calls to pass data into the filter."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext, v8_signature


def check(ctx: CheckContext) -> list:
    host, out = ctx.host, []
    want = host.allocator_type
    present = {n: ctx.exported_function(n) for n in host.allocator_any_of + host.allocator_all_of}
    # The host looks up the names in order and stops at the first that exists: a mistyped
    # malloc is refused even when proxy_on_memory_allocate is fine (probed).
    chosen = next((n for n in host.allocator_any_of if present.get(n) is not None), None)
    position = 0
    if chosen is not None and present[chosen].type != want and host.callbacks_checked:
        exp = present[chosen]
        out.append(finding(
            "CC302", host.message("bad_signature", name=chosen, want=v8_signature(want),
                                  have=v8_signature(exp.type)),
            "functions", location=f"export {chosen}", offset=exp.offset, position=position,
            host_wording=True, fix=f"Export {chosen} as {want}; it is {exp.type}."))
    elif host.allocator_any_of and chosen is None:
        names = " or ".join(host.allocator_any_of)
        out.append(finding("CC301", host.message("missing_allocator"), "functions",
                           location="exports", position=position, host_wording=True,
                           fix=f"Export {names} as {want}. Proxy-Wasm SDKs do; a hand-written "
                               "or non-SDK module must add it."))
    missing_all = [n for n in host.allocator_all_of if present.get(n) is None]
    if missing_all:
        out.append(finding("CC303", host.message("missing_allocator"), "functions",
                           location="exports", position=position, host_wording=True,
                           fix=f"This build requires exports {' and '.join(host.allocator_all_of)}"
                               f"; missing: {', '.join(missing_all)}. Newer hosts need only "
                               "malloc (or proxy_on_memory_allocate).",
                           unverified=host.is_unverified("allocator")))
    return out
