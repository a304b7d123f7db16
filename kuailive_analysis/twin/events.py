"""Event logs of the synthetic twin, generated one Beijing day at a time.

Every click, comment, like and gift comes from one process: users open screens of exposures,
click some, watch, and while watching may comment, like or gift. Nothing is placed on a
schedule of its own (see :mod:`kuailive_analysis.twin.assumptions` for the evidence behind each
relationship).

Model of one day d (all draws vectorised over users, screens and exposures)
--------------------------------------------------------------------------
* **Who is on.** User u is alive on day d when ``entry_ms_u < day end`` and ``churn_ms_u >
  day start``; an alive user is on with probability ``p_day_u`` and then opens
  ``1 + Poisson(max(act_u * f_d - 1, 0))`` *screens*,
  where ``f_d`` is the calendar factor of the day (week trend, weekday rhythm, noise). Screens
  and exposures outside ``[entry_ms_u, churn_ms_u)`` or after the end of the logs (2025-05-25
  23:00) are dropped, so every event of a user lies in the planted lifetime.
* **When.** Screens come in *visits* (browsing bursts): each screen starts a new visit with
  probability ``1 / (1 + burst_mu)``, else follows the previous screen after an exponential
  gap (mean ``burst_gap_s``). A visit's Beijing time of day comes, with probability
  ``p_personal``, from the user's habitual hour ``Normal(peak_u, 1.5 h)``; else from the
  platform profile :data:`USER_HOUR_WEIGHTS` (evening peak 18:00-24:00, small noon peak).
* **What is shown.** A screen shows ``1 + Poisson(mu_screen)`` exposures at the same
  millisecond (the real logs' tied timestamps). Each exposure is, with probability
  ``fav_share_u``, a room of one of the user's favourite streamers live in that half-hour slot
  (if any); else a room drawn from all rooms live in the slot with weight ``popularity_s x
  overlap with the slot`` (times ``long_room_weight`` for rooms of a day or more and
  ``shop_weight`` for shop rooms, calibrated to their measured click shares); a screen shows a
  room once. An exposure's time is the screen's time when the room is live then, else uniform
  over the room's part of the slot.
* **Click or negative.** An exposure is clicked with probability ``sigmoid(ctr_logit_u +
  click_logit_s + room_logit_r + fav_click_boost * favourite)``: user, streamer and room
  identity each carry click signal; a share ``p_shop_averse`` of users (almost) never clicks a
  shop room (the real files: 36% of users never clicked one). The rest are ``negative.csv`` rows. A user who comes on
  browses until clicking: if none of the day's exposures was clicked, the last one is.
* **Watch time** (ms) per click: a two-part mixture fitted to the real quantiles - a bounce
  LogNormal(median 3.2 s, sigma 0.48) or, with probability ``sigmoid(stay_logit_u + 0.8 *
  favourite)``, a stay LogNormal(median ``22 s x watch_scale_u``, sigma 2.4), folded below 2 h
  and cut at the room's end. A clicked room is re-entered later the same day with probability
  ``p_reenter`` (a second click of the same session).
* **Comments and likes** follow a click with probability ``base x propensity_u x h(watch)``,
  ``h`` growing with the watch time; they sit at the click's millisecond or later during the
  watch.
* **Gifts** follow a click: the click leads to a gift with probability ``1 - exp(-lambda)``,
  ``lambda = gift_rate_u x gift_mult_s x (watch / 1 min) ** gift_watch_exp x (1 +
  fav_gift_boost x favourite) x g_p`` (``g_p``: factor of the UTC period, calibrated to the
  measured rise of gifts per click), and then to ``1 + Poisson(gift_extra_mu)`` gift events
  (real: 2.35% of gifting sessions hold more than one gift). The first gift is logged at the click's millisecond with probability ``p_gift_at_click`` (the real
  logs' 86%), else during the watch; further gifts fall during the watch, at least 1 s apart.
* A share ``p_hidden`` of clicks is not logged (their engagements are): engagements without a
  logged click (quirk 4; the real 4.8% of gifts).
* **Quirk 5**: a share ``p_streamer_mismatch`` of click rows carries a wrong streamer_id (applied
  when the files are written).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kuailive_analysis.core.calendar import (
    MS_PER_DAY,
    MS_PER_HOUR,
    MS_PER_MINUTE,
    MS_PER_SECOND,
    UTC_OFFSET_MS,
    day_start_ms,
)

SLOT_MS = 30 * MS_PER_MINUTE
N_SLOTS = MS_PER_DAY // SLOT_MS
LOG_END_MS = day_start_ms(20) + 23 * MS_PER_HOUR
"""End of the logs: 2025-05-25 23:00 Beijing (the real last click is at 22:59:58.515)."""

USER_HOUR_WEIGHTS = np.array(
    [
        3.4,
        2.2,
        1.3,
        0.8,
        0.5,
        0.5,
        0.8,
        1.4,
        2.0,
        2.3,
        2.6,
        3.1,
        3.8,
        3.3,
        2.7,
        2.6,
        2.7,
        3.1,
        4.3,
        5.5,
        6.2,
        6.7,
        6.6,
        5.2,
    ]
)
"""Relative screen rate by Beijing hour 0..23 (evening 18:00-24:00 peak, small noon peak)."""

UTC_PERIOD_BOUNDS_MS = (day_start_ms(7) + UTC_OFFSET_MS, day_start_ms(14) + UTC_OFFSET_MS)
"""Starts of the UTC periods 2 and 3 of the measured gift rate (UTC May 12 and May 19, i.e.
Beijing 08:00 on May 12 and May 19); period 1 is everything before."""


@dataclass
class UserLatent:
    """Per-user behavioural draws (index = user_id - 1)."""

    entry_ms: np.ndarray
    churn_ms: np.ndarray
    p_day: np.ndarray
    act: np.ndarray
    peak_hour: np.ndarray
    fav_share: np.ndarray
    fav_ptr: np.ndarray  # CSR pointers into fav_streamer (len n+1)
    fav_streamer: np.ndarray  # 0-based streamer index
    ctr_logit: np.ndarray
    shop_logit: np.ndarray  # click-logit shift on shop rooms (shop-averse users: strongly negative)
    stay_logit: np.ndarray
    watch_scale: np.ndarray
    comment_prop: np.ndarray
    like_prop: np.ndarray
    gift_rate: np.ndarray  # expected gifts per click with a 1-minute watch (before multipliers)


@dataclass
class StreamerLatent:
    """Per-streamer draws (index = streamer_id - 1 of the drawn streamers)."""

    pop: np.ndarray  # exposure weight (mean 1)
    click_logit: np.ndarray  # streamer effect on the click logit
    gift_mult: np.ndarray  # multiplier of the gift rate of clicks on this streamer


@dataclass
class DayRooms:
    """The rooms live during one Beijing day (end > day start and start < day end), in live-id
    order; events of the day refer to them by position (0-based, "local")."""

    index: np.ndarray  # int32 live index (live_id - 1 among all drawn rooms) of each room
    streamer: np.ndarray  # int32 drawn streamer_id (1-based)
    start_ms: np.ndarray  # int64 epoch ms
    end_ms: np.ndarray  # int64 epoch ms (capped for still-live rooms)
    shop: np.ndarray  # bool: a shop room
    room_logit: np.ndarray  # float64 room effect on the click logit

    def __len__(self) -> int:
        return len(self.start_ms)


class DaySlots:
    """Rooms live in each half-hour slot of one day, for weighted and favourite look-ups.

    ``rooms`` is anything with ``streamer`` (1-based), ``start_ms``, ``end_ms`` and ``shop``
    arrays (:class:`DayRooms` or :class:`~kuailive_analysis.twin.rooms.Rooms`); ``self.room``
    holds positions in it. ``pop`` is the exposure weight per streamer (index = streamer - 1).
    """

    def __init__(
        self,
        rooms,
        day: int,
        pop: np.ndarray,
        long_room_weight: float = 1.0,
        shop_weight: float = 1.0,
    ):
        d0 = day_start_ms(day)
        d1 = d0 + MS_PER_DAY
        cand = np.flatnonzero((rooms.end_ms > d0) & (rooms.start_ms < d1))
        st = np.maximum(rooms.start_ms[cand], d0)
        en = np.minimum(rooms.end_ms[cand], d1)
        s0 = (st - d0) // SLOT_MS
        s1 = (en - 1 - d0) // SLOT_MS
        cnt = (s1 - s0 + 1).astype(np.int64)
        room = np.repeat(cand, cnt)
        first = np.repeat(np.cumsum(cnt) - cnt, cnt)
        slot = np.repeat(s0, cnt) + (np.arange(cnt.sum()) - first)
        lo = np.maximum(np.repeat(st, cnt), d0 + slot * SLOT_MS)
        hi = np.minimum(np.repeat(en, cnt), d0 + (slot + 1) * SLOT_MS)
        order = np.lexsort((room, slot))
        self.room, self.slot, self.lo, self.hi = room[order], slot[order], lo[order], hi[order]
        sp = pop[rooms.streamer[self.room] - 1]
        # rooms of a day or more (7-day, still-live) draw little traffic per hour
        is_long = (rooms.end_ms[self.room] - rooms.start_ms[self.room]) >= MS_PER_DAY
        sp = np.where(is_long, sp * long_room_weight, sp)
        sp = np.where(rooms.shop[self.room], sp * shop_weight, sp)
        ov = (self.hi - self.lo).astype(np.float64)
        self.cum = np.cumsum(sp * ov)
        self.begin = np.searchsorted(self.slot, np.arange(N_SLOTS + 1), side="left")
        key = (rooms.streamer[self.room].astype(np.int64) - 1) * N_SLOTS + self.slot
        korder = np.argsort(key, kind="stable")
        self.key, self.key_entry = key[korder], korder
        self.day_start = d0

    def _weighted(self, rng, slot: np.ndarray, cum: np.ndarray) -> np.ndarray:
        b, e = self.begin[slot], self.begin[slot + 1]
        c0 = np.where(b > 0, cum[np.maximum(b - 1, 0)], 0.0)
        c1 = np.where(e > 0, cum[np.maximum(e - 1, 0)], 0.0)
        u = c0 + rng.random(len(slot)) * (c1 - c0)
        k = np.searchsorted(cum, u, side="right")
        k = np.clip(k, b, np.maximum(e - 1, b))
        return np.where(e > b, k, -1)

    def pick(self, rng, slot: np.ndarray, fav: np.ndarray) -> np.ndarray:
        """Entry index per request (-1 = no live room): favourite streamer's room if ``fav >=
        0`` and live in the slot, else weighted by popularity x overlap."""
        out = self._weighted(rng, slot, self.cum)
        has_fav = fav >= 0
        if has_fav.any():
            key = fav[has_fav].astype(np.int64) * N_SLOTS + slot[has_fav]
            lo = np.searchsorted(self.key, key, side="left")
            hi = np.searchsorted(self.key, key, side="right")
            j = lo + (rng.random(len(key)) * (hi - lo)).astype(np.int64)
            got = hi > lo
            sub = out[has_fav]
            sub[got] = self.key_entry[j[got]]
            out[has_fav] = sub
        return out


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _hour_ms(rng, n: int, peak: np.ndarray, p_personal: float) -> np.ndarray:
    """Milliseconds into the Beijing day: personal habit or the platform profile."""
    hp = USER_HOUR_WEIGHTS / USER_HOUR_WEIGHTS.sum()
    h = rng.choice(24, size=n, p=hp) + rng.random(n)
    own = (peak + rng.normal(0, 1.5, n)) % 24
    h = np.where(rng.random(n) < p_personal, own, h)
    return np.minimum((h * MS_PER_HOUR).astype(np.int64), MS_PER_DAY - 1)


def _pick_fav(rng, users: np.ndarray, lat: UserLatent, share: np.ndarray) -> np.ndarray:
    """A favourite streamer (0-based) per request with probability ``share``, else -1."""
    k = lat.fav_ptr[users + 1] - lat.fav_ptr[users]
    use = (rng.random(len(users)) < share) & (k > 0)
    j = lat.fav_ptr[users] + (rng.random(len(users)) * k).astype(np.int64)
    return np.where(use, lat.fav_streamer[np.minimum(j, len(lat.fav_streamer) - 1)], -1)


def watch_ms(rng, n: int, stay_p: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Watch time per click (ms): bounce/stay LogNormal mixture folded below 2 h."""
    stay = rng.random(n) < stay_p
    z = rng.normal(size=n)
    sec = np.where(stay, np.exp(np.log(22.0 * scale) + 2.4 * z), np.exp(np.log(3.2) + 0.48 * z))
    over = sec > 7_150
    sec[over] = rng.uniform(1_800, 7_150, over.sum())
    return np.maximum((sec * MS_PER_SECOND).astype(np.int64), 5)


