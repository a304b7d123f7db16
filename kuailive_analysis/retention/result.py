"""Chapter 3's result: one section per part of the chapter, each declaring the values its text
glues (:func:`~kuailive_analysis.chapter.glued` fields; a spec means glued pre-formatted), the
figure titles and the tables; :func:`~kuailive_analysis.retention.analyse` builds them once."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.chapter import ChapterResult, Section, glued
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.retention.cox import CoxResult
from kuailive_analysis.retention.findings import build_findings
from kuailive_analysis.retention.kaplan_meier import KMSummary
from kuailive_analysis.retention.logrank import SegmentReport
from kuailive_analysis.retention.params import Params
from kuailive_analysis.retention.tables import Tables

NAN = float("nan")


@dataclass(frozen=True)
class Titles:
    """What each figure of chapter 3 shows (``truth`` is empty on data without a truth)."""

    cohorts: str
    retention_curve: str
    km: str
    km_by_threshold: str
    age_hazard: str
    segments: str
    forest: str
    streamers: str
    truth: str


@dataclass(frozen=True, eq=False)
class Sample(Section):
    """3.1: the survival table of every active user, its counts and the median days between
    the first live watch and 2025-05-05."""

    table: pd.DataFrame
    data_name: str = glued()
    last_day: int = glued()
    activity_list: str = glued()
    churn_days: int = glued()
    n_active_users: int = glued()
    n_eligible: int = glued()
    n_ineligible: int = glued()
    n_events: int = glued()
    share_events: float = glued()
    share_entry0: float = glued()
    median_watch_age: float = glued(",.0f")
    sample_rule: str = glued(
        default="every user in the KuaiLive sample clicked, commented, liked and gifted at least "
        "once in the 21 days, so these are retention rates of a selected, engaged population, "
        "not of all Kuaishou viewers"
    )

    @property
    def survival(self) -> pd.DataFrame:
        """The eligible rows of :attr:`table` (users whose churn can be observed)."""
        return self.table[self.table["eligible"]]


@dataclass(frozen=True, eq=False)
class Cohorts(Section):
    """3.2: the cohort triangle, its size-weighted average (``retention``), day-N retention by
    population (existing vs new users by account age, and all users) and its curves, day-1
    retention of the day-0 cohort and of the later ones (``cohort_split``), the pooled triangle
    of the heat map, weekly retention and DAU/WAU."""

    triangle: pd.DataFrame
    retention: pd.DataFrame
    populations: pd.DataFrame
    cohort_split: pd.DataFrame
    curves: dict
    pooled: pd.DataFrame
    weekly: pd.DataFrame
    stickiness: pd.DataFrame
    min_cohort: int = glued()
    n_old: int = glued()
    ret1_old: float = glued(".1%")
    ret1_old_ci: str = glued()
    ret7_old: float = glued(".1%")
    ret7_old_ci: str = glued()
    n_new: int = glued()
    ret1_new: float = glued(".1%")
    ret1_new_ci: str = glued()
    ret7_new: float = glued(".1%")
    ret7_new_ci: str = glued()
    ret1_unweighted: float = glued(".1%")
    n_cohorts: int = glued()
    n_pooled_rows: int = glued()
    ret_on_1: float = glued(".1%")
    ret_on_7: float = glued(".1%")
    ret_on_14: float = glued(".1%")
    ret_after_7: float = glued(".1%")
    week1_ret: float = glued(".1%")
    week1_ci: str = glued()
    dauwau_mean: float = glued(".1%")
    dauwau_lo: float = glued(".1%")
    dauwau_hi: float = glued(".1%")


@dataclass(frozen=True, eq=False)
class NewUsers(Section):
    """3.2's new users: who is new (the clock and the days before the window), the check of
    the definitions against the twin's planted start (``check``, :func:`definition_check`;
    counts only without a truth), and the day-N gaps, new minus existing, unadjusted and within
    activity levels (``gaps``, :func:`gap_rows`). Gaps are glued in percentage points; the
    ``gapc_`` values are the earlier split (first seen on day 1+ vs day 0)."""

    check: pd.DataFrame
    gaps: pd.DataFrame
    new_clock: str = glued()
    new_when: str = glued()
    n_later: int = glued()
    new_check_status: str = glued()
    share_right_before: float = glued(".1%", default=NAN)
    share_right_after: float = glued(".1%", default=NAN)
    share_found_after: float = glued(".1%", default=NAN)
    share_right_other: float = glued(".1%", default=NAN)
    other_clock: str = glued(default="")
    n_new_other: int = glued(default=0)
    gap_n: int = glued(default=7)
    gap_window: int = glued(default=0)
    gap_n_new: int = glued(default=0)
    gap_n_old: int = glued(default=0)
    gap_levels: int = glued(default=0)
    gap_raw: float = glued("+.1f", default=NAN)
    gap_raw_ci: str = glued(default="n/a")
    gap_adj: float = glued("+.1f", default=NAN)
    gap_adj_ci: str = glued(default="n/a")
    gap_mde: float = glued(".1f", default=NAN)
    gapc_raw: float = glued("+.1f", default=NAN)
    gapc_raw_ci: str = glued(default="n/a")
    gapc_adj: float = glued("+.1f", default=NAN)
    gapc_adj_ci: str = glued(default="n/a")
    gapc_habit: str = glued(default="")
    gap_verdict: str = glued(default="")


@dataclass(frozen=True, eq=False)
class Survival(Section):
    """3.3: the users' Kaplan-Meier fit and its summary up to ``tau`` (the horizon every
    threshold reaches), the sensitivity table and one fit per threshold (``by_threshold``)."""

    km: object
    summary: KMSummary
    sensitivity: pd.DataFrame
    by_threshold: dict
    tau: float = glued()
    follow_max: int = glued()
    km_s1: float = glued()
    km_s7: float = glued()
    km_median: str = glued()
    km_rmst: float = glued()
    km_rmst_se: float = glued()
    k_lo: int = glued()
    k_hi: int = glued()
    sens_churned_lo: float = glued()
    sens_churned_hi: float = glued()
    sens_returned_lo: float = glued()
    sens_returned_hi: float = glued()

    @property
    def curves(self) -> dict:
        """{legend label: fitter} of the users' Kaplan-Meier figure."""
        return {"all users": self.km}


