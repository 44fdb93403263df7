"""Rules the Kong host (Kong/ngx_wasm_module 0.6, wasmtime) showed when probed, as data: the
required callbacks, HTTP callbacks called whether exported or not (a crash), Proxy-Wasm host
calls from the start-up export (a crash), start and configure results, wasmtime's wording of a
missing WASI import, callbacks called with the arguments their own type asks for, foreign
functions, and the request-time finding of `check --plugin-config` (CC513). No real host: the
facts are in abi_specs/ (profile kong-ngx-wasm-0.6.0; the judge is
tests/integration/test_kong_judge.py)."""

from __future__ import annotations

import pytest

from helpers import host, wat
from compatcheck.abi.vocabulary import CRASH_KINDS, MESSAGE_FIELDS
from compatcheck.checks.codes import CODES, FAILS_WHEN_CALLED
from compatcheck.emulator import HttpRequest, Scenario, emulate, host_facts
from compatcheck.emulator.checking import lifecycle_findings
from compatcheck.runner import check_bytes

KONG, ENVOY, APISIX = "kong-0.6", "envoy-1.36", "apisix-0.7.0"
LOG = '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))'
RANDOM = ('(import "wasi_snapshot_preview1" "random_get" '
          '(func $random (param i32 i32) (result i32)))')
FOREIGN = ('(import "env" "proxy_call_foreign_function" (func $foreign '
           '(param i32 i32 i32 i32 i32 i32) (result i32)))')
CALLBACKS = {
    "memory": '(memory (export "memory") 1) (data (i32.const 16) "compressresolve_lua")',
    "marker": '(func (export "proxy_abi_version_0_2_1"))',
    "malloc": '(func (export "malloc") (param i32) (result i32) (i32.const 1024))',
    "context": '(func (export "proxy_on_context_create") (param i32 i32))',
    "vm_start": '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))',
    "configure": '(func (export "proxy_on_configure") (param i32 i32) (result i32) '
                 '(i32.const 1))',
    "request": '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) '
               '(i32.const 0))',
    "response": '(func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) '
                '(i32.const 0))',
    "log": '(func (export "proxy_on_log") (param i32))',
    "done": '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))',
    "delete": '(func (export "proxy_on_delete") (param i32))',
}


def _module(*extra: str, imports: str = "", **replace: str) -> bytes:
    parts = {**CALLBACKS, **replace}
    return wat("(module " + imports + " " + " ".join(p for p in parts.values() if p)
               + " " + " ".join(extra) + ")")


def _result(data: bytes, build: str):
    return check_bytes("m", data, [host(build)]).results[0]


def _codes(result) -> list[str]:
    return [f.code for f in result.findings if f.severity in ("crash", "error", "warning")]


def test_vocabulary_names_the_new_kinds_and_keys():
    assert {"startup-export-host-call", "missing-http-callback"} <= set(CRASH_KINDS)
    assert MESSAGE_FIELDS["missing_wasi_import"] == ("import", "module", "field")
    assert MESSAGE_FIELDS["missing_callback"] == ()
    assert MESSAGE_FIELDS["foreign_unknown"] == ("name",)
    assert "CC513" in FAILS_WHEN_CALLED and CODES["CC513"].severity == "warning"
    assert CODES["CC404"].severity == CODES["CC508"].severity == "crash"


def test_kong_spec_carries_the_rules():
    h = host(KONG)
    assert h.callbacks_required == ("proxy_on_context_create", "proxy_on_vm_start",
                                    "proxy_on_configure")
    assert "proxy_on_request_headers" in h.callbacks_always_called
    assert h.callback_arguments == "export-type"
    assert h.foreign_functions == frozenset({"resolve_lua"}) and h.foreign_unknown == "trap"
    assert {"startup-export-host-call", "missing-http-callback"} <= h.crashes
    assert h.runtime.text("unreachable") == "wasm trap: wasm `unreachable` instruction executed"
    e = host(ENVOY)
    assert (e.callbacks_required, e.callbacks_always_called, e.callback_arguments,
            e.foreign_unknown) == ((), (), "abi", "not-found")
    # Envoy 1.36's foreign.cc (no "sign" before 1.37)
    assert e.foreign_functions == frozenset({
        "compress", "uncompress", "set_envoy_filter_state", "clear_route_cache", "verify_signature",
        "expr_create", "expr_evaluate", "expr_delete", "declare_property"})


def test_minimal_module_is_clean_on_kong():
    assert _codes(_result(_module(), KONG)) == []


