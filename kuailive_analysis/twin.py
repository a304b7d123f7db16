"""The synthetic KuaiLive twin: the book's embedded default dataset.

:func:`generate` writes the eight real CSV files (exact names, column order and encodings from
:mod:`kuailive_analysis.schema`) plus the ground truth:

* ``truth.json``: generator version, scale, seed, every model parameter (:class:`TwinParams`),
  row counts, and how the "everyone clicked, commented, liked and gifted" constraint was imposed;
* ``truth_users.csv``: one row per user_id with the planted quantities the book estimates:
  ``entry_ms`` / ``churn_ms`` (planted active lifetime; ``churn_ms`` beyond the window end =
  not churned in the window), the BG/NBD gifting draws ``gift_lambda`` (transactions per day),
  ``gift_p`` (dropout probability after each gifting transaction), ``gift_birth_ms`` (first
  gift), ``gift_dropout_ms`` (time of the transaction after which the user dropped out; -1 =
  still alive when observation stopped), the value draws ``gift_theta`` and
  ``gift_mean_value`` (expected value per gifting day, platform coins), and the behavioural
  draws (activity, CTR, favourite share, ...).

The behavioural model is described in :mod:`kuailive_analysis.twin_events` (users, screens,
exposures, clicks, watch, engagements), :mod:`kuailive_analysis.twin_rooms` (room schedules
and room-file quirks), :mod:`kuailive_analysis.twin_gifts` (BG/NBD gifting days, price menu)
and :mod:`kuailive_analysis.twin_profiles` (binned profile columns).

How "every user clicked, commented, liked and gifted" is imposed (it distorts the planted
processes, and truth.json says so): each user's first gift is the BG/NBD birth transaction,
placed inside the user's active span, and its session always has a logged click; users with no
comment (like) after simulation get one at that session's click millisecond.

Where the twin knowingly departs from ``shared/kuailive-facts.md`` (checked at scale 1):

* the facts' per-session watch mean (514 s) contradicts their per-click shape and per-user mean
  (4.74 h per user = about 83 s per click); the twin follows the per-click shape and per-user
  totals (about 100 s per session);
* the exposure Gini across streamers is about 0.79 among clicked streamers (facts: 0.56, whose
  definition is unknown), while the streamer long tail (70% under 5 interactions, 4.6% over 40,
  top 10 about 1.5%) matches;
* gift prices: mean about 90 and p99 1,888 (real 82.7 and 1,488); the maximum is 20,000 (real
  56,246): the menu stops at 20,000 and only cheap gifts come in combos;
* invented where the facts are silent: live_type 2 share (18%), p_date = the room's end date
  (inferred from example rows), rooms still live 3 h after the window end are capped, profile
  distributions other than gender and country, the user hour-of-day profile's exact shape;
* no ``title_embeddings.npy`` is written (live_name_id values are consistent with one).

Counts scale linearly with ``scale`` (1.0 = real size: 23,772 users, 452,621 streamers, about
11.6M rooms, 4.9M clicks, 12.7M negatives). Output is byte-identical for the same
``(scale, seed)``: all randomness flows from ``numpy.random.default_rng`` streams derived from
the seed, and files are written in a deterministic order with pyarrow's CSV writer, one day of
events at a time (peak memory grows with the number of rooms, not with the number of events).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from scipy import special, stats

from kuailive_analysis import __version__
from kuailive_analysis import schema as S
from kuailive_analysis.config import DEFAULT_SEED
from kuailive_analysis.twin_events import (LOG_END_MS, USER_HOUR_WEIGHTS, DaySlots, RoomIndex,
                                           UserLatent, generate_day)
from kuailive_analysis.twin_gifts import expected_price, gifting_days, simulate_bgnbd
from kuailive_analysis.twin_profiles import make_streamers, make_users
from kuailive_analysis.twin_rooms import ROOM_START_HOUR_WEIGHTS, make_rooms, write_rooms

TRUTH_FILE = "truth.json"
TRUTH_USERS_FILE = "truth_users.csv"

REAL = {
    "users": 23_772, "streamers": 452_621, "rooms": 11_613_708, "room_rows": 11_819_964,
    "click": 4_909_515, "comment": 196_526, "like": 179_311, "gift": 72_646,
    "negative": 12_705_835,
}
"""Real-size counts (kuailive-facts.md); the twin's targets are these times ``scale``."""


