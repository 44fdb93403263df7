"""Loads ``abi_specs/`` (TOML), checks schema and invariants, resolves profile inheritance."""

from __future__ import annotations

import os
import re
from ..record import record, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable

from packaging.version import InvalidVersion, Version

from ..wasm import FuncType
from .model import WASI_MODULES, HostSpec, Runtime, Source

ABI_VERSIONS = ("0.1.0", "0.2.0", "0.2.1")
FEATURES = frozenset({
    "sign-extension", "saturating-float-to-int", "bulk-memory", "multi-value",
    "reference-types", "simd", "relaxed-simd", "threads", "exceptions", "exceptions-legacy",
    "exceptions-exnref", "tail-call", "extended-const", "function-references", "gc",
    "multi-memory", "memory64", "mutable-globals", "ref-null-heap-type",
})
STATUSES = ("verified", "inferred", "probed", "unverified")
STARTUP_SEQUENCES = ("start-or-ctors", "initialize-or-start-or-ctors", "initialize-main-or-start",
                     "initialize-main-mainvoid-or-start")
MARKER_RULES = ("first-function-export", "require-any", "none")
SOURCE_RE = re.compile(r"^(?:[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S.*|probed from \S.*|unverified: \S.*)$")
# The host's own texts, and the placeholders each may use (what callers of HostSpec.message pass).
MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "missing_import": ("import",),
    "import_type_mismatch": ("import", "want", "have"),
    "bad_signature": ("name", "want", "have"),
    "trap": ("function", "trap"),
    "restricted_call": ("function",),
    **{k: () for k in ("missing_marker", "missing_allocator", "load_failed", "instantiate_failed",
                       "vm_start_failed", "configure_failed", "wrapper", "no_runtime",
                       "corrupted")},
}
MESSAGE_KEYS = frozenset(MESSAGE_FIELDS)
# module shapes that take the process down (checks/capi.py, checks/startup.py)
CRASH_KINDS = ("tag-import", "tag-export", "capi-v128", "capi-gc-ref", "capi-exnref",
               "start-section-host-call")
V8_VERSION_RE = re.compile(r"^\d{1,9}(\.\d{1,9})+$")



class SpecError(Exception):
    """A spec file is malformed or inconsistent; message names file, key and reason."""


def default_spec_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "abi_specs"  # inside the wheel (package-dir mapping)
    if installed.is_dir():
        return installed
    return here.parent / "abi_specs"  # source checkout


@record
class SpecSet:
    builds: tuple[HostSpec, ...]
    runtimes: dict[str, Runtime]
    abi_versions: tuple[dict, ...]
    callbacks_known: frozenset[str]
    hostcalls: dict  # {"env": {...}, "env_shims": {...}, "wasi": {...}}

    def by_id(self, build_id: str) -> HostSpec | None:
        for b in self.builds:
            if b.id == build_id:
                return b
        return None


# --- the files: found, read (regular files of bounded size only), parsed ---------------

File = tuple[Path, str, bytes]  # path, "<spec dir index>/<path in that directory>", content
ROLES = ("hostcalls", "callbacks", "abi_versions", "runtimes", "profiles", "builds")


def _check_dirs(extra_dirs: Iterable) -> list[Path]:
    dirs = [default_spec_dir()] + [Path(d) for d in extra_dirs]
    for d in dirs:
        try:
            if not d.is_dir():
                raise SpecError(f"{d}: spec directory not found" if not d.exists()
                                else f"{d}: not a directory")
        except (OSError, ValueError) as exc:  # permission, a NUL byte
            raise SpecError(f"{d}: spec directory cannot be read: {exc}") from None
    return dirs


def _listing(d: Path, sub: str) -> list[Path]:
    folder = d / sub
    if not os.path.lexists(folder):
        return []
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".toml"))
    except OSError as exc:
        raise SpecError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    return [folder / n for n in names]


def _read_file(index: int, d: Path, path: Path) -> File:
    from ..tomlfile import TomlError, read_bytes
    try:
        return path, f"{index}/{path.relative_to(d).as_posix()}", read_bytes(path)
    except TomlError as exc:
        raise SpecError(str(exc)) from None


