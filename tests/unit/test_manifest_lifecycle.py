"""--manifest runs start and configure with the manifest's own configuration (issue 12 + 13)."""

import json
import subprocess
import sys

from test_run import MODERN, lifecycle_module

ENVOY_YAML = """static_resources:
  listeners:
  - name: main
    address: {{socket_address: {{address: 127.0.0.1, port_value: 10000}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: main
          route_config: {{virtual_hosts: [{{name: all, domains: ["*"], routes: [{{match: {{prefix: "/"}}, direct_response: {{status: 200}}}}]}}]}}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: needs_config
{configuration}                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  code: {{local: {{filename: {wasm}}}}}
"""
CONFIGURATION = """                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: '{"limit": 3}'
"""


def _check(tmp_path, configuration: str):
    wasm = tmp_path / "needs-config.wasm"
    wasm.write_bytes(lifecycle_module(configure="(i32.ne (local.get 1) (i32.const 0))"))
    manifest = tmp_path / "envoy.yaml"
    manifest.write_text(ENVOY_YAML.format(configuration=configuration, wasm=wasm))
    return subprocess.run([sys.executable, "-m", "compatcheck", "check", "--manifest",
                           str(manifest), "-t", MODERN, "--format", "json"],
                          capture_output=True, text=True, timeout=300), manifest


def test_a_plugin_without_its_configuration_is_refused_at_the_configuration(tmp_path):
    p, manifest = _check(tmp_path, "")
    assert p.returncode == 1, p.stderr
    findings = [f for m in json.loads(p.stdout)["modules"] for r in m["results"]
                for f in r["findings"]]
    cc511 = next(f for f in findings if f["code"] == "CC511")
    assert cc511["message"] == "Failed to configure base Wasm plugin"
    assert cc511["file"] == str(manifest)


def test_the_manifests_configuration_reaches_proxy_on_configure(tmp_path):
    p, _ = _check(tmp_path, CONFIGURATION)
    assert p.returncode == 0, p.stdout + p.stderr
