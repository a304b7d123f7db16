"""What chapter 5 shows: :class:`FunnelResult`, one section per part of the chapter.

Every value the chapter's text glues is a :func:`~kuailive_analysis.chapter.result.glued` field
of a section (its name is the glue key), so ``FunnelResult.numbers()`` is the kit's; tables and
figure inputs are the sections' other fields, and :class:`Titles` holds the figure titles
(:func:`kuailive_analysis.funnel.analyse` builds them all).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.chapter.result import ChapterResult, Section, glued
from kuailive_analysis.core.format import format_percent
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.funnel.findings import funnel_findings
from kuailive_analysis.funnel.params import Params
from kuailive_analysis.funnel.trends import REAL_GIFTS_PER_CLICK, GiftTrend
from kuailive_analysis.metrics.defs import MetricValue
from kuailive_analysis.predict import PredictResult

__all__ = [
    "Engagements",
    "FunnelResult",
    "FunnelSteps",
    "Kpis",
    "Models",
    "Overview",
    "Positions",
    "Segments",
    "Titles",
    "Trends",
    "Watch",
]


@dataclass(frozen=True)
class Titles:
    """The title of each figure of the chapter, stating what it shows."""

    funnel: str
    units: str
    seg_ctr: str
    seg_qual: str
    seg_gtr: str
    segment_funnels: str
    daily: str
    gift_trend: str
    positions: str
    watch: str
    model: str
    calibration: str


@dataclass(frozen=True, eq=False)
class Overview(Section):
    """5.1 Definitions: the data, the parameters in words and the registry counts."""

    metrics: dict[str, MetricValue]
    """Registry values of :data:`kuailive_analysis.funnel.analysis.METRIC_KEYS`."""
    unmatched: pd.DataFrame
    """Exposures whose room or user is missing from the dimension tables, per column."""
    source_label: str = glued()
    qualified_watch_s: float = glued()
    window_label: str = glued()
    interval_label: str = glued()
    n_exposures: int = glued()
    n_clicks: int = glued()
    n_negatives: int = glued()
    negatives_per_click: float = glued()
    n_click_sessions: int = glued()
    n_exposed_users: int = glued()


@dataclass(frozen=True, eq=False)
class Engagements(Section):
    """5.2 Engagements without a click: every comment, like and gift with its attribution."""

    engagements: pd.DataFrame
    """One row per engagement (``funnel_engagements``: the click it is credited to by time,
    ``click_ms``, -1 if none; its ``lag_ms`` and ``status``)."""
    status: pd.DataFrame
    """Engagements by kind and status (:func:`~.kpis.engagement_status_table`)."""
    all_share_attributed: float = glued()
    gift_no_click: int = glued()
    gift_share_no_click: float = glued()
    comment_share_no_click: float = glued()
    like_share_no_click: float = glued()
    all_late: int = glued()
    all_before_click: int = glued()
    sess_engaged_no_click: float = glued()


@dataclass(frozen=True, eq=False)
class FunnelSteps(Section):
    """5.3 The funnel: the nested steps per exposure and in three units."""

    exposures: pd.DataFrame
    """One row per exposure with segment and position columns (``funnel_exposures``)."""
    session_counts: pd.Series
    """Sessions with each flag
    (:data:`~kuailive_analysis.engine.queries.funnel.SESSION_COUNTS`)."""
    funnel: pd.DataFrame
    """The nested funnel per exposure, Wilson bounds (:func:`~.kpis.funnel`)."""
    units: pd.DataFrame
    """The funnel per exposure, session and user (:func:`~.kpis.unit_funnels`)."""
    ctr: float = glued()
    ctr_lo: float = glued()
    ctr_hi: float = glued()
    step_qualified: float = glued()
    step_interaction: float = glued()
    step_gift: float = glued()
    overall_gift: float = glued()
    user_share_gift: float = glued()
    biggest_loss_step: str = glued()
    biggest_loss_share: float = glued()
    lowest_step: str = glued()
    lowest_step_rate: float = glued()
    gift_not_qualified: float = glued()


@dataclass(frozen=True, eq=False)
class Kpis(Section):
    """5.3 The headline KPIs, per click and per session, with independent-unit and
    user-resampled intervals."""

    kpis: pd.DataFrame
    """Overall exposure-unit KPIs, one row (:func:`~.kpis.kpi_table`)."""
    session_kpis: pd.DataFrame
    gift_values: pd.DataFrame
    clustered: pd.DataFrame
    """Overall KPIs with Wilson and user-resampled intervals (:func:`~.kpis.user_bootstrap`)."""
    summary: pd.DataFrame
    """The headline KPI table (:func:`~.kpis.kpi_summary`)."""
    comment_rate: float = glued()
    like_rate: float = glued()
    gtr: float = glued()
    gtr_lo: float = glued()
    gtr_hi: float = glued()
    comments_per_click: float = glued()
    likes_per_click: float = glued()
    gifts_per_click: float = glued()
    attributed_gifts_per_click: float = glued()
    gift_session_share: float = glued()
    gift_price_mean: float = glued()
    gift_mean_lo: float = glued()
    gift_mean_hi: float = glued()
    gift_median_all: float = glued()
    rpm: float = glued()
    rpm_all: float = glued()
    boot_ctr_lo: float = glued()
    boot_ctr_hi: float = glued()
    boot_ctr_ratio: float = glued()
    boot_gtr_lo: float = glued()
    boot_gtr_hi: float = glued()
    boot_gtr_ratio: float = glued()
    mde_ctr_users: float = glued()
    """CTR change a test splitting the users in half detects at 80% power (users resampled;
    :func:`~.intervals.split_test_mde`), a share."""
    mde_ctr_independent: float = glued()
    """The same if exposures were independent (from the Wilson interval)."""
    mde_gtr_users: float = glued()
    mde_gtr_independent: float = glued()


@dataclass(frozen=True, eq=False)
class Segments(Section):
    """5.4 Segments: the KPIs and the funnel per level, and the extreme levels the text
    quotes (``ext_<rate>_<segment>_{lo,hi}`` and their levels; ``..._separated``: whether
    the two intervals overlap)."""

    tables: dict[str, pd.DataFrame]
    """KPIs per level, one table per segment column (:func:`~.kpis.kpi_table`)."""
    funnels: dict[str, pd.DataFrame]
    """The funnel per level of each of the ``funnel_segments`` (:func:`~.kpis.funnel`)."""
    ext_ctr_hour_lo_level: str = glued()
    ext_ctr_hour_lo: float = glued()
    ext_ctr_hour_hi_level: str = glued()
    ext_ctr_hour_hi: float = glued()
    ext_ctr_hour_separated: str = glued()
    ext_ctr_streamer_decile_lo_level: str = glued()
    ext_ctr_streamer_decile_lo: float = glued()
    ext_ctr_streamer_decile_hi_level: str = glued()
    ext_ctr_streamer_decile_hi: float = glued()
    ext_ctr_user_decile_lo_level: str = glued()
    ext_ctr_user_decile_lo: float = glued()
    ext_ctr_user_decile_hi_level: str = glued()
    ext_ctr_user_decile_hi: float = glued()
    ext_gtr_device_price_lo_level: str = glued()
    ext_gtr_device_price_lo: float = glued()
    ext_gtr_device_price_hi_level: str = glued()
    ext_gtr_device_price_hi: float = glued()
    ext_gtr_device_price_separated: str = glued()
    ext_gtr_age_lo_level: str = glued()
    ext_gtr_age_lo: float = glued()
    ext_gtr_age_hi_level: str = glued()
    ext_gtr_age_hi: float = glued()
    ext_gtr_live_content_category_lo_level: str = glued()
    ext_gtr_live_content_category_lo: float = glued()
    ext_gtr_live_content_category_hi_level: str = glued()
    ext_gtr_live_content_category_hi: float = glued()


@dataclass(frozen=True, eq=False)
class Trends(Section):
    """5.5 KPIs over the 21 days, and gifts per click by UTC period (``gpc_*``)."""

    daily: pd.DataFrame
    weekly: pd.DataFrame
    """CTR and GTR over the first and last seven days (:func:`~.trends.weekly_rates`)."""
    gift_trend: GiftTrend
    """Gifts per click by UTC period with an interval for the change."""
    planted_gift_period: tuple[float, ...] | None
    """On the twin, the planted gift-rate factor per UTC period (None on other data)."""
    daily_ctr_min: float = glued()
    daily_ctr_max: float = glued()
    daily_qualified_rate_min: float = glued()
    daily_qualified_rate_max: float = glued()
    daily_gtr_min: float = glued()
    daily_gtr_max: float = glued()
    ctr_week1: float = glued()
    gtr_week1: float = glued()
    ctr_week3: float = glued()
    gtr_week3: float = glued()
    gpc_first: float = glued()
    gpc_last: float = glued()
    gpc_change: float = glued()
    gpc_change_lo: float = glued()
    gpc_change_hi: float = glued()
    gpc_ratio: float = glued()
    gpc_ratio_lo: float = glued()
    gpc_ratio_hi: float = glued()
    gpc_mde: float = glued()
    """Change of gifts per click detectable at 80% power (:attr:`.trends.GiftTrend.mde`)."""
    gift_trend_text: str = glued()
    gift_trend_origin: str = glued()
    published: tuple[float, ...] = REAL_GIFTS_PER_CLICK
    """Gifts per click of the real files per UTC period (drawn as the reference)."""

    def gift_trend_table(self) -> pd.DataFrame:
        """Gifts per click by UTC period beside the real files' published values (shares)."""
        t, conf = self.gift_trend.table, self.gift_trend.conf
        return pd.DataFrame(
            {
                "period (UTC)": t["period"],
                "clicks": t["clicks"],
                "gift events": t["gifts"],
                "gifts per click": [format_percent(x) for x in t["gifts per click"]],
                f"{conf:.0%} interval (users resampled)": [
                    f"{format_percent(lo)} to {format_percent(hi)}"
                    for lo, hi in zip(t["lo"], t["hi"])
                ],
                "real KuaiLive (published)": [format_percent(x) for x in self.published],
            }
        )


