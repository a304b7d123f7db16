"""A hand-made clean dataset with known answers for chapter 2 (shared by the eda tests).

W = window start (2025-05-05 00:00 Beijing, a Monday), H = one hour. Users 1-4 (M, M, F, M),
streamers 100-400 (F, F, M, F), rooms 10-14 (streamers 100, 100, 200, 300, 400; shop rooms 10
and 13; durations 120, 60, 90, 30, 45 min; starts at 19, 43, 11, 21, 18 h).

* clicks: user 1 in room 10 at 20 h (2 s) and room 11 at 44 h (60 s), both of streamer 100:
  one return after 24 h; user 2 in room 10 at 21 h (4 s) and room 12 at 12 h (400 s); user 3
  in room 13 at 22 h (1 s).
* a comment of user 1 in room 10 at 20 h, a like of user 2 in room 12 at 12 h, gifts of user 1
  in room 11 at 44 h (1 coin) and user 2 in room 12 at 12 h (20 coins), five negatives of
  user 3 in room 10 at 21 h.

Interactions per streamer: 100 -> 3 clicks + 1 comment + 1 gift = 5, 200 -> 3, 300 -> 1,
400 -> 0. ``sessions`` and ``user_day`` are built from the events as the data model defines
them (one row per (user, live) and per (user, day)).
"""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_DAY, MS_PER_HOUR as H, WINDOW_START_MS as W
from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.dataset import Dataset

SOURCE = DataSource("folder", "hand-made", None, None, "0" * 16, "hand-made tables")
KEYS = ["user_id", "live_id", "streamer_id"]
SUMS = ["n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value", "n_negatives"]


def ev(rows, extra: str | None = None) -> pd.DataFrame:
    """Event rows (user, live, streamer, ts[, extra]) with their Beijing day and hour."""
    df = pd.DataFrame(rows, columns=[*KEYS, "ts_ms"] + ([extra] if extra else []))
    df["day"] = ((df["ts_ms"] - W) // MS_PER_DAY).astype("int8")
    df["hour"] = (((df["ts_ms"] - W) % MS_PER_DAY) // H).astype("int8")
    return df


def events() -> dict[str, pd.DataFrame]:
    return {
        "clicks": ev(
            [
                (1, 10, 100, W + 20 * H, 2000),
                (1, 11, 100, W + 44 * H, 60_000),
                (2, 10, 100, W + 21 * H, 4000),
                (2, 12, 200, W + 12 * H, 400_000),
                (3, 13, 300, W + 22 * H, 1000),
            ],
            "watch_live_time",
        ),
        "comments": ev([(1, 10, 100, W + 20 * H)]),
        "likes": ev([(2, 12, 200, W + 12 * H)]),
        "gifts": ev([(1, 11, 100, W + 44 * H, 1), (2, 12, 200, W + 12 * H, 20)], "gift_price"),
        "negatives": ev([(3, 10, 100, W + 21 * H)] * 5),
    }


def model(ev: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The sessions and the user-day panel of the events (counts, watch ms, gift coins)."""
    kinds = {t: f"n_{t}" for t in ("clicks", "comments", "likes", "gifts", "negatives")}
    rows = pd.concat(
        [
            df.assign(**{kinds[t]: 1}).rename(
                columns={"watch_live_time": "watch_ms", "gift_price": "gift_value"}
            )
            for t, df in ev.items()
        ]
    )
    rows = rows.fillna(0).astype({c: "int64" for c in SUMS})
    sessions = rows.groupby(KEYS, as_index=False)[SUMS].sum()
    rows["active"] = rows["n_negatives"] == 0
    agg = {**{c: (c, "sum") for c in SUMS}, "active": ("active", "any")}
    user_day = rows.groupby(["user_id", "day"], as_index=False).agg(**agg)
    return {"sessions": sessions, "user_day": user_day}


def tables() -> dict[str, pd.DataFrame]:
    """Every contract table the chapter reads."""
    ev_ = events()
    rooms = pd.DataFrame(
        {
            "live_id": [10, 11, 12, 13, 14],
            "streamer_id": [100, 100, 200, 300, 400],
            "live_type": [1, 1, 2, 1, 2],
            "start_ms": [W + 19 * H, W + 43 * H, W + 11 * H, W + 21 * H, W + 18 * H],
            "live_content_category": ["shop", "other", "other", "shop", "other"],
            "duration_min": [120.0, 60.0, 90.0, 30.0, 45.0],
            "end_censored": [False] * 5,
        }
    )
    rooms["end_ms"] = rooms["start_ms"] + (rooms["duration_min"] * 60_000).astype("int64")
    users = pd.DataFrame({"user_id": [1, 2, 3, 4], "gender": ["M", "M", "F", "M"]})
    streamers = pd.DataFrame({"streamer_id": [100, 200, 300, 400], "gender": ["F", "F", "M", "F"]})
    return {**ev_, **model(ev_), "rooms": rooms, "users": users, "streamers": streamers}


def dataset(**replace: pd.DataFrame) -> Dataset:
    """A :class:`Dataset` of the hand-made tables, with ``replace`` replacing some of them."""
    return Dataset(tables={**tables(), **replace}, source=SOURCE, params={})
