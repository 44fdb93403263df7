"""Checks of single spec values: signatures, enumerations, sources, crash kinds, versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..wasm import FuncType
from .model import Source
from .vocabulary import CRASH_KINDS, SOURCE_RE, SpecError


def _sig(path: Path, key: str, text: Any) -> FuncType:
    if not isinstance(text, str):
        raise SpecError(f"{path}: {key}: expected a signature string like '(i32) -> (i32)'")
    try:
        ft = FuncType.parse(text)
    except ValueError as exc:
        raise SpecError(f"{path}: {key}: {exc}") from None
    for t in ft.params + ft.results:
        if t not in ("i32", "i64", "f32", "f64"):
            raise SpecError(f"{path}: {key}: unknown value type {t!r}")
    return ft


def _one_of(path: Path, key: str, value: Any, allowed: tuple) -> Any:
    if value not in allowed:
        raise SpecError(f"{path}: {key}: {value!r} not one of {allowed}")
    return value


def _sources(path: Path, key: str, refs: list[str] | None, status: str) -> tuple[Source, ...]:
    refs = refs or []
    if not refs:
        raise SpecError(f"{path}: {key}: every build and profile must name at least one source")
    for r in refs:
        if not SOURCE_RE.match(r):
            raise SpecError(f"{path}: {key}: {r!r} is not 'owner/repo@<40-hex commit>:file' "
                            "nor 'probed from <binary>' nor 'unverified: <lead>'")
    return tuple(Source(r, "probed" if r.startswith("probed from") else
                        "unverified" if r.startswith("unverified:") else status) for r in refs)


def _crashes(path: Path, key: str, kinds: Iterable[str]) -> frozenset[str]:
    kinds = frozenset(kinds)
    if kinds - set(CRASH_KINDS):
        raise SpecError(f"{path}: {key}: unknown kinds {sorted(kinds - set(CRASH_KINDS))}")
    return kinds
