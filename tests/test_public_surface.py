"""The public surface of each package is curated (``__all__``) and pinned here: a change to it is
a deliberate change of this list (as httpx pins its exported members)."""

from __future__ import annotations

import importlib

import pytest

SURFACE: dict[str, list[str]] = {
    "mixite": ["MixiteError", "__version__"],
    "mixite.allocation": [
        "column_generation", "flow", "frontier", "highs", "instances", "optimise", "problem",
        "repair", "result", "scenario", "simulate",
    ],
    "mixite.cli": ["COMMAND_MODULES", "app", "main"],
    "mixite.cotation": [
        "Comparison", "Explanation", "ExplanationLine", "Grid", "ScoringContext", "audit_groups",
        "audit_ranks", "check_compliance", "compare_grids", "criterion_counts", "describe_condition", "explain",
        "known_fields", "load_grid", "parse_grid", "positions", "score_applications",
        "score_distribution", "waiting_times", "yearly_attributions",
    ],
    "mixite.indicators": [
        "DEFINITIONS", "KEYS", "TABLES", "Definition", "column_definition", "demand",
        "fragility", "occupancy", "publishable", "quotas", "rents", "segregation",
        "small_cell_threshold", "stock", "suppress_small_cells", "territorial_diagnostic",
    ],
    "mixite.io": [
        "FILE_NAMES", "RPLS_2025_COLUMNS", "RPLS_RESTRICTED_COLUMNS", "TERRITORY_COLUMNS",
        "ColumnMapping", "detect_kind", "load_mapping", "read_any", "read_commitments",
        "read_folder", "read_qpv", "read_rpls", "read_sru", "read_table", "read_territory",
    ],
    "mixite.jobs": [
        "allocation", "cotation", "diagnostic", "documents", "importing", "ppgdid", "projection",
        "results", "trajectoires",
    ],
    "mixite.national": [
        "FranceGeneration", "NationalRun", "Territory", "TerritoryReport", "discover",
        "generate_france", "open_client", "run_national",
    ],
    "mixite.params": [
        "YAML_MAX_BYTES", "YAML_MAX_DEPTH", "YAML_MAX_NODES", "ParamValue", "Parameter",
        "Parameters", "YamlDocument", "YamlError", "as_date", "default_parameters",
        "load_parameters", "load_yaml", "param", "parse_yaml", "read_yaml_file", "resolve",
    ],
    "mixite.projection": [
        "base", "calibration", "engine", "outputs", "project", "rates", "relocation", "strategy",
    ],
    "mixite.reports": [
        "allocation", "common", "cotation", "diagnostic", "document", "documents", "fr", "maps",
        "marges", "policy", "ppgdid", "projection", "quotas", "safe", "trajectoires",
    ],
    "mixite.trajectoires": ["chains", "relogement", "suivi", "ttc"],
    "mixite.synth": [
        "FILES", "SIZES", "Figure", "GenerationResult", "SizeProfile", "Tally",
        "calibration_figures", "generate", "load_model", "size_profile",
    ],
    "mixite.web": ["paths", "permissions", "server", "setup", "territory"],
    "mixite.web.migrations": [],
}  # fmt: skip


@pytest.mark.parametrize("package", sorted(SURFACE))
def test_the_public_surface_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(SURFACE[package])
    for name in module.__all__:
        # every listed name resolves (an attribute, or a submodule of the package)
        if not hasattr(module, name):
            importlib.import_module(f"{package}.{name}")


def test_every_package_declares_its_surface() -> None:
    from pathlib import Path

    root = Path(importlib.import_module("mixite").__file__).parent  # type: ignore[arg-type]
    packages = {
        "mixite" + "".join(f".{p}" for p in init.parent.relative_to(root).parts)
        for init in root.rglob("__init__.py")
    }
    assert packages == set(SURFACE)
