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
@click.version_option(__version__, prog_name="compatcheck")
def main() -> None:
    """Predict whether a Proxy-Wasm filter (.wasm) loads in given Envoy / Istio builds."""




def _register() -> None:
    from . import catalog, checking, envoy, inspecting
    for module in (checking, inspecting, catalog, envoy):
        for command in vars(module).values():
            if isinstance(command, click.Command):
                main.add_command(command)


_register()
