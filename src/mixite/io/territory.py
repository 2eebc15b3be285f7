"""Reader of ``territoire.yaml``: the territory's identity and its local settings.

.. code-block:: yaml

    nom: Communauté d'agglomération de Cergy-Pontoise
    siren_epci: "200035947"
    siren_epci_seuils: "200035947"   # EPCI whose arrêté Q1/Q2/Q3 thresholds apply (default: siren_epci)
    seuil_q1:                         # optional overrides, € per UC per year
      2025: 13000
    taux_effort_max: 0.35             # CAL charter: maximum effort rate
    reste_a_vivre_min: 12             # CAL charter: minimum « reste à vivre », €/UC/day

The result is the one-row store table ``territory`` with columns ``name, epci,
q1_reference_epci, q1_overrides (JSON text), max_effort_rate, min_reste_a_vivre``. The two
charter values are local conventions: when the file omits them they stay empty (NaN) and the
computations use the default charter in force at their date (parameters
``solvabilite.taux_effort_max`` and ``solvabilite.reste_a_vivre_min``,
``affordability.territory_thresholds``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.dtypes import canonical
from mixite.errors import InputError, Location
from mixite.io._checks import bound_text
from mixite.io._spelling import closest
from mixite.io.mapping import yaml_input_error
from mixite.params import YamlError, read_yaml_file
from mixite.schema import SIREN_PATTERN, TERRITORY

__all__ = ["TERRITORY_COLUMNS", "read_territory"]

TERRITORY_COLUMNS = tuple(TERRITORY.names)
#: Largest ``territoire.yaml`` accepted (bytes): the file holds a dozen short keys.
TERRITORY_MAX_BYTES = 64 * 1024
_KEYS = (
    "nom",
    "siren_epci",
    "siren_epci_seuils",
    "seuil_q1",
    "taux_effort_max",
    "reste_a_vivre_min",
)


#: Longest territory name accepted (characters): a name is shown in every report title.
NAME_MAX_CHARS = 200


def _load(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    name = path.name
    try:
        document = read_yaml_file(path, max_bytes=TERRITORY_MAX_BYTES)
    except FileNotFoundError:
        raise InputError(
            "Fichier introuvable", Location(str(path)), "Vérifiez le chemin."
        ) from None
    except IsADirectoryError:
        raise InputError(
            "Un dossier a été donné au lieu du fichier du territoire",
            Location(str(path)),
            "Donnez le chemin du fichier territoire.yaml.",
        ) from None
    except YamlError as exc:
        if exc.kind == "encoding":
            raise InputError(
                "Le fichier du territoire n'est pas encodé en UTF-8",
                Location(name, exc.line),
                "Enregistrez-le en UTF-8.",
            ) from None
        raise yaml_input_error(
            exc,
            name,
            "Fichier YAML",
            "Vérifiez l'indentation (espaces, pas de tabulation) et les deux-points après chaque "
            "clé.",
        ) from None
    if document.tree is None:
        raise InputError(
            "Fichier vide",
            Location(name),
            'Écrivez au moins « nom: … » et « siren_epci: "…" » (voir docs/formats.md).',
        )
    if not isinstance(document.tree, dict):
        raise InputError(
            "Le fichier du territoire doit être une liste de clés « nom: valeur »",
            Location(name, 1),
            'Écrivez au moins « nom: … » et « siren_epci: "…" ».',
        )
    return document.tree, document.lines


def read_territory(path: str | Path) -> pd.DataFrame:
    """Read ``territoire.yaml`` into the one-row ``territory`` frame; ``InputError`` in French."""
    file = Path(path)
    name = file.name
    tree, lines = _load(file)
    for key in tree:
        if key not in _KEYS:
            suggestion = closest(str(key), _KEYS)
            hint = f"Vouliez-vous dire « {suggestion} » ? " if suggestion else ""
            raise InputError(
                "Clé inconnue",
                Location(name, lines.get(str(key)), str(key)),
                f"{hint}Clés permises : {', '.join(_KEYS)}.",
            )
    for key in ("nom", "siren_epci"):
        if tree.get(key) in (None, ""):
            raise InputError(
                "Clé obligatoire absente",
                Location(name, None, key),
                f"Ajoutez la ligne « {key}: … » (voir docs/formats.md).",
            )

    def siren(key: str) -> str:
        value = str(tree[key]).strip()
        if not re.match(SIREN_PATTERN, value):
            raise InputError(
                "Numéro SIREN mal formé",
                Location(name, lines.get(key), key, value),
                "Un SIREN a 9 chiffres ; écrivez-le entre guillemets (par exemple "
                '« siren_epci: "200035947" ») pour garder les zéros initiaux.',
            )
        return value

    def number(key: str, low: float, high: float) -> float:
        """The value of ``key``, NaN when the file omits it (the parameter then applies)."""
        raw = tree.get(key)
        if raw is None:
            return float("nan")
        try:
            value = float(str(raw).replace(",", "."))
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise InputError(
                "Valeur impossible",
                Location(name, lines.get(key), key, str(raw)),
                f"« {key} » doit être un nombre entre {bound_text(low)} et {bound_text(high)}.",
            )
        return value

    epci = siren("siren_epci")
    reference = siren("siren_epci_seuils") if tree.get("siren_epci_seuils") else epci
    overrides = _overrides(tree.get("seuil_q1"), name, lines.get("seuil_q1"))
    if not isinstance(tree["nom"], str):
        raise InputError(
            "Le nom du territoire doit être un texte",
            Location(name, lines.get("nom"), "nom"),
            "Écrivez « nom: » suivi du nom de l'EPCI sur la même ligne.",
        )
    territory_name = str(tree["nom"]).strip()
    if len(territory_name) > NAME_MAX_CHARS:
        raise InputError(
            f"Nom du territoire trop long ({len(territory_name)} caractères, au plus "
            f"{NAME_MAX_CHARS})",
            Location(name, lines.get("nom"), "nom", territory_name[:60] + "…"),
            "Donnez le nom officiel de l'EPCI (par exemple « Communauté d'agglomération de "
            "Cergy-Pontoise »).",
        )
    row = {
        "name": territory_name,
        "epci": epci,
        "q1_reference_epci": reference,
        "q1_overrides": _json_text(overrides),
        "max_effort_rate": number("taux_effort_max", 0.01, 1.0),
        "min_reste_a_vivre": number("reste_a_vivre_min", 0.0, 1000.0),
    }
    return canonical(pd.DataFrame([row], columns=list(TERRITORY_COLUMNS)), TERRITORY)


def _json_text(value: Any) -> str:
    """Compact, sorted JSON text."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _overrides(raw: Any, name: str, line: int | None) -> dict[str, float]:
    if raw is None:
        return {}
    fix = "Écrivez une ligne « année: montant » par année (par exemple « 2025: 13000 »), en € par UC et par an."
    if not isinstance(raw, dict):
        raise InputError(
            "« seuil_q1 » doit associer des années à des montants",
            Location(name, line, "seuil_q1"),
            fix,
        )
    out: dict[str, float] = {}
    for year, amount in raw.items():
        text = str(year).strip()
        if not re.fullmatch(r"(19|20)\d{2}", text):
            raise InputError(
                "Année illisible dans « seuil_q1 »",
                Location(name, line, "seuil_q1", text),
                fix,
            )
        try:
            value = float(str(amount).replace(",", "."))
        except ValueError:
            value = float("nan")
        if not 0 < value < float("inf"):
            raise InputError(
                "Seuil Q1 impossible dans « seuil_q1 »",
                Location(name, line, "seuil_q1", f"{text}: {amount}"),
                fix,
            )
        out[text] = value
    return out
