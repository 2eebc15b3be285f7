"""Statistical secrecy of a publication: primary and secondary suppression, and its audit.

The model (``docs/secret-statistique.md``). A *publication* is a set of tables written together
(the diagnostic workbook, its GeoPackage and ``quotas.csv``; a cotation audit…). Each count cell
is a **variable**: the number of persons of a population (the *measure*: households under 20 %
of the PLUS ceiling, Q1 attributions outside QPV…) in a cell identified by its **dimensions**
(commune, QPV, landlord, residence…). Two cells of two tables with the same measure and
dimensions are the same variable, masked together. A share published beside its denominator
publishes its numerator: the numerator is a variable too (``Ratio``), and so is its complement
(denominator − numerator, ``rest``).

What a reader can add up is declared, not guessed:

* ``Shape.margins``: the rows of a table list every group of the population along these
  dimensions, so the cell without one of them is the sum of the rows (``Structure.hierarchies``
  say which dimension can be summed out: the finest one present of each hierarchy, e.g.
  residence → QPV → QPV or not);
* ``Identity``: a measure is the sum of others (all attributions = those outside QPV + those in
  QPV), for every dimension;
* ``Ratio`` and ``Part``: a part of a population and its complement;
* ``Structure.implied``: a fine dimension implies coarser ones (a residence is in one commune,
  IRIS, QPV and landlord), so that the cells of different tables meet in one lattice.

Every variable is a linear combination of **atoms** (the finest variables); the published values
and the relations not used as definitions are linear equations on the atoms. A variable is
**recoverable** when its combination lies in the row space of those equations restricted to the
unknown atoms (exact linear algebra on each connected block: the subtraction attack and any
combination of subtractions).

``protect`` applies, with the true values:

1. primary suppression: every variable with a value from 1 to ``threshold − 1`` is masked (for a
   share, its numerator or complement: the share is masked);
2. secondary suppression, greedily: while a masked variable, or an unpublished variable (a
   complement, a sum) with a value from 1 to ``threshold − 1``, is recoverable, the published
   variable nearest to it in the relations is masked (preferring, among the nearest, a cell that
   is not a total, with a value of at least ``threshold``, the smallest);
3. every share whose numerator or denominator is masked is masked, and every column that
   ``follows`` a masked cell (means, medians, intervals, indices) too.

``audit`` reads published tables (masked cells are missing) as a reader would, and reports the
counts from 1 to ``threshold − 1`` that are shown or implied by a share, and the masked cells
(or small implied counts) that the published figures give back.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mixite._gc import without_gc

__all__ = [
    "Count",
    "Finding",
    "Identity",
    "Part",
    "Protection",
    "Ratio",
    "Shape",
    "Structure",
    "audit",
    "protect",
]

Dims = tuple[tuple[str, str], ...]
Key = tuple[str, Dims]
Cell = tuple[str, Any, str]  # table, row label, column

_DEBUG = False
#: Rounds a recoverable cell may stay recoverable before ``protect`` gives up on it (and says so).
_MAX_TRIES = 12

#: Dimension value of a missing key (« hors QPV » rows are given their own label by the shapes).
MISSING = "∅"


@dataclass(frozen=True)
class Count:
    """A count column: each row's cell counts ``measure`` in the row's dimensions.

    ``measure`` is a name, a ``str.format`` pattern over the row's columns
    (``"cible:{indicator}"``) or a function of the row. ``rename`` renames some of the row's
    dimensions for this column (the row's commune is the wished commune of the applications and
    the dwelling's commune of the attributions); ``over`` keeps only these dimensions (a
    landlord's total repeated on each of its rows).
    """

    column: str
    measure: str | Callable[[Mapping[str, Any]], str]
    rename: Mapping[str, str] = field(default_factory=dict)
    over: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Ratio:
    """A share column: ``numerator`` / ``denominator`` (measures). The denominator is taken in
    the row's dimensions, or only in ``over`` of them (``()``: the whole table's population, as
    « part du parc »). ``part``: the numerator counts a part of the denominator's population, so
    the complement is a count too."""

    column: str
    numerator: str | Callable[[Mapping[str, Any]], str]
    denominator: str | Callable[[Mapping[str, Any]], str]
    over: tuple[str, ...] | None = None
    part: bool = True
    rename: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """``part`` counts a part of ``whole``'s population (same row): their difference is a
    count."""

    part: str
    whole: str


@dataclass(frozen=True)
class Shape:
    """What a reader can do with a table's cells (see the module docstring).

    ``dims``: the columns that identify a row, as dimensions (``rename`` maps a column to a
    dimension name; ``fixed`` adds constant dimensions; ``row_dims`` computes them instead);
    ``counts`` and ``ratios``: the count and share columns; ``parts``: subsets without a share
    column; ``follows``: column → the count, share or other follow columns of the same row it
    reveals (masked with any of them); ``margins``: the dimensions along which the table lists
    every group (None: all of them); ``where``: only the rows whose column holds one of the
    values (one table may have one shape per block of rows); ``secret``: False for counts that
    are not about persons and are published as they are (they still take part in the sums);
    ``integral``: the counts are whole numbers (False for means over simulations).
    """

    dims: tuple[str, ...] = ()
    counts: tuple[Count, ...] = ()
    ratios: tuple[Ratio, ...] = ()
    parts: tuple[Part, ...] = ()
    follows: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rename: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, str] = field(default_factory=dict)
    row_dims: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None
    margins: tuple[str, ...] | None = None
    where: Mapping[str, tuple[Any, ...]] | None = None
    secret: bool = True
    integral: bool = True


@dataclass(frozen=True)
class Identity:
    """``total`` = Σ ``parts`` (measures), in every dimensions where one of them is published."""

    total: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Structure:
    """The relations between the dimensions of a publication.

    ``hierarchies``: chains of dimensions from the coarsest to the finest (a dimension may end
    several chains: the residence is in a commune, a QPV and a landlord); a dimension in no chain
    is never summed out. ``implied``: dimension → value → the coarser dimensions it implies.
    """

    hierarchies: tuple[tuple[str, ...], ...] = ()
    identities: tuple[Identity, ...] = ()
    implied: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One disclosure found by ``audit``, described in French."""

    table: str
    row: Any
    column: str
    kind: str  # "publiée", "implicite", "recalculable"
    value: float
    message: str


