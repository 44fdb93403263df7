"""`compatcheck check` and `compatcheck matrix`."""

from __future__ import annotations

import sys

import click

from .. import exitcodes
from .common import (DEFAULT_MAX_SIZE, MAX_SIZE_HELP, TARGET_HELP, emit, fail_usage,
                     load_config_or_fail, load_specs_or_fail, select_or_fail, spec_dirs_of,
                     use_colour)


def _run_checks(files, targets, spec_dir, max_size, validate, smoke=True, ignore=(),
                fail_on=None):
    """The options of check and matrix, resolved with the configuration, into one CheckRun."""
    from ..pipeline import UnknownCodeError, ignored_codes, run_checks

    config = load_config_or_fail()
    try:
        ignored = ignored_codes(ignore) | ignored_codes(config.ignore)
    except UnknownCodeError as exc:
        fail_usage(str(exc))
    dirs = spec_dirs_of(spec_dir, config)
    selectors = tuple(targets or config.targets or ("current",))
    hosts = select_or_fail(load_specs_or_fail(dirs), selectors)
    return run_checks(files, hosts, tuple(dirs), selectors,
                      max_size=max_size or config.max_size or DEFAULT_MAX_SIZE,
                      validate=validate, smoke=smoke, ignored=ignored,
                      fail_on=fail_on or config.fail_on)


def _report_problems(run) -> None:
    """Unreadable inputs also go to stderr, one line each, whatever the format."""
    for p in run.problems:
        click.echo(f"{p.name}: error: {p.reason}", err=True)


@click.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-t", "--target", "targets", multiple=True, help=TARGET_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "github", "gitlab"]),
              default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default=None,
              help="Exit 1 on predicted errors (default) or on warnings too.")
@click.option("--ignore", multiple=True, metavar="CODE", help="Ignore a finding code (repeatable).")
@click.option("--spec-dir", multiple=True, type=click.Path(file_okay=False),
              help="Extra spec directory (in-house builds), same schema as abi_specs/.")
@click.option("-v", "--verbose", is_flag=True, help="Also show info findings.")
@click.option("--color/--no-color", default=None,
              help="Colour (default: on a terminal; NO_COLOR and FORCE_COLOR are honoured).")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help=MAX_SIZE_HELP)
@click.option("--validate/--no-validate", default=False, show_default=True,
              help="Also type-check every code body with wasmtime's validator. Without it, "
                   "compatcheck's own decoder still reads every section and every instruction.")
@click.option("--smoke/--no-smoke", default=True, show_default=True,
              help="When static analysis cannot tell what the start-up functions call, run "
                   "them in a sandbox (wasmtime, imports stubbed, counted instruction, call and "
                   "memory budgets).")
def check(files, targets, fmt, output, fail_on, ignore, spec_dir, verbose, color, max_size,
          validate, smoke):
    """Check modules (files or directories of .wasm) against host builds."""
    from ..report import CHECK_RENDERERS, RenderOptions

    run = _run_checks(files, targets, spec_dir, max_size, validate, smoke, ignore, fail_on)
    _report_problems(run)
    text = CHECK_RENDERERS[fmt](run, RenderOptions(use_colour(color, output), verbose))
    if run.reports or fmt != "text":
        emit(text, output)
    sys.exit(run.exit_code)


@click.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-t", "--target", "targets", multiple=True,
              help="As for check; default: all builds.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@click.option("--spec-dir", multiple=True, type=click.Path(file_okay=False))
@click.option("--color/--no-color", default=None)
@click.option("--max-size", type=click.IntRange(min=1), default=None, help=MAX_SIZE_HELP)
@click.option("--validate/--no-validate", default=False, show_default=True,
              help="Also type-check code bodies with wasmtime.")
def matrix(files, targets, fmt, output, spec_dir, color, max_size, validate):
    """One row per host build and module: verdict and first reason (before an upgrade)."""
    from ..report import MATRIX_RENDERERS, RenderOptions

    run = _run_checks(files, targets or ("all",), spec_dir, max_size, validate)
    _report_problems(run)
    if run.reports or fmt != "text":
        emit(MATRIX_RENDERERS[fmt](run, RenderOptions(use_colour(color, output))), output)
    sys.exit(run.exit_code)
