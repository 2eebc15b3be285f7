"""The Typer application shared by every command module, and the entry point."""

from __future__ import annotations

import math
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


def parse_number(value: Any, integer: bool = False) -> float | int:
    """A number typed on the command line, the French way or the English way.

    ``380,50`` and ``380.50`` are the same number; spaces (also non-breaking ones) between digit
    groups are ignored (``1 200,5``). Refused, with a French ``ValueError``: text that is not a
    number, a value with both a comma and a point, NaN and infinities, and for ``integer`` a
    value with decimals (``2,5``).
    """
    if isinstance(value, bool):
        raise ValueError(f"« {value} » n'est pas un nombre")
    if isinstance(value, (int, float)):
        number = float(value)
        text = str(value)
    else:
        text = str(value).strip()
        compact = "".join(text.split())  # also drops non-breaking spaces between groups
        if "," in compact and "." in compact:
            raise ValueError(
                f"« {text} » est ambigu : écrivez le nombre avec une virgule décimale et sans "
                "séparateur de milliers, par exemple 1234,50"
            )
        try:
            if "_" in compact:
                raise ValueError(compact)
            number = float(compact.replace(",", "."))
        except ValueError:
            example = "2" if integer else "380,50"
            raise ValueError(
                f"« {text} » n'est pas un nombre : écrivez par exemple {example}"
            ) from None
    if not math.isfinite(number):
        raise ValueError(f"« {text} » n'est pas un nombre fini")
    if integer:
        if number != int(number):
            raise ValueError(f"« {text} » n'est pas un nombre entier")
        return int(number)
    return number


def _range_message(value: float, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{value:g} est hors de l'intervalle permis ({low:g} à {high:g})"
    if low is not None:
        return f"{value:g} est trop petit (au moins {low:g})"
    return f"{value:g} est trop grand (au plus {high:g})"


def _french_numbers() -> None:
    """Every ``int`` and ``float`` option of every command reads decimal commas and says in
    French what is wrong (``parse_number``): Typer's number conversion is replaced once, here.

    Typer ≥ 0.2x converts options with pydantic adapters (``typer._adapters``); older versions
    with Click's number types: both are covered.
    """
    import importlib

    adapters: Any
    try:
        adapters = importlib.import_module("typer._adapters")
    except ImportError:
        adapters = None
    if adapters is not None and hasattr(adapters, "_build_number_adapter"):
        from pydantic import AfterValidator, BeforeValidator, TypeAdapter
        from pydantic_core import PydanticCustomError

        def build(
            number_class: type[Any],
            *,
            min: float | None,
            max: float | None,
            clamp: bool | None,
        ) -> Any:
            integer = number_class is int

            def parse(value: Any) -> Any:
                try:
                    return parse_number(value, integer)
                except ValueError as exc:
                    raise PydanticCustomError("nombre", str(exc)) from None

            def bounded(value: Any) -> Any:
                if min is not None and value < min:
                    if clamp:
                        return number_class(min)
                    raise PydanticCustomError("nombre", _range_message(value, min, max))
                if max is not None and value > max:
                    if clamp:
                        return number_class(max)
                    raise PydanticCustomError("nombre", _range_message(value, min, max))
                return value

            annotated: Any = Annotated[
                number_class, BeforeValidator(parse), AfterValidator(bounded)
            ]
            return TypeAdapter(annotated)

        adapters._build_number_adapter = build
        return
    for module in _click_modules():  # pragma: no cover - Typer before pydantic adapters
        types = getattr(module, "types", None)
        base = getattr(types, "_NumberParamTypeBase", None)
        if base is None:
            continue

        def convert(self: Any, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return parse_number(value, self._number_class is int)
            except ValueError as exc:
                self.fail(str(exc), param, ctx)

        base.convert = convert


app = typer.Typer(
    name="mixite",
    help="mixite : politique intercommunale d'attribution des logements sociaux.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _before_every_command() -> None:
    # Runs before a command parses its options (not for ``--help``, which stays light: the
    # number conversion imports pydantic).
    _french_numbers()


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
