"""Column mapping: import a local extract whose headers (or codes) differ from mixite's format.

A mapping file is YAML (French keys)::

    table: demandes                  # optional: the kind of file it maps
    colonnes:                        # header in your file: mixite header (or canonical name)
      "N° unique": numero_unique
      "Date de dépôt": date_depot
    valeurs:                         # optional: per mixite column, your code: mixite code
      logement_actuel:
        "Locataire HLM": locataire_hlm
        "Hébergé famille": heberge_famille

Unknown keys, a target that is not a column of the table and two file headers mapped to the same
column are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixite.errors import InputError, Location
from mixite.params import YAML_MAX_BYTES, YamlDocument, YamlError, read_yaml_file

__all__ = ["ColumnMapping", "as_mapping", "load_mapping", "read_yaml_input", "yaml_input_error"]

_KEYS = {"table", "colonnes", "valeurs"}
#: Largest mapping file accepted (bytes): a few hundred headers and codes.
MAPPING_MAX_BYTES = 256 * 1024


@dataclass(frozen=True)
class ColumnMapping:
    """File header → mixite header or canonical name; per-column value maps."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    table: str | None = None
    source: str = "correspondance"


def yaml_input_error(exc: YamlError, name: str, what: str, fix: str) -> InputError:
    """The ``InputError`` of a YAML file refused by the strict loader (``params.parse_yaml``):
    ``what`` names the file for the user (« Fichier YAML », « Fichier de correspondance YAML »),
    ``fix`` is the syntax advice of that kind of file."""
    where = Location(name, exc.line, exc.key)
    if exc.kind == "syntax":
        return InputError(f"{what} illisible", where, fix)
    if exc.kind == "duplicate":
        return InputError("Clé en double", where, "Supprimez l'une des deux occurrences.")
    if exc.kind == "alias":
        return InputError(
            "Ancres et alias YAML (« & », « * ») non acceptés",
            where,
            "Écrivez chaque valeur en entier, sans « & » ni « * ».",
        )
    if exc.kind == "encoding":
        return InputError(f"{what} non encodé en UTF-8", where, "Enregistrez-le en UTF-8.")
    return InputError(f"{what} refusé : {exc.problem}", where, "Corrigez le fichier.")


def read_yaml_input(
    file: Path,
    what: str,
    fix: str,
    *,
    missing: str = "Fichier introuvable",
    max_bytes: int = YAML_MAX_BYTES,
) -> YamlDocument:
    """A YAML input file read by the strict loader; ``InputError`` in French when it is absent
    (``missing``) or refused (``yaml_input_error`` with ``what`` and ``fix``)."""
    try:
        return read_yaml_file(file, max_bytes=max_bytes)
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(missing, Location(str(file)), "Vérifiez le chemin.") from None
    except YamlError as exc:
        raise yaml_input_error(exc, file.name, what, fix) from None


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a YAML mapping file (format above); ``InputError`` in French when malformed."""
    file = Path(path)
    name = file.name
    tree = read_yaml_input(
        file,
        "Fichier de correspondance YAML",
        "Vérifiez l'indentation et mettez entre guillemets les noms de colonnes qui "
        "contiennent « : » ou « # ».",
        missing="Fichier de correspondance introuvable",
        max_bytes=MAPPING_MAX_BYTES,
    ).tree
    return _from_tree(tree, name)


def _from_tree(tree: Any, name: str) -> ColumnMapping:
    if not isinstance(tree, dict) or "colonnes" not in tree:
        raise InputError(
            "Le fichier de correspondance doit contenir une section « colonnes »",
            Location(name),
            'Écrivez « colonnes: » puis une ligne « "en-tête de votre fichier": en_tete_mixite » '
            "par colonne.",
        )
    unknown = sorted(set(tree) - _KEYS, key=str)  # a YAML key may be null (« ? » alone)
    if unknown:
        raise InputError(
            "Clé inconnue dans le fichier de correspondance",
            Location(name, column="(clé vide)" if unknown[0] is None else str(unknown[0])),
            "Clés permises : table, colonnes, valeurs.",
        )
    columns = tree["colonnes"]
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise InputError(
            "La section « colonnes » doit associer chaque en-tête à un nom de colonne mixite",
            Location(name, column="colonnes"),
            'Écrivez une ligne « "en-tête de votre fichier": en_tete_mixite » par colonne.',
        )
    values = tree.get("valeurs") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InputError(
            "La section « valeurs » doit associer chaque colonne à une table de codes",
            Location(name, column="valeurs"),
            "Écrivez « valeurs: », puis le nom de la colonne mixite, puis une ligne "
            '« "votre code": code_mixite » par code.',
        )
    table = tree.get("table")
    return ColumnMapping(
        columns={str(k): str(v) for k, v in columns.items()},
        values={str(c): {str(k): str(v) for k, v in m.items()} for c, m in values.items()},
        table=None if table is None else str(table),
        source=name,
    )


def as_mapping(mapping: ColumnMapping | Mapping[str, Any] | str | Path | None) -> ColumnMapping:
    """Normalise the ``mapping`` argument of the readers.

    Accepts a ``ColumnMapping``, a path to a YAML mapping file, a plain ``{header: target}`` dict,
    or a dict shaped like the YAML file (with ``colonnes``/``valeurs``).
    """
    if mapping is None:
        return ColumnMapping()
    if isinstance(mapping, ColumnMapping):
        return mapping
    if isinstance(mapping, str | Path):
        return load_mapping(mapping)
    if "colonnes" in mapping:
        return _from_tree(dict(mapping), "correspondance")
    return ColumnMapping(columns={str(k): str(v) for k, v in mapping.items()})
