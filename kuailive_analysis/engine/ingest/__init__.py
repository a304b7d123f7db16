"""Ingestion on the event engine: the raw folder read once by the one reader
(:func:`kuailive_analysis.data.io.read_batches`), cleaned and modelled in SQL, written as the
Parquet cache (:func:`build_cache`), or only checked (:func:`validate_folder`, ``kuailive
validate``).

:mod:`.stage` (raw files -> the engine), :mod:`.build` (the cache build), :mod:`.write`
(the cache tables' Arrow schemas, running queries on either engine), :mod:`.validate`.
"""

from __future__ import annotations

from kuailive_analysis.engine.ingest.build import build_cache
from kuailive_analysis.engine.ingest.validate import ValidationReport, validate_folder

__all__ = ["ValidationReport", "build_cache", "validate_folder"]
