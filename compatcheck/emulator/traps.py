"""A failed call in the host's words: V8's trap text and cpp-host's backtrace.

cpp-host (proxy-wasm/proxy-wasm-cpp-host@f2db56af443571e92a31c0b877106d9ea96e19ef: src/v8/v8.cc
V8::getFailMessage) prints "Function: <export> failed: <V8 message>" and, when the module has
any function names (BytecodeUtil::getFunctionNameIndex reads the name section), a backtrace:
"Proxy-Wasm plugin in-VM backtrace:" then one line per frame, `{index:>3}:  0x{module offset:x} -
{name}` or `unknown(function index:{i})`. V8 reports Wasm traps as "Uncaught RuntimeError: <text>"
with the texts of src/common/message-template.h (v8/v8@0a69768a4e1bb6e809e01bc9d6c18151b9d671be,
and the same wording for the traps listed here in the V8 13.x/14.x the wheels run); a stack
overflow is a RangeError. wasmtime reports the same traps with its own codes, mapped here.
"""

from __future__ import annotations

# wasmtime TrapCode name -> V8 message (Uncaught RuntimeError: ...)
_V8_TEXT = {
    "UNREACHABLE": "unreachable",
    "MEMORY_OUT_OF_BOUNDS": "memory access out of bounds",
    "HEAP_MISALIGNED": "operation does not support unaligned accesses",
    "INTEGER_OVERFLOW": "divide result unrepresentable",
    "BAD_CONVERSION_TO_INTEGER": "float unrepresentable in integer range",
    "TABLE_OUT_OF_BOUNDS": "table index is out of bounds",
    "INDIRECT_CALL_TO_NULL": "null function or function signature mismatch",
    "BAD_SIGNATURE": "null function or function signature mismatch",
    "NULL_REFERENCE": "dereferencing a null pointer",
}
_REM_OPCODES = {0x6F, 0x70, 0x81, 0x82}  # i32.rem_s/u, i64.rem_s/u; the div ones say "divide"
FUEL_TEXT = "all fuel consumed"


class HostTrap(Exception):
    """A trap the host raises from a host function (e.g. V8's restricted_callback)."""


def v8_text(exc, data: bytes, texts: dict | None = None) -> str:
    """The message V8 would give for this wasmtime trap (or the host's own trap); ``texts``:
    the build's runtime wording (runtimes.toml texts) where it is not V8's."""
    if isinstance(exc, HostTrap):
        return str(exc)
    code = getattr(getattr(exc, "trap_code", None), "name", None)
    if texts and code == "UNREACHABLE" and "unreachable" in texts:
        return texts["unreachable"]
    if code == "STACK_OVERFLOW":
        return "Uncaught RangeError: Maximum call stack size exceeded"
    if code == "INTEGER_DIVISION_BY_ZERO":
        frames = getattr(exc, "frames", None) or []
        offset = frames[0].module_offset if frames else None
        rem = offset is not None and offset < len(data) and data[offset] in _REM_OPCODES
        return "Uncaught RuntimeError: " + ("remainder by zero" if rem else "divide by zero")
    if code in _V8_TEXT:
        return "Uncaught RuntimeError: " + _V8_TEXT[code]
    return "Uncaught RuntimeError: " + _reason(str(getattr(exc, "message", exc)))


def _reason(text: str) -> str:
    """wasmtime puts the backtrace first and the reason after 'Caused by:'."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if line.startswith("Caused by:") and i + 1 < len(lines):
            return lines[i + 1].lstrip("0123456789: ")[:200]
    return (lines[-1] if lines else "trap")[:200]


def backtrace(exc, names: dict[int, str]) -> tuple[str, ...]:
    """cpp-host's frame lines; none when the module has no function names at all."""
    frames = getattr(exc, "frames", None) or []
    if not names:
        return ()
    out = []
    for i, f in enumerate(frames):
        name = names.get(f.func_index)
        label = name if name is not None else f"unknown(function index:{f.func_index})"
        out.append(f"{i:>3}:  0x{f.module_offset:x} - {label}")
    return tuple(out)


def fail_message(host_message, function: str, text: str, frames: tuple[str, ...]) -> str:
    """The line Envoy logs ("Wasm VM failed " stripped), from the spec's trap template."""
    message = host_message("trap", function=function, trap=text) or \
        f"Function: {function} failed: {text}"
    if frames:
        message += "\nProxy-Wasm plugin in-VM backtrace:\n" + "\n".join(frames)
    return message
