"""Dated parameters: the law, the statistical conventions and the local defaults, as data.

This folder is the one home of every number that is not pure mechanism: legal values (quotas,
ceilings, APL, Q1 thresholds), statistical conventions (UC scale, diagnostic classes, the
small-cell threshold) and local defaults (CAL-charter affordability thresholds, charges per m²).
A local convention says so in its ``reference``. Each YAML file in this folder is one legal table
or text, or one family of conventions (``docs/parametres.md`` lists them). A file is a tree of nodes; a node that
has ``values`` is a leaf, anything else is a group of named children. The schema follows
OpenFisca's parameters:

.. code-block:: yaml

    description: Part minimale des attributions hors QPV aux demandeurs du premier quartile
    unit: /1                      # /1 = ratio, currency = €, year, month…
    values:
      2017-01-28:
        value: 0.25
        reference: CCH art. L441-1 (loi n° 2017-86 du 27 janvier 2017, art. 70)
        unconfirmed: false        # optional; true when docs/droit.md or docs/donnees-officielles.md marks the value « À CONFIRMER »
    last_value_still_valid_on: "2026-11-29"

A leaf's ``value`` is a number, a string, a boolean, or a mapping (for tables such as the Q1
thresholds per EPCI). A value applies from its date until the next one; ``null`` ends it.
Parameter names are the file stem followed by the path: ``quotas.q1_hors_qpv``.

Loading is strict: duplicate keys, unknown keys, a value without ``reference`` and a date that is
not ISO are errors (``ParameterError``, in French).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from mixite.errors import MixiteError, ParameterError

PARAMS_DIR = Path(__file__).parent
LEAF_KEYS = {
    "description",
    "unit",
    "values",
    "last_value_still_valid_on",
    "documentation",
    "metadata",
}
NODE_KEYS = {"description", "documentation", "metadata"}
VALUE_KEYS = {"value", "reference", "unconfirmed", "note"}

__all__ = [
    "YAML_MAX_BYTES",
    "YAML_MAX_DEPTH",
    "YAML_MAX_NODES",
    "ParamValue",
    "Parameter",
    "Parameters",
    "YamlDocument",
    "YamlError",
    "as_date",
    "default_parameters",
    "load_parameters",
    "load_yaml",
    "param",
    "parse_yaml",
    "read_yaml_file",
    "resolve",
]


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Limits of every YAML file mixite reads (parameters, territoire.yaml, cotation grids,
#: scenarios, column mappings). They are technical safeguards, not conventions: the largest
#: packaged parameter file is about 110 kB deep of 8 levels, a user file a few kB.
YAML_MAX_BYTES = 1 << 20
YAML_MAX_DEPTH = 40
YAML_MAX_NODES = 200_000


class YamlError(MixiteError):
    """A YAML file that the strict loader refuses.

    ``kind`` says why: ``syntax``, ``duplicate`` (``key`` holds the key), ``empty`` (a null
    key), ``alias``, ``size``,
    ``depth``, ``nodes``, ``value`` (a scalar the safe constructors cannot build) or
    ``encoding``. ``problem`` is French; ``line`` and ``column`` are 1-based (``None`` when
    unknown). Each caller rewraps it in its own error (``ParameterError``, ``InputError``,
    ``ConfigError``) so that the message names the file as the user knows it.
    """

    def __init__(
        self,
        kind: str,
        problem: str,
        source: str,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
    ) -> None:
        self.kind = kind
        self.problem = problem
        self.source = source
        self.line = line
        self.column = column
        self.key = key
        where = f" ligne {line}" if line is not None else ""
        if line is not None and column is not None:
            where += f", colonne {column}"
        super().__init__(f"Fichier YAML « {source} »{where} : {problem}.")


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loader (libyaml when available) that rejects duplicate keys and keeps date keys as
    ISO strings."""


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return None if mark is None else int(mark.line) + 1


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if isinstance(key, dt.date):
            key = key.isoformat()
        if key is None:  # « ? » alone, « ~: » or « null: »: no file of mixite has such a key
            raise _EmptyKey(_line(key_node), int(key_node.start_mark.column) + 1)
        try:
            duplicate = key in mapping
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "une clé doit être un texte ou un nombre", key_node.start_mark
            ) from None
        if duplicate:
            raise _DuplicateKey(str(key), _line(key_node), int(key_node.start_mark.column) + 1)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


