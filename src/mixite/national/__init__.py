"""The national observatory: every territory of a folder (the synthetic France, or real EPCIs'
files on a shared disk) imported into its own store and analysed by the territory jobs, as
tasks of a Dask cluster (``dask.distributed``): a local cluster with one worker per core, or an
existing scheduler (``mixite national --cluster``), the same code.

Orchestration only: which territories, which tasks, where the results go, what to skip on a
rerun. The work of a task is the application layer's (``mixite.jobs.importing``,
``mixite.jobs.national``); the report is ``mixite.reports.national``'s. Dask is imported when a
run starts, never with this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixite._lazy import lazy_exports

if TYPE_CHECKING:
    from mixite.national.cluster import open_client
    from mixite.national.generation import FranceGeneration, generate_france
    from mixite.national.runner import NationalRun, TerritoryReport, run_national
    from mixite.national.territories import Territory, discover

__all__ = [
    "FranceGeneration",
    "NationalRun",
    "Territory",
    "TerritoryReport",
    "discover",
    "generate_france",
    "open_client",
    "run_national",
]

_LAZY = {
    "open_client": "mixite.national.cluster",
    "FranceGeneration": "mixite.national.generation",
    "generate_france": "mixite.national.generation",
    "NationalRun": "mixite.national.runner",
    "TerritoryReport": "mixite.national.runner",
    "run_national": "mixite.national.runner",
    "Territory": "mixite.national.territories",
    "discover": "mixite.national.territories",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
