"""A strategy over the CIA's six years, as data: the levers, each dated by year, validated.

A strategy file (YAML, French keys, read by ``mixite.io.strategy.load_strategy``)::

    nom: Offre hors QPV
    attributions:                       # an allocation scenario per year (docs/allocation.md)
      scenario: ../scenarios/reference.yaml
      par_annee: {2027: ../scenarios/flechage.yaml}
    offre:
      programmation: programmation_plh.csv   # the PLH's programming table (CSV, below)
      ventes: [{residence: P0000012, annee: 2026, logements: 5}]
    renouvellement:
      demolitions: [{residence: P0000003, annee: 2026}]
      rehabilitations: [{residence: P0000004, annee: 2027, hausse_loyer: 0.05}]
      relogement: planificateur           # or priorite (the default); or, with the charter:
      # relogement: {methode: planificateur, part_hors_qpv: 0.6, hausse_reste_a_charge_max: 20}
    loyers: [{a_partir_de: 2026, part_baisse_hors_qpv: 0.3}]
    accompagnement: {2025: 100, 2026: 100}  # Q1 households newly supported each year

Everything here is pure: the models validate a mapping, ``parse_programme`` validates the rows of
a programming table already read; reading files is the job of ``mixite.io.strategy``. The
programming table (``;``-separated CSV, one row per programmed residence) has the columns of
``PROGRAMME_COLUMNS``: ``commune`` (INSEE code), ``annee_livraison``, ``residence`` (name),
``bailleur`` (SIREN), ``financement`` (PLAI, PLUS or PLS), ``t1`` … ``t5`` (dwellings by rooms,
T5 = five rooms or more), ``loyer_m2`` (monthly rent per m², or « plafond de la convention »),
``qpv`` (the QPV's code, empty outside QPV) and optionally ``x``, ``y`` (Lambert-93).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mixite.errors import InputError, Location
from mixite.schema import COMMUNE_CODE_PATTERN, QPV_CODE_PATTERN, SIREN_PATTERN

if TYPE_CHECKING:
    from mixite.allocation.scenario import Scenario

__all__ = [
    "CONVENTION_CEILING",
    "PLANNER",
    "PRIORITY_RULE",
    "PROGRAMME_COLUMNS",
    "PROGRAMME_ROOMS",
    "Attributions",
    "Demolition",
    "Offre",
    "Reequilibrage",
    "Rehabilitation",
    "Relogement",
    "Renouvellement",
    "Strategy",
    "StrategyPlan",
    "Vente",
    "parse_programme",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Attributions(_Strict):
    """The allocation scenario of every projected year, the years that use another one, and
    the commissions' observed preference for mutations and for priority households (added to
    the cotation score, in units of its range; calibrated on the year's observed attributions by
    ``mixite projeter --calibrer``, 0 = the cotation alone, negative when commissions favour
    them less than the grid does) and, when set, the commission's
    preference for solvent households of every year's scenario."""

    scenario: str
    par_annee: dict[int, str] = Field(default_factory=dict)
    preference_mutations: float = Field(default=0.0, ge=-10, le=10)
    preference_prioritaires: float = Field(default=0.0, ge=-10, le=10)
    #: Replaces the scenarios' ``commission.preference_solvabilite`` when set.
    preference_solvabilite: float | None = Field(default=None, ge=0, le=10)


class Vente(_Strict):
    """Dwellings of a residence sold to their tenants in a year (they leave the social stock)."""

    residence: str
    annee: int = Field(ge=2000, le=2100)
    logements: int = Field(ge=1)


class Offre(_Strict):
    """New supply (the programming table) and sales to tenants."""

    programmation: str | None = None
    ventes: list[Vente] = Field(default_factory=list)


class Demolition(_Strict):
    """A residence demolished: from 1 January of ``annee`` its households are relocated and its
    dwellings are no longer let; each dwelling leaves the stock once empty."""

    residence: str
    annee: int = Field(ge=2000, le=2100)


