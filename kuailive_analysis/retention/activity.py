"""Activity: which (id, day) pairs count as active, for users and for streamers."""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.engine.queries.retention import STREAMER_ACTIVITY_DAYS
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
    """Distinct active (id, day) pairs of a per-day frame.

    Parameters
    ----------
    user_day : DataFrame
        One row per (id, day), e.g. the Dataset's ``user_day``.
    id_col, last_day : str, int
        The id column; the window's last day (a day outside ``0 .. last_day`` is an error).
    behaviours : sequence of str, optional
        Names from :data:`BEHAVIOUR_COLUMNS`: a day counts when any of those counts is positive
        (with ``"exposure"``, being shown rooms is presence). By default the boolean ``active``
        column decides (every row counts without it).

    Returns
    -------
    DataFrame
        ``[id_col, day]`` (int32, int8), sorted, without duplicates.
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


def streamer_activity_days(ds, last_day: int = DEFAULT_LAST_DAY) -> pd.DataFrame:
    """``[streamer_id, day]`` (int32, int8, sorted): the days each streamer of the Dataset
    ``ds`` went live, computed by its engine with the one definition, the SQL
    :data:`~kuailive_analysis.engine.queries.retention.STREAMER_ACTIVITY_DAYS` (the Beijing day
    of a room's start; a room live at the window start counts for day 0, rooms starting after
    ``last_day`` are ignored, a long room counts for its start day only)."""
    days = ds.query(STREAMER_ACTIVITY_DAYS, last_day=int(last_day))
    return days.astype({"streamer_id": "int32", "day": "int8"}).reset_index(drop=True)
