"""Where the web application keeps its files: beside the territory's store."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_GRID", "DEFAULT_PPGDID", "web_folder"]

#: The cotation grid of the public simulator when the territory gives none (the demo's).
DEFAULT_GRID = (
    Path(__file__).resolve().parents[3] / "exemples" / "grilles" / "lyon_illustrative.yaml"
)

#: The PPGDID configuration when the territory gives none (the demo's example).
DEFAULT_PPGDID = Path(__file__).resolve().parents[3] / "exemples" / "ppgdid.yaml"


def web_folder(base: Path) -> Path:
    """The web application's folder of the store ``base``: ``<base without suffix>.web``
    beside it (``territoire.duckdb`` → ``territoire.web/``)."""
    return base.with_suffix(".web")
