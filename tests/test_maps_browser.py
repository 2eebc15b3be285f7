"""The maps open in headless Chromium with the network cut off, and draw their layers.

``mixite diagnostic`` runs on the small synthetic territory; Chromium (Debian's ``chromium``,
installed by ``.ci/run``) opens ``carte.html`` and ``diagnostic.html`` through Playwright, with
every request other than the page's own file refused and recorded. The expected numbers of
communes, QPV and residences are counted from the store with plain pandas.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mixite.cli import app
from mixite.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def report(petite_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cartes")
    result = CliRunner().invoke(
        app, ["diagnostic", "--base", str(petite_store), "--sortie", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def expected(petite_store: Path) -> dict[str, Any]:
    with Store(petite_store) as store:
        dwellings = store.read("dwellings")
        communes = store.read("communes")
        qpv = store.read("qpv")
    located = dwellings.dropna(subset=["x", "y"])
    return {
        "residences": located["residence_id"].nunique(),
        "communes": int(communes["geometry_wkt"].notna().sum()),
        "names": sorted(communes["commune_name"]),
        "qpv": int(qpv["geometry_wkt"].notna().sum()),
        "qpv_names": sorted(qpv["qpv_name"]),
    }


class Browser:
    """A headless Chromium whose pages may only read local files: any other request is
    refused and recorded in ``refused``; console errors are recorded in ``errors``."""

    def __init__(self, playwright: Any) -> None:
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        self.context = self.browser.new_context(
            offline=True, viewport={"width": 1400, "height": 900}
        )
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = str(route.request.url)
        if url.startswith(("file:", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def open(self, path: Path) -> Any:
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        return page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which("chromium") or Path(CHROMIUM).exists(), (
        "Chromium absent : installez le paquet Debian « chromium » (.ci/run le fait)."
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        session = Browser(playwright)
        yield session
        session.browser.close()


def test_interactive_map_draws_every_layer_offline(
    report: Path, expected: dict[str, Any], browser: Browser
) -> None:
    page = browser.open(report / "carte.html")
    page.wait_for_function("window.mixiteCarte && window.mixiteCarte.pret")
    drawn = page.evaluate("window.mixiteCarte")
    assert drawn == {
        "communes": expected["communes"],
        "qpv": expected["qpv"],
        "residences": expected["residences"],
        "pret": True,
    }
    # every feature is an SVG path with a size on screen
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-pane path.leaflet-interactive'))
              .map(p => { const b = p.getBBox(); return b.width * b.height; })"""
    )
    assert len(sizes) == expected["communes"] + expected["qpv"] + expected["residences"]
    assert min(sizes) > 0
    assert page.locator("path.residence").count() == expected["residences"]
    labels = sorted(page.locator(".etiquette-commune").all_inner_texts())
    assert labels == expected["names"]
    assert sorted(page.locator(".etiquette-qpv").all_inner_texts()) == expected["qpv_names"]
    legend = page.locator(".legende").inner_text()
    assert "non classée (effectif insuffisant)" in legend and "200 logements" in legend
    control = page.locator(".leaflet-control-layers").inner_text()
    assert "Quartiers prioritaires (QPV)" in control and "Aucun fond" in control
    # switching to the quota background colours the communes; a pop-up opens in French
    page.get_by_label(
        "Communes : part des attributions hors QPV au 1er quartile ou relogés"
    ).check()
    fills = page.evaluate(
        """() => Array.from(document.querySelectorAll('.leaflet-communes-pane path'))
              .map(p => p.getAttribute('fill'))"""
    )
    # Each commune takes the colour of its share, white where the share is not published (no
    # attribution, or statistical secrecy: in this small territory most communes' shares are
    # masked, primary or secondary).
    page_text = (report / "carte.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r"var DATA = (\{.*?\});\n", page_text).group(1))  # type: ignore[union-attr]
    colours = [f["properties"]["couleur"] for f in data["communes"]["features"]]
    assert len(fills) == expected["communes"] and sorted(fills) == sorted(colours)
    page.locator("path.residence").first.click(force=True)
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "Code de la résidence" in popup and "Bailleur" in popup
    for raw in ("True", "False", "NaN", "<NA>", "None"):
        assert raw not in popup
    assert browser.refused == [] and browser.errors == []


def test_report_map_draws_offline(report: Path, expected: dict[str, Any], browser: Browser) -> None:
    page = browser.open(report / "diagnostic.html")
    plot = page.locator("#carte .js-plotly-plot")
    plot.wait_for()
    assert page.locator('#carte a[href="carte.html"]').count() == 1
    points = plot.locator(".scatterlayer .trace path.point").count()
    assert points == expected["residences"]
    texts = plot.locator(".scatterlayer .textpoint text").all_text_contents()
    assert set(expected["names"]) <= set(texts) and set(expected["qpv_names"]) <= set(texts)
    # the QPV outlines are drawn, after (above) the residences
    traces = plot.locator(".scatterlayer .trace")
    lines = [traces.nth(i).locator("path.js-line").count() for i in range(traces.count())]
    markers = [traces.nth(i).locator("path.point").count() for i in range(traces.count())]
    last_marker = max(i for i, n in enumerate(markers) if n)
    assert any(lines[last_marker + 1 :])
    legend = " ".join(plot.locator(".legend text").all_text_contents())
    assert "non classée (effectif insuffisant)" in legend and "200 logements" in legend
    assert browser.refused == [] and browser.errors == []


def test_map_outputs_pass_the_output_scan(report: Path, petite_store: Path) -> None:
    """No identifier, Python value, English column name or code without its name in the map
    page's visible text, in the names and pop-ups of its data, or in the GeoPackage's fields."""
    import json
    import re

    from output_scan import code_findings, scan_gpkg, scan_html, territory_codes, visible_text
    from output_scan import words_findings as words

    codes = territory_codes(petite_store)
    page = (report / "carte.html").read_text(encoding="utf-8")
    findings = scan_html(report / "carte.html", codes) + scan_gpkg(report / "residences.gpkg")
    data = json.loads(re.search(r"var DATA = (\{.*?\});\n", page).group(1))  # type: ignore[union-attr]
    popups = [r[5] for r in data["residences"]]
    for layer in ("communes", "qpv"):
        popups += [f["properties"]["popup"] for f in data[layer]["features"]]
    units = [visible_text(p) for p in popups]
    for unit in units:
        findings += words(unit, "carte.html (fenêtre)")
    findings += code_findings(units, codes, "carte.html (fenêtre)")
    assert [str(f) for f in findings] == []
