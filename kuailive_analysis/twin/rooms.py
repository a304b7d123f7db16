"""Room schedules of the synthetic twin (``room.csv``), with the real file's quirks.

Model
-----
* Every streamer has at least one room; the remaining rooms go to streamers in proportion to
  their rate ``room_rate_s`` (rooms per day). Start days are uniform over the window (plus the
  day before, whose rooms only enter the file when they run past midnight into 2025-05-05),
  except that rooms starting on 2025-05-21 UTC are thinned to ``dip_keep`` (the real files show
  about half the usual number of active streamers that UTC day).
* Start time of day (Beijing): with probability ``p_habit`` near the streamer's habitual hour
  (``Normal(habit_s, 1.2 h)``), else from the platform start-hour profile (peak 18:00-22:00).
* Duration (minutes): ``shop`` rooms LogNormal(median ``shop_dur_median_min``, sigma 0.6),
  calibrated so that after the one-room-at-a-time cuts the median is the measured 134; other rooms LogNormal(median ``dur_median_min``, sigma ``dur_sigma``), capped at
  20 h.
* **One live room per streamer at a time** (:func:`resolve_overlaps`): a room that starts
  while the streamer's previous room is live ends that room a short break earlier; a room that
  starts less than ``MIN_GAP_MS`` after the previous start is dropped instead.
* Long rooms (quirk 2): a fraction ``p_week`` lasts exactly 7 days plus 5-19 s (live_type -124
  with probability 0.75), a fraction ``p_long`` lasts 1-3 days; the streamer's other rooms
  inside a long room are dropped. Rooms whose end falls after the extraction
  (``extraction_after_end_h`` after the window end) are still live: end capped at
  CAPPED_END_MS (2025-05-27 00:00).
* ``p_date`` = Beijing date of the room's end, at most 2025-05-25 (the last partition). Duplicate rows
  (quirk 1): a room crossing midnight gets, with probability ``q_cross``, an extra row with
  ``p_date`` = its start date; any room gets, with probability ``q_same``, an extra row with the
  same p_date. Duplicates carry a different live_name_id and, with probability 0.3, a
  start_timestamp a few seconds to minutes later.
* live_id: a random permutation of 1..n_rooms; live_name_id: renumbered by first appearance in
  file order (as in the real file, whose first rows carry titles 0, 1, 2, ...); -1 = no title.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kuailive_analysis.core.calendar import (
    CAPPED_END_MS,
    MS_PER_DAY,
    MS_PER_HOUR,
    MS_PER_MINUTE,
    MS_PER_SECOND,
    UTC_OFFSET_MS,
    WINDOW_END_MS,
    WINDOW_START_MS,
    beijing_date_int,
    beijing_day,
    day_start_ms,
)
from kuailive_analysis.data import schema as S

ROOM_START_HOUR_WEIGHTS = np.array(
    [
        2.0,
        1.2,
        0.7,
        0.4,
        0.3,
        0.4,
        0.8,
        1.3,
        1.8,
        2.2,
        2.5,
        2.7,
        2.9,
        2.8,
        2.7,
        2.7,
        2.9,
        3.4,
        5.2,
        6.6,
        7.2,
        6.6,
        4.8,
        3.2,
    ]
)
"""Relative room-start rate by Beijing hour 0..23 (peak 18:00-22:00)."""


@dataclass
class Rooms:
    """Distinct rooms (one entry per live_id, index = live_id - 1) as parallel arrays."""

    streamer: np.ndarray  # int32 streamer_id
    start_ms: np.ndarray  # int64
    end_ms: np.ndarray  # int64 (capped for still-live rooms)
    live_type: np.ndarray  # int16
    shop: np.ndarray  # bool
    title: np.ndarray  # int64 provisional title key (renumbered when written)

    def __len__(self) -> int:
        return len(self.start_ms)


ROOM_CHUNK = 1_000_000
"""Rooms are drawn in fixed-size blocks (bounds temporaries; the block size is part of the
random stream, so it is a constant, not a tuning knob)."""

MIN_GAP_MS = 10 * MS_PER_MINUTE
"""A room starting less than this after the streamer's previous room started is dropped."""

