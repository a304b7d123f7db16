"""RFM summaries (ltv.summary): CDNOW rebuilt from raw transactions, a hand-made log,
invariants (hypothesis) and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis import ltv
from kuailive_analysis.ltv import rfm_summary
from kuailive_analysis.ltv.summary import repeat_transactions_by_day

from .conftest import DATA


def test_rfm_summary_rebuilds_cdnow_summary_from_raw_transactions(cdnow):
    raw = pd.read_csv(
        DATA / "cdnow_sample.txt.gz",
        sep=r"\s+",
        header=None,
        names=["id", "orig", "date", "n", "value"],
    )
    day = (pd.to_datetime(raw["date"].astype(str)) - pd.Timestamp("1997-01-01")).dt.days
    ev = pd.DataFrame({"user_id": raw["orig"], "day": day, "value": raw["value"]})
    # calibration 1997-01-01..1997-09-30 = 273 days; whole data 546 days; weeks = days / 7
    s = rfm_summary(ev, calibration_days=273, n_days=546, value_col="value")
    ref = cdnow.set_index("ID")
    s = s.loc[ref.index]
    np.testing.assert_array_equal(s["frequency_cal"], ref["x"])
    np.testing.assert_allclose((s["recency_cal"] / 7).round(2), ref["t_x"], atol=1e-9)
    np.testing.assert_allclose((s["T_cal"] / 7).round(2), ref["T"], atol=1e-9)
    np.testing.assert_allclose(s["monetary_cal"], ref["zbar"], atol=0.0051)


def test_rfm_summary_hand_made():
    ev = pd.DataFrame(
        {
            #          user 1: days 2, 2, 5, 9 (cal) and 12 (holdout); user 2: day 9 only;
            #          user 3: first event in the holdout (not in the cohort)
            "user_id": [1, 1, 1, 1, 1, 2, 3],
            "day": [2, 2, 5, 9, 12, 9, 11],
            "gift_price": [1, 4, 10, 20, 7, 3, 1],
        }
    )
    summ = ltv.summarise(ev, calibration_days=10, n_days=14, value_col="gift_price")
    s = summ.table
    assert s.equals(rfm_summary(ev, calibration_days=10, n_days=14, value_col="gift_price"))
    assert list(s.index) == [1, 2]
    u1, u2 = s.loc[1], s.loc[2]
    assert (u1["frequency_cal"], u1["recency_cal"], u1["T_cal"]) == (2, 7.0, 7.0)
    assert u1["monetary_cal"] == pytest.approx(15.0)  # (10 + 20) / 2; first day excluded
    assert u1["value_cal"] == pytest.approx(35.0)
    assert (u1["frequency_holdout"], u1["value_holdout"], u1["duration_holdout"]) == (1, 7.0, 4.0)
    assert (u2["frequency_cal"], u2["recency_cal"], u2["T_cal"], u2["monetary_cal"]) == (0, 0, 0, 0)
    assert summ.n_users_first_in_holdout == 1 and summ.holdout_days == 4 and summ.n_users == 2
    assert summ.share_repeat == 0.5 and not s.attrs  # nothing travels in attrs
    days = repeat_transactions_by_day(ev, s.index, n_days=14)
    assert days.tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 6), st.integers(0, 20)), min_size=1, max_size=60),
    st.integers(1, 20),
)
def test_rfm_summary_invariants(pairs, cal):
    ev = pd.DataFrame(pairs, columns=["user_id", "day"])
    summ = ltv.summarise(ev, calibration_days=cal, n_days=21)
    s = summ.table
    assert (s["recency_cal"] <= s["T_cal"]).all()
    assert (s["frequency_cal"] <= s["recency_cal"]).all()  # one transaction a day at most
    assert ((s["frequency_cal"] == 0) == (s["recency_cal"] == 0)).all()
    n_days_total = ev.drop_duplicates().groupby("user_id").size()
    assert (s["frequency_cal"] + 1 + s["frequency_holdout"] == n_days_total.loc[s.index]).all()
    assert len(s) + summ.n_users_first_in_holdout == ev["user_id"].nunique()


def test_rfm_summary_bad_input():
    ok = pd.DataFrame({"user_id": [1, 2], "day": [0, 3], "v": [1.0, 2.0]})
    with pytest.raises(ValueError, match="'day'.*outside"):
        rfm_summary(ok.assign(day=[0, 21]), calibration_days=10)
    with pytest.raises(ValueError, match="'v'.*negative"):
        rfm_summary(ok.assign(v=[1.0, -2.0]), calibration_days=10, value_col="v")
    with pytest.raises(ValueError, match="missing column"):
        rfm_summary(ok.drop(columns="day"), calibration_days=10)
    with pytest.raises(ValueError, match="calibration_days"):
        rfm_summary(ok, calibration_days=21)