@dataclass(frozen=True, eq=False)
class AgeClock(Section):
    """3.4: the churn hazard by account age at entry; churns per 100 user-days in the youngest
    and the oldest band with exposure."""

    hazard: pd.DataFrame
    clock_label: str
    haz_young: float = glued(".2f")
    haz_old: float = glued(".2f")


@dataclass(frozen=True, eq=False)
class Segments(Section):
    """3.5: early activity, the landmark sample, segment labels, the comparison of every
    segment, and the first pair of early-gifter levels at the fixed time point."""

    early: pd.DataFrame
    landmark: pd.DataFrame
    labels: pd.DataFrame
    report: SegmentReport
    early_days: int = glued()
    point_in_time: float = glued()
    n_landmark: int = glued()
    gift_a: str = glued()
    gift_b: str = glued()
    gift_S_a: float = glued(".1%")
    gift_S_b: float = glued(".1%")
    gift_fixed_p: float = glued(".3g")
    gift_logrank_p: float = glued(".3g")


@dataclass(frozen=True, eq=False)
class CoxModel(Section):
    """3.6: the Cox model on the landmark sample (:class:`CoxResult`) and its reading."""

    fit: CoxResult
    cox_c: float = glued()
    cox_hr_gift: float = glued(".2f")
    cox_hr_gift_lo: float = glued(".2f")
    cox_hr_gift_hi: float = glued(".2f")
    cox_hr_watch: float = glued(".2f")
    cox_hr_days: float = glued(".2f")
    cox_notes: str = glued()
    ph_n: int = glued()
    ph_n_viol: int = glued()
    ph_viol_names: str = glued()


@dataclass(frozen=True, eq=False)
class Streamers(Section):
    """3.7: the streamers' survival table, Kaplan-Meier fit and summary; ``curves``: streamers
    next to users."""

    table: pd.DataFrame
    km: object
    summary: KMSummary
    curves: dict
    st_n: int = glued()
    st_s7: float = glued()
    st_median: str = glued()
    st_rmst: float = glued()


@dataclass(frozen=True, eq=False)
class Validation(Section):
    """3.8: the Kaplan-Meier curve against the planted survival for the chosen activity and for
    presence (exposures too); without a truth the frames are None and the numbers NaN.

    The check compares like with like: the planted lifetimes as the churn definition sees them
    (dated at the last active day on or before the planted churn, :func:`seen_durations`).
    ``truth_inband``: the share of days that curve lies inside the KM 95% band; ``passed``: it
    reaches ``truth_coverage_min`` (None: not checkable); ``truth_maxdiff``: the largest
    |KM - seen truth|. The ``_raw`` values compare with the planted churn day itself (the
    earlier check, which the definition's known bias fails; ``truth_below_raw``: the mean of
    truth - KM, how far the estimate sits below); ``truth_real_churns``: the share
    of observed churns whose planted churn falls before the silence ends (``L + churn_days``).
    """

    chosen: pd.DataFrame | None
    presence: pd.DataFrame | None
    chosen_label: str
    truth_coverage_min: float = glued(".0%")
    truth_status: str = glued(
        default="this is not a twin, so there is no ground truth and the numbers below are n/a"
    )
    truth_verdict: str = glued(default="not checkable on these files (no planted truth)")
    truth_tmax: float = glued(".0f", default=NAN)
    truth_maxdiff: float = glued(".1%", default=NAN)
    truth_inband: float = glued(".0%", default=NAN)
    truth_maxdiff_raw: float = glued(".1%", default=NAN)
    truth_inband_raw: float = glued(".0%", default=NAN)
    truth_below_raw: float = glued(".1%", default=NAN)
    truth_real_churns: float = glued(".0%", default=NAN)
    truth_maxdiff_presence: float = glued(".1%", default=NAN)
    passed: bool | None = None

    @property
    def curves(self) -> dict | None:
        """{legend label: comparison frame}, or None without a truth."""
        if self.chosen is None:
            return None
        return {self.chosen_label: self.chosen, "KM, active incl. exposures": self.presence}


@dataclass(frozen=True, eq=False)
class RetentionResult(ChapterResult):
    """Everything chapter 3 shows: the data, the parameters, one section per part of the
    chapter, the figure titles and the tables."""

    source: DataSource
    params: Params
    sample: Sample
    cohorts: Cohorts
    new_users: NewUsers
    survival: Survival
    age: AgeClock
    segments: Segments
    cox: CoxModel
    streamers: Streamers
    validation: Validation
    titles: Titles
    tables: Tables

    @property
    def is_twin(self) -> bool:
        """True when the data has planted lifetimes to validate against."""
        return self.validation.chosen is not None

    def findings(self) -> list:
        """Chapter 3's findings (:mod:`kuailive_analysis.retention.findings`)."""
        return build_findings(self)
