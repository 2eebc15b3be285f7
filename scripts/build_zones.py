"""Rebuild ``src/mixite/data/zones_communes.csv.gz``: the housing-benefit zone and the income-
ceiling zone of every commune of the COG 2026.

Usage::

    .venv/bin/python scripts/build_zones.py [--mouvements /work/shared/data/cog_epci/mouvements-communes.csv]

Sources:

* housing-benefit zone (zones I bis, I, II, III of the arrêté du 17 mars 1978 relatif au
  classement des communes par zones géographiques, modifié): the file
  ``openfisca_france/assets/apl/20110914_zonage.csv`` shipped by OpenFisca-France (a dev
  dependency of mixite; licence AGPL-3.0, as mixite), « from an XML file sent to Etalab », dated
  14 September 2011, codes of the COG 2014, with its table of arrondissements and communes
  associées (``commune_depcom_by_subcommune_depcom.json``). The version of OpenFisca-France read
  is written in the header of the output. OpenFisca reads « 1bis » as zone 1 for the benefit;
  the output keeps both (``zone_apl`` 1/2/3 and ``zone_apl_detail`` 1bis/1/2/3).
* the COG 2026 of mixite (``src/mixite/data/communes.csv.gz``, ``scripts/build_reference.py``)
  and the INSEE table of the communes' changes (``mouvements-communes.csv``, COG 2026): a commune
  created since 2014 (commune nouvelle, change of code) takes the zone of the former commune
  whose code it kept (its chef-lieu), else the most favourable zone of its former communes
  (1bis, then 1, 2, 3); an arrondissement or a commune associée or déléguée takes its commune's.
* income-ceiling zone (arrêté du 29 juillet 1987 relatif aux plafonds de ressources des
  bénéficiaires de la législation sur les habitations à loyer modéré, zones « Paris et communes
  limitrophes », « Île-de-France hors Paris et communes limitrophes », « autres régions »): P for
  Paris (and its arrondissements) and the 29 communes bordering it (list below), I for the rest
  of the Île-de-France region (INSEE code 11), A elsewhere. OpenFisca-France's list
  (``model/prestations/logement_social.py``) is the source of the list, with one correction:
  it omits Boulogne-Billancourt (92012), which borders Paris (its entry « Boulogne-Billancourt »
  carries Bagnolet's code 93006 and its entry « Bagnolet » Aubervilliers' code 93001, both also
  bordering Paris).

Communes without an APL zone after these steps are printed and left empty.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from collections import defaultdict, deque
from importlib import metadata, resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "mixite" / "data" / "zones_communes.csv.gz"
DEFAULT_MOUVEMENTS = Path("/work/shared/data/cog_epci/mouvements-communes.csv")

#: Paris (75056) and the communes bordering it: OpenFisca-France's list plus Boulogne-Billancourt.
PARIS_AND_BORDERING = (
    "75056",  # Paris
    "92012",  # Boulogne-Billancourt (missing from OpenFisca-France's list)
    "92024",  # Clichy
    "92040",  # Issy-les-Moulineaux
    "92044",  # Levallois-Perret
    "92046",  # Malakoff
    "92049",  # Montrouge
    "92051",  # Neuilly-sur-Seine
    "92062",  # Puteaux
    "92064",  # Saint-Cloud
    "92073",  # Suresnes
    "92075",  # Vanves
    "93001",  # Aubervilliers
    "93006",  # Bagnolet
    "93045",  # Les Lilas
    "93048",  # Montreuil
    "93055",  # Pantin
    "93061",  # Le Pré-Saint-Gervais
    "93066",  # Saint-Denis
    "93070",  # Saint-Ouen-sur-Seine
    "94018",  # Charenton-le-Pont
    "94033",  # Fontenay-sous-Bois
    "94037",  # Gentilly
    "94041",  # Ivry-sur-Seine
    "94042",  # Joinville-le-Pont
    "94043",  # Le Kremlin-Bicêtre
    "94052",  # Nogent-sur-Marne
    "94067",  # Saint-Mandé
    "94069",  # Saint-Maurice
    "94080",  # Vincennes
)
ILE_DE_FRANCE = "11"
_RANK = {"1bis": 0, "1": 1, "2": 2, "3": 3}


def openfisca_zones() -> tuple[dict[str, str], str]:
    """OpenFisca-France's APL zone (1bis, 1, 2, 3) per COG 2014 code, and its version."""
    assets = resources.files("openfisca_france").joinpath("assets/apl")
    zones: dict[str, str] = {}
    with assets.joinpath("20110914_zonage.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            zones[row["CODGEO"]] = row["Zonage"].strip()
    with assets.joinpath("commune_depcom_by_subcommune_depcom.json").open(encoding="utf-8") as h:
        for sub, parent in json.load(h).items():
            if parent in zones:
                zones.setdefault(sub, zones[parent])
    return zones, metadata.version("OpenFisca-France")


def cog_2026() -> list[dict[str, str]]:
    with gzip.open(
        ROOT / "src" / "mixite" / "data" / "communes.csv.gz", "rt", encoding="utf-8"
    ) as h:
        return list(csv.DictReader(h, delimiter=";"))


def predecessors(mouvements: Path) -> dict[str, set[str]]:
    """Code after a change → codes before it (every kind of change of the INSEE table)."""
    out: dict[str, set[str]] = defaultdict(set)
    with mouvements.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["COM_AV"] != row["COM_AP"] or row["TYPECOM_AV"] != row["TYPECOM_AP"]:
                out[row["COM_AP"]].add(row["COM_AV"])
    return out


def apl_zone(code: str, zones: dict[str, str], before: dict[str, set[str]]) -> str | None:
    """The zone of ``code``: its own, else its chef-lieu's, else the best of its former
    communes (breadth-first through the INSEE changes)."""
    if code in zones:
        return zones[code]
    seen = {code}
    queue = deque([code])
    found: list[str] = []
    while queue and not found:
        for _ in range(len(queue)):
            current = queue.popleft()
            for old in sorted(before.get(current, ())):
                if old in seen:
                    continue
                seen.add(old)
                if old in zones:
                    found.append(zones[old])
                else:
                    queue.append(old)
    if not found:
        return None
    return min(found, key=lambda z: _RANK[z])


def build(mouvements: Path) -> tuple[list[dict[str, str]], str, list[str]]:
    zones, version = openfisca_zones()
    before = predecessors(mouvements)
    rows: list[dict[str, str]] = []
    missing: list[str] = []
    for commune in cog_2026():
        code, parent = commune["code"], commune["parent"]
        anchor = parent if commune["typecom"] in ("ARM", "COMA", "COMD") and parent else code
        detail = zones.get(code) if commune["typecom"] != "COM" else None
        detail = detail or apl_zone(anchor, zones, before)
        if detail is None:
            missing.append(f"{code} {commune['nom']}")
        if anchor in PARIS_AND_BORDERING:
            ceiling = "P"
        elif commune["reg"] == ILE_DE_FRANCE:
            ceiling = "I"
        else:
            ceiling = "A"
        rows.append(
            {
                "code": code,
                "typecom": commune["typecom"],
                "zone_apl": "" if detail is None else detail[0],
                "zone_apl_detail": detail or "",
                "zone_plafonds": ceiling,
            }
        )
    return rows, version, missing


def write(rows: list[dict[str, str]], version: str, target: Path) -> None:
    buffer = io.StringIO()
    buffer.write(
        f"# Zones des communes (COG 2026). Zone APL : OpenFisca-France {version}, "
        "assets/apl/20110914_zonage.csv (zonage du 14/09/2011, arrêté du 17 mars 1978 modifié), "
        "licence AGPL-3.0. Zone des plafonds : arrêté du 29 juillet 1987 (P : Paris et communes "
        "limitrophes ; I : reste de l'Île-de-France ; A : autres régions). "
        "Reconstruit par scripts/build_zones.py.\n"
    )
    writer = csv.DictWriter(
        buffer,
        fieldnames=["code", "typecom", "zone_apl", "zone_apl_detail", "zone_plafonds"],
        delimiter=";",
        lineterminator="\n",
    )
    writer.writeheader()
    writer.writerows(rows)
    with gzip.GzipFile(target, "wb", mtime=0) as handle:
        handle.write(buffer.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mouvements", type=Path, default=DEFAULT_MOUVEMENTS)
    parser.add_argument("--sortie", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    rows, version, missing = build(args.mouvements)
    write(rows, version, args.sortie)
    print(f"{len(rows)} codes écrits dans {args.sortie} (OpenFisca-France {version})")
    if missing:
        print(f"{len(missing)} codes sans zone APL : " + ", ".join(missing[:50]))


if __name__ == "__main__":
    main()
