"""Latent draws of the twin's population: streamers, users and the calendar.

The draws follow :class:`~kuailive_analysis.twin.params.TwinParams` (see the package docstring
and :mod:`kuailive_analysis.twin.assumptions`). Each function consumes its own
``numpy.random.Generator`` in a fixed order, so the same seed gives the same population.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from kuailive_analysis.core.calendar import MS_PER_DAY, N_WINDOW_DAYS, WINDOW_START_MS, beijing_day
from kuailive_analysis.twin.events import LOG_END_MS, USER_HOUR_WEIGHTS, StreamerLatent, UserLatent
from kuailive_analysis.twin.params import TwinParams
from kuailive_analysis.twin.rooms import ROOM_START_HOUR_WEIGHTS


def _logit(p):
    return np.log(p / (1 - p))


def draw_streamers(rng, n_s: int, n_rooms: int, prm: TwinParams) -> dict:
    """Latent draws of ``n_s`` streamers (index = streamer_id - 1): popularity ``pop`` (exposure
    weight, mean 1), ``rate`` (rooms per day, summing to ``n_rooms`` / 21), habitual start hour
    ``habit`` (Beijing hours, float), ``shop`` streamer flag, ``tenure`` and ``live_age`` (days
    before the window), click-logit effect ``click_logit`` and gift multiplier ``gift_mult``
    (mean 1)."""
    pop = np.exp(rng.normal(0, prm.pop_sigma, n_s))
    pop /= pop.mean()
    rate = rng.gamma(prm.rate_shape, 1.0, n_s) * pop**0.25
    rate *= (n_rooms / N_WINDOW_DAYS) / rate.sum()
    hp = ROOM_START_HOUR_WEIGHTS / ROOM_START_HOUR_WEIGHTS.sum()
    habit = rng.choice(24, size=n_s, p=hp) + rng.random(n_s)
    shop = rng.random(n_s) < prm.p_shop_streamer
    tenure = rng.integers(30, 4_200, n_s)
    live_age = (tenure * rng.beta(1.2, 1.0, n_s)).astype(np.int64)
    click_logit = rng.normal(0, prm.click_streamer_sigma, n_s)
    gm = np.exp(rng.normal(0, prm.gift_streamer_sigma, n_s))
    return {
        "pop": pop,
        "rate": rate,
        "habit": habit,
        "shop": shop,
        "tenure": tenure,
        "live_age": live_age,
        "click_logit": click_logit,
        "gift_mult": gm / gm.mean(),
    }


def draw_users(rng, n_u: int, stream: dict, target_exposures: float, prm: TwinParams) -> dict:
    """Latent draws of ``n_u`` users (index = user_id - 1 of the drawn population), scaled so
    that the expected exposures (clicks + negatives) of all users are ``target_exposures``.

    Keys: activity ``z`` (standard normal) and ``act`` (screens per on-day), ``p_day``,
    ``entry`` / ``churn`` (epoch ms of the planted lifetime), ``peak`` (Beijing hour),
    favourites (``fav_share``, CSR ``fav_ptr`` / ``fav`` of 0-based streamers), click, watch,
    engagement and gift draws, ``tenure`` / ``watch_age`` (days before the window)."""
    z = rng.normal(size=n_u)
    act_rel = np.exp(prm.act_sigma * z - prm.act_sigma**2 / 2)
    # daily visit probability, tied to activity (Gaussian copula)
    c = prm.p_day_act_corr
    zc = c * z + np.sqrt(1 - c * c) * rng.normal(size=n_u)
    p_day = stats.beta.ppf(stats.norm.cdf(zc), prm.p_day_a, prm.p_day_b)
    late = rng.random(n_u) < prm.p_late_entry
    entry = np.where(
        late,
        WINDOW_START_MS + (rng.random(n_u) * 19 * MS_PER_DAY).astype(np.int64) + MS_PER_DAY,
        WINDOW_START_MS,
    ).astype(np.int64)
    scale_d = prm.life_scale * np.exp(prm.life_act_exp * z)
    life_d = scale_d * rng.weibull(prm.life_shape, n_u)
    churn = entry + (life_d * MS_PER_DAY).astype(np.int64)
    alive_days = (np.minimum(churn, LOG_END_MS) - entry) / MS_PER_DAY
    # screens per active day, scaled so expected exposures hit the target
    denom = (1 + prm.mu_screen) * np.sum(act_rel * p_day * np.clip(alive_days, 0, None))
    act = act_rel * target_exposures / denom
    hp = USER_HOUR_WEIGHTS / USER_HOUR_WEIGHTS.sum()
    peak = rng.choice(24, size=n_u, p=hp) + rng.random(n_u)
    fav_share = rng.beta(prm.fav_a, prm.fav_b, n_u)
    n_fav = 1 + rng.poisson(prm.fav_mean, n_u)
    vis = stream["pop"] * stream["rate"]
    fav = rng.choice(len(vis), size=int(n_fav.sum()), p=vis / vis.sum()).astype(np.int64)
    fav_ptr = np.concatenate([[0], np.cumsum(n_fav)]).astype(np.int64)
    ctr_logit = _logit(prm.ctr_mean) + prm.ctr_sigma * rng.normal(size=n_u)
    # light users stay longer per click (keeps the per-user watch total less skewed),
    # centred on the click-weighted activity so the per-click watch keeps its calibrated shape
    cw = prm.watch_act_coef
    zt = z - prm.act_sigma
    stay_logit = prm.stay_logit_mean - cw * zt + prm.stay_logit_sigma * rng.normal(size=n_u)
    ws = np.exp(
        prm.watch_scale_sigma * rng.normal(size=n_u)
        - cw * zt
        - prm.watch_scale_sigma**2 / 2
        - cw**2 / 2
    )
    ze = rng.normal(size=n_u)
    zl = 0.6 * ze + 0.8 * rng.normal(size=n_u)
    cprop = np.exp(prm.eng_sigma * ze - prm.eng_sigma**2 / 2)
    lprop = np.exp(prm.eng_sigma * zl - prm.eng_sigma**2 / 2)
    whale = rng.random(n_u) < prm.whale_share
    theta = rng.normal(prm.theta_mu, prm.theta_sigma, n_u) + prm.whale_theta_shift * whale
    gift_rate = (
        prm.gift_mean
        * rng.gamma(prm.gift_shape, 1.0 / prm.gift_shape, n_u)
        * np.where(whale, prm.whale_gift_mult, 1.0)
    )
    # tenure: registration and first live watch (new users: first watch = entry date)
    tenure = rng.integers(0, 4_500, n_u)
    watch_age = (tenure * rng.beta(1.0, 1.5, n_u)).astype(np.int64)
    new = late & (rng.random(n_u) < 0.5)
    entry_day = beijing_day(entry)
    watch_age = np.where(new, -entry_day, watch_age)
    tenure = np.where(new, np.maximum(tenure // 20, -entry_day), tenure)
    return {
        "z": z,
        "act": act,
        "p_day": p_day,
        "entry": entry,
        "churn": churn,
        "peak": peak,
        "fav_share": fav_share,
        "fav_ptr": fav_ptr,
        "fav": fav,
        "ctr_logit": ctr_logit,
        "shop_averse": rng.random(n_u) < prm.p_shop_averse,
        "stay_logit": stay_logit,
        "watch_scale": ws,
        "cprop": cprop,
        "lprop": lprop,
        "theta": theta,
        "whale": whale,
        "gift_rate": gift_rate,
        "tenure": tenure,
        "watch_age": watch_age,
    }


def calendar_factors(rng, prm: TwinParams) -> np.ndarray:
    """Factor on each Beijing day's screens: week trend x weekend rhythm x day noise (about 1
    on average over the window). 2025-05-05 (day 0) is a Monday."""
    d = np.arange(N_WINDOW_DAYS)
    trend = np.asarray(prm.week_trend, float)[d // 7]
    weekend = np.where(d % 7 >= 5, prm.weekend_boost, 1.0)
    weekend /= weekend.mean()
    noise = np.exp(rng.normal(0, prm.day_noise_sigma, len(d)) - prm.day_noise_sigma**2 / 2)
    return trend / trend.mean() * weekend * noise


def user_latent(usr: dict, prm: TwinParams) -> UserLatent:
    """The per-user draws that the day-by-day event process reads."""
    return UserLatent(
        entry_ms=usr["entry"],
        churn_ms=usr["churn"],
        p_day=usr["p_day"],
        act=usr["act"],
        peak_hour=usr["peak"],
        fav_share=usr["fav_share"],
        fav_ptr=usr["fav_ptr"],
        fav_streamer=usr["fav"],
        ctr_logit=usr["ctr_logit"],
        shop_logit=np.where(usr["shop_averse"], prm.shop_averse_logit, 0.0),
        stay_logit=usr["stay_logit"],
        watch_scale=usr["watch_scale"],
        comment_prop=usr["cprop"],
        like_prop=usr["lprop"],
        gift_rate=usr["gift_rate"],
    )


def streamer_latent(stream: dict) -> StreamerLatent:
    """The per-streamer draws that the event process reads (room effects come with the day's
    rooms, :class:`~kuailive_analysis.twin.events.DayRooms`)."""
    return StreamerLatent(
        pop=stream["pop"],
        click_logit=stream["click_logit"],
        gift_mult=stream["gift_mult"],
    )
