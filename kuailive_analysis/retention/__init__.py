"""User and streamer retention: day-N cohort triangles and survival analysis of time to churn.

Chapter 3 calls :func:`analyse` once and reads a :class:`RetentionResult`. One concept per module,
in the order the chapter uses them:

* :mod:`.activity` (which days are active), :mod:`.survival_data` (time to churn, censoring),
  :mod:`.cohorts` (day-N retention), :mod:`.kaplan_meier` (KM fit, median, RMST),
  :mod:`.sensitivity` (the churn threshold), :mod:`.age_clock` (left-truncated hazards),
  :mod:`.early` (early activity, landmark), :mod:`.segments` / :mod:`.logrank` /
  :mod:`.segment_comparison` (who stays), :mod:`.cox` (proportional hazards), :mod:`.truth`
  (validation on the twin), :mod:`.populations` (existing users vs new to the window, cohort
  weighting, pooled small cohorts), :mod:`.stickiness` (weekly retention, DAU/WAU),
  :mod:`.tables` (readable tables), :mod:`.findings` (the chapter's findings and their
  checks), :mod:`.result` (the result and its glue numbers);
  :mod:`.checks` holds the error type and shared input checks.

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

from kuailive_analysis.core.params import ParamError
from kuailive_analysis.retention.activity import (
    ACTIVITY_BEHAVIOURS,
    BEHAVIOUR_COLUMNS,
    DEFAULT_LAST_DAY,
    activity_days,
    streamer_activity_days,
)
from kuailive_analysis.retention.age_clock import CLOCK_LABELS, hazard_by_age
from kuailive_analysis.retention.checks import RetentionError
from kuailive_analysis.retention.cohorts import (
    averaged_retention,
    cohort_triangle,
    retention_at,
)
from kuailive_analysis.retention.cox import CoxResult, cox_design, cox_headline, fit_cox
from kuailive_analysis.retention.early import EARLY_SUMS, early_activity, landmark
from kuailive_analysis.retention.kaplan_meier import (
    KMSummary,
    fit_km,
    format_median,
    km_summary,
    km_table,
    rmst_variance,
)
from kuailive_analysis.retention.logrank import SegmentTests, holm, segment_tests
from kuailive_analysis.retention.params import Params
from kuailive_analysis.retention.populations import (
    EXISTING,
    NEW,
    pool_cohorts,
    population_retention,
)
from kuailive_analysis.retention.result import (
    FigureTitles,
    RetentionResult,
    Tables,
)
from kuailive_analysis.retention.segment_comparison import (
    SegmentPair,
    SegmentReport,
    segment_headline,
    segment_report,
)
from kuailive_analysis.retention.segments import (
    SEGMENTS,
    SNAPSHOT_SEGMENTS,
    km_by_segment,
    user_segments,
)
from kuailive_analysis.retention.sensitivity import churn_sensitivity, sensitivity_row
from kuailive_analysis.retention.stickiness import dau_wau, weekly_retention
from kuailive_analysis.retention.survival_data import (
    SURVIVAL_COLUMNS,
    follow_up_days,
    survival_table,
)
from kuailive_analysis.retention.truth import (
    TruthComparison,
    has_truth,
    true_durations,
    true_vs_km,
)

__all__ = [
    "ACTIVITY_BEHAVIOURS",
    "BEHAVIOUR_COLUMNS",
    "CLOCK_LABELS",
    "DEFAULT_LAST_DAY",
    "EARLY_SUMS",
    "EXISTING",
    "NEW",
    "SEGMENTS",
    "SNAPSHOT_SEGMENTS",
    "SURVIVAL_COLUMNS",
    "CoxResult",
    "FigureTitles",
    "KMSummary",
    "RetentionError",
    "Params",
    "RetentionResult",
    "SegmentPair",
    "SegmentReport",
    "SegmentTests",
    "Tables",
    "TruthComparison",
    "activity_days",
    "analyse",
    "averaged_retention",
    "churn_sensitivity",
    "cohort_triangle",
    "cox_design",
    "cox_headline",
    "dau_wau",
    "early_activity",
    "fit_cox",
    "fit_km",
    "follow_up_days",
    "format_median",
    "has_truth",
    "hazard_by_age",
    "holm",
    "km_by_segment",
    "km_summary",
    "km_table",
    "landmark",
    "pool_cohorts",
    "population_retention",
    "retention_at",
    "rmst_variance",
    "segment_headline",
    "segment_report",
    "segment_tests",
    "sensitivity_row",
    "streamer_activity_days",
    "survival_table",
    "true_durations",
    "true_vs_km",
    "user_segments",
    "weekly_retention",
]

HAZARD_CLOCK = "watch_age_days"
"""Account-age clock of the chapter's hazard figure (days since the first live watched)."""


