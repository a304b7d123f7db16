"""A hand-made event log with known answers for chapter 5 (shared by the tests of tests/funnel).

Two users with clicks, three rooms; W = window start (2025-05-05 00:00 Beijing):

* user 1 clicks room 10 twice in the same millisecond W+1000 (tied clicks; watch 3 s and 8 s),
  room 11 once at W+5000 (60 s); one negative on room 12 at W+1000 (a screen of 3 exposures).
* user 2 clicks room 10 at W+2000 (1 s), negatives on rooms 11 (W+2000: a screen of 2) and 12
  (W+9000).
* comments: user 1 on room 10 at W+1500, 500 ms after the tied clicks (attributed to the 8 s
  click: the longest watch wins the tie); user 2 on room 10 at W+1000, 1 s *before* their
  click (before_click).
* like: user 1 on room 11 at W+5000+4,000,000 ms, 4,000 s after the click (late with the 1 h
  window, attributed without a window).
* gifts: user 1 on room 10 at W+1000, in the clicks' millisecond (attributed, lag 0, value 5);
  user 3 on room 10 at W+3000 with no click at all (no_click, value 7).

Rooms 10, 11, 12 (type 1 / 2 / 1, category shop / other / other); users 1, 2, 3.
"""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.data.data_source import DataSource
from kuailive_analysis.data.schema import WINDOW_START_MS as W
from kuailive_analysis.dataset import Dataset

COLS = ["user_id", "live_id", "streamer_id", "ts_ms"]
SOURCE = DataSource(
    kind="folder", path="hand-made", scale=None, seed=None, fingerprint="0", label="hand-made log"
)


def ev(rows, extra=None) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLS + ([extra] if extra else []))


def hand_tables() -> dict[str, pd.DataFrame]:
    return {
        "clicks": ev(
            [
                (1, 10, 100, W + 1000, 3000),
                (1, 10, 100, W + 1000, 8000),
                (1, 11, 101, W + 5000, 60000),
                (2, 10, 100, W + 2000, 1000),
            ],
            "watch_live_time",
        ),
        "negatives": ev([(1, 12, 102, W + 1000), (2, 11, 101, W + 2000), (2, 12, 102, W + 9000)]),
        "comments": ev([(1, 10, 100, W + 1500), (2, 10, 100, W + 1000)]),
        "likes": ev([(1, 11, 101, W + 5000 + 4_000_000)]),
        "gifts": ev([(1, 10, 100, W + 1000, 5), (3, 10, 100, W + 3000, 7)], "gift_price"),
        "rooms": pd.DataFrame(
            {
                "live_id": [10, 11, 12],
                "live_type": [1, 2, 1],
                "live_content_category": ["shop", "other", "other"],
            }
        ),
        "users": pd.DataFrame(
            {
                "user_id": [1, 2, 3],
                "age": ["18-23", "50+", "24-30"],
                "gender": ["M", "F", "M"],
                "device_price": ["0", "5000+", "0"],
            }
        ),
    }


def dataset(**tables) -> Dataset:
    """A :class:`Dataset` of the hand log, with ``tables`` replacing some of its tables."""
    return Dataset(tables={**hand_tables(), **tables}, source=SOURCE, params={})
