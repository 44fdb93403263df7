"""Artifacts: .wasm.gz, OCI layouts, OCI and docker-save archives; each consumer's decision on
every image variant, with the line of its source that decides."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from conftest import SAMPLES
from oci_images import docker_save, tar_of, write_index, write_variant

from compatcheck.artifacts import ArtifactError, is_artifact_arg, load_artifact
from compatcheck.artifacts.consumers import fetcher_for, fetchers
from compatcheck.artifacts.decide import decide

MODULE = (SAMPLES / "prime-authorizer.wasm").read_bytes()
ALL = frozenset(f.id for f in fetchers())
OCI_FETCHERS = ALL - {"istio-1.9"}
LAST_LAYER = OCI_FETCHERS - {"istio-1.12", "istio-1.14"}
# variant -> (consumers that accept it, the rule of the source line that decides for the others)
EXPECTED = {
    "compat-oci": (OCI_FETCHERS, None),
    "compat-oci-2-layers": (LAST_LAYER, "compat_layers"),
    "compat-oci-uncompressed": (frozenset(), "compat_media_type"),
    "compat-oci-no-plugin-wasm": (frozenset(), "plugin_file"),
    "oci-variant": (OCI_FETCHERS, None),
    "oci-single-wasm-layer": (frozenset(), "oci_layers"),
    "oci-3-layers": (frozenset(), "oci_layers"),
    "wasm-to-oci": (frozenset(), "oci_layers"),
    "docker-manifest-oci-layer": (frozenset(), "docker_media_type"),
}


@pytest.mark.parametrize("variant", sorted(EXPECTED))
def test_consumer_decisions_per_variant(tmp_path, variant):
    art = load_artifact(str(write_variant(tmp_path / variant, variant, MODULE)), 1 << 28)
    assert art.module == MODULE, "compatcheck finds the module whatever the consumers think"
    accepting, rule = EXPECTED[variant]
    for f in fetchers():
        d = decide(art.image, f)
        assert d.accepted == (f.id in accepting), (f.id, d.message)
        assert d.cite.startswith(f.source("oci") if f.id == "istio-1.9" else "")
        if d.accepted:
            assert d.module == MODULE
        elif f.id != "istio-1.9":
            assert d.cite == f.source(rule) or (variant == "compat-oci-2-layers"), (f.id, d.cite)
            assert "@" in d.cite and d.cite.rsplit(":", 1)[1].isdigit()


def test_docker_manifest_layer_rules(tmp_path):
    """A Docker v2 manifest: exactly one layer before Istio 1.16 (and in Higress 1.x), the
    last layer from then on."""
    lay = write_variant(tmp_path / "d", "docker-manifest-oci-layer", MODULE)
    art = load_artifact(str(lay), 1 << 28)
    d = decide(art.image, fetcher_for("istio", "1.14.3"))
    assert not d.accepted and "invalid media type application/vnd.oci.image.layer.v1.tar+gzip" in d.message
    assert d.message.startswith("could not extract Wasm file from the image as Docker container")
    saved = load_artifact(str(docker_save(tmp_path / "s.tar", MODULE, layers=2)), 1 << 28)
    assert saved.kind == "docker archive" and saved.image.digest is None
    verdicts = {f.id: decide(saved.image, f).accepted for f in fetchers()}
    assert verdicts == {"istio-1.9": False, "istio-1.12": False, "istio-1.14": False,
                        "istio-1.16": True, "istio-1.30": True, "envoy-gateway-1.1": True,
                        "envoy-gateway-1.9": True, "higress-1.0": False, "higress-2.0": True,
                        "higress-2.1": True}
    assert "number of layers must be 1 but got 2" in decide(saved.image, fetchers()[1]).message


def test_index_resolves_to_linux_amd64(tmp_path):
    good = load_artifact(str(write_index(tmp_path / "a", MODULE, {"os": "linux", "architecture": "amd64"})), 1 << 28)
    assert good.image.index_digest and good.image.index_problem is None
    assert decide(good.image, fetcher_for("istio", "1.20.0")).accepted
    bad = load_artifact(str(write_index(tmp_path / "b", MODULE, {"os": "wasip1", "architecture": "wasm"})), 1 << 28)
    assert bad.module == MODULE
    d = decide(bad.image, fetcher_for("istio", "1.20.0"))
    assert not d.accepted and "no child with platform linux/amd64" in d.message
    assert "go-containerregistry" in d.cite


def test_size_limits(tmp_path):
    """Istio 1.30 cuts the oci variant's Wasm layer at its limit without an error (the proxy
    gets a truncated module: refused as not Wasm only if the header is cut); Envoy Gateway
    1.9 refuses it."""
    from compatcheck.artifacts.consumers import Fetcher
    art = load_artifact(str(write_variant(tmp_path / "o", "oci-variant", MODULE)), 1 << 28)
    small = {"istio-1.30": 100, "envoy-gateway-1.9": 100}
    for f in fetchers():
        if f.id in small:
            limited = Fetcher(**{k: getattr(f, k) for k in f._fields if k != "oci_limit"},
                              oci_limit=small[f.id])
            d = decide(art.image, limited)
            if f.oci_limit_mode == "truncate":
                assert d.accepted and len(d.module) == 100
            else:
                assert not d.accepted and "exceeds maximum size 100" in d.message


def test_gzip_module_and_arg_sniffing(tmp_path):
    gz = tmp_path / "filter.wasm.gz"
    gz.write_bytes(gzip.compress(MODULE))
    assert is_artifact_arg(str(gz)) and not is_artifact_arg(str(SAMPLES / "prime-authorizer.wasm"))
    art = load_artifact(str(gz), 1 << 28)
    assert art.kind == "gzip" and art.module == MODULE
    tgz = tmp_path / "filter.tar.gz"
    tgz.write_bytes(gzip.compress(tar_of({"x/filter.wasm": MODULE})))
    with pytest.raises(ArtifactError, match="neither an OCI image layout"):
        load_artifact(str(tgz), 1 << 28)


def test_layout_with_several_tags_needs_one(tmp_path):
    from oci_images import Layout, targz_of, OCI_LAYER_GZIP
    lay = Layout(tmp_path / "l")
    for tag in ("v1", "v2"):
        lay.tag(lay.image([(OCI_LAYER_GZIP, targz_of({"plugin.wasm": MODULE}))]), tag)
    with pytest.raises(ArtifactError, match="lists 2 images; name one with PATH:TAG"):
        load_artifact(str(tmp_path / "l"), 1 << 28)
    assert load_artifact(f"{tmp_path / 'l'}:v2", 1 << 28).module == MODULE
    assert load_artifact(f"oci:{tmp_path / 'l'}:v1", 1 << 28).module == MODULE


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_cli_checks_layouts_and_archives(tmp_path):
    lay = write_variant(tmp_path / "img", "compat-oci-2-layers", MODULE)
    r = _cli("check", str(lay), "-t", "istio==1.14.0", "-t", "istio==1.16.0")
    assert r.returncode == 1, r.stderr
    assert "CC901 image-refused" in r.stdout and "number of layers must be 1 but got 2" in r.stdout
    assert "on: istio 1.14.0–1.14.5" in r.stdout
    assert "digest" in r.stdout.splitlines()[0]  # the artifact line: manifest digest, module sha256
    r = _cli("check", str(lay), "-t", "istio==1.16.0", "--format", "json")
    assert r.returncode == 0, r.stdout
    doc = json.loads(r.stdout)
    info = [f for f in doc["modules"][0]["results"][0]["findings"] if f["code"] == "CC900"]
    assert info and "module sha256" in info[0]["message"]


@pytest.mark.parametrize("content", [
    b"\x1f\x8b\x08\x00garbage",  # gzip that breaks off
    tar_of({"oci-layout": b"{}", "index.json": b"{"})[:700],  # a tar that breaks off
    tar_of({"oci-layout": b"{}", "index.json": b"{"}),  # a layout whose index is not JSON
])
def test_corrupt_archive_is_one_line_exit_2(tmp_path, content):
    bad = tmp_path / "image.tar"
    bad.write_bytes(content)
    r = _cli("check", str(bad), "-t", "istio==1.20.0")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith(f"{bad}: error: ")
