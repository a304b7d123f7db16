"""The synthetic KuaiLive twin: the book's embedded default dataset.

:func:`generate` writes the eight real CSV files (exact names, column order and encodings from
:mod:`kuailive_analysis.data.schema`) plus the ground truth:

* ``truth.json``: generator version, scale, seed, every model parameter (:class:`TwinParams`),
  row counts of the files exactly as written, and how the sample rule was imposed;
* ``truth_users.csv``: one row per user_id with the planted quantities the book estimates:
  ``entry_ms`` / ``churn_ms`` (planted active lifetime; ``churn_ms`` beyond the window end =
  not churned in the window), the behavioural draws (activity, daily visit probability, CTR,
  favourite share, gift rate per watched minute, price tilt, whale flag, expected price per
  gift) and which of the user's first gift / comment / like the sample rule added.

The behavioural model is in :mod:`kuailive_analysis.twin.events` (users, visits, screens,
exposures, clicks, watch, and the comments, likes and gifts that clicks lead to),
:mod:`kuailive_analysis.twin.rooms` (room schedules, one live room per streamer at a time, and
the room file's quirks), :mod:`kuailive_analysis.twin.gifts` (price menu) and
:mod:`kuailive_analysis.twin.profiles` (binned profile columns). Every planted relationship is
listed, with its evidence or as an assumption, in :mod:`kuailive_analysis.twin.assumptions`.

**The sample rule as conditioning.** The real sample holds users who clicked, commented, liked
and gifted at least once, and streamers that at least one of them clicked. The generator draws
more users and streamers than it needs (``user_overdraw``, ``streamer_overdraw``), simulates
everyone with the same process, keeps the first ``n_users`` users with a logged click and the
streamers those users clicked (their rooms and events; the rest are dropped, as the sampling
dropped them), and then conditions on "at least one gift, comment and like": a kept user
whose process produced none gets exactly one, on one of their own clicks chosen with
probability proportional to that click's expected gift count (comment / like probability).
For rare events this is the conditional distribution of the first event given that there is
one, so the added events look like every other event (no schedule, no special session).
``truth_users.csv`` flags the users concerned (``gift_added``, ``comment_added``,
``like_added``).

Counts scale linearly with ``scale`` (1.0 = real size: 23,772 users, 452,621 streamers, about
11.6M rooms, 4.9M clicks, 12.7M negatives). Output is byte-identical for the same
``(scale, seed)``: all randomness flows from ``numpy.random.default_rng`` streams derived from
the seed, and files are written in a deterministic order with pyarrow's CSV writer.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from scipy import special, stats

from kuailive_analysis import __version__
from kuailive_analysis.config import DEFAULT_SEED
from kuailive_analysis.core.calendar import (
    CAPPED_END_MS,
    MS_PER_DAY,
    N_WINDOW_DAYS,
    TZ,
    WINDOW_END_MS,
    WINDOW_START_MS,
    beijing_day,
)
from kuailive_analysis.core.constants import REAL_COUNTS
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.data_source import TRUTH_FILE, TRUTH_USERS_FILE  # noqa: F401 (re-exported)
from kuailive_analysis.twin.events import (
    LOG_END_MS,
    USER_HOUR_WEIGHTS,
    DaySlots,
    RoomIndex,
    StreamerLatent,
    UserLatent,
    engagement_times,
    generate_day,
    gift_times,
)
from kuailive_analysis.twin.gifts import draw_prices, expected_price
from kuailive_analysis.twin.profiles import make_streamers, make_users
from kuailive_analysis.twin.rooms import (
    ROOM_START_HOUR_WEIGHTS,
    make_rooms,
    subset_rooms,
    write_rooms,
)


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


def _n(real: int, scale: float, minimum: int) -> int:
    return max(int(round(real * scale)), minimum)


def _logit(p):
    return np.log(p / (1 - p))


def _draw_streamers(rng, n_s: int, n_rooms: int, prm: TwinParams) -> dict:
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


def _draw_users(rng, n_u: int, stream: dict, target_exposures: float, prm: TwinParams) -> dict:
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


_WRITE_OPTS = pacsv.WriteOptions(
    include_header=True, quoting_style="none", quoting_header="none", batch_size=65_536
)


def _arrow(df: pd.DataFrame, sch: S.FileSchema) -> pa.Table:
    cols = {}
    for c in sch.columns:
        v = df[c.name].to_numpy()
        cols[c.name] = pa.array(v, type=pa.string() if v.dtype == object else pa.int64())
    return pa.table(cols)


def _write_csv(df: pd.DataFrame, path: Path, sch: S.FileSchema) -> None:
    pacsv.write_csv(_arrow(df, sch), str(path), _WRITE_OPTS)


def _event_frame(sch: S.FileSchema, u, live, strm, ts, extra=None) -> pd.DataFrame:
    """Event rows in file order: by timestamp, then user, then live (stable). ``u`` and ``live``
    are 0-based; ``strm`` is the 1-based streamer_id."""
    order = np.lexsort((live, u, ts))
    cols = {
        "user_id": u[order] + 1,
        "live_id": live[order] + 1,
        "streamer_id": strm[order],
        "timestamp": ts[order],
    }
    if extra is not None:
        cols[sch.column_names[-1]] = extra[order]
    return pd.DataFrame(cols)[sch.column_names]


def _one_per_user(rng, users: np.ndarray, weight: np.ndarray, need: np.ndarray) -> np.ndarray:
    """For each user with ``need[user]``, one row index among that user's rows, drawn with
    probability proportional to ``weight`` (Efraimidis-Spirakis keys: ``log(U) / w``, max per
    user)."""
    rows = np.flatnonzero(need[users] & (weight > 0))
    key = np.log(rng.random(len(rows))) / weight[rows]
    order = np.lexsort((-key, users[rows]))
    r = rows[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = users[r][1:] != users[r][:-1]
    return r[first]


def _cat(parts, i):
    return np.concatenate([p[i] for p in parts])


class TwinError(ValueError):
    """The twin cannot be written where asked (bad scale or seed, the target is a file or a
    folder that is not a twin); the message says why in one line."""


def check_scale_seed(scale, seed) -> None:
    """Raise :class:`TwinError` unless 0 < ``scale`` <= 5 and ``seed`` is a non-negative int."""
    numeric = isinstance(scale, (int, float, np.floating)) and not isinstance(scale, bool)
    if not (numeric and 0 < scale <= 5):
        shown = f"{scale:g}" if numeric else repr(scale)
        raise TwinError(
            f"The twin scale must be above 0 and at most 5 (1 = real size), not {shown}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TwinError(f"The twin seed must be a non-negative integer, not {seed!r}.")


def partial_files(folder) -> list[str]:
    """Names in ``folder`` when it exists and holds files but no :data:`TRUTH_FILE` (an
    interrupted generation by an older version, or a folder that is not a twin); else []."""
    folder = Path(folder)
    if not folder.is_dir() or (folder / TRUTH_FILE).is_file():
        return []
    return sorted(p.name for p in folder.iterdir())


def generate(out_dir, scale: float = 0.1, seed: int = DEFAULT_SEED, progress: bool = True) -> Path:
    """Write a synthetic KuaiLive twin into ``out_dir`` and return its path.

    ``scale`` = 1.0 is the real size (counts scale linearly; tiny scales keep at least 50 users
    and 500 streamers); ``seed`` fixes every random draw (same seed and scale give
    byte-identical files). ``progress`` shows a tqdm bar over the 21 days on stderr when it is a
    terminal.

    Atomic: the files are written into ``<out_dir>.partial-<pid>`` beside the target, which is
    renamed into place only when complete (an interrupt or error removes it), so ``out_dir`` is
    never left half written. An existing twin in ``out_dir`` is replaced; an empty folder is
    used; a file, or a folder holding anything else (e.g. a partial twin from an older version),
    raises :class:`TwinError` and nothing is touched.
    """
    check_scale_seed(scale, seed)
    out = Path(out_dir).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise TwinError(f"{out} is a file, not a folder; choose another output folder.")
    leftover = partial_files(out)
    if leftover:
        raise TwinError(
            f"{out} is not empty and holds no {TRUTH_FILE}, so it is not a complete twin "
            f"(found {', '.join(leftover[:4])}{', ...' if len(leftover) > 4 else ''}; "
            "an interrupted generation?); delete it or choose another output folder."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.partial-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        _generate_files(tmp, scale, seed, progress)
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        if out.exists():  # a complete twin: swap, then remove the old one
            old = out.with_name(f"{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _generate_files(out: Path, scale: float, seed: int, progress: bool) -> None:
    """Write the twin's files into the existing folder ``out`` (:data:`TRUTH_FILE` last)."""
    prm = TwinParams()
    n_u = _n(REAL_COUNTS["user"], scale, 50)
    n_s = _n(REAL_COUNTS["streamer"], scale, 500)
    n_u_gen = int(np.ceil(n_u * prm.user_overdraw))
    n_s_gen = int(np.ceil(n_s * prm.streamer_overdraw))
    n_rooms = _n(REAL_COUNTS["room_ids"] / REAL_COUNTS["streamer"] * prm.room_overdraw, n_s_gen, 1)
    prm = TwinParams(n_streamers=n_s_gen)
    ss = np.random.SeedSequence([int(seed), int(round(scale * 1e6))])
    r_str, r_usr, r_room, r_prof, r_fix, r_cal, r_days = (
        np.random.default_rng(s) for s in ss.spawn(7)
    )
    day_seeds = r_days.bit_generator.seed_seq.spawn(N_WINDOW_DAYS)

    stream = _draw_streamers(r_str, n_s_gen, n_rooms, prm)
    target_exp = (
        (REAL_COUNTS["click"] + REAL_COUNTS["negative"])
        / REAL_COUNTS["user"]
        * n_u_gen
        * prm.exposure_overdraw
    )
    usr = _draw_users(r_usr, n_u_gen, stream, target_exp, prm)
    rooms = make_rooms(
        r_room,
        n_target=n_rooms,
        room_rate=stream["rate"],
        habit_hour=stream["habit"],
        shop_streamer=stream["shop"],
        prm=prm,
    )
    lat = UserLatent(
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
    strm = StreamerLatent(
        pop=stream["pop"],
        click_logit=stream["click_logit"],
        gift_mult=stream["gift_mult"],
        room_logit=r_room.normal(0, prm.click_room_sigma, len(rooms)),
    )
    cal = calendar_factors(r_cal, prm)

    index = RoomIndex(rooms)
    ev = {"click": [], "negative": [], "comment": [], "like": [], "gift": []}
    days = range(N_WINDOW_DAYS)
    if progress:
        from tqdm import tqdm  # plain text bar (tqdm.auto may warn in kernels without widgets)

        # disable=None: the bar shows on a terminal only (not in notebooks, papermill or logs)
        days = tqdm(days, desc="twin: days", unit="day", disable=None)
    for d in days:
        rng = np.random.default_rng(day_seeds[d])
        slots = DaySlots(rooms, index, d, stream["pop"], prm.long_room_weight, prm.shop_weight)
        day_ev = generate_day(rng, d, lat, strm, rooms, slots, float(cal[d]), prm)
        for k in ev:
            ev[k].append(day_ev[k])
        del slots, day_ev

    # --- the sample rule: users with a logged click; the streamers they clicked -------------
    c = [_cat(ev["click"], i) for i in range(8)]
    cu, cr, ct, cw, clog, clam, cpc, cpl = c
    del ev["click"]
    has_click = np.bincount(cu[clog], minlength=n_u_gen) > 0
    kept_u = np.flatnonzero(has_click)[:n_u]
    umap = np.full(n_u_gen, -1, dtype=np.int64)
    umap[kept_u] = np.arange(len(kept_u))
    c_str = rooms.streamer[cr]
    clicked_s = np.unique(c_str[(umap[cu] >= 0) & clog])
    smap = np.zeros(n_s_gen + 1, dtype=np.int64)
    smap[clicked_s] = np.arange(1, len(clicked_s) + 1)
    room_kept = smap[rooms.streamer] > 0
    rmap = np.full(len(rooms), -1, dtype=np.int64)
    rmap[room_kept] = np.arange(int(room_kept.sum()))

    def _keep(u, r):
        return (umap[u] >= 0) & (rmap[r] >= 0)

    k = _keep(cu, cr)
    cu, cr, ct, cw, clog, clam, cpc, cpl = (x[k] for x in (cu, cr, ct, cw, clog, clam, cpc, cpl))
    cu, cr = umap[cu], rmap[cr]
    tables = {}
    for name in ("negative", "comment", "like", "gift"):
        u, r, t = (_cat(ev[name], i) for i in range(3))
        k = _keep(u, r)
        tables[name] = [umap[u[k]], rmap[r[k]], t[k]]
    del ev
    rooms = subset_rooms(rooms, np.flatnonzero(room_kept), smap)
    n_u_kept, n_s_kept = len(kept_u), len(clicked_s)

    # --- conditioning on "at least one gift, comment and like" ------------------------------
    end = np.minimum(np.minimum(rooms.end_ms[cr], usr["churn"][kept_u][cu]), LOG_END_MS)
    added = {}
    for name, weight in (("gift", clam), ("comment", cpc), ("like", cpl)):
        u = tables[name][0]
        need = np.bincount(u, minlength=n_u_kept) == 0
        rows = _one_per_user(r_fix, cu, weight, need)
        if name == "gift":
            i, ts = gift_times(
                r_fix, prm, ct[rows], cw[rows], end[rows], np.ones(len(rows), dtype=np.int64)
            )
        else:
            i, ts = engagement_times(
                r_fix, prm, ct[rows], cw[rows], end[rows], np.arange(len(rows)), 0.0
            )
        i = rows[i]
        tables[name] = [
            np.concatenate([tables[name][0], cu[i]]),
            np.concatenate([tables[name][1], cr[i]]),
            np.concatenate([tables[name][2], ts]),
        ]
        flag = np.zeros(n_u_kept, dtype=np.int8)
        flag[cu[i]] = 1
        added[name] = flag

    # --- write ---------------------------------------------------------------------------------
    sd = beijing_day(np.maximum(rooms.start_ms, WINDOW_START_MS))
    ed = beijing_day(np.minimum(rooms.end_ms, WINDOW_END_MS) - 1)
    cross = float(np.mean((sd != ed) & (rooms.start_ms >= WINDOW_START_MS)))
    q_cross = min(prm.q_cross, 0.8 * prm.dup_rate / max(cross, 1e-9))
    q_same = max(prm.dup_rate - q_cross * cross, 0.0) / max(1 - cross, 1e-9)
    prm = TwinParams(
        **{**asdict(prm), "q_cross": q_cross, "q_same": q_same, "n_streamers": n_s_kept}
    )
    n_room_rows = write_rooms(r_room, rooms, prm, out / S.ROOM.filename, _WRITE_OPTS)

    uk = kept_u
    users = make_users(
        r_prof,
        activity=usr["act"][uk],
        watch_age_days=usr["watch_age"][uk],
        tenure_days=usr["tenure"][uk],
    )
    # the real user.csv is not ordered by user_id: write the rows in a fixed random order
    users = users.iloc[r_prof.permutation(len(users))]
    _write_csv(users, out / S.USER.filename, S.USER)
    sk = clicked_s - 1
    strm_df = make_streamers(
        r_prof,
        popularity=stream["pop"][sk],
        room_rate=stream["rate"][sk],
        live_age_days=stream["live_age"][sk],
        tenure_days=stream["tenure"][sk],
    )
    # the real streamer.csv is ordered by registration date
    strm_df = strm_df.iloc[
        np.lexsort(
            (strm_df["streamer_id"].to_numpy(), strm_df["reg_timestamp"].to_numpy().astype(str))
        )
    ]
    _write_csv(strm_df, out / S.STREAMER.filename, S.STREAMER)
    del strm_df

    counts = {"user": n_u_kept, "streamer": n_s_kept, "room_rows": n_room_rows, "rooms": len(rooms)}
    # clicks (logged only), with the streamer-mismatch quirk
    lg = clog
    click_strm = rooms.streamer[cr[lg]].astype(np.int64)
    # (never a streamer's only clicks: every streamer keeps a click row with its id)
    n_per = np.bincount(click_strm, minlength=n_s_kept + 1)
    bad = np.flatnonzero(
        (r_fix.random(len(click_strm)) < prm.p_streamer_mismatch) & (n_per[click_strm] >= 3)
    )
    bad = bad[np.unique(click_strm[bad], return_index=True)[1]]
    # shift by 1..n-1 modulo n: always a different, valid streamer_id
    shift = r_fix.integers(1, max(n_s_kept, 2), len(bad))
    click_strm[bad] = (click_strm[bad] - 1 + shift) % n_s_kept + 1
    cf = _event_frame(S.CLICK, cu[lg], cr[lg], click_strm, ct[lg], cw[lg])
    _write_csv(cf, out / S.CLICK.filename, S.CLICK)
    counts["click"] = len(cf)
    del cf, click_strm
    for name, sch in (("negative", S.NEGATIVE), ("comment", S.COMMENT), ("like", S.LIKE)):
        u, r, t = tables.pop(name)
        df = _event_frame(sch, u, r, rooms.streamer[r].astype(np.int64), t)
        _write_csv(df, out / sch.filename, sch)
        counts[name] = len(df)
        del df
    u, r, t = tables.pop("gift")
    theta = usr["theta"][uk]
    price = draw_prices(r_fix, theta[u], prm.combo_rate, prm.combo_p)
    gf = _event_frame(S.GIFT, u, r, rooms.streamer[r].astype(np.int64), t, price)
    _write_csv(gf, out / S.GIFT.filename, S.GIFT)
    counts["gift"] = len(gf)
    _write_truth(out, scale, seed, prm, usr, uk, added, counts)


def _arrow_schema(sch: S.FileSchema) -> pa.Schema:
    return pa.schema([(c, pa.int64()) for c in sch.column_names])


def _write_truth(
    out: Path, scale, seed, prm: TwinParams, usr: dict, kept: np.ndarray, added: dict, counts: dict
) -> None:
    n_u = len(kept)
    theta = usr["theta"][kept]
    truth_users = pd.DataFrame(
        {
            "user_id": np.arange(1, n_u + 1),
            "entry_ms": usr["entry"][kept],
            "churn_ms": usr["churn"][kept],
            "churned_in_window": (usr["churn"][kept] < LOG_END_MS).astype(np.int8),
            "activity": np.round(usr["act"][kept], 6),
            "p_day": np.round(usr["p_day"][kept], 6),
            "ctr": np.round(special.expit(usr["ctr_logit"][kept]), 6),
            "fav_share": np.round(usr["fav_share"][kept], 6),
            "n_favourites": np.diff(usr["fav_ptr"])[kept],
            "gift_rate": usr["gift_rate"][kept],  # full precision (Gamma shape 0.2: tiny values)
            "gift_theta": np.round(theta, 6),
            "gift_whale": usr["whale"][kept].astype(np.int8),
            "gift_mean_price": np.round(expected_price(theta, prm.combo_rate, prm.combo_p), 4),
            "gift_added": added["gift"],
            "comment_added": added["comment"],
            "like_added": added["like"],
        }
    )
    truth_users.to_csv(out / TRUTH_USERS_FILE, index=False)
    truth = {
        "generator": "kuailive_analysis.twin",
        "version": __version__,
        "scale": scale,
        "seed": int(seed),
        "params": asdict(prm),
        "population": {
            "gift_rate_gamma": {
                "mean": prm.gift_mean,
                "shape": prm.gift_shape,
                "whale_multiplier": prm.whale_gift_mult,
                "note": "expected gifts per click with a 1-minute watch",
            },
            "gift_theta_normal": {
                "mu": prm.theta_mu,
                "sigma": prm.theta_sigma,
                "whale_share": prm.whale_share,
                "whale_shift": prm.whale_theta_shift,
            },
            "lifetime_weibull": {
                "shape": prm.life_shape,
                "scale_days": prm.life_scale,
                "scale_multiplier": f"exp({prm.life_act_exp} * z_activity)",
            },
            "bgnbd": "none: gifting is not a BG/NBD process in this twin; gifts follow clicks "
            "(see kuailive_analysis.twin.events), so there are no planted BG/NBD "
            "parameters to recover.",
        },
        "counts": counts,
        "constraints": {
            "sample": "Users: the first n of the drawn users with a logged click; streamers: "
            "those the kept users clicked (their rooms and events kept, the others "
            "dropped).",
            "gift_comment_like": "A kept user whose process produced no gift (comment, like) "
            "gets one on one of their own clicks, drawn with probability "
            "proportional to the click's expected gift count (comment / "
            "like probability); added for "
            f"{int(added['gift'].sum())} / {int(added['comment'].sum())} / "
            f"{int(added['like'].sum())} users (gift / comment / like).",
            "truncation": "Every event lies inside the user's planted lifetime [entry_ms, "
            "churn_ms) and before the end of the logs.",
        },
        "time": {
            "window_start_ms": WINDOW_START_MS,
            "log_end_ms": int(LOG_END_MS),
            "capped_end_ms": CAPPED_END_MS,
            "tz": TZ,
        },
    }
    with open(out / TRUTH_FILE, "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True)
        f.write("\n")
