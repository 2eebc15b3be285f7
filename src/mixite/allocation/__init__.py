"""Allocation of the year's vacancies: problem, optimiser with its LP bound, year simulation.

The core works on plain arrays (``problem.py``) and does not depend on the store, the cotation
engine or the affordability engine; see ``docs/allocation.md``. Import from the submodules
(``mixite.allocation.problem``, ``.optimise``, ``.simulate``, ``.frontier``, ``.scenario``,
``.run``): the package itself imports nothing, so that the command line and the demo steps load
only what they use (the function ``optimise`` and the module ``optimise`` share a name, which a
package-level re-export would make ambiguous).
"""
