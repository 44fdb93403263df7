"""The fuzz target: bytes through the reader, the feature scanner and the checker.

Anything but WasmFormatError escaping, a hang or runaway memory is a bug. Used by atheris
(fuzz/run.py) and by the regression test over tests/fuzz_regressions/.
"""

from __future__ import annotations

from compatcheck.abi import get_specs
from compatcheck.runner import check_bytes
from compatcheck.wasm import WasmFormatError, read_module
from compatcheck.wasm.features import detect_features

_HOSTS = None


def one_input(data: bytes) -> None:
    global _HOSTS
    if _HOSTS is None:
        _HOSTS = list(get_specs().builds)
    try:
        module = read_module(data)
    except WasmFormatError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(data), exc
        return
    try:
        detect_features(module)
    except WasmFormatError:
        pass
    # Smoke runs execute the module in wasmtime: not our code, and slow; covered elsewhere.
    report = check_bytes("fuzz.wasm", data, _HOSTS, full_validation=False, smoke=False)
    assert len(report.results) == len(_HOSTS)
    for result in report.results:
        result.json()
