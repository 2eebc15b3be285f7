"""Job of the policy documents: everything the document-cadre, the CIA draft and the annual
review show for attribution year N, computed from the store.

Year N is the calendar year of the attributions (leases signed in N, store millésime N+1 or any
millésime holding them). The objectives are set for the next year on the volume of year N's
attributions (the best available forecast of next year's flow): the EPCI's Q1 objective outside
QPV is split between landlords with ``mixite.objectives.split_objective``; the priority objective
is each partner's own (each reservataire other than the State, each landlord's non-reserved
stock: ``ceil(rate × its attributions)``, ``mixite.objectives.own_objectives``), never pooled.
Each partner's rate is its commitment, else the territory's adapted rate, else the national one
(``indicators.quotas.targets``, store table ``commitments``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from mixite.errors import ConfigError, MixiteError
from mixite.jobs._load import (
    Snapshot,
    StoreLike,
    all_attributions,
    attributions_of_year,
    load_commitments,
    load_names,
    load_snapshot,
)
from mixite.jobs.diagnostic import marges as marges_job
from mixite.jobs.diagnostic import quota_table
from mixite.jobs.results import DocumentsResult, RelocationReview
from mixite.params import Parameters, default_parameters
from mixite.vocabulary import TARGET_PARAMETERS, Indicator, Level, reservataire_kind

__all__ = [
    "LEGAL_LEVELS",
    "documents",
    "legal_framework",
    "legal_history",
    "legal_status",
    "mutation_table",
    "own",
    "relocation_review",
    "split",
]

#: The scales where the law applies an obligation (``docs/droit.md`` §2): the EPCI and each
#: landlord for the two quartile objectives; each reservataire but the State and each landlord's
#: non-reserved stock for the DALO / priority objective (``target_applies`` of the quota table).
LEGAL_LEVELS = (Level.EPCI, Level.LANDLORD, Level.LANDLORD_NON_RESERVED, Level.RESERVATAIRE)

#: The ``documents.*`` parameters the documents quote (code → parameter).
TERM_PARAMETERS = {
    "cia_duration_years": "documents.cia.duree_ans",
    "pdalhpd_delay_months": "documents.cia.delai_avis_pdalhpd_mois",
    "rate_revision_years": "documents.orientations.revision_taux_ans",
    "review_years": "documents.bilan.annees_evolution",
    "confidence_level": "indicateurs.inference.niveau_confiance",
}

#: The legal objectives listed by the documents, with the parameter holding each rate.
LEGAL_ROWS = (
    ("q1_hors_qpv", TARGET_PARAMETERS[Indicator.Q1_OUTSIDE_QPV]),
    ("non_q1_en_qpv", TARGET_PARAMETERS[Indicator.NON_Q1_IN_QPV]),
    ("prioritaires", TARGET_PARAMETERS[Indicator.PRIORITY]),
    ("contingent_prefectoral", "quotas.contingent_prefectoral.plafond_total"),
    ("contingent_agents_etat", "quotas.contingent_prefectoral.plafond_agents_etat"),
)


def legal_framework(params: Parameters, when: dt.date) -> pd.DataFrame:
    """The legal objectives in force at a date: ``code``, ``rate``, ``reference`` (the text
    that sets it) and ``unconfirmed`` (from the dated parameters)."""
    rows = []
    for code, name in LEGAL_ROWS:
        value = params.get(name, when)
        rows.append(
            {
                "code": code,
                "rate": float(value.value),
                "reference": value.reference,
                "unconfirmed": bool(value.unconfirmed),
            }
        )
    return pd.DataFrame(rows)


def split(
    table: pd.DataFrame,
    level: str,
    indicator: str,
    rate: float,
    method: str,
    caps: dict[str, float] | None,
) -> tuple[pd.DataFrame, bool]:
    """The objective of ``indicator`` at ``rate`` split between the groups of ``level``
    (``objectives.split_objective``), with a last row ``partner = "total"``; and whether the EPCI
    objective is reachable within the partners' caps."""
    from mixite.objectives import split_objective

    part = table[(table["level"] == level) & (table["indicator"] == indicator)]
    if level == Level.RESERVATAIRE:
        part = part[part["target_applies"]]
    partners = pd.DataFrame(
        {
            "partner": part["group"].astype(str).to_numpy(),
            "expected": part["denominator"].to_numpy(),
            "achieved": part["numerator"].to_numpy(),
            "attainable_share": [
                1.0 if caps is None else caps.get(str(g), 1.0) for g in part["group"]
            ],
        }
    )
    use = method if caps is not None or method == "proportionnel" else "proportionnel"
    out = split_objective(partners, rate, use)  # type: ignore[arg-type]
    columns = ["partner", "expected", "achieved", "cap", "objective", "objective_rate"]
    frame = out[columns].copy()
    total = pd.DataFrame(
        {
            "partner": ["total"],
            "expected": [int(out["expected"].sum())],
            "achieved": [int(out["achieved"].sum())],
            "cap": [int(out["cap"].sum())],
            "objective": [int(out["objective"].sum())],
            "objective_rate": [out["objective"].sum() / max(out["expected"].sum(), 1)],
        }
    )
    return pd.concat([frame, total], ignore_index=True), bool(out.attrs["reachable"])


