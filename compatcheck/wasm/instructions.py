"""Decoder for instruction sequences (function bodies and constant expressions).

It walks every instruction's immediates, which is what a real scan needs: a byte grep
would mistake immediates for opcodes. For each instruction it reports the Wasm proposal
the instruction needs (if any) to a ``FeatureSink``.
"""

from __future__ import annotations

from typing import Callable

from .cursor import Cursor
from .errors import WasmFormatError
from .valtypes import read_heap_type, read_valtype

# feature name, absolute byte offset
FeatureSink = Callable[[str, int], None]

# Immediate kinds
(NONE, BLOCK, LABEL, BR_TABLE, IDX, CALL_INDIRECT, MEMARG, MEMIDX, I32, I64, F32, F64,
 HEAP, SELECT_T, TRY_TABLE, IDX2, BR_ON_NULL) = range(17)

# Expression nesting changes
OPENS = frozenset({0x02, 0x03, 0x04, 0x06, 0x1F})

_SINGLE: dict[int, tuple[int, str | None]] = {
    0x00: (NONE, None), 0x01: (NONE, None), 0x02: (BLOCK, None), 0x03: (BLOCK, None),
    0x04: (BLOCK, None), 0x05: (NONE, None),
    0x06: (BLOCK, "exceptions-legacy"), 0x07: (IDX, "exceptions-legacy"),
    0x08: (IDX, "exceptions"), 0x09: (LABEL, "exceptions-legacy"),
    0x0A: (NONE, "exceptions-exnref"), 0x0B: (NONE, None),
    0x0C: (LABEL, None), 0x0D: (LABEL, None), 0x0E: (BR_TABLE, None), 0x0F: (NONE, None),
    0x10: (IDX, None), 0x11: (CALL_INDIRECT, None),
    0x12: (IDX, "tail-call"), 0x13: (CALL_INDIRECT, "tail-call"),
    0x14: (IDX, "function-references"), 0x15: (IDX, "tail-call"),
    0x18: (LABEL, "exceptions-legacy"), 0x19: (NONE, "exceptions-legacy"),
    0x1A: (NONE, None), 0x1B: (NONE, None), 0x1C: (SELECT_T, "reference-types"),
    0x1F: (TRY_TABLE, "exceptions-exnref"),
    0x20: (IDX, None), 0x21: (IDX, None), 0x22: (IDX, None), 0x23: (IDX, None),
    0x24: (IDX, None), 0x25: (IDX, "reference-types"), 0x26: (IDX, "reference-types"),
    0x3F: (MEMIDX, None), 0x40: (MEMIDX, None),
    0x41: (I32, None), 0x42: (I64, None), 0x43: (F32, None), 0x44: (F64, None),
    0xD0: (HEAP, "reference-types"), 0xD1: (NONE, "reference-types"),
    0xD2: (IDX, "reference-types"), 0xD3: (NONE, "gc"), 0xD4: (NONE, "function-references"),
    0xD5: (BR_ON_NULL, "function-references"), 0xD6: (BR_ON_NULL, "function-references"),
}
for _op in range(0x28, 0x3F):
    _SINGLE[_op] = (MEMARG, None)
for _op in range(0x45, 0xC0):
    _SINGLE[_op] = (NONE, None)
for _op in range(0xC0, 0xC5):
    _SINGLE[_op] = (NONE, "sign-extension")

# Opcodes allowed in constant expressions by the MVP; others need extended-const/gc.
CONST_MVP = frozenset({0x0B, 0x23, 0x41, 0x42, 0x43, 0x44, 0xD0, 0xD2, 0xFD})
CONST_EXTENDED = frozenset({0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E})

# 0xFC prefix: sub-opcode -> (immediate count of u32 indices, feature)
_FC = {0: (0, "saturating-float-to-int"), 1: (0, "saturating-float-to-int"),
       2: (0, "saturating-float-to-int"), 3: (0, "saturating-float-to-int"),
       4: (0, "saturating-float-to-int"), 5: (0, "saturating-float-to-int"),
       6: (0, "saturating-float-to-int"), 7: (0, "saturating-float-to-int"),
       8: (2, "bulk-memory"), 9: (1, "bulk-memory"), 10: (2, "bulk-memory"),
       11: (1, "bulk-memory"), 12: (2, "bulk-memory"), 13: (1, "bulk-memory"),
       14: (2, "bulk-memory"), 15: (1, "reference-types"), 16: (1, "reference-types"),
       17: (1, "reference-types")}

# 0xFB (GC) sub-opcode -> immediate layout
_FB_IDX = {0: 1, 1: 1, 2: 2, 3: 2, 4: 2, 5: 2, 6: 1, 7: 1, 8: 2, 9: 2, 10: 2, 11: 1, 12: 1,
           13: 1, 14: 1, 15: 0, 16: 1, 17: 2, 18: 2, 19: 2, 26: 0, 27: 0, 28: 0, 29: 0, 30: 0}


