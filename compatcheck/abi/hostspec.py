"""From a build entry and its profile (inheritance resolved) to one HostSpec."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.version import InvalidVersion, Version

from ..record import record
from .model import WASI_MODULES, HostSpec
from .spec_files import File, _parse
from .values import _crashes, _one_of, _sig, _sources
from .vocabulary import (CALLBACK_ARGUMENTS, CPP_HOST_LIFECYCLE, FOREIGN_UNKNOWN, MARKER_RULES,
                         STATUSES, STUB_BEHAVIOURS, SpecError)


def merge_origins(parent: dict, own: dict, child: dict) -> dict:
    """A section a child edits (a table merged into the parent's) keeps the parent's
    origin after its own; a section it replaces has only its own."""
    out = dict(parent)
    for key, origin in own.items():
        edits = key in parent and (isinstance(child.get(key), dict) and bool(child[key])
                                   or f"{key}_add" in child or f"{key}_remove" in child)
        out[key] = origin + parent[key] if edits else origin
    return out


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


_HOST_FUNCTION_KEYS = {"common", "signatures", "stubbed", "stub_behaviour", "sources", "status"}


def check_version_keys(path: Path, where: str, profile: dict, versions: tuple[str, ...]) -> None:
    """Keys the schema leaves open (a table per ABI version) must name versions of
    abi_versions.toml."""
    known = ", ".join(versions)
    for key in profile.get("host_functions", {}):
        version = key.removesuffix("_add").removesuffix("_remove")
        if version not in _HOST_FUNCTION_KEYS and version not in versions:
            raise SpecError(f"{path}: {where}host_functions.{key}: unknown key (allowed: "
                            f"{', '.join(sorted(_HOST_FUNCTION_KEYS))}, or an ABI version of "
                            f"abi_versions.toml: {known})")
    for version in profile.get("callbacks", {}).get("overrides", {}):
        if version not in versions:
            raise SpecError(f"{path}: {where}callbacks.overrides.{version}: unknown key (an ABI "
                            f"version of abi_versions.toml: {known})")


def _load_profiles(files: list[File], versions: tuple[str, ...]) -> dict[str, tuple[Path, dict]]:
    raw: dict[str, tuple[Path, dict]] = {}
    for file in files:
        path, data = file[0], _parse(file, "PROFILE")
        check_version_keys(path, "", data, versions)
        pid = data.get("id")
        if pid is None:
            raise SpecError(f"{path}: id: required (the file name, {path.stem!r})")
        if pid != path.stem:
            raise SpecError(f"{path}: id: {pid!r} must equal the file name {path.stem!r}")
        if pid in raw:
            raise SpecError(f"{path}: id: duplicate profile {pid!r}")
        raw[pid] = (path, data)
    origins = {pid: _section_origins(path, f"profile {pid}", data)
               for pid, (path, data) in raw.items()}
    resolved: dict[str, tuple[Path, dict]] = {}
    for pid in raw:
        _resolve(pid, (), raw, resolved, origins)
    for path, data in resolved.values():
        data["_sources"] = _sources(path, "sources", data.get("sources"),
                                    _one_of(path, "status", data.get("status", "verified"),
                                            STATUSES))
    return resolved


_META_KEYS = ("id", "extends", "sources", "status", "summary", "notes", "unverified")


def _section_origins(path: Path, label: str, data: dict) -> dict[str, tuple]:
    """Per fact (a section of a profile, or a build's overrides): who states it and from
    which sources. A section's own ``sources``/``status`` keys name them; otherwise the file's.
    The keys are taken out of the section, so the checks never see them."""
    status = _one_of(path, "status", data.get("status", "verified"), STATUSES)
    file_refs = data.get("sources") or []
    out = {}
    for name, value in list(data.items()):
        key = name.removesuffix("_add").removesuffix("_remove")  # "crashes_add" edits crashes
        if key in _META_KEYS or key.startswith("_"):
            continue
        refs, own_status = file_refs, status
        if isinstance(value, dict):
            had = bool(value)
            refs = value.pop("sources", None) or file_refs
            own_status = _one_of(path, f"{key}.status", value.pop("status", status), STATUSES)
            if had and not value:  # only sources: states nothing, and an empty table
                del data[name]     # would replace the inherited one
                continue
        out[key] = ((label, _sources(path, f"{key}.sources", refs, own_status)),)
    return out


def _resolve(pid: str, chain: tuple[str, ...], raw: dict, resolved: dict, origins: dict) -> dict:
    if pid in resolved:
        return resolved[pid][1]
    if pid in chain:
        raise SpecError(f"{raw[pid][0]}: extends: inheritance cycle {' -> '.join(chain + (pid,))}")
    path, data = raw[pid]
    parent_id = data.get("extends")
    if parent_id is None:
        merged = dict(data)
        merged["_origins"] = dict(origins[pid])
    else:
        if parent_id not in raw:
            raise SpecError(f"{path}: extends: unknown profile {parent_id!r}")
        parent = _resolve(parent_id, chain + (pid,), raw, resolved, origins)
        inherited = {k: v for k, v in parent.items()
                     if k not in ("id", "extends", "sources", "status", "summary", "notes",
                                  "_sources", "_origins")}
        child = dict(data)
        if "unverified" in child:  # a child's list adds to what it inherits
            child["unverified_add"] = child.pop("unverified") + child.get("unverified_add", [])
        merged = _merge(inherited, child)
        merged["_origins"] = merge_origins(parent["_origins"], origins[pid], data)
    resolved[pid] = (path, merged)
    return merged


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
    abi_versions: tuple[str, ...]  # the ids abi_versions.toml gives a marker
    sequences: dict  # startup.toml: id -> StartupSequence

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
        if version not in c.abi_versions:
            raise c.error(f"abi.markers.{name}", f"unknown ABI version {version!r} "
                          f"(abi_versions.toml has {', '.join(c.abi_versions)})")
    rule = abi.get("rule", "first-function-export")
    if rule not in MARKER_RULES:
        raise c.error("abi.rule", f"{rule!r} not one of {MARKER_RULES}")
    assumed = abi.get("assumed", "0.1.0")
    if assumed not in c.abi_versions:
        raise c.error("abi.assumed", f"unknown ABI version {assumed!r} "
                      f"(abi_versions.toml has {', '.join(c.abi_versions)})")
    stage = abi.get("stage", "abi")
    if stage not in ("abi", "after-compile", "functions"):
        raise c.error("abi.stage", f"{stage!r} not abi, after-compile or functions")
    if rule != "none" and not markers:
        raise c.error("abi.markers", "a host that reads markers must accept one")
    keys = set(markers.values()) | ({assumed} if rule == "optional" else set())
    return {"abi_markers": MappingProxyType(dict(markers)), "marker_rule": rule,
            "marker_stage": stage, "_abi_keys": sorted(keys) or [assumed],
            "abi_assumed": assumed if rule in ("optional", "none") else None}


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
    sequence = c.sequences.get(startup.get("sequence", ""))
    if sequence is None:
        raise c.error("startup.sequence", f"{startup.get('sequence', '')!r} is none of the "
                      f"sequences of startup.toml ({', '.join(c.sequences)})")
    allowed = startup.get("allowed")
    return {"allocator_any_of": tuple(alloc.get("any_of", [])),
            "allocator_all_of": tuple(alloc.get("all_of", [])),
            "allocator_type": _sig(c.path, "allocator.type", alloc.get("type", "(i32) -> (i32)")),
            "startup": sequence,
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
    arguments = cb.get("arguments", "abi")
    if arguments not in CALLBACK_ARGUMENTS:
        raise c.error("callbacks.arguments", f"{arguments!r} not one of {CALLBACK_ARGUMENTS}")
    return {"callbacks": MappingProxyType(callbacks),
            "callbacks_checked": cb.get("checked", True),
            "callbacks_required": tuple(cb.get("required", [])),
            "callbacks_always_called": tuple(cb.get("always_called", [])),
            "callback_arguments": arguments}


def _foreign(c: _Context, p: dict) -> dict:
    ff = p.get("foreign_functions", {})
    unknown = ff.get("unknown", "not-found")
    if unknown not in FOREIGN_UNKNOWN:
        raise c.error("foreign_functions.unknown", f"{unknown!r} not one of {FOREIGN_UNKNOWN}")
    names = ff.get("names")
    return {"foreign_functions": None if names is None else frozenset(names),
            "foreign_unknown": unknown}


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
            "memory_cap_pages": memory.get("cap_pages"),
            "memory_export_required": memory.get("export_required", False)}


def _fact_sources(profile: dict) -> MappingProxyType:
    return MappingProxyType({k: v for k, v in sorted(profile.get("_origins", {}).items())})


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
        **_runtime_and_messages(c, build, profile), **_stubs_and_platform(c, profile),
        **_foreign(c, profile),
        fact_sources=_fact_sources(profile),
        lifecycle=MappingProxyType({**CPP_HOST_LIFECYCLE, **{
            k: v for k, v in profile.get("lifecycle", {}).items() if k in CPP_HOST_LIFECYCLE}}),
    )


def _stubs_and_platform(c: _Context, p: dict) -> dict:
    """Host functions that link but fail when called; a platform's restrictions."""
    hf, platform = p.get("host_functions", {}), p.get("platform", {})
    registered = set(hf.get("common", [])).union(*(hf.get(v, []) for v in c.abi_versions))
    registered |= {f"wasi.{n}" for n in p.get("wasi", {}).get("functions", [])}
    stubbed = frozenset(hf.get("stubbed", []))
    if stubbed - registered:
        raise c.error("host_functions.stubbed", f"{sorted(stubbed - registered)} are not "
                      "registered (a stub links, so it must be a host function or wasi.<function> "
                      "of the build)")
    behaviour = hf.get("stub_behaviour", "trap")
    if behaviour not in STUB_BEHAVIOURS:
        raise c.error("host_functions.stub_behaviour", f"{behaviour!r} not one of "
                      f"{STUB_BEHAVIOURS}")
    return {"stubbed_functions": stubbed, "stub_behaviour": behaviour,
            "platform_forbidden": frozenset(platform.get("forbidden", [])),
            "platform_limits": MappingProxyType(dict(platform.get("limits", {}))),
            "platform_source": platform.get("source", "")}
