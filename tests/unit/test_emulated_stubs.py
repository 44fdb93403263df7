"""The emulated host as the non-Envoy builds have it: stubbed host functions, callbacks checked
only when called, APISIX's configure step, and start-up calls that fail the load with the
runtime's own words (probed on APISIX wasm-nginx-module 0.7.0 + libwasmtime 0.38.0; see the
profile apisix-wasm-nginx-0.7.0 and tests/integration/test_apisix_judge.py). No real host."""

from __future__ import annotations

from compatcheck.emulator import HttpRequest, Scenario, emulate, host_facts
from compatcheck.emulator.checking import lifecycle_findings
from compatcheck.record import replace
from compatcheck.runner import check_bytes
from tests.helpers import host, wat

APISIX, ENVOY = "apisix-0.7.0", "envoy-1.36"
HEAD = '''(import "env" "proxy_set_tick_period_milliseconds" (func $tick (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_context_create") (param i32 i32))'''
CONFIGURE_OK = '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))'
# as the Go SDK's tick examples: set a period, fail the plugin start when the host refuses
CONFIGURE_TICK = '''(func (export "proxy_on_configure") (param i32 i32) (result i32)
    (i32.eqz (call $tick (i32.const 1000))))'''


def _module(*parts: str) -> bytes:
    return wat("(module " + HEAD + " ".join(parts) + ")")


def _run(data: bytes, build: str, **kw):
    return emulate(data, host(build), Scenario(plugin_config='{"k":"v"}', **kw))


def _result(data: bytes, build: str):
    return check_bytes("m", data, [host(build)]).results[0]


def test_host_facts_carry_stubs_checks_lifecycle_and_texts():
    h = host(APISIX)
    facts = host_facts(h, "0.2.1")
    assert facts["stub_behaviour"] == "returns-unimplemented"
    assert "proxy_set_tick_period_milliseconds" in facts["stubbed"]
    assert facts["callbacks_checked"] is False
    assert facts["callback_types"]["proxy_on_configure"] == "(i32, i32) -> (i32)"
    assert facts["lifecycle"] == {"vm_start": False, "configure_required": True}
    assert facts["runtime_texts"]["arity"] == "expected {want} arguments, got {have}"
    envoy = host_facts(host(ENVOY), "0.2.1")
    assert envoy["stubbed"] == [] and envoy["callback_types"] == {}
    assert envoy["lifecycle"] == {"vm_start": True, "configure_required": False}


def test_runtime_texts_and_lifecycle_are_data():
    assert host(APISIX).runtime.text("unreachable") == \
        "wasm trap: wasm `unreachable` instruction executed"
    assert dict(host(ENVOY).runtime.texts) == {"unreachable": "Uncaught RuntimeError: unreachable"}
    assert host("apisix-wasmedge-0.7.0").runtime.texts == ()  # nobody probed WasmEdge's words
    assert dict(host("kong-0.6").lifecycle) == {"vm_start": True, "configure_required": False}
    assert dict(host(APISIX).lifecycle) == {"vm_start": False, "configure_required": True}


def test_lifecycle_and_texts_of_a_user_spec_directory_are_read(tmp_path):
    """A build from --spec-dir gets its own [lifecycle] and runtime texts (they once came from
    the shipped files only)."""
    from compatcheck.abi import load_specs
    d = tmp_path / "specs"
    (d / "builds").mkdir(parents=True)
    (d / "profiles").mkdir()
    (d / "profiles" / "acme.toml").write_text(
        'id = "acme"\nextends = "cpp-host-f2db56af"\nsources = ["probed from acme 1"]\n'
        '[lifecycle]\nvm_start = false\n')
    (d / "runtimes.toml").write_text(
        '[[runtime]]\nid = "acme-wasmtime"\nengine = "wasmtime"\nversion = "30.0.0"\n'
        'features = ["bulk-memory"]\nsources = ["probed from acme 1"]\n'
        'texts = { unreachable = "acme trap" }\n')
    (d / "builds" / "acme.toml").write_text(
        '[[build]]\nid = "acme-1"\nproduct = "acme"\nfirst = "1.0.0"\nprofile = "acme"\n'
        'runtime = "acme-wasmtime"\nsources = ["probed from acme 1"]\n')
    spec = load_specs([d]).by_id("acme-1")
    assert dict(spec.lifecycle) == {"vm_start": False, "configure_required": False}
    assert spec.runtime.text("unreachable") == "acme trap"
    assert host_facts(spec, "0.2.1")["lifecycle"]["vm_start"] is False


def test_stub_returns_unimplemented_and_go_style_configure_fails():
    data = _module(CONFIGURE_TICK)
    e = _run(data, APISIX)
    assert e.verdict == "configure-failed"
    assert e.messages == ("failed to configure plugin context 1, rc: 0",)
    configure = [s for s in e.stages if s.name == "proxy_on_configure"][0]
    assert configure.calls == (("env.proxy_set_tick_period_milliseconds", 1, 12),)
    # the lifecycle findings: the configure failure, and the stubbed call, certain, with its stage
    found = lifecycle_findings(data, [host(APISIX)], '{"k":"v"}')[APISIX]
    assert [(f.code, f.severity) for f in found] == [("CC511", "error"), ("CC801", "error")]
    assert "called by proxy_on_configure during configure, by the emulated host" in found[1].message
    # Envoy implements the function: configured, no finding
    assert _run(data, ENVOY).verdict == "configured"
    assert lifecycle_findings(data, [host(ENVOY)], '{"k":"v"}')[ENVOY] == []


def test_stub_called_without_harm_stays_a_warning():
    data = _module('''(func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $tick (i32.const 1000))) (i32.const 1))''')
    assert _run(data, APISIX).verdict == "configured"
    found = lifecycle_findings(data, [host(APISIX)], "x")[APISIX]
    assert [(f.code, f.severity) for f in found] == [("CC801", "warning")]


