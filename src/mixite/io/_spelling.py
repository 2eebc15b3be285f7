"""The name a user probably meant, for the suggestions of the error messages."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

__all__ = ["closest"]


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (case- and accent-insensitive), if any is close."""
    pool = list(candidates)
    folded = {_fold(c): c for c in pool}
    match = difflib.get_close_matches(_fold(name), list(folded), n=1, cutoff=0.75)
    return folded[match[0]] if match else None


def _fold(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in norm if not unicodedata.combining(ch)).replace(" ", "_")
