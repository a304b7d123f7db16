"""Weekly retention and DAU/WAU on Beijing calendar weeks (hand-made logs)."""

from __future__ import annotations

from kuailive_analysis.retention import dau_wau, weekly_retention

from ._data import act


def test_weekly_retention_on_calendar_weeks():
    w = weekly_retention(act({1: [0, 8, 15], 2: [1], 3: [9, 16]})).set_index(
        ["cohort_week", "n_weeks"]
    )
    assert w.loc[(0, 1), "cohort_size"] == 2 and w.loc[(0, 1), "rate"] == 0.5
    assert w.loc[(0, 2), "rate"] == 0.5 and w.loc[(1, 1), "rate"] == 1.0
    assert (1, 2) not in w.index  # week 3 is outside the window
    assert (w["lo"] <= w["rate"]).all() and (w["rate"] <= w["hi"]).all()


def test_dau_wau_on_a_rolling_week():
    dw = dau_wau(act({1: list(range(21)), 2: [0]})).set_index("day")
    assert dw.index.min() == 6 and dw.index.max() == 20
    assert dw.loc[6, "ratio"] == 0.5 and dw.loc[7, "ratio"] == 1.0
    assert list(dw.loc[[6, 7, 14], "week"]) == [0, 1, 2]
