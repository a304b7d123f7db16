"""``kuailive export``: the cleaned tables, the data model and the interactions fact table,
streamed by the event engine (DuckDB or Spark) to Parquet or CSV, with a data dictionary and a
manifest.

Layout of ``OUT`` (``<table>.parquet`` / ``<table>.csv``: one file on DuckDB, a folder of part
files on Spark):

* the cleaned tables ``users``, ``streamers``, ``rooms``, ``clicks``, ``comments``, ``likes``,
  ``gifts``, ``negatives`` (every row and column of the Parquet cache; registration-like dates
  as ``DATE``);
* the data model: ``sessions``, ``user_day`` and ``rfm`` (one row per user; query
  ``export_rfm`` of :mod:`kuailive_analysis.engine.queries.export`);
* ``interactions``: one row per event of the five event tables with ``event_index`` and the
  user, streamer and room attributes (query ``export_interactions``);
* ``DATA_DICTIONARY.md`` and ``data_dictionary.csv`` (:mod:`.dictionary`): every table and
  column with its Arrow type (as written to Parquet), unit, meaning and where the meaning comes
  from: :mod:`kuailive_analysis.data.schema` for raw columns, the table declarations
  (:class:`~kuailive_analysis.engine.sql.TableDoc`) of the queries that make the derived
  tables, the metric registry where a column carries a KPI or a defined concept;
* ``manifest.json``: data source (``DataSource.to_dict()``, with its fingerprint), engine,
  format, row count of every table, package version, time of the export.

Types: the Arrow type of every column is fixed by the SQL (explicit casts) and read from
DuckDB's ``DESCRIBE`` of the same statement; instants (``TIMESTAMP WITH TIME ZONE``) are
written as ``timestamp[us, tz=UTC]`` by both engines (display them in Asia/Shanghai). In CSV
they are ISO strings with the Beijing offset (``2025-05-05T00:00:10.182+08:00``); every CSV has
a header row and no index.

Nothing of a whole table passes through pandas: every table is one ``COPY``/``write`` of the
engine (:mod:`.write`). The export is written into ``OUT.tmp-*`` next to ``OUT`` and renamed at
the end, so a failure leaves no half export. ``OUT`` may not be, contain or lie inside the data
folder or the build folder; a non-empty ``OUT`` is replaced only with ``overwrite=True`` and
only when it is an earlier export (its ``manifest.json`` lists everything in it): this tool
never deletes what it did not write (:mod:`.guard`).
"""

from __future__ import annotations

from kuailive_analysis.export.guard import ExportError, cache_only, check_args, export_space
from kuailive_analysis.export.plan import TABLES
from kuailive_analysis.export.write import DICTIONARY_CSV, DICTIONARY_MD, ExportResult, export

__all__ = [
    "DICTIONARY_CSV",
    "DICTIONARY_MD",
    "TABLES",
    "ExportError",
    "ExportResult",
    "cache_only",
    "check_args",
    "export",
    "export_space",
]