@dataclass(frozen=True, eq=False)
class Positions(Section):
    """5.6 Position effects: screens (exposures in one millisecond) and repeat exposures."""

    by_screen: pd.DataFrame
    by_index: pd.DataFrame
    share_multi_screen: float = glued()
    ctr_single_screen: float = glued()
    ctr_multi_screen: float = glued()
    share_repeat_exposure: float = glued()
    ctr_first_exposure: float = glued()
    ctr_repeat_exposure: float = glued()
    median_screen_size: float = glued()


@dataclass(frozen=True, eq=False)
class Watch(Section):
    """5.7 Watch time per click by the click's later engagement."""

    clicks: pd.DataFrame
    """One row per click with its attributed engagements (``funnel_clicks``)."""
    table: pd.DataFrame
    """Watch time by outcome (:func:`~.watch.watch_by_outcome`)."""
    watch_p50_none: float = glued()
    watch_p50_engaged: float = glued()
    watch_p50_gift: float = glued()
    watch_qualified_none: float = glued()
    watch_qualified_engaged: float = glued()
    watch_qualified_gift: float = glued()


@dataclass(frozen=True, eq=False)
class Models(Section):
    """5.8 Click and gift prediction (:class:`~kuailive_analysis.predict.PredictResult`, whose
    glued values are the chapter's) and what the data say about the gap to the paper."""

    prediction: PredictResult
    paper_gap_data_text: str = glued()


@dataclass(frozen=True, eq=False)
class FunnelResult(ChapterResult):
    """Every table and glued value of chapter 5 (:func:`kuailive_analysis.funnel.analyse`).

    Segment, daily and position tables carry the ``params.interval`` bounds (``"user"``:
    user-clustered bootstrap; ``"wilson"``: units independent); the overall funnel and KPI
    table keep Wilson bounds, and ``kpis.clustered`` compares the two.
    """

    params: Params
    source: DataSource
    titles: Titles
    overview: Overview
    engagements: Engagements
    steps: FunnelSteps
    kpis: Kpis
    segments: Segments
    trends: Trends
    positions: Positions
    watch: Watch
    models: Models

    @property
    def prediction(self) -> PredictResult:
        """The predictive baseline (:attr:`Models.prediction`)."""
        return self.models.prediction

    def overall(self, rate: str) -> float:
        """The overall value of a KPI: the registry's when it has one, else the KPI table's."""
        if rate in self.overview.metrics:
            return float(self.overview.metrics[rate].value)
        return float(self.kpis.kpis.iloc[0][rate])

    def findings(self) -> list:
        """The chapter's findings with their checks (:mod:`kuailive_analysis.funnel.findings`)."""
        return funnel_findings(self)
