"""Early activity uses only the early window, the landmark resets the clock, segment labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.retention import RetentionError, survival_table
from kuailive_analysis.retention.segments import early_activity, landmark, user_segments

from ._data import row


def test_early_activity_uses_only_the_early_window_and_landmark():
    ud = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 2, 2],
            "day": [2, 3, 4, 5, 0, 9],
            "active": True,
            "n_clicks": [1, 2, 4, 100, 7, 7],
            "watch_ms": [3_600_000, 0, 0, 10**9, 0, 0],
            "n_gifts": [0, 0, 0, 5, 0, 3],
        }
    )
    tab = survival_table(ud, churn_days=3)
    early = early_activity(ud, tab, early_days=3).set_index("user_id")
    # user 1 enters on day 2: days 2, 3, 4 count, day 5 (the big day) is the future
    assert early.loc[1, "early_n_clicks"] == 7 and early.loc[1, "early_n_gifts"] == 0
    assert early.loc[1, "early_active_days"] == 3 and early.loc[1, "early_watch_h"] == 1.0
    assert early.loc[2, "early_n_clicks"] == 7 and early.loc[2, "early_active_days"] == 1
    lm = landmark(tab, 3).set_index("user_id")
    assert list(lm.index) == [1]  # user 2 churned after day 0 (T = 1 < 3)
    assert lm.loc[1, "duration"] == row(tab, 1).duration - 2
    pd.testing.assert_frame_equal(landmark(tab, 1), tab[tab["eligible"]].reset_index(drop=True))
    with pytest.raises(RetentionError, match="early_days"):
        early_activity(ud, tab, early_days=0)


def test_user_segments_labels():
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "gender": ["M", "F", None],
            "age": pd.Categorical(["18-23", "50+", "18-23"]),
            "device_price": ["0", "5000+", "1000-2000"],
            "tenure_days": [10.0, 400.0, np.nan],
        }
    )
    early = pd.DataFrame(
        {"user_id": [1, 2, 3], "early_n_gifts": [0, 2, 0], "early_watch_ms": [10, 1000, 500]}
    )
    seg = user_segments(users, early, new_account_days=365).set_index("user_id")
    assert list(seg["gender"]) == ["M", "F", "unknown"]
    assert list(seg["account"]) == ["new", "old", "unknown"]
    assert list(seg["early_gifter"]) == ["non-gifter", "gifter", "non-gifter"]
    assert list(seg["early_watch"]) == ["light", "heavy", "light"]
