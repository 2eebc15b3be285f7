"""The layers of the house, checked on the source (structural test, like the CLI start-up probe).

Data flows one way: files → store → jobs → computations → results → presentation
(``docs/architecture.md``). So:

* computations (``indicators``, ``allocation``, ``cotation``, ``affordability``, ``household``,
  ``ceilings``, ``objectives``, ``trajectoires``), the application layer (``jobs``) and the
  national orchestration (``national``) import neither the presentation (``reports``, ``cli``,
  ``demo``) nor, for the computations, the jobs;
* ``reports`` imports no computation module: at run time only the results of the jobs, the
  vocabulary, the schema's code lists, the errors and the light catalogues (``choices``); types
  for annotations only, under ``if TYPE_CHECKING``;
* ``io`` imports no indicator.

The checker parses every module (imports inside functions included) and a meta-test feeds it a
module that breaks each rule, to prove it can fail.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mixite"

COMPUTATIONS = (
    "mixite.indicators",
    "mixite.allocation",
    "mixite.cotation",
    "mixite.affordability",
    "mixite.household",
    "mixite.ceilings",
    "mixite.objectives",
    "mixite.projection",
    "mixite.trajectoires",
)
PRESENTATION = ("mixite.reports", "mixite.cli", "mixite.demo")
#: What ``reports`` may import at run time besides itself.
REPORTS_ALLOWED = (
    "mixite.reports",
    "mixite.jobs.results",
    "mixite.vocabulary",
    "mixite.schema",
    "mixite.errors",
    "mixite.choices",
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, module: str, is_package: bool = False) -> list[Import]:
    """Every import of a module's source (absolute names), with whether it is for typing only."""
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, True)
                for stmt in child.orelse:
                    visit_stmt(stmt, typing_only)
                continue
            visit_stmt(child, typing_only)

    def visit_stmt(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                # ``from mixite.jobs import results`` imports the module ``mixite.jobs.results``
                full = f"{base}.{alias.name}"
                target = (
                    full if (PACKAGE.parent / (full.replace(".", "/") + ".py")).exists() else base
                )
                found.append(Import(module, target, node.lineno, typing_only))
        else:
            visit(node, typing_only)

    visit(ast.parse(source), False)
    return found


def package_imports() -> list[Import]:
    out: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        is_package = rel.name == "__init__"
        module = ".".join(rel.parts[:-1] if is_package else rel.parts)
        out += imports_of(path.read_text(encoding="utf-8"), module, is_package)
    return out


def violations(imports: list[Import]) -> list[str]:
    """The imports that break a rule of the module docstring, as readable lines."""
    bad: list[str] = []
    for imp in imports:
        where = f"{imp.module}:{imp.line} imports {imp.target}"
        if _within(imp.module, (*COMPUTATIONS, "mixite.jobs", "mixite.national")) and _within(
            imp.target, PRESENTATION
        ):
            bad.append(f"{where} (computation or job → presentation)")
        if _within(imp.module, COMPUTATIONS) and _within(imp.target, ("mixite.jobs",)):
            bad.append(f"{where} (computation → application layer)")
        if (
            _within(imp.module, ("mixite.reports",))
            and _within(imp.target, ("mixite",))
            and not imp.typing_only
            and not _within(imp.target, REPORTS_ALLOWED)
        ):
            bad.append(f"{where} (report → computation)")
        if _within(imp.module, ("mixite.io",)) and _within(imp.target, ("mixite.indicators",)):
            bad.append(f"{where} (reader → indicator)")
    return bad


def test_the_package_respects_its_layers() -> None:
    imports = package_imports()
    assert len(imports) > 200  # the checker sees the package
    assert violations(imports) == []


def test_the_checker_catches_each_kind_of_violation() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from mixite.reports.fr import percent\n"
        "def f():\n"
        "    from mixite.jobs.results import Names\n"
        "    import mixite.indicators.quotas\n"
        "if TYPE_CHECKING:\n"
        "    from mixite.indicators.marges import Marges\n"
    )
    as_indicator = violations(imports_of(source, "mixite.indicators.example"))
    assert any("computation or job → presentation" in v for v in as_indicator)
    assert any("computation → application layer" in v for v in as_indicator)
    as_report = violations(imports_of(source, "mixite.reports.example"))
    # the run-time import of an indicator is caught, the typing-only one is not
    assert [v for v in as_report if "report → computation" in v] == [
        "mixite.reports.example:5 imports mixite.indicators.quotas (report → computation)"
    ]
    as_national = violations(imports_of(source, "mixite.national.example"))
    assert any("computation or job → presentation" in v for v in as_national)
    as_reader = violations(imports_of(source, "mixite.io.example"))
    assert any("reader → indicator" in v for v in as_reader)
    relative = imports_of("from ..reports import fr\n", "mixite.jobs.example")
    assert relative[0].target == "mixite.reports.fr"
    assert violations(relative)
