"""--manifest runs start and configure with the manifest's own configuration (issue 12 + 13)."""

import json
import subprocess
import sys

from helpers import SEED_ENVOY_YAML
from test_run import MODERN, lifecycle_module

STRING_VALUE = "type.googleapis.com/google.protobuf.StringValue"


def _check(tmp_path, with_configuration: bool):
    wasm = tmp_path / "needs-config.wasm"
    wasm.write_bytes(lifecycle_module(configure="(i32.ne (local.get 1) (i32.const 0))"))
    text = SEED_ENVOY_YAML.format(config_type=STRING_VALUE, runtime="envoy.wasm.runtime.v8",
                                  code=f"filename: {wasm}")
    if not with_configuration:  # the configuration block: its three lines
        lines = text.splitlines(keepends=True)
        at = next(i for i, ln in enumerate(lines) if ln.strip() == "configuration:")
        text = "".join(lines[:at] + lines[at + 3:])
    manifest = tmp_path / "envoy.yaml"
    manifest.write_text(text)
    return subprocess.run([sys.executable, "-m", "compatcheck", "check", "--manifest",
                           str(manifest), "-t", MODERN, "--format", "json"],
                          capture_output=True, text=True, timeout=300), manifest


def test_a_plugin_without_its_configuration_is_refused_at_the_configuration(tmp_path):
    p, manifest = _check(tmp_path, with_configuration=False)
    assert p.returncode == 1, p.stderr
    findings = [f for m in json.loads(p.stdout)["modules"] for r in m["results"]
                for f in r["findings"]]
    cc511 = next(f for f in findings if f["code"] == "CC511")
    assert cc511["message"] == "Failed to configure base Wasm plugin"
    assert cc511["file"] == str(manifest)


def test_the_manifests_configuration_reaches_proxy_on_configure(tmp_path):
    p, _ = _check(tmp_path, with_configuration=True)
    assert p.returncode == 0, p.stdout + p.stderr
