"""Chapter 2, exploratory analysis: users, streamers, rooms and behaviour.

:func:`analyse` ``(ds, **params) -> EDAResult`` computes everything the chapter shows; the
notebook glues ``result.numbers()`` and draws the result's tables
(:mod:`kuailive_analysis.plots.eda`). The statistics are pure, vectorised functions (frames or
arrays in, frames, series or floats out), one module per part of the chapter, each with the
section record it fills:

=========================  ===============================================================
``eda.distributions``      CCDF, log-binned and banded histograms, quantiles, concentration
``eda.activity``           per-streamer and per-user sums (registry derived tables)
``eda.profiles``           2.1 demographics and tenure (:class:`Profiles`)
``eda.streamers``          2.2 long tail and concentration (:class:`Streamers`,
                           :class:`Concentration`)
``eda.rooms``              2.2 room schedules and durations (:class:`Rooms`)
``eda.users``              2.3 activity per user (:class:`Users`)
``eda.timing``             2.3 hour, weekday and day of activity (:class:`Timing`)
``eda.returns``            2.3 visits, returns, revisit intervals (:class:`Returns`)
``eda.behaviour``          2.4 watch time, engagement, gift prices (:class:`Behaviour`,
                           :class:`Gifts`)
``eda.published``          2.5 published figures vs this run (:class:`Published`)
``eda.result``             :class:`EDAResult`, :class:`Overview` (parameters: ``eda.params``)
``eda.base``               :class:`Section`, column-wise table access, :class:`Source`
=========================  ===============================================================

Event-level aggregations (issue 16)
-----------------------------------
Every aggregation over the event-level tables (the 16.6M-row sessions, 11.8M rooms, 4.9M
clicks at full scale) is written once, in SQL (:mod:`kuailive_analysis.engine.queries.eda`):
per-streamer and per-user activity, room start hours, rooms live over time, room duration
summaries, visits / repeat visits / revisit intervals and the per-user peak counts of the
findings. :func:`analyse` runs them on the dataset's engine (``Source(ds)``: DuckDB by default,
Spark with ``--engine spark``) over the Parquet cache, so only aggregated rows and single
columns enter pandas; the pandas functions (:func:`streamer_activity`, :func:`visits`,
:func:`room_duration_summary`, ...) keep their signatures and run the same SQL on an in-memory
DuckDB over the frames they are given (:func:`kuailive_analysis.engine.frames.run_on_frames`).
Results equal the former pandas implementation exactly (``tests/test_eda_engine.py``), except
the float32 ``mean`` of the room duration tables, now averaged in double precision (it may
differ in the last float32 bit).

Definitions used throughout
---------------------------
* **Interactions** = clicks + comments + likes + gifts (negatives, i.e. unclicked exposures,
  excluded), as in the KuaiLive paper. **Exposures** = clicks + negatives.
* **Gini coefficient**, **Lorenz curve** (poorest first) and **top-q share** (``1 - L(1-q)``:
  the boundary unit counts fractionally) are those of :mod:`kuailive_analysis.core.stats`,
  over every unit passed (zeros included). **CCDF**: :math:`P(X \\ge x)`.
* **Calendar**: all days and hours are Beijing time (:mod:`kuailive_analysis.core.calendar`);
  2025-05-05 (day 0) is a Monday.
* **Visit**, **repeat visit**, **revisit interval**: see :mod:`kuailive_analysis.eda.returns`.
* **KPIs** (counts, engagement rates, revenue statistics, the cold-start share) come from the
  metric registry (:mod:`kuailive_analysis.metrics`), so they have one value in the book.
* **Units**: inputs carry epoch ms and watch time in ms; outputs name their unit in the column
  (``watch_hours``, ``duration_min``, ``gap_h``, ``*_s``); gift values are platform coins;
  shares are fractions in [0, 1].

Cost (2-core machine shared with other jobs, load average about 9, measured 2026-11-30):
``analyse`` on the full-scale twin with the Parquet cache and the fidelity statistics in
place takes 47-51 s with a peak of 2.8-3.1 GB (66-89 s and 4.5 GB before the aggregations
moved into the engine, same machine and load, same numbers); the largest parts are the room
duration quantiles (exact order statistics over 11.8M rooms, four groupings), the
per-streamer activity (16.6M session rows, 452k streamers) and the visits.
"""

from __future__ import annotations

import time

from kuailive_analysis import metrics as registry
from kuailive_analysis.eda.activity import (
    SESSION_SUMS,
    _distinct_counts,
    _group_sums,
    streamer_activity,
    streamer_activity_of,
    user_activity,
    user_activity_of,
)
from kuailive_analysis.eda.base import Section, Source, columns
from kuailive_analysis.eda.behaviour import (
    WATCH_BANDS_S,
    Behaviour,
    Gifts,
    behaviour_section,
    gift_price_summary,
    gifts_section,
    price_counts,
    watch_time_summary,
)
from kuailive_analysis.eda.distributions import (
    banded_shares,
    ccdf,
    concentration_table,
    integer_counts,
    linear_histogram,
    log_bin_edges,
    log_binned_histogram,
    n_zero,
    quantile_summary,
    share_above,
    share_below,
)
from kuailive_analysis.eda.findings import Uncertainty, eda_findings, uncertainty
from kuailive_analysis.eda.params import Params
from kuailive_analysis.eda.profiles import (
    MISSING_LABEL,
    Profiles,
    demographic_shares,
    profiles_section,
    tenure_distribution,
    tenure_summary,
)
from kuailive_analysis.eda.published import (
    DATASET_PAGE_SOURCE,
    PAPER_FIGURES,
    PAPER_SOURCE,
    REAL_FILES_SOURCE,
    SOURCE_TAGS,
    Published,
    PublishedFigure,
    format_value,
    paper_comparison,
    published_section,
    run_values,
)
from kuailive_analysis.eda.result import EDAResult, Overview, overview_section
from kuailive_analysis.eda.returns import (
    CLICK_COLUMNS,
    REPEAT_DEFINITIONS,
    Returns,
    daily_rhythm_share,
    interval_histogram,
    repeat_summary,
    returns_section,
    revisit_intervals,
    visits,
)
from kuailive_analysis.eda.rooms import (
    ROOM_COLUMNS,
    Rooms,
    room_duration_summary,
    room_start_hours,
    rooms_live_over_time,
    rooms_section,
    shop_flag,
)
from kuailive_analysis.eda.streamers import (
    Concentration,
    Streamers,
    concentration_section,
    streamers_section,
)
from kuailive_analysis.eda.timing import (
    Timing,
    daily_totals,
    days_per_weekday,
    hour_weekday_matrix,
    hour_window_label,
    hourly_profile,
    peak_window,
    timing_section,
)
from kuailive_analysis.eda.users import Users, users_section

