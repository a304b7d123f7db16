"""The survival table (time to churn, administrative censoring): hand-made logs with known
answers and a brute-force reference."""

from __future__ import annotations

from itertools import pairwise

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.retention import RetentionError, survival_table
from kuailive_analysis.retention.survival_data import SURVIVAL_COLUMNS, follow_up_days

from ._data import act, row

LOG = {
    1: [0],  # one-day user, churned (days 1..20 silent)
    2: [0, 1, 2],  # three days, churned after day 2 -> T = 3
    3: list(range(21)),  # active every day -> censored at c = 20 - 7 + 1 = 14
    4: [20],  # first seen on the last day -> cannot be assessed
    5: [3, 12],  # gap of 8 >= 7 days: churn after day 3 (T = 1), then returned
    6: [0, 7],  # gap of 6 < 7: not a churn; last active 7, 13 silent days -> churn
    7: [2, 15],  # gap 12 -> churn T = 1, returned
    8: [5, 19, 20],  # gap 13 -> churn T = 1 (c = 9), returned
    9: [10, 12, 14],  # last active day 14, only 6 silent days left -> censored at c = 4
    10: [0, 13],  # gap 12 >= 7 -> churn at T = 1 (then returned)
    11: [6, 13],  # gap 6 -> no churn; last 13 = 20 - 7 -> churn observed, T = 8 = c
}


@pytest.fixture(scope="module")
def tab7():
    return survival_table(act(LOG), churn_days=7)


@pytest.mark.parametrize(
    "uid, first, last, duration, event, returned, eligible",
    [
        (1, 0, 0, 1, True, False, True),
        (2, 0, 2, 3, True, False, True),
        (3, 0, 20, 14, False, False, True),
        (4, 20, 20, 0, False, False, False),
        (5, 3, 3, 1, True, True, True),
        (6, 0, 7, 8, True, False, True),
        (7, 2, 2, 1, True, True, True),
        (8, 5, 5, 1, True, True, True),
        (9, 10, 14, 4, False, False, True),
        (10, 0, 0, 1, True, True, True),
        (11, 6, 13, 8, True, False, True),
    ],
)
def test_survival_table_known_rows(tab7, uid, first, last, duration, event, returned, eligible):
    r = row(tab7, uid)
    assert (r.first_day, r.last_active_day, r.duration) == (first, last, duration)
    assert (bool(r.event), bool(r.returned), bool(r.eligible)) == (event, returned, eligible)
    assert r.censor_time == 20 - 7 - first + 1


def test_survival_table_dtypes_and_order(tab7):
    assert list(tab7["user_id"]) == sorted(LOG)
    assert tab7["user_id"].dtype == "int32"
    assert tab7["duration"].dtype == "int16"
    assert tab7["event"].dtype == bool
    assert list(tab7.columns) == ["user_id", *SURVIVAL_COLUMNS]


def test_churn_days_changes_which_gaps_count():
    log = act({1: [0, 4, 20], 2: [0, 1, 2, 3]})
    k3 = survival_table(log, churn_days=3).set_index("user_id")
    k5 = survival_table(log, churn_days=5).set_index("user_id")
    # gap of 3 silent days (1..3) is a churn for k=3 but not for k=5
    assert k3.loc[1, "event"] and k3.loc[1, "duration"] == 1 and k3.loc[1, "returned"]
    assert k5.loc[1, "event"] and k5.loc[1, "last_active_day"] == 4 and k5.loc[1, "duration"] == 5
    assert k5.loc[1, "returned"]
    assert k3.loc[2, "duration"] == 4 and k5.loc[2, "duration"] == 4


def test_activity_on_last_day_is_censored_not_churned():
    r = survival_table(act({1: [0, 5, 10, 15, 20]}), churn_days=7).iloc[0]
    assert not r.event and r.duration == 14 and r.last_active_day == 20


def test_inactive_rows_and_duplicates_are_ignored():
    ud = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 2],
            "day": [0, 0, 3, 19, 4],
            "active": [True, True, True, False, False],
        }
    )
    tab = survival_table(ud, churn_days=7)
    assert list(tab["user_id"]) == [1]  # user 2 was never active
    r = tab.iloc[0]
    assert (r.n_active_days, r.last_active_day, r.duration, bool(r.event)) == (2, 3, 4, True)


def test_last_day_parameter_drops_partial_day():
    log = act({1: [7, 13]})  # last active day 13: the 7 silent days 14..20 include day 20
    full = survival_table(log, churn_days=7).iloc[0]
    short = survival_table(log, churn_days=7, last_day=19).iloc[0]
    assert full.event and full.duration == 7
    assert not short.event and short.duration == 6
    assert follow_up_days(7) == 14 and follow_up_days(3, last_day=10) == 8


@pytest.mark.parametrize(
    "bad, match",
    [
        (pd.DataFrame({"user_id": [1], "day": [21]}), "outside 0..20"),
        (pd.DataFrame({"user_id": [1], "day": [-1]}), "outside 0..20"),
        (pd.DataFrame({"user": [1], "day": [1]}), "missing column"),
        (pd.DataFrame({"user_id": [1], "day": [1], "active": [None]}), "missing values"),
    ],
)
def test_bad_input_names_the_problem(bad, match):
    with pytest.raises(RetentionError, match=match):
        survival_table(bad)


def test_bad_churn_days():
    with pytest.raises(RetentionError, match="churn_days"):
        survival_table(act({1: [0]}), churn_days=0)


def _reference(days: list[int], k: int, last_day: int = 20):
    days = sorted(set(days))
    f = L = days[0]
    returned = False
    for prev, nxt in pairwise(days):
        if nxt - prev - 1 >= k:
            returned = True
            break
        L = nxt
    T, c = L - f + 1, last_day - k - f + 1
    return (min(T, c) if c >= 1 else 0), (c >= 1 and T <= c), returned


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 50),
        st.lists(st.integers(0, 20), min_size=1, max_size=21),
        min_size=1,
        max_size=12,
    ),
    st.integers(1, 10),
)
def test_survival_table_matches_reference(log, k):
    tab = survival_table(act(log), churn_days=k).set_index("user_id")
    for uid, days in log.items():
        dur, ev, ret = _reference(days, k)
        r = tab.loc[uid]
        assert (int(r.duration), bool(r.event), bool(r.returned)) == (dur, ev, ret)
        if r.eligible:
            assert 1 <= r.duration <= r.censor_time
            if r.event:  # the churn gap is inside the window
                assert r.last_active_day + k <= 20
