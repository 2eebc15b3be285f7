"""Scenario files (YAML, strict, French errors) and the bridge from a territory store to arrays.

A scenario describes one simulated or optimised year::

    nom: Référence
    annee: 2025                  # year of the leases
    millesime: 2025              # store millésime (default: the latest)
    graine: 42
    logements: {source: rotation}          # or {source: liste, fichier: logements.csv}
    grille: ../grilles/lyon_illustrative.yaml   # cotation grid (default: seniority in months)
    objectifs: {q1_hors_qpv: 0.25, hors_q1_en_qpv: 0.5, prioritaires: 0.25, par_bailleur: true}
    flechage: {part_hors_qpv: 0.0}
    flux: {etat_prioritaire: 0.25, action_logement: 0.3, commune: 0.2, bailleur: 0.25}
    solvabilite: {taux_effort_max: 0.35, reste_a_vivre_min: 12}
    acceptation: {constante: -2.2, effort: 6.0, rang: 0.5, qpv: 0.7}
    commission: {candidats: 3, exception_dalo: true, tours: 3, preference_solvabilite: 0.0}
    charges_par_m2: 1.5          # monthly service charges added to the rent (€/m²)
    replicats: 5
    k: 40

Omitted objectives take the legal values (``quotas.*`` parameters) in force during the year,
adapted by the territory's orientations and each partner's CIA commitment when the store holds
them (``engagements.yaml``, ``Scenario.quotas``);
omitted affordability thresholds come from the territory file, else from the default charter
(``solvabilite.*`` parameters); omitted charges per m² from ``solvabilite.charges_par_m2``; an
omitted number of candidates is the legal minimum (``commission.candidats_min``); omitted flows
come from the ``reservations`` table of the store: each vacancy is drawn among the conventions of
its landlord that cover its commune (a commune's convention covers the landlord's flow in that
commune only), the rest of the landlord's flow going to its own stock ``bailleur:<SIREN>``.
Reservataires are legal persons (``vocabulary.reservataire_key``); the flows of a scenario are
given by type and resolved per vacancy by the simulation.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mixite.affordability import territory_thresholds
from mixite.allocation.problem import (
    FIN_OTHER,
    FIN_PLAI,
    FIN_PLS,
    FIN_PLUS,
    Applications,
    Quotas,
    Thresholds,
    Vacancies,
)
from mixite.allocation.simulate import AcceptanceModel, SimulationConfig
from mixite.errors import ConfigError, InputError, Location, StoreError
from mixite.params import Parameters, YamlError, read_yaml_file, resolve
from mixite.vocabulary import Indicator, Level, reservataire_key

__all__ = [
    "ConventionMenus",
    "HousingAid",
    "Scenario",
    "applications_from_store",
    "draw_reservataires",
    "housing_aid",
    "load_scenario",
    "vacancies_from_store",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
EMPLOYED = ("cdi", "cdd_interim", "apprenti")
FINANCING = {"plai": FIN_PLAI, "plus": FIN_PLUS, "pls": FIN_PLS}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Logements(_Strict):
    source: Literal["rotation", "liste"] = "rotation"
    fichier: str | None = None


class Objectifs(_Strict):
    q1_hors_qpv: float | None = Field(default=None, ge=0, le=1)
    hors_q1_en_qpv: float | None = Field(default=None, ge=0, le=1)
    prioritaires: float | None = Field(default=None, ge=0, le=1)
    par_bailleur: bool = True


class Flechage(_Strict):
    part_hors_qpv: float = Field(default=0.0, ge=0, le=1)


class Solvabilite(_Strict):
    taux_effort_max: float | None = Field(default=None, gt=0, le=1)
    reste_a_vivre_min: float | None = Field(default=None, ge=0)


class Acceptation(_Strict):
    constante: float = -2.2
    effort: float = 6.0
    rang: float = 0.5
    qpv: float = 0.7


class Commission(_Strict):
    candidats: int | None = Field(default=None, ge=1)
    exception_dalo: bool = True
    tours: int = Field(default=3, ge=1)
    preference_solvabilite: float = Field(default=0.0, ge=0)


class Scenario(_Strict):
    """A validated scenario (see the module docstring)."""

    nom: str
    annee: int = Field(ge=2000, le=2100)
    millesime: int | None = None
    graine: int = 0
    logements: Logements = Logements()
    grille: str | None = None
    objectifs: Objectifs = Objectifs()
    flechage: Flechage = Flechage()
    flux: dict[str, float] | None = None
    solvabilite: Solvabilite = Solvabilite()
    acceptation: Acceptation = Acceptation()
    commission: Commission = Commission()
    charges_par_m2: float | None = Field(default=None, ge=0)
    replicats: int = Field(default=5, ge=1, le=1000)
    k: int | None = Field(default=40, ge=1)
    dossier: Path | None = None  # folder of the scenario file (relative paths)

    def quotas(
        self, params: Parameters | None = None, commitments: pd.DataFrame | None = None
    ) -> Quotas:
        """The scenario's ``objectifs``; else the targets in force on 1 July of the year: the
        territory's adapted rate (orientations, ``commitments`` rows of level ``epci``) or the
        legal one, and each partner's own commitment (the other ``commitments`` rows, store
        table ``commitments``), as in the quota tables (``indicators.quotas.targets``). A rate
        the scenario sets applies to every partner (a what-if, not the CIA)."""
        from mixite.indicators.quotas import targets

        when = dt.date(self.annee, 7, 1)
        o = self.objectifs

        def epci_rate(indicator: Indicator, given: float | None) -> float:
            if given is not None:
                return given
            frame = targets(Level.EPCI, ["epci"], indicator, when, params, commitments)
            return float(frame["target"].iloc[0])

        alpha = epci_rate(Indicator.Q1_OUTSIDE_QPV, o.q1_hors_qpv)
        beta = epci_rate(Indicator.NON_Q1_IN_QPV, o.hors_q1_en_qpv)
        gamma = epci_rate(Indicator.PRIORITY, o.prioritaires)
        own: list[tuple[str, str, float]] = []
        if commitments is not None and not commitments.empty:
            given = {
                Indicator.Q1_OUTSIDE_QPV: o.q1_hors_qpv,
                Indicator.NON_Q1_IN_QPV: o.hors_q1_en_qpv,
                Indicator.PRIORITY: o.prioritaires,
            }
            for indicator, rate in given.items():
                if rate is not None:
                    continue
                for level in (Level.LANDLORD, Level.LANDLORD_NON_RESERVED, Level.RESERVATAIRE):
                    groups = commitments.loc[
                        (commitments["level"] == level) & (commitments["indicator"] == indicator),
                        "group",
                    ].astype(str)
                    if groups.empty:
                        continue
                    frame = targets(level, groups.tolist(), indicator, when, params, commitments)
                    for group, value in zip(groups, frame["target"], strict=True):
                        key = (
                            reservataire_key("bailleur", group)
                            if level == Level.LANDLORD_NON_RESERVED
                            else group
                        )
                        own.append((str(indicator), key, float(value)))
        return Quotas(
            q1_outside_qpv=alpha,
            q1_outside_qpv_landlord=alpha if o.par_bailleur else None,
            non_q1_in_qpv=beta,
            non_q1_in_qpv_landlord=beta if o.par_bailleur else None,
            priority_per_reservataire=gamma,
            commitments=tuple(own),
        )

    def thresholds(
        self, territory: pd.DataFrame | None, params: Parameters | None = None
    ) -> Thresholds:
        """The scenario's ``solvabilite``, else the territory's charter, else the default one."""
        out = territory_thresholds(territory, dt.date(self.annee, 7, 1), params)
        effort = self.solvabilite.taux_effort_max
        rav = self.solvabilite.reste_a_vivre_min
        return Thresholds(
            max_effort_rate=out.max_effort_rate if effort is None else effort,
            min_reste_a_vivre=out.min_reste_a_vivre if rav is None else rav,
            days_per_month=out.days_per_month,
        )

    def charges_per_m2(self, params: Parameters | None = None) -> float:
        """Monthly charges per m² (€): ``charges_par_m2``, else ``solvabilite.charges_par_m2``."""
        if self.charges_par_m2 is not None:
            return self.charges_par_m2
        return float(resolve(params).value("solvabilite.charges_par_m2", dt.date(self.annee, 7, 1)))

    def simulation_config(self, flows: dict[str, float] | None) -> SimulationConfig:
        a = self.acceptation
        return SimulationConfig(
            year=self.annee,
            n_candidates=self.commission.candidats,
            dalo_exception=self.commission.exception_dalo,
            max_rounds=self.commission.tours,
            flechage_share=self.flechage.part_hors_qpv,
            flows=flows,
            acceptance=AcceptanceModel(a.constante, a.effort, a.rang, a.qpv),
            solvency_preference=self.commission.preference_solvabilite,
        )

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() or self.dossier is None else self.dossier / p


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file (``ConfigError`` in French naming the file and field)."""
    path = Path(path)
    try:
        data = read_yaml_file(path).tree
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise ConfigError(f"Fichier de scénario introuvable : « {path} ».") from exc
    except YamlError as exc:
        raise ConfigError(f"Le scénario « {path} » n'est pas un YAML valide. {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"Le scénario « {path} » doit être un dictionnaire YAML (clé: valeur).")
    try:
        return Scenario.model_validate({**data, "dossier": path.parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise ConfigError(
            f"Scénario « {path} », champ « {where} » : {_french(first['type'], first.get('input'))} "
            "Corrigez ce champ (voir docs/allocation.md)."
        ) from exc


def _french(kind: str, value: object) -> str:
    messages = {
        "missing": "champ obligatoire absent.",
        "extra_forbidden": f"champ inconnu (valeur « {value} »).",
        "less_than_equal": f"valeur « {value} » trop grande.",
        "greater_than_equal": f"valeur « {value} » trop petite.",
        "greater_than": f"valeur « {value} » trop petite.",
        "literal_error": f"valeur « {value} » non reconnue.",
    }
    return messages.get(kind, f"valeur « {value} » invalide ({kind}).")


def vacancies_from_store(
    dwellings: pd.DataFrame,
    scenario: Scenario,
    reservations: pd.DataFrame | None,
    rng: np.random.Generator,
    communes: pd.DataFrame | None = None,
) -> Vacancies:
    """The year's vacancies: each let dwelling becomes vacant with its residence's turnover rate
    (leases started in the millésime's previous year over dwellings), or the listed dwellings.

    With ``communes`` (``apl_zone``, ``ceiling_zone``), each vacancy carries the zones of its
    commune (``Vacancies.apl_zone``, ``Vacancies.ceiling_zone``)."""
    let = dwellings[
        dwellings["occupancy_mode"].isin(["1", "2"]) | dwellings["occupancy_mode"].isna()
    ]
    if scenario.logements.source == "liste":
        if scenario.logements.fichier is None:
            raise ConfigError("Source « liste » : indiquez le fichier des logements (« fichier »).")
        listed = pd.read_csv(scenario.path(scenario.logements.fichier), sep=";", dtype=str)
        if "IDENT_INT" not in listed.columns:
            raise InputError(
                "Colonne « IDENT_INT » absente de la liste de logements.",
                Location(str(scenario.logements.fichier), 1, "IDENT_INT", None),
                "Donnez les identifiants des logements dans une colonne « IDENT_INT ».",
            )
        chosen = let[let["dwelling_id"].isin(set(listed["IDENT_INT"]))]
    else:
        latest = dwellings["lease_start"].dt.year.max() if len(dwellings) else scenario.annee
        if pd.isna(latest):
            raise StoreError(
                "Les logements n'ont pas de date de bail (colonne BAIL du fichier RPLS version "
                "loi) : la rotation des logements, qui donne les libérations de l'année, est "
                "inconnue. Importez le RPLS version loi (mixite importer --rpls FICHIER), ou "
                "donnez la liste des logements libérés dans le scénario (logements: source: "
                "liste)."
            )
        year = int(latest)
        recent = let["lease_start"].dt.year.eq(year).astype(float)
        rate = recent.groupby(let["residence_id"]).transform("mean").to_numpy()
        chosen = let[rng.random(len(let)) < rate]
    rooms = chosen["rooms"].astype(np.int64).to_numpy()
    surface = (
        chosen["surface"].astype(float).fillna(18.0 + 17.0 * pd.Series(rooms, index=chosen.index))
    )
    rent_s = chosen["rent"].astype(float)
    rent = rent_s.fillna(rent_s.median() if rent_s.notna().any() else 0.0).to_numpy()
    res = draw_reservataires(chosen["landlord_id"], chosen["commune"], reservations, rng)
    financing = chosen["finan_family"].map(FINANCING).fillna(FIN_OTHER).astype(np.int64)
    apl_zone = ceiling_zone = None
    if communes is not None:
        apl_zone, ceiling_zone = _vacancy_zones(chosen["commune"], communes)
    return Vacancies.from_arrays(
        ids=chosen["dwelling_id"].to_numpy(dtype=object),
        landlord=chosen["landlord_id"].to_numpy(dtype=object),
        commune=chosen["commune"].to_numpy(dtype=object),
        in_qpv=chosen["in_qpv"].to_numpy(dtype=bool),
        reservataire=res,
        rooms=rooms,
        housing_cost=rent + scenario.charges_per_m2() * surface.to_numpy(),
        rent=rent,
        financing=financing.to_numpy(),
        qpv_code=chosen["qpv_code"].fillna("").to_numpy(dtype=object),
        apl_zone=apl_zone,
        ceiling_zone=ceiling_zone,
    )


def draw_reservataires(
    landlords: pd.Series,
    communes: pd.Series,
    reservations: pd.DataFrame | None,
    rng: np.random.Generator,
) -> npt.NDArray[np.object_]:
    """The reservataire (key) each vacancy goes to, drawn with the shares of the landlord's
    flow conventions (``ConventionMenus``): one draw per vacancy, in order."""
    menus = ConventionMenus(reservations)
    res = np.empty(len(landlords), dtype=object)
    for i, (lid, commune) in enumerate(zip(landlords.tolist(), communes.tolist(), strict=True)):
        names, probs = menus.of(str(lid), str(commune))
        res[i] = names[int(rng.choice(len(names), p=probs))]
    return res


def _vacancy_zones(commune: pd.Series, communes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """Housing-benefit zone (1–3) and income-ceiling zone index (``ceilings.ZONES``) of each
    vacancy's commune; ``StoreError`` (French) for a commune without zone."""
    from mixite.ceilings import ZONES

    zones = communes.drop_duplicates("commune").set_index("commune")
    apl = pd.to_numeric(commune.map(zones["apl_zone"]), errors="coerce")
    ceiling = commune.map(zones["ceiling_zone"]).map({z: i for i, z in enumerate(ZONES)})
    lacking = apl.isna() | ceiling.isna()
    if lacking.any():
        code = str(commune[lacking].iloc[0])
        raise StoreError(
            f"Zones inconnues pour la commune « {code} » (zone des aides au logement, zone des "
            "plafonds de ressources) : renseignez zone_apl et zone_plafonds dans le fichier des "
            "communes du territoire (communes.csv), puis importez-le (mixite importer --communes "
            "FICHIER)."
        )
    return apl.to_numpy(dtype=np.int64), ceiling.to_numpy(dtype=np.int64)


class ConventionMenus:
    """The reservataires (keys) a vacancy of a landlord in a commune may go to, with their
    shares: the landlord's conventions of the département, the commune's own convention for a
    dwelling of that commune, and the landlord's own stock for the rest.

    ``of(landlord, commune)`` returns the keys and their probabilities (summing to 1); the
    simulation draws one per vacancy (``draw_reservataires``), the projection draws the
    vacancies of one landlord and commune together and weighs the expected flows with them.
    """

    def __init__(self, reservations: pd.DataFrame | None) -> None:
        self.base: dict[str, list[tuple[str, float]]] = {}
        self.communes: dict[tuple[str, str], list[tuple[str, float]]] = {}
        self.cache: dict[tuple[str, str], tuple[list[str], list[float]]] = {}
        if reservations is None or reservations.empty:
            return
        ids = (
            reservations["reservataire_id"].tolist()
            if "reservataire_id" in reservations
            else [None] * len(reservations)
        )
        for kind, lid, ident, share in zip(
            reservations["reservataire"].astype(str).tolist(),
            reservations["landlord_id"].astype(str).tolist(),
            ids,
            reservations["share"].astype(float).tolist(),
            strict=True,
        ):
            if kind == "bailleur":
                continue
            key = reservataire_key(kind, ident)
            entry = (key, share)
            if kind == "commune" and key != kind:
                self.communes.setdefault((lid, str(ident)), []).append(entry)
            else:
                self.base.setdefault(lid, []).append(entry)

    def of(self, landlord: str, commune: str) -> tuple[list[str], list[float]]:
        found = self.cache.get((landlord, commune))
        if found is not None:
            return found
        entries = self.base.get(landlord, []) + self.communes.get((landlord, commune), [])
        merged: dict[str, float] = {}
        for key, share in entries:
            merged[key] = merged.get(key, 0.0) + share
        own = reservataire_key("bailleur", landlord)
        merged[own] = merged.get(own, 0.0) + max(1.0 - sum(merged.values()), 0.0)
        total = sum(merged.values())
        out = (list(merged), [v / total for v in merged.values()])
        self.cache[(landlord, commune)] = out
        return out


def default_flows(vacancies: Vacancies) -> dict[str, float] | None:
    """Flow shares by reservataire type: the share of the year's vacancies the conventions
    directed to each type (``vacancies_from_store``); None without vacancies."""
    from mixite.vocabulary import reservataire_kind

    if len(vacancies) == 0:
        return None
    kinds = pd.Series([reservataire_kind(str(r)) for r in vacancies.reservataire.tolist()])
    shares = kinds.value_counts(normalize=True, sort=False)
    return {str(k): float(v) for k, v in shares.items()}


def applications_from_store(
    applications: pd.DataFrame,
    territory: pd.DataFrame,
    communes: pd.DataFrame,
    scenario: Scenario,
    millesime: int,
    strict_q1: bool = True,
) -> Applications:
    """Pending applications as arrays: Q1 status, ceilings, cotation score, UC, wishes.

    Q1 status, UC and the ceiling category (« jeune ménage » and disability included) come from
    ``mixite.household``; ``strict_q1`` as in ``household.is_q1``. The ceilings are given in each
    income-ceiling zone (``ceilings.ZONES``, array ``(n, 3, 3)``): the zone of the dwelling's
    commune chooses (``Vacancies.ceiling_zone``). ``communes`` is kept for the callers' sake.
    """
    from mixite.ceilings import ZONES, category_ceiling
    from mixite.household import annual_resources, ceiling_category, consumption_units, q1_status
    from mixite.indicators.quotas import q1_threshold

    when = dt.date(millesime, 1, 1)
    frame = applications.reset_index(drop=True)
    threshold = q1_threshold(territory, scenario.annee)
    q1 = q1_status(frame, threshold, when, strict=strict_q1).to_numpy(dtype=bool)
    size = frame["household_size"].to_numpy(np.int64)
    adults = frame["adults"].to_numpy(np.int64)
    category, extra = ceiling_category(frame, when)
    ceilings = np.stack(
        [
            np.stack(
                [
                    category_ceiling(
                        k, np.full(len(frame), zone, dtype=object), category, extra, when
                    )
                    for zone in ZONES
                ],
                axis=1,
            )
            for k in ("plai", "plus", "pls")
        ],
        axis=1,
    )
    monthly = frame["monthly_resources"].to_numpy(np.float64)
    income = (
        frame["tax_income"].astype(float).fillna(pd.Series(annual_resources(monthly))).to_numpy()
    )
    uc = consumption_units(adults, frame["persons_14plus"].to_numpy(np.int64), size, when)
    score = _scores(frame, territory, scenario, millesime)
    wishes = frame["wished_communes"].tolist()
    width = max((len(w) for w in wishes), default=0) or 1
    wished = np.full((len(frame), width), "", dtype=object)
    for i, w in enumerate(wishes):
        wished[i, : len(w)] = w
    priority_codes = frame["priority_codes"].map(len).to_numpy() > 0
    return Applications.from_arrays(
        ids=frame["application_id"].to_numpy(dtype=object),
        q1=q1,
        npnru=frame["npnru_relocation"].to_numpy(dtype=bool),
        priority=priority_codes & frame["priority_justified"].to_numpy(dtype=bool),
        dalo=frame["dalo"].to_numpy(dtype=bool),
        employed=frame["employment"].isin(EMPLOYED).to_numpy(dtype=bool),
        score=score,
        income=income,
        ceilings=ceilings,
        rooms_min=frame["rooms_min"].to_numpy(np.int64),
        rooms_max=np.maximum(
            frame["rooms_max"].to_numpy(np.int64), frame["rooms_min"].to_numpy(np.int64)
        ),
        monthly_resources=monthly,
        consumption_units=uc,
        wished=wished,
        household_size=size,
        adults=adults,
        persons_14plus=frame["persons_14plus"].to_numpy(np.int64),
        is_mutation=frame["is_mutation"].to_numpy(dtype=bool),
    )


def _scores(
    frame: pd.DataFrame, territory: pd.DataFrame, scenario: Scenario, millesime: int
) -> np.ndarray:  # type: ignore[type-arg]
    """Cotation score with the scenario's grid; without grid, seniority in months."""
    if scenario.grille is None:
        ref = pd.Timestamp(dt.date(millesime, 1, 1))
        months = (ref - frame["filing_date"]).dt.days.to_numpy(np.float64) / 30.4375
        out: np.ndarray = np.nan_to_num(months, nan=0.0)  # type: ignore[type-arg]
        return out
    from mixite.cotation import load_grid, score_applications
    from mixite.cotation.fields import reference_context

    grid = load_grid(scenario.path(scenario.grille))
    context = reference_context(millesime, territory)
    scored = score_applications(frame, grid, context)
    # Applications hors cotation rank last.
    return scored["score"].fillna(-1.0).to_numpy(np.float64)


class HousingAid:
    """The vectorised housing-aid function of a problem (``housing_aid``): APL + RLS of each
    applicant for a vacancy of monthly cost ``cost``, in the housing-benefit zone of the
    vacancy's commune; ``one_dwelling`` computes the same for one vacancy and a list of
    applicants without the generic broadcasting (the simulation's scanner)."""

    def __init__(self, apps: Applications, vacancies: Vacancies, year: int) -> None:
        from mixite.affordability import MAX_DEPENDANTS, apl_scale

        self.zones = (
            np.asarray(vacancies.apl_zone)
            if vacancies.apl_zone is not None
            else np.full(len(vacancies), 2, dtype=np.int64)
        )
        size = np.asarray(
            apps.household_size if apps.household_size is not None else np.ones(len(apps.ids))
        )
        adults = np.asarray(apps.adults if apps.adults is not None else np.ones(len(apps.ids)))
        self.dependants = np.clip(size - adults, 0, None).astype(np.int64)
        self.couple = adults >= 2
        self.annual = 12.0 * np.asarray(apps.monthly_resources, dtype=np.float64)
        self.scale = apl_scale(dt.date(year, 1, 1))
        #: Whether every applicant's amounts pass ``housing_benefit``'s checks (finite,
        #: non-negative resources, at most ``MAX_DEPENDANTS`` dependants): ``one_dwelling``
        #: skips them then, else it takes the checked path (and its French error).
        self.checked = bool(
            np.isfinite(self.annual).all()
            and (self.annual.size == 0 or self.annual.min() >= 0)
            and (self.dependants.size == 0 or self.dependants.max() <= MAX_DEPENDANTS)
        )

    def __call__(self, cost: Any, app_index: Any, vacancy_index: Any) -> Any:
        from mixite.affordability import housing_benefit

        idx = np.asarray(app_index)
        # The arguments broadcast together in ``housing_benefit`` (no copy per pair).
        benefit, rls = housing_benefit(
            zone=self.zones[np.asarray(vacancy_index)],
            couple=self.couple[idx],
            dependants=self.dependants[idx],
            rent=np.asarray(cost, dtype=np.float64),
            annual_resources=self.annual[idx],
            scale=self.scale,
        )
        return np.asarray(benefit, dtype=np.float64) + np.asarray(rls, dtype=np.float64)

    def one_dwelling(self, cost: float, app_index: IntArray, vacancy: int) -> FloatArray:
        """The aid of the applicants ``app_index`` (1-D) for the vacancy ``vacancy`` of monthly
        cost ``cost``: ``self(cost, app_index, [vacancy])``, bit for bit."""
        from mixite.affordability import benefit_in_one_dwelling

        if not (self.checked and math.isfinite(cost) and cost >= 0):
            out: FloatArray = self(np.full(1, cost), app_index, np.full(1, vacancy))
            return out
        return benefit_in_one_dwelling(
            int(self.zones[vacancy]),
            self.couple[app_index],
            self.dependants[app_index],
            cost,
            self.annual[app_index],
            self.scale,
        )


def housing_aid(apps: Applications, vacancies: Vacancies, year: int) -> HousingAid:
    """The vectorised housing-aid function of the problem: APL + RLS of each applicant for a
    vacancy of monthly cost ``cost`` (``mixite.affordability``, in force on 1 January of the
    year), in the housing-benefit zone of the vacancy's commune (``Vacancies.apl_zone``; zone 2
    when the vacancies carry no zone). Approximation (docs/allocation.md): the housing cost (rent
    + charges) is taken as the rent, which the APL rent ceiling caps."""
    return HousingAid(apps, vacancies, year)
