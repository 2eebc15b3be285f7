"""Runs the readable legal cases of ``cas_legaux.yaml`` (OpenFisca style: name, article, input,
expected output), one test per case; docs/regles.md lists every case.

Each rule name (``regle``) maps to a small runner that turns the French input of the case into
the call of the computation and compares its result with the expected output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from mixite.cotation.compliance import coverage
from mixite.cotation.engine import waiting_times
from mixite.cotation.fields import ScoringContext
from mixite.cotation.grid import parse_grid
from mixite.dtypes import canonical
from mixite.indicators.quotas import flux_ledger, prefect_ceilings, quota_indicators
from mixite.objectives import own_objectives
from mixite.schema import APPLICATIONS, ATTRIBUTIONS, RESERVATIONS

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cas_legaux.yaml").read_text("utf-8"))
DOC = HERE.parents[1] / "docs" / "regles.md"
YEAR = 2024
THRESHOLD = 9000.0  # € per UC and per year (the cases' Q1 threshold)
EPCI = "200000000"


def _attributions(rows: list[dict[str, Any]]) -> pd.DataFrame:
    records = []
    for i, r in enumerate(rows):
        records.append(
            {
                "attribution_id": str(r.get("id", f"a{i}")),
                "application_id": f"d{i}",
                "dwelling_id": None,
                "landlord_id": str(r.get("bailleur", "A")),
                "commune": str(r.get("commune", "35238")),
                "in_qpv": bool(r.get("qpv", False)),
                "qpv_code": None,
                "lease_date": pd.Timestamp(r.get("bail", f"{YEAR}-06-01")),
                "filing_date": pd.Timestamp(r["depot"]) if "depot" in r else pd.NaT,
                "reservataire": str(r.get("reservataire", "bailleur")),
                "reservataire_id": r.get("id_reservataire"),
                "rooms": 3,
                "rent": 400.0,
                "household_size": int(r.get("personnes", 1)),
                "adults": int(r.get("adultes", 1)),
                "persons_14plus": int(r.get("quatorze_ans", 1)),
                "monthly_resources": float(r.get("ressources", 2000.0)),
                "is_mutation": bool(r.get("mutation", False)),
                "npnru_relocation": bool(r.get("relogement", False)),
                "dalo": bool(r.get("dalo", False)),
                "priority": bool(r.get("prioritaire", False)),
            }
        )
    return canonical(pd.DataFrame(records, columns=ATTRIBUTIONS.names), ATTRIBUTIONS)


def _commitments(rows: list[dict[str, Any]] | None) -> pd.DataFrame | None:
    if not rows:
        return None
    out = []
    for r in rows:
        level = r["echelle"]
        if level == "bailleur" and r["objectif"] == "prioritaires":
            level = "bailleur_non_reserve"  # as io.commitments reads a landlord's commitment
        out.append(
            {
                "level": level,
                "group": str(r["partenaire"]),
                "indicator": r["objectif"],
                "rate": float(r["taux"]),
                "valid_from": pd.Timestamp(r["du"]),
                "valid_to": pd.Timestamp(r["au"]) if r.get("au") else pd.NaT,
                "act": "acte",
            }
        )
    return pd.DataFrame(out)


def run_objectif_partenaire(entree: dict[str, Any], sortie: dict[str, Any]) -> None:
    partners = pd.DataFrame(
        [{"partner": p, "expected": v[0], "rate": v[1]} for p, v in entree["partenaires"].items()]
    )
    got = own_objectives(partners).set_index("partner")["objective"].to_dict()
    assert got == sortie["objectifs"]


_QUOTA_FIELDS = {
    "concernees": "denominator",
    "public": "numerator",
    "manque": "shortfall",
    "applicable": "target_applies",
    "cible": "target",
    "cible_nationale": "target_national",
    "origine": "target_source",
}


def run_quotas(entree: dict[str, Any], sortie: list[dict[str, Any]]) -> None:
    table = quota_indicators(
        _attributions(entree["attributions"]),
        YEAR,
        THRESHOLD,
        levels=("epci", "bailleur", "bailleur_non_reserve", "reservataire"),
        territory_label=EPCI,
        commitments=_commitments(entree.get("engagements")),
    )
    table.loc[table["level"] == "epci", "group"] = "epci"
    indexed = table.set_index(["level", "group", "indicator"])
    for expected in sortie:
        row = indexed.loc[(expected["echelle"], str(expected["groupe"]), expected["objectif"])]
        for key, column in _QUOTA_FIELDS.items():
            if key in expected:
                value = row[column]
                want = expected[key]
                if isinstance(want, float):
                    assert float(value) == pytest.approx(want), (key, expected)
                else:
                    assert value == want, (key, expected)


def run_flux(entree: dict[str, Any], sortie: list[dict[str, Any]]) -> None:
    conventions = pd.DataFrame(
        [
            {
                "landlord_id": "A",
                "reservataire": c["reservataire"],
                "reservataire_id": c.get("id"),
                "share": float(c["part"]),
                "reservataire_name": None,
            }
            for c in entree["conventions"]
        ],
        columns=RESERVATIONS.names,
    )
    ledger = flux_ledger(_attributions(entree["attributions"]), conventions, YEAR)
    indexed = ledger.set_index(["departement", "reservataire"])
    fields = {
        "attributions": "attributions",
        "soustraits": "withdrawn",
        "flux": "flow",
        "du": "entitled",
        "livre": "delivered",
    }
    for expected in sortie:
        row = indexed.loc[(expected["departement"], expected["reservataire"])]
        for key, column in fields.items():
            if key in expected:
                assert float(row[column]) == pytest.approx(expected[key]), (key, expected)


def run_plafonds_prefet(entree: dict[str, Any], sortie: dict[str, Any]) -> None:
    conventions = pd.DataFrame(
        [
            {"landlord_id": "A", "reservataire": k, "reservataire_id": None, "share": v,
             "reservataire_name": None}
            for k, v in entree["conventions"].items()
        ],
        columns=RESERVATIONS.names,
    )  # fmt: skip
    out = prefect_ceilings(conventions, dt.date(YEAR, 12, 31))
    assert bool(out["within_ceilings"].iloc[0]) is sortie["respectes"]


def run_cotation_conformite(entree: dict[str, Any], sortie: dict[str, Any]) -> None:
    raw: dict[str, Any] = {
        "nom": "cas",
        "illustratif": True,
        "valide_du": dt.date(YEAR, 1, 1),
        "sections": [
            {
                "nom": "Toutes",
                "applique_a": "toutes",
                "rubriques": [{"nom": "R", "mode": "cumulative", "criteres": entree["criteres"]}],
            }
        ],
    }
    if "hors_cotation" in entree:
        raw["hors_cotation"] = entree["hors_cotation"]
    if "derogations" in entree:
        raw["derogations"] = entree["derogations"]
    result = coverage(parse_grid(raw, "cas.yaml"))
    assert [c.code for c in result if not c.ok] == sortie["manquants"]


def run_delai_attente(entree: dict[str, Any], sortie: dict[str, Any]) -> None:
    base = {c.name: None for c in APPLICATIONS.columns}
    pending = [
        {
            **base,
            "application_id": f"p{i}",
            "filing_date": pd.Timestamp("2024-01-01"),
            "is_mutation": False,
            "wished_communes": ["35238"],
            "priority_codes": [],
            "rooms_min": 3,
        }
        for i in range(int(entree["en_attente"]))
    ]
    apps = pd.DataFrame(pending, columns=APPLICATIONS.names)
    grid = parse_grid(
        {
            "nom": "cas",
            "illustratif": True,
            "valide_du": dt.date(YEAR, 1, 1),
            "sections": [{"nom": "Toutes", "applique_a": "toutes"}],
        },
        "cas.yaml",
    )
    context = ScoringContext(reference_date=dt.date(YEAR + 1, 1, 1))
    table = waiting_times(
        apps,
        _attributions(entree["attributions"]),
        grid,
        context,
        min_cases=int(entree["cas_minimum"]),
    )
    row = table.iloc[0]
    assert row["method"] == sortie["methode"]
    assert int(row["cases"]) == sortie["cas"]
    assert float(row["waiting_months"]) == pytest.approx(sortie["mois"], abs=0.005)


RUNNERS: dict[str, Callable[[Any, Any], None]] = {
    "objectif_partenaire": run_objectif_partenaire,
    "quotas": run_quotas,
    "flux": run_flux,
    "plafonds_prefet": run_plafonds_prefet,
    "cotation_conformite": run_cotation_conformite,
    "delai_attente": run_delai_attente,
}


def test_the_cases_are_many_and_well_formed() -> None:
    assert len(CASES) >= 30
    names = [c["nom"] for c in CASES]
    assert len(set(names)) == len(names)
    for case in CASES:
        assert set(case) == {"nom", "article", "regle", "entree", "sortie"}, case["nom"]
        assert case["regle"] in RUNNERS, case["nom"]


def test_docs_list_every_case() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [c["nom"] for c in CASES if c["nom"] not in text]
    assert missing == []


@pytest.mark.parametrize("case", CASES, ids=[c["nom"] for c in CASES])
def test_legal_case(case: dict[str, Any]) -> None:
    RUNNERS[case["regle"]](case["entree"], case["sortie"])


def test_a_wrong_expectation_fails() -> None:
    # The runners can fail: a case whose expected objective is off by one is caught.
    case = next(c for c in CASES if c["regle"] == "objectif_partenaire")
    wrong = {p: n + 1 for p, n in case["sortie"]["objectifs"].items()}
    with pytest.raises(AssertionError):
        RUNNERS["objectif_partenaire"](case["entree"], {"objectifs": wrong})
