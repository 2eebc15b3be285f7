"""Rebuild a 73-column RPLS 2025 file of the real Val-d'Oise social stock (132,028 dwellings).

Usage::

    .venv/bin/python scripts/build_val_doise_rpls.py SORTIE.csv [--source tests/data/val_doise]

Source (committed in ``tests/data/val_doise/``, see its ``README.md``): ``rpls_points.geojson``,
the RPLS 2025 open file of the Val-d'Oise grouped by building point by the DDT 95 (13,776 points,
WGS84): number of dwellings, commune, address, construction type, DPE class counts, financing
family counts (``ts`` very social, ``s`` social, ``i`` intermediate, ``a`` other) and first/last
construction year. One CSV row is written per dwelling, with the exact 2025 header
(``rpls_2025_header_only.csv``), ``;`` and CRLF, as the SDES publishes it.

What is real and what is not:

* real: commune, address, construction type, financing family, DPE class, construction years,
  and the coordinates, converted from WGS84 to Lambert-93 (``EPSG`` = 2154, metres);
* left EMPTY on purpose: the geocoded QPV columns ``PLG_QP24`` and ``PLG_QP15`` and the declared
  ``QPV_CODE`` (mixite must locate the dwellings in the QPV perimeters by their coordinates),
  the IRIS and every column the building file does not hold;
* derived: ``FINAN_CODE`` is one code of the family (``ts`` → 10 PLAI, ``s`` → 13 PLUS, or 52
  HLM/O when the building was finished before 1977, ``i`` → 14 PLS, ``a`` → 49 other); the
  construction year of each dwelling of a point spreads evenly from its first to its last year;
  ``NEWLOGT_CODE`` is 1 for a building finished in 2024 (put into service the year before the
  millésime); ``CONV`` is 1 (the building file does not say); EPCI from mixite's COG 2026;
* IMPUTED (not in the source): ``NBPIECE`` follows, per commune and per house/flat, the
  distribution of social-housing tenants' main residences by number of rooms of the INSEE 2023
  census (``insee_princ2_tenure_95.csv``, 6 rooms or more counted as 6), allocated by largest
  remainders and shuffled with a fixed seed; ``SURFHAB`` is the typical surface of that number
  of rooms used by mixite's synthetic territory (``synth/modele.yaml``,
  ``logements.surface_par_pieces``). Surfaces and rooms are therefore plausible, not observed.

The output is deterministic: the same source gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT / "tests" / "data" / "val_doise"

#: Financing family of the building file → RPLS FINAN_CODE of that family
#: (``docs/donnees-officielles.md`` §1.4 (Codes de financement)); ``s`` before 1977 → HLM/O.
FIN_CODE = {"ts": "10", "s": "13", "i": "14", "a": "49"}
FIN_LABEL = {
    "10": "PLA d'intégration",
    "13": "PLUS",
    "52": "HLM/O",
    "14": "PLS",
    "49": "Autre financement à partir de 1977",
}
PRE_1977_SOCIAL = "52"
FIRST_POST_1977_YEAR = 1977
TYPE_LABEL = {
    "collectif": "Collectif",
    "individuel": "Individuel",
    "logement étudiant": "Logement étudiant",
}
#: Census dwelling type of each construction type (students' rooms count as flats).
CENSUS_TYPE = {"collectif": "Appartement", "individuel": "Maison", "logement étudiant": None}
CENSUS_TENURE = "Locataire de logement parc social vide"
ROOM_CLASSES = (1, 2, 3, 4, 5, 6)
NEW_DWELLING_YEAR = 2024
SEED = 95
_STREET_RE = re.compile(r"^\s*(\d+)\s*(BIS|TER|QUATER|[A-Z](?=\s))?\s*(.*)$", re.IGNORECASE)
_INDREP = {"BIS": "B", "TER": "T", "QUATER": "Q"}


def read_header(source: Path) -> list[str]:
    """The exact 2025 header (73 names)."""
    text = (source / "rpls_2025_header_only.csv").read_bytes().decode("utf-8-sig")
    return text.strip().split(";")


def surfaces_by_rooms() -> list[float]:
    """Typical surface (m²) by number of rooms, 1 to 6, of mixite's synthetic territory."""
    model = yaml.safe_load((ROOT / "src" / "mixite" / "synth" / "modele.yaml").read_text("utf-8"))
    return [float(s) for s in model["logements"]["surface_par_pieces"]]