@dataclass
class Protection:
    """What ``protect`` returns: the masked tables and what was done."""

    tables: dict[str, pd.DataFrame]
    primary: int = 0
    secondary: int = 0
    rounds: int = 0
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


def _code(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


class _Model:
    """Variables, cells and relations of a publication (see the module docstring)."""

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame],
        shapes: Mapping[str, Sequence[Shape]],
        structure: Structure,
    ) -> None:
        self.structure = structure
        self.keys: list[Key] = []
        self.index: dict[Key, int] = {}
        self.value: list[float] = []
        self.kind: list[str] = []
        self.complete: list[set[str]] = []
        self.maskable: list[bool] = []  # a published variable about persons
        self.secret: list[bool] = []  # about persons (published or not)
        self.integral: list[bool] = []
        self.count_cells: dict[int, list[Cell]] = defaultdict(list)
        self.ratio_cells: list[tuple[Cell, int, int, float]] = []
        self.follow_cells: list[tuple[Cell, list[Cell]]] = []
        self.relations: list[tuple[int, list[int]]] = []
        self.relation_kind: list[str] = []
        self.rest_of: dict[int, int] = {}  # rest var → its relation
        self.wholes: set[int] = set()  # variables with a part (denominators)
        self.notes: list[str] = []
        self._conflicts: set[int] = set()
        for name, frame in frames.items():
            table_shapes = shapes.get(name, ())
            for shape in table_shapes:
                self._add_table(name, frame, shape)
        self._identities()
        self._lattice()

    # -- variables ----------------------------------------------------------------------------

    def var(self, key: Key, kind: str = "cell") -> int:
        found = self.index.get(key)
        if found is not None:
            return found
        i = len(self.keys)
        self.keys.append(key)
        self.index[key] = i
        self.value.append(math.nan)
        self.kind.append(kind)
        self.complete.append(set())
        self.maskable.append(False)
        self.secret.append(False)
        self.integral.append(True)
        return i

    def _observe(self, i: int, value: float, cell: Cell) -> None:
        if math.isnan(value):
            return
        old = self.value[i]
        if math.isnan(old):
            self.value[i] = value
        elif abs(old - value) > 1e-6 * max(1.0, abs(old)) and i not in self._conflicts:
            self._conflicts.add(i)
            self.notes.append(
                f"{self.describe(i)} : deux valeurs différentes ({old:g} et {value:g}, "
                f"table « {cell[0]} », colonne « {cell[2]} »)"
            )

    def describe(self, i: int) -> str:
        measure, dims = self.keys[i]
        where = ", ".join(f"{d} = {v}" for d, v in dims) or "ensemble"
        return f"{measure} ({where})"

    def _dims(self, row: Mapping[str, Any], shape: Shape) -> dict[str, str]:
        if shape.row_dims is not None:
            dims = {k: str(v) for k, v in shape.row_dims(row).items()}
        else:
            dims = {shape.rename.get(c, c): _code(row[c]) for c in shape.dims}
        dims.update(shape.fixed)
        # Closure over the implied dimensions (a residence implies its commune, QPV…).
        todo = list(dims)
        while todo:
            d = todo.pop()
            implied = self.structure.implied.get(d, {}).get(dims[d], {})
            for k, v in implied.items():
                if k not in dims:
                    dims[k] = v
                    todo.append(k)
        return dims

    def _add_table(self, name: str, frame: pd.DataFrame, shape: Shape) -> None:
        rows = frame
        if shape.where is not None:
            keep = np.ones(len(frame), dtype=bool)
            for col, values in shape.where.items():
                keep &= frame[col].isin(list(values)).to_numpy()
            rows = frame.loc[keep]
        present = set(frame.columns)
        counts = [c for c in shape.counts if c.column in present]
        ratios = [r for r in shape.ratios if r.column in present]
        follows = {
            c: tuple(x for x in sources if x in present)
            for c, sources in shape.follows.items()
            if c in present
        }
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in r.items()} for r in rows.to_dict("records")
        ]
        # Per row in Python (the order in which variables are created is part of the result:
        # it breaks ties between partners), but without closures or dictionaries rebuilt for
        # each row and column: the large tables (room for manoeuvre: 160 000 rows) spend most of
        # the model's time here.
        var, complete = self.var, self.complete
        maskable, secret, integral = self.maskable, self.secret, self.integral
        is_secret, is_integral = shape.secret, shape.integral

        def fixed_measure(
            pattern: str | Callable[[Mapping[str, Any]], str],
        ) -> str | None:
            return None if callable(pattern) or "{" in pattern else pattern

        def measure(
            pattern: str | Callable[[Mapping[str, Any]], str], row: Mapping[str, Any]
        ) -> str:
            if callable(pattern):
                return pattern(row)
            return pattern.format(**row)

        count_plan = [
            (c.measure, fixed_measure(c.measure), c.rename, c.over, c.column) for c in counts
        ]
        ratio_plan = [
            (
                r.numerator,
                fixed_measure(r.numerator),
                r.denominator,
                fixed_measure(r.denominator),
                r.rename,
                r.over,
                r.column,
                r.part,
            )
            for r in ratios
        ]
        part_plan = [
            (p.part, fixed_measure(p.part), p.whole, fixed_measure(p.whole)) for p in shape.parts
        ]
        follow_plan = list(follows.items())
        shape_margins = None if shape.margins is None else set(shape.margins)

        def count_var(name_: str, dims_: Dims, margins: set[str], key_dims: Dims) -> int:
            i = var((name_, dims_))
            if margins:
                # most columns count in the row's own dimensions, whose margins are ``margins``
                complete[i] |= margins if dims_ is key_dims else {d for d, _ in dims_} & margins
            if is_secret:
                maskable[i] = True
                secret[i] = True
            if not is_integral:
                integral[i] = False
            return i

        def dims_for(
            rename: Mapping[str, str],
            over: tuple[str, ...] | None,
            dims: dict[str, str],
            key_dims: Dims,
        ) -> Dims:
            if not rename:
                if over is None:
                    return key_dims
                return tuple((d, v) for d, v in key_dims if d in over)
            renamed = {rename.get(d, d): v for d, v in dims.items()}
            if over is not None:
                renamed = {d: v for d, v in renamed.items() if d in over}
            return tuple(sorted(renamed.items()))

        for label, row in zip(rows.index, records, strict=True):
            dims = self._dims(row, shape)
            key_dims: Dims = tuple(sorted(dims.items()))
            margins = set(dims) if shape_margins is None else shape_margins & set(dims)
            for pattern, fixed, rename, over, column in count_plan:
                i = count_var(
                    measure(pattern, row) if fixed is None else fixed,
                    dims_for(rename, over, dims, key_dims),
                    margins,
                    key_dims,
                )
                cell = (name, label, column)
                self.count_cells[i].append(cell)
                self._observe(i, _number(row[column]), cell)
            for numerator, fixed_n, denominator, fixed_d, rename, over, column, part in ratio_plan:
                num = count_var(
                    measure(numerator, row) if fixed_n is None else fixed_n,
                    dims_for(rename, None, dims, key_dims),
                    margins,
                    key_dims,
                )
                den = count_var(
                    measure(denominator, row) if fixed_d is None else fixed_d,
                    dims_for(rename, over, dims, key_dims),
                    margins,
                    key_dims,
                )
                cell = (name, label, column)
                self.ratio_cells.append((cell, num, den, _number(row[column])))
                if part:
                    self._rest(num, den)
            for part_, fixed_p, whole, fixed_w in part_plan:
                self._rest(
                    count_var(
                        measure(part_, row) if fixed_p is None else fixed_p,
                        key_dims,
                        margins,
                        key_dims,
                    ),
                    count_var(
                        measure(whole, row) if fixed_w is None else fixed_w,
                        key_dims,
                        margins,
                        key_dims,
                    ),
                )
            for column, sources in follow_plan:
                self.follow_cells.append(
                    ((name, label, column), [(name, label, s) for s in sources])
                )

    def _rest(self, part: int, whole: int) -> None:
        measure, dims = self.keys[whole]
        rest = self.var((f"{measure} − {self.keys[part][0]}", dims), "rest")
        if rest in self.rest_of:
            return
        self.integral[rest] = self.integral[part] and self.integral[whole]
        self.secret[rest] = self.secret[part] or self.secret[whole]
        self.rest_of[rest] = len(self.relations)
        self.wholes.add(whole)
        self._relate(whole, [part, rest], "part")

    def _relate(self, total: int, parts: list[int], kind: str) -> None:
        self.relations.append((total, parts))
        self.relation_kind.append(kind)

    def _identities(self) -> None:
        for identity in self.structure.identities:
            members = (identity.total, *identity.parts)
            dims_seen = {dims for (m, dims) in self.keys if m in members}
            for dims in sorted(dims_seen):
                existing = [self.index[(m, dims)] for m in members if (m, dims) in self.index]
                complete = set.intersection(*(self.complete[i] for i in existing))
                secret = any(self.secret[i] for i in existing)
                ids = []
                for m in members:
                    i = self.var((m, dims), "identity")
                    if self.kind[i] == "identity":
                        self.complete[i] |= complete
                        self.secret[i] = self.secret[i] or secret
                    ids.append(i)
                self._relate(ids[0], ids[1:], "identity")

    def _lattice(self) -> None:
        """Sums along dimensions: a variable whose dimensions are a subset of those of a complete
        family of finer variables (same measure) is their sum. Targets are the published
        signatures (sets of dimension names) and the common parts of two signatures (so that two
        tables that never share a cell still meet, e.g. residences and IRIS × quartile)."""
        by_measure: dict[str, dict[frozenset[str], list[int]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for i, (measure, dims) in enumerate(self.keys):
            if self.kind[i] != "rest":
                by_measure[measure][frozenset(d for d, _ in dims)].append(i)
        for measure, families in by_measure.items():
            signatures = set(families)
            targets = set(signatures)
            listed = sorted(signatures, key=len)
            for a in listed:
                for b in listed:
                    targets.add(a & b)
            for fine, members in list(families.items()):
                complete = set.intersection(*(self.complete[i] for i in members))
                for coarse in sorted(targets, key=lambda t: (len(t), sorted(t))):
                    if not coarse < fine or not (fine - coarse) <= complete:
                        continue
                    groups: dict[Dims, list[int]] = defaultdict(list)
                    for i in members:
                        dims = self.keys[i][1]
                        groups[tuple((d, v) for d, v in dims if d in coarse)].append(i)
                    for parent, children in groups.items():
                        p = self.var((measure, parent), "margin")
                        if self.kind[p] == "margin":
                            self.integral[p] = all(self.integral[c] for c in children)
                        self.secret[p] = self.secret[p] or any(self.secret[c] for c in children)
                        self._relate(p, children, "margin")

    # -- true values of the unpublished variables -------------------------------------------

    def derive_values(self) -> None:
        """Fill the values of variables known only through relations and shares (peeling), and
        drop the relations that the data contradict (a declared sum that does not hold)."""
        value = self.value
        # A value once known stays known: each pass visits only the shares and relations with an
        # unknown member left (the same updates, in the same order, as visiting them all).
        ratios = [(num, den, s) for _, num, den, s in self.ratio_cells if not math.isnan(s)]
        pending = list(self.relations)
        changed = True
        while changed:
            changed = False
            left: list[tuple[int, int, float]] = []
            for num, den, s in ratios:
                if math.isnan(value[num]):
                    if not math.isnan(value[den]):
                        value[num] = s * value[den]
                        changed = True
                    else:
                        left.append((num, den, s))
                elif math.isnan(value[den]):
                    if s > 0:
                        value[den] = value[num] / s
                        changed = True
                    else:
                        left.append((num, den, s))
            ratios = left
            still: list[tuple[int, list[int]]] = []
            for total, parts in pending:
                members = [total, *parts]
                unknown = [m for m in members if math.isnan(value[m])]
                if len(unknown) != 1:
                    if unknown:
                        still.append((total, parts))
                    continue
                u = unknown[0]
                if u == total:
                    value[u] = sum(value[p] for p in parts)
                else:
                    value[u] = value[total] - sum(value[p] for p in parts if p != u)
                changed = True
            pending = still
        kept_relations = []
        kept_kinds = []
        for (total, parts), kind in zip(self.relations, self.relation_kind, strict=True):
            values = [self.value[total], *(self.value[p] for p in parts)]
            if not any(math.isnan(v) for v in values):
                gap = values[0] - sum(values[1:])
                if abs(gap) > 1e-6 * max(1.0, abs(values[0])):
                    self.notes.append(
                        f"relation non vérifiée par les données, ignorée : "
                        f"{self.describe(total)} ≠ somme de {len(parts)} cases"
                    )
                    continue
            kept_relations.append((total, parts))
            kept_kinds.append(kind)
        self.relations, self.relation_kind = kept_relations, kept_kinds
        self.rest_of = {
            parts[1]: r
            for r, ((_, parts), k) in enumerate(
                zip(self.relations, self.relation_kind, strict=True)
            )
            if k == "part"
        }

    # -- atoms and expressions ----------------------------------------------------------------

    def expressions(self) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
        """Each variable as a combination of atoms, and the structural equations (the relations
        not used as definitions), each ``{atom: coefficient} = 0``."""
        defining: dict[int, int] = {}
        for r, ((_, parts), kind) in enumerate(
            zip(self.relations, self.relation_kind, strict=True)
        ):
            if kind == "part":
                defining[parts[1]] = r  # rest := whole − part
        for r, ((total, _), kind) in enumerate(
            zip(self.relations, self.relation_kind, strict=True)
        ):
            if kind == "margin" and total not in defining:
                defining[total] = r
        for r, ((total, _), kind) in enumerate(
            zip(self.relations, self.relation_kind, strict=True)
        ):
            if kind == "identity" and total not in defining:
                defining[total] = r
        n = len(self.keys)
        expr: list[dict[int, float] | None] = [None] * n
        visiting: set[int] = set()

        def build(i: int) -> dict[int, float]:
            done = expr[i]
            if done is not None:
                return done
            r = defining.get(i)
            if r is None or i in visiting:
                out = {i: 1.0}
            else:
                visiting.add(i)
                total, parts = self.relations[r]
                out = {}
                if self.relation_kind[r] == "part":  # rest = whole − part
                    terms = [(total, 1.0), (parts[0], -1.0)]
                else:
                    terms = [(p, 1.0) for p in parts]
                for j, coef in terms:
                    for a, c in build(j).items():
                        out[a] = out.get(a, 0.0) + coef * c
                out = {a: c for a, c in out.items() if c != 0.0}
                visiting.discard(i)
            expr[i] = out
            return out

        import sys

        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10000))
        try:
            exprs = [build(i) for i in range(n)]
        finally:
            sys.setrecursionlimit(limit)
        equations = []
        used = set(defining.values())
        for r, (total, parts) in enumerate(self.relations):
            if r in used:
                continue
            eq = dict(exprs[total])
            for p in parts:
                for a, c in exprs[p].items():
                    eq[a] = eq.get(a, 0.0) - c
            eq = {a: c for a, c in eq.items() if abs(c) > 1e-12}
            if eq:
                equations.append(eq)
        return exprs, equations


