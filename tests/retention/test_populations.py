"""Day-N retention by population (existing vs new users, the day-0 cohort vs later ones) and
pooled small cohorts."""

from __future__ import annotations

import pytest

from kuailive_analysis.retention import cohort_triangle, population_retention
from kuailive_analysis.retention.populations import (
    DAY0,
    EXISTING,
    LATER,
    NEW,
    cohort_split,
    difference,
    pool_cohorts,
    rate_of,
)

from ._data import act

POP_LOG = {1: [0, 1], 2: [0], 3: [1, 2], 4: [2, 3], 5: [2]}
"""Day-0 cohort {1, 2}: day 1 -> 1/2. Cohort 1 {3}: 1/1. Cohort 2 {4, 5}: 1/2."""


def test_population_retention_pools_each_population_and_the_cohort_split():
    tri = cohort_triangle(act(POP_LOG))
    split = population_retention(cohort_split(tri), (1,)).set_index("population")
    old, later = split.loc[DAY0], split.loc[LATER]
    assert (old["users"], old["denominator"], old["retained"]) == (2, 2, 1)
    assert old["rate"] == old["unweighted"] == 0.5
    assert (later["users"], later["cohorts"], later["retained"]) == (3, 2, 2)
    assert later["rate"] == pytest.approx(2 / 3) and later["unweighted"] == pytest.approx(0.75)
    for _, r in split.iterrows():
        assert r["lo"] <= r["rate"] <= r["hi"]
    # populations by account (users 1 and 4 new): each has its own cohorts
    new = cohort_triangle(act({u: POP_LOG[u] for u in (1, 4)}))
    rest = cohort_triangle(act({u: POP_LOG[u] for u in (2, 3, 5)}))
    pops = population_retention({EXISTING: rest, NEW: new, "all users": tri}, (1, 7))
    n = rate_of(pops, NEW, 1)  # user 1 (cohort 0) and user 4 (cohort 2) both come back
    assert (n.rate, n.denominator, n.unweighted) == (1.0, 2, 1.0)
    e = rate_of(pops, EXISTING, 1)  # users 2 (no), 3 (yes), 5 (no)
    assert e.rate == pytest.approx(1 / 3) and e.denominator == 3
    assert rate_of(pops, "all users", 1).rate == pytest.approx(3 / 5)
    seven = rate_of(pops, NEW, 7)  # both reach day 7 (day 20 is the last), neither is active
    assert (seven.rate, seven.denominator) == (0.0, 2)
    assert rate_of(pops, NEW, 14).denominator == 0  # a horizon not computed
    d, lo, hi = difference(n, e)
    assert d == pytest.approx(2 / 3) and lo < d < hi
    # Wald: 1.96 * sqrt(0 / 2 + (2/9) / 3)
    assert hi - d == pytest.approx(1.959964 * ((2 / 9) / 3) ** 0.5)


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
