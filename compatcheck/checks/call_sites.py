"""Which exported functions can reach an imported function (direct calls, shared caches)."""

from __future__ import annotations

from .context import CheckContext


def callers(ctx: CheckContext, import_index: int) -> tuple[list[str], bool]:
    """(exports whose direct calls reach the import, whether some export also calls through a
    table, so that callers may be missing)."""
    found, indirect = [], False
    for e in ctx.module.exports:
        if e.kind != "func" or e.index < ctx.module.imported_function_count:
            continue
        reach = ctx.reach([e.index])
        if import_index in reach.imports:
            found.append(e.name)
        indirect = indirect or reach.indirect
    return found, indirect


def describe(names: list[str], indirect: bool, limit: int = 6) -> str:
    if not names:
        return ("no export reaches it by direct calls" +
                (" (some call through a table, so it may still be called)" if indirect else
                 "; it is imported but never called"))
    shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit
                                        else "")
    return f"called from {shown}" + (" (and maybe through a table)" if indirect else "")