def census_rooms(source: Path) -> dict[tuple[str, str], np.ndarray]:
    """(commune, census type) → weights of 1…6+ rooms among social tenants (INSEE 2023)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    with (source / "insee_princ2_tenure_95.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.replace("\n", " | ") for h in next(reader)]
        for row in reader:
            commune = row[0].strip()
            for kind in ("Maison", "Appartement"):
                weights = []
                for rooms in ROOM_CLASSES:
                    label = (
                        "6 pièces ou plus"
                        if rooms == 6
                        else f"{rooms} pièce" + ("s" if rooms > 1 else "")
                    )
                    col = header.index(f"{label} | {CENSUS_TENURE} | {kind}")
                    weights.append(float(row[col] or 0.0))
                out[(commune, kind)] = np.asarray(weights)
    for kind in ("Maison", "Appartement"):
        out[("95", kind)] = np.sum([w for (c, k), w in out.items() if k == kind], axis=0)
    return out


def allocate(weights: np.ndarray, n: int, seed: int) -> list[int]:
    """``n`` room counts distributed as ``weights`` (largest remainders), shuffled with ``seed``."""
    share = weights / weights.sum()
    exact = share * n
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    rooms = np.repeat(np.asarray(ROOM_CLASSES), counts)
    np.random.default_rng(seed).shuffle(rooms)
    return [int(r) for r in rooms]


def split_address(address: str) -> tuple[str, str, str]:
    """(NUMVOIE, INDREP, rest of the address) of a building-file address."""
    match = _STREET_RE.match(address)
    if match is None:
        return "", "", address.strip()
    number, rep, rest = match.groups()
    rep_code = _INDREP.get((rep or "").upper(), (rep or "").upper())
    return number, rep_code, rest.strip()


def _seed(*parts: str) -> int:
    return int(hashlib.md5("|".join((str(SEED), *parts)).encode()).hexdigest()[:8], 16)


def dwellings(source: Path) -> Iterator[dict[str, str]]:
    """One dict of RPLS columns per dwelling of the building file, in file order."""
    from pyproj import Transformer

    from mixite.geo import communes as cog

    points = json.loads((source / "rpls_points.geojson").read_text(encoding="utf-8"))["features"]
    to_l93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    table = cog()
    table = table[table["typecom"] == "COM"].set_index("code")
    census = census_rooms(source)
    surfaces = surfaces_by_rooms()

    # Rooms per (commune, census type), allocated over the commune's dwellings of that type.
    needed: dict[tuple[str, str], int] = defaultdict(int)
    for feature in points:
        p = feature["properties"]
        kind = CENSUS_TYPE[p["t"]]
        if kind is not None:
            needed[(p["c"], kind)] += int(p["n"])
    pools: dict[tuple[str, str], list[int]] = {}
    for (commune, kind), n in sorted(needed.items()):
        weights = census.get((commune, kind))
        if weights is None or weights.sum() <= 0:
            weights = census[("95", kind)]
        pools[(commune, kind)] = allocate(weights, n, _seed(commune, kind))
    taken: dict[tuple[str, str], int] = defaultdict(int)

    for feature in points:
        p = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        x, y = to_l93.transform(lon, lat)
        commune = str(p["c"])
        epci = table.loc[commune, "epci"] if commune in table.index else None
        epci_name = table.loc[commune, "epci_nom"] if commune in table.index else None
        number, rep, street = split_address(str(p["a"]))
        n = int(p["n"])
        first, last = int(p["ymin"]), int(p["ymax"])
        years = [first + round(i * (last - first) / max(n - 1, 1)) for i in range(n)]
        families = [f for f, count in sorted(p["fin"].items()) for _ in range(int(count))]
        classes = [c for c, count in sorted(p.get("dpe", {}).items()) for _ in range(int(count))]
        kind = CENSUS_TYPE[p["t"]]
        for i in range(n):
            if kind is None:
                rooms = 1
            else:
                rooms = pools[(commune, kind)][taken[(commune, kind)]]
                taken[(commune, kind)] += 1
            finan = FIN_CODE[families[i]]
            if finan == "13" and years[i] < FIRST_POST_1977_YEAR:
                finan = PRE_1977_SOCIAL
            yield {
                "REG_CODE": "11",
                "REG_LIBELLE": "Île-de-France",
                "LIBREG": "Île-de-France",
                "DEP_CODE": "95",
                "DEP_LIBELLE": "Val-d'Oise",
                "LIBDEP": "Val-d'Oise",
                "EPCI_CODE": str(epci or ""),
                "EPCI_LIBELLE": str(epci_name or ""),
                "LIBEPCI": str(epci_name or ""),
                "DEPCOM": commune,
                "LIBCOM": str(p["cn"]),
                "NUMVOIE": number,
                "INDREP": rep,
                "NOMVOIE": street,
                "TYPECONST_LIBELLE": TYPE_LABEL[p["t"]],
                "NBPIECE": str(rooms),
                "SURFHAB": f"{surfaces[rooms - 1]:.1f}".replace(".", ","),
                "CONSTRUCT": str(years[i]),
                "FINAN_CODE": finan,
                "FINAN_LIBELLE": FIN_LABEL[finan],
                "CONV": "1",
                "NEWLOGT_CODE": "1" if years[i] == NEW_DWELLING_YEAR else "2",
                "DPEENERGIE": classes[i] if i < len(classes) else "",
                "EPSG": "2154",
                "X": f"{x:.1f}",
                "Y": f"{y:.1f}",
            }


def write_rpls(target: Path, source: Path = DEFAULT_SOURCE) -> int:
    """Write the rebuilt RPLS 2025 file of the Val-d'Oise to ``target``; the number of rows."""
    header = read_header(source)
    count = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for row in dwellings(source):
            writer.writerow([row.get(h, "") for h in header])
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="CSV file to write")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args(argv)
    rows = write_rpls(args.target, args.source)
    print(f"{rows} logements écrits dans {args.target}")


if __name__ == "__main__":
    main()
