"""Command-line interface: wires click to the checks and renderers; no logic of its own."""

from __future__ import annotations

import json
import sys

import click

from . import __version__, exitcodes


class _Group(click.Group):
    def main(self, *args, **kwargs):  # one-line errors, never a traceback
        try:
            return super().main(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("compatcheck: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, epilog=exitcodes.HELP,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compatcheck")
def main() -> None:
    """Predict whether a Proxy-Wasm filter (.wasm) loads in given Envoy / Istio builds."""


def _emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    else:
        click.echo(text)


MAX_SIZE_HELP = "Refuse files larger than this many bytes."


@main.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--no-validate", is_flag=True, help="Skip wasmtime's full validation.")
@click.option("--max-size", type=click.IntRange(min=1), default=256 * 1024 * 1024,
              show_default=True, help=MAX_SIZE_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here.")
def inspect(files, fmt, no_validate, max_size, output):
    """Show a module's structure, imports, exports, ABI markers and toolchain."""
    from .inputs import load
    from .inspection import INSPECT_SCHEMA_VERSION, inspect_bytes

    status = exitcodes.OK
    results = []
    texts = []
    for item in load(list(files), max_size):
        if item.error is not None:
            click.echo(f"{item.name}: error: {item.error}", err=True)
            status = exitcodes.USAGE
            if fmt == "json":
                results.append({"file": item.name, "error": {"kind": "input",
                                                              "reason": str(item.error),
                                                              "offset": None}})
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
