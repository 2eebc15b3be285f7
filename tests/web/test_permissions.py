"""The role × resource matrix: every URL of the application, for every role, on every kind of
object (own partner, another partner, an upload of each, a run, an identifier that does not
exist). A refusal is « introuvable » (404), exactly as for a guessed identifier; a visitor is
sent to the login page. Also: CSRF on every form, Argon2 hashes, login rate limiting."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mixite.web.models import RelocationCase, Run, Upload

from .conftest import PASSWORD, household, make_case

MENAGE_A = household("MENAGE-A")
MENAGE_B = household("MENAGE-B")

ROLES = ("anonyme", "admin", "etat", "bailleur", "reservataire")
ALL = set(ROLES) - {"anonyme"}
MISSING = 999_999


def _client(accounts: dict[str, Any], role: str, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    if role != "anonyme":
        client.force_login(accounts[role])
    return client


@pytest.fixture
def objects(accounts: dict[str, Any]) -> dict[str, int]:
    """One upload of landlord A, one of landlord B, one run."""
    up_a = Upload.objects.create(
        partner=accounts["A"],
        original_name="a.csv",
        stored="/nonexistent/a.csv",
        status=Upload.Status.PENDING,
        report={"file_rows": 1},
    )
    up_b = Upload.objects.create(
        partner=accounts["B"],
        original_name="b.csv",
        stored="/nonexistent/b.csv",
        status=Upload.Status.PENDING,
        report={"file_rows": 1},
    )
    run = Run.objects.create(kind=Run.Kind.DIAGNOSTIC)
    case_a = make_case(accounts["A"], MENAGE_A)
    case_b = make_case(accounts["B"], MENAGE_B)
    return {
        "A": accounts["A"].pk, "B": accounts["B"].pk, "R": accounts["R"].pk,
        "S": accounts["S"].pk, "upA": up_a.pk, "upB": up_b.pk, "run": run.pk,
        "caseA": case_a.pk, "caseB": case_b.pk, "none": MISSING,
    }  # fmt: skip


#: (URL name, object key or None, roles that may GET it). Every URL of ``urls.py`` appears.
MATRIX: list[tuple[str, str | None, set[str]]] = [
    ("web:accueil", None, set(ROLES)),
    ("web:simulateur", None, set(ROLES)),
    ("web:delais", None, set(ROLES)),
    ("web:plotly", None, set(ROLES)),
    ("web:connexion", None, {"anonyme"}),  # an authenticated account is sent to its space
    ("web:partenaires", None, {"admin", "etat"}),
    ("web:partenaire", "A", {"admin", "etat", "bailleur"}),
    ("web:partenaire", "B", {"admin", "etat"}),
    ("web:partenaire", "R", {"admin", "etat", "reservataire"}),
    ("web:partenaire", "S", {"admin", "etat"}),
    ("web:partenaire", "none", set()),
    ("web:attributions", "A", {"admin", "etat", "bailleur"}),
    ("web:attributions", "B", {"admin", "etat"}),
    ("web:attributions", "R", set()),  # a reservataire has no attributions list
    ("web:attributions", "none", set()),
    ("web:deposer", "A", {"admin", "bailleur"}),
    ("web:deposer", "B", {"admin"}),
    ("web:deposer", "R", set()),
    ("web:deposer", "none", set()),
    ("web:depot", "upA", {"admin", "bailleur"}),
    ("web:depot", "upB", {"admin"}),
    ("web:depot", "none", set()),
    ("web:documents", None, ALL),
    ("web:travaux", None, {"admin"}),
    ("web:travail", "run", {"admin"}),
    ("web:travail", "none", set()),
    ("web:journal", None, {"admin"}),
    ("web:journal_csv", None, {"admin"}),
    ("web:relogements", None, {"admin", "bailleur"}),
    ("web:relogements_csv", None, {"admin", "bailleur"}),
    ("web:relogement", "caseA", {"admin", "bailleur"}),
    ("web:relogement", "caseB", {"admin"}),
    ("web:relogement", "none", set()),
]


def _url(name: str, key: str | None, objects: dict[str, int]) -> str:
    return reverse(name, kwargs={"pk": objects[key]}) if key is not None else reverse(name)


@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_every_role(
    role: str, accounts: dict[str, Any], objects: dict[str, int]
) -> None:
    client = _client(accounts, role)
    names = {accounts[k].name for k in ("B", "S")} | {MENAGE_B}
    for name, key, allowed in MATRIX:
        url = _url(name, key, objects)
        response = client.get(url)
        if role in allowed:
            assert response.status_code == 200, (role, url, response.status_code)
        elif role == "anonyme":
            assert response.status_code == 302, (role, url)
            assert response["Location"].startswith(reverse("web:connexion")), (role, url)
        elif name == "web:connexion":
            assert response.status_code == 302, (role, url)
        else:
            # Refused exactly as an identifier that does not exist.
            assert response.status_code == 404, (role, url, response.status_code)
            body = response.content.decode()
            assert not any(n in body for n in names), (role, url)


def test_django_admin_is_for_the_administrator(accounts: dict[str, Any]) -> None:
    """Partners and accounts are managed in Django's admin: the administrator only."""
    for role in ROLES:
        response = _client(accounts, role).get("/admin/web/partner/")
        if role == "admin":
            assert response.status_code == 200
            assert accounts["B"].name in response.content.decode()
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")