def gift_period_factor(ts: np.ndarray, factors) -> np.ndarray:
    """The gift-rate factor of the UTC period (8 / 7 / 7 days) each timestamp falls in."""
    k = np.searchsorted(np.asarray(UTC_PERIOD_BOUNDS_MS), ts, side="right")
    return np.asarray(factors, dtype=float)[k]


def gift_lambda(prm, lat: UserLatent, strm: StreamerLatent, user, streamer0, watch, fav, ts):
    """Expected number of gift events of each click (see the module doc)."""
    minutes = np.minimum(watch, 2 * MS_PER_HOUR) / MS_PER_MINUTE
    return (
        lat.gift_rate[user]
        * strm.gift_mult[streamer0]
        * minutes**prm.gift_watch_exp
        * (1.0 + prm.fav_gift_boost * fav)
        * gift_period_factor(ts, prm.gift_period)
    )


def _engagement_probs(prm, lat: UserLatent, user, watch, fav):
    """Probability of at least one comment and of at least one like per click."""
    h = np.clip((watch / MS_PER_SECOND / 20.0) ** 0.45, 0.2, 5.0)
    pc = np.minimum(prm.comment_base * lat.comment_prop[user] * h * (1 + 0.5 * fav), 0.95)
    pl = np.minimum(prm.like_base * lat.like_prop[user] * h * (1 + 0.5 * fav), 0.95)
    return pc, pl


