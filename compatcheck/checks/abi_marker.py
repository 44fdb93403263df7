"""The Proxy-Wasm ABI marker export: missing, unknown to this host, or several."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext


def check(ctx: CheckContext) -> list:
    host = ctx.host
    out: list = []
    if host.marker_rule == "none":
        return out
    if host.marker_rule == "optional":
        return _optional(ctx)
    markers = ctx.marker_exports
    func_markers = [e for e in markers if e.kind == "func"]
    unverified = host.is_unverified("messages.missing_marker")
    stage = {"after-compile": "abi-late"}.get(host.marker_stage, host.marker_stage)
    accepted = ", ".join(host.abi_markers)
    if ctx.abi is None:
        text = host.message("missing_marker")
        if not func_markers:
            extra = ""
            if markers:
                extra = f" ({markers[0].name} is exported as a {markers[0].kind}, not a function)"
            out.append(finding("CC101", text, stage, location="exports", position=1,
                               fix=f"Export one of {accepted} as a function{extra}; "
                                   "Proxy-Wasm SDKs do this for you.",
                               host_wording=True, unverified=unverified))
        else:
            names = ", ".join(e.name for e in func_markers)
            out.append(finding("CC102", text, stage, position=1, location=f"export {func_markers[0].name}",
                               offset=func_markers[0].offset,
                               fix=f"This build accepts {accepted}; the module has {names}. "
                                   "Use an SDK release for one of those ABI versions, or a "
                                   "newer host.", host_wording=True, unverified=unverified))
    known = [e for e in func_markers if e.name in host.abi_markers]
    if len(known) > 1:
        out.append(finding(
            "CC103", f"Several ABI markers ({', '.join(e.name for e in known)}); this host "
            f"uses {known[0].name} (ABI {ctx.abi}), the first in export order.", "advice",
            location=f"export {known[1].name}", offset=known[1].offset))
    return out


def _optional(ctx: CheckContext) -> list:
    """Markers only choose the ABI: several known ones are advice, none is not a problem."""
    host = ctx.host
    present = {e.name: e for e in ctx.marker_exports if e.kind == "func"}
    known = [present[name] for name in host.abi_markers if name in present]
    if len(known) < 2:
        return []
    return [finding(
        "CC103", f"Several ABI markers ({', '.join(e.name for e in known)}); this host uses "
        f"{known[0].name} (ABI {ctx.abi}), the one it prefers whatever the export order.",
        "advice", location=f"export {known[1].name}", offset=known[1].offset)]
