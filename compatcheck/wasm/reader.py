"""Reads WebAssembly binary bytes into an immutable :class:`Module`.

Code bodies are not decoded unless ``decode_code=True``; their offsets are kept so that a
later pass (feature scan) can walk them.
"""

from __future__ import annotations

import re
from array import array
from types import MappingProxyType
from typing import Any, cast

from .cursor import Cursor
from .custom import read_producers, read_target_features
from .errors import WasmFormatError
from .instructions import ExprContext, FeatureSink, decode_body, decode_expression
from .model import (EXTERNAL_KINDS, SECTION_NAMES, CompositeType, Export, ExternType,
                    FuncType, GlobalType, Import, Limits, MemoryType, Module, Section,
                    TableType, TagType)
from .valtypes import read_reftype, read_valtype

MAGIC = b"\0asm"
# An active data segment for memory 0 at `i32.const N` (N and the size in at most 4 bytes);
# group 1: the size. Longer encodings and every other form take the checked path. SHORT: the
# size in one byte.
_SIMPLE_SEGMENT = re.compile(rb"\x00\x41[\x80-\xff]{0,3}[\x00-\x7f]\x0b([\x80-\xff]{0,3}[\x00-\x7f])")
_SHORT_SEGMENT = re.compile(rb"\x00\x41[\x80-\xff]{0,3}[\x00-\x7f]\x0b[\x00-\x7f]")
CORE_VERSION = 1
COMPONENT_LAYER = b"\x0d\x00\x01\x00"

# Position of each known section in the required order (custom sections go anywhere).
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11,
                 10: 12, 11: 13}


def read_module(data: bytes, decode_code: bool | None = None,
                feature_sink: FeatureSink | None = None, custom: bool = True) -> Module:
    """Parse ``data``; raise :class:`WasmFormatError` if it is not a readable module.

    Code bodies are decoded when ``decode_code`` is true (default: when a feature sink is given).
    """
    if decode_code is None:
        decode_code = feature_sink is not None
    reader = _Reader(bytes(data), decode_code, feature_sink)
    reader.read_custom = custom
    return reader.read()


