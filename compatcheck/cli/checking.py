"""`compatcheck check` and `compatcheck matrix`."""

from __future__ import annotations

import sys

import click

from .. import exitcodes
from .common import (DEFAULT_MAX_SIZE, MAX_SIZE_HELP, TARGET_HELP, emit, fail_usage,
                     load_config_or_fail, load_specs_or_fail, select_or_fail, spec_dirs_of,
                     text_or_file, use_colour)


def _run_checks(files, targets, spec_dir, max_size, validate, smoke=True, ignore=(),
                fail_on=None, jobs=None, progress=None, hashes=False, manifests=(),
                artifacts=None, lifecycle=None):
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
    try:
        return run_checks(files, hosts, tuple(dirs), selectors,
                          max_size=max_size or config.max_size or DEFAULT_MAX_SIZE,
                          validate=validate, smoke=smoke, ignored=ignored,
                          fail_on=fail_on or config.fail_on, jobs=jobs, progress=progress,
                          hashes=hashes, manifests=manifests, artifacts=artifacts,
                          lifecycle=lifecycle)
    finally:
        if progress is not None:
            progress.close()


class _Progress:
    """`checked 37/121 files (3 duplicates)` on a terminal's stderr, rewritten in place."""

    def __init__(self, stream):
        self.stream = stream
        self.width = 0
        self.last = 0.0

    @classmethod
    def for_run(cls, fmt: str, quiet: bool):
        """Only for the text report on a terminal: never in CI logs or machine formats."""
        stream = sys.stderr
        if quiet or fmt != "text" or not stream.isatty():
            return None
        return cls(stream)

    def __call__(self, done: int, total: int, duplicates: int) -> None:
        import time

        now = time.monotonic()
        if total < 2 or (done < total and now - self.last < 0.1):
            return  # (display only: how often it is redrawn changes nothing else)
        self.last = now
        text = f"checked {done}/{total} files"
        if duplicates:
            text += f" ({duplicates} duplicate{'s' if duplicates != 1 else ''})"
        self._write(text)

    def _write(self, text: str) -> None:
        pad = " " * max(0, self.width - len(text))
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


# Formats that name each file's sha256 (the others need it only to find copies).
_SHOWS_HASHES = ("sarif",)
def _exit(code: int) -> None:
    """End the command. The interpreter's last collection would walk every object of the run
    (specs, findings, reports: ~15 ms on a 14 MB module); frozen at exit, they are left to the
    OS. Finalizers and atexit handlers still run; a caller that does not exit is unaffected."""
    global _FREEZE_AT_EXIT
    if not _FREEZE_AT_EXIT:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _FREEZE_AT_EXIT = True
    sys.exit(code)


_FREEZE_AT_EXIT = False
_QUIET_HELP = ("Only one line per file and the summary across files (no findings; no progress "
               "on the terminal).")
_JOBS_HELP = ("Worker processes for many files (default: every core; 1: none). Identical files "
              "are checked once whatever the number.")


def _report_problems(run) -> None:
    """Unreadable inputs also go to stderr, one line each, whatever the format."""
    for p in run.problems:
        click.echo(f"{p.name}: error: {p.reason}", err=True)


@click.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=False, type=click.Path(allow_dash=True))
@click.option("--manifest", "manifests", multiple=True, type=click.Path(dir_okay=False),
              help="A manifest or config that deploys Wasm plugins (repeatable): WasmPlugin, "
                   "EnvoyFilter, EnvoyExtensionPolicy, Envoy bootstrap or listener YAML/JSON.")
@click.option("--artifact", "artifact_args", multiple=True, metavar="REF=PATH",
              help="Where the module a manifest names (file name, URL or oci:// reference, as "
                   "written) is here: a .wasm, an OCI layout or archive (repeatable).")
@click.option("-t", "--target", "targets", multiple=True, help=TARGET_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "github",
                                                        "gitlab"]),
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
@click.option("-q", "--quiet", is_flag=True, help=_QUIET_HELP)
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, help=_JOBS_HELP)
@click.option("--plugin-config", metavar="STRING|@FILE",
              help="Also start and configure the plugin with this configuration in the emulated "
                   "host of each build that loads it (proxy_on_vm_start, proxy_on_configure).")
@click.option("--vm-config", metavar="STRING|@FILE",
              help="The VM configuration for that start (with --plugin-config).")
@click.option("--root-id", default="", help="The plugin's root_id (with --plugin-config).")
def check(files, manifests, artifact_args, targets, fmt, output, fail_on, ignore, spec_dir,
          verbose, color, max_size, validate, smoke, quiet, jobs, plugin_config, vm_config,
          root_id):
    """Check modules (.wasm files, directories of them, OCI image layouts and archives,
    oci://HOST/REPO:TAG images) and the plugins of --manifest files against host builds."""
    from ..report import CHECK_RENDERERS, RenderOptions

    if not files and not manifests:
        fail_usage("give module FILES, images or --manifest FILE")
    artifacts = {}
    if artifact_args:  # the manifest machinery loads only when it is used
        from ..manifests.resolve import ResolveError, parse_artifact_args
        try:
            artifacts = parse_artifact_args(artifact_args)
        except ResolveError as exc:
            fail_usage(str(exc))
    lifecycle = None
    if plugin_config is not None or vm_config is not None:
        lifecycle = {"plugin_config": text_or_file(plugin_config) or "",
                     "vm_config": text_or_file(vm_config) or "", "root_id": root_id}
    run = _run_checks(files, targets, spec_dir, max_size, validate, smoke, ignore, fail_on,
                      jobs, _Progress.for_run(fmt, quiet), hashes=fmt in _SHOWS_HASHES,
                      manifests=manifests, artifacts=artifacts, lifecycle=lifecycle)
    _report_problems(run)
    opts = RenderOptions(use_colour(color, output), verbose)
    text = _render(run, fmt, quiet, opts, CHECK_RENDERERS)
    if run.reports or fmt != "text":
        emit(text, output)
    _exit(run.exit_code)


def _render(run, fmt, quiet, opts, renderers) -> str:
    """The report; `--quiet` text is one line per file; JSON carries the summary across files."""
    if fmt == "text" and quiet:
        from ..report.check_text import render_quiet
        return render_quiet(run, opts)
    return renderers[fmt](run, opts)


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
@click.option("-q", "--quiet", is_flag=True, help=_QUIET_HELP)
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, help=_JOBS_HELP)
def matrix(files, targets, fmt, output, spec_dir, color, max_size, validate, quiet, jobs):
    """One row per host build and module: verdict and first reason (before an upgrade)."""
    from ..report import MATRIX_RENDERERS, RenderOptions

    run = _run_checks(files, targets or ("all",), spec_dir, max_size, validate, jobs=jobs,
                      progress=_Progress.for_run(fmt, quiet))
    _report_problems(run)
    if run.reports or fmt != "text":
        emit(_render(run, fmt, quiet, RenderOptions(use_colour(color, output)),
                     MATRIX_RENDERERS), output)
    _exit(run.exit_code)
