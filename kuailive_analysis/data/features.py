"""Derived tables of the data model: time columns, rooms, sessions, user-day panel, tenure.

Definitions (all times Beijing, Asia/Shanghai; the window starts 2025-05-05 00:00 Beijing):

* ``day`` = Beijing day index (int8, 0..20) and ``hour`` = Beijing hour of day (int8, 0..23)
  of :mod:`kuailive_analysis.core.calendar`.
* A **session** is one (user_id, live_id) pair with at least one event of any kind (click,
  comment, like, gift or unclicked exposure). ``first_ms``/``last_ms`` are its first and last
  event times, ``day`` the day of ``first_ms``; ``watch_ms`` sums ``watch_live_time`` (ms) of
  its clicks; ``gift_value`` sums ``gift_price`` (coins); ``n_exposures = n_clicks +
  n_negatives`` (every click came from an exposure). ``streamer_id`` is the room's streamer.
* The **user-day panel** has one row per (user_id, day) with any event; ``active`` is True when
  the user clicked, commented, liked or gifted that day (an unclicked exposure is not activity).
* ``tenure_days`` = days from registration date to the window start; ``watch_age_days`` = days
  from the first live watched to the window start (both can be negative if the snapshot date
  is after the window start; profiles are an end-of-window snapshot).

Keys are integers throughout: a (user, live) pair is the int64 ``user_id << 32 | live_id``
(:func:`kuailive_analysis.core.keys.pair_key`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import beijing_day, beijing_hour, ms_to_beijing
from kuailive_analysis.core.keys import lookup, lookup_table, pair_key, unpack_pair_key
from kuailive_analysis.data import schema as S

EVENT_ATTRS = {"click": "clicks", "comment": "comments", "like": "likes", "gift": "gifts",
               "negative": "negatives"}
"""Raw table name -> Dataset attribute name."""


def day_index(ms) -> np.ndarray:
    """Beijing day index since 2025-05-05 as stored in the tables (int8 for in-window times)."""
    return beijing_day(ms).astype(np.int8)


def add_time_columns(ev: pd.DataFrame) -> pd.DataFrame:
    """Event table with int64 ``timestamp`` (ms) -> tz-aware ``timestamp`` plus ``ts_ms``,
    ``day``, ``hour``. Other columns unchanged (shared with ``ev``, not copied)."""
    ms = ev["timestamp"].to_numpy().astype(np.int64, copy=False)
    cols = {c: ev[c].array for c in ev.columns}
    cols["timestamp"] = ms_to_beijing(pd.Series(ms, copy=False)).array
    cols["ts_ms"] = ms
    cols["day"] = day_index(ms)
    cols["hour"] = beijing_hour(ms).astype(np.int8)
    return pd.DataFrame(cols, copy=False)


def room_table(room: pd.DataFrame) -> pd.DataFrame:
    """Clean room frame (ms columns, duration_min, end_censored) -> contract ``rooms``."""
    start = room["start_timestamp"].to_numpy().astype(np.int64, copy=False)
    end = room["end_timestamp"].to_numpy().astype(np.int64, copy=False)
    return pd.DataFrame({
        "live_id": room["live_id"].to_numpy().astype(np.int32, copy=False),
        "streamer_id": room["streamer_id"].to_numpy().astype(np.int32, copy=False),
        "live_type": room["live_type"].array,
        "start_timestamp": ms_to_beijing(pd.Series(start, copy=False)).array,
        "end_timestamp": ms_to_beijing(pd.Series(end, copy=False)).array,
        "start_ms": start,
        "end_ms": end,
        "live_content_category": room["live_content_category"].array,
        "live_name_id": room["live_name_id"].array,
        "p_date": room["p_date"].array,
        "duration_min": room["duration_min"].to_numpy().astype(np.float32, copy=False),
        "end_censored": room["end_censored"].to_numpy().astype(bool, copy=False),
    }, copy=False)


def build_sessions(events: dict[str, pd.DataFrame], rooms: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """One row per (user_id, live_id) with any event (see module docstring).

    ``events`` maps raw names (click, comment, like, gift, negative) to frames with user_id,
    live_id, streamer_id, ``ts_ms`` (or int64 ``timestamp``) and, for click / gift,
    watch_live_time / gift_price. Vectorised: one concatenation and sort of the int64 pair
    keys, then ``reduceat`` over the groups (exact integer sums). Memory is kept to a few
    arrays of the event count (this runs on ~17.5M events at full scale).
    """
    names = [n for n in S.EVENT_TABLES if n in events]
    total = sum(len(events[n]) for n in names)

    def cat(get, dtype):
        out = np.empty(total, dtype=dtype)
        i = 0
        for n in names:
            k = len(events[n])
            out[i:i + k] = get(n, events[n])
            i += k
        return out

    key = cat(lambda n, ev: pair_key(ev["user_id"].to_numpy(), ev["live_id"].to_numpy()),
              np.int64)
    order = np.argsort(key)
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if total else np.array([], int)
    ukey = key[starts]
    del key
    n_groups = ukey.size
    user, live = unpack_pair_key(ukey)
    out = {"user_id": user.astype(np.int32), "live_id": live.astype(np.int32)}
    del user, live
    del ukey

    def ms(ev):
        return (ev["ts_ms"] if "ts_ms" in ev else ev["timestamp"]).to_numpy()

    ts = cat(lambda n, ev: ms(ev), np.int64)[order]
    first = np.minimum.reduceat(ts, starts) if n_groups else ts
    last = np.maximum.reduceat(ts, starts) if n_groups else ts
    del ts
    # the room's streamer; the events' (min over the pair) only for lives unknown to `rooms`
    rs = np.zeros(n_groups, dtype=np.int32)
    if rooms is not None and len(rooms):
        table = lookup_table(rooms["live_id"].to_numpy(),
                             rooms["streamer_id"].to_numpy().astype(np.int32))
        rs = lookup(table, out["live_id"], 0)
    if (rs == 0).any() and n_groups:
        stid = cat(lambda n, ev: ev["streamer_id"].to_numpy(), np.int32)[order]
        rs = np.where(rs > 0, rs, np.minimum.reduceat(stid, starts)).astype(np.int32)
        del stid
    out["streamer_id"] = rs
    out["first_ms"] = first
    out["last_ms"] = last
    out["day"] = day_index(first)
    del first, last
    src = cat(lambda n, ev: np.full(len(ev), names.index(n), dtype=np.int8), np.int8)[order]
    cols = {"click": "n_clicks", "comment": "n_comments", "like": "n_likes", "gift": "n_gifts",
            "negative": "n_negatives"}
    for n, col in cols.items():
        if n in names and n_groups:
            out[col] = np.add.reduceat((src == names.index(n)).astype(np.int32), starts)
        else:
            out[col] = np.zeros(n_groups, dtype=np.int32)
    for n, vcol, col in (("click", "watch_live_time", "watch_ms"),
                         ("gift", "gift_price", "gift_value")):
        if n in names and n_groups:
            val = cat(lambda m, ev: ev[vcol].to_numpy() if m == n else 0, np.int32)[order]
            out[col] = np.add.reduceat(val, starts, dtype=np.int64)
            del val
        else:
            out[col] = np.zeros(n_groups, dtype=np.int64)
    out["n_exposures"] = (out["n_clicks"] + out["n_negatives"]).astype(np.int32)
    order_cols = ["user_id", "live_id", "streamer_id", "first_ms", "last_ms", "day", "n_clicks",
                  "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value", "n_negatives",
                  "n_exposures"]
    return pd.DataFrame({c: out[c] for c in order_cols}, copy=False)  # no copy of columns


def build_user_day(events: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (user_id, day) with any event: counts, watch_ms, gift_value, active flag.

    Counted from the event tables by event day (not session day), so a session crossing
    midnight contributes to both days. Key: int64 ``user_id * 64 + day``. Each table is reduced
    on its own (one sort), then the small per-table results are merged, so memory stays at a
    few arrays of the largest table.
    """
    cols = {"click": "n_clicks", "comment": "n_comments", "like": "n_likes", "gift": "n_gifts",
            "negative": "n_negatives"}
    sums = {"click": ("watch_live_time", "watch_ms"), "gift": ("gift_price", "gift_value")}
    parts = []
    for n in S.EVENT_TABLES:
        if n not in events or not len(events[n]):
            continue
        ev = events[n]
        day = ev["day"].to_numpy() if "day" in ev else day_index(ev["timestamp"].to_numpy())
        key = ev["user_id"].to_numpy().astype(np.int64) * 64 + day.astype(np.int64)
        order = np.argsort(key)
        k = key[order]
        del key
        starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
        part = {"key": k[starts], cols[n]: np.diff(np.r_[starts, k.size]).astype(np.int32)}
        if n in sums:
            v = ev[sums[n][0]].to_numpy()[order]
            part[sums[n][1]] = np.add.reduceat(v, starts, dtype=np.int64)
        parts.append(pd.DataFrame(part))
    names = ["n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value",
             "n_negatives"]
    if parts:
        m = pd.concat(parts, ignore_index=True).groupby("key", sort=True).sum(min_count=0)
        keys = m.index.to_numpy()
    else:
        m, keys = pd.DataFrame(columns=names), np.array([], np.int64)
    out = {"user_id": (keys // 64).astype(np.int32), "day": (keys % 64).astype(np.int8)}
    for c in names:
        dtype = np.int64 if c in ("watch_ms", "gift_value") else np.int32
        out[c] = (m[c].fillna(0).to_numpy().astype(dtype) if c in m
                  else np.zeros(len(keys), dtype))
    out["active"] = (out["n_clicks"] + out["n_comments"] + out["n_likes"] + out["n_gifts"]) > 0
    return pd.DataFrame(out)


def _days_before_window(dates: pd.Series) -> pd.Series:
    """Whole days from ``dates`` (datetime64, no zone) to 2025-05-05 (float, NaN if missing)."""
    d = pd.to_datetime(dates)
    return ((pd.Timestamp("2025-05-05") - d) / pd.Timedelta(days=1)).astype("float32")


def user_features(users: pd.DataFrame) -> pd.DataFrame:
    """Add ``reg_date``, ``first_watch_date``, ``tenure_days``, ``watch_age_days`` (float32
    days before the window start; NaN where the date is missing)."""
    out = users.copy()
    out["reg_date"] = users["reg_timestamp"]
    out["first_watch_date"] = users["first_watch_live_timestamp"]
    out["tenure_days"] = _days_before_window(users["reg_timestamp"])
    out["watch_age_days"] = _days_before_window(users["first_watch_live_timestamp"])
    return out


def streamer_features(streamers: pd.DataFrame) -> pd.DataFrame:
    """Add ``reg_date``, ``first_live_date``, ``tenure_days`` and ``live_age_days``."""
    out = streamers.copy()
    out["reg_date"] = streamers["reg_timestamp"]
    out["first_live_date"] = streamers["first_live_timestamp"]
    out["tenure_days"] = _days_before_window(streamers["reg_timestamp"])
    out["live_age_days"] = _days_before_window(streamers["first_live_timestamp"])
    return out


def data_model() -> pd.DataFrame:
    """The data model as a table: each table's grain, key and joins (for the book)."""
    rows = [
        ("users", "dimension", "one row per user", "user_id", ""),
        ("streamers", "dimension", "one row per streamer", "streamer_id", ""),
        ("rooms", "dimension", "one row per broadcast (live_id)", "live_id",
         "streamer_id -> streamers"),
        ("clicks", "fact", "one row per click (entered a room)", "(none: repeats are real)",
         "user_id -> users; live_id -> rooms; streamer_id -> streamers"),
        ("comments", "fact", "one row per comment", "(none)", "user_id, live_id, streamer_id"),
        ("likes", "fact", "one row per like", "(none)", "user_id, live_id, streamer_id"),
        ("gifts", "fact", "one row per gift event (gift_price coins)", "(none)",
         "user_id, live_id, streamer_id"),
        ("negatives", "fact", "one row per unclicked exposure", "(none)",
         "user_id, live_id, streamer_id"),
        ("sessions", "derived", "one row per (user, live) with any event", "(user_id, live_id)",
         "user_id -> users; live_id -> rooms; streamer_id -> streamers"),
        ("user_day", "derived", "one row per (user, Beijing day) with any event",
         "(user_id, day)", "user_id -> users"),
    ]
    return pd.DataFrame(rows, columns=["table", "kind", "grain", "key", "joins"])
