"""User and streamer retention: day-N cohort triangles and survival analysis of time to churn.

Chapter 3 calls :func:`analyse` once and reads a :class:`RetentionResult`. One concept per module,
in the order the chapter uses them:

* :mod:`.activity` (which days are active), :mod:`.survival_data` (time to churn, censoring),
  :mod:`.cohorts` (day-N retention), :mod:`.populations` (existing users vs new to the window,
  cohort weighting, pooled small cohorts), :mod:`.stickiness` (weekly retention, DAU/WAU),
  :mod:`.kaplan_meier` (KM fit, median, RMST, the churn threshold), :mod:`.age_clock`
  (left-truncated hazards), :mod:`.segments` (early activity, landmark, segment labels),
  :mod:`.logrank` (tests between segment levels), :mod:`.cox` (proportional hazards),
  :mod:`.truth` (validation on the twin);
* :mod:`.analysis` (:func:`analyse`), :mod:`.result` (the result's sections, whose glued fields
  are the numbers the chapter's text shows), :mod:`.tables` (readable tables),
  :mod:`.findings` (the chapter's findings and their checks), :mod:`.params` (its
  parameters) and :mod:`.checks` (the error type and shared input checks).

Definitions (used by every function here and stated in chapter 3)
-----------------------------------------------------------------

* **Calendar day.** Day index ``d = (ms - WINDOW_START_MS) // MS_PER_DAY`` in Beijing time
  (Asia/Shanghai); the window covers days ``0 .. 20`` (2025-05-05 .. 2025-05-25). The real logs
  end at 22:59:58 on day 20, so the last day is observed for 23 of 24 hours; it still counts
  as an observed day (``last_day`` lets an analysis drop it).
* **Activity.** A user is *active* on day ``d`` if they clicked into a room, commented, liked or
  sent a gift that day (``user_day.active``). Unclicked exposures (negatives) are things shown
  to the user, not things the user did, and do not count. A streamer is active on day ``d`` if
  a room of theirs starts that day (a room already live at the window start counts for day 0).
* **Entry.** The user's *first active day in the window*, ``f``. The survival clock ``t`` counts
  days since entry: relative day ``t = d - f + 1`` (the entry day is ``t = 1``).
* **Churn.** With ``k = churn_days``, a user churns after the last active day ``L`` that is
  followed by ``k`` consecutive inactive days (the first such gap). Users active again after
  that gap are *resurrected* (``returned = True``) but their first lifetime has still ended.
* **Event time.** ``T = L - f + 1`` days (a one-day user has ``T = 1``): the number of calendar
  days from entry to the last day of the first active spell. The survival function
  ``S(t) = P(T > t)`` is the share of users whose active lifetime extends beyond relative day
  ``t``.
* **Right-censoring.** A churn at ``L`` can only be seen if the ``k`` days after ``L`` lie in
  the window, ``L + k <= last_day``. Each user therefore has an *administrative censoring
  time* ``c = last_day - k - f + 1`` fixed at entry, independent of behaviour; we record
  ``duration = min(T, c)`` and ``event = T <= c``. Users whose last activity is within ``k``
  days of the end are censored at ``c`` (not at their last activity: censoring later than
  ``c`` would keep them at risk at times when their churn could not be seen, and bias the
  survival curve upwards). Users with ``c < 1`` (entry in the last ``k`` days) cannot be
  assessed and are flagged ``eligible = False``.
* **Clocks and left truncation.** Nearly every KuaiLive user was active on the platform long
  before the window (``first_watch_live_timestamp``, ``reg_timestamp``), so ``T`` is the
  *residual* lifetime from the first activity seen in the window, not a lifetime since sign-up.
  Account age is the other clock: a user enters the risk set at their age at entry
  (``watch_age_days + f``) and is followed only for the days observed; hazards on the age
  clock (:func:`hazard_by_age`) are occurrence/exposure rates from this left-truncated
  person-time.
* **Landmark for early-activity covariates.** Behaviour measured in the first ``w`` days of a
  user's window lifetime (days ``f .. f + w - 1``) is only compared among users whose lifetime
  reaches day ``w`` (``T >= w``), on the residual clock ``t - (w - 1)``; otherwise heavy users
  would look loyal simply because they had to survive to accumulate activity (immortal-time
  bias). ``w = 1`` is no landmark.

Profile fields (gender, age band, device price, registration) are a snapshot taken at the end
of the window; functions that use them flag them as snapshot covariates.
"""

from __future__ import annotations

from kuailive_analysis.retention.activity import activity_days, streamer_activity_days
from kuailive_analysis.retention.age_clock import hazard_by_age
from kuailive_analysis.retention.analysis import analyse
from kuailive_analysis.retention.checks import RetentionError
from kuailive_analysis.retention.cohorts import averaged_retention, cohort_triangle
from kuailive_analysis.retention.cox import CoxResult, cox_design, fit_cox
from kuailive_analysis.retention.kaplan_meier import (
    KMSummary,
    churn_sensitivity,
    fit_km,
    km_summary,
    km_table,
)
from kuailive_analysis.retention.logrank import SegmentReport, holm, segment_report, segment_tests
from kuailive_analysis.retention.params import Params
from kuailive_analysis.retention.populations import pool_cohorts, population_retention
from kuailive_analysis.retention.result import RetentionResult
from kuailive_analysis.retention.segments import (
    early_activity,
    km_by_segment,
    landmark,
    user_segments,
)
from kuailive_analysis.retention.stickiness import dau_wau, weekly_retention
from kuailive_analysis.retention.survival_data import survival_table
from kuailive_analysis.retention.truth import true_durations, true_vs_km

__all__ = [
    "CoxResult",
    "KMSummary",
    "Params",
    "RetentionError",
    "RetentionResult",
    "SegmentReport",
    "activity_days",
    "analyse",
    "averaged_retention",
    "churn_sensitivity",
    "cohort_triangle",
    "cox_design",
    "dau_wau",
    "early_activity",
    "fit_cox",
    "fit_km",
    "hazard_by_age",
    "holm",
    "km_by_segment",
    "km_summary",
    "km_table",
    "landmark",
    "pool_cohorts",
    "population_retention",
    "segment_report",
    "segment_tests",
    "streamer_activity_days",
    "survival_table",
    "true_durations",
    "true_vs_km",
    "user_segments",
    "weekly_retention",
]
