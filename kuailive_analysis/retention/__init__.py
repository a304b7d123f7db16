"""User and streamer retention: day-N cohort triangles and survival analysis of time to churn.

Chapter 3 calls :func:`analyse` (:mod:`.analysis`) once and reads a :class:`RetentionResult`
(:mod:`.result`: sections whose glued fields are the numbers of the text; :mod:`.tables`,
:mod:`.findings`, :mod:`.params`). The estimators, one concept per module: :mod:`.activity`,
:mod:`.survival_data`, :mod:`.cohorts`, :mod:`.new_users`, :mod:`.populations`, :mod:`.gap`,
:mod:`.stickiness`, :mod:`.kaplan_meier`, :mod:`.age_clock`, :mod:`.segments`, :mod:`.logrank`,
:mod:`.cox`, :mod:`.truth`; :mod:`.checks` holds the error type and the input checks.

Definitions (used by every function here and stated in chapter 3):

* **Calendar day** ``d``: the Beijing day index since 2025-05-05; the window is days 0 .. 20
  (the real logs end at 22:59:58 on day 20, still counted as observed; ``last_day`` can drop
  it).
* **Activity.** A user is active on a day with a click, comment, like or gift
  (``user_day.active``); unclicked exposures are what the platform showed and do not count. A
  streamer is active on a day a room of theirs starts (a room live at the window start counts
  for day 0).
* **New users** are new by account age: their first live watch (or registration,
  ``new_user_by``) is in the window or at most ``new_user_days_before`` days before it; the
  others are existing users. Users first *seen* on day 1 or later need not be new: a regular
  who skips the first days is first seen later. New and existing users are compared within
  activity levels of their first days (:mod:`.gap`).
* **Entry** ``f``: the first active day in the window; the survival clock counts days since
  entry, ``t = d - f + 1``.
* **Churn.** With ``k = churn_days``, a user churns after the last active day ``L`` followed by
  ``k`` inactive days (the first such gap); active again later is *returned*, but the first
  lifetime has ended. **Event time** ``T = L - f + 1``; ``S(t) = P(T > t)``.
* **Right-censoring.** A churn at ``L`` is seen only if ``L + k <= last_day``, so each user has
  an administrative censoring time ``c = last_day - k - f + 1`` fixed at entry (censoring at
  the last activity instead would keep users at risk when their churn could not be seen, and
  bias the curve upwards): ``duration = min(T, c)``, ``event = T <= c``; ``c < 1`` cannot be
  assessed (``eligible = False``).
* **Clocks and left truncation.** Nearly every user was active long before the window, so
  ``T`` is a *residual* lifetime, not one since sign-up. On the account-age clock a user enters
  the risk set at their age at entry and is followed only for the days observed
  (:func:`hazard_by_age`).
* **Landmark.** Behaviour of the first ``w`` days (``f .. f + w - 1``) is compared only among
  users whose lifetime reaches day ``w``, on the clock ``t - (w - 1)``; otherwise heavy users
  look loyal because they had to survive to be heavy (immortal-time bias).

Profile fields (gender, age band, device price, registration) are end-of-window snapshots and
are flagged as such.
"""

from __future__ import annotations

from kuailive_analysis.retention.age_clock import hazard_by_age
from kuailive_analysis.retention.analysis import analyse
from kuailive_analysis.retention.checks import RetentionError
from kuailive_analysis.retention.cohorts import averaged_retention, cohort_triangle
from kuailive_analysis.retention.cox import fit_cox
from kuailive_analysis.retention.kaplan_meier import churn_sensitivity, fit_km, km_summary
from kuailive_analysis.retention.logrank import holm, segment_tests
from kuailive_analysis.retention.params import Params
from kuailive_analysis.retention.populations import population_retention
from kuailive_analysis.retention.result import RetentionResult
from kuailive_analysis.retention.stickiness import dau_wau, weekly_retention
from kuailive_analysis.retention.survival_data import survival_table
from kuailive_analysis.retention.truth import true_vs_km

__all__ = [
    "Params",
    "RetentionError",
    "RetentionResult",
    "analyse",
    "averaged_retention",
    "churn_sensitivity",
    "cohort_triangle",
    "dau_wau",
    "fit_cox",
    "fit_km",
    "hazard_by_age",
    "holm",
    "km_summary",
    "population_retention",
    "segment_tests",
    "survival_table",
    "true_vs_km",
    "weekly_retention",
]
