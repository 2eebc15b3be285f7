"""Command-line interface (French). Each command lives in its own module of this package and
registers itself on the shared ``app`` when imported; ``COMMAND_MODULES`` lists them in the
order the help shows them (the order of a user's work)."""

import importlib

from mixite.cli._app import app, french_numbers, main

__all__ = ["COMMAND_MODULES", "app", "main"]

#: The command modules, in the order of ``mixite --help``.
COMMAND_MODULES = (
    "generer",
    "importer",
    "parametres",
    "diagnostic",
    "solvabilite",
    "marges",
    "cotation",
    "allocation",
    "projection",
    "trajectoires",
    "documents",
    "national",
    "web",
)
for _module in COMMAND_MODULES:
    importlib.import_module(f"mixite.cli.{_module}")
french_numbers(app)
