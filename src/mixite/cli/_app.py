"""The Typer application shared by every command module, and the entry point."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from mixite.errors import MixiteError

app = typer.Typer(
    name="mixite",
    help="mixite : politique intercommunale d'attribution des logements sociaux.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Messages for people go to stderr; results (tables, paths) to stdout.
err_console = Console(stderr=True)


def is_interactive() -> bool:
    """True when stdout is a terminal: progress bars are shown only then."""
    return sys.stdout.isatty()


def main() -> None:
    """Run the CLI; a ``MixiteError`` is printed in French without traceback, exit status 2."""
    try:
        app(standalone_mode=False)
    except MixiteError as exc:
        err_console.print(f"[bold red]Erreur :[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("Interrompu.")
        sys.exit(1)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
