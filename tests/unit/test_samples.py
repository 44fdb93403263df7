"""Committed sample binaries match their WAT sources; each demonstrates what the README says."""

import subprocess
import sys

from compatcheck.toolchain import detect
from compatcheck.wasm import read_module
from conftest import SAMPLES


def test_samples_are_fresh():
    r = subprocess.run([sys.executable, str(SAMPLES / "build.py"), "--check"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_prime_authorizer_surface_is_sdk_0_1_0():
    m = read_module((SAMPLES / "prime-authorizer.wasm").read_bytes())
    assert len(m.imports) == 26 and {i.module for i in m.imports} == {"env"}
    names = {e.name for e in m.exports}
    assert {"proxy_abi_version_0_1_0", "malloc", "_start", "memory"} <= names
    assert "free" not in names and "proxy_on_memory_allocate" not in names
    assert sum(1 for n in names if n.startswith("proxy_on_")) == 20
    assert str(m.export("proxy_on_request_headers").type) == "(i32, i32) -> (i32)"


def test_toolchain_guesses():
    guess = lambda name: detect(read_module((SAMPLES / name).read_bytes()))[0].name  # noqa: E731
    assert guess("prime-authorizer.wasm").startswith("Rust")
    assert guess("tinygo-wasi.wasm").startswith("TinyGo")
    assert guess("assemblyscript-abi-0.2.0.wasm").startswith("AssemblyScript")
    assert guess("emscripten-cpp.wasm").startswith("C++ (Emscripten")
