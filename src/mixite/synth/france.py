"""The synthetic France: one synthetic territory per EPCI of the first-quartile arrêtés.

Each territory carries the real identity of its EPCI (name and SIREN of the arrêté, member
communes of the COG 2026 with their names, region, the Q1/Q2/Q3 thresholds of the arrêtés) and
a profile (``FranceTerritory``) that the one generator (``synth.generateur.generate``) turns into
files: its size, its share of the stock in QPV, its turnover, its pressure of demand and its
propensity to let to Q1 households outside QPV. The profiles are computed for all of France
at once, so that they sum to the national totals and reproduce the national figures
(``national_figures``), then each territory is generated on its own (one at a time, bounded
memory) from a seed derived from the national seed and its SIREN: the same seed gives the same
files whatever the subset, the order or the number of workers.

Sizes come from public data (``data/parc_social_communes.csv.gz``, ``scripts/build_france_data.py``):
the estimated social stock of a commune is its 2024 social-housing rate (share of social
dwellings among main residences, data.gouv.fr « Taux de logements sociaux dans les communes »)
× its main residences (population municipale 2025 of the DGCL file / persons per household),
summed over the EPCI and scaled so that the EPCIs sum to the national stock. The hypotheses and
their sources are in ``synth/france.yaml`` and ``docs/national.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixite.errors import ConfigError, ParameterError
from mixite.params import read_yaml_file
from mixite.synth.calibration import Figure
from mixite.synth.modele import SizeProfile, load_model, territory_model

__all__ = [
    "INDEX_FILE",
    "FranceCommune",
    "FranceTerritory",
    "attribution_rates",
    "france_territories",
    "generate_territory",
    "load_france_model",
    "national_figures",
    "selection",
    "write_index",
]

FRANCE_MODEL_PATH = Path(__file__).with_name("france.yaml")
#: The index of a synthetic France folder: one row per territory (identity and profile).
INDEX_FILE = "france.csv"
#: Prefix of the synthetic landlords' SIRENs (no real organisation's SIREN starts with 9998).
_LANDLORD_PREFIX = "9998"


@lru_cache(maxsize=1)
def load_france_model() -> dict[str, Any]:
    """The packaged model of the synthetic France (``synth/france.yaml``), read once."""
    data = read_yaml_file(FRANCE_MODEL_PATH).tree
    if not isinstance(data, dict):
        raise ConfigError(f"Modèle de la France synthétique illisible : {FRANCE_MODEL_PATH}.")
    return data


@dataclass(frozen=True)
class FranceCommune:
    """A real member commune of a territory: COG code and name, its ring in the synthetic
    geography (``centre``, ``banlieue``, ``couronne``), zones, and its estimated stock."""

    code: str
    name: str
    group: str
    apl_zone: str
    ceiling_zone: str
    stock: float


@dataclass(frozen=True)
class FranceTerritory:
    """One EPCI of the arrêtés, with the profile its synthetic territory is generated from.

    ``turnover`` is the generator's turnover of the existing stock (``SizeProfile.turnover``),
    ``q1_outside_qpv`` the probability that an attribution outside QPV goes to a Q1 household
    (``attributions.q1_hors_qpv`` of the model), ``thresholds`` year → {q1, q2, q3, source}
    and ``borrowed`` the years whose thresholds come from another year's arrêté."""

    siren: str
    name: str
    nature: str
    region: str
    region_name: str
    departement: str
    departement_name: str
    population: int
    communes: tuple[FranceCommune, ...]
    estimated_stock: float
    dwellings: int
    qpv_share: float
    turnover: float
    pressure: float
    q1_outside_qpv: float
    demand_mutation_share: float
    thresholds: Mapping[int, Mapping[str, Any]]
    borrowed: tuple[int, ...]

    def profile(self) -> SizeProfile:
        """The generator's size profile of this territory."""
        return SizeProfile(
            name=f"France — {self.name}",
            dwellings=self.dwellings,
            turnover=self.turnover,
            pressure=self.pressure,
            demand_mutation_share=self.demand_mutation_share,
        )

    def expected(self) -> dict[str, float]:
        """Expected counts of the generated territory: ``attributions``, ``attributions_out``
        (outside QPV) and ``applications`` (``attribution_rates``)."""
        rate, out = attribution_rates(load_model(), self.qpv_share, self.turnover, self.dwellings)
        att = rate * self.dwellings
        return {
            "attributions": att,
            "attributions_out": out * self.dwellings,
            "applications": self.pressure * att,
        }

    def model(self) -> dict[str, Any]:
        """The generator's model of this territory (``modele.territory_model``)."""
        base = load_model()
        centre = self.communes[0].name
        landlords = []
        for b, spec in enumerate(base["bailleurs"]):
            name = str(spec["nom"])
            if spec["categorie"] == "OPH":
                name = f"{centre} Habitat (OPH)"
            elif spec["categorie"] == "SEM":
                name = f"SEM {centre} Aménagement"
            else:
                name = name.replace(" (ESH)", f" – {self.departement_name} (ESH)")
            landlords.append(
                {**spec, "siren": f"{_LANDLORD_PREFIX}{self.siren[-4:]}{b + 1}", "nom": name}
            )
        terr: dict[str, Any] = {
            "nom": self.name,
            "siren_epci": self.siren,
            "region_code": self.region,
            "region_nom": self.region_name,
            "departement": self.departement,
            "departement_nom": self.departement_name,
            "prefixe_qpv": _qpv_prefix(self.departement),
            "communes": [
                {
                    "code": c.code,
                    "nom": c.name,
                    "groupe": c.group,
                    "zone_apl": c.apl_zone,
                    "zone_plafonds": c.ceiling_zone,
                    "poids": c.stock,
                }
                for c in self.communes
            ],
        }
        if self.borrowed:
            terr["seuil_q1"] = {y: float(self.thresholds[y]["q1"]) for y in self.borrowed}
        return territory_model(
            {
                "territoire": terr,
                "epci_reference": {
                    "siren": self.siren,
                    "nom": self.name,
                    "seuils": {int(y): dict(v) for y, v in self.thresholds.items()},
                },
                "cibles": {
                    "part_qpv": {"valeur": self.qpv_share},
                    "q1_hors_qpv": {"valeur": self.q1_outside_qpv},
                },
                "attributions": {"q1_hors_qpv": self.q1_outside_qpv},
                "bailleurs": landlords,
            }
        )


