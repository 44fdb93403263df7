"""Types V8's C API cannot represent: the proxy aborts while cpp-host lists imports or exports.

cpp-host's V8 backend asks the C API (`Module::imports()`, `exports()`) for the type of every
import, first thing when linking, and of every export, after instantiating. The C API maps only
i32, i64, f32, f64, funcref and externref; any other value type, and any exception tag, reaches
UNREACHABLE() and V8 aborts the process. Which of these a build's V8 can decode at all is runtime
data (``crashes``); a type the runtime refuses is refused first, at compile time (CC701).
"""

from __future__ import annotations

from ._build import finding
from .context import CheckContext

_MAPPED = frozenset({"i32", "i64", "f32", "f64", "funcref", "externref", "(ref func)",
                     "(ref null func)", "(ref extern)", "(ref null extern)"})
# after every import problem of the link stage: exports are listed once the instance exists
_EXPORT_POSITION = 1 << 30


def crash_kind(valtype: str) -> tuple[str, str] | None:
    """(crash kind in the runtime data, proposal the type needs), or None when mapped."""
    if valtype in _MAPPED:
        return None
    if valtype == "v128":
        return "capi-v128", "simd"
    if "exn" in valtype:
        return "capi-exnref", "exceptions-exnref"
    return "capi-gc-ref", "function-references" if "$" in valtype else "gc"


def _valtypes(kind: str, extern) -> list[tuple[str, str]]:
    """(value type, where in the type) pairs of an import's or export's type."""
    if extern is None:
        return []
    if kind == "func":
        return ([(t, f"param {i}") for i, t in enumerate(extern.params)] +
                [(t, f"result {i}") for i, t in enumerate(extern.results)])
    if kind == "global":
        return [(extern.valtype, "global type")]
    if kind == "table":
        return [(extern.element, "table element type")]
    return []


def _crash(ctx: CheckContext, kind: str, name: str, extern, importing: bool):
    """The first part of this import or export that aborts this build, as (text, crash kind)."""
    host = ctx.host
    if kind == "tag":
        needed = "tag-import" if importing else "tag-export"
        return ("an exception tag", needed) if needed in host.crashes else None
    accepted = host.runtime.features
    for valtype, part in _valtypes(kind, extern):
        found = crash_kind(valtype)
        if found and found[0] in host.crashes and found[1] in accepted:
            return f"{valtype} ({part})", found[0]
    return None


def check(ctx: CheckContext) -> list:
    host = ctx.host
    out: list = []
    if host.runtime.engine != "v8" or not host.crashes:
        return out
    entries: list[tuple] = [(True, i.kind, i.qualified_name, i.type, i.offset) for i in ctx.module.imports]
    entries += [(False, e.kind, e.name, e.type, e.offset) for e in ctx.module.exports]
    for importing, kind, name, extern, offset in entries:
        found = _crash(ctx, kind, name, extern, importing)
        if found is None:
            continue
        what, crash = found
        verb = "import" if importing else "export"
        when = ("when linking, before any import is resolved" if importing else
                "after instantiating, once every import has resolved")
        out.append(finding(
            "CC206", f"V8's C API has no Wasm type for {what} of {verb} {name}: the proxy "
            f"aborts (SIGTRAP, \"# Fatal error ... unreachable code\") {when}", "link",
            location=f"{verb} {name}", offset=offset,
            position=-1 if importing else _EXPORT_POSITION,
            unverified=host.is_unverified("crashes") or
            host.runtime.source.status not in ("verified", "probed")))
        break  # the process is gone after the first
    return out
