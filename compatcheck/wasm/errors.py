"""The one exception the Wasm reader raises."""

from __future__ import annotations


class WasmFormatError(Exception):
    """The bytes are not a WebAssembly core module we can read.

    ``kind`` tells callers what went wrong at the coarsest level:
    ``not-wasm`` (no ``\\0asm`` magic), ``component`` (a component-model binary),
    ``version`` (unknown core version), ``malformed`` (anything else).
    """

    def __init__(self, reason: str, offset: int | None = None, kind: str = "malformed"):
        self.reason = reason
        self.offset = offset
        self.kind = kind
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.offset is None:
            return self.reason
        return f"{self.reason} (at byte offset {self.offset})"
