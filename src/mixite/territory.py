"""Territory settings resolved against the legal parameters.

The first-quartile threshold of a territory lives in one place,
``mixite.indicators.quotas.q1_threshold``; it is re-exported here for the readers' users.
"""

from __future__ import annotations

from mixite.indicators.quotas import q1_threshold

__all__ = ["q1_threshold"]
