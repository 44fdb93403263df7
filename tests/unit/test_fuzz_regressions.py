"""Inputs the fuzzer once broke (tests/fuzz_regressions/), plus every seed it starts from."""

import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES, TESTSUITE
from wast import modules

sys.path.insert(0, str(ROOT / "fuzz"))
from harness import one_input  # noqa: E402

REGRESSIONS = sorted(p for p in (ROOT / "tests" / "fuzz_regressions").iterdir()
                     if p.is_file() and p.name != ".gitkeep")


def _seeds():
    out = [pytest.param(p.read_bytes(), id=f"regression:{p.name}") for p in REGRESSIONS]
    out += [pytest.param(p.read_bytes(), id=p.name) for p in sorted(SAMPLES.glob("*.wasm"))]
    for wast in sorted(Path(TESTSUITE).glob("*.wast")):
        for m in modules(wast):
            if m.kind == "binary":
                out.append(pytest.param(m.payload, id=f"{wast.name}:{m.line}"))
    return out


@pytest.mark.parametrize("data", _seeds())
def test_seed(data):
    one_input(data)