def test_a_landlord_sees_no_other_partner(
    accounts: dict[str, Any], objects: dict[str, int]
) -> None:
    """Landlord A's dashboard shows its objectives and no figure of another partner."""
    from mixite.web.models import Partner

    client = _client(accounts, "bailleur")
    body = client.get(reverse("web:partenaire", kwargs={"pk": objects["A"]})).content.decode()
    assert accounts["A"].name in body
    assert 'id="objectifs"' in body
    for other in Partner.objects.exclude(pk=objects["A"]):
        assert other.name not in body, other.name
    # « Mon espace » leads to its own dashboard.
    response = client.get(reverse("web:espace"))
    assert response["Location"] == reverse("web:partenaire", kwargs={"pk": objects["A"]})


def test_no_write_outside_own_data(accounts: dict[str, Any], objects: dict[str, int]) -> None:
    """Landlord A can neither upload for B, nor confirm or cancel B's upload, nor launch a run:
    404 and nothing changes."""
    client = _client(accounts, "bailleur")
    uploads = Upload.objects.count()
    runs = Run.objects.count()
    posts = [
        reverse("web:deposer", kwargs={"pk": objects["B"]}),
        reverse("web:deposer", kwargs={"pk": objects["R"]}),
        reverse("web:confirmer", kwargs={"pk": objects["upB"]}),
        reverse("web:annuler", kwargs={"pk": objects["upB"]}),
        reverse("web:confirmer", kwargs={"pk": MISSING}),
        reverse("web:travaux"),
    ]
    for url in posts:
        response = client.post(url, {"travail": "diagnostic"})
        assert response.status_code == 404, url
    assert Upload.objects.count() == uploads
    assert Run.objects.count() == runs
    assert Upload.objects.get(pk=objects["upB"]).status == Upload.Status.PENDING
    # The reservataire and the State cannot upload nor confirm either.
    for role in ("reservataire", "etat"):
        other = _client(accounts, role)
        for url in posts[:3]:
            assert other.post(url).status_code == 404, (role, url)
    assert Upload.objects.get(pk=objects["upB"]).status == Upload.Status.PENDING


#: Every form of the application: (URL name, object key).
FORMS = [
    ("web:simulateur", None),
    ("web:connexion", None),
    ("web:deconnexion", None),
    ("web:deposer", "A"),
    ("web:confirmer", "upA"),
    ("web:annuler", "upA"),
    ("web:travaux", None),
    ("web:relogement", "caseA"),
]


@pytest.mark.parametrize(("name", "key"), FORMS)
def test_csrf_is_enforced_on_every_form(
    name: str, key: str | None, accounts: dict[str, Any], objects: dict[str, int]
) -> None:
    role = "admin"
    client = _client(accounts, role, enforce_csrf_checks=True)
    response = client.post(
        _url(name, key, objects), {"travail": "diagnostic", "status": "proposition1", "refusals": 0}
    )
    assert response.status_code == 403
    assert "jeton de sécurité" in response.content.decode()
    assert Upload.objects.get(pk=objects["upA"]).status == Upload.Status.PENDING
    assert RelocationCase.objects.get(pk=objects["caseA"]).status == "enquete"


