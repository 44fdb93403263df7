"""Bounded reading of the primitive encodings (LEB128, bytes, names)."""

from __future__ import annotations

from .errors import WasmFormatError


class Cursor:
    """Reads primitives from ``data[pos:end]``; never reads past ``end``.

    Every error carries the absolute byte offset where it occurred.
    """

    __slots__ = ("data", "pos", "end", "eof_reason")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None,
                 eof_reason: str = "unexpected end"):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.eof_reason = eof_reason

    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def fail(self, reason: str, offset: int | None = None) -> WasmFormatError:
        return WasmFormatError(reason, self.pos if offset is None else offset)

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise WasmFormatError(self.eof_reason, pos)
        self.pos = pos + 1
        return self.data[pos]

    def peek(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError(self.eof_reason, self.pos)
        return self.data[self.pos]

    def bytes(self, n: int) -> bytes:
        pos = self.pos
        if n < 0 or n > self.end - pos:
            raise WasmFormatError(self.eof_reason if n >= 0 else "length out of bounds", pos)
        self.pos = pos + n
        return self.data[pos:pos + n]

    def skip(self, n: int) -> None:
        if n > self.end - self.pos:
            raise WasmFormatError(self.eof_reason, self.pos)
        self.pos += n

    def _unsigned(self, bits: int) -> int:
        data, pos, end = self.data, self.pos, self.end
        start = pos
        result = 0
        shift = 0
        max_bytes = (bits + 6) // 7
        while True:
            if pos >= end:
                raise WasmFormatError(self.eof_reason, pos)
            b = data[pos]
            pos += 1
            if shift + 7 >= bits and pos - start == max_bytes:
                # Last permitted byte: no continuation, no bits above ``bits``.
                if b & 0x80:
                    raise WasmFormatError("integer representation too long", start)
                if b >> (bits - shift):
                    raise WasmFormatError("integer too large", start)
                result |= b << shift
                break
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        self.pos = pos
        return result

    def _signed(self, bits: int) -> int:
        data, pos, end = self.data, self.pos, self.end
        start = pos
        result = 0
        shift = 0
        max_bytes = (bits + 6) // 7
        while True:
            if pos >= end:
                raise WasmFormatError(self.eof_reason, pos)
            b = data[pos]
            pos += 1
            if pos - start == max_bytes:
                if b & 0x80:
                    raise WasmFormatError("integer representation too long", start)
                # The unused high bits must all equal the sign bit.
                used = bits - shift  # bits of this byte that carry value (1..7)
                rest = b >> (used - 1)  # sign bit and the unused bits above it
                if rest not in (0, (0x7F >> (used - 1))):
                    raise WasmFormatError("integer too large", start)
                result |= (b & 0x7F) << shift
                shift += 7
                break
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        self.pos = pos
        if result & (1 << (shift - 1)):
            result -= 1 << shift
        return result

    def u32(self) -> int:
        # Fast path: a single byte.
        pos = self.pos
        if pos < self.end:
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
        return self._unsigned(32)

    def u64(self) -> int:
        return self._unsigned(64)

    def s32(self) -> int:
        return self._signed(32)

    def s33(self) -> int:
        return self._signed(33)

    def s64(self) -> int:
        return self._signed(64)

    def count(self, min_item_size: int = 1) -> int:
        """A vector length, checked against the bytes that remain before any allocation."""
        start = self.pos
        n = self.u32()
        if n * min_item_size > self.end - self.pos:
            raise WasmFormatError(f"length out of bounds: {n} items cannot fit in "
                                  f"{self.end - self.pos} remaining bytes", start)
        return n

    def name(self) -> str:
        start = self.pos
        n = self.u32()
        if n > self.end - self.pos:
            raise WasmFormatError("length out of bounds", start)
        raw = self.data[self.pos:self.pos + n]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WasmFormatError("malformed UTF-8 encoding", self.pos + exc.start) from None
        self.pos += n
        return text