def _gather(dirs: list[Path]) -> dict[str, list[File]]:
    """Every file the loader reads, read once (what is hashed is what is parsed)."""
    base = dirs[0]
    found: dict[str, list[tuple[int, Path]]] = {
        "hostcalls": [(0, base / "hostcalls.toml")],
        "callbacks": [(0, base / "callbacks.toml")],
        "abi_versions": [(0, base / "abi_versions.toml")],
        # runtimes.toml is optional in a user directory
        "runtimes": [(i, d / "runtimes.toml") for i, d in enumerate(dirs)
                     if i == 0 or os.path.lexists(d / "runtimes.toml")],
        "profiles": [(i, p) for i, d in enumerate(dirs) for p in _listing(d, "profiles")],
        "builds": [(i, p) for i, d in enumerate(dirs) for p in _listing(d, "builds")],
    }
    return {role: [_read_file(i, dirs[i], p) for i, p in items] for role, items in found.items()}


def _fingerprint(files: dict[str, list[File]]) -> str:
    """The cache key: the content of every spec file and of the code that builds specs."""
    from .cache import code_fingerprint, new_hash
    h = new_hash()
    h.update(code_fingerprint())
    for role in ROLES:
        for _path, name, data in files[role]:
            h.update(f"{role}\0{name}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


def _parse(file: File, shape: str) -> dict:
    """The file as TOML, with the types of its values checked against ``schema.<shape>``."""
    from ..tomlfile import TomlError, parse_toml
    from . import schema  # on a cache miss only (its import costs ~1 ms)
    try:
        data = parse_toml(file[0], file[2])
    except TomlError as exc:
        raise SpecError(str(exc)) from None
    getattr(schema, shape).check(file[0], "", data)
    return data


# --- small checks ----------------------------------------------------------------------

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


# --- profiles --------------------------------------------------------------------------

def _merge(parent: dict, child: dict) -> dict:
    out = dict(parent)
    for k, v in child.items():
        if k.endswith("_add"):
            base = k[:-4]
            out[base] = list(out.get(base, [])) + [x for x in v if x not in out.get(base, [])]
        elif k.endswith("_remove"):
            base = k[:-7]
            out[base] = [x for x in out.get(base, []) if x not in v]
        elif isinstance(v, dict) and v and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)  # an empty table replaces: "markers = {}" means none
        else:
            out[k] = v
    return out


def _load_profiles(files: list[File]) -> dict[str, tuple[Path, dict]]:
    raw: dict[str, tuple[Path, dict]] = {}
    for file in files:
        path, data = file[0], _parse(file, "PROFILE")
        pid = data.get("id")
        if pid is None:
            raise SpecError(f"{path}: id: required (the file name, {path.stem!r})")
        if pid != path.stem:
            raise SpecError(f"{path}: id: {pid!r} must equal the file name {path.stem!r}")
        if pid in raw:
            raise SpecError(f"{path}: id: duplicate profile {pid!r}")
        raw[pid] = (path, data)
    resolved: dict[str, tuple[Path, dict]] = {}
    for pid in raw:
        _resolve(pid, (), raw, resolved)
    for path, data in resolved.values():
        data["_sources"] = _sources(path, "sources", data.get("sources"),
                                    _one_of(path, "status", data.get("status", "verified"),
                                            STATUSES))
    return resolved


def _resolve(pid: str, chain: tuple[str, ...], raw: dict, resolved: dict) -> dict:
    if pid in resolved:
        return resolved[pid][1]
    if pid in chain:
        raise SpecError(f"{raw[pid][0]}: extends: inheritance cycle {' -> '.join(chain + (pid,))}")
    path, data = raw[pid]
    parent_id = data.get("extends")
    if parent_id is None:
        merged = dict(data)
    else:
        if parent_id not in raw:
            raise SpecError(f"{path}: extends: unknown profile {parent_id!r}")
        parent = _resolve(parent_id, chain + (pid,), raw, resolved)
        inherited = {k: v for k, v in parent.items()
                     if k not in ("id", "extends", "sources", "status", "summary", "notes",
                                  "_sources")}
        child = dict(data)
        if "unverified" in child:  # a child's list adds to what it inherits
            child["unverified_add"] = child.pop("unverified") + child.get("unverified_add", [])
        merged = _merge(inherited, child)
    resolved[pid] = (path, merged)
    return merged


