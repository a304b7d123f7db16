"""The table of facts: every number of ``shared/kuailive-facts.md`` the eight CSV files allow
(:data:`FACTS`), typed once with the phrase of its source, and the facts not computed."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from kuailive_analysis.core.constants import REAL_COUNTS, REAL_PRICE_COUNTS as _PRICE_COUNTS
from kuailive_analysis.fidelity.comparability import NOT_COMPARABLE, SAME_WAY, notes
from kuailive_analysis.fidelity.fact import COUNT, GINI, RATE, ROUGH, TAIL, Fact
from kuailive_analysis.fidelity.targets import TUNED_TO


def _f(key, family, fact, real, unit, how, source, tol=RATE, mode="rel", published=""):
    """One row of the table (positional, for reading the table as a table)."""
    return Fact(key, family, fact, float(real), unit, how, source, tol, mode, published)


# A declaration table (one fact per call, aligned for reading): not reformatted.
# fmt: off
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
# fmt: on


EXACT_COUNTS = (
    "n_user",
    "n_streamer",
    "n_room_rows",
    "n_room_ids",
    "n_click",
    "n_comment",
    "n_like",
    "n_gift",
    "n_negative",
    "n_interactions",
    "n_sessions",
    "revenue_total",
    "n_gifted_streamers",
    "n_gift_pairs",
    "clicks_utc_week1",
    "clicks_utc_week2",
    "clicks_utc_week3",
    "clicks_utc_rest",
    "n_long_room_rows",
    "n_long_room_ids",
)
"""Counts published exactly and defined without ambiguity: on a real folder they must be
reproduced (:data:`COUNT_REAL_FOLDER`). Rounded or loosely defined counts (2.76 M pairs, shop
rooms live at a moment) keep their own tolerance."""

_NOTES = notes({f.key: f for f in _FACTS})
NOTED_KEYS: tuple[str, ...] = tuple(_NOTES)
"""Facts with a note on their comparison: not comparable, compared on a reading of the source,
or contradicted by other published figures (:func:`.comparability.notes`)."""

FACTS: tuple[Fact, ...] = tuple(
    replace(
        f,
        exact=f.key in EXACT_COUNTS,
        comparable=f.key not in NOT_COMPARABLE,
        basis=_NOTES.get(f.key, SAME_WAY),
        tuned=f.key in TUNED_TO,
    )
    for f in _FACTS
)
"""Every fact of ``shared/kuailive-facts.md`` the eight CSV files allow, with its real value,
whether the comparison is valid and why (:mod:`.comparability`) and whether the twin was tuned
to it (:mod:`.targets`)."""

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
_unknown = (set(NOT_COMPARABLE) | set(_NOTES) | set(TUNED_TO)) - set(FACT_BY_KEY)
if _unknown:  # pragma: no cover - guards a typo in the declarations
    raise RuntimeError(f"declarations name unknown facts: {sorted(_unknown)}")
