"""Reader of ``engagements.yaml``: the territory's adapted rates and each partner's commitments.

The law sets national default rates (parameters ``quotas.*``), but the orientations of the
intercommunal housing conference may adapt them for the territory (approved by the EPCI and the
préfet, revised every three years, CCH art. L441-1 and L441-1-5) and the convention
intercommunale d'attribution sets each partner's commitment (L441-1-6). These are local data, one
line per rate, each dated and tied to the act that sets it:

.. code-block:: yaml

    engagements:
      - echelle: epci                 # adapted rate of the orientations, for the whole territory
        objectif: q1_hors_qpv
        taux: 0.28
        du: 2024-01-01
        au: 2026-12-31                # optional end
        acte: Document-cadre d'orientations approuvé par délibération n° 2023-12 et par le préfet
      - echelle: bailleur             # a landlord's commitment in the CIA (its SIREN)
        partenaire: "999961003"
        objectif: q1_hors_qpv
        taux: 0.30
        du: 2025-01-01
        acte: CIA signée le 3 mars 2025, article 4
      - echelle: reservataire         # a reservataire's commitment: « type:identifiant »
        partenaire: "commune:96001"
        objectif: prioritaires
        taux: 0.30
        du: 2025-01-01
        acte: CIA signée le 3 mars 2025, article 6

The result is the store table ``commitments`` (``schema.COMMITMENTS``); a landlord's
``prioritaires`` commitment applies to its non-reserved stock. Errors are French ``InputError``
naming the file, the line, the key and the value.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mixite.dtypes import canonical
from mixite.errors import InputError, Location
from mixite.io._spelling import closest
from mixite.io.mapping import read_yaml_input
from mixite.schema import COMMITMENTS, RESERVATAIRES, SIREN_PATTERN
from mixite.vocabulary import Indicator, Level, split_reservataire_key

__all__ = ["COMMITMENT_KEYS", "read_commitments"]

#: Keys of one line of ``engagements``.
COMMITMENT_KEYS = ("echelle", "partenaire", "objectif", "taux", "du", "au", "acte")
_TOP_KEYS = ("engagements", "description")
_SCALES = (str(Level.EPCI), str(Level.LANDLORD), str(Level.RESERVATAIRE))
_FIX_DATE = "Écrivez la date au format AAAA-MM-JJ (par exemple 2025-01-01)."
#: Largest engagements file read (a territory's conventions fit in a few kilobytes).
COMMITMENTS_MAX_BYTES = 1_000_000


def _lines(node: yaml.Node) -> list[dict[str, int]]:
    """Line (1-based) of each key of each item of the ``engagements`` sequence."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "engagements" and isinstance(value, yaml.SequenceNode):
            return [
                {str(k.value): k.start_mark.line + 1 for k, _ in item.value}
                if isinstance(item, yaml.MappingNode)
                else {"": item.start_mark.line + 1}
                for item in value.value
            ]
    return []


