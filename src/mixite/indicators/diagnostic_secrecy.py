"""Statistical secrecy of the diagnostic: what each table publishes, as a reader can add it up.

``SHAPES`` declares, for every table of ``diagnostic.TABLES``, its count and share columns (the
population each counts, ``indicators.secrecy``), the columns that reveal them (means, medians,
intervals, indices) and the dimensions of its rows; ``structure`` gives the relations between
dimensions (a residence is in one commune, IRIS, QPV, landlord and fragility class; an IRIS in
one commune; a QPV is « QPV »), read from the dwellings of the millésime and from the diagnostic
itself. ``protect_diagnostic`` applies primary and secondary suppression to all the tables at
once, so that a cell masked in one table is masked in every table that shows it.

Who is protected: persons. Counts of occupant households (OPS), of applications (SNE) and of
attributions are secret. Counts of dwellings, residences and rents come from the RPLS, which
describes dwellings, not persons, and whose localisation, typology, financing and DPE are
communicable dwelling by dwelling (CCH art. R411-4, ``docs/donnees-officielles.md`` §1.1): they are
published as they are, unless the parameter ``secret_statistique.logements`` asks for them to
be protected too (then with the same rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from mixite.indicators import occupancy
from mixite.indicators.secrecy import (
    Count,
    Identity,
    Part,
    Protection,
    Ratio,
    Shape,
    Structure,
    protect,
)
from mixite.params import Parameters, resolve
from mixite.vocabulary import reservataire_key

#: How every publication's attributions add up: Q1 outside QPV + the others; mutations + the
#: others.
ATTRIBUTION_IDENTITIES = (
    Identity("attributions", ("attributions:q1_hors_qpv", "attributions:non_q1_en_qpv")),
    Identity("attributions", ("attributions:mutation", "attributions:hors_mutation")),
)

__all__ = [
    "ATTRIBUTION_IDENTITIES",
    "SHAPES",
    "protect_diagnostic",
    "protect_quotas",
    "quota_shapes",
    "secret_dwellings",
    "shapes",
    "structure",
]

_FLAGS = occupancy.FLAG_COLUMNS
#: The fragility components (weights ``indicateurs.fragilite.poids``) whose standardised gaps and
#: contributions the residence table shows.
_FRAGILITY_SHARES = (
    "share_under_20",
    "share_under_60",
    "share_single_parent",
    "share_large_family",
    "share_unemployed",
    "share_housing_benefit",
)
QPV = "QPV"
OUTSIDE = "hors QPV"


def _occupancy(dims: tuple[str, ...] = (), **options: Any) -> Shape:
    follows: dict[str, tuple[str, ...]] = {"median_resources_per_uc": ("households",)}
    return Shape(
        dims=dims,
        counts=(
            Count("households", "households"),
            *(Count(f"n_{f}", f"households:{f}") for f in _FLAGS),
        ),
        ratios=tuple(Ratio(f"share_{f}", f"households:{f}", "households") for f in _FLAGS),
        follows=follows | options.pop("follows", {}),
        **options,
    )


def _residence_follows() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for share in _FRAGILITY_SHARES:
        out[f"z_{share}"] = (share,)
        out[f"contrib_{share}"] = (share,)
    out["fragility_index"] = ("households", *(f"contrib_{s}" for s in _FRAGILITY_SHARES))
    out["explanation"] = ("households", *(f"share_{f}" for f in _FLAGS))
    return out


def _qpv_status(row: Mapping[str, Any]) -> dict[str, str]:
    return {"qpv_status": QPV if bool(row["in_qpv"]) else OUTSIDE}


def _whole(_: Mapping[str, Any]) -> dict[str, str]:
    return {}


_LEVEL_DIMS = {
    "epci": (),
    "bailleur": ("landlord_id",),
    "reservataire": ("reservataire",),
    "commune": ("commune",),
}


def _quota_dims(row: Mapping[str, Any]) -> dict[str, str]:
    level = str(row["level"])
    if level == "bailleur_non_reserve":
        # The landlord's own stock is one more reservataire: with the reservataire rows, the
        # rows list every attribution once (their sum is the EPCI row).
        return {"reservataire": reservataire_key("bailleur", row["group"])}
    dims = _LEVEL_DIMS.get(level, ("group",))
    return {d: str(row["group"]) for d in dims}


def _quota_measure(kind: str) -> Any:
    """Attributions of the objective's denominator (all attributions for ``prioritaires``: the
    same population as the demand tables and the flux ledger), or of its public."""

    def measure(row: Mapping[str, Any]) -> str:
        indicator = str(row["indicator"])
        if kind == "den" and indicator == "prioritaires":
            return "attributions"
        return f"attributions:{indicator}" if kind == "den" else f"cible:{indicator}"

    return measure


def quota_shapes(
    extra_dims: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None,
) -> tuple[Shape, ...]:
    """The shapes of a quota table in the long format (``vocabulary.LONG_COLUMNS``, one block
    per level: the EPCI, the landlords, the reservataires and the landlords' own stock, the
    communes), shared with the scenarios' tables (``outputs_secrecy.protect_scenario``) and the
    projection's (``outputs_secrecy.protect_projection``: ``extra_dims`` adds the dimensions of
    a row beyond its partner, the strategy and the year)."""

    def row_dims(row: Mapping[str, Any]) -> dict[str, str]:
        dims = _quota_dims(row)
        if extra_dims is not None:
            dims.update(extra_dims(row))
        return dims

    follows: dict[str, tuple[str, ...]] = {
        c: ("numerator", "denominator")
        for c in ("shortfall", "ci_low", "ci_high", "p_value", "significant_shortfall")
    }
    follows["objective"] = ("denominator",)  # target × denominator gives the denominator back
    blocks = []
    for level, margins in (
        ("epci", ()),
        ("bailleur", ("landlord_id",)),
        ("reservataire", ("reservataire",)),
        ("commune", ("commune",)),
        ("bailleur_non_reserve", ("reservataire",)),
    ):
        blocks.append(
            Shape(
                row_dims=row_dims,
                counts=(
                    Count("denominator", _quota_measure("den")),
                    Count("numerator", _quota_measure("num")),
                ),
                ratios=(Ratio("share", _quota_measure("num"), _quota_measure("den")),),
                follows=follows,
                margins=margins,
                where={"level": (level,)},
            )
        )
    return tuple(blocks)


def _pressure(dims: tuple[str, ...], wanted: str, dwelling: str, **options: Any) -> Shape:
    """Demand pressure: pending applications by wished group, attributions by the dwelling's."""
    to_wanted = {dims[0]: wanted} if dims else {}
    to_dwelling = {dims[0]: dwelling} if dims else {}
    return Shape(
        dims=dims,
        counts=(
            Count("pending", "pending", rename=to_wanted),
            Count("pending_excl_mutations", "pending:hors_mutation", rename=to_wanted),
            Count("attributions", "attributions", rename=to_dwelling),
            Count("attributions_excl_mutations", "attributions:hors_mutation", rename=to_dwelling),
        ),
        follows={
            "pressure": ("pending", "attributions"),
            "pressure_excl_mutations": ("pending_excl_mutations", "attributions_excl_mutations"),
        },
        **options,
    )


