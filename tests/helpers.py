"""Building crafted modules for tests."""

from __future__ import annotations

import wasmtime

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
