"""Command-line interface: click wires options to the pipeline and the renderers.

One module per command group; click is imported nowhere outside this package.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__, exitcodes


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
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _p, value: _print_version(ctx) if value else None,
              help="Show the version and the spec data it carries, then exit.")
def main() -> None:
    """Predict whether a Proxy-Wasm filter (.wasm) loads in given Envoy / Istio builds."""




def _print_version(ctx: click.Context) -> None:
    """The package version and what the spec data covers (how many builds, newest fact)."""
    from ..abi import get_specs
    from ..abi.spec_files import default_spec_dir
    from ..tomlfile import TomlError, read_toml

    try:
        newest = read_toml(default_spec_dir() / "meta.toml").get("newest_fact", "?")
    except TomlError:
        newest = "?"
    builds = get_specs().builds
    products = sorted({b.product for b in builds})
    click.echo(f"compatcheck, version {__version__}")
    click.echo(f"spec data: {len(builds)} builds of {', '.join(products)}; newest fact {newest}")
    ctx.exit(0)


def _register() -> None:
    from . import catalog, checking, envoy, inspecting, running
    for module in (checking, inspecting, catalog, envoy, running):
        for command in vars(module).values():
            if isinstance(command, click.Command):
                main.add_command(command)


_register()
