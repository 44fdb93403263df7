"""Mutated and truncated samples: the reader returns a Module or raises WasmFormatError, fast."""

import time

from hypothesis import HealthCheck, given, settings, strategies as st

from compatcheck.wasm import WasmFormatError, read_module
from compatcheck.wasm.features import detect_features
from conftest import SAMPLES

SEEDS = [p.read_bytes() for p in sorted(SAMPLES.glob("*.wasm"))]
PER_INPUT_SECONDS = 1.0


def _read_all_ways(data: bytes) -> None:
    t0 = time.perf_counter()
    try:
        m = read_module(data)
        detect_features(m)  # the full code scan
    except WasmFormatError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(data)
    assert time.perf_counter() - t0 < PER_INPUT_SECONDS


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0xFF, 0x0B, 0x60]))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 8))]
        else:
            del data[i:]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_escape(data):
    _read_all_ways(data)


def test_every_truncation_of_every_sample():
    for seed in SEEDS:
        for n in range(len(seed)):
            _read_all_ways(seed[:n])
