"""The engagement funnel: exposure -> click -> qualified watch -> interaction -> gift.

Definitions (used by chapter 5 and stated there too)
---------------------------------------------------
* **Exposure**: one row of ``click.csv`` (a clicked exposure) or of ``negative.csv`` (an
  exposure the user did not click). The dataset has no other impression log, so
  ``exposures = clicks + negatives`` and **CTR = clicks / exposures**.
* **Units.** The *exposure* unit is one such row. The *session* unit is one
  ``(user_id, live_id)`` pair with any event. The *user* unit is one user.
* **Qualified watch**: a click whose ``watch_live_time`` is at least ``qualified_watch_s``
  seconds (a parameter; 5 s is about the real median watch). A session qualifies when the
  summed watch time of its clicks reaches the threshold.
* **Attribution of engagements to clicks** (exposure unit). A comment, like or gift is
  attributed to the *latest click of the same (user, live) at or before it* (same
  millisecond included: 86% of real gifts share the click's millisecond), provided it happened
  at most ``attribution_window_s`` seconds after that click (``None`` = no limit). Every
  engagement gets a status, none is dropped:

  - ``attributed``: credited to a click as above;
  - ``late``: the (user, live) has an earlier click, but more than the window before;
  - ``before_click``: the (user, live) has clicks, but only after this engagement;
  - ``no_click``: the (user, live) has no click at all (4.8% of real gifts).

  Only attributed engagements enter the exposure-unit funnel; the others are counted by
  :func:`~.attribution.engagement_status_table` and enter the session-unit funnel (which needs no
  attribution: all events of a session count) as "engagement without a click".
* **Funnel steps** are nested so that each step is a subset of the previous one:
  ``exposure`` >= ``click`` >= ``qualified`` (click with watch >= threshold) >=
  ``interaction`` (qualified and at least one attributed like, comment or gift) >= ``gift``
  (qualified and at least one attributed gift). Step conversion = n(step) / n(previous step);
  overall conversion = n(step) / n(exposures). Gifts on clicks shorter than the threshold are
  therefore outside the nested funnel; :func:`~.kpis.kpi_table` reports the unnested per-click rates
  (``gtr`` counts every gifting click).
* **KPIs per click** are shares of clicks with at least one attributed event of the kind
  (binomial, with Wilson intervals), and *events per click* (ratio of counts, as in the
  dataset paper: comments per click 4.0% on the real data). **GTR** (gift-through rate) =
  share of clicks with an attributed gift. **Revenue per 1,000 exposures** (RPM) =
  1,000 x attributed gift value / exposures, in platform coins.

Confidence intervals are Wilson score intervals for proportions
(:func:`~kuailive_analysis.core.stats.wilson_interval`) and normal intervals for means
(:func:`~kuailive_analysis.core.stats.mean_interval`); both treat units as independent,
which understates uncertainty when a few heavy users dominate a segment (read them as lower
bounds on the real uncertainty).
:func:`~.kpis.user_bootstrap` gives user-clustered intervals for the headline KPIs to show by how
much, and ``interval="user"`` puts them on every segment, daily and position table.

**Where the work runs (issue 16).** The event-level tables (attribution, click, exposure with
segments and positions, session) are SQL in :mod:`kuailive_analysis.engine.queries.funnel`, run
by the dataset's engine (DuckDB by default, Spark with ``--engine spark``); :func:`analyse`
materialises the exposure table in the engine once, reads it and the other tables into pandas
as one query result each (:mod:`.engine`: compact dtypes, as the predictive baseline reads
them), and computes every KPI table, funnel and user-clustered interval from per-(segment level,
user) sums the engine aggregates (:mod:`.stats`, a few hundred thousand rows), never by pandas
over event rows. The pandas functions of :mod:`.attribution`, :mod:`.tables`, :mod:`.units`
(``session_table``), :mod:`.segments` (``add_segments``) and :mod:`.positions`
(``add_positions``) remain as the reference the tests hold the SQL to, row for row, and for
hand-made frames; the statistics functions (:func:`kpi_table`, :func:`funnel`,
:func:`user_intervals` ...) take either a pandas exposure table or the engine's
:class:`~.stats.EngineStats` and share one numpy implementation. Composite keys in pandas are
int64 (``user_id << 32 | live_id``).

Modules, in the order of the chapter: :mod:`.common` (steps, kinds, defaults, checks),
:mod:`.attribution` (engagement -> click), :mod:`.tables` (per-click and per-exposure tables),
:mod:`.engine` (the same tables from the engine), :mod:`.stats` (per-(level, user) sums),
:mod:`.units` (sessions, the funnel in three units), :mod:`.intervals` (user-clustered
bootstrap), :mod:`.steps` (the nested funnel), :mod:`.kpis` (KPIs with intervals, the headline
table), :mod:`.segments`, :mod:`.trends` (daily, weekly), :mod:`.positions` (screens, repeat
exposures), :mod:`.watch` (watch time by outcome) and :mod:`.result` (:class:`FunnelResult`).
:func:`analyse` runs them all on a dataset, with the predictive baseline of
:mod:`kuailive_analysis.predict`.
"""

