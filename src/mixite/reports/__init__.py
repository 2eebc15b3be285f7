"""Presentation: HTML, XLSX, CSV, GeoPackage and DOCX outputs rendered from the jobs' results.

One module per result (``diagnostic``, ``quotas``, ``marges``, ``cotation``, ``allocation``,
``documents``, ``trajectoires``), the shared writers (``common``, with the neutralisation of
spreadsheet formulas in ``safe``), the maps (``maps``), the document model (``document``,
``policy``) and the one French-wording module (``fr``). Reports compute nothing:
``tests/test_layers.py`` checks that they import no computation module.
"""

__all__ = [
    "allocation",
    "common",
    "cotation",
    "diagnostic",
    "document",
    "documents",
    "fr",
    "maps",
    "marges",
    "policy",
    "ppgdid",
    "projection",
    "quotas",
    "safe",
    "trajectoires",
]
