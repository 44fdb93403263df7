"""Proposal detection: one module per proposal, cross-checked with wasmtime's validator."""

import pytest
import wasmtime

from compatcheck.envoy.probe_modules import PROPOSAL_MODULES
from compatcheck.wasm import read_module
from compatcheck.wasm import features as features_mod
from compatcheck.wasm.features import FEATURE_TITLES, detect_features, detect_relevant_features
from compatcheck.wasm.validate import SWITCHABLE, validate

# Context some fragments need to be valid on their own.
_NEEDS = {"threads": "(memory 1 1 shared)", "bulk-memory": "(memory 1)",
          "multi-memory": "(memory 1)", "memory64": "(memory 1)"}
CASES = {f: f"(module {_NEEDS.get(f, '')} {frag})" for f, frag in PROPOSAL_MODULES.items()}
CASES["multi-value-block"] = "(module (func (block (result i32 i32) (i32.const 1) (i32.const 2)) (drop) (drop)))"
CASES["threads-atomic-fence"] = "(module (func (atomic.fence)))"
EXPECTED = {name: name.split("-block")[0].split("-atomic")[0] for name in CASES}
EXPECTED["multi-value-block"] = "multi-value"
EXPECTED["threads-atomic-fence"] = "threads"
MVP = "(module (memory 1) (func (param i32) (result i32) (i32.add (local.get 0) (i32.load (i32.const 0)))))"


def _bytes(text):
    return bytes(wasmtime.wat2wasm(text))


@pytest.mark.parametrize("name", sorted(CASES))
def test_detected_and_wasmtime_agrees(name):
    data = _bytes(CASES[name])
    feature = EXPECTED[name]
    found = detect_features(read_module(data))
    assert feature in found, found
    assert validate(data).valid  # valid with every proposal on
    wasmtime_feature = "exceptions" if feature.startswith("exceptions") else feature
    if wasmtime_feature in SWITCHABLE:
        assert not validate(data, frozenset(SWITCHABLE - {wasmtime_feature})).valid


def test_mvp_module_needs_nothing():
    data = _bytes(MVP)
    assert detect_features(read_module(data)) == {}
    assert validate(data, frozenset()).valid


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_agrees_with_full_scan(name, monkeypatch):
    monkeypatch.setattr(features_mod, "FAST_PATH_CODE_BYTES", 0)
    data = _bytes(CASES[name])
    module = read_module(data)
    relevant = frozenset(FEATURE_TITLES) - {"sign-extension", "saturating-float-to-int",
                                            "mutable-globals"}
    fast = detect_relevant_features(module, relevant)
    full = {f: u for f, u in detect_features(module).items() if f in relevant}
    assert set(fast) == set(full)


def test_rust_1_82_style_call_indirect_is_reference_types():
    data = bytearray(_bytes("(module (table 1 funcref) (type $t (func)) "
                            "(func (call_indirect (type $t) (i32.const 0))))"))
    i = data.index(b"\x11\x00\x00")  # call_indirect type 0, table 0
    padded = bytes(data[:i + 2]) + b"\x80\x80\x80\x80\x00" + bytes(data[i + 3:])
    # fix the code body and section sizes (+4 bytes)
    body_size_at = padded.rindex(b"\x0a") + 2
    patched = bytearray(padded)
    patched[body_size_at - 1] += 4
    patched[body_size_at + 1] += 4
    module = read_module(bytes(patched))
    assert "reference-types" in detect_features(module)


def test_target_features_disagreement_reported():
    from compatcheck.wasm.features import target_features_mismatch
    data = _bytes('(module (@custom "target_features" "\\01\\2b\\07simd128") '
                  '(func (drop (i32.extend8_s (i32.const 1)))))')
    module = read_module(data)
    notes = target_features_mismatch(module, detect_features(module))
    assert any("sign-extension" in n and "does not declare" in n for n in notes)
    assert any("simd" in n and "does not use" in n for n in notes)
