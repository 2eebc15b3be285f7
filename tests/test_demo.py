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


def test_every_output_of_the_demo_reads_as_people_read_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Issue « Outputs a conference can adopt », first criterion: every output of the demo (on the
    small territory: the same steps and renderers) is scanned as people read it — HTML visible
    text, XLSX sheet names and cells, CSV headers, GeoPackage fields, DOCX text and the CLI's
    summary — and shows no code identifier, no Python value, no English column name of the schema,
    no landlord, commune or QPV code without its name. The data files in mixite's input formats
    (``donnees/`` folders) are data, with their codes, and are left out."""
    from output_scan import scan_folder, territory_codes, words_findings

    root = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    paths = demo.run_demo(root, report=lines.append, size="petite")
    data = [p for p in root.rglob("donnees") if p.is_dir()]
    findings = scan_folder(root, territory_codes(paths.store), exclude=data)
    findings += words_findings("\n".join(lines), "CLI")
    assert [str(f) for f in findings] == []
    # every step made something, and every output it names exists
    assert paths.made and all(path.exists() for _, path in paths.made)
