"""The Typer application shared by every command module, and the entry point."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mixite.errors import MixiteError


def _french_cli_chrome() -> None:
    """French labels for the help and error panels that Typer and Click print in English.

    Only public names are used (``typer.rich_utils`` and the command classes of ``typer.core``),
    so that a Typer release that vendors Click, or stops vendoring it, changes nothing here.
    """
    from typer import core, rich_utils

    rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
    rich_utils.ERRORS_PANEL_TITLE = "Erreur"
    rich_utils.ABORTED_TEXT = "Interrompu."
    rich_utils.DEFAULT_STRING = "[défaut : {}]"
    rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"
    rich_utils.RICH_HELP = "Essayez [blue]« {command_path} {help_option} »[/] pour l'aide."
    for command in (core.TyperCommand, core.TyperGroup):
        original = command.get_help_option

        def help_option(self: Any, ctx: Any, _original: Any = original) -> Any:
            option = _original(self, ctx)
            if option is not None:
                option.help = "Affiche cette aide et quitte."
            return option

        command.get_help_option = help_option  # type: ignore[method-assign]


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


def french_numbers(application: typer.Typer) -> None:
    """Every int or float option and argument of ``application``'s commands reads a French
    number (decimal comma, « 35 % ») and says in French what is wrong (``parse_number``),
    through Typer's public ``parser`` of each parameter (set here, in one place, once the
    commands are registered; an explicit ``parser`` is kept)."""
    import inspect
    import typing

    from typer.models import ParameterInfo

    def parser_for(integer: bool) -> Any:
        def parse(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            try:
                return parse_number(value, integer)
            except ValueError as exc:
                from pydantic_core import PydanticCustomError

                raise PydanticCustomError("nombre", str(exc)) from None

        return parse

    for command in application.registered_commands:
        callback = command.callback
        if callback is None:
            continue
        hints = typing.get_type_hints(callback, include_extras=True)
        for name, parameter in inspect.signature(callback).parameters.items():
            hint = hints.get(name)
            infos = [parameter.default] if isinstance(parameter.default, ParameterInfo) else []
            if typing.get_origin(hint) is Annotated:
                hint, *extra = typing.get_args(hint)
                infos += [m for m in extra if isinstance(m, ParameterInfo)]
            choices = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
            if len(choices) != 1 or choices[0] not in (int, float):
                continue
            for info in infos:
                if info.parser is None:
                    info.parser = parser_for(choices[0] is int)
            # Keep the evaluated annotation: a string annotation (``from __future__ import
            # annotations``) would build new option objects, without the parser, when Typer
            # reads it.
            callback.__annotations__[name] = hints[name]


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


def _kinds(exc: BaseException) -> set[str]:
    """Names of the classes of ``exc`` (Click's exceptions are recognised by name, whichever
    copy of Click, vendored by Typer or not, raised them)."""
    return {cls.__name__ for cls in type(exc).__mro__}


def _french_usage(exc: Any) -> str:
    """French wording of the common Click usage errors (others keep Click's message)."""
    kinds = _kinds(exc)
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "mixite"
    hint = f" Voir « {command} --help »."
    param = getattr(exc, "param", None)
    name = "/".join(getattr(param, "opts", []) or []) or getattr(param, "name", None) or "?"
    if "MissingParameter" in kinds:
        return f"option obligatoire manquante : {name}.{hint}"
    if "NoSuchOption" in kinds:
        return f"option inconnue : {getattr(exc, 'option_name', '?')}.{hint}"
    if "BadParameter" in kinds:
        return f"valeur invalide pour {name} : {getattr(exc, 'message', exc)}.{hint}"
    return f"{exc.format_message()}{hint}"


#: Exit status of an unexpected error (a bug of mixite): 3; a refused input is 2.
INTERNAL_ERROR_STATUS = 3


def _option(argv: list[str], name: str) -> str | None:
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _log_folder(argv: list[str]) -> Path:
    """Where the traceback of an internal error is written: beside the base (``--base``) when
    its folder is writable, else the user's cache folder (``$XDG_CACHE_HOME/mixite``)."""
    base = _option(argv, "--base")
    if base:
        folder = Path(base).expanduser().resolve().parent
        if folder.is_dir() and os.access(folder, os.W_OK):
            return folder
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "mixite"


def _where(exc: BaseException) -> str:
    """The innermost function of mixite on the traceback: what the command was doing."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "mixite" in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    module = Path(frame.filename).with_suffix("").parts
    start = max(i for i, part in enumerate(module) if part == "mixite")
    return f"{'.'.join(module[start:])}, fonction {frame.name}"


def write_crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the full traceback of ``exc`` to a new private log file; its path (``None`` when
    no folder can be written)."""
    import datetime as dt
    import traceback

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = f"mixite {' '.join(argv)}\n{dt.datetime.now().isoformat()}\n\n" + "".join(
        traceback.format_exception(exc)
    )
    for folder in (_log_folder(argv), Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"mixite-erreur-{stamp}-{os.getpid()}.log"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            return path
        except OSError:
            continue
    return None


def _internal_error(exc: BaseException, argv: list[str]) -> str:
    command = " ".join(["mixite", *[a for a in argv[:1] if not a.startswith("-")]])
    where = _where(exc)
    doing = f" (dans {where})" if where else ""
    log = write_crash_log(exc, argv)
    saved = (
        f"Le détail complet est écrit dans « {log} »"
        if log is not None
        else "Le détail n'a pu être écrit dans aucun dossier"
    )
    return (
        f"erreur interne pendant « {command} »{doing}. {saved} ; joignez ce fichier à votre "
        "signalement."
    )


def _known_failure(exc: BaseException) -> str | None:
    """French message of a failure that is the environment's, not a bug: a full disk, a file
    that cannot be written, a damaged base found while reading it."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"Espace disque insuffisant ({exc.filename or 'écriture'}). Libérez de la place, "
            "puis relancez la commande."
        )
    if isinstance(exc, PermissionError):
        return (
            f"Permission refusée pour « {exc.filename} ». Vérifiez les droits du fichier ou du "
            "dossier, ou choisissez un autre chemin."
        )
    if type(exc).__module__.split(".")[0] in ("duckdb", "_duckdb"):
        text = str(exc)
        if any(
            t in text
            for t in ("Corrupt database", "Could not read enough bytes", "Serialization Error")
        ):
            return (
                "Base endommagée : une partie de ses données est illisible. Restaurez-la depuis "
                "votre sauvegarde, ou créez une nouvelle base et réimportez les fichiers."
            )
        if any(t in text for t in ("No space left", "Disk quota", "File too large")):
            return "Espace disque insuffisant. Libérez de la place, puis relancez la commande."
    return None


def main() -> None:
    """Run the CLI. A ``MixiteError`` is printed in French without traceback (exit status 2);
    any other exception prints « erreur interne », what the command was doing and where its
    full traceback was written (exit status 3): a user never sees a traceback."""
    argv = sys.argv[1:]
    try:
        app(standalone_mode=False)
    except MixiteError as exc:
        err_console.print(f"[bold red]Erreur :[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("Interrompu.")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        kinds = _kinds(exc)
        if "Exit" in kinds and hasattr(exc, "exit_code"):
            sys.exit(exc.exit_code)
        if "Abort" in kinds or "InterruptException" in kinds:
            err_console.print("Interrompu.")
            sys.exit(130)
        if "ClickException" in kinds:
            err_console.print(
                f"[bold red]Erreur :[/bold red] {_french_usage(exc)}", highlight=False
            )
            sys.exit(getattr(exc, "exit_code", 2))
        known = _known_failure(exc)
        if known is not None:
            err_console.print(
                f"[bold red]Erreur :[/bold red] {known}", highlight=False, soft_wrap=True
            )
            sys.exit(2)
        message = _internal_error(exc, argv)
        err_console.print(
            f"[bold red]Erreur :[/bold red] {message}", highlight=False, soft_wrap=True
        )
        sys.exit(INTERNAL_ERROR_STATUS)
