"""Reading a TOML file with one-line errors (tomllib, or tomli on Python 3.10).

Only regular files of bounded size are read: a FIFO, a device (``/dev/zero``) or a directory
given where a TOML file is expected is refused before anything blocks or fills memory.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

MAX_BYTES = 4 * 1024 * 1024  # the largest shipped spec file is ~40 KiB


class TomlError(Exception):
    """The file cannot be read or is not TOML; the message names the file."""


def _refuse_special(path: Path | str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise TomlError(f"{path}: cannot read: is a directory")
    if not stat.S_ISREG(mode):
        raise TomlError(f"{path}: cannot read: not a regular file")


def read_bytes(path: Path | str, limit: int = MAX_BYTES) -> bytes:
    """The content of regular file ``path`` (symlinks followed), at most ``limit`` bytes."""
    try:
        st = os.stat(path)
        _refuse_special(path, st.st_mode)
        if st.st_size > limit:
            raise TomlError(f"{path}: cannot read: {st.st_size} bytes, more than the "
                            f"{limit}-byte limit")
        # O_NONBLOCK: should the file be swapped for a FIFO after the stat, open still returns
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as fh:
            _refuse_special(path, os.fstat(fd).st_mode)
            data = fh.read(limit + 1)
    except OSError as exc:
        raise TomlError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a path with a NUL byte
        raise TomlError(f"{path!r}: cannot read: {exc}") from None
    if len(data) > limit:
        raise TomlError(f"{path}: cannot read: more than the {limit}-byte limit")
    return data


def parse_toml(path: Path | str, data: bytes) -> dict:
    """``data`` (the content of ``path``) as TOML."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise TomlError(f"{path}: not valid TOML: not UTF-8 (at byte offset {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(f"{path}: not valid TOML: {exc}") from None
    except ValueError as exc:  # e.g. an integer longer than int() accepts
        raise TomlError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise TomlError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def read_toml(path: Path | str) -> dict:
    return parse_toml(path, read_bytes(path))