# --- runtimes --------------------------------------------------------------------------

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
    return Runtime(rid, engine, version, frozenset(features), sources[0], crashes, forced,
                   entry.get("max_memory_pages"))


# --- the shared tables: host calls, callbacks, ABI versions ------------------------------

def _load_hostcalls(file: File) -> dict:
    path, data = file[0], _parse(file, "HOSTCALLS_FILE")
    hostcalls = {section: {k: _sig(path, f"{section}.{k}", v)
                           for k, v in data.get(section, {}).items()}
                 for section in ("env", "env_shims", "wasi")}
    hostcalls["_names"] = frozenset(hostcalls["env"])
    return hostcalls


def _load_callback_tables(file: File) -> dict[str, dict]:
    path, data = file[0], _parse(file, "CALLBACKS_FILE")
    return {tname: {group: {k: _sig(path, f"table.{tname}.{group}.{k}", v)
                            for k, v in entries.items()}
                    for group, entries in table.items() if group != "source"}
            for tname, table in data.get("table", {}).items()}


def _load_abi_versions(file: File) -> tuple[dict, ...]:
    return tuple(_parse(file, "ABI_VERSIONS_FILE").get("version", []))


# --- assembling a HostSpec ---------------------------------------------------------------

_INTERNED: dict = {}


def _intern(mapping: dict) -> MappingProxyType:
    """Builds of one profile share their tables (fewer objects to build, pickle and load)."""
    key = tuple(mapping.items())
    try:
        return _INTERNED.setdefault(key, MappingProxyType(mapping))
    except TypeError:  # unhashable values
        return MappingProxyType(mapping)


@record
class _Context:
    """What every build is assembled from, and where the build stands."""
    path: Path
    where: str
    hostcalls: dict
    callback_tables: dict
    runtimes: dict

    def error(self, key: str, problem: str) -> SpecError:
        return SpecError(f"{self.path}: {self.where}: {key}: {problem}")


def _versions(c: _Context, build: dict) -> tuple[Version, Version | None]:
    if "first" not in build:
        raise c.error("first", "required")
    try:
        first = Version(build["first"])
        last = Version(build["last"]) if "last" in build else None  # None: every later patch
    except (InvalidVersion, ValueError) as exc:  # ValueError: over int()'s digit limit
        raise SpecError(f"{c.path}: {c.where}: {str(exc)[:200]}") from None
    if last is not None and last < first:
        raise SpecError(f"{c.path}: {c.where}.last: {last} is older than first {first}")
    return first, last


def _abi(c: _Context, p: dict) -> dict:
    abi = p.get("abi", {})
    markers = abi.get("markers", {})
    for name, version in markers.items():
        if version not in ABI_VERSIONS:
            raise c.error(f"abi.markers.{name}", f"unknown ABI version {version!r}")
    rule = abi.get("rule", "first-function-export")
    if rule not in MARKER_RULES:
        raise c.error("abi.rule", f"{rule!r} not one of {MARKER_RULES}")
    assumed = abi.get("assumed", "0.1.0")
    if assumed not in ABI_VERSIONS:
        raise c.error("abi.assumed", f"unknown ABI version {assumed!r}")
    stage = abi.get("stage", "abi")
    if stage not in ("abi", "after-compile", "functions"):
        raise c.error("abi.stage", f"{stage!r} not abi, after-compile or functions")
    if rule != "none" and not markers:
        raise c.error("abi.markers", "a host that reads markers must accept one")
    return {"abi_markers": MappingProxyType(dict(markers)), "marker_rule": rule,
            "marker_stage": stage, "_abi_keys": sorted(set(markers.values())) or [assumed]}


