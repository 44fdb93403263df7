"""WebAssembly binary reader: bytes -> immutable :class:`Module`."""

from .errors import WasmFormatError
from .model import (CodeBody, CompositeType, Export, FuncType, GlobalType, Import, Limits,
                    MemoryType, Module, Section, TableType, TagType)
from .reader import read_module

__all__ = [
    "CodeBody", "CompositeType", "Export", "FuncType", "GlobalType", "Import", "Limits",
    "MemoryType", "Module", "Section", "TableType", "TagType", "WasmFormatError",
    "read_module",
]
