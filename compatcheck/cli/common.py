"""What the command modules share: one-line usage errors, output, configuration, specs,
target selection and colour."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from .. import exitcodes

DEFAULT_MAX_SIZE = 256 * 1024 * 1024


def fail_usage(message: str) -> NoReturn:
    click.echo(f"compatcheck: error: {message}", err=True)
    sys.exit(exitcodes.USAGE)


def emit(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            fail_usage(f"{output}: cannot write: {exc.strerror or exc}")
    else:
        click.echo(text, nl=not text.endswith("\n"))


def load_config_or_fail():
    from ..config import ConfigError, load_config
    try:
        return load_config()
    except ConfigError as exc:
        fail_usage(str(exc))


def load_specs_or_fail(spec_dirs):
    from ..abi import SpecError, get_specs
    try:
        return get_specs(tuple(spec_dirs))
    except SpecError as exc:
        fail_usage(f"bad spec: {exc}")


def select_or_fail(specs, selectors):
    from ..abi.select import SelectionError, select
    try:
        return select(specs, list(selectors))
    except SelectionError as exc:
        fail_usage(str(exc))


def spec_dirs_of(option, config) -> tuple:
    return tuple(option) or config.spec_dirs


MAX_SIZE_HELP = "Refuse files larger than this many bytes (default 256 MiB)."
TARGET_HELP = ("Host builds to check against: 'all', 'current', a build id (see `compatcheck "
               "targets`) or 'product<specifier>' like 'envoy>=1.30', 'istio~=1.5.0'. "
               "Repeatable. Default: the config's targets, else 'current'.")


def use_colour(color, output) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return output is None and sys.stdout.isatty()


def text_or_file(value: str | None) -> str | None:
    """STRING, or @FILE for the contents of FILE."""
    if value is None or not value.startswith("@"):
        return value
    try:
        with open(value[1:], "rb") as fh:
            return fh.read(16 << 20).decode("utf-8", "surrogateescape")
    except OSError as exc:
        fail_usage(f"{value[1:]}: cannot read: {exc.strerror or exc}")
