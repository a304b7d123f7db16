"""Metrics of kind ``retention``: retention and churn."""

from __future__ import annotations

from kuailive_analysis.metrics.defs.records import Metric

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
        "ret1_old",
        "Day-1 retention of existing users",
        "Share of the existing users (first live watch before the window, or more than "
        "new_user_days_before days before it) who are active on the day after their first "
        "active day in the window, pooled over their cohorts (size-weighted; Amplitude N-day "
        "retention, N = 1).",
        r"\frac{\sum_c \text{existing users of } c \text{ active on day } c+1}"
        r"{\sum_c \lvert \text{existing users of } c \rvert}",
        "share",
        "existing users active on day N after their first active day",
        "existing users whose cohort reaches day N",
        "users with an active day whose account is not new (by new_user_by)",
        ("03_retention",),
        "retention",
        params=("new_user_by", "new_user_days_before"),
        computed_by="retention.population_retention",
    ),
    Metric(
        "ret7_old",
        "Day-7 retention of existing users",
        "Share of the existing users (first live watch before the window) active on day 7 "
        "after their first active day (size-weighted over the cohorts that reach day 7; "
        "Amplitude N-day retention, N = 7).",
        r"\frac{\sum_c \text{existing users of } c \text{ active on day } c+7}"
        r"{\sum_c \lvert \text{existing users of } c \rvert}",
        "share",
        "existing users active on day N after their first active day",
        "existing users whose cohort reaches day N",
        "users with an active day whose account is not new (by new_user_by)",
        ("03_retention",),
        "retention",
        params=("new_user_by", "new_user_days_before"),
        computed_by="retention.population_retention",
    ),
    Metric(
        "ret1_new",
        "Day-1 retention of new users",
        "Share of the new users, by account age (first live watch, or registration with "
        "new_user_by, in the window or at most new_user_days_before days before it), who are "
        "active the day after their first active day (size-weighted over their cohorts; "
        "Amplitude N-day retention, N = 1). Not the users first seen on day 1 or later: most of "
        "those are regulars who skipped the first days.",
        r"\frac{\sum_c \text{new users of } c \text{ active on day } c+1}"
        r"{\sum_c \lvert \text{new users of } c \rvert}",
        "share",
        "new users active on day N after their first active day",
        "new users whose cohort reaches day N",
        "users with an active day whose account is new (by new_user_by)",
        ("03_retention",),
        "retention",
        params=("new_user_by", "new_user_days_before"),
        computed_by="retention.population_retention",
    ),
    Metric(
        "ret7_new",
        "Day-7 retention of new users",
        "Share of the new users, by account age, active on day 7 after their first active day "
        "(size-weighted over the cohorts that reach day 7; Amplitude N-day retention, N = 7).",
        r"\frac{\sum_c \text{new users of } c \text{ active on day } c+7}"
        r"{\sum_c \lvert \text{new users of } c \rvert}",
        "share",
        "new users active on day N after their first active day",
        "new users whose cohort reaches day N",
        "users with an active day whose account is new (by new_user_by)",
        ("03_retention",),
        "retention",
        params=("new_user_by", "new_user_days_before"),
        computed_by="retention.population_retention",
    ),
    Metric(
        "week1_ret",
        "Week-1 retention",
        "Share of the users active in the first calendar week (Beijing Monday to Sunday) "
        "who are active again in the second (Amplitude N-week retention, Mixpanel weekly "
        "retention).",
        r"\frac{\text{active in weeks 0 and 1}}{\text{active in week 0}}",
        "share",
        "users active in week 0 and in week 1",
        "users active in week 0",
        "users with an active day in week 0",
        ("03_retention",),
        "retention",
        computed_by="retention.weekly_retention",
    ),
    Metric(
        "dauwau_mean",
        "DAU/WAU stickiness",
        "Users active on a day over users active in the seven days ending that day (rolling "
        "WAU), averaged over the days with a full week behind them (days 6 to 20).",
        r"\frac{1}{15}\sum_{d=6}^{20} \frac{\mathrm{DAU}_d}{\mathrm{WAU}_{d-6..d}}",
        "share",
        "users active on day d",
        "users active on days d-6 .. d",
        "users with an active day",
        ("03_retention",),
        "retention",
        computed_by="retention.dau_wau",
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
