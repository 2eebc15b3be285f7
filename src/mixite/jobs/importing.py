"""Jobs of the store: read official files into a millésime in one transaction, and describe
what a store holds.

Cross-file checks (``cross_file_checks``), run after every file is read and before anything is
written, each with its French message (``docs/formats.md`` lists them):

* refused: a dwelling occupied by two households (``occupation``); reservation shares of one
  landlord's flow (in a département, or in a commune for a commune's convention) summing to
  more than 100 % (``reservations``); application numbers that lost their
  leading zero in a spreadsheet (``demandes``, ``attributions``); attributions by a landlord
  known neither to ``bailleurs`` nor to the RPLS, when either is imported;
* warned (imported, with a message): attributions of dwellings absent from the RPLS imported
  with them (a dwelling sold or demolished during the year is legitimately absent), and
  dwellings or attributions in communes outside the territory (a departmental RPLS file holds
  other communes; the computations keep the territory's own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mixite._gc import without_gc
from mixite.errors import InputError, Location
from mixite.jobs.results import ImportResult, PartnerUpload, StoreInfo

if TYPE_CHECKING:
    import pandas as pd

    from mixite.io.mapping import ColumnMapping
    from mixite.store import Store

__all__ = [
    "OPTION_TABLES",
    "ImportPlan",
    "cross_file_checks",
    "import_files",
    "import_partner_file",
    "info",
    "plan_import",
    "preview_partner_file",
    "read_plan",
]

#: Option name (French) → store table, in the order files are read (communes first: their codes
#: are accepted by the other readers).
OPTION_TABLES: dict[str, str] = {
    "communes": "communes",
    "rpls": "dwellings",
    "demandes": "applications",
    "attributions": "attributions",
    "occupation": "households",
    "qpv": "qpv",
    "reservations": "reservations",
    "bailleurs": "landlords",
    "sru": "sru",
    "territoire": "territory",
    "engagements": "commitments",
    "suivi_relogement": "relocation_followup",
    # not a table: the contours fill the communes' ``geometry_wkt`` (``io.detect.CONTOURS``)
    "communes_contours": "commune_contours",
}
_CONTOURS = "commune_contours"
_READ_ORDER = list(OPTION_TABLES.values())
#: Suffixes of the files a folder import reads; the geographic ones are ``GEO_SUFFIXES``.
_FOLDER_SUFFIXES = (".csv", ".txt", ".yaml", ".yml")
#: File names written by ``mixite generer`` (``io.detect.FILE_NAMES``).
_STANDARD_NAMES = frozenset(
    {
        "rpls.csv",
        "demandes.csv",
        "attributions.csv",
        "occupation.csv",
        "reservations.csv",
        "communes.csv",
        "bailleurs.csv",
    }
)
#: Companion files of a shapefile, read with it.
_SHAPEFILE_PARTS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


@dataclass
class ImportPlan:
    """Which file feeds which store table, the column mapping and its table, ignored files."""

    files: dict[str, Path]
    mapping: ColumnMapping | None = None
    mapping_table: str | None = None
    ignored: tuple[str, ...] = ()


def _mapping_table(mapping: ColumnMapping, explicit: dict[str, Path]) -> str:
    from mixite.io.tables import table_spec

    if mapping.table is not None:
        return table_spec(mapping.table).name
    if len(explicit) == 1:
        return next(iter(explicit))
    raise InputError(
        "Le fichier de correspondance ne dit pas à quel type de fichier il s'applique",
        Location(mapping.source, column="table"),
        "Ajoutez une ligne « table: demandes » (ou rpls, attributions, occupation…) au fichier "
        "de correspondance.",
    )


def plan_import(
    explicit: dict[str, Path], folder: Path | None, mapping_file: Path | None
) -> ImportPlan:
    """Match files to store tables: explicit files (by option), then a folder's files recognised
    by their header; the mapping applies to its ``table`` (or to the only explicit file).

    Two files for one table, a missing file or folder are ``InputError``; unrecognised files of
    the folder are returned in ``ignored`` (the command lists them in a warning).
    """
    from mixite.io import detect_kind, load_mapping
    from mixite.io.qpv import GEO_SUFFIXES

    suffixes = (*_FOLDER_SUFFIXES, *GEO_SUFFIXES)
    for table, file in explicit.items():
        if not file.is_file():
            raise InputError(
                "Fichier introuvable",
                Location(str(file)),
                f"Vérifiez le chemin donné pour les données « {_label(table)} ».",
            )
    mapping = load_mapping(mapping_file) if mapping_file is not None else None
    mapping_table = _mapping_table(mapping, explicit) if mapping is not None else None
    files = dict(explicit)
    ignored: list[str] = []
    if folder is not None:
        if not folder.is_dir():
            raise InputError("Dossier introuvable", Location(str(folder)), "Vérifiez le chemin.")
        unknown: list[Path] = []
        for file in sorted(folder.iterdir()):
            if not file.is_file() or file.name.startswith("."):
                continue
            if file.suffix.lower() in _SHAPEFILE_PARTS and file.with_suffix(".shp").exists():
                continue
            if file.suffix.lower() not in suffixes:
                ignored.append(file.name)
                continue
            if file.resolve() in {f.resolve() for f in files.values()}:
                continue
            try:
                kind = detect_kind(file)
            except InputError as exc:
                # A damaged file (empty, UTF-16, binary, tab-separated…) is refused, not
                # ignored: ignoring it would keep the base's old data without a word. A file
                # with one of mixite's own names whose header is not recognised is refused
                # too, unless a mapping may explain its header.
                if not exc.problem.startswith("Type de fichier non reconnu"):
                    raise
                if file.name in _STANDARD_NAMES and mapping is None:
                    raise InputError(
                        "Fichier non reconnu d'après son en-tête alors qu'il porte le nom d'un "
                        "fichier mixite",
                        Location(file.name, 1),
                        "Vérifiez que sa première ligne donne les noms de colonnes documentés "
                        "dans docs/formats.md (le fichier a peut-être perdu son en-tête).",
                    ) from None
                unknown.append(file)
                continue
            _add(files, kind, file)
        # A file whose headers are those of a local extract is recognised through the mapping.
        if mapping_table is not None and mapping_table not in files and len(unknown) == 1:
            _add(files, mapping_table, unknown.pop())
        ignored.extend(f.name for f in unknown)
    if not files:
        raise InputError(
            "Aucun fichier à importer",
            Location(str(folder) if folder is not None else "(ligne de commande)"),
            "Donnez au moins un fichier (--rpls, --demandes…) ou un dossier (--dossier).",
        )
    return ImportPlan(files, mapping, mapping_table, tuple(sorted(ignored)))


def _label(table: str) -> str:
    """What the files of ``table`` hold, in French."""
    from mixite.store import STORE_TABLES

    return "contours des communes" if table == _CONTOURS else STORE_TABLES[table].label


def _add(files: dict[str, Path], table: str, file: Path) -> None:
    if table in files:
        raise InputError(
            f"Deux fichiers contiennent la même table « {_label(table)} » "
            f"({files[table].name} et {file.name})",
            Location(file.name),
            "Gardez un seul fichier par type de données.",
        )
    files[table] = file


def read_plan(
    plan: ImportPlan,
    step: Callable[[str, Path], None] | None = None,
    communes: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Read and validate every file of ``plan`` (before any write): ``{table: canonical frame}``.

    ``step(table, file)`` is called before each file is read (progress display). A communes'
    contours file fills the ``geometry_wkt`` of the communes read in the plan, else of
    ``communes`` (those the store already holds for the millésime).
    """
    from mixite.io import (
        read_commitments,
        read_qpv,
        read_rpls,
        read_sru,
        read_table,
        read_territory,
    )
    from mixite.io.detect import with_contours

    frames: dict[str, pd.DataFrame] = {}
    known: list[str] | None = None
    for table in sorted(plan.files, key=_READ_ORDER.index):
        file = plan.files[table]
        if step is not None:
            step(table, file)
        mapping = plan.mapping if plan.mapping_table == table else None
        if table == "dwellings":
            frame = read_rpls(file, mapping=mapping, known_communes=known)
        elif table == "qpv":
            frame = read_qpv(file, mapping=mapping)
        elif table == "territory":
            frame = read_territory(file)
        elif table == "commitments":
            frame = read_commitments(file)
        elif table == "relocation_followup":
            from mixite.io.relogement import read_followup

            frame = read_followup(file, for_store=True)
        elif table == _CONTOURS:
            frames["communes"] = with_contours(frames.get("communes", communes), file)
            continue
        elif table == "sru":
            frame = read_sru(file, mapping=mapping, known_communes=known)
        else:
            frame = read_table(file, table, mapping, known_communes=known)
        if table == "communes":
            known = [str(c) for c in frame["commune"]]
        frames[table] = frame
    return frames


