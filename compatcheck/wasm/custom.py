"""Readers of the custom sections toolchains leave behind: name, producers, target_features."""

from __future__ import annotations

from .cursor import Cursor
from .errors import WasmFormatError


def read_name_section(cur: Cursor) -> tuple[str | None, dict[int, str]]:
    """Module name and function names (other subsections are skipped)."""
    module_name = None
    functions: dict[int, str] = {}
    while not cur.at_end():
        sub = cur.byte()
        size = cur.u32()
        if size > cur.remaining():
            raise WasmFormatError("name subsection overruns the section", cur.pos)
        sub_cur = Cursor(cur.data, cur.pos, cur.pos + size)
        if sub == 0:
            module_name = sub_cur.name()
        elif sub == 1:
            for _ in range(sub_cur.count(2)):
                index = sub_cur.u32()
                functions[index] = sub_cur.name()
        cur.pos += size
    return module_name, functions


def read_producers(cur: Cursor) -> dict[str, tuple[tuple[str, str], ...]]:
    """``{"language": (("Rust", ""),), "processed-by": (("rustc", "1.80"),), ...}``."""
    fields: dict[str, tuple[tuple[str, str], ...]] = {}
    for _ in range(cur.count(2)):
        field = cur.name()
        values = []
        for _ in range(cur.count(2)):
            values.append((cur.name(), cur.name()))
        fields[field] = tuple(values)
    return fields


def read_target_features(cur: Cursor) -> tuple[tuple[str, str], ...]:
    """``(("+", "bulk-memory"), ("-", "simd128"), ...)``."""
    out = []
    for _ in range(cur.count(2)):
        prefix = cur.byte()
        if prefix not in (0x2B, 0x2D, 0x3D):
            raise WasmFormatError(f"bad target_features prefix 0x{prefix:02x}", cur.pos - 1)
        out.append((chr(prefix), cur.name()))
    return tuple(out)
