"""Everything the synthetic twin plants, with the evidence for it (or "no evidence: assumption").

The book runs on the twin by default, so every structure the generator plants comes back as a
"finding". This table is the one place that says which structures are planted and why. The
fidelity appendix renders it; the twin's tests check the measurable ones.

``status`` is ``"evidence"`` (calibrated to a measured fact of the real files, cited in
``evidence``) or ``"assumption"`` (no evidence: the relationship is invented so that the twin is
complete, and a pattern the book finds along it is a recovered assumption, not a discovery).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kuailive_analysis.twin.params import TwinParams

P = TwinParams()
"""The generator's defaults: numbers in the table come from here, so the table cannot drift."""


@dataclass(frozen=True)
class Assumption:
    """One planted relationship of the twin."""

    component: str  # generator part: users, calendar, exposures, clicks, watch, engagement, gifts, rooms, profiles
    planted: str  # what the generator does
    evidence: str  # the measured real fact it is calibrated to, or why it is an assumption
    status: str  # "evidence" or "assumption"


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "sample",
        "Users: the first n of the drawn users with a logged click; streamers: those the kept users clicked (the rest and their rooms and events are dropped)",
        "kuailive-facts: every user did all four behaviours (the sample was drawn that way); all 452,621 streamers appear in click.csv",
        "evidence",
    ),
    Assumption(
        "sample",
        "A kept user with no gift (comment, like) gets exactly one, on one of their own clicks drawn in proportion to its expected gift count (comment / like probability): the conditional distribution of a rare first event",
        "kuailive-facts: every user did all four behaviours; the conditioning rule itself is an assumption about how the sample arose",
        "evidence",
    ),
    Assumption(
        "users",
        f"Activity (screens per on-day) is LogNormal across users (log-sd {P.act_sigma:g}), scaled to the real exposures per user",
        "kuailive-facts: clicks + negatives per user; 43.8% of users under 50 interactions; watch per user median 2.25 h, mean 4.74 h",
        "evidence",
    ),
    Assumption(
        "users",
        f"Daily visit probability Beta({P.p_day_a:g}, {P.p_day_b:g}) (mean {P.p_day_a / (P.p_day_a + P.p_day_b):.2f}), independent of activity",
        "kuailive-facts: next-UTC-day return of clicks 91.4 / 90.9 / 89.0% by week; 86.6% of users active in all three weeks",
        "evidence",
    ),
    Assumption(
        "users",
        f"Weibull activity lifetimes (shape {P.life_shape:g}, scale {P.life_scale:g} days, longer for active users); {P.p_late_entry:.0%} of users enter during the window",
        "no evidence: assumption (the real files have no churn label); retention chapters recover these lifetimes",
        "assumption",
    ),
    Assumption(
        "users",
        "A user who comes on browses until clicking: a day without a click ends on a clicked exposure (the last one shown)",
        "no evidence: assumption (keeps light users' days visible as clicks, as the 90% return implies)",
        "assumption",
    ),
    Assumption(
        "calendar",
        "Screens per on-day follow a week trend "
        + " / ".join(f"{x:.2f}" for x in P.week_trend)
        + " (Beijing days 0-6 / 7-13 / 14-20)",
        "kuailive-facts: clicks per UTC week 1,629,415 / 1,717,199 / 1,409,533 (week 1 holds 6.3 days of data)",
        "evidence",
    ),
    Assumption(
        "calendar",
        f"Saturdays and Sundays have {P.weekend_boost - 1:.0%} more screens than weekdays; each day has LogNormal noise (log-sd {P.day_noise_sigma:g})",
        "no evidence: assumption (the real daily counts by weekday are not published)",
        "assumption",
    ),
    Assumption(
        "calendar",
        f"Rooms starting on 2025-05-21 UTC are thinned to {P.dip_keep:.0%}",
        "kuailive-facts: active streamers dip to about half on 2025-05-21 UTC (the cause is unknown; thinning rooms is an assumption about the mechanism)",
        "evidence",
    ),
    Assumption(
        "calendar",
        f"Visits at the user's habitual hour ({P.p_personal:.0%}) or from the platform's hour profile (evening peak 18:00-24:00, small noon peak)",
        "kuailive-facts: user activity peaks 18:00-24:00 with a small noon peak (the exact profile is an assumption)",
        "evidence",
    ),
    Assumption(
        "exposures",
        f"Screens come in visits (bursts): 1 + about Geometric({P.burst_mu:g}) screens, {P.burst_gap_s:g} s apart on average; a screen shows 1 + Poisson({P.mu_screen:g}) rooms at one millisecond",
        "kuailive-facts quirk 3: several clicks of one user share a timestamp (one screen); burst shape: assumption",
        "evidence",
    ),
    Assumption(
        "exposures",
        f"A room is shown in proportion to its streamer's popularity (LogNormal, log-sd {P.pop_sigma:g}) times its live minutes",
        "kuailive-facts: 70% of streamers under 5 interactions, 4.6% over 40, top 10 about 1.5%",
        "evidence",
    ),
    Assumption(
        "exposures",
        f"Each user has 1 + Poisson({P.fav_mean:g}) favourite streamers that take a Beta({P.fav_a:g}, {P.fav_b:g}) share of their exposures",
        "kuailive-facts: 27.1% of users return to the same streamer repeatedly; share of watch with the top streamer median 0.356",
        "evidence",
    ),
    Assumption(
        "exposures",
        f"Shop rooms get {P.shop_weight:g} of the exposure weight per live minute; rooms of a day or more {P.long_room_weight:g}",
        "kuailive-facts: shop-room clicks 9.1% of clicks with about 10% of rooms; 0.43% of clicks on rooms longer than a day",
        "evidence",
    ),
    Assumption(
        "clicks",
        f"Click log-odds = user effect (sd {P.ctr_sigma:g}) + streamer effect (sd {P.click_streamer_sigma:g}) + room effect (sd {P.click_room_sigma:g}) + {P.fav_click_boost:g} for a favourite streamer; centre set for CTR 27.9%",
        "kuailive-facts: CTR 27.9%; the paper's ID-based CTR models reach AUC 0.84-0.85 (identity carries signal); the split into user / streamer / room effects is an assumption",
        "evidence",
    ),
    Assumption(
        "clicks",
        f"{P.p_shop_averse:.0%} of the users (almost) never click a shop room (log-odds {P.shop_averse_logit:g} on shop rooms)",
        "kuailive-facts: 15,114 of 23,772 users (63.6%) clicked a shop room",
        "evidence",
    ),
    Assumption(
        "clicks",
        f"{P.p_hidden:.1%} of clicks are not logged; their comments, likes and gifts are",
        "kuailive-facts: 4.8% of gifts have no click on that (user, streamer, live)",
        "evidence",
    ),
    Assumption(
        "clicks",
        f"A click is re-entered later the same day with probability {P.p_reenter:.0%} ({2 * P.p_reenter:.0%} for favourites)",
        "kuailive-facts: sessions per click 0.87; 8.43% of gifts match two or more clicks within one hour",
        "evidence",
    ),
    Assumption(
        "watch",
        "Watch per click: bounce LogNormal(median 3.2 s) or stay LogNormal(median 22 s x user scale, log-sd 2.4), folded below 2 h; light users stay longer",
        "kuailive-facts: watch per click median 4-5 s, 53.9% < 5 s, p90 about 2-2.5 min, p99 about 30-35 min, max about 2 h; per-user totals",
        "evidence",
    ),
    Assumption(
        "engagement",
        "A click leads to a comment (like) with probability base x user propensity x h(watch), h growing with the watch; 40% at the click's millisecond",
        "kuailive-facts: comments 4.0% and likes 3.65% per click; the dependence on watch time and propensities: assumption",
        "evidence",
    ),
    Assumption(
        "gifts",
        f"A click leads to a gift with probability 1 - exp(-lambda), lambda = user rate (Gamma, shape {P.gift_shape:g}) x streamer multiplier (LogNormal, log-sd {P.gift_streamer_sigma:g}) x watch minutes ^ {P.gift_watch_exp:g} x {1 + P.fav_gift_boost:g} for a favourite x period factor",
        "kuailive-facts: gifts 1.48% per click, 1.57% of sessions; median 1 gift per user, mean 3.06; clicks whose gift shares their ms watched a median 322 s; only 7.8% of streamers receive a gift. Functional form: assumption",
        "evidence",
    ),
    Assumption(
        "gifts",
        "Gift rate factor "
        + " / ".join(f"{x:.2f}" for x in P.gift_period)
        + " over the UTC periods May 4-11 / 12-18 / 19-25",
        "kuailive-facts: gifts per click 1.39% / 1.41% / 1.69% over those periods (cause unknown)",
        "evidence",
    ),
    Assumption(
        "gifts",
        f"A gifting click holds 1 + Poisson({P.gift_extra_mu:g}) gifts; further gifts fall during the watch, at least 1 s apart",
        "kuailive-facts: 2.35% of gifting sessions hold more than one gift; only 5 sub-second gift intervals",
        "evidence",
    ),
    Assumption(
        "gifts",
        f"The first gift of a click is logged at the click's millisecond with probability {P.p_gift_at_click:g}",
        "kuailive-facts: 86% of gifts share the exact millisecond of a click",
        "evidence",
    ),
    Assumption(
        "gifts",
        f"Gift price from a menu (every price 1..20 with its real count, a tail up to 56,246) tilted per user (theta ~ Normal({P.theta_mu:g}, {P.theta_sigma:g})); {P.whale_share:.0%} whales with a higher tilt (+{P.whale_theta_shift:g}) and {P.whale_gift_mult:g}x the gift rate",
        "kuailive-facts: price counts 1..20, median 2, p90 88, p95 298, p99 1,488, max 56,246; user revenue Gini 0.94, top 1% give 60%. Whale mechanism: assumption",
        "evidence",
    ),
    Assumption(
        "gifts",
        "Price tilt and gift rate are independent except for whales",
        "no evidence: assumption (the Gamma-Gamma independence assumption)",
        "assumption",
    ),
    Assumption(
        "rooms",
        f"Rooms per streamer: Gamma({P.rate_shape:g}) rate times popularity^0.25; every drawn streamer has a room; start at the streamer's habitual hour ({P.p_habit:.0%}) or the platform profile (peak 18:00-22:00)",
        "kuailive-facts: 11.6 M rooms for 452,621 streamers; rooms start mostly 18:00-22:00 Beijing. Rate distribution: assumption",
        "evidence",
    ),
    Assumption(
        "rooms",
        "One live room per streamer at a time (overlaps cut a short break before the next start; rooms starting within 10 min are dropped)",
        "no evidence in the facts either way; a streamer broadcasting twice at once is implausible (the previous twin's overlaps broke the streamer-to-room mapping)",
        "assumption",
    ),
    Assumption(
        "rooms",
        f"Durations: shop rooms LogNormal (median {P.shop_dur_median_min:g} min before cuts, 134 after), other rooms median {P.dur_median_min:g} min (log-sd {P.dur_sigma:g}), capped at 20 h; 0.022% last 7 days (75% live_type -124), 0.015% 1-3 days; still-live rooms capped at 2025-05-27 00:00",
        "kuailive-facts: shop rooms median 134 min (p25 85, p90 290); 14,613 rows longer than a day, many of 7 days with live_type -124; end capped at 1748275200000. Other durations: assumption",
        "evidence",
    ),
    Assumption(
        "rooms",
        f"{P.p_shop_streamer:.1%} of streamers sell goods (85% of their rooms are shop rooms; 1.2% of others' rooms)",
        "kuailive-facts: about 10% of rooms are shop rooms",
        "evidence",
    ),
    Assumption(
        "rooms",
        "Duplicate room rows: midnight-crossing rooms repeated under their start date, plus a few same-date duplicates, with new live_name_id and sometimes a later start",
        "kuailive-facts quirk 1: 206,256 extra rows; duplicates differ in live_name_id and sometimes start_timestamp",
        "evidence",
    ),
    Assumption(
        "rooms",
        "18% of rooms live_type 2; p_date = the room's end date",
        "no evidence: assumption (live_type codes beyond examples are unknown; p_date inferred from example rows)",
        "assumption",
    ),
    Assumption(
        "quirks",
        f"{P.p_streamer_mismatch:.2%} of click rows carry a wrong streamer_id",
        "kuailive-facts quirk 5: a click's streamer_id may disagree with its room's (rate unknown: assumption)",
        "evidence",
    ),
    Assumption(
        "profiles",
        "User and streamer age bands: users 16.93% under 18, 43.93% 18-40; streamers 0.93% under 18, 62.01% 18-40",
        "the paper's demographics (kuailive-facts); the split within 18-40 and over 40 is an assumption",
        "evidence",
    ),
    Assumption(
        "profiles",
        "Users 61.9% male, streamers 62.8% female, >99% China",
        "kuailive-facts",
        "evidence",
    ),
    Assumption(
        "profiles",
        "User device price and brand independent of behaviour",
        "no evidence: assumption (kuailive-facts: nothing is known about device price vs spending, so no link is planted)",
        "assumption",
    ),
    Assumption(
        "profiles",
        "User accu_watch_live_* grow with activity and watch age; streamer fans and play counts grow with popularity, accu_live_* with room rate; streamer device price rises slightly with popularity",
        "no evidence: assumption (profile columns are end-of-window snapshots; their links to behaviour are unknown)",
        "assumption",
    ),
    Assumption(
        "profiles",
        "live_operation_tag independent of the shop category; onehot_feat0/1 lean on activity (users) or popularity (streamers)",
        "no evidence: assumption",
        "assumption",
    ),
)
"""Every planted relationship of the twin (one row each); see :func:`assumptions_table`."""

STATUSES = ("evidence", "assumption")


def assumptions_table() -> pd.DataFrame:
    """The assumptions as a table with readable headers (one row per planted relationship)."""
    for a in ASSUMPTIONS:
        if a.status not in STATUSES:
            raise ValueError(f"assumption {a.planted!r}: status must be one of {STATUSES}")
    return pd.DataFrame(
        [(a.component, a.planted, a.evidence, a.status) for a in ASSUMPTIONS],
        columns=["Component", "What the twin plants", "Evidence", "Status"],
    )
