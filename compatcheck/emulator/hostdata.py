"""Host facts the loaded HostSpec does not carry yet: a runtime's own wording of failed calls
(runtimes.toml ``texts``) and a profile's ``[lifecycle]``, read from the spec files themselves.

The schema (compatcheck/schemas/abi-specs.schema.json) validates both keys, so the loader
accepts them; until HostSpec / Runtime carry them, they are read here from the shipped spec
directory (a build from another ``--spec-dir`` gets the defaults: cpp-host's lifecycle, V8's
texts when its engine is V8, none otherwise).
"""

from __future__ import annotations

import functools
import tomllib

from ..abi.spec_files import default_spec_dir

# V8's texts (src/common/message-template.h; see traps.py), the engines cpp-host builds embed
V8_TEXTS = {"unreachable": "Uncaught RuntimeError: unreachable"}
CPP_HOST_LIFECYCLE = {"vm_start": True, "configure_required": False}


@functools.cache
def _runtimes() -> dict[str, dict]:
    out: dict[str, dict] = {}
    path = default_spec_dir() / "runtimes.toml"
    if path.is_file():
        for entry in tomllib.loads(path.read_text()).get("runtime", []):
            out[entry["id"]] = entry
    return out


@functools.cache
def _profiles() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted((default_spec_dir() / "profiles").glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if "id" in data:
            out[data["id"]] = data
    return out


def runtime_texts(host) -> dict[str, str]:
    """The engine's wording of a failed call (unreachable, exit, arity): runtimes.toml
    ``texts``, else V8's for a V8 engine, else none."""
    entry = _runtimes().get(host.runtime.id)
    if entry is not None and entry.get("engine") == host.runtime.engine and "texts" in entry:
        return dict(entry["texts"])
    return dict(V8_TEXTS) if host.runtime.engine == "v8" else {}


def lifecycle(host) -> dict[str, bool]:
    """The profile's [lifecycle] (inherited through ``extends``), over cpp-host's."""
    chain, pid, seen = [], host.profile, set()
    profiles = _profiles()
    while pid in profiles and pid not in seen:
        seen.add(pid)
        chain.append(profiles[pid].get("lifecycle", {}))
        pid = profiles[pid].get("extends")
    out = dict(CPP_HOST_LIFECYCLE)
    for part in reversed(chain):
        out.update({k: v for k, v in part.items() if k in CPP_HOST_LIFECYCLE})
    return out


def trap_text(host) -> str | None:
    """What the host appends for an `unreachable` trap; None when no source says."""
    return runtime_texts(host).get("unreachable")
