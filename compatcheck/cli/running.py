"""`compatcheck run`: start, configure and one request under an emulated host per build."""

from __future__ import annotations

import json
import sys

import click

from .. import exitcodes
from .common import (fail_usage, load_config_or_fail, load_specs_or_fail, select_or_fail,
                     spec_dirs_of, text_or_file)

RUN_HELP = ("Exit codes: 0 = every run answered (started and configured; with --header/--body/"
            "--request: the request continued or got the filter's own response); 1 = a predicted "
            "failure (refused, start or configure failed, a trap, a request that hangs) or an "
            "undecided run, or --explore found a trapping variant; 2 = usage error.")


def _bytes_or_file(value: str | None) -> bytes:
    if value is None:
        return b""
    if value.startswith("@"):
        try:
            with open(value[1:], "rb") as fh:
                return fh.read(16 << 20)
        except OSError as exc:
            fail_usage(f"{value[1:]}: cannot read: {exc.strerror or exc}")
    return value.encode("utf-8", "surrogateescape")


def _headers(values) -> tuple[tuple[str, bytes], ...]:
    out = []
    for raw in values:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            fail_usage(f"--header {raw!r}: expected 'name: value'")
        out.append((name.strip().lower(), value.strip().encode("utf-8", "surrogateescape")))
    return tuple(out)


def scenario_from_options(o: dict):
    from ..emulator import HttpRequest, HttpResponse, Scenario
    from ..emulator.model import LOG_LEVELS

    request = None
    if o["header"] or o["body"] is not None or o["request"] or o["explore"]:
        request = HttpRequest(o["method"], o["path"], o["authority"], _headers(o["header"]),
                              _bytes_or_file(o["body"]))
    reply = None
    if o["http_reply"] is not None:
        reply = HttpResponse(o["http_reply"], (("content-type", b"text/plain"),),
                             _bytes_or_file(o["http_reply_body"]))
    return Scenario(vm_config=text_or_file(o["vm_config"]) or "",
                    plugin_config=text_or_file(o["plugin_config"]) or "",
                    root_id=o["root_id"], request=request, http_reply=reply,
                    clusters=tuple(o["cluster"]) or None, ticks=o["ticks"],
                    log_level=LOG_LEVELS.index(o["log_level"]))


@click.command(epilog=RUN_HELP)
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-t", "--target", "targets", multiple=True,
              help="Build(s) to emulate, as for check (default: the config's targets, else "
                   "'current'). Builds whose hosts behave alike share one run.")
@click.option("--vm-config", help="VM configuration (vm_config.configuration): STRING or @FILE.")
@click.option("--plugin-config", help="Plugin configuration (configuration): STRING or @FILE.")
@click.option("--root-id", default="", help="The plugin's root_id.")
@click.option("-H", "--header", multiple=True, metavar="'NAME: VALUE'",
              help="A request header (repeatable); any request option sends one request.")
@click.option("--body", metavar="STRING|@FILE", help="The request body.")
@click.option("--request", is_flag=True, help="Send a request even without headers or body.")
@click.option("--method", default="GET", show_default=True)
@click.option("--path", default="/", show_default=True)
@click.option("--authority", default="localhost", show_default=True)
@click.option("--http-reply", type=click.IntRange(100, 599), metavar="STATUS",
              help="Answer the filter's HTTP calls with this status (default: never answered).")
@click.option("--http-reply-body", metavar="STRING|@FILE", help="... and this body.")
@click.option("--cluster", multiple=True, help="A cluster the host has (repeatable; default: "
                                              "any name the filter calls is assumed to exist).")
@click.option("--ticks", type=click.IntRange(0, 100), default=0, show_default=True,
              help="Timer ticks to deliver after configuration when the filter set a period.")
@click.option("--log-level", type=click.Choice(["trace", "debug", "info", "warn", "error",
                                                "critical"]), default="info", show_default=True,
              help="The host's log level for the filter's log lines.")
@click.option("--explore", is_flag=True,
              help="Also run generated variants of the request (missing, empty, non-numeric, "
                   "very long, non-UTF-8 header values and bodies) and report those that trap, "
                   "each with its smallest reproducer.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--spec-dir", multiple=True, type=click.Path(file_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="Show host calls and full backtraces.")
def run(file, targets, fmt, spec_dir, verbose, **options):
    """Run FILE's start-up, configuration and one request under an emulated host."""
    from ..inputs import InputError, read_file

    config = load_config_or_fail()
    hosts = select_or_fail(load_specs_or_fail(spec_dirs_of(spec_dir, config)),
                           tuple(targets or config.targets or ("current",)))
    try:
        data = read_file(file)
    except InputError as exc:
        fail_usage(f"{file}: {exc}")
    scenario = scenario_from_options({**options, "explore": options["explore"]})
    if options["explore"]:
        _explore(file, data, hosts, scenario, fmt, verbose)
    _run(file, data, hosts, scenario, fmt, verbose)


def _run(file, data, hosts, scenario, fmt, verbose):
    from ..emulator import emulate_targets
    from ..emulator.render import render

    runs = emulate_targets(data, hosts, [scenario], file)
    results = [(h, runs[h.id][0]) for h in hosts]
    if fmt == "json":
        click.echo(json.dumps({"file": file, "scenario": scenario.json(),
                               "runs": [e.json() for _, e in results]}, indent=2))
    else:
        click.echo("\n\n".join(render(file, e, h.label, verbose) for h, e in results))
    sys.exit(exitcodes.OK if all(e.ok for _, e in results) else exitcodes.FAILURE)


def _explore(file, data, hosts, scenario, fmt, verbose):
    from ..emulator.explore import explore, render_findings

    findings = explore(data, hosts, scenario, file)
    if fmt == "json":
        click.echo(json.dumps({"file": file, "scenario": scenario.json(),
                               "explore": [f.json() for f in findings]}, indent=2))
    else:
        click.echo(render_findings(file, findings, verbose))
    sys.exit(exitcodes.FAILURE if any(f.traps for f in findings) else exitcodes.OK)
