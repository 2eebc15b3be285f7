"""What a reader declares for each canonical column: where it comes from (``Field``) and the
extra conditions its values must meet (``Check``), as SQL over the raw table."""

from __future__ import annotations

from dataclasses import dataclass

from mixite.schema import Column

__all__ = ["VALUE", "Check", "Field"]

#: Placeholder, in the SQL of a field's own checks, for its converted value.
VALUE = "{value}"


@dataclass(frozen=True)
class Check:
    """A condition (SQL, true on a bad row) with its French problem and fix.

    ``value_sql`` gives the value shown in the message (default: the field's raw text). In the
    checks of a ``Field``, ``{value}`` stands for the field's converted value.
    """

    condition: str
    problem: str
    fix: str
    value_sql: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Field:
    """How one canonical column is obtained from the raw table.

    ``source`` is the file header it comes from (``None`` for a computed column); ``raw`` is a
    SQL expression of its trimmed text (``NULL`` when empty, value maps applied); ``value``
    overrides the dtype conversion; ``checks`` replace the checks derived from the schema when
    ``generic`` is false.
    """

    column: Column
    source: str | None
    raw: str
    value: str | None = None
    checks: tuple[Check, ...] = ()
    generic: bool = True
    shown_column: str | None = None

    @property
    def label(self) -> str:
        return self.shown_column or self.source or self.column.header
