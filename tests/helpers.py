"""Building crafted modules for tests."""

from __future__ import annotations

import re
from pathlib import Path

import wasmtime
import yaml

from compatcheck.abi import get_specs
from compatcheck.checks import check_module
from compatcheck.wasm import read_module

BASE_EXPORTS = '''
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 1024))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_context_create") (param i32 i32))
'''

# A Higress wasm-go plugin's shape: the 0.2.100 marker only (higress-group/proxy-wasm-go-sdk).
HIGRESS_EXPORTS = BASE_EXPORTS.replace("proxy_abi_version_0_2_1", "proxy_abi_version_0_2_100")

# Kong calls these on every request whether exported or not (callbacks.always_called: a module
# without them crashes the worker, CC404), so a module meant to load on Kong exports them
KONG_LATER_CALLBACKS = '(func (export "proxy_on_response_headers") (param i32 i32 i32) ' \
    '(result i32) (i32.const 0)) (func (export "proxy_on_log") (param i32)) ' \
    '(func (export "proxy_on_delete") (param i32)) ' \
    '(func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))'
KONG_HTTP = '(func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ' \
    '(i32.const 0))' + KONG_LATER_CALLBACKS


def wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


def module(body: str = "", base: bool = True):
    return read_module(wat(f"(module {body} {BASE_EXPORTS if base else ''})"))


def host(build_id: str):
    spec = get_specs().by_id(build_id)
    assert spec is not None, build_id
    return spec


def findings(body: str, build_id: str, base: bool = True):
    return check_module(module(body, base), host(build_id))


def codes(result, severities=("crash", "error", "warning")) -> list[str]:
    return [f.code for f in result.findings if f.severity in severities]


# An in-house build for --spec-dir tests: a product of its own on a shipped profile and runtime.
GOOD_BUILD = '''
[[build]]
id = "acme-envoy-1.36"
product = "acme-envoy"
first = "1.36.0"
profile = "cpp-host-c4d7bb0f"
runtime = "v8-13.8.258.26"
sources = ["probed from acme-envoy 1.36.0"]
'''


# Rust >= 1.82 emits call_indirect with its table index as a padded LEB (0x80 0x00): a
# reference-types encoding. Hand-assembled: (func (call_indirect (type 0) (i32.const 0))).
def padded_call_indirect() -> bytes:
    base = bytes(wasmtime.wat2wasm(
        '(module (type $v (func)) (table 1 funcref) (memory (export "memory") 1)'
        ' (func (export "proxy_abi_version_0_2_1"))'
        ' (func (export "malloc") (param i32) (result i32) (i32.const 1024))'
        ' (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))'
        ' (func $f (call_indirect (type $v) (i32.const 0))))'))
    plain = bytes([0x41, 0x00, 0x11, 0x00, 0x00, 0x0B])  # i32.const 0; call_indirect 0 0; end
    padded = bytes([0x41, 0x00, 0x11, 0x00, 0x80, 0x00, 0x0B])
    at = base.rindex(plain)
    body_size_at = at - 2  # locals count 0 before the body, body size before that
    assert base[body_size_at] == len(plain) + 1 and base[body_size_at + 1] == 0
    out = bytearray(base[:at] + padded + base[at + len(plain):])
    out[body_size_at] += 1
    # the code section size grows by one byte too
    code = bytes(out).rindex(b"\x0a", 0, body_size_at)
    out[code + 1] += 1
    return bytes(out)


def readme_snippet() -> str:
    """The first YAML block of the README's "pre-commit" section, as a user copies it."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n### pre-commit\n"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    match = re.search(r"^```yaml\n(.*?)^```$", section, re.M | re.S)
    assert match, "no yaml block in the README's pre-commit section"
    return match.group(1)


def readme_hook() -> dict:
    config = yaml.safe_load(readme_snippet())
    (repo,) = config["repos"]
    return repo


# The seed's envoy.yaml (static listener, envoy.filters.http.wasm, a local code file), for the
# manifest tests: fill in config_type, runtime and code ("filename: PATH").
SEED_ENVOY_YAML = """\
static_resources:
  listeners:
  - name: main
    address:
      socket_address: {{ address: 127.0.0.1, port_value: 10000 }}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          route_config:
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes:
              - match: {{ prefix: "/" }}
                direct_response: {{ status: 200 }}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: prime_authorizer
                root_id: prime_authorizer
                configuration:
                  "@type": {config_type}
                  value: '{{"header": "token"}}'
                vm_config:
                  runtime: {runtime}
                  code:
                    local:
                      {code}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
"""
SEED_RUNTIME_LINE, SEED_CODE_LINE, SEED_CONFIG_LINE = 30, 33, 26
