"""Turning command-line paths into module bytes, with one clear error line per bad path."""

from __future__ import annotations

import os
import stat
import sys
from .record import record
from typing import Iterator

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # Envoy itself refuses modules far smaller


class InputError(Exception):
    """A path that cannot be read as a module file (exit code 2)."""


@record
class Input:
    name: str  # as shown to the user
    data: bytes | None
    error: InputError | None = None


def display_name(path: str) -> str:
    """File names may not be UTF-8; show them without crashing the terminal."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_file(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    if path == "-":
        data = _read_capped(sys.stdin.buffer, max_bytes)
        if len(data) > max_bytes:
            raise InputError(f"standard input is larger than the {max_bytes}-byte limit "
                             "(raise it with --max-size)")
        return data
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file")
    if st.st_size > max_bytes:
        raise InputError(f"file is {st.st_size} bytes, larger than the {max_bytes}-byte limit "
                         "(raise it with --max-size)")
    try:
        with open(path, "rb") as fh:
            data = _read_capped(fh, max_bytes)
    except PermissionError:
        raise InputError("permission denied") from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    if len(data) > max_bytes:
        raise InputError(f"file grew beyond the {max_bytes}-byte limit while being read")
    return data


def _read_capped(stream, max_bytes: int) -> bytes:
    """At most max_bytes + 1 bytes, in chunks: a cap larger than memory allocates nothing."""
    chunks, total = [], 0
    while total <= max_bytes:
        chunk = stream.read(min(1 << 22, max_bytes + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def expand(paths: list[str], recurse_dirs: bool) -> Iterator[str]:
    """Directories expand to the ``*.wasm`` files below them when ``recurse_dirs``."""
    for path in paths:
        if recurse_dirs and path != "-" and os.path.isdir(path):
            # every *.wasm entry, also dangling links and FIFOs: read_file reports those
            found = sorted(os.path.join(root, f) for root, _dirs, files in os.walk(path)
                           for f in files if f.endswith(".wasm"))
            if not found:
                yield path  # reported as "no .wasm files" below
            yield from found
        else:
            yield path


def load(paths: list[str], max_bytes: int = DEFAULT_MAX_BYTES,
         recurse_dirs: bool = False) -> Iterator[Input]:
    for path in expand(paths, recurse_dirs):
        name = "<stdin>" if path == "-" else display_name(path)
        if recurse_dirs and path != "-" and os.path.isdir(path):
            yield Input(name, None, InputError("directory holds no .wasm files"))
            continue
        try:
            yield Input(name, read_file(path, max_bytes))
        except InputError as exc:
            yield Input(name, None, exc)