def _profile(dims: tuple[str, ...], **options: Any) -> Shape:
    return Shape(
        dims=dims,
        counts=(Count("pending", "pending"),),
        ratios=(
            Ratio("share_mutation", "pending:mutation", "pending"),
            Ratio("share_q1", "pending:q1", "pending"),
            Ratio("share_priority", "pending:prioritaire", "pending"),
            Ratio("share_dalo", "pending:dalo", "pending"),
        ),
        follows={"median_seniority_months": ("pending",)},
        **options,
    )


def _q1_base(row: Mapping[str, Any]) -> str:
    scope = "EPCI" if bool(row["epci_only"]) else "toutes"
    return f"seuil_q1:{'avec' if bool(row['include_mutations']) else 'sans'}_mutations:{scope}"


#: The flux ledger: a block per landlord × département lists every reservataire that received
#: attributions (its own stock included), so the delivered attributions add up to the
#: département's net flow; a commune reservataire's flow is the landlord's in that commune.
_FLUX_ROW = ("landlord_id", "departement", "reservataire")
_FLUX_SCOPE = ("landlord_id", "departement", "commune")


def _flux_dims(row: Mapping[str, Any]) -> dict[str, str]:
    dims = {
        "landlord_id": str(row["landlord_id"]),
        "departement": _code(row["departement"]),
        "reservataire": str(row["reservataire"]),
    }
    commune = row.get("commune")
    if isinstance(commune, str) and commune:
        dims["commune"] = commune
    return dims