class Rehabilitation(_Strict):
    """A residence rehabilitated in ``annee``; its rents change by ``hausse_loyer`` (share)."""

    residence: str
    annee: int = Field(ge=2000, le=2100)
    hausse_loyer: float = Field(default=0.0, ge=-0.5, le=1.0)


#: How the households of a demolished residence are rehoused (``Relogement.methode``).
PRIORITY_RULE: Literal["priorite"] = "priorite"
PLANNER: Literal["planificateur"] = "planificateur"


class Relogement(_Strict):
    """How the households of a demolished residence are rehoused (``docs/projection.md``,
    « Relogement »): ``priorite`` (the default), they outrank every applicant in the
    commissions; ``planificateur``, before each round of commissions the relocation planner of
    ``mixite.trajectoires.relogement`` assigns them the round's vacancies under the charter's
    targets. The charter's rules, each optional (the parameter ``relogement.<key>`` in force at
    1 January of the base otherwise), apply to the planner only; ``contributions`` maps a
    reservataire (``bailleur:SIREN``, ``action_logement``…) to its minimum share of the
    relocations. ``relogement: planificateur`` is short for ``{methode: planificateur}``."""

    methode: Literal["priorite", "planificateur"] = PRIORITY_RULE
    part_hors_qpv: float | None = Field(default=None, ge=0, le=1)
    part_neuf_recent: float | None = Field(default=None, ge=0, le=1)
    hausse_reste_a_charge_max: float | None = Field(default=None, ge=0, le=1000)
    anciennete_max_recent: int | None = Field(default=None, ge=0, le=30)
    minoration_loyer: bool | None = None
    contributions: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"methode": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _charter_for_the_planner(self) -> Relogement:
        charter = [
            k
            for k in (
                "part_hors_qpv",
                "part_neuf_recent",
                "hausse_reste_a_charge_max",
                "anciennete_max_recent",
                "minoration_loyer",
            )
            if getattr(self, k) is not None
        ]
        if self.contributions:
            charter.append("contributions")
        if self.methode != PLANNER and charter:
            raise ValueError(
                f"« {charter[0]} » est une règle de la charte, que seul le planificateur "
                "applique : écrivez « methode: planificateur » ou retirez cette clé"
            )
        if sum(self.contributions.values()) > 1.0 + 1e-9:
            raise ValueError(
                "les parts des contributions dépassent 100 % : leur somme doit rester au plus 1"
            )
        return self

    @field_validator("contributions")
    @classmethod
    def _partners(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if not key.strip():
                raise ValueError(
                    "partenaire vide dans « contributions » : écrivez « bailleur:SIREN », "
                    "« commune:CODE », « action_logement »…"
                )
        return value


class Renouvellement(_Strict):
    """Urban renewal (NPNRU): demolitions and rehabilitations by residence and year, and how the
    households of the demolished residences are rehoused."""

    demolitions: list[Demolition] = Field(default_factory=list)
    rehabilitations: list[Rehabilitation] = Field(default_factory=list)
    relogement: Relogement = Relogement()


class Reequilibrage(_Strict):
    """Rent rebalancing at relet from ``a_partir_de`` (to ``jusqu_a`` included): a share of the
    non-QPV relets lowered to the housing-aid rent ceiling, the landlord's other relets of the
    year raised within the convention's maximum so that its rent mass stays constant."""

    a_partir_de: int = Field(ge=2000, le=2100)
    jusqu_a: int | None = Field(default=None, ge=2000, le=2100)
    part_baisse_hors_qpv: float = Field(ge=0, le=1)
    bailleurs: list[str] | None = None

    def applies(self, year: int, landlord: str) -> bool:
        """Whether the rebalancing applies to ``landlord``'s relets of ``year``."""
        if year < self.a_partir_de or (self.jusqu_a is not None and year > self.jusqu_a):
            return False
        return self.bailleurs is None or landlord in self.bailleurs


class Strategy(_Strict):
    """A validated strategy file (see the module docstring)."""

    nom: str
    description: str = ""
    attributions: Attributions
    offre: Offre = Offre()
    renouvellement: Renouvellement = Renouvellement()
    loyers: list[Reequilibrage] = Field(default_factory=list)
    accompagnement: dict[int, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    dossier: Path | None = None  # folder of the strategy file (relative paths)

    def path(self, relative: str) -> Path:
        """``relative`` resolved against the strategy file's folder."""
        p = Path(relative)
        return p if p.is_absolute() or self.dossier is None else self.dossier / p

    def supported(self, year: int) -> int:
        """Q1 households newly supported in ``year``."""
        return int(self.accompagnement.get(year, 0))


@dataclass(frozen=True, eq=False)
class StrategyPlan:
    """A strategy with its files read: the allocation scenario of each year (``default`` for the
    years not listed) and the programming table (``parse_programme``'s columns, empty when none).
    """

    strategy: Strategy
    default: Scenario
    by_year: Mapping[int, Scenario] = field(default_factory=dict)
    programme: pd.DataFrame = field(default_factory=lambda: _empty_programme())
    source: str = ""

    @property
    def name(self) -> str:
        return self.strategy.nom

    def scenario(self, year: int) -> Scenario:
        """The allocation scenario of ``year`` (with the strategy's solvency preference, when
        it sets one)."""
        scenario = self.by_year.get(year, self.default)
        solvency = self.strategy.attributions.preference_solvabilite
        if solvency is None:
            return scenario
        commission = scenario.commission.model_copy(update={"preference_solvabilite": solvency})
        return scenario.model_copy(update={"commission": commission})


#: Marker of a programmed rent at the convention's ceiling.
CONVENTION_CEILING = "plafond de la convention"
#: Room columns of the programming table (T5 = five rooms or more).
PROGRAMME_ROOMS = ("t1", "t2", "t3", "t4", "t5")
#: Columns of the programming table (``x`` and ``y`` optional).
PROGRAMME_COLUMNS = (
    "commune",
    "annee_livraison",
    "residence",
    "bailleur",
    "financement",
    *PROGRAMME_ROOMS,
    "loyer_m2",
    "qpv",
)
_OPTIONAL = ("x", "y")
_FINANCING = {"plai": "plai", "plus": "plus", "pls": "pls"}
#: Parsed programme columns.
_PARSED = (
    "line",
    "commune",
    "year",
    "residence_name",
    "landlord_id",
    "finan_family",
    *PROGRAMME_ROOMS,
    "rent_m2",
    "qpv_code",
    "x",
    "y",
)


def _empty_programme() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in _PARSED})


