"""Result tables as people read them: names beside codes, French words, French headers.

``french_table`` is the one label layer of every tabular output (HTML, XLSX, CSV): a code column
(commune, landlord, QPV, residence) gets the name in its place and the code in a secondary
column; coded values (levels, objectives, reservataires, financings, booleans, groups of the
segregation indices) become words (``reports.fr``); headers become the French labels of the
columns' definitions, with their unit when it is not obvious; counts are whole numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mixite.jobs.results import Definition, Names
from mixite.reports import fr
from mixite.reports.fr import Format
from mixite.vocabulary import Level

__all__ = ["FrenchTable", "Lookup", "definitions_block", "french_table"]

#: Looks up the definition of a column (None when the column has none).
Lookup = Callable[[str], Definition | None]

#: Display kind of each unit of the definitions.
UNIT_FORMATS: dict[str, Format] = {
    "/1": "pct",
    "€/mois": "eur",
    "€/an/UC": "eur",
    "€/an": "eur",
    "€/m²/mois": "float",
    "ratio": "float",
    "m²": "float",
    "écart-type": "float",
    "demandes par attribution": "float",
    "mois": "int",
    "logements": "int",
    "ménages": "int",
    "demandes": "int",
    "attributions": "int",
    "résidences": "int",
    "baux": "int",
    "unités": "int",
    "personnes": "int",
}
#: Units shown after the header's label (the others are clear from the label or the format).
_UNIT_IN_HEADER = {"mois", "€/m²/mois", "m²", "€/an/UC", "€/an", "ratio", "écart-type"}
#: Units of columns that hold codes or words (no definition note).
_CODE_UNITS = {"code", "texte", "identifiant", "code INSEE", "SIREN", "classe", "booléen"}

#: Code columns: the name replaces the code, which moves to a secondary column.
_NAMED: dict[str, tuple[str, str]] = {
    "commune": ("Commune", "Code commune"),
    "commune_demanded": ("Commune souhaitée", "Code de la commune souhaitée"),
    "landlord_id": ("Bailleur", "SIREN du bailleur"),
    "qpv_code": ("Quartier prioritaire", "Code du QPV"),
    "residence_id": ("Résidence", "Identifiant de la résidence"),
    "neighbourhood": ("Quartier", "Code du quartier"),
    "reservataire": ("Réservataire", "Code du réservataire"),
}


@dataclass(frozen=True)
class FrenchTable:
    """A table ready to show: French headers, display formats per header, and the definitions
    of its columns (label → « unit : definition. Source : … »)."""

    frame: pd.DataFrame
    formats: dict[str, Format] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)


def _name_of(column: str, code: object, names: Names) -> str:
    if code is None or (isinstance(code, float) and np.isnan(code)) or code is pd.NA:
        return "hors QPV" if column == "qpv_code" else fr.MISSING
    text = str(code)
    if column in ("commune", "commune_demanded"):
        return names.commune(text)
    if column == "landlord_id":
        return names.landlord(text)
    if column == "qpv_code":
        return names.qpv.get(text, text) if text != "hors QPV" else text
    if column == "residence_id":
        return names.residence(text)
    if column == "neighbourhood":
        return fr.neighbourhood_label(text, names)
    if column == "reservataire":  # a reservataire (type:identifier), or a bare type
        return fr.reservataire_name(text, names)
    return text


def _whole(series: pd.Series) -> pd.Series:
    """A numeric column of whole numbers as nullable integers (others unchanged)."""
    values = pd.to_numeric(series, errors="coerce")
    finite = values.dropna()
    if len(finite) and bool((finite == finite.round()).all()):
        return values.round().astype("Int64")
    return series


def _group_code(level: str, group: object, names: Names) -> str:
    """The code shown beside a group's name: the EPCI's SIREN, a landlord's SIREN, a commune's
    INSEE code, a reservataire's key when it has an identifier (commune:96001); nothing for a
    reservataire named by its type alone (action_logement)."""
    if level == Level.EPCI:
        return str(names.epci or "")
    if level == Level.RESERVATAIRE and ":" not in str(group):
        return ""
    return str(group)


def french_table(
    frame: pd.DataFrame,
    names: Names,
    definition: Lookup,
    values: Mapping[str, Mapping[str, str]] | None = None,
) -> FrenchTable:
    """``frame`` as people read it (see the module docstring). ``definition`` gives each
    column's definition; ``values`` maps a column to extra code → word translations."""
    out = pd.DataFrame(index=frame.index)
    formats: dict[str, Format] = {}
    notes: dict[str, str] = {}
    level = frame["level"].astype(str) if "level" in frame.columns else None
    for column in frame.columns:
        col = str(column)
        series = frame[column]
        found = definition(col)
        if col in _NAMED:
            label, code_label = _NAMED[col]
            out[label] = [_name_of(col, v, names) for v in series]
            codes = series.astype(object).where(series.notna(), "")
            if col == "reservataire":  # a bare type (action_logement) is named only
                codes = codes.map(lambda k: k if ":" in str(k) else "")
            out[code_label] = codes
            continue
        if col == "territoire":  # the whole territory's row of a table by area
            out["Territoire"] = names.territory
            continue
        if col == "group" and level is not None:
            out["Partenaire" if "indicator" in frame.columns else "Groupe"] = [
                fr.group_label(lv, g, names) for lv, g in zip(level, series, strict=True)
            ]
            # a reservataire is coded by its key when it has an identifier (commune:96001), a
            # bare type (action_logement) is named only
            out["Code"] = [_group_code(lv, g, names) for lv, g in zip(level, series, strict=True)]
            continue
        label = found.label if found is not None else fr.COLUMN_LABELS.get(col, col)
        if found is not None and found.unit in _UNIT_IN_HEADER:
            label = f"{label} ({found.unit})"
        while label in out.columns:
            label += " "
        translate = {**fr.VALUE_LABELS.get(col, {}), **(values or {}).get(col, {})}
        if translate:
            out[label] = [translate.get(str(v), fr.value(v)) for v in series]
        elif series.dtype == bool or (
            series.dtype == object
            and len(series.dropna())
            and all(isinstance(v, bool | np.bool_) for v in series.dropna())
        ):
            out[label] = series.map(fr.yes_no)
        else:
            kind = UNIT_FORMATS.get(found.unit) if found is not None else None
            if kind == "int":
                # whole numbers become integers; expectations (sums of rates) keep their
                # precision in the workbook and are shown rounded
                series = _whole(series)
            out[label] = series
            if kind:
                formats[label] = kind
        if found is not None and found.unit not in _CODE_UNITS:
            notes[label.strip()] = (
                f"{fr.source(found.definition)} Source : {fr.source(found.source)}."
            )
    return FrenchTable(out.reset_index(drop=True), formats, notes)


def definitions_block(definitions: Mapping[str, str]) -> str:
    """The definitions of a section's columns, once each, as one paragraph of text."""
    return " ".join(f"{label} : {text}" for label, text in definitions.items())
