"""Compliance of a cotation grid with the law: every legal priority earns points.

The cotation criteria must include the priorities of CCH art. L441-1 and the DALO households
(décret n° 2019-1378 du 17 décembre 2019, docs/droit.md §4 and §5). The list, with the article
each priority comes from, is the dated parameter ``cotation.priorites_legales`` (the list in
force at the date the grid comes into force, ``valide_du``).

A priority is *covered* in a section of the grid (first applications, mutations) when a
criterion with positive points is credited to a household of that priority and not to the same
household without it (a probe application: one applicant, no other criterion, priority
justified), or when a criterion with positive points declares it (``priorites: [a]``, for a
condition that tests another field, such as ``handicap`` for priority ``a``). A priority whose
households the grid puts « hors cotation » is not covered. A grid that leaves a priority
uncovered in a section is refused, unless it carries a waiver for it (``derogations``: the
priority, the reason and the act that decides it); ``check_compliance`` raises a French
``ConfigError`` naming the missing criteria.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from mixite.cotation.grid import DALO, Grid, Waiver
from mixite.errors import ConfigError, MixiteError
from mixite.params import Parameters, resolve
from mixite.schema import APPLICATIONS, PRIORITY_CODES

__all__ = [
    "LEGAL_PRIORITIES",
    "Coverage",
    "check_compliance",
    "compliance_table",
    "coverage",
    "legal_priorities",
    "priority_label",
]

#: The dated parameter listing the priorities a grid must cover, with their articles.
LEGAL_PRIORITIES = "cotation.priorites_legales"

#: Label of the DALO households (the other codes are labelled by ``schema.PRIORITY_CODES``).
_DALO_LABEL = "ménages reconnus prioritaires DALO"

#: The probe applicant: one adult, no particular situation, the priority justified.
_PROBE: dict[str, Any] = {
    "renewal_date": pd.NaT,
    "commune_residence": None,
    "housing_situation": "locataire_prive",
    "reason": "autre",
    "applicant_age": 40,
    "employment": "cdi",
    "household_size": 1,
    "adults": 1,
    "persons_14plus": 1,
    "dependants": 0,
    "single_parent": False,
    "disability": False,
    "monthly_resources": 1500.0,
    "tax_income": None,
    "current_rent": None,
    "current_rooms": None,
    "wished_communes": [],
    "rooms_min": 1,
    "rooms_max": 2,
    "priority_justified": True,
    "npnru_relocation": False,
    "refusals": 0,
}


def priority_label(code: str) -> str:
    """The French label of a legal priority code (``dalo`` or an L441-1 code)."""
    return _DALO_LABEL if code == DALO else PRIORITY_CODES.get(code, code)


def legal_priorities(when: dt.date, params: Parameters | None = None) -> dict[str, str]:
    """Code → article of each priority a grid must cover at ``when``."""
    value = resolve(params).value(LEGAL_PRIORITIES, when)
    return {str(k): str(v) for k, v in dict(value).items()}


@dataclass(frozen=True)
class Coverage:
    """How a grid covers one legal priority: the criteria that make it earn points (section,
    criterion, points), the sections where none does, and the grid's waiver for it."""

    code: str
    label: str
    article: str
    criteria: tuple[tuple[str, str, Decimal], ...]
    missing: tuple[str, ...]
    waiver: Waiver | None

    @property
    def ok(self) -> bool:
        """True when every section makes the priority earn points, or a waiver covers it."""
        return not self.missing or self.waiver is not None


def _probes(codes: list[str], mutation: bool, when: dt.date) -> pd.DataFrame:
    """One probe application per code (the first row is the probe without any priority)."""
    from mixite.dtypes import canonical

    rows = []
    for i, code in enumerate([None, *codes]):
        row = {
            "application_id": f"sonde-{i}",
            "filing_date": pd.Timestamp(when),
            **_PROBE,
            "is_mutation": mutation,
            "priority_codes": [] if code in (None, DALO) else [code],
            "dalo": code == DALO,
        }
        rows.append(row)
    frame = pd.DataFrame.from_records(rows, columns=APPLICATIONS.names)
    return canonical(frame, APPLICATIONS, check_required=False)


