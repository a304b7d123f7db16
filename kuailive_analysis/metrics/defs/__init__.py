"""Declarations of the metric registry: every KPI and concept of the book, once.

The records (:class:`Definition`, :class:`Metric`, :class:`MetricValue`), the allowed units,
the chapters and the glossary sections, and the two tables :data:`DEFINITIONS` and
:data:`METRICS`. Pure data: computing the metrics and rendering the glossary is
:mod:`kuailive_analysis.metrics`, which re-exports everything here.

Modules: :mod:`.records` (units, chapters, glossary sections, the record types),
:mod:`.concepts` (:data:`DEFINITIONS`) and one module per group of glossary sections, each a
tuple of :class:`Metric` in glossary order: :mod:`.counts`, :mod:`.engagement` (engagement
rates and funnel KPIs), :mod:`.revenue` (revenue and concentration), :mod:`.watch`,
:mod:`.retention`, :mod:`.ltv` and :mod:`.models`. :data:`METRICS` joins them in that order.
"""

from __future__ import annotations

from kuailive_analysis.metrics.defs.concepts import DEFINITIONS
from kuailive_analysis.metrics.defs.counts import COUNTS
from kuailive_analysis.metrics.defs.engagement import ENGAGEMENT, FUNNEL
from kuailive_analysis.metrics.defs.ltv import LTV
from kuailive_analysis.metrics.defs.models import MODELS
from kuailive_analysis.metrics.defs.records import (
    CHAPTERS,
    KINDS,
    UNITS,
    Definition,
    Metric,
    MetricValue,
)
from kuailive_analysis.metrics.defs.retention import RETENTION
from kuailive_analysis.metrics.defs.revenue import CONCENTRATION, REVENUE
from kuailive_analysis.metrics.defs.watch import WATCH

__all__ = [
    "CHAPTERS",
    "DEFINITIONS",
    "KINDS",
    "METRICS",
    "UNITS",
    "Definition",
    "Metric",
    "MetricValue",
]

METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        *COUNTS,
        *ENGAGEMENT,
        *FUNNEL,
        *REVENUE,
        *CONCENTRATION,
        *WATCH,
        *RETENTION,
        *LTV,
        *MODELS,
    )
}
"""Every metric of the book by key, in glossary order (kinds as in :data:`KINDS`)."""
