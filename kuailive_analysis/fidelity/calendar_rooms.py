"""Measuring the families calendar, returns and rooms (called by
:func:`kuailive_analysis.fidelity.measuring.measure`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import (
    MS_PER_DAY,
    MS_PER_MINUTE,
    N_WINDOW_DAYS,
    WINDOW_END_MS,
    WINDOW_START_MS,
    beijing_day,
    beijing_hour,
    utc_day,
)
from kuailive_analysis.core.keys import combined_key
from kuailive_analysis.fidelity.common import (
    FULL_UTC_DAYS,
    SHOP_MAX_MS,
    SHOP_MIN_MS,
    UTC_8_7_7,
    UTC_MAY_4,
    UTC_MAY_21,
    UTC_MAY_25,
    UTC_WEEKS,
    in_days,
    per_unit,
    quantiles,
    ratio,
    share,
)


def measure_calendar(st, c, g, all_ts, sid) -> None:
    """Calendar facts: clicks per UTC week, gifts per click per UTC period, the peak hour of
    interactions, active streamers per full UTC day and next-UTC-day returns per click."""
    cday, gday = utc_day(c.ts), utc_day(g.ts)
    in_weeks = np.zeros(len(cday), dtype=bool)
    for i, span in enumerate(UTC_WEEKS, start=1):
        w = in_days(cday, span)
        in_weeks |= w
        st[f"clicks_utc_week{i}"] = int(w.sum())
    st["clicks_utc_rest"] = int((~in_weeks).sum())
    for i, span in enumerate(UTC_8_7_7, start=1):
        st[f"gpc_utc_p{i}"] = ratio(int(in_days(gday, span).sum()), int(in_days(cday, span).sum()))
    hours = np.bincount(beijing_hour(all_ts), minlength=24)
    st["interaction_peak_hour"] = float(np.argmax(hours)) if hours.sum() else float("nan")
    st["noon_peak"] = float(hours[12] > hours[10] and hours[12] > hours[15])
    # active streamers per full UTC day
    full = in_days(cday, FULL_UTC_DAYS)
    if full.any():
        _, idx = np.unique(combined_key(cday[full], c.streamer[full]), return_index=True)
        day_of_pair = cday[full][idx]
        per_day = pd.Series(day_of_pair).value_counts().reindex(range(*FULL_UTC_DAYS), fill_value=0)
        active = per_day / max(len(sid), 1)
        st["daily_active_streamers"] = float(active.mean())
        rest = active.drop(UTC_MAY_21)
        st["daily_active_cv"] = (
            float(rest.std(ddof=0) / rest.mean()) if rest.mean() else float("nan")
        )
        st["active_dip_0521"] = ratio(float(active[UTC_MAY_21]), float(rest.mean()))
    else:
        st["daily_active_streamers"] = st["daily_active_cv"] = float("nan")
        st["active_dip_0521"] = float("nan")
    # next-UTC-day click return, per click (UTC weeks; gifting vs other clicks)
    k = cday - UTC_MAY_4
    ok = k >= 0
    size_u = int(c.user.max(initial=0)) + 1
    active = np.zeros((size_u, int(k.max(initial=0)) + 2), dtype=bool)
    active[c.user[ok], k[ok]] = True
    back = np.zeros(len(k), dtype=bool)
    back[ok] = active[c.user[ok], k[ok] + 1]
    for i, span in enumerate(UTC_WEEKS, start=1):
        st[f"next_utc_day_w{i}"] = share(back[in_days(cday, span)])
    led = clicks_led_to_gift(c, g)
    span = in_days(cday, (UTC_MAY_4, UTC_MAY_25))
    st["next_utc_day_gift"] = share(back[span & led])
    st["next_utc_day_nogift"] = share(back[span & ~led])


def clicks_led_to_gift(c, g) -> np.ndarray:
    """Clicks with a gift on the same (user, live) within [click, click + watch]."""
    sel = np.flatnonzero(np.isin(c.sess, g.sess))
    m = pd.DataFrame(
        {"sess": c.sess[sel], "ts": c.ts[sel], "end": c.ts[sel] + c.watch[sel], "row": sel}
    ).merge(pd.DataFrame({"sess": g.sess, "g": g.ts}), on="sess")
    hit = (m["g"] >= m["ts"]) & (m["g"] <= m["end"])
    led = np.zeros(len(c.sess), dtype=bool)
    led[m.loc[hit, "row"].to_numpy()] = True
    return led


def measure_active_days(st, all_user, all_ts, uid) -> None:
    """Next-day return of active users and activity in all three weeks (Beijing days)."""
    day = beijing_day(all_ts)
    inside = (day >= 0) & (day < N_WINDOW_DAYS)
    ud = np.unique(all_user[inside] * 64 + day[inside])
    u, dd = ud // 64, ud % 64
    nxt = np.isin(ud + 1, ud)
    st["next_day_active"] = share(nxt[dd != N_WINDOW_DAYS - 1])
    weeks = np.unique(u * 4 + dd // 7)
    per_user = per_unit(uid, weeks // 4)
    st["active_all_weeks"] = share(per_user == 3)


def measure_rooms(st, room: pd.DataFrame, c, test_ts, uid) -> None:
    """Rooms: rows and ids of room.csv, long rooms, shop rooms (first row of each live_id),
    shop rooms live at the test clicks and the busiest start hour."""
    live = room["live_id"].to_numpy(np.int64)
    dur = room["end_timestamp"].to_numpy(np.int64) - room["start_timestamp"].to_numpy(np.int64)
    st["n_room_rows"] = len(room)
    ids, first = np.unique(live, return_index=True)
    st["n_room_ids"] = len(ids)
    st["room_extra_rows"] = ratio(len(room) - len(ids), len(ids))
    long_rows = dur > MS_PER_DAY
    st["n_long_room_rows"] = int(long_rows.sum())
    long_ids = np.unique(live[long_rows])
    st["n_long_room_ids"] = len(long_ids)
    st["long_room_click_share"] = share(np.isin(c.live, long_ids))
    start = room["start_timestamp"].to_numpy(np.int64)[first]
    shop = room["is_shop"].to_numpy(dtype=bool)[first]
    fdur = dur[first]
    st["shop_room_share"] = share(shop)
    shop5 = shop & (fdur > SHOP_MIN_MS) & (fdur < SHOP_MAX_MS)
    st["n_shop_rooms"] = int(shop5.sum())
    st["shop_dur_p25"], st["shop_dur_p50"], st["shop_dur_p90"] = quantiles(
        fdur[shop5] / MS_PER_MINUTE, [0.25, 0.5, 0.9]
    )
    on_shop = np.isin(c.live, ids[shop5])
    st["shop_click_share"] = share(on_shop)
    st["shop_user_share"] = share(per_unit(uid, c.user[on_shop]) > 0)
    starts = np.sort(start[shop5])
    ends = np.sort(start[shop5] + fdur[shop5])
    # shop rooms live at each leave-one-out test click: #{start <= t} - #{end <= t}
    n_live = np.searchsorted(starts, test_ts, side="right") - np.searchsorted(
        ends, test_ts, side="right"
    )
    st["shop_live_mean"] = float(n_live.mean()) if len(test_ts) else float("nan")
    st["shop_live_p10"], st["shop_live_p90"] = quantiles(n_live, [0.1, 0.9])
    # the busiest Beijing start hour of the rooms that start inside the window
    hours = np.bincount(beijing_hour(start[(start >= WINDOW_START_MS) & (start < WINDOW_END_MS)]))
    st["room_start_peak_hour"] = float(np.argmax(hours)) if hours.sum() else float("nan")
