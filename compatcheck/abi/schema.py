"""The types of spec file values, checked per file before the loader reads any of them.

A wrong type (``pins = "x"``, ``messages.trap = 5``, a list where a table belongs) is refused
here with the file, the key and what was expected, so the loader proper can rely on types.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .vocabulary import ABI_VERSIONS, MESSAGE_FIELDS, PLATFORM_LIMITS, SpecError


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


class ListOf(Type):
    def __init__(self, item: Type, what: str) -> None:
        self.item, self.what = item, what

    def check(self, path: Path, where: str, value: Any) -> None:
        if not isinstance(value, list):
            self.fail(path, where, value)
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
    ``key_remove`` (profile inheritance edits). ``open``: other keys pass unchecked."""

    what = "a table"

    def __init__(self, fields: dict[str, Type], open: bool = False) -> None:
        self.fields, self.open = fields, open

    def check(self, path: Path, where: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.fail(path, where, value)
        for k, v in value.items():
            field = self.fields.get(k)
            if field is None:
                base = k[:-4] if k.endswith("_add") else k[:-7] if k.endswith("_remove") else None
                if base is not None and isinstance(self.fields.get(base), ListOf):
                    field = STRS
                elif self.open:
                    continue
                else:
                    raise SpecError(f"{path}: {_join(where, k)}: unknown key "
                                    f"(allowed: {', '.join(sorted(self.fields))})")
            field.check(path, _join(where, k), v)


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


SIGNATURES = TableOf(STR)
PROFILE = Table({
    "id": STR, "extends": STR, "summary": STR, "sources": STRS, "status": STR,
    "unverified": STRS, "notes": STRS, "crashes": STRS,
    "abi": Table({"markers": TableOf(STR), "rule": STR, "assumed": STR, "stage": STR}),
    "host_functions": Table({"common": STRS, "signatures": SIGNATURES,
                             **{v: STRS for v in ABI_VERSIONS},
                             # linked, but fail when called (Kong's NYI stubs, APISIX's
                             # "unimplemented"): checks/stubbed_calls.py
                             "stubbed": STRS, "stub_behaviour": STR}),
    "wasi": Table({"modules": STRS, "functions": STRS}),
    "env_shims": Table({"functions": STRS}),
    "imports": Table({k: STR for k in ("memory", "table", "global", "tag")}),
    "allocator": Table({"any_of": STRS, "all_of": STRS, "type": STR}),
    "startup": Table({"sequence": STR, "allowed": STRS}),
    "callbacks": Table({"checked": BOOL, "table": STR, "absent": STRS,
                        "overrides": TableOf(SIGNATURES, keys=ABI_VERSIONS)}),
    "messages": Table({k: Template(f) for k, f in MESSAGE_FIELDS.items()}),
    "memory": Table({"largest_loaded_pages": COUNT, "smallest_refused_pages": COUNT,
                     "cap_pages": COUNT}),
    # a managed platform's documented restrictions (checks/platform.py)
    "platform": Table({"forbidden": STRS, "limits": TableOf(COUNT, keys=PLATFORM_LIMITS),
                       "source": STR}),
})
BUILD = Table({
    "id": STR, "product": STR, "first": STR, "last": STR, "title": STR, "profile": STR,
    "runtime": STR, "runtimes_compiled": STRS, "status": STR, "sources": STRS,
    "pins": TableOf(STR), "current": BOOL, "unverified": STRS, "notes": STRS,
    "overrides": PROFILE,
})
BUILDS_FILE = Table({"build": ListOf(ANY, "[[build]] tables")})  # each entry: BUILD
RUNTIME = Table({"id": STR, "engine": STR, "version": STR, "features": STRS, "sources": STRS,
                 "status": STR, "crashes": STRS, "forced": STRS, "max_memory_pages": COUNT})
RUNTIMES_FILE = Table({"v8_shipped": TableOf(STR), "runtime": ListOf(RUNTIME, "[[runtime]] tables")})
HOSTCALLS_FILE = Table({"env": SIGNATURES, "env_shims": SIGNATURES, "wasi": SIGNATURES},
                       open=True)
CALLBACKS_FILE = Table({"table": TableOf(Table(
    {"source": ANY, "all": SIGNATURES, **{v: SIGNATURES for v in ABI_VERSIONS}}))}, open=True)
ABI_VERSIONS_FILE = Table({"version": ListOf(Table({"callbacks": SIGNATURES}, open=True),
                                             "[[version]] tables")}, open=True)
