"""The national page in headless Chromium with the network cut off: its EPCI table sorts on a
click on a header (numbers by their value) and filters on the search box, without any error.

The page is written from the hand-built national result of ``indicators/national_rows.py``
(Alpha 30 %, shortfall 0; Bêta 20 %, shortfall 5; Gamma without attribution outside QPV)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from indicators.national_rows import national_rows
from mixite.jobs.national import national_summary
from mixite.reports.national import write_national

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _names(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('#table-epci tbody tr'))
                  .filter(r => r.style.display !== 'none').map(r => r.cells[1].textContent)"""
        )
    )


def test_the_epci_table_sorts_and_filters_offline(tmp_path: Path) -> None:
    assert shutil.which("chromium") or Path(CHROMIUM).exists(), (
        "Chromium absent : installez le paquet Debian « chromium » (.ci/run le fait)."
    )
    from playwright.sync_api import sync_playwright

    failures = pd.DataFrame(columns=["epci", "epci_name", "task", "error"])
    result = national_summary(national_rows(), failures, ["diagnostic", "quotas", "simulation"],
                              when=dt.date(2025, 6, 1))  # fmt: skip
    outputs = write_national(result, tmp_path)
    refused: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = str(r.request.url)
        if url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            refused.append(url)
            r.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(offline=True)
        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(outputs.html.as_uri(), wait_until="load")
        # the order written: who misses the objective first
        assert _names(page) == ["CA Bêta", "CA Alpha", "CU Gamma"]
        # one click on « … : manque » sorts by the number (0 < 5), Gamma's « 0 » too: Alpha
        # and Gamma (0) before Bêta (5); a second click reverses it
        header = page.locator("#table-epci th", has_text="Q1 ou relogés hors QPV : manque")
        header.click()
        assert _names(page)[-1] == "CA Bêta"
        header.click()
        assert _names(page)[0] == "CA Bêta"
        # the share sorts by its value, not by its text: 20 % < 30 %, Gamma (none) last
        page.locator("#table-epci th", has_text="Q1 ou relogés hors QPV : part").click()
        assert _names(page) == ["CA Bêta", "CA Alpha", "CU Gamma"]
        page.fill("#filtre-epci", "alpha")
        assert _names(page) == ["CA Alpha"]
        assert page.inner_text("#compte-epci") == "1 EPCI affiché(s)"
        browser.close()
    assert errors == [] and refused == []
