"""Legal attribution quotas of CCH art. L441-1 for a calendar year, and the flux ledger (R441-5).

Attributions are those whose ``lease_date`` falls in year Y (``--annee Y``). A household is Q1
when 12 × monthly resources declared in the demand / consumption units is below the first-quartile
threshold in force in year Y (``mixite.household.q1_status``; the arrêté's strict ``<`` versus
``≤`` is UNCONFIRMED, hence the ``strict`` argument). Three indicators (docs/droit.md §2 (Objectifs d'attribution)):

* ``q1_hors_qpv``: attributions outside QPV to Q1 households or NPNRU/ORCOD relocations, over
  attributions outside QPV; target ``quotas.q1_hors_qpv`` (25 %);
* ``non_q1_en_qpv``: attributions in QPV to non-Q1 households over attributions in QPV; target
  ``quotas.non_q1_en_qpv`` (50 %); classification purely by Q1 status (NPNRU not counted apart);
* ``prioritaires``: attributions to DALO or priority households over the attributions of a
  reservataire; target ``quotas.prioritaires_par_reservataire`` (25 %, not applicable to the State).

Reservataires are legal persons, not types: each attribution's reservataire is the key
``type:identifier`` (``vocabulary.reservataire_key``) of its ``reservataire`` and
``reservataire_id`` columns; a missing identifier is taken from the dwelling (a commune
reservataire is the commune of the dwelling, a département the dwelling's département, the
landlord the dwelling's landlord) or from the territory (the EPCI). Each reservataire and each
landlord's non-reserved stock is judged on its own attributions: its objective is
``ceil(target × its attributions)`` (docs/droit.md §2.3), never a share of a pooled objective.

The target of each row is, in this order (``vocabulary.TargetSource``): the partner's own
commitment in the CIA, the rate the orientations adapted for the territory, the national
parameter (docs/droit.md §2.1 « Adaptation locale », §1.3); ``target_national`` keeps the national
value beside it. Commitments come from ``engagements.yaml`` (``io.commitments``; store table
``commitments``), the one in force on 31 December of the year.

Shortfall = max(0, ceil(target × N) − achieved) (docs/droit.md §2.1 (Objectif hors QPV)). Each share carries an exact
Clopper-Pearson interval and the one-sided exact binomial p-value of « share below target »
(``inference``): statistics for the analytical diagnostic, not law (the préfet substitutes for
every missing attribution whatever the p-value).

The flux ledger (R441-5, décret n° 2020-145, docs/droit.md §6) is kept per landlord ×
département × reservataire (× commune for a commune reservataire), on the annual flow net of the
dwellings withdrawn from it (parameter ``quotas.flux.logements_soustraits``: internal mutations,
urban-renewal relocations…); ``prefect_ceilings`` checks the préfet's shares against their
ceilings (``quotas.contingent_prefectoral.*``: at most 30 %, of which at most 5 % for State
agents).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mixite.errors import ParameterError
from mixite.household import q1_status
from mixite.indicators._common import Definition, require_columns, safe_ratio
from mixite.indicators.inference import clopper_pearson, p_value_below
from mixite.params import Parameters, resolve
from mixite.vocabulary import (
    RESERVATAIRE_SEPARATOR,
    STATE_RESERVATAIRES,
    TARGET_PARAMETERS,
    Indicator,
    Level,
    TargetSource,
    reservataire_key,
    reservataire_kind,
)

__all__ = [
    "DEFINITIONS",
    "INDICATORS",
    "LEVELS",
    "attributions_of_year",
    "departement_of",
    "flux_ledger",
    "objective_count",
    "prefect_ceilings",
    "q1_threshold",
    "quota_indicators",
    "reservataire_groups",
    "shortfall",
    "targets",
    "withdrawn_from_flux",
]

_L441 = "CCH art. L441-1 (loi n° 2017-86 du 27 janvier 2017, art. 70)"

#: The legal objectives, in report order (``mixite.vocabulary.Indicator``).
INDICATORS: tuple[Indicator, ...] = tuple(Indicator)

#: level → grouping column (None for the whole EPCI).
LEVELS: dict[str, str | None] = {
    Level.EPCI: None,
    Level.LANDLORD: "landlord_id",
    Level.LANDLORD_NON_RESERVED: "landlord_id",
    Level.RESERVATAIRE: "reservataire_key",
    Level.COMMUNE: "commune",
}

DEFINITIONS: dict[str, Definition] = {
    "level": Definition("Échelle", "texte", "Échelle de calcul de l'indicateur.", _L441),
    "group": Definition(
        "Groupe",
        "code",
        "Bailleur (SIREN), réservataire (type:identifiant, par exemple commune:96001) ou commune.",
        _L441,
    ),
    "indicator": Definition("Indicateur", "code", "Code de l'objectif légal.", _L441),
    "denominator": Definition(
        "Attributions concernées",
        "attributions",
        "Attributions suivies d'un bail signé dans l'année et relevant de l'objectif "
        "(hors QPV, en QPV, ou toutes celles du groupe).",
        _L441,
    ),
    "numerator": Definition(
        "Attributions au public cible", "attributions", "Attributions au public visé.", _L441
    ),
    "share": Definition("Part réalisée", "/1", "Attributions au public cible / concernées.", _L441),
    "target": Definition(
        "Objectif",
        "/1",
        "Part minimale qui s'impose au partenaire : son engagement dans la CIA, sinon le taux "
        "adapté par les orientations du territoire, sinon le taux national.",
        _L441,
    ),
    "objective": Definition(
        "Objectif (attributions)",
        "attributions",
        "Arrondi supérieur de objectif × attributions concernées du partenaire lui-même.",
        "docs/droit.md §2.3 « Objectif des réservataires » ; §2.1 (sanction à hauteur de l'écart)",
    ),
    "target_national": Definition(
        "Objectif national",
        "/1",
        "Taux national par défaut (paramètres datés de mixite), montré à côté de l'objectif local.",
        _L441,
    ),
    "target_source": Definition(
        "Origine de l'objectif",
        "code",
        "loi (taux national), orientations (taux adapté pour le territoire) ou engagement "
        "(engagement du partenaire dans la CIA).",
        "CCH art. L441-1, L441-1-5 et L441-1-6",
    ),
    "target_reference": Definition(
        "Texte de l'objectif",
        "texte",
        "Texte qui fixe l'objectif : article de loi, délibération ou convention.",
        "CCH art. L441-1, L441-1-5 et L441-1-6",
    ),
    "shortfall": Definition(
        "Attributions manquantes",
        "attributions",
        "max(0, arrondi supérieur de objectif × attributions concernées − réalisées).",
        "docs/droit.md §2.1 « Objectif hors QPV » (sanction du préfet à hauteur de l'écart)",
    ),
    "ci_low": Definition(
        "Intervalle de confiance (bas)",
        "/1",
        "Borne basse de l'intervalle exact de Clopper-Pearson de la part.",
        "Clopper et Pearson (1934)",
    ),
    "ci_high": Definition(
        "Intervalle de confiance (haut)",
        "/1",
        "Borne haute de l'intervalle exact de Clopper-Pearson de la part.",
        "Clopper et Pearson (1934)",
    ),
    "p_value": Definition(
        "p-valeur (part sous l'objectif)",
        "/1",
        "Probabilité d'observer au plus autant d'attributions au public cible si la part réelle "
        "était égale à l'objectif (test binomial exact unilatéral).",
        "Test binomial exact",
    ),
    "significant_shortfall": Definition(
        "Écart significatif",
        "booléen",
        "Part sous l'objectif et p-valeur sous le seuil de significativité : l'écart n'est pas "
        "dû au hasard.",
        "Test binomial exact",
    ),
    "target_applies": Definition(
        "Objectif légal à cette échelle",
        "booléen",
        "L'objectif s'impose à ce groupe (EPCI et bailleurs pour les quartiles ; réservataires "
        "hors État et logements non réservés des bailleurs pour les prioritaires) ; sinon "
        "l'indicateur est descriptif.",
        _L441,
    ),
    "departement": Definition(
        "Département", "code", "Département du logement (code INSEE).", "CCH R441-5"
    ),
    "reservataire_type": Definition(
        "Type de réservataire", "code", "Type du réservataire (schema.RESERVATAIRES).", "CCH R441-5"
    ),
    "share_reserved": Definition(
        "Part du flux réservée", "/1", "Part du flux annuel réservée par convention.", "CCH R441-5"
    ),
    "attributions": Definition(
        "Attributions",
        "attributions",
        "Attributions du bailleur dans l'année sur le périmètre de la convention (département, "
        "ou commune pour une commune réservataire), logements soustraits compris.",
        "CCH R441-5 (gestion en flux)",
    ),
    "withdrawn": Definition(
        "Logements soustraits du flux",
        "attributions",
        "Attributions soustraites du flux : mutations internes, relogements liés au "
        "renouvellement urbain ou aux ORCOD…, selon la liste datée des catégories retenue dans les "
        "paramètres de la gestion en flux.",
        "CCH art. R441-5 (décret n° 2020-145 du 20 février 2020)",
    ),
    "flow": Definition(
        "Flux annuel",
        "attributions",
        "Attributions du bailleur dans l'année sur le périmètre de la convention, logements "
        "soustraits du flux déduits (approximation du flux de logements libérés).",
        "CCH R441-5 (gestion en flux)",
    ),
    "entitled": Definition(
        "Droits du réservataire",
        "logements",
        "Part réservée × flux annuel net ; pour le bailleur, le reste du flux.",
        "CCH R441-5 (gestion en flux)",
    ),
    "delivered": Definition(
        "Attributions réalisées",
        "attributions",
        "Attributions du bailleur sur le contingent du réservataire, hors logements soustraits "
        "du flux.",
        "CCH R441-5",
    ),
    "balance": Definition(
        "Solde",
        "logements",
        "Attributions réalisées − droits (négatif : le réservataire n'a pas reçu son dû).",
        "CCH R441-5",
    ),
    "share_state": Definition(
        "Part du préfet",
        "/1",
        "Parts du flux réservées au préfet (ménages prioritaires et agents de l'État).",
        "CCH R441-5",
    ),
    "ceiling_state": Definition(
        "Plafond du préfet",
        "/1",
        "Part maximale du flux réservée au préfet (paramètre "
        "quotas.contingent_prefectoral.plafond_total).",
        "CCH R441-5",
    ),
    "share_agents": Definition(
        "Part des agents de l'État",
        "/1",
        "Part du flux réservée aux agents civils et militaires de l'État.",
        "CCH R441-5",
    ),
    "ceiling_agents": Definition(
        "Plafond des agents de l'État",
        "/1",
        "Part maximale du flux réservée aux agents de l'État (paramètre "
        "quotas.contingent_prefectoral.plafond_agents_etat).",
        "CCH R441-5",
    ),
    "within_ceilings": Definition(
        "Plafonds respectés",
        "booléen",
        "Les parts du préfet restent sous leurs plafonds.",
        "CCH R441-5",
    ),
}


def attributions_of_year(attributions: pd.DataFrame, year: int) -> pd.DataFrame:
    """The attributions whose lease was signed during calendar year ``year``."""
    require_columns(attributions, ["lease_date"], "attributions")
    dates = pd.to_datetime(attributions["lease_date"])
    return attributions.loc[(dates.dt.year == year).to_numpy()]


def q1_threshold(
    territory: pd.DataFrame | Mapping[str, Any],
    year: int,
    params: Parameters | None = None,
) -> float:
    """First-quartile threshold (€/year/UC) in force in ``year`` for the territory.

    The territory's ``q1_overrides`` (JSON ``{année: valeur}``) wins; otherwise the ``q1`` value of
    ``seuils_q1`` for ``q1_reference_epci`` at 31 December of ``year`` (the arrêté of year Y is
    in force then).
    """
    row: Mapping[Any, Any] = (
        territory.iloc[0].to_dict() if isinstance(territory, pd.DataFrame) else territory
    )
    overrides_text = row.get("q1_overrides")
    if isinstance(overrides_text, str) and overrides_text.strip():
        overrides = {str(k): v for k, v in json.loads(overrides_text).items()}
        if str(year) in overrides and overrides[str(year)] is not None:
            return float(overrides[str(year)])
    epci = str(row.get("q1_reference_epci") or row.get("epci") or "")
    try:
        table = resolve(params).value("seuils_q1", dt.date(year, 12, 31))
    except ParameterError as exc:
        raise ParameterError(
            f"Pas de seuil du premier quartile connu pour {year} ({exc}). Indiquez-le dans "
            f"territoire.yaml : « seuil_q1: {{{year}: valeur}} »."
        ) from exc
    entry = table.get(epci) if isinstance(table, Mapping) else None
    if entry is None:
        raise ParameterError(
            f"Pas de seuil du premier quartile pour l'EPCI « {epci} » en {year}. Indiquez un "
            f"« seuil_q1 » pour {year} dans territoire.yaml ou un autre « siren_epci_seuils »."
        )
    return float(entry["q1"] if isinstance(entry, Mapping) else entry)


def shortfall(target: Any, denominator: Any, achieved: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    """max(0, ceil(target × N) − achieved), with a tolerance so that 0.25 × 4 stays exactly 1."""
    t = np.asarray(target, dtype="float64")
    n = np.asarray(denominator, dtype="float64")
    k = np.asarray(achieved, dtype="float64")
    needed = np.ceil(t * n - 1e-9)
    out: np.ndarray[Any, np.dtype[np.int64]] = np.maximum(needed - k, 0).astype(np.int64)
    return out


def departement_of(communes: Any) -> pd.Series:
    """The département code of each commune code: three characters overseas (``97x``, ``98x``),
    two otherwise (``2A``/``2B`` in Corsica)."""
    codes = pd.Series(communes, dtype=object).astype(str)
    overseas = codes.str.startswith(("97", "98"))
    return codes.str[:3].where(overseas, codes.str[:2])


def reservataire_groups(attributions: pd.DataFrame, epci: str | None = None) -> pd.Series:
    """The reservataire of each attribution as a legal person: ``type:identifier``.

    The identifier is ``reservataire_id`` when given; otherwise it is taken from the dwelling or
    the territory: a commune reservataire is the dwelling's commune (commune conventions are per
    commune, CCH R441-5), a département the dwelling's département, the landlord's own stock
    (``bailleur``) the dwelling's landlord, the EPCI ``epci``; other types stay bare (Action
    Logement Services, the préfet of a one-département territory).
    """
    require_columns(attributions, ["reservataire", "landlord_id", "commune"], "attributions")
    kinds = attributions["reservataire"].astype(str)
    given = (
        attributions["reservataire_id"].astype(object)
        if "reservataire_id" in attributions.columns
        else pd.Series(None, index=attributions.index, dtype=object)
    )
    given = given.where(given.notna() & (given.astype(str).str.strip() != ""), None)
    derived = pd.Series(None, index=attributions.index, dtype=object)
    derived = derived.mask(kinds == "commune", attributions["commune"].astype(str))
    derived = derived.mask(kinds == "departement", departement_of(attributions["commune"]).values)
    derived = derived.mask(kinds == "bailleur", attributions["landlord_id"].astype(str))
    if epci:
        derived = derived.mask(kinds == "epci", epci)
    ident = given.astype(object).where(given.notna(), derived)
    keys = kinds.where(ident.isna(), kinds + RESERVATAIRE_SEPARATOR + ident.astype(str))
    return keys.astype(object)


def _flags(attrs: pd.DataFrame, q1: pd.Series) -> pd.DataFrame:
    in_qpv = attrs["in_qpv"].astype(bool).to_numpy()
    is_q1 = q1.to_numpy(dtype=bool)
    npnru = attrs["npnru_relocation"].astype(bool).to_numpy()
    prio = attrs["dalo"].astype(bool).to_numpy() | attrs["priority"].astype(bool).to_numpy()
    return pd.DataFrame(
        {
            "q1_hors_qpv_den": ~in_qpv,
            "q1_hors_qpv_num": ~in_qpv & (is_q1 | npnru),
            "non_q1_en_qpv_den": in_qpv,
            "non_q1_en_qpv_num": in_qpv & ~is_q1,
            "prioritaires_den": np.ones(len(attrs), dtype=bool),
            "prioritaires_num": prio,
        },
        index=attrs.index,
    ).astype("int64")


def _applies(level: str, indicator: str, groups: pd.Series) -> np.ndarray[Any, np.dtype[np.bool_]]:
    if indicator == Indicator.PRIORITY:
        if level == Level.RESERVATAIRE:
            kinds = [reservataire_kind(str(g)) for g in groups]
            return ~np.isin(np.asarray(kinds, dtype=object), STATE_RESERVATAIRES).astype(bool)
        return np.full(len(groups), level == Level.LANDLORD_NON_RESERVED)
    return np.full(len(groups), level in (Level.EPCI, Level.LANDLORD))


def objective_count(target: Any, denominator: Any) -> np.ndarray[Any, np.dtype[np.int64]]:
    """ceil(target × N) attributions, with a tolerance so that 0.25 × 4 stays exactly 1: the
    number of attributions to the target public a partner owes on its own N attributions."""
    t = np.asarray(target, dtype="float64")
    n = np.asarray(denominator, dtype="float64")
    out: np.ndarray[Any, np.dtype[np.int64]] = np.ceil(t * n - 1e-9).astype(np.int64)
    return out


#: Levels whose commitments are looked up, per level of a result row (a landlord's priority
#: commitment in the CIA applies to its non-reserved stock, docs/droit.md §1.3 item 3).
_COMMITMENT_LEVELS: dict[str, tuple[str, ...]] = {
    Level.EPCI: (Level.EPCI,),
    Level.LANDLORD: (Level.LANDLORD,),
    Level.LANDLORD_NON_RESERVED: (Level.LANDLORD_NON_RESERVED, Level.LANDLORD),
    Level.RESERVATAIRE: (Level.RESERVATAIRE,),
    Level.COMMUNE: (),
}


def _in_force(commitments: pd.DataFrame | None, when: dt.date) -> pd.DataFrame | None:
    """The commitments in force at ``when`` (the latest start first)."""
    if commitments is None or commitments.empty:
        return None
    start = pd.to_datetime(commitments["valid_from"])
    end = pd.to_datetime(commitments["valid_to"])
    day = pd.Timestamp(when)
    live = (start <= day) & (end.isna() | (end >= day))
    out = commitments.loc[live.to_numpy()].copy()
    out["_start"] = start[live.to_numpy()]
    return out.sort_values("_start", ascending=False, kind="stable")


def targets(
    level: str,
    groups: Any,
    indicator: str,
    when: dt.date,
    params: Parameters | None = None,
    commitments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The target each group of ``level`` is judged against for ``indicator`` at ``when``.

    Columns ``target``, ``target_national``, ``target_source`` (``vocabulary.TargetSource``) and
    ``target_reference`` (the text that sets it). In order: the group's own commitment in force
    (CIA, CCH art. L441-1-6), the territory's adapted rate (orientations approved by the EPCI and
    the préfet, level ``epci``, CCH art. L441-1 and L441-1-5), the national parameter.
    """
    national = resolve(params).get(TARGET_PARAMETERS[Indicator(indicator)], when)
    keys = [str(g) for g in groups]
    n = len(keys)
    out = pd.DataFrame(
        {
            "target": np.full(n, float(national.value)),
            "target_national": np.full(n, float(national.value)),
            "target_source": np.full(n, str(TargetSource.LAW), dtype=object),
            "target_reference": np.full(n, national.reference, dtype=object),
        }
    )
    live = _in_force(commitments, when)
    if live is None:
        return out
    live = live.loc[live["indicator"] == str(indicator)]
    orientation = live.loc[live["level"] == Level.EPCI]
    if len(orientation):
        first = orientation.iloc[0]
        out["target"] = float(first["rate"])
        out["target_source"] = str(TargetSource.ORIENTATIONS)
        out["target_reference"] = str(first["act"])
    own = live.loc[live["level"].isin(_COMMITMENT_LEVELS[level])]
    if level != Level.EPCI and len(own):
        by_group: dict[str, tuple[float, str]] = {}
        for row_level in reversed(_COMMITMENT_LEVELS[level]):  # the closest level wins
            chosen = own.loc[own["level"] == row_level].iloc[::-1]  # the latest start wins
            for group, rate, act in zip(
                chosen["group"], chosen["rate"], chosen["act"], strict=True
            ):
                by_group[str(group)] = (float(rate), str(act))
        for i, key in enumerate(keys):
            found = by_group.get(key)
            if found is not None:
                out.loc[i, "target"] = found[0]
                out.loc[i, "target_source"] = str(TargetSource.COMMITMENT)
                out.loc[i, "target_reference"] = found[1]
    return out