def engagement_times(rng, prm, t, watch, end_ms, hit, extra):
    """Timestamps of the comments (or likes) of clicks ``hit``: ``1 + Poisson(extra)`` each, the
    first at the click's ms (probability ``p_eng_at_click``) or during the watch, the others
    during the watch; all before ``end_ms``. Returns (click index per event, ts)."""
    reps = 1 + rng.poisson(extra, len(hit))
    idx = np.repeat(hit, reps)
    first = np.repeat(np.cumsum(reps) - reps, reps)
    later = (np.arange(len(idx)) - first) > 0
    at_click = ~later & (rng.random(len(idx)) < prm.p_eng_at_click)
    ts = np.where(at_click, t[idx], t[idx] + (rng.random(len(idx)) * watch[idx]).astype(np.int64))
    ts = np.minimum(ts, end_ms[idx] - 1)
    keep = ts < LOG_END_MS  # the logs stop at 2025-05-25 23:00
    return idx[keep], ts[keep]


def gift_times(rng, prm, t, watch, end_ms, n_gift):
    """Timestamps of ``n_gift[i]`` gift events of each click i: the first at the click's ms with
    probability ``p_gift_at_click`` (else during the watch), further ones during the watch at
    least 1 s after the previous. Returns (click index per gift, ts)."""
    hit = np.flatnonzero(n_gift > 0)
    reps = n_gift[hit]
    idx = np.repeat(hit, reps)
    first = np.repeat(np.cumsum(reps) - reps, reps)
    rank = np.arange(len(idx)) - first
    at_click = (rank == 0) & (rng.random(len(idx)) < prm.p_gift_at_click)
    # during the watch: sorted uniform positions, spaced at least 1 s apart
    u = rng.random(len(idx))
    u = u[np.lexsort((u, idx))]
    room_ms = np.maximum(watch[idx] - MS_PER_SECOND * (np.repeat(reps, reps) + 1), 0)
    ts = np.where(
        at_click, t[idx], t[idx] + MS_PER_SECOND * (rank + 1) + (u * room_ms).astype(np.int64)
    )
    # inside the watch and before the end; a gift squeezed onto its predecessor is dropped
    ts = np.minimum(np.minimum(ts, end_ms[idx] - 1), t[idx] + np.maximum(watch[idx], 1))
    keep = ts < LOG_END_MS
    keep[1:] &= ~((rank[1:] > 0) & (ts[1:] < ts[:-1] + MS_PER_SECOND))
    return idx[keep], ts[keep]