def _qpv_prefix(departement: str) -> str:
    """« QN037S »: the QPV codes of the synthetic France end with S and a number, a form no
    real QPV code takes (real ones end with M, I or C)."""
    dep = departement if len(departement) == 3 else f"0{departement}"
    return f"QN{dep}S"


def _new_overshoot(model: Mapping[str, Any]) -> float:
    """Expected dwellings put into service beyond the target: the generator takes whole modern
    residences outside QPV until the target is met, so it overshoots by the residual of the
    residence that crosses it, E[S²] / (2 E[S]) for residence sizes S (renewal theory); sizes are
    lognormal with the model's means and sigmas (E[S²] = mean² × exp(sigma²)), in proportion to
    their share of the dwellings outside QPV (collective, houses, student flats)."""
    res = model["residences"]
    houses = float(res["part_individuel_hors_qpv"])
    students = float(res["part_etudiant_hors_qpv"])
    kinds = (
        (1.0 - houses - students, res["taille_hors_qpv"]),
        (houses, res["taille_individuel"]),
        (students, res["taille_hors_qpv"]),
    )
    counts = [share / float(spec["moyenne"]) for share, spec in kinds]
    mean = sum(c * float(spec["moyenne"]) for c, (_, spec) in zip(counts, kinds, strict=True))
    square = sum(
        c * float(spec["moyenne"]) ** 2 * math.exp(float(spec["sigma"]) ** 2)
        for c, (_, spec) in zip(counts, kinds, strict=True)
    )
    return square / (2.0 * mean)