@dataclass(frozen=True)
class TwinParams:
    """Every knob of the generator (recorded in truth.json). Rates are per day unless stated."""

    # users: activity and lifetime
    act_sigma: float = 1.55  # log-sd of screens per active day
    p_day_a: float = 8.0  # Beta(a, b) of the daily visit probability
    p_day_b: float = 0.6
    p_late_entry: float = 0.05  # share of users whose lifetime starts inside the window
    life_shape: float = 0.9  # Weibull shape of the activity lifetime (days)
    life_scale: float = 300.0  # Weibull scale (days) for a median-activity user
    life_act_exp: float = 0.3  # lifetime scale grows as activity ** life_act_exp
    p_personal: float = 0.45  # share of screens at the user's habitual hour
    mu_screen: float = 1.5  # exposures per screen = 1 + Poisson(mu_screen)
    fav_a: float = 1.5  # Beta(a, b) share of exposures from favourite streamers
    fav_b: float = 3.5
    fav_mean: float = 2.5  # favourite streamers per user = 1 + Poisson(fav_mean)
    ctr_mean: float = 0.216  # baseline click probability (logit-normal centre)
    ctr_sigma: float = 0.8
    fav_click_boost: float = 1.0  # logit boost for a favourite streamer's room
    p_reenter: float = 0.05  # re-entry probability per click (doubled for favourites)
    reenter_gap_min: float = 20.0
    stay_logit_mean: float = -0.15  # stay vs bounce (watch-time mixture)
    stay_logit_sigma: float = 0.8
    watch_scale_sigma: float = 0.5
    watch_act_coef: float = 0.35  # stay logit and watch scale fall with activity z
    p_hidden: float = 0.02  # clicks not logged (their engagements are)
    p_streamer_mismatch: float = 1e-4  # click rows with a wrong streamer_id
    # comments and likes
    comment_base: float = 0.034
    comment_extra: float = 0.06
    like_base: float = 0.031
    like_extra: float = 0.05
    eng_sigma: float = 0.9
    p_eng_at_click: float = 0.4
    # streamers and rooms
    pop_sigma: float = 1.35  # log-sd of streamer popularity
    rate_shape: float = 0.7  # Gamma shape of rooms per day
    p_shop_streamer: float = 0.105
    p_habit: float = 0.6
    dur_median_min: float = 45.0
    dur_sigma: float = 1.15
    p_type2: float = 0.18
    p_week: float = 2.2e-4
    p_long: float = 1.5e-4
    long_room_weight: float = 0.1  # exposure weight of rooms lasting a day or more
    carry_in_share: float = 0.004
    extraction_after_end_h: float = 3.0  # rooms live this long after the window end are capped
    title_pool: float = 0.25
    p_generic_title: float = 0.02
    p_no_title: float = 0.05
    q_cross: float = 0.35
    q_same: float = 0.0
    dup_rate: float = 206_256 / 11_613_708  # extra room rows per room (target)
    # gifting: BG/NBD over days + price menu
    gift_r: float = 0.25
    gift_alpha: float = 1.2
    gift_a: float = 1.0
    gift_b: float = 5.5
    gift_dropout_at_birth: bool = True  # may drop out right after the first gift (not BG/NBD)
    mu_sessions: float = 0.37
    mu_gifts: float = 0.1
    gift_fav_share: float = 0.7
    gift_top_fav: float = 0.7  # share of favourite gifting sessions on the first favourite
    gift_pop_exp: float = 1.0
    gift_pick_rounds: int = 6  # re-picks until the gifting room is live at the session time
    p_gift_noclick: float = 0.08
    p_gift_at_click: float = 0.97
    p_gift_later_at_click: float = 0.3  # later gifts of a session logged at the click's ms
    theta_mu: float = -0.085
    theta_sigma: float = 0.28
    whale_share: float = 0.01  # whales: higher price tilt and more gifts per session
    whale_theta_shift: float = 0.8
    whale_extra_gifts: float = 4.0
    combo_rate: float = 0.08
    combo_p: float = 0.3
    # filled from scale
    n_streamers: int = 0


