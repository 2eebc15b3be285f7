"""Orchestration: generate a synthetic territory, chunk by chunk, into a folder of files.

Territory-level tables (communes, QPV, landlords, residences, reservations) are small; dwellings,
occupant households, attributions and applications are generated and written per chunk, each
chunk with its own child generator spawned from the caller's ``rng``: the same seed and size give
byte-identical files, and memory stays bounded whatever the size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mixite.household import UcScale
from mixite.schema import APPLICATIONS, ATTRIBUTIONS, COMMUNES, HOUSEHOLDS, LANDLORDS, RESERVATIONS
from mixite.synth import formats
from mixite.synth.calibration import Tally, calibration_figures, write_calibration_report
from mixite.synth.geographie import build_geography, communes_geojson, qpv_geojson
from mixite.synth.menages import build_applications, build_attributions, build_households
from mixite.synth.modele import SizeProfile, load_model, reference_thresholds
from mixite.synth.parc import build_dwellings, build_landlords, build_reservations, build_residences

#: File names of a generated territory (contracts).
FILES = {
    "rpls": "rpls.csv",
    "applications": "demandes.csv",
    "attributions": "attributions.csv",
    "households": "occupation.csv",
    "reservations": "reservations.csv",
    "communes": "communes.csv",
    "landlords": "bailleurs.csv",
    "qpv": "qpv.geojson",
    "commune_contours": "communes.geojson",
    "territory": "territoire.yaml",
    "commitments": "engagements.yaml",
    "calibration": "calibration.md",
}
DEFAULT_CHUNK = 100_000


@dataclass
class GenerationResult:
    """What a generation wrote: file paths, row counts and the calibration figures."""

    folder: Path
    paths: dict[str, Path]
    counts: dict[str, int]
    figures: list[Any] = field(default_factory=list)
    tally: Tally | None = None


def _chunks(sizes: np.ndarray, chunk: int) -> list[tuple[int, int]]:
    """Residence index ranges holding about ``chunk`` dwellings each."""
    bounds = [0]
    acc = 0
    for i, s in enumerate(sizes):
        acc += int(s)
        if acc >= chunk:
            bounds.append(i + 1)
            acc = 0
    if bounds[-1] != len(sizes):
        bounds.append(len(sizes))
    return list(itertools.pairwise(bounds))


def territory_yaml(model: dict[str, Any]) -> str:
    """Text of ``territoire.yaml`` (contract: nom, siren_epci, siren_epci_seuils, thresholds;
    ``seuil_q1`` when the model gives Q1 thresholds the arrêtés lack, ``territoire.seuil_q1``)."""
    terr = model["territoire"]
    reference = model["epci_reference"]
    data: dict[str, Any] = {
        "nom": terr["nom"],
        "siren_epci": str(terr["siren_epci"]),
        "siren_epci_seuils": str(reference["siren"]),
    }
    if terr.get("seuil_q1"):
        data["seuil_q1"] = {int(y): float(v) for y, v in terr["seuil_q1"].items()}
    data["taux_effort_max"] = float(terr["taux_effort_max"])
    data["reste_a_vivre_min"] = float(terr["reste_a_vivre_min"])
    own = str(reference["siren"]) == str(terr["siren_epci"])
    head = "# Territoire synthétique généré par « mixite generer » (données fictives).\n" + (
        "# Seuils Q1/Q2/Q3 : ceux des arrêtés pour cet EPCI.\n"
        if own
        else f"# Seuils Q1/Q2/Q3 : ceux de l'EPCI réel comparable {reference['nom']}.\n"
    )
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def commitments_yaml(model: dict[str, Any]) -> str:
    """Text of ``engagements.yaml``: the fictitious CIA's commitments of the model (format of
    ``io.commitments``)."""
    head = (
        "# Taux adaptés et engagements de la convention intercommunale d'attribution du\n"
        "# territoire synthétique (données fictives), lus par « mixite importer ».\n"
    )
    data = {"engagements": [dict(item) for item in model.get("engagements", [])]}
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def generate(
    folder: Path,
    rng: np.random.Generator,
    profile: SizeProfile,
    millesime: int,
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    model: dict[str, Any] | None = None,
) -> GenerationResult:
    """Write a synthetic territory of ``profile.dwellings`` dwellings into ``folder``.

    Millésime convention: RPLS stock at 1/1/``millesime``, attributions with leases signed in
    ``millesime - 1``, applications pending at 31/12/``millesime - 1``, occupancy at
    1/1/``millesime``. ``progress(done, total)`` is called after each chunk of dwellings.
    ``model``: the territory's model (``modele.territory_model``), the packaged one when None."""
    model = load_model() if model is None else model
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: folder / v for k, v in FILES.items()}
    terr = model["territoire"]
    r_geo, r_res, r_conv, r_rest = rng.spawn(4)

    geo = build_geography(
        r_geo, model, profile.dwellings, str(terr["siren_epci"]), str(terr["nom"])
    )
    landlords = build_landlords(model)
    residences = build_residences(r_res, model, geo, landlords, profile.dwellings, millesime)
    reservations = build_reservations(r_conv, model, landlords, residences, geo.communes)
    thr_attr = reference_thresholds(millesime - 1, model)
    thr_demand = reference_thresholds(millesime, model)
    scale = UcScale.from_parameters(dt.date(millesime - 1, 1, 1))

    apl_zones = geo.communes["apl_zone"].to_numpy().astype(np.int64)
    tally = Tally()
    ranges = _chunks(residences["n_dwellings"].to_numpy(), chunk)
    chunk_rngs = r_rest.spawn(len(ranges) + 1)
    counts = {"dwellings": 0, "attributions": 0, "households": 0}
    with (
        paths["rpls"].open("wb") as f_rpls,
        paths["attributions"].open("wb") as f_att,
        paths["households"].open("wb") as f_hh,
    ):
        for k, (a, b) in enumerate(ranges):
            crng = chunk_rngs[k]
            d = build_dwellings(
                crng,
                model,
                residences.iloc[a:b],
                millesime,
                counts["dwellings"] + 1,
                profile.turnover,
            )
            att = build_attributions(
                crng,
                model,
                d,
                reservations,
                geo.communes,
                thr_attr,
                scale,
                millesime,
                counts["attributions"] + 1,
            )
            hh = build_households(
                crng,
                model,
                d,
                att,
                thr_demand,
                scale,
                counts["households"] + 1,
                apl_zones,
                dt.date(millesime, 1, 1),
            )
            formats.write_rpls(d, geo, model, f_rpls, header=k == 0)
            formats.write_mixite(att, ATTRIBUTIONS, f_att, header=k == 0)
            formats.write_mixite(hh, HOUSEHOLDS, f_hh, header=k == 0)
            tally.add_stock(d, hh, geo, model, thr_demand, scale, millesime)
            tally.add_attributions(att)
            counts["dwellings"] += len(d)
            counts["attributions"] += len(att)
            counts["households"] += len(hh)
            if progress is not None:
                progress(counts["dwellings"], profile.dwellings)

    # pending applications, in proportion to the attributions (pressure ratio)
    n_apps = round(profile.pressure * counts["attributions"])
    weights = (
        residences.groupby("commune_idx")["n_dwellings"]
        .sum()
        .reindex(range(len(geo.communes)), fill_value=0)
    ).to_numpy(dtype=float) + 1.0
    app_rng = chunk_rngs[-1]
    per = max(1, chunk)
    app_rngs = app_rng.spawn(max(1, -(-n_apps // per)))
    with paths["applications"].open("wb") as f_app:
        done = 0
        for k, arng in enumerate(app_rngs):
            m = min(per, n_apps - done)
            apps = build_applications(
                arng,
                model,
                m,
                done + 1,
                geo.communes,
                weights,
                thr_demand,
                scale,
                millesime,
                profile.demand_mutation_share,
            )
            formats.write_mixite(apps, APPLICATIONS, f_app, header=k == 0)
            tally.add_applications(apps, scale)
            done += m
    counts["applications"] = n_apps

    with paths["reservations"].open("wb") as f:
        formats.write_mixite(reservations, RESERVATIONS, f, header=True)
    with paths["communes"].open("wb") as f:
        # the contours go to their own file (communes.geojson), as IGN publishes them
        flat = dataclasses.replace(
            COMMUNES, columns=tuple(c for c in COMMUNES.columns if c.name != "geometry_wkt")
        )
        formats.write_mixite(geo.communes[flat.names], flat, f, header=True)
    with paths["landlords"].open("wb") as f:
        formats.write_mixite(landlords, LANDLORDS, f, header=True)
    paths["qpv"].write_text(
        json.dumps(qpv_geojson(geo), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    paths["commune_contours"].write_text(
        json.dumps(communes_geojson(geo), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    paths["territory"].write_text(territory_yaml(model), encoding="utf-8")
    paths["commitments"].write_text(commitments_yaml(model), encoding="utf-8")
    counts.update(
        {
            "reservations": len(reservations),
            "communes": len(geo.communes),
            "landlords": len(landlords),
            "qpv": len(geo.qpv),
            "commitments": len(model.get("engagements", [])),
        }
    )
    figures = calibration_figures(tally, model, profile, thr_attr, thr_demand)
    write_calibration_report(
        paths["calibration"], figures, profile, millesime, counts, model, tally
    )
    return GenerationResult(folder, paths, counts, figures, tally)
