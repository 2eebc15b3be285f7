"""Compare the figures of two runs of ``mixite demo`` (before and after a change of the code).

Usage: ``python scripts/compare_demo.py BEFORE AFTER`` with the two demo folders. Compared, as
numbers (wording, names and number formats may differ between the two versions):

* the legal quota indicators (``rapport/quotas.csv``): every count, share, target, shortfall and
  interval, row by row, matched on (level, objective) and the group's code;
* the diagnostic workbook's key sheets (stock, vacancy, rents, occupancy, demand, quotas, flux,
  segregation): every numeric cell;
* the optimised and simulated attributions (``sorties/*/attributions_*.csv``): every column
  but the applications' pseudonyms (keyed by each store's own random key) — the same allocation
  has the same optimiser value;
* the documents' objective tables (DOCX tables whose header holds « Objectif (attributions) »):
  every cell, spaces normalised.

Prints one line per comparison and exits 1 when any differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

KEY_SHEETS = (
    "stock_communes",
    "stock_qpv",
    "stock_bailleurs",
    "vacance_territoire",
    "vacance_communes",
    "loyers",
    "loyers_ecart_qpv",
    "occupation_qpv",
    "fragilite_classes",
    "demande_territoire",
    "demande_typologies",
    "quotas",
    "flux",
    "segregation",
)
#: Level labels of the quota files, old and new, to one code.
LEVELS = {
    "territoire": "epci",
    "EPCI": "epci",
    "bailleur": "bailleur",
    "Bailleur": "bailleur",
    "bailleur_non_reserve": "bailleur_non_reserve",
    "Bailleur – logements non réservés": "bailleur_non_reserve",
    "reservataire": "reservataire",
    "Réservataire": "reservataire",
    "commune": "commune",
    "Commune": "commune",
}
QUOTA_NUMBERS = (
    "Attributions concernées",
    "Attributions au public cible",
    "Part réalisée",
    "Objectif",
    "Attributions manquantes",
    "Intervalle de confiance (bas)",
    "Intervalle de confiance (haut)",
    "p-valeur (part sous l'objectif)",
)


def _quotas(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        folder / "rapport" / "quotas.csv", sep=";", decimal=",", encoding="utf-8-sig"
    )
    frame["level"] = frame["Échelle"].map(LEVELS)
    code = frame["Code"] if "Code" in frame.columns else frame["Groupe"]
    frame["group"] = np.where(frame["level"] == "epci", "epci", code.astype(str))
    indicator = "Indicateur" if "Indicateur" in frame.columns else "Objectif légal"
    frame = frame.set_index(["level", "group", indicator]).sort_index()
    return frame[[c for c in QUOTA_NUMBERS if c in frame.columns]]


def _numbers(frame: pd.DataFrame) -> np.ndarray:
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return values


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True))


def _docx_tables(path: Path) -> list[list[list[str]]]:
    from docx import Document

    out = []
    for table in Document(str(path)).tables:
        rows = [[" ".join(c.text.split()) for c in row.cells] for row in table.rows]
        if rows and any("Objectif (attributions)" in h for h in rows[0]):
            out.append(rows)
    return out


def main(before: Path, after: Path) -> int:
    failures = 0

    def report(label: str, ok: bool) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'égal   ' if ok else 'DIFFÈRE'}  {label}")

    a, b = _quotas(before), _quotas(after)
    report(
        f"indicateurs légaux ({len(a)} lignes)",
        list(a.index) == list(b.index) and _same(_numbers(a), _numbers(b)),
    )
    for sheet in KEY_SHEETS:
        x = pd.read_excel(before / "rapport" / "diagnostic.xlsx", sheet_name=sheet, header=3)
        y = pd.read_excel(after / "rapport" / "diagnostic.xlsx", sheet_name=sheet, header=3)
        x, y = x.select_dtypes("number"), y.select_dtypes("number")
        report(
            f"classeur, feuille « {sheet} » ({x.shape[0]} × {x.shape[1]})",
            _same(x.to_numpy(float), y.to_numpy(float)),
        )
    for path in sorted((before / "sorties").glob("*/attributions_*.csv")):
        other = after / path.relative_to(before)
        same = other.exists()
        if same:
            x = pd.read_csv(path, sep=";", dtype=str).drop(columns="numero_unique")
            y = pd.read_csv(other, sep=";", dtype=str).drop(columns="numero_unique")
            same = x.equals(y)
        report(f"attributions {path.parent.name}/{path.name}", same)
    for name in ("document-cadre", "cia", "bilan"):
        x_tables = _docx_tables(before / "documents" / f"{name}.docx")
        y_tables = _docx_tables(after / "documents" / f"{name}.docx")
        report(
            f"tableaux d'objectifs du document « {name} » ({len(x_tables)})", x_tables == y_tables
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
