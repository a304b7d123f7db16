"""Chapter 2, exploratory analysis: users, streamers, rooms and behaviour.

:func:`analyse` ``(ds, params) -> EDAResult`` computes everything the chapter shows; the
notebook glues ``result.numbers()`` and draws the result's tables with
:mod:`kuailive_analysis.plots.eda`. One module per part of the chapter, each with the section
record it fills: :mod:`.profiles` (2.1), :mod:`.streamers` and :mod:`.rooms` (2.2),
:mod:`.users`, :mod:`.timing` and :mod:`.returns` (2.3), :mod:`.behaviour` (2.4),
:mod:`.published` (2.5, the fidelity appendix's measurement of the published statistics);
:mod:`.distributions` holds the statistics they share, :mod:`.findings` the Key findings and
their intervals, :mod:`.result` the result and :func:`analyse`.

Every aggregation over the event-level tables (16.6M sessions, 11.8M rooms, 4.9M clicks at
full scale) is written once, in SQL (:mod:`kuailive_analysis.engine.queries.eda`), and runs on
the dataset's engine (DuckDB by default, Spark with ``--engine spark``): only aggregated rows
and single columns enter pandas. KPIs (counts, engagement rates, revenue statistics, the
cold-start share) come from the metric registry (:mod:`kuailive_analysis.metrics`).

Definitions used throughout: **interactions** = clicks + comments + likes + gifts (negatives,
i.e. unclicked exposures, excluded), as in the KuaiLive paper; **exposures** = clicks +
negatives. Days and hours are Beijing time (:mod:`kuailive_analysis.core.calendar`);
2025-05-05 (day 0) is a Monday. Gift values are platform coins; shares are fractions.

Cost (2-core machine shared with other jobs, measured 2026-11-30): ``analyse`` on the
full-scale twin with the Parquet cache and the fidelity statistics in place takes 47-51 s with
a peak of 2.8-3.1 GB; the largest parts are the room duration quantiles (exact order
statistics over 11.8M rooms, four groupings), the per-streamer activity and the visits.
"""

from __future__ import annotations

from kuailive_analysis.eda.behaviour import gift_price_summary, watch_time_summary
from kuailive_analysis.eda.distributions import (
    ccdf,
    concentration_table,
    log_binned_histogram,
    quantile_summary,
)
from kuailive_analysis.eda.params import Params
from kuailive_analysis.eda.published import calibration_table
from kuailive_analysis.eda.result import EDAResult, Titles, analyse
from kuailive_analysis.eda.returns import repeat_summary, returns_rows
from kuailive_analysis.eda.rooms import (
    room_duration_summary,
    room_start_hours,
    rooms_live_over_time,
)
from kuailive_analysis.eda.timing import daily_totals, hour_weekday_matrix, peak_window

__all__ = [
    "EDAResult",
    "Params",
    "Titles",
    "analyse",
    "calibration_table",
    "ccdf",
    "concentration_table",
    "daily_totals",
    "gift_price_summary",
    "hour_weekday_matrix",
    "log_binned_histogram",
    "peak_window",
    "quantile_summary",
    "repeat_summary",
    "returns_rows",
    "room_duration_summary",
    "room_start_hours",
    "rooms_live_over_time",
    "watch_time_summary",
]