def _streamer_days(ds, last_day: int):
    """Streamer activity days ``[streamer_id, day]`` from the dataset's engine (the rooms stay
    out of pandas), or from its rooms frame for an object without an engine."""
    if hasattr(ds, "query"):
        from kuailive_analysis.engine.queries.retention import STREAMER_ACTIVITY_DAYS

        days = ds.query(STREAMER_ACTIVITY_DAYS, last_day=int(last_day))
        return days.astype({"streamer_id": "int32", "day": "int8"})
    return streamer_activity_days(
        ds.rooms[["streamer_id", "start_ms", "end_ms"]], last_day=last_day
    )


def analyse(ds, params: Params | None = None, **overrides) -> RetentionResult:
    """Chapter 3 on a :class:`~kuailive_analysis.dataset.Dataset`: cohorts, Kaplan-Meier and
    its sensitivity to ``churn_days``, the account-age hazard, segments on the landmark sample,
    the Cox model, streamers and (on a twin) the comparison with the planted lifetimes.

    ``params``: the chapter's :class:`Params` (None: the defaults); ``overrides``: fields of it
    to change. ``churn_days_grid`` sets the thresholds of the sensitivity table (the RMST
    horizon ``tau`` is the longest follow-up of the largest); ``truth_coverage_min`` is, on a
    twin, the share of days the planted curve must lie inside the KM 95% band for the recovery
    check to pass.
    """
    try:  # typed, as on the CLI: a bad value fails here, naming the parameter
        params = Params.resolve(params, overrides)
    except ParamError as err:
        raise RetentionError(str(err)) from None
    grid = tuple(params.churn_days_grid)
    user_day = ds.user_day
    users = ds.users
    last_day = DEFAULT_LAST_DAY

    # 3.1 survival table
    activity = activity_days(user_day, behaviours=list(params.activity_behaviours))
    table = survival_table(activity, churn_days=params.churn_days, last_day=last_day)
    surv = table[table["eligible"]]
    watch_age = surv[["user_id"]].merge(users[["user_id", "watch_age_days"]], on="user_id")
    # 3.2 cohorts
    triangle = cohort_triangle(activity, last_day=last_day)
    # 3.3 Kaplan-Meier, and the churn threshold
    tau = float(follow_up_days(max(grid), last_day))
    km = fit_km(surv, label=f"churn after {params.churn_days} silent days")
    thresholds = {k: survival_table(activity, churn_days=k, last_day=last_day) for k in grid}
    # 3.5 early activity, landmark and segments
    early = early_activity(user_day, table, early_days=params.early_days)
    lm = landmark(table, params.early_days)
    labels = user_segments(
        users, early, new_account_days=params.new_account_days, heavy_quantile=params.heavy_quantile
    )
    # 3.6 Cox on the landmark sample
    design, design_labels = cox_design(lm, early, users, new_account_days=params.new_account_days)
    # 3.7 streamers
    st_table = survival_table(
        _streamer_days(ds, last_day),
        churn_days=params.churn_days,
        last_day=last_day,
        id_col="streamer_id",
    )
    st_km = fit_km(st_table, label="streamers")

    return RetentionResult(
        source=ds.source,
        params=params,
        table=table,
        median_watch_age=float(watch_age["watch_age_days"].median()),
        triangle=triangle,
        retention=averaged_retention(triangle),
        tau=tau,
        km=km,
        km_summary=km_summary(km, tau=tau, horizons=(1, 7)),
        sensitivity=churn_sensitivity(activity, grid, last_day=last_day, tau=tau),
        km_by_threshold={f"{k} days": fit_km(t) for k, t in thresholds.items()},
        hazard=hazard_by_age(surv, users, clock=HAZARD_CLOCK),
        early=early,
        landmark=lm,
        segment_labels=labels,
        segments=segment_report(
            surv,
            lm,
            labels,
            params.segments,
            point_in_time=params.point_in_time,
            min_group=params.min_group,
        ),
        cox=fit_cox(design, design_labels),
        streamer_table=st_table,
        streamer_km=st_km,
        streamer_summary=km_summary(st_km, tau=tau, horizons=(7,)),
        truth=_truth(ds, user_day, surv, params, last_day),
        hazard_clock=HAZARD_CLOCK,
        last_day=last_day,
        populations=population_retention(triangle, (1, 7, 14)),
        pooled=pool_cohorts(triangle, params.min_cohort),
        weekly=weekly_retention(activity, last_day=last_day),
        stickiness=dau_wau(activity, last_day=last_day),
    )


def _truth(ds, user_day, surv, params: Params, last_day: int) -> TruthComparison | None:
    """KM against the planted lifetimes for the chosen and the widest activity definition
    (None when the dataset has no ground truth)."""
    if not has_truth(ds.truth):
        return None
    truth_users = ds.truth["users"]
    presence = activity_days(user_day, behaviours=list(BEHAVIOUR_COLUMNS), last_day=last_day)
    presence_table = survival_table(presence, churn_days=params.churn_days, last_day=last_day)
    return TruthComparison(
        chosen=true_vs_km(surv, truth_users),
        presence=true_vs_km(presence_table, truth_users),
        chosen_label=f"KM, active: {', '.join(params.activity_behaviours)}",
        min_coverage=params.truth_coverage_min,
    )
