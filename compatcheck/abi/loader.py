"""Loads ``abi_specs/`` (TOML), checks schema and invariants, resolves profile inheritance.

The pieces: vocabulary.py (the words and SpecError), spec_files.py (reading), values.py (single
values), runtimes.py, hostspec.py (one build), schema.py (types), cache.py (the verified cache).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from ..record import record, replace
from .hostspec import (_Context, _host_spec, _load_profiles, _merge, _section_origins,
                       check_version_keys, merge_origins)
from .model import HostSpec, Runtime, StartupSequence
from .runtimes import _load_runtimes
from .spec_files import File, _check_dirs, _fingerprint, _gather, _parse, default_spec_dir  # noqa: F401
from .values import _one_of, _sig, _sources
from .vocabulary import (MESSAGE_FIELDS, START_FUNCTIONS, STARTUP_PICKS, STATUSES,  # noqa: F401
                         SpecError)

@record
class SpecSet:
    builds: tuple[HostSpec, ...]
    runtimes: dict[str, Runtime]
    abi_versions: tuple[dict, ...]
    callbacks_known: frozenset[str]
    hostcalls: dict  # {"env": {...}, "env_shims": {...}, "wasi": {...}}
    sequences: dict[str, StartupSequence]

    def by_id(self, build_id: str) -> HostSpec | None:
        for b in self.builds:
            if b.id == build_id:
                return b
        return None


# --- the shared tables: host calls, callbacks, ABI versions ------------------------------

def _load_hostcalls(file: File) -> dict:
    path, data = file[0], _parse(file, "HOSTCALLS_FILE")
    hostcalls: dict = {section: {k: _sig(path, f"{section}.{k}", v)
                           for k, v in data.get(section, {}).items()}
                 for section in ("env", "env_shims", "wasi")}
    hostcalls["_names"] = frozenset(hostcalls["env"])
    return hostcalls


def _load_callback_tables(path, data: dict) -> dict[str, dict]:
    return {tname: {group: {k: _sig(path, f"table.{tname}.{group}.{k}", v)
                            for k, v in entries.items()}
                    for group, entries in table.items() if group != "source"}
            for tname, table in data.get("table", {}).items()}


def _load_abi_versions(file: File) -> tuple[dict, ...]:
    return tuple(_parse(file, "ABI_VERSIONS_FILE").get("version", []))


def _marked_versions(abi_versions: tuple[dict, ...]) -> tuple[str, ...]:
    """The ABI versions a host can recognise: those with a marker export."""
    return tuple(v["id"] for v in abi_versions if v.get("marker") and "id" in v)


def _load_sequences(files: list[File]) -> dict[str, StartupSequence]:
    """startup.toml (bundled, then user directories): the start-up sequences profiles name."""
    out: dict[str, StartupSequence] = {}
    for file in files:
        path, data = file[0], _parse(file, "STARTUP_FILE")
        for sid, entry in data.get("sequence", {}).items():
            where = f"sequence.{sid}"
            if sid in out:
                raise SpecError(f"{path}: {where}: duplicate sequence")
            status = _one_of(path, where + ".status", entry.get("status", "verified"), STATUSES)
            pick = _one_of(path, where + ".pick", entry.get("pick", "listed"), STARTUP_PICKS)
            unknown = {n for alt in entry["alternatives"] for step in alt for n in step} \
                - set(START_FUNCTIONS)
            if unknown:
                raise SpecError(f"{path}: {where}.alternatives: {sorted(unknown)} are not start "
                                f"functions the checks know ({', '.join(START_FUNCTIONS)})")
            out[sid] = StartupSequence(
                sid, entry.get("summary", ""),
                tuple(tuple(tuple(step) for step in alt) for alt in entry["alternatives"]),
                pick, _sources(path, where + ".sources", entry.get("sources"), status))
    return out


# --- builds and the whole set ----------------------------------------------------------

def _load_builds(files: list[File], profiles: dict, hostcalls: dict, callback_tables: dict,
                 runtimes: dict, abi_versions: tuple[str, ...],
                 sequences: dict) -> list[HostSpec]:
    from .schema import BUILD
    builds: list[HostSpec] = []
    seen: dict[str, Path] = {}
    for file in files:
        path, data = file[0], _parse(file, "BUILDS_FILE")
        for i, build in enumerate(data.get("build", [])):
            bid = build.get("id") if isinstance(build, dict) else None
            where = f"build {bid!r}" if isinstance(bid, str) else f"build[{i}]"
            BUILD.check(path, where, build)
            if bid in seen:
                raise SpecError(f"{path}: {where}: id already used in {seen[bid]}")
            seen[str(bid)] = path
            if build["profile"] not in profiles:
                raise SpecError(f"{path}: {where}.profile: unknown profile {build['profile']!r}")
            profile = profiles[build["profile"]][1]
            if "overrides" in build:
                overrides = build["overrides"]
                check_version_keys(path, f"{where}.overrides.", overrides, abi_versions)
                own = _section_origins(path, f"build {bid}", {
                    **overrides, "sources": build.get("sources"),
                    "status": build.get("status", "verified")})
                origins = merge_origins(profile["_origins"], own, overrides)
                profile = _merge(profile, overrides)
                profile["_origins"] = origins
            c = _Context(path, where, hostcalls, callback_tables, runtimes, abi_versions,
                         sequences)
            builds.append(_host_spec(c, build, profile))
    return builds


def _build(files: dict[str, list[File]]) -> SpecSet:
    hostcalls = _load_hostcalls(files["hostcalls"][0])
    callbacks_file = _parse(files["callbacks"][0], "CALLBACKS_FILE")  # parsed once, read thrice
    callback_tables = _load_callback_tables(files["callbacks"][0][0], callbacks_file)
    abi_versions = _load_abi_versions(files["abi_versions"][0])
    known_callbacks = set()
    for v in abi_versions:
        known_callbacks.update(v.get("callbacks", {}).keys())
    for t in callback_tables.values():
        for group in t.values():
            known_callbacks.update(group)
    runtimes = _load_runtimes(files["runtimes"])
    sequences = _load_sequences(files["startup"])
    versions = _marked_versions(abi_versions)
    profiles = _load_profiles(files["profiles"], versions)
    builds = _load_builds(files["builds"], profiles, hostcalls, callback_tables, runtimes,
                          versions, sequences)
    _check_invariants(builds)
    notes = _callbacks_elsewhere(builds, callbacks_file)
    triggers = _callback_triggers(callbacks_file)
    since = _feature_since(builds)
    builds = [replace(b, callbacks_elsewhere=notes, callback_triggers=triggers,
                      feature_since=since) for b in builds]
    return SpecSet(tuple(builds), runtimes, abi_versions, frozenset(known_callbacks), hostcalls,
                   sequences)


def _feature_since(builds: list[HostSpec]) -> MappingProxyType:
    """Per proposal, the oldest build of each maintained product from which every later build
    of that product accepts it ("envoy 1.21.0, istio 1.13.0")."""
    maintained = sorted({b.product for b in builds if b.current})
    features = set().union(*(b.runtime.features for b in builds))
    out = {}
    for feature in sorted(features):
        firsts = []
        for product in maintained:
            line = sorted((b for b in builds if b.product == product
                           and b.runtime.engine != "none"), key=lambda b: b.first)
            start = len(line)
            while start > 0 and feature in line[start - 1].runtime.features:
                start -= 1
            if start < len(line):
                firsts.append(f"{product} {line[start].first}")
        out[feature] = ", ".join(firsts)
    return MappingProxyType(out)


def _callbacks_elsewhere(builds: list[HostSpec], callbacks_file: dict) -> MappingProxyType:
    """Callback names no maintained build calls, with what exporting them means: a module
    exporting one loses nothing a rename would win back."""
    called_now = {n for b in builds if b.current for t in b.callbacks.values() for n in t}
    callers: dict[str, list[str]] = {}
    for b in builds:
        for n in {n for t in b.callbacks.values() for n in t} - called_now:
            callers.setdefault(n, []).append(b.id)
    notes = {n: f"called only by {', '.join(ids)} (no maintained build calls it)"
             for n, ids in callers.items()}
    for name, info in callbacks_file.get("sdk_only", {}).items():
        if not isinstance(info, dict) or not all(isinstance(info.get(k), str)
                                                 for k in ("sdk", "host_name", "lost")):
            raise SpecError(f"callbacks.toml: sdk_only.{name}: needs strings sdk, host_name, lost")
        notes[name] = (f"{info['sdk']} exports it, but hosts call {info['host_name']}: "
                       f"{info['lost']}")
    return MappingProxyType(notes)


def _callback_triggers(callbacks_file: dict) -> MappingProxyType:
    out = {}
    for name, calls in callbacks_file.get("triggered_by", {}).items():
        if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
            raise SpecError(f"callbacks.toml: triggered_by.{name}: expected an array of strings")
        out[name] = tuple(calls)
    return MappingProxyType(out)


def load_specs(extra_dirs: list[Path] | tuple = ()) -> SpecSet:
    """The bundled specs plus user directories (in-house builds, same schema)."""
    return _build(_gather(_check_dirs(extra_dirs)))


def _check_invariants(builds: list[HostSpec]) -> None:
    by_product: dict[str, list[HostSpec]] = {}
    for b in builds:
        by_product.setdefault(b.product, []).append(b)
    for product, items in by_product.items():
        items.sort(key=lambda b: b.first)
        for a, b in zip(items, items[1:], strict=False):
            if a.covers(b.first) or (a.last is not None and a.last >= b.first):
                raise SpecError(f"builds {a.id!r} and {b.id!r}: version ranges of {product} "
                                f"overlap ({a.version_label} and {b.version_label})")
    for b in builds:
        for _version, table in b.callbacks.items():
            for name in b.allocator_any_of:
                if name in table and table[name] != b.allocator_type:
                    raise SpecError(f"build {b.id!r}: allocator {name} type disagrees with "
                                    "the callback table")


# --- loading once, from a verified precompiled form (see cache.py) ------------------------

@lru_cache(maxsize=8)
def _cached(extra_dirs: tuple[str, ...]) -> SpecSet:
    from . import cache
    dirs = _check_dirs(extra_dirs)  # a missing user directory is an error, cache or not
    files = _gather(dirs)
    key = _fingerprint(files)
    specs = cache.load(key)
    if isinstance(specs, SpecSet):
        return specs
    specs = _build(files)
    cache.store(key, specs)
    return specs


def get_specs(extra_dirs: list | tuple = ()) -> SpecSet:
    """Specs load once per process (per set of user directories), from the cache when fresh."""
    return _cached(tuple(str(d) for d in extra_dirs))
