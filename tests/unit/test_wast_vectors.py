"""The official binary test vectors: malformed modules rejected with our error, others read."""

import pytest
import wasmtime

from compatcheck.wasm import FuncType, WasmFormatError, read_module
from conftest import TESTSUITE
from wast import modules

BINARY_FILES = ["binary.wast", "binary-leb128.wast", "custom.wast", "utf8-import-field.wast"]
TEXT_FILES = ["imports.wast", "exports.wast", "names.wast"]


def _cases(files, kind):
    out = []
    for f in files:
        path = TESTSUITE / f
        if not path.exists():
            continue
        for m in modules(path):
            if m.kind == kind:
                out.append(pytest.param(m, id=f"{f}:{m.line}"))
    return out


BINARY_CASES = _cases(BINARY_FILES, "binary")


def test_vectors_present(testsuite):
    assert len(BINARY_CASES) > 400  # the files really were parsed


@pytest.mark.parametrize("case", BINARY_CASES)
def test_binary_module(case):
    if case.assertion == "assert_malformed":
        with pytest.raises(WasmFormatError) as info:
            read_module(case.payload, decode_code=True)
        assert info.value.offset is not None
        assert 0 <= info.value.offset <= len(case.payload)
    else:
        module = read_module(case.payload, decode_code=True)
        assert module.size == len(case.payload)


def _wasmtime_type(t) -> str:
    if isinstance(t, wasmtime.FuncType):
        return str(FuncType(tuple(_val(p) for p in t.params), tuple(_val(r) for r in t.results)))
    if isinstance(t, wasmtime.GlobalType):
        return ("mut " if t.mutable else "") + _val(t.content)
    if isinstance(t, wasmtime.MemoryType):
        return f"memory min={t.limits.min}" + (f" max={t.limits.max}" if t.limits.max is not None else "")
    if isinstance(t, wasmtime.TableType):
        return f"table {_val(t.element)} min={t.limits.min}" + (
            f" max={t.limits.max}" if t.limits.max is not None else "")
    if isinstance(t, wasmtime.TagType):
        return "tag " + _wasmtime_type(t.functype)
    return type(t).__name__


def _val(v) -> str:
    return str(v)


def _ours(kind: str, t) -> str:
    if kind == "memory":
        return f"memory min={t.limits.minimum}" + (
            f" max={t.limits.maximum}" if t.limits.maximum is not None else "")
    if kind == "table":
        return f"table {t.element} min={t.limits.minimum}" + (
            f" max={t.limits.maximum}" if t.limits.maximum is not None else "")
    return str(t)


def _assemble(text: bytes):
    try:
        return wasmtime.wat2wasm(text.decode("utf-8"))
    except Exception:
        return None


TEXT_CASES = [c for c in _cases(TEXT_FILES, "text") if c.values[0].assertion is None]


def test_text_vectors_present(testsuite):
    assert len(TEXT_CASES) > 100


@pytest.mark.parametrize("case", TEXT_CASES)
def test_text_module_matches_wasmtime(case):
    binary = _assemble(case.payload)
    if binary is None:
        pytest.skip("does not assemble with wasmtime.wat2wasm")
    engine = wasmtime.Engine()
    try:
        theirs = wasmtime.Module(engine, binary)
    except wasmtime.WasmtimeError:
        pytest.skip("wasmtime rejects the module")
    ours = read_module(binary, decode_code=True)
    assert [(i.module, i.name, _ours(i.kind, i.type)) for i in ours.imports] == [
        (i.module, i.name, _wasmtime_type(i.type)) for i in theirs.imports]
    assert [(e.name, _ours(e.kind, e.type)) for e in ours.exports] == [
        (e.name, _wasmtime_type(e.type)) for e in theirs.exports]