def attribution_rates(
    model: Mapping[str, Any], qpv_share: float, turnover: float, dwellings: float | None = None
) -> tuple[float, float]:
    """Expected attributions per dwelling, and attributions outside QPV per dwelling, of a
    territory generated with ``qpv_share`` of its stock in QPV and ``turnover`` (the rules of
    ``synth.parc.build_dwellings``): existing let or vacant dwellings are let in the year with
    probability turnover × (QPV factor or its complement), new dwellings (outside QPV) are all
    let when their mode is « loué ». With ``dwellings``, the new dwellings include the expected
    overshoot of whole residences (``_new_overshoot``), which matters for small territories."""
    lg = model["logements"]
    mq = np.asarray(lg["modes_qpv"], dtype=float)
    mh = np.asarray(lg["modes_hors_qpv"], dtype=float)
    mq, mh = mq / mq.sum(), mh / mh.sum()
    new = float(model["cibles"]["mises_en_service"]["valeur"])
    if dwellings:
        new = min(new + _new_overshoot(model) / float(dwellings), 1.0 - qpv_share)
    f_q = float(lg["rotation_qpv_facteur"])
    f_h = (1.0 - qpv_share * f_q) / (1.0 - qpv_share)
    in_qpv = qpv_share * turnover * f_q * (mq[0] + mq[1])
    outside = (1.0 - qpv_share - new) * turnover * f_h * (mh[0] + mh[1]) + new * mh[0]
    return float(in_qpv + outside), float(outside)


def _turnover_for(
    model: Mapping[str, Any], qpv_share: float, rate: float, dwellings: float, floor: float
) -> float:
    """The turnover giving ``rate`` attributions per dwelling (``attribution_rates`` is affine
    in the turnover), at least ``floor`` (a small territory's new dwellings may exceed the rate
    on their own)."""
    at0, _ = attribution_rates(model, qpv_share, 0.0, dwellings)
    at1, _ = attribution_rates(model, qpv_share, 1.0, dwellings)
    return max(floor, (rate - at0) / (at1 - at0))


@lru_cache(maxsize=1)
def _communes() -> pd.DataFrame:
    """COG 2026 communes (COM) with their EPCI, EPT, region, population and estimated social
    stock (imputed rates where the rates file has none)."""
    from mixite import geo

    cog = geo.communes()
    cog = cog.loc[cog["typecom"] == "COM", ["code", "nom", "dep", "reg", "epci", "ept"]]
    source = resources.files("mixite").joinpath("data/parc_social_communes.csv.gz")
    with resources.as_file(source) as path:
        stock = pd.read_csv(
            path, sep=";", dtype={"code": str}, keep_default_na=True, compression="gzip"
        )
    frame = cog.merge(stock, on="code", how="left")
    frame["population"] = frame["population"].fillna(0.0).astype(float)
    rate = frame["taux_logements_sociaux"].astype(float).clip(upper=100.0) / 100.0
    known = rate.notna() & (frame["population"] > 0)
    weighted = (rate * frame["population"]).where(known, 0.0)
    pop_known = frame["population"].where(known, 0.0)
    by_dep = weighted.groupby(frame["dep"]).sum() / pop_known.groupby(frame["dep"]).sum()
    national = float(weighted.sum() / pop_known.sum())
    fallback = frame["dep"].map(by_dep).fillna(national)
    frame["rate"] = rate.fillna(fallback).fillna(national)
    frame["imputed"] = ~rate.notna()
    hh = float(load_france_model()["taille"]["personnes_par_menage"]["valeur"])
    frame["stock"] = frame["rate"] * frame["population"] / hh
    return frame.reset_index(drop=True)


def _arrete(year: int) -> Mapping[str, Any]:
    from mixite.params import default_parameters

    value = default_parameters().get("seuils_q1", dt.date(year, 6, 30)).value
    return value if isinstance(value, Mapping) else {}


