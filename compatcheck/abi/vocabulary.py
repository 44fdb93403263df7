"""The words a spec may use that name code (rules the checks implement, message keys and the
placeholders their callers fill in, crash kinds, proposals the reader detects), and SpecError,
the one error every spec problem raises. Words that are data live in abi_specs/: ABI versions
(abi_versions.toml) and start-up sequences (startup.toml)."""

from __future__ import annotations

import re

FEATURES = frozenset({
    "sign-extension", "saturating-float-to-int", "bulk-memory", "multi-value",
    "reference-types", "simd", "relaxed-simd", "threads", "exceptions", "exceptions-legacy",
    "exceptions-exnref", "tail-call", "extended-const", "function-references", "gc",
    "multi-memory", "memory64", "mutable-globals", "ref-null-heap-type",
})
STATUSES = ("verified", "inferred", "probed", "unverified")
STARTUP_PICKS = ("listed", "export-order")
# A runtime's own wording of failed calls (runtimes.toml texts): unreachable, exit ({status}),
# arity ({want}, {have}). V8 engines without texts get V8's (src/common/message-template.h).
V8_TEXTS = {"unreachable": "Uncaught RuntimeError: unreachable"}
# [lifecycle] keys and proxy-wasm-cpp-host's behaviour, the default: proxy_on_vm_start is
# called, a missing proxy_on_configure counts as configured
CPP_HOST_LIFECYCLE = {"vm_start": True, "configure_required": False}
# the exports a start-up sequence may call, with the type the host calls them with
START_FUNCTIONS = {"_initialize": "() -> ()", "_start": "() -> ()", "main": "(i32, i32) -> (i32)",
                   "__main_void": "() -> (i32)", "__wasm_call_ctors": "() -> ()"}
# first-function-export / require-any: a marker is required (the first function export the host
# knows wins / any). optional: markers choose the ABI but none is needed; the known function
# export highest in abi.markers (host preference order) wins, no known one means abi.assumed.
# none: markers are not read, abi.assumed.
MARKER_RULES = ("first-function-export", "require-any", "optional", "none")
# "doc: <url>": a vendor's documentation page with no repository behind it (Service Extensions)
SOURCE_RE = re.compile(r"^(?:[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S.*|probed from \S.*|unverified: \S.*|"
                       r"doc: https://\S+.*)$")
# The host's own texts, and the placeholders each may use (what callers of HostSpec.message pass).
MESSAGE_FIELDS: dict[str, tuple[str, ...]] = {
    # {import} is module.name; {module} and {field} its two parts (wasmtime writes `env::name`)
    "missing_import": ("import", "module", "field"),
    # a missing WASI import where the host words it otherwise (Kong: wasmtime's words); falls
    # back to missing_import
    "missing_wasi_import": ("import", "module", "field"),
    "import_type_mismatch": ("import", "module", "field", "want", "have"),
    "bad_signature": ("name", "want", "have"),
    "trap": ("function", "trap"),
    "restricted_call": ("function",),
    "stub_call": ("import",),  # a linked host function that fails when called
    "platform_refused": ("name",),  # the platform's own words for a documented restriction
    # proxy_call_foreign_function with a name the build does not implement (it traps)
    "foreign_unknown": ("name",),
    # a proposal the runtime refuses: {error} its runtimes.toml refusals text, {feature} the id
    "proposal_refused": ("error", "feature"),
    **{k: () for k in ("missing_marker", "missing_allocator", "load_failed", "instantiate_failed",
                       "vm_start_failed", "configure_failed", "wrapper", "no_runtime",
                       "corrupted", "missing_memory_export", "missing_callback")},
}
MESSAGE_KEYS = frozenset(MESSAGE_FIELDS)


def fill_message(template: str, **values) -> str:
    """A host message with its placeholders filled; the template itself when a value is
    missing (the loader only lets a message use the placeholders its callers pass)."""
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
# module shapes that take the process down (checks/capi.py, checks/startup.py)
# startup-export-host-call: a Proxy-Wasm (env) host call from the start-up export (_start /
# _initialize) kills the process (Kong: no filter context yet; WASI calls are fine);
# missing-http-callback: an HTTP callback of callbacks.always_called that the module does not
# export is called anyway at the first request (Kong: a null function reference, SIGSEGV)
CRASH_KINDS = ("tag-import", "tag-export", "capi-v128", "capi-gc-ref", "capi-exnref",
               "start-section-host-call", "startup-export-host-call", "missing-http-callback")
# callbacks.arguments: what the host passes a callback (abi: the ABI's arguments, a runtime
# checking the count when called may refuse the call; export-type: as many as the export asks)
CALLBACK_ARGUMENTS = ("abi", "export-type")
# foreign_functions.unknown: what proxy_call_foreign_function does with a name the build lacks
FOREIGN_UNKNOWN = ("not-found", "trap")
# How a stubbed host function fails when called (host_functions.stub_behaviour)
STUB_BEHAVIOURS = ("trap", "returns-unimplemented", "returns-ok-noop")
# Platform limits a profile may state (platform.limits), checked by checks/platform.py
PLATFORM_LIMITS = ("module_bytes", "memory_bytes", "cpu_ms_per_request", "mutation_bytes")
V8_VERSION_RE = re.compile(r"^\d{1,9}(\.\d{1,9})+$")


class SpecError(Exception):
    """A spec file is malformed or inconsistent; message names file, key and reason."""
