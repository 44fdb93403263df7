"""A host build with no Wasm runtime refuses every module."""

from __future__ import annotations

from ._build import finding
from .context import CheckContext


def check(ctx: CheckContext) -> list:
    host = ctx.host
    if host.runtime.engine != "none":
        return []
    return [finding("CC010", host.message(
        "load_failed") if "no_runtime" in host.messages else
        "Failed to create Wasm VM using envoy.wasm.runtime.v8 runtime. Envoy was compiled "
        "without support for it", "runtime", host_wording=True,
        unverified=host.is_unverified("runtime"))]
