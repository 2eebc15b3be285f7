"""Allocation of the year's vacancies: problem, optimiser with its LP bound, year simulation.

The core works on plain arrays (``problem``) and does not depend on the store, the cotation
engine or the affordability engine; see ``docs/allocation.md``. Import from the submodules: the
problem and its checks (``problem``, ``result``), the solvers (``highs``, ``flow``, ``repair``,
``column_generation``) and their dispatch (``optimise``), the simulated commissions
(``simulate``), the frontier (``frontier``), scenario files (``scenario``) and random instances
for tests and benchmarks (``instances``). The package itself imports nothing, so that the command
line and the demo load only what they use (the function ``optimise`` and the module ``optimise``
share a name, which a package-level re-export would make ambiguous).
"""

__all__ = [
    "column_generation",
    "flow",
    "frontier",
    "highs",
    "instances",
    "optimise",
    "problem",
    "repair",
    "result",
    "scenario",
    "simulate",
]
