"""A representative subset of the robustness probe (issue 21, « Done when »; the whole probe is
``scripts/probe_robustness.py``, ``make probe``): malformed variants of a tiny territory's files
imported through the real command line into copies of its base, and some injected faults.

Each variant is either refused in French with the base unchanged byte for byte, or read into
exactly the reference content (same rows, same values): no traceback, no silent change, no row
lost.
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "probe_robustness.py"

pytestmark = pytest.mark.slow


def _probe_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("probe_robustness", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["probe_robustness"] = module
    spec.loader.exec_module(module)
    return module


probe = _probe_module()

#: One variant of each family: encodings, line endings, long lines, YAML, cross-file, damage.
SUBSET = (
    "communes.csv : Windows-1252",
    "communes.csv : une ligne en Latin-1 dans de l'UTF-8",
    "rpls.csv : CRLF et LF mélangés",
    "rpls.csv : ligne de 2 Mio",
    "rpls.csv : lignes vides intercalées",
    "demandes.csv : tronqué au milieu d'une ligne",
    "attributions.csv : virgules décimales",
    "territoire.yaml : bombe d'alias",
    "territoire.yaml : clé en double",
    "occupation.csv : un logement occupé par deux ménages",
    "reservations.csv : parts de plus de 100 %",
    "qpv.geojson : tronqué",
    "qpv.geojson : géométrie nulle",
    "qpv.geojson : polygone auto-intersecté",
)
#: One damaged file of each reader outside the import: the relocation survey and charter, the
#: strategy's programming table.
READER_SUBSET = (
    "enquete.csv : Windows-1252",
    "charte.yaml : bombe d'alias",
    "programmation_plh.csv : ligne de 2 Mio",
    "programmation_plh.csv : ligne en double",
)


@pytest.fixture(scope="module")
def territory(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object, Path]:
    work = tmp_path_factory.mktemp("sonde")
    folder, reference, expected = probe.prepare(work, 200, "petite")
    return folder, reference, expected, work


def test_the_probe_has_as_many_variants_as_the_issue_reported(
    territory: tuple[Path, Path, object, Path],
) -> None:
    folder = territory[0]
    names = [v.name for v in probe.all_variants(folder)]
    assert len(names) >= 117
    assert len(set(names)) == len(names)
    assert set(SUBSET) <= set(names)


def test_representative_variants_are_refused_in_french_or_read_exactly(
    territory: tuple[Path, Path, object, Path],
) -> None:
    folder, reference, expected, work = territory
    variants = {v.name: v for v in probe.all_variants(folder)}
    report = probe.Report()
    for name in SUBSET:
        probe.run_variant(variants[name], folder, reference, expected, work, report)
    assert report.variants == len(SUBSET)
    assert report.problems == []
    assert (report.tracebacks, report.silent_changes, report.rows_lost, report.bases_altered) == (
        0,
        0,
        0,
        0,
    )
    # Windows-1252, mixed line endings, blank lines and decimal commas are read exactly; the
    # self-intersecting perimeter is repaired and the import says so.
    assert report.read_correctly == 4
    assert report.repaired == 1
    assert report.refused == len(SUBSET) - 5


def test_the_readers_outside_the_import_refuse_in_french_or_read_exactly(
    territory: tuple[Path, Path, object, Path],
) -> None:
    _, reference, _, work = territory
    report = probe.Report()
    cases = {case.file: case for case in probe.reader_cases(work, reference)}
    assert set(cases) >= {"programme.csv", "enquete.csv", "charte.yaml", "taux_sru.csv"}
    for name in READER_SUBSET:
        case = cases[name.split(" : ")[0]]
        variant = next(v for v in probe.reader_variants(case) if v.name == name)
        probe.run_reader_variant(case, variant, work, report)
    assert report.problems == []
    assert (report.variants, report.read_correctly, report.refused) == (4, 1, 3)


def test_sigkill_during_an_import_leaves_the_old_or_the_new_state(
    territory: tuple[Path, Path, object, Path],
) -> None:
    folder, reference, _, work = territory
    report = probe.Report()
    probe.fault_kills(folder, reference, work / "kills", report, moments=2)
    assert report.faults == 4  # 2 SIGKILL, SIGINT, SIGTERM
    assert report.fault_failures == 0, report.problems
    assert signal.SIGKILL  # the signals are the real ones, sent to the real command


def test_damaged_bases_are_refused_in_french_and_left_as_they_are(
    territory: tuple[Path, Path, object, Path],
) -> None:
    folder, reference, _, work = territory
    report = probe.Report()
    probe.fault_damaged(folder, reference, work / "abimees", report)
    assert report.faults == 12
    assert report.fault_failures == 0, report.problems