__all__ = [
    # the chapter
    "Params",
    "analyse",
    "EDAResult",
    "Section",
    "Overview",
    "Profiles",
    "Streamers",
    "Concentration",
    "Rooms",
    "Users",
    "Timing",
    "Returns",
    "Behaviour",
    "Gifts",
    "Published",
    "overview_section",
    "profiles_section",
    "streamers_section",
    "concentration_section",
    "rooms_section",
    "users_section",
    "timing_section",
    "returns_section",
    "behaviour_section",
    "gifts_section",
    "published_section",
    "Uncertainty",
    "eda_findings",
    "uncertainty",
    # statistics
    "banded_shares",
    "ccdf",
    "concentration_table",
    "integer_counts",
    "linear_histogram",
    "log_bin_edges",
    "log_binned_histogram",
    "n_zero",
    "quantile_summary",
    "share_above",
    "share_below",
    "SESSION_SUMS",
    "streamer_activity",
    "streamer_activity_of",
    "user_activity",
    "user_activity_of",
    "MISSING_LABEL",
    "demographic_shares",
    "tenure_distribution",
    "tenure_summary",
    "ROOM_COLUMNS",
    "room_duration_summary",
    "room_start_hours",
    "rooms_live_over_time",
    "shop_flag",
    "daily_totals",
    "days_per_weekday",
    "hour_weekday_matrix",
    "hour_window_label",
    "hourly_profile",
    "peak_window",
    "CLICK_COLUMNS",
    "REPEAT_DEFINITIONS",
    "daily_rhythm_share",
    "interval_histogram",
    "repeat_summary",
    "revisit_intervals",
    "visits",
    "WATCH_BANDS_S",
    "gift_price_summary",
    "price_counts",
    "watch_time_summary",
    "columns",
    # published figures
    "DATASET_PAGE_SOURCE",
    "PAPER_FIGURES",
    "PAPER_SOURCE",
    "REAL_FILES_SOURCE",
    "SOURCE_TAGS",
    "PublishedFigure",
    "format_value",
    "paper_comparison",
    "run_values",
    # kernels (tests/test_perf_kernels.py)
    "_distinct_counts",
    "_group_sums",
]


def analyse(ds, params: Params | None = None, **overrides) -> EDAResult:
    """Everything chapter 2 shows, as one :class:`EDAResult`.

    ``ds``: a :class:`~kuailive_analysis.dataset.Dataset`. ``params``: the chapter's
    :class:`Params` (None: the defaults), ``overrides``: fields of it to change (a name it does
    not declare or a bad value is a :class:`~kuailive_analysis.core.params.ParamError`).
    """
    t0 = time.perf_counter()
    p = Params.resolve(params, overrides)
    source = getattr(ds, "source", None)
    mc = registry.MetricContext(ds, cold_start_max=p.cold_start_max)
    # the SQL definitions of the chapter (engine.queries.eda) run here: on the dataset's engine
    # over the Parquet cache (the room, session and click tables never enter pandas)
    src = Source(ds)
    streamers = streamers_section(mc, p.heavy_streamer_min)
    users = users_section(mc, p.light_user_max)
    returns = returns_section(
        src,
        users.activity["top_streamer_watch_share"],
        min_rooms=p.repeat_min_rooms,
        tol_h=p.rhythm_tol_hours,
        max_h=p.revisit_max_hours,
    )
    timing = timing_section(ds, p.peak_hours)
    unc = uncertainty(
        src,
        users.activity,
        streamers.activity,
        int(str(timing.activity_peak)[:2]),
        p.peak_hours,
        p.cold_start_max,
    )
    return EDAResult(
        params=p,
        source=source,
        overview=overview_section(mc, source.label if source is not None else "data"),
        profiles=profiles_section(ds.users, ds.streamers),
        streamers=streamers,
        concentration=concentration_section(mc),
        rooms=rooms_section(src, p.live_step_minutes),
        users=users,
        timing=timing,
        returns=returns,
        behaviour=behaviour_section(
            mc, columns(ds, "clicks", ["watch_live_time"])["watch_live_time"]
        ),
        gifts=gifts_section(mc, columns(ds, "gifts", ["gift_price"])["gift_price"]),
        published=published_section(
            ds,
            streamers.activity,
            users.activity,
            returns.summary,
            min_rooms=p.repeat_min_rooms,
            repeat_definition=p.repeat_definition,
            source=src,
        ),
        elapsed_s=time.perf_counter() - t0,
        uncertainty=unc,
    )
