"""Regenerate mixite's packaged reference files from the real data in ``/work/shared/data``.

Not run by the tests. Usage::

    .venv/bin/python scripts/build_reference.py [--source /work/shared/data]

Writes:

* ``src/mixite/data/communes.csv.gz``: COG 2026 communes (COM, COMA, COMD, ARM) with the DGCL
  2026 EPCI à fiscalité propre of each commune and, in the Métropole du Grand Paris, its EPT
  (INSEE, géographie 2025). Arrondissements (ARM) carry their parent commune and the parent's
  EPCI.
* ``src/mixite/params/seuils_q1.yaml``: Q1/Q2/Q3 thresholds per EPCI SIREN for 2024–2026 from
  ``seuils_q1_epci/quartiles_YYYY.json``, the SIREN matched on the normalised name within the
  EPCI's département (exact, then fuzzy), with EPTs from ``ept.xlsx`` and Paris = the Ville de
  Paris (commune 75056, SIREN of the commune). Unmatched names are printed and listed in
  ``docs/parametres.md``.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import gzip
import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[1]
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

# Arrêtés fixing the thresholds (docs/droit.md §3 « Premier quartile », docs/donnees-officielles.md §4).
ARRETES = {
    2024: (
        "2024-01-01",
        "Arrêté du 13 mai 2024 fixant le seuil de ressources des demandeurs de logement social "
        "du premier quartile (CCH art. L441-1), annexe ; transcription URH Hauts-de-France "
        "(calculette-lec, quartiles_2024.json)",
        False,
        None,
    ),
    2025: (
        "2025-01-01",
        "Arrêté « du 3 juin » 2025 fixant le seuil de ressources des demandeurs de logement "
        "social du premier quartile (CCH art. L441-1), entré en vigueur le 1er janvier 2025 selon "
        "La Gazette des communes (art. 988305) ; transcription URH Hauts-de-France "
        "(calculette-lec, quartiles_2025.json)",
        True,
        "date et intitulé exacts de l'arrêté 2025 non confirmés (docs/droit.md §3.1 « Définition et arrêté annuel ») ; valeurs de "
        "l'annexe transcrites par l'URH Hauts-de-France",
    ),
    2026: (
        "2026-01-01",
        "Arrêté du 23 avril 2026 (JORF du 2 mai 2026) fixant le seuil de ressources des "
        "demandeurs de logement social du premier quartile (CCH art. L441-1), annexe ; "
        "transcription URH Hauts-de-France (calculette-lec, quartiles_2026.json)",
        False,
        None,
    ),
}

# EPCI renamed between the arrêté and the DGCL 2026 list, checked by hand (same perimeter).
RENAMED = {
    # "CA du Bassin d'Aurillac" in the DGCL list, "Aurillac Agglomération" since its renaming.
    "Aurillac Agglomération": "241500230",
}

STOP = {
    "ca",
    "cc",
    "cu",
    "communaute",
    "d",
    "agglomeration",
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "l",
    "et",
    "en",
    "communes",
    "urbaine",
    "agglo",
    "interco",
}


def normalise(name: str) -> str:
    """Lowercase, no accents, no parenthesised acronym, no legal-form words."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"\([^)]*\)", " ", text.lower())
    words = re.findall(r"[a-z0-9]+", text)
    return " ".join(w for w in words if w not in STOP)


def xlsx_rows(path: Path) -> dict[str, list[list[str | None]]]:
    """Cell text of every sheet (a minimal reader: the INSEE file's stylesheet breaks openpyxl)."""
    archive = zipfile.ZipFile(path)
    shared: list[str] = []
    if "xl/sharedStrings.xml" in archive.namelist():
        root = ET.fromstring(archive.read("xl/sharedStrings.xml"))
        for item in root.findall(f"{NS}si"):
            shared.append("".join(t.text or "" for t in item.iter(f"{NS}t")))
    out: dict[str, list[list[str | None]]] = {}
    sheet_files = sorted(
        n for n in archive.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml", n)
    )
    for name in sheet_files:
        root = ET.fromstring(archive.read(name))
        rows: list[list[str | None]] = []
        for row in root.iter(f"{NS}row"):
            cells: dict[int, str] = {}
            for cell in row.findall(f"{NS}c"):
                ref = re.match(r"[A-Z]+", cell.get("r", "A"))
                col = 0
                for ch in ref.group(0) if ref else "A":
                    col = col * 26 + ord(ch) - 64
                kind = cell.get("t")
                value = cell.find(f"{NS}v")
                if kind == "inlineStr":
                    cells[col - 1] = "".join(t.text or "" for t in cell.iter(f"{NS}t"))
                elif value is not None and value.text is not None:
                    cells[col - 1] = shared[int(value.text)] if kind == "s" else value.text
            if cells:
                rows.append([cells.get(j) for j in range(max(cells) + 1)])
        out[name] = rows
    return out


