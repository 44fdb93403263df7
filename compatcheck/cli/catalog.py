"""`compatcheck targets` and `compatcheck explain`: what compatcheck knows."""

from __future__ import annotations

import json

import click

from .. import exitcodes
from .common import (fail_usage,
                     load_config_or_fail, load_specs_or_fail, select_or_fail, spec_dirs_of)


@click.command(epilog=exitcodes.HELP)
@click.option("-t", "--target", "targets", multiple=True, help="Filter (default: all).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--spec-dir", multiple=True, type=click.Path(file_okay=False))
@click.option("--show", "show", metavar="BUILD",
              help="Print one build's resolved spec (markers, host functions, WASI, callbacks, "
                   "start-up, limits) with the source of each fact.")
def targets(targets, fmt, spec_dir, show):
    """List the known host builds, their ABI versions, runtime and provenance."""
    config = load_config_or_fail()
    specs = load_specs_or_fail(spec_dirs_of(spec_dir, config))
    if show is not None:
        from .show_build import render
        build = specs.by_id(show)
        if build is None:
            fail_usage(f"--show {show!r}: no such build (`compatcheck targets` lists them)")
        click.echo(render(build, fmt))
        return
    hosts = select_or_fail(specs, targets or ("all",))
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


@click.command(epilog=exitcodes.HELP)
@click.argument("code", required=False)
def explain(code):
    """Explain a finding code (cause, host error text, fix); no CODE lists them all."""
    from ..checks.codes import CODES, lookup
    if code is None:
        from tabulate import tabulate
        click.echo(tabulate([(c.code, c.name, c.severity, c.cause) for c in CODES.values()],
                            headers=["code", "name", "severity", "cause"]))
        return
    info = lookup(code)
    if info is None:
        fail_usage(f"unknown finding code {code!r} (run `compatcheck explain` for the list)")
    click.echo(f"{info.code} {info.name} (default severity: {info.severity})\n")
    click.echo(f"Cause: {info.cause}")
    if info.host_text:
        click.echo(f"Host error: {info.host_text}")
    if info.fix:
        click.echo(f"Fix: {info.fix}")