# ---- required callbacks (ngx_proxy_wasm.c: "missing one of") -------------------------------
@pytest.mark.parametrize("drop", ["context", "vm_start", "configure"])
def test_kong_refuses_a_module_without_a_required_callback(drop):
    r = _result(_module(**{drop: ""}), KONG)
    assert r.verdict == "refused" and r.first_error.code == "CC403"
    assert r.first_error.message == ("filter missing one of: on_context_create, on_vm_start, "
                                     "on_plugin_start (incompatible SDK interface)")
    assert r.first_error.host_wording


def test_envoy_needs_no_vm_start():
    assert "CC403" not in _codes(_result(_module(vm_start=""), ENVOY))


# ---- HTTP callbacks called whether exported or not: a crash --------------------------------
@pytest.mark.parametrize("drop,name", [("request", "proxy_on_request_headers"),
                                       ("response", "proxy_on_response_headers"),
                                       ("log", "proxy_on_log"), ("done", "proxy_on_done"),
                                       ("delete", "proxy_on_delete")])
def test_kong_crashes_on_a_missing_http_callback(drop, name):
    r = _result(_module(**{drop: ""}), KONG)
    assert r.verdict == "crash" and r.first_error.code == "CC404"
    assert name in r.first_error.message


def test_envoy_skips_a_missing_http_callback():
    assert _codes(_result(_module(request="", response="", log="", done="", delete=""),
                          ENVOY)) == []


# ---- a Proxy-Wasm host call from the start-up export: a crash ------------------------------
@pytest.mark.parametrize("export", ["_start", "_initialize"])
def test_kong_crashes_on_a_host_call_from_the_startup_export(export):
    data = _module(f'(func (export "{export}") (drop (call $log (i32.const 2) (i32.const 16) '
                   '(i32.const 8))))', imports=LOG)
    r = _result(data, KONG)
    assert r.verdict == "crash" and r.first_error.code == "CC508"
    assert "env.proxy_log" in r.first_error.message
    assert "CC508" not in _codes(_result(data, ENVOY))


def test_kong_startup_export_may_call_wasi():
    data = _module('(func (export "_start") (drop (call $random (i32.const 0) (i32.const 8))))',
                   imports=RANDOM)
    assert _codes(_result(data, KONG)) == []


def test_kong_host_call_later_than_startup_is_fine():
    data = _module(imports=LOG, vm_start='(func (export "proxy_on_vm_start") (param i32 i32) '
                   '(result i32) (drop (call $log (i32.const 2) (i32.const 16) (i32.const 8))) '
                   '(i32.const 1))')
    assert _codes(_result(data, KONG)) == []


# ---- wording: wasmtime's for WASI imports, Kong's for env ones -----------------------------
def test_kong_missing_wasi_import_in_wasmtime_words():
    data = _module(imports='(import "wasi_snapshot_preview1" "fd_frobnicate" (func))')
    r = _result(data, KONG)
    assert r.first_error.code == "CC204"
    assert r.first_error.message == ("unknown import: `wasi_snapshot_preview1::fd_frobnicate` "
                                     "has not been defined")


def test_kong_missing_env_import_in_kongs_words():
    r = _result(_module(imports='(import "env" "proxy_foo" (func))'), KONG)
    assert r.first_error.message == 'failed importing "env.proxy_foo": missing host function'


def test_kong_import_type_mismatch_in_wasmtime_words():
    r = _result(_module(imports='(import "env" "proxy_log" (func (param i32 i32) '
                                '(result i32)))'), KONG)
    assert r.first_error.message == "incompatible import type for `env::proxy_log`"


def test_other_hosts_fall_back_to_missing_import():
    r = _result(_module(imports='(import "wasi_snapshot_preview1" "fd_frobnicate" (func))'),
                ENVOY)
    assert r.first_error.message.endswith("wasi_snapshot_preview1.fd_frobnicate")


# ---- start and configure results (check --plugin-config) -----------------------------------
@pytest.mark.parametrize("part,code,text", [
    ("vm_start", "CC510", "filter (on_vm_start failure)"),
    ("configure", "CC511", "filter (on_configure failure)")])
def test_kong_start_or_configure_returning_0_refuses(part, code, text):
    name = "proxy_on_vm_start" if part == "vm_start" else "proxy_on_configure"
    data = _module(**{part: f'(func (export "{name}") (param i32 i32) (result i32) '
                            '(i32.const 0))'})
    found = lifecycle_findings(data, [host(KONG)])[KONG]
    assert [(f.code, f.severity, f.message) for f in found] == [(code, "error", text)]


# ---- the first request (CC513) -------------------------------------------------------------
TRAPS = '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) unreachable)'