def read_ept(path: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(commune → (EPT SIREN, EPT name), EPT SIREN → name) from INSEE's ept.xlsx."""
    by_commune: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}
    for rows in xlsx_rows(path).values():
        header_at = next(
            (i for i, r in enumerate(rows) if r and r[0] == "CODGEO" and "LIBEPT" in r), None
        )
        if header_at is None:
            continue
        header = rows[header_at]
        ci, ei, ni = header.index("CODGEO"), header.index("EPT"), header.index("LIBEPT")
        for row in rows[header_at + 1 :]:
            if len(row) > ni and row[ei] and row[ei] != "ZZZZZZZZZ":
                by_commune[str(row[ci])] = (str(row[ei]), str(row[ni]))
                names[str(row[ei])] = str(row[ni])
    return by_commune, names


def build_communes(source: Path) -> list[dict[str, str]]:
    cog = source / "cog_epci"
    epci_of: dict[str, tuple[str, str, str]] = {}
    with (cog / "epcicom_2026.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            epci_of[row["insee"]] = (row["siren"], row["raison_sociale"], row["nature_juridique"])
    ept_of, _ = read_ept(cog / "ept.xlsx")
    out: list[dict[str, str]] = []
    with (cog / "communes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code, parent = row["COM"], row["COMPARENT"]
            anchor = parent if row["TYPECOM"] == "ARM" else code
            siren, name, nature = epci_of.get(anchor, ("", "", ""))
            if row["TYPECOM"] in {"COMA", "COMD"}:
                siren, name, nature = ("", "", "")
            ept, ept_name = ept_of.get(anchor, ("", "")) if row["TYPECOM"] != "COMA" else ("", "")
            if row["TYPECOM"] == "COMD":
                ept, ept_name = ("", "")
            out.append(
                {
                    "code": code,
                    "nom": row["LIBELLE"],
                    "dep": row["DEP"],
                    "reg": row["REG"],
                    "typecom": row["TYPECOM"],
                    "parent": parent,
                    "epci": siren,
                    "epci_nom": name,
                    "epci_nature": nature,
                    "ept": ept,
                    "ept_nom": ept_name,
                }
            )
    # Communes associées/déléguées have no département/région in the COG: take their parent's.
    where = {r["code"]: (r["dep"], r["reg"]) for r in out if r["typecom"] == "COM"}
    for r in out:
        if not r["dep"] and r["parent"] in where:
            r["dep"], r["reg"] = where[r["parent"]]
    return out


def write_communes(rows: list[dict[str, str]], target: Path) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # mtime=0: the file is byte-identical from one build to the next.
    with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))


