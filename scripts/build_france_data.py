"""Regenerate the reference files of the synthetic France (``mixite generer --france``) from the
real data in ``/work/shared/data``.

Not run by the tests. Usage::

    .venv/bin/python scripts/build_france_data.py [--source /work/shared/data]

Writes:

* ``src/mixite/data/parc_social_communes.csv.gz`` (``;``, UTF-8): one row per commune of the
  DGCL composition of the EPCI à fiscalité propre 2026 (``cog_epci/epcicom_2026.csv``):
  ``code`` (COG 2026), ``population`` (population municipale en vigueur en 2025, column
  ``pmun_2025`` of the DGCL file) and ``taux_logements_sociaux`` (% of social dwellings among
  main residences in 2024, data.gouv.fr « Taux de logements sociaux dans les communes »,
  republished by bpineau/gazetteer: ``reel/sru/taux_logements_sociaux_communes_2024.csv``;
  empty when the commune is absent from that file, as the overseas départements are).
* ``src/mixite/data/regions.csv`` (``code;nom``) and ``src/mixite/data/departements.csv``
  (``code;region;nom``): INSEE COG 2026 regions and départements (``cog_epci/regions.csv``,
  ``cog_epci/departements.csv``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "mixite" / "data"


def _rows(path: Path, delimiter: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def build(source: Path) -> None:
    rates = {
        r["insee_com"]: r["taux_lls_pct"]
        for r in _rows(source / "reel" / "sru" / "taux_logements_sociaux_communes_2024.csv", ";")
    }
    members = _rows(source / "cog_epci" / "epcicom_2026.csv", ";")
    seen: set[str] = set()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["code", "population", "taux_logements_sociaux"])
    for row in sorted(members, key=lambda r: r["insee"]):
        code = row["insee"]
        if not code or code in seen:  # the file ends with an empty row
            continue
        seen.add(code)
        writer.writerow([code, int(float(row["pmun_2025"])), rates.get(code, "")])
    # mtime=0: the same sources give a byte-identical file
    with (
        (DATA / "parc_social_communes.csv.gz").open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f,
    ):
        f.write(out.getvalue().encode("utf-8"))

    regions = _rows(source / "cog_epci" / "regions.csv", ",")
    with (DATA / "regions.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["code", "nom"])
        for r in sorted(regions, key=lambda r: r["REG"]):
            w.writerow([r["REG"], r["LIBELLE"]])
    deps = _rows(source / "cog_epci" / "departements.csv", ",")
    with (DATA / "departements.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["code", "region", "nom"])
        for r in sorted(deps, key=lambda r: r["DEP"]):
            w.writerow([r["DEP"], r["REG"], r["LIBELLE"]])
    print(f"{len(seen)} communes, {len(regions)} régions, {len(deps)} départements écrits.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data"))
    build(parser.parse_args().source)


if __name__ == "__main__":
    main()
