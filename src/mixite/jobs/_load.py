"""The one loader of the application layer: what a job reads from a territory's store.

Every job reads through these functions, on any object with the read API of
``mixite.store.Store`` (the ``StoreLike`` protocol: a DuckDB store, an in-memory stand-in in the
tests, a national batch's store). Store millésime N holds the stock and the occupancy at
1 January N, the applications pending at 31 December N-1 and the attributions (leases) of N-1
(``docs/store.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from mixite.errors import StoreError
from mixite.jobs.results import Names
from mixite.schema import import_hint

__all__ = [
    "INPUT_TABLES",
    "Snapshot",
    "StoreLike",
    "attributions_of_year",
    "communes_of",
    "derived_communes",
    "load_commitments",
    "load_followup",
    "load_names",
    "load_snapshot",
    "residence_names",
    "territory_row",
    "with_followup_relocations",
]

#: Store tables a millésime's analyses read, in the order they are loaded.
INPUT_TABLES = (
    "dwellings",
    "households",
    "applications",
    "attributions",
    "reservations",
    "communes",
    "landlords",
    "qpv",
    "sru",
    "territory",
    "commitments",
)


class StoreLike(Protocol):
    """The part of ``mixite.store.Store`` the jobs use."""

    def millesimes(self, table: str | None = None) -> list[int]: ...

    def read(self, table: str, millesime: int | None = None) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Snapshot:
    """The canonical tables of one store millésime (tables absent from it are left out).

    Its attributions are judged against the QPV geography in force on their lease date
    (``qpv.judge_attributions``); ``qpv_disagreements`` lists those whose declared QPV differs
    from their dwelling's (None without attributions or stock).
    """

    millesime: int
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    qpv_disagreements: pd.DataFrame | None = None

    def get(self, name: str) -> pd.DataFrame | None:
        """The table ``name``, or None when the millésime does not hold it."""
        return self.tables.get(name)

    def require(self, name: str, purpose: str) -> pd.DataFrame:
        """The table ``name``, or a French ``StoreError`` saying what needs it."""
        frame = self.tables.get(name)
        if frame is None:
            raise StoreError(
                f"Il manque au millésime {self.millesime} de la base le {_file(name)}, "
                f"nécessaire pour {purpose}. {import_hint(name)}"
            )
        return frame

    def frames(self, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """The tables as a plain dict (all of them, or those of ``names`` that are present)."""
        wanted = self.tables if names is None else names
        return {n: self.tables[n] for n in wanted if n in self.tables}


def _file(name: str) -> str:
    """The file of a store table as people name it (« fichier des demandes… »)."""
    from mixite.store import STORE_TABLES

    table = STORE_TABLES.get(name)
    if table is None:
        return f"fichier « {name} »"
    return table.file or f"fichier « {table.label} »"


def load_snapshot(
    store: StoreLike,
    millesime: int | None = None,
    tables: Iterable[str] = INPUT_TABLES,
    anchor: str = "dwellings",
) -> Snapshot:
    """The tables of one millésime; the latest millésime of ``anchor`` when ``millesime`` is None.

    Raises a French ``StoreError`` when the store holds no ``anchor`` table, or none for the
    requested millésime (listing the available ones).
    """
    from mixite.store import STORE_TABLES

    available = store.millesimes(anchor)
    if not available:
        raise StoreError(f"Il manque à la base le {_file(anchor)}. {import_hint(anchor)}")
    year = max(available) if millesime is None else int(millesime)
    if year not in available:
        listed = ", ".join(map(str, sorted(available)))
        label = STORE_TABLES[anchor].label if anchor in STORE_TABLES else anchor
        raise StoreError(
            f"Pas de données « {label} » pour le millésime {year} (millésimes disponibles : "
            f"{listed}). Choisissez-en un avec --millesime, ou importez ce millésime."
        )
    frames = {name: store.read(name, year) for name in tables if year in store.millesimes(name)}
    disagreements = None
    if "attributions" in frames and "dwellings" in frames:
        from mixite.qpv import judge_attributions

        frames["attributions"], disagreements = judge_attributions(
            frames["attributions"], frames["dwellings"]
        )
    if "attributions" in frames:
        frames["attributions"] = with_followup_relocations(store, frames["attributions"])
    return Snapshot(year, frames, disagreements)


def load_followup(store: StoreLike) -> pd.DataFrame | None:
    """The relocation follow-up imported last (``mixite importer --suivi-relogement``: one row
    per surveyed household, the state of every relocation), None when the store has none."""
    return _latest(store, "relocation_followup")


def with_followup_relocations(store: StoreLike, attributions: pd.DataFrame) -> pd.DataFrame:
    """``attributions`` whose ``npnru_relocation`` also marks the relocations of the imported
    follow-up (``trajectoires.suivi.match_followup``: same dwelling and lease date, else same
    pseudonym and lease date; an attribution counts once). Unchanged without a follow-up."""
    followup = load_followup(store)
    if followup is None or attributions.empty:
        return attributions
    from mixite.trajectoires.suivi import match_followup

    out = attributions.copy()
    out["npnru_relocation"] = match_followup(out, followup).relocated
    return out


def attributions_of_year(store: StoreLike, year: int) -> pd.DataFrame:
    """Attributions whose lease was signed in ``year``, whatever millésime imported them.

    Attributions are read from every millésime; one present in several millésimes is kept once
    (from the latest). Raises a French ``StoreError`` when none is dated in ``year``.
    """
    from mixite.indicators.quotas import attributions_of_year as of_year

    every = all_attributions(store)
    out = of_year(every, year)
    if out.empty:
        raise StoreError(
            f"Aucune attribution dont le bail est signé en {year}. Choisissez une autre année "
            f"(--annee) ou importez le millésime {year + 1}."
        )
    return out.reset_index(drop=True)


def all_attributions(store: StoreLike) -> pd.DataFrame:
    """Every attribution of every millésime, each once (from the latest millésime holding it),
    judged against the QPV geography in force on its lease date with the stock of its
    millésime (``qpv.judge_attributions``)."""
    from mixite.qpv import judge_attributions

    stock_years = set(store.millesimes("dwellings"))
    frames = []
    for m in sorted(store.millesimes("attributions")):
        attributions = store.read("attributions", m)
        if m in stock_years:
            attributions, _ = judge_attributions(attributions, store.read("dwellings", m))
        frames.append(attributions)
    if not frames:
        raise StoreError(
            "La base ne contient aucune attribution : il manque le fichier des attributions "
            f"(baux signés). {import_hint('attributions')}"
        )
    every = pd.concat(frames, ignore_index=True)
    every = every.drop_duplicates("attribution_id", keep="last").reset_index(drop=True)
    return with_followup_relocations(store, every)


def territory_row(store: StoreLike, millesime: int | None = None) -> pd.DataFrame:
    """The territory description of ``millesime`` (else the latest one), as a one-row frame."""
    years = store.millesimes("territory")
    if not years:
        raise StoreError(
            "La base ne contient pas la description du territoire (fichier territoire.yaml : "
            "nom, EPCI, EPCI des seuils du premier quartile). " + import_hint("territory")
        )
    pick = millesime if millesime in years else max(years)
    return store.read("territory", pick)


def load_commitments(store: StoreLike) -> pd.DataFrame | None:
    """The territory's adapted rates and partners' commitments (``engagements.yaml``), from the
    latest millésime holding them; None when the store has none. Each row carries its own
    validity dates, so one file describes every year."""
    return _latest(store, "commitments")


def _latest(store: StoreLike, table: str) -> pd.DataFrame | None:
    years = store.millesimes(table)
    return store.read(table, max(years)) if years else None


def derived_communes(codes: Iterable[str] | pd.Series) -> pd.DataFrame:
    """A ``communes`` table for territories imported without ``communes.csv``: each code's name
    and EPCI from the COG 2026 (``mixite.geo``) and its zones from mixite's table of the zones
    of the communes (``mixite.zones``); a code unknown to both keeps its code as name and has no
    EPCI nor zone."""
    from mixite import geo
    from mixite.dtypes import canonical
    from mixite.schema import COMMUNES
    from mixite.zones import commune_zones

    unique = sorted({str(c) for c in codes if c is not None and c == c})
    table = geo.communes()
    table = table[table["typecom"].isin(["COM", "ARM"])].drop_duplicates("code")
    table = table.set_index("code")
    zones = commune_zones(unique).set_index("commune")
    rows = []
    for code in unique:
        known = code in table.index
        rows.append(
            {
                "commune": code,
                "commune_name": str(table.loc[code, "nom"]) if known else code,
                "epci": table.loc[code, "epci"] if known else None,
                "epci_name": table.loc[code, "epci_nom"] if known else None,
                "apl_zone": zones.loc[code, "apl_zone"],
                "ceiling_zone": zones.loc[code, "ceiling_zone"],
            }
        )
    frame = pd.DataFrame(rows, columns=[c.name for c in COMMUNES.columns])
    return canonical(frame, COMMUNES, check_required=False)


def communes_of(snapshot: Snapshot) -> pd.DataFrame | None:
    """The territory's communes: its ``communes`` table, else ``derived_communes`` of the
    stock's communes (None without either)."""
    communes = snapshot.get("communes")
    if communes is not None:
        return communes
    dwellings = snapshot.get("dwellings")
    return None if dwellings is None else derived_communes(dwellings["commune"])