def match_sirens(source: Path) -> tuple[dict[int, dict[str, dict[str, Any]]], list[str]]:
    """Per year, SIREN → {q1, q2, q3, nom}; and the sorted list of unmatched names."""
    cog = source / "cog_epci"
    candidates: dict[str, dict[str, str]] = {}  # dep → {siren: name}
    paris_siren = ""
    with (cog / "epcicom_2026.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            candidates.setdefault(row["dep_com"], {})[row["siren"]] = row["raison_sociale"]
            if row["insee"] == "75056":
                paris_siren = row["siren_membre"]
    with (cog / "departements.csv").open(encoding="utf-8") as handle:
        overseas = {r["LIBELLE"]: r["DEP"] for r in csv.DictReader(handle) if r["DEP"] > "97"}
    ept_of, _ = read_ept(cog / "ept.xlsx")
    for commune, (siren, name) in ept_of.items():
        candidates.setdefault(commune[:2], {})[siren] = name
    all_names = {s: n for by_dep in candidates.values() for s, n in by_dep.items()}

    tables: dict[int, dict[str, dict[str, Any]]] = {}
    unmatched: set[str] = set()
    for year in ARRETES:
        entries = json.loads((source / "seuils_q1_epci" / f"quartiles_{year}.json").read_text())
        table: dict[str, dict[str, Any]] = {}
        for entry in entries:
            name = str(entry["epci"])
            dep = str(entry["departement"]).split(" - ")[0].strip()
            if dep == "97":  # overseas: "97 - -La Réunion", the name gives the code
                dep = overseas.get(str(entry["departement"]).split("-")[-1].strip(), dep)
            siren = ""
            if normalise(name) == "paris":
                siren = paris_siren
            elif name in RENAMED:
                siren = RENAMED[name]
            else:
                pool = candidates.get(dep, {})
                key = normalise(name)
                exact = [s for s, n in pool.items() if normalise(n) == key]
                if not exact:
                    exact = [s for s, n in all_names.items() if normalise(n) == key]
                if len(exact) == 1:
                    siren = exact[0]
                else:
                    scored = sorted(
                        (difflib.SequenceMatcher(None, key, normalise(n)).ratio(), s)
                        for s, n in pool.items()
                    )
                    if scored and scored[-1][0] >= 0.85:
                        siren = scored[-1][1]
                        print(
                            f"  {year} fuzzy: {name!r} → {all_names[siren]!r} ({scored[-1][0]:.2f})"
                        )
            if not siren:
                unmatched.add(f"{name} ({entry['departement']})")
                continue
            value = {
                "q1": int(entry["q1"]),
                "q2": int(entry["q2"]),
                "q3": int(entry["q3"]),
                "nom": name,
            }
            if siren in table and table[siren] != value:
                raise SystemExit(f"{year}: two different values for SIREN {siren} ({name})")
            table[siren] = value
        tables[year] = table
        print(f"{year}: {len(entries)} lines, {len(table)} SIREN")
    return tables, sorted(unmatched)


def write_seuils(
    tables: dict[int, dict[str, dict[str, Any]]], unmatched: list[str], target: Path
) -> None:
    lines = [
        "# Generated by scripts/build_reference.py from /work/shared/data/seuils_q1_epci/ and",
        "# cog_epci/ (SIREN matched on the EPCI name). Do not edit by hand: rerun the script.",
        "description: Seuils de ressources des demandeurs de logement social du premier, deuxième "
        "et troisième quartiles par EPCI (SIREN), en euros par unité de consommation et par an ; "
        "en Île-de-France, valeur régionale unique pour tous les EPCI et EPT",
        "unit: currency",
        "documentation: >-",
        "  Valeur à une date = table SIREN de l'EPCI → {q1, q2, q3, nom}. Le seuil q1 sert au "
        "test du premier quartile (CCH art. L441-1). Noms de l'arrêté non appariés à un SIREN : "
        + ("; ".join(unmatched) if unmatched else "aucun")
        + ".",
        "values:",
    ]
    for year, table in tables.items():
        start, reference, unconfirmed, note = ARRETES[year]
        lines.append(f'  "{start}":')
        lines.append(f"    reference: {json.dumps(reference, ensure_ascii=False)}")
        if unconfirmed:
            lines.append("    unconfirmed: true")
        if note:
            lines.append(f"    note: {json.dumps(note, ensure_ascii=False)}")
        lines.append("    value:")
        for siren in sorted(table):
            v = table[siren]
            lines.append(
                f'      "{siren}": {{q1: {v["q1"]}, q2: {v["q2"]}, q3: {v["q3"]}, '
                f"nom: {json.dumps(v['nom'], ensure_ascii=False)}}}"
            )
    lines.append('last_value_still_valid_on: "2026-11-29"')
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data"))
    args = parser.parse_args()
    rows = build_communes(args.source)
    (ROOT / "src/mixite/data").mkdir(exist_ok=True)
    write_communes(rows, ROOT / "src/mixite/data/communes.csv.gz")
    print(f"communes: {len(rows)} rows")
    tables, unmatched = match_sirens(args.source)
    write_seuils(tables, unmatched, ROOT / "src/mixite/params/seuils_q1.yaml")
    print("unmatched:", *unmatched, sep="\n  ")


if __name__ == "__main__":
    main()