# ---------------------------------------------------------------------------------------------
# Linear algebra: which combinations of unknown atoms the equations determine
# ---------------------------------------------------------------------------------------------


class _Block:
    """One connected block of equations on unknown atoms: the matrix, what each row is (a
    published variable, or -1 for a structural relation), each row's coefficients on the known
    atoms, and the eigen-decomposition of the smaller Gram matrix, which gives an orthonormal
    basis of the row space and the least-norm combination of rows that yields a vector."""

    def __init__(
        self,
        matrix: np.ndarray,
        rhs: np.ndarray,
        tags: list[int],
        known_coefs: list[dict[int, float]],
        atoms: list[int],
    ) -> None:
        self.matrix, self.rhs, self.tags, self.known_coefs = matrix, rhs, tags, known_coefs
        self.col = {a: j for j, a in enumerate(atoms)}
        m, n = matrix.shape
        self.wide = m < n
        gram = matrix @ matrix.T if self.wide else matrix.T @ matrix
        values, vectors = np.linalg.eigh(gram)
        keep = values > 1e-9 * max(float(values[-1]) if values.size else 0.0, 1.0)
        self.values, self.vectors = values[keep], vectors[:, keep]
        # Orthonormal rows spanning the row space of the matrix (eigenvectors of the smaller
        # Gram matrix: much cheaper than an SVD of a wide matrix; the small integer
        # coefficients of the relations keep the squared condition harmless).
        if self.wide:
            self.basis = (self.vectors / np.sqrt(self.values)).T @ matrix
        else:
            self.basis = self.vectors.T
        self.column_norm2 = (self.basis**2).sum(axis=0)

    def certificate(self, q: np.ndarray) -> np.ndarray:
        """The least-norm row weights ``y`` with ``yᵀ M = qᵀ`` (q in the row space)."""
        if self.wide:
            return np.asarray(self.vectors @ ((self.vectors.T @ (self.matrix @ q)) / self.values))
        return np.asarray(self.matrix @ (self.vectors @ ((self.vectors.T @ q) / self.values)))


