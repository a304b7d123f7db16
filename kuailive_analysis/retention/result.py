"""The typed result of chapter 3 (:class:`RetentionResult`) and its glue numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.retention import tables as T
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY
from kuailive_analysis.retention.age_clock import CLOCK_LABELS, youngest_and_oldest_rate
from kuailive_analysis.retention.cohorts import averaged_retention, retention_at
from kuailive_analysis.retention.cox import CoxResult
from kuailive_analysis.retention.kaplan_meier import KMSummary
from kuailive_analysis.retention.params import Params
from kuailive_analysis.retention.populations import EXISTING, NEW, population_of, rate_of
from kuailive_analysis.retention.segment_comparison import SegmentReport
from kuailive_analysis.retention.sensitivity import sensitivity_row
from kuailive_analysis.retention.survival_data import follow_up_days
from kuailive_analysis.retention.truth import TruthComparison

TRUTH_STATUS = "planted lifetimes are available"
NO_TRUTH_STATUS = "this is not a twin, so there is no ground truth and the numbers below are n/a"
TRUTH_KEYS = ("truth_tmax", "truth_maxdiff", "truth_inband", "truth_maxdiff_presence")
SAMPLE_RULE = (
    "every user in the KuaiLive sample clicked, commented, liked and gifted at least once in "
    "the 21 days, so these are retention rates of a selected, engaged population, not of all "
    "Kuaishou viewers"
)


@dataclass(frozen=True)
class Tables:
    """Chapter 3's tables in readable form (headers with units, percentages as text)."""

    populations: pd.DataFrame
    weekly: pd.DataFrame
    stickiness: pd.DataFrame
    sensitivity: pd.DataFrame
    segments: pd.DataFrame
    pairs: pd.DataFrame
    ph: pd.DataFrame


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
    * ``populations`` (:func:`population_retention`: existing users vs new to the window),
      ``pooled`` (:func:`pool_cohorts`, the heat map's triangle), ``weekly``
      (:func:`weekly_retention`) and ``stickiness`` (:func:`dau_wau`).
    """

    source: DataSource
    params: Params
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
    populations: pd.DataFrame | None = None
    pooled: pd.DataFrame | None = None
    weekly: pd.DataFrame | None = None
    stickiness: pd.DataFrame | None = None

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
    def population_curves(self) -> dict:
        """{population: averaged day-N curve}: existing users (day-0 cohort) and users new to
        the window (later cohorts), for :func:`plots.retention.retention_curve`."""
        pop = population_of(self.triangle["cohort"])
        return {
            p: averaged_retention(self.triangle[pop == p])
            for p in (EXISTING, NEW)
            if (pop == p).any()
        }

    @property
    def tables(self) -> Tables:
        """The chapter's tables in readable form."""
        return Tables(
            populations=T.population_table(self.populations),
            weekly=T.weekly_table(self.weekly),
            stickiness=T.stickiness_table(self.stickiness),
            sensitivity=T.sensitivity_table(self.sensitivity),
            segments=T.segment_overview_table(self.segments.overview),
            pairs=T.pair_summary_table(self.segments.pairwise),
            ph=T.ph_table(self.cox.ph_test, self.cox.labels),
        )

    def findings(self) -> list:
        """Chapter 3's findings (:mod:`kuailive_analysis.retention.findings`)."""
        from kuailive_analysis.retention.findings import build_findings

        return build_findings(self)

    @property
    def titles(self) -> FigureTitles:
        """Figure titles that state what each figure shows."""
        s7 = self.km_summary.at(7)
        old1, new1 = (rate_of(self.populations, p, 1).rate for p in (EXISTING, NEW))
        old7, new7 = (rate_of(self.populations, p, 7).rate for p in (EXISTING, NEW))
        return FigureTitles(
            cohorts=f"Day-1 retention: {old1:.0%} in the day-0 cohort, {new1:.0%} in later cohorts",
            retention_curve=f"Day-7 retention: {old7:.0%} of existing users, {new7:.0%} of "
            "users new to the window",
            km=f"Kaplan-Meier: {s7:.0%} of users not yet churned 7 days after entry",
            km_by_threshold="A shorter churn threshold makes users look less loyal",
            age_hazard="Churn hazard by live-watching age at entry",
            segments=self.segments.headline(),
            forest=self.cox.headline(),
            streamers=f"{self.streamer_summary.at(7):.0%} of streamers still broadcast a week "
            "after entry",
            truth=self.truth.title if self.truth is not None else None,
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
            "sample_rule": SAMPLE_RULE,
            "min_cohort": p.min_cohort,
            **self._population_numbers(),
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
        out["truth_coverage_min"] = (p.truth_coverage_min, ".0%")
        out["truth_verdict"] = (
            "not checkable on these files (no planted truth)"
            if t is None
            else "passed"
            if t.passes
            else "failed"
        )
        return out

    def _population_numbers(self) -> dict:
        """Glue numbers of the population split, weighting, weekly retention and DAU/WAU."""
        out = {}
        for tag, pop in (("old", EXISTING), ("new", NEW)):
            for n in (1, 7):
                r = rate_of(self.populations, pop, n)
                out[f"ret{n}_{tag}"] = (r.rate, ".1%")
                out[f"ret{n}_{tag}_ci"] = T.ci(r.lo, r.hi)
            users = self.populations.loc[self.populations["population"] == pop, "users"]
            out[f"n_{tag}"] = int(users.max()) if len(users) else 0
        allr = rate_of(self.populations, "all users", 1)
        out["ret1_unweighted"] = (float(allr.unweighted), ".1%")
        out["n_cohorts"] = int((self.triangle["n"] == 1).sum())  # cohorts that reach day 1
        out["n_pooled_rows"] = int(self.pooled["cohort"].nunique())
        w = self.weekly[(self.weekly["cohort_week"] == 0) & (self.weekly["n_weeks"] == 1)]
        out["week1_ret"] = (float(w["rate"].iloc[0]) if len(w) else float("nan"), ".1%")
        out["week1_ci"] = T.ci(w["lo"].iloc[0], w["hi"].iloc[0]) if len(w) else "n/a"
        dw = self.stickiness["ratio"]
        out["dauwau_mean"] = (float(dw.mean()), ".1%")
        out["dauwau_lo"] = (float(dw.min()), ".1%")
        out["dauwau_hi"] = (float(dw.max()), ".1%")
        return out
