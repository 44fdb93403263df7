"""`compatcheck targets --show BUILD`: one build's resolved spec, each fact with its source."""

from __future__ import annotations

import json


def facts(b) -> dict:
    """The resolved spec as plain data (what the checks use)."""
    return {
        "id": b.id, "product": b.product, "versions": b.version_label, "title": b.title,
        "status": b.status, "profile": b.profile,
        "runtime": {"id": b.runtime.id, "engine": b.runtime.engine, "version": b.runtime.version,
                    "features": sorted(b.runtime.features), "source": str(b.runtime.source)},
        "runtimes_compiled": list(b.runtimes_compiled),
        "abi": {"markers": dict(b.abi_markers), "rule": b.marker_rule, "stage": b.marker_stage},
        "host_functions": {v: {n: str(t) for n, t in table.items()}
                           for v, table in b.host_functions.items()},
        "stubbed": {"functions": sorted(b.stubbed_functions), "behaviour": b.stub_behaviour},
        "wasi": {"modules": list(b.wasi_modules), "functions": sorted(b.wasi)},
        "env_shims": sorted(b.env_shims),
        "allocator": {"any_of": list(b.allocator_any_of), "all_of": list(b.allocator_all_of),
                      "type": str(b.allocator_type)},
        "startup": {"sequence": b.startup_sequence,
                    "allowed": None if b.startup_allowed is None else sorted(b.startup_allowed)},
        "callbacks": {v: {n: str(t) for n, t in table.items()} for v, table in b.callbacks.items()},
        "callbacks_checked": b.callbacks_checked,
        "platform": {"forbidden": sorted(b.platform_forbidden),
                     "limits": dict(b.platform_limits), "source": b.platform_source},
        "memory": {"cap_pages": b.memory_cap_pages, "loaded_pages": b.memory_loaded_pages,
                   "refused_pages": b.memory_refused_pages},
        "messages": dict(b.messages), "pins": dict(b.pins), "notes": list(b.notes),
        "sources": [{"ref": s.ref, "status": s.status} for s in b.sources],
        "unverified": sorted(b.unverified),
    }


def render(b, fmt: str = "text") -> str:
    data = facts(b)
    if fmt == "json":
        return json.dumps({"schema_version": 1, "build": data}, indent=2)
    lines = [f"{b.id}: {b.title or b.label} [{b.status}]", f"  profile: {b.profile}",
             f"  runtime: {data['runtime']['engine']} {data['runtime']['version']} "
             f"(source: {data['runtime']['source']})",
             f"    proposals: {', '.join(data['runtime']['features']) or '-'}",
             f"  ABI markers ({b.marker_rule}): "
             + (", ".join(f"{k} -> {v}" for k, v in b.abi_markers.items()) or "none read")]
    for version, table in data["host_functions"].items():
        lines.append(f"  host functions, ABI {version} ({len(table)}): {', '.join(sorted(table))}")
    if b.stubbed_functions:
        lines.append(f"  linked but fail when called ({b.stub_behaviour}): "
                     f"{', '.join(sorted(b.stubbed_functions))}")
    lines.append(f"  WASI ({' / '.join(b.wasi_modules)}, {len(b.wasi)}): "
                 f"{', '.join(sorted(b.wasi))}")
    allowed = data["startup"]["allowed"]
    lines.append(f"  start-up: {b.startup_sequence}; allowed during start-up: "
                 + ("anything" if allowed is None else ", ".join(allowed)))
    for version, table in data["callbacks"].items():
        lines.append(f"  callbacks, ABI {version} ({len(table)}, "
                     f"{'type-checked' if b.callbacks_checked else 'not type-checked'})")
    if b.platform_forbidden or b.platform_limits:
        lines.append(f"  platform: forbids {', '.join(sorted(b.platform_forbidden)) or '-'}; "
                     f"limits {data['platform']['limits']} ({b.platform_source})")
    lines.append("  sources:")
    lines += [f"    - {s['ref']} [{s['status']}]" for s in data["sources"]]
    if b.unverified:
        lines.append(f"  unverified facts: {', '.join(sorted(b.unverified))}")
    lines += [f"  note: {n}" for n in b.notes]
    return "\n".join(lines)