class ExprContext:
    """What a scan learns that matters beyond one instruction."""

    __slots__ = ("uses_data_count",)

    def __init__(self) -> None:
        self.uses_data_count = False


def _memarg(cur: Cursor, sink: FeatureSink | None, at: int) -> None:
    align = cur.u32()
    if align & 0x40:
        if sink:
            sink("multi-memory", at)
        cur.u32()
    offset = cur.u64()
    if offset > 0xFFFFFFFF and sink:
        sink("memory64", at)


def _call_indirect_table(cur: Cursor, sink: FeatureSink | None, at: int) -> None:
    start = cur.pos
    table = cur.u32()
    # MVP encodes the table as one zero byte; anything else is the reference-types
    # encoding (LLVM 19+ pads it to five bytes for relocation).
    if (table != 0 or cur.pos - start != 1) and sink:
        sink("reference-types", at)


def _blocktype(cur: Cursor, sink: FeatureSink | None, at: int) -> None:
    b = cur.peek()
    if b == 0x40:
        cur.pos += 1
        return
    if b in (0x7F, 0x7E, 0x7D, 0x7C):
        cur.pos += 1
        return
    if b & 0x40 or b in (0x64, 0x63):  # a value type (negative s33)
        _, feature = read_valtype(cur)
        if feature and sink:
            sink(feature, at)
        return
    start = cur.pos
    if cur.s33() < 0:
        raise WasmFormatError("malformed block type", start)
    if sink:
        sink("multi-value", at)


# Flat per-opcode tables for the hot loop (-1 = not a single-byte opcode).
_KIND = [-1] * 256
_FEATURE: list = [None] * 256
for _op, (_kind, _feat) in _SINGLE.items():
    _KIND[_op], _FEATURE[_op] = _kind, _feat


# long: one table-driven loop over every opcode, the hot path of the full scan; a helper
# call per immediate kind would add a Python call per instruction
def decode_expression(cur: Cursor, sink: FeatureSink | None = None,
                      ctx: ExprContext | None = None, const: bool = False,
                      on_call: Callable[[int, bool], None] | None = None) -> None:
    """Decode instructions until the ``end`` that closes the expression.

    ``on_call(callee, unconditional)`` receives every direct call (callee -1 for an indirect
    one, -2 for an ``unreachable``); ``unconditional`` when it is outside any block, loop or if
    and no branch, return or unreachable came before it, i.e. every run of the function
    reaches it.
    """
    depth = 1
    branched = False
    kinds, features = _KIND, _FEATURE
    data = cur.data
    end = cur.end
    seen: set = set()  # features already reported from this expression
    while True:
        at = cur.pos
        if at >= end:
            raise WasmFormatError(cur.eof_reason, at)
        op = data[at]
        pos = at + 1
        if const and sink and op not in CONST_MVP:
            sink("extended-const" if op in CONST_EXTENDED else "gc", at)
        kind = kinds[op]
        if kind >= 0:
            feature = features[op]
            if feature is not None and sink is not None and feature not in seen:
                seen.add(feature)
                sink(feature, at)
            if kind == NONE:
                cur.pos = pos
                if op == 0x00 and on_call is not None:
                    on_call(-2, depth == 1 and not branched)
                if op == 0x0F or op == 0x00:  # return, unreachable
                    branched = True
                if op == 0x0B:
                    depth -= 1
                    if depth == 0:
                        return
                continue
            if kind == IDX or kind == LABEL:
                if pos < end and data[pos] < 0x80:  # one-byte index
                    index = data[pos]
                    cur.pos = pos + 1
                else:
                    cur.pos = pos
                    index = cur.u32()
                if on_call is not None and (op == 0x10 or op == 0x12):
                    on_call(index, depth == 1 and not branched)
                if op == 0x0C or op == 0x0D:  # br, br_if
                    branched = True
                if op == 0x18:  # delegate closes its try block
                    depth -= 1
                continue
            if kind == MEMARG:
                if pos + 1 < end and data[pos] < 0x40 and data[pos + 1] < 0x80:
                    cur.pos = pos + 2  # one-byte alignment and offset
                else:
                    cur.pos = pos
                    _memarg(cur, sink, at)
                continue
            cur.pos = pos
            if kind == I32:
                cur.s32()
            elif kind == BLOCK:
                _blocktype(cur, sink, at)
                depth += 1
            elif kind == I64:
                cur.s64()
            elif kind == F32:
                cur.skip(4)
            elif kind == F64:
                cur.skip(8)
            elif kind == BR_TABLE:
                branched = True
                n = cur.count(1)
                for _ in range(n + 1):
                    cur.u32()
            elif kind == CALL_INDIRECT:
                cur.u32()
                _call_indirect_table(cur, sink, at)
                if on_call is not None:
                    on_call(-1, depth == 1 and not branched)
            elif kind == MEMIDX:
                start = cur.pos
                if cur.u32() != 0 or cur.pos - start != 1:
                    if sink:
                        sink("multi-memory", at)
            elif kind == HEAP:
                _, hfeature = read_heap_type(cur)
                if sink:
                    if hfeature != "reference-types":
                        sink(hfeature, at)
                    if op == 0xD0:  # V8's pre-2020 draft had ref.null without a heap type
                        sink("ref-null-heap-type", at)
            elif kind == SELECT_T:
                n = cur.count(1)
                for _ in range(n):
                    _, vfeature = read_valtype(cur)
                    if vfeature and sink:
                        sink(vfeature, at)
            elif kind == TRY_TABLE:
                _blocktype(cur, sink, at)
                n = cur.count(2)
                for _ in range(n):
                    catch_kind = cur.byte()
                    if catch_kind > 3:
                        raise WasmFormatError("malformed catch clause", cur.pos - 1)
                    if catch_kind < 2:
                        cur.u32()
                    cur.u32()
                depth += 1
            elif kind == BR_ON_NULL:
                cur.u32()
            continue
        cur.pos = pos
        if op == 0xFC:
            sub = cur.u32()
            spec = _FC.get(sub)
            if spec is None:
                raise WasmFormatError(f"illegal opcode fc {sub:02x}", at)
            nidx, feature = spec
            if sink:
                sink(feature, at)
            if sub in (8, 9) and ctx is not None:
                ctx.uses_data_count = True
            for _ in range(nidx):
                cur.u32()
            continue
        if op == 0xFD:
            _simd(cur, sink, at)
            continue
        if op == 0xFE:
            _atomic(cur, sink, at)
            continue
        if op == 0xFB:
            _gc(cur, sink, at)
            continue
        raise WasmFormatError(f"illegal opcode {op:02x}", at)


