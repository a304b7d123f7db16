"""New users by account age: the flags by clock and cut, and the check of each definition
against a hand-made planted start."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis.core.calendar import MS_PER_DAY, WINDOW_START_MS
from kuailive_analysis.retention import RetentionError
from kuailive_analysis.retention.new_users import (
    COHORT_DEFINITION,
    definition_check,
    new_user_flags,
    planted_start_in_window,
)

USERS = pd.DataFrame(
    {
        "user_id": [1, 2, 3, 4, 5, 6],
        # days from the date to 2025-05-05: negative = inside the window, NaN = missing
        "watch_age_days": [-3.0, 0.0, 5.0, 400.0, np.nan, -10.0],
        "tenure_days": [40.0, 0.0, 800.0, 900.0, 3.0, 20.0],
    }
)
START = {1: 3, 2: 0, 3: 0, 4: 0, 5: 0, 6: 10}
"""Planted start day of each user; 0 = alive when the window opens (entry at its first ms)."""
TRUTH = pd.DataFrame(
    {
        "user_id": list(START),
        "entry_ms": [
            WINDOW_START_MS + d * MS_PER_DAY + (3_600_000 if d else 0) for d in START.values()
        ],
    }
)
FIRST_DAY = pd.Series({1: 3, 2: 0, 3: 2, 4: 0, 5: 1, 6: 10})
"""First active day in the window of each user."""


def test_new_user_flags_by_clock_and_cut():
    assert list(new_user_flags(USERS)) == [True, True, False, False, False, True]
    week = new_user_flags(USERS, days_before=7)
    assert list(week[week].index) == [1, 2, 3, 6]
    reg = new_user_flags(USERS, by="registration", days_before=7)
    assert list(reg[reg].index) == [2, 5]  # the missing first watch does not matter here
    with pytest.raises(RetentionError, match="choose from"):
        new_user_flags(USERS, by="install")
    with pytest.raises(RetentionError, match=">= 0"):
        new_user_flags(USERS, days_before=-1)
    with pytest.raises(RetentionError, match="tenure_days"):
        new_user_flags(USERS.drop(columns="tenure_days"), by="registration")


def test_planted_start_is_after_the_window_opens():
    late = planted_start_in_window(TRUTH)
    assert list(late[late].index) == [1, 6]


def test_definition_check_scores_each_definition_against_the_planted_start():
    check = definition_check(FIRST_DAY, USERS, TRUTH).set_index("definition")
    cohort = check.loc[COHORT_DEFINITION]  # users 1, 3, 5, 6 first seen on day 1+; 1 and 6 late
    assert (cohort["called_new"], cohort["planted_start_in_window"]) == (4, 2)
    assert (cohort["share_right"], cohort["share_found"]) == (0.5, 1.0)
    chosen = check[check["chosen"]].iloc[0]  # first watch in the window: 1, 2, 6
    assert chosen.name == "first live watch in the window"
    assert (chosen["called_new"], chosen["share_right"], chosen["share_found"]) == (3, 2 / 3, 1.0)
    month = check.loc["first live watch in the window or up to 30 days before"]
    assert month["called_new"] == 4 and month["share_right"] == 0.5
    reg = check.loc["registration in the window or up to 30 days before"]  # users 2, 5, 6
    assert (reg["called_new"], reg["planted_start_in_window"]) == (3, 1)
    assert check["chosen"].sum() == 1 and len(check) == 1 + 2 * 3
    # another cut adds its rows and is the chosen one
    other = definition_check(FIRST_DAY, USERS, TRUTH, by="registration", days_before=3)
    row = other[other["chosen"]].iloc[0]
    assert (row["clock"], row["days_before"], row["called_new"]) == ("registration", 3.0, 2)
    # without a truth: the counts only
    counts = definition_check(FIRST_DAY, USERS)
    assert counts["called_new"].tolist() == check["called_new"].tolist()
    assert counts[["share_right", "share_found"]].isna().all().all()


def test_definition_check_counts_only_users_active_in_the_window():
    check = definition_check(FIRST_DAY.drop(6), USERS, TRUTH)
    assert check.loc[check["chosen"], "called_new"].iloc[0] == 2  # user 6 is not compared
