"""Reading a TOML file with one-line errors (tomllib, or tomli on Python 3.10)."""

from __future__ import annotations

import sys
from pathlib import Path


class TomlError(Exception):
    """The file cannot be read or is not TOML; the message names the file."""


def read_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise TomlError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TomlError(f"{path}: not valid TOML: {exc}") from None
