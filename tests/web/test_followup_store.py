"""The relocation follow-up edited on the web pages reaches the territory's store: an edit
marking a household « relogé » counts in its landlord's 25 % outside QPV (store, job and
dashboard); a store that refuses the write leaves Django's database as it was, with a French
message; the import at launch writes Django's database and the store, both or neither."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from mixite.store import Store
from mixite.web.models import AuditEvent, RelocationCase

from .conftest import SURVEY_HOUSEHOLDS, household, make_case

#: The constructed attribution (see ``constructed``).
ATTRIBUTION = "ATT-RELOGEMENT-WEB"
#: Its household's declared resources: 8 000 € a month for one adult, 96 000 € a year per UC,
#: seven times the highest Q1 threshold of the arrêtés (13 556 €/UC/year, params/seuils_q1.yaml).
MONTHLY_RESOURCES = 8000.0


def _year() -> int:
    from mixite.web import territory

    return territory.latest_year()


@pytest.fixture(scope="module")
def constructed(web_store: Path) -> dict[str, Any]:
    """One attribution added to landlord A's attributions of the latest lease year (A: the
    first landlord by SIREN, as in ``accounts``): the dwelling of an attribution of A judged
    outside QPV, leased the next day, to a single adult far above the Q1 threshold, neither a
    relocation nor a priority household. Before any follow-up it is in A's denominator of the
    25 % outside QPV and not in its numerator: not Q1, not a relocation."""
    from mixite._duckdb import connect
    from mixite.jobs._load import attributions_of_year

    with Store(web_store) as store:
        every = store.read("attributions", max(store.millesimes("attributions")))
        landlord = sorted(every["landlord_id"].astype(str).unique())[0]
        year = int(every["lease_date"].dt.year.max())
        judged = attributions_of_year(store, year)
        millesime = max(store.millesimes("attributions"))
    lease = judged["lease_date"]
    mine = judged[
        (judged["landlord_id"].astype(str) == landlord)
        & ~judged["in_qpv"].astype(bool)
        & judged["dwelling_id"].notna()
        & (lease.dt.month < 12)
    ]
    model = mine.iloc[0]
    day = (model["lease_date"] + pd.Timedelta(days=1)).date()
    con = connect(str(web_store))
    try:
        con.execute(
            "INSERT INTO attributions SELECT * REPLACE ("
            "? AS attribution_id, ? AS application_id, ? AS lease_date, 1 AS household_size, "
            "1 AS adults, 1 AS persons_14plus, ? AS monthly_resources, false AS npnru_relocation, "
            "false AS dalo, false AS priority, false AS is_mutation) "
            "FROM attributions WHERE millesime = ? AND attribution_id = ?",
            [
                ATTRIBUTION,
                household("DEMANDE-RELOGEE"),
                day,
                MONTHLY_RESOURCES,
                millesime,
                str(model["attribution_id"]),
            ],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"landlord": landlord, "dwelling": str(model["dwelling_id"]), "day": day}


def _outside_qpv(landlord: str) -> tuple[int, int]:
    """(numerator, denominator) of the landlord's 25 % outside QPV, as the store's quota job
    computes it now (``jobs.diagnostic.quotas``, which reads the store's follow-up)."""
    from mixite.jobs.diagnostic import quotas
    from mixite.web import territory

    with Store(territory.base()) as store:
        table = quotas(store, _year()).table
    row = table[
        (table["level"].astype(str) == "bailleur")
        & (table["group"].astype(str) == landlord)
        & (table["indicator"].astype(str) == "q1_hors_qpv")
    ].iloc[0]
    return int(row["numerator"]), int(row["denominator"])


def _stored_followup() -> pd.DataFrame | None:
    from mixite.jobs._load import load_followup
    from mixite.web import territory

    with Store(territory.base()) as store:
        return load_followup(store)


def _dashboard_count(client: Client, partner: Any) -> str:
    """The « n sur N » of the 25 % outside QPV on the partner's dashboard."""
    from mixite.reports import fr

    label = re.escape(fr.INDICATOR_SHORT_LABELS["q1_hors_qpv"])
    page = client.get(reverse("web:partenaire", kwargs={"pk": partner.pk})).content.decode()
    found = re.search(
        rf"<td>{label}</td><td>toutes attributions</td><td>[^<]*</td><td>([^<]*)</td>", page
    )
    assert found is not None, page
    return found.group(1)


def _rehoused(constructed: dict[str, Any], refusals: int = 0) -> dict[str, Any]:
    return {
        "status": "reloge",
        "refusals": refusals,
        "dwelling_id": constructed["dwelling"],
        "lease_date": constructed["day"].strftime("%d/%m/%Y"),
        "comment": "bail signé ; « relogé » hors QPV",
    }


def test_rehoused_edit_counts_in_the_landlord_quota(
    accounts: dict[str, Any], constructed: dict[str, Any]
) -> None:
    """Marking the household « relogé » in the constructed attribution's dwelling on its lease
    date raises the landlord's achieved count of the 25 % outside QPV by exactly one (by hand:
    the attribution is outside QPV and above the Q1 threshold, so it was in the denominator and
    not in the numerator; the follow-up now makes it a relocation of urban renewal, « premier
    quartile OU relogés »), denominator unchanged — in the store's quota job and on the
    dashboard, whose cached figures are refreshed."""
    from mixite.reports import fr

    partner = accounts["A"]
    assert partner.code == constructed["landlord"]
    case = make_case(partner, household("MENAGE-RELOGE"), status="proposition1")
    client = Client()
    client.force_login(accounts["bailleur"])
    numerator, denominator = _outside_qpv(partner.code)
    # The dashboard's figures are computed and cached before the edit.
    shown = _dashboard_count(client, partner)
    assert shown == f"{fr.integer(numerator)} sur {fr.integer(denominator)}"
    url = reverse("web:relogement", kwargs={"pk": case.pk})
    response = client.post(url, _rehoused(constructed), follow=True)
    assert response.redirect_chain[-1][0] == reverse("web:relogements")
    body = response.content.decode()
    assert (
        f"Suivi du ménage {case.household_id} enregistré, pris en compte dans les objectifs."
        in body
    )
    assert _outside_qpv(partner.code) == (numerator + 1, denominator)
    assert _dashboard_count(client, partner) == (
        f"{fr.integer(numerator + 1)} sur {fr.integer(denominator)}"
    )
    # The store holds the whole follow-up of Django's database, the edit included.
    stored = _stored_followup()
    assert stored is not None
    assert len(stored) == RelocationCase.objects.count()
    row = stored.set_index("household_id").loc[case.household_id]
    assert (row["status"], row["dwelling_id"]) == ("reloge", constructed["dwelling"])
    assert pd.Timestamp(row["lease_date"]).date() == constructed["day"]
    assert row["comment"] == "bail signé ; « relogé » hors QPV"
    event = AuditEvent.objects.get(action=AuditEvent.Action.RELOCATION)
    assert "proposition1 → reloge" in event.detail
    assert "écrit dans la base du territoire" in event.detail
    # Back to a proposal: the relocation no longer counts.
    back = {"status": "proposition2", "refusals": 1, "dwelling_id": "", "lease_date": ""}
    assert client.post(url, back).status_code == 302
    assert _outside_qpv(partner.code) == (numerator, denominator)


def _duckdb_writer(web_store: Path, settings: Any) -> str:
    """Another program writing the store (as ``mixite importer`` run beside the web would):
    its DuckDB connection holds the file, the web cannot open it."""
    return f"import duckdb\ncon = duckdb.connect({str(web_store)!r})\n"


def _lock_holder(web_store: Path, settings: Any) -> str:
    """A background run of another process holding the store's lock (``base.verrou``) longer
    than the page waits (0.3 s here)."""
    from mixite.web.paths import web_folder

    settings.MIXITE_STORE_WAIT = 0.3
    lock = web_folder(web_store) / "base.verrou"
    lock.parent.mkdir(exist_ok=True)
    return f"import fcntl\nf = open({str(lock)!r}, 'a')\nfcntl.flock(f, fcntl.LOCK_EX)\n"


@contextmanager
def _holding(script: str) -> Iterator[None]:
    """Run ``script`` in another process, which keeps what it opened until the block ends."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            script + "print('ouvert', flush=True)\nimport sys\nsys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ouvert"
        yield
    finally:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()


@pytest.mark.parametrize(
    ("holder", "sentence"),
    [
        (_duckdb_writer, "est en cours d'écriture par un autre programme"),
        (_lock_holder, "La base du territoire est occupée depuis plus de 0,3 s"),
    ],
)
def test_store_failure_leaves_django_unchanged(
    holder: Callable[[Path, Any], str],
    sentence: str,
    accounts: dict[str, Any],
    constructed: dict[str, Any],
    web_store: Path,
    settings: Any,
) -> None:
    """The store refuses the write (another program holds it; a run holds the lock longer than
    the page waits): the page says so in French, the household's row and the store's follow-up
    are as before, and the refusal is in the audit log (not the edit); once the store is free,
    the same edit is saved."""
    case = make_case(accounts["A"], household(f"MENAGE-{holder.__name__}"), status="proposition1")
    client = Client()
    client.force_login(accounts["bailleur"])
    url = reverse("web:relogement", kwargs={"pk": case.pk})
    assert client.get(url).status_code == 200  # the store's dwellings, read and cached
    before = _stored_followup()
    with _holding(holder(web_store, settings)):
        response = client.post(url, _rehoused(constructed))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Rien n&#x27;est enregistré." in body and sentence in body.replace("&#x27;", "'")
    assert "Traceback" not in body
    case.refresh_from_db()
    assert (case.status, case.dwelling_id, case.lease_date, case.comment) == (
        "proposition1",
        "",
        None,
        "",
    )
    events = AuditEvent.objects.filter(action=AuditEvent.Action.RELOCATION)
    assert [e.detail.split(" : ")[0] for e in events] == [
        "non enregistré, refusé par la base du territoire"
    ]
    after = _stored_followup()
    if before is None:
        assert after is None
    else:
        assert after is not None
        pd.testing.assert_frame_equal(after, before)
    # The store free again: the same edit is saved, in Django's database and the store.
    assert client.post(url, _rehoused(constructed)).status_code == 302
    case.refresh_from_db()
    assert case.status == "reloge"
    stored = _stored_followup()
    assert stored is not None
    assert stored.set_index("household_id").loc[case.household_id, "status"] == "reloge"


def test_import_at_launch_writes_django_and_the_store(
    accounts: dict[str, Any], survey: Path, tmp_path: Path
) -> None:
    """``mixite web --enquete`` (and the demo's first launch): the surveyed households enter
    Django's database and the store's follow-up together, with an audit entry; a follow-up
    table with the reste à charge keeps it in both; when the store refuses the follow-up (here
    an identifier that is not a pseudonym, left by an older version), the import is rolled back
    in Django's database too."""
    from mixite.errors import InputError
    from mixite.web.relocation import import_and_store

    done, stored = import_and_store(survey)
    cases = RelocationCase.objects.count()
    assert done.created == len(pd.read_csv(survey, sep=";", dtype=str)) == SURVEY_HOUSEHOLDS
    assert stored.households == cases
    followup = _stored_followup()
    assert followup is not None
    assert set(followup["household_id"]) == set(
        RelocationCase.objects.values_list("household_id", flat=True)
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORT)
    assert event.username == "(lancement)" and f"{SURVEY_HOUSEHOLDS} ménages créés" in event.detail
    # The follow-up table gives one household's reste à charge: Django and the store keep it.
    first = RelocationCase.objects.exclude(operation="NPNRU-TEST").order_by("pk").first()
    assert first is not None
    operation = first.operation
    table = tmp_path / "suivi-relogement.csv"
    table.write_text(
        "id_menage;operation;statut;logement_propose;nb_refus;logement_attribue;date_bail;"
        "commentaire;reste_a_charge_avant;reste_a_charge_apres\n"
        f"{first.household_id};{first.operation};proposition1;;0;;;;312,5;287\n",
        "utf-8",
    )
    import_and_store(survey, table)
    first.refresh_from_db()
    assert (first.status, first.cost_before, first.cost_after) == ("proposition1", 312.5, 287.0)
    followup = _stored_followup()
    assert followup is not None
    row = followup.set_index("household_id").loc[first.household_id]
    assert (row["cost_before"], row["cost_after"]) == (312.5, 287.0)
    # A household the store refuses: nothing of the new import stays in Django's database.
    make_case(accounts["A"], "IDENTIFIANT-EN-CLAIR")
    RelocationCase.objects.filter(operation=operation).delete()
    with pytest.raises(InputError, match="pas un pseudonyme"):
        import_and_store(survey)
    assert not RelocationCase.objects.filter(operation=operation).exists()
    followup = _stored_followup()
    assert followup is not None
    assert first.household_id in set(followup["household_id"])  # the store as it was


def test_django_failure_after_the_store_write_restores_the_store(
    accounts: dict[str, Any], constructed: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's side fails after the store was written (here the audit entry, written last in
    the transaction): Django's transaction is rolled back and the store is written again from
    Django's committed follow-up, so that neither keeps the edit."""
    from django.db import DatabaseError

    from mixite.web import views

    case = make_case(accounts["A"], household("MENAGE-DJANGO"), status="proposition1")
    client = Client()
    client.force_login(accounts["bailleur"])
    url = reverse("web:relogement", kwargs={"pk": case.pk})
    assert client.get(url).status_code == 200
    written = []
    real_audit = views.audit

    def failing_audit(request: Any, action: str, target: str, detail: str = "") -> None:
        if "écrit dans la base du territoire" in detail:
            stored = _stored_followup()
            assert stored is not None  # the store holds the edit at this point
            written.append(stored.set_index("household_id").loc[case.household_id, "status"])
            raise DatabaseError("panne simulée de la base de l'application")
        real_audit(request, action, target, detail)

    monkeypatch.setattr(views, "audit", failing_audit)
    with pytest.raises(DatabaseError):
        client.post(url, _rehoused(constructed))
    assert written == ["reloge"]
    case.refresh_from_db()
    assert case.status == "proposition1"
    stored = _stored_followup()
    assert stored is not None
    assert stored.set_index("household_id").loc[case.household_id, "status"] == "proposition1"
