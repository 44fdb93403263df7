"""Loads ``abi_specs/`` (TOML), checks schema and invariants, resolves profile inheritance."""

from __future__ import annotations

import copyreg
import os
import pickle
import re
import sys
import zlib
from ..record import record
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
    "multi-memory", "memory64", "mutable-globals",
})
STATUSES = ("verified", "inferred", "probed", "unverified")
STARTUP_SEQUENCES = ("start-or-ctors", "initialize-or-start-or-ctors", "initialize-main-or-start",
                     "initialize-main-mainvoid-or-start")
MARKER_RULES = ("first-function-export", "require-any", "none")
SOURCE_RE = re.compile(r"^(?:[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S.*|probed from \S.*|unverified: \S.*)$")
MESSAGE_KEYS = frozenset({
    "missing_import", "import_type_mismatch", "bad_signature", "missing_marker",
    "missing_allocator", "restricted_call", "trap", "load_failed", "instantiate_failed",
    "vm_start_failed", "configure_failed", "wrapper", "no_runtime", "corrupted",
})


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


def _read(path: Path) -> dict:
    from ..tomlfile import TomlError, read_toml
    try:
        return read_toml(path)
    except TomlError as exc:
        raise SpecError(str(exc)) from None


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


def _expect(path: Path, key: str, value: Any, kind: type | tuple, what: str) -> Any:
    if not isinstance(value, kind):
        raise SpecError(f"{path}: {key}: expected {what}, got {type(value).__name__}")
    return value


def _str_list(path: Path, key: str, value: Any) -> list[str]:
    _expect(path, key, value, list, "a list of strings")
    for v in value:
        _expect(path, key, v, str, "a list of strings")
    return value


