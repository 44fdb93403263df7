"""Value, reference and heap type encodings, and the proposal each one needs."""

from __future__ import annotations

from .cursor import Cursor
from .errors import WasmFormatError

NUMERIC = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64"}

# Abstract heap types (as the negative s33 / single byte they encode to).
ABSTRACT_HEAP = {
    0x70: "func", 0x6F: "extern", 0x6E: "any", 0x6D: "eq", 0x6C: "i31",
    0x6B: "struct", 0x6A: "array", 0x73: "nofunc", 0x72: "noextern", 0x71: "none",
    0x69: "exn", 0x74: "noexn",
}
# Proposal that introduced each abstract heap type.
HEAP_FEATURE = {
    "func": "reference-types", "extern": "reference-types", "exn": "exceptions-exnref",
    "noexn": "exceptions-exnref",
}

# Shorthand reference value types: byte -> (name, feature)
REF_SHORTHAND = {code: (f"{name}ref", HEAP_FEATURE.get(name, "gc"))
                 for code, name in ABSTRACT_HEAP.items()}


def read_heap_type(cur: Cursor) -> tuple[str, str]:
    """Returns (text, feature)."""
    start = cur.pos
    b = cur.peek()
    if b in ABSTRACT_HEAP:
        cur.pos += 1
        name = ABSTRACT_HEAP[b]
        return name, HEAP_FEATURE.get(name, "gc")
    index = cur.s33()
    if index < 0:
        raise WasmFormatError("malformed heap type", start)
    return f"${index}", "function-references"


def read_valtype(cur: Cursor) -> tuple[str, str | None]:
    """Returns (text, feature needed or None for MVP types)."""
    start = cur.pos
    b = cur.byte()
    if b in NUMERIC:
        return NUMERIC[b], None
    if b == 0x7B:
        return "v128", "simd"
    if b in REF_SHORTHAND:
        return REF_SHORTHAND[b]
    if b in (0x64, 0x63):
        heap, feature = read_heap_type(cur)
        if feature == "reference-types":
            feature = "function-references"  # (ref func) etc. need typed refs
        return (f"(ref {heap})" if b == 0x64 else f"(ref null {heap})"), feature
    raise WasmFormatError(f"malformed value type 0x{b:02x}", start)


def read_reftype(cur: Cursor) -> tuple[str, str | None]:
    start = cur.pos
    text, feature = read_valtype(cur)
    if text in ("i32", "i64", "f32", "f64", "v128"):
        raise WasmFormatError("malformed reference type", start)
    return text, feature
