"""Reader of strategy files (``mixite projeter --strategie``): the YAML, its allocation scenarios
and its programming table, validated (``mixite.projection.strategy``), errors in French naming
the file, the field and the fix.

The YAML is read as the allocation scenarios are (``allocation.scenario.load_scenario``: safe
loading, strict pydantic models); the programming table is a ``;``-separated CSV in UTF-8 (a BOM
is accepted, ``,`` decimals too), every cell read as text and checked by
``projection.strategy.parse_programme``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import ValidationError

from mixite.errors import ConfigError, InputError, Location
from mixite.io._spelling import closest
from mixite.params import YamlError, read_yaml_file

if TYPE_CHECKING:
    from mixite.projection.strategy import StrategyPlan

__all__ = ["load_strategy", "read_programme"]

_DOC = "voir docs/projection.md"


def _french(kind: str, value: object, allowed: list[str], error: Any = None) -> str:
    context = (error or {}).get("ctx") or {}
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", " ou ")
        return f"valeur « {value} » inconnue : écrivez {expected}."
    if kind == "value_error" and "error" in context:
        return f"{context['error']}."
    if kind == "extra_forbidden":
        guess = closest(str(value), allowed) if allowed else None
        hint = f" Vouliez-vous dire « {guess} » ?" if guess else ""
        return f"champ inconnu.{hint}"
    messages = {
        "missing": "champ obligatoire absent.",
        "less_than_equal": f"valeur « {value} » trop grande.",
        "greater_than_equal": f"valeur « {value} » trop petite.",
        "greater_than": f"valeur « {value} » trop petite.",
        "int_type": f"valeur « {value} » : un nombre entier est attendu.",
        "float_type": f"valeur « {value} » : un nombre est attendu.",
        "string_type": f"valeur « {value} » : un texte est attendu (mettez-le entre guillemets).",
        "list_type": f"valeur « {value} » : une liste est attendue.",
        "dict_type": f"valeur « {value} » : un dictionnaire (clé: valeur) est attendu.",
        "model_type": f"valeur « {value} » : un dictionnaire (clé: valeur) est attendu.",
    }
    return messages.get(kind, f"valeur « {value} » invalide ({kind}).")


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed where a validation error points (for the suggestion)."""
    from pydantic import BaseModel

    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def read_programme(path: Path) -> pd.DataFrame:
    """The programming table of a strategy, validated (``projection.strategy.parse_programme``).

    Raises ``InputError`` (file, line, column, value, fix) for a missing file, an unreadable
    encoding or a bad cell.
    """
    from mixite.io._sniff import MAX_LINE_BYTES, decode_single_byte, scan
    from mixite.projection.strategy import parse_programme

    if not path.is_file():
        raise InputError(
            "Fichier de programmation introuvable",
            Location(str(path)),
            "Vérifiez le chemin « offre.programmation » de la stratégie (relatif au fichier de "
            "stratégie).",
        )
    # The checks of every CSV reader (io._sniff): encoding, over-long lines.
    found = scan(path)
    if found.longest[1] > MAX_LINE_BYTES:
        raise InputError(
            f"Ligne démesurée : {found.longest[1]} octets, au-delà du maximum de "
            f"{MAX_LINE_BYTES} octets",
            Location(str(path), found.longest[0]),
            "Vérifiez qu'un guillemet n'est pas resté ouvert et que le fichier est bien un CSV.",
        )
    if found.mixed_encodings:
        raise InputError(
            "Encodages mélangés : UTF-8 et un autre encodage dans le même fichier",
            Location(str(path), found.bad_utf8_line),
            "Enregistrez tout le fichier en CSV UTF-8 (séparateur « ; »).",
        )
    data = path.read_bytes()
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff") or b"\x00" in data:
        raise InputError(
            "Fichier de programmation illisible (binaire ou UTF-16)",
            Location(str(path)),
            "Enregistrez-le en CSV UTF-8 (séparateur « ; »).",
        )
    # UTF-8 (BOM or not), else Windows-1252 (French Excel exports), as every CSV reader.
    text = data.decode("utf-8-sig") if found.bad_utf8 is None else decode_single_byte(data)
    # a field may be as long as a line (MAX_LINE_BYTES), beyond the csv module's default limit
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES + 2))
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    if not rows:
        raise InputError(
            "Fichier de programmation vide",
            Location(str(path), 1),
            "Écrivez l'en-tête puis une ligne par résidence programmée (voir docs/projection.md).",
        )
    header = [h.strip() for h in rows[0]]
    for i, row in enumerate(rows[1:], start=2):
        if row and len(row) != len(header):
            raise InputError(
                f"La ligne a {len(row)} cellules au lieu de {len(header)}",
                Location(str(path), i),
                "Séparez les cellules par « ; » et gardez une cellule par colonne de l'en-tête.",
            )
    lines = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(cell.strip() for cell in r)]
    seen: dict[tuple[str, ...], int] = {}
    for i, row in lines:
        key = tuple(cell.strip() for cell in row)
        if key in seen:
            raise InputError(
                f"Ligne en double (déjà ligne {seen[key]})",
                Location(str(path), i),
                "Gardez une ligne par programme : supprimez la copie, ou additionnez les "
                "logements dans une seule ligne.",
            )
        seen[key] = i
    body = [r for _, r in lines]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    programme = parse_programme(frame, str(path))  # the header checked first
    if not lines:
        raise InputError(
            "Fichier de programmation sans ligne (en-tête seul)",
            Location(str(path), 2),
            "Écrivez une ligne par résidence programmée sous l'en-tête, ou retirez « offre."
            "programmation » de la stratégie.",
        )
    return programme


def load_strategy(path: Path | str) -> StrategyPlan:
    """Read a strategy file and everything it names: its validated ``Strategy``, the allocation
    scenario of each year (``allocation.scenario.load_scenario``) and its programming table, as a
    ``projection.strategy.StrategyPlan``.

    Raises ``ConfigError`` (YAML, fields) or ``InputError`` (programming table) in French,
    naming the file and the field.
    """
    from mixite.allocation.scenario import load_scenario
    from mixite.projection.strategy import Strategy, StrategyPlan

    path = Path(path)
    try:
        data = read_yaml_file(path).tree
    except FileNotFoundError as exc:
        raise ConfigError(f"Fichier de stratégie introuvable : « {path} ».") from exc
    except YamlError as exc:
        raise ConfigError(f"La stratégie « {path} » n'est pas un YAML valide : {exc}.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"La stratégie « {path} » doit être un dictionnaire YAML (clé: valeur).")
    try:
        strategy = Strategy.model_validate({**data, "dossier": path.parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        where = ".".join(str(x) for x in loc)
        allowed = _fields_at(Strategy, loc)
        value = loc[-1] if first["type"] == "extra_forbidden" and loc else first.get("input")
        raise ConfigError(
            f"Stratégie « {path} », champ « {where} » : "
            f"{_french(first['type'], value, allowed, first)} Corrigez ce champ ({_DOC})."
        ) from exc
    default = load_scenario(strategy.path(strategy.attributions.scenario))
    by_year = {
        int(year): load_scenario(strategy.path(relative))
        for year, relative in strategy.attributions.par_annee.items()
    }
    if strategy.offre.programmation is not None:
        programme = read_programme(strategy.path(strategy.offre.programmation))
        return StrategyPlan(strategy, default, by_year, programme, str(path))
    return StrategyPlan(strategy, default, by_year, source=str(path))
