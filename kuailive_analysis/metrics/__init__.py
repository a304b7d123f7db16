"""The metric registry: every KPI and concept of the book, declared once.

:mod:`.defs` holds the declarations (pure data), :mod:`.registry` computes the KPIs from a
dataset (one function each) and :mod:`.glossary` renders the glossary page. This layer sits
above the dataset and below the analyses: it reads tables and runs engine queries through a
:class:`~kuailive_analysis.dataset.Dataset`, and imports nothing from the analyses.
"""

from __future__ import annotations

from kuailive_analysis.metrics.glossary import glossary_markdown, registry_table
from kuailive_analysis.metrics.registry import (
    CHAPTERS,
    DEFAULT_PARAMS,
    DEFINITIONS,
    KINDS,
    METRICS,
    UNITS,
    Definition,
    Metric,
    MetricContext,
    MetricValue,
    computable,
    compute,
    compute_many,
    is_computable,
    metric,
    values,
)

__all__ = [
    "CHAPTERS",
    "DEFAULT_PARAMS",
    "DEFINITIONS",
    "KINDS",
    "METRICS",
    "UNITS",
    "Definition",
    "Metric",
    "MetricContext",
    "MetricValue",
    "computable",
    "compute",
    "compute_many",
    "glossary_markdown",
    "is_computable",
    "metric",
    "registry_table",
    "values",
]