def _line(frame: pd.DataFrame, position: int) -> int:
    """Line of the file of row ``position`` (header = line 1, one line per row)."""
    return int(position) + 2


def _name(plan_files: dict[str, Path], table: str) -> str:
    file = plan_files.get(table)
    return file.name if file is not None else table


def _lost_leading_zero(frame: pd.DataFrame, column: str) -> int | None:
    """Position of the first application number that lost its leading zero: all digits, one
    digit shorter than most numbers of the file, which begin with « 0 »."""
    ids = frame[column].astype("string").reset_index(drop=True)
    present = ids.dropna()
    if present.empty:
        return None
    usual = int(present.str.len().mode().iloc[0])
    usual_ids = present[present.str.len() == usual]
    if not (usual_ids.str.startswith("0").mean() > 0.5 and usual_ids.str.isdigit().all()):
        return None
    short = (ids.str.len() == usual - 1) & ids.str.isdigit()
    positions = short.fillna(False).to_numpy(dtype=bool).nonzero()[0]
    return int(positions[0]) if len(positions) else None


def _reservations_over_flow(
    reservations: pd.DataFrame,
) -> tuple[int, str, float, str] | None:
    """The first flow of a landlord reserved above 100 %: ``(row position, landlord, total,
    scope in French)``, or None. A convention with a commune (its ``reservataire_id``) reserves
    a share of the landlord's flow in that commune, on top of the conventions of its
    département; a convention with a département (its code) reserves a share of the flow in
    that département; the others a share of the landlord's flow in every département (as
    ``indicators.quotas.flux_ledger`` reads them)."""
    import numpy as np
    import pandas as pd

    from mixite.indicators.quotas import departement_of

    kind = (
        reservations["reservataire"].astype(str).to_numpy()
        if "reservataire" in reservations.columns
        else np.full(len(reservations), "", dtype=object)
    )
    ids = (
        reservations["reservataire_id"].astype("string").fillna("").str.strip().to_numpy()
        if "reservataire_id" in reservations.columns
        else np.full(len(reservations), "", dtype=object)
    )
    commune_of = np.where((kind == "commune") & (ids != ""), ids, "")
    dept_of = np.where((kind == "departement") & (ids != ""), ids, "")
    commune_dept = departement_of(pd.Series(commune_of, dtype=object)).fillna("").to_numpy()
    landlords = reservations["landlord_id"].astype(str).to_numpy()
    shares = reservations["share"].astype(float).to_numpy()
    for landlord in sorted(set(landlords)):
        rows = np.flatnonzero(landlords == landlord)
        general = [r for r in rows if not commune_of[r] and not dept_of[r]]
        base = float(shares[general].sum()) if general else 0.0
        depts = {str(dept_of[r]) for r in rows if dept_of[r]} | {
            str(commune_dept[r]) for r in rows if commune_of[r]
        }
        # (total, last row, scope): the flow of each département, then of each commune.
        flows: list[tuple[float, int, str]] = []
        if general:
            flows.append((base, int(general[-1]), ""))
        for dept in sorted(depts):
            members = [r for r in rows if dept_of[r] == dept]
            if members:
                total = base + float(shares[members].sum())
                flows.append((total, int(members[-1]), f"dans le département {dept}"))
        for commune in sorted({str(commune_of[r]) for r in rows if commune_of[r]}):
            members = [r for r in rows if commune_of[r] == commune]
            dept = str(commune_dept[members[0]])
            in_dept = [r for r in rows if dept_of[r] == dept]
            total = base + float(shares[in_dept].sum()) + float(shares[members].sum())
            flows.append((total, int(members[-1]), f"dans la commune {commune}"))
        for total, last, scope in flows:
            if total > 1 + 1e-9:
                return last, landlord, total, scope
    return None