from __future__ import annotations

from kuailive_analysis import metrics as registry, predict
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.engine.queries.funnel import EXPOSURE_COLUMNS
from kuailive_analysis.funnel.attribution import attribute, engagement_status_table
from kuailive_analysis.funnel.common import (
    DEFAULT_ATTRIBUTION_WINDOW_S,
    DEFAULT_QUALIFIED_WATCH_S,
    ENGAGEMENT_KINDS,
    EVENT_COLS,
    INTERVALS,
    MISSING,
    STATUSES,
    STEP_LABELS,
    STEPS,
    check_interval,
)
from kuailive_analysis.funnel.engine import SESSION_COLUMNS, EngineTables, engine_tables
from kuailive_analysis.funnel.intervals import user_intervals
from kuailive_analysis.funnel.kpis import (
    gift_value_summary,
    kpi_summary,
    kpi_table,
    user_bootstrap,
)
from kuailive_analysis.funnel.params import Params
from kuailive_analysis.funnel.positions import add_positions, position_summary
from kuailive_analysis.funnel.result import FunnelResult
from kuailive_analysis.funnel.segments import (
    Extremes,
    add_segments,
    extremes,
    segment_kpis,
    weighted_decile,
)
from kuailive_analysis.funnel.stats import EngineStats, UserStats
from kuailive_analysis.funnel.steps import funnel
from kuailive_analysis.funnel.tables import (
    FunnelTables,
    build,
    click_table,
    exposure_table,
)
from kuailive_analysis.funnel.trends import (
    REAL_GIFTS_PER_CLICK,
    UTC_PERIODS,
    GiftTrend,
    daily_kpis,
    gift_trend,
    weekly_rates,
)
from kuailive_analysis.funnel.units import session_kpis, session_table, unit_funnels
from kuailive_analysis.funnel.watch import (
    WATCH_OUTCOMES,
    watch_by_outcome,
    watch_outcome,
)

__all__ = [
    "STEPS",
    "STEP_LABELS",
    "ENGAGEMENT_KINDS",
    "STATUSES",
    "INTERVALS",
    "MISSING",
    "DEFAULT_QUALIFIED_WATCH_S",
    "DEFAULT_ATTRIBUTION_WINDOW_S",
    "DEFAULT_SEGMENTS",
    "DEFAULT_FUNNEL_SEGMENTS",
    "METRIC_KEYS",
    "WATCH_OUTCOMES",
    "attribute",
    "engagement_status_table",
    "click_table",
    "exposure_table",
    "build",
    "FunnelTables",
    "engine_tables",
    "EngineTables",
    "EngineStats",
    "UserStats",
    "session_table",
    "unit_funnels",
    "session_kpis",
    "user_intervals",
    "funnel",
    "kpi_table",
    "gift_value_summary",
    "user_bootstrap",
    "kpi_summary",
    "weighted_decile",
    "add_segments",
    "segment_kpis",
    "extremes",
    "Extremes",
    "add_positions",
    "position_summary",
    "watch_outcome",
    "watch_by_outcome",
    "daily_kpis",
    "weekly_rates",
    "gift_trend",
    "GiftTrend",
    "REAL_GIFTS_PER_CLICK",
    "UTC_PERIODS",
    "Params",
    "analyse",
    "FunnelResult",
]

DEFAULT_SEGMENTS = (
    "hour",
    "day",
    "live_content_category",
    "live_type",
    "streamer_decile",
    "user_decile",
    "age",
    "gender",
    "device_price",
)
DEFAULT_FUNNEL_SEGMENTS = ("hour", "device_price")
"""Segments drawn as full step-by-step funnels."""

METRIC_KEYS = (
    "n_exposures",
    "n_clicks",
    "n_negatives",
    "n_sessions",
    "n_click_sessions",
    "n_exposed_users",
    "ctr",
    "negatives_per_click",
    "comments_per_click",
    "likes_per_click",
    "gifts_per_click",
    "gift_session_share",
    "qualified_rate",
    "comment_rate",
    "like_rate",
    "gtr",
    "interaction_rate",
    "attributed_comments_per_click",
    "attributed_likes_per_click",
    "attributed_gifts_per_click",
    "overall_gift",
    "user_share_gift",
    "gift_price_mean",
    "rpm",
    "rpm_all",
)
"""Registry metrics (:mod:`kuailive_analysis.metrics`) chapter 5 reports; :func:`analyse`
computes them through the registry from the tables it built."""


def _source(ds) -> DataSource | None:
    """The dataset's :class:`DataSource` (None for a bare table namespace)."""
    source = getattr(ds, "source", None)
    return source if isinstance(source, DataSource) else None


def _planted_gift_period(ds) -> tuple[float, ...] | None:
    """On the twin, the generator's gift-rate factor per UTC period (None elsewhere or when
    the factors are all equal)."""
    truth = (getattr(ds, "truth", None) or {}).get("params") or {}  # the parsed truth.json
    p = (truth.get("params") or {}).get("gift_period", truth.get("gift_period"))
    if p is None or len(set(p)) == 1:
        return None
    return tuple(float(x) for x in p)


