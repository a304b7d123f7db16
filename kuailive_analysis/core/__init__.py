"""Shared definitions every layer uses, one definition each (no imports from the rest of the
package, so any module may import from here).

Modules:

* :mod:`~kuailive_analysis.core.stats`: concentration (Gini, Lorenz curve, top shares) and
  intervals (Wilson score, normal, bootstrap percentile), with their maths and units.
* :mod:`~kuailive_analysis.core.calendar`: the Beijing (Asia/Shanghai, UTC+8) calendar of the
  collection window: window bounds, milliseconds per second / minute / hour / day, Beijing day
  index, hour of day, weekday, dates, UTC day numbers, epoch-ms conversions.
* :mod:`~kuailive_analysis.core.keys`: integer keys of event tables (dense codes, pair keys,
  packed tuple keys, dense id lookups).
* :mod:`~kuailive_analysis.core.constants`: facts about the real files used in several modules
  (:data:`~kuailive_analysis.core.constants.REAL_COUNTS`), and the package list of provenance.
* :mod:`~kuailive_analysis.core.checks`: input checks shared by the analyses
  (:func:`~kuailive_analysis.core.checks.require_columns`).
* :mod:`~kuailive_analysis.metrics`: the metric registry (every KPI defined once).
"""
