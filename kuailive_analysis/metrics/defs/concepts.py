"""Concepts of the registry: what the book means by exposure, session, churn, cohort, retention
"on" / "on or after" day N, ... (records without a number of their own)."""

from __future__ import annotations

from kuailive_analysis.metrics.defs.records import Definition

DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in (
        Definition(
            "exposure",
            "Exposure",
            "A room shown to a user. The data has no impression log beyond the two tables "
            "that record what a user was shown: a row of `click.csv` is an exposure the user "
            "clicked, a row of `negative.csv` one they did not, so exposures = clicks + "
            "negatives.",
        ),
        Definition(
            "click",
            "Click",
            "A row of `click.csv`: the user entered a live room from an exposure. Its "
            "`watch_live_time` is the watch time of that visit.",
        ),
        Definition(
            "negative",
            "Negative (unclicked exposure)",
            "A row of `negative.csv`: a room shown to the user and not clicked. It is not "
            "activity (it does not make a day active).",
        ),
        Definition(
            "engagement",
            "Engagement",
            "A comment, like or gift event (`comment.csv`, `like.csv`, `gift.csv`). "
            "*Interactions* are clicks + comments + likes + gifts (negatives excluded).",
        ),
        Definition(
            "session",
            "Session",
            "One (user_id, live_id) pair with at least one event of any kind (click, "
            "comment, like, gift or negative) over the 21 days: one user in one live room.",
        ),
        Definition(
            "click_session",
            "Click session",
            "A session with at least one click (the unit of the published '1.57% of "
            "sessions gift' figure and of the session funnel).",
        ),
        Definition(
            "attribution",
            "Attribution of engagements to clicks",
            "A comment, like or gift is credited to the latest click of the same user on "
            "the same room at or before it (same millisecond included), if it falls within "
            "the attribution window (default 60 minutes). Otherwise it is *late*, *before "
            "click* or *no click*; such engagements still count in every all-events ratio "
            "and in the session funnel.",
        ),
        Definition(
            "qualified_watch",
            "Qualified watch",
            "A click whose watch time is at least the qualified-watch threshold (chapter 5 "
            "parameter, default 5 s, about the real median watch per click).",
        ),
        Definition(
            "watch_time",
            "Watch time",
            "`watch_live_time` of a click in milliseconds, reported in seconds, minutes or "
            "hours; a session's watch time is the sum over its clicks.",
        ),
        Definition(
            "revenue",
            "Revenue",
            "The sum of `gift_price` over gift events, in platform coins (the platform's "
            "virtual currency; not converted to money).",
        ),
        Definition(
            "gifter", "Gifter", "A user with at least one gift event in the period considered."
        ),
        Definition(
            "gifting_day",
            "Gifting day",
            "A (user, Beijing calendar day) with at least one gift. The transaction unit of "
            "the lifetime-value models (chapter 4): several gifts on one day are one "
            "transaction, with the day's summed gift value.",
        ),
        Definition(
            "calendar_day",
            "Calendar day",
            "Day index since 2025-05-05 in Beijing time (Asia/Shanghai, UTC+8), 0 to 20; "
            "every hour-of-day view is Beijing time too.",
        ),
        Definition(
            "active_day",
            "Active day",
            "A (user, day) on which the user clicked, commented, liked or gifted. Being "
            "shown rooms (negatives) is not activity.",
        ),
        Definition(
            "dau",
            "DAU (daily active users)",
            "Users with an active day on a given calendar day; chapter 2 reports the "
            "median, minimum and maximum over the 21 days. WAU (weekly active users) counts "
            "users active on any day of a Beijing week (Monday to Sunday); chapter 3 reports "
            "the DAU/WAU stickiness ratio (mean over the days of each week).",
        ),
        Definition(
            "cohort",
            "Cohort",
            "Users grouped by their first active day in the window (day 0 = already active "
            "when the window opens).",
        ),
        Definition(
            "retention_on",
            "Retention on day N (N-day retention)",
            "The share of a cohort active exactly on day N after its first active day. This "
            "is Amplitude's *N-day retention* and Mixpanel's retention *on* day N. Averages "
            "over cohorts are weighted by cohort size, over cohorts old enough to reach day "
            "N.",
        ),
        Definition(
            "retention_on_or_after",
            "Retention on or after day N (unbounded retention)",
            "The share of a cohort active on day N or any later day. This is Amplitude's "
            "*unbounded retention* and Mixpanel's retention *on or after* day N; it never "
            "increases with N.",
        ),
        Definition(
            "churn",
            "Churn",
            "A user churns after the last active day that is followed by k consecutive "
            "inactive days (k = `churn_days`, default 7). Users active again later are "
            "resurrected, but their first lifetime has ended. A churn is observed only when "
            "the k days lie inside the window; later users are right-censored.",
        ),
        Definition(
            "entry",
            "Entry",
            "A user's first active day in the window; the survival clock starts there "
            "(time since entry, in days).",
        ),
        Definition(
            "kaplan_meier",
            "Kaplan-Meier survival",
            "The estimate of S(t), the share of users whose active lifetime extends beyond t "
            "days after entry, that accounts for right-censoring.",
        ),
        Definition(
            "cold_start",
            "Cold-start streamer",
            "A streamer with fewer interactions than the cold-start threshold (chapter 2 "
            "parameter, default 5) in the 21 days, including streamers with none.",
        ),
        Definition(
            "arpu",
            "ARPU and ARPPU (not used)",
            "Average revenue per user and per paying user. The book does not report them: "
            "KuaiLive sampled users who clicked, commented, liked and gifted, so every user "
            "pays and ARPU equals ARPPU by construction; revenue is reported per gift, per "
            "1,000 exposures and through its concentration instead.",
        ),
        Definition(
            "lorenz",
            "Lorenz curve",
            "The share of a total held by the smallest x% of units (poorest first); the "
            "further below the diagonal, the more concentrated.",
        ),
        Definition(
            "calibration_holdout",
            "Calibration and holdout windows",
            "The lifetime-value models are fitted on days 0 to `calibration_days` - 1 "
            "(default 14) and checked on the remaining days (the holdout).",
        ),
        Definition(
            "rfm",
            "RFM summary (frequency, recency, T, monetary)",
            "Per gifter in the calibration window: frequency x = repeat gifting days "
            "(after the first), recency t_x = days from the first to the last gifting day, "
            "T = days from the first gifting day to the end of calibration, monetary = mean "
            "value of the repeat gifting days.",
        ),
        Definition(
            "clv",
            "LTV / CLV",
            "Customer lifetime value: the expected gift value of a user over a horizon "
            "(default 30 days after calibration), discounted daily; BG/NBD expected gifting "
            "days times the Gamma-Gamma expected value per gifting day.",
        ),
        Definition(
            "published_fact",
            "Published fact (fidelity appendix)",
            "A statistic of the real KuaiLive files recomputed on the raw files of this "
            "run, the way its source computed it (so on the files before cleaning, unlike "
            "the book's KPIs); its verdict is match, close or off, or not comparable when "
            "no computation of these files reproduces the way its source computed it.",
        ),
    )
}
