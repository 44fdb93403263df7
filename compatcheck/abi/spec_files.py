"""Finding, reading (regular files of bounded size only) and parsing the spec files, once: what
is hashed for the cache key is what is parsed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .vocabulary import SpecError


def default_spec_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    installed = here / "abi_specs"  # inside the wheel (package-dir mapping)
    if installed.is_dir():
        return installed
    return here.parent / "abi_specs"  # source checkout

File = tuple[Path, str, bytes]  # path, "<spec dir index>/<path in that directory>", content
ROLES = ("hostcalls", "callbacks", "abi_versions", "startup", "runtimes", "profiles", "builds")


def _check_dirs(extra_dirs: Iterable) -> list[Path]:
    dirs = [default_spec_dir()] + [Path(d) for d in extra_dirs]
    for d in dirs:
        try:
            if not d.is_dir():
                raise SpecError(f"{d}: spec directory not found" if not d.exists()
                                else f"{d}: not a directory")
        except (OSError, ValueError) as exc:  # permission, a NUL byte
            raise SpecError(f"{d}: spec directory cannot be read: {exc}") from None
    return dirs


def _listing(d: Path, sub: str) -> list[Path]:
    folder = d / sub
    if not os.path.lexists(folder):
        return []
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".toml"))
    except OSError as exc:
        raise SpecError(f"{folder}: cannot list: {exc.strerror or exc}") from None
    return [folder / n for n in names]


def _read_file(index: int, d: Path, path: Path) -> File:
    from ..tomlfile import TomlError, read_bytes
    try:
        return path, f"{index}/{path.relative_to(d).as_posix()}", read_bytes(path)
    except TomlError as exc:
        raise SpecError(str(exc)) from None


def _gather(dirs: list[Path]) -> dict[str, list[File]]:
    """Every file the loader reads, read once (what is hashed is what is parsed)."""
    base = dirs[0]
    found: dict[str, list[tuple[int, Path]]] = {
        "hostcalls": [(0, base / "hostcalls.toml")],
        "callbacks": [(0, base / "callbacks.toml")],
        "abi_versions": [(0, base / "abi_versions.toml")],
        # runtimes.toml and startup.toml are optional in a user directory
        "startup": [(i, d / "startup.toml") for i, d in enumerate(dirs)
                    if i == 0 or os.path.lexists(d / "startup.toml")],
        "runtimes": [(i, d / "runtimes.toml") for i, d in enumerate(dirs)
                     if i == 0 or os.path.lexists(d / "runtimes.toml")],
        "profiles": [(i, p) for i, d in enumerate(dirs) for p in _listing(d, "profiles")],
        "builds": [(i, p) for i, d in enumerate(dirs) for p in _listing(d, "builds")],
    }
    return {role: [_read_file(i, dirs[i], p) for i, p in items] for role, items in found.items()}


def _fingerprint(files: dict[str, list[File]]) -> str:
    """The cache key: the content of every spec file and of the code that builds specs."""
    from .cache import code_fingerprint, new_hash
    h = new_hash()
    h.update(code_fingerprint())
    for role in ROLES:
        for _path, name, data in files[role]:
            h.update(f"{role}\0{name}\0{len(data)}\0".encode() + data)
    return h.hexdigest()


def _parse(file: File, shape: str) -> dict:
    """The file as TOML, with the types of its values checked against ``schema.<shape>``."""
    from ..tomlfile import TomlError, parse_toml
    from . import schema  # on a cache miss only (its import costs ~1 ms)
    try:
        data = parse_toml(file[0], file[2])
    except TomlError as exc:
        raise SpecError(str(exc)) from None
    getattr(schema, shape).check(file[0], "", data)
    return data
