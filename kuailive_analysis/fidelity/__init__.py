"""How close is a data folder to the real KuaiLive files? One row per published fact.

``shared/kuailive-facts.md`` collects what is known about the real files: counts from the
dataset page, statistics measured on the real files by the dataset's paper and by third-party
code. :data:`FACTS` types each of those numbers **once** (with the phrase of its source), and
:func:`measure` recomputes every one that the eight CSV files allow, **the way its source
computed it**:

* days and weeks are **UTC** where the source says UTC (``ms // 86,400,000``; UTC weeks
  May 4-10 / 11-17 / 18-24), **Beijing** (Asia/Shanghai, epoch ms + 8 h) everywhere else
  (hours of day, the 21 window days starting 2025-05-05, the 3 window weeks);
* a *session* is a distinct (user_id, live_id) among click rows; *interactions* are clicks +
  comments + likes + gifts (negatives excluded); a room's duration is ``end - start`` of its
  first row in ``room.csv``;
* a *daily-averaged Gini* is the Gini of the UTC day's values across the streamers active that
  day (clicked, or gifted for revenue), averaged over the full UTC days May 5-24;
* concentration statistics use :func:`kuailive_analysis.core.stats.gini` and
  :func:`~kuailive_analysis.core.stats.top_share` (one definition each in the package); the
  calendar is :mod:`kuailive_analysis.core.calendar`.

:func:`analyse` compares the measured values with the real ones and returns a
:class:`FidelityResult`: the table (family, fact, real value, this data, ratio, verdict, how
computed), the numbers the appendix glues and the twin's assumptions table
(:func:`kuailive_analysis.twin.assumptions.assumptions_table`).

**Scale.** On a synthetic twin (a folder with ``truth.json``) every *count* is divided by the
folder's scale ``n_users / 23,772`` before the comparison, so a twin at scale 0.1 is compared
per user; rates, shares and quantiles are compared as they are. On a real folder the counts
are compared un-scaled and the exact ones (file rows, sessions, pairs, clicks per UTC week)
must be reproduced (the page then checks a download against the published numbers).

**Verdicts.** Each fact has a tolerance ``(match, close)``: for relative facts the deviation is
the factor ``max(r, 1/r) - 1`` of the ratio ``r = this / real`` (so 0.10 = within 10% either
way); for absolute facts it is ``|this - real|`` in the fact's unit (hours of day, shares near
0 or 1); for "at least" facts it is how far the value falls short. ``match`` when the
deviation is within the first tolerance, ``close`` within the second, else ``off``; ``n/a``
when the folder does not allow the statistic (e.g. no gifts).

Cost: one pass over each file, reading only the columns used (negatives: the timestamp only).
Measured on the 2-core machine: 4.4 s and 0.96 GB peak (whole process) on a scale-0.3 twin
(1.5M clicks, 3.8M negatives, 3.6M room rows); the work is linear or n log n, so full scale
(4.9M clicks, 12.7M negatives, 11.8M room rows) takes about 15-20 s and 3 GB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis import config
from kuailive_analysis import eda as E
from kuailive_analysis.data import io as IO
from kuailive_analysis.core.calendar import (
    MS_PER_DAY,
    MS_PER_HOUR,
    MS_PER_MINUTE,
    MS_PER_SECOND,
    N_WINDOW_DAYS,
    WINDOW_START_MS,
    beijing_day,
    beijing_hour,
    format_ms,
    utc_day,
)
from kuailive_analysis.core.constants import REAL_COUNTS, REAL_STREAMERS, REAL_USERS
from kuailive_analysis.core.keys import combined_key, dense_codes, pair_key
from kuailive_analysis.core.stats import gini, top_share
from kuailive_analysis.data.data_source import TRUTH_FILE, DataSource, describe


FAMILIES = ("counts", "engagement rates", "watch time", "gifting", "revenue concentration",
            "streamers", "users", "rooms", "calendar", "returns", "demographics")
VERDICTS = ("match", "close", "off", "n/a")

UTC_MAY_4 = int(utc_day(WINDOW_START_MS))  # 20,212: 2025-05-04 UTC, whose 16:00 starts the window
UTC_MAY_5, UTC_MAY_21, UTC_MAY_25 = UTC_MAY_4 + 1, UTC_MAY_4 + 17, UTC_MAY_4 + 21
UTC_WEEKS = ((UTC_MAY_4, UTC_MAY_4 + 7), (UTC_MAY_4 + 7, UTC_MAY_4 + 14),
             (UTC_MAY_4 + 14, UTC_MAY_4 + 21))
"""UTC weeks May 4-10, 11-17, 18-24 as [first day, last day + 1)."""
UTC_8_7_7 = ((UTC_MAY_4, UTC_MAY_4 + 8), (UTC_MAY_4 + 8, UTC_MAY_4 + 15),
             (UTC_MAY_4 + 15, UTC_MAY_4 + 22))
"""UTC periods May 4-11, 12-18, 19-25 (8 / 7 / 7 days)."""
FULL_UTC_DAYS = (UTC_MAY_5, UTC_MAY_25)
"""Full UTC days of the logs: May 5 .. May 24 (May 4 starts at 16:00 UTC, May 25 is short)."""

UNDER_18 = ("12-17",)
AGE_18_40 = ("18-23", "24-30", "31-40")
OVER_40 = ("41-49", "50+")
SHOP_MIN_MS, SHOP_MAX_MS = 5 * MS_PER_MINUTE, MS_PER_DAY
"""Shop rooms of the third-party statistics: 5 min < duration < 24 h."""

# Tolerances (match, close); see the module docstring.
COUNT = (0.05, 0.20)
COUNT_REAL_FOLDER = (0.0005, 0.02)  # a real download must reproduce the published counts
RATE = (0.10, 0.25)
ROUGH = (0.15, 0.40)  # values the source gives as "about"
TAIL = (0.25, 0.60)  # heavy-tailed: means, p99, max, sums
GINI = (0.03, 0.08)


@dataclass(frozen=True)
class Fact:
    """One published fact about the real files.

    ``unit`` drives formatting: count, share, seconds, minutes, hours, coins, ratio, per_user,
    hour (hour of day), flag (1 = yes). ``mode`` is ``count`` (scaled on a twin, relative),
    ``rel`` (relative), ``abs`` (absolute, in the unit) or ``min`` (at least the real value).
    """

    key: str
    family: str
    fact: str
    real: float
    unit: str
    how: str
    source: str
    tol: tuple[float, float] = RATE
    mode: str = "rel"
    published: str = ""  # how the source states it, when not a plain number
    exact: bool = False  # an exact count of the real files: a real folder must reproduce it

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"fact {self.key}: unknown family {self.family!r}")
        if self.mode not in ("count", "rel", "abs", "min"):
            raise ValueError(f"fact {self.key}: unknown mode {self.mode!r}")


def _f(key, family, fact, real, unit, how, source, tol=RATE, mode="rel", published=""):
    return Fact(key, family, fact, float(real), unit, how, source, tol, mode, published)


_PRICE_COUNTS = (31_882, 7_858, 3_176, 1_967, 2_499, 1_150, 886, 630, 627, 4_654, 868, 583, 318,
                 307, 231, 209, 155, 132, 143, 1_506)
"""Gifts at price 1..20 on the real files (third-party count; 72,646 gifts in all)."""

_FACTS: tuple[Fact, ...] = (
    # ---- counts (dataset page, quirks) -----------------------------------------------------
    _f("n_user", "counts", "users (user.csv rows)", REAL_COUNTS["user"], "count",
       "rows of user.csv", "dataset page: 23,772 users", (0.0005, 0.01), "count"),
    _f("n_streamer", "counts", "streamers (streamer.csv rows)", REAL_COUNTS["streamer"], "count",
       "rows of streamer.csv", "dataset page: 452,621 streamers", COUNT, "count"),
    _f("n_room_rows", "counts", "room.csv rows", REAL_COUNTS["room"], "count", "rows of room.csv",
       "files table: room.csv 11,819,964 rows", COUNT, "count"),
    _f("n_room_ids", "counts", "rooms (distinct live_id)", REAL_COUNTS["room_ids"], "count",
       "distinct live_id in room.csv", "dataset page: 11,613,708 rooms", COUNT, "count"),
    _f("n_click", "counts", "clicks", REAL_COUNTS["click"], "count", "rows of click.csv",
       "dataset page: 4,909,515 clicks", COUNT, "count"),
    _f("n_comment", "counts", "comments", REAL_COUNTS["comment"], "count", "rows of comment.csv",
       "dataset page: 196,526 comments", COUNT, "count"),
    _f("n_like", "counts", "likes", REAL_COUNTS["like"], "count", "rows of like.csv",
       "dataset page: 179,311 likes", COUNT, "count"),
    _f("n_gift", "counts", "gifts", REAL_COUNTS["gift"], "count", "rows of gift.csv",
       "dataset page: 72,646 gifts", COUNT, "count"),
    _f("n_negative", "counts", "unclicked exposures (negatives)",
       REAL_COUNTS["negative"], "count",
       "rows of negative.csv", "files table: negative.csv 12,705,835 rows", COUNT, "count"),
    _f("n_interactions", "counts", "interactions", 5_357_998, "count",
       "clicks + comments + likes + gifts", "dataset page: 5,357,998 interactions", COUNT,
       "count"),
    _f("n_sessions", "counts", "click sessions", 4_293_908, "count",
       "distinct (user_id, live_id) among clicks", "sessions = (user, live_id) groups in "
       "click.csv: 4,293,908", COUNT, "count"),
    _f("revenue_total", "counts", "gift revenue (coins)", 6_006_113, "count",
       "sum of gift_price", "gift price ... Sum 6,006,113", TAIL, "count"),
    _f("n_gifted_streamers", "counts", "streamers with a gift", 35_370, "count",
       "distinct streamer_id in gift.csv", "only 7.8% of streamers (35,370) ever receive a "
       "gift", ROUGH, "count"),
    _f("n_gift_pairs", "counts", "(user, streamer) gift pairs", 53_865, "count",
       "distinct (user_id, streamer_id) in gift.csv", "53,865 distinct (user, streamer) gift "
       "pairs", ROUGH, "count"),
    _f("n_click_pairs_train", "counts", "(user, streamer) click pairs, leave-one-out train",
       2_760_000, "count", "distinct (user, streamer) in clicks without each user's last click",
       "2.76 M in clicks (leave-one-out training part)", ROUGH, "count"),
    # ---- engagement rates ------------------------------------------------------------------
    _f("ctr", "engagement rates", "exposure CTR", 0.279, "share",
       "clicks / (clicks + negatives)", "Exposure CTR = clicks / (clicks + negatives) = 27.9%"),
    _f("neg_per_click", "engagement rates", "negatives per click", 2.59, "ratio",
       "negatives / clicks", "2.59 negatives per click"),
    _f("comments_per_click", "engagement rates", "comments per click", 0.040, "share",
       "comments / clicks", "Per click: comments 4.0%"),
    _f("likes_per_click", "engagement rates", "likes per click", 0.0365, "share",
       "likes / clicks", "Per click: likes 3.65%"),
    _f("gifts_per_click", "engagement rates", "gifts per click", 0.0148, "share",
       "gifts / clicks", "Per click: gifts 1.48%"),
    _f("gift_session_share", "engagement rates", "click sessions with a gift", 0.0157, "share",
       "sessions with a gift on the same (user, live)", "1.57% of (user, live) sessions gift"),
    _f("sessions_per_click", "engagement rates", "click sessions per click", 0.87, "ratio",
       "distinct (user, live) / clicks", "4,293,908 (0.87 per click)", (0.05, 0.12)),
    # ---- watch time ------------------------------------------------------------------------
    _f("watch_p50", "watch time", "watch per click, median", 4.5, "seconds",
       "median watch_live_time of clicks", "median 4-5 s", ROUGH, published="4-5 s"),
    _f("watch_lt5", "watch time", "clicks watched < 5 s", 0.539, "share",
       "share of clicks with watch < 5 s", "53.9% under 5 s"),
    _f("watch_5_30", "watch time", "clicks watched 5-30 s", 0.243, "share",
       "share with 5 s <= watch < 30 s", "24.3% 5-30 s"),
    _f("watch_30_300", "watch time", "clicks watched 30-300 s", 0.162, "share",
       "share with 30 s <= watch < 300 s", "16.2% 30-300 s"),
    _f("watch_ge300", "watch time", "clicks watched >= 300 s", 0.056, "share",
       "share with watch >= 300 s", "5.6% over 300 s"),
    _f("watch_p90", "watch time", "watch per click, p90", 135.0, "seconds",
       "90th percentile of watch per click", "p90 about 2-2.5 min", ROUGH,
       published="2-2.5 min"),
    _f("watch_p99", "watch time", "watch per click, p99", 1950.0, "seconds",
       "99th percentile of watch per click", "p99 about 30-35 min", TAIL,
       published="30-35 min"),
    _f("watch_max", "watch time", "watch per click, max", 7176.0, "seconds",
       "largest watch_live_time", "max about 2 h (seed EDA: 119.6 min)", TAIL),
    _f("watch70_p50", "watch time", "watch per click, median (first 70% of clicks)", 4.0,
       "seconds", "median over the earliest 70% of clicks by time",
       "p50 / p90 / p99: 4.0 / 118 / 1,770 s (first 70% of clicks)", ROUGH),
    _f("watch70_p90", "watch time", "watch per click, p90 (first 70% of clicks)", 118.0,
       "seconds", "p90 over the earliest 70% of clicks", "p90 118 s (first 70% of clicks)",
       ROUGH),
    _f("watch70_p99", "watch time", "watch per click, p99 (first 70% of clicks)", 1770.0,
       "seconds", "p99 over the earliest 70% of clicks", "p99 1,770 s (first 70% of clicks)",
       TAIL),
    _f("session_watch_p50", "watch time", "watch per session, median", 4.9, "seconds",
       "summed watch per (user, live) session", "summed watch per session median 4.9 s",
       ROUGH),
    _f("session_watch_mean", "watch time", "watch per session, mean", 514.0, "seconds",
       "mean summed watch per session", "summed watch per session mean 514 s", TAIL),
    _f("session_watch_p90", "watch time", "watch per session, p90", 1026.0, "seconds",
       "p90 of summed watch per session", "p90 1,026 s", ROUGH),
    _f("session_watch_p99", "watch time", "watch per session, p99", 9231.0, "seconds",
       "p99 of summed watch per session", "p99 9,231 s", TAIL),
    _f("user_watch_p50", "watch time", "watch per user over 21 days, median", 2.25, "hours",
       "summed watch per user in user.csv", "per user over 21 days median 2.25 h"),
    _f("user_watch_mean", "watch time", "watch per user over 21 days, mean", 4.74, "hours",
       "mean summed watch per user", "per user mean 4.74 h"),
    _f("user_watch_p99", "watch time", "watch per user over 21 days, p99", 35.0, "hours",
       "p99 of summed watch per user", "per user p99 35 h", TAIL),
    _f("streamer_watch_p50", "watch time", "watch per streamer, median", 24.1, "seconds",
       "summed watch per streamer, all of streamer.csv", "per streamer (all 452,621) median "
       "24.1 s", ROUGH),
    _f("streamer_watch_mean", "watch time", "watch per streamer, mean", 896.0, "seconds",
       "mean summed watch per streamer (all)", "per streamer mean 896 s", TAIL),
    # ---- gifting ---------------------------------------------------------------------------
    _f("price_p50", "gifting", "gift price, median", 2.0, "coins", "median gift_price",
       "Gift price: median 2", (0.0, 1.0), "abs"),
    _f("price_mean", "gifting", "gift price, mean", 82.7, "coins", "mean gift_price",
       "mean 82.7", TAIL),
    _f("price_p90", "gifting", "gift price, p90", 88.0, "coins", "90th percentile of gift_price",
       "p90 88", TAIL),
    _f("price_p95", "gifting", "gift price, p95", 298.0, "coins", "95th percentile of gift_price",
       "Gift price p95 298", TAIL),
    _f("price_p99", "gifting", "gift price, p99", 1488.0, "coins", "99th percentile of gift_price",
       "p99 1,488", TAIL),
    _f("price_max", "gifting", "gift price, max", 56_246.0, "coins", "largest gift_price",
       "max 56,246", (0.5, 2.0)),
    _f("price_le20", "gifting", "gifts priced <= 20", 0.82, "share", "share of gifts with "
       "price <= 20", "82% of gifts are <= 20", (0.05, 0.12)),
    *(_f(f"price_share_{p}", "gifting", f"gifts priced exactly {p}",
        c / REAL_COUNTS["gift"], "share",
         f"share of gifts with price == {p}",
         f"counts of prices 1..20: {c:,} at price {p} (of 72,646)",
         RATE if c >= 3_000 else ROUGH if c >= 1_000 else (0.30, 0.70))
      for p, c in enumerate(_PRICE_COUNTS, start=1)),
    _f("gifts_per_user_mean", "gifting", "gifts per user, mean", 3.06, "per_user",
       "gifts / users in user.csv", "Gifts per user: mean 3.06", ROUGH),
    _f("gifts_per_user_p50", "gifting", "gifts per user, median", 1.0, "per_user",
       "median gift rows per user in user.csv", "Gifts per user: median 1", (0.0, 1.0), "abs"),
    _f("multi_gift_sessions", "gifting", "gifting sessions with 2+ gifts", 0.0235, "share",
       "share of gift (user, live) groups with > 1 gift", "2.35% of gifting sessions hold "
       "more than one gift", (0.25, 0.60)),
    _f("subsecond_gift_share", "gifting", "gift-to-gift intervals < 1 s, per gift",
       5 / REAL_COUNTS["gift"], "share",
       "consecutive gifts of one (user, live) < 1 s apart / gifts",
       "only 5 gift-to-gift intervals under one second in the whole file", (0.0005, 0.005),
       "abs", published="5 of 72,646"),
    _f("gift_at_click_ms", "gifting", "gifts at the millisecond of a click", 0.86, "share",
       "gift with a click on the same (user, streamer, live) at the same ms",
       "86% share the exact millisecond of a click on the same (user, streamer, live)",
       (0.05, 0.12)),
    _f("gift_without_click", "gifting", "gifts without any click on their room", 0.048,
       "share", "gift with no click on the same (user, streamer, live)",
       "4.8% of gifts have no click at all on that (user, streamer, live)", ROUGH),
    _f("gift_click_watch_p50", "gifting", "watch of clicks sharing a gift's ms, median", 322.0,
       "seconds", "median watch of clicks with a gift at the same (user, streamer, live, ms)",
       "Clicks whose gift shares their millisecond watched a median 322 s", ROUGH),
    _f("gift_multi_click_1h", "gifting", "gifts matching 2+ clicks within 1 h", 0.0843,
       "share", "gift with >= 2 clicks on its (user, live) in the hour up to it",
       "8.43% of gifts match two or more clicks within one hour", ROUGH),
    _f("loyal_gift_top_p50", "gifting", "share of a user's gifts to their top streamer, median",
       1.0, "share", "per gifting user: max gifts to one streamer / gifts",
       "share of a user's gifts that go to their top streamer, median 1.0", (0.02, 0.15),
       "abs"),
    _f("loyal_watch_top_p50", "gifting", "share of a user's watch with their top streamer, "
       "median", 0.356, "share", "per user: max watch with one streamer / watch",
       "share of watch time with the top streamer, median 0.356"),
    _f("loyal_watch_top_p90", "gifting", "share of a user's watch with their top streamer, "
       "p90", 0.812, "share", "p90 over users of the same share", "(p90 0.812)"),
    # ---- revenue concentration -------------------------------------------------------------
    _f("gini_user_revenue", "revenue concentration", "Gini of revenue across users", 0.94,
       "ratio", "Gini of summed gift_price over users in user.csv", "Gini 0.94 across users",
       GINI),
    _f("top1_user_revenue", "revenue concentration", "revenue from the top 1% of users", 0.60,
       "share", "Lorenz top-1% share over users", "top 1% of users give 60%"),
    _f("gini_gifted_streamer_revenue", "revenue concentration",
       "Gini of revenue across gifted streamers", 0.93, "ratio",
       "Gini over streamers with revenue > 0", "0.93 across gifted streamers", GINI),
    _f("gini_streamer_clicks", "revenue concentration", "Gini of clicks across streamers",
       0.56, "ratio", "Gini of clicks per streamer, all of streamer.csv",
       "exposure (click) Gini across streamers only 0.56", GINI),
    _f("daily_gini_revenue", "revenue concentration", "daily-averaged Gini of streamer revenue",
       0.926, "ratio", "Gini per full UTC day over gifted streamers, averaged",
       "daily-averaged Gini of streamer revenue 0.926", GINI),
    _f("daily_gini_clicks", "revenue concentration", "daily-averaged Gini of streamer clicks",
       0.563, "ratio", "Gini per full UTC day over clicked streamers, averaged",
       "daily-averaged Gini ... of exposure (clicks) 0.563", GINI),
    _f("top1_streamer_revenue", "revenue concentration", "revenue to the top 1% of streamers",
       0.94, "share", "Lorenz top-1% share over all streamers",
       "the top 1% of streamers take about 94% of revenue", (0.05, 0.12)),
    _f("top1_streamer_clicks", "revenue concentration", "clicks to the top 1% of streamers",
       0.325, "share", "Lorenz top-1% share over all streamers",
       "(the top 1% of streamers take) 32.5% of clicks", ROUGH),
    # ---- streamers -------------------------------------------------------------------------
    _f("gifted_streamer_share", "streamers", "streamers who receive a gift", 0.078, "share",
       "streamers in gift.csv / streamers", "Only 7.8% of streamers (35,370) ever receive a "
       "gift", ROUGH),
    _f("streamer_in_clicks", "streamers", "streamers appearing in click.csv", 1.0, "share",
       "streamers with a click / streamers", "all 452,621 appear in click.csv", (0.001, 0.05),
       "abs"),
    _f("streamer_lt5", "streamers", "streamers with < 5 interactions", 0.70, "share",
       "interactions per streamer, all streamers", "about 70% have fewer than 5 interactions",
       ROUGH),
    _f("streamer_gt40", "streamers", "streamers with > 40 interactions", 0.046, "share",
       "interactions per streamer > 40", "4.6% have more than 40", ROUGH),
    _f("top10_streamer_share", "streamers", "interactions of the top 10 streamers", 0.015,
       "share", "Lorenz share of the top 10 / 452,621 of streamers (= top 10 at full size)",
       "the top 10 account for about 1.5% of interactions", (0.30, 0.80)),
    _f("daily_active_streamers", "streamers", "streamers active on an average day", 0.158,
       "share", "streamers with a click per full UTC day / streamers, mean",
       "about 15.8% are active on an average day", ROUGH),
    _f("daily_active_cv", "streamers", "daily active streamers, coefficient of variation", 0.05,
       "share", "sd / mean over full UTC days except 2025-05-21",
       "daily coefficient of variation about 5%", (0.5, 1.5), published="about 5%"),
    _f("active_dip_0521", "streamers", "active streamers on 2025-05-21 UTC vs other days", 0.5,
       "ratio", "active on 2025-05-21 UTC / mean of other full UTC days",
       "with a dip to about half on 2025-05-21 UTC", ROUGH, published="about half"),
    # ---- users -----------------------------------------------------------------------------
    _f("user_lt50", "users", "users with < 50 interactions", 0.438, "share",
       "interactions per user in user.csv", "43.8% have fewer than 50 interactions"),
    *(_f(f"users_with_{b}", "users", f"users with a {b}", 1.0, "share",
         f"users with a {b} row / users", "Every user did all four behaviours at least once",
         (0.0005, 0.01), "abs") for b in ("click", "comment", "like", "gift")),
    # ---- rooms -----------------------------------------------------------------------------
    _f("room_extra_rows", "rooms", "extra room.csv rows per live_id",
       206_256 / REAL_COUNTS["room_ids"],
       "share", "(rows - distinct live_id) / distinct live_id",
       "room.csv has 206,256 more rows than distinct live_id", (0.15, 0.40)),
    _f("n_long_room_rows", "rooms", "room rows longer than one day", 14_613, "count",
       "rows with end - start > 24 h", "longer than one day (14,613 rows", (0.25, 0.60),
       "count"),
    _f("n_long_room_ids", "rooms", "live_ids with a row longer than one day", 13_849, "count",
       "distinct live_id of those rows", "13,849 live_ids, 0.12%", (0.25, 0.60), "count"),
    _f("long_room_click_share", "rooms", "clicks on rooms longer than one day", 0.004258,
       "share", "clicks whose live_id has a row > 24 h", "removing rooms longer than one day "
       "drops 0.4% of clicks (seed EDA: 20,903 of 4,909,515)", (0.30, 0.80)),
    _f("shop_room_share", "rooms", "shop rooms", 0.10, "share",
       "distinct live_id with category 'shop'", "about 10% of rooms are shop rooms", ROUGH),
    _f("n_shop_rooms", "rooms", "shop rooms lasting 5 min to 24 h", 1_157_314, "count",
       "distinct shop live_id with 5 min < duration < 24 h",
       "Shop rooms (5 min < duration < 24 h): 1,157,314 rooms", ROUGH, "count"),
    _f("shop_dur_p50", "rooms", "shop room duration, median", 134.0, "minutes",
       "shop rooms with 5 min < duration < 24 h", "duration median 134 min"),
    _f("shop_dur_p25", "rooms", "shop room duration, p25", 85.0, "minutes",
       "same rooms, 25th percentile", "(p25 85"),
    _f("shop_dur_p90", "rooms", "shop room duration, p90", 290.0, "minutes",
       "same rooms, 90th percentile", "p90 290)"),
    _f("shop_click_share", "rooms", "clicks on shop rooms", 446_952 / REAL_COUNTS["click"], "share",
       "clicks on those shop rooms / clicks", "shop-room clicks 446,952", ROUGH),
    _f("shop_user_share", "rooms", "users who clicked a shop room",
       15_114 / REAL_COUNTS["user"], "share",
       "users with such a click / users", "by 15,114 users", ROUGH),
    _f("shop_live_mean", "rooms", "shop rooms live at a test click, mean", 8_269, "count",
       "live shop rooms at each user's last click, mean",
       "at any test-click moment a mean of 8,269 shop rooms are live", ROUGH, "count"),
    _f("shop_live_p10", "rooms", "shop rooms live at a test click, p10", 5_291, "count",
       "same, 10th percentile", "(p10 5,291", ROUGH, "count"),
    _f("shop_live_p90", "rooms", "shop rooms live at a test click, p90", 12_032, "count",
       "same, 90th percentile", "p90 12,032)", ROUGH, "count"),
    # ---- calendar --------------------------------------------------------------------------
    *(_f(f"clicks_utc_week{i}", "calendar", f"clicks in UTC week {lab}", n, "count",
         f"clicks with UTC day in {lab}", f"Clicks per UTC week (May 4-10 / 11-17 / 18-24): "
         f"{n:,}", (0.10, 0.25), "count")
      for i, (lab, n) in enumerate((("May 4-10", 1_629_415), ("May 11-17", 1_717_199),
                                    ("May 18-24", 1_409_533)), start=1)),
    _f("clicks_utc_rest", "calendar", "clicks outside the three UTC weeks", 153_368, "count",
       "clicks with UTC day May 25 (08:00-23:00 Beijing)", "the rest (UTC May 25) 153,368",
       (0.15, 0.40), "count"),
    *(_f(f"gpc_utc_p{i}", "calendar", f"gifts per click, UTC {lab}", r, "share",
         f"gifts / clicks with UTC day in {lab}", f"Gifts per click over UTC days 8/7/7: "
         f"{r:.2%}")
      for i, (lab, r) in enumerate((("May 4-11", 0.0139), ("May 12-18", 0.0141),
                                    ("May 19-25", 0.0169)), start=1)),
    _f("interaction_peak_hour", "calendar", "peak hour of interactions (Beijing)", 20.5, "hour",
       "Beijing hour with most interactions", "activity peaks 18:00-24:00", (2.5, 4.5), "abs",
       published="18:00-24:00"),
    _f("noon_peak", "calendar", "a small noon peak of interactions", 1.0, "flag",
       "hour 12 Beijing busier than hours 10 and 15", "with a small noon peak", (0.0, 0.0),
       "abs", published="yes"),
    _f("room_start_peak_hour", "calendar", "peak hour of room starts (Beijing)", 19.5, "hour",
       "Beijing start hour of rooms starting in the window", "Rooms start mostly 18:00-22:00 "
       "Beijing", (2.0, 4.0), "abs", published="18:00-22:00"),
    _f("first_negative_h", "calendar", "first negative.csv row, hours after the window start",
       42.09, "window_h", "timestamp of the file's first row - 2025-05-05 00:00 Beijing",
       "The first row of negative.csv is at 2025-05-06 18:05 Beijing", (0.05, 0.5),
       published="2025-05-06 18:05"),
    # ---- returns ---------------------------------------------------------------------------
    *(_f(f"next_utc_day_w{i}", "returns", f"click followed by a click next UTC day, week {i}",
         r, "share", f"clicks in UTC week {i} whose user clicks on the next UTC day",
         f"followed by a click of the same user on the next UTC day: {r:.1%} (week {i})",
         (0.05, 0.12))
      for i, r in enumerate((0.914, 0.909, 0.890), start=1)),
    _f("next_utc_day_gift", "returns", "next-UTC-day return after a gifting click", 0.789,
       "share", "clicks with a gift on (user, live) within their watch, UTC May 4-24",
       "78.9% for clicks that led to a gift", (0.05, 0.12)),
    _f("next_utc_day_nogift", "returns", "next-UTC-day return after other clicks", 0.892,
       "share", "the other clicks, UTC May 4-24", "vs 89.2% otherwise", (0.05, 0.12)),
    _f("next_day_active", "returns", "next-day return of active users (Beijing days)", 0.90,
       "share", "user-days with an interaction followed by one the next Beijing day",
       "Next-day return of active users is about 90%", (0.05, 0.12)),
    _f("active_all_weeks", "returns", "users active in each of the three weeks", 0.866,
       "share", "users with an interaction in each 7-day Beijing week",
       "86.6% of users are active in each of the three weeks"),
    # ---- demographics ----------------------------------------------------------------------
    _f("user_male", "demographics", "users: male", 0.6185, "share", "gender == 'M' in user.csv",
       "Users: male 61.85%", (0.05, 0.12)),
    _f("user_under18", "demographics", "users: under 18", 0.1693, "share", "age band 12-17",
       "under 18 16.93%"),
    _f("user_18_40", "demographics", "users: 18-40", 0.4393, "share",
       "age bands 18-23, 24-30, 31-40", "18-40 43.93%"),
    _f("user_over40", "demographics", "users: over 40", 1 - 0.1693 - 0.4393, "share",
       "age bands 41-49, 50+", "over 40 the rest"),
    _f("streamer_female", "demographics", "streamers: female", 0.6283, "share",
       "gender == 'F' in streamer.csv", "Streamers: female 62.83%", (0.05, 0.12)),
    _f("streamer_under18", "demographics", "streamers: under 18", 0.0093, "share",
       "age band 12-17", "under 18 0.93%", (0.005, 0.02), "abs"),
    _f("streamer_18_40", "demographics", "streamers: 18-40", 0.6201, "share",
       "age bands 18-23, 24-30, 31-40", "18-40 62.01%"),
    _f("streamer_over40", "demographics", "streamers: over 40", 0.3706, "share",
       "age bands 41-49, 50+", "over 40 37.06%"),
    _f("user_china", "demographics", "users in China", 0.99, "share", "country == 'China'",
       "More than 99% in China", (0.0, 0.04), "min", published="> 99%"),
    _f("streamer_china", "demographics", "streamers in China", 0.99, "share",
       "country == 'China'", "IPs from 83 countries or regions, >99% China", (0.0, 0.04),
       "min", published="> 99%"),
)

EXACT_COUNTS = ("n_user", "n_streamer", "n_room_rows", "n_room_ids", "n_click", "n_comment",
                "n_like", "n_gift", "n_negative", "n_interactions", "n_sessions",
                "revenue_total", "n_gifted_streamers", "n_gift_pairs", "clicks_utc_week1",
                "clicks_utc_week2", "clicks_utc_week3", "clicks_utc_rest", "n_long_room_rows",
                "n_long_room_ids")
"""Counts published exactly and defined without ambiguity: on a real folder they must be
reproduced (:data:`COUNT_REAL_FOLDER`). Rounded or loosely defined counts (2.76 M pairs, shop
rooms live at a moment) keep their own tolerance."""

FACTS: tuple[Fact, ...] = tuple(replace(f, exact=f.key in EXACT_COUNTS) for f in _FACTS)
"""Every fact of ``shared/kuailive-facts.md`` the eight CSV files allow, with its real value."""

NOT_COMPUTED = {
    "repeat consumption 27.1%": "the source's definition of returning 'repeatedly' is not "
                                "recorded (chapter 2 shows several readings)",
    "(user, streamer) pairs in negatives, about 3.9 M": "needs streamer_id of every negative; "
                                                        "negatives are read with the timestamp "
                                                        "only",
    "83 countries or regions": "not said whether of users, streamers or both",
    "paper benchmarks (Recall@20 0.561, AUC 0.851)": "model results, not file statistics",
}
"""Facts of the facts sheet this page does not compute, and why."""



def not_computed_table() -> pd.DataFrame:
    """:data:`NOT_COMPUTED` as a table (``Fact``, ``Why not``)."""
    return pd.DataFrame(list(NOT_COMPUTED.items()), columns=["Fact", "Why not"])


FACT_BY_KEY = {f.key: f for f in FACTS}
if len(FACT_BY_KEY) != len(FACTS):  # pragma: no cover - guards a typo in the table above
    raise RuntimeError("duplicate fact keys in FACTS")


def real_value(key: str) -> float:
    """The real files' value of fact ``key`` (see :data:`FACTS`)."""
    return FACT_BY_KEY[key].real


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------
def _nan_if_empty(fn, values, *args) -> float:
    values = np.asarray(values)
    return float(fn(values, *args)) if values.size else float("nan")


