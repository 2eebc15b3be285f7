"""Reader of the social-housing rate of the communes (article 55 of the SRU law) into the
canonical ``sru`` table (``docs/formats.md`` §10).

Three layouts are recognised by their header:

* the inventory of the ministry in charge of housing, « Communes et inventaire SRU »
  (data.gouv.fr, one row per commune of the SRU perimeter, ``;``): ``Code_INSEE_commune``,
  ``Nom_commune``, ``Nombre_lls_ Inventaire_au_01_01_AAAA``, ``Taux_SRU_au_01_01_AAAA``
  (« 35,28% »), ``Taux_cible_commune_…`` (« 25% »), ``Commune_sru_au_01_01_AAAA``,
  ``commune_deficitaire``, ``Commune_carencée``, ``Commune_exemptée_…`` (0/1) and
  ``Prélèvement_net_…`` (€). The inventory year is the one of the rate's header;
* the rate of every commune (« Taux de logements sociaux dans les communes »): ``insee_com``,
  ``lib_com``, ``taux_lls_pct`` (percent). Its year is read in the file name (« …2024… »), else
  left empty;
* mixite's own ``sru.csv`` (headers of ``schema.SRU``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mixite.io._convert import convert, derived_columns, raw_text, value_sql
from mixite.io._fields import Field
from mixite.io._load import load_raw
from mixite.io._sniff import sniff
from mixite.io.mapping import ColumnMapping
from mixite.schema import SRU

__all__ = ["read_sru", "sru_layout"]

_RATE_RE = re.compile(r"^taux_sru_au_\d{2}_\d{2}_(\d{4})$", re.IGNORECASE)
_YEAR_IN_NAME = re.compile(r"(20\d{2})")


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def sru_layout(headers: Iterable[str]) -> str | None:
    """``inventaire`` (the ministry's inventory), ``taux`` (the rate of every commune), or None
    (mixite's own format, or another file)."""
    folded = {_fold(h) for h in headers}
    if "code_insee_commune" in folded and any(_RATE_RE.match(h) for h in folded):
        return "inventaire"
    if {"insee_com", "taux_lls_pct"} <= folded:
        return "taux"
    return None


def _percent(raw: str) -> str:
    """SQL of a percentage cell (« 35,28% », « 25 % », « 7.0 ») as a ratio."""
    text = f"replace({raw}, '%', '')"
    return f"({value_sql('float', text)} / 100.0)"


def _money(raw: str) -> str:
    """SQL of an amount in euros written with spaces, a decimal comma and a currency sign
    (« 704 921,36 € », whose « € » may arrive as the control character U+0080 of a file
    re-encoded from Windows-1252)."""
    cleaned = f"regexp_replace({raw}, '[^0-9,.-]', '', 'g')"
    return value_sql("float", f"nullif({cleaned}, '')")


def read_sru(
    path: str | Path,
    *,
    mapping: ColumnMapping | Mapping[str, Any] | str | Path | None = None,
    known_communes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Read an SRU file (any of the three layouts) into the canonical ``sru`` frame;
    ``InputError`` (French) on a bad file."""
    file = Path(path)
    layout = sru_layout(sniff(file).headers) if file.is_file() else None
    if layout is None:
        from mixite.io.tables import read_table

        return read_table(file, "sru", mapping, known_communes=known_communes)
    plan: dict[str, Any] = {}

    def keep(headers: tuple[str, ...]) -> list[str]:
        plan["fields"] = _fields(file.name, headers, layout)
        return [f.source for f in plan["fields"] if f.source is not None]

    raw = load_raw(
        file,
        keep=keep,
        derive=lambda _headers: derived_columns(SRU, plan["fields"]),
    )
    try:
        # An SRU file follows the geography of its year: a commune merged since keeps its
        # former code there, which only the format check sees.
        return convert(raw, SRU, plan["fields"], known_communes=known_communes, check_cog=False)
    finally:
        raw.close()


def _fields(file_name: str, headers: tuple[str, ...], layout: str) -> list[Field]:
    col = SRU.column
    by_fold = {_fold(h): h for h in headers}

    def header(*names: str) -> str | None:
        for name in names:
            found = by_fold.get(_fold(name))
            if found is not None:
                return found
        return None

    def text(name: str | None) -> str:
        return "NULL::VARCHAR" if name is None else raw_text(name)

    def latest(prefix: str) -> str | None:
        """The header ``prefix…AAAA`` with the latest year."""
        found = sorted(
            (m.group(1), h)
            for h in headers
            if (m := re.match(rf"^{prefix}.*?(?<!\d)(\d{{4}})(?!\d)", h.strip(), re.IGNORECASE))
        )
        return found[-1][1] if found else None

    if layout == "taux":
        code, name, rate = header("insee_com"), header("lib_com"), header("taux_lls_pct")
        assert code is not None and rate is not None
        year = _YEAR_IN_NAME.search(Path(file_name).stem)
        year_sql = str(int(year.group(1))) if year else "NULL"
        return [
            Field(col("commune"), code, text(code), value=f"lpad({text(code)}, 5, '0')"),
            Field(col("commune_name"), name, text(name)),
            Field(
                col("inventory_year"),
                None,
                "NULL::VARCHAR",
                value=f"CAST({year_sql} AS BIGINT)",
                generic=False,
            ),
            Field(col("sru_rate"), rate, text(rate), value=_percent(text(rate))),
            Field(col("social_dwellings"), None, "NULL::VARCHAR", shown_column="logements"),
            Field(col("target_rate"), None, "NULL::VARCHAR", shown_column="taux cible"),
            Field(col("sru_status"), None, "NULL::VARCHAR", shown_column="statut"),
            Field(col("levy"), None, "NULL::VARCHAR", shown_column="prélèvement"),
        ]
    code = header("Code_INSEE_commune")
    rate = next(h for h in headers if _RATE_RE.match(_fold(h)))
    match = _RATE_RE.match(_fold(rate))
    assert code is not None and match is not None
    subject = latest("Commune_sru_au_")
    deficit, carence = header("commune_deficitaire"), header("Commune_carencée")
    exempt = latest("Commune_exemptée")
    flags = {
        "subject": text(subject),
        "deficit": text(deficit),
        "carence": text(carence),
        "exempt": text(exempt),
    }
    status = (
        "(CASE "
        f"WHEN {flags['carence']} = '1' THEN 'carencee' "
        f"WHEN {flags['exempt']} = '1' THEN 'exemptee' "
        f"WHEN {flags['deficit']} = '1' THEN 'deficitaire' "
        f"WHEN {flags['subject']} = '1' THEN 'conforme' "
        f"WHEN {flags['subject']} = '0' THEN 'non_soumise' END)"
    )
    target = latest("Taux_cible_commune")
    levy = latest("Prélèvement_net")
    stock = next(
        (h for h in headers if _fold(h).startswith("nombre_lls") and "inventaire" in _fold(h)),
        None,
    )
    name = header("Nom_commune")
    return [
        Field(col("commune"), code, text(code), value=f"lpad({text(code)}, 5, '0')"),
        Field(col("commune_name"), name, text(name)),
        Field(
            col("inventory_year"),
            None,
            "NULL::VARCHAR",
            value=f"CAST({int(match.group(1))} AS BIGINT)",
            generic=False,
        ),
        Field(col("sru_rate"), rate, text(rate), value=_percent(text(rate))),
        Field(col("social_dwellings"), stock, text(stock)),
        Field(col("target_rate"), target, text(target), value=_percent(text(target))),
        Field(col("sru_status"), subject, text(subject), value=status, generic=False),
        Field(col("levy"), levy, text(levy), value=_money(text(levy))),
    ]