#: How each diagnostic table publishes persons (see the module docstring).
SHAPES: dict[str, tuple[Shape, ...]] = {
    "occupation_residences": (_occupancy(("residence_id",), follows=_residence_follows()),),
    "occupation_quartiers": (_occupancy(("qpv_code",)),),
    "occupation_qpv": (_occupancy(row_dims=_qpv_status),),
    "fragilite_classes": (
        Shape(dims=("fragility_class",), counts=(Count("households", "households"),)),
    ),
    "segregation": (
        Shape(
            row_dims=_whole,
            counts=(Count("households", "households"),),
            ratios=(
                Ratio(
                    "group_share",
                    lambda row: f"households:{row['group']}",
                    "households",
                ),
            ),
            where={"group": ("under_40", "unemployed", "single_parent")},
        ),
        Shape(
            row_dims=_whole,
            counts=(Count("households", "households"),),
            where={"group": ("income_quartile",)},
        ),
    ),
    "segregation_quotients": (
        Shape(
            dims=("iris", "income_quartile"),
            counts=(
                Count("count", "households"),
                Count("unit_households", "households", over=("iris", "commune")),
            ),
            follows={"location_quotient": ("count", "unit_households")},
        ),
    ),
    "demande_communes": (_pressure(("commune",), "commune_demanded", "commune"),),
    "demande_typologies": (_pressure(("typologie",), "typology_demanded", "typology"),),
    "demande_territoire": (_pressure((), "", "", row_dims=_whole),),
    "demande_anciennete": (
        Shape(
            dims=("seniority_class",),
            counts=(Count("pending", "pending"),),
            ratios=(Ratio("share_in_group", "pending", "pending", over=(), part=False),),
            follows={"median_seniority_months": ("pending",)},
        ),
    ),
    "demande_profil": (_profile((), row_dims=_whole),),
    "demande_profil_communes": (_profile(("commune_demanded",)),),
    "seuil_q1": (
        Shape(
            row_dims=_whole,
            counts=(Count("demands", _q1_base),),
            follows={"threshold": ("demands",), "gap_ratio": ("demands",)},
        ),
    ),
    "quotas": quota_shapes(),
    "flux": (
        Shape(
            row_dims=_flux_dims,
            counts=(
                Count("attributions", "attributions", over=_FLUX_SCOPE),
                Count("withdrawn", "attributions:retirées", over=_FLUX_SCOPE),
                Count("flow", "attributions:nettes", over=_FLUX_SCOPE),
                Count("delivered", "attributions:nettes", over=_FLUX_ROW),
            ),
            follows={
                "entitled": ("flow",),
                "balance": ("delivered", "entitled"),
            },
            margins=("reservataire", "departement"),
        ),
    ),
    # Roles of the neighbourhoods (``indicators.roles``): occupant households and the year's
    # entrants of each neighbourhood (a QPV, or a commune outside its QPV); the rates, ratios and
    # shares are read from them.
    "roles_quartiers": (
        Shape(
            dims=("neighbourhood",),
            counts=(
                Count("households", "households"),
                Count("entrants", "attributions"),
                Count("entrants_external", "attributions:externes"),
                Count("mutations_in", "attributions:mutations"),
            ),
            follows={
                "entry_rate": ("entrants", "households"),
                "external_rate": ("entrants_external", "households"),
                "first_tenant_share": ("entrants_external", "entrants"),
                "mean_stay_years": ("households",),
                "q1_share": ("households",),
                "q1_entrant_share": ("entrants",),
                "entry_ratio": ("entry_rate",),
                "external_ratio": ("external_rate",),
                "stay_ratio": ("mean_stay_years",),
            },
        ),
    ),
    "sru_communes": (
        Shape(
            dims=("commune",),
            counts=(
                Count("attributions", "attributions"),
                Count("attributions_outside_qpv", "attributions:q1_hors_qpv"),
            ),
        ),
    ),
}

