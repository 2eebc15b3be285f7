"""The Typer application shared by every command module, and the entry point."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mixite.errors import MixiteError


def _click_modules() -> list[Any]:
    """The Click implementations Typer may use: its vendored copy (Typer ≥ 0.20) and Click."""
    modules: list[Any] = []
    try:
        import typer._click as vendored  # type: ignore[import-not-found]

        modules.append(vendored)
    except ImportError:
        pass
    import click

    modules.append(click)
    return modules


def _french_cli_chrome() -> None:
    """French labels for the help and error panels that Typer and Click print in English."""
    from typer import rich_utils

    rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
    rich_utils.ERRORS_PANEL_TITLE = "Erreur"
    rich_utils.ABORTED_TEXT = "Interrompu."
    rich_utils.DEFAULT_STRING = "[défaut : {}]"
    rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
    rich_utils.RICH_HELP = "Essayez [blue]« {command_path} {help_option} »[/] pour l'aide."
    for module in _click_modules():
        command = module.core.Command
        original = command.get_help_option

        def help_option(self: Any, ctx: Any, _original: Any = original) -> Any:
            option = _original(self, ctx)
            if option is not None:
                option.help = "Affiche cette aide et quitte."
            return option

        command.get_help_option = help_option


_french_cli_chrome()

app = typer.Typer(
    name="mixite",
    help="mixite : politique intercommunale d'attribution des logements sociaux.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The ``--base`` option of every command that reads a store.
BaseOption = Annotated[Path, typer.Option("--base", help="Base DuckDB du territoire.")]

#: Messages for people go to stderr; results (tables, paths) to stdout.
err_console = Console(stderr=True)


def is_interactive() -> bool:
    """True when stdout is a terminal: progress bars are shown only then."""
    return sys.stdout.isatty()


def _french_usage(exc: Any, module: Any) -> str:
    """French wording of the common Click usage errors (others keep Click's message)."""
    errors = module.exceptions
    command = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "mixite"
    hint = f" Voir « {command} --help »."
    param = getattr(exc, "param", None)
    name = "/".join(getattr(param, "opts", []) or []) or getattr(param, "name", None) or "?"
    if isinstance(exc, errors.MissingParameter):
        return f"option obligatoire manquante : {name}.{hint}"
    if isinstance(exc, errors.NoSuchOption):
        return f"option inconnue : {exc.option_name}.{hint}"
    if isinstance(exc, errors.BadParameter):
        return f"valeur invalide pour {name} : {exc.message}.{hint}"
    return f"{exc.format_message()}{hint}"


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
    except Exception as exc:  # Click usage errors carry their own message and exit code
        for module in _click_modules():
            if isinstance(exc, module.exceptions.ClickException):
                err_console.print(
                    f"[bold red]Erreur :[/bold red] {_french_usage(exc, module)}", highlight=False
                )
                sys.exit(exc.exit_code)
            if isinstance(exc, module.exceptions.Exit):
                sys.exit(exc.exit_code)
            if isinstance(exc, module.exceptions.Abort):
                err_console.print("Interrompu.")
                sys.exit(1)
        raise
