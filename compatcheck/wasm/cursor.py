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

    def _leb(self, bits: int) -> tuple[int, int, int]:
        """Span of one LEB128 of at most ``bits``: (start, index of its last byte, last byte)."""
        data, start, end = self.data, self.pos, self.end
        max_bytes = (bits + 6) // 7
        pos = start
        limit = min(end, start + max_bytes)
        while pos < limit and data[pos] & 0x80:
            pos += 1
        if pos >= limit:
            if limit == end and limit - start < max_bytes:
                raise WasmFormatError(self.eof_reason, end)
            raise WasmFormatError("integer representation too long", start)
        return start, pos - start, data[pos]

    def _value(self, start: int, n: int) -> int:
        data = self.data
        result = 0
        for i in range(n, -1, -1):
            result = (result << 7) | (data[start + i] & 0x7F)
        self.pos = start + n + 1
        return result

    def _unsigned(self, bits: int) -> int:
        start, n, last = self._leb(bits)
        if n == (bits + 6) // 7 - 1 and last >> (bits - 7 * n):
            raise WasmFormatError("integer too large", start)
        return self._value(start, n)

    def _signed(self, bits: int) -> int:
        start, n, last = self._leb(bits)
        if n == (bits + 6) // 7 - 1:
            # The unused high bits of the last byte must all equal the sign bit.
            used = bits - 7 * n
            rest = last >> (used - 1)
            if rest != 0 and rest != (0x7F >> (used - 1)):
                raise WasmFormatError("integer too large", start)
        result = self._value(start, n)
        return result - (1 << (7 * (n + 1))) if last & 0x40 else result

    def u32(self) -> int:
        pos = self.pos
        if pos + 1 < self.end:  # fast paths: one or two bytes (sizes, function indices)
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
            c = self.data[pos + 1]
            if c < 0x80:
                self.pos = pos + 2
                return (b & 0x7F) | (c << 7)
        elif pos < self.end:
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
        return self._unsigned(32)

    def u64(self) -> int:
        return self._unsigned(64)

    def s32(self) -> int:
        pos = self.pos
        if pos + 1 < self.end:  # fast paths: one or two bytes
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b - 0x80 if b & 0x40 else b
            c = self.data[pos + 1]
            if c < 0x80:
                self.pos = pos + 2
                v = (b & 0x7F) | (c << 7)
                return v - 0x4000 if c & 0x40 else v
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
