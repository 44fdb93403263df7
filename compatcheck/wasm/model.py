"""The immutable Module model the reader builds."""

from __future__ import annotations

from array import array
from ..record import record, Factory
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

SECTION_NAMES = {
    0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
    6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
    12: "datacount", 13: "tag",
}

EXTERNAL_KINDS = ("func", "table", "memory", "global", "tag")


@record
class FuncType:
    params: tuple[str, ...]
    results: tuple[str, ...]

    def __str__(self) -> str:
        return f"({', '.join(self.params)}) -> ({', '.join(self.results)})"

    @classmethod
    def parse(cls, text: str) -> "FuncType":
        """Inverse of ``str()``: ``"(i32, i32) -> (i32)"``."""
        left, sep, right = text.partition("->")
        if not sep:
            raise ValueError(f"not a function signature: {text!r}")

        def side(part: str) -> tuple[str, ...]:
            part = part.strip()
            if not (part.startswith("(") and part.endswith(")")):
                raise ValueError(f"not a function signature: {text!r}")
            inner = part[1:-1].strip()
            return tuple(t.strip() for t in inner.split(",")) if inner else ()

        return cls(side(left), side(right))


@record
class CompositeType:
    """A GC struct or array type (kept so type indices line up)."""
    kind: str  # "struct" | "array"
    fields: tuple[str, ...]


@record
class Limits:
    minimum: int
    maximum: int | None
    shared: bool = False
    is64: bool = False

    def __str__(self) -> str:
        text = f"min={self.minimum}"
        if self.maximum is not None:
            text += f" max={self.maximum}"
        if self.is64:
            text += " i64"
        if self.shared:
            text += " shared"
        return text


@record
class TableType:
    element: str
    limits: Limits

    def __str__(self) -> str:
        return f"{self.element} {self.limits}"


@record
class MemoryType:
    limits: Limits

    def __str__(self) -> str:
        return str(self.limits)


@record
class GlobalType:
    valtype: str
    mutable: bool

    def __str__(self) -> str:
        return f"mut {self.valtype}" if self.mutable else self.valtype


@record
class TagType:
    type_index: int
    signature: FuncType | None

    def __str__(self) -> str:
        return f"tag {self.signature}" if self.signature else f"tag type[{self.type_index}]"


ExternType = FuncType | TableType | MemoryType | GlobalType | TagType


@record
class Import:
    module: str
    name: str
    kind: str  # one of EXTERNAL_KINDS
    type: ExternType
    offset: int
    type_index: int | None = None  # for functions and tags

    @property
    def qualified_name(self) -> str:
        return f"{self.module}.{self.name}"


@record
class Export:
    name: str
    kind: str
    index: int
    offset: int
    type: ExternType | CompositeType | None  # resolved; None only for an out-of-range index


@record
class Section:
    id: int
    offset: int  # of the section id byte
    payload_offset: int
    size: int  # payload size
    name: str  # section name, or the custom section's own name

    @property
    def end(self) -> int:
        return self.payload_offset + self.size


@record
class CodeBody:
    function_index: int
    offset: int  # of the body's first byte (the locals vector)
    size: int


@record(uncompared=("data", "code_offsets", "code_sizes"))
class Module:
    size: int
    version: int
    sections: tuple[Section, ...]
    types: tuple[FuncType | CompositeType, ...]
    imports: tuple[Import, ...]
    function_type_indices: tuple[int, ...]  # defined functions only
    tables: tuple[TableType, ...]
    memories: tuple[MemoryType, ...]
    globals: tuple[GlobalType, ...]
    tags: tuple[TagType, ...]
    exports: tuple[Export, ...]
    start: int | None
    element_count: int
    data_count: int
    datacount_section: int | None
    # Function bodies as two compact arrays (a big module has 100k of them); see ``code``.
    code_offsets: array = Factory(lambda: array("I"))  # type: ignore[assignment]
    code_sizes: array = Factory(lambda: array("I"))  # type: ignore[assignment]
    name_section: tuple[int, int] | None = None  # payload span, parsed on first use
    producers: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({})
    target_features: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()  # non-fatal oddities (e.g. a malformed name section)
    data: bytes = b""

    @cached_property
    def code(self) -> tuple[CodeBody, ...]:
        first = self.imported_function_count
        return tuple(CodeBody(first + i, off, size)
                     for i, (off, size) in enumerate(zip(self.code_offsets, self.code_sizes, strict=False)))

    @cached_property
    def _names(self) -> tuple[str | None, Mapping[int, str], str | None]:
        if self.name_section is None:
            return None, MappingProxyType({}), None
        from .cursor import Cursor
        from .custom import read_name_section
        from .errors import WasmFormatError
        start, end = self.name_section
        try:
            module_name, functions = read_name_section(Cursor(self.data, start, end))
        except WasmFormatError as exc:
            # Custom sections never make a module malformed.
            return None, MappingProxyType({}), f"ignored malformed 'name' custom section: {exc}"
        return module_name, MappingProxyType(functions), None

    @property
    def module_name(self) -> str | None:
        return self._names[0]

    @property
    def function_names(self) -> Mapping[int, str]:
        return self._names[1]

    @property
    def all_notes(self) -> tuple[str, ...]:
        note = self._names[2]
        return self.notes + ((note,) if note else ())

    # --- derived views -------------------------------------------------
    def imports_of_kind(self, kind: str) -> tuple[Import, ...]:
        return tuple(i for i in self.imports if i.kind == kind)

    @property
    def imported_function_count(self) -> int:
        return sum(1 for i in self.imports if i.kind == "func")

    @property
    def function_count(self) -> int:
        return self.imported_function_count + len(self.function_type_indices)

    def function_type(self, index: int) -> FuncType | None:
        """Signature of function ``index`` in the function index space."""
        imported = self.imports_of_kind("func")
        if index < len(imported):
            return imported[index].type  # type: ignore[return-value]
        local = index - len(imported)
        if 0 <= local < len(self.function_type_indices):
            t = self.type_at(self.function_type_indices[local])
            return t if isinstance(t, FuncType) else None
        return None

    def type_at(self, index: int) -> FuncType | CompositeType | None:
        return self.types[index] if 0 <= index < len(self.types) else None

    def function_name(self, index: int) -> str | None:
        return self.function_names.get(index)

    def export(self, name: str) -> Export | None:
        for e in self.exports:
            if e.name == name:
                return e
        return None

    def exported_functions(self) -> dict[str, FuncType | None]:
        return {e.name: e.type for e in self.exports if e.kind == "func"}  # type: ignore[misc]

    def custom_sections(self, name: str | None = None) -> tuple[Section, ...]:
        return tuple(s for s in self.sections
                     if s.id == 0 and (name is None or s.name == name))

    @property
    def all_memories(self) -> tuple[MemoryType, ...]:
        imported = tuple(i.type for i in self.imports if isinstance(i.type, MemoryType))
        return imported + self.memories
