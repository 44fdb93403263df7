"""The Wasm reader on crafted and real modules: structure, names, errors with offsets."""

import time

import pytest

from compatcheck.wasm import FuncType, WasmFormatError, read_module
from compatcheck.wasm.features import detect_features
from helpers import wat


def test_model_of_a_small_module():
    m = read_module(wat('''(module
      (@producers (language "Rust" "") (processed-by "rustc" "1.80.0"))
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "env" "mem" (memory 1 2 shared))
      (import "env" "tbl" (table 3 funcref))
      (import "env" "g" (global (mut i64)))
      (func $f (export "f") (param i64) (result i32 i32) i32.const 1 i32.const 2)
      (global (export "c") i32 (i32.const 7))
      (start $f2)
      (func $f2))'''))
    assert [(i.module, i.name, i.kind) for i in m.imports] == [
        ("env", "proxy_log", "func"), ("env", "mem", "memory"), ("env", "tbl", "table"),
        ("env", "g", "global")]
    assert m.imports[0].type == FuncType(("i32", "i32", "i32"), ("i32",))
    mem = m.imports[1].type.limits
    assert (mem.minimum, mem.maximum, mem.shared, mem.is64) == (1, 2, True, False)
    assert str(m.imports[3].type) == "mut i64"
    f = m.export("f")
    assert f.kind == "func" and f.type == FuncType(("i64",), ("i32", "i32"))
    assert m.export("c").kind == "global"
    assert m.start == 2  # one imported function comes first
    assert m.function_names[1] == "f"
    assert m.producers["language"] == (("Rust", ""),)
    assert [s.name for s in m.sections if s.id != 0] == [
        "type", "import", "function", "global", "export", "start", "code"]
    # sections are contiguous and inside the file
    for s in m.sections:
        assert s.payload_offset + s.size <= m.size


def test_code_bodies_are_located_not_decoded():
    m = read_module(wat("(module (func $a) (func $b (drop (i32.const 1))))"))
    assert [b.function_index for b in m.code] == [0, 1]
    assert all(m.data[b.offset + b.size - 1] == 0x0B for b in m.code)


def test_lazy_read_accepts_bad_body_full_read_rejects():
    good = wat("(module (func nop))")
    i = good.rindex(b"\x01\x0b")  # nop end
    bad = good[:i] + b"\xff" + good[i + 1:]  # illegal opcode
    read_module(bad)
    with pytest.raises(WasmFormatError) as info:
        read_module(bad, decode_code=True)
    assert info.value.offset == i
    assert "illegal opcode" in info.value.reason


@pytest.mark.parametrize("data, kind, offset", [
    (b"", "not-wasm", 0),
    (b"hello", "not-wasm", 0),
    (b"\0as", "not-wasm", 3),
    (b"\0asm\x01\x00", "malformed", 6),
    (b"\0asm\x02\x00\x00\x00", "version", 4),
    (b"\0asm\x0d\x00\x01\x00", "component", 4),
])
def test_header_errors(data, kind, offset):
    with pytest.raises(WasmFormatError) as info:
        read_module(data)
    assert info.value.kind == kind
    assert info.value.offset == offset


def test_huge_counts_are_checked_before_allocating():
    # type section claiming 2^32-1 entries in 6 bytes: refused at once, nothing allocated
    data = b"\0asm\x01\x00\x00\x00" + b"\x01\x05\xff\xff\xff\xff\x0f"
    t0 = time.perf_counter()
    with pytest.raises(WasmFormatError) as info:
        read_module(data)
    assert time.perf_counter() - t0 < 0.1
    assert "length out of bounds" in info.value.reason
    assert info.value.offset == 10


def test_name_must_be_utf8_with_offset():
    data = bytearray(wat('(module (import "env" "ab" (func)))'))
    i = data.index(b"ab")
    data[i] = 0xFF
    with pytest.raises(WasmFormatError) as info:
        read_module(bytes(data))
    assert info.value.reason == "malformed UTF-8 encoding"
    assert info.value.offset == i


def test_malformed_name_section_is_a_note_not_an_error():
    data = wat("(module (func $f))")
    i = data.index(b"\x04name")
    broken = data[:i + 5] + b"\x01\x7f" + data[i + 7:]  # subsection size overruns
    m = read_module(broken)
    assert any("name" in n for n in m.all_notes)
    assert m.function_names == {}


def test_target_features_section():
    m = read_module(wat('(module (@custom "target_features" "\\02\\2b\\0bbulk-memory\\2d\\07simd128"))'))
    assert m.target_features == (("+", "bulk-memory"), ("-", "simd128"))


@pytest.mark.parametrize("body, feature", [
    ("(func (result i32 i32) (i32.const 1) (i32.const 2))", "multi-value"),
    ("(func (drop (i32.extend8_s (i32.const 1))))", "sign-extension"),
    ("(memory 1) (func (memory.copy (i32.const 0) (i32.const 0) (i32.const 0)))", "bulk-memory"),
    ("(func (drop (ref.null extern)))", "reference-types"),
    ("(func (drop (v128.const i32x4 0 0 0 0)))", "simd"),
    ("(func (return_call 0))", "tail-call"),
    ("(memory i64 1)", "memory64"),
    ("(memory 1 1 shared) (func (drop (i32.atomic.load (i32.const 0))))", "threads"),
    ("(func (drop (i32.trunc_sat_f32_s (f32.const 0))))", "saturating-float-to-int"),
    ("(type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1))))", "gc"),
])
def test_feature_detection(body, feature):
    m = read_module(wat(f"(module {body})"))
    found = detect_features(m)
    assert feature in found
    use = found[feature]
    assert 0 < use.offset < m.size


def test_mvp_module_uses_no_proposal():
    m = read_module(wat("(module (memory 1) (func (param i32) (result i32) "
                        "(i32.add (local.get 0) (i32.load (i32.const 0)))))"))
    assert detect_features(m) == {}
