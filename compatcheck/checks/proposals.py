"""WebAssembly proposals the module uses that the build's runtime does not accept."""

from __future__ import annotations

from ..wasm.features import FEATURE_TITLES
from ._build import finding
from .context import CheckContext

# How to stop each toolchain from emitting a proposal.
TOOLCHAIN_FIX = {
    "reference-types": "Rust >= 1.82: RUSTFLAGS='-C target-feature=-reference-types' (or "
                       "-C target-cpu=mvp); clang: -mno-reference-types.",
    "ref-null-heap-type": "This V8 implements the 2019 draft of reference types, where ref.null "
                          "has no heap type; no current toolchain emits that: avoid ref.null "
                          "(Rust: -C target-feature=-reference-types; clang: "
                          "-mno-reference-types) or use a newer build.",
    "multi-value": "Rust: -C target-feature=-multivalue (or -C target-cpu=mvp); clang: "
                   "-mno-multivalue.",
    "bulk-memory": "Rust: -C target-feature=-bulk-memory / -C target-cpu=mvp (needs "
                   "build-std); clang: -mno-bulk-memory; TinyGo: -target with an older wasm CPU.",
    "sign-extension": "Rust: -C target-cpu=mvp; clang: -mno-sign-ext.",
    "saturating-float-to-int": "Rust: -C target-cpu=mvp; clang: -mno-nontrapping-fptoint.",
    "simd": "Do not build with -C target-feature=+simd128 / -msimd128.",
    "relaxed-simd": "Do not build with +relaxed-simd.",
    "tail-call": "Do not build with +tail-call / -mtail-call.",
    "exceptions": "Build with panic=abort / -fno-exceptions (no wasm exception handling).",
    "exceptions-legacy": "Build with panic=abort / -fno-exceptions.",
    "exceptions-exnref": "Build with panic=abort / -fno-exceptions.",
    "threads": "Do not build with +atomics / -pthread; Proxy-Wasm hosts run filters single-threaded.",
    "memory64": "Build for wasm32, not wasm64.",
    "multi-memory": "Link into a single memory.",
    "gc": "The toolchain targets Wasm GC (e.g. Kotlin/Dart/Java); use a linear-memory target.",
    "function-references": "The toolchain targets typed function references; disable it.",
    "extended-const": "Rust/clang: -C target-feature=-extended-const / -mno-extended-const.",
    "mutable-globals": "Rust: -C target-cpu=mvp; clang: -mno-mutable-globals.",
}


def check(ctx: CheckContext) -> list:
    host = ctx.host
    out: list = []
    if host.runtime.engine == "none":
        return out
    accepted = host.runtime.features
    for feature, use in ctx.features.items():
        if feature in accepted:
            continue
        if feature == "exceptions" and accepted & {"exceptions-legacy", "exceptions-exnref"}:
            continue
        title = FEATURE_TITLES.get(feature, feature)
        out.append(finding(
            "CC701", _refused(host, feature), "compile", location=use.where(),
            offset=use.offset, position=use.offset, host_wording=True,
            unverified=host.runtime.source.status in ("unverified", "inferred"),
            fix=f"The module uses {title} ({feature}), first at {use.where()}; "
                f"{host.runtime.engine} {host.runtime.version} in this build does not accept "
                f"it. {TOOLCHAIN_FIX.get(feature, '')}".strip() + _oldest(host, feature)))
    return out


def _refused(host, feature: str) -> str:
    """The host's words, with the runtime's own error for this proposal when data gives it."""
    error = host.runtime.refusal(feature)
    if error and "proposal_refused" in host.messages:
        return host.message("proposal_refused", error=error, feature=feature)
    return host.message("load_failed")


def _oldest(host, feature: str) -> str:
    since = host.feature_since.get(feature)
    return f" Oldest builds that accept it: {since}." if since else ""
