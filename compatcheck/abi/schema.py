"""The types of spec file values, checked per file before the loader reads any of them.

The types are published as a JSON Schema, ``compatcheck/schemas/abi-specs.schema.json``; this
module reads that file and checks each TOML file against it, with messages that name the file,
the key and what was expected (a wrong type such as ``pins = "x"`` is one line, not a stack of
validator errors). It implements the part of JSON Schema the file uses: type, properties,
additionalProperties, propertyNames/enum, items, minItems, required, $ref, and
``x-placeholders`` (the only {fields} a message may use). Keys ending in ``_add`` /
``_remove`` edit an inherited list (profile inheritance).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .vocabulary import SpecError

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "abi-specs.schema.json"
# the loader's names for the file kinds -> the schema's $defs
SHAPES = {"PROFILE": "profile", "BUILD": "build", "BUILDS_FILE": "buildsFile",
          "RUNTIMES_FILE": "runtimesFile", "STARTUP_FILE": "startupFile",
          "HOSTCALLS_FILE": "hostcallsFile", "CALLBACKS_FILE": "callbacksFile",
          "ABI_VERSIONS_FILE": "abiVersionsFile"}


def kind(value: Any) -> str:
    """A value's TOML type, for messages."""
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), "date/time")


class Type:
    """A check of one value; ``what`` says what was expected."""

    what = "?"

    def check(self, path: Path, where: str, value: Any) -> None:
        raise NotImplementedError

    def fail(self, path: Path, where: str, value: Any) -> None:
        raise SpecError(f"{path}: {where}: expected {self.what}, got {kind(value)}")


class Scalar(Type):
    def __init__(self, what: str, test) -> None:
        self.what, self.test = what, test

    def check(self, path: Path, where: str, value: Any) -> None:
        if not self.test(value):
            self.fail(path, where, value)


STR = Scalar("a string", lambda v: isinstance(v, str))
BOOL = Scalar("a boolean", lambda v: isinstance(v, bool))
COUNT = Scalar("a non-negative integer", lambda v: type(v) is int and v >= 0)
ANY = Scalar("anything", lambda v: True)


class Enum(Type):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed
        self.what = f"one of {', '.join(allowed)}"

    def check(self, path: Path, where: str, value: Any) -> None:
        if value not in self.allowed:
            raise SpecError(f"{path}: {where}: {value!r} not one of {self.allowed}")


class ListOf(Type):
    def __init__(self, item: Type, what: str, min_items: int = 0) -> None:
        self.item, self.what, self.min_items = item, what, min_items

    def check(self, path: Path, where: str, value: Any) -> None:
        if not isinstance(value, list):
            self.fail(path, where, value)
        if len(value) < self.min_items:
            raise SpecError(f"{path}: {where}: expected at least {self.min_items} "
                            f"item{'s' if self.min_items > 1 else ''}, got none")
        for i, v in enumerate(value):
            self.item.check(path, f"{where}[{i}]", v)


STRS = ListOf(STR, "an array of strings")


class TableOf(Type):
    """A table with any keys, every value of one type."""

    def __init__(self, value: Type, keys: tuple[str, ...] | None = None) -> None:
        self.value, self.keys = value, keys
        self.what = "a table"

    def check(self, path: Path, where: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.fail(path, where, value)
        for k, v in value.items():
            if self.keys is not None and k not in self.keys:
                raise SpecError(f"{path}: {_join(where, k)}: unknown key "
                                f"(allowed: {', '.join(self.keys)})")
            self.value.check(path, _join(where, k), v)


class Table(Type):
    """A table with named keys; a list-valued key may also appear as ``key_add`` /
    ``key_remove`` (profile inheritance edits). ``open``: other keys pass unchecked;
    ``extra``: other keys must have that type."""

    what = "a table"

    def __init__(self, fields: dict[str, Type], open: bool = False, extra: Type | None = None,
                 required: tuple[str, ...] = ()) -> None:
        self.fields, self.open, self.extra, self.required = fields, open, extra, required

    def check(self, path: Path, where: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.fail(path, where, value)
        for k, v in value.items():
            field = self.fields.get(k)
            if field is None:
                base = k[:-4] if k.endswith("_add") else k[:-7] if k.endswith("_remove") else None
                if base is not None and isinstance(self.fields.get(base), ListOf):
                    field = STRS
                elif self.extra is not None:
                    field = self.extra
                elif self.open:
                    continue
                else:
                    raise SpecError(f"{path}: {_join(where, k)}: unknown key "
                                    f"(allowed: {', '.join(sorted(self.fields))})")
            field.check(path, _join(where, k), v)
        for k in self.required:
            if k not in value:
                raise SpecError(f"{path}: {_join(where, k)}: required")


class Template(Type):
    """A host message: str.format syntax, only the placeholders its callers fill in."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields
        self.what = "a string"

    def check(self, path: Path, where: str, value: Any) -> None:
        import string  # only when specs are parsed, not on a cached start-up
        if not isinstance(value, str):
            self.fail(path, where, value)
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise SpecError(f"{path}: {where}: not a valid message template ({exc}; "
                            "write a literal brace as '{{' or '}}')") from None
        allowed = ", ".join("{" + f + "}" for f in self.fields) or "none"
        for _text, field, spec, conversion in parts:
            if field is not None and (field not in self.fields or spec or conversion):
                shown = "{" + field + (f"!{conversion}" if conversion else "") + \
                    (f":{spec}" if spec else "") + "}"
                raise SpecError(f"{path}: {where}: placeholder {shown} is not allowed here "
                                f"(allowed: {allowed}; write a literal brace as '{{{{')")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


class _Compiler:
    """JSON Schema nodes of the published file -> Type objects (once per $def)."""

    def __init__(self, schema: dict) -> None:
        self.defs = schema["$defs"]
        self.done: dict[str, Type] = {}

    def ref(self, name: str) -> Type:
        if name not in self.done:
            self.done[name] = self.node(self.defs[name])
        return self.done[name]

    def node(self, n: dict, key: str = "") -> Type:
        if "$ref" in n:
            return self.ref(n["$ref"].rpartition("/")[2])
        kind = n.get("type")
        if kind is None:
            return ANY
        if kind == "string":
            if "x-placeholders" in n:
                return Template(tuple(n["x-placeholders"]))
            if "enum" in n:
                return Enum(tuple(n["enum"]))
            return STR
        if kind == "boolean":
            return BOOL
        if kind == "integer":
            return COUNT
        if kind == "array":
            item = self.node(n.get("items", {}))
            what = ("an array of strings" if item is STR else
                    f"[[{key}]] tables" if n.get("items", {}).get("type") == "object" or
                    isinstance(item, Table) else "an array")
            return ListOf(item, what, n.get("minItems", 0))
        assert kind == "object", kind
        extra = n.get("additionalProperties", True)
        keys = tuple(n["propertyNames"]["enum"]) if "propertyNames" in n else None
        if "properties" not in n:
            return TableOf(ANY if extra is True else self.node(extra), keys=keys)
        fields = {k: self.node(v, k) for k, v in n["properties"].items()}
        return Table(fields, open=extra is True,
                     extra=self.node(extra) if isinstance(extra, dict) else None,
                     required=tuple(n.get("required", ())))


_TYPES: dict[str, Type] = {}


def __getattr__(name: str) -> Type:
    """schema.PROFILE etc.: the published file's $defs, compiled on first use."""
    if name not in SHAPES:
        raise AttributeError(name)
    if not _TYPES:
        compiler = _Compiler(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
        _TYPES.update({shape: compiler.ref(d) for shape, d in SHAPES.items()})
    return _TYPES[name]