class _Solver:
    """The equations restricted to the unknown atoms, by connected blocks (``_Block``); with
    ``solve``, a particular solution of each block for the published values."""

    def __init__(
        self,
        equations: Sequence[tuple[dict[int, float], float, int]],
        known: Mapping[int, float],
        solve: bool = False,
    ) -> None:
        rows: list[tuple[dict[int, float], float, int, dict[int, float]]] = []
        #: known atom → the published variables (-1: a structural relation) of the equations
        #: whose atoms are all known: masking the atom alone would leave it pinned by them.
        self.pinned_by: dict[int, list[int]] = defaultdict(list)
        #: the pinned atoms left out by the last ``breakers`` call (a fallback: masking one
        #: starts a cascade that the next rounds complete).
        self.last_pinned: dict[int, float] = {}
        #: atom → the equations it appears in (to prefer partners that share them).
        self.rows_of: dict[int, set[int]] = defaultdict(set)
        for number, (eq, rhs, tag) in enumerate(equations):
            for a in eq:
                self.rows_of[a].add(number)
            reduced: dict[int, float] = {}
            outside: dict[int, float] = {}
            b = rhs
            for a, c in eq.items():
                if a in known:
                    b -= c * known[a]
                    outside[a] = c
                else:
                    reduced[a] = c
            if reduced:
                rows.append((reduced, b, tag, outside))
            else:
                for a in outside:
                    self.pinned_by[a].append(tag)
        parent: dict[int, int] = {}

        def find(a: int) -> int:
            while parent.setdefault(a, a) != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for reduced, *_ in rows:
            atoms = list(reduced)
            root = find(atoms[0])
            for a in atoms[1:]:
                other = find(a)
                if other != root:
                    parent[other] = root
        members_of: dict[int, list[int]] = defaultdict(list)
        for r, (reduced, *_) in enumerate(rows):
            members_of[find(next(iter(reduced)))].append(r)
        self.block_of: dict[int, int] = {}
        self.blocks: dict[int, _Block] = {}
        self.solution: dict[int, np.ndarray] = {}
        self.sizes: list[tuple[int, int]] = []
        for root, members in members_of.items():
            atoms = sorted({a for r in members for a in rows[r][0]})
            col = {a: j for j, a in enumerate(atoms)}
            matrix = np.zeros((len(members), len(atoms)))
            rhs_ = np.zeros(len(members))
            for k, r in enumerate(members):
                for a, c in rows[r][0].items():
                    matrix[k, col[a]] = c
                rhs_[k] = rows[r][1]
            block = _Block(
                matrix, rhs_, [rows[r][2] for r in members], [rows[r][3] for r in members], atoms
            )
            self.blocks[root] = block
            for a in atoms:
                self.block_of[a] = root
            self.sizes.append(matrix.shape)
            if solve and np.isfinite(rhs_).all():
                self.solution[root] = np.linalg.lstsq(matrix, rhs_, rcond=None)[0]

    def _by_block(
        self, expr: Mapping[int, float], known: Mapping[int, float]
    ) -> dict[int, dict[int, float]] | None:
        by_block: dict[int, dict[int, float]] = defaultdict(dict)
        for a, c in expr.items():
            if a in known:
                continue
            root = self.block_of.get(a)
            if root is None:
                return None  # an unknown atom in no equation: free
            by_block[root][a] = c
        return by_block

    def breakers(self, expr: Mapping[int, float], known: Mapping[int, float]) -> dict[int, float]:
        """The published variables whose masking breaks the combination of equations that gives
        ``expr`` (rows of published variables, and known atoms, with a non-zero weight), with
        that weight's size."""
        out: dict[int, float] = {a: abs(c) for a, c in expr.items() if a in known}
        for root, part in (self._by_block(expr, known) or {}).items():
            block = self.blocks[root]
            q = np.zeros(len(block.col))
            for a, c in part.items():
                q[block.col[a]] = c
            y = block.certificate(q)
            for k in np.flatnonzero(np.abs(y) > 1e-9):
                weight = float(abs(y[k]))
                tag = block.tags[k]
                if tag >= 0:
                    out[tag] = max(out.get(tag, 0.0), weight)
                for a, c in block.known_coefs[k].items():
                    out[a] = out.get(a, 0.0) + float(y[k]) * c
        found = {v: abs(w) for v, w in out.items() if abs(w) > 1e-9}
        # A known atom pinned by another equation is no use alone: masking it needs a partner
        # of its own (a cascade of cells, worth it for a cell of the finest level, like the
        # corners of a rectangle), or the variable of that equation.
        leaf = len(expr) <= 2
        self.last_pinned = {}
        for a in [a for a in found if a in self.pinned_by]:
            weight = found[a] if leaf else found.pop(a)
            if not leaf:
                self.last_pinned[a] = weight
            tags = self.pinned_by[a]
            if -1 not in tags:
                for tag in tags:
                    found[tag] = max(found.get(tag, 0.0), weight)
        return found

    def overlap(self, expr: Mapping[int, float], candidate: int) -> int:
        """How many equations a candidate partner shares with ``expr``'s atoms."""
        rows: set[int] = set()
        for a in expr:
            rows |= self.rows_of.get(a, set())
        return len(rows & self.rows_of.get(candidate, set()))

    def determined(self, expr: Mapping[int, float], known: Mapping[int, float]) -> bool:
        """True when the equations give the value of ``expr`` (a combination of atoms): its part
        on each block's unknown atoms lies in the block's row space, i.e. its squared norm equals
        that of its projection on the orthonormal basis (computed on its atoms only)."""
        by_block = self._by_block(expr, known)
        if by_block is None:
            return False
        for root, part in by_block.items():
            block = self.blocks[root]
            col, basis = block.col, block.basis
            coefs = np.fromiter(part.values(), dtype=float, count=len(part))
            norm2 = float(coefs @ coefs)
            if basis.size == 0:
                return False
            if len(part) == 1:
                projected = float(block.column_norm2[col[next(iter(part))]]) * norm2
            else:
                idx = np.fromiter((col[a] for a in part), dtype=np.int64, count=len(part))
                bq = basis[:, idx] @ coefs
                projected = float(bq @ bq)
            if norm2 - projected > 1e-10 * max(1.0, norm2):
                return False
        return True

    def value(self, expr: Mapping[int, float], known: Mapping[int, float]) -> float:
        """The value of a determined ``expr`` (published values given to the solver)."""
        total = 0.0
        for a, c in expr.items():
            if a in known:
                total += c * known[a]
                continue
            root = self.block_of[a]
            x = self.solution.get(root)
            if x is None:
                return math.nan
            total += c * float(x[self.blocks[root].col[a]])
        return total


