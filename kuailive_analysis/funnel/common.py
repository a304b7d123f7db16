"""Names shared by the funnel modules: the nested steps, the engagement kinds and the attribution
statuses (their codes in the SQL of :mod:`kuailive_analysis.engine.queries.funnel` are the
positions in these tuples)."""

from __future__ import annotations

from kuailive_analysis.funnel.params import INTERVALS

STEPS = ("exposure", "click", "qualified", "interaction", "gift")
"""Nested funnel steps, top to bottom."""

FLAGS = ("s_click", "s_qualified", "s_interaction", "s_gift")
"""The exposure and session tables' flags of the steps after ``exposure``."""

STEP_LABELS = {
    "exposure": "Exposure",
    "click": "Click",
    "qualified": "Qualified watch",
    "interaction": "Like / comment / gift",
    "gift": "Gift",
}

ENGAGEMENT_KINDS = ("comment", "like", "gift")
STATUSES = ("attributed", "late", "before_click", "no_click")


def check_interval(interval: str) -> None:
    """Raise when ``interval`` is not one of :data:`~kuailive_analysis.funnel.params.INTERVALS`."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
