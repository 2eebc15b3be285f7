"""The relocation follow-up of the web application: the households of an urban renewal
operation (the social survey of ``mixite reloger``, pseudonymised with the store's key) and
where each relocation stands (the follow-up table ``suivi-relogement.csv`` that the plan
writes), imported into Django's database in one transaction, then kept up to date on the
« Relogements » pages by each household's landlord and the EPCI; exported back in the
follow-up format for ``mixite reloger --suivi``.

Django's database holds the follow-up; after each change (an edit, the import at launch) the
whole follow-up is also written to the territory's store (``store_followup``), where the
relocations count in the 25 % outside QPV and in the CIA's relocation section.

A household belongs to the landlord of its current residence (the residence of the survey, its
landlord read from the store's dwellings): that landlord carries its relocation.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixite.web import territory

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FollowupImport",
    "FollowupStored",
    "demo_files",
    "followup_frame",
    "import_and_store",
    "import_followup",
    "store_followup",
]


@dataclass(frozen=True)
class FollowupImport:
    """What ``import_followup`` did."""

    created: int
    updated: int


@dataclass(frozen=True)
class FollowupStored:
    """What ``store_followup`` wrote: the households of the follow-up, in which millésime
    (None: nothing written, Django's database holds no household)."""

    households: int
    millesime: int | None


def demo_files(base: Path) -> tuple[Path, Path | None] | None:
    """The survey and follow-up table that ``mixite demo`` wrote beside the store ``base``
    (``relogement/donnees/enquete.csv`` and ``sorties/relogement/donnees/suivi-relogement.csv``),
    None when the demo's relocation step has not run."""
    survey = base.parent / "relogement" / "donnees" / "enquete.csv"
    followup = base.parent / "sorties" / "relogement" / "donnees" / "suivi-relogement.csv"
    if not survey.is_file():
        return None
    return survey, followup if followup.is_file() else None


def _residence_landlords() -> dict[str, str]:
    """Residence → landlord (SIREN) of the store's latest dwellings."""
    from mixite.store import Store

    with territory.STORE_LOCK, Store(territory.base()) as store:
        dwellings = store.read("dwellings", max(store.millesimes("dwellings")))
    known = dwellings.dropna(subset=["landlord_id"])
    first = known.groupby(known["residence_id"].astype(str))["landlord_id"].first()
    return {str(k): str(v) for k, v in first.items()}


def _survey(path: Path) -> pd.DataFrame:
    from mixite.io.relogement import read_survey
    from mixite.store import Store, pseudonymise_with_key

    base = territory.base()
    with territory.STORE_LOCK, Store(base) as store:
        years = store.millesimes("communes")
        known = store.read("communes", max(years))["commune"].astype(str).tolist() if years else []
    frame = read_survey(path, known_communes=known)
    frame["line"] = range(2, len(frame) + 2)
    frame["household_id"] = pseudonymise_with_key(base, frame["household_id"]).astype(str)
    return frame


def import_followup(survey: Path, followup: Path | None = None) -> FollowupImport:
    """Import the households of ``survey`` (created at « enquête sociale à faire » when new) and,
    with ``followup``, the statuses, refusals, leases and comments of the follow-up table (its
    identifiers are the pseudonyms the plan wrote). Everything or nothing: one transaction,
    ``InputError`` in French naming the file, line, column and value."""
    from django.db import transaction

    from mixite.errors import InputError, Location
    from mixite.io.relogement import read_followup
    from mixite.web.models import Partner, RelocationCase

    frame = _survey(survey)
    owners = _residence_landlords()
    landlords = {p.code: p for p in Partner.objects.filter(kind=Partner.Kind.LANDLORD)}
    follow = read_followup(followup) if followup is not None else None
    rows: dict[str, dict[str, Any]] = {}
    for r in frame.itertuples(index=False):
        residence = str(r.residence_id)
        partner = landlords.get(owners.get(residence, ""))
        if partner is None:
            raise InputError(
                "Résidence sans bailleur connu de la base",
                Location(survey.name, int(r.line), "residence", residence),
                "Donnez la résidence (PROGRAMME du RPLS) d'un logement de la base, et lancez "
                "« mixite web » après l'import du RPLS de ce bailleur.",
            )
        rows[str(r.household_id)] = {
            "operation": str(r.operation),
            "landlord": partner,
            "residence": residence,
        }
    if follow is not None and followup is not None:
        for line, r in enumerate(follow.itertuples(index=False), start=2):
            key = str(r.household_id)
            if key not in rows:
                raise InputError(
                    "Ménage absent de l'enquête sociale",
                    Location(followup.name, line, "id_menage", key),
                    "Gardez les identifiants (pseudonymes) du tableau de suivi écrit par "
                    "« mixite reloger » pour cette enquête.",
                )
            rows[key].update(
                status=str(r.status),
                proposed_dwelling=_text(r.proposed_dwelling),
                refusals=int(r.refusals),
                dwelling_id=_text(r.dwelling_id),
                lease_date=_day(r.lease_date),
                comment=_text(r.comment),
                cost_before=_number(r.cost_before),
                cost_after=_number(r.cost_after),
            )
    created = updated = 0
    with transaction.atomic():
        for key, values in rows.items():
            case = RelocationCase.objects.filter(household_id=key).first()
            if case is None:
                values.setdefault("status", "attente")
                RelocationCase.objects.create(household_id=key, **values)
                created += 1
            else:
                for name, value in values.items():
                    setattr(case, name, value)
                case.save()
                updated += 1
    return FollowupImport(created, updated)


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _day(value: Any) -> dt.date | None:
    import pandas as pd

    return None if _missing(value) else pd.Timestamp(value).date()


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def _number(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def followup_frame(cases: Any) -> pd.DataFrame:
    """The follow-up table of ``cases`` (``RelocationCase`` rows) in the format of
    ``suivi-relogement.csv`` (French headers and codes, ``schema.RELOCATION_FOLLOWUP``), for
    ``mixite reloger --suivi``."""
    import pandas as pd

    from mixite.schema import RELOCATION_FOLLOWUP

    records = [
        {
            "household_id": c.household_id,
            "operation": c.operation,
            "status": c.status,
            "proposed_dwelling": c.proposed_dwelling,
            "refusals": c.refusals,
            "dwelling_id": c.dwelling_id,
            "lease_date": c.lease_date.isoformat() if c.lease_date else "",
            "comment": c.comment,
            "cost_before": c.cost_before,
            "cost_after": c.cost_after,
        }
        for c in cases
    ]
    frame = pd.DataFrame(records, columns=list(RELOCATION_FOLLOWUP.names))
    frame.columns = [c.header for c in RELOCATION_FOLLOWUP.columns]
    return frame


def store_followup() -> FollowupStored:
    """Write the whole follow-up of Django's database (every household, as this transaction
    sees it) to the territory's store as its relocation follow-up, through the job of
    ``mixite importer --suivi-relogement`` (``jobs.importing.import_files``: the follow-up
    table written in its format, then read back by its reader with the store's checks —
    pseudonyms, a lease and a dwelling for each rehoused household — and imported in ONE DuckDB
    transaction: a failure leaves the store as it was, ``MixiteError`` in French).

    The millésime is the latest of the store's follow-ups and stocks, so that this follow-up is
    the one that counts (« le dernier suivi importé fait foi »). Held under the store's lock
    (the caller may hold it already: re-entrant); the caches are then refreshed
    (``territory.store_written``)."""
    from mixite.errors import StoreError
    from mixite.jobs.importing import ImportPlan, import_files
    from mixite.store import Store
    from mixite.web.models import RelocationCase

    frame = followup_frame(RelocationCase.objects.order_by("operation", "household_id"))
    if frame.empty:
        # No follow-up in the application: a follow-up imported by the command line is kept.
        return FollowupStored(0, None)
    base = territory.base()
    with territory.STORE_LOCK:
        with Store(base) as store:
            years = store.millesimes("relocation_followup") + store.millesimes("dwellings")
        if not years:
            raise StoreError(
                f"La base « {base} » ne contient pas de logements (RPLS) : le suivi des "
                "relogements ne peut pas y être écrit. Importez d'abord le RPLS."
            )
        millesime = max(years)
        # The table in the follow-up format, in a private folder of the application (the
        # pseudonyms are personal data), removed once imported.
        with tempfile.TemporaryDirectory(dir=territory.web_dir(), prefix=".suivi-") as folder:
            path = Path(folder) / "suivi-relogement.csv"
            frame.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
            result = import_files(base, millesime, ImportPlan({"relocation_followup": path}))
        territory.store_written()
    return FollowupStored(result.rows.get("relocation_followup", 0), millesime)


def import_and_store(
    survey: Path, followup: Path | None = None
) -> tuple[FollowupImport, FollowupStored]:
    """Import the survey and the follow-up table into Django's database (``import_followup``)
    and write the resulting follow-up to the store (``store_followup``), both or neither: the
    store's lock is taken first, then one Django transaction holds the import, the store's write
    (last: a failure rolls the import back) and the audit entry (``mixite web --enquete
    --suivi``, and the demo's files on the first launch)."""
    from django.db import transaction

    from mixite.web.models import AuditEvent

    with territory.STORE_LOCK, transaction.atomic():
        done = import_followup(survey, followup)
        stored = store_followup()
        files = survey.name + (f" et {followup.name}" if followup is not None else "")
        AuditEvent.objects.create(
            username="(lancement)",
            action=AuditEvent.Action.IMPORT,
            target="suivi des relogements",
            detail=f"{files} : {done.created} ménages créés, {done.updated} mis à jour ; écrit "
            f"dans la base du territoire (suivi de {stored.households} ménages, millésime "
            f"{stored.millesime})",
        )
    return done, stored