class _EmptyKey(Exception):
    def __init__(self, line: int | None, column: int) -> None:
        super().__init__("null key")
        self.line = line
        self.column = column


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int | None, column: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line
        self.column = column


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)  # type: ignore[arg-type]


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file loaded by the strict loader: its tree, the line of each top-level key, and
    its node graph (``yaml.Node``, None for an empty file) for the lines of deeper keys."""

    tree: Any
    lines: dict[str, int]
    node: Any = None


def _mark_position(exc: yaml.YAMLError) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return None, None
    return int(mark.line) + 1, int(mark.column) + 1


def _check_events(text: str, source: str) -> None:
    """First pass over the event stream (no recursion, no object built): aliases, nesting depth
    and node count are bounded before anything is composed."""
    loader = _StrictLoader(text)
    try:
        depth = 0
        nodes = 0
        while loader.check_event():
            event = loader.get_event()
            line = _line(event)
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlError(
                    "alias",
                    "les ancres et alias YAML (« & » et « * ») ne sont pas acceptés ; écrivez "
                    "chaque valeur en entier",
                    source,
                    line,
                )
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > YAML_MAX_NODES:
                    raise YamlError(
                        "nodes",
                        f"trop d'éléments (plus de {YAML_MAX_NODES})",
                        source,
                        line,
                    )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > YAML_MAX_DEPTH:
                    raise YamlError(
                        "depth",
                        f"imbrication trop profonde (plus de {YAML_MAX_DEPTH} niveaux)",
                        source,
                        line,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        line, column = _mark_position(exc)
        raise YamlError("syntax", _syntax_problem(exc), source, line, column) from None
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    if isinstance(problem, str) and problem.startswith("une clé"):
        return problem
    if isinstance(exc, yaml.constructor.ConstructorError):
        return "valeur d'un type non accepté (étiquette « !… » ?) ; écrivez un texte ou un nombre"
    return (
        "syntaxe YAML incorrecte (vérifiez l'indentation, faite d'espaces et non de tabulations, "
        "les deux-points après chaque clé, les crochets et les guillemets)"
    )


def parse_yaml(text: str, source: str, *, max_bytes: int = YAML_MAX_BYTES) -> YamlDocument:
    """Load YAML text with the one strict, safe loader of mixite; ``YamlError`` in French.

    Refused: a text over ``max_bytes`` (UTF-8), anchors and aliases (the « billion laughs »
    expansion), nesting deeper than ``YAML_MAX_DEPTH``, more than ``YAML_MAX_NODES`` nodes,
    duplicate keys, null keys, unhashable keys, tags other than the safe ones, and values that the safe
    constructors cannot build (a date such as 2025-13-45). ``source`` is the file name shown in
    the message.
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise YamlError(
            "size", f"fichier trop volumineux ({size} octets, au plus {max_bytes})", source
        )
    _check_events(text, source)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        tree = None if node is None else loader.construct_document(node)
    except _DuplicateKey as exc:
        raise YamlError(
            "duplicate",
            f"clé « {exc.key} » en double ; supprimez l'une des deux occurrences",
            source,
            exc.line,
            exc.column,
            key=exc.key,
        ) from None
    except _EmptyKey as exc:
        raise YamlError(
            "empty",
            "clé vide (un « ? » seul, ou « ~ » ou « null » avant les deux-points) ; écrivez le "
            "nom de la clé ou supprimez la ligne",
            source,
            exc.line,
            exc.column,
        ) from None
    except yaml.YAMLError as exc:
        line, column = _mark_position(exc)
        raise YamlError("syntax", _syntax_problem(exc), source, line, column) from None
    except (ValueError, TypeError, OverflowError):
        raise YamlError(
            "value",
            "valeur impossible à lire (une date inexistante, comme 2025-13-45 ?) ; mettez-la "
            "entre guillemets ou corrigez-la",
            source,
        ) from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            line = _line(key_node)
            if line is not None:
                lines.setdefault(str(key_node.value), line)
    return YamlDocument(tree, lines, node)