def _n(real: int, scale: float, minimum: int) -> int:
    return max(int(round(real * scale)), minimum)


def _logit(p):
    return np.log(p / (1 - p))


def _draw_streamers(rng, n_s: int, n_rooms: int, prm: TwinParams) -> dict:
    pop = np.exp(rng.normal(0, prm.pop_sigma, n_s))
    pop /= pop.mean()
    rate = rng.gamma(prm.rate_shape, 1.0, n_s) * pop ** 0.25
    rate *= (n_rooms / S.N_WINDOW_DAYS) / rate.sum()
    hp = ROOM_START_HOUR_WEIGHTS / ROOM_START_HOUR_WEIGHTS.sum()
    habit = rng.choice(24, size=n_s, p=hp) + rng.random(n_s)
    shop = rng.random(n_s) < prm.p_shop_streamer
    tenure = rng.integers(30, 4_200, n_s)
    live_age = (tenure * rng.beta(1.2, 1.0, n_s)).astype(np.int64)
    return {"pop": pop, "rate": rate, "habit": habit, "shop": shop, "tenure": tenure,
            "live_age": live_age}


def _draw_users(rng, n_u: int, stream: dict, target_exposures: float, prm: TwinParams) -> dict:
    z = rng.normal(size=n_u)
    act_rel = np.exp(prm.act_sigma * z - prm.act_sigma ** 2 / 2)
    # daily visit probability, positively tied to activity (Gaussian copula)
    zc = 0.5 * z + np.sqrt(0.75) * rng.normal(size=n_u)
    p_day = stats.beta.ppf(stats.norm.cdf(zc), prm.p_day_a, prm.p_day_b)
    late = rng.random(n_u) < prm.p_late_entry
    entry = np.where(late, S.WINDOW_START_MS + (rng.random(n_u) * 19 * S.MS_PER_DAY).astype(np.int64)
                     + S.MS_PER_DAY, S.WINDOW_START_MS).astype(np.int64)
    scale_d = prm.life_scale * np.exp(prm.life_act_exp * z)
    life_d = scale_d * rng.weibull(prm.life_shape, n_u)
    churn = entry + (life_d * S.MS_PER_DAY).astype(np.int64)
    alive_days = (np.minimum(churn, LOG_END_MS) - entry) / S.MS_PER_DAY
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
    # light users stay longer per click (keeps the per-user watch total less skewed)
    # centred on the click-weighted activity (clicks ~ exp(act_sigma z): tilted mean act_sigma),
    # so the per-click watch distribution keeps its calibrated shape
    c = prm.watch_act_coef
    zt = z - prm.act_sigma
    stay_logit = prm.stay_logit_mean - c * zt + prm.stay_logit_sigma * rng.normal(size=n_u)
    ws = np.exp(prm.watch_scale_sigma * rng.normal(size=n_u) - c * zt
                - prm.watch_scale_sigma ** 2 / 2 - c ** 2 / 2)
    ze = rng.normal(size=n_u)
    zl = 0.6 * ze + 0.8 * rng.normal(size=n_u)
    cprop = np.exp(prm.eng_sigma * ze - prm.eng_sigma ** 2 / 2)
    lprop = np.exp(prm.eng_sigma * zl - prm.eng_sigma ** 2 / 2)
    whale = rng.random(n_u) < prm.whale_share
    theta = rng.normal(prm.theta_mu, prm.theta_sigma, n_u) + prm.whale_theta_shift * whale
    gift_mu = prm.mu_gifts + prm.whale_extra_gifts * whale
    lam = rng.gamma(prm.gift_r, 1.0 / prm.gift_alpha, n_u)
    gp = rng.beta(prm.gift_a, prm.gift_b, n_u)
    span = np.minimum(churn, LOG_END_MS) - entry
    birth = entry + (rng.beta(1.0, 2.0, n_u) * span).astype(np.int64)
    # tenure: registration and first live watch (new users: first watch = entry date)
    tenure = rng.integers(0, 4_500, n_u)
    watch_age = (tenure * rng.beta(1.0, 1.5, n_u)).astype(np.int64)
    new = late & (rng.random(n_u) < 0.5)
    entry_day = (entry - S.WINDOW_START_MS) // S.MS_PER_DAY
    watch_age = np.where(new, -entry_day, watch_age)
    tenure = np.where(new, np.maximum(tenure // 20, -entry_day), tenure)
    return {"z": z, "act": act, "p_day": p_day, "entry": entry, "churn": churn,
            "peak": peak, "fav_share": fav_share, "fav_ptr": fav_ptr, "fav": fav,
            "ctr_logit": ctr_logit, "stay_logit": stay_logit, "watch_scale": ws,
            "cprop": cprop, "lprop": lprop, "theta": theta, "whale": whale, "gift_mu": gift_mu, "lam": lam, "gp": gp,
            "birth": birth, "tenure": tenure, "watch_age": watch_age}


_WRITE_OPTS = pacsv.WriteOptions(include_header=True, quoting_style="none",
                                 quoting_header="none", batch_size=65_536)


def _arrow(df: pd.DataFrame, sch: S.FileSchema) -> pa.Table:
    cols = {}
    for c in sch.columns:
        v = df[c.name].to_numpy()
        cols[c.name] = pa.array(v, type=pa.string() if v.dtype == object else pa.int64())
    return pa.table(cols)


def _write_csv(df: pd.DataFrame, path: Path, sch: S.FileSchema) -> None:
    pacsv.write_csv(_arrow(df, sch), str(path), _WRITE_OPTS)


def _event_frame(sch: S.FileSchema, u, live, strm, ts, extra=None) -> pd.DataFrame:
    """Event rows in file order: by timestamp, then user, then live (stable)."""
    order = np.lexsort((live, u, ts))
    cols = {"user_id": u[order] + 1, "live_id": live[order] + 1, "streamer_id": strm[order],
            "timestamp": ts[order]}
    if extra is not None:
        cols[sch.column_names[-1]] = extra[order]
    return pd.DataFrame(cols)[sch.column_names]


def generate(out_dir, scale: float = 0.1, seed: int = DEFAULT_SEED, progress: bool = True) -> Path:
    """Write a synthetic KuaiLive twin into ``out_dir`` and return its path.

    ``scale`` = 1.0 is the real size (counts scale linearly; tiny scales keep at least 50 users
    and 500 streamers); ``seed`` fixes every random draw (same seed and scale give
    byte-identical files). ``progress`` shows a tqdm bar over the 21 days on stderr when it is a
    terminal.
    Rooms are drawn per streamer and exposures per user at the real rates, so a tiny twin with
    the minimum numbers of users or streamers keeps realistic per-user and per-streamer counts.
    """
    if not (0 < scale <= 5):
        raise ValueError(f"twin scale must be in (0, 5], got {scale!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_u = _n(REAL["users"], scale, 50)
    n_s = _n(REAL["streamers"], scale, 500)
    # rooms and exposures per streamer / per user as in the real data (also when the minimum
    # numbers of users and streamers of a tiny twin apply)
    n_rooms = _n(REAL["rooms"] / REAL["streamers"], n_s, 1)
    prm = TwinParams(n_streamers=n_s)
    ss = np.random.SeedSequence([int(seed), int(round(scale * 1e6))])
    r_str, r_usr, r_room, r_prof, r_gift, r_fix, r_days = (np.random.default_rng(s)
                                                            for s in ss.spawn(7))
    day_seeds = r_days.bit_generator.seed_seq.spawn(S.N_WINDOW_DAYS)

    stream = _draw_streamers(r_str, n_s, n_rooms, prm)
    target_exp = (REAL["click"] + REAL["negative"]) / REAL["users"] * n_u
    usr = _draw_users(r_usr, n_u, stream, target_exp, prm)
    rooms = make_rooms(r_room, n_target=n_rooms, room_rate=stream["rate"],
                       habit_hour=stream["habit"], shop_streamer=stream["shop"], prm=prm)
    # room rows (duplicates tuned so the extra-row rate matches the real 1.78%)
    sd = (np.maximum(rooms.start_ms, S.WINDOW_START_MS) - S.WINDOW_START_MS) // S.MS_PER_DAY
    ed = (np.minimum(rooms.end_ms, S.WINDOW_END_MS) - 1 - S.WINDOW_START_MS) // S.MS_PER_DAY
    cross = float(np.mean((sd != ed) & (rooms.start_ms >= S.WINDOW_START_MS)))
    q_cross = min(prm.q_cross, 0.8 * prm.dup_rate / max(cross, 1e-9))
    q_same = max(prm.dup_rate - q_cross * cross, 0.0) / max(1 - cross, 1e-9)
    prm = TwinParams(**{**asdict(prm), "q_cross": q_cross, "q_same": q_same})
    n_room_rows = write_rooms(r_room, rooms, prm, out / S.ROOM.filename, _WRITE_OPTS)

    # profiles
    users = make_users(r_prof, activity=usr["act"], value_tilt=usr["theta"],
                       watch_age_days=usr["watch_age"], tenure_days=usr["tenure"])
    # the real user.csv is not ordered by user_id: write the rows in a fixed random order
    users = users.iloc[r_prof.permutation(len(users))]
    _write_csv(users, out / S.USER.filename, S.USER)
    strm_df = make_streamers(r_prof, popularity=stream["pop"], room_rate=stream["rate"],
                             live_age_days=stream["live_age"], tenure_days=stream["tenure"],
                             shop=stream["shop"])
    # the real streamer.csv is ordered by registration date
    strm_df = strm_df.iloc[np.lexsort((strm_df["streamer_id"].to_numpy(),
                                       strm_df["reg_timestamp"].to_numpy().astype(str)))]
    _write_csv(strm_df, out / S.STREAMER.filename, S.STREAMER)
    del strm_df

    # gifting process
    stop = np.minimum(usr["churn"], LOG_END_MS)
    tx_u, tx_ms, dropout = simulate_bgnbd(r_gift, usr["lam"], usr["gp"], usr["birth"], stop,
                                          dropout_at_birth=prm.gift_dropout_at_birth)
    gd_u, gd_day = gifting_days(tx_u, tx_ms)
    birth_day = (usr["birth"] - S.WINDOW_START_MS) // S.MS_PER_DAY
    lat = UserLatent(entry_ms=usr["entry"], churn_ms=usr["churn"], p_day=usr["p_day"],
                     act=usr["act"], peak_hour=usr["peak"], fav_share=usr["fav_share"],
                     fav_ptr=usr["fav_ptr"], fav_streamer=usr["fav"],
                     ctr_logit=usr["ctr_logit"], stay_logit=usr["stay_logit"],
                     watch_scale=usr["watch_scale"], comment_prop=usr["cprop"],
                     like_prop=usr["lprop"], theta=usr["theta"], gift_mu=usr["gift_mu"])

    index = RoomIndex(rooms)
    small = {"comment": [], "like": [], "gift": [], "birth": []}
    counts = {"click": 0, "negative": 0}
    days = range(S.N_WINDOW_DAYS)
    if progress:
        from tqdm import tqdm  # plain text bar (tqdm.auto may warn in kernels without widgets)
        # disable=None: the bar shows on a terminal only (not in notebooks, papermill or logs)
        days = tqdm(days, desc="twin: days", unit="day", disable=None)
    click_path, neg_path = out / S.CLICK.filename, out / S.NEGATIVE.filename
    with pacsv.CSVWriter(str(click_path), _arrow_schema(S.CLICK), write_options=_WRITE_OPTS) as wc, \
            pacsv.CSVWriter(str(neg_path), _arrow_schema(S.NEGATIVE), write_options=_WRITE_OPTS) as wn:
        for d in days:
            rng = np.random.default_rng(day_seeds[d])
            slots = DaySlots(rooms, index, d, stream["pop"], prm.gift_pop_exp,
                             prm.long_room_weight)
            sel = gd_day == d
            gu = gd_u[sel]
            ev = generate_day(rng, d, lat, rooms, slots, gu, birth_day[gu] == d, prm)
            u, live, ts, w, cs = ev["click"]
            cf = _event_frame(S.CLICK, u, live, cs, ts, w)
            wc.write_table(_arrow(cf, S.CLICK))
            counts["click"] += len(cf)
            u, live, ts = ev["negative"]
            nf = _event_frame(S.NEGATIVE, u, live, rooms.streamer[live], ts)
            wn.write_table(_arrow(nf, S.NEGATIVE))
            counts["negative"] += len(nf)
            small["comment"].append(ev["comment"])
            small["like"].append(ev["like"])
            small["gift"].append(ev["gift"])
            small["birth"].append(ev["birth"])
            del cf, nf, ev, slots

    # every user comments and likes at least once: add one at the birth gifting session
    birth = [np.concatenate([b[i] for b in small["birth"]]) for i in range(3)]
    added = {}
    for name, sch in (("comment", S.COMMENT), ("like", S.LIKE)):
        u, live, strm, ts = (np.concatenate([p[i] for p in small[name]]) for i in range(4))
        has = np.zeros(n_u, dtype=bool)
        has[u] = True
        need = np.flatnonzero(~has[birth[0]])
        added[name] = int(len(need))
        u = np.concatenate([u, birth[0][need]])
        live = np.concatenate([live, birth[1][need]])
        strm = np.concatenate([strm, rooms.streamer[birth[1][need]]])
        ts = np.concatenate([ts, birth[2][need]])
        df = _event_frame(sch, u, live, strm, ts)
        _write_csv(df, out / sch.filename, sch)
        counts[name] = len(df)
    u, live, ts, price = (np.concatenate([p[i] for p in small["gift"]]) for i in range(4))
    gf = _event_frame(S.GIFT, u, live, rooms.streamer[live], ts, price)
    _write_csv(gf, out / S.GIFT.filename, S.GIFT)
    counts["gift"] = len(gf)
    counts.update(user=n_u, streamer=n_s, room_rows=n_room_rows,
                  rooms=len(rooms))

    _write_truth(out, scale, seed, prm, usr, dropout, tx_u, gd_u, counts, added)
    return out


def _arrow_schema(sch: S.FileSchema) -> pa.Schema:
    return pa.schema([(c, pa.int64()) for c in sch.column_names])


def _write_truth(out: Path, scale, seed, prm: TwinParams, usr: dict, dropout, tx_u, gd_u,
                 counts: dict, added: dict) -> None:
    n_u = len(usr["act"])
    mean_price = expected_price(usr["theta"], prm.combo_rate, prm.combo_p)
    per_day = (1 + prm.mu_sessions) * (1 + usr["gift_mu"])
    truth_users = pd.DataFrame({
        "user_id": np.arange(1, n_u + 1),
        "entry_ms": usr["entry"],
        "churn_ms": usr["churn"],
        "churned_in_window": (usr["churn"] < LOG_END_MS).astype(np.int8),
        "activity": np.round(usr["act"], 6),
        "p_day": np.round(usr["p_day"], 6),
        "ctr": np.round(special.expit(usr["ctr_logit"]), 6),
        "fav_share": np.round(usr["fav_share"], 6),
        "n_favourites": np.diff(usr["fav_ptr"]),
        "gift_lambda": np.round(usr["lam"], 8),
        "gift_p": np.round(usr["gp"], 8),
        "gift_birth_ms": usr["birth"],
        "gift_dropout_ms": dropout,
        "gift_transactions": np.bincount(tx_u, minlength=n_u),
        "gift_days": np.bincount(gd_u, minlength=n_u),
        "gift_theta": np.round(usr["theta"], 6),
        "gift_whale": usr["whale"].astype(np.int8),
        "gift_events_per_day": np.round(per_day, 6),
        "gift_mean_price": np.round(mean_price, 4),
        "gift_mean_value": np.round(per_day * mean_price, 4),
    })
    truth_users.to_csv(out / TRUTH_USERS_FILE, index=False)
    truth = {
        "generator": "kuailive_analysis.twin",
        "version": __version__,
        "scale": scale,
        "seed": int(seed),
        "params": asdict(prm),
        "population": {
            "gift_lambda_gamma": {"r": prm.gift_r, "alpha": prm.gift_alpha,
                                  "note": "lambda ~ Gamma(shape r, rate alpha), per day"},
            "gift_p_beta": {"a": prm.gift_a, "b": prm.gift_b},
            "gift_theta_normal": {"mu": prm.theta_mu, "sigma": prm.theta_sigma,
                                  "whale_share": prm.whale_share,
                                  "whale_shift": prm.whale_theta_shift},
            "gift_events_per_gifting_day": {
                "non_whale": (1 + prm.mu_sessions) * (1 + prm.mu_gifts),
                "whale": (1 + prm.mu_sessions) * (1 + prm.mu_gifts + prm.whale_extra_gifts)},
            "independence": "theta, whale status and (lambda, p) are drawn independently, "
                            "so value per gifting day is independent of gifting frequency "
                            "(the Gamma-Gamma assumption); its distribution is a discrete "
                            "menu mixture, not a Gamma.",
            "lifetime_weibull": {"shape": prm.life_shape, "scale_days": prm.life_scale,
                                 "scale_multiplier": f"exp({prm.life_act_exp} * z_activity)"},
        },
        "counts": counts,
        "constraints": {
            "gift": "Every user's first gift is the BG/NBD birth transaction, placed at "
                    "entry + Beta(1,2) x (active span); its session always has a logged click. "
                    "So every user gifts and clicks at least once, and the BG/NBD process is "
                    "conditioned on the first transaction, exactly as the model assumes.",
            "comment_like": "Users with no comment (like) after simulation get one comment "
                            "(like) at the millisecond of their birth gifting session's click; "
                            f"added comments: {added.get('comment', 0)}, likes: "
                            f"{added.get('like', 0)}. This inflates engagement of light users.",
            "bgnbd_departures": "Gifting follows BG/NBD (lambda ~ Gamma(r, alpha) per day, p ~ "
                                "Beta(a, b)) in continuous time, except: a user may drop out "
                                "right after the first gift (gift_dropout_at_birth="
                                f"{prm.gift_dropout_at_birth}; BG/NBD only after repeats), "
                                "transactions are observed as Beijing gifting days (same-day "
                                "transactions merge), and gifting stops at activity churn.",
            "truncation": "Gifting stops at the user's activity churn (churn_ms) or the end of "
                          "the logs, whichever is first; a BG/NBD fit sees this as extra "
                          "dropout for users who churn.",
        },
        "time": {"window_start_ms": S.WINDOW_START_MS, "log_end_ms": int(LOG_END_MS),
                 "capped_end_ms": S.CAPPED_END_MS, "tz": S.TZ},
    }
    with open(out / TRUTH_FILE, "w") as f:
        json.dump(truth, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":  # pragma: no cover
    import sys
    generate(sys.argv[1] if len(sys.argv) > 1 else os.getcwd(),
             scale=float(sys.argv[2]) if len(sys.argv) > 2 else 0.1)
