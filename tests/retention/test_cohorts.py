"""Day-N retention by cohort and its size-weighted average: a hand-made log with known answers
and properties on random logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.retention import averaged_retention, cohort_triangle
from kuailive_analysis.retention.cohorts import retention_at

from ._data import act


def test_cohort_triangle_known_answer():
    tri = cohort_triangle(act({1: [0, 1, 3], 2: [0, 2], 3: [1, 2], 4: [19, 20]}))
    cell = tri.set_index(["cohort", "n"])
    assert cell.loc[(0, 0), "cohort_size"] == 2
    assert cell.loc[(0, 1), "active_on"] == 1 and cell.loc[(0, 2), "active_on"] == 1
    assert cell.loc[(0, 3), "rate_on"] == 0.5
    assert cell.loc[(0, 3), "rate_on_or_after"] == 0.5  # only user 1 reaches day 3
    assert cell.loc[(0, 2), "rate_on_or_after"] == 1.0
    assert cell.loc[(1, 1), "rate_on"] == 1.0 and cell.loc[(1, 2), "rate_on_or_after"] == 0.0
    assert sorted(cell.loc[19].index) == [0, 1]  # the day-19 cohort can only have N = 0, 1
    assert (2, 0) not in cell.index  # no cohort on day 2
    avg = averaged_retention(tri).set_index("n")
    # N = 1: cohorts 0 (2 users), 1 (1), 19 (1) are old enough; 4 users, 3 active on day c+1
    assert avg.loc[1, "denominator"] == 4 and avg.loc[1, "active_on"] == 3
    # N = 2: the day-19 cohort is too young, denominator 3
    assert avg.loc[2, "denominator"] == 3 and avg.loc[2, "active_on"] == 1
    assert (avg["on_lo"] <= avg["rate_on"]).all() and (avg["rate_on"] <= avg["on_hi"]).all()
    assert retention_at(avg.reset_index(), 1) == 0.75
    # N = 3: cohorts 0 and 1 (3 users); only user 1 is active on or after day c + 3
    assert retention_at(avg.reset_index(), 3, "rate_on_or_after") == pytest.approx(1 / 3)
    assert np.isnan(retention_at(avg.reset_index(), 25))


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 40),
        st.lists(st.integers(0, 20), min_size=1, max_size=21),
        min_size=1,
        max_size=15,
    )
)
def test_cohort_triangle_properties(log):
    tri = cohort_triangle(act(log))
    assert (tri["cohort"] + tri["n"] <= 20).all()
    assert (tri["active_on"] <= tri["active_on_or_after"]).all()
    assert (tri.loc[tri["n"] == 0, "rate_on"] == 1).all()
    for _, g in tri.groupby("cohort"):
        assert (np.diff(g["rate_on_or_after"].to_numpy()) <= 1e-12).all()
    assert tri.groupby("cohort")["cohort_size"].first().sum() == len(log)
    avg = averaged_retention(tri)
    assert (avg["denominator"].diff().dropna() <= 0).all()  # fewer cohorts reach a later day
    assert pd.Series(avg["rate_on"] <= avg["rate_on_or_after"] + 1e-12).all()