#: The same for the tables of dwellings, used when ``secret_statistique.logements`` is true.
_STOCK_SHARES = (
    Ratio("share", "dwellings", "dwellings", over=(), part=False),
    Ratio("share_in_qpv", "dwellings:qpv", "dwellings"),
)
_STOCK_FOLLOWS = {"mean_surface": ("dwellings",)}
_RENT_FOLLOWS = ("rent_m2", "median_rent_m2", "mean_rent", "median_rent")
_COMPOSITION = {
    "stock_typologie": "typology",
    "stock_financement": "finan_family",
    "stock_epoque": "era",
    "stock_dpe": "dwe",
}
DWELLING_SHAPES: dict[str, tuple[Shape, ...]] = {
    **{
        name: (
            Shape(
                dims=dims,
                counts=(Count("dwellings", "dwellings"),),
                ratios=_STOCK_SHARES,
                follows=_STOCK_FOLLOWS,
            ),
        )
        for name, dims in (
            ("stock_communes", ("commune",)),
            ("stock_qpv", ("qpv_status",)),
            ("stock_quartiers", ("qpv_code",)),
            ("stock_iris", ("iris",)),
            ("stock_bailleurs", ("landlord_id",)),
            ("stock_residences", ("residence_id",)),
        )
    },
    **{
        name: (
            Shape(
                dims=("qpv_status", column if column != "dwe" else "dpe_energy"),
                counts=(Count("dwellings", "dwellings"),),
                ratios=(
                    Ratio(
                        "share_in_group", "dwellings", "dwellings", over=("qpv_status",), part=False
                    ),
                ),
            ),
        )
        for name, column in _COMPOSITION.items()
    },
    **{
        name: (
            Shape(
                counts=(
                    Count("dwellings", "dwellings"),
                    Count("offered", "dwellings:proposés"),
                    Count("vacant", "dwellings:vacants"),
                    Count("vacant_long", "dwellings:vacants_3_mois"),
                    Count("turnover_base", "dwellings:en_service"),
                    Count("moves_in", "dwellings:emménagés"),
                ),
                parts=(
                    Part("dwellings:proposés", "dwellings"),
                    Part("dwellings:vacants", "dwellings:proposés"),
                    Part("dwellings:vacants_3_mois", "dwellings:vacants"),
                    Part("dwellings:emménagés", "dwellings:en_service"),
                ),
                follows={
                    "vacancy_rate": ("vacant", "offered"),
                    "long_vacancy_rate": ("vacant_long", "offered"),
                    "turnover_rate": ("moves_in", "turnover_base"),
                },
                **extra,
            ),
        )
        for name, extra in (
            ("vacance_territoire", {"row_dims": _whole}),
            ("vacance_communes", {"dims": ("commune",)}),
            ("vacance_qpv", {"dims": ("qpv_status",)}),
        )
    },
    "sru_communes": (
        Shape(
            dims=("commune",),
            counts=(
                Count("dwellings", "dwellings"),
                Count("dwellings_in_qpv", "dwellings:qpv"),
            ),
            ratios=(Ratio("share_in_qpv", "dwellings:qpv", "dwellings"),),
        ),
    ),
    "fragilite_classes": (
        Shape(
            dims=("fragility_class",),
            counts=(Count("residences", "residences"),),
            follows={"share_in_qpv": ("residences",)},
        ),
    ),
    "loyers": (
        Shape(
            dims=("typology", "finan_family", "qpv_status"),
            counts=(Count("dwellings_with_rent", "dwellings:loyer"),),
            follows={c: ("dwellings_with_rent",) for c in _RENT_FOLLOWS},
        ),
    ),
    "loyers_segments": (
        Shape(
            dims=("segment",),
            counts=(Count("dwellings_with_rent", "dwellings:loyer"),),
            follows={c: ("dwellings_with_rent",) for c in (*_RENT_FOLLOWS, "share_in_qpv")},
        ),
    ),
    "loyers_ecart_qpv": (
        Shape(
            dims=("typology",),
            counts=(
                Count("dwellings_qpv", "dwellings:loyer:qpv"),
                Count("dwellings_outside", "dwellings:loyer:hors_qpv"),
            ),
            follows={
                "rent_m2_qpv": ("dwellings_qpv",),
                "rent_m2_outside": ("dwellings_outside",),
                "gap_eur_m2": ("dwellings_qpv", "dwellings_outside"),
                "gap_ratio": ("dwellings_qpv", "dwellings_outside"),
            },
        ),
    ),
}


def secret_dwellings(params: Parameters | None, when: dt.date | str) -> bool:
    """Whether counts of dwellings are protected too (parameter ``secret_statistique.logements``)."""
    return bool(resolve(params).value("secret_statistique.logements", when))