class _Reader:
    def __init__(self, data: bytes, decode_code: bool, sink: FeatureSink | None):
        self.data = data
        self.decode_code = decode_code
        self.sink = sink
        self.sections: list[Section] = []
        self.types: list[FuncType | CompositeType] = []
        self.imports: list[Import] = []
        self.functions: list[int] = []
        self.tables: list[TableType] = []
        self.memories: list[MemoryType] = []
        self.globals: list[GlobalType] = []
        self.tags: list[TagType] = []
        self.raw_exports: list[tuple[str, str, int, int]] = []
        self.start: int | None = None
        self.element_count = 0
        self.data_count = 0
        self.datacount: int | None = None
        self.code_offsets = array("I")
        self.code_sizes = array("I")
        self.read_custom = True
        self.name_section: tuple[int, int] | None = None
        self.code_count: int | None = None
        self.function_section_seen = False
        self.custom: dict[str, object] = {}
        self.notes: list[str] = []
        self.expr_ctx = ExprContext()

    # --- header ---------------------------------------------------------
    def read(self) -> Module:
        data = self.data
        if len(data) < 4 or data[:4] != MAGIC:
            if len(data) == 0:
                raise WasmFormatError("empty file, not a WebAssembly module", 0, kind="not-wasm")
            if MAGIC.startswith(data[:4]):
                raise WasmFormatError("unexpected end of file inside the magic number",
                                      len(data), kind="not-wasm")
            raise WasmFormatError("not a WebAssembly binary (magic number \\0asm missing)",
                                  0, kind="not-wasm")
        if len(data) < 8:
            raise WasmFormatError("unexpected end of file inside the version field",
                                  len(data))
        if data[4:8] == COMPONENT_LAYER:
            raise WasmFormatError(
                "this is a WebAssembly component (component model, layer 1), not a core "
                "module; Proxy-Wasm hosts load core modules only", 4, kind="component")
        version = int.from_bytes(data[4:8], "little")
        if version != CORE_VERSION:
            raise WasmFormatError(f"unknown binary version 0x{version:x}", 4, kind="version")
        self._sections()
        return self._finish(version)

    def _sections(self) -> None:
        cur = Cursor(self.data, 8)
        last_order = 0
        while not cur.at_end():
            offset = cur.pos
            sid = cur.byte()
            if sid not in SECTION_NAMES:
                raise WasmFormatError(f"malformed section id {sid}", offset)
            size_at = cur.pos
            size = cur.u32()
            payload = cur.pos
            if size > cur.remaining():
                raise WasmFormatError(
                    f"section size mismatch: {SECTION_NAMES[sid]} section declares {size} "
                    f"bytes but only {cur.remaining()} remain", size_at)
            body = Cursor(self.data, payload, payload + size,
                          eof_reason="unexpected end of section or function")
            if sid == 0:
                name = body.name()
                self.sections.append(Section(0, offset, payload, size, name))
                self._custom(name, body)
            else:
                order = SECTION_ORDER[sid]
                if order <= last_order:
                    raise WasmFormatError(
                        f"unexpected content after last section: {SECTION_NAMES[sid]} "
                        "section is duplicated or out of order", offset)
                last_order = order
                self.sections.append(Section(sid, offset, payload, size, SECTION_NAMES[sid]))
                getattr(self, "_sec_" + SECTION_NAMES[sid])(body)
                if not body.at_end():
                    raise WasmFormatError(
                        f"section size mismatch: {SECTION_NAMES[sid]} section has "
                        f"{body.remaining()} unread bytes", body.pos)
            cur.pos = payload + size
        if self.code_count is None and self.functions:
            raise WasmFormatError(
                "function and code section have inconsistent lengths: "
                f"{len(self.functions)} functions declared, no code section", len(self.data))
        if self.datacount is not None and self.datacount != self.data_count:
            raise WasmFormatError(
                "data count and data section have inconsistent lengths: datacount says "
                f"{self.datacount}, data section has {self.data_count}", len(self.data))
        if self.expr_ctx.uses_data_count and self.datacount is None:
            raise WasmFormatError("data count section required (memory.init or data.drop "
                                  "is used)", len(self.data))

    # --- known sections ------------------------------------------------------
    def _feature(self, feature: str | None, at: int) -> None:
        if feature and self.sink:
            self.sink(feature, at)

    def _sec_type(self, cur: Cursor) -> None:
        for _ in range(cur.count(1)):
            at = cur.pos
            form = cur.peek()
            if form == 0x4E:  # rec group
                cur.pos += 1
                self._feature("gc", at)
                for _ in range(cur.count(1)):
                    self._subtype(cur)
            else:
                self._subtype(cur)

    def _subtype(self, cur: Cursor) -> None:
        at = cur.pos
        form = cur.peek()
        if form in (0x50, 0x4F):
            cur.pos += 1
            self._feature("gc", at)
            for _ in range(cur.count(1)):
                cur.u32()
        self.types.append(self._comptype(cur))

    def _comptype(self, cur: Cursor) -> FuncType | CompositeType:
        at = cur.pos
        form = cur.byte()
        if form == 0x60:
            params = self._valtypes(cur)
            results = self._valtypes(cur)
            if len(results) > 1:
                self._feature("multi-value", at)
            return FuncType(params, results)
        if form == 0x5F:
            self._feature("gc", at)
            return CompositeType("struct", tuple(self._field(cur) for _ in range(cur.count(2))))
        if form == 0x5E:
            self._feature("gc", at)
            return CompositeType("array", (self._field(cur),))
        raise WasmFormatError(f"malformed type form 0x{form:02x} (expected 0x60 func)", at)

    def _valtypes(self, cur: Cursor) -> tuple[str, ...]:
        out = []
        for _ in range(cur.count(1)):
            at = cur.pos
            text, feature = read_valtype(cur)
            self._feature(feature, at)
            out.append(text)
        return tuple(out)

    def _field(self, cur: Cursor) -> str:
        b = cur.peek()
        if b in (0x78, 0x77):
            cur.pos += 1
            text = "i8" if b == 0x78 else "i16"
        else:
            text, _ = read_valtype(cur)
        mut = cur.byte()
        if mut > 1:
            raise WasmFormatError("malformed mutability", cur.pos - 1)
        return f"mut {text}" if mut else text

    def _limits(self, cur: Cursor, memory: bool) -> Limits:
        at = cur.pos
        flags = cur.byte()
        if flags > 0x07 or (not memory and flags & 0x02):
            raise WasmFormatError(f"malformed limits flags 0x{flags:02x}", at)
        is64 = bool(flags & 0x04)
        read = cur.u64 if is64 else cur.u32
        minimum = read()
        maximum = read() if flags & 0x01 else None
        if is64:
            self._feature("memory64", at)
        if flags & 0x02:
            self._feature("threads", at)
        return Limits(minimum, maximum, bool(flags & 0x02), is64)

    def _table_type(self, cur: Cursor) -> TableType:
        at = cur.pos
        element, feature = read_reftype(cur)
        if element != "funcref":
            self._feature(feature or "reference-types", at)
        return TableType(element, self._limits(cur, memory=False))

    def _global_type(self, cur: Cursor) -> GlobalType:
        at = cur.pos
        valtype, feature = read_valtype(cur)
        self._feature(feature, at)
        mut = cur.byte()
        if mut > 1:
            raise WasmFormatError("malformed mutability", cur.pos - 1)
        return GlobalType(valtype, bool(mut))

    def _tag_type(self, cur: Cursor) -> TagType:
        at = cur.pos
        if cur.byte() != 0:
            raise WasmFormatError("malformed tag attribute", at)
        index = cur.u32()
        sig = self.types[index] if index < len(self.types) else None
        return TagType(index, sig if isinstance(sig, FuncType) else None)

    def _func_type_at(self, index: int, at: int) -> FuncType:
        if index >= len(self.types) or not isinstance(self.types[index], FuncType):
            raise WasmFormatError(f"unknown function type {index}", at)
        return self.types[index]  # type: ignore[return-value]

    def _sec_import(self, cur: Cursor) -> None:
        for _ in range(cur.count(4)):
            at = cur.pos
            module = cur.name()
            name = cur.name()
            kind_at = cur.pos
            kind = cur.byte()
            type_index = None
            ext: ExternType
            if kind == 0x00:
                type_index = cur.u32()
                ext = self._func_type_at(type_index, kind_at)
            elif kind == 0x01:
                ext = self._table_type(cur)
            elif kind == 0x02:
                self._memory_count(kind_at)
                ext = MemoryType(self._limits(cur, memory=True))
            elif kind == 0x03:
                ext = self._global_type(cur)
                if ext.mutable:
                    self._feature("mutable-globals", kind_at)
            elif kind == 0x04:
                self._feature("exceptions", kind_at)
                ext = self._tag_type(cur)
                type_index = ext.type_index
            else:
                raise WasmFormatError(f"malformed import kind 0x{kind:02x}", kind_at)
            self.imports.append(Import(module, name, EXTERNAL_KINDS[kind], ext, at, type_index))

    def _sec_function(self, cur: Cursor) -> None:
        self.function_section_seen = True
        for _ in range(cur.count(1)):
            self.functions.append(cur.u32())

    def _sec_table(self, cur: Cursor) -> None:
        for _ in range(cur.count(2)):
            at = cur.pos
            if cur.peek() == 0x40:  # table with an initialiser expression (GC proposal)
                cur.pos += 1
                if cur.byte() != 0:
                    raise WasmFormatError("malformed table type", at)
                self._feature("function-references", at)
                self.tables.append(self._table_type(cur))
                decode_expression(cur, self.sink, const=True)
            else:
                self.tables.append(self._table_type(cur))

    def _sec_memory(self, cur: Cursor) -> None:
        for _ in range(cur.count(2)):
            self._memory_count(cur.pos)
            self.memories.append(MemoryType(self._limits(cur, memory=True)))

    def _memory_count(self, at: int) -> None:
        """A second memory, imported or defined, is multi-memory even if no code uses it."""
        if len(self.memories) + sum(i.kind == "memory" for i in self.imports) >= 1:
            self._feature("multi-memory", at)

    def _sec_tag(self, cur: Cursor) -> None:
        for _ in range(cur.count(2)):
            self._feature("exceptions", cur.pos)
            self.tags.append(self._tag_type(cur))

    def _sec_global(self, cur: Cursor) -> None:
        for _ in range(cur.count(2)):
            self.globals.append(self._global_type(cur))
            decode_expression(cur, self.sink, self.expr_ctx, const=True)

    def _sec_export(self, cur: Cursor) -> None:
        seen: set[str] = set()
        for _ in range(cur.count(3)):
            at = cur.pos
            name = cur.name()
            kind_at = cur.pos
            kind = cur.byte()
            if kind > 4:
                raise WasmFormatError(f"malformed export kind 0x{kind:02x}", kind_at)
            index = cur.u32()
            if name in seen:
                self.notes.append(f"duplicate export name {name!r} (invalid module)")
            seen.add(name)
            self.raw_exports.append((name, EXTERNAL_KINDS[kind], index, at))

    def _sec_start(self, cur: Cursor) -> None:
        self.start = cur.u32()

    def _sec_element(self, cur: Cursor) -> None:
        n = cur.count(1)
        self.element_count = n
        for _ in range(n):
            at = cur.pos
            flags = cur.u32()
            if flags > 7:
                raise WasmFormatError(f"malformed elements segment kind {flags}", at)
            if flags not in (0, 4):
                self._feature("bulk-memory" if flags in (1, 3, 5, 7) else "reference-types", at)
            passive_or_declared = flags & 1
            explicit_table = flags & 2
            uses_exprs = flags & 4
            if not passive_or_declared:
                if explicit_table:
                    cur.u32()
                decode_expression(cur, self.sink, self.expr_ctx, const=True)
            if passive_or_declared or explicit_table:
                if uses_exprs:
                    kind_at = cur.pos
                    text, feature = read_reftype(cur)
                    if text != "funcref":
                        self._feature(feature, kind_at)
                elif cur.byte() != 0:
                    raise WasmFormatError("malformed element kind", cur.pos - 1)
            if uses_exprs:
                for _ in range(cur.count(1)):
                    decode_expression(cur, self.sink, self.expr_ctx, const=True)
            else:
                for _ in range(cur.count(1)):
                    cur.u32()

    def _sec_datacount(self, cur: Cursor) -> None:
        self._feature("bulk-memory", cur.pos)
        self.datacount = cur.u32()

    def _sec_code(self, cur: Cursor) -> None:
        n = cur.count(1)
        if n != len(self.functions):
            raise WasmFormatError(
                "function and code section have inconsistent lengths: "
                f"{len(self.functions)} functions declared, {n} bodies", cur.pos)
        self.code_count = n
        for _ in range(n):
            size_at = cur.pos
            size = cur.u32()
            if size > cur.remaining():
                raise WasmFormatError("unexpected end of section or function: function body "
                                      f"of {size} bytes overruns the code section", size_at)
            self.code_offsets.append(cur.pos)
            self.code_sizes.append(size)
            if self.decode_code:
                body_cur = Cursor(self.data, cur.pos, cur.pos + size,
                                  eof_reason="END opcode expected")
                decode_body(body_cur, self.sink, self.expr_ctx)
            cur.pos += size

    def _imported_funcs(self) -> int:
        return sum(1 for i in self.imports if i.kind == "func")

    def _sec_data(self, cur: Cursor) -> None:
        n = cur.count(1)
        self.data_count = n
        if not self.decode_code and self.sink is None:
            # Segment contents are not modelled; the full read (feature scan) checks them.
            cur.pos = cur.end
            return
        data, end = self.data, cur.end
        short, simple = _SHORT_SEGMENT.match, _SIMPLE_SEGMENT.match
        pos = cur.pos
        for _ in range(n):
            # Fast paths for the common active segment `0 (i32.const N) end size bytes`
            # (Go emits ~100k of them); anything unusual takes the checked path below.
            m = short(data, pos, end)
            if m is not None:  # fewer than 128 bytes
                stop = m.end()
                if stop + data[stop - 1] <= end:
                    pos = stop + data[stop - 1]
                    continue
            else:
                m = simple(data, pos, end)
                if m is not None:
                    p, stop = m.span(1)
                    size = shift = 0
                    for b in data[p:stop]:
                        size |= (b & 0x7F) << shift
                        shift += 7
                    if stop + size <= end:
                        pos = stop + size
                        continue
            cur.pos = at = pos
            flags = cur.u32()
            if flags == 1:
                self._feature("bulk-memory", at)
            elif flags == 2:
                if cur.u32() != 0:
                    self._feature("multi-memory", at)
            elif flags != 0:
                raise WasmFormatError(f"malformed data segment kind {flags}", at)
            if flags != 1:
                decode_expression(cur, self.sink, self.expr_ctx, const=True)
            size = cur.u32()
            cur.skip(size)
            pos = cur.pos
        cur.pos = pos

    # --- custom sections -------------------------------------------------
    def _custom(self, name: str, cur: Cursor) -> None:
        if not self.read_custom:
            return
        if name == "name":
            if self.name_section is None:
                self.name_section = (cur.pos, cur.end)  # parsed when names are asked for
            return
        readers = {"producers": read_producers, "target_features": read_target_features}
        reader = readers.get(name)
        if reader is None or name in self.custom:
            return
        try:
            self.custom[name] = reader(cur)
        except WasmFormatError as exc:
            # Custom sections never make a module malformed; note and carry on.
            self.notes.append(f"ignored malformed {name!r} custom section: {exc}")

    # --- assembly --------------------------------------------------------
    def _finish(self, version: int) -> Module:
        # A defined function's type index is not checked here: its entry may be a GC type or None.
        func_types: list[ExternType | CompositeType | None] = [i.type for i in self.imports if i.kind == "func"]
        func_types += [self.types[t] if t < len(self.types) else None for t in self.functions]
        spaces: dict[str, list[Any]] = {  # (mypy cannot infer the lists' join here)
            "func": func_types,
            "table": [i.type for i in self.imports if i.kind == "table"] + self.tables,
            "memory": [i.type for i in self.imports if i.kind == "memory"] + self.memories,
            "global": [i.type for i in self.imports if i.kind == "global"] + self.globals,
            "tag": [i.type for i in self.imports if i.kind == "tag"] + self.tags,
        }
        exports = []
        for name, kind, index, at in self.raw_exports:
            space = spaces[kind]
            ext: ExternType | CompositeType | None = space[index] if index < len(space) else None
            exports.append(Export(name, kind, index, at, ext))
        # self.custom holds what read_producers / read_target_features returned, by name.
        producers = cast("dict[str, tuple[tuple[str, str], ...]]", self.custom.get("producers") or {})
        target_features = cast("tuple[tuple[str, str], ...]", self.custom.get("target_features") or ())
        return Module(
            size=len(self.data), version=version, sections=tuple(self.sections),
            types=tuple(self.types), imports=tuple(self.imports),
            function_type_indices=tuple(self.functions), tables=tuple(self.tables),
            memories=tuple(self.memories), globals=tuple(self.globals), tags=tuple(self.tags),
            exports=tuple(exports), start=self.start, element_count=self.element_count,
            data_count=self.data_count, datacount_section=self.datacount,
            code_offsets=self.code_offsets, code_sizes=self.code_sizes,
            name_section=self.name_section, producers=MappingProxyType(dict(producers)),
            target_features=tuple(target_features),
            notes=tuple(self.notes), data=self.data,
        )
