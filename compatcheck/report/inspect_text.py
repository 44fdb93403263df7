"""Human-readable rendering of an :class:`~compatcheck.inspection.Inspection`."""

from __future__ import annotations

from collections import defaultdict

from tabulate import tabulate

from ..inspection import Inspection


def render(ins: Inspection) -> str:
    if ins.module is None:
        return f"{ins.name}: error: {ins.error}"
    m = ins.module
    lines = [f"{ins.name}: WebAssembly core module, {ins.size} bytes"]
    if ins.validity is not None:
        lines.append("  validity: valid (wasmtime)" if ins.validity.valid
                     else f"  validity: INVALID (wasmtime): {ins.validity.reason}")
    lines.append("")
    lines.append(tabulate([(s.name if s.id else f"custom {s.name!r}", s.offset, s.size)
                           for s in m.sections], headers=["section", "offset", "size"]))
    by_module: dict[str, list] = defaultdict(list)
    for imp in m.imports:
        by_module[imp.module].append((imp.name, imp.kind, str(imp.type)))
    for mod, rows in by_module.items():
        lines += ["", f"imports from {mod!r} ({len(rows)}):",
                  tabulate(rows, headers=["name", "kind", "type"])]
    if not m.imports:
        lines += ["", "imports: none"]
    lines += ["", f"exports ({len(m.exports)}):",
              tabulate([(e.name, e.kind, "" if e.type is None else str(e.type))
                        for e in m.exports], headers=["name", "kind", "type"])]
    mems = m.all_memories
    lines += ["", "memories: " + (", ".join(str(x) for x in mems) if mems else "none")]
    if m.tables:
        lines.append("tables: " + ", ".join(str(t) for t in m.tables))
    if m.start is not None:
        lines.append(f"start section: function {m.start}"
                     + (f" ({m.function_name(m.start)})" if m.function_name(m.start) else ""))
    lines.append("start-up exports: " + (", ".join(ins.start_functions) or "none"))
    lines.append("Proxy-Wasm ABI markers: " + (", ".join(ins.abi_markers) or "none"))
    lines.append("allocator exports: " + (", ".join(ins.allocators) or "none"))
    if ins.toolchains:
        for t in ins.toolchains:
            lines.append(f"toolchain: {t.name} — evidence: {'; '.join(t.evidence)}")
    else:
        lines.append("toolchain: unknown (no producers section or recognisable shape)")
    if ins.proposals:
        lines.append("proposals used (first use):")
        for u in ins.proposals:
            lines.append(f"  {u.feature}: {u.where()}")
    else:
        lines.append("proposals used: none (WebAssembly 1.0 only)")
    if m.target_features:
        lines.append("target_features: " + " ".join(p + n for p, n in m.target_features))
    for note in ins.target_features_notes:
        lines.append(f"target_features: {note}")
    for note in m.all_notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