# ---------------------------------------------------------------------------------------------
# Protection
# ---------------------------------------------------------------------------------------------


def _sensitive(value: float, threshold: int, integral: bool) -> bool:
    if math.isnan(value):
        return False
    if integral:
        return 1 <= round(value) < threshold
    return 1e-9 < value < threshold


def _shown(model: _Model, masked: set[int]) -> set[int]:
    """Variables whose value a reader knows: a count cell of an unmasked variable, or a share
    whose numerator and denominator are both unmasked (it gives one from the other)."""
    shown = {i for i in model.count_cells if i not in masked}
    for _, num, den, _ in model.ratio_cells:
        if num not in masked and den not in masked:
            shown.add(num)
            shown.add(den)
    return shown


def _known_atoms(
    exprs: Sequence[dict[int, float]], shown: Iterable[int], value: Sequence[float]
) -> tuple[dict[int, float], list[tuple[dict[int, float], float, int]]]:
    """The atoms whose value is published, and the equations of the other published variables
    (tagged with the variable)."""
    known: dict[int, float] = {}
    equations: list[tuple[dict[int, float], float, int]] = []
    for i in shown:
        e = exprs[i]
        if len(e) == 1 and next(iter(e)) == i:
            known[i] = value[i]
        else:
            equations.append((e, value[i], i))
    return known, equations