def _thresholds(
    siren: str, years: tuple[int, ...]
) -> tuple[dict[int, dict[str, Any]], tuple[int, ...]]:
    """Thresholds of ``siren`` for each year, from that year's arrêté or, when the EPCI is
    absent from it, from the nearest year's (listed in the second element)."""
    from mixite.params import default_parameters

    param = default_parameters()
    out: dict[int, dict[str, Any]] = {}
    borrowed: list[int] = []
    for year in years:
        for other in sorted(range(year - 3, year + 4), key=lambda y: (abs(y - year), -y)):
            try:
                entry = param.get("seuils_q1", dt.date(other, 6, 30))
            except ParameterError:  # a year before the first arrêté
                continue
            value = entry.value.get(siren) if isinstance(entry.value, Mapping) else None
            if isinstance(value, Mapping):
                source = (
                    entry.reference
                    if other == year
                    else (
                        f"{entry.reference} (seuils de {other}, l'EPCI est absent de l'arrêté de {year})"
                    )
                )
                out[year] = {
                    "q1": float(value["q1"]),
                    "q2": float(value["q2"]),
                    "q3": float(value["q3"]),
                    "source": source,
                }
                if other != year:
                    borrowed.append(year)
                break
        else:
            raise ConfigError(
                f"Aucun seuil du premier quartile pour l'EPCI {siren} autour de {year} : "
                "complétez le paramètre seuils_q1."
            )
    return out, tuple(borrowed)


@dataclass(frozen=True)
class _Identity:
    siren: str
    name: str
    nature: str
    members: pd.DataFrame


def _identities(sirens: Iterable[str], arrete: Mapping[str, Any]) -> list[_Identity]:
    """Name, legal nature and member communes of each SIREN of the arrêté: an EPCI à fiscalité
    propre (DGCL 2026), an EPT of the Métropole du Grand Paris, or a commune (Paris)."""
    from mixite import geo

    table = _communes()
    cog = geo.communes()
    cog = cog.loc[cog["typecom"] == "COM"]
    epci_names = dict(zip(cog["epci"], cog["epci_nom"], strict=False))
    natures = dict(zip(cog["epci"], cog["epci_nature"], strict=False))
    ept_names = dict(zip(cog["ept"], cog["ept_nom"], strict=False))
    as_commune = {str(k): str(v) for k, v in load_france_model()["communes_siren"].items()}
    by_epci = {str(k): g for k, g in table.groupby("epci", sort=False)}
    by_ept = {str(k): g for k, g in table.groupby("ept", sort=False)}
    out = []
    for siren in sirens:
        if siren in ept_names:
            members = by_ept.get(siren)
            name, nature = str(ept_names[siren]), "EPT"
        elif siren in epci_names:
            members = by_epci.get(siren)
            name, nature = str(epci_names[siren]), str(natures[siren])
        elif siren in as_commune:
            members = table.loc[table["code"] == as_commune[siren]]
            name, nature = str(arrete[siren].get("nom", as_commune[siren])), "COM"
        else:
            continue
        if members is not None and len(members):
            out.append(_Identity(siren, name, nature, members))
    return out


def _rings(
    members: pd.DataFrame, spec: Mapping[str, Any], zones: Mapping[str, Any], population: float
) -> tuple[FranceCommune, ...]:
    """The communes ordered centre, inner ring, outer ring, with their zones."""
    order = np.lexsort(
        (
            members["code"].to_numpy(dtype=str),
            -members["population"].to_numpy(dtype=float),
            -members["stock"].to_numpy(dtype=float),
        )
    )
    ordered = members.iloc[order]
    total = float(ordered["stock"].sum()) or 1.0
    share_min = float(spec["part_min_banlieue"])
    max_inner = int(spec["banlieue_max"])
    idf = str(zones["region_ile_de_france"])
    paris = str(zones["departement_paris"])
    big = population >= float(zones["population_zone_apl_2"])
    out = []
    inner = 0
    records = zip(
        ordered["code"].astype(str),
        ordered["nom"].astype(str),
        ordered["dep"].astype(str),
        ordered["reg"].astype(str),
        ordered["stock"].to_numpy(dtype=float),
        strict=True,
    )
    for k, (code, name, dep, reg, stock) in enumerate(records):
        if k == 0:
            group = "centre"
        elif float(stock) / total >= share_min and inner < max_inner:
            group = "banlieue"
            inner += 1
        else:
            group = "couronne"
        if reg == idf:
            ceiling = "P" if dep == paris else "I"
            apl = "1" if group != "couronne" else "2"
        else:
            ceiling = "A"
            apl = "2" if big and group != "couronne" else "3"
        out.append(FranceCommune(code, name, group, apl, ceiling, float(stock)))
    rank = {"centre": 0, "banlieue": 1, "couronne": 2}
    return tuple(sorted(out, key=lambda c: rank[c.group]))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


