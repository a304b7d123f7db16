"""The typed result of chapter 3 (:class:`RetentionResult`) and its glue numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY
from kuailive_analysis.retention.age_clock import CLOCK_LABELS, youngest_and_oldest_rate
from kuailive_analysis.retention.cohorts import retention_at
from kuailive_analysis.retention.cox import CoxResult
from kuailive_analysis.retention.kaplan_meier import KMSummary
from kuailive_analysis.retention.segment_comparison import SegmentReport
from kuailive_analysis.retention.sensitivity import sensitivity_row
from kuailive_analysis.retention.survival_data import follow_up_days
from kuailive_analysis.retention.truth import TruthComparison

TRUTH_STATUS = "planted lifetimes are available"
NO_TRUTH_STATUS = "this is not a twin, so there is no ground truth and the numbers below are n/a"
TRUTH_KEYS = ("truth_tmax", "truth_maxdiff", "truth_inband", "truth_maxdiff_presence")


@dataclass(frozen=True)
class RetentionParams:
    """The chapter's analysis choices (its ``parameters`` cell, data folder aside)."""

    churn_days: int = 7
    churn_days_grid: tuple = (3, 5, 7)
    activity_behaviours: tuple = ("click", "comment", "like", "gift")
    early_days: int = 3
    point_in_time: float = 7
    segments: tuple = ("gender", "age", "device_price", "account", "early_gifter", "early_watch")
    new_account_days: int = 365
    heavy_quantile: float = 0.5
    min_group: int = 30


@dataclass(frozen=True)
class FigureTitles:
    """The finding each figure of chapter 3 states (built from the result)."""

    cohorts: str
    retention_curve: str
    km: str
    km_by_threshold: str
    age_hazard: str
    segments: str
    forest: str
    streamers: str
    truth: str | None


