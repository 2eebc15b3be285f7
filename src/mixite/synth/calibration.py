"""Calibration of the synthetic territory against published figures (``docs/territoire-synthetique.md``, « Chiffres publiés de référence »).

Each figure is a ratio of sums, so the measures are accumulated chunk by chunk in a ``Tally``
(bounded memory); the Q1 threshold of the demand needs the resources per UC of every pending
application (one float32 per application). ``measure_tables`` computes the same tally from
canonical tables (for example read back from the store).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mixite.ceilings import household_ceiling
from mixite.household import UcScale, annual_resources, is_q1, resources_per_uc
from mixite.synth.geographie import Geography
from mixite.synth.modele import SizeProfile, Thresholds


@dataclass
class Tally:
    """Running sums of the calibrated quantities."""

    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    app_r_uc: list[np.ndarray] = field(default_factory=list)
    iris: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))
    residence_q1: list[tuple[bool, int, int]] = field(default_factory=list)

    def add(self, key: str, value: float) -> None:
        self.sums[key] += float(value)

    def add_stock(
        self,
        d: pd.DataFrame,
        hh: pd.DataFrame,
        geo: Geography | None,
        model: dict[str, Any] | None,
        thr: Thresholds,
        scale: UcScale,
        millesime: int,
    ) -> None:
        """Stock and occupancy sums of a chunk of dwellings and their households."""
        prev = millesime - 1
        q = d["in_qpv"].to_numpy(dtype=bool)
        mode = d["occupancy_mode"].to_numpy().astype(str)
        rent = d["rent"].to_numpy(dtype=float)
        surf = d["surface"].to_numpy(dtype=float)
        has_rent = ~np.isnan(rent)
        lease_year = pd.DatetimeIndex(d["lease_start"]).year.to_numpy()
        existing = d["first_letting_year"].to_numpy() < prev
        offered = (mode == "1") | (mode == "2")
        self.add("dwellings", len(d))
        self.add("dwellings_qpv", q.sum())
        self.add("collective", (d["construction_type"].to_numpy() != "individuel").sum())
        for tag, m in (("q", q & has_rent), ("h", ~q & has_rent)):
            self.add(f"rent_{tag}", rent[m].sum())
            self.add(f"surface_{tag}", surf[m].sum())
        self.add("turnover_num", (existing & (mode == "1") & (lease_year == prev)).sum())
        self.add("turnover_den", (existing & offered).sum())
        self.add("vacant", (mode == "2").sum())
        self.add("offered", offered.sum())
        vac = pd.DatetimeIndex(d["vacancy_start"])
        self.add("vacant_3m", ((mode == "2") & (vac < pd.Timestamp(f"{prev}-10-01"))).sum())
        self.add("new", d["new_dwelling"].to_numpy(dtype=bool).sum())

        # occupancy contrast (households of mode-1 dwellings)
        pos = pd.Index(d["dwelling_id"]).get_indexer(hh["dwelling_id"])
        hq = q[pos]
        uc = scale.units(hh["persons_14plus"], hh["household_size"], hh["adults"])
        modest = is_q1(resources_per_uc(hh["annual_resources"], uc), thr.q1)
        mono = hh["single_parent"].to_numpy(dtype=bool)
        unemployed = hh["employment"].to_numpy() == "chomage"
        below60 = np.zeros(len(hh), dtype=bool)
        if geo is not None:
            zone = geo.communes["ceiling_zone"].to_numpy()[d["commune_idx"].to_numpy()[pos]]
            ceiling = household_ceiling("plus", zone, hh, dt.date(millesime, 1, 1))
            below60 = hh["annual_resources"].to_numpy(dtype=float) < 0.6 * ceiling
        for tag, m in (("q", hq), ("h", ~hq)):
            self.add(f"hh_below60_{tag}", (below60 & m).sum())
            self.add(f"hh_{tag}", m.sum())
            self.add(f"hh_modest_{tag}", (modest & m).sum())
            self.add(f"hh_mono_{tag}", (mono & m).sum())
            self.add(f"hh_unemployed_{tag}", (unemployed & m).sum())
        frame = pd.DataFrame({"res": d["residence_id"].to_numpy()[pos], "q": hq, "modest": modest})
        per = frame.groupby("res", sort=True).agg(
            q=("q", "first"), n=("modest", "size"), m=("modest", "sum")
        )
        self.residence_q1.extend(
            zip(per["q"].tolist(), per["n"].tolist(), per["m"].tolist(), strict=True)
        )
        if geo is not None and model is not None:
            from mixite.synth.formats import iris_codes

            iris = iris_codes(
                geo,
                model,
                d["commune_idx"].to_numpy()[pos],
                d["x"].to_numpy()[pos],
                d["y"].to_numpy()[pos],
            )
        else:
            return
        g = (
            pd.DataFrame({"iris": iris, "modest": modest})
            .groupby("iris")["modest"]
            .agg(["sum", "size"])
        )
        for code, s, n in zip(g.index, g["sum"], g["size"], strict=True):
            cell = self.iris[str(code)]
            cell[0] += float(s)
            cell[1] += float(n - s)

    def add_attributions(self, att: pd.DataFrame) -> None:
        """Attribution sums (``q1`` column: below the Q1 threshold of the attribution year)."""
        q = att["in_qpv"].to_numpy(dtype=bool)
        q1 = att["q1"].to_numpy(dtype=bool)
        self.add("attributions", len(att))
        self.add("att_out", (~q).sum())
        self.add("att_out_q1", (~q & q1).sum())
        self.add("att_in_q1", (q & q1).sum())
        self.add("att_mutation", att["is_mutation"].to_numpy(dtype=bool).sum())
        self.add(
            "att_priority",
            (att["priority"].to_numpy(dtype=bool) | att["dalo"].to_numpy(dtype=bool)).sum(),
        )

    def add_applications(self, apps: pd.DataFrame, scale: UcScale) -> None:
        """Application sums and resources per UC."""
        uc = scale.units(apps["persons_14plus"], apps["household_size"], apps["adults"])
        per_uc = resources_per_uc(annual_resources(apps["monthly_resources"]), uc)
        self.app_r_uc.append(per_uc.astype(np.float32))
        self.add("applications", len(apps))
        self.add("app_mutation", apps["is_mutation"].to_numpy(dtype=bool).sum())

    def ratio(self, num: str, den: str) -> float:
        d = self.sums.get(den, 0.0)
        return self.sums.get(num, 0.0) / d if d else float("nan")


@dataclass(frozen=True)
class Figure:
    """One calibration figure: target, generated value, tolerance (absolute) and source."""

    key: str
    label: str
    target: float
    value: float
    tolerance: float
    source: str
    unit: str = "%"

    @property
    def ok(self) -> bool:
        return bool(abs(self.value - self.target) <= self.tolerance)


def dissimilarity(counts: dict[str, list[float]]) -> float:
    """Duncan dissimilarity index ½ Σ |a_i/A − b_i/B| over areas (a = modest, b = others)."""
    a = np.array([c[0] for c in counts.values()])
    b = np.array([c[1] for c in counts.values()])
    if a.sum() == 0 or b.sum() == 0:
        return float("nan")
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())


def calibration_figures(
    t: Tally,
    model: dict[str, Any],
    profile: SizeProfile,
    thr_attr: Thresholds,
    thr_demand: Thresholds,
) -> list[Figure]:
    """The calibration figures of a generated territory, against the model's targets (the size
    profile overrides turnover, pressure and demand mutation share)."""
    c = model["cibles"]

    def fig(
        key: str, label: str, value: float, target: float | None = None, unit: str = "%"
    ) -> Figure:
        spec = c[key]
        return Figure(
            key,
            label,
            float(spec["valeur"] if target is None else target),
            float(value),
            float(spec["tolerance"]),
            str(spec["source"]),
            unit,
        )

    rent_q = t.ratio("rent_q", "surface_q")
    rent_h = t.ratio("rent_h", "surface_h")
    rent_all = (t.sums["rent_q"] + t.sums["rent_h"]) / max(
        1.0, t.sums["surface_q"] + t.sums["surface_h"]
    )
    r_uc = np.concatenate(t.app_r_uc) if t.app_r_uc else np.zeros(0, dtype=np.float32)
    q1_gen = float(np.quantile(r_uc.astype(np.float64), 0.25)) if len(r_uc) else float("nan")
    modest_q = t.ratio("hh_modest_q", "hh_q")
    modest_h = t.ratio("hh_modest_h", "hh_h")
    below_q = t.ratio("hh_below60_q", "hh_q")
    below_h = t.ratio("hh_below60_h", "hh_h")
    return [
        fig("part_qpv", "Part du parc en QPV", t.ratio("dwellings_qpv", "dwellings")),
        fig("part_collectif", "Part de logements collectifs", t.ratio("collective", "dwellings")),
        fig("loyer_m2", "Loyer moyen (€/m²/mois)", rent_all, unit="€"),
        fig("ecart_loyer_qpv", "Écart de loyer au m² QPV / hors QPV", rent_q / rent_h - 1.0),
        fig(
            "rotation",
            "Taux de mobilité (rotation)",
            t.ratio("turnover_num", "turnover_den"),
            profile.turnover,
        ),
        fig("vacance", "Taux de vacance", t.ratio("vacant", "offered")),
        fig("vacance_3_mois", "Vacance de plus de 3 mois", t.ratio("vacant_3m", "offered")),
        fig(
            "mises_en_service",
            "Logements mis en service l'année passée",
            t.ratio("new", "dwellings"),
        ),
        fig(
            "pression",
            "Demandes en cours pour une attribution",
            t.ratio("applications", "attributions"),
            profile.pressure,
            unit="",
        ),
        fig(
            "mutations_demande",
            "Part des mutations dans la demande",
            t.ratio("app_mutation", "applications"),
            profile.demand_mutation_share,
        ),
        fig(
            "mutations_attributions",
            "Part des mutations dans les attributions",
            t.ratio("att_mutation", "attributions"),
        ),
        fig(
            "q1_hors_qpv",
            f"Attributions hors QPV au premier quartile (seuil {thr_attr.year})",
            t.ratio("att_out_q1", "att_out"),
        ),
        fig(
            "attributions_hors_qpv",
            "Part des attributions hors QPV",
            t.ratio("att_out", "attributions"),
        ),
        fig(
            "prioritaires",
            "Attributions à des ménages prioritaires ou DALO",
            t.ratio("att_priority", "attributions"),
        ),
        fig(
            "ecart_seuil_q1",
            f"Écart du 1er quartile des demandes ({q1_gen:,.0f} €/UC) au seuil de l'arrêté {thr_demand.year} ({thr_demand.q1:,.0f} €)".replace(
                ",", " "
            ),
            q1_gen / thr_demand.q1 - 1.0,
        ),
        fig(
            "ecart_occupation_q1",
            f"Occupants sous le seuil Q1 : QPV {_fmt(modest_q, '%')} − hors QPV {_fmt(modest_h, '%')}",
            modest_q - modest_h,
        ),
        fig(
            "ecart_occupation_plafonds",
            f"Occupants sous 60 % des plafonds PLUS : QPV {_fmt(below_q, '%')} − hors QPV "
            f"{_fmt(below_h, '%')}",
            below_q - below_h,
        ),
        fig(
            "dissimilarite_modestes",
            "Dissimilarité des ménages modestes entre IRIS",
            dissimilarity(t.iris),
        ),
    ]


def fragile_residences(t: Tally, min_households: int = 10) -> int:
    """Residences outside QPV whose share of modest households reaches the QPV average."""
    modest_q = t.ratio("hh_modest_q", "hh_q")
    return sum(
        1 for q, n, m in t.residence_q1 if not q and n >= min_households and m / n >= modest_q
    )


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.1f} %".replace(".", ",")
    if unit == "€":
        return f"{value:.2f} €".replace(".", ",")
    return f"{value:.2f}".replace(".", ",")


def write_calibration_report(
    path: Path,
    figures: list[Figure],
    profile: SizeProfile,
    millesime: int,
    counts: dict[str, int],
    model: dict[str, Any],
    tally: Tally | None = None,
) -> None:
    """Write ``calibration.md``: each figure's target, generated value, tolerance and status."""
    ref = model["epci_reference"]
    lines = [
        f"# Calibration du territoire synthétique (taille « {profile.name} », millésime {millesime})",
        "",
        f"Parc au 1er janvier {millesime} ; attributions de {millesime - 1} ; demandes en cours au "
        f"31 décembre {millesime - 1}. Seuils Q1 de l'EPCI réel comparable : {ref['nom']} "
        f"(SIREN {ref['siren']}).",
        "",
        "| effectif | généré |",
        "|---|---|",
    ]
    labels = {
        "dwellings": "logements",
        "attributions": "attributions",
        "applications": "demandes en cours",
        "households": "ménages occupants",
        "qpv": "QPV",
        "communes": "communes",
        "landlords": "bailleurs",
        "reservations": "conventions de réservation",
    }
    lines += [f"| {labels[k]} | {counts[k]:,} |".replace(",", " ") for k in labels if k in counts]
    lines += [
        "",
        "| indicateur | cible | généré | tolérance | statut | source |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        status = "OK" if f.ok else "écart"
        lines.append(
            f"| {f.label} | {_fmt(f.target, f.unit)} | {_fmt(f.value, f.unit)} | "
            f"± {_fmt(f.tolerance, f.unit)} | {status} | {f.source} |"
        )
    if tally is not None:
        lines += [
            "",
            f"Résidences hors QPV aussi modestes que la moyenne des QPV : {fragile_residences(tally)}.",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
