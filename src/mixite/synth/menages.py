"""People: occupant households (OPS), attributions of the past year and pending applications.

Resources per consumption unit follow a lognormal law whose quartiles reproduce the reference
EPCI's arrêté thresholds (Q1 and median Q2): σ = (ln Q2 − ln Q1) / z₀.₇₅. Attributions draw the
Q1 status first (calibrated share outside and inside QPV) and the resources from the same law
truncated below or above the Q1 threshold of the attribution year.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from mixite.affordability import housing_benefit
from mixite.household import UcScale, annual_resources, is_q1, resources_per_uc
from mixite.schema import APPLICATIONS, ATTRIBUTIONS, HOUSEHOLDS
from mixite.synth._util import masked
from mixite.synth.modele import Thresholds

_Z75 = float(ndtri(0.75))
_EMPLOYMENT = np.array(
    ["cdi", "cdd_interim", "apprenti", "etudiant", "chomage", "retraite", "inactif"], dtype=object
)


@dataclass(frozen=True)
class IncomeLaw:
    """Lognormal law of annual resources per UC: ``exp(mu + sigma·Z)``."""

    mu: float
    sigma: float

    @classmethod
    def from_thresholds(cls, t: Thresholds) -> IncomeLaw:
        return cls(math.log(t.q2), (math.log(t.q2) - math.log(t.q1)) / _Z75)

    def draw(self, rng: np.random.Generator, n: int, shift: float | np.ndarray = 1.0) -> np.ndarray:
        return np.asarray(np.exp(self.mu + self.sigma * rng.standard_normal(n)) * shift)

    def draw_truncated(
        self, rng: np.random.Generator, below: np.ndarray, threshold: float
    ) -> np.ndarray:
        """Draws conditioned on being below ``threshold`` (where ``below``) or at/above it."""
        p = float(ndtr((math.log(threshold) - self.mu) / self.sigma))
        u = rng.random(len(below))
        u = np.where(below, u * p * 0.999, p + (1 - p) * (0.001 + 0.998 * u))
        return np.asarray(np.exp(self.mu + self.sigma * ndtri(u)))

    def rank(self, r: np.ndarray) -> np.ndarray:
        return np.asarray(ndtr((np.log(np.maximum(r, 1.0)) - self.mu) / self.sigma))


def _composition(
    rng: np.random.Generator, size: np.ndarray, single_parent_share: float | np.ndarray
) -> dict[str, np.ndarray]:
    n = len(size)
    adults = np.where(size == 1, 1, np.where(rng.random(n) < single_parent_share, 1, 2))
    children = size - adults
    p14 = adults + rng.binomial(children, 0.3)
    return {
        "household_size": size.astype(np.int64),
        "adults": adults.astype(np.int64),
        "persons_14plus": p14.astype(np.int64),
        "dependants": children.astype(np.int64),
        "single_parent": (adults == 1) & (size > 1),
    }


def composition_for_rooms(
    rng: np.random.Generator, rooms: np.ndarray, single_parent_share: float | np.ndarray
) -> dict[str, np.ndarray]:
    """Household composition fitting a dwelling of ``rooms`` rooms."""
    delta = rng.choice(np.array([-1, 0, 0, 1]), len(rooms))
    size = np.clip(rooms - 1 + delta, 1, 9)
    size = np.where(rooms == 1, 1, size)
    share = np.where(size == 2, np.asarray(single_parent_share) * 0.6, single_parent_share)
    return _composition(rng, size, share)


def _employment(rng: np.random.Generator, rank: np.ndarray, age: np.ndarray) -> np.ndarray:
    n = len(rank)
    low = (1 - rank) ** 2
    probs = np.column_stack(
        [
            0.55 * rank + 0.10,  # cdi
            np.full(n, 0.14),  # cdd_interim
            np.where(age < 26, 0.04, 0.0),  # apprenti
            np.where(age < 26, 0.20, 0.0),  # etudiant
            0.45 * low + 0.04,  # chomage
            np.where(age >= 62, 2.5, 0.0),  # retraite
            0.22 * low + 0.03,  # inactif
        ]
    )
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    idx = (cum < rng.random(n)[:, None]).sum(axis=1)
    return np.asarray(_EMPLOYMENT[np.minimum(idx, len(_EMPLOYMENT) - 1)])


def build_attributions(
    rng: np.random.Generator,
    model: dict[str, Any],
    dwellings: pd.DataFrame,
    reservations: pd.DataFrame,
    communes: pd.DataFrame,
    thresholds: Thresholds,
    scale: UcScale,
    millesime: int,
    first_seq: int,
) -> pd.DataFrame:
    """Attributions of year ``millesime - 1``: one per dwelling let with a lease starting that year.

    Returns the canonical ``attributions`` columns plus ``dwelling_row`` (position in
    ``dwellings``), ``dependants``, ``single_parent`` and ``q1`` (below the Q1 threshold of the
    attribution year)."""
    at = model["attributions"]
    prev = millesime - 1
    mask = (dwellings["occupancy_mode"].to_numpy() == "1") & (
        pd.DatetimeIndex(dwellings["lease_start"]).year.to_numpy() == prev
    )
    rows = np.flatnonzero(mask)
    n = len(rows)
    d = dwellings.iloc[rows]
    in_qpv = d["in_qpv"].to_numpy()
    comp = composition_for_rooms(rng, d["rooms"].to_numpy(), 0.35)
    npnru = rng.random(n) < float(at["npnru"])
    mutation = npnru | (rng.random(n) < float(at["mutations"]) - float(at["npnru"]))

    # reservataire: mutations mostly on the landlord's own share, otherwise the flux conventions
    # (a commune's convention covers the landlord's flow in that commune only)
    res_types = (
        "etat_prioritaire",
        "etat_agents",
        "action_logement",
        "commune",
        "epci",
        "bailleur",
    )
    shares = (
        reservations.groupby(["landlord_id", "reservataire"])["share"].max().unstack().fillna(0.0)
    )
    shares = shares.reindex(columns=list(res_types), fill_value=0.0)
    lids = d["landlord_id"].to_numpy()
    p = shares.reindex(lids).fillna(0.0).to_numpy()
    p = p / p.sum(axis=1, keepdims=True)
    idx = (np.cumsum(p, axis=1) < rng.random(n)[:, None]).sum(axis=1)
    idx = np.minimum(idx, len(res_types) - 1)
    idx = np.where(mutation & (rng.random(n) < 0.6), len(res_types) - 1, idx)
    reservataire = np.array(res_types, dtype=object)[idx]
    commune_codes = communes["commune"].to_numpy()[d["commune_idx"].to_numpy()]
    epci = str(communes["epci"].iloc[0])
    no_id = np.full(n, None, dtype=object)
    reservataire_id = np.where(
        reservataire == "commune",
        commune_codes,
        np.where(reservataire == "epci", epci, np.where(reservataire == "bailleur", lids, no_id)),
    ).astype(object)

    prio = np.where(
        reservataire == "etat_prioritaire",
        rng.random(n) < float(at["prioritaires_etat"]),
        rng.random(n) < float(at["prioritaires_autres"]),
    )
    dalo = prio & (rng.random(n) < float(at["dalo_parmi_prioritaires"]))

    # Q1 status: calibrated shares, priority households more often Q1
    base = np.where(in_qpv, float(at["q1_en_qpv"]), float(at["q1_hors_qpv"]))
    # outside QPV, Q1 households are rarer in the dearer dwellings (rent per m² relative to the
    # chunk's mean outside QPV, power -elasticity, normalised to keep the calibrated share)
    out = ~in_qpv
    rent_m2 = d["rent"].to_numpy(dtype=float) / d["surface"].to_numpy(dtype=float)
    if np.isfinite(rent_m2[out]).any():
        rel = rent_m2[out] / float(np.nanmean(rent_m2[out]))
        w = np.nan_to_num(rel ** -float(at["q1_elasticite_loyer"]), nan=1.0)
        base[out] = np.minimum(0.9, base[out] * w / float(w.mean()))
    s = float(prio.mean()) if n else 0.0
    p_prio = np.minimum(0.9, 1.8 * base)
    p_non = np.maximum(0.0, (base - s * p_prio) / max(1e-9, 1 - s))
    q1 = rng.random(n) < np.where(prio, p_prio, p_non)
    law = IncomeLaw.from_thresholds(thresholds)
    r_uc = law.draw_truncated(rng, q1, thresholds.q1)
    uc = scale.units(comp["persons_14plus"], comp["household_size"], comp["adults"])
    monthly = np.round(r_uc * uc / 12.0, 2)
    q1 = is_q1(resources_per_uc(annual_resources(monthly), uc), thresholds.q1)

    # filing date of the satisfied application: a lognormal wait, longer for large flats, in the
    # central communes and for mutations, shorter for priority households (model, not law)
    wait = model["attributions"]["attente"]
    group_factor = (
        pd.Series(d["group"].to_numpy())
        .map({k: float(v) for k, v in wait["commune"].items()})
        .to_numpy(dtype=float)
    )
    months = (
        float(wait["mediane_mois"])
        * np.exp(float(wait["sigma"]) * rng.standard_normal(n))
        * float(wait["par_piece"]) ** (d["rooms"].to_numpy(dtype=float) - 2.0)
        * group_factor
        * np.where(mutation, float(wait["mutation"]), 1.0)
        * np.where(prio, float(wait["prioritaire"]), 1.0)
    )
    lease = pd.DatetimeIndex(d["lease_start"])
    filing = lease - pd.to_timedelta(np.round(months * 30.4375).astype(np.int64), unit="D")

    dep = str(communes["commune"].iloc[0])[:2]
    return pd.DataFrame(
        {
            "attribution_id": [f"A{prev}-{first_seq + i:07d}" for i in range(n)],
            "application_id": [
                f"0{dep}{(prev - 1) % 100:02d}{50_000_000 + first_seq + i:08d}" for i in range(n)
            ],
            "dwelling_id": d["dwelling_id"].to_numpy(),
            "landlord_id": lids,
            "commune": communes["commune"].to_numpy()[d["commune_idx"].to_numpy()],
            "in_qpv": in_qpv,
            "qpv_code": d["qpv_code"].to_numpy(),
            "lease_date": d["lease_start"].to_numpy(),
            "filing_date": filing.to_numpy(),
            "reservataire": reservataire,
            "reservataire_id": reservataire_id,
            "rooms": d["rooms"].to_numpy(),
            "rent": d["rent"].to_numpy(),
            "household_size": comp["household_size"],
            "adults": comp["adults"],
            "persons_14plus": comp["persons_14plus"],
            "monthly_resources": monthly,
            "is_mutation": mutation,
            "npnru_relocation": npnru,
            "dalo": dalo,
            "priority": prio,
            "dwelling_row": rows,
            "dependants": comp["dependants"],
            "single_parent": comp["single_parent"],
            "q1": q1,
        },
        columns=[*ATTRIBUTIONS.names, "dwelling_row", "dependants", "single_parent", "q1"],
    )


def build_households(
    rng: np.random.Generator,
    model: dict[str, Any],
    dwellings: pd.DataFrame,
    attributions: pd.DataFrame,
    thresholds: Thresholds,
    scale: UcScale,
    first_id: int,
    apl_zones: np.ndarray,
    when: dt.date,
) -> pd.DataFrame:
    """Occupant households (OPS) of the let dwellings (mode 1). Households that moved in during
    the past year are the attributed ones; the others are poorer and more often single parents
    in QPV and in the few fragile residences outside QPV. ``apl_zones`` gives the APL zone of
    each commune (by commune index); the monthly benefit is computed at ``when``."""
    me = model["menages"]
    let = np.flatnonzero(dwellings["occupancy_mode"].to_numpy() == "1")
    d = dwellings.iloc[let]
    n = len(let)
    poor = d["in_qpv"].to_numpy() | d["fragile"].to_numpy()
    mono = np.where(poor, float(me["monoparentales_qpv"]), float(me["monoparentales_hors_qpv"]))
    comp = composition_for_rooms(rng, d["rooms"].to_numpy(), mono)
    law = IncomeLaw.from_thresholds(thresholds)
    shift = np.where(poor, float(me["mediane_qpv"]), float(me["mediane_hors_qpv"]))
    shift = shift * pd.Series(d["group"].to_numpy()).map(
        {k: float(v) for k, v in me["revenu_commune"].items()}
    ).to_numpy(dtype=float)
    r_uc = (
        np.exp(law.mu + float(me["sigma"]) * rng.standard_normal(n))
        * shift
        * d["income_effect"].to_numpy()
    )
    uc = scale.units(comp["persons_14plus"], comp["household_size"], comp["adults"])
    annual = np.round(r_uc * uc, 0)

    # households who moved in during the past year are those of the attributions
    pos = pd.Series(np.arange(n), index=let)
    arow = pos.loc[attributions["dwelling_row"].to_numpy()].to_numpy()
    for col in ("household_size", "adults", "persons_14plus", "dependants", "single_parent"):
        comp[col] = comp[col].copy()
        comp[col][arow] = attributions[col].to_numpy()
    annual[arow] = np.round(attributions["monthly_resources"].to_numpy() * 12.0, 0)
    uc = scale.units(comp["persons_14plus"], comp["household_size"], comp["adults"])

    age = np.clip(np.round(rng.normal(50, 16, n)), 19, 95).astype(np.int64)
    age = np.where(comp["dependants"] > 0, np.minimum(age, 30 + rng.integers(0, 30, n)), age)
    employment = _employment(rng, law.rank(resources_per_uc(annual, uc)), age)
    # housing benefit in force at the OPS date, by mixite's APL engine (social landlords: RLS)
    benefit, _rls = housing_benefit(
        zone=apl_zones[d["commune_idx"].to_numpy()].astype(np.int64),
        couple=comp["adults"] == 2,
        dependants=comp["dependants"],
        rent=d["rent"].to_numpy(dtype=float),
        annual_resources=annual,
        when=when,
    )
    return pd.DataFrame(
        {
            "household_id": [f"M{first_id + i:09d}" for i in range(n)],
            "dwelling_id": d["dwelling_id"].to_numpy(),
            "entry_date": d["lease_start"].to_numpy(),
            "household_size": comp["household_size"],
            "adults": comp["adults"],
            "persons_14plus": comp["persons_14plus"],
            "dependants": comp["dependants"],
            "reference_age": age,
            "single_parent": comp["single_parent"],
            "employment": employment,
            "annual_resources": annual,
            "housing_benefit": benefit,
        },
        columns=HOUSEHOLDS.names,
    )


_SITUATIONS = np.array(
    [
        "locataire_prive",
        "heberge_famille",
        "heberge_tiers",
        "structure",
        "hotel",
        "sans_abri",
        "proprietaire",
        "residence_etudiante",
        "autre",
    ],
    dtype=object,
)
_SITUATION_P = np.array([0.42, 0.26, 0.09, 0.08, 0.02, 0.02, 0.03, 0.03, 0.05])
_REASONS_MUTATION = (
    np.array(
        [
            "trop_petit",
            "trop_cher",
            "trop_grand",
            "sante_handicap",
            "rapprochement_travail",
            "rapprochement_famille",
            "separation",
            "autre",
        ],
        dtype=object,
    ),
    np.array([0.34, 0.15, 0.08, 0.12, 0.08, 0.08, 0.07, 0.08]),
)
_REASON_BY_SITUATION: dict[str, str] = {
    "heberge_famille": "heberge",
    "heberge_tiers": "heberge",
    "structure": "sans_logement",
    "hotel": "sans_logement",
    "sans_abri": "sans_logement",
    "residence_etudiante": "futur_couple",
}
_OTHER_REASONS = (
    np.array(
        [
            "trop_cher",
            "trop_petit",
            "indecent",
            "separation",
            "violences",
            "expulsion",
            "vente",
            "mobilite_pro",
            "rapprochement_travail",
            "autre",
        ],
        dtype=object,
    ),
    np.array([0.30, 0.22, 0.08, 0.12, 0.04, 0.04, 0.05, 0.05, 0.05, 0.05]),
)
_PRIORITY_BY_REASON: dict[str, str] = {
    "sans_logement": "g",
    "heberge": "g",
    "violences": "e",
    "expulsion": "h",
    "indecent": "d_bis",
    "sante_handicap": "a",
    "trop_petit": "f",
}


def _rooms_asked(
    rng: np.random.Generator, size: np.ndarray[Any, Any], table: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """The smallest typology each applicant asks (1 for a T1…): drawn from the row of ``table``
    for its household size (the last row for larger households), model ``pieces_souhaitees``."""
    rows = table / table.sum(axis=1, keepdims=True)
    cum = np.cumsum(rows[np.clip(size, 1, len(rows)) - 1], axis=1)
    asked: np.ndarray[Any, Any] = 1 + (rng.random(len(size))[:, None] > cum).sum(axis=1)
    return asked


def build_applications(
    rng: np.random.Generator,
    model: dict[str, Any],
    n: int,
    first_seq: int,
    communes: pd.DataFrame,
    commune_weights: np.ndarray,
    thresholds: Thresholds,
    scale: UcScale,
    millesime: int,
    mutation_share: float,
) -> pd.DataFrame:
    """``n`` applications pending at 31/12 of ``millesime - 1`` (canonical ``applications``
    columns). Resources per UC follow the reference EPCI's arrêté quartiles for ``millesime``."""
    dm = model["demande"]
    prev = millesime - 1
    end = pd.Timestamp(f"{prev}-12-31")
    sizes_p = np.array(dm["tailles_menage"], dtype=float)
    size = 1 + np.searchsorted(np.cumsum(sizes_p / sizes_p.sum()), rng.random(n), side="right")
    size = np.where(size >= 6, size + rng.binomial(2, 0.3, n), size)
    comp = _composition(rng, size, float(dm["part_monoparentale"]))
    law = IncomeLaw.from_thresholds(thresholds)
    r_uc = law.draw(rng, n)
    uc = scale.units(comp["persons_14plus"], comp["household_size"], comp["adults"])
    monthly = np.round(r_uc * uc / 12.0, 2)

    mutation = rng.random(n) < mutation_share
    situation = np.where(
        mutation, "locataire_hlm", rng.choice(_SITUATIONS, n, p=_SITUATION_P / _SITUATION_P.sum())
    ).astype(object)
    reason = np.where(
        mutation,
        rng.choice(_REASONS_MUTATION[0], n, p=_REASONS_MUTATION[1] / _REASONS_MUTATION[1].sum()),
        rng.choice(_OTHER_REASONS[0], n, p=_OTHER_REASONS[1] / _OTHER_REASONS[1].sum()),
    ).astype(object)
    mapped = pd.Series(situation).map(_REASON_BY_SITUATION).to_numpy()
    reason = np.where(pd.isna(mapped) | mutation, reason, mapped).astype(object)

    age = np.clip(np.round(rng.normal(40, 14, n)), 18, 95).astype(np.int64)
    age = np.where(situation == "residence_etudiante", rng.integers(18, 27, n), age)
    employment = _employment(rng, law.rank(r_uc), age)

    seniority = np.minimum(
        rng.exponential(365.25 * float(dm["anciennete_moyenne_annees"]), n), 365.25 * 12
    )
    filing = end - pd.to_timedelta(np.floor(seniority).astype(np.int64), unit="D")
    years_on = np.floor(seniority / 365.25).astype(np.int64)
    renewal = pd.Series(filing) + pd.to_timedelta(
        np.round(years_on * 365.25).astype(np.int64), unit="D"
    )
    renewal = renewal.where(pd.Series(years_on >= 1))

    codes = communes["commune"].to_numpy()
    w = commune_weights / commune_weights.sum()
    wished_idx = rng.choice(len(codes), size=(n, 3), p=w)
    n_wish = rng.choice(np.array([1, 2, 3]), n, p=np.array([0.35, 0.35, 0.30]))
    wished = [
        list(dict.fromkeys(codes[row[:k]])) for row, k in zip(wished_idx, n_wish, strict=True)
    ]
    residence = masked(codes[wished_idx[:, 0]], mutation | (rng.random(n) < 0.8))

    rooms_min = _rooms_asked(rng, size, np.asarray(dm["pieces_souhaitees"], dtype=float))
    rooms_max = np.clip(rooms_min + rng.integers(0, 2, n), 1, 7)
    priority = rng.random(n) < float(dm["part_prioritaire"])
    pcode = pd.Series(reason).map(_PRIORITY_BY_REASON).fillna("b").to_numpy()
    extra = priority & (rng.random(n) < 0.25)
    prio_codes = [
        ([str(c), "b"] if x and c != "b" else [str(c)]) if p else []
        for p, c, x in zip(priority, pcode, extra, strict=True)
    ]
    dalo = priority & (rng.random(n) < float(dm["part_dalo"]) / float(dm["part_prioritaire"]))
    tenants = np.isin(situation, ["locataire_hlm", "locataire_prive"])
    dep = str(codes[0])[:2]
    return pd.DataFrame(
        {
            "application_id": [
                f"0{dep}{fy % 100:02d}{first_seq + i:08d}"
                for i, fy in enumerate(pd.DatetimeIndex(filing).year)
            ],
            "filing_date": filing,
            "renewal_date": renewal.to_numpy(),
            "commune_residence": residence,
            "housing_situation": situation,
            "is_mutation": mutation,
            "reason": reason,
            "applicant_age": age,
            "employment": employment,
            "household_size": comp["household_size"],
            "adults": comp["adults"],
            "persons_14plus": comp["persons_14plus"],
            "dependants": comp["dependants"],
            "single_parent": comp["single_parent"],
            "disability": rng.random(n) < float(dm["part_handicap"]),
            "monthly_resources": monthly,
            "tax_income": np.round(monthly * 12 * rng.uniform(0.75, 1.1, n), 0),
            "current_rent": np.where(
                tenants, np.round(rng.uniform(250, 750, n) * (0.7 + 0.15 * size), 2), np.nan
            ),
            "current_rooms": pd.Series(
                np.clip(size - 1 + rng.integers(-1, 2, n), 1, 6), dtype="Int64"
            )
            .where(pd.Series(tenants))
            .to_numpy(),
            "wished_communes": wished,
            "rooms_min": rooms_min.astype(np.int64),
            "rooms_max": rooms_max.astype(np.int64),
            "priority_codes": prio_codes,
            "priority_justified": priority & (rng.random(n) < 0.5),
            "dalo": dalo,
            "npnru_relocation": mutation & (rng.random(n) < 0.01),
            "refusals": rng.poisson(0.2, n).astype(np.int64),
        },
        columns=APPLICATIONS.names,
    )