def test_trapping_stub_fails_the_call():
    h = host(APISIX)
    kong_like = replace(h, stub_behaviour="trap", messages={
        **h.messages, "stub_call": "host trap (function not yet implemented): {import}"})
    data = _module(CONFIGURE_TICK)
    e = emulate(data, kong_like, Scenario(plugin_config="x"))
    assert e.verdict == "configure-failed"
    trap = e.trap
    assert trap is not None and trap.name == "proxy_on_configure"
    assert trap.detail == "host trap (function not yet implemented): " \
                          "proxy_set_tick_period_milliseconds"
    found = lifecycle_findings(data, [kong_like], "x")[APISIX]
    assert ("CC801", "error") in [(f.code, f.severity) for f in found]


def test_stub_returns_ok_noop():
    h = replace(host(APISIX), stub_behaviour="returns-ok-noop")
    e = emulate(_module(CONFIGURE_TICK), h, Scenario(plugin_config="x"))
    assert e.verdict == "configured"  # the filter saw Ok (0) and went on
    assert [s.calls for s in e.stages if s.name == "proxy_on_configure"] == \
        [(("env.proxy_set_tick_period_milliseconds", 1, 0),)]


def test_budget_stopped_run_stays_undecided():
    data = _module('(func (export "proxy_on_configure") (param i32 i32) (result i32) '
                   '(drop (call $tick (i32.const 1))) (loop $l (br $l)) (i32.const 1))')
    e = _run(data, APISIX)
    assert e.verdict == "undecided" and "instruction budget" in e.detail
    found = lifecycle_findings(data, [host(APISIX)], "x")[APISIX]
    assert [(f.code, f.severity) for f in found] == [("CC512", "warning")]


def test_configure_required_on_apisix_not_on_cpp_host():
    data = _module()  # no proxy_on_configure
    e = _run(data, APISIX)
    assert e.verdict == "configure-failed"
    assert e.messages == ("failed to configure plugin context 1, rc: 0",)
    assert _run(data, ENVOY).verdict == "configured"  # cpp-host: onConfigure answers true


def test_configure_returning_0():
    data = _module('(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 0))')
    assert _run(data, APISIX).verdict == "configure-failed"
    assert _run(data, ENVOY).verdict == "configure-failed"


def test_apisix_never_calls_vm_start_and_creates_the_root_at_configure():
    data = _module(CONFIGURE_OK,
                   '(func (export "proxy_on_vm_start") (param i32 i32) (result i32) unreachable)')
    e = _run(data, APISIX)
    assert e.verdict == "configured"
    assert [(s.name, s.phase) for s in e.stages if s.name != "instantiate"] == [
        ("proxy_on_context_create", "configure"), ("proxy_on_configure", "configure")]
    assert _run(data, ENVOY).verdict == "start-failed"


def test_callback_checked_only_when_called():
    # proxy_on_context_create taking one parameter
    configure = wat("(module " + HEAD.replace("(param i32 i32))", "(param i32))") + CONFIGURE_OK
                    + ")")
    e = _run(configure, APISIX)
    assert e.verdict == "configure-failed"
    assert e.messages[0] == "failed to call function: expected 1 arguments, got 2"
    assert _result(configure, APISIX).verdict == "loads"  # the module still loads
    assert _result(configure, ENVOY).first_error.code == "CC401"  # cpp-host checks at load
    headers = _module(CONFIGURE_OK, '(func (export "proxy_on_request_headers") '
                                    '(param i32 i32) (result i32) (i32.const 0))')
    e = _run(headers, APISIX, request=HttpRequest())
    assert e.verdict == "failed-stream"
    assert e.messages[0] == "failed to call function: expected 2 arguments, got 3"


def test_request_headers_trap_fails_the_request():
    data = _module(CONFIGURE_OK, '(func (export "proxy_on_request_headers") '
                                 '(param i32 i32 i32) (result i32) unreachable)')
    e = _run(data, APISIX, request=HttpRequest())
    assert e.verdict == "failed-stream" and e.response.status == 503
    assert e.messages[0].splitlines()[0] == ("failed to call function: wasm trap: wasm "
                                             "`unreachable` instruction executed")


EXIT = '(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'


def _start(body: str) -> bytes:
    return wat("(module " + EXIT + HEAD + CONFIGURE_OK + body + ")")


def test_start_up_failures_fail_the_load_in_the_runtimes_words():
    cases = {
        '(func (export "_start") unreachable)':
            ("CC506", "failed to call function: wasm trap: wasm `unreachable` instruction executed"),
        '(func (export "_start") (call $exit (i32.const 0)))':
            ("CC506", "failed to call function: Exited with i32 exit status 0"),
        '(func (export "_start") (call $exit (i32.const 1)))':
            ("CC506", "failed to call function: Exited with i32 exit status 1"),
        '(func (export "_start") (param i32))':
            ("CC401", "failed to call function: expected 1 arguments, got 0"),
    }
    for body, (code, message) in cases.items():
        data = _start(body)
        first = _result(data, APISIX).first_error
        assert first is not None and (first.code, first.message) == (code, message), body
        e = _run(data, APISIX)
        assert e.verdict == "refused" and e.messages[0] == message, (body, e)


def test_envoy_start_up_wording_unchanged():
    first = _result(_start('(func (export "_start") unreachable)'), ENVOY).first_error
    assert first.message == "Function: _start failed: Uncaught RuntimeError: unreachable"
    first = _result(_start('(func (export "_start") (call $exit (i32.const 0)))'),
                    ENVOY).first_error
    assert first.code == "CC502"  # proc_exit is forbidden during start-up there
