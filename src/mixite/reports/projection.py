"""The projection as files: a page comparing the strategies, a workbook, GeoPackages, a CSV.

Written in the output folder:

* ``projection.html``: the strategies side by side over the years (the first is the
  baseline): the year each partner meets its Q1 objective (or « jamais »), the projected
  dissimilarity, charts over the years with the replicates' intervals, a map of the residences
  per strategy with a year slider, the roles of the neighbourhoods (map with a year slider and
  table), the first year against the observed one, the ledger and the hypotheses;
* ``projection.xlsx``: one sheet per table;
* ``projection_<stratégie>.gpkg``: one layer of residences per year (Lambert-93, for QGIS),
  plus the neighbourhoods' roles per year and the QPV perimeters;
* ``territoire.csv``: the territory's figures per strategy and year (Excel CSV).

Presentation only: every figure comes from the projection job's result
(``mixite.jobs.projection``); French wording through ``reports.fr``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mixite.reports import fr
from mixite.reports.common import (
    Section,
    Sheet,
    plotly_div,
    render_page,
    table_html,
    write_csv_excel,
    write_xlsx,
)
from mixite.vocabulary import Indicator, Level, NeighbourhoodRole

if TYPE_CHECKING:
    from mixite.jobs.results import Names, ProjectionResult
    from mixite.projection.project import StrategyOutcome as StrategyProjection
    from mixite.reports.fr import Format

__all__ = [
    "ProjectionOutputs",
    "objectives_frame",
    "relocation_frame",
    "summary_lines",
    "write_projection",
]

#: Colours of the neighbourhood roles on the maps.
ROLE_COLOURS: dict[str, str] = {
    NeighbourhoodRole.RECEPTION: "#1f78b4",
    NeighbourhoodRole.TRANSIT: "#ff7f00",
    NeighbourhoodRole.STABILITY: "#33a02c",
    NeighbourhoodRole.RELEGATION: "#e31a1c",
    NeighbourhoodRole.MIXED: "#bdbdbd",
    NeighbourhoodRole.UNCLASSED: "#f0f0f0",
}


@dataclass(frozen=True)
class ProjectionOutputs:
    """Paths of what ``write_projection`` wrote."""

    html: Path
    xlsx: Path
    gpkg: tuple[Path, ...]
    csv: Path


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "strategie"


def _partner(level: str, group: str, names: Names) -> str:
    if level == Level.EPCI:
        return f"EPCI ({names.territory})"
    return fr.group_label(level, group, names, with_code=True)


def _interval(mean: Any, low: Any, high: Any, kind: str = "pct") -> str:
    if kind == "pct":
        return f"{fr.percent(mean)} [{fr.percent(low)} ; {fr.percent(high)}]"
    return f"{fr.decimal(mean, 3)} [{fr.decimal(low, 3)} ; {fr.decimal(high, 3)}]"


def _last_year(result: ProjectionResult) -> int:
    return int(result.millesime + result.figures["horizon"] - 1)


def objectives_frame(result: ProjectionResult) -> pd.DataFrame:
    """Per partner (EPCI, landlords), per strategy: the year from which its Q1 objective outside
    QPV is met to the horizon (replicates' mean share at least the target), else whether it is
    met some year only, or « jamais d'ici <last year> », with the share of the last year."""
    last = _last_year(result)
    first = result.published[0].objectives
    out = pd.DataFrame(
        {
            "Partenaire": [
                _partner(lv, g, result.names)
                for lv, g in zip(first["level"], first["group"], strict=True)
            ],
            "Objectif Q1 hors QPV": [fr.percent(t) for t in first["target"]],
        }
    )
    for strategy in result.published:
        table = strategy.objectives.set_index(["level", "group"])
        cells = []
        for lv, g in zip(first["level"], first["group"], strict=True):
            if (lv, g) not in table.index:
                cells.append(fr.MISSING)
                continue
            row = table.loc[(lv, g)]
            if pd.notna(row["year_met"]):
                when = f"atteint à partir de {int(row['year_met'])}"
            elif pd.notna(row["first_year_met"]):
                when = f"atteint en {int(row['first_year_met'])}, pas durablement d'ici {last}"
            else:
                when = f"jamais d'ici {last}"
            share = row["last_share"]
            shown = (
                f"part {last} : {fr.SECRET}" if pd.isna(share) else f"{fr.percent(share)} en {last}"
            )
            cells.append(f"{when} ({shown})")
        out[strategy.name] = cells
    return out


def summary_lines(result: ProjectionResult) -> list[str]:
    """One French sentence per strategy: Q1 share of occupants outside QPV and dissimilarity,
    at the start and at the end, with the replicates' interval."""
    lines = []
    last = _last_year(result)
    for strategy in result.published:
        t = strategy.territory.set_index("year")
        start, end = t.iloc[0], t.loc[float(last)] if float(last) in t.index else t.iloc[-1]
        lines.append(
            f"{strategy.name} : part des ménages du premier quartile parmi les occupants hors "
            f"QPV {fr.percent(start['q1_share_outside_qpv'])} au 1er janvier "
            f"{result.millesime}, "
            f"{_interval(end['q1_share_outside_qpv'], end['q1_share_outside_qpv_low'], end['q1_share_outside_qpv_high'])}"
            f" fin {last} ; dissimilarité des ménages du premier quartile entre résidences "
            f"{fr.decimal(start['dissimilarity'], 3)}, puis "
            f"{_interval(end['dissimilarity'], end['dissimilarity_low'], end['dissimilarity_high'], 'num')}"
            f" ({strategy.replicates} réplications)."
        )
    return lines


def _band_chart(
    result: ProjectionResult, frame_of: Any, column: str, title: str, percent: bool = True
) -> str:
    import plotly.graph_objects as go

    colours = ["#1f4e79", "#c0504d", "#4f8f3a", "#8064a2", "#f79646", "#4bacc6"]
    fig = go.Figure()
    for k, strategy in enumerate(result.published):
        data = frame_of(strategy)
        if data is None or data.empty or column not in data:
            continue
        colour = colours[k % len(colours)]
        years = data["year"].astype(int).tolist()
        fig.add_trace(
            go.Scatter(
                x=years + years[::-1],
                y=data[f"{column}_high"].tolist() + data[f"{column}_low"].tolist()[::-1],
                fill="toself",
                fillcolor=colour,
                opacity=0.15,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=years,
                y=data[column],
                mode="lines+markers",
                name=strategy.name,
                line={"color": colour},
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="année",
        yaxis_tickformat=".1%" if percent else ".3f",
        legend_title="stratégie",
        height=380,
    )
    return plotly_div(fig)


def _residence_labels(result: ProjectionResult, strategy: StrategyProjection) -> pd.Series:
    """The name of each residence (index ``residence``): its address for the base's, its
    programmed name for the new ones."""
    res = strategy.residences.set_index("residence")
    return pd.Series(
        [
            str(name) if programmed else result.names.residence(rid)
            for rid, name, programmed in zip(
                res["residence_id"], res["name"], res["programmed"], strict=True
            )
        ],
        index=res.index,
    )


def _epci_q1(strategy: StrategyProjection) -> pd.DataFrame:
    q = strategy.quotas
    rows = q.loc[(q["level"] == Level.EPCI) & (q["indicator"] == Indicator.Q1_OUTSIDE_QPV)]
    return rows.sort_values("year")


def _year_map(title: str, years: list[int], traces: Callable[[int], list[Any]]) -> str:
    """A map of points (Lambert-93, axes hidden) with one frame of ``traces(year)`` per year and
    a year slider: the residences' and the neighbourhoods' roles maps."""
    import plotly.graph_objects as go

    fig = go.Figure(
        data=traces(years[0]),
        frames=[go.Frame(data=traces(y), name=str(y)) for y in years],
    )
    fig.update_layout(
        title=title,
        height=560,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="white",
        sliders=[
            {
                "active": 0,
                "currentvalue": {"prefix": "Année : "},
                "steps": [
                    {
                        "label": str(y),
                        "method": "animate",
                        "args": [[str(y)], {"mode": "immediate", "frame": {"duration": 0}}],
                    }
                    for y in years
                ],
            }
        ],
    )
    return plotly_div(fig)


def _residence_map(result: ProjectionResult, strategy: StrategyProjection) -> str:
    """Residences coloured by their share of Q1 occupants, one frame per year (slider); the
    residences whose figures statistical secrecy masks are grey, without figures."""
    import plotly.graph_objects as go

    places = strategy.residences.set_index("residence")[["residence_id", "x", "y"]].copy()
    places["name"] = _residence_labels(result, strategy)
    data = strategy.residence_years.join(places, on="residence")
    data = data.dropna(subset=["x", "y"])
    years = sorted(int(y) for y in data["year"].unique())
    if not years or data.empty:
        return "<p>Pas de coordonnées des résidences : carte non tracée.</p>"

    def traces(year: int) -> list[Any]:
        part = data.loc[data["year"] == year]
        secret = part["households"].isna() | part["q1_share"].isna()
        shown, hidden = part.loc[~secret], part.loc[secret]
        households = shown["households"].astype(float)
        return [
            go.Scatter(
                x=shown["x"],
                y=shown["y"],
                mode="markers",
                name="part Q1",
                marker={
                    "size": 4 + 10 * (households.clip(upper=200) / 200) ** 0.5,
                    "color": shown["q1_share"].astype(float),
                    "cmin": 0,
                    "cmax": 0.8,
                    "colorscale": "RdYlBu_r",
                    "colorbar": {"title": "part Q1", "tickformat": ".0%"},
                },
                text=[
                    f"{n} : {fr.percent(q)} de ménages du premier quartile, {fr.integer(h)} ménages"
                    for n, q, h in zip(shown["name"], shown["q1_share"], households, strict=True)
                ],
                hoverinfo="text",
                showlegend=False,
            ),
            go.Scatter(
                x=hidden["x"],
                y=hidden["y"],
                mode="markers",
                name=fr.SECRET,
                marker={"size": 5, "color": "#bdbdbd"},
                text=[f"{n} : {fr.SECRET}" for n in hidden["name"]],
                hoverinfo="text",
                showlegend=False,
            ),
        ]

    return _year_map(
        f"{strategy.name} : part des ménages du premier quartile par résidence", years, traces
    )


def _roles_map(result: ProjectionResult, strategy: StrategyProjection) -> str:
    """Neighbourhoods (at the mean position of their residences) coloured by role, per year."""
    import plotly.graph_objects as go

    centres = (
        strategy.residences.dropna(subset=["x", "y"]).groupby("neighbourhood")[["x", "y"]].mean()
    )
    data = strategy.neighbourhood_years.join(
        strategy.neighbourhoods.set_index("neighbourhood")[["key"]], on="neighbourhood"
    )
    data = data.join(centres, on="key").dropna(subset=["x", "y"])
    years = sorted(int(y) for y in data["year"].unique())
    if not years or data.empty:
        return "<p>Pas de coordonnées : carte des rôles non tracée.</p>"

    def traces(year: int) -> list[Any]:
        part = data.loc[data["year"] == year]
        out = []
        for role, colour in ROLE_COLOURS.items():
            sub = part.loc[part["role"] == role]
            out.append(
                go.Scatter(
                    x=sub["x"],
                    y=sub["y"],
                    mode="markers+text",
                    name=fr.ROLE_LABELS[role],
                    marker={"size": 18, "color": colour, "line": {"width": 1, "color": "#333"}},
                    text=[fr.neighbourhood_label(k, result.names) for k in sub["key"]],
                    textposition="top center",
                    textfont={"size": 9},
                    hoverinfo="text",
                )
            )
        return out

    return _year_map(f"{strategy.name} : rôle des quartiers", years, traces)


def roles_frame(result: ProjectionResult, strategy: StrategyProjection, year: int) -> pd.DataFrame:
    """The neighbourhoods' roles and flows of one year, in French."""
    keys = strategy.neighbourhoods.set_index("neighbourhood")["key"]
    part = strategy.neighbourhood_years.loc[strategy.neighbourhood_years["year"] == year]
    return pd.DataFrame(
        {
            "Quartier": [
                fr.neighbourhood_label(keys[n], result.names) for n in part["neighbourhood"]
            ],
            "Rôle": [fr.ROLE_LABELS.get(r, r) for r in part["role"]],
            "Ménages": part["households"].to_numpy(),
            "Emménagements / ménages": part["entry_rate"].to_numpy(),
            "Entrées de l'extérieur / ménages": part["external_rate"].to_numpy(),
            "Mutations sortantes / ménages": part["mutation_out_rate"].to_numpy(),
            "Ancienneté moyenne (années)": part["mean_stay_years"].to_numpy(),
            "Part Q1 des entrants": part["q1_entrants_share"].to_numpy(),
            "Part Q1 des occupants": part["q1_share"].to_numpy(),
            "Classe de fragilité": part["fragility_class"].to_numpy(),
        }
    )


_ROLE_FORMATS: dict[str, Format] = {
    "Ménages": "int",
    "Emménagements / ménages": "pct",
    "Entrées de l'extérieur / ménages": "pct",
    "Mutations sortantes / ménages": "pct",
    "Ancienneté moyenne (années)": "float",
    "Part Q1 des entrants": "pct",
    "Part Q1 des occupants": "pct",
}

_VALIDATION_LABELS = {
    "turnover_rate": "Taux de mobilité (baux dans le parc existant / parc proposé)",
    "attributions": "Attributions",
    "q1_outside_qpv": "Part Q1 ou relogés parmi les attributions hors QPV",
    "mutation_share": "Part des mutations parmi les attributions",
    "priority_share": "Part des ménages prioritaires ou DALO",
    "in_qpv_share": "Part des attributions en QPV",
}


def validation_frame(strategy: StrategyProjection) -> pd.DataFrame:
    """The first projected year against the observed year, in French."""
    v = strategy.validation
    counts = v["measure"] == "attributions"

    def cell(value: Any, count: bool) -> str:
        return fr.number(value, 0) if count else fr.percent(value)

    return pd.DataFrame(
        {
            "Mesure": [_VALIDATION_LABELS.get(m, m) for m in v["measure"]],
            "Observé": [cell(x, c) for x, c in zip(v["observed"], counts, strict=True)],
            "Projeté (moyenne)": [cell(x, c) for x, c in zip(v["mean"], counts, strict=True)],
            "Intervalle des réplications": [
                f"[{cell(lo, c)} ; {cell(hi, c)}]"
                for lo, hi, c in zip(v["low"], v["high"], counts, strict=True)
            ],
            "Dans l'intervalle": [fr.yes_no(x) for x in v["within"]],
        }
    )


_LEDGER_LABELS = {
    "year": "Année",
    "households_start": "Ménages au 1er janvier",
    "new_households": "Ménages entrés dans le parc",
    "exits": "Départs du parc",
    "exits_sale": "Départs par vente HLM",
    "households_end": "Ménages au 31 décembre",
    "attributions": "Attributions",
    "attributions_mutation": "dont mutations",
    "relocations": "dont relogements",
    "dwellings_start": "Logements au 1er janvier",
    "delivered": "Logements livrés",
    "demolished": "Logements démolis",
    "sold": "Logements vendus",
    "dwellings_end": "Logements au 31 décembre",
    "occupied_end": "dont occupés",
    "vacant_end": "dont vacants",
    "not_let_end": "dont non loués à des ménages",
    "imbalance": "Écart du bilan (max. sur les réplications)",
}


def ledger_frame(strategy: StrategyProjection) -> pd.DataFrame:
    """The ledger's means per year, in French (the imbalance is its maximum over replicates)."""
    ledger = strategy.ledger.copy()
    if "imbalance_high" in ledger:
        ledger["imbalance"] = ledger["imbalance_high"]
    cols = [c for c in _LEDGER_LABELS if c in ledger.columns]
    out = ledger[cols].rename(columns=_LEDGER_LABELS)
    out["Année"] = out["Année"].astype(int)
    return out


#: The relocation table's columns (``projection.engine.RELOCATION_COUNTS``) in French.
_RELOCATION_LABELS = {
    "year": "Année",
    "waiting_start": "Ménages à reloger au 1er janvier",
    "to_relocate": "Ménages à reloger de l'année (démolitions)",
    "rehoused": "Ménages relogés",
    "rehoused_outside_qpv": "Ménages relogés hors QPV",
    "share_outside_qpv": "Part relogée hors QPV",
    "target_outside_qpv": "Objectif hors QPV (charte)",
    "rehoused_recent": "Ménages relogés dans le neuf ou le récent",
    "share_recent": "Part relogée dans le neuf ou le récent",
    "target_recent": "Objectif neuf ou récent (charte)",
    "left": "Ménages sortis du parc avant relogement",
    "waiting_end": "Ménages non relogés au 31 décembre",
}
_RELOCATION_FORMATS: dict[str, Format] = {
    label: ("pct" if key.startswith(("share_", "target_")) else "float")
    for key, label in _RELOCATION_LABELS.items()
    if key != "year"
}


def _relocation_caption(strategy: StrategyProjection) -> str:
    """The relocation table's caption: the strategy and its rule (the planner sets targets)."""
    table = strategy.relocation
    planner = "target_outside_qpv" in table and bool(table["target_outside_qpv"].notna().any())
    rule = "par le planificateur de relogement" if planner else "par la règle de priorité"
    return f"{strategy.name} : ménages des résidences démolies relogés {rule}"


def relocation_frame(strategy: StrategyProjection) -> pd.DataFrame:
    """The relocations of the households of demolished residences per year (means over the
    replicates; a published strategy's small counts are masked by the job), in French; empty
    without relocation."""
    table = strategy.relocation
    if table is None or table.empty:
        return pd.DataFrame()
    cols = [c for c in _RELOCATION_LABELS if c in table.columns]
    out = table[cols].rename(columns=_RELOCATION_LABELS)
    out["Année"] = out["Année"].astype(int)
    return out


def _territory_frame(result: ProjectionResult) -> pd.DataFrame:
    rows = []
    for strategy in result.published:
        t = strategy.territory
        q1 = _epci_q1(strategy).set_index("year")
        for _, row in t.iterrows():
            year = float(row["year"])
            rows.append(
                {
                    "Stratégie": strategy.name,
                    "Année": int(year),
                    "Ménages": row["households"],
                    "Logements": row["dwellings"],
                    "Part Q1 des occupants": row["q1_share"],
                    "Part Q1 des occupants hors QPV": row["q1_share_outside_qpv"],
                    "Part Q1 hors QPV (bas)": row["q1_share_outside_qpv_low"],
                    "Part Q1 hors QPV (haut)": row["q1_share_outside_qpv_high"],
                    "Part Q1 des occupants en QPV": row["q1_share_in_qpv"],
                    "Dissimilarité Q1 entre résidences": row["dissimilarity"],
                    "Dissimilarité (bas)": row["dissimilarity_low"],
                    "Dissimilarité (haut)": row["dissimilarity_high"],
                    "Isolement Q1": row["isolation"],
                    "Loyer moyen (€/m²/mois)": row["rent_m2"],
                    "Attributions hors QPV Q1 ou relogés": q1["share"].get(year, float("nan")),
                }
            )
    return pd.DataFrame(rows)


_TERRITORY_FORMATS: dict[str, Format] = {
    "Ménages": "float",
    "Logements": "float",
    "Part Q1 des occupants": "pct",
    "Part Q1 des occupants hors QPV": "pct",
    "Part Q1 hors QPV (bas)": "pct",
    "Part Q1 hors QPV (haut)": "pct",
    "Part Q1 des occupants en QPV": "pct",
    "Dissimilarité Q1 entre résidences": "float",
    "Dissimilarité (bas)": "float",
    "Dissimilarité (haut)": "float",
    "Isolement Q1": "float",
    "Loyer moyen (€/m²/mois)": "float",
    "Attributions hors QPV Q1 ou relogés": "pct",
}


def _quota_partner(level: str, group: str, result: ProjectionResult) -> str:
    if level == Level.RESERVATAIRE:
        return "Réservataire : " + fr.group_label(level, group, result.names, with_code=True)
    if level == Level.LANDLORD_NON_RESERVED:
        return f"{fr.LEVEL_LABELS[Level.LANDLORD_NON_RESERVED]} : " + fr.group_label(
            level, group, result.names, with_code=True
        )
    return _partner(level, group, result.names)


def _quotas_frame(result: ProjectionResult) -> pd.DataFrame:
    rows = []
    for strategy in result.published:
        q = strategy.quotas
        for _, row in q.iterrows():
            rows.append(
                {
                    "Stratégie": strategy.name,
                    "Année": int(row["year"]),
                    "Partenaire": _quota_partner(str(row["level"]), str(row["group"]), result),
                    "Objectif": fr.INDICATOR_SHORT_LABELS.get(row["indicator"], row["indicator"]),
                    "Attributions concernées": row["denominator"],
                    "Part réalisée": row["share"],
                    "Intervalle (bas)": row["share_low"],
                    "Intervalle (haut)": row["share_high"],
                    "Objectif (part)": row["target"],
                }
            )
    return pd.DataFrame(rows)


def _residences_frame(result: ProjectionResult) -> pd.DataFrame:
    frames = []
    for strategy in result.published:
        places = strategy.residences.set_index("residence")[
            ["residence_id", "landlord_id", "commune", "in_qpv", "neighbourhood"]
        ].copy()
        places["name"] = _residence_labels(result, strategy)
        data = strategy.residence_years.join(places, on="residence")
        frames.append(
            pd.DataFrame(
                {
                    "Stratégie": strategy.name,
                    "Année": data["year"].astype(int),
                    "Résidence": data["name"],
                    "Code": data["residence_id"],
                    "Bailleur": [result.names.landlord(x) for x in data["landlord_id"]],
                    "Commune": [result.names.commune(x) for x in data["commune"]],
                    "En QPV": [fr.yes_no(x) for x in data["in_qpv"]],
                    "Logements": data["dwellings"],
                    "Ménages": data["households"],
                    "Part Q1": data["q1_share"],
                    "Part Q1 (bas)": data["q1_share_low"],
                    "Part Q1 (haut)": data["q1_share_high"],
                    "Loyer (€/m²/mois)": data["rent_m2"],
                    "Indice de fragilité": data["fragility_index"],
                    "Classe de fragilité": data["fragility_class"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _hypotheses(result: ProjectionResult) -> str:
    f = result.figures
    items = [
        f"Départs du parc social estimés sur les emménagés récents : "
        f"{fr.percent(f['departure_share'])} des ménages changent de logement chaque année, dont "
        f"{fr.percent(f['mutation_share'])} de mutations (parmi les attributions observées) ; "
        "les départs hors du parc en sont le reste.",
        f"Délai de remise en location (loi de Little : vacance / attributions) : "
        f"{fr.number(f['relet_delay_days'], 0)} jours.",
        f"Demande : {fr.integer(f['filings_per_year'])} nouvelles demandes encore en cours en fin "
        f"d'année, abandon de {fr.percent(f['lapse_probability'])} des demandes non satisfaites "
        "chaque année (état stationnaire).",
        f"{int(f['replicates'])} réplications, graine {int(f['seed'])}, intervalles à "
        f"{fr.percent(f['interval_level'], 0)} ; euros, seuils et barèmes de l'année "
        f"{result.millesime}.",
    ]
    if result.calibration:
        c = result.calibration
        items.append(
            "Préférences des commissions calibrées sur les attributions observées : mutations "
            f"{fr.decimal(c['preference_mutations'], 3)} (part simulée "
            f"{fr.percent(c['mutation_share'])}, observée "
            f"{fr.percent(c['observed_mutation_share'])}), ménages prioritaires "
            f"{fr.decimal(c['preference_prioritaires'], 3)} (part simulée "
            f"{fr.percent(c['priority_share'])}, observée "
            f"{fr.percent(c['observed_priority_share'])})."
        )
    return (
        "<ul>"
        + "".join(f"<li>{html.escape(i)}</li>" for i in items)
        + "</ul><p class='note'>"
        + html.escape(
            fr.source(
                "Méthode, hypothèses et limites : docs/projection.md ; rôles des quartiers : "
                "docs/quartiers.md."
            )
        )
        + "</p>"
    )


def _sheet(prefix: str, name: str) -> str:
    """A sheet name: ``prefix`` and the strategy's name, without the characters Excel refuses,
    within Excel's 31 characters (the name cut after a whole word, with « … »)."""
    clean = " ".join(re.sub(r"[\\/*?:\[\]]", " ", name).split())
    title = f"{prefix} – {clean}"
    if len(title) <= 31:
        return title
    room = 31 - len(prefix) - len(" – …")
    words = clean[: room + 1].split(" ")
    kept = " ".join(words[:-1]) if len(words) > 1 else clean[:room]
    return f"{prefix} – {kept.rstrip()}…"


def _gpkg(result: ProjectionResult, strategy: StrategyProjection, path: Path) -> Path:
    import geopandas as gpd

    from mixite.reports.maps import qpv_geodataframe, write_gpkg

    names = result.names
    places = strategy.residences.set_index("residence")[
        ["residence_id", "landlord_id", "commune", "in_qpv", "x", "y"]
    ].copy()
    places["label"] = _residence_labels(result, strategy)
    data = strategy.residence_years.join(places, on="residence").dropna(subset=["x", "y"])
    layers: dict[str, gpd.GeoDataFrame] = {}
    for year, part in data.groupby("year", sort=True):
        frame = pd.DataFrame(
            {
                "Résidence": part["label"].to_numpy(),
                "Identifiant": part["residence_id"].to_numpy(),
                "Bailleur": [names.landlord(x) for x in part["landlord_id"]],
                "Commune": [names.commune(x) for x in part["commune"]],
                "En QPV": [fr.yes_no(x) for x in part["in_qpv"]],
                "Année": part["year"].astype(int).to_numpy(),
                "Logements": part["dwellings"].to_numpy(),
                "Ménages": part["households"].to_numpy(),
                "Logements vacants": part["vacant"].to_numpy(),
                "Part Q1": part["q1_share"].to_numpy(),
                "Part Q1 (bas)": part["q1_share_low"].to_numpy(),
                "Part Q1 (haut)": part["q1_share_high"].to_numpy(),
                "Loyer (€ par m² et par mois)": part["rent_m2"].to_numpy(),
                "Indice de fragilité": part["fragility_index"].to_numpy(),
                "Classe de fragilité": part["fragility_class"].to_numpy(),
            }
        )
        layers[f"residences_{int(float(str(year)))}"] = gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(part["x"], part["y"]), crs="EPSG:2154"
        )
    centres = (
        strategy.residences.dropna(subset=["x", "y"]).groupby("neighbourhood")[["x", "y"]].mean()
    )
    hoods = strategy.neighbourhood_years.join(
        strategy.neighbourhoods.set_index("neighbourhood")[["key"]], on="neighbourhood"
    ).join(centres, on="key")
    hoods = hoods.dropna(subset=["x", "y"])
    for year, part in hoods.groupby("year", sort=True):
        frame = pd.DataFrame(
            {
                "Quartier": [fr.neighbourhood_label(k, names) for k in part["key"]],
                "Code du quartier": part["key"].to_numpy(),
                "Rôle": [fr.ROLE_LABELS.get(r, r) for r in part["role"]],
                "Année": part["year"].astype(int).to_numpy(),
                "Ménages": part["households"].to_numpy(),
                "Emménagements par ménage": part["entry_rate"].to_numpy(),
                "Entrées de l'extérieur par ménage": part["external_rate"].to_numpy(),
                "Mutations sortantes par ménage": part["mutation_out_rate"].to_numpy(),
                "Ancienneté moyenne (années)": part["mean_stay_years"].to_numpy(),
                "Part Q1 des occupants": part["q1_share"].to_numpy(),
                "Part Q1 des entrants": part["q1_entrants_share"].to_numpy(),
                "Classe de fragilité": part["fragility_class"].to_numpy(),
            }
        )
        layers[f"quartiers_{int(float(str(year)))}"] = gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(part["x"], part["y"]), crs="EPSG:2154"
        )
    if result.qpv is not None and len(result.qpv) and result.qpv["geometry_wkt"].notna().any():
        qpv = qpv_geodataframe(result.qpv)
        keep = {"qpv_code": "Code du QPV", "qpv_name": "Nom du QPV", "commune": "Commune"}
        qpv = qpv[[c for c in keep if c in qpv.columns] + ["geometry"]].rename(columns=keep)
        if "Commune" in qpv.columns:
            qpv["Commune"] = [names.commune(x) for x in qpv["Commune"]]
        layers["qpv"] = qpv
    return write_gpkg(layers, path)


def write_projection(result: ProjectionResult, out_dir: Path) -> ProjectionOutputs:
    """Write the page, the workbook, one GeoPackage per strategy and the territory CSV under
    ``out_dir`` (module docstring)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = result.names
    last = _last_year(result)
    base_year = result.millesime - 1
    territory = _territory_frame(result)
    secret = fr.secrecy_note(result.secrecy_threshold)

    charts = (
        _band_chart(
            result,
            _epci_q1,
            "share",
            "Attributions hors QPV aux ménages du premier quartile ou relogés (EPCI)",
        ),
        _band_chart(
            result,
            lambda s: s.territory,
            "q1_share_outside_qpv",
            "Part des ménages du premier quartile parmi les occupants hors QPV",
        ),
        _band_chart(
            result,
            lambda s: s.territory,
            "dissimilarity",
            "Dissimilarité des ménages du premier quartile entre résidences",
            percent=False,
        ),
    )
    objectives = objectives_frame(result)
    sections = [
        Section(
            "Synthèse",
            (
                "<p>Projection de l'occupation du parc social sur les années de la CIA, pour "
                "chaque stratégie (la première sert de référence). Moyenne des réplications et, "
                "entre crochets, leur intervalle.</p>",
                f"<p class='note'>{html.escape(secret)}</p>",
                "<ul>"
                + "".join(f"<li>{html.escape(line)}</li>" for line in summary_lines(result))
                + "</ul>",
            ),
            "synthese",
        ),
        Section(
            "Année où chaque partenaire atteint son objectif Q1 hors QPV",
            (
                table_html(objectives),
                "<p class='note'>Objectif atteint une année quand la moyenne des réplications "
                "de la part des attributions hors QPV aux ménages du premier quartile ou relogés "
                "atteint l'objectif de l'année (scénario d'attribution de la stratégie) ; « à "
                "partir de » : chaque année jusqu'à la dernière.</p>",
            ),
            "objectifs",
        ),
        Section("Évolution sur les années", charts, "evolution"),
    ]
    maps = []
    for strategy in result.published:
        maps.append(_residence_map(result, strategy))
    sections.append(
        Section(
            "Carte des résidences, année par année",
            (
                "<p>Déplacez le curseur pour changer d'année (couleur : part des ménages du "
                "premier quartile ; taille : ménages ; en gris : résidences sous secret "
                "statistique). Les couches par année sont dans les "
                "GeoPackage, pour QGIS.</p>",
                *maps,
            ),
            "carte",
        )
    )
    role_blocks: list[str] = [
        "<p>Rôle de chaque quartier (chaque QPV ; hors QPV, la commune) d'après ses flux : "
        "entrées de ménages extérieurs au parc social, mutations entrantes et sortantes, "
        "ancienneté d'occupation, part de premiers locataires (définitions et seuils : "
        + html.escape(fr.source("docs/quartiers.md"))
        + "). L'année de départ est observée (les mutations sortantes n'y sont "
        "pas connues) ; les suivantes sont projetées.</p>"
    ]
    for strategy in result.published:
        role_blocks.append(_roles_map(result, strategy))
    first = result.published[0]
    role_blocks.append(
        table_html(
            roles_frame(result, first, base_year),
            _ROLE_FORMATS,
            caption=f"Rôles observés (attributions de {base_year}, occupation au 1er janvier "
            f"{result.millesime})",
        )
    )
    for strategy in result.published:
        role_blocks.append(
            table_html(
                roles_frame(result, strategy, last),
                _ROLE_FORMATS,
                caption=f"{strategy.name} : rôles projetés en {last}",
            )
        )
    sections.append(Section("Rôles des quartiers", tuple(role_blocks), "roles"))
    sections.append(
        Section(
            "Première année projetée et année observée",
            (
                "<p>La première année de chaque stratégie est comparée à l'année observée "
                "avant le millésime : une projection crédible reproduit la mobilité et le "
                "profil des attributions observés.</p>",
                *(table_html(validation_frame(s), caption=s.name) for s in result.published[:1]),
            ),
            "validation",
        )
    )
    sections.append(
        Section(
            "Bilan des ménages et des logements",
            (
                *(
                    table_html(
                        ledger_frame(s),
                        {v: "float" for k, v in _LEDGER_LABELS.items() if k != "year"},
                        caption=s.name,
                    )
                    for s in result.published
                ),
                "<p class='note'>Chaque année, ménages au 1er janvier + entrées − départs = "
                "ménages au 31 décembre, et logements au 1er janvier + livraisons − démolitions "
                "− ventes = logements au 31 décembre = occupés + vacants + non loués à des "
                "ménages ; l'écart est nul dans chaque réplication.</p>",
            ),
            "bilan",
        )
    )
    relocations = [(s, relocation_frame(s)) for s in result.published]
    relocations = [(s, frame) for s, frame in relocations if len(frame)]
    if relocations:
        sections.append(
            Section(
                "Relogement des ménages des résidences démolies",
                (
                    *(
                        table_html(frame, _RELOCATION_FORMATS, caption=_relocation_caption(s))
                        for s, frame in relocations
                    ),
                    "<p class='note'>Chaque année, ménages à reloger au 1er janvier + ménages à "
                    "reloger de l'année = ménages relogés + ménages sortis du parc avant "
                    "relogement + ménages non relogés au 31 décembre. Le planificateur de "
                    "relogement (stratégie « relogement: planificateur ») reloge avant chaque "
                    "tour des commissions sous les règles de la charte ; la règle de priorité "
                    "fait passer ces ménages avant les autres demandeurs. Les objectifs ne "
                    "concernent que le planificateur.</p>",
                ),
                "relogement",
            )
        )
    sections.append(Section("Hypothèses", (_hypotheses(result),), "hypotheses"))
    page = render_page(
        f"Stratégies sur les années de la CIA — {names.territory}",
        f"Millésime {result.millesime}, projection {result.millesime} à {last} · produit par "
        "mixite",
        sections,
    )
    html_path = out_dir / "projection.html"
    html_path.write_text(page, encoding="utf-8")

    sheets = [
        Sheet(
            "Territoire",
            territory,
            "Territoire par stratégie et par année (moyennes et intervalles des réplications)",
            "Part Q1 : ménages dont les ressources par UC sont sous le seuil du premier "
            "quartile de l'année de départ ; dissimilarité et isolement entre résidences. "
            + secret,
            _TERRITORY_FORMATS,
        ),
        Sheet(
            "Objectifs", objectives, "Année où chaque partenaire atteint son objectif Q1", secret
        ),
        Sheet(
            "Attributions",
            _quotas_frame(result),
            "Objectifs légaux des attributions projetées, par partenaire et par année",
            secret,
            {
                "Part réalisée": "pct",
                "Intervalle (bas)": "pct",
                "Intervalle (haut)": "pct",
                "Objectif (part)": "pct",
                "Attributions concernées": "float",
            },
        ),
        Sheet(
            "Résidences",
            _residences_frame(result),
            "Résidences par stratégie et par année",
            secret,
            {
                "Part Q1": "pct",
                "Part Q1 (bas)": "pct",
                "Part Q1 (haut)": "pct",
                "Loyer (€/m²/mois)": "float",
                "Indice de fragilité": "float",
                "Ménages": "float",
                "Logements": "float",
            },
        ),
    ]
    for strategy in result.published:
        roles = pd.concat(
            [
                roles_frame(result, strategy, int(y)).assign(Année=int(y))
                for y in sorted(strategy.neighbourhood_years["year"].unique())
            ],
            ignore_index=True,
        )
        sheets.append(
            Sheet(
                _sheet("Quartiers", strategy.name),
                roles,
                f"{strategy.name} : rôles des quartiers par année",
                fr.source("Définitions et seuils : docs/quartiers.md.") + " " + secret,
                _ROLE_FORMATS,
            )
        )
        sheets.append(
            Sheet(
                _sheet("Bilan", strategy.name),
                ledger_frame(strategy),
                f"{strategy.name} : bilan des ménages et des logements",
                secret,
            )
        )
        flux = strategy.flux.copy()
        if len(flux):
            sheets.append(
                Sheet(
                    _sheet("Flux", strategy.name),
                    pd.DataFrame(
                        {
                            "Année": flux["year"].astype(int),
                            "Bailleur": [names.landlord(x) for x in flux["landlord_id"]],
                            "Réservataire": [
                                fr.reservataire_label(str(r)) for r in flux["reservataire"]
                            ],
                            "Logements orientés": flux["delivered"],
                            "Droits": flux["entitled"],
                            "Solde": flux["balance"],
                        }
                    ),
                    f"{strategy.name} : bilan de la gestion en flux",
                    secret,
                )
            )
        rents = strategy.rents
        if len(rents):
            sheets.append(
                Sheet(
                    _sheet("Loyers", strategy.name),
                    pd.DataFrame(
                        {
                            "Année": rents["year"].astype(int),
                            "Bailleur": [names.landlord(x) for x in rents["landlord_id"]],
                            "Relocations": rents["relets"],
                            "Loyers baissés": rents["lowered"],
                            "Masse avant (€/mois)": rents["rent_mass_before"],
                            "Masse après (€/mois)": rents["rent_mass_after"],
                        }
                    ),
                    f"{strategy.name} : rééquilibrage des loyers à la relocation",
                )
            )
    for strategy, frame in relocations:
        sheets.append(
            Sheet(
                _sheet("Relogement", strategy.name),
                frame,
                _relocation_caption(strategy),
                "Moyennes des réplications ; effectifs inférieurs au seuil de secret statistique "
                "masqués.",
                _RELOCATION_FORMATS,
            )
        )
    sheets.append(
        Sheet(
            "Validation",
            validation_frame(result.published[0]),
            "Première année projetée et année observée",
        )
    )
    xlsx = write_xlsx(
        out_dir / "projection.xlsx",
        sheets,
        title=f"Stratégies sur les années de la CIA — {names.territory}",
    )
    gpkgs = tuple(
        _gpkg(result, s, out_dir / f"projection_{_slug(s.name)}.gpkg") for s in result.published
    )
    csv = write_csv_excel(territory, out_dir / "territoire.csv")
    return ProjectionOutputs(html_path, xlsx, gpkgs, csv)