@dataclass(eq=False)
class RetentionResult:
    """Everything chapter 3 shows (:func:`kuailive_analysis.retention.analyse`).

    * ``source``, ``params``: which data and which choices.
    * 3.1 ``table``: the survival table of every active user (:func:`survival_table`; the fitted
      sample is :attr:`survival`); ``median_watch_age``: median days between the first live
      watch and 2025-05-05 over that sample.
    * 3.2 ``triangle`` (:func:`cohort_triangle`) and ``retention`` (:func:`averaged_retention`).
    * 3.3 ``km`` (KaplanMeierFitter) and ``km_summary`` (:class:`KMSummary` up to ``tau``, the
      horizon every threshold of the grid reaches); ``sensitivity`` (:func:`churn_sensitivity`)
      and ``km_by_threshold`` ({"k days": fitter}).
    * 3.4 ``hazard`` (:func:`hazard_by_age` on ``hazard_clock``).
    * 3.5 ``early`` (:func:`early_activity`), ``landmark``, ``segment_labels``
      (:func:`user_segments`), ``segments`` (:class:`SegmentReport`).
    * 3.6 ``cox`` (:class:`CoxResult`, with its design labels).
    * 3.7 ``streamer_table``, ``streamer_km``, ``streamer_summary``.
    * 3.8 ``truth``: :class:`TruthComparison` on a twin, None otherwise.
    """

    source: DataSource
    params: RetentionParams
    table: pd.DataFrame
    median_watch_age: float
    triangle: pd.DataFrame
    retention: pd.DataFrame
    tau: float
    km: object
    km_summary: KMSummary
    sensitivity: pd.DataFrame
    km_by_threshold: dict
    hazard: pd.DataFrame
    early: pd.DataFrame
    landmark: pd.DataFrame
    segment_labels: pd.DataFrame
    segments: SegmentReport
    cox: CoxResult
    streamer_table: pd.DataFrame
    streamer_km: object
    streamer_summary: KMSummary
    truth: TruthComparison | None = None
    hazard_clock: str = "watch_age_days"
    last_day: int = field(default=DEFAULT_LAST_DAY)

    # ---- derived views ---------------------------------------------------------------------
    @property
    def survival(self) -> pd.DataFrame:
        """The eligible rows of :attr:`table` (users whose churn can be observed)."""
        return self.table[self.table["eligible"]]

    @property
    def is_twin(self) -> bool:
        return self.truth is not None

    @property
    def hazard_clock_label(self) -> str:
        """The account-age clock in words (axis label)."""
        return CLOCK_LABELS.get(self.hazard_clock, self.hazard_clock)

    @property
    def km_curves(self) -> dict:
        """{legend label: fitter} of the users' Kaplan-Meier figure."""
        return {"all users": self.km}

    @property
    def streamer_curves(self) -> dict:
        """{legend label: fitter}: streamers next to users."""
        return {"streamers": self.streamer_km, "users": self.km}

    @property
    def truth_curves(self) -> dict | None:
        """{legend label: KM-vs-truth frame}, or None without ground truth."""
        return self.truth.curves() if self.truth is not None else None

    @property
    def titles(self) -> FigureTitles:
        """Figure titles that state each figure's finding."""
        s7 = self.km_summary.at(7)
        return FigureTitles(
            cohorts=f"Day-1 retention averages {retention_at(self.retention, 1):.0%} "
            "across cohorts",
            retention_curve=f"{retention_at(self.retention, 7):.0%} of users are active on "
            "day 7 after their first active day",
            km=f"{s7:.0%} of users are still active a week after entry",
            km_by_threshold="A shorter churn threshold makes users look less loyal",
            age_hazard="Churn hazard by live-watching age at entry",
            segments=self.segments.headline(),
            forest=self.cox.headline(),
            streamers=f"{self.streamer_summary.at(7):.0%} of streamers still broadcast a week "
            "after entry",
            truth=(
                f"KM is within {self.truth.max_gap:.1%} of the planted survival curve"
                if self.truth is not None
                else None
            ),
        )

    # ---- glue ------------------------------------------------------------------------------
    def numbers(self) -> dict:
        """The values chapter 3's text glues, by key: a Python scalar or string, or
        ``(value, spec)`` to be glued pre-formatted (see
        :func:`kuailive_analysis.report.glue_all`). Exactly the keys the chapter's text uses."""
        p = self.params
        surv = self.survival
        k_lo, k_hi = min(p.churn_days_grid), max(p.churn_days_grid)
        sens_lo = sensitivity_row(self.sensitivity, k_lo)
        sens_hi = sensitivity_row(self.sensitivity, k_hi)
        young, old = youngest_and_oldest_rate(self.hazard)
        gift = self.segments.pair("early_gifter")
        cox = self.cox
        out = {
            # 3.1 definitions
            "data_name": self.source.label,
            "last_day": self.last_day,
            "activity_list": ", ".join(p.activity_behaviours),
            "churn_days": p.churn_days,
            "n_active_users": len(self.table),
            "n_eligible": len(surv),
            "n_ineligible": int((~self.table["eligible"]).sum()),
            "n_events": int(surv["event"].sum()),
            "share_events": float(surv["event"].mean()),
            "share_entry0": float((self.table["first_day"] == 0).mean()),
            "median_watch_age": (self.median_watch_age, ",.0f"),
            # 3.2 cohorts
            "ret_on_1": (retention_at(self.retention, 1), ".1%"),
            "ret_on_7": (retention_at(self.retention, 7), ".1%"),
            "ret_on_14": (retention_at(self.retention, 14), ".1%"),
            "ret_after_7": (retention_at(self.retention, 7, "rate_on_or_after"), ".1%"),
            # 3.3 Kaplan-Meier and the churn threshold
            "tau": self.tau,
            "follow_max": follow_up_days(p.churn_days, self.last_day),
            "km_s1": self.km_summary.at(1),
            "km_s7": self.km_summary.at(7),
            "km_median": self.km_summary.median_text,
            "km_rmst": self.km_summary.rmst,
            "km_rmst_se": self.km_summary.rmst_se,
            "k_lo": k_lo,
            "k_hi": k_hi,
            "sens_churned_lo": float(sens_lo["share_churned"]),
            "sens_churned_hi": float(sens_hi["share_churned"]),
            "sens_returned_lo": float(sens_lo["share_returned"]),
            "sens_returned_hi": float(sens_hi["share_returned"]),
            # 3.4 account-age clock
            "haz_young": (young, ".2f"),
            "haz_old": (old, ".2f"),
            # 3.5 segments
            "early_days": p.early_days,
            "point_in_time": p.point_in_time,
            "n_landmark": len(self.landmark),
            "gift_a": gift.a,
            "gift_b": gift.b,
            "gift_S_a": (gift.S_a, ".1%"),
            "gift_S_b": (gift.S_b, ".1%"),
            "gift_fixed_p": (gift.fixed_p, ".3g"),
            "gift_logrank_p": (gift.logrank_p, ".3g"),
            # 3.6 Cox
            "cox_c": cox.concordance,
            "cox_hr_gift": (cox.hazard_ratio("early_gifted"), ".2f"),
            "cox_hr_watch": (cox.hazard_ratio("log2_early_watch_h"), ".2f"),
            "cox_hr_days": (cox.hazard_ratio("early_active_days"), ".2f"),
            "cox_hr_gift_lo": (cox.hazard_ratio("early_gifted", "hr_lo"), ".2f"),
            "cox_hr_gift_hi": (cox.hazard_ratio("early_gifted", "hr_hi"), ".2f"),
            "ph_n": len(cox.ph_test),
            "cox_notes": cox.warnings_text,
            "ph_n_viol": len(cox.ph_violations),
            "ph_viol_names": cox.violation_names,
            # 3.7 streamers
            "st_n": int(self.streamer_table["eligible"].sum()),
            "st_s7": self.streamer_summary.at(7),
            "st_median": self.streamer_summary.median_text,
            "st_rmst": self.streamer_summary.rmst,
        }
        # 3.8 validation on the twin
        t = self.truth
        if t is None:
            out["truth_status"] = NO_TRUTH_STATUS
            out.update({key: (float("nan"), ".1f") for key in TRUTH_KEYS})
        else:
            out["truth_status"] = TRUTH_STATUS
            out["truth_tmax"] = (t.t_max, ".0f")
            out["truth_maxdiff"] = (t.max_gap, ".1%")
            out["truth_inband"] = (t.share_in_band, ".0%")
            out["truth_maxdiff_presence"] = (t.max_gap_presence, ".1%")
        return out
