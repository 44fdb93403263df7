"""`compatcheck targets --show BUILD`: one build's resolved spec, each fact with its source."""

from __future__ import annotations

import json

# the facts of a profile (its sections) in the order they are shown, with their headings
FACTS = (("abi", "ABI markers"), ("host_functions", "host functions"), ("wasi", "WASI"),
         ("env_shims", "env shims"), ("imports", "non-function imports"),
         ("allocator", "allocator"), ("startup", "start-up"), ("callbacks", "callbacks"),
         ("messages", "messages"), ("memory", "memory"), ("crashes", "crashes"),
         ("lifecycle", "lifecycle"), ("foreign_functions", "foreign functions"),
         ("platform", "platform"))


def _sources(b, fact: str) -> list[dict]:
    """Who states this fact, nearest first, and from where; plus the shared tables it uses."""
    out = [{"from": label, "sources": [{"ref": s.ref, "status": s.status} for s in sources],
            "unverified": b.is_unverified(fact)}
           for label, sources in b.fact_sources.get(fact, ())]
    if fact == "startup":
        out.insert(0, {"from": f"startup.toml sequence {b.startup.id}",
                       "sources": [{"ref": s.ref, "status": s.status} for s in b.startup.sources],
                       "unverified": b.is_unverified("startup.sequence")})
    return out


def facts(b) -> dict:
    """The resolved spec as plain data (what the checks use)."""
    return {
        "id": b.id, "product": b.product, "versions": b.version_label, "title": b.title,
        "status": b.status, "profile": b.profile,
        "runtime": {"id": b.runtime.id, "engine": b.runtime.engine, "version": b.runtime.version,
                    "features": sorted(b.runtime.features), "source": str(b.runtime.source),
                    "refusals": dict(b.runtime.refusals), "texts": dict(b.runtime.texts)},
        "runtimes_compiled": list(b.runtimes_compiled),
        "abi": {"markers": dict(b.abi_markers), "rule": b.marker_rule, "stage": b.marker_stage,
                "assumed": b.abi_assumed},
        "host_functions": {v: {n: str(t) for n, t in table.items()}
                           for v, table in b.host_functions.items()},
        "stubbed": {"functions": sorted(b.stubbed_functions), "behaviour": b.stub_behaviour},
        "wasi": {"modules": list(b.wasi_modules), "functions": sorted(b.wasi)},
        "env_shims": sorted(b.env_shims),
        "allocator": {"any_of": list(b.allocator_any_of), "all_of": list(b.allocator_all_of),
                      "type": str(b.allocator_type)},
        "startup": {"sequence": b.startup_sequence, "summary": b.startup.summary,
                    "allowed": None if b.startup_allowed is None else sorted(b.startup_allowed)},
        "callbacks": {v: {n: str(t) for n, t in table.items()} for v, table in b.callbacks.items()},
        "callbacks_checked": b.callbacks_checked,
        "callbacks_required": list(b.callbacks_required),
        "callbacks_always_called": list(b.callbacks_always_called),
        "callback_arguments": b.callback_arguments,
        "foreign_functions": {"names": None if b.foreign_functions is None
                              else sorted(b.foreign_functions), "unknown": b.foreign_unknown},
        "platform": {"forbidden": sorted(b.platform_forbidden),
                     "limits": dict(b.platform_limits), "source": b.platform_source},
        "memory": {"cap_pages": b.memory_cap_pages, "loaded_pages": b.memory_loaded_pages,
                   "refused_pages": b.memory_refused_pages,
                   "export_required": b.memory_export_required},
        "lifecycle": dict(b.lifecycle), "crashes": sorted(b.crashes),
        "messages": dict(b.messages), "pins": dict(b.pins), "notes": list(b.notes),
        "sources": [{"ref": s.ref, "status": s.status} for s in b.sources],
        "fact_sources": {fact: found for fact, _ in FACTS if (found := _sources(b, fact))},
        "unverified": sorted(b.unverified),
    }


def _from_lines(data: dict, fact: str, shown: int = 3) -> list[str]:
    entries = data["fact_sources"].get(fact, [])
    lines = []
    for e in entries[:shown]:
        refs = "; ".join(s["ref"] + ("" if s["status"] == "verified" else f" ({s['status']})")
                         for s in e["sources"])
        lines.append(f"      from {e['from']}{' [unverified]' if e['unverified'] else ''}: {refs}")
    if len(entries) > shown:
        lines.append(f"      (and {len(entries) - shown} older profiles it inherits from; "
                     "--format json lists them)")
    return lines


