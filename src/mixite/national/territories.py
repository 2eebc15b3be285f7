"""The territories of a national folder: one sub-folder of official files per EPCI, listed by
the index ``france.csv`` of the synthetic France when present, else found by their
``territoire.yaml``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from mixite.errors import InputError, Location
from mixite.params import YamlError, read_yaml_file

__all__ = ["Territory", "discover"]


@dataclass(frozen=True)
class Territory:
    """A territory of a national run: SIREN (the name of its results), name, folder of files
    and size (dwellings, or bytes of its files when unknown: the biggest are started first)."""

    siren: str
    name: str
    folder: Path
    size: float


def _from_yaml(folder: Path) -> tuple[str, str]:
    """SIREN and name from ``territoire.yaml`` (the folder's name when unreadable: the import
    will report the problem with the file)."""
    try:
        data = read_yaml_file(folder / "territoire.yaml").tree
    except (OSError, YamlError):
        return folder.name, folder.name
    if not isinstance(data, dict):
        return folder.name, folder.name
    siren = str(data.get("siren_epci") or folder.name).strip()
    return siren, str(data.get("nom") or siren).strip()


def _files_size(folder: Path) -> float:
    return float(sum(f.stat().st_size for f in folder.iterdir() if f.is_file()))


def discover(root: Path, sirens: set[str] | None = None) -> list[Territory]:
    """The territories of ``root`` (only ``sirens`` when given), the biggest first.

    With ``france.csv`` (``mixite generer --france``), its rows (a missing folder fails at the
    import of its territory, which the run reports); otherwise every sub-folder holding a
    ``territoire.yaml``. ``InputError`` when ``root`` is not a folder or holds no territory."""
    if not root.is_dir():
        raise InputError(
            "Dossier introuvable",
            Location(str(root)),
            "Donnez le dossier des territoires (par exemple celui écrit par "
            "« mixite generer --france --dossier … »).",
        )
    found: list[Territory] = []
    index = root / "france.csv"
    if index.is_file():
        with index.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                found.append(
                    Territory(
                        row["siren"], row["nom"], root / row["dossier"], float(row["logements"])
                    )
                )
    else:
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if (folder / "territoire.yaml").is_file():
                siren, name = _from_yaml(folder)
                found.append(Territory(siren, name, folder, _files_size(folder)))
    if sirens is not None:
        unknown = sorted(sirens - {t.siren for t in found})
        if unknown:
            raise InputError(
                "SIREN sans territoire dans le dossier",
                Location(str(root), value=", ".join(unknown)),
                "Vérifiez les SIREN donnés à --epci (un sous-dossier par EPCI).",
            )
        found = [t for t in found if t.siren in sirens]
    if not found:
        raise InputError(
            "Aucun territoire dans le dossier",
            Location(str(root)),
            "Le dossier doit contenir un sous-dossier par EPCI, chacun avec ses fichiers et "
            "son territoire.yaml (voir docs/national.md).",
        )
    return sorted(found, key=lambda t: (-t.size, t.siren))
