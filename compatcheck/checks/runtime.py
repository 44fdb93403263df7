"""A host build with no Wasm runtime refuses every module."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext


def check(ctx: CheckContext) -> list:
    return check_host(ctx.host)


def check_host(host) -> list:
    """Needs no module: also used when the bytes are not a readable module."""
    if host.runtime.engine != "none":
        return []
    text = host.message("no_runtime") or "This build has no Wasm runtime compiled in."
    return [finding("CC010", text, "runtime", host_wording="no_runtime" in host.messages,
                    unverified=host.is_unverified("runtime"))]