def france_territories(
    millesime: int = 2025,
    seed: int = 2025,
    scale: float = 1.0,
    sirens: Iterable[str] | None = None,
) -> list[FranceTerritory]:
    """The territories of the synthetic France of ``millesime``: one per SIREN of the Q1 arrêté
    in force for the attributions of ``millesime - 1``, sorted by SIREN.

    Profiles are computed on all of France (they sum to the national totals) and do not depend
    on ``sirens`` (a subset to keep) nor on ``scale`` (a factor on every size, for tests and
    benchmarks on a fraction of France; at least ``taille.logements_min`` dwellings each).
    """
    return selection(list(_profiles(millesime, seed)), scale, sirens, millesime)


@lru_cache(maxsize=4)
def _profiles(millesime: int, seed: int) -> tuple[FranceTerritory, ...]:
    """Every territory's profile (``france_territories``), computed once per millésime and seed."""
    fm = load_france_model()
    model = load_model()
    spec = fm["taille"]
    arrete = _arrete(millesime - 1)
    ids = _identities(sorted(arrete), arrete)
    if not ids:
        raise ConfigError(
            f"Aucun EPCI dans l'arrêté du premier quartile de {millesime - 1} : choisissez un "
            "millésime dont l'année précédente a des seuils (paramètre seuils_q1)."
        )
    totals = {k: float(v["valeur"]) for k, v in fm["totaux"].items()}
    raw = np.array([float(i.members["stock"].sum()) for i in ids])
    dwellings = np.maximum(
        int(spec["logements_min"]), np.round(raw / raw.sum() * totals["logements"])
    ).astype(np.int64)

    # heterogeneity: per-territory draws from the national seed and the SIREN
    het = fm["heterogeneite"]
    kappa = float(het["part_qpv"]["concentration"])
    mean_qpv = float(model["cibles"]["part_qpv"]["valeur"])
    q1_base = float(model["attributions"]["q1_hors_qpv"])
    sigma = float(het["q1_hors_qpv_ecart_type_logit"])
    draws = [np.random.default_rng(np.random.SeedSequence([seed, int(i.siren), 1])) for i in ids]
    qpv = np.array([r.beta(kappa * mean_qpv, kappa * (1.0 - mean_qpv)) for r in draws])
    z = np.array([r.normal() for r in draws])
    lo, hi = float(het["part_qpv"]["min"]), float(het["part_qpv"]["max"])
    for _ in range(20):  # rescale to the national stock-weighted mean, within the bounds
        qpv = np.clip(qpv * mean_qpv / float(np.average(qpv, weights=dwellings)), lo, hi)

    # every EPCI lets the same share of its stock (attributions / dwellings, national totals)
    rate = totals["attributions"] / totals["logements"]
    floor = float(spec["rotation_min"])
    turnover = np.array(
        [_turnover_for(model, s, rate, d, floor) for s, d in zip(qpv, dwellings, strict=True)]
    )
    rates = np.array(
        [
            attribution_rates(model, s, t, d)
            for s, t, d in zip(qpv, turnover, dwellings, strict=True)
        ]
    )
    att = rates[:, 0] * dwellings
    out = rates[:, 1] * dwellings

    q1 = 1.0 / (1.0 + np.exp(-(_logit(q1_base) + sigma * z)))
    for _ in range(20):  # attribution-weighted mean back to the model's value
        q1 = np.clip(q1 * q1_base / float(np.average(q1, weights=out)), 0.01, 0.6)

    paris = {str(k) for k in fm["communes_siren"]}
    is_paris = np.array([i.siren in paris for i in ids])
    p_paris = float(fm["pression_paris"]["valeur"])
    rest = (totals["demandes"] - p_paris * att[is_paris].sum()) / att[~is_paris].sum()
    pressure = np.where(is_paris, p_paris, rest)
    mutation = float(model["tailles"]["libre"]["mutations_demande"])

    from mixite import geo

    regions = geo.region_names()
    deps = geo.departement_names()
    out_list = []
    for k, ident in enumerate(ids):
        population = float(ident.members["population"].sum())
        communes = _rings(ident.members, spec, fm["zones"], population)
        centre = ident.members.loc[ident.members["code"] == communes[0].code].iloc[0]
        thresholds, borrowed = _thresholds(ident.siren, (millesime - 1, millesime))
        out_list.append(
            FranceTerritory(
                siren=ident.siren,
                name=ident.name,
                nature=ident.nature,
                region=str(centre["reg"]),
                region_name=regions.get(str(centre["reg"]), str(centre["reg"])),
                departement=str(centre["dep"]),
                departement_name=deps.get(str(centre["dep"]), str(centre["dep"])),
                population=int(population),
                communes=communes,
                estimated_stock=float(raw[k]),
                dwellings=int(dwellings[k]),
                qpv_share=float(qpv[k]),
                turnover=float(turnover[k]),
                pressure=float(pressure[k]),
                q1_outside_qpv=float(q1[k]),
                demand_mutation_share=mutation,
                thresholds=thresholds,
                borrowed=borrowed,
            )
        )
    return tuple(out_list)


