"""Small array helpers shared by the generator modules."""

from __future__ import annotations

from typing import Any

import numpy as np


def masked(values: Any, keep: np.ndarray) -> np.ndarray:
    """An object array holding ``values`` where ``keep`` is true and ``None`` elsewhere."""
    out = np.array(values, dtype=object, copy=True)
    if out.ndim == 0:
        out = np.full(len(keep), out.item(), dtype=object)
    out[~np.asarray(keep, dtype=bool)] = None
    return out
