"""Readers of the inputs of ``mixite reloger``: the renewal programme, the social survey, the
follow-up table (CSV, ``schema.RELOCATION_TABLES``) and the relocation charter (YAML).

The CSV files go through the engine of every mixite format (``read_table_spec``: types, codes,
bounds, French errors naming the file, line, column and value). The survey's identifiers are
pseudonymised by the caller with the store's key (``mixite.store.pseudonymise_with_key``), like
the SNE numbers on import. The charter:

.. code-block:: yaml

    nom: Charte intercommunale de relogement de la Métropole
    source: Charte approuvée par délibération n° 2024-56 du 12 juin 2024
    objectifs:                       # each key optional: the parameter relogement.* otherwise
      part_neuf_recent: 0.30         # share rehoused in new or recent dwellings
      part_hors_qpv: 0.60            # share rehoused outside QPV
      hausse_reste_a_charge_max: 20  # € per month
      anciennete_max_recent: 5       # years since the first letting
      annees_avant_operation: 2      # offers from this many years before the operation
      minoration_loyer: true         # rent lowered to the APL rent ceiling in new or recent
      source: Charte, article 3
    contributions:                   # minimum share of the relocations on each contingent
      - partenaire: "bailleur:999961001"
        part: 0.30
        source: Charte, annexe 2
    indemnite_minoration_loyer:      # optional: the ANRU's indemnity, as the charter states it
      montants: {1: 2000, 2: 3000, 3: 4000, 4: 5000, 5: 6000}  # € per relocation, by rooms
      source: Convention NPNRU, article 9

The amounts of the ANRU's « indemnité pour minoration de loyer » (general regulation of the
NPNRU; by zone and typology since 2021) are not confirmed in mixite's sources (docs/droit.md
§9): no default exists, the charter states them or the indemnity is not computed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from mixite.errors import InputError, Location
from mixite.io._spelling import closest
from mixite.io.mapping import read_yaml_input
from mixite.io.tables import read_table_spec
from mixite.params import Parameters, resolve
from mixite.schema import RELOCATION_FOLLOWUP, RENEWAL_PROGRAMME, SOCIAL_SURVEY

__all__ = [
    "CHARTER_TARGET_KEYS",
    "CharterFile",
    "read_charter",
    "read_followup",
    "read_programme",
    "read_survey",
    "special_needs",
]

#: Keys of ``objectifs`` and the parameter each one replaces.
CHARTER_TARGET_KEYS: dict[str, str] = {
    "part_neuf_recent": "relogement.part_neuf_recent",
    "part_hors_qpv": "relogement.part_hors_qpv",
    "hausse_reste_a_charge_max": "relogement.hausse_reste_a_charge_max",
    "anciennete_max_recent": "relogement.anciennete_max_recent",
    "annees_avant_operation": "relogement.annees_avant_operation",
    "minoration_loyer": "relogement.minoration_loyer",
}
_SHARES = ("part_neuf_recent", "part_hors_qpv")
_YEARS = ("anciennete_max_recent", "annees_avant_operation")
_TOP_KEYS = ("nom", "source", "objectifs", "contributions", "indemnite_minoration_loyer")
_INDEMNITY_KEYS = ("montants", "source")
#: Rooms of the indemnity's amounts (the last amount applies to larger dwellings).
_INDEMNITY_ROOMS = (1, 10)
_CONTRIBUTION_KEYS = ("partenaire", "part", "source")


@dataclass(frozen=True)
class CharterFile:
    """A relocation charter as read: its name and source, each rule's value with its source (the
    charter's, or the parameter's reference when the charter is silent), the contributions."""

    name: str
    source: str
    values: dict[str, Any]
    sources: dict[str, str]
    contributions: dict[str, float] = field(default_factory=dict)
    contribution_sources: dict[str, str] = field(default_factory=dict)
    #: The ANRU's rent-reduction indemnity per eligible relocation, € by number of rooms (empty:
    #: the charter does not state it), and the text that sets it.
    indemnity: dict[int, float] = field(default_factory=dict)
    indemnity_source: str = ""


def read_programme(path: str | Path) -> pd.DataFrame:
    """The renewal programme (``programme.csv``): one row per operation and residence."""
    return read_table_spec(path, RENEWAL_PROGRAMME)


def read_survey(path: str | Path, known_communes: Iterable[str] | None = None) -> pd.DataFrame:
    """The social survey (``enquete.csv``), identifiers still in clear; checks that each
    household's typology is ordered (``InputError`` naming the line otherwise). ``known_communes``
    are accepted beside the COG (the territory's communes)."""
    frame = read_table_spec(path, SOCIAL_SURVEY, known_communes=known_communes)
    bad = frame.index[frame["rooms_min"] > frame["rooms_max"]]
    if len(bad):
        i = int(bad[0])
        raise InputError(
            "Typologie minimale supérieure à la typologie maximale",
            Location(Path(path).name, i + 2, "typologie_min", str(frame.loc[i, "rooms_min"])),
            "Donnez typologie_min ≤ typologie_max (nombres de pièces).",
        )
    duplicated = frame.index[frame["household_id"].duplicated()]
    if len(duplicated):
        i = int(duplicated[0])
        raise InputError(
            "Ménage en double",
            Location(Path(path).name, i + 2, "id_menage", str(frame.loc[i, "household_id"])),
            "Gardez une ligne par ménage.",
        )
    return frame


#: A pseudonym written by ``mixite reloger`` (``store.PSEUDONYM_HEX_DIGITS`` hex digits).
_PSEUDONYM = r"[0-9a-f]{32}"


#: Words of the survey's free text (``besoins``, lower case, accents removed) that name each
#: special need of ``trajectoires.relogement.NEEDS``; the codes themselves are accepted too.
_NEED_WORDS: dict[str, tuple[str, ...]] = {
    "ascenseur": ("ascenseur",),
    "rez_de_chaussee": ("rez-de-chaussee", "rez de chaussee", "rdc", "plain-pied", "plain pied"),
    "pmr": ("pmr", "fauteuil", "mobilite reduite", "accessible", "accessibilite", "handicap"),
}


#: Words that name no need by themselves (« accès PMR », « logement avec ascenseur »).
_NEED_FILLERS = frozenset(
    [
        "ou",
        "et",
        "de",
        "du",
        "des",
        "d",
        "l",
        "le",
        "la",
        "les",
        "en",
        "un",
        "une",
        "au",
        "aux",
        "avec",
        "sans",
        "acces",
        "logement",
        "besoin",
        "necessaire",
        "souhaite",
    ]
)


def _plain(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("_", "-")


def special_needs(texts: pd.Series) -> pd.DataFrame:
    """The special needs named in the survey's ``besoins`` column, one boolean column per code
    of ``trajectoires.relogement.NEEDS``: « ascenseur » (a ground floor or a lift: « rez-de-chaussée
    ou ascenseur » means this one), « rez-de-chaussée » (a ground floor), « PMR » (accessible
    to reduced mobility: also « fauteuil », « accessible », « handicap »), and « autre » for any
    other text (proximity…), which the MOUS verifies. Empty: no need."""
    from mixite.trajectoires.relogement import NEEDS

    rows = []
    for raw in texts.astype(object).tolist():
        text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw)
        plain = _plain(text).strip()
        found = {code for code, words in _NEED_WORDS.items() if any(w in plain for w in words)}
        if "ascenseur" in found:
            found.discard("rez_de_chaussee")  # a ground floor OR a lift
        rest = plain
        for words in _NEED_WORDS.values():
            for word in words:
                rest = rest.replace(word, " ")
        if any(w not in _NEED_FILLERS for w in re.findall(r"[a-z]+", rest)):
            found.add("autre")
        rows.append([code in found for code in NEEDS])
    return pd.DataFrame(rows, columns=list(NEEDS), dtype=bool, index=texts.index)


def read_followup(path: str | Path, for_store: bool = False) -> pd.DataFrame:
    """The follow-up table filled by the partners (``suivi-relogement.csv``).

    With ``for_store`` (``mixite importer --suivi-relogement``), the table becomes the record of
    the relocations that happened, so each household rehoused (status ``reloge``) must give the
    dwelling of its lease and the lease date (the key that matches it to an attribution), and
    every identifier must be a pseudonym written by ``mixite reloger`` (an identifier in clear
    would otherwise be stored as is). ``InputError`` naming the line otherwise."""
    frame = read_table_spec(path, RELOCATION_FOLLOWUP)
    if not for_store:
        return frame
    name = Path(path).name
    ids = frame["household_id"].astype(str)
    bad = frame.index[~ids.str.fullmatch(_PSEUDONYM)]
    if len(bad):
        i = int(bad[0])
        raise InputError(
            "Identifiant de ménage qui n'est pas un pseudonyme",
            Location(name, i + 2, "id_menage", str(frame.loc[i, "household_id"])),
            "Gardez la colonne id_menage telle que « mixite reloger » l'a écrite (pseudonymes de "
            "32 caractères) : un identifiant en clair ne doit pas entrer dans la base.",
        )
    done = frame["status"].astype(str) == "reloge"
    for column, header, what in (
        ("dwelling_id", "logement_attribue", "le logement du bail signé (IDENT_INT du RPLS)"),
        ("lease_date", "date_bail", "la date du bail signé (AAAA-MM-JJ)"),
    ):
        missing = frame.index[done & frame[column].isna()]
        if len(missing):
            i = int(missing[0])
            raise InputError(
                "Ménage relogé sans logement ou sans date de bail",
                Location(name, i + 2, header, ""),
                f"Donnez {what} de chaque ménage au statut « reloge », ou laissez-le à l'étape "
                "précédente tant que le bail n'est pas signé.",
            )
    return frame


def _key_lines(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Line (1-based) of every key, by dotted path (``objectifs.part_hors_qpv``,
    ``contributions.0.part``)."""
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            path = f"{prefix}{k.value}"
            out[path] = k.start_mark.line + 1
            out.update(_key_lines(v, path + "."))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[f"{prefix}{i}"] = item.start_mark.line + 1
            out.update(_key_lines(item, f"{prefix}{i}."))
    return out


def _unknown(
    keys: Any, allowed: tuple[str, ...], name: str, lines: dict[str, int], at: str
) -> None:
    for key in keys:
        if key not in allowed:
            suggestion = closest(str(key), allowed)
            hint = f"Vouliez-vous dire « {suggestion} » ? " if suggestion else ""
            raise InputError(
                "Clé inconnue",
                Location(name, lines.get(f"{at}{key}"), str(key)),
                f"{hint}Clés permises : {', '.join(allowed)}.",
            )


def _number(raw: Any, name: str, line: int | None, key: str, low: float, high: float) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(
            "Nombre attendu", Location(name, line, key, str(raw)), "Écrivez un nombre (0.3)."
        )
    value = float(raw)
    if not low <= value <= high:
        raise InputError(
            "Valeur hors des bornes",
            Location(name, line, key, str(raw)),
            f"Donnez une valeur entre {low:g} et {high:g}.",
        )
    return value


def read_charter(
    path: str | Path, when: dt.date | str, params: Parameters | None = None
) -> CharterFile:
    """Read and validate a relocation charter; the parameters in force at ``when`` fill the rules
    it does not set. ``InputError`` in French naming the file, line, key and value."""
    file = Path(path)
    name = file.name
    document = read_yaml_input(
        file,
        "Fichier YAML",
        "Vérifiez l'indentation (espaces), les deux-points et les tirets, et qu'aucune clé "
        "n'apparaît deux fois.",
    )
    tree, node = document.tree, document.node
    if not isinstance(tree, dict):
        raise InputError(
            "La charte doit être un dictionnaire YAML",
            Location(name, 1),
            "Écrivez « nom: … », « source: … », « objectifs: » et « contributions: » (voir "
            "docs/formats.md).",
        )
    lines = _key_lines(node)
    _unknown(tree, _TOP_KEYS, name, lines, "")
    for key in ("nom", "source"):
        if tree.get(key) in (None, ""):
            raise InputError(
                "Clé obligatoire absente",
                Location(name, 1, key),
                f"Ajoutez « {key}: … » : le nom de la charte et l'acte qui l'approuve.",
            )
    p = resolve(params)
    targets = tree.get("objectifs") or {}
    if not isinstance(targets, dict):
        raise InputError(
            "« objectifs » doit être un dictionnaire",
            Location(name, lines.get("objectifs"), "objectifs"),
            f"Écrivez sous « objectifs: » des clés parmi {', '.join(CHARTER_TARGET_KEYS)}.",
        )
    _unknown(targets, (*CHARTER_TARGET_KEYS, "source"), name, lines, "objectifs.")
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    own_source = str(targets.get("source") or tree["source"])
    for key, param in CHARTER_TARGET_KEYS.items():
        line = lines.get(f"objectifs.{key}")
        if key not in targets or targets[key] is None:
            values[key] = p.value(param, when)
            sources[key] = "valeur par défaut : " + p.get(param, when).reference
            continue
        raw = targets[key]
        if key == "minoration_loyer":
            if not isinstance(raw, bool):
                raise InputError(
                    "Booléen attendu", Location(name, line, key, str(raw)), "Écrivez true ou false."
                )
            values[key] = raw
        elif key in _SHARES:
            values[key] = _number(raw, name, line, key, 0.0, 1.0)
        elif key in _YEARS:
            values[key] = int(_number(raw, name, line, key, 0, 30))
            if float(raw) != values[key]:
                raise InputError(
                    "Nombre entier d'années attendu",
                    Location(name, line, key, str(raw)),
                    "Écrivez un nombre entier (2).",
                )
        else:
            values[key] = _number(raw, name, line, key, 0.0, 1000.0)
        sources[key] = own_source
    contributions: dict[str, float] = {}
    contribution_sources: dict[str, str] = {}
    items = tree.get("contributions") or []
    if not isinstance(items, list):
        raise InputError(
            "« contributions » doit être une liste",
            Location(name, lines.get("contributions"), "contributions"),
            "Écrivez une ligne « - partenaire: … » par partenaire, avec « part: » et « source: ».",
        )
    for i, item in enumerate(items):
        at = f"contributions.{i}."
        first = lines.get(f"contributions.{i}")
        if not isinstance(item, dict):
            raise InputError(
                "Chaque contribution doit être une liste de clés",
                Location(name, first),
                f"Écrivez les clés {', '.join(_CONTRIBUTION_KEYS)} sous le tiret.",
            )
        _unknown(item, _CONTRIBUTION_KEYS, name, lines, at)
        for key in _CONTRIBUTION_KEYS:
            if item.get(key) in (None, ""):
                raise InputError(
                    "Clé obligatoire absente",
                    Location(name, first, key),
                    f"Ajoutez « {key}: … » à cette contribution (partenaire : « bailleur:SIREN », "
                    "« commune:CODE », « action_logement »…).",
                )
        partner = str(item["partenaire"]).strip()
        if partner in contributions:
            raise InputError(
                "Partenaire en double",
                Location(name, lines.get(at + "partenaire"), "partenaire", partner),
                "Donnez une seule contribution par partenaire.",
            )
        contributions[partner] = _number(
            item["part"], name, lines.get(at + "part"), "part", 0.0, 1.0
        )
        contribution_sources[partner] = str(item["source"])
    if sum(contributions.values()) > 1.0 + 1e-9:
        raise InputError(
            "Les parts des contributions dépassent 100 %",
            Location(name, lines.get("contributions"), "part", f"{sum(contributions.values()):g}"),
            "La somme des parts minimales des partenaires doit rester au plus 1.",
        )
    indemnity, indemnity_source = _indemnity(tree.get("indemnite_minoration_loyer"), name, lines)
    return CharterFile(
        str(tree["nom"]),
        str(tree["source"]),
        values,
        sources,
        contributions,
        contribution_sources,
        indemnity,
        indemnity_source,
    )


def _indemnity(node: Any, name: str, lines: dict[str, int]) -> tuple[dict[int, float], str]:
    """The indemnity's amounts by number of rooms (one amount for all: every size) and source."""
    at = "indemnite_minoration_loyer"
    if node is None:
        return {}, ""
    if not isinstance(node, dict):
        raise InputError(
            f"« {at} » doit être un dictionnaire",
            Location(name, lines.get(at), at),
            "Écrivez sous cette clé « montants: » (€ par relogement, selon le nombre de pièces) "
            "et « source: » (l'article de la convention NPNRU ou de la charte).",
        )
    _unknown(node, _INDEMNITY_KEYS, name, lines, at + ".")
    for key in _INDEMNITY_KEYS:
        if node.get(key) in (None, ""):
            raise InputError(
                "Clé obligatoire absente",
                Location(name, lines.get(at), key),
                f"Ajoutez « {key}: … » sous « {at} » : les montants (€ par relogement) et le texte "
                "qui les fixe.",
            )
    raw = node["montants"]
    line = lines.get(at + ".montants")
    low, high = _INDEMNITY_ROOMS
    if not isinstance(raw, dict):
        amount = _number(raw, name, line, "montants", 0.0, 1_000_000.0)
        return dict.fromkeys(range(low, high + 1), amount), str(node["source"])
    amounts: dict[int, float] = {}
    for key, value in raw.items():
        key_line = lines.get(f"{at}.montants.{key}", line)
        if isinstance(key, bool) or not isinstance(key, int) or not low <= key <= high:
            raise InputError(
                "Nombre de pièces attendu",
                Location(name, key_line, "montants", str(key)),
                f"Donnez les montants par nombre de pièces, de {low} à {high} (« 3: 4000 »).",
            )
        amounts[key] = _number(value, name, key_line, "montants", 0.0, 1_000_000.0)
    return dict(sorted(amounts.items())), str(node["source"])