def _simd(cur: Cursor, sink: FeatureSink | None, at: int) -> None:
    sub = cur.u32()
    if sub >= 0x100:
        if sub > 0x113:
            raise WasmFormatError(f"illegal opcode fd {sub:x}", at)
        if sink:
            sink("relaxed-simd", at)
        return
    if sink:
        sink("simd", at)
    if sub <= 0x0B or sub in (0x5C, 0x5D):
        _memarg(cur, sink, at)
    elif sub in (0x0C, 0x0D):
        cur.skip(16)
    elif 0x15 <= sub <= 0x22:
        cur.skip(1)
    elif 0x54 <= sub <= 0x5B:
        _memarg(cur, sink, at)
        cur.skip(1)


def _atomic(cur: Cursor, sink: FeatureSink | None, at: int) -> None:
    sub = cur.u32()
    if sink:
        sink("threads", at)
    if sub == 0x03:
        if cur.byte() != 0:
            raise WasmFormatError("zero byte expected", cur.pos - 1)
    elif sub <= 0x02 or 0x10 <= sub <= 0x4E:
        _memarg(cur, sink, at)
    else:
        raise WasmFormatError(f"illegal opcode fe {sub:02x}", at)


def _gc(cur: Cursor, sink: FeatureSink | None, at: int) -> None:
    sub = cur.u32()
    if sink:
        sink("gc", at)
    n = _FB_IDX.get(sub)
    if n is not None:
        for _ in range(n):
            cur.u32()
    elif sub in (20, 21, 22, 23):
        read_heap_type(cur)
    elif sub in (24, 25):
        cur.byte()
        cur.u32()
        read_heap_type(cur)
        read_heap_type(cur)
    else:
        raise WasmFormatError(f"illegal opcode fb {sub:02x}", at)


def decode_body(cur: Cursor, sink: FeatureSink | None = None,
                ctx: ExprContext | None = None,
                on_call: Callable[[int, bool], None] | None = None) -> None:
    """Decode one function body (locals and code) that fills ``cur`` exactly."""
    groups = cur.count(2)
    total = 0
    for _ in range(groups):
        start = cur.pos
        total += cur.u32()
        if total > 0xFFFFFFFF:
            raise WasmFormatError("too many locals", start)
        at = cur.pos
        _, feature = read_valtype(cur)
        if feature and sink:
            sink(feature, at)
    decode_expression(cur, sink, ctx, on_call=on_call)
    if not cur.at_end():
        raise WasmFormatError("section size mismatch: code after the body's final end",
                              cur.pos)
