"""The published values the synthetic twin was tuned to, declared once.

The twin's generator (:mod:`kuailive_analysis.twin`, parameters in
:mod:`kuailive_analysis.twin.params`) sets its parameters so that the files it
writes reproduce some of the published facts about the real files: its assumptions table
(:mod:`kuailive_analysis.twin.assumptions`) cites each of them as the evidence of a planted
relationship, and the twin's own test (:data:`~kuailive_analysis.fidelity.twin_bounds.
TWIN_TEST_BOUNDS`) holds most of them in a range. On the twin such a value is a **calibration
target**: reproducing it checks the generator, it is not a finding about users, and a chapter
finding that rests on it carries ``tuned=True`` ("value the twin was tuned to", never a
headline). The other facts are not targets: agreement with them is the twin's real test.

:data:`TUNED_TO` maps each target (a fact key of :data:`~kuailive_analysis.fidelity.FACTS`) to
the generator component whose assumption cites it and the phrase of that citation (``None``
when the twin's test holds the value without the assumptions table quoting it, or when the
value follows from other targets by definition, e.g. negatives per click from the CTR). The
tests check every phrase against the assumptions table and every statistic of the twin's test
against this table.
"""

from __future__ import annotations

TUNED_TO: dict[str, tuple[str, str | None]] = {
    # the sample and the file sizes
    **{
        f"users_with_{b}": ("sample", "every user did all four behaviours")
        for b in ("click", "comment", "like", "gift")
    },
    "streamer_in_clicks": ("sample", "all 452,621 streamers appear in click.csv"),
    "n_user": ("sample", None),
    "n_streamer": ("sample", None),
    "n_click": ("users", "clicks + negatives per user"),
    "n_negative": ("users", "clicks + negatives per user"),
    "n_comment": ("engagement", "comments 4.0%"),
    "n_like": ("engagement", "likes 3.65%"),
    "n_gift": ("gifts", "gifts 1.48% per click"),
    "n_interactions": ("users", None),  # clicks + comments + likes + gifts
    "n_sessions": ("clicks", "sessions per click 0.87"),
    "n_room_rows": ("rooms", "11.6 M rooms"),
    "n_room_ids": ("rooms", "11.6 M rooms"),
    "n_gifted_streamers": ("gifts", "only 7.8% of streamers receive a gift"),
    # users and the calendar
    "user_lt50": ("users", "43.8% of users under 50 interactions"),
    "user_watch_p50": ("users", "watch per user median 2.25 h"),
    "user_watch_mean": ("users", "mean 4.74 h"),
    "next_utc_day_w1": ("users", "91.4 / 90.9 / 89.0%"),
    "next_utc_day_w2": ("users", "91.4 / 90.9 / 89.0%"),
    "next_utc_day_w3": ("users", "91.4 / 90.9 / 89.0%"),
    "active_all_weeks": ("users", "86.6% of users active in all three weeks"),
    "next_day_active": ("users", None),
    "clicks_utc_week1": ("calendar", "1,629,415"),
    "clicks_utc_week2": ("calendar", "1,717,199"),
    "clicks_utc_week3": ("calendar", "1,409,533"),
    "active_dip_0521": ("calendar", "dip to about half on 2025-05-21 UTC"),
    "interaction_peak_hour": ("calendar", "user activity peaks 18:00-24:00"),
    "noon_peak": ("calendar", "with a small noon peak"),
    # exposures, clicks and watch time
    "streamer_lt5": ("exposures", "70% of streamers under 5 interactions"),
    "streamer_gt40": ("exposures", "4.6% over 40"),
    "top10_streamer_share": ("exposures", "top 10 about 1.5%"),
    "loyal_watch_top_p50": ("exposures", "share of watch with the top streamer median 0.356"),
    "shop_click_share": ("exposures", "shop-room clicks 9.1% of clicks"),
    "long_room_click_share": ("exposures", "0.43% of clicks on rooms longer than a day"),
    "ctr": ("clicks", "CTR 27.9%"),
    "neg_per_click": ("clicks", None),  # 1 / CTR - 1
    "shop_user_share": ("clicks", "15,114 of 23,772 users"),
    "gift_without_click": ("clicks", "4.8% of gifts have no click"),
    "sessions_per_click": ("clicks", "sessions per click 0.87"),
    "gift_multi_click_1h": ("clicks", "8.43% of gifts match two or more clicks"),
    "watch_p50": ("watch", "watch per click median 4-5 s"),
    "watch_lt5": ("watch", "53.9% < 5 s"),
    "watch_5_30": ("watch", None),
    "watch_30_300": ("watch", None),
    "watch_ge300": ("watch", None),
    "watch_p90": ("watch", "p90 about 2-2.5 min"),
    "watch_p99": ("watch", "p99 about 30-35 min"),
    "watch_max": ("watch", "max about 2 h"),
    # engagement and gifts
    "comments_per_click": ("engagement", "comments 4.0%"),
    "likes_per_click": ("engagement", "likes 3.65%"),
    "gifts_per_click": ("gifts", "gifts 1.48% per click"),
    "gift_session_share": ("gifts", "1.57% of sessions"),
    "gifts_per_user_p50": ("gifts", "median 1 gift per user"),
    "gifts_per_user_mean": ("gifts", "mean 3.06"),
    "gift_click_watch_p50": ("gifts", "watched a median 322 s"),
    "gifted_streamer_share": ("gifts", "only 7.8% of streamers receive a gift"),
    "gpc_utc_p1": ("gifts", "1.39% / 1.41% / 1.69%"),
    "gpc_utc_p2": ("gifts", "1.39% / 1.41% / 1.69%"),
    "gpc_utc_p3": ("gifts", "1.39% / 1.41% / 1.69%"),
    "multi_gift_sessions": ("gifts", "2.35% of gifting sessions"),
    "subsecond_gift_share": ("gifts", "only 5 sub-second gift intervals"),
    "gift_at_click_ms": ("gifts", "86% of gifts share the exact millisecond"),
    **{f"price_share_{p}": ("gifts", "price counts 1..20") for p in range(1, 21)},
    "price_p50": ("gifts", "median 2"),
    "price_mean": ("gifts", None),
    "price_p90": ("gifts", "p90 88"),
    "price_p95": ("gifts", "p95 298"),
    "price_p99": ("gifts", "p99 1,488"),
    "price_max": ("gifts", "max 56,246"),
    "price_le20": ("gifts", None),
    "gini_user_revenue": ("gifts", "user revenue Gini 0.94"),
    "top1_user_revenue": ("gifts", "top 1% give 60%"),
    # rooms and profiles
    "room_start_peak_hour": ("rooms", "rooms start mostly 18:00-22:00 Beijing"),
    "shop_dur_p50": ("rooms", "shop rooms median 134 min"),
    "shop_dur_p25": ("rooms", "p25 85"),
    "shop_dur_p90": ("rooms", "p90 290"),
    "n_long_room_rows": ("rooms", "14,613 rows longer than a day"),
    "n_long_room_ids": ("rooms", None),
    "shop_room_share": ("rooms", "about 10% of rooms are shop rooms"),
    "room_extra_rows": ("rooms", "206,256 extra rows"),
    "user_under18": ("profiles", "users 16.93% under 18"),
    "user_18_40": ("profiles", "43.93% 18-40"),
    "user_over40": ("profiles", None),  # the rest
    "streamer_under18": ("profiles", "streamers 0.93% under 18"),
    "streamer_18_40": ("profiles", "62.01% 18-40"),
    "streamer_over40": ("profiles", None),  # the rest
    "user_male": ("profiles", "Users 61.9% male"),
    "streamer_female": ("profiles", "streamers 62.8% female"),
    "user_china": ("profiles", ">99% China"),
    "streamer_china": ("profiles", ">99% China"),
}
"""Calibration targets of the twin: fact key -> (generator component, phrase of the
assumption that cites it, or ``None``: held by the twin's test or implied by other targets)."""


def tuned(key: str) -> bool:
    """True when the twin was tuned to the fact ``key`` (a calibration target)."""
    return key in TUNED_TO
