"""Consequences of the non-Envoy host data: older Higress lines, Kong with Wasmer, APISIX with
WasmEdge (abi_specs/builds/higress.toml, kong.toml, apisix.toml; runtimes wasmer-3.1.1-kong and
wasmedge-0.10.0-apisix)."""

from compatcheck.checks import check_module
from compatcheck.wasm import read_module
from helpers import HIGRESS_EXPORTS, KONG_HTTP, codes, findings, host, wat


def higress_module(body: str = ""):
    return read_module(wat(f"(module {body} {HIGRESS_EXPORTS})"))


def on(body: str, build_id: str):
    return check_module(higress_module(body), host(build_id))


# ---- Higress: the 0.2.100 marker appears with the cpp-host fork (1.4.0) ------------------------
def test_0_2_100_refused_on_higress_1_x_before_the_fork():
    r = on("", "higress-1.0")
    assert r.verdict == "refused"
    assert r.first_error.code == "CC102"  # a marker this host does not know
    assert r.first_error.message == "Missing or unknown Proxy-Wasm ABI version"


def test_0_2_100_loads_from_higress_1_4_on():
    for build_id in ("higress-1.4", "higress-2.0.0", "higress-2.0.4", "higress-2.1"):
        r = on("", build_id)
        assert r.verdict == "loads", (build_id, codes(r))


def test_higress_releases_ordered_and_selected_by_product():
    from compatcheck.abi import get_specs
    line = sorted((b for b in get_specs().builds if b.product == "higress"), key=lambda b: b.first)
    assert [b.id for b in line][:4] == ["higress-1.0", "higress-1.4", "higress-2.0.0", "higress-2.0.4"]
    assert host("higress-1.0").runtime.version == "9.2.230.13"
    assert host("higress-1.4").runtime.version == "10.7.193.13"
    assert host("higress-2.0.4").status == "inferred"


REDIS = '(import "env" "proxy_redis_call" (func (param i32 i32 i32 i32 i32) (result i32)))'
UPSTREAM_HOSTS = '(import "env" "proxy_get_upstream_hosts" (func (param i32 i32) (result i32)))'


def test_redis_call_links_from_higress_1_4_on():
    r = findings(REDIS, "higress-1.0")  # 0.2.1 marker: the base module loads on Envoy 1.20
    assert r.verdict == "refused" and r.first_error.code == "CC201"
    assert on(REDIS, "higress-1.4").verdict == "loads"
    assert on(REDIS, "higress-2.0.0").verdict == "loads"


def test_upstream_hosts_only_from_the_2025_fork():
    for build_id in ("higress-1.4", "higress-2.0.0", "higress-2.0.4"):
        r = on(UPSTREAM_HOSTS, build_id)
        assert r.verdict == "refused" and r.first_error.code == "CC201", build_id
    assert on(UPSTREAM_HOSTS, "higress-2.1").verdict == "loads"


PATH_OPEN = ('(import "wasi_snapshot_preview1" "path_open" '
             '(func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))')


def test_higress_1_x_wasi_stub_patch_adds_path_open_to_envoy_1_20():
    assert findings(PATH_OPEN, "envoy-1.20").verdict == "refused"
    assert findings(PATH_OPEN, "higress-1.0").verdict == "loads"


# ---- Kong with Wasmer -------------------------------------------------------------------------
TAIL_CALL = "(func $f (return_call $f))"


def test_tail_call_refused_by_wasmer_not_by_wasmtime():
    r = findings(TAIL_CALL, "kong-wasmer-0.6")
    assert r.verdict == "refused"
    assert r.first_error.code == "CC701"
    assert r.first_error.message == "module bytes: invalid module"  # ngx_wavm.c, any runtime
    assert "CC701" not in codes(findings(TAIL_CALL, "kong-0.6"))


def test_simd_and_multi_value_accepted_by_wasmer_defaults():
    body = ('(func (result i32 i32) (i32.const 1) (i32.const 2)) '
            '(func (drop (i32x4.splat (i32.const 1))))')
    assert "CC701" not in codes(findings(body, "kong-wasmer-0.6"))


def test_threads_refused_by_wasmer_defaults():
    r = findings('(func (drop (i32.atomic.load (i32.const 0))))', "kong-wasmer-0.5")
    assert "CC701" in codes(r)


SOCK_ACCEPT = '(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))' + KONG_HTTP
FILESTAT = '(import "wasi_snapshot_preview1" "fd_filestat_get" (func (param i32 i32) (result i32)))' + KONG_HTTP


def test_kong_wasmer_wasi_is_kongs_then_wasmers():
    # fd_filestat_get is not Kong's own: V8 builds refuse it, Wasmer's WASI provides it
    assert findings(FILESTAT, "kong-v8-0.6").verdict == "refused"
    assert findings(FILESTAT, "kong-wasmer-0.6").verdict == "loads"
    # Wasmer 3.x's preview1 has no sock_accept; wasmtime's has
    assert findings(SOCK_ACCEPT, "kong-0.6").verdict == "loads"
    r = findings(SOCK_ACCEPT, "kong-wasmer-0.6")
    assert r.verdict == "refused"
    assert "unhandled WASI function" in r.first_error.message


def test_kong_wasmer_keeps_kongs_proc_exit_stub():
    body = '(import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))' + KONG_HTTP
    # Kong's own proc_exit (an NYI stub) shadows Wasmer's: linking succeeds, the call traps
    assert "wasi.proc_exit" in host("kong-wasmer-0.6").stubbed_functions
    assert findings(body, "kong-wasmer-0.6").verdict == "loads"


# ---- APISIX with WasmEdge ---------------------------------------------------------------------
def test_wasmedge_refuses_tail_call_in_its_own_words():
    r = findings(TAIL_CALL, "apisix-wasmedge-0.7.0")
    assert r.verdict == "refused" and r.first_error.code == "CC701"
    assert r.first_error.message.startswith("Validation phase failed")


def test_wasmedge_registers_only_wasi_snapshot_preview1():
    body = '(import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))'
    assert findings(body, "apisix-0.7.0").verdict == "loads"  # wasmtime defines both names
    r = findings(body, "apisix-wasmedge-0.7.0")
    assert r.verdict == "refused"
    assert r.first_error.message.startswith("Instantiation phase failed: unknown import")


def test_wasmedge_same_env_host_functions_as_wasmtime_build():
    assert host("apisix-wasmedge-0.6.5").host_functions == host("apisix-0.6.5").host_functions
