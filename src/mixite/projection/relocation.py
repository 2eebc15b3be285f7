"""How the households of a demolished residence are relocated: the seam of the relocation
planner.

The projection applies a simple priority rule (``PriorityRelocation``), independent of the
relocation planner of ``mixite.trajectoires`` (built in parallel): every household to relocate applies for a mutation,
outranks every other applicant in the commissions (the law gives NPNRU relocations priority and
counts them with the first quartile outside QPV, CCH art. L441-1), accepts any commune of the
territory and a dwelling of one room fewer to one room more than its own. A planner replaces it
by implementing ``RelocationRule`` and passing it to ``mixite.projection.engine.run_replicate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["PriorityRelocation", "RelocationRule"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


class RelocationRule(Protocol):
    """What the projection asks of a relocation rule or planner."""

    def designation_scores(self, scores: FloatArray, relocating: BoolArray) -> FloatArray:
        """The scores the commissions rank applicants by, once the households to relocate
        (``relocating``) are placed (the other applicants keep their order)."""
        ...

    def wishes(self, commune: ObjectArray, width: int) -> ObjectArray:
        """The wished communes of households to relocate (``width`` columns, ``""`` when none;
        a row of ``""`` accepts every commune), from their current commune."""
        ...

    def rooms(self, current_rooms: IntArray) -> tuple[IntArray, IntArray]:
        """The smallest and largest number of rooms each household to relocate accepts."""
        ...


@dataclass(frozen=True)
class PriorityRelocation:
    """The simple priority rule of the module docstring."""

    #: Rooms fewer and more than the current dwelling that a relocated household accepts.
    fewer_rooms: int = 1
    more_rooms: int = 1

    def designation_scores(self, scores: FloatArray, relocating: BoolArray) -> FloatArray:
        out = np.array(scores, dtype=np.float64, copy=True)
        reloc = np.asarray(relocating, dtype=bool)
        if reloc.any():
            others = out[~reloc]
            top = float(others.max()) if others.size else 0.0
            own = out[reloc]
            span = float(own.max() - own.min()) if own.size else 0.0
            # Above every other applicant, in the order of their own scores.
            out[reloc] = top + 1.0 + (own - own.min()) / (span if span > 0 else 1.0)
        return out

    def wishes(self, commune: ObjectArray, width: int) -> ObjectArray:
        return np.full((len(commune), max(width, 1)), "", dtype=object)

    def rooms(self, current_rooms: IntArray) -> tuple[IntArray, IntArray]:
        rooms = np.asarray(current_rooms, dtype=np.int64)
        return np.maximum(rooms - self.fewer_rooms, 1), rooms + self.more_rooms
