"""Everything the synthetic twin plants, with the evidence for it (or "no evidence: assumption").

The book runs on the twin by default, so every structure the generator plants comes back as a
"finding". This table is the one place that says which structures are planted and why. The
fidelity appendix renders it; the twin's tests check the measurable ones.

``status`` is ``"evidence"`` (calibrated to a measured fact of the real files, cited in
``evidence``) or ``"assumption"`` (no evidence: the relationship is invented so that the twin is
complete, and a pattern the book finds along it is a recovered assumption, not a discovery).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Assumption:
    """One planted relationship of the twin."""

    component: str  # generator part: users, calendar, exposures, clicks, watch, engagement, gifts, rooms, profiles
    planted: str  # what the generator does
    evidence: str  # the measured real fact it is calibrated to, or why it is an assumption
    status: str  # "evidence" or "assumption"


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("clicks", "Exposure CTR 27.9% (2.59 negatives per click)",
               "kuailive-facts.md: clicks / (clicks + negatives) = 27.9%", "evidence"),
)
"""Filled in by the generator rework (issue 13); see :func:`assumptions_table`."""

STATUSES = ("evidence", "assumption")


def assumptions_table() -> pd.DataFrame:
    """The assumptions as a table with readable headers (one row per planted relationship)."""
    for a in ASSUMPTIONS:
        if a.status not in STATUSES:
            raise ValueError(f"assumption {a.planted!r}: status must be one of {STATUSES}")
    return pd.DataFrame(
        [(a.component, a.planted, a.evidence, a.status) for a in ASSUMPTIONS],
        columns=["Component", "What the twin plants", "Evidence", "Status"],
    )
