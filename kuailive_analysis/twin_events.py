"""Event logs of the synthetic twin, generated one Beijing day at a time.

Model of one day d (all draws vectorised over users, screens and exposures)
--------------------------------------------------------------------------
* **Who is on.** User u is alive on day d when ``entry_ms_u < day end`` and ``churn_ms_u >
  day start``; an alive user is on with probability ``p_day_u`` and then opens
  ``1 + Poisson(act_u - 1)`` *screens* (``Poisson(act_u)`` when ``act_u < 1``). Screens and
  exposures outside ``[entry_ms_u, churn_ms_u)`` or after the end of the logs (2025-05-25
  23:00) are dropped; engagements are cut at the churn time, so every event of a user lies in
  the planted lifetime.
* **When.** A screen's Beijing time of day comes, with probability ``p_personal``, from the
  user's habitual hour ``Normal(peak_u, 1.5 h)``; else from the platform profile
  :data:`USER_HOUR_WEIGHTS` (evening peak 18:00-24:00, small noon peak).
* **What is shown.** A screen shows ``1 + Poisson(mu_screen)`` exposures at the same
  millisecond (the real logs' tied timestamps). Each exposure is, with probability
  ``fav_share_u``, a room of one of the user's favourite streamers live in that half-hour slot
  (if any); else a room drawn from all rooms live in the slot with weight
  ``popularity_streamer x overlap with the slot`` (times ``long_room_weight`` for rooms of a
  day or more, so that they get about the real 0.4% of clicks); a screen shows a room once. An exposure's time is the screen's time when
  the room is live then, else uniform over the room's part of the slot.
* **Click or negative.** An exposure is clicked with probability
  ``sigmoid(ctr_logit_u + fav_click_boost * favourite)``; the rest are ``negative.csv`` rows. A user
  who comes on clicks at least once that day (if no exposure was clicked, one of them is), so
  light users are active on most days, as in the real logs (90% next-day return).
* **Watch time** (ms) per click: a two-part mixture fitted to the real quantiles - a bounce
  LogNormal(median 3.2 s, sigma 0.48) or, with probability ``sigmoid(stay_logit_u + 0.8 *
  favourite)``, a stay LogNormal(median ``24 s x watch_scale_u``, sigma 2.2), folded below 2 h
  and cut at the room's end. A clicked room is re-entered later the same day with probability
  ``p_reenter`` (a second click of the same session).
* **Comments and likes** follow a click with probability
  ``base x propensity_u x h(watch)``, ``h`` growing with the watch time (about 0.2 for a bounce,
  several-fold for long stays); they sit at the click's millisecond or later during the watch.
  A share ``p_hidden`` of clicks is not logged (their engagements are): engagements without a
  logged click (quirk 4).
* **Gifts** come from the planted BG/NBD gifting days (:mod:`kuailive_analysis.twin_gifts`):
  each gifting day opens gifting sessions on (mostly) favourite streamers' rooms (often the
  first favourite: repeat gifting to one streamer) live at the session's time, with a long
  watch, a logged click (except a share ``p_gift_noclick``), and gift events at the click's
  millisecond (first gift: ``p_gift_at_click``; later ones: ``p_gift_later_at_click``) or
  later in the session.
* **Quirk 5**: a share ``p_streamer_mismatch`` of click rows carries a wrong streamer_id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kuailive_analysis import schema as S
from kuailive_analysis.twin_gifts import draw_prices
from kuailive_analysis.twin_rooms import Rooms

HOUR_MS = 3_600_000
SLOT_MS = 1_800_000
N_SLOTS = S.MS_PER_DAY // SLOT_MS
LOG_END_MS = S.WINDOW_START_MS + 20 * S.MS_PER_DAY + 23 * HOUR_MS
"""End of the logs: 2025-05-25 23:00 Beijing (the real last click is at 22:59:58.515)."""

USER_HOUR_WEIGHTS = np.array(
    [3.4, 2.2, 1.3, 0.8, 0.5, 0.5, 0.8, 1.4, 2.0, 2.3, 2.6, 3.1,
     3.8, 3.3, 2.7, 2.6, 2.7, 3.1, 4.3, 5.5, 6.2, 6.7, 6.6, 5.2])
"""Relative screen rate by Beijing hour 0..23 (evening 18:00-24:00 peak, small noon peak)."""


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
    stay_logit: np.ndarray
    watch_scale: np.ndarray
    comment_prop: np.ndarray
    like_prop: np.ndarray
    theta: np.ndarray
    gift_mu: np.ndarray  # gifts per gifting session = 1 + Poisson(gift_mu)


class RoomIndex:
    """Rooms sorted by start, split into rooms shorter than a day and the few longer ones, so
    that the rooms live during one day are found without scanning every room."""

    def __init__(self, rooms: Rooms):
        long_ = (rooms.end_ms - rooms.start_ms) >= S.MS_PER_DAY
        short = np.flatnonzero(~long_)
        self.by_start = short[np.argsort(rooms.start_ms[short], kind="stable")]
        self.starts = rooms.start_ms[self.by_start]
        self.long = np.flatnonzero(long_)

    def live_during(self, rooms: Rooms, d0: int, d1: int) -> np.ndarray:
        """Indices of rooms overlapping [d0, d1), sorted."""
        lo = np.searchsorted(self.starts, d0 - S.MS_PER_DAY, side="left")
        hi = np.searchsorted(self.starts, d1, side="left")
        cand = np.concatenate([self.by_start[lo:hi], self.long])
        cand = cand[(rooms.end_ms[cand] > d0) & (rooms.start_ms[cand] < d1)]
        return np.sort(cand)


class DaySlots:
    """Rooms live in each half-hour slot of one day, for weighted and favourite look-ups."""

    def __init__(self, rooms: Rooms, index: "RoomIndex", day: int, pop: np.ndarray,
                 gift_pop_exp: float, long_room_weight: float = 1.0):
        d0 = S.WINDOW_START_MS + day * S.MS_PER_DAY
        d1 = d0 + S.MS_PER_DAY
        cand = index.live_during(rooms, d0, d1)
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
        is_long = (rooms.end_ms[self.room] - rooms.start_ms[self.room]) >= S.MS_PER_DAY
        sp = np.where(is_long, sp * long_room_weight, sp)
        ov = (self.hi - self.lo).astype(np.float64)
        self.cum = np.cumsum(sp * ov)
        self.cum_gift = np.cumsum(sp ** gift_pop_exp * ov)
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

    def pick(self, rng, slot: np.ndarray, fav: np.ndarray, gift: bool = False) -> np.ndarray:
        """Entry index per request (-1 = no live room): favourite streamer's room if ``fav >=
        0`` and live in the slot, else weighted by popularity x overlap."""
        out = self._weighted(rng, slot, self.cum_gift if gift else self.cum)
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
    return np.minimum((h * HOUR_MS).astype(np.int64), S.MS_PER_DAY - 1)


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
    sec = np.where(stay, np.exp(np.log(24.0 * scale) + 2.2 * z), np.exp(np.log(3.2) + 0.48 * z))
    over = sec > 7_150
    sec[over] = rng.uniform(1_800, 7_150, over.sum())
    return np.maximum((sec * 1000).astype(np.int64), 5)


def _engagements(rng, prm, lat: UserLatent, user, live, strm, t, watch, fav, end_ms):
    # an engagement happens while the room is live and before the user's churn
    end_ms = np.minimum(end_ms, lat.churn_ms[user])
    """Comments and likes caused by clicks (arrays), as two (user, live, streamer, ts) tuples."""
    ws = watch / 1000.0
    h = np.clip((ws / 20.0) ** 0.45, 0.2, 5.0)
    tm = np.where(rng.random(len(t)) < prm.p_eng_at_click, t,
                  t + (rng.random(len(t)) * watch).astype(np.int64))
    tm = np.minimum(tm, end_ms - 1)
    out = []
    for base, prop, extra in ((prm.comment_base, lat.comment_prop, prm.comment_extra),
                              (prm.like_base, lat.like_prop, prm.like_extra)):
        p = np.minimum(base * prop[user] * h * (1 + 0.5 * fav), 0.95)
        hit = np.flatnonzero(rng.random(len(t)) < p)
        reps = 1 + rng.poisson(extra, len(hit))
        idx = np.repeat(hit, reps)
        first = np.repeat(np.cumsum(reps) - reps, reps)
        later = (np.arange(len(idx)) - first) > 0
        ts = tm[idx] + np.where(later, (rng.random(len(idx)) * watch[idx]).astype(np.int64), 0)
        ts = np.minimum(ts, end_ms[idx] - 1)
        keep = ts < LOG_END_MS  # the logs stop at 2025-05-25 23:00
        out.append((user[idx][keep], live[idx][keep], strm[idx][keep], ts[keep]))
    return out


def _clip_day(t, lo, hi):
    return np.minimum(np.maximum(t, lo), hi - 1)


def generate_day(rng: np.random.Generator, day: int, lat: UserLatent, rooms: Rooms,
                 slots: DaySlots, gift_users: np.ndarray, birth_users: np.ndarray, prm) -> dict:
    """All events of one Beijing day, as dict of column arrays per table (unsorted).

    ``gift_users``: 0-based users with a gifting day on ``day`` (one entry per user);
    ``birth_users``: boolean per entry, True when it is the user's first (birth) gifting day.
    """
    d0 = S.WINDOW_START_MS + day * S.MS_PER_DAY
    d1 = min(d0 + S.MS_PER_DAY, LOG_END_MS)
    n_u = len(lat.act)
    alive = (lat.entry_ms < d1) & (lat.churn_ms > d0)
    on = alive & (rng.random(n_u) < lat.p_day)
    ui = np.flatnonzero(on)
    a = lat.act[ui]  # an 'on' day has at least one screen when act >= 1
    n_scr = np.where(a >= 1, 1 + rng.poisson(np.maximum(a - 1, 0)), rng.poisson(np.minimum(a, 1)))
    su = np.repeat(ui, n_scr)
    st = d0 + _hour_ms(rng, len(su), lat.peak_hour[su], prm.p_personal)
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
    eu, et, ent, room = eu[keep], et[keep], ent[keep], room[keep]
    is_fav = (lat.fav_ptr[eu + 1] > lat.fav_ptr[eu]) & _is_fav(lat, eu, rooms.streamer[room] - 1)
    clicked = rng.random(len(eu)) < _sigmoid(lat.ctr_logit[eu] + prm.fav_click_boost * is_fav)
    # a user who comes on clicks at least once that day: else one of the day's exposures is
    first_exp = np.unique(eu, return_index=True)[1]
    no_click = np.bincount(eu[clicked], minlength=n_u)[eu[first_exp]] == 0
    clicked[first_exp[no_click]] = True
    neg = ~clicked
    out = {"negative": (eu[neg], room[neg], et[neg])}
    # clicks and re-entries
    cu, cr, ct, cf = eu[clicked], room[clicked], et[clicked], is_fav[clicked]
    re = rng.random(len(cu)) < prm.p_reenter * (1 + cf)
    cu2, cr2, cf2 = cu[re], cr[re], cf[re]
    ct2 = ct[re] + (rng.exponential(prm.reenter_gap_min * 60_000, re.sum())).astype(np.int64)
    ok2 = (ct2 < rooms.end_ms[cr2]) & (ct2 < d1) & (ct2 < lat.churn_ms[cu2])
    cu = np.concatenate([cu, cu2[ok2]])
    cr = np.concatenate([cr, cr2[ok2]])
    ct = np.concatenate([ct, ct2[ok2]])
    cf = np.concatenate([cf, cf2[ok2]])
    w = watch_ms(rng, len(cu), _sigmoid(lat.stay_logit[cu] + 0.8 * cf), lat.watch_scale[cu])
    w = np.minimum(w, np.maximum(rooms.end_ms[cr] - ct, 5))
    logged = rng.random(len(cu)) >= prm.p_hidden
    # gifting sessions
    g = _gift_sessions(rng, day, d0, d1, lat, rooms, slots, gift_users, birth_users, prm)
    allu = np.concatenate([cu, g["u"]])
    allr = np.concatenate([cr, g["r"]])
    allt = np.concatenate([ct, g["t"]])
    allw = np.concatenate([w, g["w"]])
    allf = np.concatenate([cf, g["fav"]])
    alll = np.concatenate([logged, g["logged"]])
    strm = rooms.streamer[allr]
    eng = _engagements(rng, prm, lat, allu, allr, strm, allt, allw, allf, rooms.end_ms[allr])
    out["comment"], out["like"] = eng
    click_strm = strm[alll].copy()
    bad = np.flatnonzero(rng.random(len(click_strm)) < prm.p_streamer_mismatch)
    # shift by 1..n-1 modulo n: always a different, valid streamer_id
    shift = rng.integers(1, max(prm.n_streamers, 2), len(bad))
    click_strm[bad] = (click_strm[bad] - 1 + shift) % prm.n_streamers + 1
    out["click"] = (allu[alll], allr[alll], allt[alll], allw[alll].astype(np.int64), click_strm)
    out["gift"] = g["gift"]
    out["birth"] = g["birth"]
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


def _gift_sessions(rng, day, d0, d1, lat: UserLatent, rooms: Rooms, slots: DaySlots,
                   gift_users: np.ndarray, birth_users: np.ndarray, prm) -> dict:
    """Gifting sessions of one day: clicks (some unlogged) and their gift events."""
    empty = np.zeros(0, dtype=np.int64)
    n_sess = 1 + rng.poisson(prm.mu_sessions, len(gift_users))
    gu = np.repeat(gift_users, n_sess)
    first = np.repeat(np.cumsum(n_sess) - n_sess, n_sess)
    is_birth = np.repeat(birth_users, n_sess) & ((np.arange(len(gu)) - first) == 0)
    lo_t = np.maximum(d0, lat.entry_ms[gu])
    hi_t = np.minimum(d1, lat.churn_ms[gu])
    t = d0 + _hour_ms(rng, len(gu), lat.peak_hour[gu], prm.p_personal)
    bad = (t < lo_t) | (t >= hi_t)
    t[bad] = lo_t[bad] + (rng.random(bad.sum()) * np.maximum(hi_t[bad] - lo_t[bad], 1)).astype(np.int64)
    t = _clip_day(t, d0, d1)
    slot = (t - d0) // SLOT_MS
    fav = _pick_fav(rng, gu, lat, np.full(len(gu), prm.gift_fav_share))
    # gifts concentrate on the user's first favourite (repeat gifting to one streamer)
    top = (rng.random(len(gu)) < prm.gift_top_fav) & (fav >= 0)
    fav[top] = lat.fav_streamer[lat.fav_ptr[gu[top]]]
    ent = slots.pick(rng, slot, fav, gift=True)
    # re-pick (a few rounds) until the room is live at the session's time
    for _ in range(prm.gift_pick_rounds):
        miss = (ent < 0) | (slots.lo[np.maximum(ent, 0)] > t) | (slots.hi[np.maximum(ent, 0)] <= t)
        if not miss.any():
            break
        ent[miss] = slots.pick(rng, slot[miss], np.full(miss.sum(), -1), gift=True)
    # an empty slot (tiny twins at night): fall back to the busiest slot of the day
    if (ent < 0).any():
        busiest = int(np.argmax(np.diff(slots.begin)))
        miss = ent < 0
        slot[miss] = busiest
        t[miss] = d0 + busiest * SLOT_MS + rng.integers(0, SLOT_MS, miss.sum())
        ent[miss] = slots.pick(rng, slot[miss], np.full(miss.sum(), -1), gift=True)
    # last resort: move the session into the room's live part of the slot, within the lifetime
    lo = np.maximum(slots.lo[ent], lo_t)
    hi = np.minimum(slots.hi[ent], hi_t)
    hi = np.where(hi > lo, hi, slots.hi[ent])
    lo = np.where(hi > lo, lo, slots.lo[ent])
    t = np.where((t >= lo) & (t < hi), t, lo + (rng.random(len(t)) * (hi - lo)).astype(np.int64))
    r = slots.room[ent]
    is_fav = _is_fav(lat, gu, rooms.streamer[r] - 1)
    w = watch_ms(rng, len(gu), np.full(len(gu), 0.97), 4.0 * lat.watch_scale[gu])
    w = np.minimum(w, np.maximum(rooms.end_ms[r] - t, 5))
    logged = is_birth | (rng.random(len(gu)) >= prm.p_gift_noclick)
    n_g = 1 + rng.poisson(lat.gift_mu[gu])
    gi = np.repeat(np.arange(len(gu)), n_g)
    gfirst = np.repeat(np.cumsum(n_g) - n_g, n_g)
    later = (np.arange(len(gi)) - gfirst) > 0
    at_click = rng.random(len(gi)) < np.where(later, prm.p_gift_later_at_click, prm.p_gift_at_click)
    gt = np.where(at_click, t[gi], t[gi] + 1 + (rng.random(len(gi)) * w[gi]).astype(np.int64))
    gt = np.minimum(gt, np.minimum(np.minimum(rooms.end_ms[r[gi]], d1), lat.churn_ms[gu[gi]]) - 1)
    gt = np.maximum(gt, t[gi])
    price = draw_prices(rng, lat.theta[gu[gi]], prm.combo_rate, prm.combo_p)
    gift = (gu[gi], r[gi], gt, price)
    bi = np.flatnonzero(is_birth)
    birth = (gu[bi], r[bi], t[bi]) if len(bi) else (empty, empty, empty)
    return {"u": gu, "r": r, "t": t, "w": w, "fav": is_fav, "logged": logged, "gift": gift,
            "birth": birth}
