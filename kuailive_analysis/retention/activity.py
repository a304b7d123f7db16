"""Activity: which (id, day) pairs count as active, for users and for streamers."""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.retention.checks import RetentionError, check_days, require

ACTIVITY_BEHAVIOURS = ("click", "comment", "like", "gift")
"""Behaviours that make a user active on a day (negatives, i.e. unclicked exposures, do not)."""

DEFAULT_LAST_DAY = N_WINDOW_DAYS - 1
"""Last calendar day index of the window (day 20 = 2025-05-25, observed until 22:59:58)."""

BEHAVIOUR_COLUMNS = {
    "click": "n_clicks",
    "comment": "n_comments",
    "like": "n_likes",
    "gift": "n_gifts",
    "exposure": "n_negatives",
}
"""user_day count column of each behaviour; 'exposure' = an unclicked exposure (the user was on
the platform and was shown a room), the widest notion of presence."""


def activity_days(
    user_day: pd.DataFrame,
    *,
    id_col: str = "user_id",
    last_day: int = DEFAULT_LAST_DAY,
    behaviours=None,
) -> pd.DataFrame:
    """Distinct active (id, day) pairs from a per-day frame.

    ``user_day`` has one row per (id, day). By default a row counts when its boolean ``active``
    column is True (the Dataset's ``user_day``: any click, comment, like or gift that day);
    without an ``active`` column every row counts. ``behaviours`` (names from
    :data:`BEHAVIOUR_COLUMNS`) instead counts a day when any of those counts is positive, e.g.
    ``("click", "comment", "like", "gift", "exposure")`` to treat being shown rooms as presence.
    Returns ``[id_col, day]`` (int32, int8), sorted, duplicates removed.
    """
    require(user_day, [id_col, "day"], "user_day")
    frame = user_day
    if behaviours is not None:
        unknown = [b for b in behaviours if b not in BEHAVIOUR_COLUMNS]
        if unknown or not len(behaviours):
            raise RetentionError(
                f"behaviours {list(behaviours)!r}: choose from {list(BEHAVIOUR_COLUMNS)}."
            )
        cols = [BEHAVIOUR_COLUMNS[b] for b in behaviours]
        require(frame, cols, "user_day")
        frame = frame[(frame[cols].fillna(0) > 0).any(axis=1).to_numpy()]
    elif "active" in frame.columns:
        if frame["active"].isna().any():
            raise RetentionError("user_day.active has missing values; it must be boolean.")
        frame = frame[frame["active"].astype(bool)]
    check_days(frame["day"], "user_day", last_day)
    return (
        frame[[id_col, "day"]]
        .drop_duplicates()
        .astype({id_col: "int32", "day": "int8"})
        .sort_values([id_col, "day"], kind="stable")
        .reset_index(drop=True)
    )


def streamer_activity_days(
    rooms: pd.DataFrame, *, last_day: int = DEFAULT_LAST_DAY
) -> pd.DataFrame:
    """Broadcast days per streamer: ``[streamer_id, day]`` with one row per day a room started.

    Day = Beijing day index of ``start_ms``. A room that started before the window but was
    still live at its start counts for day 0; rooms starting after ``last_day`` are ignored.
    A long room counts only for its start day (a streamer is active when they go live).
    The definition is the SQL query
    :data:`kuailive_analysis.engine.queries.retention.STREAMER_ACTIVITY_DAYS`, run here on the
    given frame (chapter 3 runs it on the dataset's engine, without loading the rooms).
    """
    from kuailive_analysis.engine.frames import run_on_frames
    from kuailive_analysis.engine.queries.retention import STREAMER_ACTIVITY_DAYS

    require(rooms, ["streamer_id", "start_ms", "end_ms"], "rooms")
    days = run_on_frames(STREAMER_ACTIVITY_DAYS, {"last_day": int(last_day)}, rooms=rooms)
    return _typed_days(days, "streamer_id")


def _typed_days(frame: pd.DataFrame, id_col: str) -> pd.DataFrame:
    return frame.astype({id_col: "int32", "day": "int8"}).reset_index(drop=True)