def render(b, fmt: str = "text") -> str:
    data = facts(b)
    if fmt == "json":
        return json.dumps({"schema_version": 1, "build": data}, indent=2)
    lines = [f"{b.id}: {b.title or b.label} [{b.status}]", f"  profile: {b.profile}",
             f"  runtime: {data['runtime']['engine']} {data['runtime']['version']}",
             f"      from runtimes.toml {b.runtime.id}: {data['runtime']['source']}",
             f"    proposals: {', '.join(data['runtime']['features']) or '-'}"]
    lines += [f"    refuses {k if k != 'default' else 'other proposals'} with: {v}"
              for k, v in b.runtime.refusals]
    lines += [f"    its words for a failed call ({k}): {v}" for k, v in b.runtime.texts]
    lines.append(f"  ABI markers ({b.marker_rule}): "
                 + (", ".join(f"{k} -> {v}" for k, v in b.abi_markers.items()) or "none read")
                 + (f"; none read: ABI {b.abi_assumed}" if b.abi_assumed else ""))
    lines += _from_lines(data, "abi")
    for version, table in data["host_functions"].items():
        lines.append(f"  host functions, ABI {version} ({len(table)}): {', '.join(sorted(table))}")
    if b.stubbed_functions:
        lines.append(f"  linked but fail when called ({b.stub_behaviour}): "
                     f"{', '.join(sorted(b.stubbed_functions))}")
    lines += _from_lines(data, "host_functions")
    lines.append(f"  WASI ({' / '.join(b.wasi_modules)}, {len(b.wasi)}): "
                 f"{', '.join(sorted(b.wasi))}")
    lines += _from_lines(data, "wasi")
    allowed = data["startup"]["allowed"]
    lines.append(f"  start-up: {b.startup_sequence} ({b.startup.summary}); allowed during "
                 "start-up: " + ("anything" if allowed is None else ", ".join(allowed)))
    lines += _from_lines(data, "startup")
    lines.append(f"  allocator: {' or '.join(b.allocator_any_of) or '-'}"
                 + (f", and {', '.join(b.allocator_all_of)}" if b.allocator_all_of else ""))
    lines += _from_lines(data, "allocator")
    for version, table in data["callbacks"].items():
        lines.append(f"  callbacks, ABI {version} ({len(table)}, "
                     f"{'type-checked' if b.callbacks_checked else 'not type-checked'})")
    if b.callbacks_required:
        lines.append(f"    required at load: {', '.join(b.callbacks_required)}")
    if b.callbacks_always_called:
        lines.append(f"    called whether exported or not: {', '.join(b.callbacks_always_called)}")
    if b.callback_arguments != "abi":
        lines.append(f"    arguments passed: {b.callback_arguments}")
    lines += _from_lines(data, "callbacks")
    if b.foreign_functions is not None:
        lines.append(f"  foreign functions: {', '.join(sorted(b.foreign_functions)) or 'none'}; "
                     f"any other name: {b.foreign_unknown}")
        lines += _from_lines(data, "foreign_functions")
    if not b.lifecycle.get("vm_start", True) or b.lifecycle.get("configure_required"):
        lines.append("  lifecycle: " + ", ".join(f"{k} = {str(v).lower()}"
                                                  for k, v in b.lifecycle.items()))
        lines += _from_lines(data, "lifecycle")
    memory = [f"cap {b.memory_cap_pages} pages"] if b.memory_cap_pages else []
    if b.memory_export_required:
        memory.append('the memory must be exported as "memory"')
    if memory:
        lines.append(f"  memory: {'; '.join(memory)}")
        lines += _from_lines(data, "memory")
    if b.crashes:
        lines.append(f"  module shapes that crash the proxy: {', '.join(sorted(b.crashes))}")
    lines.append(f"  messages: {len(b.messages)} in the host's own words")
    lines += _from_lines(data, "messages")
    if b.platform_forbidden or b.platform_limits:
        lines.append(f"  platform: forbids {', '.join(sorted(b.platform_forbidden)) or '-'}; "
                     f"limits {data['platform']['limits']} ({b.platform_source})")
        lines += _from_lines(data, "platform")
    lines.append("  sources of the build:")
    lines += [f"    - {s['ref']} [{s['status']}]" for s in data["sources"]]
    if b.unverified:
        lines.append(f"  unverified facts: {', '.join(sorted(b.unverified))}")
    lines += [f"  note: {n}" for n in b.notes]
    return "\n".join(lines)