DIP_UTC_DAY_MS = (day_start_ms(16) + UTC_OFFSET_MS, day_start_ms(17) + UTC_OFFSET_MS)
"""2025-05-21 UTC as epoch ms (Beijing 05-21 08:00 to 05-22 08:00): the day of the measured dip
in active streamers."""


def _room_block(rng, streamer: np.ndarray, day: np.ndarray, habit_hour, shop_streamer, prm):
    """One block of rooms for the given streamers (0-based) and start days: (streamer0, start,
    end, live_type, shop, long), before the window filter."""
    n = len(streamer)
    hp = ROOM_START_HOUR_WEIGHTS / ROOM_START_HOUR_WEIGHTS.sum()
    hour_f = rng.choice(24, size=n, p=hp) + rng.random(n)
    habit = (habit_hour[streamer] + rng.normal(0, 1.2, n)) % 24
    hour_f = np.where(rng.random(n) < prm.p_habit, habit, hour_f)
    start = day_start_ms(day) + (hour_f * MS_PER_HOUR).astype(np.int64)
    del hour_f, habit
    shop = np.where(shop_streamer[streamer], rng.random(n) < 0.85, rng.random(n) < 0.012)
    med = np.where(shop, prm.shop_dur_median_min, prm.dur_median_min)
    sig = np.where(shop, 0.6, prm.dur_sigma)
    dur_min = np.minimum(np.exp(np.log(med) + sig * rng.normal(size=n)), 20 * 60)
    dur = np.maximum(
        (dur_min * MS_PER_MINUTE).astype(np.int64), 5_000 + rng.integers(0, MS_PER_MINUTE, n)
    )
    del med, sig, dur_min
    live_type = np.where(rng.random(n) < prm.p_type2, 2, 1).astype(np.int16)
    # long rooms: exactly 7 days (+5..19 s), or 1-3 days
    u = rng.random(n)
    week = u < prm.p_week
    long_ = (u >= prm.p_week) & (u < prm.p_week + prm.p_long)
    dur[week] = 7 * MS_PER_DAY + rng.integers(5_000, 19_000, week.sum())
    live_type[week & (rng.random(n) < 0.75)] = -124
    dur[long_] = rng.integers(MS_PER_DAY + MS_PER_MINUTE, 3 * MS_PER_DAY, long_.sum())
    # a week-long room ending in the window started up to 7 days before it
    start[week] -= rng.integers(0, 7, week.sum()) * MS_PER_DAY
    end = start + dur
    # the dip: rooms starting on 2025-05-21 UTC are thinned
    in_dip = (start >= DIP_UTC_DAY_MS[0]) & (start < DIP_UTC_DAY_MS[1])
    keep = (end > WINDOW_START_MS) & ~(in_dip & (rng.random(n) >= prm.dip_keep))
    extraction = WINDOW_END_MS + int(prm.extraction_after_end_h * MS_PER_HOUR)
    end = np.where(end > extraction, CAPPED_END_MS, end)
    return (
        streamer[keep],
        start[keep],
        end[keep],
        live_type[keep],
        shop[keep],
        (week | long_)[keep],
    )


