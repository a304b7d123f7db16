"""Per-streamer and per-user activity over the window, summed from the (user, live) sessions.

These two tables are the derived tables the metric registry shares
(:class:`kuailive_analysis.metrics.MetricContext` ``streamer_activity`` /
``user_activity``). They are defined once, in SQL
(:data:`~kuailive_analysis.engine.queries.eda.STREAMER_ACTIVITY`,
:data:`~kuailive_analysis.engine.queries.eda.USER_ACTIVITY`): on a dataset's engine over the
Parquet cache (:func:`streamer_activity_of`, :func:`user_activity_of`: the sessions table never
enters pandas) or on an in-memory DuckDB over given frames (:func:`streamer_activity`,
:func:`user_activity`). The integer kernels below (:func:`_group_sums`,
:func:`_distinct_counts`) remain for other modules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import combined_key, dense_codes
from kuailive_analysis.eda.base import HINT as _HINT, Source, columns
from kuailive_analysis.engine.frames import typed_empty
from kuailive_analysis.engine.queries import eda as EQ

SESSION_SUMS = EQ.SESSION_SUMS
"""The session counts summed per streamer and per user."""

_EMPTY_ROOMS = {"live_id": "int32", "streamer_id": "int32"}
_EMPTY_USER_DAY = {"user_id": "int32", "day": "int8", "active": "bool"}


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

    The SQL definition :data:`~kuailive_analysis.engine.queries.eda.STREAMER_ACTIVITY`, run on
    an in-memory DuckDB over the frames (:func:`streamer_activity_of` runs it on a dataset's
    engine).
    """
    require_columns(
        sessions, ["user_id", "live_id", "streamer_id", *SESSION_SUMS], "sessions", hint=_HINT
    )
    if rooms is not None:
        require_columns(rooms, ["live_id", "streamer_id"], "rooms", hint=_HINT)
    if streamers is not None:
        require_columns(streamers, ["streamer_id"], "streamers", hint=_HINT)
    tables = {
        "sessions": sessions,
        "rooms": typed_empty(_EMPTY_ROOMS) if rooms is None else rooms,
        "streamers": typed_empty({"streamer_id": "int32"}) if streamers is None else streamers,
    }
    df = Source(tables=tables).query(EQ.STREAMER_ACTIVITY)
    return _streamer_frame(df, with_rooms=rooms is not None)


def streamer_activity_of(ds) -> pd.DataFrame:
    """:func:`streamer_activity` of a dataset's sessions, rooms and streamer profiles, on its
    engine (a :class:`~kuailive_analysis.dataset.Dataset`) or, for any other object with
    the contract's tables, over its frames."""
    return _streamer_frame(_source(ds).query(EQ.STREAMER_ACTIVITY), with_rooms=True)


def _streamer_frame(df: pd.DataFrame, with_rooms: bool) -> pd.DataFrame:
    out = df.set_index("streamer_id")
    if not with_rooms:
        out = out.drop(columns="n_rooms")
    return _typed(out, "streamer_id")


def user_activity(
    sessions: pd.DataFrame, user_day: pd.DataFrame | None = None, users: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per user (index ``user_id``): sums over the window.

    Columns as in :func:`streamer_activity` plus ``n_sessions`` (rooms clicked, i.e. (user,
    live) sessions with a click), ``n_streamers`` (distinct streamers clicked),
    ``top_streamer_watch_share`` (share of the user's watch time spent on their most-watched
    streamer; NaN without watch time) and, with ``user_day``, ``active_days`` (days with a
    click, comment, like or gift). With ``users`` every profiled user gets a row.

    The SQL definition :data:`~kuailive_analysis.engine.queries.eda.USER_ACTIVITY` on an
    in-memory DuckDB over the frames (:func:`user_activity_of`: on a dataset's engine).
    """
    require_columns(
        sessions, ["user_id", "live_id", "streamer_id", *SESSION_SUMS], "sessions", hint=_HINT
    )
    if user_day is not None:
        require_columns(user_day, ["user_id", "day", "active"], "user_day", hint=_HINT)
    if users is not None:
        require_columns(users, ["user_id"], "users", hint=_HINT)
    tables = {
        "sessions": sessions,
        "user_day": typed_empty(_EMPTY_USER_DAY) if user_day is None else user_day,
        "users": typed_empty({"user_id": "int32"}) if users is None else users,
    }
    df = Source(tables=tables).query(EQ.USER_ACTIVITY)
    return _user_frame(df, with_days=user_day is not None)


def user_activity_of(ds) -> pd.DataFrame:
    """:func:`user_activity` of a dataset's sessions, user-day panel and user profiles, on its
    engine (or over the frames of any object with the contract's tables)."""
    return _user_frame(_source(ds).query(EQ.USER_ACTIVITY), with_days=True)


def _user_frame(df: pd.DataFrame, with_days: bool) -> pd.DataFrame:
    out = df.set_index("user_id")
    if not with_days:
        out = out.drop(columns="active_days")
    out["top_streamer_watch_share"] = out["top_streamer_watch_share"].astype("float64")
    return _typed(out, "user_id")


def _typed(out: pd.DataFrame, key: str) -> pd.DataFrame:
    """int64 counts, float64 shares and hours, an int32 index named ``key``."""
    for c in out.columns:
        out[c] = out[c].astype("float64" if c in _FLOATS else "int64")
    out.index = out.index.astype("int32")
    out.index.name = key
    return out


_FLOATS = ("watch_hours", "top_streamer_watch_share")


def _source(ds) -> Source:
    if callable(getattr(ds, "query", None)):
        return Source(ds)
    return Source(
        tables={
            "sessions": ds.sessions,
            "rooms": columns(ds, "rooms", ["live_id", "streamer_id"]),
            "streamers": columns(ds, "streamers", ["streamer_id"]),
            "user_day": ds.user_day,
            "users": columns(ds, "users", ["user_id"]),
        }
    )


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
