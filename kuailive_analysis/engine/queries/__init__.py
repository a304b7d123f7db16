"""The one definition of every event-level aggregation, as :class:`~..sql.Query` objects.

Each module of this package holds the queries of one area and lists them in a module-level
tuple ``QUERIES``; :data:`ALL` collects them by name (names are unique across modules). The
engine-parity tests run every query in :data:`ALL` on DuckDB and on Spark over a small twin
with its ``defaults`` and require identical results.

Tables a query may read (views the engine registers): the clean contract tables of the
Parquet cache (``users``, ``streamers``, ``rooms``, ``clicks``, ``comments``, ``likes``,
``gifts``, ``negatives``, ``sessions``, ``user_day``) and, during ingestion only, the raw files
(``raw_room``, ``raw_click``, ... with a 0-based ``_row`` column in file order).
"""

from __future__ import annotations

import importlib
import pkgutil

from kuailive_analysis.engine.sql import Query

__all__ = ["ALL"]


def _collect() -> dict[str, Query]:
    out: dict[str, Query] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        m = importlib.import_module(f"{__name__}.{mod.name}")
        for q in getattr(m, "QUERIES", ()):
            if q.name in out:
                raise ValueError(f"query name {q.name!r} is defined twice")
            out[q.name] = q
    return out


ALL: dict[str, Query] = _collect()
