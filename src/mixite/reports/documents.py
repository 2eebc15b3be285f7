"""Store → policy documents: compute ``PolicyInputs`` for year N and write DOCX + HTML files.

Year N is the calendar year of the attributions (leases signed in N, store millésime N+1 or any
millésime holding them). The objectives are set for the next year on the volume of year N's
attributions (the best available forecast of next year's flow), split between partners with
``mixite.objectives.split_objective``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from mixite.errors import ConfigError, MixiteError, StoreError
from mixite.indicators import quotas as quota_mod
from mixite.indicators.diagnostic import attributions_of_year_from_store, frames_from_store
from mixite.indicators.fragility import CLASS_LABELS
from mixite.indicators.quotas import INDICATORS
from mixite.objectives import METHODS, Method, split_objective
from mixite.params import Parameters, default_parameters
from mixite.reports.common import Format, landlord_names
from mixite.reports.document import Figure, render_docx, render_html
from mixite.reports.policy import PolicyInputs, bilan_annuel, cia, document_cadre
from mixite.store import Store

__all__ = ["DocumentOutputs", "policy_inputs", "write_documents"]

RESERVATAIRE_LABELS = {
    "etat_prioritaire": "État – prioritaires",
    "etat_agents": "État – agents",
    "action_logement": "Action Logement",
    "commune": "Communes",
    "epci": "EPCI",
    "departement": "Département",
    "bailleur": "Bailleur (non réservés)",
    "autre": "Autres",
}

#: Short indicator labels for tables (full wording in the definitions annex).
SHORT_LABELS = {
    "q1_hors_qpv": "1er quartile ou relogés, hors QPV",
    "non_q1_en_qpv": "autres quartiles, en QPV",
    "prioritaires": "DALO ou prioritaires",
}

FORMATS: dict[str, Format] = {
    "Attributions": "int",
    "Public cible": "int",
    "Réalisé": "pct",
    "Objectif légal": "pct",
    "Manque": "int",
    "Attributions attendues": "int",
    "Plafond (marge)": "int",
    "Objectif (attributions)": "int",
    "Objectif (part)": "pct",
    "Réalisé l'an passé": "int",
    "Relogements NPNRU/ORCOD": "int",
    "Logements": "int",
    "Ménages": "int",
    "Loyer moyen (€/m²)": "float",
    "Sous 40 % du plafond PLUS": "pct",
    "Familles monoparentales": "pct",
    "Indice de fragilité": "float",
    "Part hors QPV au 1er quartile": "pct",
    "Part en QPV hors 1er quartile": "pct",
    "Part prioritaires": "pct",
    "Vacances attendues hors QPV": "int",
    "Part réalisée": "pct",
    "Part atteignable": "pct",
}


@dataclass(frozen=True)
class DocumentOutputs:
    docx: tuple[Path, ...]
    html: tuple[Path, ...]


def _quota_table(
    table: pd.DataFrame, level: str, indicators: tuple[str, ...], names: dict[str, str]
) -> pd.DataFrame:
    part = table[(table["level"] == level) & table["indicator"].isin(indicators)]
    if level == "reservataire":
        part = part[part["target_applies"]]
    group = part["group"].astype(str)
    if level == "territoire":
        group = group.map(lambda _: "Ensemble de l'EPCI")
    elif level == "bailleur":
        group = group.map(lambda g: names.get(g, g))
    elif level == "reservataire":
        group = group.map(lambda g: RESERVATAIRE_LABELS.get(g, g))
    return pd.DataFrame(
        {
            "Partenaire": group.to_numpy(),
            "Indicateur": part["indicator"].map(SHORT_LABELS).to_numpy(),
            "Attributions": part["denominator"].to_numpy(),
            "Public cible": part["numerator"].to_numpy(),
            "Réalisé": part["share"].to_numpy(),
            "Objectif légal": part["target"].to_numpy(),
            "Manque": part["shortfall"].to_numpy(),
            "Écart significatif": part["significant_shortfall"]
            .map({True: "oui", False: "non"})
            .to_numpy(),
        }
    )


def _split(
    table: pd.DataFrame,
    level: str,
    indicator: str,
    rate: float,
    method: Method,
    names: dict[str, str],
    caps: dict[str, float] | None,
) -> tuple[pd.DataFrame, bool]:
    part = table[(table["level"] == level) & (table["indicator"] == indicator)]
    if level == "reservataire":
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
    out = split_objective(partners, rate, use)
    labels = RESERVATAIRE_LABELS if level == "reservataire" else names
    frame = pd.DataFrame(
        {
            "Partenaire": out["partner"].map(lambda g: labels.get(g, g)).to_numpy(),
            "Attributions attendues": out["expected"].to_numpy(),
            "Réalisé l'an passé": out["achieved"].to_numpy(),
            "Plafond (marge)": out["cap"].to_numpy(),
            "Objectif (attributions)": out["objective"].to_numpy(),
            "Objectif (part)": out["objective_rate"].to_numpy(),
        }
    )
    total = pd.DataFrame(
        {
            "Partenaire": ["Total EPCI"],
            "Attributions attendues": [int(out["expected"].sum())],
            "Réalisé l'an passé": [int(out["achieved"].sum())],
            "Plafond (marge)": [int(out["cap"].sum())],
            "Objectif (attributions)": [int(out["objective"].sum())],
            "Objectif (part)": [out["objective"].sum() / max(out["expected"].sum(), 1)],
        }
    )
    return pd.concat([frame, total], ignore_index=True), bool(out.attrs["reachable"])


def _attainable(
    base: Path, year: int, params: Parameters
) -> tuple[dict[str, float], pd.DataFrame] | None:
    """Per-landlord attainable Q1 share outside QPV (room for manoeuvre) and its table, or None
    when the store lacks what it needs (millésime ``year + 1`` with stock and demand)."""
    from mixite.reports.marges import marges_from_store

    try:
        with Store(base) as store:
            marges, names, _ = marges_from_store(store, year, params)
    except MixiteError:
        return None
    groups = marges.groups
    landlords = groups[groups["level"] == "bailleur"]
    shares = dict(
        zip(landlords["group"].astype(str), landlords["attainable_share"].fillna(0.0), strict=True)
    )
    table = pd.DataFrame(
        {
            "Bailleur": [names.get(str(g), str(g)) for g in landlords["group"]],
            "Vacances attendues hors QPV": landlords["expected_vacancies"].round(0).to_numpy(),
            "Part réalisée": landlords["achieved_share"].to_numpy(),
            "Part atteignable": landlords["attainable_share"].to_numpy(),
        }
    )
    return {k: float(v) for k, v in shares.items()}, table


def _chart_quotas(table: pd.DataFrame, names: dict[str, str], out: Path) -> Path:
    part = table[(table["level"] == "bailleur") & (table["indicator"] == "q1_hors_qpv")]
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=150)
    labels = [names.get(str(g), str(g)) for g in part["group"]]
    ax.barh(labels, part["share"] * 100, color="#1f4e79")
    if len(part):
        target = float(part["target"].iloc[0]) * 100
        ax.axvline(target, color="#c0392b", linestyle="--", label="objectif légal")
        ax.legend(loc="lower right")
    ax.set_xlabel("% des attributions hors QPV au 1er quartile ou relogés")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def policy_inputs(
    base: Path,
    year: int,
    method: Method = "plafonne",
    params: Parameters | None = None,
    work_dir: Path | None = None,
) -> PolicyInputs:
    """Everything the three documents show for attribution year ``year``, from the store."""
    params = params or default_parameters()
    if method not in METHODS:
        raise ConfigError(
            f"Méthode de répartition inconnue « {method} ». Méthodes : {', '.join(METHODS)}."
        )
    with Store(base) as store:
        attributions = attributions_of_year_from_store(store, year)
        millesimes = store.millesimes("dwellings")
        if not millesimes:
            raise StoreError("La base ne contient aucun parc de logements (RPLS). Importez-en un.")
        millesime = year + 1 if year + 1 in millesimes else max(millesimes)
        _, frames = frames_from_store(store, millesime)
        names = landlord_names(store)
        every = [store.read("attributions", m) for m in store.millesimes("attributions")]
    territory = frames.get("territory")
    if territory is None or territory.empty:
        raise StoreError("La base ne contient pas la description du territoire (territoire.yaml).")
    label = str(territory.iloc[0]["name"])
    threshold = quota_mod.q1_threshold(territory, year, params)
    table = quota_mod.quota_indicators(
        attributions,
        year,
        threshold,
        levels=("territoire", "bailleur", "reservataire"),
        territory_label=label,
        params=params,
    )
    when = dt.date(year, 12, 31)
    alpha = float(params.value("quotas.q1_hors_qpv", when))
    beta = float(params.value("quotas.non_q1_en_qpv", when))
    gamma = float(params.value("quotas.prioritaires_par_reservataire", when))
    attainable = _attainable(base, year, params)
    caps = attainable[0] if attainable is not None else None
    marges_table = attainable[1] if attainable is not None else None
    method_used: Method = method if caps is not None else "proportionnel"
    obj_landlords, reachable = _split(
        table, "bailleur", "q1_hors_qpv", alpha, method_used, names, caps
    )
    obj_qpv, _ = _split(table, "bailleur", "non_q1_en_qpv", beta, "proportionnel", names, None)
    obj_res, _ = _split(table, "reservataire", "prioritaires", gamma, "proportionnel", names, None)
    method_label = METHODS[method_used]
    if method_used != method:
        method_label += (
            f" (la méthode « {method} » demande les marges de manœuvre, non disponibles : "
            "lancez « mixite marges »)"
        )
    if not reachable:
        method_label += (
            " — l'objectif de l'EPCI dépasse la somme des marges : il n'est pas atteignable"
        )

    dw = frames["dwellings"]
    n_dw = len(dw)
    in_qpv = int(dw["in_qpv"].sum())
    epci_row = table[(table["level"] == "territoire") & (table["indicator"] == "q1_hors_qpv")]
    key_figures: list[tuple[str, object, Format | None]] = [
        ("Logements sociaux (RPLS au 1er janvier)", n_dw, "int"),
        ("dont en QPV", in_qpv / max(n_dw, 1), "pct"),
        (f"Attributions suivies d'un bail signé en {year}", len(attributions), "int"),
        ("Seuil du premier quartile (€ par UC et par an)", threshold, "eur"),
        (
            "Attributions hors QPV au 1er quartile ou relogés",
            float(epci_row["share"].iloc[0]) if len(epci_row) else None,
            "pct",
        ),
    ]
    applications = frames.get("applications")
    if applications is not None:
        key_figures.insert(3, ("Demandes en cours au 31 décembre", len(applications), "int"))

    relocation = (
        attributions[attributions["npnru_relocation"]]
        .groupby("landlord_id")
        .size()
        .rename("Relogements NPNRU/ORCOD")
        .reset_index()
    )
    relocation["landlord_id"] = relocation["landlord_id"].astype(str).map(lambda g: names.get(g, g))
    relocation = relocation.rename(columns={"landlord_id": "Bailleur"})

    sectors = None
    fragile = None
    households = frames.get("households")
    if households is not None and len(households):
        from mixite.indicators.diagnostic import territorial_diagnostic

        diag = territorial_diagnostic(frames, millesime, params)
        occ = diag.get("occupation_qpv")
        rent = (
            dw.assign(s=dw["surface"].where(dw["rent"].notna()))
            .groupby("in_qpv")[["rent", "s"]]
            .sum()
        )
        if occ is not None:
            sectors = pd.DataFrame(
                {
                    "Secteur": occ["in_qpv"].map({True: "QPV", False: "hors QPV"}).to_numpy(),
                    "Logements": dw.groupby("in_qpv").size().reindex(occ["in_qpv"]).to_numpy(),
                    "Loyer moyen (€/m²)": (rent["rent"] / rent["s"])
                    .reindex(occ["in_qpv"])
                    .to_numpy(),
                    "Ménages": occ["households"].to_numpy(),
                    "Sous 40 % du plafond PLUS": occ["share_under_40"].to_numpy(),
                    "Familles monoparentales": occ["share_single_parent"].to_numpy(),
                }
            )
        res = diag.get("occupation_residences")
        if res is not None:
            top = (
                res[res["fragility_class"].isin(CLASS_LABELS[:2])]
                .sort_values("fragility_index", ascending=False)
                .head(25)
            )
            missing = [c for c in ("commune", "in_qpv") if c not in top.columns]
            if missing:
                place = dw.groupby("residence_id").agg(
                    commune=("commune", "first"), in_qpv=("in_qpv", "max")
                )
                top = top.join(place[missing], on="residence_id")
            fragile = pd.DataFrame(
                {
                    "Résidence": top["residence_id"].to_numpy(),
                    "Commune": top["commune"].to_numpy(),
                    "En QPV": top["in_qpv"].map({True: "oui", False: "non"}).to_numpy(),
                    "Ménages": top["households"].to_numpy(),
                    "Indice de fragilité": top["fragility_index"].to_numpy(),
                    "Classe": top["fragility_class"].to_numpy(),
                    "Explication": top["explanation"].to_numpy(),
                }
            )

    history_rows = []
    if every:
        allatt = pd.concat(every, ignore_index=True).drop_duplicates("attribution_id", keep="last")
        for y in sorted(allatt["lease_date"].dt.year.dropna().unique()):
            y = int(y)
            try:
                thr = quota_mod.q1_threshold(territory, y, params)
            except MixiteError:  # a year without Q1 threshold is left out of the trend
                continue
            t = quota_mod.quota_indicators(
                allatt, y, thr, levels=("territoire",), territory_label=label, params=params
            )
            history_rows.append(
                {
                    "Année": str(y),
                    "Attributions": int(t["denominator"].max()),
                    "Part hors QPV au 1er quartile": float(
                        t.loc[t["indicator"] == "q1_hors_qpv", "share"].iloc[0]
                    ),
                    "Part en QPV hors 1er quartile": float(
                        t.loc[t["indicator"] == "non_q1_en_qpv", "share"].iloc[0]
                    ),
                    "Part prioritaires": float(
                        t.loc[t["indicator"] == "prioritaires", "share"].iloc[0]
                    ),
                }
            )
    history = pd.DataFrame(history_rows) if history_rows else None

    figures: list[Figure] = []
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        png = _chart_quotas(table, names, work_dir / "quotas_bailleurs.png")
        figures.append(
            Figure(
                png,
                f"Part des attributions hors QPV au premier quartile ou relogés par bailleur, {year}",
            )
        )

    definitions = [
        (
            INDICATORS[code][0],
            quota_mod.DEFINITIONS["share"].definition
            + f" Objectif : {params.get(INDICATORS[code][1], when).reference}.",
        )
        for code in INDICATORS
    ]
    definitions += [
        (
            "Premier quartile",
            "Demandeur dont les ressources mensuelles déclarées × 12 / unités de consommation sont inférieures au seuil de l'arrêté annuel de l'EPCI.",
        ),
        (
            "Manque",
            "Nombre d'attributions au public cible qui auraient été nécessaires pour atteindre l'objectif : ⌈objectif × attributions⌉ − réalisé.",
        ),
        (
            "Écart significatif",
            "La part réalisée est inférieure à l'objectif au-delà de ce que le hasard expliquerait (test binomial exact unilatéral).",
        ),
    ]
    return PolicyInputs(
        territory=label,
        epci=str(territory.iloc[0]["epci"]),
        year=year,
        method_label=method_label,
        key_figures=key_figures,
        quotas_epci=_quota_table(table, "territoire", tuple(INDICATORS), names),
        quotas_landlords=_quota_table(table, "bailleur", ("q1_hors_qpv", "non_q1_en_qpv"), names),
        quotas_reservataires=_quota_table(table, "reservataire", ("prioritaires",), names),
        objectives_landlords=obj_landlords,
        objectives_non_q1_qpv=obj_qpv,
        objectives_reservataires=obj_res,
        relocation=relocation,
        sectors=sectors,
        fragile_residences=fragile,
        marges=marges_table,
        history=history,
        figures=figures,
        definitions=definitions,
        formats=FORMATS,
    )


def write_documents(
    base: Path,
    year: int,
    out_dir: Path,
    method: Method = "plafonne",
    params: Parameters | None = None,
) -> DocumentOutputs:
    """Write document-cadre, CIA draft and annual review as DOCX and HTML under ``out_dir``."""
    params = params or default_parameters()
    inputs = policy_inputs(base, year, method, params, out_dir / "images")
    docs = (
        (
            "document-cadre",
            "Document-cadre d'orientations en matière d'attributions",
            document_cadre,
        ),
        ("cia", "Convention intercommunale d'attribution (projet)", cia),
        ("bilan", f"Bilan annuel des attributions {year}", bilan_annuel),
    )
    docx_paths, html_paths = [], []
    for stem, title, build in docs:
        blocks = build(inputs, params)
        subtitle = f"{inputs.territory} — projet établi par mixite à partir de la base du territoire ({dt.date.today():%d/%m/%Y})"
        docx_paths.append(render_docx(title, subtitle, blocks, out_dir / f"{stem}.docx"))
        html_paths.append(render_html(title, subtitle, blocks, out_dir / f"{stem}.html"))
    return DocumentOutputs(tuple(docx_paths), tuple(html_paths))
