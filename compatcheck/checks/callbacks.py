"""Callback exports: wrong signatures the host refuses, and names it will never call."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext, v8_signature

# Handled by the allocator and start-up checks.
_ELSEWHERE = {"malloc", "proxy_on_memory_allocate", "_initialize", "_start", "main",
              "__main_void", "__wasm_call_ctors"}


def check(ctx: CheckContext) -> list:
    host, out = ctx.host, []
    table = ctx.callbacks
    lookup_order = list(table)
    for e in ctx.module.exports:
        if e.kind != "func" or e.name in _ELSEWHERE:
            continue
        want = table.get(e.name)
        if want is not None:
            if host.callbacks_checked and e.type != want:
                out.append(finding(
                    "CC401", host.message("bad_signature", name=e.name, want=v8_signature(want),
                                          have=v8_signature(e.type)),
                    "callbacks", location=f"export {e.name}", offset=e.offset,
                    position=lookup_order.index(e.name), host_wording=True,
                    fix=f"Export {e.name} as {want} for ABI {ctx.abi_for_checks}; it is "
                        f"{e.type}."))
            continue
        if e.name.startswith("proxy_on_") or e.name.startswith("proxy_validate"):
            import difflib
            close = difflib.get_close_matches(e.name, lookup_order, n=1, cutoff=0.8)
            other = [v for v, t in host.callbacks.items() if e.name in t]
            if other:
                why = (f"the host calls {e.name} only for ABI {', '.join(other)}; this module "
                       f"is ABI {ctx.abi_for_checks}.")
            elif close:
                why = f"no callback of that name exists; did you mean {close[0]}?"
            else:
                why = "no callback of that name exists in this host."
            out.append(finding("CC402", f"Export {e.name} will never be called: {why}",
                               "advice", location=f"export {e.name}", offset=e.offset))
    return out