def load_yaml(text: str, source: str, *, max_bytes: int = YAML_MAX_BYTES) -> Any:
    """The tree of a YAML text loaded by the strict loader (``parse_yaml``)."""
    return parse_yaml(text, source, max_bytes=max_bytes).tree


def read_yaml_file(path: Path, *, max_bytes: int = YAML_MAX_BYTES) -> YamlDocument:
    """Read a UTF-8 YAML file with the strict loader; ``YamlError`` for a file too large, not
    UTF-8 or refused by ``parse_yaml``; ``FileNotFoundError`` when it does not exist."""
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlError(
            "size", f"fichier trop volumineux ({size} octets, au plus {max_bytes})", path.name
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(
            "encoding",
            "le fichier n'est pas encodé en UTF-8 ; enregistrez-le en UTF-8",
            path.name,
            line,
        ) from None
    return parse_yaml(text, path.name, max_bytes=max_bytes)


def as_date(value: dt.date | str) -> dt.date:
    """Parse ``YYYY-MM-DD`` (or ``YYYY-MM``, first of month) into a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 7:
            return dt.date.fromisoformat(text + "-01")
        if len(text) == 4:
            return dt.date(int(text), 1, 1)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ParameterError(
            f"Date « {text} » illisible. Écrivez-la au format AAAA-MM-JJ (par exemple 2025-06-01)."
        ) from exc


@dataclass(frozen=True)
class ParamValue:
    """The value of a parameter at a date, with its legal source."""

    name: str
    start: dt.date
    value: Any
    reference: str
    unit: str | None
    description: str
    unconfirmed: bool
    note: str | None = None


@dataclass(frozen=True)
class Parameter:
    """A leaf: dated values sorted by start date."""

    name: str
    description: str
    unit: str | None
    values: tuple[tuple[dt.date, Any, str, bool, str | None], ...]
    last_value_still_valid_on: dt.date | None

    def at(self, when: dt.date | str) -> ParamValue:
        day = as_date(when)
        current = None
        for entry in self.values:
            if entry[0] <= day:
                current = entry
        if current is None or current[1] is None:
            first = self.values[0][0].isoformat() if self.values else "?"
            raise ParameterError(
                f"Le paramètre « {self.name} » n'a pas de valeur au {day.isoformat()} "
                f"(première valeur au {first}). Choisissez une autre date ou complétez "
                f"le fichier de paramètres."
            )
        start, value, reference, unconfirmed, note = current
        return ParamValue(
            self.name, start, value, reference, self.unit, self.description, unconfirmed, note
        )


class Parameters:
    """All parameters loaded from a folder, looked up by dotted name."""

    def __init__(self, leaves: dict[str, Parameter]) -> None:
        self._leaves = dict(leaves)

    def names(self) -> list[str]:
        return sorted(self._leaves)

    def merged(self, other: Parameters) -> Parameters:
        """A copy where the leaves of ``other`` replace those of the same name (or are added)."""
        return Parameters({**self._leaves, **other._leaves})

    def parameter(self, name: str) -> Parameter:
        try:
            return self._leaves[name]
        except KeyError:
            close = [n for n in self._leaves if n.startswith(name.split(".")[0])][:8]
            hint = f" Paramètres voisins : {', '.join(close)}." if close else ""
            raise ParameterError(f"Paramètre inconnu « {name} ».{hint}") from None

    def get(self, name: str, when: dt.date | str) -> ParamValue:
        return self.parameter(name).at(when)

    def value(self, name: str, when: dt.date | str) -> Any:
        return self.get(name, when).value

    def group(self, prefix: str, when: dt.date | str) -> dict[str, Any]:
        """Values of every leaf under ``prefix`` at a date, keyed by the rest of the name."""
        out = {
            n[len(prefix) + 1 :]: self.value(n, when)
            for n in self._leaves
            if n.startswith(prefix + ".")
        }
        if not out:
            raise ParameterError(f"Aucun paramètre sous « {prefix} ».")
        return out


def _parse_values(
    name: str, raw: Any, source: str
) -> tuple[tuple[dt.date, Any, str, bool, str | None], ...]:
    if not isinstance(raw, dict) or not raw:
        raise ParameterError(
            f"« {name} » ({source}) : « values » doit être une liste de dates non vide."
        )
    out = []
    for key, entry in raw.items():
        start = as_date(str(key))
        if not isinstance(entry, dict):
            raise ParameterError(
                f"« {name} » ({source}), date {key} : attendu « value » et « reference »."
            )
        unknown = set(entry) - VALUE_KEYS
        if unknown:
            raise ParameterError(
                f"« {name} » ({source}), date {key} : clé inconnue « {sorted(unknown)[0]} ». "
                f"Clés permises : {', '.join(sorted(VALUE_KEYS))}."
            )
        if "value" not in entry:
            raise ParameterError(f"« {name} » ({source}), date {key} : « value » manquant.")
        reference = entry.get("reference")
        if entry["value"] is not None and not reference:
            raise ParameterError(
                f"« {name} » ({source}), date {key} : « reference » manquante. "
                "Chaque valeur doit citer son texte légal ou sa source."
            )
        out.append(
            (
                start,
                entry["value"],
                str(reference or ""),
                bool(entry.get("unconfirmed", False)),
                entry.get("note"),
            )
        )
    out.sort(key=lambda e: e[0])
    return tuple(out)


def _walk(prefix: str, node: Any, source: str, leaves: dict[str, Parameter]) -> None:
    if not isinstance(node, dict):
        raise ParameterError(f"« {prefix} » ({source}) : un groupe ou une feuille est attendu.")
    if "values" in node:
        unknown = set(node) - LEAF_KEYS
        if unknown:
            raise ParameterError(
                f"« {prefix} » ({source}) : clé inconnue « {sorted(unknown)[0]} ». "
                f"Clés permises : {', '.join(sorted(LEAF_KEYS))}."
            )
        checked = node.get("last_value_still_valid_on")
        leaves[prefix] = Parameter(
            name=prefix,
            description=str(node.get("description", "")),
            unit=node.get("unit"),
            values=_parse_values(prefix, node["values"], source),
            last_value_still_valid_on=as_date(str(checked)) if checked else None,
        )
        return
    for key, child in node.items():
        if key in NODE_KEYS:
            continue
        if not isinstance(child, dict):
            raise ParameterError(
                f"« {prefix}.{key} » ({source}) : clé inconnue ou mal placée. "
                "Un groupe ne contient que description, documentation, metadata et des sous-paramètres."
            )
        _walk(f"{prefix}.{key}", child, source, leaves)


def load_file(path: Path) -> dict[str, Parameter]:
    """Load one YAML parameter file into its leaves."""
    try:
        tree = read_yaml_file(path).tree
    except YamlError as exc:
        raise ParameterError(f"Fichier de paramètres illisible. {exc}") from None
    leaves: dict[str, Parameter] = {}
    _walk(path.stem, tree, path.name, leaves)
    return leaves


def load_parameters(directory: Path | None = None) -> Parameters:
    """Load every ``*.yaml`` of ``directory`` (default: the packaged legal parameters)."""
    folder = directory or PARAMS_DIR
    leaves: dict[str, Parameter] = {}
    for path in sorted(folder.glob("*.yaml")):
        leaves.update(load_file(path))
    return Parameters(leaves)


@lru_cache(maxsize=1)
def default_parameters() -> Parameters:
    """The packaged parameters (loaded once; ``Parameters`` is read-only)."""
    return load_parameters()


def resolve(params: Parameters | None) -> Parameters:
    """The parameters a computation uses: the caller's, or the packaged ones when ``None``.

    Every function that reads parameters takes ``params: Parameters | None`` and calls this, so
    that ``None`` always means ``default_parameters()`` and nothing is completed behind the
    caller's back: a ``Parameters`` passed in must hold every name the computation reads.
    """
    return default_parameters() if params is None else params


def param(name: str, when: dt.date | str) -> Any:
    """Value of a packaged parameter at a date: ``param("quotas.q1_hors_qpv", "2025-06-01")``."""
    return default_parameters().value(name, when)