def selection(
    territories: list[FranceTerritory],
    scale: float = 1.0,
    sirens: Iterable[str] | None = None,
    millesime: int = 2025,
) -> list[FranceTerritory]:
    """The territories of ``sirens`` (all when None), every size × ``scale`` (at least
    ``taille.logements_min`` dwellings); ``ConfigError`` naming a SIREN that is not there."""
    minimum = int(load_france_model()["taille"]["logements_min"])
    keep = None if sirens is None else {str(s).strip() for s in sirens}
    if keep is not None:
        missing = sorted(keep - {t.siren for t in territories})
        if missing:
            raise ConfigError(
                f"SIREN absent(s) de l'arrêté du premier quartile de {millesime - 1} : "
                f"{', '.join(missing)}. Donnez des SIREN de la liste « france.csv »."
            )
    return [
        t if scale == 1.0 else replace(t, dwellings=int(max(minimum, round(scale * t.dwellings))))
        for t in territories
        if keep is None or t.siren in keep
    ]


def _q1_exceedance(territories: list[FranceTerritory], target: float) -> np.ndarray:
    """Per territory, the probability that its share of Q1-or-NPNRU attributions outside QPV
    reaches ``target``: binomial with the expected attributions outside QPV and the probability
    ``q1 + (1 - q1) × NPNRU share`` (relocations count towards the objective)."""
    from scipy.stats import binom

    npnru = float(load_model()["attributions"]["npnru"])
    probs = []
    for t in territories:
        n = round(t.expected()["attributions_out"])
        if n <= 0:
            probs.append(0.0)
            continue
        p = t.q1_outside_qpv + (1.0 - t.q1_outside_qpv) * npnru
        needed = math.ceil(target * n - 1e-9)
        probs.append(float(binom.sf(needed - 1, n, p)))
    return np.asarray(probs)