def residence_names(dwellings: pd.DataFrame, names: Names) -> Names:
    """``names`` with each residence named by its most frequent address and its commune's name
    (« 12 rue des Lilas, Mirebourg »); a residence without address keeps its identifier."""
    import dataclasses

    if "address" not in dwellings or dwellings.empty:
        return names
    known = dwellings.dropna(subset=["address"])
    if known.empty:
        return names
    first = (
        known.groupby(["residence_id", "address"], sort=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["residence_id", "n"], ascending=[True, False], kind="stable")
        .drop_duplicates("residence_id")
        .set_index("residence_id")["address"]
    )
    commune = dwellings.groupby("residence_id")["commune"].first()
    labels = {
        str(rid): f"{address}, {names.commune(commune.get(rid, ''))}".rstrip(", ")
        for rid, address in first.items()
    }
    return dataclasses.replace(names, residences=labels)


def load_names(store: StoreLike) -> Names:
    """The names the outputs show beside codes: landlords, communes, QPV and the territory,
    from the latest millésime of each table (empty maps when a table is absent; without a
    ``communes`` table, the communes of the stock are named from the COG 2026)."""
    landlords = _latest(store, "landlords")
    communes = _latest(store, "communes")
    if communes is None:
        dwellings_years = store.millesimes("dwellings")
        if dwellings_years:
            stock = store.read("dwellings", max(dwellings_years))
            communes = derived_communes(stock["commune"])
    qpv = _latest(store, "qpv")
    territory = _latest(store, "territory")

    def pairs(frame: pd.DataFrame | None, code: str, name: str) -> dict[str, str]:
        if frame is None or frame.empty:
            return {}
        return dict(zip(frame[code].astype(str), frame[name].astype(str), strict=True))

    label = ""
    epci = ""
    if territory is not None and len(territory):
        label = str(territory.iloc[0]["name"])
        epci = str(territory.iloc[0]["epci"])
    return Names(
        territory=label or "Territoire",
        epci=epci,
        landlords=pairs(landlords, "landlord_id", "landlord_name"),
        communes=pairs(communes, "commune", "commune_name"),
        qpv=pairs(qpv, "qpv_code", "qpv_name"),
        epcis=pairs(
            None if communes is None else communes.drop_duplicates("epci"), "epci", "epci_name"
        ),
        reservataires=_reservataire_names(_latest(store, "reservations")),
    )


def _reservataire_names(reservations: pd.DataFrame | None) -> dict[str, str]:
    """The names the conventions give their reservataires, by key (``type:identifier``)."""
    from mixite.vocabulary import reservataire_key

    if reservations is None or reservations.empty or "reservataire_name" not in reservations:
        return {}
    named = reservations.loc[reservations["reservataire_name"].notna()]
    return {
        reservataire_key(str(kind), ident): str(name)
        for kind, ident, name in zip(
            named["reservataire"], named["reservataire_id"], named["reservataire_name"], strict=True
        )
        if str(name).strip()
    }
