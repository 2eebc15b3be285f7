"""Error hierarchy. Every user-facing error carries a French message naming what to fix."""

from __future__ import annotations

from dataclasses import dataclass


class MixiteError(Exception):
    """Base class of the errors the CLI prints without traceback (exit status 2)."""


@dataclass(frozen=True)
class Location:
    """Where a bad value was found in an input file (1-based line, header is line 1)."""

    file: str
    line: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        parts = [f"fichier « {self.file} »"]
        if self.line is not None:
            parts.append(f"ligne {self.line}")
        if self.column is not None:
            parts.append(f"colonne « {self.column} »")
        if self.value is not None:
            parts.append(f"valeur « {self.value} »")
        return ", ".join(parts)


class InputError(MixiteError):
    """A bad input file: message = what is wrong, where, and how to fix it."""

    def __init__(self, problem: str, where: Location, fix: str) -> None:
        self.problem = problem
        self.where = where
        self.fix = fix
        super().__init__(f"{problem} ({where.describe()}). {fix}")


class ParameterError(MixiteError):
    """A legal parameter file is malformed, or a value is missing for the requested date."""


class StoreError(MixiteError):
    """The store does not hold what a command needs (missing millésime or table)."""


class ConfigError(MixiteError):
    """A user configuration (grid, scenario, mapping) is invalid."""