def shapes(with_dwellings: bool = False) -> dict[str, tuple[Shape, ...]]:
    """The shapes of the diagnostic's tables (``SHAPES``, and the dwellings' when asked)."""
    out = dict(SHAPES)
    if with_dwellings:
        for name, more in DWELLING_SHAPES.items():
            out[name] = (*out.get(name, ()), *more)
    return out


def _code(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return OUTSIDE
    return str(value)


def structure(
    dwellings: pd.DataFrame | None, tables: Mapping[str, pd.DataFrame] | None = None
) -> Structure:
    """The relations between the diagnostic's dimensions: residence → commune, IRIS, QPV,
    landlord (first dwelling of the residence) and fragility class; IRIS → commune; QPV code →
    « QPV » (``hors QPV`` → « hors QPV »); and the identity of the applications (mutations and
    the others)."""
    implied: dict[str, dict[str, dict[str, str]]] = {
        "qpv_code": {OUTSIDE: {"qpv_status": OUTSIDE}},
    }
    if dwellings is not None and len(dwellings):
        cols = [c for c in ("commune", "iris", "qpv_code", "landlord_id") if c in dwellings]
        first = dwellings.drop_duplicates("residence_id").set_index("residence_id")[cols]
        res: dict[str, dict[str, str]] = {}
        for rid, row in zip(first.index, first.to_dict("records"), strict=True):
            dims = {"commune": _code(row.get("commune")), "qpv_code": _code(row.get("qpv_code"))}
            if "iris" in row and pd.notna(row["iris"]):
                dims["iris"] = str(row["iris"])
            if "landlord_id" in row and pd.notna(row["landlord_id"]):
                dims["landlord_id"] = str(row["landlord_id"])
            res[str(rid)] = dims
        occ = (tables or {}).get("occupation_residences")
        if occ is not None and "fragility_class" in occ:
            for rid, cls in zip(occ["residence_id"], occ["fragility_class"], strict=True):
                if str(rid) in res:
                    res[str(rid)]["fragility_class"] = str(cls)
        implied["residence_id"] = res
        if "iris" in dwellings:
            pairs = dwellings[["iris", "commune"]].dropna().drop_duplicates("iris")
            implied["iris"] = {
                str(i): {"commune": str(c)}
                for i, c in zip(pairs["iris"], pairs["commune"], strict=True)
            }
        codes: list[Any] = (
            list(dwellings["qpv_code"].dropna().unique()) if "qpv_code" in dwellings else []
        )
        for code in codes:
            implied["qpv_code"][str(code)] = {"qpv_status": QPV}
    return Structure(
        hierarchies=(
            ("commune", "iris", "residence_id"),
            ("qpv_status", "qpv_code", "residence_id"),
            ("landlord_id", "residence_id"),
            ("fragility_class", "residence_id"),
            ("reservataire",),
            ("departement",),
            ("commune_demanded",),
            ("typology_demanded",),
            ("typology",),
            ("seniority_class",),
            ("income_quartile",),
            ("finan_family",),
            ("era",),
            ("dpe_energy",),
        ),
        identities=(
            Identity("pending", ("pending:mutation", "pending:hors_mutation")),
            *ATTRIBUTION_IDENTITIES,
            Identity("attributions", ("attributions:nettes", "attributions:retirées")),
        ),
        implied=implied,
    )


def protect_diagnostic(
    tables: Mapping[str, pd.DataFrame],
    threshold: int,
    dwellings: pd.DataFrame | None = None,
    with_dwellings: bool = False,
) -> Protection:
    """The diagnostic's tables with statistical secrecy applied (primary and secondary
    suppression over all tables at once, ``indicators.secrecy.protect``)."""
    return protect(tables, shapes(with_dwellings), structure(dwellings, tables), threshold)


def protect_quotas(table: pd.DataFrame, threshold: int) -> Protection:
    """A quota table published alone (long format, every level, ``jobs.diagnostic.quotas``:
    the national observatory's observed objectives) with primary and secondary suppression, as
    the diagnostic protects it beside its other tables (``quota_shapes``: the landlords, the
    reservataires with the landlords' own stock, and the communes each list the EPCI's
    attributions; the shortfall and the interval follow their counts)."""
    return protect({"quotas": table}, {"quotas": quota_shapes()}, structure(None), threshold)