def _host_functions(c: _Context, p: dict, abi_keys: list[str]) -> dict:
    hf = p.get("host_functions", {})
    env = c.hostcalls["env"]
    overrides = {k: _sig(c.path, f"host_functions.signatures.{k}", v)
                 for k, v in hf.get("signatures", {}).items()}
    common = hf.get("common", [])
    by_abi = {}
    for version in abi_keys:
        names = list(common) + [n for n in hf.get(version, []) if n not in common]
        for n in names:
            if n not in overrides and n not in env:
                raise SpecError(f"{c.path}: {c.where}: host function {n!r} has no signature "
                                "in hostcalls.toml")
        by_abi[version] = _intern({n: overrides[n] if n in overrides else env[n]
                                    for n in names})
    return {"host_functions": _intern(by_abi)}


def _wasi_and_shims(c: _Context, p: dict) -> dict:
    tables = {}
    for section, kind, what in (("wasi", "wasi", "WASI function"),
                                ("env_shims", "env_shims", "env shim")):
        known = c.hostcalls[kind]
        for n in p.get(section, {}).get("functions", []):
            if n not in known:
                raise SpecError(f"{c.path}: {c.where}: {what} {n!r} has no signature in "
                                "hostcalls.toml")
        tables[kind] = _intern({n: known[n] for n in p.get(section, {}).get("functions", [])})
    imports = {"memory": "accept", "table": "accept", "global": "reject", "tag": "reject"}
    imports.update(p.get("imports", {}))
    for k, v in imports.items():
        if v not in ("accept", "reject"):
            raise c.error(f"imports.{k}", f"{v!r} not accept/reject")
    return {"wasi_modules": tuple(p.get("wasi", {}).get("modules", list(WASI_MODULES))),
            "wasi": tables["wasi"], "env_shims": tables["env_shims"],
            "non_function_imports": _intern(imports)}


def _allocator_and_startup(c: _Context, p: dict) -> dict:
    alloc, startup = p.get("allocator", {}), p.get("startup", {})
    sequence = startup.get("sequence", "")
    if sequence not in STARTUP_SEQUENCES:
        raise c.error("startup.sequence", f"{sequence!r} not one of {STARTUP_SEQUENCES}")
    allowed = startup.get("allowed")
    return {"allocator_any_of": tuple(alloc.get("any_of", [])),
            "allocator_all_of": tuple(alloc.get("all_of", [])),
            "allocator_type": _sig(c.path, "allocator.type", alloc.get("type", "(i32) -> (i32)")),
            "startup_sequence": sequence,
            "startup_allowed": None if allowed is None else frozenset(allowed)}


def _callbacks(c: _Context, p: dict, abi_keys: list[str]) -> dict:
    cb = p.get("callbacks", {})
    table_name = cb.get("table", "cpp-host")
    if table_name not in c.callback_tables:
        raise c.error("callbacks.table", f"unknown table {table_name!r}")
    table = c.callback_tables[table_name]
    callbacks: dict[str, Any] = {}
    for version in abi_keys:
        merged = dict(table.get("all", {}))
        merged.update(table.get(version, {}))
        for name, sig in cb.get("overrides", {}).get(version, {}).items():
            merged[name] = _sig(c.path, f"callbacks.overrides.{version}.{name}", sig)
        for name in cb.get("absent", []):
            merged.pop(name, None)
        callbacks[version] = _intern(merged)
    return {"callbacks": MappingProxyType(callbacks),
            "callbacks_checked": cb.get("checked", True)}


def _runtime_and_messages(c: _Context, build: dict, p: dict) -> dict:
    if "runtime" not in build:
        raise SpecError(f"{c.path}: {c.where}.runtime: required")
    runtime = c.runtimes.get(build["runtime"])
    if runtime is None:
        raise SpecError(f"{c.path}: {c.where}.runtime: unknown runtime {build['runtime']!r}")
    messages = p.get("messages", {})
    for key in ("missing_import", "import_type_mismatch", "missing_allocator", "load_failed"):
        if key not in messages:
            raise c.error(f"messages.{key}", "required")
    memory = p.get("memory", {})
    return {"runtime": runtime,
            "runtimes_compiled": tuple(build.get("runtimes_compiled", [runtime.engine])),
            "messages": _intern(dict(messages)),
            "crashes": _crashes(c.path, f"{c.where}: crashes", p.get("crashes", []))
            | runtime.crashes,
            "memory_loaded_pages": memory.get("largest_loaded_pages"),
            "memory_refused_pages": memory.get("smallest_refused_pages"),
            "memory_cap_pages": memory.get("cap_pages")}


