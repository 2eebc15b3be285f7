"""Reader of the RPLS "données détaillées au logement" (open 2025 and 2023 files, and the optional
restricted columns) into the canonical ``dwellings`` table.

Column choices (``docs/formats.md`` documents them for users):

* QPV: each generation of the geography is read on its own. 2024 (``qpv_2024``): the geocoded
  ``PLG_QP24``; 2015 (``qpv_2015``): ``PLG_QP15``, or ``PLG_QP`` in the 2023 file. Where the
  geocoded cell is empty, ``QPV_CODE`` (declared by the landlord) is used if it is a well-formed
  code of that generation (``QN…`` for 2024, ``QP…`` for 2015); any other ``QPV_CODE`` value is
  ignored (its semantics are not documented). ``qpv_<generation>_source`` says how each is
  known: ``geocode``, ``declare`` or ``inconnu``; in a file geocoded for a generation (one code
  at least), an empty geocoded cell means « outside every QPV » (``geocode``).
  ``qpv_code``/``in_qpv`` are those of the most recent generation geocoded in the file (the
  declared code without geocoded column); the import (``mixite.qpv.locate_dwellings``) then
  locates the unknown dwellings by their coordinates and sets the generation in force.
* ``EPSG``: the coordinate system of ``X``/``Y`` (``epsg``), kept with the raw coordinates.
* IRIS: the first column named ``PLG_IRIS…_CODE`` (``PLG_IRIS2024_CODE``, ``PLG_IRIS2022_CODE``…).
* ``commune``: ``DEPCOM`` with the Paris, Lyon and Marseille arrondissements mapped to their
  parent commune (75056, 69123, 13055); ``depcom`` keeps the arrondissement.
* ``construction_type``: from the label ``TYPECONST_LIBELLE`` (« étudiant » → etudiant,
  « individuel » → individuel, « collectif » → collectif), else from ``TYPECONST_CODE`` letters
  ``E``/``I``/``C``.
* ``CONV``: 1 = conventionné, 2 (or 0) = non conventionné. ``NEWLOGT_CODE``: 1 = new, 2 or 0 =
  not new; empty or absent = not new.
* ``LOYERPRINC`` 9999 means "not applicable" and becomes empty.
* The open file has no dwelling or residence identifier. ``dwelling_id`` is then
  ``"L"`` + the first 16 hex digits of the MD5 of the row number and the row content (stable for
  the same file); ``residence_id`` is ``"R"`` + 12 hex digits of the MD5 of the commune and the
  address (number, repetition index, street type and name), or of the commune and the
  coordinates rounded to 10 m when the address is empty. With the restricted file,
  ``IDENT_INT`` and ``PROGRAMME`` are used as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.io._convert import convert, derived_columns, raw_text, value_sql
from mixite.io._fields import VALUE, Check, Field
from mixite.io._load import load_raw
from mixite.io._sql import q, sql_str
from mixite.io.mapping import ColumnMapping, as_mapping
from mixite.io.tables import resolve_columns
from mixite.schema import DWELLINGS, FINAN_FAMILY, QPV_CODE_PATTERN, SIREN_PATTERN

__all__ = ["RPLS_2025_COLUMNS", "RPLS_RESTRICTED_COLUMNS", "read_rpls"]

#: Exact header of the open RPLS 2025 file (73 columns, ``;``).
RPLS_2025_COLUMNS: tuple[str, ...] = (
    "REG_CODE", "REG_LIBELLE", "LIBREG", "DEP_CODE", "DEP_LIBELLE", "LIBDEP", "EPCI_CODE",
    "EPCI_LIBELLE", "LIBEPCI", "DROIT_CODE", "DROIT_LIBELLE", "DEPCOM", "CODEPOSTAL", "LIBCOM",
    "NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE", "ETAGE", "COMPLGEO", "LIEUDIT", "QPV_CODE",
    "QPV_LIBELLE", "TYPECONST_CODE", "TYPECONST_LIBELLE", "NBPIECE", "SURFHAB", "CONSTRUCT",
    "LOCAT", "PATRIMOINE", "ORIGINE", "FINAN_CODE", "FINAN_LIBELLE", "FINANAUTRE", "CONV",
    "NUMCONV", "DATCONV", "NEWLOGT_CODE", "NEWLOGT_LIBELLE", "CUS", "DPEDATE", "DPEENERGIE",
    "DPESERRE", "SRU_EXPIR", "SRU_ALINEA", "CODSEGPATRIM", "LIBSEGPATRIM", "PMR_CODE",
    "PMR_LIBELLE", "PLG_VOIE", "EPSG", "X", "Y", "PLG_QP24", "PLG_QP15", "PLG_IRIS2024_CODE",
    "PLG_IRIS2024_LIBELLE", "PLG_ZUS", "PLG_QVA", "QUALITE_VOIE", "QUALITE_NUMERO",
    "QUALITE_XY", "DISTANCE_PRECISION", "QUALITE_QP24", "QUALITE_QP15", "QUALITE_IRIS",
    "QUALITE_ZUS", "QUALITE_QVA", "COMAQP", "COMAZUS", "UU2020", "AAV2020", "ZE2020",
)  # fmt: skip

#: Columns of the restricted file that the reader uses when present.
RPLS_RESTRICTED_COLUMNS: tuple[str, ...] = (
    "IDENT_INT",
    "PROGRAMME",
    "IDENT_REP",
    "RAISON_SOCIALE",
    "LOYERPRINC",
    "MODE",
    "BAIL",
    "REMLOCDATE",
)

#: RPLS columns read (besides the QPV/IRIS ones found by prefix), with what they hold.
_USED: dict[str, str] = {
    "DEPCOM": "code INSEE de la commune ou de l'arrondissement",
    "EPCI_CODE": "SIREN de l'EPCI",
    "NUMVOIE": "numéro dans la voie",
    "INDREP": "indice de répétition",
    "TYPVOIE": "type de voie",
    "NOMVOIE": "nom de la voie",
    "QPV_CODE": "QPV déclaré par le bailleur",
    "TYPECONST_CODE": "type de construction (code)",
    "TYPECONST_LIBELLE": "type de construction (libellé)",
    "NBPIECE": "nombre de pièces",
    "SURFHAB": "surface habitable",
    "CONSTRUCT": "année d'achèvement",
    "LOCAT": "année de première location",
    "FINAN_CODE": "financement initial",
    "CONV": "conventionnement APL",
    "NEWLOGT_CODE": "logement nouvellement mis en service",
    "DPEENERGIE": "classe DPE énergie",
    "X": "abscisse",
    "Y": "ordonnée",
    "EPSG": "système de coordonnées de X et Y",
    **dict.fromkeys(RPLS_RESTRICTED_COLUMNS, "colonne du fichier à diffusion restreinte"),
}
#: Columns of the 2023 open file that differ from 2025.
_OLDER_COLUMNS = ("PLG_QP", "PLG_IRIS2022_CODE", "PLG_IRIS2022_LIBELLE", "PLG_ZFU", "QUALITE_QP",
                  "QUALITE_ZFU", "COMIRIS")  # fmt: skip
_REQUIRED = ("DEPCOM", "NBPIECE", "SURFHAB", "CONSTRUCT", "FINAN_CODE", "CONV")
#: Geocoded QPV columns (SDES point-in-polygon) and the generation each gives.
_QPV_GEOCODED = (("PLG_QP24", 2024), ("PLG_QP15", 2015), ("PLG_QP", 2015))
_QPV_PRIMARY = tuple((o, "QN" if g == 2024 else "QP") for o, g in _QPV_GEOCODED)
#: Generations of the geography and their code prefix (``QN…`` 2024, ``QP…`` 2015).
_GENERATIONS = ((2024, "QN"), (2015, "QP"))
_IRIS_RE = re.compile(r"^PLG_IRIS\d*_CODE$")
_IRIS_PATTERN = r"^(\d{5}|2[AB]\d{3})\d{4}$"
#: Paris, Lyon, Marseille: arrondissement code ranges → parent commune (COG).
_PLM = (("75101", "75120", "75056"), ("69381", "69389", "69123"), ("13201", "13216", "13055"))
_RENT_NOT_APPLICABLE = 9999
#: Columns whose content, with the row number, makes the identifier of an open-file dwelling.
_ROW_CONTENT = (
    "DEPCOM", "NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE", "TYPECONST_LIBELLE", "NBPIECE",
    "SURFHAB", "CONSTRUCT", "LOCAT", "FINAN_CODE", "CONV", "X", "Y",
)  # fmt: skip


def read_rpls(
    path: str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    known_communes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read an RPLS per-dwelling file (2025 or 2023 open file, restricted columns optional).

    Returns the canonical ``dwellings`` frame. ``mapping`` renames headers of a local extract to
    the official RPLS names (see ``mixite.io.mapping``); ``known_communes`` are commune codes
    accepted even when absent from the COG. Raises ``InputError`` (French) on a bad file.
    """
    rules = as_mapping(mapping)
    file = Path(path)
    plan: dict[str, Any] = {}

    def derive(headers: tuple[str, ...]) -> list[tuple[str, str]]:
        # Fields are planned from the header alone, so that their values are converted in
        # the same pass over the file as the load itself.
        plan["fields"], plan["src"] = _fields(file.name, headers, rules)
        return derived_columns(DWELLINGS, plan["fields"])

    raw = load_raw(file, keep=lambda headers: list(_find(headers, rules).values()), derive=derive)
    try:
        frame = convert(
            raw,
            DWELLINGS,
            plan["fields"],
            known_communes=known_communes,
            check_key="IDENT_INT" in plan["src"],
        )
    finally:
        raw.close()
    return _geocoded_generations(frame)


