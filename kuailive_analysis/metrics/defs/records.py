"""Records of the metric registry: the allowed units, the chapters, the glossary sections and
the three record types (:class:`Definition`, :class:`Metric`, :class:`MetricValue`), and the
phrases several declarations share."""

from __future__ import annotations

from dataclasses import dataclass

from kuailive_analysis.core.chapters import ChapterId

# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
UNITS = {
    "count": "count",
    "share": "share (a proportion from 0 to 1, shown as a percentage)",
    "ratio": "ratio (events per unit; can exceed 1)",
    "coins": "platform coins",
    "coins per gift": "platform coins per gift event",
    "coins per 1,000 exposures": "platform coins per 1,000 exposures",
    "seconds": "seconds",
    "days": "days",
    "index": "index from 0 (equal) to 1 (one unit holds everything)",
    "AUC": "area under the ROC curve (0.5 = chance, 1 = perfect ranking)",
    "hazard ratio": "hazard ratio (1 = no difference)",
}
"""Allowed units of a metric and how the glossary explains them."""

CHAPTERS = {c.value: c.title for c in ChapterId}
"""Chapter stems and titles (the ``chapter`` field of a metric names where it is reported)."""

KINDS = {
    "counts": "Counts",
    "engagement": "Engagement rates",
    "funnel": "Funnel KPIs (attributed engagements)",
    "revenue": "Gifts and revenue",
    "concentration": "Concentration",
    "watch": "Watch time and timing",
    "retention": "Retention and churn",
    "ltv": "Lifetime value",
    "models": "Predictive models",
}
"""Glossary sections, in page order."""


@dataclass(frozen=True)
class Definition:
    """A concept the book uses without a number of its own."""

    key: str
    name: str
    text: str


@dataclass(frozen=True)
class Metric:
    """One KPI: what it measures and how it is computed.

    ``formula`` is LaTeX; ``numerator`` / ``denominator`` are plain text (empty for a count or
    a statistic that is not a ratio); ``population`` says which rows or units it is computed
    over; ``chapter`` the chapter stems that report it (first = where it is defined);
    ``params`` the analysis parameters its value depends on; ``computed_by`` the function that
    computes it when it is not computed by this registry (a model output or a table of one
    chapter).
    """

    key: str
    name: str
    definition: str
    formula: str
    unit: str
    numerator: str
    denominator: str
    population: str
    chapter: tuple[str, ...]
    kind: str = "engagement"
    params: tuple[str, ...] = ()
    computed_by: str | None = None


@dataclass(frozen=True)
class MetricValue:
    """A computed metric: ``value`` = ``numerator / denominator`` for ratios (both None for
    counts and statistics that are not ratios), in ``unit``."""

    value: float
    numerator: float | None
    denominator: float | None
    unit: str


# Phrases shared by the declarations of several kinds
_CLEAN = "the cleaned tables"
_Q = ("qualified_watch_s", "attribution_window_s")
_A = ("attribution_window_s",)