def analyse(ds, params: Params | None = None, **overrides) -> FunnelResult:
    """Every table of chapter 5 from a :class:`kuailive_analysis.dataset.Dataset`, as a
    :class:`FunnelResult`.

    ``params``: the chapter's :class:`Params` (None: the defaults); ``overrides``: fields of it
    to change. ``segments``: columns broken down in KPI tables; ``funnel_segments``: columns
    drawn as full step-by-step funnels; ``interval``, ``n_boot``, ``seed``: the intervals of the
    segment, daily and position tables (``"user"``: users resampled); ``split_fractions``,
    ``max_train_rows`` (and ``seed``): the predictive baseline
    (:func:`kuailive_analysis.predict.analyse`).
    """
    p = Params.resolve(params, overrides)
    qualified_watch_s, attribution_window_s = p.qualified_watch_s, p.attribution_window_s
    segments, funnel_segments = p.segments, p.funnel_segments
    conf, interval, n_boot, seed = p.conf, p.interval, p.n_boot, p.seed
    split_fractions, max_train_rows = p.split_fractions, p.max_train_rows
    check_interval(interval)
    segments, funnel_segments = list(segments), list(funnel_segments)

    columns = EXPOSURE_COLUMNS  # the exposure table's columns, known before it is built
    unknown = [s for s in (*segments, *funnel_segments) if s not in columns]
    if unknown:
        raise ValueError(
            f"analyse: unknown segment column(s) {unknown}; available: "
            f"{[c for c in columns if c not in ('ts_ms',)]}"
        )

    def cols(name, extra=()):
        """Only the columns the funnel reads (the cache reads just those)."""
        c = [*EVENT_COLS, *extra]
        return ds.table(name, c) if hasattr(ds, "table") else getattr(ds, name)[c]

    # event-level work in the engine (one SQL definition, engine/queries/funnel.py); pandas
    # gets the exposure, click, engagement and session tables as one query result each
    et = engine_tables(
        ds,
        qualified_watch_s=qualified_watch_s,
        attribution_window_s=attribution_window_s,
        session_columns=SESSION_COLUMNS,
    )
    try:
        return _analyse(ds, et, cols("gifts", ("gift_price",)), segments, funnel_segments,
                        qualified_watch_s, attribution_window_s, conf, interval, n_boot,
                        split_fractions, max_train_rows, seed)  # fmt: skip
    finally:
        et.close()


def _analyse(
    ds,
    et,
    gifts,
    segments,
    funnel_segments,
    qualified_watch_s,
    attribution_window_s,
    conf,
    interval,
    n_boot,
    split_fractions,
    max_train_rows,
    seed,
) -> FunnelResult:
    iv = {"interval": interval, "n_boot": n_boot, "seed": seed}
    ex, st = et.exposures, et.stats  # st: per-(level, user) statistics from the engine
    fl = funnel(st, conf=conf)
    kp = kpi_table(st, conf=conf)
    sk = session_kpis(et.sessions, conf=conf)
    gv = gift_value_summary(gifts, et.engagements, conf=conf)
    mc = registry.MetricContext(
        ds,
        qualified_watch_s=qualified_watch_s,
        attribution_window_s=attribution_window_s,
        tables={"sessions": et.sessions, "funnel_clicks": et.clicks},
    )
    metrics = registry.compute_many(METRIC_KEYS, mc)
    daily = daily_kpis(st, conf=conf, **iv)
    return FunnelResult(
        qualified_watch_s=qualified_watch_s,
        attribution_window_s=attribution_window_s,
        interval=interval,
        n_boot=n_boot,
        conf=conf,
        source=_source(ds),
        engagements=et.engagements,
        clicks=et.clicks,
        exposures=ex,
        sessions=et.sessions,
        unmatched=et.unmatched,
        status=engagement_status_table(et.engagements),
        funnel=fl,
        kpis=kp,
        units=unit_funnels(st, et.sessions, conf=conf),
        session_kpis=sk,
        gift_values=gv,
        clustered=user_bootstrap(st, kp, n_boot=n_boot, conf=conf, seed=seed),
        summary=kpi_summary(kp, sk, gv, fl, conf=conf, metrics=metrics),
        metrics=metrics,
        segments=segment_kpis(st, segments, conf=conf, **iv),
        segment_funnels={s: funnel(st, by=s, conf=conf, **iv) for s in funnel_segments},
        daily=daily,
        weekly=weekly_rates(daily),
        by_screen=kpi_table(st, by="screen_size_cap", conf=conf, **iv),
        by_index=kpi_table(st, by="exposure_index_cap", conf=conf, **iv),
        positions=position_summary(ex),
        watch=watch_by_outcome(et.clicks, qualified_watch_s=qualified_watch_s),
        prediction=predict.analyse(
            ex,
            fractions=split_fractions,
            max_train_rows=max_train_rows,
            seed=seed,
            n_boot=n_boot,
            conf=conf,
        ),
        gift_trend=gift_trend(et.clicks, gifts, conf=conf, n_boot=n_boot, seed=seed),
        planted_gift_period=_planted_gift_period(ds),
    )