def _neighbours(model: _Model) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in model.keys]
    for r, (total, parts) in enumerate(model.relations):
        for m in (total, *parts):
            out[m].append(r)
    return out


def _is_total(model: _Model) -> list[bool]:
    """Variables that are the sum of others (a margin, or the total of an identity)."""
    out = [False] * len(model.keys)
    for (total, _), kind in zip(model.relations, model.relation_kind, strict=True):
        if kind != "part":
            out[total] = True
    return out


def _partner(
    model: _Model,
    breakers: Mapping[int, float],
    masked: set[int],
    is_total: list[bool],
    threshold: int,
    overlap: Callable[[int], int],
    useful: Callable[[int], bool],
    fallback: Iterable[int] = (),
) -> int | None:
    """Among the published variables whose masking breaks the equations that give a masked
    cell back (``_Solver.breakers``), the one to mask: a variable about persons, preferably with
    a value of at least ``threshold`` (a smaller one would leave a small union), not a sum, not
    a denominator, sharing the most equations with the cell (the other corner of a rectangle),
    shown in few cells, the smallest."""
    candidates = [v for v in breakers if model.maskable[v] and v not in masked and useful(v)]
    if not candidates:
        candidates = [v for v in fallback if model.maskable[v] and v not in masked]
    if not candidates:
        return None

    def score(m: int) -> tuple[bool, float, int, int]:
        # The cost of a suppression is the count it hides (as τ-Argus minimises the suppressed
        # total), more for a sum (a margin: kept when cells will do) and for a denominator (kept
        # when a numerator will do), less for a cell sharing many equations with the one to
        # protect (the other corner of a rectangle). A count under the threshold is a poor
        # partner (the union stays small), zero a useless one.
        value = 0.0 if math.isnan(value_ := model.value[m]) else value_
        cost = max(value, 1.0) * (3.0 if is_total[m] else 1.0) * (1.5 if m in model.wholes else 1.0)
        return (value < threshold, cost / (1 + overlap(m)), len(model.count_cells.get(m, ())), m)

    return min(candidates, key=score)