def _date(raw: Any, name: str, line: int | None, key: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InputError("Date illisible", Location(name, line, key, str(raw)), _FIX_DATE) from None


def read_commitments(path: str | Path) -> pd.DataFrame:
    """Read ``engagements.yaml`` into the ``commitments`` frame; ``InputError`` in French."""
    file = Path(path)
    name = file.name
    document = read_yaml_input(
        file,
        "Fichier YAML",
        "Vérifiez l'indentation (espaces), les deux-points et les tirets des engagements, et "
        "qu'aucune clé n'apparaît deux fois.",
        max_bytes=COMMITMENTS_MAX_BYTES,
    )
    tree, node = document.tree, document.node  # the nodes give the line of each key
    if not isinstance(tree, dict) or not isinstance(tree.get("engagements"), list):
        raise InputError(
            "Le fichier doit contenir une liste « engagements: »",
            Location(name, 1),
            "Écrivez « engagements: » puis une ligne « - echelle: … » par taux ou engagement "
            "(voir docs/formats.md).",
        )
    for key in tree:
        if key not in _TOP_KEYS:
            raise InputError(
                "Clé inconnue",
                Location(name, None, str(key)),
                f"Clés permises au premier niveau : {', '.join(_TOP_KEYS)}.",
            )
    lines = _lines(node) if node is not None else []
    rows = [
        _row(item, name, lines[i] if i < len(lines) else {})
        for i, item in enumerate(tree["engagements"])
    ]
    _check_overlaps(rows, name, lines)
    frame = pd.DataFrame(rows, columns=list(COMMITMENTS.names))
    return canonical(frame, COMMITMENTS)


def _row(item: Any, name: str, lines: dict[str, int]) -> dict[str, Any]:
    first = min(lines.values()) if lines else None
    if not isinstance(item, dict):
        raise InputError(
            "Chaque engagement doit être une liste de clés",
            Location(name, first),
            f"Écrivez les clés {', '.join(COMMITMENT_KEYS)} sous le tiret.",
        )
    for key in item:
        if key not in COMMITMENT_KEYS:
            suggestion = closest(str(key), COMMITMENT_KEYS)
            hint = f"Vouliez-vous dire « {suggestion} » ? " if suggestion else ""
            raise InputError(
                "Clé inconnue",
                Location(name, lines.get(str(key), first), str(key)),
                f"{hint}Clés permises : {', '.join(COMMITMENT_KEYS)}.",
            )
    for key in ("echelle", "objectif", "taux", "du", "acte"):
        if item.get(key) in (None, ""):
            raise InputError(
                "Clé obligatoire absente",
                Location(name, first, key),
                f"Ajoutez « {key}: … » à cet engagement ; « acte » nomme la délibération, "
                "l'arrêté ou la convention qui fixe le taux.",
            )
    scale = str(item["echelle"]).strip()
    if scale not in _SCALES:
        raise InputError(
            "Échelle inconnue",
            Location(name, lines.get("echelle"), "echelle", scale),
            f"Échelles permises : {', '.join(_SCALES)}.",
        )
    indicator = str(item["objectif"]).strip()
    codes = [str(i) for i in Indicator]
    if indicator not in codes:
        raise InputError(
            "Objectif inconnu",
            Location(name, lines.get("objectif"), "objectif", indicator),
            f"Objectifs permis : {', '.join(codes)}.",
        )
    partner = "" if item.get("partenaire") is None else str(item["partenaire"]).strip()
    group = _partner(scale, partner, indicator, name, lines.get("partenaire", first))
    level = scale
    if scale == Level.LANDLORD and indicator == Indicator.PRIORITY:
        level = str(Level.LANDLORD_NON_RESERVED)
    raw_rate = item["taux"]
    try:
        rate = float(str(raw_rate).replace(",", "."))
    except ValueError:
        rate = float("nan")
    if isinstance(raw_rate, bool) or not 0.0 <= rate <= 1.0:
        raise InputError(
            "Taux impossible",
            Location(name, lines.get("taux"), "taux", str(raw_rate)),
            "Écrivez le taux comme une part entre 0 et 1 (0.30 pour 30 %).",
        )
    start = _date(item["du"], name, lines.get("du"), "du")
    end = None if item.get("au") in (None, "") else _date(item["au"], name, lines.get("au"), "au")
    if end is not None and end < start:
        raise InputError(
            "La fin de validité précède le début",
            Location(name, lines.get("au"), "au", end.isoformat()),
            f"Donnez une date « au » postérieure au {start.isoformat()}.",
        )
    return {
        "level": level,
        "group": group,
        "indicator": indicator,
        "rate": rate,
        "valid_from": start,
        "valid_to": end,
        "act": str(item["acte"]).strip(),
    }


def _partner(scale: str, partner: str, indicator: str, name: str, line: int | None) -> str:
    """The group key of a commitment's partner (the territory for ``epci``)."""
    if scale == Level.EPCI:
        if partner:
            raise InputError(
                "Un taux de l'EPCI ne nomme pas de partenaire",
                Location(name, line, "partenaire", partner),
                "Supprimez « partenaire » (le taux vaut pour tout le territoire), ou choisissez "
                "l'échelle bailleur ou reservataire.",
            )
        return "epci"
    if not partner:
        raise InputError(
            "Partenaire absent",
            Location(name, line, "partenaire"),
            "Indiquez le SIREN du bailleur, ou le réservataire sous la forme « type:identifiant » "
            "(par exemple « commune:96001 » ou « action_logement »).",
        )
    if scale == Level.LANDLORD:
        if not re.match(SIREN_PATTERN, partner):
            raise InputError(
                "SIREN du bailleur mal formé",
                Location(name, line, "partenaire", partner),
                'Un SIREN a 9 chiffres ; écrivez-le entre guillemets (par exemple « "999961003" »).',
            )
        return partner
    kind, _ = split_reservataire_key(partner)
    if kind not in RESERVATAIRES or kind == "bailleur":
        allowed = ", ".join(k for k in RESERVATAIRES if k != "bailleur")
        raise InputError(
            "Type de réservataire inconnu",
            Location(name, line, "partenaire", partner),
            f"Écrivez « type:identifiant » avec un type parmi : {allowed} (les logements non "
            "réservés d'un bailleur relèvent de l'échelle « bailleur »).",
        )
    if indicator != Indicator.PRIORITY:
        raise InputError(
            "Objectif impossible pour un réservataire",
            Location(name, line, "objectif", indicator),
            "Un réservataire s'engage sur l'objectif « prioritaires » ; les objectifs de "
            "quartile portent sur l'EPCI et les bailleurs.",
        )
    return partner


def _check_overlaps(rows: list[dict[str, Any]], name: str, lines: list[dict[str, int]]) -> None:
    """Two lines for the same partner and objective must not be in force on the same day."""
    seen: dict[tuple[str, str, str], list[tuple[dt.date, dt.date | None]]] = {}
    for i, row in enumerate(rows):
        key = (row["level"], row["group"], row["indicator"])
        start, end = row["valid_from"], row["valid_to"]
        for other_start, other_end in seen.get(key, []):
            if start <= (other_end or dt.date.max) and other_start <= (end or dt.date.max):
                line = min(lines[i].values()) if i < len(lines) and lines[i] else None
                raise InputError(
                    "Deux engagements du même partenaire sur le même objectif se chevauchent",
                    Location(name, line, "du", start.isoformat()),
                    "Terminez le premier (« au ») avant le début du second.",
                )
        seen.setdefault(key, []).append((start, end))