def quota_indicators(
    attributions: pd.DataFrame,
    year: int,
    threshold: float,
    levels: tuple[str, ...] = (Level.EPCI, Level.LANDLORD, Level.RESERVATAIRE, Level.COMMUNE),
    territory_label: str = "epci",
    params: Parameters | None = None,
    strict: bool = True,
    commitments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The three legal quota indicators for ``year`` at each level, in long format.

    ``threshold`` is the Q1 threshold in force in ``year`` (€/year/UC, see ``q1_threshold``).
    Columns: ``level``, ``group``, ``indicator``, ``denominator``, ``numerator``, ``share``,
    ``target``, ``shortfall``, ``ci_low``, ``ci_high``, ``p_value``, ``significant_shortfall``,
    ``target_applies``, ``objective`` (``ceil(target × denominator)``), ``target_national``,
    ``target_source`` and ``target_reference`` (see ``targets``; ``commitments`` is the store
    table ``commitments``). The ``prioritaires`` indicator is given at every level, but it is a
    legal target only for each reservataire other than the State (level ``reservataire``, one
    row per reservataire key, ``reservataire_groups``; the landlords' own stock is not a
    reservataire row) and for each landlord's non-reserved dwellings (level
    ``bailleur_non_reserve``, attributions whose reservataire type is ``bailleur``).
    """
    require_columns(
        attributions,
        [
            "in_qpv",
            "npnru_relocation",
            "dalo",
            "priority",
            "landlord_id",
            "reservataire",
            "commune",
        ],
        "attributions",
    )
    when = dt.date(year, 12, 31)
    confidence = float(resolve(params).value("indicateurs.inference.niveau_confiance", when))
    alpha = float(resolve(params).value("indicateurs.inference.seuil_significativite", when))
    attrs = attributions_of_year(attributions, year)
    attrs = attrs.assign(reservataire_key=reservataire_groups(attrs, territory_label))
    own_stock = (attrs["reservataire"].astype(str) == "bailleur").to_numpy()
    flags = _flags(attrs, q1_status(attrs, threshold, when, params, strict))
    pieces = []
    for level in levels:
        try:
            col = LEVELS[level]
        except KeyError:
            raise ValueError(f"unknown level {level!r}; expected one of {sorted(LEVELS)}") from None
        data = flags
        keys = pd.Series(territory_label, index=attrs.index) if col is None else attrs[col]
        if level == Level.LANDLORD_NON_RESERVED:
            data, keys = flags.loc[own_stock], keys.loc[own_stock]
        elif level == Level.RESERVATAIRE:
            data, keys = flags.loc[~own_stock], keys.loc[~own_stock]
        sums = data.groupby(keys.astype(str).to_numpy(), sort=True).sum()
        indicators = (Indicator.PRIORITY,) if level == Level.LANDLORD_NON_RESERVED else INDICATORS
        for ind in indicators:
            den = sums[f"{ind}_den"].to_numpy()
            num = sums[f"{ind}_num"].to_numpy()
            groups = pd.Series(sums.index, dtype=object)
            goal = targets(level, groups, ind, when, params, commitments)
            pieces.append(
                pd.DataFrame(
                    {
                        "level": str(level),
                        "group": groups.to_numpy(),
                        "indicator": str(ind),
                        "denominator": den,
                        "numerator": num,
                        "target": goal["target"].to_numpy(),
                        "target_applies": _applies(level, ind, groups),
                        "target_national": goal["target_national"].to_numpy(),
                        "target_source": goal["target_source"].to_numpy(),
                        "target_reference": goal["target_reference"].to_numpy(),
                    }
                )
            )
    columns = [
        "level", "group", "indicator", "denominator", "numerator", "share", "target", "shortfall",
        "ci_low", "ci_high", "p_value", "significant_shortfall", "target_applies", "objective",
        "target_national", "target_source", "target_reference",
    ]  # fmt: skip
    if not pieces:
        return pd.DataFrame(columns=columns)
    out = pd.concat(pieces, ignore_index=True)
    out["share"] = safe_ratio(out["numerator"], out["denominator"])
    out["objective"] = objective_count(out["target"], out["denominator"])
    out["shortfall"] = shortfall(out["target"], out["denominator"], out["numerator"])
    low, high = clopper_pearson(out["numerator"], out["denominator"], confidence)
    out["ci_low"], out["ci_high"] = low, high
    out["p_value"] = p_value_below(out["numerator"], out["denominator"], out["target"])
    out["significant_shortfall"] = (out["share"] < out["target"]) & (out["p_value"] < alpha)
    return out[columns]


def withdrawn_from_flux(
    attributions: pd.DataFrame, when: dt.date, params: Parameters | None = None
) -> pd.Series:
    """True for each attribution of a dwelling withdrawn from the annual flux (CCH art. R441-5,
    décret n° 2020-145): one of the categories of ``quotas.flux.logements_soustraits`` whose
    ``colonne`` flags it in the attributions (internal mutations, urban-renewal and ORCOD
    relocations…). Categories the data cannot flag (``colonne: null``) are not removed."""
    categories = resolve(params).value("quotas.flux.logements_soustraits", when)
    out = np.zeros(len(attributions), dtype=bool)
    for spec in dict(categories).values():
        column = spec.get("colonne") if isinstance(spec, Mapping) else None
        if column:
            require_columns(attributions, [str(column)], "attributions")
            out |= attributions[str(column)].fillna(False).astype(bool).to_numpy()
    return pd.Series(out, index=attributions.index)


def _convention_keys(reservations: pd.DataFrame) -> pd.DataFrame:
    """The conventions with their reservataire key and their scope: the commune of a commune
    reservataire, the département of a département (None: every département of the landlord)."""
    conv = reservations.copy()
    ids = (
        conv["reservataire_id"]
        if "reservataire_id" in conv.columns
        else pd.Series(None, index=conv.index)
    )
    conv["key"] = [
        reservataire_key(str(k), i) for k, i in zip(conv["reservataire"], ids, strict=True)
    ]
    kind = conv["reservataire"].astype(str)
    has_id = ids.notna() & (ids.astype(str) != "")
    conv["commune"] = ids.where((kind == "commune") & has_id)
    dept_of_commune = departement_of(ids.fillna("").astype(str))
    conv["departement"] = (
        dept_of_commune.where(kind == "commune")
        .where(kind != "departement", ids.astype(object))
        .where(has_id & kind.isin(["commune", "departement"]))
    )
    return conv


def flux_ledger(
    attributions: pd.DataFrame,
    reservations: pd.DataFrame,
    year: int,
    params: Parameters | None = None,
    epci: str | None = None,
) -> pd.DataFrame:
    """Flux ledger of ``year`` per landlord × département × reservataire (× commune for a commune
    reservataire): the reservataire's entitlement against the attributions it received.

    The landlord's annual flow in a département is its attributions there, less those of the
    dwellings withdrawn from the flux (``withdrawn_from_flux``); a commune reservataire's scope is
    the landlord's flow in that commune (conventions per département, per commune for a commune,
    CCH R441-5, docs/droit.md §6). Entitlement = reserved share × net flow of the scope; the
    landlord's own stock (``bailleur:<SIREN>``) gets the rest of the département's net flow.
    Delivered = attributions to the reservataire that were not withdrawn.

    Columns: ``landlord_id``, ``departement``, ``reservataire`` (key, ``reservataire_groups``),
    ``reservataire_type``, ``commune`` (scope of a commune reservataire, else None),
    ``share_reserved``, ``attributions`` (in the scope, withdrawn included), ``withdrawn``,
    ``flow`` (net), ``entitled``, ``delivered``, ``balance`` (delivered − entitled).
    Reservataires that received attributions without a convention appear with a share of 0.
    """
    require_columns(reservations, ["landlord_id", "reservataire", "share"], "reservations")
    attrs = attributions_of_year(attributions, year)
    when = dt.date(year, 12, 31)
    attrs = attrs.assign(
        key=reservataire_groups(attrs, epci).to_numpy(),
        departement=departement_of(attrs["commune"]).to_numpy(),
        withdrawn=withdrawn_from_flux(attrs, when, params).to_numpy(),
    )
    attrs["landlord_id"] = attrs["landlord_id"].astype(str)
    attrs["commune"] = attrs["commune"].astype(str)
    conv = _convention_keys(reservations)
    conv["landlord_id"] = conv["landlord_id"].astype(str)
    conv = conv.loc[conv["reservataire"].astype(str) != "bailleur"]
    conv = conv.groupby(["landlord_id", "key"], as_index=False, sort=True).agg(
        reservataire_type=("reservataire", "first"),
        share=("share", "sum"),
        commune=("commune", "first"),
        departement=("departement", "first"),
    )
    by_dept = attrs.groupby(["landlord_id", "departement"])
    total_d = by_dept.size()
    withdrawn_d = by_dept["withdrawn"].sum()
    by_commune = attrs.groupby(["landlord_id", "commune"])
    total_c = by_commune.size()
    withdrawn_c = by_commune["withdrawn"].sum()
    kept = attrs.loc[~attrs["withdrawn"].to_numpy()]
    delivered = kept.groupby(["landlord_id", "departement", "key"]).size()
    kinds = attrs.drop_duplicates("key").set_index("key")["reservataire"].astype(str)
    active = {str(lid) for lid, _ in total_d.index}
    places: list[tuple[str, str | None]] = sorted((str(a), str(b)) for a, b in total_d.index)
    # A landlord with conventions but no attribution this year keeps one empty block.
    places += [(lid, None) for lid in sorted(set(conv["landlord_id"]) - active)]
    rows: list[dict[str, Any]] = []
    for landlord, dept in places:
        own_conv = conv.loc[conv["landlord_id"] == landlord]
        listed: set[str] = set()
        block: list[dict[str, Any]] = []
        n_all = int(total_d.get((landlord, dept), 0))
        n_out = int(withdrawn_d.get((landlord, dept), 0))
        for key, kind, share, scope_commune, scope_dept in zip(
            own_conv["key"].astype(str).tolist(),
            own_conv["reservataire_type"].astype(str).tolist(),
            own_conv["share"].astype(float).tolist(),
            own_conv["commune"].tolist(),
            own_conv["departement"].tolist(),
            strict=True,
        ):
            if isinstance(scope_dept, str) and scope_dept != dept:
                continue
            commune = scope_commune if isinstance(scope_commune, str) else None
            if commune is not None:
                total = int(total_c.get((landlord, commune), 0))
                out = int(withdrawn_c.get((landlord, commune), 0))
            else:
                total, out = n_all, n_out
            block.append(
                {
                    "reservataire": key,
                    "reservataire_type": kind,
                    "commune": commune,
                    "share_reserved": share,
                    "attributions": total,
                    "withdrawn": out,
                    "flow": total - out,
                }
            )
            listed.add(key)
        own_key = reservataire_key("bailleur", landlord)
        received = [
            k
            for (lid, d, k) in delivered.index
            if lid == landlord and d == dept and k not in listed
        ]
        for key in sorted(set(received) - {own_key}):
            block.append(
                {
                    "reservataire": key,
                    "reservataire_type": kinds.get(key, key.partition(":")[0]),
                    "commune": None,
                    "share_reserved": 0.0,
                    "attributions": n_all,
                    "withdrawn": n_out,
                    "flow": n_all - n_out,
                }
            )
        reserved = sum(b["share_reserved"] * b["flow"] for b in block)
        net = n_all - n_out
        own_entitled = max(net - reserved, 0.0)
        block.append(
            {
                "reservataire": own_key,
                "reservataire_type": "bailleur",
                "commune": None,
                "share_reserved": own_entitled / net if net > 0 else 0.0,
                "attributions": n_all,
                "withdrawn": n_out,
                "flow": net,
            }
        )
        for b in block:
            b["landlord_id"] = landlord
            b["departement"] = dept
            b["delivered"] = int(delivered.get((landlord, dept, b["reservataire"]), 0))
            b["entitled"] = (
                own_entitled if b["reservataire"] == own_key else b["share_reserved"] * b["flow"]
            )
        rows.extend(block)
    columns = [
        "landlord_id", "departement", "reservataire", "reservataire_type", "commune",
        "share_reserved", "attributions", "withdrawn", "flow", "entitled", "delivered", "balance",
    ]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=columns)
    ledger = pd.DataFrame(rows)
    ledger["balance"] = ledger["delivered"] - ledger["entitled"]
    for col in ("attributions", "withdrawn", "flow", "delivered"):
        ledger[col] = ledger[col].astype("int64")
    for col in ("share_reserved", "entitled", "balance"):
        ledger[col] = ledger[col].astype("float64")
    ledger = ledger.sort_values(
        ["landlord_id", "departement", "reservataire"], ignore_index=True, na_position="first"
    )
    return ledger[columns]


def prefect_ceilings(
    reservations: pd.DataFrame, when: dt.date, params: Parameters | None = None
) -> pd.DataFrame:
    """The préfet's shares of each landlord's flux against their ceilings (CCH art. R441-5):
    at most ``quotas.contingent_prefectoral.plafond_total`` for the préfet (priority households
    and State agents together), of which at most ``plafond_agents_etat`` for State agents.

    Columns: ``landlord_id``, ``share_state``, ``ceiling_state``, ``share_agents``,
    ``ceiling_agents``, ``within_ceilings``. The ceilings are maxima, not objectives: a préfet
    below them is within the law.
    """
    require_columns(reservations, ["landlord_id", "reservataire", "share"], "reservations")
    p = resolve(params)
    total = float(p.value("quotas.contingent_prefectoral.plafond_total", when))
    agents = float(p.value("quotas.contingent_prefectoral.plafond_agents_etat", when))
    frame = reservations.assign(landlord_id=reservations["landlord_id"].astype(str))
    kind = frame["reservataire"].astype(str)
    state = frame["share"].where(kind.isin(STATE_RESERVATAIRES), 0.0)
    agent = frame["share"].where(kind == "etat_agents", 0.0)
    out = (
        pd.DataFrame({"landlord_id": frame["landlord_id"], "s": state, "a": agent})
        .groupby("landlord_id", sort=True)
        .sum()
        .reset_index()
    )
    tolerance = 1e-9
    return pd.DataFrame(
        {
            "landlord_id": out["landlord_id"].to_numpy(),
            "share_state": out["s"].to_numpy(dtype="float64"),
            "ceiling_state": total,
            "share_agents": out["a"].to_numpy(dtype="float64"),
            "ceiling_agents": agents,
            "within_ceilings": (
                (out["s"] <= total + tolerance) & (out["a"] <= agents + tolerance)
            ).to_numpy(),
        }
    )
