"""The application layer: one function per job, between the store and the outputs.

Each job takes a store (any object with the ``StoreLike`` read API), loads what it needs through
the one loader (``jobs._load``), calls the pure computations and returns a typed result
(``jobs.results``). A job writes no file and draws nothing: ``mixite.reports`` renders results,
and the command line, the demo, the web application and a national batch call the same jobs.

Modules: ``importing`` (files → store, what a store holds), ``diagnostic`` (diagnostic, legal
quotas, room for manoeuvre), ``cotation`` (grid audit, an applicant's explanation),
``allocation`` (simulation, optimisation, calibration, frontier), ``documents`` (the policy
documents' content), ``ppgdid`` (the content of the plan partenarial de gestion de la demande),
``trajectoires`` (the relocation plan, mutations and exchanges).
"""

__all__ = [
    "allocation",
    "cotation",
    "diagnostic",
    "documents",
    "importing",
    "ppgdid",
    "projection",
    "results",
    "trajectoires",
]
