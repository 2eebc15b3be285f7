"""The partner pages and the public pages through Django's test client, on the small
synthetic store: uploads through the real reader (errors with line, column and value; the
summary; the import in one transaction), the simulator's points, the waiting times."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse

from mixite.store import Store
from mixite.web.models import Upload

from .conftest import attributions_csv


def _landlord_rows(store: Path, landlord: str) -> tuple[int, int]:
    with Store(store) as s:
        frame = s.read("attributions", max(s.millesimes("attributions")))
    mine = int((frame["landlord_id"].astype(str) == landlord).sum())
    return mine, len(frame) - mine


def test_upload_bad_then_good(accounts: dict[str, Any], web_store: Path, tmp_path: Path) -> None:
    landlord = accounts["A"].code
    client = Client()
    client.force_login(accounts["bailleur"])
    before_mine, before_others = _landlord_rows(web_store, landlord)
    good = attributions_csv(web_store, landlord, tmp_path, drop=5)
    lines = good.read_text("utf-8").splitlines()
    # Line 4 of the file (3rd data row) gets an impossible lease date.
    cells = lines[3].split(";")
    cells[7] = "2024-02-31"
    bad = tmp_path / "mauvais.csv"
    bad.write_text("\n".join([*lines[:3], ";".join(cells), *lines[4:]]) + "\n", "utf-8")
    url = reverse("web:deposer", kwargs={"pk": accounts["A"].pk})
    with bad.open("rb") as f:
        response = client.post(url, {"fichier": f})
    record = Upload.objects.latest("id")
    assert response["Location"] == reverse("web:depot", kwargs={"pk": record.pk})
    assert record.status == Upload.Status.REJECTED
    error = record.report["errors"][0]
    assert (error["line"], error["column"], error["value"]) == (4, "date_bail", "2024-02-31")
    page = client.get(response["Location"]).content.decode()
    assert "2024-02-31" in page and "date_bail" in page
    # A row of another landlord is refused, with its line.
    other = accounts["B"].code
    cells = lines[2].split(";")
    cells[3] = other
    foreign = tmp_path / "autre.csv"
    foreign.write_text("\n".join([*lines[:2], ";".join(cells), *lines[3:]]) + "\n", "utf-8")
    with foreign.open("rb") as f:
        client.post(url, {"fichier": f})
    record = Upload.objects.latest("id")
    assert record.status == Upload.Status.REJECTED
    error = record.report["errors"][0]
    assert (error["line"], error["column"], error["value"]) == (3, "IDENT_REP", other)
    assert _landlord_rows(web_store, landlord) == (before_mine, before_others)
    # The good file: previewed (5 rows fewer), nothing imported before the confirmation.
    with good.open("rb") as f:
        client.post(url, {"fichier": f})
    record = Upload.objects.latest("id")
    assert record.status == Upload.Status.PENDING
    report = record.report
    assert report["file_rows"] == before_mine - 5
    assert (report["removed"], report["added"], report["kept"]) == (5, 0, before_mine - 5)
    assert _landlord_rows(web_store, landlord) == (before_mine, before_others)
    confirm = client.post(reverse("web:confirmer", kwargs={"pk": record.pk}))
    assert confirm.status_code == 302
    record.refresh_from_db()
    assert record.status == Upload.Status.IMPORTED
    # Only the landlord's rows changed.
    assert _landlord_rows(web_store, landlord) == (before_mine - 5, before_others)
    # A second confirmation is refused.
    again = client.post(reverse("web:confirmer", kwargs={"pk": record.pk}))
    assert again.status_code == 400


def test_simulator_explains_the_points(db: Any) -> None:
    """Lyon-like example grid, first applications: filed 01/03/2022, scored on 01/01/2025 →
    34 months = 34 points (1 per month); justified priority 15; three people in one room
    (> 2 per room) 8; single parent 5; conjugal violence (priority e) 20; first quartile (1 200 €
    a month for 1 adult and 2 children is below the threshold) 5: 87 points."""
    client = Client()
    data = {
        "date_depot": "01/03/2022", "age": "34", "situation_pro": "cdi",
        "logement_actuel": "heberge_famille", "motif": "violences", "personnes": "3",
        "adultes": "1", "plus_14": "1", "monoparentale": "on", "ressources": "1200",
        "pieces_actuelles": "1", "commune": "96001", "pieces": "3", "priorites": ["e"],
        "priorite_justifiee": "on", "refus": "0",
    }  # fmt: skip
    response = client.post(reverse("web:simulateur"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Résultat : 87 points" in body, body[body.find("Résultat") : body.find("Résultat") + 80]
    assert "Violences conjugales ou familiales" in body
    assert "Délai d'attente des demandes semblables" in body
    # Nothing typed is kept: no session, no audit event.
    from mixite.web.models import AuditEvent

    assert AuditEvent.objects.count() == 0
    assert "sessionid" not in response.cookies
    # Errors are in French, beside their field.
    response = client.post(reverse("web:simulateur"), {**data, "personnes": "1", "adultes": "2"})
    assert "Il ne peut y avoir plus d'adultes que de personnes." in html.unescape(
        response.content.decode()
    )


def test_waiting_times_page(db: Any, web_store: Path) -> None:
    from mixite.cotation.grid import load_grid
    from mixite.jobs.cotation import load_inputs, public_waiting_times
    from mixite.web.paths import DEFAULT_GRID

    with Store(web_store) as s:
        table = public_waiting_times(load_inputs(s), load_grid(DEFAULT_GRID))
    # Small cells: no observed mean on fewer attributions than the secrecy threshold (11).
    assert ((table["cases"] == 0) | (table["cases"] >= 11)).all()
    body = Client().get(reverse("web:delais")).content.decode()
    assert body.count("<tr>") == len(table) + 1
    assert "Mirebourg" in body


def test_runs_produce_documents(accounts: dict[str, Any]) -> None:
    """The administrator launches the diagnostic; its files are then offered to a landlord."""
    from mixite.web.models import Run

    admin = Client()
    admin.force_login(accounts["admin"])
    response = admin.post(reverse("web:travaux"), {"travail": "diagnostic"})
    assert response.status_code == 302
    run = Run.objects.latest("id")
    assert run.status == Run.Status.DONE, run.error
    assert "diagnostic.html" in run.outputs
    landlord = Client()
    landlord.force_login(accounts["bailleur"])
    page = landlord.get(reverse("web:documents")).content.decode()
    assert "diagnostic.html" in page
    file = landlord.get(
        reverse("web:fichier", kwargs={"section": "diagnostic", "name": "diagnostic.html"})
    )
    assert file.status_code == 200
    assert b"<html" in b"".join(file.streaming_content)[:2000].lower()
    # Only listed names: no path reaches the disk.
    assert landlord.get("/documents/diagnostic/..%2F..%2Fweb.sqlite3").status_code == 404


def test_documents_run_writes_the_ppgdid(accounts: dict[str, Any]) -> None:
    """The documents run writes the PPGDID draft: the grid's criteria with their points and
    articles, the places of the configuration (``exemples/ppgdid.yaml``)."""
    import docx

    from mixite.cotation.audit import grid_rows
    from mixite.web import territory
    from mixite.web.models import Run

    admin = Client()
    admin.force_login(accounts["admin"])
    admin.post(reverse("web:travaux"), {"travail": "documents"})
    run = Run.objects.latest("id")
    assert run.status == Run.Status.DONE, run.error
    assert {"ppgdid.docx", "ppgdid.html", "cia.docx"} <= set(run.outputs)
    path = territory.web_dir() / "sorties" / "documents" / "ppgdid.docx"
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Maison de l'habitat" in "\n".join(
        c.text for t in document.tables for r in t.rows for c in r.cells
    )
    assert "durée de 6 ans" in text
    grid = territory.grid()
    criteria = next(t for t in document.tables if t.rows[0].cells[0].text == "Section")
    assert len(criteria.rows) - 1 == len(grid_rows(grid))
    cells = [c.text for r in criteria.rows for c in r.cells]
    assert "Ménage reconnu prioritaire DALO" in cells and "40" in cells
    assert any("L441-2-3" in c for c in cells)
    # Read as people read it: no identifier, Python value or bare code.
    from output_scan import scan_docx, scan_html, territory_codes

    codes = territory_codes(territory.base())
    page = path.with_suffix(".html")
    assert scan_docx(path, codes) + scan_html(page, codes) == []


def test_pages_read_as_people_read_them(accounts: dict[str, Any], tmp_path: Path) -> None:
    """The dashboard, the partners' page, the simulator's result and the waiting times show no
    identifier, Python value or bare code (``tests/output_scan.py``)."""
    from mixite.web import territory
    from output_scan import scan_html, territory_codes

    codes = territory_codes(territory.base())
    admin = Client()
    admin.force_login(accounts["admin"])
    pages = {
        "partenaire": admin.get(reverse("web:partenaire", kwargs={"pk": accounts["A"].pk})),
        "reservataire": admin.get(reverse("web:partenaire", kwargs={"pk": accounts["R"].pk})),
        "partenaires": admin.get(reverse("web:partenaires")),
        "delais": admin.get(reverse("web:delais")),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        file = tmp_path / f"{name}.html"
        file.write_bytes(response.content)
        assert scan_html(file, codes) == [], name


def test_ppgdid_configuration_errors_are_french(tmp_path: Path) -> None:
    import pytest

    from mixite.errors import ConfigError
    from mixite.jobs.ppgdid import load_config
    from mixite.web.paths import DEFAULT_PPGDID

    broken = tmp_path / "ppgdid.yaml"
    broken.write_text(DEFAULT_PPGDID.read_text("utf-8").replace("duree_annees: 6", "duree: 6"))
    with pytest.raises(ConfigError, match="clé « duree_annees » : absente"):
        load_config(broken)
