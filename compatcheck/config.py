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


def _parse(table: dict, where: str, base: Path) -> Config:
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(KEYS))})")

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key}: expected a list of strings")
        return tuple(value)

    fail_on = table.get("fail-on", "error")
    if fail_on not in FAIL_ON:
        raise ConfigError(f"{where}: fail-on: expected one of {', '.join(FAIL_ON)}")
    max_size = table.get("max-size")
    if max_size is not None and (not isinstance(max_size, int) or max_size <= 0):
        raise ConfigError(f"{where}: max-size: expected a positive integer (bytes)")
    spec_dirs = tuple(str((base / d).resolve()) for d in strings("spec-dir"))
    return Config(strings("targets"), frozenset(c.upper() for c in strings("ignore")),
                  fail_on, spec_dirs, max_size, where)


def load_config(start: Path | None = None) -> Config:
    """The nearest .compatcheck.toml or pyproject.toml with [tool.compatcheck], walking up."""
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        dotfile = directory / ".compatcheck.toml"
        if dotfile.is_file():
            return _parse(_read(dotfile), str(dotfile), directory)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            table = _read(pyproject).get("tool", {}).get("compatcheck")
            if table is not None:
                return _parse(table, f"{pyproject} [tool.compatcheck]", directory)
        if (directory / ".git").exists():
            break
    return Config()


def _read(path: Path) -> dict:
    from .tomlfile import TomlError, read_toml
    try:
        return read_toml(path)
    except TomlError as exc:
        raise ConfigError(str(exc)) from None
