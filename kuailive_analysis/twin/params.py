"""The twin generator's parameters (:class:`TwinParams`) and the sizes that follow from a scale.

Every knob is recorded in ``truth.json``; :mod:`kuailive_analysis.twin.assumptions` gives the
evidence for each one (or says that there is none). Times are in ms, rates per Beijing day and
probabilities per event unless a comment says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kuailive_analysis.core.constants import REAL_COUNTS


@dataclass(frozen=True)
class TwinParams:
    """Every knob of the generator (recorded in truth.json). Rates are per day unless stated.
    :mod:`kuailive_analysis.twin.assumptions` gives the evidence for each (or says none)."""

    # sample rule: draw more users / streamers than needed, keep those the rule selects
    user_overdraw: float = 1.08
    streamer_overdraw: float = 2.83
    room_overdraw: float = 0.613  # rooms drawn per drawn streamer, relative to the real rate
    exposure_overdraw: float = 1.06  # exposures lost with the dropped streamers
    # users: activity and lifetime
    act_sigma: float = 1.55  # log-sd of screens per active day
    p_day_a: float = 5.0  # Beta(a, b) of the daily visit probability
    p_day_b: float = 1.0
    p_day_act_corr: float = 0.0  # Gaussian-copula correlation of visit probability and activity
    p_late_entry: float = 0.05  # share of users whose lifetime starts inside the window
    life_shape: float = 0.9  # Weibull shape of the activity lifetime (days)
    life_scale: float = 300.0  # Weibull scale (days) for a median-activity user
    life_act_exp: float = 0.3  # lifetime scale grows as activity ** life_act_exp
    p_personal: float = 0.45  # share of visits at the user's habitual hour
    burst_mu: float = 1.5  # screens per visit = 1 + about Geometric with this mean
    burst_gap_s: float = 45.0  # mean gap between screens of one visit (s)
    mu_screen: float = 1.5  # exposures per screen = 1 + Poisson(mu_screen)
    fav_a: float = 1.5  # Beta(a, b) share of exposures from favourite streamers
    fav_b: float = 3.5
    fav_mean: float = 2.5  # favourite streamers per user = 1 + Poisson(fav_mean)
    # calendar: factor on screens per on-day by Beijing day
    week_trend: tuple = (
        1.0,
        0.91,
        0.71,
    )  # days 0-6 / 7-13 / 14-20 (real UTC weeks 1.63/1.72/1.41M)
    weekend_boost: float = 1.05  # Saturday and Sunday vs weekdays (assumption)
    day_noise_sigma: float = 0.04  # log-sd of the day-to-day noise (assumption)
    # clicks
    ctr_mean: float = 0.235  # baseline click probability (logit-normal centre)
    ctr_sigma: float = 0.75  # user effect (log-odds sd)
    click_streamer_sigma: float = 0.8  # streamer effect (log-odds sd)
    click_room_sigma: float = 0.4  # room effect (log-odds sd)
    p_shop_averse: float = 0.6  # users who (almost) never click a shop room
    shop_averse_logit: float = -4.0
    fav_click_boost: float = 1.0  # logit boost for a favourite streamer's room
    p_reenter: float = 0.05  # re-entry probability per click (doubled for favourites)
    reenter_gap_min: float = 20.0
    stay_logit_mean: float = -0.15  # stay vs bounce (watch-time mixture)
    stay_logit_sigma: float = 0.8
    watch_scale_sigma: float = 0.5
    watch_act_coef: float = 0.35  # stay logit and watch scale fall with activity z
    p_hidden: float = 0.063  # clicks not logged (their engagements are)
    p_streamer_mismatch: float = 1e-4  # click rows with a wrong streamer_id
    # comments and likes
    comment_base: float = 0.034
    comment_extra: float = 0.06
    like_base: float = 0.0315
    like_extra: float = 0.05
    eng_sigma: float = 0.7
    p_eng_at_click: float = 0.4
    # gifts: Poisson(lambda) per click, lambda = rate_u x mult_s x minutes**exp x ...
    gift_mean: float = 0.013  # mean gift rate per click with a 1-minute watch
    gift_shape: float = 0.2  # Gamma shape of the user gift rate (heterogeneity)
    gift_streamer_sigma: float = 1.0  # log-sd of the streamer gift multiplier
    gift_watch_exp: float = 0.75
    gift_extra_mu: float = 0.012  # further gifts of a gifting click: Poisson(gift_extra_mu)
    fav_gift_boost: float = 1.0
    gift_period: tuple = (1.0, 1.02, 1.25)  # UTC periods May 4-11 / 12-18 / 19-25
    p_gift_at_click: float = 0.93
    theta_mu: float = -0.04
    theta_sigma: float = 0.15
    whale_share: float = 0.01  # whales: higher price tilt and gift rate
    whale_theta_shift: float = 0.3
    whale_gift_mult: float = 20.0
    combo_rate: float = 0.0
    combo_p: float = 0.3
    # streamers and rooms
    pop_sigma: float = 1.7  # log-sd of streamer popularity
    rate_shape: float = 0.7  # Gamma shape of rooms per day
    p_shop_streamer: float = 0.115
    shop_dur_median_min: float = 200.0  # before one-room-at-a-time cuts (measured after: 134)
    shop_weight: float = 0.65  # exposure weight of shop rooms per live minute
    p_habit: float = 0.6
    dur_median_min: float = 45.0
    dur_sigma: float = 1.15
    p_type2: float = 0.18
    p_week: float = 2.2e-4
    p_long: float = 1.5e-4
    long_room_weight: float = 0.045  # exposure weight of rooms lasting a day or more
    dip_keep: float = 0.2  # share of rooms kept that start on 2025-05-21 UTC
    carry_in_share: float = 0.004
    extraction_after_end_h: float = 3.0  # rooms live this long after the window end are capped
    title_pool: float = 0.25
    p_generic_title: float = 0.02
    p_no_title: float = 0.05
    q_cross: float = 0.35
    q_same: float = 0.0
    dup_rate: float = 206_256 / REAL_COUNTS["room_ids"]  # extra room rows per room (target)
    # filled from scale
    n_streamers: int = 0


def scaled_count(real: float, scale: float, minimum: int) -> int:
    """``real * scale`` rounded to an integer, at least ``minimum``."""
    return max(int(round(real * scale)), minimum)


@dataclass(frozen=True)
class TwinSizes:
    """Counts that follow from ``scale`` (1.0 = real size).

    ``n_users`` / ``n_streamers`` are the sizes of the sample; the generator simulates
    ``n_users_drawn`` users and ``n_streamers_drawn`` streamers (the overdraws) and draws about
    ``n_rooms_drawn`` rooms for them, because the sample rule drops some of each.
    """

    n_users: int
    n_streamers: int
    n_users_drawn: int
    n_streamers_drawn: int
    n_rooms_drawn: int

    @classmethod
    def of(cls, scale: float, prm: TwinParams) -> TwinSizes:
        """Sizes at ``scale`` (tiny scales keep at least 50 users and 500 streamers)."""
        n_u = scaled_count(REAL_COUNTS["user"], scale, 50)
        n_s = scaled_count(REAL_COUNTS["streamer"], scale, 500)
        n_s_gen = int(np.ceil(n_s * prm.streamer_overdraw))
        rooms_per_streamer = REAL_COUNTS["room_ids"] / REAL_COUNTS["streamer"] * prm.room_overdraw
        return cls(
            n_users=n_u,
            n_streamers=n_s,
            n_users_drawn=int(np.ceil(n_u * prm.user_overdraw)),
            n_streamers_drawn=n_s_gen,
            n_rooms_drawn=scaled_count(rooms_per_streamer, n_s_gen, 1),
        )
