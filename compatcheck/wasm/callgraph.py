"""Which imported functions a function can reach, and which it surely calls, by direct calls."""

from __future__ import annotations

from ..record import record

from .cursor import Cursor
from .instructions import decode_body
from .model import Module


@record
class Reach:
    imports: frozenset[int]  # imported functions reachable by direct calls
    certain: frozenset[int]  # ... reached by a chain of calls every run makes
    indirect: bool  # some reachable function calls through a table (targets unknown)
    traps: bool = False  # every run reaches an `unreachable` (through calls every run makes)


def _calls(module: Module, bodies: dict, f: int, cache: dict) -> list[tuple[int, bool]]:
    if f not in cache:
        body = bodies.get(f)
        calls: list[tuple[int, bool]] = []
        if body is not None:
            decode_body(Cursor(module.data, body.offset, body.offset + body.size),
                        on_call=lambda callee, unconditional: calls.append((callee, unconditional)))
        cache[f] = calls
    return cache[f]


def reachable_imports(module: Module, roots: list[int], cache: dict | None = None) -> Reach:
    """Walk direct calls from ``roots``; decodes only the bodies it visits.

    ``cache`` (function index -> its calls) may be shared between calls on the same module.
    """
    n_imported = module.imported_function_count
    bodies = {b.function_index: b for b in module.code}
    if cache is None:
        cache = {}

    def walk(certain_only: bool) -> tuple[set[int], bool, bool]:
        seen: set[int] = set()
        found: set[int] = set()
        indirect = traps = False
        stack = [r for r in roots if r >= 0]
        while stack:
            f = stack.pop()
            if f in seen:
                continue
            seen.add(f)
            if f < n_imported:
                found.add(f)
                continue
            for callee, unconditional in _calls(module, bodies, f, cache):
                if certain_only and not unconditional:
                    continue
                if callee == -2:
                    traps = traps or unconditional
                elif callee < 0:
                    indirect = True
                elif callee not in seen:
                    stack.append(callee)
        return found, indirect, traps

    possible, indirect, _ = walk(False)
    certain, _, traps = walk(True)
    return Reach(frozenset(possible), frozenset(certain), indirect, traps)