def _find(headers: Iterable[str], rules: ColumnMapping) -> dict[str, str]:
    """Official RPLS name → file header, for the used columns and the QPV/IRIS ones."""
    names = list(headers)
    effective = [rules.columns.get(h, h).upper() for h in names]
    official = {*RPLS_2025_COLUMNS, *RPLS_RESTRICTED_COLUMNS, *_OLDER_COLUMNS}
    official.update(e for e in effective if _IRIS_RE.match(e) or e.startswith("PLG_"))
    targets = {n: (n,) for n in sorted(official)}
    found = resolve_columns("", names, targets, (), rules, _USED)
    return {
        o: h
        for o, h in found.items()
        if o in _USED or o in {p for p, _ in _QPV_PRIMARY} or _IRIS_RE.match(o)
    }


def _fields(
    file_name: str, headers: tuple[str, ...], rules: ColumnMapping
) -> tuple[list[Field], dict[str, str]]:
    """The fields of ``dwellings`` for a file with these headers, and the official name → file
    header map; ``InputError`` when a required column is missing."""
    src = _find(headers, rules)
    # A header that is itself an official RPLS column is never suggested for a missing one.
    official_headers = {
        h
        for h in headers
        if rules.columns.get(h, h).upper()
        in {*RPLS_2025_COLUMNS, *RPLS_RESTRICTED_COLUMNS, *_OLDER_COLUMNS}
    }
    missing = [n for n in _REQUIRED if n not in src]
    if "TYPECONST_LIBELLE" not in src and "TYPECONST_CODE" not in src:
        missing.append("TYPECONST_LIBELLE")
    for needed in missing:
        resolve_columns(
            file_name, headers, {needed: (needed,)}, (needed,), rules, _USED, official_headers
        )

    def text(official: str) -> str:
        header = src.get(official)
        if header is None:
            return "NULL::VARCHAR"
        return raw_text(header, rules.values.get(official))

    col = DWELLINGS.column
    fields: list[Field] = []

    # Identifiers -------------------------------------------------------------------------
    if "IDENT_INT" in src:
        fields.append(Field(col("dwelling_id"), src["IDENT_INT"], text("IDENT_INT")))
    else:
        # Raw cells (not trimmed): cheaper, and as stable for the same file.
        content = ", ".join(q(src[c]) for c in _ROW_CONTENT if c in src)
        fields.append(
            Field(
                col("dwelling_id"),
                None,
                "NULL::VARCHAR",
                value=f"'L' || left(md5(concat_ws('|', rowid, {content})), 16)",
                generic=False,
            )
        )
    address = (
        "nullif(trim(concat_ws(' ', "
        + ", ".join(text(c) for c in ("NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE"))
        + ")), '')"
    )
    x_val = value_sql("float", text("X"))
    y_val = value_sql("float", text("Y"))
    if "PROGRAMME" in src:
        fields.append(Field(col("residence_id"), src["PROGRAMME"], text("PROGRAMME")))
    else:
        street = ", ".join(
            q(src[c]) for c in ("NUMVOIE", "INDREP", "TYPVOIE", "NOMVOIE") if c in src
        )
        site = (
            f"coalesce(nullif(upper(trim(concat_ws(' ', {street or 'NULL'}))), ''), "
            f"CAST(round({x_val}, -1) AS VARCHAR) || ',' || "
            f"CAST(round({y_val}, -1) AS VARCHAR), '')"
        )
        fields.append(
            Field(
                col("residence_id"),
                None,
                "NULL::VARCHAR",
                value=f"'R' || left(md5(concat_ws('|', {text('DEPCOM')}, {site})), 12)",
                generic=False,
            )
        )
    siren = Check(
        f"{VALUE} IS NOT NULL AND NOT regexp_matches({VALUE}, {sql_str(SIREN_PATTERN)})",
        "Numéro SIREN mal formé",
        "Un SIREN a 9 chiffres, sans espace (par exemple 200056232).",
    )
    fields.append(
        Field(
            col("landlord_id"),
            src.get("IDENT_REP"),
            text("IDENT_REP"),
            checks=(siren,),
        )
    )
    fields.append(Field(col("landlord_name"), src.get("RAISON_SOCIALE"), text("RAISON_SOCIALE")))

    # Geography ---------------------------------------------------------------------------
    depcom = text("DEPCOM")
    fields.append(Field(col("depcom"), src["DEPCOM"], depcom))
    plm = " ".join(
        f"WHEN {depcom} BETWEEN '{lo}' AND '{hi}' THEN '{parent}'" for lo, hi, parent in _PLM
    )
    fields.append(
        Field(
            col("commune"),
            None,
            "NULL::VARCHAR",
            value=f"(CASE {plm} ELSE {depcom} END)",
            generic=False,
        )
    )
    fields.append(
        Field(
            col("epci"),
            src.get("EPCI_CODE"),
            text("EPCI_CODE"),
            checks=(siren,),
        )
    )
    fields.append(Field(col("address"), None, "NULL::VARCHAR", value=address, generic=False))
    qpv_fields = _qpv_fields(src, text)
    fields.extend(qpv_fields)
    iris_header = next((h for o, h in src.items() if _IRIS_RE.match(o)), None)
    iris = raw_text(iris_header) if iris_header else "NULL::VARCHAR"
    fields.append(
        Field(
            col("iris"),
            iris_header,
            iris,
            checks=(
                Check(
                    f"{VALUE} IS NOT NULL AND NOT regexp_matches({VALUE}, '{_IRIS_PATTERN}')",
                    "Code IRIS mal formé",
                    "Un code IRIS a 9 caractères : le code commune puis 4 chiffres "
                    "(par exemple 951270101).",
                ),
            ),
        )
    )
    fields.append(Field(col("x"), src.get("X"), text("X")))
    fields.append(Field(col("y"), src.get("Y"), text("Y")))
    fields.append(Field(col("epsg"), src.get("EPSG"), text("EPSG")))

    # Characteristics ---------------------------------------------------------------------
    fields.append(_construction_type_field(src, text))
    fields.append(Field(col("rooms"), src["NBPIECE"], text("NBPIECE")))
    fields.append(Field(col("surface"), src["SURFHAB"], text("SURFHAB")))
    for name, official in (("construction_year", "CONSTRUCT"), ("first_letting_year", "LOCAT")):
        fields.append(
            Field(
                col(name),
                src.get(official),
                text(official),
                checks=(
                    Check(
                        f"{VALUE} > year(current_date)",
                        "Année dans le futur",
                        "Corrigez l'année : elle doit être passée.",
                    ),
                ),
            )
        )
    finan = text("FINAN_CODE")
    fields.append(Field(col("finan_code"), src["FINAN_CODE"], finan))
    families = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in FINAN_FAMILY.items())
    fields.append(
        Field(
            col("finan_family"),
            None,
            "NULL::VARCHAR",
            value=f"(CASE {finan} {families} END)",
            generic=False,
        )
    )
    fields.append(
        _coded_bool(
            "conventionne",
            src["CONV"],
            text("CONV"),
            "CONV vaut 1 (logement conventionné à l'APL) ou 2 (non conventionné).",
            required=True,
        )
    )
    fields.append(
        _coded_bool(
            "new_dwelling",
            src.get("NEWLOGT_CODE"),
            text("NEWLOGT_CODE"),
            "NEWLOGT_CODE vaut 1 (mis en service l'année précédente) ou 2 (non).",
            required=False,
        )
    )
    dpe = f"upper({text('DPEENERGIE')})"
    fields.append(Field(col("dpe_energy"), src.get("DPEENERGIE"), text("DPEENERGIE"), value=dpe))

    # Restricted columns ------------------------------------------------------------------
    # 9999 = "not applicable": treated as an empty cell.
    loyer = text("LOYERPRINC")
    rent_raw = f"(CASE WHEN {value_sql('float', loyer)} = {_RENT_NOT_APPLICABLE} THEN NULL ELSE {loyer} END)"
    fields.append(Field(col("rent"), src.get("LOYERPRINC"), rent_raw))
    fields.append(Field(col("occupancy_mode"), src.get("MODE"), text("MODE")))
    fields.append(Field(col("lease_start"), src.get("BAIL"), text("BAIL")))
    fields.append(Field(col("vacancy_start"), src.get("REMLOCDATE"), text("REMLOCDATE")))

    return fields, src


