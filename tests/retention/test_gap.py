"""New vs existing within activity levels: the Mantel-Haenszel difference and Sato's variance by
hand, a confounded fixture whose gap vanishes within levels, the minimum detectable effect, the
per-user day-N outcome and the activity levels."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis.retention.gap import (
    activity_levels,
    adjusted_gap,
    day_n_outcomes,
    detectable_effect,
    gap_of,
    gap_rows,
    mantel_haenszel_difference,
    planted_habit_gap,
    unadjusted_gap,
)

from ._data import act


def test_one_stratum_of_equal_groups_is_the_wald_difference():
    # 30 of 50 new vs 40 of 50 existing: delta = 0.6 - 0.8; with equal groups Sato's variance
    # is exactly p1 (1 - p1) / n + p0 (1 - p0) / n = (0.24 + 0.16) / 50 = 0.008
    delta, var = mantel_haenszel_difference([30], [50], [40], [50])
    assert delta == pytest.approx(-0.2) and var == pytest.approx(0.008)
    raw = unadjusted_gap(
        [True] * 30 + [False] * 20 + [True] * 40 + [False] * 10, [1] * 50 + [0] * 50
    )
    assert raw.diff == pytest.approx(-0.2) and raw.se == pytest.approx(math.sqrt(0.008))
    assert raw.lo == pytest.approx(-0.2 - 1.959964 * math.sqrt(0.008), abs=1e-6)


def test_two_strata_by_hand():
    """Stratum 1: 2 of 4 new, 6 of 12 existing; stratum 2: 3 of 3 new, 2 of 6 existing.

    W = 4*12/16 = 3 and 3*6/9 = 2; numerator (2*12 - 6*4)/16 + (3*6 - 2*3)/9 = 0 + 4/3, so
    delta = (4/3) / 5 = 4/15. P1 = (16*6 - 144*2 + 48*4)/256 = 0; P2 = (9*2 - 36*3 + 18*1.5)/81
    = -63/81. Q1 = (2*6 + 6*2)/32 = 0.75; Q2 = (3*4 + 2*0)/18 = 2/3.
    Var = (4/15 * -63/81 + 0.75 + 2/3) / 25."""
    delta, var = mantel_haenszel_difference([2, 3], [4, 3], [6, 2], [12, 6])
    assert delta == pytest.approx(4 / 15)
    assert var == pytest.approx((4 / 15 * -63 / 81 + 0.75 + 2 / 3) / 25)
    # a stratum holding one group only drops out
    d2, v2 = mantel_haenszel_difference([2, 3, 5], [4, 3, 9], [6, 2, 0], [12, 6, 0])
    assert (d2, v2) == pytest.approx((delta, var))
    assert all(math.isnan(x) for x in mantel_haenszel_difference([1], [2], [0], [0]))


def _confounded():
    """Light users (level 'a') are retained 50%, heavy ones ('b') 90%, new or not; new users are
    mostly light: the raw gap is large, the gap within levels is exactly zero."""
    rows = []
    for level, rate, n_new, n_old in (("a", 0.5, 40, 20), ("b", 0.9, 10, 100)):
        for new, n in ((True, n_new), (False, n_old)):
            k = round(rate * n)
            rows += [(level, new, i < k) for i in range(n)]
    return pd.DataFrame(rows, columns=["level", "new", "retained"])


def test_a_confounded_gap_vanishes_within_activity_levels():
    d = _confounded()
    raw = unadjusted_gap(d["retained"], d["new"])
    assert raw.diff == pytest.approx(29 / 50 - 100 / 120)  # (20 + 9) / 50 vs (10 + 90) / 120
    assert raw.excludes_zero
    adj = adjusted_gap(d["retained"], d["new"], d["level"])
    assert adj.diff == pytest.approx(0.0, abs=1e-12) and not adj.excludes_zero
    assert (adj.n_new, adj.n_existing, adj.levels) == (50, 120, 2)
    assert adj.mde == pytest.approx(detectable_effect(adj.se))


def test_detectable_effect_is_2_8_standard_errors():
    # (z_0.975 + z_0.8) = 1.959964 + 0.841621
    assert detectable_effect(1.0) == pytest.approx(2.801585, abs=1e-6)
    assert detectable_effect(0.02, level=0.9, power=0.9) == pytest.approx(
        0.02 * (1.644854 + 1.281552), abs=1e-6
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(1, 30), st.floats(0, 1), st.floats(0, 1)),
        min_size=1,
        max_size=6,
    )
)
def test_equal_rates_in_every_stratum_give_no_gap_and_a_nonnegative_variance(strata):
    """Whatever the group sizes, when new and existing users of each level are retained at the
    same rate the adjusted gap is zero; and the variance estimate is never negative."""
    a = [round(p * n1) for n1, _, p, _ in strata]
    n1 = [n for n, _, _, _ in strata]
    # the same rate in the existing group: scale the counts (sizes multiplied by n1)
    c = [x * n0 for x, (_, n0, _, _) in zip(a, strata)]
    n0 = [n * m for n, (_, m, _, _) in zip(n1, strata)]
    delta, var = mantel_haenszel_difference(a, n1, c, n0)
    assert delta == pytest.approx(0.0, abs=1e-12) and var >= -1e-12
    rnd = [round(q * m) for (_, m, _, q) in strata]
    d2, v2 = mantel_haenszel_difference(a, n1, rnd, [m for _, m, _, _ in strata])
    assert -1 <= d2 <= 1 and v2 >= -1e-12


LOG = {1: [0, 1, 7], 2: [0, 2, 3], 3: [5, 12], 4: [15, 16], 5: [0]}


def test_day_n_outcomes_by_hand():
    out = day_n_outcomes(act(LOG), 7).set_index("user_id")
    # user 4 enters on day 15: day 22 is after the window; the others reach day f + 7
    assert list(out.index) == [1, 2, 3, 5]
    assert out["retained"].to_dict() == {1: True, 2: False, 3: True, 5: False}
    assert out.loc[3, "first_day"] == 5


def test_activity_levels_cross_days_with_click_quartiles():
    early = pd.DataFrame(
        {
            "user_id": range(1, 9),
            "early_active_days": [1, 1, 2, 2, 3, 3, 3, 3],
            "early_n_clicks": [1, 2, 2, 2, 5, 9, 9, 20],
        }
    )
    lev = activity_levels(early)
    # quartile cut points of the clicks: 2, 3.5, 9; a user tied at a cut stays with its level
    assert lev.to_dict() == {
        1: "1 days, clicks Q1",
        2: "1 days, clicks Q1",
        3: "2 days, clicks Q1",
        4: "2 days, clicks Q1",
        5: "3 days, clicks Q3",
        6: "3 days, clicks Q3",
        7: "3 days, clicks Q3",
        8: "3 days, clicks Q4",
    }


def test_gap_rows_measure_activity_before_the_outcome_day():
    log = {u: [0, 1, 2, 7] if u % 2 else [0, 7] for u in range(1, 41)}
    log |= {u: [3, 4, 10] if u % 3 else [3] for u in range(41, 61)}
    user_day = act(log).assign(active=True, n_clicks=1)
    new = pd.Series({u: u > 40 for u in range(1, 61)})
    rows = gap_rows(act(log), user_day, {"split": new}, horizons=(1, 7), early_days=3)
    assert rows["window_days"].tolist() == [1, 3]  # day 1: the first day only
    seven = rows[rows["n"] == 7].iloc[0]
    assert (seven["n_new"], seven["n_existing"]) == (20, 40)
    assert seven["rate_existing"] == 1.0 and seven["rate_new"] == pytest.approx(13 / 20)
    # levels (clicks: 27 users with 1, 13 with 2, 20 with 3: cuts 1, 2, 3): existing users are
    # "3 days, Q3" or "1 days, Q1", new ones "2 days, Q2" or "1 days, Q1"; only the last holds
    # both groups: 0 of 7 new and 20 of 20 existing users come back
    adj = gap_of(rows, "split", 7)
    assert (adj.diff, adj.levels, adj.n_new) == (-1.0, 1, 20)
    assert seven["raw"] == pytest.approx(13 / 20 - 1)
    assert math.isnan(gap_of(rows, "nope", 7).diff)


def test_planted_habit_gap_compares_within_quartiles_of_the_planted_visit_probability():
    """Users 1-40 visit every day; 41-80 every other day. Late starters (first day 1) are all
    among the rare visitors: the raw gap is large, within the planted habit it is zero."""
    log = {u: list(range(0, 21)) for u in range(1, 41)}
    log |= {u: list(range(0, 21, 2)) for u in range(41, 61)}  # days 0, 2, ..., 20
    log |= {u: list(range(1, 21, 2)) for u in range(61, 81)}  # first seen on day 1
    truth = pd.DataFrame({"user_id": range(1, 81), "p_day": [0.95] * 40 + [0.5] * 40})
    late = pd.Series({u: u > 60 for u in range(1, 81)})
    rows = gap_rows(act(log), act(log).assign(active=True, n_clicks=1), {"s": late})
    assert gap_of(rows, "s", 7, "raw").diff == pytest.approx(0 - 40 / 60)
    habit = planted_habit_gap(act(log), truth, late, 7)
    # day f + 7 is odd for the every-other-day users (never active then), so they are 0 of 20
    # late and 0 of 20 existing; the every-day users have no late counterpart
    assert habit.diff == pytest.approx(0.0) and habit.levels == 1