def national_figures(territories: list[FranceTerritory], millesime: int = 2025) -> list[Figure]:
    """The national calibration figures of the profiles (without generating the dwellings):
    stock, attributions and applications against the national totals, QPV share, attributions
    per dwelling (turnover), share of attributions outside QPV, expected Q1 share outside QPV
    and expected share of EPCIs reaching the legal objective. Targets, tolerances and sources
    from ``synth/modele.yaml`` (``cibles``) and ``synth/france.yaml``."""
    from mixite.params import default_parameters

    fm = load_france_model()
    model = load_model()
    c = model["cibles"]
    d = np.array([t.dwellings for t in territories], dtype=float)
    expected = [t.expected() for t in territories]
    att = np.array([e["attributions"] for e in expected])
    out = np.array([e["attributions_out"] for e in expected])
    apps = np.array([e["applications"] for e in expected])
    qpv = np.array([t.qpv_share for t in territories])
    q1 = np.array([t.q1_outside_qpv for t in territories])
    npnru = float(model["attributions"]["npnru"])
    target = float(default_parameters().value("quotas.q1_hors_qpv", dt.date(millesime - 1, 12, 31)))
    totals = fm["totaux"]

    labels = {
        "logements": "Logements sociaux",
        "attributions": "Attributions de l'année (attendu)",
        "demandes": "Demandes en cours (attendu)",
    }

    def total(key: str, value: float) -> Figure:
        spec = totals[key]
        return Figure(
            key,
            labels[key],
            float(spec["valeur"]),
            value,
            0.02 * float(spec["valeur"]),
            str(spec["source"]),
            unit="n",
        )

    def cible(
        key: str, label: str, value: float, spec: Mapping[str, Any], unit: str = "%"
    ) -> Figure:
        return Figure(
            key,
            label,
            float(spec["valeur"]),
            float(value),
            float(spec["tolerance"]),
            str(spec["source"]),
            unit,
        )

    return [
        total("logements", float(d.sum())),
        total("attributions", float(att.sum())),
        total("demandes", float(apps.sum())),
        cible("part_qpv", "Part du parc en QPV", float((qpv * d).sum() / d.sum()), c["part_qpv"]),
        cible(
            "rotation",
            "Attributions par logement (rotation)",
            float(att.sum() / d.sum()),
            c["rotation"],
        ),
        cible(
            "attributions_hors_qpv",
            "Part des attributions hors QPV",
            float(out.sum() / att.sum()),
            c["attributions_hors_qpv"],
        ),
        cible(
            "q1_hors_qpv",
            "Attributions hors QPV au premier quartile ou relogées (attendu)",
            float(((q1 + (1 - q1) * npnru) * out).sum() / out.sum()),
            c["q1_hors_qpv"],
        ),
        cible(
            "part_epci_objectif",
            "Part des EPCI atteignant l'objectif hors QPV (attendu)",
            float(_q1_exceedance(territories, target).mean()),
            fm["cibles"]["part_epci_objectif"],
        ),
    ]


def write_index(territories: list[FranceTerritory], root: Path) -> Path:
    """Write ``france.csv`` (``;``, UTF-8): one row per territory, its identity, profile and
    folder; written to a temporary file then renamed (never half-written)."""
    root.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow([
        "siren", "nom", "nature", "region", "nom_region", "departement", "nom_departement",
        "population", "communes", "logements", "part_qpv", "rotation", "pression",
        "q1_hors_qpv", "attributions_attendues", "demandes_attendues", "dossier",
    ])  # fmt: skip
    for t in territories:
        e = t.expected()
        writer.writerow([
            t.siren, t.name, t.nature, t.region, t.region_name, t.departement,
            t.departement_name, t.population, len(t.communes), t.dwellings,
            f"{t.qpv_share:.4f}", f"{t.turnover:.4f}", f"{t.pressure:.3f}",
            f"{t.q1_outside_qpv:.4f}", round(e["attributions"]), round(e["applications"]),
            t.siren,
        ])  # fmt: skip
    path = root / INDEX_FILE
    tmp = path.with_name(f".{INDEX_FILE}.partiel")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def generate_territory(
    territory: FranceTerritory, root: Path, millesime: int = 2025, seed: int = 2025
) -> tuple[Path, dict[str, int], bool]:
    """Generate one territory into ``root/<SIREN>`` (files written in a temporary folder, then
    renamed: a folder that exists is complete). Returns the folder, the row counts and whether
    it was generated now (False: already there, skipped)."""
    from mixite.synth.generateur import generate

    folder = root / territory.siren
    if folder.is_dir():
        return folder, {}, False
    tmp = root / f".{territory.siren}.partiel"
    if tmp.exists():
        shutil.rmtree(tmp)
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(territory.siren)]))
    result = generate(tmp, rng, territory.profile(), millesime, model=territory.model())
    os.replace(tmp, folder)
    return folder, dict(result.counts), True
