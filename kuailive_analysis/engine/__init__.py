"""The event engine: one definition of each event-level aggregation, executed by DuckDB
(embedded, the default) or Apache Spark (PySpark; local mode or a cluster).

* :mod:`.sql` -- :class:`~.sql.Query` (named SQL in DuckDB's dialect with ``:param``
  placeholders) and :func:`~.sql.render` (binds parameters, transpiles with SQLGlot);
* :mod:`.queries` -- the definitions (cleaning rules and their counts, sessions, the user-day
  panel, RFM summaries, funnel attribution, EDA aggregates, the CTR training set);
* :mod:`.duckdb_engine`, :mod:`.spark_engine` -- the executors;
* :func:`get_engine` -- an engine by name (``"duckdb"`` or ``"spark"``; ``None`` reads
  ``$KUAILIVE_ENGINE``, default ``"duckdb"``).

Only aggregated or sampled frames leave an engine for pandas; the statistics (lifelines, scipy,
scikit-learn) run on those.
"""

from __future__ import annotations

import os

from kuailive_analysis.engine.base import FORMATS, Engine, EngineError
from kuailive_analysis.engine.sql import Query, render

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


def engine_name(name: str | None = None) -> str:
    """``name``, else ``$KUAILIVE_ENGINE``, else ``"duckdb"``; an unknown name is an error."""
    name = (name or os.environ.get("KUAILIVE_ENGINE") or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return name


def get_engine(name: str | None = None, **options) -> Engine:
    """A new engine of kind ``name`` (see :func:`engine_name`)."""
    name = engine_name(name)
    if name == "spark":
        from kuailive_analysis.engine.spark_engine import SparkEngine

        return SparkEngine(**options)
    from kuailive_analysis.engine.duckdb_engine import DuckDBEngine

    return DuckDBEngine(**options)


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "FORMATS",
    "Engine",
    "EngineError",
    "Query",
    "engine_name",
    "get_engine",
    "render",
]
