"""Declarations of the metric registry: every KPI and concept of the book, once.

The records (:class:`Definition`, :class:`Metric`, :class:`MetricValue`), the allowed units,
the chapters and the glossary sections, and the two tables :data:`DEFINITIONS` and
:data:`METRICS`. Pure data: computing the metrics and rendering the glossary is
:mod:`kuailive_analysis.core.metrics`, which re-exports everything here.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
UNITS = {
    "count": "count",
    "share": "share (a proportion from 0 to 1, shown as a percentage)",
    "ratio": "ratio (events per unit; can exceed 1)",
    "coins": "platform coins",
    "coins per gift": "platform coins per gift event",
    "coins per 1,000 exposures": "platform coins per 1,000 exposures",
    "seconds": "seconds",
    "days": "days",
    "index": "index from 0 (equal) to 1 (one unit holds everything)",
    "AUC": "area under the ROC curve (0.5 = chance, 1 = perfect ranking)",
    "hazard ratio": "hazard ratio (1 = no difference)",
}
"""Allowed units of a metric and how the glossary explains them."""

CHAPTERS = {
    "01_cleaning": "1. Data cleaning",
    "02_eda": "2. Exploratory analysis",
    "03_retention": "3. User retention",
    "04_ltv": "4. Lifetime value",
    "05_funnel_ctr": "5. Funnel and CTR",
    "06_fidelity": "Appendix: fidelity",
}
"""Chapter stems and titles (the ``chapter`` field of a metric names where it is reported)."""

KINDS = {
    "counts": "Counts",
    "engagement": "Engagement rates",
    "funnel": "Funnel KPIs (attributed engagements)",
    "revenue": "Gifts and revenue",
    "concentration": "Concentration",
    "watch": "Watch time and timing",
    "retention": "Retention and churn",
    "ltv": "Lifetime value",
    "models": "Predictive models",
}
"""Glossary sections, in page order."""


@dataclass(frozen=True)
class Definition:
    """A concept the book uses without a number of its own."""

    key: str
    name: str
    text: str


@dataclass(frozen=True)
class Metric:
    """One KPI: what it measures and how it is computed.

    ``formula`` is LaTeX; ``numerator`` / ``denominator`` are plain text (empty for a count or
    a statistic that is not a ratio); ``population`` says which rows or units it is computed
    over; ``chapter`` the chapter stems that report it (first = where it is defined);
    ``params`` the analysis parameters its value depends on; ``computed_by`` the function that
    computes it when it is not computed by this registry (a model output or a table of one
    chapter).
    """

    key: str
    name: str
    definition: str
    formula: str
    unit: str
    numerator: str
    denominator: str
    population: str
    chapter: tuple[str, ...]
    kind: str = "engagement"
    params: tuple[str, ...] = ()
    computed_by: str | None = None


@dataclass(frozen=True)
class MetricValue:
    """A computed metric: ``value`` = ``numerator / denominator`` for ratios (both None for
    counts and statistics that are not ratios), in ``unit``."""

    value: float
    numerator: float | None
    denominator: float | None
    unit: str


# ---------------------------------------------------------------------------------------------
# Concepts
# ---------------------------------------------------------------------------------------------
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
            "median, minimum and maximum over the 21 days. WAU (weekly active users) is not "
            "used: the window holds three weeks.",
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
            "the book's KPIs); its verdict is match, close or off.",
        ),
    )
}


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------
_CLEAN = "the cleaned tables"
_Q = ("qualified_watch_s", "attribution_window_s")
_A = ("attribution_window_s",)

METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        # ---- counts --------------------------------------------------------------------------
        Metric(
            "n_users",
            "Users",
            "Users in the profile table after cleaning.",
            r"\lvert \text{users} \rvert",
            "count",
            "",
            "",
            "user.csv after cleaning",
            ("02_eda",),
            "counts",
        ),
        Metric(
            "n_streamers",
            "Streamers",
            "Streamers in the profile table after cleaning.",
            r"\lvert \text{streamers} \rvert",
            "count",
            "",
            "",
            "streamer.csv after cleaning",
            ("02_eda",),
            "counts",
        ),
        Metric(
            "n_rooms",
            "Rooms",
            "Live rooms (one per live_id) after cleaning.",
            r"\lvert \text{rooms} \rvert",
            "count",
            "",
            "",
            "room.csv after cleaning",
            ("02_eda",),
            "counts",
        ),
        Metric(
            "n_clicks",
            "Clicks",
            "Click events after cleaning.",
            r"\lvert \text{clicks} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
            "counts",
        ),
        Metric(
            "n_negatives",
            "Negatives",
            "Unclicked exposures after cleaning.",
            r"\lvert \text{negatives} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("05_funnel_ctr",),
            "counts",
        ),
        Metric(
            "n_exposures",
            "Exposures",
            "Clicked plus unclicked exposures.",
            r"\lvert \text{clicks} \rvert + \lvert \text{negatives} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("05_funnel_ctr",),
            "counts",
        ),
        Metric(
            "n_sessions",
            "Sessions",
            "(user, room) pairs with any event, negatives included.",
            r"\lvert \{(u, \ell)\} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("01_cleaning", "05_funnel_ctr"),
            "counts",
        ),
        Metric(
            "n_click_sessions",
            "Click sessions",
            "(user, room) pairs with at least one click.",
            r"\lvert \{(u, \ell) : \text{clicks}_{u\ell} \ge 1\} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("05_funnel_ctr",),
            "counts",
        ),
        Metric(
            "share_sessions_click",
            "Sessions with a click",
            "Share of sessions that hold at least one click (the rest only hold negatives or "
            "engagements).",
            r"\frac{\text{click sessions}}{\text{sessions}}",
            "share",
            "click sessions",
            "sessions",
            _CLEAN,
            ("01_cleaning",),
            "counts",
        ),
        Metric(
            "n_exposed_users",
            "Exposed users",
            "Users with at least one exposure.",
            r"\lvert \{u : \text{exposures}_u \ge 1\} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("05_funnel_ctr",),
            "counts",
        ),
        Metric(
            "n_active_users",
            "Active users",
            "Users with at least one active day (with the chapter's activity behaviours).",
            r"\lvert \{u : \text{active days}_u \ge 1\} \rvert",
            "count",
            "",
            "",
            "user-day panel",
            ("03_retention",),
            "counts",
            computed_by="retention.survival_table",
        ),
        Metric(
            "n_gift_pairs",
            "Gift pairs",
            "Distinct (user, streamer) pairs with a gift.",
            r"\lvert \{(u, s) : \text{gifts}_{us} \ge 1\} \rvert",
            "count",
            "",
            "",
            _CLEAN,
            ("02_eda",),
            "counts",
        ),
        Metric(
            "click_kept_share",
            "Clicks kept by cleaning",
            "Clean clicks over raw click rows.",
            r"\frac{\text{clean clicks}}{\text{raw click rows}}",
            "share",
            "clean clicks",
            "raw click rows",
            "cleaning report",
            ("01_cleaning",),
            "counts",
            computed_by="clean.report_numbers",
        ),
        Metric(
            "gift_kept_share",
            "Gifts kept by cleaning",
            "Clean gifts over raw gift rows.",
            r"\frac{\text{clean gifts}}{\text{raw gift rows}}",
            "share",
            "clean gifts",
            "raw gift rows",
            "cleaning report",
            ("01_cleaning",),
            "counts",
            computed_by="clean.report_numbers",
        ),
        # ---- engagement rates (all events, no attribution) -----------------------------------
        Metric(
            "ctr",
            "CTR (click-through rate)",
            "Share of exposures that are clicked.",
            r"\mathrm{CTR} = \frac{\text{clicks}}{\text{clicks} + \text{negatives}}",
            "share",
            "clicks",
            "exposures (clicks + negatives)",
            _CLEAN,
            ("05_funnel_ctr", "02_eda"),
        ),
        Metric(
            "negatives_per_click",
            "Negatives per click",
            "Unclicked exposures per click.",
            r"\frac{\text{negatives}}{\text{clicks}}",
            "ratio",
            "negatives",
            "clicks",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
        ),
        Metric(
            "comments_per_click",
            "Comments per click",
            "All comment events per click, whether or not a click precedes them (the "
            "published 4.0% is this ratio).",
            r"\frac{\text{comment events}}{\text{clicks}}",
            "ratio",
            "comment events",
            "clicks",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
        ),
        Metric(
            "likes_per_click",
            "Likes per click",
            "All like events per click (the published 3.65% is this ratio).",
            r"\frac{\text{like events}}{\text{clicks}}",
            "ratio",
            "like events",
            "clicks",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
        ),
        Metric(
            "gifts_per_click",
            "Gifts per click",
            "All gift events per click, whether or not a click precedes them (the published "
            "1.48% is this ratio). Not the gift-through rate: a click can carry several gifts, "
            "and gifts without a click count here.",
            r"\frac{\text{gift events}}{\text{clicks}}",
            "ratio",
            "gift events",
            "clicks",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
        ),
        Metric(
            "gift_session_share",
            "Gift-session share",
            "Share of click sessions with at least one gift on the same (user, room), at any "
            "time (no attribution window; the published 1.57% is this share).",
            r"\frac{\lvert\{(u,\ell): \text{clicks}_{u\ell} \ge 1,\ \text{gifts}_{u\ell} \ge 1\}"
            r"\rvert}{\lvert\{(u,\ell): \text{clicks}_{u\ell} \ge 1\}\rvert}",
            "share",
            "click sessions with a gift",
            "click sessions",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
        ),
        Metric(
            "share_streamers_gifted",
            "Streamers with a gift",
            "Share of streamers who received at least one gift (by the room's streamer).",
            r"\frac{\lvert\{s : \text{revenue}_s > 0\}\rvert}{\lvert \text{streamers} \rvert}",
            "share",
            "streamers with revenue > 0",
            "all streamers (profile table and rooms)",
            _CLEAN,
            ("02_eda",),
        ),
        # ---- funnel (attributed) -------------------------------------------------------------
        Metric(
            "qualified_rate",
            "Qualified-watch rate",
            "Share of clicks watched at least the qualified-watch threshold.",
            r"\frac{\lvert\{c : \text{watch}_c \ge \theta\}\rvert}{\text{clicks}}",
            "share",
            "clicks with watch >= threshold",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            ("qualified_watch_s",),
        ),
        Metric(
            "comment_rate",
            "Comment rate",
            "Share of clicks with at least one attributed comment.",
            r"\frac{\lvert\{c : \text{attributed comments}_c \ge 1\}\rvert}{\text{clicks}}",
            "share",
            "clicks with an attributed comment",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "like_rate",
            "Like rate",
            "Share of clicks with at least one attributed like.",
            r"\frac{\lvert\{c : \text{attributed likes}_c \ge 1\}\rvert}{\text{clicks}}",
            "share",
            "clicks with an attributed like",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "gtr",
            "GTR (gift-through rate)",
            "Share of clicks with at least one attributed gift: the binomial target of the gift "
            "model. Not gifts per click (a gifting click counts once; gifts without a click "
            "or outside the window do not count).",
            r"\mathrm{GTR} = \frac{\lvert\{c : \text{attributed gifts}_c \ge 1\}\rvert}"
            r"{\text{clicks}}",
            "share",
            "clicks with an attributed gift",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "interaction_rate",
            "Interaction rate",
            "Share of clicks with at least one attributed comment, like or gift.",
            r"\frac{\lvert\{c : \text{attributed engagements}_c \ge 1\}\rvert}{\text{clicks}}",
            "share",
            "clicks with an attributed engagement",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "attributed_comments_per_click",
            "Attributed comments per click",
            "Comment events credited to a click, per click.",
            r"\frac{\text{attributed comment events}}{\text{clicks}}",
            "ratio",
            "attributed comment events",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "attributed_likes_per_click",
            "Attributed likes per click",
            "Like events credited to a click, per click.",
            r"\frac{\text{attributed like events}}{\text{clicks}}",
            "ratio",
            "attributed like events",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "attributed_gifts_per_click",
            "Attributed gifts per click",
            "Gift events credited to a click, per click (lower than gifts per click by the "
            "gifts without a click or outside the window).",
            r"\frac{\text{attributed gift events}}{\text{clicks}}",
            "ratio",
            "attributed gift events",
            "clicks",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _A,
        ),
        Metric(
            "overall_gift",
            "Per-exposure gift rate",
            "Share of exposures that end in the funnel's last step: a click watched at least "
            "the threshold with an attributed gift.",
            r"\frac{\lvert\{c : \text{watch}_c \ge \theta,\ \text{attributed gifts}_c \ge 1\}"
            r"\rvert}{\text{exposures}}",
            "share",
            "qualified clicks with an attributed gift",
            "exposures",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _Q,
        ),
        Metric(
            "user_share_gift",
            "Users reaching the gift step",
            "Share of exposed users with at least one exposure that reaches the funnel's gift "
            "step (near 100% by how KuaiLive sampled its users).",
            r"\frac{\lvert\{u : \exists\, c \in u,\ \text{watch}_c \ge \theta,\ "
            r"\text{attributed gifts}_c \ge 1\}\rvert}{\text{exposed users}}",
            "share",
            "users with a qualified gifting click",
            "exposed users",
            _CLEAN,
            ("05_funnel_ctr",),
            "funnel",
            _Q,
        ),
        # ---- revenue -------------------------------------------------------------------------
        Metric(
            "revenue",
            "Gift revenue",
            "Total value of all gift events.",
            r"\sum_{g} \text{gift\_price}_g",
            "coins",
            "",
            "",
            _CLEAN,
            ("02_eda",),
            "revenue",
        ),
        Metric(
            "gift_price_mean",
            "Average gift value",
            "Mean price of a gift event.",
            r"\frac{\sum_g \text{gift\_price}_g}{\text{gift events}}",
            "coins per gift",
            "revenue",
            "gift events",
            _CLEAN,
            ("02_eda", "05_funnel_ctr"),
            "revenue",
        ),
        Metric(
            "rpm",
            "Revenue per 1,000 exposures (attributed gifts)",
            "Value of the gifts attributed to a click, per 1,000 exposures.",
            r"1000 \cdot \frac{\sum_{g\ \text{attributed}} \text{gift\_price}_g}"
            r"{\text{exposures}}",
            "coins per 1,000 exposures",
            "attributed gift value",
            "exposures",
            _CLEAN,
            ("05_funnel_ctr",),
            "revenue",
            _A,
        ),
        Metric(
            "rpm_all",
            "Revenue per 1,000 exposures (all gifts)",
            "Value of all gift events per 1,000 exposures.",
            r"1000 \cdot \frac{\sum_g \text{gift\_price}_g}{\text{exposures}}",
            "coins per 1,000 exposures",
            "revenue",
            "exposures",
            _CLEAN,
            ("05_funnel_ctr",),
            "revenue",
        ),
        # ---- concentration -------------------------------------------------------------------
        Metric(
            "gini_revenue_users",
            "Gini of revenue across users",
            "Gini coefficient of each user's total gift value, over all users (zeros included).",
            r"G = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}",
            "index",
            "",
            "",
            "all users; x = the user's revenue",
            ("02_eda",),
            "concentration",
        ),
        Metric(
            "top1_users_revenue",
            "Top-1% share of revenue (users)",
            "Share of revenue given by the 1% of users who give the most (the boundary user "
            "counts fractionally).",
            r"S(q) = 1 - L(1 - q),\ q = 0.01",
            "share",
            "revenue of the top 1% of users",
            "revenue",
            "all users",
            ("02_eda",),
            "concentration",
        ),
        Metric(
            "top10_users_revenue",
            "Top-10% share of revenue (users)",
            "Share of revenue given by the 10% of users who give the most.",
            r"S(q) = 1 - L(1 - q),\ q = 0.1",
            "share",
            "revenue of the top 10% of users",
            "revenue",
            "all users",
            ("02_eda",),
            "concentration",
        ),
        Metric(
            "gini_revenue_gifted",
            "Gini of revenue across gifted streamers",
            "Gini coefficient of each streamer's gift revenue, over the streamers who received "
            "any gift.",
            r"G = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}",
            "index",
            "",
            "",
            "streamers with revenue > 0 (by the room's streamer)",
            ("02_eda",),
            "concentration",
        ),
        Metric(
            "gini_gift_revenue",
            "Gini of revenue across streamers",
            "Gini coefficient of each streamer's gift revenue, over all streamers (zeros "
            "included); the other rows of the concentration table are the same statistic for "
            "exposures, clicks and watch time.",
            r"G = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}",
            "index",
            "",
            "",
            "all streamers",
            ("02_eda",),
            "concentration",
            computed_by="eda.concentration_table",
        ),
        Metric(
            "top1_gift_revenue",
            "Top-1% share of revenue (streamers)",
            "Share of revenue received by the 1% of streamers who receive the most.",
            r"S(q) = 1 - L(1 - q),\ q = 0.01",
            "share",
            "revenue of the top 1% of streamers",
            "revenue",
            "all streamers",
            ("02_eda",),
            "concentration",
            computed_by="eda.concentration_table",
        ),
        Metric(
            "streamers_lt_cold",
            "Cold-start streamers",
            "Share of streamers with fewer interactions than the cold-start threshold in the "
            "21 days (streamers with none included).",
            r"\frac{\lvert\{s : \text{interactions}_s < k\}\rvert}{\lvert \text{streamers} "
            r"\rvert}",
            "share",
            "streamers below the threshold",
            "all streamers (profile table and rooms)",
            _CLEAN,
            ("02_eda",),
            "concentration",
            ("cold_start_max",),
        ),
        Metric(
            "top10_streamers_share",
            "Top-10 streamers' share of interactions",
            "Share of all interactions that go to the ten busiest streamers (depends on the "
            "number of streamers, so on the twin's scale).",
            r"\frac{\sum_{s \in \text{top 10}} \text{interactions}_s}{\text{interactions}}",
            "share",
            "interactions of the 10 busiest streamers",
            "interactions",
            _CLEAN,
            ("02_eda",),
            "concentration",
            computed_by="core.stats.top_k_share",
        ),
        # ---- watch time and timing -----------------------------------------------------------
        Metric(
            "watch_share_lt_5s",
            "Clicks under 5 seconds",
            "Share of clicks whose watch time is under 5 seconds.",
            r"\frac{\lvert\{c : \text{watch}_c < 5\,\text{s}\}\rvert}{\text{clicks}}",
            "share",
            "clicks under 5 s",
            "clicks",
            _CLEAN,
            ("02_eda",),
            "watch",
            computed_by="eda.watch_time_summary",
        ),
        Metric(
            "watch_median_s",
            "Median watch time per click",
            "Median of watch_live_time over clicks.",
            r"\operatorname{median}_c \text{watch}_c",
            "seconds",
            "",
            "",
            _CLEAN,
            ("02_eda",),
            "watch",
            computed_by="eda.watch_time_summary",
        ),
        Metric(
            "activity_peak_share",
            "Peak-hours share of interactions",
            "Share of interactions in the busiest window of consecutive Beijing hours "
            "(chapter 2 parameter `peak_hours`, default 6; the window may wrap midnight).",
            r"\max_h \frac{\sum_{j=h}^{h+w-1} \text{interactions}_{j \bmod 24}}"
            r"{\text{interactions}}",
            "share",
            "interactions in the peak window",
            "interactions",
            _CLEAN,
            ("02_eda",),
            "watch",
            ("peak_hours",),
            computed_by="eda.peak_window",
        ),
        Metric(
            "daily_active_median",
            "Median DAU",
            "Median over the 21 days of the number of users active that day.",
            r"\operatorname{median}_d \lvert\{u : u \text{ active on } d\}\rvert",
            "count",
            "",
            "",
            "user-day panel",
            ("02_eda",),
            "watch",
            computed_by="eda.daily_totals",
        ),
        # ---- retention -----------------------------------------------------------------------
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
            "Area under the Kaplan-Meier curve up to tau: the mean active lifetime within tau "
            "days.",
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
        # ---- lifetime value ------------------------------------------------------------------
        Metric(
            "bg_days_between",
            "Days between gifting days (BG/NBD)",
            "Mean time between gifting days of an active gifter, from the BG/NBD gamma "
            "distribution of gifting rates (alpha / r).",
            r"\frac{\alpha}{r} = 1 / \mathbb{E}[\lambda]",
            "days",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days",),
            computed_by="ltv.BetaGeo",
        ),
        Metric(
            "bg_dropout",
            "Dropout per gifting day (BG/NBD)",
            "Mean probability that a gifter stops for good after a gifting day.",
            r"\mathbb{E}[p] = \frac{a}{a + b}",
            "share",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days",),
            computed_by="ltv.BetaGeo",
        ),
        Metric(
            "p_alive",
            "P(alive)",
            "Probability that a gifter is still active at the end of calibration, given x, "
            "t_x and T.",
            r"\left(1 + \mathbf{1}_{x>0} \frac{a}{b+x-1}"
            r"\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right)^{-1}",
            "share",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days",),
            computed_by="ltv.BetaGeo.p_alive",
        ),
        Metric(
            "share_gift_repeat",
            "Gifters with a repeat gifting day",
            "Share of calibration gifters with at least one gifting day after their first.",
            r"\frac{\lvert\{u : x_u \ge 1\}\rvert}{\text{calibration gifters}}",
            "share",
            "gifters with frequency >= 1",
            "calibration gifters",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days",),
            computed_by="ltv.rfm_summary",
        ),
        Metric(
            "mae_bg",
            "Holdout MAE of gifting days",
            "Mean absolute error of the predicted number of gifting days per user in the "
            "holdout (compared with a past-rate and a pooled-rate baseline).",
            r"\frac{1}{n} \sum_u \lvert \hat y_u - y_u \rvert",
            "days",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days",),
            computed_by="ltv.evaluate.holdout_accuracy",
        ),
        Metric(
            "clv_total",
            "Predicted cohort value",
            "Sum over calibration gifters of the expected discounted gift value over the "
            "horizon (BG/NBD x Gamma-Gamma).",
            r"\sum_u \sum_k \frac{\mathbb{E}[Y_u(t_k)] - \mathbb{E}[Y_u(t_{k-1})]}{(1+d)^{t_k}}"
            r"\, \mathbb{E}[m_u]",
            "coins",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days", "horizon_days", "discount_rate_daily"),
            computed_by="ltv.bootstrap_clv",
        ),
        Metric(
            "clv_median",
            "Median predicted CLV",
            "Median over calibration gifters of the predicted value.",
            r"\operatorname{median}_u \mathrm{CLV}_u",
            "coins",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days", "horizon_days"),
            computed_by="ltv.bootstrap_clv",
        ),
        Metric(
            "clv_top1",
            "Top-1% share of predicted CLV",
            "Share of the predicted value held by the 1% of users with the highest CLV.",
            r"S(q) = 1 - L(1 - q),\ q = 0.01",
            "share",
            "CLV of the top 1% of users",
            "total CLV",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days", "horizon_days"),
            computed_by="core.stats.top_share",
        ),
        Metric(
            "clv_gini",
            "Gini of predicted CLV",
            "Gini coefficient of the predicted CLV across calibration gifters.",
            r"G = \frac{2 \sum_i i\, x_{(i)}}{n \sum_i x_i} - \frac{n+1}{n}",
            "index",
            "",
            "",
            "calibration gifters",
            ("04_ltv",),
            "ltv",
            ("calibration_days", "horizon_days"),
            computed_by="core.stats.gini",
        ),
        # ---- models --------------------------------------------------------------------------
        Metric(
            "auc",
            "AUC",
            "Probability that the model scores a random positive row above a random negative "
            "one, on the chronological test part (chapter 5 glues it as "
            "`<task>_<model>_auc`).",
            r"P(\hat s_{+} > \hat s_{-}) + \tfrac12 P(\hat s_{+} = \hat s_{-})",
            "AUC",
            "",
            "",
            "test rows (exposures for CTR, clicks for GTR)",
            ("05_funnel_ctr",),
            "models",
            computed_by="predict.evaluate",
        ),
        Metric(
            "uauc",
            "UAUC (user-averaged AUC)",
            "Mean of per-user AUCs over users whose test rows hold both classes.",
            r"\frac{1}{\lvert U \rvert} \sum_{u \in U} \mathrm{AUC}_u",
            "AUC",
            "",
            "",
            "test users with both classes",
            ("05_funnel_ctr",),
            "models",
            computed_by="predict.evaluate",
        ),
        Metric(
            "gauc",
            "GAUC (impression-weighted AUC)",
            "Per-user AUCs weighted by the user's test impressions.",
            r"\frac{\sum_{u \in U} n_u \mathrm{AUC}_u}{\sum_{u \in U} n_u}",
            "AUC",
            "",
            "",
            "test users with both classes",
            ("05_funnel_ctr",),
            "models",
            computed_by="predict.evaluate",
        ),
    )
}
