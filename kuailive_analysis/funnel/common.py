"""Names and small helpers shared by the funnel modules: the steps, engagement kinds and
statuses, the default parameters, and the input checks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import beijing_day, beijing_hour
from kuailive_analysis.core.checks import require_columns

STEPS = ("exposure", "click", "qualified", "interaction", "gift")
"""Nested funnel steps, top to bottom."""

STEP_LABELS = {
    "exposure": "Exposure",
    "click": "Click",
    "qualified": "Qualified watch",
    "interaction": "Like / comment / gift",
    "gift": "Gift",
}

ENGAGEMENT_KINDS = ("comment", "like", "gift")
STATUSES = ("attributed", "late", "before_click", "no_click")

DEFAULT_QUALIFIED_WATCH_S = 5.0
DEFAULT_ATTRIBUTION_WINDOW_S = 3600.0

INTERVALS = ("wilson", "user")
"""``wilson``: units independent (Wilson score). ``user``: user-clustered Poisson bootstrap."""

MISSING = "(missing)"
"""Segment level of an id absent from its dimension table."""

EVENT_COLS = ("user_id", "live_id", "streamer_id", "ts_ms")
HINT = (
    "Pass the cleaned event tables of kuailive_analysis.dataset.load (each with user_id, "
    "live_id, streamer_id and ts_ms epoch milliseconds)."
)


def check_events(df: pd.DataFrame, table: str, extra: Iterable[str] = ()) -> None:
    """Raise a clear error when an event table lacks a column or has missing ids / times."""
    require_columns(df, (*EVENT_COLS, *extra), f"funnel: table {table!r}", hint=HINT)
    for c in EVENT_COLS:
        if df[c].isna().any():
            n = int(df[c].isna().sum())
            raise ValueError(
                f"funnel: table {table!r} column {c!r} has {n:,} missing values; the funnel "
                "counts every row and cannot place a row without ids and time. Clean the "
                "table first (kuailive_analysis.dataset.load does)."
            )


def check_interval(interval: str) -> None:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")


def day_hour(ts_ms) -> tuple[np.ndarray, np.ndarray]:
    """Beijing day index and hour of day (int8 columns) of epoch-ms times."""
    return beijing_day(ts_ms).astype(np.int8), beijing_hour(ts_ms).astype(np.int8)


def runs(*sorted_keys: np.ndarray) -> np.ndarray:
    """Boolean starts of runs of equal key tuples in arrays already sorted by those keys."""
    n = len(sorted_keys[0])
    start = np.zeros(n, dtype=bool)
    if n:
        start[0] = True
        for k in sorted_keys:
            start[1:] |= k[1:] != k[:-1]
    return start