def generate_day(
    rng: np.random.Generator,
    day: int,
    lat: UserLatent,
    strm: StreamerLatent,
    rooms: DayRooms,
    slots: DaySlots,
    day_factor: float,
    prm,
) -> dict:
    """All events of one Beijing day, as a dict of column arrays per table (unsorted).

    Rooms are positions in ``rooms`` (the day's live rooms). Users are 0-based drawn user
    indices; times are epoch ms. ``negative``, ``comment``, ``like`` and ``gift`` hold (user,
    room, timestamp); ``click`` holds every click, logged or not: (user, room, timestamp, watch
    ms, ``logged``, expected gift count, comment probability, like probability, ``end`` = the
    latest ms an engagement of the click may take: min(room end, churn, end of the logs)). The
    last four are the weights and the bound that the sample-rule conditioning uses.
    """
    d0 = day_start_ms(day)
    d1 = min(d0 + MS_PER_DAY, LOG_END_MS)
    n_u = len(lat.act)
    alive = (lat.entry_ms < d1) & (lat.churn_ms > d0)
    on = alive & (rng.random(n_u) < lat.p_day)
    ui = np.flatnonzero(on)
    a = lat.act[ui] * day_factor
    n_scr = 1 + rng.poisson(np.maximum(a - 1, 0))
    su = np.repeat(ui, n_scr)
    # visits: browsing bursts of screens a short gap apart
    first = np.repeat(np.cumsum(n_scr) - n_scr, n_scr)
    new_visit = ((np.arange(len(su)) - first) == 0) | (rng.random(len(su)) < 1 / (1 + prm.burst_mu))
    visit = np.cumsum(new_visit) - 1
    v_start = d0 + _hour_ms(rng, int(new_visit.sum()), lat.peak_hour[su[new_visit]], prm.p_personal)
    gap = np.where(new_visit, 0, rng.exponential(prm.burst_gap_s * 1000, len(su))).astype(np.int64)
    cg = np.cumsum(gap)
    st = v_start[visit] + cg - cg[np.flatnonzero(new_visit)][visit]
    ok = (st >= lat.entry_ms[su]) & (st < lat.churn_ms[su]) & (st < d1)
    su, st = su[ok], st[ok]
    # exposures
    k = 1 + rng.poisson(prm.mu_screen, len(su))
    eu = np.repeat(su, k)
    et = np.repeat(st, k)
    eslot = (et - d0) // SLOT_MS
    fav_s = _pick_fav(rng, eu, lat, lat.fav_share[eu])
    ent = slots.pick(rng, eslot, fav_s)
    ok = ent >= 0
    eu, et, ent = eu[ok], et[ok], ent[ok]
    lo, hi = slots.lo[ent], slots.hi[ent]
    inside = (et >= lo) & (et < hi)
    et = np.where(inside, et, lo + (rng.random(len(et)) * (hi - lo)).astype(np.int64))
    ok = (et >= lat.entry_ms[eu]) & (et < lat.churn_ms[eu]) & (et < d1)
    eu, et, ent = eu[ok], et[ok], ent[ok]
    # one screen shows a room once: drop repeated (user, time, room) exposures
    room = slots.room[ent]
    o = np.lexsort((room, et, eu))
    rep = np.zeros(len(o), dtype=bool)
    rep[1:] = (eu[o][1:] == eu[o][:-1]) & (et[o][1:] == et[o][:-1]) & (room[o][1:] == room[o][:-1])
    keep = np.ones(len(o), dtype=bool)
    keep[o[rep]] = False
    eu, et, room = eu[keep], et[keep], room[keep]
    s0 = rooms.streamer[room].astype(np.int64) - 1
    is_fav = (lat.fav_ptr[eu + 1] > lat.fav_ptr[eu]) & _is_fav(lat, eu, s0)
    logit = (
        lat.ctr_logit[eu]
        + strm.click_logit[s0]
        + rooms.room_logit[room]
        + prm.fav_click_boost * is_fav
        + rooms.shop[room] * lat.shop_logit[eu]
    )
    clicked = rng.random(len(eu)) < _sigmoid(logit)
    # a user who comes on browses until clicking: a day without a click ends on a clicked
    # exposure (the last one shown)
    last_exp = len(eu) - 1 - np.unique(eu[::-1], return_index=True)[1]
    no_click = np.bincount(eu[clicked], minlength=n_u)[eu[last_exp]] == 0
    clicked[last_exp[no_click]] = True
    neg = ~clicked
    out = {"negative": (eu[neg], room[neg], et[neg])}
    # clicks and re-entries
    cu, cr, ct, cf = eu[clicked], room[clicked], et[clicked], is_fav[clicked]
    re = rng.random(len(cu)) < prm.p_reenter * (1 + cf)
    cu2, cr2, cf2 = cu[re], cr[re], cf[re]
    ct2 = ct[re] + (rng.exponential(prm.reenter_gap_min * MS_PER_MINUTE, re.sum())).astype(np.int64)
    ok2 = (ct2 < rooms.end_ms[cr2]) & (ct2 < d1) & (ct2 < lat.churn_ms[cu2])
    cu = np.concatenate([cu, cu2[ok2]])
    cr = np.concatenate([cr, cr2[ok2]])
    ct = np.concatenate([ct, ct2[ok2]])
    cf = np.concatenate([cf, cf2[ok2]])
    w = watch_ms(rng, len(cu), _sigmoid(lat.stay_logit[cu] + 0.8 * cf), lat.watch_scale[cu])
    end = np.minimum(np.minimum(rooms.end_ms[cr], lat.churn_ms[cu]), LOG_END_MS)
    w = np.minimum(w, np.maximum(rooms.end_ms[cr] - ct, 5))
    logged = rng.random(len(cu)) >= prm.p_hidden
    cs0 = rooms.streamer[cr].astype(np.int64) - 1
    # engagements caused by the clicks
    pc, pl = _engagement_probs(prm, lat, cu, w, cf)
    for name, p, extra in (("comment", pc, prm.comment_extra), ("like", pl, prm.like_extra)):
        hit = np.flatnonzero(rng.random(len(cu)) < p)
        i, ts = engagement_times(rng, prm, ct, w, end, hit, extra)
        out[name] = (cu[i], cr[i], ts)
    lam = gift_lambda(prm, lat, strm, cu, cs0, w, cf, ct)
    gifted = rng.random(len(cu)) < -np.expm1(-lam)
    n_gift = np.where(gifted, 1 + rng.poisson(prm.gift_extra_mu, len(cu)), 0)
    i, ts = gift_times(rng, prm, ct, w, end, n_gift)
    out["gift"] = (cu[i], cr[i], ts)
    out["click"] = (cu, cr, ct, w.astype(np.int64), logged, lam, pc, pl, end)
    return out


def _is_fav(lat: UserLatent, users: np.ndarray, streamer0: np.ndarray) -> np.ndarray:
    """Whether streamer0 (0-based) is among each user's favourites (CSR search, vectorised)."""
    k = lat.fav_ptr[users + 1] - lat.fav_ptr[users]
    res = np.zeros(len(users), dtype=bool)
    kmax = int(k.max()) if len(k) else 0
    for j in range(kmax):  # loops over favourite rank (a handful), not over rows
        has = k > j
        idx = np.minimum(lat.fav_ptr[users] + j, len(lat.fav_streamer) - 1)
        res |= has & (lat.fav_streamer[idx] == streamer0)
    return res
