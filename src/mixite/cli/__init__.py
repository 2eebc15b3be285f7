"""Command-line interface (French). Each command lives in its own module of this package and
registers itself on the shared ``app``; the registration imports are listed below, one per line."""

from mixite.cli._app import app, main

__all__ = ["app", "main"]

# Command registration (one line per command module):
from mixite.cli import cotation  # noqa: E402
from mixite.cli import generer  # noqa: E402
from mixite.cli import importer  # noqa: E402
from mixite.cli import parametres  # noqa: E402
from mixite.cli import diagnostic  # noqa: E402
from mixite.cli import solvabilite  # noqa: E402
from mixite.cli import documents  # noqa: E402
from mixite.cli import marges  # noqa: E402
from mixite.cli import allocation  # noqa: E402
