"""The demo is one explicit, ordered list of steps (``mixite.demo.DEMO_STEPS``)."""

from __future__ import annotations

import pytest

from mixite import demo


def test_the_demo_steps_in_their_order() -> None:
    # The order a user's work follows: the territory, its store, then every analysis; the
    # allocation steps come last (the optimisation reuses nothing of the others, but it is the
    # longest and the frontier follows it).
    assert [step.run for step in demo.DEMO_STEPS] == [
        demo.step_generate,
        demo.step_import,
        demo.step_cotation,
        demo.step_diagnostic,
        demo.step_documents,
        demo.step_marges,
        demo.step_relogement,
        demo.step_mutations,
        demo.step_simulation,
        demo.step_optimisation,
        demo.step_projection,
    ]
    labels = [step.label for step in demo.DEMO_STEPS]
    assert len(set(labels)) == len(labels)


def test_no_step_is_registered_by_importing_the_cli() -> None:
    # Importing the command line changes nothing in the demo (no registration at import time).
    before = demo.DEMO_STEPS
    import mixite.cli  # noqa: F401

    assert demo.DEMO_STEPS is before
    assert isinstance(demo.DEMO_STEPS, tuple)


@pytest.fixture(scope="module")
def petite_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[demo.DemoPaths, list[str]]:
    """The demo on the small territory (the same steps and renderers), built once for the
    tests of this module, with the lines it printed."""
    root = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    paths = demo.run_demo(root, report=lines.append, size="petite")
    return paths, lines


def test_every_output_of_the_demo_reads_as_people_read_it(
    petite_demo: tuple[demo.DemoPaths, list[str]],
) -> None:
    """Issue « Outputs a conference can adopt », first criterion: every output of the demo (on the
    small territory: the same steps and renderers) is scanned as people read it — HTML visible
    text, XLSX sheet names and cells, CSV headers, GeoPackage fields, DOCX text and the CLI's
    summary — and shows no code identifier, no Python value, no English column name of the schema,
    no landlord, commune or QPV code without its name. The data files in mixite's input formats
    (``donnees/`` folders) are data, with their codes, and are left out."""
    from output_scan import scan_folder, territory_codes, words_findings

    paths, lines = petite_demo
    root = paths.root
    data = [p for p in root.rglob("donnees") if p.is_dir()]
    findings = scan_folder(root, territory_codes(paths.store), exclude=data)
    findings += words_findings("\n".join(lines), "CLI")
    assert [str(f) for f in findings] == []
    # every step made something, and every output it names exists
    assert paths.made and all(path.exists() for _, path in paths.made)


def test_no_published_table_of_the_demo_discloses_a_small_count(
    petite_demo: tuple[demo.DemoPaths, list[str]],
) -> None:
    """Issue 21, « Done when »: every XLSX, CSV and GeoPackage table the demo writes, read back
    from the files (``secrecy_scan``), shows no count of persons from 1 to the threshold − 1,
    no share whose numerator or complement is such a count, and no masked count that the totals
    written in the same table give back by subtraction. Counts of dwellings are published
    (parameter ``secret_statistique.logements`` false, CCH art. R411-4). The working documents
    (relocation, mutations) carry their mark and are left out by the checker's rule."""
    from mixite.params import default_parameters
    from secrecy_scan import scan_secrecy

    paths, _ = petite_demo
    root = paths.root
    params = default_parameters()
    threshold = int(params.value("secret_statistique.seuil", f"{paths.millesime}-01-01"))
    assert params.value("secret_statistique.logements", f"{paths.millesime}-01-01") is False
    data = [p for p in root.rglob("donnees") if p.is_dir()]
    scan = scan_secrecy(root, threshold, exclude=data)
    assert [str(f) for f in scan.findings] == []
    # the check read the tables of persons of every publication it covers
    read = {t.where.split(" [")[0] for t in scan.persons_tables()}
    for published in (
        "rapport/diagnostic.xlsx",
        "rapport/quotas.csv",
        "rapport/residences.gpkg",
        "marges/marges.xlsx",
        "sorties/cotation/cotation.xlsx",
        "sorties/simulation/comparaison.xlsx",
        "sorties/simulation/indicateurs_reference.csv",
        "sorties/optimisation/comparaison.xlsx",
        "sorties/projection/projection.xlsx",
        "sorties/projection/territoire.csv",
        "sorties/projection/projection_reference.gpkg",
    ):
        assert published in read
    rules = {where.split(" [")[0]: rule for where, rule in scan.excluded}
    assert "document de travail" in rules["sorties/relogement/relogement.xlsx"]
    assert "document de travail" in rules["sorties/mutations/mutations.xlsx"]