def _host_spec(c: _Context, build: dict, profile: dict) -> HostSpec:
    status = _one_of(c.path, c.where + ".status", build.get("status", "verified"), STATUSES)
    first, last = _versions(c, build)
    abi = _abi(c, profile)
    abi_keys = abi.pop("_abi_keys")
    sources = _sources(c.path, c.where + ".sources", build.get("sources"), status)
    sources += tuple(s for s in profile["_sources"] if s not in sources)
    return HostSpec(
        id=build["id"], product=build["product"], first=first, last=last,
        title=build.get("title", ""), status=status, sources=sources,
        unverified=frozenset(build.get("unverified", [])) | frozenset(profile.get("unverified", [])),
        profile=build["profile"], current=build.get("current", False),
        pins=MappingProxyType(dict(build.get("pins", {}))), notes=tuple(build.get("notes", [])),
        known_host_functions=c.hostcalls["_names"], **abi,
        **_host_functions(c, profile, abi_keys), **_wasi_and_shims(c, profile),
        **_allocator_and_startup(c, profile), **_callbacks(c, profile, abi_keys),
        **_runtime_and_messages(c, build, profile),
    )


# --- builds and the whole set ----------------------------------------------------------

def _load_builds(files: list[File], profiles: dict, hostcalls: dict, callback_tables: dict,
                 runtimes: dict) -> list[HostSpec]:
    from .schema import BUILD
    builds: list[HostSpec] = []
    seen: dict[str, Path] = {}
    for file in files:
        path, data = file[0], _parse(file, "BUILDS_FILE")
        for i, build in enumerate(data.get("build", [])):
            bid = build.get("id") if isinstance(build, dict) else None
            where = f"build {bid!r}" if isinstance(bid, str) else f"build[{i}]"
            BUILD.check(path, where, build)
            for key in ("id", "product", "profile"):
                if key not in build:
                    raise SpecError(f"{path}: {where}.{key}: required")
            if bid in seen:
                raise SpecError(f"{path}: {where}: id already used in {seen[bid]}")
            seen[bid] = path
            if build["profile"] not in profiles:
                raise SpecError(f"{path}: {where}.profile: unknown profile {build['profile']!r}")
            profile = profiles[build["profile"]][1]
            if "overrides" in build:
                profile = _merge(profile, build["overrides"])
            c = _Context(path, where, hostcalls, callback_tables, runtimes)
            builds.append(_host_spec(c, build, profile))
    return builds


def _build(files: dict[str, list[File]]) -> SpecSet:
    hostcalls = _load_hostcalls(files["hostcalls"][0])
    callback_tables = _load_callback_tables(files["callbacks"][0])
    abi_versions = _load_abi_versions(files["abi_versions"][0])
    known_callbacks = set()
    for v in abi_versions:
        known_callbacks.update(v.get("callbacks", {}).keys())
    for t in callback_tables.values():
        for group in t.values():
            known_callbacks.update(group)
    runtimes = _load_runtimes(files["runtimes"])
    profiles = _load_profiles(files["profiles"])
    builds = _load_builds(files["builds"], profiles, hostcalls, callback_tables, runtimes)
    _check_invariants(builds)
    callbacks_file = _parse(files["callbacks"][0], "CALLBACKS_FILE")
    notes = _callbacks_elsewhere(builds, callbacks_file)
    triggers = _callback_triggers(callbacks_file)
    builds = [replace(b, callbacks_elsewhere=notes, callback_triggers=triggers) for b in builds]
    return SpecSet(tuple(builds), runtimes, abi_versions, frozenset(known_callbacks), hostcalls)


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
        for a, b in zip(items, items[1:]):
            if a.covers(b.first) or (a.last is not None and a.last >= b.first):
                raise SpecError(f"builds {a.id!r} and {b.id!r}: version ranges of {product} "
                                f"overlap ({a.version_label} and {b.version_label})")
    for b in builds:
        for version, table in b.callbacks.items():
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