def cross_file_checks(frames: dict[str, pd.DataFrame], files: dict[str, Path]) -> list[str]:
    """Checks between the files of one import (see the module docstring): raise ``InputError``
    for a refusal; return the French warnings."""
    import re

    warnings: list[str] = []
    households = frames.get("households")
    if households is not None and len(households):
        dup = households["dwelling_id"].duplicated(keep="first")
        if dup.any():
            position = int(dup.to_numpy().nonzero()[0][0])
            dwelling = str(households["dwelling_id"].iloc[position])
            first = int((households["dwelling_id"] == dwelling).to_numpy().nonzero()[0][0])
            raise InputError(
                f"Logement occupé par deux ménages (déjà ligne {_line(households, first)})",
                Location(
                    _name(files, "households"), _line(households, position), "IDENT_INT", dwelling
                ),
                "Un logement n'a qu'un ménage occupant au 1er janvier : gardez la ligne du ménage "
                "présent et supprimez l'autre (un ménage parti en cours d'année n'y figure plus).",
            )
    reservations = frames.get("reservations")
    if reservations is not None and len(reservations):
        over = _reservations_over_flow(reservations)
        if over is not None:
            position, landlord, total, scope = over
            percent = round(total * 100, 1)
            raise InputError(
                f"Réservations de plus de 100 % du flux d'un bailleur"
                f"{' ' + scope if scope else ''} ({percent:g} % au total)",
                Location(
                    _name(files, "reservations"),
                    _line(reservations, position),
                    "IDENT_REP",
                    landlord,
                ),
                "La somme des « part_flux » d'un bailleur sur un même flux (parts de 0 à 1, par "
                "exemple 0,25 pour 25 %) ne peut dépasser 1 : corrigez les parts des conventions "
                "de ce bailleur.",
            )
    for table in ("applications", "attributions"):
        frame = frames.get(table)
        if frame is None or not len(frame):
            continue
        lost = _lost_leading_zero(frame, "application_id")
        if lost is not None:
            raise InputError(
                "Numéro unique de demande sans son zéro initial",
                Location(
                    _name(files, table),
                    _line(frame, lost),
                    "numero_unique",
                    str(frame["application_id"].iloc[lost]),
                ),
                "Les autres numéros du fichier commencent par « 0 » et ont un chiffre de plus : "
                "le tableur a sans doute pris le numéro pour un nombre. Exportez la colonne au "
                "format texte (ou ajoutez le zéro perdu).",
            )
    attributions = frames.get("attributions")
    dwellings = frames.get("dwellings")
    landlords = frames.get("landlords")
    if attributions is not None and len(attributions):
        known: set[str] = set()
        if landlords is not None:
            known |= set(landlords["landlord_id"].dropna().astype(str))
        if dwellings is not None:
            known |= set(dwellings["landlord_id"].dropna().astype(str))
        if known:
            unknown = ~attributions["landlord_id"].astype(str).isin(known)
            if unknown.any():
                position = int(unknown.to_numpy().nonzero()[0][0])
                raise InputError(
                    "Attribution par un bailleur inconnu des fichiers importés (bailleurs, RPLS)",
                    Location(
                        _name(files, "attributions"),
                        _line(attributions, position),
                        "IDENT_REP",
                        str(attributions["landlord_id"].iloc[position]),
                    ),
                    "Vérifiez le SIREN du bailleur, ou ajoutez ce bailleur au fichier des "
                    "bailleurs.",
                )
        if dwellings is not None and len(dwellings):
            ids = dwellings["dwelling_id"].astype(str)
            generated = ids.map(lambda v: re.fullmatch(r"L[0-9a-f]{16}", v) is not None).all()
            given = attributions["dwelling_id"].dropna().astype(str)
            if generated and len(given):
                warnings.append(
                    f"les attributions ({_name(files, 'attributions')}) ne peuvent pas être "
                    "rapprochées des logements : le fichier RPLS ouvert n'a pas d'identifiant de "
                    "logement (colonne IDENT_INT du fichier à diffusion restreinte)."
                )
            elif len(given):
                import numpy as np

                column = attributions["dwelling_id"]
                # a set lookup per attribution: ``isin`` with a set turns its values into an
                # Arrow string array one by one (0.7 s for 166,000 dwellings)
                known_ids = set(ids)
                texts = column.astype(str).to_numpy(dtype=object)
                found = np.fromiter((v in known_ids for v in texts), dtype=bool, count=len(texts))
                missing = column.notna().to_numpy(dtype=bool) & ~found
                if missing.any():
                    row = int(missing.nonzero()[0][0])
                    warnings.append(
                        f"{int(missing.sum())} attribution(s) sur {len(attributions)} portent sur "
                        f"un logement absent du RPLS importé (premier cas : fichier "
                        f"« {_name(files, 'attributions')} », ligne {_line(attributions, row)}, "
                        f"IDENT_INT « {column.iloc[row]} ») : logement vendu ou démoli dans "
                        "l'année, ou identifiant à vérifier."
                    )
    communes = frames.get("communes")
    if communes is not None and len(communes):
        territory = set(communes["commune"].dropna().astype(str))
        for table, label in (("dwellings", "logement(s)"), ("attributions", "attribution(s)")):
            frame = frames.get(table)
            if frame is None or not len(frame):
                continue
            outside = ~frame["commune"].astype(str).isin(territory)
            if outside.any():
                example = str(frame["commune"][outside].iloc[0])
                warnings.append(
                    f"{int(outside.sum())} {label} sur {len(frame)} dans des communes hors du "
                    f"territoire (fichier « {_name(files, table)} », première : {example}) ; les "
                    "calculs ne retiennent que les communes de communes.csv."
                )
    return warnings


