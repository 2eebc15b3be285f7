"""The generator's model: calibration targets and behavioural parameters (``modele.yaml``).

These numbers are statistical conventions of the demo territory, each target with its public
source; legal values (consumption-unit scale, Q1 thresholds) are read from ``mixite.params``
when the parameter files provide them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mixite.errors import ConfigError, ParameterError
from mixite.params import default_parameters

MODEL_PATH = Path(__file__).with_name("modele.yaml")
SIZES = ("petite", "moyenne", "grande")


@lru_cache(maxsize=1)
def load_model() -> dict[str, Any]:
    """The packaged model as a nested dict (read once)."""
    data = yaml.safe_load(MODEL_PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigError(f"Modèle du territoire synthétique illisible : {MODEL_PATH}.")
    return data


@dataclass(frozen=True)
class SizeProfile:
    """How big the territory is and how tight its market is."""

    name: str
    dwellings: int
    turnover: float
    pressure: float
    demand_mutation_share: float


def size_profile(size: str | None = None, dwellings: int | None = None) -> SizeProfile:
    """Profile of a named size (``petite``, ``moyenne``, ``grande``) or of ``dwellings`` dwellings.

    A free size uses the national proportions (``libre`` in the model)."""
    sizes = load_model()["tailles"]
    if dwellings is not None:
        if dwellings < 200:
            raise ConfigError(
                f"Nombre de logements trop petit ({dwellings}). "
                "Demandez au moins 200 logements (option --logements)."
            )
        prof = sizes["libre"]
        name = size or "libre"
    else:
        name = size or "moyenne"
        if name not in SIZES:
            raise ConfigError(
                f"Taille « {name} » inconnue. Choisissez parmi : {', '.join(SIZES)}, "
                "ou donnez --logements N."
            )
        prof = sizes[name]
        dwellings = int(prof["logements"])
    return SizeProfile(
        name=name,
        dwellings=int(dwellings),
        turnover=float(prof["rotation"]),
        pressure=float(prof["pression"]),
        demand_mutation_share=float(prof["mutations_demande"]),
    )


@dataclass(frozen=True)
class Thresholds:
    """Q1/Q2/Q3 thresholds (€ per UC per year) of the reference EPCI for one year."""

    year: int
    q1: float
    q2: float
    q3: float
    source: str


def reference_thresholds(year: int) -> Thresholds:
    """Arrêté thresholds of the reference EPCI in force in ``year``.

    Uses the legal parameter ``seuils_q1`` (mapping SIREN → {q1, q2, q3}) when it knows the
    reference EPCI, else the copy in the model (latest year not after ``year``, else the first)."""
    ref = load_model()["epci_reference"]
    siren = str(ref["siren"])
    try:
        table = default_parameters().value("seuils_q1", dt.date(year, 6, 30))
        entry = table.get(siren) if isinstance(table, dict) else None
        if isinstance(entry, dict) and {"q1", "q2", "q3"} <= set(entry):
            return Thresholds(
                year,
                float(entry["q1"]),
                float(entry["q2"]),
                float(entry["q3"]),
                "paramètre seuils_q1",
            )
    except ParameterError:
        pass
    seuils = {int(k): v for k, v in ref["seuils"].items()}
    known = sorted(seuils)
    chosen = max((y for y in known if y <= year), default=known[0])
    s = seuils[chosen]
    return Thresholds(
        year, float(s["q1"]), float(s["q2"]), float(s["q3"]), f"{ref['source']}, {chosen}"
    )


@dataclass(frozen=True)
class UcScale:
    """Consumption-unit weights."""

    first_adult: float
    other_14plus: float
    child_under_14: float


def uc_scale(year: int) -> UcScale:
    """UC weights from the legal parameters ``uc.*`` (fallback: the model's documented scale)."""
    try:
        group = default_parameters().group("uc", dt.date(year, 1, 1))
        return UcScale(
            float(group["premier_adulte"]),
            float(group["autre_14_ans_et_plus"]),
            float(group["enfant_moins_14_ans"]),
        )
    except (ParameterError, KeyError):
        fb = load_model()["uc_repli"]
        return UcScale(
            float(fb["premier_adulte"]),
            float(fb["autre_14_ans_et_plus"]),
            float(fb["enfant_moins_14_ans"]),
        )
