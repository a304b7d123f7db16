"""Which days are active: the behaviours of a user-day, and the SQL definition of a streamer's
broadcast days (:data:`STREAMER_ACTIVITY_DAYS`) on hand-computed rooms."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.core.calendar import MS_PER_DAY, WINDOW_START_MS, beijing_day
from kuailive_analysis.retention import RetentionError
from kuailive_analysis.retention.activity import (
    BEHAVIOUR_COLUMNS,
    activity_days,
    streamer_activity_days,
)

from ._data import frames_dataset


def test_activity_behaviours_choose_which_counts_make_a_day_active():
    ud = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "day": [0, 1, 0],
            "active": [True, False, False],
            "n_clicks": [1, 0, 0],
            "n_comments": 0,
            "n_likes": 0,
            "n_gifts": 0,
            "n_negatives": [0, 5, 3],
        }
    )
    assert activity_days(ud).to_dict("list") == {"user_id": [1], "day": [0]}
    wide = activity_days(ud, behaviours=list(BEHAVIOUR_COLUMNS))
    assert wide.to_dict("list") == {"user_id": [1, 1, 2], "day": [0, 1, 0]}
    assert activity_days(ud, behaviours=["exposure"])["user_id"].tolist() == [1, 2]
    with pytest.raises(RetentionError, match="choose from"):
        activity_days(ud, behaviours=["watch"])


def _rooms(rows) -> pd.DataFrame:
    """Rooms from (streamer, start offset ms, length ms) relative to the window start."""
    return pd.DataFrame(
        {
            "streamer_id": [r[0] for r in rows],
            "start_ms": [WINDOW_START_MS + r[1] for r in rows],
            "end_ms": [WINDOW_START_MS + r[1] + r[2] for r in rows],
        }
    )


def test_streamer_activity_days_hand_computed():
    d, h = MS_PER_DAY, 3_600_000
    rooms = _rooms(
        [
            (1, -h, 2 * h),  # started before the window, live at its start -> day 0
            (1, 5 * d + 10, d),  # day 5
            (1, 5 * d + 2 * h, h),  # a second room the same day: one row
            (2, -5 * d, d),  # ended before the window -> ignored
            (3, 21 * d + 1, d),  # starts after the last day -> ignored
            (4, 20 * d + h, 30 * d),  # a long room counts for its start day only
        ]
    )
    days = streamer_activity_days(frames_dataset(rooms=rooms))
    assert days.to_dict("list") == {"streamer_id": [1, 1, 4], "day": [0, 5, 20]}
    assert str(days["streamer_id"].dtype) == "int32" and str(days["day"].dtype) == "int8"
    short = streamer_activity_days(frames_dataset(rooms=rooms), last_day=19)
    assert short.to_dict("list") == {"streamer_id": [1, 1], "day": [0, 5]}


@given(
    st.lists(
        st.tuples(
            st.integers(1, 6),
            st.integers(-3 * 86_400_000, 23 * 86_400_000),
            st.integers(0, 3 * 86_400_000),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 20),
)
@settings(max_examples=40, deadline=None)
def test_streamer_activity_days_are_the_clipped_start_days(rows, last_day):
    """The distinct (streamer, clipped start day) pairs of the rooms that end after the window
    start and start on or before last_day."""
    rooms = _rooms(rows)
    day = beijing_day(rooms["start_ms"].to_numpy())
    keep = (rooms["end_ms"].to_numpy() > WINDOW_START_MS) & (day <= last_day)
    want = sorted({(int(s), max(int(d), 0)) for s, d in zip(rooms["streamer_id"][keep], day[keep])})
    got = streamer_activity_days(frames_dataset(rooms=rooms), last_day=last_day)
    assert list(zip(got["streamer_id"], got["day"])) == want
