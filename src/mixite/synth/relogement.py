"""A synthetic urban renewal operation on a territory: programme, social survey and charter.

Deterministic for a given seed. The operation takes the territory's largest residence in QPV
(demolition two years after the millésime) and its second largest (heavy rehabilitation three
years after), and a recent residence outside QPV as the delivery of new dwellings (reconstitution
of the offer, the year after the millésime). The survey describes the occupants of the emptied
residences (the OPS households) with their wishes drawn from the model below; the charter sets
illustrative targets (not a real charter's). Everything is written in the documented formats
(``docs/formats.md``) so that ``mixite reloger`` reads it back through its real readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = ["RelocationFiles", "write_relocation_files"]

#: Wished typology (rooms_min, rooms_max) by household size (1, 2, … 5 and more): model.
_TYPOLOGY = ((1, 2), (2, 3), (3, 4), (3, 4), (4, 5))


@dataclass(frozen=True)
class RelocationFiles:
    """Paths written by ``write_relocation_files``."""

    programme: Path
    survey: Path
    charter: Path


def _largest(dwellings: pd.DataFrame, in_qpv: bool) -> list[str]:
    part = dwellings[dwellings["in_qpv"].astype(bool) == in_qpv]
    sizes = part.groupby("residence_id").size().sort_values(ascending=False, kind="stable")
    return [str(r) for r in sizes.index]


def write_relocation_files(
    folder: Path,
    dwellings: pd.DataFrame,
    households: pd.DataFrame,
    millesime: int,
    seed: int,
    max_households: int | None = None,
) -> RelocationFiles:
    """Write ``programme.csv``, ``enquete.csv`` and ``charte.yaml`` into ``folder``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    in_qpv = _largest(dwellings, True)
    if len(in_qpv) < 2:
        in_qpv = _largest(dwellings, False)[:2]
    demolished, rehabilitated = in_qpv[0], in_qpv[1]
    outside = dwellings[~dwellings["in_qpv"].astype(bool)]
    first = (
        outside["first_letting_year"]
        .astype("Float64")
        .fillna(outside["construction_year"].astype("Float64"))
    )
    recent = outside.assign(first=first).groupby("residence_id")["first"].max()
    recent = recent.sort_values(ascending=False, kind="stable")
    delivered = str(recent.index[0])
    count = dwellings.groupby("residence_id").size()
    operation = f"NPNRU-{millesime}"
    programme = pd.DataFrame(
        {
            "operation": [operation] * 3,
            "nom_operation": ["Renouvellement du quartier prioritaire"] * 3,
            "residence": [demolished, rehabilitated, delivered],
            "annee": [millesime + 2, millesime + 3, millesime + 1],
            "nature": ["demolition", "rehabilitation", "livraison"],
            "logements": [
                int(count[demolished]),
                int(count[rehabilitated]),
                int(min(count[delivered], 30)),
            ],
        }
    )
    emptied = dwellings[dwellings["residence_id"].isin([demolished, rehabilitated])]
    occupants = households.merge(
        emptied[["dwelling_id", "residence_id", "commune", "rent", "surface", "rooms"]],
        on="dwelling_id",
    ).sort_values("dwelling_id", kind="stable")
    if max_households is not None:
        occupants = occupants.head(max_households)
    occupants = occupants.reset_index(drop=True)
    n = len(occupants)
    communes = sorted(dwellings["commune"].astype(str).unique())
    size = occupants["household_size"].to_numpy(np.int64)
    typology = np.array([_TYPOLOGY[min(s, len(_TYPOLOGY)) - 1] for s in size]).reshape(-1, 2)
    wishes = []
    for home in occupants["commune"].astype(str):
        others = [c for c in communes if c != home]
        extra = rng.choice(others, size=min(len(others), int(rng.integers(1, 4))), replace=False)
        wishes.append("|".join([home, *[str(c) for c in extra]]))
    rent = occupants["rent"].astype(float)
    rent = rent.fillna(rent.median() if rent.notna().any() else 350.0)
    surface = occupants["surface"].astype(float).fillna(18.0 + 17.0 * occupants["rooms"])
    age = occupants["reference_age"].astype("Int64")
    survey = pd.DataFrame(
        {
            "id_menage": [f"ENQ-{i + 1:05d}" for i in range(n)],
            "operation": operation,
            "residence": occupants["residence_id"].astype(str),
            "nb_personnes": size,
            "nb_adultes": np.minimum(occupants["adults"].to_numpy(np.int64), 2),
            "nb_14_ans_et_plus": occupants["persons_14plus"].to_numpy(np.int64),
            "nb_personnes_a_charge": occupants["dependants"].to_numpy(np.int64),
            "age_reference": age,
            "handicap": (rng.random(n) < 0.08).astype(int),
            "ressources_mensuelles": np.round(
                occupants["annual_resources"].to_numpy(np.float64) / 12.0, 2
            ),
            "revenu_fiscal_reference": "",
            "loyer_actuel": np.round(rent.to_numpy(), 2),
            "charges_actuelles": np.round(1.5 * surface.to_numpy(), 2),
            "communes_souhaitees": wishes,
            "typologie_min": typology[:, 0],
            "typologie_max": typology[:, 1],
            "accepte_qpv": (rng.random(n) < 0.45).astype(int),
            "besoins": np.where(age.fillna(0).to_numpy() >= 70, "rez-de-chaussée ou ascenseur", ""),
        }
    )
    programme_path = folder / "programme.csv"
    survey_path = folder / "enquete.csv"
    programme.to_csv(programme_path, sep=";", index=False, encoding="utf-8")
    survey.to_csv(survey_path, sep=";", index=False, encoding="utf-8")
    landlords = (
        dwellings.groupby("landlord_id").size().sort_values(ascending=False, kind="stable").index
    )
    contributions = [
        {
            "partenaire": f"bailleur:{landlord}",
            "part": share,
            "source": "Charte de démonstration, annexe 2 (contribution du parc propre)",
        }
        for landlord, share in zip(landlords[:2], (0.2, 0.1), strict=False)
    ]
    charter = {
        "nom": "Charte intercommunale de relogement (démonstration)",
        "source": "Charte fictive du territoire synthétique, générée par mixite",
        "objectifs": {
            "part_neuf_recent": 0.2,
            "part_hors_qpv": 0.5,
            "hausse_reste_a_charge_max": 30.0,
            "annees_avant_operation": 2,
            "minoration_loyer": True,
            "source": "Charte de démonstration, article 3",
        },
        "contributions": contributions,
        # illustrative amounts (the ANRU's are not confirmed in mixite's sources): the charter
        # of a real territory states those of its NPNRU convention
        "indemnite_minoration_loyer": {
            "montants": {1: 2000, 2: 3000, 3: 4000, 4: 5000, 5: 6000},
            "source": "Charte de démonstration, article 9 (montants fictifs, pas ceux de l'ANRU)",
        },
    }
    charter_path = folder / "charte.yaml"
    charter_path.write_text(
        yaml.safe_dump(charter, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return RelocationFiles(programme_path, survey_path, charter_path)