def _qpv_fields(src: dict[str, str], text: Any) -> list[Field]:
    """The QPV fields of a dwelling: the code of each generation and how it is known, then the
    code and flag of the generation the file describes (the most recent one geocoded in the
    file; ``mixite.qpv.locate_dwellings`` sets the one in force at the millésime's date)."""
    col = DWELLINGS.column
    declared = text("QPV_CODE")
    well_formed = f"regexp_matches({declared}, {sql_str(QPV_CODE_PATTERN)})"
    out: dict[str, Field] = {}
    values: dict[int, str] = {}
    for generation, prefix in _GENERATIONS:
        geocoded_name = next((o for o, g in _QPV_GEOCODED if g == generation and o in src), None)
        fallback = (
            f"(CASE WHEN starts_with({declared}, '{prefix}') AND {well_formed} THEN {declared} END)"
        )
        if geocoded_name is None:
            value = fallback
            source = f"(CASE WHEN {fallback} IS NOT NULL THEN 'declare' ELSE 'inconnu' END)"
            out[f"qpv_{generation}"] = Field(
                col(f"qpv_{generation}"), src.get("QPV_CODE"), declared, value=value, generic=False
            )
        else:
            geocoded = text(geocoded_name)
            value = f"coalesce({geocoded}, {fallback})"
            source = (
                f"(CASE WHEN {geocoded} IS NOT NULL THEN 'geocode' "
                f"WHEN {fallback} IS NOT NULL THEN 'declare' ELSE 'inconnu' END)"
            )
            out[f"qpv_{generation}"] = Field(
                col(f"qpv_{generation}"), src[geocoded_name], geocoded, value=value
            )
        values[generation] = value
        out[f"qpv_{generation}_source"] = Field(
            col(f"qpv_{generation}_source"), None, "NULL::VARCHAR", value=source, generic=False
        )
    geocoded_generations = [g for o, g in _QPV_GEOCODED if o in src]
    if geocoded_generations:
        current = values[max(geocoded_generations)]
    else:
        current = f"(CASE WHEN {well_formed} THEN {declared} END)"
    code = Field(col("qpv_code"), None, "NULL::VARCHAR", value=current, generic=False)
    flag = Field(
        col("in_qpv"), None, "NULL::VARCHAR", value=f"({current} IS NOT NULL)", generic=False
    )
    return [
        code,
        flag,
        out["qpv_2024"],
        out["qpv_2024_source"],
        out["qpv_2015"],
        out["qpv_2015_source"],
    ]


