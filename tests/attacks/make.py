"""Rebuild the attack modules kept as regression inputs (python tests/attacks/make.py).

Each once took the machine with it or hid a finding when smoke mode ran it (issue 10):
  shared-4g        a shared memory whose _initialize grows it to 4 GiB
  eight-memories   eight memories, each grown by 750 MiB (6 GiB in all)
  many-functions   250,000 functions (compiling it took minutes and gigabytes)
  endless-start    _initialize loops forever before a forbidden call
"""

from pathlib import Path

import wasmtime

HERE = Path(__file__).resolve().parent


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + _leb(len(body)) + body


def many_functions(count: int = 250_000) -> bytes:
    types = _section(1, b"\x01\x60\x00\x00")  # one type: () -> ()
    funcs = _section(3, _leb(count) + b"\x00" * count)
    name = b"_initialize"
    exports = _section(7, b"\x01" + _leb(len(name)) + name + b"\x00\x00")
    code = _section(10, _leb(count) + b"\x02\x00\x0b" * count)  # empty bodies
    return b"\x00asm\x01\x00\x00\x00" + types + funcs + exports + code


ATTACKS = {
    "shared-4g": '(module (memory 1 65536 shared) (func (export "_initialize") '
                 '(drop (memory.grow (i32.const 65535)))))',
    "eight-memories": "(module " + " ".join("(memory 1)" for _ in range(8)) +
                      ' (func (export "_initialize") ' +
                      " ".join(f"(drop (memory.grow {i} (i32.const 12000)))" for i in range(8)) + "))",
    "endless-start": '(module (import "env" "proxy_get_property" (func $gp (param i32 i32 i32 i32) (result i32)))'
                     ' (func (export "_initialize") (loop $l (br $l))'
                     ' (drop (call $gp (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))))',
}


def main() -> None:
    for name, text in ATTACKS.items():
        (HERE / f"{name}.wasm").write_bytes(bytes(wasmtime.wat2wasm(text)))
    (HERE / "many-functions.wasm").write_bytes(many_functions())


if __name__ == "__main__":
    main()
