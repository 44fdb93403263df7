"""`compatcheck inspect`."""

from __future__ import annotations

import json
import sys

import click

from .. import exitcodes
from .common import (DEFAULT_MAX_SIZE, MAX_SIZE_HELP, emit)


@click.command(epilog=exitcodes.HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--no-validate", is_flag=True, help="Skip wasmtime's full validation.")
@click.option("--max-size", type=click.IntRange(min=1), default=None, help=MAX_SIZE_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here.")
def inspect(files, fmt, no_validate, max_size, output):
    """Show a module's structure, imports, exports, ABI markers and toolchain."""
    from ..inputs import load
    from ..inspection import INSPECT_SCHEMA_VERSION, inspect_bytes

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
            from ..report.inspect_text import render
            if ins.module is None:
                click.echo(render(ins), err=True)
            else:
                texts.append(render(ins))
    if fmt == "json":
        emit(json.dumps({"schema_version": INSPECT_SCHEMA_VERSION, "modules": results},
                         indent=2), output)
    elif texts:
        emit("\n\n".join(texts), output)
    sys.exit(status)
