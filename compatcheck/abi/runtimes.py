"""runtimes.toml: the Wasm runtimes builds embed and the proposals each accepts."""

from __future__ import annotations

from pathlib import Path

from .model import Runtime
from .spec_files import File, _parse
from .values import _crashes, _one_of, _sources
from .vocabulary import FEATURES, STATUSES, V8_TEXTS, V8_VERSION_RE, SpecError


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def _load_runtimes(files: list[File]) -> dict[str, Runtime]:
    out: dict[str, Runtime] = {}
    shipped: dict = {}
    for file in files:
        path, data = file[0], _parse(file, "RUNTIMES_FILE")
        for feature, since in data.get("v8_shipped", {}).items():
            if feature not in FEATURES:
                raise SpecError(f"{path}: v8_shipped.{feature}: unknown proposal")
            if not V8_VERSION_RE.match(since):
                raise SpecError(f"{path}: v8_shipped.{feature}: {since!r} is not a V8 version")
            shipped[feature] = since
        for i, entry in enumerate(data.get("runtime", [])):
            runtime = _runtime(path, f"runtime[{i}]", entry, shipped)
            if runtime.id in out:
                raise SpecError(f"{path}: runtime[{i}].id: duplicate runtime {runtime.id!r}")
            out[runtime.id] = runtime
    return out


def _runtime(path: Path, where: str, entry: dict, shipped: dict) -> Runtime:
    def required(key: str) -> str:
        if key not in entry:
            raise SpecError(f"{path}: {where}.{key}: required")
        return entry[key]

    rid, engine, version = required("id"), required("engine"), required("version")
    status = _one_of(path, where + ".status", entry.get("status", "verified"), STATUSES)
    if "features" in entry:
        features = set(entry["features"])
    elif engine == "v8":
        if not V8_VERSION_RE.match(version):
            raise SpecError(f"{path}: {where}.version: {version!r} is not a V8 version; "
                            "list the features instead")
        features = {f for f, since in shipped.items()
                    if _version_tuple(version)[:2] >= _version_tuple(since)[:2]}
    else:
        raise SpecError(f"{path}: {where}.features: required for engine {engine!r}")
    unknown = features - FEATURES
    if unknown:
        raise SpecError(f"{path}: {where}.features: unknown proposals {sorted(unknown)}")
    if features & {"exceptions-legacy", "exceptions-exnref"}:
        features.add("exceptions")
    sources = _sources(path, where + ".sources", entry.get("sources"), status)
    crashes = _crashes(path, where + ".crashes", entry.get("crashes", []))
    forced = frozenset(entry.get("forced", []))
    if forced - features:
        raise SpecError(f"{path}: {where}.forced: {sorted(forced - features)} not in features")
    refusals = dict(entry.get("refusals", {}))
    unknown = set(refusals) - FEATURES - {"default"}
    if unknown:
        raise SpecError(f"{path}: {where}.refusals: unknown proposals {sorted(unknown)}")
    texts = dict(entry.get("texts", V8_TEXTS if engine == "v8" else {}))
    return Runtime(rid, engine, version, frozenset(features), sources[0], crashes, forced,
                   entry.get("max_memory_pages"), tuple(sorted(refusals.items())),
                   tuple(sorted(texts.items())))