def test_request_trap_is_request_failed_on_kong():
    found = lifecycle_findings(_module(request=TRAPS), [host(KONG)])[KONG]
    assert [(f.code, f.severity) for f in found] == [("CC513", "warning")]
    assert found[0].message == ("error while executing at wasm backtrace: wasm trap: wasm "
                                "`unreachable` instruction executed")
    assert found[0].location == "export proxy_on_request_headers"


def test_request_trap_is_request_failed_on_envoy_in_its_words():
    found = lifecycle_findings(_module(request=TRAPS), [host(ENVOY)])[ENVOY]
    assert [f.code for f in found] == ["CC513"]
    assert found[0].message == ("Function: proxy_on_request_headers failed: Uncaught "
                                "RuntimeError: unreachable")
    assert found[0].host_wording


def test_request_failed_makes_the_outcome_fails_when_called():
    from compatcheck.emulator.checking import with_lifecycle
    report = check_bytes("m", _module(request=TRAPS), [host(KONG)])
    r = with_lifecycle(report, plugin_config="").results[0]
    assert r.verdict == "loads" and r.outcome == "fails-when-called"


def test_a_served_request_adds_nothing():
    assert lifecycle_findings(_module(), [host(KONG), host(ENVOY)]) == {KONG: [], ENVOY: []}


ONE_PARAM = '(func (export "proxy_on_request_headers") (param i32) (result i32) (i32.const 0))'


def test_kong_passes_the_arguments_the_export_asks_for():
    assert lifecycle_findings(_module(request=ONE_PARAM), [host(KONG)])[KONG] == []
    run = emulate(_module(request=ONE_PARAM), host(KONG), Scenario(request=HttpRequest()))
    assert run.verdict == "continued"
    assert host_facts(host(KONG), "0.2.1")["callback_arguments"] == "export-type"


def test_apisix_refuses_the_call_with_the_runtimes_arity_text():
    found = lifecycle_findings(_module(request=ONE_PARAM), [host(APISIX)], '{"k":"v"}')[APISIX]
    assert [f.code for f in found] == ["CC513"]
    assert "expected 1 arguments, got 3" in found[0].message


# ---- foreign functions ---------------------------------------------------------------------
def _foreign_call(offset: int, size: int) -> str:
    return ('(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) '
            f'(drop (call $foreign (i32.const {offset}) (i32.const {size}) (i32.const 0) '
            '(i32.const 0) (i32.const 64) (i32.const 68))) (i32.const 0))')


def test_kong_unknown_foreign_function_traps():
    data = _module(imports=FOREIGN, request=_foreign_call(16, 8))  # "compress"
    found = lifecycle_findings(data, [host(KONG)])[KONG]
    assert [f.code for f in found] == ["CC513"]
    assert found[0].message.endswith("host trap (internal error): unknown foreign function")


def test_kong_resolve_lua_is_implemented():
    data = _module(imports=FOREIGN, request=_foreign_call(24, 11))  # "resolve_lua"
    assert lifecycle_findings(data, [host(KONG)])[KONG] == []


def test_envoy_answers_an_unknown_foreign_function_not_found():
    data = _module(imports=FOREIGN, request=_foreign_call(16, 8))
    assert lifecycle_findings(data, [host(ENVOY)])[ENVOY] == []


def test_matrix_reason_names_the_call_that_fails_when_called():
    """A module that loads but calls a stub: the matrix's reason column names the call (it was
    empty, as nothing blocks the load)."""
    from compatcheck.report.check_text import _matrix_one
    from helpers import BASE_EXPORTS
    status = '(import "env" "proxy_get_status" (func $st (param i32 i32 i32) (result i32)))'
    http = "".join(f'(func (export "{n}") (param i32 i32 i32) (result i32) (i32.const 0))'
                   for n in ("proxy_on_request_headers", "proxy_on_response_headers"))
    data = wat(f'(module {status} {BASE_EXPORTS} {http} '
               '(func (export "proxy_on_log") (param i32) (drop (call $st (i32.const 0) '
               '(i32.const 0) (i32.const 0))))'
               '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))'
               '(func (export "proxy_on_delete") (param i32)))')
    report = check_bytes("m.wasm", data, [host(KONG)])
    result = report.results[0]
    assert result.outcome == "fails-when-called" and result.first_error is None
    assert result.reason is not None and result.reason.code == "CC801"
    text = _matrix_one(report, colour=False)
    assert "FAILS-WHEN-CALLED" in text and "CC801: host trap (function not yet implemented): " \
        "proxy_get_status" in text