@without_gc
def import_files(
    base: Path,
    millesime: int,
    plan: ImportPlan,
    reading: Callable[[str, Path], None] | None = None,
    writing: Callable[[str, int], None] | None = None,
) -> ImportResult:
    """Read and validate every file of ``plan``, check them against each other
    (``cross_file_checks``), then import them as ``millesime`` of the store ``base`` in one
    transaction (``store.import_millesime``); ``reading(table, file)`` and ``writing(table,
    rows)`` report progress."""
    from mixite.store import Store, import_millesime

    existing = None
    if _CONTOURS in plan.files and "communes" not in plan.files and base.exists():
        with Store(base) as store:
            if millesime in store.millesimes("communes"):
                existing = store.read("communes", millesime)
    from mixite.io.qpv import WARNINGS

    frames = read_plan(plan, reading, existing)
    warnings = [w for frame in frames.values() for w in frame.attrs.get(WARNINGS, ())]
    warnings += cross_file_checks(frames, plan.files)
    frames = located(base, millesime, frames)
    rows = import_millesime(base, millesime, frames, progress=writing)
    ordered = {t: rows[t] for t in sorted(rows, key=_READ_ORDER.index)}
    return ImportResult(millesime, ordered, plan.ignored, tuple(warnings))


def _stored(base: Path, millesime: int, table: str) -> pd.DataFrame | None:
    """The store's ``table`` of ``millesime`` (else of its latest millésime for the QPV
    perimeters, which do not change from one millésime to the next), None when absent."""
    from mixite.store import Store

    if not base.exists():
        return None
    with Store(base) as store:
        years = store.millesimes(table)
        if millesime in years:
            return store.read(table, millesime)
        if table == "qpv" and years:
            return store.read(table, max(years))
    return None


