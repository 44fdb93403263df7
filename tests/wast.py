"""A small reader of .wast scripts: just enough to pull out the modules and assertions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_TOKEN = re.compile(rb'\s+|;;[^\n]*|\(;.*?;\)|"(?:[^"\\]|\\.)*"|[()]|[^\s()";]+', re.S)


@dataclass
class WastModule:
    line: int
    kind: str  # "binary" | "quote" | "text"
    assertion: str | None  # "assert_malformed", "assert_invalid", ... or None
    expected: str | None
    payload: bytes  # binary bytes, or the module's text


def _unescape(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        n = raw[i + 1]
        simple = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord('"'): 34, ord("'"): 39,
                  ord("\\"): 92}
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == ord("u"):
            end = raw.index(b"}", i)
            out += chr(int(raw[i + 3:end], 16)).encode("utf-8")
            i = end + 1
        else:
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
    return bytes(out)


def _parse(text: bytes):
    """Nested lists of tokens; strings stay as (b'"', bytes) tuples. Each list keeps its line."""
    stack: list[list] = [[]]
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok[:1].isspace() or tok.startswith(b";;") or tok.startswith(b"(;"):
            continue
        if tok == b"(":
            node: list = []
            node.append(text.count(b"\n", 0, m.start()) + 1)
            stack[-1].append(node)
            stack.append(node)
        elif tok == b")":
            stack.pop()
        elif tok.startswith(b'"'):
            stack[-1].append(("str", _unescape(tok[1:-1])))
        else:
            stack[-1].append(tok.decode())
    return stack[0]


def _module_of(node: list, assertion: str | None, expected: str | None) -> WastModule | None:
    line, head, *rest = node
    if head != "module":
        return None
    if rest and isinstance(rest[0], str) and rest[0].startswith("$"):
        rest = rest[1:]
    if rest and rest[0] == "definition":
        rest = rest[1:]
    if rest and isinstance(rest[0], str) and rest[0].startswith("$"):
        rest = rest[1:]
    if rest and rest[0] in ("binary", "quote"):
        payload = b"".join(s[1] for s in rest[1:] if isinstance(s, tuple))
        return WastModule(line, rest[0], assertion, expected, payload)
    return WastModule(line, "text", assertion, expected, _render(node))


def _render(node) -> bytes:
    if isinstance(node, tuple):
        return b'"' + b"".join(b"\\%02x" % c for c in node[1]) + b'"'
    if isinstance(node, str):
        return node.encode()
    return b"(" + b" ".join(_render(x) for x in node[1:]) + b")"


def modules(path: Path) -> list[WastModule]:
    out = []
    for node in _parse(path.read_bytes()):
        if not isinstance(node, list) or len(node) < 2:
            continue
        head = node[1]
        if head == "module":
            m = _module_of(node, None, None)
        elif isinstance(head, str) and head.startswith("assert_") and len(node) > 2 \
                and isinstance(node[2], list):
            expected = next((s[1].decode("utf-8", "replace") for s in node[3:]
                             if isinstance(s, tuple)), None)
            m = _module_of(node[2], head, expected)
        else:
            m = None
        if m is not None:
            out.append(m)
    return out