def test_passwords_are_hashed_with_argon2(accounts: dict[str, Any]) -> None:
    user = accounts["bailleur"]
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)


def test_login_attempts_are_rate_limited(accounts: dict[str, Any]) -> None:
    """Five failures for one account from one address lock it out: even the right password is
    refused afterwards (django-axes, ``AXES_FAILURE_LIMIT``)."""
    from django.conf import settings

    client = Client()
    url = reverse("web:connexion")
    ok = client.post(url, {"username": "bailleur", "password": PASSWORD})
    assert ok.status_code == 302
    client.post(reverse("web:deconnexion"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        bad = client.post(url, {"username": "bailleur", "password": "faux"})
        assert bad.status_code in (200, 429)
    locked = client.post(url, {"username": "bailleur", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Connexion bloquée" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    other = Client().post(url, {"username": "etat", "password": PASSWORD})
    assert other.status_code == 302


def test_audit_log_records_personal_reads_and_exports(
    accounts: dict[str, Any], objects: dict[str, int]
) -> None:
    from mixite.web.models import AuditEvent

    client = _client(accounts, "etat")
    assert client.get(reverse("web:attributions", kwargs={"pk": objects["B"]})).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERSONAL_READ)
    assert event.username == "etat"
    assert accounts["B"].code in event.target
    admin = _client(accounts, "admin")
    csv = admin.get(reverse("web:journal_csv"))
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeffdate;compte;rôle;action;objet;détail")
    assert "lecture de données personnelles pseudonymisées" in text
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_a_reservataire_sees_its_flux(accounts: dict[str, Any], objects: dict[str, int]) -> None:
    """Reservataire R's dashboard shows its flux per landlord, as the flux ledger of the quotas
    job gives it (delivered = its attributions there), and its priority objective."""
    from mixite.web import territory

    client = _client(accounts, "reservataire")
    body = client.get(reverse("web:partenaire", kwargs={"pk": objects["R"]})).content.decode()
    ledger = territory.quotas().ledger
    assert ledger is not None
    mine = ledger[ledger["reservataire"].astype(str) == accounts["R"].code]
    assert len(mine) > 0
    assert (
        body.count("<tr>", body.find('id="flux"'), body.find("</table>", body.find('id="flux"')))
        == len(mine) + 1
    )
    assert "Publics prioritaires" in body or "prioritaires" in body


def test_relocation_follow_up_isolation(accounts: dict[str, Any], objects: dict[str, int]) -> None:
    """Landlord A lists, exports and edits only its own households: B's household is neither
    listed nor exported, and editing it (or a guessed identifier) is « introuvable » with
    nothing changed; the reservataire and the State have no follow-up."""
    client = _client(accounts, "bailleur")
    page = client.get(reverse("web:relogements")).content.decode()
    assert MENAGE_A in page and MENAGE_B not in page
    # Narrowing to another landlord shows nothing of it.
    narrowed = client.get(reverse("web:relogements"), {"bailleur": objects["B"]})
    assert MENAGE_B not in narrowed.content.decode()
    csv = client.get(reverse("web:relogements_csv")).content.decode("utf-8")
    assert MENAGE_A in csv and MENAGE_B not in csv
    change = {"status": "proposition1", "refusals": 0, "dwelling_id": "", "lease_date": ""}
    for key in ("caseB", "none"):
        url = reverse("web:relogement", kwargs={"pk": objects[key]})
        assert client.post(url, change).status_code == 404
    assert RelocationCase.objects.get(pk=objects["caseB"]).status == "enquete"
    for role in ("reservataire", "etat"):
        other = _client(accounts, role)
        url = reverse("web:relogement", kwargs={"pk": objects["caseA"]})
        assert other.post(url, change).status_code == 404
    assert RelocationCase.objects.get(pk=objects["caseA"]).status == "enquete"
    # Its own household: saved.
    url = reverse("web:relogement", kwargs={"pk": objects["caseA"]})
    assert client.post(url, change).status_code == 302
    assert RelocationCase.objects.get(pk=objects["caseA"]).status == "proposition1"
    # The administrator sees both.
    admin = _client(accounts, "admin").get(reverse("web:relogements")).content.decode()
    assert MENAGE_A in admin and MENAGE_B in admin