def located(base: Path, millesime: int, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``frames`` with the dwellings located in the QPV perimeters (``qpv.locate_dwellings``).

    The dwellings are those being imported, or, when only perimeters are imported, those the
    store already holds for ``millesime`` (located anew and imported again in the same
    transaction). The perimeters are those being imported, else the store's. Dwellings located
    by their coordinates in an earlier import are located again in the new perimeters.
    """
    from mixite.qpv import GENERATIONS, generation_columns, locate_dwellings

    dwellings = frames.get("dwellings")
    if dwellings is None:
        if "qpv" not in frames:
            return frames
        dwellings = _stored(base, millesime, "dwellings")
        if dwellings is None:
            return frames
        for generation in GENERATIONS:
            code, source = generation_columns(generation)
            again = dwellings[source] == "coordonnees"
            dwellings.loc[again, code] = None
            dwellings.loc[again, source] = "inconnu"
    perimeters = frames.get("qpv")
    if perimeters is None:
        perimeters = _stored(base, millesime, "qpv")
    out = dict(frames)
    out["dwellings"] = locate_dwellings(dwellings, perimeters, millesime)
    return out


def info(store: Store) -> StoreInfo:
    """Rows per (millésime, table) of a store, its territory's name (None when absent) and, per
    millésime of the stock, its dwellings in QPV by how they were located and the attributions
    whose declared QPV disagrees with their dwelling's (``qpv.location_counts``,
    ``qpv.judge_attributions``)."""
    import pandas as pd

    from mixite.qpv import judge_attributions, location_counts

    summary = store.summary()
    name = None
    if store.millesimes("territory"):
        name = str(store.read("territory")["name"].iloc[0])
    rows = []
    with_attributions = set(store.millesimes("attributions"))
    for year in store.millesimes("dwellings"):
        dwellings = store.read("dwellings", year)
        counts: dict[str, int | None] = {"millesime": year, **location_counts(dwellings, year)}
        counts["disagreements"] = None
        if year in with_attributions:
            _, disagreements = judge_attributions(store.read("attributions", year), dwellings)
            counts["disagreements"] = len(disagreements)
        rows.append(counts)
    qpv = pd.DataFrame(rows) if rows else None
    return StoreInfo(name, summary, qpv)


#: Rows of other landlords reported one by one in an upload (the rest are counted).
MAX_REPORTED_ROWS = 20
#: The landlord column of the attributions, as the file names it.
_LANDLORD_COLUMN = "landlord_id"


def _read_partner_file(
    store: Store, landlord: str, file: Path, millesime: int
) -> tuple[pd.DataFrame | None, tuple[InputError, ...]]:
    """The landlord's attributions read through the real reader, or the errors of the file:
    the reader's (first bad value) or one per row of another landlord."""
    from mixite.io import read_table
    from mixite.schema import ATTRIBUTIONS

    communes = None
    if millesime in store.millesimes("communes"):
        communes = [str(c) for c in store.read("communes", millesime)["commune"]]
    try:
        frame = read_table(file, "attributions", known_communes=communes)
    except InputError as error:
        return None, (error,)
    header = ATTRIBUTIONS.column(_LANDLORD_COLUMN).header
    # The reader keeps the file's rows in order: row i is line i + 2 (the header is line 1).
    foreign = [
        (i, str(v)) for i, v in enumerate(frame[_LANDLORD_COLUMN].astype(str)) if v != str(landlord)
    ]
    errors = [
        InputError(
            "Attribution d'un autre bailleur : vous ne pouvez déposer que les vôtres",
            Location(file.name, i + 2, header, value),
            f"Retirez cette ligne ou corrigez le SIREN (le vôtre : {landlord}).",
        )
        for i, value in foreign[:MAX_REPORTED_ROWS]
    ]
    if len(foreign) > MAX_REPORTED_ROWS:
        errors.append(
            InputError(
                f"{len(foreign) - MAX_REPORTED_ROWS} autres lignes d'autres bailleurs",
                Location(file.name, column=header),
                "Ne gardez que vos propres attributions.",
            )
        )
    if frame.empty:
        errors.append(
            InputError(
                "Le fichier ne contient aucune attribution",
                Location(file.name),
                "Déposez le fichier de vos attributions de l'année, avec une ligne par bail.",
            )
        )
    return (None, tuple(errors)) if errors else (frame, ())


