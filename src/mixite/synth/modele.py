"""The generator's model: calibration targets and behavioural parameters (``modele.yaml``).

These numbers are statistical conventions of the demo territory, each target with its public
source; legal values (consumption-unit scale, Q1 thresholds) are read from ``mixite.params``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mixite.errors import ConfigError
from mixite.params import default_parameters, read_yaml_file

MODEL_PATH = Path(__file__).with_name("modele.yaml")
SIZES = ("petite", "moyenne", "grande")


@lru_cache(maxsize=1)
def load_model() -> dict[str, Any]:
    """The packaged model as a nested dict (read once)."""
    data = read_yaml_file(MODEL_PATH).tree
    if not isinstance(data, dict):
        raise ConfigError(f"Modèle du territoire synthétique illisible : {MODEL_PATH}.")
    return data


def territory_model(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the packaged model with ``overrides`` merged in: mappings are merged key by key,
    any other value (numbers, lists) replaces the packaged one. The model of one territory of
    the synthetic France (``mixite.synth.france``): its name, SIREN, communes, thresholds."""

    def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in extra.items():
            old = out.get(key)
            if isinstance(old, dict) and isinstance(value, Mapping):
                out[key] = merge(old, value)
            else:
                out[key] = copy.deepcopy(value)
        return out

    return merge(copy.deepcopy(load_model()), overrides)


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


def reference_thresholds(year: int, model: Mapping[str, Any] | None = None) -> Thresholds:
    """Arrêté thresholds of the reference EPCI in force in ``year`` (legal parameter
    ``seuils_q1``: mapping SIREN → {q1, q2, q3}), or those the model gives for that year
    (``epci_reference.seuils``: year → {q1, q2, q3, source}, for an EPCI absent from one
    year's arrêté)."""
    ref = (load_model() if model is None else model)["epci_reference"]
    given = (ref.get("seuils") or {}).get(year)
    if isinstance(given, Mapping):
        return Thresholds(
            year,
            float(given["q1"]),
            float(given["q2"]),
            float(given["q3"]),
            str(given.get("source", "")),
        )
    siren = str(ref["siren"])
    param = default_parameters().get("seuils_q1", dt.date(year, 6, 30))
    entry = param.value.get(siren) if isinstance(param.value, dict) else None
    if not isinstance(entry, dict) or not {"q1", "q2", "q3"} <= set(entry):
        raise ConfigError(
            f"Le paramètre seuils_q1 ne contient pas l'EPCI de référence {ref['nom']} "
            f"(SIREN {siren}) en {year}. Complétez le fichier de paramètres ou changez "
            "« epci_reference » dans le modèle du territoire synthétique."
        )
    return Thresholds(
        year, float(entry["q1"]), float(entry["q2"]), float(entry["q3"]), param.reference
    )