def _check_keys(path: Path, where: str, table: dict, allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    for k in table:
        base = k[:-4] if k.endswith("_add") else k[:-7] if k.endswith("_remove") else k
        if k not in allowed and base not in allowed:
            raise SpecError(f"{path}: {where}{k}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _sources(path: Path, key: str, refs: Any, status: str) -> tuple[Source, ...]:
    refs = _str_list(path, key, [] if refs is None else refs)
    if not refs:
        raise SpecError(f"{path}: {key}: every build and profile must name at least one source")
    for r in refs:
        if not SOURCE_RE.match(r):
            raise SpecError(f"{path}: {key}: {r!r} is not 'owner/repo@<40-hex commit>:file' "
                            "nor 'probed from <binary>' nor 'unverified: <lead>'")
    return tuple(Source(r, "probed" if r.startswith("probed from") else
                        "unverified" if r.startswith("unverified:") else status) for r in refs)


# --- profiles ------------------------------------------------------------------------

PROFILE_KEYS = {"id", "extends", "summary", "sources", "status", "unverified", "notes", "abi",
                "host_functions", "wasi", "env_shims", "imports", "allocator", "startup",
                "callbacks", "messages", "crashes", "memory"}
SECTION_KEYS = {
    "abi": {"markers", "rule", "assumed", "stage"},
    "host_functions": {"common", "signatures", *ABI_VERSIONS},
    "wasi": {"modules", "functions"},
    "env_shims": {"functions"},
    "imports": {"memory", "table", "global", "tag"},
    "allocator": {"any_of", "all_of", "type"},
    "startup": {"sequence", "allowed"},
    "callbacks": {"checked", "table", "overrides", "absent"},
    "messages": MESSAGE_KEYS,
    "memory": {"largest_loaded_pages", "smallest_refused_pages"},
}
CRASH_KINDS = ("tag-import", "start-section-host-call")


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


def _load_profiles(spec_dirs: list[Path]) -> dict[str, tuple[Path, dict]]:
    raw: dict[str, tuple[Path, dict]] = {}
    paths = [p for d in spec_dirs for p in sorted((d / "profiles").glob("*.toml"))]
    for path in paths:
        data = _read(path)
        _check_keys(path, "", data, PROFILE_KEYS)
        for section, allowed in SECTION_KEYS.items():
            if section in data:
                _expect(path, section, data[section], dict, "a table")
                _check_keys(path, section + ".", data[section], allowed)
        pid = _expect(path, "id", data.get("id"), str, "a profile id")
        if pid != path.stem:
            raise SpecError(f"{path}: id: {pid!r} must equal the file name {path.stem!r}")
        if pid in raw:
            raise SpecError(f"{path}: id: duplicate profile {pid!r}")
        raw[pid] = (path, data)
    resolved: dict[str, tuple[Path, dict]] = {}

    def resolve(pid: str, chain: tuple[str, ...]) -> dict:
        if pid in resolved:
            return resolved[pid][1]
        if pid in chain:
            raise SpecError(f"{raw[pid][0]}: extends: inheritance cycle {' -> '.join(chain + (pid,))}")
        path, data = raw[pid]
        parent_id = data.get("extends")
        if parent_id is None:
            merged = data
        else:
            if parent_id not in raw:
                raise SpecError(f"{path}: extends: unknown profile {parent_id!r}")
            parent = resolve(parent_id, chain + (pid,))
            inherited = {k: v for k, v in parent.items()
                         if k not in ("id", "extends", "sources", "status", "summary", "notes")}
            child = dict(data)
            if "unverified" in child:  # a child's list adds to what it inherits
                child["unverified_add"] = child.pop("unverified") + child.get("unverified_add", [])
            merged = _merge(inherited, child)
        resolved[pid] = (path, merged)
        return merged

    for pid in raw:
        resolve(pid, ())
    return resolved


# --- runtimes -----------------------------------------------------------------------

def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def _load_runtimes(spec_dirs: list[Path]) -> dict[str, Runtime]:
    out: dict[str, Runtime] = {}
    shipped: dict = {}
    for spec_dir in spec_dirs:
        path = spec_dir / "runtimes.toml"
        if path.exists() or spec_dir == spec_dirs[0]:
            _load_runtime_file(path, shipped, out)
    return out


def _load_runtime_file(path: Path, shipped_all: dict, out: dict) -> None:
    data = _read(path)
    shipped_all.update(_expect(path, "v8_shipped", data.get("v8_shipped", {}), dict, "a table"))
    shipped = shipped_all
    for feature, since in shipped.items():
        if feature not in FEATURES:
            raise SpecError(f"{path}: v8_shipped.{feature}: unknown proposal")
        _expect(path, f"v8_shipped.{feature}", since, str, "a V8 version")
    for i, entry in enumerate(_expect(path, "runtime", data.get("runtime", []), list, "[[runtime]] entries")):
        where = f"runtime[{i}]"
        _check_keys(path, where + ".", entry, {"id", "engine", "version", "features", "sources",
                                                "status", "crashes"})
        rid = _expect(path, where + ".id", entry.get("id"), str, "an id")
        engine = _expect(path, where + ".engine", entry.get("engine"), str, "an engine")
        version = _expect(path, where + ".version", entry.get("version"), str, "a version")
        status = entry.get("status", "verified")
        if status not in STATUSES:
            raise SpecError(f"{path}: {where}.status: {status!r} not one of {STATUSES}")
        if "features" in entry:
            features = set(_str_list(path, where + ".features", entry["features"]))
        elif engine == "v8":
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
        if rid in out:
            raise SpecError(f"{path}: {where}.id: duplicate runtime {rid!r}")
        crashes = frozenset(_str_list(path, where + ".crashes", entry.get("crashes", [])))
        if crashes - set(CRASH_KINDS):
            raise SpecError(f"{path}: {where}.crashes: unknown kinds {sorted(crashes - set(CRASH_KINDS))}")
        out[rid] = Runtime(rid, engine, version, frozenset(features), sources[0], crashes)


# --- assembling a HostSpec ----------------------------------------------------------

_INTERNED: dict = {}


def _intern(mapping: dict) -> MappingProxyType:
    """Builds of one profile share their tables (fewer objects to build, pickle and load)."""
    key = tuple(mapping.items())
    try:
        return _INTERNED.setdefault(key, MappingProxyType(mapping))
    except TypeError:  # unhashable values
        return MappingProxyType(mapping)


def _host_spec(path: Path, where: str, build: dict, profile: dict, hostcalls: dict,
               callback_tables: dict, runtimes: dict[str, Runtime]) -> HostSpec:
    p = profile
    status = build.get("status", "verified")
    if status not in STATUSES:
        raise SpecError(f"{path}: {where}.status: {status!r} not one of {STATUSES}")
    try:
        first = Version(_expect(path, where + ".first", build.get("first"), str, "a version"))
        last = Version(build["last"]) if "last" in build else None  # None: every patch of the minor
    except InvalidVersion as exc:
        raise SpecError(f"{path}: {where}: {exc}") from None
    if last is not None and last < first:
        raise SpecError(f"{path}: {where}.last: {last} is older than first {first}")

    abi = p.get("abi", {})
    markers = _expect(path, where + " abi.markers", abi.get("markers", {}), dict, "a table")
    for name, version in markers.items():
        if version not in ABI_VERSIONS:
            raise SpecError(f"{path}: {where}: abi.markers.{name}: unknown ABI version {version!r}")
    rule = abi.get("rule", "first-function-export")
    if rule not in MARKER_RULES:
        raise SpecError(f"{path}: {where}: abi.rule: {rule!r} not one of {MARKER_RULES}")

    hf = p.get("host_functions", {})
    overrides = {k: _sig(path, f"host_functions.signatures.{k}", v)
                 for k, v in hf.get("signatures", {}).items()}

    def env_sig(name: str) -> FuncType:
        if name in overrides:
            return overrides[name]
        if name not in hostcalls["env"]:
            raise SpecError(f"{path}: {where}: host function {name!r} has no signature in "
                            "hostcalls.toml")
        return hostcalls["env"][name]

    common = _str_list(path, "host_functions.common", hf.get("common", []))
    by_abi: dict[str, Any] = {}
    assumed = abi.get("assumed", "0.1.0")
    if assumed not in ABI_VERSIONS:
        raise SpecError(f"{path}: {where}: abi.assumed: unknown ABI version {assumed!r}")
    abi_keys = sorted(set(markers.values())) or [assumed]
    marker_stage = abi.get("stage", "abi")
    if marker_stage not in ("abi", "after-compile", "functions"):
        raise SpecError(f"{path}: {where}: abi.stage: {marker_stage!r} not abi, after-compile "
                        "or functions")
    if rule != "none" and not markers:
        raise SpecError(f"{path}: {where}: abi.markers: a host that reads markers must accept one")
    for version in abi_keys:
        names = list(common) + [n for n in hf.get(version, []) if n not in common]
        by_abi[version] = _intern({n: env_sig(n) for n in names})

    wasi_cfg = p.get("wasi", {})
    modules = tuple(_str_list(path, "wasi.modules", wasi_cfg.get("modules", list(WASI_MODULES))))
    wasi = {}
    for n in _str_list(path, "wasi.functions", wasi_cfg.get("functions", [])):
        if n not in hostcalls["wasi"]:
            raise SpecError(f"{path}: {where}: WASI function {n!r} has no signature in hostcalls.toml")
        wasi[n] = hostcalls["wasi"][n]
    shims = {}
    for n in _str_list(path, "env_shims.functions", p.get("env_shims", {}).get("functions", [])):
        if n not in hostcalls["env_shims"]:
            raise SpecError(f"{path}: {where}: env shim {n!r} has no signature in hostcalls.toml")
        shims[n] = hostcalls["env_shims"][n]

    imports = {"memory": "accept", "table": "accept", "global": "reject", "tag": "reject"}
    imports.update(p.get("imports", {}))
    for k, v in imports.items():
        if v not in ("accept", "reject"):
            raise SpecError(f"{path}: {where}: imports.{k}: {v!r} not accept/reject")

    alloc = p.get("allocator", {})
    any_of = tuple(_str_list(path, "allocator.any_of", alloc.get("any_of", [])))
    all_of = tuple(_str_list(path, "allocator.all_of", alloc.get("all_of", [])))
    alloc_type = _sig(path, "allocator.type", alloc.get("type", "(i32) -> (i32)"))

    startup = p.get("startup", {})
    sequence = startup.get("sequence", "")
    if sequence not in STARTUP_SEQUENCES:
        raise SpecError(f"{path}: {where}: startup.sequence: {sequence!r} not one of "
                        f"{STARTUP_SEQUENCES}")
    allowed = startup.get("allowed")
    allowed_set = None if allowed is None else frozenset(
        _str_list(path, "startup.allowed", allowed))

    cb = p.get("callbacks", {})
    table_name = cb.get("table", "cpp-host")
    if table_name not in callback_tables:
        raise SpecError(f"{path}: {where}: callbacks.table: unknown table {table_name!r}")
    table = callback_tables[table_name]
    callbacks: dict[str, Any] = {}
    for version in abi_keys:
        merged = dict(table.get("all", {}))
        merged.update(table.get(version, {}))
        for name, sig in cb.get("overrides", {}).get(version, {}).items():
            merged[name] = _sig(path, f"callbacks.overrides.{version}.{name}", sig)
        for name in _str_list(path, "callbacks.absent", cb.get("absent", [])):
            merged.pop(name, None)
        callbacks[version] = _intern(merged)

    runtime_id = _expect(path, where + ".runtime", build.get("runtime"), str, "a runtime id")
    if runtime_id not in runtimes:
        raise SpecError(f"{path}: {where}.runtime: unknown runtime {runtime_id!r}")
    messages = {k: _expect(path, f"messages.{k}", v, str, "a string")
                for k, v in p.get("messages", {}).items()}
    for key in ("missing_import", "import_type_mismatch", "missing_allocator", "load_failed"):
        if key not in messages:
            raise SpecError(f"{path}: {where}: messages.{key}: required")

    crashes = frozenset(_str_list(path, "crashes", p.get("crashes", [])))
    crashes |= runtimes[build["runtime"]].crashes if build.get("runtime") in runtimes else frozenset()
    if crashes - set(CRASH_KINDS):
        raise SpecError(f"{path}: {where}: crashes: unknown kinds {sorted(crashes - set(CRASH_KINDS))}")
    memory = p.get("memory", {})
    sources = _sources(path, where + ".sources", build.get("sources"), status)
    sources += tuple(s for s in p["_sources"] if s not in sources)
    unverified = frozenset(_str_list(path, where + ".unverified", build.get("unverified", []))) | \
        frozenset(p.get("unverified", []))
    pins = {k: str(v) for k, v in build.get("pins", {}).items()}
    return HostSpec(
        id=build["id"], product=build["product"], first=first, last=last,
        title=build.get("title", ""), status=status, sources=sources, unverified=unverified,
        profile=build["profile"], current=bool(build.get("current", False)),
        pins=MappingProxyType(pins), abi_markers=MappingProxyType(dict(markers)),
        marker_rule=rule, marker_stage=marker_stage, host_functions=_intern(by_abi),
        wasi_modules=modules, wasi=_intern(wasi), env_shims=_intern(shims),
        non_function_imports=_intern(imports), allocator_any_of=any_of,
        allocator_all_of=all_of, allocator_type=alloc_type, startup_sequence=sequence,
        startup_allowed=allowed_set, callbacks=MappingProxyType(callbacks),
        callbacks_checked=bool(cb.get("checked", True)), runtime=runtimes[runtime_id],
        runtimes_compiled=tuple(build.get("runtimes_compiled", [runtimes[runtime_id].engine])),
        messages=_intern(messages), notes=tuple(build.get("notes", [])),
        known_host_functions=hostcalls["_names"],
        crashes=crashes, memory_loaded_pages=memory.get("largest_loaded_pages"),
        memory_refused_pages=memory.get("smallest_refused_pages"),
    )


BUILD_KEYS = {"id", "product", "first", "last", "title", "profile", "runtime",
              "runtimes_compiled", "status", "sources", "pins", "current", "unverified",
              "notes", "overrides"}


def load_specs(extra_dirs: list[Path] | tuple = ()) -> SpecSet:
    """The bundled specs plus user directories (in-house builds, same schema)."""
    spec_dir = default_spec_dir()
    spec_dirs = [spec_dir] + [Path(d) for d in extra_dirs]
    for d in spec_dirs:
        if not d.is_dir():
            raise SpecError(f"{d}: spec directory not found")
    hc_path = spec_dir / "hostcalls.toml"
    hc = _read(hc_path)
    hostcalls = {section: {k: _sig(hc_path, f"{section}.{k}", v) for k, v in hc.get(section, {}).items()}
                 for section in ("env", "env_shims", "wasi")}
    hostcalls["_names"] = frozenset(hostcalls["env"])
    cb_path = spec_dir / "callbacks.toml"
    cb = _read(cb_path)
    callback_tables: dict[str, dict] = {}
    for tname, table in cb.get("table", {}).items():
        callback_tables[tname] = {group: {k: _sig(cb_path, f"table.{tname}.{group}.{k}", v)
                                          for k, v in entries.items()}
                                  for group, entries in table.items() if group != "source"}
    abi_path = spec_dir / "abi_versions.toml"
    abi_versions = tuple(_read(abi_path).get("version", []))
    known_callbacks = set()
    for v in abi_versions:
        known_callbacks.update(v.get("callbacks", {}).keys())
    for t in callback_tables.values():
        for group in t.values():
            known_callbacks.update(group)
    runtimes = _load_runtimes(spec_dirs)
    profiles = _load_profiles(spec_dirs)
    for pid, (path, data) in profiles.items():
        status = data.get("status", "verified")
        data["_sources"] = _sources(path, "sources", data.get("sources"), status)

    builds: list[HostSpec] = []
    seen: dict[str, Path] = {}
    for path in [p for d in spec_dirs for p in sorted((d / "builds").glob("*.toml"))]:
        data = _read(path)
        _check_keys(path, "", data, {"build"})
        for i, build in enumerate(_expect(path, "build", data.get("build", []), list, "[[build]] entries")):
            where = f"build[{i}]"
            _check_keys(path, where + ".", build, BUILD_KEYS)
            bid = _expect(path, where + ".id", build.get("id"), str, "a build id")
            where = f"build {bid!r}"
            if bid in seen:
                raise SpecError(f"{path}: {where}: id already used in {seen[bid]}")
            seen[bid] = path
            _expect(path, where + ".product", build.get("product"), str, "a product name")
            pid = _expect(path, where + ".profile", build.get("profile"), str, "a profile id")
            if pid not in profiles:
                raise SpecError(f"{path}: {where}.profile: unknown profile {pid!r}")
            profile = profiles[pid][1]
            if "overrides" in build:
                _check_keys(path, where + ".overrides.", build["overrides"], PROFILE_KEYS)
                profile = _merge(profile, build["overrides"])
            builds.append(_host_spec(path, where, build, profile, hostcalls, callback_tables,
                                     runtimes))
    _check_invariants(builds)
    return SpecSet(tuple(builds), runtimes, abi_versions, frozenset(known_callbacks), hostcalls)


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


# --- loading once, from a precompiled form -------------------------------------------

def _mapping_proxy(d: dict) -> MappingProxyType:
    return MappingProxyType(d)


copyreg.pickle(MappingProxyType, lambda m: (_mapping_proxy, (dict(m),)))


def _fingerprint(dirs: list[Path]) -> str:
    """Changes whenever a spec file or the package version changes."""
    from .. import __version__
    parts = [f"{__version__}|{sys.version_info[:2]}"]
    # The classes pickled: a changed model must not load an old pickle.
    package = Path(__file__).resolve().parent.parent
    for rel in ("abi/model.py", "abi/loader.py", "wasm/model.py", "record.py"):
        st = os.stat(package / rel)
        parts.append(f"{rel}|{st.st_size}|{st.st_mtime_ns}")
    for d in dirs:
        for root, _subdirs, files in sorted(os.walk(d)):
            for name in sorted(files):
                if name.endswith(".toml"):
                    st = os.stat(os.path.join(root, name))
                    parts.append(f"{root}/{name}|{st.st_size}|{st.st_mtime_ns}")
    text = "\n".join(parts).encode()
    return f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}{len(text):x}"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "compatcheck" / "specs"


@lru_cache(maxsize=8)
def _cached(extra_dirs: tuple[str, ...]) -> SpecSet:
    dirs = [default_spec_dir()] + [Path(d) for d in extra_dirs]
    try:
        path = _cache_dir() / f"{_fingerprint(dirs)}.pickle"
    except OSError:
        return load_specs([Path(d) for d in extra_dirs])
    try:
        with open(path, "rb") as fh:
            specs = pickle.load(fh)
        if isinstance(specs, SpecSet):
            return specs
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    specs = load_specs([Path(d) for d in extra_dirs])
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:  # best effort: a read-only home only costs the TOML parse next time
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump(specs, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune(path)
    except (OSError, pickle.PicklingError):
        try:
            tmp.unlink()
        except OSError:
            pass
    return specs


def _prune(keep: Path, limit: int = 8) -> None:
    """Old precompiled specs (other versions, edited spec dirs) do not pile up."""
    others = sorted(keep.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[limit:]:
        old.unlink(missing_ok=True)


def get_specs(extra_dirs: list | tuple = ()) -> SpecSet:
    """Specs load once per process (per set of user directories), from a pickle when fresh."""
    return _cached(tuple(str(d) for d in extra_dirs))