def _landlord_rows(table: pd.DataFrame, landlord: str) -> pd.DataFrame:
    from mixite.vocabulary import Level

    levels = (str(Level.LANDLORD), str(Level.LANDLORD_NON_RESERVED))
    keep = table["level"].astype(str).isin(levels) & (table["group"].astype(str) == landlord)
    return table.loc[keep].reset_index(drop=True)


def preview_partner_file(base: Path, landlord: str, file: Path) -> PartnerUpload:
    """What importing ``file`` (the landlord's attributions, in mixite's CSV format) would
    change: read through the real reader and checked row by row (every row must be the
    landlord's); compared with the landlord's rows of the latest millésime holding attributions;
    the landlord's legal quota rows of the latest lease year without and with the file. Nothing
    is written."""
    import pandas as pd

    from mixite.jobs._load import all_attributions, load_commitments, load_names, territory_row
    from mixite.jobs.diagnostic import quota_table
    from mixite.store import Store

    with Store(base) as store:
        millesime = max(store.millesimes("attributions"))
        current = store.read("attributions", millesime)
        every = all_attributions(store)
        year = int(every["lease_date"].dt.year.max())
        territory = territory_row(store, year + 1)
        commitments = load_commitments(store)
        names = load_names(store)
        frame, errors = _read_partner_file(store, landlord, file, millesime)
    mine = current[current[_LANDLORD_COLUMN].astype(str) == landlord]
    before = _landlord_rows(quota_table(every, territory, year, commitments=commitments), landlord)
    if frame is None:
        return PartnerUpload(
            landlord, millesime, year, 0, len(mine), 0, 0, 0, before, None, errors, names
        )
    old, new = set(mine["attribution_id"].astype(str)), set(frame["attribution_id"].astype(str))
    others = every[
        ~(
            (every[_LANDLORD_COLUMN].astype(str) == landlord)
            & every["attribution_id"].astype(str).isin(old | new)
        )
    ]
    replaced = pd.concat([others, frame], ignore_index=True)
    after = _landlord_rows(
        quota_table(replaced, territory, year, commitments=commitments), landlord
    )
    return PartnerUpload(
        landlord,
        millesime,
        year,
        len(frame),
        len(mine),
        len(new - old),
        len(old - new),
        len(new & old),
        before,
        after,
        (),
        names,
    )


def import_partner_file(base: Path, landlord: str, file: Path) -> tuple[int, int]:
    """Import ``file`` as the landlord's attributions of the latest millésime holding
    attributions, in one transaction (``store.replace_partner_rows``): the file is read and
    checked again (an ``InputError`` when it is wrong), the landlord's previous rows of that
    millésime are replaced, the other partners' rows are untouched. Returns (rows removed, rows
    imported)."""
    from mixite.store import Store, replace_partner_rows

    with Store(base) as store:
        millesime = max(store.millesimes("attributions"))
        frame, errors = _read_partner_file(store, landlord, file, millesime)
    if frame is None:
        raise errors[0]
    return replace_partner_rows(base, millesime, "attributions", _LANDLORD_COLUMN, landlord, frame)
