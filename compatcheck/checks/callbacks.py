"""Callback exports: wrong signatures the host refuses, and names it will never call."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext, v8_signature

# Handled by the allocator and start-up checks.
_ELSEWHERE = {"malloc", "proxy_on_memory_allocate", "_initialize", "_start", "main",
              "__main_void", "__wasm_call_ctors"}


def check(ctx: CheckContext) -> list:
    return _required(ctx) + _always_called(ctx) + _signatures_and_names(ctx)


def _required(ctx: CheckContext) -> list:
    """callbacks.required: the build looks them up at load and refuses a module lacking one
    (Kong: after the allocator, one message for all of them)."""
    host = ctx.host
    missing = [n for n in host.callbacks_required if ctx.exported_function(n) is None]
    if not missing:
        return []
    text = host.message("missing_callback") or \
        f"the module does not export {', '.join(missing)}, which this build requires"
    return [finding(
        "CC403", text, "functions", location="exports", position=100,
        host_wording=bool(host.message("missing_callback")),
        unverified=host.is_unverified("callbacks.required"),
        fix=f"Export {', '.join(missing)}: {host.label} requires "
            f"{', '.join(host.callbacks_required)} and refuses the module without them. "
            "Proxy-Wasm SDKs export them all.")]


def _always_called(ctx: CheckContext) -> list:
    """callbacks.always_called with the crash kind missing-http-callback: an HTTP callback the
    module lacks is called anyway at the first request (a null function reference)."""
    host = ctx.host
    if "missing-http-callback" not in host.crashes:
        return []
    missing = [n for n in host.callbacks_always_called if ctx.exported_function(n) is None]
    if not missing:
        return []
    return [finding(
        "CC404", f"The module does not export {', '.join(missing)}, which this build calls on "
                 "every HTTP request anyway: the worker process dies (SIGSEGV) at the first "
                 "request.", "callbacks", location="exports", position=-1,
        unverified=host.is_unverified("crashes") or host.is_unverified("callbacks.always_called"),
        fix=f"Export {', '.join(missing)} (returning Continue / doing nothing is enough); "
            f"{host.label} calls {', '.join(host.callbacks_always_called)} on every request "
            "without checking that the module exports them.")]


def _signatures_and_names(ctx: CheckContext) -> list:
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
        if e.name in host.callbacks_elsewhere and not any(e.name in t for t in
                                                          host.callbacks.values()):
            out.append(finding(
                "CC402", f"Export {e.name} is never called by this build: "
                f"{host.callbacks_elsewhere[e.name]}.", "advice", severity="info",
                location=f"export {e.name}", offset=e.offset,
                fix="Nothing to change in the filter unless it relies on this callback."))
            continue
        triggers = host.callback_triggers.get(e.name)
        if triggers and not _calls_any(ctx, triggers) and _known(host, e.name):
            out.append(finding(
                "CC402", f"Export {e.name} is never called by this build; it only answers "
                f"{' / '.join(triggers)}, which this module does not import, so nothing is "
                "lost.", "advice", severity="info", location=f"export {e.name}",
                offset=e.offset, fix="Nothing to change (SDKs export it by default)."))
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


def _calls_any(ctx: CheckContext, names: tuple[str, ...]) -> bool:
    return any(i.kind == "func" and i.module == "env" and i.name in names
               for i in ctx.module.imports)


def _known(host, name: str) -> bool:
    """A real callback of some ABI version or host (not a typo)."""
    return name in host.callbacks_elsewhere or any(
        name in table for table in host.callbacks.values()) or name in host.callback_triggers
