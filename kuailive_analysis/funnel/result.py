"""What chapter 5 shows: :class:`FunnelResult`, the tables of :func:`kuailive_analysis.funnel.analyse`
and the numbers its text glues (:meth:`FunnelResult.numbers`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.funnel.common import STEP_LABELS, STEPS
from kuailive_analysis.funnel.segments import Extremes, extremes
from kuailive_analysis.funnel.trends import REAL_GIFTS_PER_CLICK, GiftTrend
from kuailive_analysis.funnel.watch import WATCH_OUTCOMES
from kuailive_analysis.metrics.defs import MetricValue
from kuailive_analysis.predict import PredictResult

REGISTRY_NUMBERS = (
    "n_exposures",
    "n_clicks",
    "n_negatives",
    "negatives_per_click",
    "n_click_sessions",
    "n_exposed_users",
    "ctr",
    "overall_gift",
    "comment_rate",
    "like_rate",
    "gtr",
    "comments_per_click",
    "likes_per_click",
    "gifts_per_click",
    "attributed_gifts_per_click",
    "gift_session_share",
    "gift_price_mean",
    "rpm",
    "rpm_all",
    "user_share_gift",
)
"""KPIs the text quotes under their registry key, with the registry's value (one value per
KPI name in the book)."""

EXTREMES = (
    ("ctr", "hour", True),
    ("ctr", "streamer_decile", False),
    ("ctr", "user_decile", False),
    ("gtr", "device_price", True),
    ("gtr", "age", False),
    ("gtr", "live_content_category", False),
)
"""(rate, segment, with 'separated') of the segment extremes the text quotes
(``ext_<rate>_<segment>_{lo,hi,lo_level,hi_level}`` and ``..._separated``)."""

PREDICTION_NUMBERS = (
    "ctr_n_train",
    "ctr_n_train_used",
    "ctr_n_test",
    "ctr_n_test_used",
    "gtr_n_test",
    "gtr_n_test_used",
    "gtr_pos_test",
    "ctr_gb_auc",
    "ctr_gb_uauc",
    "ctr_gb_gauc",
    "ctr_gb_logloss",
    "ctr_logloss_base",
    "ctr_lr_auc",
    "ctr_pop_auc",
    "ctr_rate_auc",
    "ctr_user_auc",
    "ctr_user_uauc",
    "ctr_best_baseline",
    "ctr_gb_auc_lo",
    "ctr_gb_auc_hi",
    "ctr_diff_auc",
    "ctr_diff_auc_lo",
    "ctr_diff_auc_hi",
    "ctr_ece",
    "ctr_leak_text",
    "ctr_top_group",
    "ctr_top_group_drop",
    "gtr_gb_auc",
    "gtr_gb_uauc",
    "gtr_gb_gauc",
    "gtr_gb_logloss",
    "gtr_logloss_base",
    "gtr_pop_auc",
    "gtr_user_auc",
    "gtr_best_baseline",
    "gtr_diff_auc",
    "gtr_diff_auc_lo",
    "gtr_diff_auc_hi",
    "gtr_ece",
    "gtr_base_test",
    "gtr_leak_text",
    "gtr_top_group",
    "gtr_top_group_drop",
    "gtr_users_eval",
    "gtr_users_test",
    "ctr_base_test",
    "ctr_baseline_auc",
    "ctr_baseline_uauc",
    "ctr_best_baseline_uauc",
    "ctr_within_text",
    "gtr_baseline_auc",
    "gtr_baseline_uauc",
    "gtr_best_baseline_uauc",
    "gtr_within_text",
    "gtr_gb_auc_lo",
    "gtr_gb_auc_hi",
    "paper_ctr_auc",
    "ctr_paper_gap",
    "ctr_user_lift_share",
)
"""Numbers of the predictive baseline (:meth:`PredictResult.numbers`) the text quotes."""

WATCH_KEYS = dict(zip(WATCH_OUTCOMES, ("none", "engaged", "gift")))


@dataclass(frozen=True, eq=False)
class FunnelResult:
    """Every table of chapter 5 (:func:`kuailive_analysis.funnel.analyse`).

    Segment, daily and position tables carry ``interval`` bounds (``"user"``: user-clustered
    bootstrap, :func:`~kuailive_analysis.funnel.intervals.user_intervals`; ``"wilson"``:
    units independent); the overall funnel and KPI table keep Wilson bounds, and ``clustered``
    compares the two.
    """

    # parameters and data
    qualified_watch_s: float
    attribution_window_s: float | None
    interval: str
    n_boot: int
    conf: float
    source: DataSource | None
    # event-level tables from the engine (engine.engine_tables; the pandas reference is
    # attribution.attribute, tables.click_table / exposure_table, units.session_table);
    # engagements name their click by its time (click_ms, -1 if none); exposures carry the
    # segment and position columns; sessions: the columns the chapter reads
    # (engine.SESSION_COLUMNS: ids, counts, flags), not the time, watch and value columns
    engagements: pd.DataFrame
    clicks: pd.DataFrame
    exposures: pd.DataFrame
    sessions: pd.DataFrame
    unmatched: pd.DataFrame
    """Exposures whose room or user is missing from the dimension tables, per column."""
    # the funnel and its KPIs
    status: pd.DataFrame
    """Engagements by kind and attribution status (attribution.engagement_status_table)."""
    funnel: pd.DataFrame
    """The nested funnel per exposure, Wilson bounds (steps.funnel)."""
    kpis: pd.DataFrame
    """Overall exposure-unit KPIs, one row (kpis.kpi_table)."""
    units: pd.DataFrame
    """The funnel per exposure, session and user (units.unit_funnels)."""
    session_kpis: pd.DataFrame
    gift_values: pd.DataFrame
    clustered: pd.DataFrame
    """Overall KPIs with Wilson and user-resampled intervals (kpis.user_bootstrap)."""
    summary: pd.DataFrame
    """The headline KPI table (kpis.kpi_summary)."""
    metrics: dict[str, MetricValue]
    """Registry values of :data:`kuailive_analysis.funnel.METRIC_KEYS`."""
    # breakdowns
    segments: dict[str, pd.DataFrame]
    """KPIs per level, one table per segment column (segments.segment_kpis)."""
    segment_funnels: dict[str, pd.DataFrame]
    """The funnel per level of each of the chosen ``funnel_segments`` (steps.funnel)."""
    daily: pd.DataFrame
    weekly: pd.DataFrame
    """CTR and GTR over the first and last seven days (trends.weekly_rates)."""
    by_screen: pd.DataFrame
    by_index: pd.DataFrame
    positions: pd.Series
    """Single vs multi-exposure screens, first vs repeat exposures (positions.position_summary)."""
    watch: pd.DataFrame
    """Watch time per click by outcome (watch.watch_by_outcome)."""
    prediction: PredictResult
    """The predictive baseline (CTR and GTR models, :func:`kuailive_analysis.predict.analyse`)."""
    gift_trend: GiftTrend
    """Gifts per click by UTC period with an interval for the change (trends.gift_trend)."""
    planted_gift_period: tuple[float, ...] | None = None
    """On the twin, the planted gift-rate factor per UTC period (None on other data)."""

    # ---- small views ---------------------------------------------------------------------
    @property
    def source_label(self) -> str:
        """The data in words (:attr:`DataSource.label`)."""
        return self.source.label if self.source is not None else "unknown data"

    def overall(self, rate: str) -> float:
        """The overall value of a KPI: the registry's when it has one, else the KPI table's."""
        if rate in self.metrics:
            return float(self.metrics[rate].value)
        return float(self.kpis.iloc[0][rate])

    def extremes(self, rate: str, segment: str) -> Extremes:
        """Lowest and highest level of ``rate`` across the levels of ``segment`` (levels
        ``'n/a'`` when the segment was not analysed)."""
        return extremes(self.segments.get(segment), rate)

    @property
    def gift_not_qualified(self) -> float:
        """Share of gifting clicks shorter than the qualified-watch threshold."""
        g = self.clicks["gifted"].to_numpy()
        if not g.any():
            return float("nan")
        return float((g & ~self.clicks["qualified"].to_numpy()).sum() / g.sum())

    def step_losses(self) -> pd.Series:
        """The step that loses the most exposures (``biggest_loss_step``, its loss as a share
        of exposures ``biggest_loss_share``) and the step with the lowest conversion from
        the step before (``lowest_step``, ``lowest_step_rate``)."""
        f = self.funnel.set_index("step")
        later = f.loc[list(STEPS[1:])]
        low = (
            later["step_rate"].astype(float).idxmin()
            if later["step_rate"].notna().any()
            else "click"
        )
        n = f["n"].to_numpy(np.float64)
        lost = n[:-1] - n[1:]
        i = int(np.argmax(lost))
        return pd.Series(
            {
                "biggest_loss_step": STEP_LABELS[STEPS[i + 1]].lower(),
                "biggest_loss_share": float(lost[i] / n[0]) if n[0] else float("nan"),
                "lowest_step": STEP_LABELS[low].lower(),
                "lowest_step_rate": float(f.loc[low, "step_rate"]),
            },
            dtype=object,
        )

    def title(self, figure: str) -> str:
        """The finding a figure states: ``funnel``, ``units``, ``watch`` or ``model``."""
        if figure == "funnel":
            return (
                f"{self.overall('ctr'):.1%} of exposures are clicked, "
                f"{self.overall('overall_gift'):.2%} end in a gift"
            )
        if figure == "units":
            return (
                f"{self.overall('user_share_gift'):.0%} of users but "
                f"{self.overall('overall_gift'):.2%} of exposures reach the gift step"
            )
        if figure == "watch":
            w = self.watch["p50"]
            return (
                f"Median watch: {w['no engagement']:.0f} s without engagement, "
                f"{w['gift']:.0f} s for gifting clicks"
            )
        if figure == "model":
            return self.prediction.title()
        raise ValueError(f"no title for figure {figure!r}; known: funnel, units, watch, model")

    def findings(self) -> list:
        """The chapter's findings with their checks (:mod:`kuailive_analysis.funnel.findings`)."""
        from kuailive_analysis.funnel.findings import funnel_findings

        return funnel_findings(self)

    def trend_numbers(self) -> dict:
        """Gifts per click by UTC period (``gpc_first`` .. ``gpc_ratio_hi``) and two sentences:
        ``gift_trend_text`` (what the interval says) and ``gift_trend_origin`` (planted or not)."""
        g = self.gift_trend
        t = g.table
        out = {
            "gpc_first": float(t["gifts per click"].iloc[0]),
            "gpc_last": float(t["gifts per click"].iloc[-1]),
            "gpc_change": float(g.change),
            "gpc_change_lo": float(g.change_lo),
            "gpc_change_hi": float(g.change_hi),
            "gpc_ratio": float(g.ratio),
            "gpc_ratio_lo": float(g.ratio_lo),
            "gpc_ratio_hi": float(g.ratio_hi),
        }
        if not np.isfinite(g.change_lo):
            out["gift_trend_text"] = "There are too few users for an interval of the change."
        elif g.excludes_zero:
            out["gift_trend_text"] = (
                "The interval excludes zero: gifts per click "
                + ("rose" if g.change > 0 else "fell")
                + " over the window, and a product comparison across periods must allow for it."
            )
        else:
            out["gift_trend_text"] = (
                "The interval includes zero and also includes the real files' rise (+0.30 "
                "points, a ratio of 1.22): the data of this run are compatible with both, so "
                "the trend is not established here, which is not the same as stable."
            )
        p = self.planted_gift_period
        out["gift_trend_origin"] = (
            "This run is on the synthetic twin, which plants the rise: its gift rate is "
            f"multiplied by {' / '.join(f'{x:g}' for x in p)} in the three periods, calibrated to "
            "the real 1.39% / 1.41% / 1.69%. On the twin the trend is a recovered planted "
            "property, not a discovery."
            if p is not None
            else "No trend is planted in these data: any change is a property of the data."
        )
        return out

    # ---- glue ------------------------------------------------------------------------------
    def numbers(self) -> dict:
        """Plain Python values for the chapter's text: exactly the glue keys its prose uses."""
        w = self.attribution_window_s
        out: dict = {
            "source_label": self.source_label,
            "qualified_watch_s": float(self.qualified_watch_s),
            "window_label": "no time limit" if w is None else f"{w / 60:g} minutes",
            "interval_label": (
                "users resampled by bootstrap"
                if self.interval == "user"
                else "Wilson: exposures treated as independent"
            ),
        }
        for key in REGISTRY_NUMBERS:
            mv = self.metrics[key]
            out[key] = int(mv.value) if mv.unit == "count" else float(mv.value)
        k = self.kpis.iloc[0]
        for key in ("ctr_lo", "ctr_hi", "gtr_lo", "gtr_hi"):
            out[key] = float(k[key])
        f = self.funnel.set_index("step")
        for s in ("qualified", "interaction", "gift"):
            out[f"step_{s}"] = float(f.loc[s, "step_rate"])
        out.update(self.step_losses().to_dict())
        out.update(self._engagement_numbers())
        out["gift_not_qualified"] = self.gift_not_qualified
        gv = self.gift_values.loc["all gifts"]
        out["gift_mean_lo"], out["gift_mean_hi"] = float(gv["lo"]), float(gv["hi"])
        out["gift_median_all"] = float(gv["median"])
        for name in ("ctr", "gtr"):
            c = self.clustered.loc[name]
            out[f"boot_{name}_lo"] = float(c["boot_lo"])
            out[f"boot_{name}_hi"] = float(c["boot_hi"])
            out[f"boot_{name}_ratio"] = float(c["width_ratio"])
        for rate, seg, separated in EXTREMES:
            e = self.extremes(rate, seg)
            p = f"ext_{rate}_{seg}"
            out.update(
                {
                    f"{p}_lo_level": e.lo_level,
                    f"{p}_lo": e.lo,
                    f"{p}_hi_level": e.hi_level,
                    f"{p}_hi": e.hi,
                }
            )
            if separated:
                out[f"{p}_separated"] = e.separated_text
        for rate in ("ctr", "qualified_rate", "gtr"):
            out[f"daily_{rate}_min"] = float(self.daily[rate].min())
            out[f"daily_{rate}_max"] = float(self.daily[rate].max())
        for week in ("week1", "week3"):
            out[f"ctr_{week}"] = float(self.weekly.loc[week, "ctr"])
            out[f"gtr_{week}"] = float(self.weekly.loc[week, "gtr"])
        out.update({key: float(v) for key, v in self.positions.items()})
        for outcome, key in WATCH_KEYS.items():
            out[f"watch_p50_{key}"] = float(self.watch.loc[outcome, "p50"])
            out[f"watch_qualified_{key}"] = float(self.watch.loc[outcome, "share_qualified"])
        p = self.prediction.numbers()
        out.update({key: p[key] for key in PREDICTION_NUMBERS})
        out.update(self.trend_numbers())
        twin = self.source is not None and self.source.is_twin
        out["paper_gap_data_text"] = (
            "this run is on the synthetic twin, whose clicks are drawn from planted user and "
            "streamer propensities plus noise: the AUC any model can reach there is set by the "
            "generator, so the gap says nothing about the real users"
            if twin
            else "this run is on real-format files, so the remaining gap is what ID embeddings, "
            "feature crosses and the full training set add over history counts"
        )
        return out

    def gift_trend_table(self) -> pd.DataFrame:
        """Gifts per click by UTC period, formatted for the book (percent strings)."""
        t = self.gift_trend.table
        return pd.DataFrame(
            {
                "period (UTC)": t["period"],
                "clicks": t["clicks"],
                "gift events": t["gifts"],
                "gifts per click": [f"{x:.2%}" for x in t["gifts per click"]],
                f"{self.conf:.0%} interval (users resampled)": [
                    f"{lo:.2%} to {hi:.2%}" for lo, hi in zip(t["lo"], t["hi"])
                ],
                "real KuaiLive (published)": [f"{x:.2%}" for x in REAL_GIFTS_PER_CLICK],
            }
        )

    def _engagement_numbers(self) -> dict:
        st = self.status
        out = {
            "all_share_attributed": float(st.loc["all", "share_attributed"]),
            "gift_no_click": int(st.loc["gift", "no_click"]),
        }
        for kind in ("gift", "comment", "like"):
            out[f"{kind}_share_no_click"] = float(st.loc[kind, "share_no_click"])
        out["all_late"] = int(st.loc["all", "late"])
        out["all_before_click"] = int(st.loc["all", "before_click"])
        out["sess_engaged_no_click"] = float(
            self.session_kpis.loc["engaged sessions without a click", "rate"]
        )
        return out