def _number(text: str) -> float | None:
    """The finite number written in ``text`` (decimal comma, spaces), or ``None``: « NaN »,
    « inf » and digits beyond a float's range are not numbers of a programming table."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_programme(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The rows of a programming table (all cells as text, as read from the CSV) validated and
    typed: one row per programmed residence with ``line`` (in the file), ``commune``, ``year``,
    ``residence_name``, ``landlord_id``, ``finan_family`` (``plai``, ``plus``, ``pls``),
    ``t1`` … ``t5`` (ints), ``rent_m2`` (€/m²/month; NaN = the convention's ceiling),
    ``qpv_code`` (None outside QPV), ``x`` and ``y`` (NaN when absent).

    A bad cell raises ``InputError`` naming ``source``, the line, the column, the value and the
    fix, in French.
    """
    columns = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in PROGRAMME_COLUMNS if c not in columns]
    if missing:
        raise InputError(
            f"Colonne « {missing[0]} » absente de la programmation",
            Location(source, 1, missing[0]),
            "La programmation a les colonnes "
            + ";".join(PROGRAMME_COLUMNS)
            + " (et, au choix, x;y en Lambert-93) : voir docs/projection.md.",
        )
    unknown = [c for c in columns if c not in (*PROGRAMME_COLUMNS, *_OPTIONAL)]
    if unknown:
        raise InputError(
            f"Colonne « {unknown[0]} » inconnue dans la programmation",
            Location(source, 1, unknown[0]),
            "Retirez-la ou renommez-la : colonnes permises "
            + ";".join(PROGRAMME_COLUMNS)
            + ";x;y.",
        )
    rows: list[dict[str, Any]] = []
    for i, record in enumerate(frame.to_dict("records")):
        line = i + 2

        def cell(name: str, rec: Mapping[Any, Any] = record) -> str:
            value = rec.get(columns[name]) if name in columns else None
            if value is None or (isinstance(value, float) and np.isnan(value)):
                return ""
            return str(value).strip()

        def bad(name: str, value: str, fix: str, problem: str, at: int = line) -> InputError:
            return InputError(problem, Location(source, at, name, value), fix)

        commune = cell("commune")
        if not re.match(COMMUNE_CODE_PATTERN, commune):
            raise bad(
                "commune", commune, "Donnez le code INSEE à 5 caractères.", "Commune invalide"
            )
        year_text = cell("annee_livraison")
        year = _number(year_text)
        if year is None or year != int(year) or not 2000 <= year <= 2100:
            raise bad(
                "annee_livraison",
                year_text,
                "Donnez l'année de livraison (par exemple 2027).",
                "Année de livraison invalide",
            )
        name = cell("residence")
        if not name:
            raise bad("residence", name, "Nommez la résidence programmée.", "Résidence sans nom")
        landlord = cell("bailleur")
        if not re.match(SIREN_PATTERN, landlord):
            raise bad(
                "bailleur",
                landlord,
                "Donnez le SIREN du bailleur (9 chiffres).",
                "Bailleur invalide",
            )
        financing = cell("financement").lower()
        if financing not in _FINANCING:
            raise bad(
                "financement",
                cell("financement"),
                "Écrivez PLAI, PLUS ou PLS.",
                "Financement inconnu",
            )
        counts: dict[str, int] = {}
        for room in PROGRAMME_ROOMS:
            text = cell(room) or "0"
            value = _number(text)
            if value is None or value < 0 or value != int(value):
                raise bad(
                    room,
                    text,
                    "Donnez un nombre entier de logements (0 si aucun).",
                    "Nombre de logements invalide",
                )
            counts[room] = int(value)
        if sum(counts.values()) == 0:
            raise bad(
                "t1",
                "0",
                "Indiquez le nombre de logements par typologie (colonnes t1 à t5).",
                "Résidence programmée sans logement",
            )
        rent_text = cell("loyer_m2")
        rent: float = np.nan
        if rent_text.lower() != CONVENTION_CEILING:
            parsed = _number(rent_text)
            if parsed is None or not 0 < parsed <= 50:
                raise bad(
                    "loyer_m2",
                    rent_text,
                    f"Donnez un loyer mensuel au m² (par exemple 5,80) ou « {CONVENTION_CEILING} ».",
                    "Loyer au m² invalide",
                )
            rent = parsed
        qpv = cell("qpv")
        if qpv.lower() in ("", "non", "hors qpv"):
            qpv_code: str | None = None
        elif re.match(QPV_CODE_PATTERN, qpv):
            qpv_code = qpv
        else:
            raise bad(
                "qpv",
                qpv,
                "Laissez la cellule vide hors QPV, ou donnez le code du QPV (par exemple QN09601M).",
                "QPV invalide",
            )
        coords: dict[str, float] = {}
        for axis in _OPTIONAL:
            text = cell(axis)
            value = _number(text) if text else np.nan
            if value is None:
                raise bad(
                    axis, text, "Donnez une coordonnée Lambert-93 en mètres.", "Coordonnée invalide"
                )
            coords[axis] = value
        rows.append(
            {
                "line": line,
                "commune": commune,
                "year": int(year),
                "residence_name": name,
                "landlord_id": landlord,
                "finan_family": _FINANCING[financing],
                **counts,
                "rent_m2": rent,
                "qpv_code": qpv_code,
                **coords,
            }
        )
    if not rows:
        return _empty_programme()
    out = pd.DataFrame(rows, columns=list(_PARSED))
    out["qpv_code"] = pd.Series([r["qpv_code"] for r in rows], dtype=object)
    return out
