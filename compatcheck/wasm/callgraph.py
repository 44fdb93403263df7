"""Which imported functions a function can reach through direct calls."""

from __future__ import annotations

from dataclasses import dataclass

from .cursor import Cursor
from .instructions import decode_body
from .model import Module


@dataclass(frozen=True)
class Reach:
    imports: frozenset[int]  # imported function indices reachable by direct calls
    indirect: bool  # some reachable function calls through a table (targets unknown)


def reachable_imports(module: Module, roots: list[int]) -> Reach:
    """Walk direct calls from ``roots``; decodes only the bodies it visits."""
    n_imported = module.imported_function_count
    bodies = {b.function_index: b for b in module.code}
    seen: set[int] = set()
    imports: set[int] = set()
    indirect = False
    stack = [r for r in roots if r >= 0]
    while stack:
        f = stack.pop()
        if f in seen:
            continue
        seen.add(f)
        if f < n_imported:
            imports.add(f)
            continue
        body = bodies.get(f)
        if body is None:
            continue
        callees: list[int] = []
        decode_body(Cursor(module.data, body.offset, body.offset + body.size),
                    on_call=callees.append)
        for c in callees:
            if c < 0:
                indirect = True
            elif c not in seen:
                stack.append(c)
    return Reach(frozenset(imports), indirect)