def _geocoded_generations(frame: pd.DataFrame) -> pd.DataFrame:
    """A file geocoded for a generation (one code found by the geocoder at least) says « outside
    every QPV » where its geocoded column is empty: those rows are known, not unknown."""
    for generation, _ in _GENERATIONS:
        source = frame[f"qpv_{generation}_source"]
        if (source == "geocode").any():
            frame.loc[source == "inconnu", f"qpv_{generation}_source"] = "geocode"
    return frame


def _construction_type_field(src: dict[str, str], text: Any) -> Field:
    col = DWELLINGS.column("construction_type")
    label = f"lower({text('TYPECONST_LIBELLE')})"
    code = f"upper({text('TYPECONST_CODE')})"
    value = (
        f"(CASE WHEN {label} LIKE '%tudiant%' THEN 'etudiant' "
        f"WHEN {label} LIKE '%individuel%' THEN 'individuel' "
        f"WHEN {label} LIKE '%collectif%' THEN 'collectif' "
        f"WHEN {label} IS NULL AND {code} = 'E' THEN 'etudiant' "
        f"WHEN {label} IS NULL AND {code} = 'I' THEN 'individuel' "
        f"WHEN {label} IS NULL AND {code} = 'C' THEN 'collectif' END)"
    )
    source = "TYPECONST_LIBELLE" if "TYPECONST_LIBELLE" in src else "TYPECONST_CODE"
    raw = f"coalesce({text('TYPECONST_LIBELLE')}, {text('TYPECONST_CODE')})"
    return Field(
        col,
        src[source],
        raw,
        value=value,
        generic=False,
        checks=(
            Check(
                f"{raw} IS NULL",
                "Valeur manquante dans une colonne obligatoire",
                f"Renseignez « {src[source]} » (type de construction) sur cette ligne.",
            ),
            Check(
                f"{raw} IS NOT NULL AND {VALUE} IS NULL",
                "Type de construction inconnu",
                "Le libellé doit contenir « collectif », « individuel » ou « étudiant » "
                "(ou le code C, I ou E).",
            ),
        ),
    )


def _coded_bool(name: str, header: str | None, raw: str, fix: str, *, required: bool) -> Field:
    col = DWELLINGS.column(name)
    value = (
        f"(CASE WHEN lower({raw}) IN ('1', 'oui', 'o') THEN true "
        f"WHEN lower({raw}) IN ('2', '0', 'non', 'n') THEN false END)"
    )
    checks = [
        Check(
            f"{raw} IS NOT NULL AND {value} IS NULL",
            f"Code {header} inconnu" if header else "Code inconnu",
            fix,
        )
    ]
    if required:
        checks.insert(
            0,
            Check(
                f"{raw} IS NULL",
                "Valeur manquante dans une colonne obligatoire",
                f"Renseignez « {header} » sur cette ligne. {fix}",
            ),
        )
    return Field(
        col,
        header,
        raw,
        value=f"coalesce({value}, false)",
        generic=False,
        checks=tuple(checks),
    )
