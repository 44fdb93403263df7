"""Loads, but fails when called: host functions a build links to a stub (Kong's NYI trap,
APISIX's ResultUnimplemented). Each import is named with the exports that reach it."""

from __future__ import annotations

from ._build import finding
from .call_sites import callers, describe
from .context import CheckContext

_HOW = {"trap": "traps when called, which aborts the filter's callback",
        "returns-unimplemented": "returns ResultUnimplemented (12) without doing anything",
        "returns-ok-noop": "does nothing and reports success"}


def _stub_name(host, module: str, name: str) -> str | None:
    if module == "env" and name in host.stubbed_functions:
        return name
    if module in host.wasi_modules and f"wasi.{name}" in host.stubbed_functions:
        return f"wasi.{name}"
    return None


def check(ctx: CheckContext) -> list:
    host = ctx.host
    if not host.stubbed_functions:
        return []
    out = []  # (0: an export reaches it by direct calls, 1: only through a table, 2: never)
    for index, imp in enumerate(ctx.module.imports_of_kind("func")):
        if _stub_name(host, imp.module, imp.name) is None:
            continue
        names, indirect = callers(ctx, index)
        where = describe(names, indirect)
        never = not names and not indirect
        text = host.message("stub_call", **{"import": imp.name}) or \
            f"{imp.qualified_name} is not implemented by this build"
        rank = 0 if names else 1 if indirect else 2
        out.append((rank, index, finding(
            "CC801", f"{text} ({imp.qualified_name}: {where})", "advice",
            severity="info" if never else None, location=f"import {imp.qualified_name}",
            offset=imp.offset, position=index, host_wording=False,
            unverified=host.is_unverified("host_functions.stubbed"),
            fix=f"The module loads: {host.label} links {imp.qualified_name}, but it "
                f"{_HOW.get(host.stub_behaviour, 'fails')}. Avoid the call on this host (guard "
                "it by host, or drop the feature), or pick a host that implements it "
                "(`compatcheck matrix`).")))
    # the calls known to be made first: the range line and matrix name the first ones
    return [f for _rank, _index, f in sorted(out, key=lambda t: t[:2])]
