"""Metrics of kind ``retention``: retention and churn."""

from __future__ import annotations

from kuailive_analysis.core.metric_defs.records import Metric

RETENTION: tuple[Metric, ...] = (
    Metric(
        "ret_on_1",
        "Day-1 retention",
        "Share of users active on the day after their first active day, averaged over "
        "cohorts weighted by size (Amplitude N-day retention, N = 1).",
        r"\frac{\sum_c \text{active on day } c+1}{\sum_c \lvert c \rvert}",
        "share",
        "cohort members active on day N",
        "cohort members (cohorts that reach day N)",
        "users with an active day",
        ("03_retention",),
        "retention",
        computed_by="retention.averaged_retention",
    ),
    Metric(
        "ret_on_7",
        "Day-7 retention",
        "Share of users active on day 7 after their first active day (size-weighted over "
        "cohorts; Amplitude N-day retention, N = 7).",
        r"\frac{\sum_c \text{active on day } c+7}{\sum_c \lvert c \rvert}",
        "share",
        "cohort members active on day N",
        "cohort members (cohorts that reach day N)",
        "users with an active day",
        ("03_retention",),
        "retention",
        computed_by="retention.averaged_retention",
    ),
    Metric(
        "ret_after_7",
        "Day-7 unbounded retention",
        "Share of users active on day 7 or later after their first active day "
        "(size-weighted; Amplitude unbounded, Mixpanel 'on or after').",
        r"\frac{\sum_c \text{active on day} \ge c+7}{\sum_c \lvert c \rvert}",
        "share",
        "cohort members active on or after day N",
        "cohort members (cohorts that reach day N)",
        "users with an active day",
        ("03_retention",),
        "retention",
        computed_by="retention.averaged_retention",
    ),
    Metric(
        "km_s7",
        "Survival a week after entry",
        "Kaplan-Meier estimate of the share of users not yet churned 7 days after entry.",
        r"\hat S(7) = \prod_{t_i \le 7} \left(1 - \frac{d_i}{n_i}\right)",
        "share",
        "",
        "",
        "eligible users (entry early enough to observe a churn)",
        ("03_retention",),
        "retention",
        ("churn_days",),
        computed_by="retention.km_summary",
    ),
    Metric(
        "km_median",
        "Median time to churn",
        "The first day t with Kaplan-Meier survival at or below one half (beyond the "
        "follow-up when the curve stays above it).",
        r"\min\{t : \hat S(t) \le 0.5\}",
        "days",
        "",
        "",
        "eligible users",
        ("03_retention",),
        "retention",
        ("churn_days",),
        computed_by="retention.km_summary",
    ),
    Metric(
        "km_rmst",
        "Restricted mean survival time",
        "Area under the Kaplan-Meier curve up to tau: the mean active lifetime within tau days.",
        r"\int_0^{\tau} \hat S(t)\, dt",
        "days",
        "",
        "",
        "eligible users",
        ("03_retention",),
        "retention",
        ("churn_days",),
        computed_by="retention.km_summary",
    ),
    Metric(
        "cox_hr",
        "Hazard ratio (Cox)",
        "Multiplicative change of the churn hazard per unit of a covariate, from a Cox "
        "proportional-hazards model on the landmark population.",
        r"h(t \mid x) = h_0(t)\, e^{\beta x},\ \mathrm{HR} = e^{\beta}",
        "hazard ratio",
        "",
        "",
        "users active through the landmark",
        ("03_retention",),
        "retention",
        computed_by="retention.fit_cox",
    ),
)
"""Retention and churn, in glossary order."""
