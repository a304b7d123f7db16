"""Per-streamer and per-user activity over the window, summed from the (user, live) sessions.

These two tables are the derived tables the metric registry shares
(:class:`kuailive_analysis.core.metrics.MetricContext` ``streamer_activity`` /
``user_activity``). Sums use integer keys and ``bincount`` over dense codes
(:mod:`kuailive_analysis.core.keys`), not a hashing groupby over millions of rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import combined_key, dense_codes
from kuailive_analysis.eda.base import HINT as _HINT

SESSION_SUMS = (
    "n_clicks",
    "watch_ms",
    "n_comments",
    "n_likes",
    "n_gifts",
    "gift_value",
    "n_negatives",
)


def streamer_activity(
    sessions: pd.DataFrame, rooms: pd.DataFrame | None = None, streamers: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per streamer (index ``streamer_id``): sums over the window.

    Columns: ``n_exposures`` (clicks + negatives), ``n_clicks``, ``n_comments``, ``n_likes``,
    ``n_gifts``, ``n_interactions`` (clicks + comments + likes + gifts), ``gift_value``
    (coins), ``watch_ms``, ``watch_hours``, ``n_viewers`` (distinct users who clicked),
    ``n_rooms_watched`` (distinct rooms clicked) and, with ``rooms``, ``n_rooms`` (rooms the
    streamer ran, from the room table). With ``streamers`` every streamer of the profile table
    gets a row (zeros for streamers without events), which is what cold-start shares need.
    """
    require_columns(
        sessions, ["user_id", "live_id", "streamer_id", *SESSION_SUMS], "sessions", hint=_HINT
    )
    sid = sessions["streamer_id"].to_numpy()
    out = _group_sums(sid, sessions, list(SESSION_SUMS))
    clicked = sessions["n_clicks"].to_numpy() > 0
    out["n_viewers"] = _distinct_counts(sid[clicked], sessions["user_id"].to_numpy()[clicked])
    out["n_rooms_watched"] = _distinct_counts(sid[clicked], sessions["live_id"].to_numpy()[clicked])
    index = out.index
    if rooms is not None:
        require_columns(rooms, ["live_id", "streamer_id"], "rooms", hint=_HINT)
        n_rooms = _distinct_counts(rooms["streamer_id"].to_numpy(), rooms["live_id"].to_numpy())
        index = index.union(n_rooms.index)
    if streamers is not None:
        require_columns(streamers, ["streamer_id"], "streamers", hint=_HINT)
        index = index.union(pd.Index(streamers["streamer_id"].unique()))
    out = out.reindex(index).fillna(0)
    if rooms is not None:
        out["n_rooms"] = n_rooms.reindex(index).fillna(0)
    out = out.astype("int64")
    out["n_exposures"] = out["n_clicks"] + out["n_negatives"]
    out["n_interactions"] = out["n_clicks"] + out["n_comments"] + out["n_likes"] + out["n_gifts"]
    out["watch_hours"] = out["watch_ms"] / MS_PER_HOUR
    out.index = out.index.astype("int32")
    out.index.name = "streamer_id"
    return out


def user_activity(
    sessions: pd.DataFrame, user_day: pd.DataFrame | None = None, users: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per user (index ``user_id``): sums over the window.

    Columns as in :func:`streamer_activity` plus ``n_sessions`` (rooms clicked, i.e. (user,
    live) sessions with a click), ``n_streamers`` (distinct streamers clicked),
    ``top_streamer_watch_share`` (share of the user's watch time spent on their most-watched
    streamer; NaN without watch time) and, with ``user_day``, ``active_days`` (days with a
    click, comment, like or gift). With ``users`` every profiled user gets a row.
    """
    require_columns(
        sessions, ["user_id", "live_id", "streamer_id", *SESSION_SUMS], "sessions", hint=_HINT
    )
    uid = sessions["user_id"].to_numpy()
    sid = sessions["streamer_id"].to_numpy()
    out = _group_sums(uid, sessions, list(SESSION_SUMS))
    clicked = sessions["n_clicks"].to_numpy() > 0
    ucl = uid[clicked]
    code, k = dense_codes(ucl)
    ids = np.empty(k, dtype=uid.dtype)
    ids[code] = ucl
    out["n_sessions"] = pd.Series(np.bincount(code, minlength=k).astype("int64"), index=ids)
    out["n_streamers"] = _distinct_counts(ucl, sid[clicked])
    # watch time per (user, streamer) pair, then the top pair's share of the user's total
    pcode, kp = dense_codes(combined_key(uid, sid))
    pw = np.bincount(pcode, weights=sessions["watch_ms"].to_numpy(dtype="float64"), minlength=kp)
    user_of = np.empty(kp, dtype=uid.dtype)
    user_of[pcode] = uid
    by_user = pd.Series(pw, index=pd.Index(user_of, name="user_id")).groupby(
        level="user_id", sort=True
    )
    tot = by_user.sum()
    share = (by_user.max() / tot.where(tot > 0)).astype("float64")
    index = out.index
    if user_day is not None:
        require_columns(user_day, ["user_id", "day", "active"], "user_day", hint=_HINT)
        active_days = user_day.loc[user_day["active"].astype(bool)].groupby("user_id").size()
        index = index.union(active_days.index)
    if users is not None:
        require_columns(users, ["user_id"], "users", hint=_HINT)
        index = index.union(pd.Index(users["user_id"].unique()))
    out = out.reindex(index).fillna(0).astype("int64")
    if user_day is not None:
        out["active_days"] = active_days.reindex(index).fillna(0).astype("int64")
    out["n_exposures"] = out["n_clicks"] + out["n_negatives"]
    out["n_interactions"] = out["n_clicks"] + out["n_comments"] + out["n_likes"] + out["n_gifts"]
    out["watch_hours"] = out["watch_ms"] / MS_PER_HOUR
    out["top_streamer_watch_share"] = share.reindex(index)
    out.index = out.index.astype("int32")
    out.index.name = "user_id"
    return out


# ---------------------------------------------------------------------------------------------
# Kernels: sums and distinct counts per integer key
# ---------------------------------------------------------------------------------------------
def _group_sums(keys: np.ndarray, frame: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Integer sums of ``cols`` per distinct integer key (index: sorted keys, int64 values);
    bincount over dense key codes instead of a hash groupby (exact: sums of integers below
    2**53)."""
    code, k = dense_codes(keys)
    uniq = np.empty(k, dtype=np.asarray(keys).dtype)
    uniq[code] = keys
    out = {
        c: np.bincount(code, weights=frame[c].to_numpy(dtype="float64"), minlength=k).astype(
            "int64"
        )
        for c in cols
    }
    return pd.DataFrame(out, index=pd.Index(uniq))


def _distinct_counts(group: np.ndarray, item: np.ndarray) -> pd.Series:
    """Number of distinct ``item`` values per ``group`` value (index: sorted groups present)."""
    group = np.asarray(group)
    if len(group) == 0:
        return pd.Series(np.zeros(0, dtype="int64"), index=pd.Index(group))
    key = combined_key(group, np.asarray(item))
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.ones(len(ks), dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    gcode, k = dense_codes(group)
    uniq = np.empty(k, dtype=group.dtype)
    uniq[gcode] = group
    g_of_pair = gcode[order][first]  # the group of each distinct (group, item) pair
    return pd.Series(np.bincount(g_of_pair, minlength=k).astype("int64"), index=pd.Index(uniq))
