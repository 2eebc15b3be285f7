"""Residential trajectories: direct exchanges among tenants (Top Trading Cycles), vacancy chains
of mutations, and the relocation plan of an urban renewal (NPNRU) programme.

Pure computations: plain arrays and frames in, immutable results out, explicit seeds; no file is
read or written here (the jobs of ``mixite.jobs.trajectoires`` load the store and the inputs).
"""

__all__ = ["chains", "relogement", "suivi", "ttc"]