def _quantiles(values, qs) -> list[float]:
    v = np.asarray(values, dtype="float64")
    if not v.size:
        return [float("nan")] * len(qs)
    return [float(x) for x in np.quantile(v, qs)]


def _per_unit(pop_ids: np.ndarray, ids: np.ndarray, weights=None) -> np.ndarray:
    """Sum (or count) of events per unit of the population ``pop_ids`` (zeros included)."""
    size = int(max(pop_ids.max(initial=0), np.asarray(ids).max(initial=0))) + 1
    return np.bincount(ids, weights=weights, minlength=size)[pop_ids]


def _share(mask) -> float:
    mask = np.asarray(mask)
    return float(mask.mean()) if mask.size else float("nan")


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _in_days(day: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    return (day >= span[0]) & (day < span[1])


def _max_share_per_user(user: np.ndarray, other: np.ndarray, weight: np.ndarray
                        ) -> np.ndarray:
    """Per user: the largest total ``weight`` with one ``other`` over the user's total
    (users with a positive total only)."""
    if not len(user):
        return np.zeros(0)
    code, k = dense_codes(combined_key(user, other))
    sums = np.bincount(code, weights=weight, minlength=k)
    pair_user = np.empty(k, dtype=np.int64)
    pair_user[code] = user
    df = pd.DataFrame({"u": pair_user, "w": sums})
    g = df.groupby("u")["w"].agg(["max", "sum"])
    g = g[g["sum"] > 0]
    return (g["max"] / g["sum"]).to_numpy()


def _daily_gini(day: np.ndarray, streamer: np.ndarray, weight, days: tuple[int, int]) -> float:
    """Mean over the UTC days in ``days`` of the Gini across the streamers with a positive
    total that day."""
    keep = _in_days(day, days)
    if not keep.any():
        return float("nan")
    key = combined_key(day[keep], streamer[keep])
    code, k = dense_codes(key)
    w = None if weight is None else np.asarray(weight, dtype="float64")[keep]
    sums = np.bincount(code, weights=w, minlength=k)
    pair_day = np.empty(k, dtype=np.int64)
    pair_day[code] = day[keep]
    ginis = [gini(sums[(pair_day == d) & (sums > 0)])
             for d in np.unique(pair_day) if ((pair_day == d) & (sums > 0)).any()]
    return float(np.mean(ginis)) if ginis else float("nan")


def measure(data_dir) -> dict[str, float]:
    """Every statistic of :data:`FACTS` on the CSV files in ``data_dir`` (raw counts, not
    scaled), keyed like the facts. Values the folder does not allow are NaN.

    Reads only the needed columns through :func:`kuailive_analysis.data.io.read_table` (which
    validates them); ``.csv`` or ``.csv.gz``.
    """
    d = Path(data_dir)
    st: dict[str, float] = {}
    users = IO.read_table(d, "user", columns=["user_id", "age", "gender", "country"])
    strm = IO.read_table(d, "streamer", columns=["streamer_id", "gender", "age", "country"])
    _demographics(st, users, strm)
    uid = users["user_id"].to_numpy(np.int64)
    sid = strm["streamer_id"].to_numpy(np.int64)
    del users, strm
    ev_cols = ["user_id", "live_id", "streamer_id", "timestamp"]
    click = IO.read_table(d, "click")
    gift = IO.read_table(d, "gift")
    com = IO.read_table(d, "comment", columns=ev_cols)
    like = IO.read_table(d, "like", columns=ev_cols)
    neg_ts = IO.read_table(d, "negative", columns=["timestamp"])["timestamp"].to_numpy()
    n_u, n_s = len(uid), len(sid)
    n_c, n_g, n_neg = len(click), len(gift), len(neg_ts)
    st.update(n_user=n_u, n_streamer=n_s, n_click=n_c, n_comment=len(com), n_like=len(like),
              n_gift=n_g, n_negative=n_neg, n_interactions=n_c + len(com) + len(like) + n_g)
    st["first_negative_h"] = ((float(neg_ts[0]) - WINDOW_START_MS) / MS_PER_HOUR
                              if n_neg else float("nan"))
    st["ctr"] = _ratio(n_c, n_c + n_neg)
    st["neg_per_click"] = _ratio(n_neg, n_c)
    del neg_ts
    st["comments_per_click"] = _ratio(len(com), n_c)
    st["likes_per_click"] = _ratio(len(like), n_c)
    st["gifts_per_click"] = _ratio(n_g, n_c)

    c_user = click["user_id"].to_numpy(np.int64)
    c_str = click["streamer_id"].to_numpy(np.int64)
    c_live = click["live_id"].to_numpy(np.int64)
    c_ts = click["timestamp"].to_numpy(np.int64)
    c_watch = click["watch_live_time"].to_numpy(np.int64)
    del click
    g_user = gift["user_id"].to_numpy(np.int64)
    g_str = gift["streamer_id"].to_numpy(np.int64)
    g_live = gift["live_id"].to_numpy(np.int64)
    g_ts = gift["timestamp"].to_numpy(np.int64)
    g_price = gift["gift_price"].to_numpy(np.int64)
    del gift

    # sessions and per-session / per-unit watch
    c_sess = pair_key(c_user, c_live)
    g_sess = pair_key(g_user, g_live)
    s_code, n_sess = dense_codes(c_sess)
    st["n_sessions"] = n_sess
    st["sessions_per_click"] = _ratio(n_sess, n_c)
    sess_keys = np.empty(n_sess, dtype=np.int64)
    sess_keys[s_code] = c_sess
    st["gift_session_share"] = _share(np.isin(sess_keys, g_sess))
    _watch(st, c_watch, c_ts, s_code, n_sess, c_user, c_str, uid, sid)
    _gifting(st, uid, g_user, g_str, g_live, g_ts, g_price, c_user, c_str, c_live, c_ts,
             c_watch, c_sess, g_sess)
    _concentration(st, uid, sid, g_user, g_str, g_price, c_str, c_ts, g_ts)

    # streamers and users: interactions (clicks + comments + likes + gifts)
    others = [(t["user_id"].to_numpy(np.int64), t["streamer_id"].to_numpy(np.int64),
               t["timestamp"].to_numpy(np.int64)) for t in (com, like)]
    del com, like
    s_inter = _per_unit(sid, c_str) + _per_unit(sid, g_str)
    u_inter = _per_unit(uid, c_user) + _per_unit(uid, g_user)
    for u, s, _ in others:
        s_inter += _per_unit(sid, s)
        u_inter += _per_unit(uid, u)
    st["streamer_lt5"] = _nan_if_empty(E.share_below, s_inter, 5)
    st["streamer_gt40"] = _nan_if_empty(E.share_above, s_inter, 40)
    st["top10_streamer_share"] = _nan_if_empty(top_share, s_inter, 10 / REAL_STREAMERS)
    st["user_lt50"] = _nan_if_empty(E.share_below, u_inter, 50)
    for name, ids in (("click", c_user), ("gift", g_user), ("comment", others[0][0]),
                      ("like", others[1][0])):
        st[f"users_with_{name}"] = _share(_per_unit(uid, ids) > 0)
    st["streamer_in_clicks"] = _share(_per_unit(sid, c_str) > 0)

    all_user = np.concatenate([c_user, g_user, others[0][0], others[1][0]])
    all_ts = np.concatenate([c_ts, g_ts, others[0][2], others[1][2]])
    del others
    _calendar(st, c_user, c_str, c_ts, c_live, g_ts, g_user, g_live, c_watch, all_ts, sid)
    _active_days(st, all_user, all_ts, uid)
    del all_user, all_ts
    last = _last_click_per_user(c_user, c_ts)
    train = np.ones(n_c, dtype=bool)
    train[last] = False
    st["n_click_pairs_train"] = (len(np.unique(combined_key(c_user[train], c_str[train])))
                                 if train.any() else 0)
    _rooms(st, d, c_live, c_user, c_ts[last], uid)
    return st


def _last_click_per_user(c_user: np.ndarray, c_ts: np.ndarray) -> np.ndarray:
    """Row of each user's last click (the leave-one-out test click; file order on ties)."""
    if not len(c_user):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((c_ts, c_user))
    return order[np.r_[c_user[order][1:] != c_user[order][:-1], True]]


def _demographics(st: dict, users: pd.DataFrame, strm: pd.DataFrame) -> None:
    ua, sa = users["age"].astype("string"), strm["age"].astype("string")
    st["user_male"] = _share((users["gender"].astype("string") == "M").fillna(False))
    st["streamer_female"] = _share((strm["gender"].astype("string") == "F").fillna(False))
    for who, age in (("user", ua), ("streamer", sa)):
        st[f"{who}_under18"] = _share(age.isin(UNDER_18))
        st[f"{who}_18_40"] = _share(age.isin(AGE_18_40))
        st[f"{who}_over40"] = _share(age.isin(OVER_40))
    st["user_china"] = _share((users["country"].astype("string") == "China").fillna(False))
    st["streamer_china"] = _share((strm["country"].astype("string") == "China").fillna(False))


def _watch(st, c_watch, c_ts, s_code, n_sess, c_user, c_str, uid, sid) -> None:
    if len(c_watch):
        w = E.watch_time_summary(c_watch)
        st.update(watch_lt5=w["share_lt_5s"], watch_5_30=w["share_5_30s"],
                  watch_30_300=w["share_30_300s"], watch_ge300=w["share_ge_300s"],
                  watch_p50=w["p50"], watch_p90=w["p90"], watch_p99=w["p99"],
                  watch_max=w["max"])
    else:
        for k in ("watch_lt5", "watch_5_30", "watch_30_300", "watch_ge300", "watch_p50",
                  "watch_p90", "watch_p99", "watch_max"):
            st[k] = float("nan")
    early = c_watch[np.argsort(c_ts, kind="stable")[: int(0.7 * len(c_ts))]] / MS_PER_SECOND
    st["watch70_p50"], st["watch70_p90"], st["watch70_p99"] = _quantiles(early, [.5, .9, .99])
    sess = np.bincount(s_code, weights=c_watch, minlength=n_sess) / MS_PER_SECOND
    st["session_watch_mean"] = float(sess.mean()) if n_sess else float("nan")
    (st["session_watch_p50"], st["session_watch_p90"],
     st["session_watch_p99"]) = _quantiles(sess, [.5, .9, .99])
    uw = _per_unit(uid, c_user, c_watch) / MS_PER_HOUR
    st["user_watch_mean"] = float(uw.mean()) if len(uw) else float("nan")
    st["user_watch_p50"], st["user_watch_p99"] = _quantiles(uw, [.5, .99])
    sw = _per_unit(sid, c_str, c_watch) / MS_PER_SECOND
    st["streamer_watch_mean"] = float(sw.mean()) if len(sw) else float("nan")
    st["streamer_watch_p50"] = _quantiles(sw, [.5])[0]
    st["loyal_watch_top_p50"], st["loyal_watch_top_p90"] = _quantiles(
        _max_share_per_user(c_user, c_str, c_watch.astype("float64")), [.5, .9])


def _gifting(st, uid, g_user, g_str, g_live, g_ts, g_price, c_user, c_str, c_live, c_ts,
             c_watch, c_sess, g_sess) -> None:
    n_g = len(g_price)
    if n_g:
        p = E.quantile_summary(g_price, qs=(0.5, 0.9, 0.95, 0.99))
        st.update(price_p50=p["p50"], price_mean=p["mean"], price_p90=p["p90"],
                  price_p95=p["p95"], price_p99=p["p99"], price_max=p["max"])
        pc = E.price_counts(g_price, max_price=20)
        st.update({f"price_share_{int(r.price)}": float(r.share) for r in pc.itertuples()})
    else:
        for k in ("price_p50", "price_mean", "price_p90", "price_p95", "price_p99",
                  "price_max", *(f"price_share_{i}" for i in range(1, 21))):
            st[k] = float("nan")
    st["price_le20"] = _share(g_price <= 20)
    st["revenue_total"] = float(g_price.sum())
    per_user = _per_unit(uid, g_user)
    st["gifts_per_user_mean"] = float(per_user.mean()) if len(uid) else float("nan")
    st["gifts_per_user_p50"] = _quantiles(per_user, [.5])[0]
    st["n_gifted_streamers"] = len(np.unique(g_str))
    st["n_gift_pairs"] = len(np.unique(combined_key(g_user, g_str))) if n_g else 0
    # gifting sessions: (user, live) groups of gift.csv
    gs_code, n_gs = dense_codes(g_sess)
    per_gs = np.bincount(gs_code, minlength=n_gs)
    st["multi_gift_sessions"] = _share(per_gs > 1)
    order = np.lexsort((g_ts, g_sess))
    same = g_sess[order][1:] == g_sess[order][:-1]
    gap = np.diff(g_ts[order])
    st["n_subsecond_gifts"] = int((same & (gap < 1000)).sum())
    st["subsecond_gift_share"] = _ratio(st["n_subsecond_gifts"], n_g)
    st["loyal_gift_top_p50"] = _quantiles(
        _max_share_per_user(g_user, g_str, np.ones(n_g)), [.5])[0]
    # gifts against the clicks of their (user, live): a small join
    sel = np.flatnonzero(np.isin(c_sess, g_sess))
    cl = pd.DataFrame({"sess": c_sess[sel], "c_str": c_str[sel], "c_ts": c_ts[sel],
                       "watch": c_watch[sel], "crow": sel})
    gf = pd.DataFrame({"sess": g_sess, "g_str": g_str, "g_ts": g_ts, "grow": np.arange(n_g)})
    m = gf.merge(cl, on="sess")
    same_str = (m["g_str"] == m["c_str"]).to_numpy()
    at_ms = same_str & (m["g_ts"] == m["c_ts"]).to_numpy()
    st["gift_at_click_ms"] = _ratio(len(np.unique(m["grow"].to_numpy()[at_ms])), n_g)
    st["gift_without_click"] = _ratio(n_g - len(np.unique(m["grow"].to_numpy()[same_str])),
                                      n_g)
    zero_clicks = np.unique(m["crow"].to_numpy()[at_ms])
    st["gift_click_watch_p50"] = _quantiles(c_watch[zero_clicks] / MS_PER_SECOND, [.5])[0]
    lag = (m["g_ts"] - m["c_ts"]).to_numpy()
    in_hour = (lag >= 0) & (lag <= MS_PER_HOUR)
    hits = np.bincount(m["grow"].to_numpy()[in_hour], minlength=n_g)
    st["gift_multi_click_1h"] = _share(hits >= 2)


def _concentration(st, uid, sid, g_user, g_str, g_price, c_str, c_ts, g_ts) -> None:
    urev = _per_unit(uid, g_user, g_price.astype("float64"))
    srev = _per_unit(sid, g_str, g_price.astype("float64"))
    sclk = _per_unit(sid, c_str).astype("float64")
    st["gini_user_revenue"] = _nan_if_empty(gini, urev)
    st["top1_user_revenue"] = _nan_if_empty(top_share, urev, 0.01)
    st["gini_gifted_streamer_revenue"] = _nan_if_empty(gini, srev[srev > 0])
    st["gini_streamer_clicks"] = _nan_if_empty(gini, sclk)
    st["top1_streamer_revenue"] = _nan_if_empty(top_share, srev, 0.01)
    st["top1_streamer_clicks"] = _nan_if_empty(top_share, sclk, 0.01)
    st["gifted_streamer_share"] = _share(srev > 0)
    st["daily_gini_revenue"] = _daily_gini(utc_day(g_ts), g_str, g_price, FULL_UTC_DAYS)
    st["daily_gini_clicks"] = _daily_gini(utc_day(c_ts), c_str, None, FULL_UTC_DAYS)


def _calendar(st, c_user, c_str, c_ts, c_live, g_ts, g_user, g_live, c_watch, all_ts,
              sid) -> None:
    cday, gday = utc_day(c_ts), utc_day(g_ts)
    in_weeks = np.zeros(len(cday), dtype=bool)
    for i, span in enumerate(UTC_WEEKS, start=1):
        w = _in_days(cday, span)
        in_weeks |= w
        st[f"clicks_utc_week{i}"] = int(w.sum())
    st["clicks_utc_rest"] = int((~in_weeks).sum())
    for i, span in enumerate(UTC_8_7_7, start=1):
        st[f"gpc_utc_p{i}"] = _ratio(int(_in_days(gday, span).sum()),
                                     int(_in_days(cday, span).sum()))
    hours = np.bincount(beijing_hour(all_ts), minlength=24)
    st["interaction_peak_hour"] = float(np.argmax(hours)) if hours.sum() else float("nan")
    st["noon_peak"] = float(hours[12] > hours[10] and hours[12] > hours[15])
    # active streamers per full UTC day
    full = _in_days(cday, FULL_UTC_DAYS)
    if full.any():
        _, idx = np.unique(combined_key(cday[full], c_str[full]), return_index=True)
        day_of_pair = cday[full][idx]
        per_day = pd.Series(day_of_pair).value_counts().reindex(
            range(*FULL_UTC_DAYS), fill_value=0)
        share = per_day / max(len(sid), 1)
        st["daily_active_streamers"] = float(share.mean())
        rest = share.drop(UTC_MAY_21)
        st["daily_active_cv"] = float(rest.std(ddof=0) / rest.mean()) if rest.mean() else \
            float("nan")
        st["active_dip_0521"] = _ratio(float(share[UTC_MAY_21]), float(rest.mean()))
    else:
        st["daily_active_streamers"] = st["daily_active_cv"] = float("nan")
        st["active_dip_0521"] = float("nan")
    # next-UTC-day click return, per click (UTC weeks; gifting vs other clicks)
    k = cday - UTC_MAY_4
    ok = k >= 0
    size_u = int(c_user.max(initial=0)) + 1
    active = np.zeros((size_u, int(k.max(initial=0)) + 2), dtype=bool)
    active[c_user[ok], k[ok]] = True
    back = np.zeros(len(k), dtype=bool)
    back[ok] = active[c_user[ok], k[ok] + 1]
    for i, span in enumerate(UTC_WEEKS, start=1):
        st[f"next_utc_day_w{i}"] = _share(back[_in_days(cday, span)])
    led = _clicks_led_to_gift(c_user, c_live, c_ts, c_watch, g_user, g_live, g_ts)
    span = _in_days(cday, (UTC_MAY_4, UTC_MAY_25))
    st["next_utc_day_gift"] = _share(back[span & led])
    st["next_utc_day_nogift"] = _share(back[span & ~led])


def _clicks_led_to_gift(c_user, c_live, c_ts, c_watch, g_user, g_live, g_ts) -> np.ndarray:
    """Clicks with a gift on the same (user, live) within [click, click + watch]."""
    c_sess, g_sess = pair_key(c_user, c_live), pair_key(g_user, g_live)
    sel = np.flatnonzero(np.isin(c_sess, g_sess))
    m = pd.DataFrame({"sess": c_sess[sel], "ts": c_ts[sel], "end": c_ts[sel] + c_watch[sel],
                      "row": sel}).merge(pd.DataFrame({"sess": g_sess, "g": g_ts}), on="sess")
    hit = (m["g"] >= m["ts"]) & (m["g"] <= m["end"])
    led = np.zeros(len(c_sess), dtype=bool)
    led[m.loc[hit, "row"].to_numpy()] = True
    return led


def _active_days(st, all_user, all_ts, uid) -> None:
    """Next-day return of active users and activity in all three weeks (Beijing days)."""
    day = beijing_day(all_ts)
    inside = (day >= 0) & (day < N_WINDOW_DAYS)
    ud = np.unique(all_user[inside] * 64 + day[inside])
    u, dd = ud // 64, ud % 64
    nxt = np.isin(ud + 1, ud)
    st["next_day_active"] = _share(nxt[dd != N_WINDOW_DAYS - 1])
    weeks = np.unique(u * 4 + dd // 7)
    per_user = _per_unit(uid, weeks // 4)
    st["active_all_weeks"] = _share(per_user == 3)


def _rooms(st, d: Path, c_live, c_user, test_ts, uid) -> None:
    room = IO.read_table(d, "room", columns=["live_id", "start_timestamp", "end_timestamp",
                                             "live_content_category"])
    live = room["live_id"].to_numpy(np.int64)
    dur = room["end_timestamp"].to_numpy(np.int64) - room["start_timestamp"].to_numpy(np.int64)
    st["n_room_rows"] = len(room)
    ids, first = np.unique(live, return_index=True)
    st["n_room_ids"] = len(ids)
    st["room_extra_rows"] = _ratio(len(room) - len(ids), len(ids))
    long_rows = dur > MS_PER_DAY
    st["n_long_room_rows"] = int(long_rows.sum())
    long_ids = np.unique(live[long_rows])
    st["n_long_room_ids"] = len(long_ids)
    st["long_room_click_share"] = _share(np.isin(c_live, long_ids))
    firsts = room.iloc[first]
    del room
    start = firsts["start_timestamp"].to_numpy(np.int64)
    fdur = dur[first]
    shop = (E.shop_flag(firsts) == "shop").to_numpy()
    st["shop_room_share"] = _share(shop)
    shop5 = shop & (fdur > SHOP_MIN_MS) & (fdur < SHOP_MAX_MS)
    st["n_shop_rooms"] = int(shop5.sum())
    st["shop_dur_p25"], st["shop_dur_p50"], st["shop_dur_p90"] = _quantiles(
        fdur[shop5] / MS_PER_MINUTE, [.25, .5, .9])
    on_shop = np.isin(c_live, ids[shop5])
    st["shop_click_share"] = _share(on_shop)
    st["shop_user_share"] = _share(_per_unit(uid, c_user[on_shop]) > 0)
    starts = np.sort(start[shop5])
    ends = np.sort(start[shop5] + fdur[shop5])
    # shop rooms live at each leave-one-out test click: #{start <= t} - #{end <= t}
    n_live = (np.searchsorted(starts, test_ts, side="right")
              - np.searchsorted(ends, test_ts, side="right"))
    st["shop_live_mean"] = float(n_live.mean()) if len(test_ts) else float("nan")
    st["shop_live_p10"], st["shop_live_p90"] = _quantiles(n_live, [.1, .9])
    st["room_start_peak_hour"] = _peak(E.room_start_hours(pd.DataFrame({"start_ms": start})))


def _peak(hours: pd.DataFrame) -> float:
    n = hours["n_rooms"].to_numpy()
    return float(np.argmax(n)) if n.sum() else float("nan")


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------
def deviation(fact: Fact, value: float) -> float:
    """How far ``value`` (already scaled for counts) is from the real value, in the fact's
    terms: factor ``max(r, 1/r) - 1`` (count, rel), ``|value - real|`` (abs), shortfall
    ``max(real - value, 0)`` (min). NaN when the value is missing."""
    if value is None or not math.isfinite(value):
        return float("nan")
    if fact.mode == "abs":
        return abs(value - fact.real)
    if fact.mode == "min":
        return max(fact.real - value, 0.0)
    r = value / fact.real
    return math.inf if r <= 0 else max(r, 1.0 / r) - 1.0


def judge(fact: Fact, value: float, *, scale: float = 1.0, real_folder: bool = False
          ) -> tuple[float, float, str]:
    """``(compared value, ratio to the real value, verdict)`` of one fact.

    Counts are divided by ``scale`` first; on a real folder the exact counts
    (:data:`EXACT_COUNTS`) must match the published count (:data:`COUNT_REAL_FOLDER`) whatever
    the fact's own tolerance.
    """
    value = float(value) if value is not None else float("nan")
    if fact.mode == "count":
        value = value / scale
    tol = COUNT_REAL_FOLDER if (fact.exact and real_folder) else fact.tol
    ratio = value / fact.real if math.isfinite(value) else float("nan")
    dev = deviation(fact, value)
    if math.isnan(dev):
        return value, ratio, "n/a"
    verdict = "match" if dev <= tol[0] + 1e-12 else "close" if dev <= tol[1] + 1e-12 else "off"
    return value, ratio, verdict


TABLE_COLUMNS = ["Family", "Fact", "Real value", "This data", "Ratio", "Verdict",
                 "How computed", "Key", "Unit", "Published as", "Source", "Measured"]


def compare(stats: dict, *, scale: float = 1.0, real_folder: bool = False,
            facts=FACTS) -> pd.DataFrame:
    """One row per fact: the real value, this folder's value (counts divided by ``scale``),
    their ratio, the verdict and how it was computed (columns :data:`TABLE_COLUMNS`;
    ``Measured`` is the value before scaling)."""
    rows = []
    for f in facts:
        raw = stats.get(f.key, float("nan"))
        value, ratio, verdict = judge(f, raw, scale=scale, real_folder=real_folder)
        rows.append((f.family, f.fact, f.real, value, ratio, verdict, f.how, f.key, f.unit,
                     f.published, f.source, float(raw)))
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def format_value(value: float, unit: str) -> str:
    """A value in the fact's unit as text (en dash when missing)."""
    if value is None or not math.isfinite(value):
        return "\u2013"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "share":
        if value == 0:
            return "0%"
        return (f"{value:.1%}" if abs(value) >= 0.1 else f"{value:.2%}" if abs(value) >= 0.001
                else f"{value:.4%}")
    if unit == "seconds":
        return f"{value:.1f} s" if value < 100 else f"{value:,.0f} s"
    if unit == "minutes":
        return f"{value:,.0f} min"
    if unit == "hours":
        return f"{value:.2f} h" if value < 100 else f"{value:,.0f} h"
    if unit == "coins":
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if unit == "hour":
        return f"{int(value):02d}:00" if value == int(value) else f"{value:g} h"
    if unit == "window_h":  # hours after the window start, shown as a Beijing time
        return format_ms(WINDOW_START_MS + int(round(value * MS_PER_HOUR)), "%Y-%m-%d %H:%M")
    if unit == "flag":
        return "yes" if value >= 0.5 else "no"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Rows with a ratio, from the furthest (|log ratio|) to the nearest."""
    r = table["Ratio"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = np.where(r > 0, np.abs(np.log(np.where(r > 0, r, 1.0))), np.inf)
    ok = np.isfinite(r)
    out = table.loc[ok].assign(_d=dist[ok])
    return out.sort_values("_d", ascending=False, kind="stable").drop(columns="_d")


@dataclass(frozen=True)
class FidelityResult:
    """The fidelity page: ``table`` (one row per fact, see :func:`compare`), ``assumptions``
    (what the twin plants, :func:`~kuailive_analysis.twin.assumptions.assumptions_table`),
    ``source`` (the :class:`~kuailive_analysis.data.data_source.DataSource`; usable by
    ``report.show_provenance``), ``scale`` (counts were divided by it) and the raw ``stats``."""

    table: pd.DataFrame
    assumptions: pd.DataFrame
    source: DataSource
    scale: float
    stats: dict = field(default_factory=dict, repr=False)

    @property
    def is_twin(self) -> bool:
        return self.source.is_twin

    @property
    def label(self) -> str:
        """The data source in words (:attr:`DataSource.label`)."""
        return self.source.label

    def verdict_counts(self) -> pd.DataFrame:
        """Facts per family and verdict (families in book order, a total row last)."""
        t = pd.crosstab(self.table["Family"], self.table["Verdict"])
        t = t.reindex(index=[f for f in FAMILIES if f in t.index],
                      columns=list(VERDICTS), fill_value=0)
        t.loc["all facts"] = t.sum()
        t.columns.name = None
        t.index.name = "Family"
        return t.loc[:, (t != 0).any(axis=0) | (t.columns != "n/a")]

    def worst(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` facts furthest from the real value by ratio (|log ratio|)."""
        return _ranked(self.table).head(n)

    def display_table(self) -> pd.DataFrame:
        """The table as text for the book, indexed by (Family, Fact), families in order."""
        t = self.table
        real = [p or format_value(v, u) for p, v, u in
                zip(t["Published as"], t["Real value"], t["Unit"])]
        this = [format_value(v, u) for v, u in zip(t["This data"], t["Unit"])]
        ratio = ["\u2013" if not math.isfinite(r) else f"{r:.2f}" if r < 100 else f"{r:,.0f}"
                 for r in t["Ratio"]]
        out = pd.DataFrame({"Family": t["Family"], "Fact": t["Fact"], "Real value": real,
                            "This data": this, "Ratio": ratio, "Verdict": t["Verdict"],
                            "How computed": t["How computed"]})
        out["_o"] = out["Family"].map({f: i for i, f in enumerate(FAMILIES)})
        out = out.sort_values("_o", kind="stable").drop(columns="_o")
        return out.set_index(["Family", "Fact"])

    def numbers(self) -> dict:
        """Values for the appendix's text (glue keys)."""
        t = self.table
        v = t["Verdict"].value_counts()
        n = len(t)
        judged = int(n - v.get("n/a", 0))
        if self.is_twin:
            scope = (f"a synthetic twin ({TRUTH_FILE} present), so its counts are divided by its "
                     f"scale, n_users / 23,772 = {self.scale:.4f}, before they are compared")
        else:
            scope = (f"a folder without {TRUTH_FILE}, taken to be a copy of the real files, so its "
                     "counts are compared as they are and must equal the published ones")
        out = {
            "data_label": self.label,
            "scope_text": scope,
            "data_kind": "synthetic twin" if self.is_twin else "data folder",
            "count_scale": float(self.scale),
            "n_facts": n,
            "n_judged": judged,
            "n_families": int(t["Family"].nunique()),
            "n_match": int(v.get("match", 0)),
            "n_close": int(v.get("close", 0)),
            "n_off": int(v.get("off", 0)),
            "n_na": int(v.get("n/a", 0)),
            "share_match": float(v.get("match", 0) / judged) if judged else float("nan"),
            "share_match_or_close": (float((v.get("match", 0) + v.get("close", 0)) / judged)
                                     if judged else float("nan")),
            "n_count_facts": int((t["Unit"] == "count").sum()),
            "n_not_computed": len(NOT_COMPUTED),
            "n_assumptions": len(self.assumptions),
            "n_assumed": int((self.assumptions["Status"] == "assumption").sum())
            if len(self.assumptions) else 0,
            "n_evidence": int((self.assumptions["Status"] == "evidence").sum())
            if len(self.assumptions) else 0,
        }
        worst = self.worst(3)
        for i in range(3):
            if i < len(worst):
                row = worst.iloc[i]
                out[f"worst{i + 1}_fact"] = f"{row['Fact']} ({row['Family']})"
                out[f"worst{i + 1}_ratio"] = float(row["Ratio"])
                out[f"worst{i + 1}_real"] = (row["Published as"]
                                             or format_value(row["Real value"], row["Unit"]))
                out[f"worst{i + 1}_this"] = format_value(row["This data"], row["Unit"])
            else:
                out[f"worst{i + 1}_fact"] = "none"
                out[f"worst{i + 1}_ratio"] = float("nan")
                out[f"worst{i + 1}_real"] = out[f"worst{i + 1}_this"] = "\u2013"
        off = t.loc[t["Verdict"] == "off", "Fact"].tolist()
        out["off_facts"] = ", ".join(off) if off else "none"
        return out


def analyse(data_dir=None) -> FidelityResult:
    """Measure every fact on ``data_dir`` (None: :func:`config.resolve_data_dir`; the default
    twin is generated first when missing, as ``dataset.load`` does) and compare it with the
    real files (see the module docstring for scaling and verdicts)."""
    from kuailive_analysis.data.dataset import ensure_default_twin
    from kuailive_analysis.twin.assumptions import assumptions_table

    d = config.resolve_data_dir(data_dir)
    if config.is_default_twin(d):
        ensure_default_twin()
    source = describe(d)
    stats = measure(d)
    scale = stats["n_user"] / REAL_USERS if source.is_twin else 1.0
    table = compare(stats, scale=scale, real_folder=not source.is_twin)
    return FidelityResult(table=table, assumptions=assumptions_table(), source=source,
                          scale=scale, stats=stats)


# ---------------------------------------------------------------------------------------------
# The twin's own statistics test (tests/test_twin.py)
# ---------------------------------------------------------------------------------------------
TWIN_TEST_BOUNDS: dict[str, tuple[float, float]] = {
    "ctr": (0.25, 0.31), "comments_per_click": (0.030, 0.052),
    "likes_per_click": (0.027, 0.047), "gifts_per_click": (0.011, 0.019),
    "gift_session_share": (0.011, 0.021), "sessions_per_click": (0.82, 0.93),
    "watch_p50": (3.5, 6.0), "watch_lt5": (0.48, 0.60), "watch_5_30": (0.20, 0.29),
    "watch_30_300": (0.13, 0.20), "watch_ge300": (0.04, 0.075), "watch_p90": (100.0, 180.0),
    "watch_p99": (1400.0, 2600.0), "watch_max": (3600.0, 7200.0),
    "user_watch_p50": (1.3, 3.5), "user_watch_mean": (3.0, 7.0),
    "price_share_1": (0.38, 0.52), "price_p50": (1.0, 3.0), "price_mean": (30.0, 200.0),
    "price_p90": (52.0, 166.0), "price_le20": (0.77, 0.87),
    "gini_user_revenue": (0.85, 0.98), "gifted_streamer_share": (0.04, 0.12),
    "streamer_lt5": (0.62, 0.78), "streamer_gt40": (0.025, 0.07), "user_lt50": (0.36, 0.52),
    "n_long_room_ids": (0.0006 * REAL_COUNTS["room_ids"], 0.0025 * REAL_COUNTS["room_ids"]),
    "room_extra_rows": (0.013, 0.023), "long_room_click_share": (0.0015, 0.010),
    "shop_room_share": (0.07, 0.13), "shop_dur_p50": (115.0, 155.0),
    "gift_at_click_ms": (0.80, 0.92), "gift_without_click": (0.025, 0.075),
    "next_day_active": (0.75, 0.95),
    "interaction_peak_hour": (18.0, 23.0), "room_start_peak_hour": (18.0, 22.0),
    **{f"users_with_{b}": (1.0, 1.0) for b in ("click", "comment", "like", "gift")},
}
"""Range accepted by the twin's statistics test for a twin at scale >= 0.02 (about 480 users,
100k clicks, 1.5k gifts), in the fact's compared unit (counts scaled to full size). Wide enough
for the seed-to-seed noise of such a small twin; heavy-tailed statistics get the widest."""

TWIN_COUNT_NOISE = {"user": 0.0, "streamer": 3.0, "room_rows": 3.0, "click": 3.0,
                    "negative": 3.0, "comment": 8.0, "like": 8.0, "gift": 8.0}
"""Count checks of the twin test: relative tolerance ``c / sqrt(n_users)`` (capped at 40%)
around ``real x scale``; users (set exactly, c = 0) within 1%. File totals vary with the
users' heterogeneous propensities, so their noise shrinks like one over the square root of the
number of users (c = 3: 13.8% at scale 0.02, 1.9% at scale 1; c = 8 for the rarer events).
Streamers are the ones the sampled users clicked, so their count is random too (c = 3)."""


def twin_check(stats: dict, scale: float) -> pd.DataFrame:
    """The twin statistics test: one row per checked statistic with ``statistic``, ``twin``
    (compared value), ``real``, ``low``, ``high`` and ``ok`` (``low <= twin <= high``).

    Counts are compared with ``real x scale`` (see :data:`TWIN_COUNT_NOISE`), the other
    statistics with :data:`TWIN_TEST_BOUNDS` (counts among them scaled by ``n_users / 23,772``);
    the price spikes at 10 and 20 coins must be at least twice their neighbours.
    """
    rows = []
    n_users = max(stats["n_user"], 1)
    for name, c in TWIN_COUNT_NOISE.items():
        real = FACT_BY_KEY[f"n_{name}"].real
        tol = 0.01 if c == 0 else min(0.40, c / np.sqrt(n_users))
        tgt = real * scale
        rows.append((f"n_{name}", stats[f"n_{name}"], tgt, (1 - tol) * tgt, (1 + tol) * tgt))
    per_user = n_users / REAL_USERS
    for key, (lo, hi) in TWIN_TEST_BOUNDS.items():
        f = FACT_BY_KEY[key]
        v = stats[key] / per_user if f.mode == "count" else stats[key]
        rows.append((key, v, f.real, lo, hi))
    s = {p: stats.get(f"price_share_{p}", 0.0) for p in (9, 10, 11, 19, 20)}
    rows.append(("price_spike_10", float(s[10] > 2 * max(s[9], s[11])), 1.0, 1.0, 1.0))
    rows.append(("price_spike_20", float(s[20] > 2 * s[19]), 1.0, 1.0, 1.0))
    df = pd.DataFrame(rows, columns=["statistic", "twin", "real", "low", "high"])
    df["ok"] = (df["twin"] >= df["low"]) & (df["twin"] <= df["high"])
    return df