def coverage(
    grid: Grid, when: dt.date | None = None, params: Parameters | None = None
) -> tuple[Coverage, ...]:
    """How ``grid`` covers each legal priority in force at ``when`` (default: the date the grid
    comes into force), in the order of the parameter ``cotation.priorites_legales``."""
    from mixite.cotation.engine import condition_holds
    from mixite.cotation.fields import ScoringContext
    from mixite.household import UcScale

    day = when or grid.valid_from
    articles = legal_priorities(day, params)
    codes = list(articles)
    try:
        scale: UcScale | None = UcScale.from_parameters(day, params)
    except MixiteError:
        scale = None
    # Nobody is below a threshold of 0: criteria on « q1 » never distinguish the probes.
    context = ScoringContext(reference_date=day, q1_threshold=0.0, uc_scale=scale)
    found: dict[str, list[tuple[str, str, Decimal]]] = {c: [] for c in codes}
    missing: dict[str, list[str]] = {c: [] for c in codes}
    sections = []
    for mutation in (False, True):
        section = grid.section_for(mutation)
        if section not in sections:
            sections.append(section)
    for section in sections:
        mutation = section.applies_to == "mutations"
        probes = _probes(codes, mutation, day)
        excluded = (
            condition_holds(grid.excluded, probes, context)
            if grid.excluded is not None
            else np.zeros(len(probes), dtype=bool)
        )
        credited: Mapping[str, list[tuple[str, str, Decimal]]] = {c: [] for c in codes}
        for rubric in section.rubrics:
            for criterion in rubric.criteria:
                if criterion.cents <= 0:
                    continue
                holds = condition_holds(criterion.condition, probes, context)
                for i, code in enumerate(codes, start=1):
                    tested = bool(holds[i]) and not bool(holds[0])
                    if (tested or code in criterion.priorities) and not excluded[i]:
                        credited[code].append((section.name, criterion.name, criterion.points))
        for code in codes:
            if credited[code]:
                found[code].extend(credited[code])
            else:
                missing[code].append(section.name)
    waivers = {w.code: w for w in grid.waivers}
    return tuple(
        Coverage(
            code,
            priority_label(code),
            articles[code],
            tuple(found[code]),
            tuple(missing[code]),
            waivers.get(code),
        )
        for code in codes
    )


def check_compliance(
    grid: Grid, when: dt.date | None = None, params: Parameters | None = None
) -> tuple[Coverage, ...]:
    """The coverage of every legal priority; a French ``ConfigError`` naming the priorities that
    earn no points (and where) when the grid has no waiver for them."""
    result = coverage(grid, when, params)
    wrong = [c for c in result if not c.ok]
    if wrong:
        several = len(grid.sections) > 1
        listed = "; ".join(
            f"{c.label} ({c.article})"
            + (
                f", section{'s' if len(c.missing) > 1 else ''} {', '.join(c.missing)}"
                if several
                else ""
            )
            for c in wrong
        )
        raise ConfigError(
            f"Grille « {grid.source} » : la grille ne fait pas compter de points à "
            f"{'ces critères de priorité' if len(wrong) > 1 else 'ce critère de priorité'} "
            f"de la loi : {listed}. Le décret n° 2019-1378 impose que la cotation intègre les "
            "priorités de l'article L441-1 et les ménages DALO. Ajoutez un critère à points "
            "positifs pour chacun (condition sur « dalo » ou « priorite:<code> », ou "
            "« priorites: [<code>] » sur un critère existant), ou, si un autre circuit les "
            "traite, une dérogation documentée : « derogations: [{priorite: <code>, motif: …, "
            "acte: …}] » (voir docs/cotation.md)."
        )
    return result


def compliance_table(result: tuple[Coverage, ...]) -> pd.DataFrame:
    """The coverage as a table: ``code``, ``label``, ``article``, ``criteria`` (« section :
    criterion (points) » joined by « ; »), ``waiver`` (reason and act) and ``ok``."""
    return pd.DataFrame(
        {
            "code": [c.code for c in result],
            "label": [c.label for c in result],
            "article": [c.article for c in result],
            "criteria": [
                "; ".join(f"{s} : {n} ({p.normalize():f})" for s, n, p in c.criteria)
                for c in result
            ],
            "waiver": [
                "" if c.waiver is None else f"{c.waiver.reason} ({c.waiver.act})" for c in result
            ],
            "ok": [c.ok for c in result],
        }
    )