def _colocated(model: _Model) -> dict[int, tuple[int, ...]]:
    """For each published variable, the variables shown in the same cells (a cell may count
    two measures, e.g. a ledger's households at the end of the year and the territory's
    households): masking one hides the cell, so all of them."""
    by_cell: dict[Cell, list[int]] = defaultdict(list)
    for i, cells in model.count_cells.items():
        for cell in cells:
            by_cell[cell].append(i)
    return {
        i: tuple(sorted({j for cell in cells for j in by_cell[cell]}))
        for i, cells in model.count_cells.items()
    }


def _with_colocated(chosen: set[int], together: Mapping[int, tuple[int, ...]]) -> set[int]:
    return {j for i in chosen for j in together.get(i, (i,))}


@without_gc
def protect(
    frames: Mapping[str, pd.DataFrame],
    shapes: Mapping[str, Shape | Sequence[Shape]],
    structure: Structure,
    threshold: int,
    max_rounds: int = 200,
) -> Protection:
    """The tables of a publication with primary and secondary suppression applied (module
    docstring). ``threshold`` is ``secret_statistique.seuil``: values from 1 to
    ``threshold − 1`` are masked and never recoverable. Tables without a shape are returned
    unchanged. Masked counts become ``<NA>`` (nullable integers when whole), shares and the
    columns that follow them ``NaN`` (``None`` for text)."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    by_table = {k: (v,) if isinstance(v, Shape) else tuple(v) for k, v in shapes.items()}
    model = _Model(frames, by_table, structure)
    model.derive_values()
    exprs, structural = model.expressions()
    sensitive = [
        model.secret[i] and _sensitive(model.value[i], threshold, model.integral[i])
        for i in range(len(model.keys))
    ]
    publishable = set(model.count_cells)
    for _, num, den, _ in model.ratio_cells:
        publishable.update((num, den))
    together = _colocated(model)
    masked = _with_colocated(
        {i for i in publishable if sensitive[i] and model.maskable[i]}, together
    )
    primary = len(masked)
    is_total = _is_total(model)
    value = model.value
    watch = [
        i
        for i in range(len(model.keys))
        if (i in publishable and model.maskable[i]) or sensitive[i]
    ]
    rounds = 0
    unprotected: set[int] = set()
    persistent: dict[int, int] = defaultdict(int)
    while True:
        rounds += 1
        shown = _shown(model, masked)
        known, equations = _known_atoms(exprs, shown, value)
        solver = _Solver([*((e, 0.0, -1) for e in structural), *equations], known)
        problems = [
            i
            for i in watch
            if i not in shown
            and (i in masked or sensitive[i])
            and i not in unprotected
            and solver.determined(exprs[i], known)
        ]
        widened = False
        for i in problems:
            persistent[i] += 1
            if persistent[i] == _MAX_TRIES:
                # One partner at a time did not do: mask every published variable of the
                # equations that give it back at once (a wider suppression, checked next round).
                wide = [
                    w
                    for w in solver.breakers(exprs[i], known)
                    if model.maskable[w] and w not in masked
                ]
                masked.update(_with_colocated(set(wide), together))
                widened = widened or bool(wide)
            elif persistent[i] > _MAX_TRIES:
                unprotected.add(i)
                model.notes.append(f"case impossible à protéger : {model.describe(i)}")
        if widened and rounds <= max_rounds:
            continue
        problems = [i for i in problems if i not in unprotected]
        if not problems or rounds > max_rounds:
            break
        chosen: set[int] = set()
        skipped = 0
        # Masked cells first, each gets a partner; then the unpublished variables (complements,
        # sums), skipped when a partner chosen in this round already breaks their equations.
        problems.sort(key=lambda v: v not in publishable)
        for v in problems:
            breakers = solver.breakers(exprs[v], known)
            if v not in publishable and chosen & set(breakers):
                skipped += 1
                continue
            w = _partner(
                model,
                breakers,
                masked,
                is_total,
                threshold,
                lambda m, e=exprs[v], s=solver: s.overlap(e, m),  # type: ignore[misc]
                lambda m, k=known: any(a not in k for a in exprs[m]) or m in k,  # type: ignore[misc]
                solver.last_pinned,
            )
            if w is None:
                unprotected.add(v)
                model.notes.append(f"case impossible à protéger : {model.describe(v)}")
                continue
            masked.update(together.get(w, (w,)))
            chosen.add(w)
        if _DEBUG:
            print(
                rounds,
                len(problems),
                skipped,
                len(chosen),
                [model.describe(v) for v in problems[:3]],
            )
    if rounds > max_rounds:
        model.notes.append(f"secret secondaire arrêté après {max_rounds} tours")
    out = _apply(frames, model, masked)
    return Protection(out, primary, len(masked) - primary, rounds, model.notes)


def _apply(
    frames: Mapping[str, pd.DataFrame], model: _Model, masked: set[int]
) -> dict[str, pd.DataFrame]:
    hidden: dict[str, set[tuple[Any, str]]] = defaultdict(set)
    for i, cells in model.count_cells.items():
        if i in masked:
            for table, label, column in cells:
                hidden[table].add((label, column))
    for (table, label, column), num, den, _ in model.ratio_cells:
        if num in masked or den in masked:
            hidden[table].add((label, column))
    changed = True
    while changed:
        changed = False
        for (table, label, column), sources in model.follow_cells:
            if (label, column) in hidden[table]:
                continue
            if any((lab, col) in hidden[t] for t, lab, col in sources):
                hidden[table].add((label, column))
                changed = True
    out: dict[str, pd.DataFrame] = {}
    counts_of: dict[str, set[str]] = {}
    for name, frame in frames.items():
        hidden_cells = hidden.get(name)
        if not hidden_cells:
            out[name] = frame
            continue
        copy = frame.copy()
        by_column: dict[str, list[Any]] = defaultdict(list)
        for label_, column_ in hidden_cells:
            by_column[column_].append(label_)
        for column_, labels in by_column.items():
            series = copy[column_]
            if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
                texts = series.astype(object)
                texts.loc[labels] = None
                copy[column_] = texts
                continue
            numbers = pd.Series(pd.to_numeric(series, errors="coerce"), index=series.index)
            present = numbers.dropna()
            if name not in counts_of:
                counts_of[name] = _count_columns(model, name)
            whole = column_ in counts_of[name] and bool((present == present.round()).all())
            if whole:
                numbers = numbers.round().astype("Int64")
                numbers.loc[labels] = None
            else:
                numbers = numbers.astype("float64")
                numbers.loc[labels] = np.nan
            copy[column_] = numbers
        out[name] = copy
    return out


def _count_columns(model: _Model, table: str) -> set[str]:
    return {c for cells in model.count_cells.values() for t, _, c in cells if t == table}


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------


@without_gc
def audit(
    frames: Mapping[str, pd.DataFrame],
    shapes: Mapping[str, Shape | Sequence[Shape]],
    structure: Structure,
    threshold: int,
) -> list[Finding]:
    """What a reader of the published tables learns that secrecy forbids (module docstring):
    counts from 1 to ``threshold − 1`` shown or implied by a share, masked counts and small
    implied counts that the published figures give back. Masked cells are missing values."""
    by_table = {k: (v,) if isinstance(v, Shape) else tuple(v) for k, v in shapes.items()}
    model = _Model(frames, by_table, structure)
    findings: list[Finding] = []
    for note in model.notes:
        findings.append(Finding("", None, "", "incohérence", math.nan, note))
    # What the reader knows: counts shown, and the other side of each shown share.
    value = list(model.value)
    extra: list[tuple[dict[int, float], float]] = []
    changed = True
    while changed:
        changed = False
        for _, num, den, s in model.ratio_cells:
            if math.isnan(s):
                continue
            if math.isnan(value[num]) and not math.isnan(value[den]):
                value[num] = s * value[den]
                if model.integral[num]:
                    value[num] = float(round(value[num]))
                changed = True
            elif math.isnan(value[den]) and not math.isnan(value[num]) and s > 0:
                value[den] = value[num] / s
                if model.integral[den]:
                    value[den] = float(round(value[den]))
                changed = True
    for _, num, den, s in model.ratio_cells:
        if not math.isnan(s) and math.isnan(value[num]) and math.isnan(value[den]):
            extra.append(({num: 1.0, den: -s}, 0.0))
    shown = {i for i in range(len(value)) if not math.isnan(value[i])}
    exprs, structural = model.expressions()
    known, equations = _known_atoms(exprs, shown, value)
    ratio_equations = []
    for eq, rhs in extra:
        combined: dict[int, float] = {}
        for i, c in eq.items():
            for a, k in exprs[i].items():
                combined[a] = combined.get(a, 0.0) + c * k
        ratio_equations.append((combined, rhs, -1))
    solver = _Solver(
        [*((e, 0.0, -1) for e in structural), *equations, *ratio_equations], known, solve=True
    )

    def where(i: int) -> tuple[str, Any, str]:
        cells = model.count_cells.get(i)
        if cells:
            return cells[0]
        for cell, num, den, _ in model.ratio_cells:
            if i in (num, den):
                return cell
        return ("", None, "")

    for i in shown:
        if model.secret[i] and _sensitive(value[i], threshold, model.integral[i]):
            table, row, column = where(i)
            how = (
                "publiée"
                if i in model.count_cells and not math.isnan(model.value[i])
                else ("implicite")
            )
            message = f"{model.describe(i)} = {value[i]:g} ({how})"
            findings.append(Finding(table, row, column, how, value[i], message))
    publishable = set(model.count_cells)
    for _, num, den, _ in model.ratio_cells:
        publishable.update((num, den))
    for i in range(len(value)):
        if i in shown:
            continue
        masked_cell = i in publishable and model.maskable[i]
        if not model.secret[i]:
            continue
        if not solver.determined(exprs[i], known):
            continue
        got = solver.value(exprs[i], known)
        if model.integral[i] and not math.isnan(got):
            got = float(round(got))
        if masked_cell or _sensitive(got, threshold, model.integral[i]):
            table, row, column = where(i)
            findings.append(
                Finding(
                    table,
                    row,
                    column,
                    "recalculable",
                    got,
                    f"{model.describe(i)} = {got:g}, recalculable à partir des cases publiées",
                )
            )
    return findings
