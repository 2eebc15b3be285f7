"""The relocation follow-up of the web application: import of the social survey and the
follow-up table (pseudonyms, landlord of the current residence, one transaction), the edit form
(French validation, audit log), the export in the follow-up format; and the optimisation and
projection runs started from the « Travaux » page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from mixite.store import Store, pseudonymise_with_key
from mixite.web.models import AuditEvent, RelocationCase, Run

from .conftest import household, make_case


def test_import_followup(
    accounts: dict[str, Any], web_store: Path, survey: Path, tmp_path: Path
) -> None:
    """Each surveyed household becomes a case of the landlord of its residence, under the
    store's pseudonym; the follow-up table then sets the statuses; a row naming a household
    outside the survey rejects the whole file and changes nothing."""
    from mixite.errors import InputError
    from mixite.web.relocation import import_followup

    raw = pd.read_csv(survey, sep=";", dtype=str)
    with Store(web_store) as store:
        dwellings = store.read("dwellings", max(store.millesimes("dwellings")))
    owner = dwellings.groupby("residence_id")["landlord_id"].first()
    done = import_followup(survey)
    assert (done.created, done.updated) == (len(raw), 0)
    first = raw.iloc[0]
    pseudonym = str(pseudonymise_with_key(web_store, pd.Series([first["id_menage"]])).iloc[0])
    case = RelocationCase.objects.get(household_id=pseudonym)
    assert case.landlord.code == str(owner[first["residence"]])
    assert case.status == "attente"
    assert not RelocationCase.objects.filter(household_id=first["id_menage"]).exists()
    # The follow-up table: one household rehoused.
    lease = dwellings["dwelling_id"].iloc[0]
    followup = tmp_path / "suivi-relogement.csv"
    followup.write_text(
        "id_menage;operation;statut;logement_propose;nb_refus;logement_attribue;date_bail;commentaire\n"
        f"{pseudonym};{case.operation};reloge;{lease};1;{lease};2025-03-14;\n",
        "utf-8",
    )
    done = import_followup(survey, followup)
    assert (done.created, done.updated) == (0, len(raw))
    case.refresh_from_db()
    assert (case.status, case.refusals, case.dwelling_id) == ("reloge", 1, lease)
    assert case.lease_date is not None and case.lease_date.isoformat() == "2025-03-14"
    bad = tmp_path / "suivi-mauvais.csv"
    bad.write_text(
        followup.read_text("utf-8").replace(";reloge;", ";enquete;")
        + f"INCONNU;{case.operation};enquete;;0;;;\n",
        "utf-8",
    )
    with pytest.raises(InputError) as error:
        import_followup(survey, bad)
    assert (error.value.where.line, error.value.where.value) == (3, "INCONNU")
    case.refresh_from_db()
    assert case.status == "reloge"  # nothing half-imported


def _form(**values: Any) -> dict[str, Any]:
    data = {"status": "enquete", "refusals": 0, "dwelling_id": "", "lease_date": "", "comment": ""}
    data.update(values)
    return data


def test_edit_followup_in_french(accounts: dict[str, Any], web_store: Path) -> None:
    """Wrong combinations are refused with a French sentence and change nothing; a valid
    change is saved and written to the audit log with what changed."""
    menage = household("MENAGE-1")
    case = make_case(accounts["A"], menage)
    with Store(web_store) as store:
        dwellings = store.read("dwellings", max(store.millesimes("dwellings")))
    lease = str(dwellings["dwelling_id"].iloc[3])
    client = Client()
    client.force_login(accounts["bailleur"])
    url = reverse("web:relogement", kwargs={"pk": case.pk})
    refused = {
        "Un ménage relogé a un bail": _form(status="reloge", dwelling_id=lease),
        "Un ménage relogé a un logement": _form(status="reloge", lease_date="14/03/2025"),
        "inconnu de la base": _form(status="reloge", dwelling_id="L-NEANT", lease_date="14/03/2025"),
        "ne se donne que pour un ménage relogé": _form(status="proposition2", lease_date="14/03/2025"),
        "ne peut pas être dans le futur": _form(status="reloge", dwelling_id=lease, lease_date="01/01/2099"),
        "a refusé au moins une proposition": _form(status="refus", refusals=0),
        "il ne peut y avoir 2 refus": _form(status="proposition2", refusals=2),
        "Assurez-vous que cette valeur est inférieure ou égale à 50": _form(refusals=51),
    }  # fmt: skip
    for sentence, data in refused.items():
        response = client.post(url, data)
        assert response.status_code == 200, sentence
        assert sentence in response.content.decode(), sentence
    case.refresh_from_db()
    assert case.status == "enquete"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RELOCATION).exists()
    response = client.post(
        url, _form(status="reloge", refusals=1, dwelling_id=lease, lease_date="14/03/2025")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.refusals, case.dwelling_id) == ("reloge", 1, lease)
    event = AuditEvent.objects.get(action=AuditEvent.Action.RELOCATION)
    assert event.username == "bailleur" and menage in event.target
    assert "enquete → reloge" in event.detail and "0 → 1" in event.detail
    # The list is an audited read; the export is the follow-up format, re-read by its reader.
    page = client.get(reverse("web:relogements")).content.decode()
    assert "relogé (bail signé)" in page and "14/03/2025" in page
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PERSONAL_READ, target="suivi des relogements"
    ).exists()
    export = client.get(reverse("web:relogements_csv"))
    path = web_store.parent / "suivi-export.csv"
    path.write_bytes(b"".join([export.content]))
    from mixite.io.relogement import read_followup

    back = read_followup(path)
    row = back.set_index("household_id").loc[menage]
    assert (row["status"], int(row["refusals"]), row["dwelling_id"]) == ("reloge", 1, lease)
    assert pd.Timestamp(row["lease_date"]).date().isoformat() == "2025-03-14"


def test_optimisation_and_projection_runs(accounts: dict[str, Any], tmp_path: Path) -> None:
    """The administrator starts an optimisation of the example scenarios and a projection of
    an uploaded strategy (read by the strict loader: a wrong key is refused in French); their
    pages and workbooks are offered; sizes above the limits are refused."""
    from django.conf import settings

    admin = Client()
    admin.force_login(accounts["admin"])
    url = reverse("web:travaux")
    response = admin.post(
        url, {"travail": "optimisation", "exemples": ["scenarios/reference.yaml"]}
    )
    assert response.status_code == 302
    run = Run.objects.latest("id")
    assert run.status == Run.Status.DONE, run.error
    assert any(n.endswith(".html") for n in run.outputs)
    assert any(n.endswith(".xlsx") for n in run.outputs)
    name = next(n for n in run.outputs if n.endswith(".xlsx"))
    file = admin.get(reverse("web:fichier", kwargs={"section": "optimisation", "name": name}))
    assert file.status_code == 200
    # Read to the end, the test client's wrapper closes the response; an explicit close() would
    # send request_finished, whose handler closes the test's PostgreSQL connection.
    assert b"".join(file.streaming_content)[:2] == b"PK"  # an XLSX is a zip
    # A strategy with a wrong key: refused before any run, in French, naming the key.
    wrong = tmp_path / "ma_strategie.yaml"
    wrong.write_text(
        "nom: Essai\nattributions:\n  scenario: ../scenarios/reference.yaml\nofre: {}\n"
    )
    runs = Run.objects.count()
    with wrong.open("rb") as f:
        page = admin.post(
            url, {"travail": "projection", "fichier": f, "horizon": 1, "replications": 1}
        )
    assert page.status_code == 200
    assert "ofre" in page.content.decode()
    assert Run.objects.count() == runs
    # Too many replicates: refused.
    limit = settings.MIXITE_RUN_LIMITS["replicates"]
    page = admin.post(url, {"travail": "projection", "horizon": 1, "replications": limit + 1})
    assert page.status_code == 200 and Run.objects.count() == runs
    good = tmp_path / "ma_strategie.yaml"
    good.write_text("nom: Essai\nattributions:\n  scenario: ../scenarios/flechage.yaml\n")
    with good.open("rb") as f:
        response = admin.post(
            url,
            {"travail": "projection", "exemples": ["strategies/reference.yaml"], "fichier": f,
             "horizon": 1, "replications": 1},
        )  # fmt: skip
    assert response.status_code == 302
    run = Run.objects.latest("id")
    assert run.status == Run.Status.DONE, run.error
    assert run.options["horizon"] == 1 and run.options["replicates"] == 1
    html = next(n for n in run.outputs if n.endswith(".html"))
    page = admin.get(reverse("web:fichier", kwargs={"section": "projection", "name": html}))
    body = b"".join(page.streaming_content).decode()
    assert "Essai" in body and "Référence" in body
    event = AuditEvent.objects.filter(action=AuditEvent.Action.RUN).latest("id")
    assert "reference.yaml" in event.detail and "depot_ma_strategie.yaml" in event.detail