def resolve_overlaps(
    rng, streamer: np.ndarray, start: np.ndarray, end: np.ndarray, is_long: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One live room per streamer at a time: return (kept row indices, new end per kept row).

    Rooms of a streamer are taken in start order, in three vectorised steps:

    1. a room starting inside an earlier room of a day or more (``is_long``) is dropped;
    2. a room starting less than ``MIN_GAP_MS`` after the previous room's start, while that room
       is live, is dropped;
    3. a room still live when the next kept room starts ends a break of 30 s to 5 min before it.

    Long rooms are therefore never cut by a room starting inside them, and ends only move
    earlier. Steps 1-2 (:func:`drop_overlapped`) and 3 (:func:`cut_clashes`) look at one
    streamer's rooms only, so the generator runs them on groups of streamers; the breaks of
    step 3 are one draw over all clashes in (streamer, start) order.
    """
    idx, s, st, en = drop_overlapped(streamer, start, end, is_long)
    c = clash_rows(s, st, en)
    brk = rng.integers(30_000, 300_000, len(c))
    ok, en = cut_clashes(s, st, en, c, brk)
    return idx[ok], en[ok]


def drop_overlapped(streamer: np.ndarray, start: np.ndarray, end: np.ndarray, is_long: np.ndarray):
    """Steps 1 and 2 of :func:`resolve_overlaps`: ``(idx, streamer, start, end)`` of the rooms
    kept, in (streamer, start) order (ties: input order); ``end`` is a copy."""
    idx = np.lexsort((start, streamer))
    s, st, en, lg = streamer[idx], start[idx], end[idx].copy(), is_long[idx]
    n = len(idx)
    same = np.zeros(n, dtype=bool)
    same[1:] = s[1:] == s[:-1]
    # 1. the latest end of the earlier long rooms of the same streamer (grouped running max)
    t0 = int(min(st.min(), en.min())) if n else 0
    group = np.cumsum(~same)  # 1, 2, ... per streamer, in sorted order
    big = np.int64(1) << 36  # > any span of times here (about 2 years in ms)
    v = np.where(lg, en - t0, 0) + group.astype(np.int64) * big
    prev_long_end = np.empty(n, dtype=np.int64)
    if n:
        prev_long_end[0] = 0
        prev_long_end[1:] = np.maximum.accumulate(v)[:-1] - group[1:].astype(np.int64) * big
    del v, group
    inside_long = same & (st - t0 < prev_long_end)
    del prev_long_end
    keep = ~inside_long
    # 2. a restart within MIN_GAP_MS of a live previous room
    k = np.flatnonzero(keep)
    s, st, en, idx = s[k], st[k], en[k], idx[k]
    same = np.zeros(len(k), dtype=bool)
    same[1:] = s[1:] == s[:-1]
    restart = np.zeros(len(k), dtype=bool)
    restart[1:] = same[1:] & (st[1:] - st[:-1] < MIN_GAP_MS) & (en[:-1] > st[1:])
    k = np.flatnonzero(~restart)
    return idx[k], s[k], st[k], en[k]


def clash_rows(s: np.ndarray, st: np.ndarray, en: np.ndarray) -> np.ndarray:
    """Rows (in (streamer, start) order) still live when the streamer's next room starts."""
    clash = np.zeros(len(s), dtype=bool)
    clash[:-1] = (s[1:] == s[:-1]) & (en[:-1] > st[1:])
    return np.flatnonzero(clash)


def cut_clashes(s, st, en, c: np.ndarray, brk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 3 of :func:`resolve_overlaps`: end each clashing room ``c`` a break ``brk`` (ms)
    before the next start (keeping at least 5 s). Returns (kept mask, ``en`` changed in place):
    a cut that cannot keep 5 s (next start within 5 s) drops the cut room instead."""
    en[c] = np.maximum(np.minimum(en[c], st[c + 1] - brk), st[c] + 5_000)
    bad = np.zeros(len(s), dtype=bool)
    bad[c] = en[c] > st[c + 1]
    return ~bad, en


def date_ints(ms: np.ndarray) -> np.ndarray:
    """YYYYMMDD (int32) of the Beijing date of epoch-ms values: :func:`beijing_date_int` through a
    per-day lookup table (the same values, without its per-row temporaries)."""
    day = beijing_day(ms)
    if len(day) == 0:
        return np.zeros(0, dtype=np.int32)
    lo = int(day.min())
    lut = beijing_date_int(day_start_ms(np.arange(lo, int(day.max()) + 1)))
    day -= lo
    return lut[day]


def _take(base: np.ndarray, dup: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Values of ``rows`` of the virtual concatenation ``[base, dup]`` (not materialised)."""
    m = len(base)
    is_base = rows < m
    out = np.empty(len(rows), dtype=np.result_type(base, dup))
    out[is_base] = base[rows[is_base]]
    out[~is_base] = dup[rows[~is_base] - m]
    return out


def write_rooms(rng: np.random.Generator, rooms: Rooms, prm, path, write_options) -> int:
    """Write ``room.csv`` (duplicate rows, renumbered titles) chunk by chunk; return its rows.

    File order: still-live (capped) rows first, then by p_date, end, start and live_id (the
    index in ``rooms`` + 1). Titles are renumbered 0, 1, 2, ... by first appearance in that
    order (-1 stays -1). Rows are room ``i`` (``i < m``) or duplicate ``i - m``; the file's rows
    are gathered one p_date at a time, so the memory beyond ``rooms`` is a few bytes per room.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    m = len(rooms)
    # last partition: 20250525
    p_date = date_ints(np.maximum(np.minimum(rooms.end_ms, WINDOW_END_MS) - 1, WINDOW_START_MS))
    start_date = date_ints(np.maximum(rooms.start_ms, WINDOW_START_MS))
    crosses = (start_date != p_date) & (rooms.start_ms >= WINDOW_START_MS)
    dup_cross = crosses & (rng.random(m) < prm.q_cross)
    del crosses
    dup_same = ~dup_cross & (rng.random(m) < prm.q_same)
    di = np.flatnonzero(dup_cross | dup_same)
    del dup_same
    d_pdate = np.where(dup_cross[di], start_date[di], p_date[di])
    del dup_cross, start_date
    later = rng.random(len(di)) < 0.3  # draw order matters: the twin is seeded
    d_start = rooms.start_ms[di] + np.where(
        later, rng.integers(MS_PER_SECOND, 10 * MS_PER_MINUTE, len(di)), 0
    )
    d_start = np.minimum(d_start, rooms.end_ms[di] - 1)
    base_title = int(max(rooms.title.max(), 0)) + 1
    d_title = base_title + np.arange(len(di), dtype=np.int64)  # a new title per duplicate row
    capped_b = rooms.end_ms == CAPPED_END_MS
    capped_d = capped_b[di]
    n_titles = base_title + len(di)
    new_id = np.full(n_titles, -1, dtype=np.int64)
    next_id = 0
    schema = pa.schema(
        [
            (c, pa.string() if c == "live_content_category" else pa.int64())
            for c in S.ROOM.column_names
        ]
    )
    cats = np.array(["other", "shop"], dtype=object)

    def groups():  # (rooms, duplicates) of each block of the file: capped, then by p_date
        yield capped_b, capped_d
        for d in np.unique(np.concatenate([p_date[~capped_b], d_pdate[~capped_d]])):
            yield ~capped_b & (p_date == d), ~capped_d & (d_pdate == d)

    n_rows = 0
    with pacsv.CSVWriter(str(path), schema, write_options=write_options) as wr:
        for mask_b, mask_d in groups():
            g = np.concatenate([np.flatnonzero(mask_b), m + np.flatnonzero(mask_d)])
            ri = g.copy()  # the room of each row
            is_dup = g >= m
            ri[is_dup] = di[g[is_dup] - m]
            g_pdate = _take(p_date, d_pdate, g)
            g_start = _take(rooms.start_ms, d_start, g)
            order = np.lexsort((ri, g_start, rooms.end_ms[ri], g_pdate))
            g, ri, g_pdate, g_start = g[order], ri[order], g_pdate[order], g_start[order]
            t = _take(rooms.title, d_title, g).astype(np.int64)
            titled = t >= 0
            uniq, first = np.unique(t[titled], return_index=True)
            fresh = new_id[uniq] < 0
            fu = uniq[fresh][np.argsort(first[fresh], kind="stable")]
            new_id[fu] = next_id + np.arange(len(fu))
            next_id += len(fu)
            out_t = np.where(titled, new_id[np.maximum(t, 0)], -1)
            cat = pa.DictionaryArray.from_arrays(rooms.shop[ri].astype(np.int8), cats.tolist())
            tbl = pa.table(
                {
                    "p_date": g_pdate.astype(np.int64),
                    "live_id": ri.astype(np.int64) + 1,
                    "streamer_id": rooms.streamer[ri].astype(np.int64),
                    "live_type": rooms.live_type[ri].astype(np.int64),
                    "start_timestamp": g_start,
                    "end_timestamp": rooms.end_ms[ri],
                    "live_content_category": cat.cast(pa.string()),
                    "live_name_id": out_t,
                },
                schema=schema,
            )
            wr.write_table(tbl)
            n_rows += len(g)
    return n_rows