def own(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """The priority objective of each partner of ``level`` on its own attributions
    (``objectives.own_objectives``): the reservataires the objective applies to (not the State)
    or each landlord's non-reserved stock, with a last row ``partner = "total"`` (the sum of the
    partners' objectives, not an EPCI objective to redistribute).

    Columns: ``partner``, ``expected``, ``achieved``, ``cap`` (the partner's attributions: it
    cannot do more), ``objective``, ``objective_rate``, ``rate`` (its target),
    ``rate_national`` and ``rate_source`` (``vocabulary.TargetSource``).
    """
    from mixite.objectives import own_objectives

    part = table[
        (table["level"] == level)
        & (table["indicator"] == Indicator.PRIORITY)
        & table["target_applies"].astype(bool)
    ]
    partners = pd.DataFrame(
        {
            "partner": part["group"].astype(str).to_numpy(),
            "expected": part["denominator"].to_numpy(),
            "achieved": part["numerator"].to_numpy(),
            "cap": part["denominator"].to_numpy(),
            "rate": part["target"].to_numpy(dtype="float64"),
            "rate_national": part["target_national"].to_numpy(dtype="float64"),
            "rate_source": part["target_source"].to_numpy(),
        }
    )
    out = own_objectives(partners)
    columns = [
        "partner", "expected", "achieved", "cap", "objective", "objective_rate", "rate",
        "rate_national", "rate_source",
    ]  # fmt: skip
    total = pd.DataFrame(
        {
            "partner": ["total"],
            "expected": [int(out["expected"].sum())],
            "achieved": [int(out["achieved"].sum())],
            "cap": [int(out["cap"].sum())],
            "objective": [int(out["objective"].sum())],
            "objective_rate": [out["objective"].sum() / max(out["expected"].sum(), 1)],
            "rate": [float("nan")],
            "rate_national": [float("nan")],
            "rate_source": [None],
        }
    )
    return pd.concat([out[columns], total], ignore_index=True)


def _sectors(dw: pd.DataFrame, occupancy: pd.DataFrame) -> pd.DataFrame:
    """Stock, mean rent per m² and occupancy in QPV and outside (``in_qpv`` rows)."""
    rent = (
        dw.assign(s=dw["surface"].where(dw["rent"].notna())).groupby("in_qpv")[["rent", "s"]].sum()
    )
    keys = occupancy["in_qpv"]
    return pd.DataFrame(
        {
            "in_qpv": keys.to_numpy(),
            "dwellings": dw.groupby("in_qpv").size().reindex(keys).to_numpy(),
            "rent_m2": (rent["rent"] / rent["s"]).reindex(keys).to_numpy(),
            "households": occupancy["households"].to_numpy(),
            "share_under_40": occupancy["share_under_40"].to_numpy(),
            "share_single_parent": occupancy["share_single_parent"].to_numpy(),
        }
    )


def _fragile(residences: pd.DataFrame, dw: pd.DataFrame, classes: tuple[str, ...]) -> pd.DataFrame:
    """The 25 most fragile residences of the two most fragile classes."""
    top = (
        residences[residences["fragility_class"].isin(classes)]
        .sort_values("fragility_index", ascending=False)
        .head(25)
    )
    missing = [c for c in ("commune", "in_qpv") if c not in top.columns]
    if missing:
        place = dw.groupby("residence_id").agg(
            commune=("commune", "first"), in_qpv=("in_qpv", "max")
        )
        top = top.join(place[missing], on="residence_id")
    keep = [
        "residence_id", "commune", "in_qpv", "households", "fragility_index", "fragility_class",
        "explanation",
    ]  # fmt: skip
    return top[keep].reset_index(drop=True)


def _history(
    every: pd.DataFrame, territory: pd.DataFrame, params: Parameters | None
) -> pd.DataFrame | None:
    """The EPCI's three shares for every lease year of the store (years without a Q1 threshold
    are left out)."""
    rows = []
    for y in sorted(every["lease_date"].dt.year.dropna().unique()):
        y = int(y)
        try:
            t = quota_table(every, territory, y, params, levels=(Level.EPCI,))
        except MixiteError:  # a year without Q1 threshold is left out of the trend
            continue
        shares = t.set_index("indicator")["share"]
        rows.append(
            {
                "year": y,
                "attributions": int(t["denominator"].max()),
                **{str(ind): float(shares[ind]) for ind in Indicator},
            }
        )
    return pd.DataFrame(rows) if rows else None


def legal_status(
    attributions: pd.DataFrame,
    territory: pd.DataFrame,
    year: int,
    params: Parameters | None,
) -> pd.DataFrame:
    """The legal obligations of ``year`` where the law applies them (``LEGAL_LEVELS`` rows with
    ``target_applies``), in the long quota format plus ``met``: no attribution is missing
    (``shortfall`` = 0; the obligation is arithmetic, CCH art. L441-1, ``docs/droit.md`` §2.1)."""
    table = quota_table(attributions, territory, year, params, levels=LEGAL_LEVELS)
    keep = table["target_applies"].astype(bool)
    # the landlords' non-reserved stock pooled as one reservataire repeats, summed, the rows of
    # each landlord's non-reserved stock, where the obligation lies
    pooled = (table["level"] == Level.RESERVATAIRE) & (
        table["group"].astype(str).map(reservataire_kind) == "bailleur"
    )
    out = table[keep & ~pooled].copy()
    out["met"] = out["shortfall"].astype("int64") == 0
    return out.reset_index(drop=True)


def legal_history(
    every: pd.DataFrame,
    territory: pd.DataFrame,
    years: tuple[int, ...],
    params: Parameters | None,
) -> tuple[pd.DataFrame | None, dict[int, str]]:
    """``legal_status`` for each year of ``years`` (a ``year`` column first), and the years left
    out with their reason: ``no_attributions`` (no lease signed that year in the store) or
    ``no_threshold`` (no Q1 threshold known for that year)."""
    lease_years = set(pd.to_datetime(every["lease_date"]).dt.year.dropna().astype(int))
    frames, missing = [], {}
    for y in years:
        if y not in lease_years:
            missing[y] = "no_attributions"
            continue
        try:
            status = legal_status(every, territory, y, params)
        except MixiteError:  # no Q1 threshold for that year
            missing[y] = "no_threshold"
            continue
        frames.append(status.assign(year=y))
    if not frames:
        return None, missing
    out = pd.concat(frames, ignore_index=True)
    return out[["year", *[c for c in out.columns if c != "year"]]], missing


def mutation_table(attributions: pd.DataFrame) -> pd.DataFrame:
    """Mutations (attributions to households already tenants of the social stock) among the
    attributions, for the EPCI and each landlord: ``level``, ``group``, ``attributions``,
    ``mutations``, ``share`` (CCH art. L441-1-5: the orientations cover mutations)."""
    flag = attributions["is_mutation"].fillna(False).astype(bool)
    by = flag.groupby(attributions["landlord_id"].astype(str)).agg(["size", "sum"])
    rows = [("epci", "epci", len(flag), int(flag.sum()))]
    rows += [(str(Level.LANDLORD), str(g), int(n), int(m)) for g, (n, m) in by.iterrows()]
    out = pd.DataFrame(rows, columns=["level", "group", "attributions", "mutations"])
    out["share"] = out["mutations"] / out["attributions"].where(out["attributions"] > 0)
    return out


def _threshold_reference(territory: pd.DataFrame, year: int, params: Parameters) -> str:
    """The text setting the Q1 threshold of ``year``: the annual arrêté, or the territory file
    when it overrides the threshold."""
    import json

    overrides = territory.iloc[0].get("q1_overrides")
    if (
        isinstance(overrides, str)
        and overrides.strip()
        and str(year) in {str(k) for k in json.loads(overrides)}
    ):
        return "territoire.yaml"
    try:
        return params.get("seuils_q1", dt.date(year, 12, 31)).reference
    except MixiteError:
        return ""


def _fragility_counts(layer: pd.DataFrame) -> pd.DataFrame:
    """Residences and dwellings per fragility class, in QPV and outside."""
    return (
        layer.assign(in_qpv=layer["in_qpv"].fillna(False).astype(bool))
        .groupby(["fragility_class", "in_qpv"], sort=False)
        .agg(residences=("residence_id", "size"), dwellings=("dwellings", "sum"))
        .reset_index()
    )


def _extras(
    store: StoreLike,
    snapshot: Snapshot,
    attributions: pd.DataFrame,
    territory: pd.DataFrame,
    year: int,
    params: Parameters,
    diag: dict[str, pd.DataFrame] | None,
    marges_groups: pd.DataFrame | None,
) -> dict[str, object]:
    """The fields of ``DocumentsResult`` that the law's sections, the review's first table, its
    trend and the document-cadre's map need."""
    from mixite.jobs.diagnostic import residence_layer

    when = dt.date(year, 6, 1)
    terms = {}
    for code, name in TERM_PARAMETERS.items():
        value = params.get(name, when)
        terms[code] = (float(value.value), value.reference, bool(value.unconfirmed))
    span = int(terms["review_years"][0])
    window = tuple(range(year - span + 1, year + 1))
    history, missing = legal_history(all_attributions(store), territory, window, params)
    status = legal_status(attributions, territory, year, params)
    communes = quota_table(attributions, territory, year, params, levels=(Level.COMMUNE,))
    rates = {
        ind: float(params.value(TARGET_PARAMETERS[ind], dt.date(year, 12, 31))) for ind in Indicator
    }
    obj_communes, _ = split(
        communes, Level.COMMUNE, Indicator.Q1_OUTSIDE_QPV, rates[Indicator.Q1_OUTSIDE_QPV],
        "proportionnel", None,
    )  # fmt: skip
    in_qpv = communes[
        (communes["indicator"] == Indicator.NON_Q1_IN_QPV) & (communes["denominator"] > 0)
    ]
    obj_communes_qpv, _ = split(
        in_qpv, Level.COMMUNE, Indicator.NON_Q1_IN_QPV, rates[Indicator.NON_Q1_IN_QPV],
        "proportionnel", None,
    )  # fmt: skip
    dw = snapshot.require("dwellings", "les documents de la politique d'attribution")
    layer = residence_layer(diag or {}, dw)
    map_columns = ["residence_id", "x", "y", "dwellings", "fragility_class", "in_qpv", "commune"]
    communes_frame = snapshot.get("communes")
    shapes = None
    if communes_frame is not None and "geometry_wkt" in communes_frame.columns:
        shapes = communes_frame.dropna(subset=["geometry_wkt"]).reset_index(drop=True)
    return {
        "legal_status": status,
        "legal_history": history,
        "history_window": window,
        "missing_years": missing,
        "mutations": mutation_table(attributions),
        "objectives_communes": obj_communes,
        "objectives_communes_qpv": obj_communes_qpv,
        "marges_groups": marges_groups,
        "map_residences": layer[map_columns],
        "qpv_shapes": snapshot.get("qpv"),
        "commune_shapes": shapes,
        "fragility_counts": _fragility_counts(layer),
        "terms": terms,
        "threshold_reference": _threshold_reference(territory, year, params),
    }


#: The relocation charter's rules the documents compare with (charter key → parameter).
_CHARTER_RULES = {
    "part_neuf_recent": "relogement.part_neuf_recent",
    "part_hors_qpv": "relogement.part_hors_qpv",
    "hausse_reste_a_charge_max": "relogement.hausse_reste_a_charge_max",
    "anciennete_max_recent": "relogement.anciennete_max_recent",
}
#: Partner of a relocation whose lease is not among the imported attributions.
UNMATCHED = "non_rapproche"


def relocation_review(
    store: StoreLike,
    year: int,
    charter: Path | None = None,
    params: Parameters | None = None,
) -> RelocationReview:
    """The relocations of urban renewal recorded by the imported follow-up (all those rehoused
    so far) against the charter's targets (``charter``: the charter's YAML file; without it the
    parameters ``relogement.*`` in force on 1 January of ``year``, flagged as defaults): share in
    new or recent dwellings and outside QPV (dwellings of the store's latest stock), reste à
    charge not rising beyond the charter's limit (the costs the follow-up records), each
    partner's share (the reservataire of the matched attribution,
    ``trajectoires.suivi.match_followup``) against its contribution. ``imported`` is False when
    the store holds no follow-up."""
    from mixite.indicators.quotas import reservataire_groups
    from mixite.jobs._load import load_followup
    from mixite.trajectoires.suivi import achieved_relocations, match_followup

    params = params or default_parameters()
    followup = load_followup(store)
    if followup is None:
        return RelocationReview(imported=False, year=year)
    when = dt.date(year, 1, 1)
    rules: dict[str, float] = {}
    sources: dict[str, str] = {}
    contributions: dict[str, float] = {}
    name = source = ""
    if charter is not None:
        from mixite.io.relogement import read_charter

        chart = read_charter(charter, when, params)
        name, source = chart.name, chart.source
        rules = {k: float(chart.values[k]) for k in _CHARTER_RULES}
        sources = {k: chart.sources[k] for k in _CHARTER_RULES}
        contributions = dict(chart.contributions)
    else:
        for key, param in _CHARTER_RULES.items():
            rules[key] = float(params.value(param, when))
            sources[key] = "valeur par défaut : " + params.get(param, when).reference
    snapshot = load_snapshot(store, None, ("dwellings", "territory"))
    dwellings = snapshot.require("dwellings", "la section relogement des documents")
    territory = snapshot.get("territory")
    epci = str(territory.iloc[0]["epci"]) if territory is not None and len(territory) else None
    try:
        every = all_attributions(store)
    except MixiteError:
        every = None
    partner_of: dict[str, str] = {}
    matched = 0
    counted = 0
    if every is not None and len(every):
        match = match_followup(every, followup)
        keys = reservataire_groups(every, epci)
        by_id = pd.Series(keys.to_numpy(dtype=object), index=every["attribution_id"].astype(str))
        found = match.matches.dropna(subset=["attribution_id"])
        partner_of = dict(
            zip(
                found["household_id"].astype(str),
                found["attribution_id"].astype(str).map(by_id),
                strict=True,
            )
        )
        matched = match.matched
        in_qpv = pd.Series(
            every["in_qpv"].astype(bool).to_numpy(), index=every["attribution_id"].astype(str)
        )
        of_year = found[pd.to_datetime(found["lease_date"]).dt.year == year]
        counted = int((~of_year["attribution_id"].astype(str).map(in_qpv).astype(bool)).sum())
    done = achieved_relocations(
        followup, dwellings, int(rules["anciennete_max_recent"]), partner_of
    )
    done["partner"] = done["partner"].where(done["partner"].notna(), UNMATCHED)
    n = len(done)
    rise_known = done["rise"].notna()
    rows = []
    for target, key, meets, known in (
        ("neuf_recent", "part_neuf_recent", done["recent"].fillna(False), done["recent"].notna()),
        ("hors_qpv", "part_hors_qpv", ~done["in_qpv"].fillna(True), done["in_qpv"].notna()),
        (
            "reste_a_charge",
            "hausse_reste_a_charge_max",
            (done["rise"] <= rules["hausse_reste_a_charge_max"] + 1e-9).fillna(False),
            rise_known,
        ),
    ):
        k = int(known.sum())
        count = int(meets.astype(bool).sum())
        share = count / k if k else float("nan")
        value = rules[key]
        met = bool(count == k) if target == "reste_a_charge" else bool(share >= value - 1e-9)
        rows.append(
            {
                "target": target,
                "target_value": value,
                "households": count,
                "known": k,
                "share": share,
                "met": met if k else None,
                "source": sources[key],
            }
        )
    counts = done["partner"].value_counts()
    partners = sorted(set(counts.index.astype(str)) | set(contributions))
    contribution_rows = [
        {
            "partner": partner,
            "relocations": int(counts.get(partner, 0)),
            "share": float(counts.get(partner, 0)) / n if n else float("nan"),
            "charter_share": contributions.get(partner, float("nan")),
            "met": (
                None
                if partner not in contributions or not n
                else bool(counts.get(partner, 0) / n >= contributions[partner] - 1e-9)
            ),
        }
        for partner in partners
    ]
    lease_year = pd.to_datetime(done["lease_date"]).dt.year
    figures = {
        "surveyed": float(len(followup)),
        "rehoused": float(n),
        "rehoused_in_year": float((lease_year == year).sum()),
        "matched": float(matched),
        "counted_outside_qpv": float(counted),
        "waiting": float(len(followup) - n),
    }
    return RelocationReview(
        imported=True,
        year=year,
        charter_name=name,
        charter_source=source,
        targets=pd.DataFrame(rows),
        contributions=pd.DataFrame(
            contribution_rows, columns=["partner", "relocations", "share", "charter_share", "met"]
        ),
        figures=figures,
    )


def documents(
    store: StoreLike,
    year: int,
    method: str = "plafonne",
    params: Parameters | None = None,
    charter: Path | None = None,
) -> DocumentsResult:
    """Everything the three documents show for attribution year ``year``, from the store; the
    relocation section compares the imported follow-up with ``charter`` (the relocation
    charter's YAML file) when given (``relocation_review``)."""
    from mixite.indicators import quotas as quota_mod
    from mixite.indicators.diagnostic import territorial_diagnostic
    from mixite.indicators.fragility import CLASS_LABELS
    from mixite.indicators.quotas import DEFINITIONS
    from mixite.objectives import METHODS

    params = params or default_parameters()
    if method not in METHODS:
        raise ConfigError(
            f"Méthode « {method} » inconnue. Méthodes possibles : {', '.join(METHODS)}."
        )
    attributions = attributions_of_year(store, year)
    millesimes = store.millesimes("dwellings")
    millesime = year + 1 if year + 1 in millesimes else (max(millesimes) if millesimes else None)
    snapshot = load_snapshot(store, millesime)
    names = load_names(store)
    purpose = "les documents de la politique d'attribution"
    territory = snapshot.require("territory", purpose)
    threshold = quota_mod.q1_threshold(territory, year, params)
    commitments = load_commitments(store)
    table = quota_table(
        attributions,
        territory,
        year,
        params,
        levels=(Level.EPCI, Level.LANDLORD, Level.LANDLORD_NON_RESERVED, Level.RESERVATAIRE),
        commitments=commitments,
    )
    when = dt.date(year, 12, 31)
    # The EPCI's rates: the orientations' adapted rate when there is one, else the national one.
    rates = {
        ind: float(
            quota_mod.targets(Level.EPCI, ["epci"], ind, when, params, commitments)["target"][0]
        )
        for ind in Indicator
    }

    caps: dict[str, float] | None = None
    marges_table: pd.DataFrame | None = None
    marges_groups: pd.DataFrame | None = None
    try:
        marges_result = marges_job(store, year, params)
    except MixiteError:
        marges_result = None
    if marges_result is not None:
        groups = marges_result.marges.groups
        landlords = groups[groups["level"] == Level.LANDLORD]
        caps = {
            str(g): float(v)
            for g, v in zip(
                landlords["group"], landlords["attainable_share"].fillna(0.0), strict=True
            )
        }
        marges_table = landlords[
            ["group", "expected_vacancies", "achieved_share", "attainable_share"]
        ].reset_index(drop=True)
        marges_groups = groups[groups["level"].isin((Level.EPCI, Level.LANDLORD))].reset_index(
            drop=True
        )
    method_used = method if caps is not None else "proportionnel"
    obj_landlords, reachable = split(
        table, Level.LANDLORD, Indicator.Q1_OUTSIDE_QPV, rates[Indicator.Q1_OUTSIDE_QPV],
        method_used, caps,
    )  # fmt: skip
    obj_qpv, _ = split(
        table, Level.LANDLORD, Indicator.NON_Q1_IN_QPV, rates[Indicator.NON_Q1_IN_QPV],
        "proportionnel", None,
    )  # fmt: skip
    obj_res = own(table, Level.RESERVATAIRE)
    obj_own_stock = own(table, Level.LANDLORD_NON_RESERVED)

    dw = snapshot.require("dwellings", purpose)
    epci_row = table[
        (table["level"] == Level.EPCI) & (table["indicator"] == Indicator.Q1_OUTSIDE_QPV)
    ]
    applications = snapshot.get("applications")
    key_figures: dict[str, float | None] = {
        "dwellings": float(len(dw)),
        "share_in_qpv": float(dw["in_qpv"].sum()) / max(len(dw), 1),
        "attributions": float(len(attributions)),
        "applications": None if applications is None else float(len(applications)),
        "threshold": threshold,
        "q1_outside_qpv_share": float(epci_row["share"].iloc[0]) if len(epci_row) else None,
    }
    relocations = (
        attributions[attributions["npnru_relocation"]]
        .groupby("landlord_id")
        .size()
        .rename("relocations")
        .reset_index()
    )

    sectors = None
    fragile = None
    diag = None
    households = snapshot.get("households")
    if households is not None and len(households):
        diag = territorial_diagnostic(snapshot.frames(), snapshot.millesime, params)
        occ = diag.get("occupation_qpv")
        if occ is not None:
            sectors = _sectors(dw, occ)
        res = diag.get("occupation_residences")
        if res is not None:
            fragile = _fragile(res, dw, CLASS_LABELS[:2])

    return DocumentsResult(
        year=year,
        names=names,
        method=method,
        method_used=method_used,
        reachable=reachable,
        threshold=threshold,
        legal=legal_framework(params, dt.date(year, 6, 1)),
        key_figures=key_figures,
        quotas=table,
        objectives_landlords=obj_landlords,
        objectives_non_q1_qpv=obj_qpv,
        objectives_reservataires=obj_res,
        objectives_landlords_non_reserved=obj_own_stock,
        commitments=commitments,
        relocations=relocations,
        sectors=sectors,
        fragile_residences=fragile,
        marges=marges_table,
        history=_history(all_attributions(store), territory, params),
        definitions=DEFINITIONS,
        relocation_review=relocation_review(store, year, charter, params),
        **_extras(  # type: ignore[arg-type]
            store, snapshot, attributions, territory, year, params, diag, marges_groups
        ),
    )
