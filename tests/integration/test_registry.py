"""A real registry on loopback (Debian's docker-registry, the CNCF distribution server), images
pushed in every variant with a real client (skopeo), pulled and checked by compatcheck."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import SAMPLES
from oci_images import (Registry, docker_save, have_registry_tools, variants, write_index,
                        write_variant)

from compatcheck.artifacts import ArtifactError, load_artifact
from compatcheck.artifacts.consumers import fetchers
from compatcheck.artifacts.decide import decide

MODULE = (SAMPLES / "prime-authorizer.wasm").read_bytes()
# pushed with skopeo (docker-* with --format v2s2); the hand-made Docker manifest with an OCI
# layer type is no client's output and stays a layout test (test_artifacts.py)
PUSHED = [v for v, spec in variants(MODULE).items() if spec.get("push_format", "") is not None]


def _need_tools():
    why = have_registry_tools()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    _need_tools()
    reg = Registry(tmp_path_factory.mktemp("registry"))
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory):
    """variant -> (oci:// reference, the layout it was pushed from)."""
    tmp = tmp_path_factory.mktemp("layouts")
    out = {}
    for name in PUSHED:
        lay = write_variant(tmp / name, name, MODULE)
        fmt = variants(MODULE)[name].get("push_format")
        out[name] = (registry.push(lay, "v1", f"wasm/{name}", fmt=fmt), lay)
    return out


def _verdicts(image) -> dict[str, bool]:
    return {f.id: decide(image, f).accepted for f in fetchers()}


@pytest.mark.parametrize("variant", PUSHED)
def test_pulled_image_decisions(pushed, variant):
    ref, lay = pushed[variant]
    remote = load_artifact(ref, 1 << 28)
    local = load_artifact(str(lay), 1 << 28)
    assert remote.module == MODULE and remote.kind == "registry"
    if variant.startswith("docker-"):
        assert remote.image.media_type == "application/vnd.docker.distribution.manifest.v2+json"
        assert all(lay_.media_type.startswith("application/vnd.docker.image.rootfs")
                   for lay_ in remote.image.layers)
    elif variant == "compat-oci-uncompressed":
        # skopeo compresses a tar layer on the way to a registry: another image, another digest
        assert remote.image.digest != local.image.digest
        assert [x.media_type for x in remote.image.layers] == ["application/vnd.oci.image.layer.v1.tar+gzip"]
    else:  # the registry serves the manifest skopeo read from the layout, byte for byte
        assert remote.image.digest == local.image.digest
        assert _verdicts(remote.image) == _verdicts(local.image)
    expected_ok = {
        "compat-oci": True, "compat-oci-2-layers": None, "compat-oci-uncompressed": True,
        "compat-oci-no-plugin-wasm": False, "oci-variant": True, "oci-single-wasm-layer": False,
        "oci-3-layers": False, "wasm-to-oci": False, "docker-1-layer": True, "docker-2-layers": None,
    }[variant]
    verdicts = _verdicts(remote.image)
    if expected_ok is not None:
        assert {k: v for k, v in verdicts.items() if k != "istio-1.9"} == \
            {k: expected_ok for k in verdicts if k != "istio-1.9"}
    else:  # more than one layer: refused where one layer is required
        assert not verdicts["istio-1.12"] and not verdicts["istio-1.14"] and verdicts["istio-1.16"]


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], capture_output=True,
                          text=True, timeout=180, env=env)


def test_cli_on_registry_refs(pushed):
    ref = pushed["oci-single-wasm-layer"][0]
    r = _cli("check", ref, "-t", "istio==1.20.0")
    assert r.returncode == 1
    assert "CC901 image-refused" in r.stdout
    assert "could not parse as oci variant: number of layers must be 2 but got 1" in r.stdout
    ok = pushed["compat-oci"][0]
    r = _cli("check", ok, "-t", "istio==1.20.0", "-t", "istio==1.12.0")
    assert r.returncode == 0, r.stdout
    assert "digest" in r.stdout.splitlines()[0]


def test_docker_save_archive_pushed(registry, tmp_path):
    archive = docker_save(tmp_path / "saved.tar", MODULE, layers=2)
    ref = registry.push(archive, "v1", "wasm/saved")
    remote = load_artifact(ref, 1 << 28)
    local = load_artifact(str(archive), 1 << 28)
    assert remote.image.media_type == local.image.media_type  # read as `docker push` sends it
    assert _verdicts(remote.image) == _verdicts(local.image)


def test_index_pushed(registry, tmp_path):
    lay = write_index(tmp_path / "idx", MODULE, {"os": "wasip1", "architecture": "wasm"})
    subprocess.run(["skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false",
                    f"oci:{lay}:v1", f"docker://{registry.host}/wasm/index:v1"], check=True,
                   capture_output=True, timeout=120)
    art = load_artifact(f"oci://{registry.host}/wasm/index:v1", 1 << 28)
    assert art.image.index_digest and art.module == MODULE
    d = decide(art.image, fetchers()[3])
    assert not d.accepted and "no child with platform linux/amd64" in d.message


WASMPLUGIN = """\
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {{name: prime}}
spec:
  url: {url}
  sha256: "{sha}"
  pluginName: prime_authorizer
"""


def test_wasmplugin_against_registry(pushed, tmp_path):
    ref, _ = pushed["compat-oci"]
    digest = load_artifact(ref, 1 << 28).image.digest_hex
    for sha, bad in ((digest, False), ("0" * 64, True)):
        path = tmp_path / "wp.yaml"
        path.write_text(WASMPLUGIN.format(url=ref, sha=sha))
        r = _cli("check", "--manifest", str(path), "-t", "istio==1.20.0", "--format", "json")
        codes = {f["code"] for m in json.loads(r.stdout)["modules"] for t in m["results"]
                 for f in t["findings"]}
        assert ("CC902" in codes) == bad, codes
        assert r.returncode == (1 if bad else 0)


def test_authenticated_registry_uses_docker_config(tmp_path):
    _need_tools()
    crypt = pytest.importorskip("crypt", reason="bcrypt hashes for htpasswd need the crypt module")
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"dev:{crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    reg = Registry(tmp_path, htpasswd=htpasswd)
    try:
        lay = write_variant(tmp_path / "img", "compat-oci", MODULE)
        ref = reg.push(lay, "v1", "wasm/private", creds="dev:s3cret")
        env = dict(os.environ, DOCKER_CONFIG=str(tmp_path / "none"), HOME=str(tmp_path / "home"))
        r = _cli("check", ref, "-t", "istio==1.20.0", env=env)
        assert r.returncode == 2 and "authentication" in r.stderr and "Traceback" not in r.stderr
        conf = tmp_path / "docker"
        conf.mkdir()
        auth = base64.b64encode(b"dev:s3cret").decode()
        (conf / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": auth}}}))
        r = _cli("check", ref, "-t", "istio==1.20.0", env=dict(env, DOCKER_CONFIG=str(conf)))
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        reg.stop()


def test_unreachable_registry_is_one_line(registry):
    from oci_images import free_port
    port = free_port()
    start = time.monotonic()
    with pytest.raises(ArtifactError, match="cannot reach registry"):
        load_artifact(f"oci://127.0.0.1:{port}/wasm/x:v1", 1 << 28)
    r = _cli("check", f"oci://127.0.0.1:{port}/wasm/x:v1")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert f"oci://127.0.0.1:{port}/wasm/x:v1: error: cannot reach registry" in r.stderr
    assert time.monotonic() - start < 30
    r = _cli("check", f"oci://{registry.host}/wasm/missing:v9")
    assert r.returncode == 2 and "HTTP 404" in r.stderr
