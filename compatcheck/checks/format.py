"""A file that is not a readable, valid core module, as each host sees it.

No Module exists here, so this check reads the bytes and the reader's error: the host's runtime
(or cpp-host's own pre-parser) meets the problem first and words it its own way.
"""

from __future__ import annotations

from ..abi import HostSpec
from ..record import replace
from ..wasm import WasmFormatError, read_module
from . import runtime
from ._build import finding
from .finding import Finding

_FORMAT_CODES = {"not-wasm": "CC001", "component": "CC004", "version": "CC002",
                 "malformed": "CC002"}


def format_problem(exc: WasmFormatError) -> Finding:
    code = _FORMAT_CODES.get(exc.kind, "CC002")
    return finding(code, str(exc), "parse", offset=exc.offset, location="module")


def host_view(problem: Finding, exc: WasmFormatError | None, data: bytes,
               host: HostSpec) -> tuple[Finding, ...]:
    """The same problem in this host's words, behind a missing runtime if there is one."""
    out = list(runtime.check_host(host))
    text = host.message("corrupted") or host.message("load_failed")
    if host.marker_stage == "abi" and "corrupted" in host.messages:
        # cpp-host's own pre-parser reads the sections first and ignores the version field
        if exc is not None and exc.kind in ("component", "version"):
            text = _as_core_module(data, host) or text
    elif exc is None or exc.kind != "malformed":
        text = host.message("load_failed")  # the runtime is the first to see it
    detail = f"{problem.message}. " if problem.code != "CC003" else ""
    out.append(replace(problem, message=text or problem.message, host_wording=bool(text),
                       fix=f"{detail}{problem.fix}"))
    return tuple(out)


def _as_core_module(data: bytes, host: HostSpec) -> str | None:
    """cpp-host's pre-parser ignores the version field: what does it make of the sections?"""
    try:
        module = read_module(data[:4] + b"\x01\x00\x00\x00" + data[8:])
    except WasmFormatError:
        return host.message("corrupted") or None
    has_marker = any(e.kind == "func" and e.name in host.abi_markers for e in module.exports)
    if host.markers_required and not has_marker:
        return host.message("missing_marker") or None
    return host.message("load_failed") or None
