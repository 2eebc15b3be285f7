"""Cotation grids as data: the YAML format, its strict validation and the compiled grid.

A grid (``docs/cotation.md`` gives the full reference, ``exemples/grilles/`` three examples)::

    nom: Grille illustrative
    illustratif: true              # true for an example, false for an adopted grid
    valide_du: 2024-01-01
    valide_au: null                # optional end of validity
    similarite: [typologie_min, commune_souhaitee_1]   # key of "similar applications"
    hors_cotation:                 # optional: applications not scored (e.g. DALO)
      champ: dalo
      op: "=="
      valeur: true
    sections:
      - nom: Premières demandes
        applique_a: premieres_demandes        # or mutations, or toutes
        anciennete: {points_par_mois: 1, plafond: 120}
        refus: {penalite_par_refus: 10, franchise: 1, penalite_max: 30}
        rubriques:
          - nom: Situation de logement
            mode: exclusive                   # only the best satisfied criterion counts
            criteres:
              - nom: Menace d'expulsion
                points: 20
                justifie: true                # counted only when priority_justified is true
                condition: {champ: motif_principal, op: "==", valeur: expulsion}

The grid must make every priority of CCH art. L441-1 and the DALO households earn points
(décret n° 2019-1378; the list and the article of each is the parameter
``cotation.priorites_legales``): ``load_grid`` refuses a grid that leaves one out, naming it,
unless the grid carries a documented waiver (``cotation.compliance``)::

    derogations:                   # optional, each with its reason and the act that decides it
      - priorite: dalo
        motif: Les ménages DALO sont désignés par le préfet hors cotation.
        acte: Délibération n° 2024-12 du conseil communautaire (PPGDID, chapitre 3)

and a criterion may declare which priorities it implements (``priorites: [e, dalo]``) when its
condition does not test them directly (a ``handicap`` criterion for priority ``a``).

Conditions are trees: a leaf ``{champ, op, valeur}`` with ``op`` in ``==, !=, <, <=, >, >=,
in, contains``, combined with ``toutes: [...]`` (all), ``une_au_moins: [...]`` (any) and
``non: {...}`` (not). Nothing is evaluated as code.

Points have at most two decimals; the engine computes in hundredths of a point (integers), so
an explanation adds up exactly to the score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from mixite.cotation.fields import FieldSpec, field_spec
from mixite.errors import ConfigError
from mixite.params import YamlError, read_yaml_file
from mixite.schema import PRIORITY_CODES

#: The code of the DALO households among the legal priorities a grid must cover.
DALO = "dalo"

__all__ = [
    "AllOf",
    "AnyOf",
    "Condition",
    "Criterion",
    "Grid",
    "Leaf",
    "NotOf",
    "Refusals",
    "Rubric",
    "Section",
    "Seniority",
    "Waiver",
    "load_grid",
    "parse_grid",
]

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "contains"]
AppliesTo = Literal["premieres_demandes", "mutations", "toutes"]
Mode = Literal["exclusive", "cumulative"]

DEFAULT_SIMILARITY = ("rooms_min", "first_wished_commune")

# ---------------------------------------------------------------------------------------------
# Raw YAML models (pydantic, strict, French keys)
# ---------------------------------------------------------------------------------------------

_STRICT = ConfigDict(extra="forbid", strict=True)


class _Leaf(BaseModel):
    model_config = _STRICT
    champ: str
    op: Op
    valeur: Any


class _All(BaseModel):
    model_config = _STRICT
    toutes: Annotated[list[_Condition], Field(min_length=1)]


class _Any(BaseModel):
    model_config = _STRICT
    une_au_moins: Annotated[list[_Condition], Field(min_length=1)]


class _Not(BaseModel):
    model_config = _STRICT
    non: _Condition


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return {_Leaf: "<feuille>", _All: "<toutes>", _Any: "<une>", _Not: "<non>"}[type(value)]
    if not isinstance(value, dict):
        return None
    for key, tag in (("toutes", "<toutes>"), ("une_au_moins", "<une>"), ("non", "<non>")):
        if key in value:
            return tag
    if "champ" in value or "op" in value or "valeur" in value:
        return "<feuille>"
    return None


_Condition = Annotated[
    Annotated[_Leaf, Tag("<feuille>")]
    | Annotated[_All, Tag("<toutes>")]
    | Annotated[_Any, Tag("<une>")]
    | Annotated[_Not, Tag("<non>")],
    Discriminator(_condition_tag),
]
_All.model_rebuild()
_Any.model_rebuild()
_Not.model_rebuild()

_Points = float


class _Seniority(BaseModel):
    model_config = _STRICT
    points_par_mois: Annotated[_Points, Field(ge=0)]
    plafond: Annotated[_Points, Field(ge=0)] | None = None


class _Refusals(BaseModel):
    model_config = _STRICT
    penalite_par_refus: Annotated[_Points, Field(ge=0)]
    franchise: Annotated[int, Field(ge=0)] = 0
    penalite_max: Annotated[_Points, Field(ge=0)] | None = None


class _Criterion(BaseModel):
    model_config = _STRICT
    nom: str
    points: _Points
    condition: _Condition
    justifie: bool = False
    description: str | None = None
    priorites: list[str] | None = None


class _Waiver(BaseModel):
    model_config = _STRICT
    priorite: str
    motif: Annotated[str, Field(min_length=1)]
    acte: Annotated[str, Field(min_length=1)]


class _Rubric(BaseModel):
    model_config = _STRICT
    nom: str
    mode: Mode
    criteres: Annotated[list[_Criterion], Field(min_length=1)]


class _Section(BaseModel):
    model_config = _STRICT
    nom: str
    applique_a: AppliesTo
    anciennete: _Seniority | None = None
    refus: _Refusals | None = None
    rubriques: list[_Rubric] = Field(default_factory=list)


class _Grid(BaseModel):
    model_config = _STRICT
    nom: str
    illustratif: bool
    valide_du: dt.date
    valide_au: dt.date | None = None
    description: str | None = None
    source: str | None = None
    similarite: list[str] | None = None
    hors_cotation: _Condition | None = None
    derogations: list[_Waiver] | None = None
    sections: Annotated[list[_Section], Field(min_length=1)]


_KEYS_OF: dict[str, type[BaseModel]] = {
    "": _Grid,
    "sections": _Section,
    "rubriques": _Rubric,
    "criteres": _Criterion,
    "anciennete": _Seniority,
    "refus": _Refusals,
    "derogations": _Waiver,
    "<feuille>": _Leaf,
    "<toutes>": _All,
    "<une>": _Any,
    "<non>": _Not,
}

# ---------------------------------------------------------------------------------------------
# Compiled grid (what the engine uses)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """``field op value``; ``written`` is the field name as written in the grid."""

    field: FieldSpec
    written: str
    op: str
    value: Any


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class NotOf:
    item: Condition


Condition = Leaf | AllOf | AnyOf | NotOf


@dataclass(frozen=True)
class Criterion:
    """A criterion: ``cents`` = points × 100 (exact integer arithmetic)."""

    name: str
    cents: int
    condition: Condition
    justified: bool
    description: str | None
    #: The legal priorities (``schema.PRIORITY_CODES`` or ``dalo``) the criterion declares it
    #: implements, besides those its condition tests (``cotation.compliance``).
    priorities: tuple[str, ...] = ()

    @property
    def points(self) -> Decimal:
        return Decimal(self.cents) / 100


@dataclass(frozen=True)
class Waiver:
    """A documented exception to the compliance check: the legal priority ``code`` earns no
    points in this grid, for ``reason``, as decided by ``act``."""

    code: str
    reason: str
    act: str


@dataclass(frozen=True)
class Rubric:
    name: str
    mode: Mode
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Seniority:
    """Seniority points: ``cents_per_month`` × full months, capped at ``cap_cents``."""

    cents_per_month: int
    cap_cents: int | None


@dataclass(frozen=True)
class Refusals:
    """Penalty: ``cents_per_refusal`` × (refusals − ``free``), capped at ``cap_cents``."""

    cents_per_refusal: int
    free: int
    cap_cents: int | None


@dataclass(frozen=True)
class Section:
    name: str
    applies_to: AppliesTo
    seniority: Seniority | None
    refusals: Refusals | None
    rubrics: tuple[Rubric, ...]


@dataclass(frozen=True)
class Grid:
    """A validated grid. ``source`` is the file name used in messages."""

    name: str
    illustrative: bool
    valid_from: dt.date
    valid_to: dt.date | None
    description: str | None
    reference: str | None
    similarity: tuple[FieldSpec, ...]
    excluded: Condition | None
    sections: tuple[Section, ...]
    source: str
    waivers: tuple[Waiver, ...] = ()

    def section_for(self, mutation: bool) -> Section:
        """The section applying to first applications (``False``) or mutations (``True``)."""
        wanted = "mutations" if mutation else "premieres_demandes"
        for section in self.sections:
            if section.applies_to in (wanted, "toutes"):
                return section
        raise AssertionError("validated grids cover both kinds")  # pragma: no cover

    def fields(self) -> list[FieldSpec]:
        """Every field the grid tests (for documentation and input checks)."""
        found: dict[str, FieldSpec] = {}

        def walk(cond: Condition) -> None:
            if isinstance(cond, Leaf):
                found.setdefault(cond.field.name, cond.field)
            elif isinstance(cond, NotOf):
                walk(cond.item)
            else:
                for item in cond.items:
                    walk(item)

        if self.excluded is not None:
            walk(self.excluded)
        for section in self.sections:
            for rubric in section.rubrics:
                for criterion in rubric.criteria:
                    walk(criterion.condition)
        return list(found.values())

    def check_date(self, when: dt.date) -> None:
        """Raise ``ConfigError`` when the grid is not in force at ``when``."""
        if when < self.valid_from or (self.valid_to is not None and when > self.valid_to):
            end = self.valid_to.isoformat() if self.valid_to else "sans fin"
            raise ConfigError(
                f"Grille « {self.source} » : elle n'est pas en vigueur au {when.isoformat()} "
                f"(validité du {self.valid_from.isoformat()} au {end}). Choisissez un autre "
                "millésime ou corrigez les dates valide_du et valide_au."
            )


# ---------------------------------------------------------------------------------------------
# Loading and error messages
# ---------------------------------------------------------------------------------------------


def load_grid(path: Path | str, check_law: bool = True) -> Grid:
    """Read and validate a grid file; ``ConfigError`` in French naming the file and place.

    With ``check_law`` (the default, and what every command does), the grid must also make each
    legal priority earn points, at the date it comes into force (``valide_du``;
    ``cotation.compliance.check_compliance``): a grid that leaves one out without a documented
    waiver is refused, naming the missing criteria.
    """
    path = Path(path)
    try:
        raw = read_yaml_file(path).tree
    except (FileNotFoundError, IsADirectoryError):
        raise ConfigError(
            f"Grille « {path} » introuvable. Vérifiez le chemin donné à --grille."
        ) from None
    except YamlError as exc:
        if exc.kind == "encoding":
            raise ConfigError(
                f"Grille « {path.name} » : le fichier n'est pas encodé en UTF-8. "
                "Enregistrez-le en UTF-8."
            ) from None
        where = f" ligne {exc.line}" if exc.line is not None else ""
        if exc.line is not None and exc.column is not None:
            where += f", colonne {exc.column}"
        if exc.kind == "syntax":
            detail = "syntaxe YAML incorrecte"
        elif exc.kind == "duplicate":
            detail = f"clé « {exc.key} » en double"
        else:
            detail = exc.problem
        raise ConfigError(
            f"Grille « {path.name} »{where} : {detail}. "
            "Corrigez le fichier (indentation, deux-points, crochets, guillemets, clés uniques)."
        ) from None
    grid = parse_grid(raw, path.name)
    if check_law:
        from mixite.cotation.compliance import check_compliance

        check_compliance(grid)
    return grid


_TYPE_NAMES = {
    "bool_type": "un booléen (true ou false)",
    "string_type": "un texte",
    "float_type": "un nombre",
    "int_type": "un nombre entier",
    "int_from_float": "un nombre entier",
    "date_type": "une date AAAA-MM-JJ (sans guillemets)",
    "date_parsing": "une date AAAA-MM-JJ (sans guillemets)",
    "list_type": "une liste",
    "model_type": "un bloc de clés",
    "model_attributes_type": "un bloc de clés",
    "dict_type": "un bloc de clés",
}


def _name_at(raw: Any, loc: tuple[int | str, ...]) -> Any:
    node = raw
    for part in loc:
        if isinstance(part, str) and part.startswith("<"):
            continue
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """(named place: section/rubric/criterion, remaining key path) for an error location."""
    places: list[str] = []
    rest: list[str] = []
    labels = {"sections": "section", "rubriques": "rubrique", "criteres": "critère"}
    i = 0
    consumed: list[int | str] = []
    while i < len(loc):
        part = loc[i]
        if (
            part in labels
            and not rest
            and i + 1 < len(loc)
            and isinstance(loc[i + 1], int)
            and isinstance(part, str)
        ):
            index = loc[i + 1]
            assert isinstance(index, int)
            consumed += [part, index]
            node = _name_at(raw, tuple(consumed))
            name = node.get("nom") if isinstance(node, dict) else None
            places.append(
                f"{labels[part]} « {name} »"
                if isinstance(name, str)
                else f"{labels[part]} n° {index + 1}"
            )
            i += 2
            continue
        if isinstance(part, str) and part.startswith("<"):
            i += 1
            continue
        consumed.append(part)
        if isinstance(part, int):
            rest.append(f"[{part + 1}]")
        else:
            rest.append(("." if rest else "") + part)
        i += 1
    return ", ".join(places), "".join(rest)


def _fail(source: str, place: str, key: str, problem: str, fix: str) -> ConfigError:
    where = ", ".join(p for p in (place, f"champ « {key} »" if key else "") if p)
    return ConfigError(f"Grille « {source} »{', ' + where if where else ''} : {problem}. {fix}")


def _translate(source: str, raw: Any, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    loc = tuple(first["loc"])
    kind = first["type"]
    value = first.get("input")
    if kind == "missing":
        place, key = _describe_location(raw, loc)
        parent, _, last = key.rpartition(".")
        return _fail(
            source,
            place,
            parent,
            f"clé obligatoire « {last} » absente",
            "Ajoutez-la (voir docs/cotation.md).",
        )
    if kind == "extra_forbidden":
        place, key = _describe_location(raw, loc)
        parent, _, last = key.rpartition(".")
        owner = [p for p in loc[:-1] if isinstance(p, str)]
        model = _KEYS_OF.get(owner[-1] if owner else "", _Grid)
        if owner and owner[-1] == "condition":
            model = _Leaf
        allowed = ", ".join(model.model_fields)
        return _fail(
            source,
            place,
            parent,
            f"clé inconnue « {last} »",
            f"Clés permises ici : {allowed}.",
        )
    place, key = _describe_location(raw, loc)
    shown = f" (valeur « {value} »)" if not isinstance(value, dict | list) else ""
    if kind == "literal_error":
        expected = (
            str(first.get("ctx", {}).get("expected", "")).replace(" or ", ", ").replace("'", "")
        )
        return _fail(
            source, place, key, f"valeur non permise{shown}", f"Valeurs permises : {expected}."
        )
    if kind in _TYPE_NAMES:
        return _fail(
            source,
            place,
            key,
            f"valeur incorrecte{shown}",
            f"Il faut {_TYPE_NAMES[kind]}.",
        )
    if kind in ("too_short", "string_too_short"):
        if isinstance(value, str):
            return _fail(source, place, key, "le texte est vide", "Écrivez-le.")
        return _fail(source, place, key, "la liste est vide", "Ajoutez au moins un élément.")
    if kind in ("greater_than_equal", "greater_than"):
        return _fail(
            source, place, key, f"la valeur doit être positive ou nulle{shown}", "Corrigez-la."
        )
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return _fail(
            source,
            place,
            key,
            "condition illisible",
            "Écrivez soit {champ, op, valeur}, soit toutes: [...], une_au_moins: [...] "
            "ou non: {...}.",
        )
    return _fail(source, place, key, f"valeur invalide{shown}", "Corrigez la valeur.")


# ---------------------------------------------------------------------------------------------
# Semantic checks and compilation
# ---------------------------------------------------------------------------------------------

_NUMERIC_OPS = {"==", "!=", "<", "<=", ">", ">=", "in"}
_OPS_BY_KIND: dict[str, set[str]] = {
    "int": _NUMERIC_OPS,
    "float": _NUMERIC_OPS,
    "date": {"==", "!=", "<", "<=", ">", ">="},
    "bool": {"==", "!="},
    "str": {"==", "!=", "in"},
    "list": {"contains"},
}
_KIND_LABELS = {
    "int": "nombre entier",
    "float": "nombre",
    "date": "date",
    "bool": "booléen",
    "str": "code",
    "list": "liste de codes",
}


def _cents(value: float, source: str, place: str, key: str) -> int:
    cents = round(value * 100)
    if abs(cents - value * 100) > 1e-6:
        raise _fail(
            source,
            place,
            key,
            f"au plus deux décimales sont permises (valeur « {value} »)",
            "Arrondissez les points au centième.",
        )
    return int(cents)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Compiler:
    def __init__(self, source: str) -> None:
        self.source = source

    def condition(self, node: Any, place: str, key: str) -> Condition:
        if isinstance(node, _All):
            return AllOf(
                tuple(
                    self.condition(c, place, f"{key}.toutes[{i + 1}]")
                    for i, c in enumerate(node.toutes)
                )
            )
        if isinstance(node, _Any):
            return AnyOf(
                tuple(
                    self.condition(c, place, f"{key}.une_au_moins[{i + 1}]")
                    for i, c in enumerate(node.une_au_moins)
                )
            )
        if isinstance(node, _Not):
            return NotOf(self.condition(node.non, place, f"{key}.non"))
        assert isinstance(node, _Leaf)
        return self.leaf(node, place, key)

    def leaf(self, node: _Leaf, place: str, key: str) -> Leaf:
        spec = field_spec(node.champ)
        if spec is None:
            raise _fail(
                self.source,
                place,
                f"{key}.champ",
                f"champ de demande inconnu « {node.champ} »",
                "Utilisez un nom canonique ou un en-tête du format des demandes, ou un champ "
                "dérivé (liste dans docs/cotation.md ; pour une priorité : priorite:<code>).",
            )
        allowed = _OPS_BY_KIND[spec.kind]
        if node.op not in allowed:
            raise _fail(
                self.source,
                place,
                f"{key}.op",
                f"l'opérateur « {node.op} » ne s'applique pas au champ « {node.champ} » "
                f"({_KIND_LABELS[spec.kind]})",
                f"Opérateurs permis pour ce champ : {', '.join(sorted(allowed))}.",
            )
        value = self.value(spec, node, place, f"{key}.valeur")
        return Leaf(spec, node.champ, node.op, value)

    def value(self, spec: FieldSpec, node: _Leaf, place: str, key: str) -> Any:
        value = node.valeur
        many = node.op == "in" or (node.op == "contains" and isinstance(value, list))
        items = value if many else [value]
        if many and (not isinstance(value, list) or not value):
            raise _fail(
                self.source,
                place,
                key,
                f"l'opérateur « {node.op} » attend une liste non vide de valeurs",
                "Écrivez par exemple valeur: [a, b].",
            )
        kind = "str" if spec.kind == "list" else spec.kind
        for item in items:
            ok = (
                (kind in ("int", "float") and _is_number(item))
                or (kind == "bool" and isinstance(item, bool))
                or (kind == "str" and isinstance(item, str))
                or (kind == "date" and isinstance(item, dt.date))
            )
            if not ok:
                expected = {
                    "int": "un nombre",
                    "float": "un nombre",
                    "bool": "true ou false",
                    "str": "un code (texte)",
                    "date": "une date AAAA-MM-JJ",
                }[kind]
                raise _fail(
                    self.source,
                    place,
                    key,
                    f"valeur « {item} » de type inattendu pour le champ « {node.champ} »",
                    f"Attendu : {expected}.",
                )
            if kind == "str" and spec.codes is not None and item not in spec.codes:
                raise _fail(
                    self.source,
                    place,
                    key,
                    f"code « {item} » inconnu pour le champ « {node.champ} »",
                    f"Codes permis : {', '.join(spec.codes)}.",
                )
        if many:
            return tuple(items)
        return value

    def priority(self, code: str, place: str, key: str) -> str:
        """A legal priority code (``schema.PRIORITY_CODES`` or ``dalo``), checked."""
        allowed = (*PRIORITY_CODES, DALO)
        if code not in allowed:
            raise _fail(
                self.source,
                place,
                key,
                f"priorité légale inconnue « {code} »",
                f"Codes permis : {', '.join(allowed)}.",
            )
        return code

    def section(self, raw: _Section, place: str) -> Section:
        seniority = None
        if raw.anciennete is not None:
            cap = raw.anciennete.plafond
            seniority = Seniority(
                _cents(
                    raw.anciennete.points_par_mois, self.source, place, "anciennete.points_par_mois"
                ),
                None if cap is None else _cents(cap, self.source, place, "anciennete.plafond"),
            )
        refusals = None
        if raw.refus is not None:
            cap = raw.refus.penalite_max
            refusals = Refusals(
                _cents(
                    raw.refus.penalite_par_refus, self.source, place, "refus.penalite_par_refus"
                ),
                raw.refus.franchise,
                None if cap is None else _cents(cap, self.source, place, "refus.penalite_max"),
            )
        rubrics = []
        seen_rubrics: set[str] = set()
        for rubric in raw.rubriques:
            rplace = f"{place}, rubrique « {rubric.nom} »"
            if rubric.nom in seen_rubrics:
                raise _fail(
                    self.source,
                    rplace,
                    "",
                    "deux rubriques portent ce nom",
                    "Donnez un nom distinct à chaque rubrique d'une section.",
                )
            seen_rubrics.add(rubric.nom)
            criteria = []
            seen: set[str] = set()
            for crit in rubric.criteres:
                cplace = f"{rplace}, critère « {crit.nom} »"
                if crit.nom in seen:
                    raise _fail(
                        self.source,
                        cplace,
                        "",
                        "deux critères portent ce nom dans la rubrique",
                        "Donnez un nom distinct à chaque critère.",
                    )
                seen.add(crit.nom)
                criteria.append(
                    Criterion(
                        crit.nom,
                        _cents(crit.points, self.source, cplace, "points"),
                        self.condition(crit.condition, cplace, "condition"),
                        crit.justifie,
                        crit.description,
                        tuple(
                            self.priority(code, cplace, f"priorites[{i + 1}]")
                            for i, code in enumerate(crit.priorites or [])
                        ),
                    )
                )
            rubrics.append(Rubric(rubric.nom, rubric.mode, tuple(criteria)))
        return Section(raw.nom, raw.applique_a, seniority, refusals, tuple(rubrics))


def parse_grid(raw: Any, source: str) -> Grid:
    """Validate a grid given as parsed YAML; ``source`` names the file in error messages."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"Grille « {source} » : le fichier doit contenir un bloc de clés (nom, illustratif, "
            "valide_du, sections…). Voir docs/cotation.md."
        )
    try:
        model = _Grid.model_validate(raw)
    except ValidationError as exc:
        raise _translate(source, raw, exc) from None
    compiler = _Compiler(source)
    if model.valide_au is not None and model.valide_au < model.valide_du:
        raise _fail(
            source,
            "",
            "valide_au",
            f"la fin de validité ({model.valide_au.isoformat()}) précède le début "
            f"({model.valide_du.isoformat()})",
            "Corrigez les dates.",
        )
    sections = []
    names: set[str] = set()
    for section in model.sections:
        place = f"section « {section.nom} »"
        if section.nom in names:
            raise _fail(
                source, place, "", "deux sections portent ce nom", "Renommez l'une d'elles."
            )
        names.add(section.nom)
        sections.append(compiler.section(section, place))
    covers = {"premieres_demandes": 0, "mutations": 0}
    for compiled in sections:
        for kind in covers:
            if compiled.applies_to in (kind, "toutes"):
                covers[kind] += 1
    labels = {"premieres_demandes": "premières demandes", "mutations": "mutations"}
    for kind, count in covers.items():
        if count != 1:
            problem = (
                f"aucune section ne s'applique aux {labels[kind]}"
                if count == 0
                else f"plusieurs sections s'appliquent aux {labels[kind]}"
            )
            raise _fail(
                source,
                "",
                "sections",
                problem,
                "Chaque demande doit relever d'une seule section : une section « toutes », ou "
                "une section « premieres_demandes » et une section « mutations ».",
            )
    similarity: list[FieldSpec] = []
    written = model.similarite
    for i, name in enumerate(written if written is not None else DEFAULT_SIMILARITY):
        spec = field_spec(name)
        if spec is None or spec.kind in ("list", "date"):
            raise _fail(
                source,
                "",
                f"similarite[{i + 1}]",
                f"champ « {name} » inconnu ou inutilisable pour regrouper les demandes",
                "Utilisez des champs simples, par exemple typologie_min et commune_souhaitee_1.",
            )
        similarity.append(spec)
    excluded = (
        None
        if model.hors_cotation is None
        else compiler.condition(model.hors_cotation, "", "hors_cotation")
    )
    waivers = []
    seen_waivers: set[str] = set()
    for i, raw_waiver in enumerate(model.derogations or []):
        code = compiler.priority(raw_waiver.priorite, "", f"derogations[{i + 1}].priorite")
        if code in seen_waivers:
            raise _fail(
                source,
                "",
                f"derogations[{i + 1}]",
                f"deux dérogations portent sur la priorité « {code} »",
                "Gardez une seule dérogation par priorité.",
            )
        seen_waivers.add(code)
        waivers.append(Waiver(code, raw_waiver.motif.strip(), raw_waiver.acte.strip()))
    return Grid(
        name=model.nom,
        illustrative=model.illustratif,
        valid_from=model.valide_du,
        valid_to=model.valide_au,
        description=model.description,
        reference=model.source,
        similarity=tuple(similarity),
        excluded=excluded,
        sections=tuple(sections),
        source=source,
        waivers=tuple(waivers),
    )
