"""Project configuration: [tool.compatcheck] in pyproject.toml, or .compatcheck.toml."""

from __future__ import annotations

from .record import record
from pathlib import Path


KEYS = {"targets", "ignore", "fail-on", "spec-dir", "max-size"}
FAIL_ON = ("error", "warning")


class ConfigError(Exception):
    """Bad configuration file (usage error, exit 2)."""


@record
class Config:
    targets: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()
    fail_on: str = "error"
    spec_dirs: tuple[str, ...] = ()
    max_size: int | None = None
    source: str | None = None  # the file it came from


def _kind(value: object) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)


def _parse(table: object, where: str, base: Path) -> Config:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, got {_kind(table)}")
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(KEYS))})")

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            got = _kind(value) if not isinstance(value, list) else "an array with " + next(
                _kind(v) for v in value if not isinstance(v, str))
            raise ConfigError(f"{where}: {key}: expected a list of strings, got {got}")
        return tuple(value)

    fail_on = table.get("fail-on", "error")
    if not isinstance(fail_on, str) or fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: fail-on: expected one of {', '.join(FAIL_ON)}, "
                          f"got {fail_on!r}")
    max_size = table.get("max-size")
    if max_size is not None and (type(max_size) is not int or max_size <= 0):
        raise ConfigError(f"{where}: max-size: expected a positive integer (bytes), "
                          f"got {max_size!r}")
    spec_dirs = []
    for d in strings("spec-dir"):
        if "\0" in d:  # Path.resolve would raise ValueError
            raise ConfigError(f"{where}: spec-dir: {d!r} is not a directory name")
        try:
            spec_dirs.append(str((base / d).resolve()))
        except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before 3.13)
            raise ConfigError(f"{where}: spec-dir: {d}: {exc}") from None
    return Config(strings("targets"), frozenset(c.upper() for c in strings("ignore")),
                  fail_on, tuple(spec_dirs), max_size, where)


def load_config(start: Path | None = None) -> Config:
    """The nearest .compatcheck.toml or pyproject.toml with [tool.compatcheck], walking up."""
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        dotfile = directory / ".compatcheck.toml"
        if _exists(dotfile):  # a FIFO or directory of that name is an error, not skipped
            return _parse(_read(dotfile), str(dotfile), directory)
        pyproject = directory / "pyproject.toml"
        if _exists(pyproject):
            tool = _read(pyproject).get("tool", {})
            if not isinstance(tool, dict):
                raise ConfigError(f"{pyproject}: tool: expected a table, got {_kind(tool)}")
            if "compatcheck" in tool:
                return _parse(tool["compatcheck"], f"{pyproject} [tool.compatcheck]", directory)
        if _exists(directory / ".git"):
            break
    return Config()


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # an unsearchable parent directory: nothing to read there
        return False


def _read(path: Path) -> dict:
    from .tomlfile import TomlError, read_toml
    try:
        return read_toml(path)
    except TomlError as exc:
        raise ConfigError(str(exc)) from None
