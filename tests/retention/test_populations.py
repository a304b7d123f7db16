"""Existing users vs users new to the window, cohort weighting, pooled small cohorts."""

from __future__ import annotations

import pytest

from kuailive_analysis.retention import cohort_triangle, population_retention
from kuailive_analysis.retention.populations import EXISTING, NEW, difference, pool_cohorts, rate_of

from ._data import act

POP_LOG = {1: [0, 1], 2: [0], 3: [1, 2], 4: [2, 3], 5: [2]}
"""Day-0 cohort {1, 2}: day 1 -> 1/2. Cohort 1 {3}: 1/1. Cohort 2 {4, 5}: 1/2."""


def test_population_retention_splits_day0_from_new_users():
    pops = population_retention(cohort_triangle(act(POP_LOG)), (1,))
    pop = pops.set_index("population")
    old, new, both = pop.loc[EXISTING], pop.loc[NEW], pop.loc["all users"]
    assert (old["users"], old["denominator"], old["retained"]) == (2, 2, 1)
    assert old["rate"] == old["unweighted"] == 0.5
    assert (new["users"], new["cohorts"], new["retained"]) == (3, 2, 2)
    assert new["rate"] == pytest.approx(2 / 3) and new["unweighted"] == pytest.approx(0.75)
    assert both["rate"] == pytest.approx(3 / 5) and both["unweighted"] == pytest.approx(2 / 3)
    for _, r in pop.iterrows():
        assert r["lo"] <= r["rate"] <= r["hi"]
    d, lo, hi = difference(rate_of(pops, EXISTING, 1), rate_of(pops, NEW, 1))
    assert d == pytest.approx(0.5 - 2 / 3) and lo < d < hi
    # Wald: sqrt(0.25 / 2 + (2/9) / 3) * 1.96
    assert hi - d == pytest.approx(1.959964 * (0.25 / 2 + (2 / 9) / 3) ** 0.5)
    assert rate_of(pops, NEW, 7).denominator == 0  # a horizon not computed


def test_pool_cohorts_merges_small_consecutive_cohorts():
    tri = cohort_triangle(act(POP_LOG))
    pooled = pool_cohorts(tri, min_size=2)
    labels = pooled.groupby("cohort")["label"].first().to_dict()
    assert labels == {0: "day 0 (n=2)", 1: "days 1-2 (pooled, n=3)"}
    cell = pooled.query("cohort == 1 and n == 1").iloc[0]
    assert (cell["denominator"], cell["active_on"]) == (3, 2) and not cell["small"]
    for n, g in pooled.groupby("n"):  # every user is counted once per day N, pooled or not
        assert g["active_on"].sum() == tri.loc[tri["n"] == n, "active_on"].sum()
    assert pool_cohorts(tri, min_size=10)["small"].all()  # one block, still too small
