"""Builds the sample modules from their WAT sources (run: python samples/build.py).

The .wasm files are committed so the README works without this step; the tests rebuild them
and fail if a committed binary differs from its source.
"""

from __future__ import annotations

import sys
from pathlib import Path

import wasmtime

HERE = Path(__file__).resolve().parent


def build_all() -> dict[str, bytes]:
    out = {}
    for wat in sorted(HERE.glob("*.wat")):
        out[wat.stem + ".wasm"] = bytes(wasmtime.wat2wasm(wat.read_text(encoding="utf-8")))
    # Malformed: the prime-authorizer cut off inside its code section.
    prime = out["prime-authorizer.wasm"]
    out["broken-truncated.wasm"] = prime[: len(prime) * 2 // 3]
    # A WebAssembly component (component model, layer 1) instead of a core module.
    out["component.wasm"] = b"\0asm\x0d\x00\x01\x00"
    return out


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for name, data in build_all().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(HERE.parent)} ({len(data)} bytes)")
    if stale:
        print("stale samples (run python samples/build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
