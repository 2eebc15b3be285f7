"""The application in headless Chromium (Debian's ``chromium``, driven by Playwright), on a
live server over the small synthetic store: a landlord logs in, sees its objectives, uploads a
bad file and reads the French errors, uploads a good one and sees its figures change; an
applicant uses the simulator; axe-core finds no accessibility violation on the public pages.
Every request outside the live server is refused and recorded (the pages work offline)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, attributions_csv

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


@pytest.fixture
def live_accounts(transactional_db: Any) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from mixite.web.models import Partner, Profile, Role
    from mixite.web.setup import sync_partners

    sync_partners()
    landlord = Partner.objects.filter(kind=Partner.Kind.LANDLORD).order_by("code").first()
    user = get_user_model().objects.create_user("bailleur", password=PASSWORD)
    Profile.objects.create(user=user, role=Role.LANDLORD, partner=landlord)
    return {"A": landlord}


@pytest.fixture
def browser_page(
    live_server: Any, live_accounts: dict[str, Any]
) -> Iterator[tuple[Any, list[str]]]:
    """Chromium on the live server (after the accounts are written: Playwright runs an event
    loop in this thread, where Django refuses database calls)."""
    from playwright.sync_api import sync_playwright

    refused: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="fr-FR")

        def route(r: Any) -> None:
            if r.request.url.startswith((live_server.url, "data:", "blob:", "about:")):
                r.continue_()
            else:
                refused.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        yield page, refused
        browser.close()


def _tick(page: Any, label: str) -> None:
    """Tick a DSFR checkbox with the keyboard (its label covers the box)."""
    box = page.get_by_label(label, exact=True)
    box.focus()
    page.keyboard.press("Space")
    assert box.is_checked()


def _objectives(page: Any) -> list[str]:
    return [c.strip() for c in page.locator("#objectifs tbody td").all_inner_texts()]


def test_landlord_journey(
    browser_page: tuple[Any, list[str]],
    live_server: Any,
    live_accounts: dict[str, Any],
    web_store: Path,
    tmp_path: Path,
) -> None:
    page, refused = browser_page
    landlord = live_accounts["A"]
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant", exact=True).fill("bailleur")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/partenaires/{landlord.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == landlord.name
    before = _objectives(page)
    assert any("%" in c for c in before)
    # The charts with their target line are drawn (plotly, served by the application).
    page.wait_for_selector(".js-plotly-plot .main-svg")
    # A bad file: an impossible date on line 4.
    good = attributions_csv(web_store, landlord.code, tmp_path, drop=8)
    lines = good.read_text("utf-8").splitlines()
    cells = lines[3].split(";")
    cells[7] = "2024-13-01"
    bad = tmp_path / "mauvais.csv"
    bad.write_text("\n".join([*lines[:3], ";".join(cells), *lines[4:]]) + "\n", "utf-8")
    page.get_by_role("link", name="Déposer mes attributions").click()
    page.get_by_label("Fichier des attributions (CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_selector("#erreurs")
    row = page.locator("#erreurs tbody tr").first.locator("td").all_inner_texts()
    assert row[:3] == ["4", "date_bail", "2024-13-01"]
    assert "date" in row[3].lower()
    # The good one: summary, then confirmation; the figures change.
    page.get_by_role("link", name="Déposer un autre fichier").click()
    page.get_by_label("Fichier des attributions (CSV)").set_input_files(str(good))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_selector("#resume")
    assert "8 retirées" in page.locator("#resume").inner_text()
    page.get_by_role("button", name="Confirmer l'import").click()
    page.wait_for_url(f"**/partenaires/{landlord.pk}/")
    assert "Import terminé" in page.locator(".fr-alert").first.inner_text()
    after = _objectives(page)
    assert after != before
    assert refused == []


def test_applicant_simulator_and_accessibility(
    browser_page: tuple[Any, list[str]], live_server: Any, transactional_db: Any
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page, refused = browser_page
    axe = Axe()
    for path in ("/", "/simulateur/", "/delais/", "/connexion/"):
        page.goto(f"{live_server.url}{path}")
        results = axe.run(page)
        assert results.violations_count == 0, (path, results.generate_report())
    page.goto(f"{live_server.url}/simulateur/")
    page.get_by_label("Date de dépôt de votre demande").fill("01/03/2022")
    page.get_by_label("Âge du demandeur", exact=True).fill("34")
    page.get_by_label("Logement actuel", exact=True).select_option("heberge_famille")
    page.get_by_label("Motif principal de la demande", exact=True).select_option("violences")
    page.get_by_label("Nombre de personnes du ménage", exact=True).fill("3")
    page.get_by_label("Nombre d'adultes", exact=True).fill("1")
    page.get_by_label("Nombre de personnes de 14 ans et plus (adultes compris)", exact=True).fill(
        "1"
    )
    _tick(page, "Famille monoparentale")
    page.get_by_label("Ressources mensuelles du ménage (€)", exact=True).fill("1200")
    page.get_by_label("Nombre de pièces du logement actuel (facultatif)", exact=True).fill("1")
    page.get_by_label("Nombre de pièces souhaité (T1 = 1)", exact=True).fill("3")
    _tick(page, "violences conjugales")
    _tick(page, "Ces situations sont justifiées par des pièces")
    # Keyboard: the submit button is reached and pressed with the keyboard.
    page.get_by_role("button", name="Calculer ma cotation").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    errors = page.locator(".fr-error-text").all_inner_texts()
    assert errors == [], errors
    assert page.locator("h1").first.inner_text() == "Simulateur de cotation", page.locator(
        "main"
    ).inner_text()[:1500]
    page.wait_for_selector("#explication")
    # Same situation as tests/web/test_pages.py: 34 + 15 + 8 + 5 + 20 + 5 = 87 points.
    assert page.get_by_role("heading", name="Résultat : 87 points").is_visible()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    assert refused == []


@pytest.fixture
def live_case(live_accounts: dict[str, Any]) -> Any:
    """A household of the landlord's in the relocation follow-up (written before Chromium
    starts)."""
    from .conftest import household, make_case

    return make_case(
        live_accounts["A"], household("MENAGE-NAVIGATEUR"), proposed_dwelling="L-PROPOSE"
    )


def test_landlord_edits_the_relocation_follow_up(
    live_case: Any,
    browser_page: tuple[Any, list[str]],
    live_server: Any,
    web_store: Path,
) -> None:
    """The landlord opens « Relogements », edits its household: a relocation without a lease
    date is refused in French, then the complete one is saved and listed; axe-core finds no
    violation on the follow-up pages."""
    from axe_playwright_python.sync_playwright import Axe

    from mixite.store import Store

    with Store(web_store) as store:
        frame = store.read("dwellings", max(store.millesimes("dwellings")))
    dwelling = str(frame["dwelling_id"].iloc[5])
    page, refused = browser_page
    axe = Axe()
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Identifiant", exact=True).fill("bailleur")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/partenaires/*/")
    page.get_by_role("link", name="Relogements", exact=True).click()
    page.wait_for_selector("#menages")
    menage = live_case.household_id
    assert menage in page.locator("#menages").inner_text()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_role("link", name=f"Modifier le suivi du ménage {menage}").click()
    page.get_by_label("Étape du relogement").select_option("reloge")
    page.get_by_label("Propositions refusées").fill("1")
    page.get_by_label("Logement du bail signé (identifiant IDENT_INT du RPLS)").fill(dwelling)
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector(".fr-error-text")
    errors = page.locator(".fr-error-text").all_inner_texts()
    assert errors == ["Un ménage relogé a un bail : donnez la date de sa signature."], errors
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()
    page.get_by_label("Date du bail signé").fill("14/03/2025")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("#menages")
    assert (
        f"Suivi du ménage {menage} enregistré, pris en compte dans les objectifs."
        in page.locator(".fr-alert").first.inner_text()
    )
    row = page.locator("#menages tbody tr", has_text=menage).locator("td")
    cells = row.all_inner_texts()
    assert cells[3:7] == ["relogé (bail signé)", "L-PROPOSE", "1", "14/03/2025"], cells
    assert refused == []
