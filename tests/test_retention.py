"""Retention and survival (kuailive_analysis.retention): hand-made logs with known answers,
property tests against a brute-force reference, and a check against planted twin lifetimes."""

from __future__ import annotations

import ast
import json
import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis import retention as R
from kuailive_analysis.data.schema import MS_PER_DAY, WINDOW_START_MS


def _act(days_by_user: dict[int, list[int]]) -> pd.DataFrame:
    rows = [(u, d) for u, ds in days_by_user.items() for d in ds]
    return pd.DataFrame(rows, columns=["user_id", "day"])


def _row(tab: pd.DataFrame, uid: int) -> pd.Series:
    return tab.set_index("user_id").loc[uid]


# ---------------------------------------------------------------------------------------------
# survival_table: hand-made logs
# ---------------------------------------------------------------------------------------------
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
    return R.survival_table(_act(LOG), churn_days=7)


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
    r = _row(tab7, uid)
    assert (r.first_day, r.last_active_day, r.duration) == (first, last, duration)
    assert (bool(r.event), bool(r.returned), bool(r.eligible)) == (event, returned, eligible)
    assert r.censor_time == 20 - 7 - first + 1


def test_survival_table_dtypes_and_order(tab7):
    assert list(tab7["user_id"]) == sorted(LOG)
    assert tab7["user_id"].dtype == "int32"
    assert tab7["duration"].dtype == "int16"
    assert tab7["event"].dtype == bool
    assert list(tab7.columns) == ["user_id", *R.SURVIVAL_COLUMNS]


def test_churn_days_changes_which_gaps_count():
    act = _act({1: [0, 4, 20], 2: [0, 1, 2, 3]})
    k3 = R.survival_table(act, churn_days=3).set_index("user_id")
    k5 = R.survival_table(act, churn_days=5).set_index("user_id")
    # gap of 3 silent days (1..3) is a churn for k=3 but not for k=5
    assert k3.loc[1, "event"] and k3.loc[1, "duration"] == 1 and k3.loc[1, "returned"]
    assert k5.loc[1, "event"] and k5.loc[1, "last_active_day"] == 4 and k5.loc[1, "duration"] == 5
    assert k5.loc[1, "returned"]
    assert k3.loc[2, "duration"] == 4 and k5.loc[2, "duration"] == 4


def test_activity_on_last_day_is_censored_not_churned():
    tab = R.survival_table(_act({1: [0, 5, 10, 15, 20]}), churn_days=7)
    r = tab.iloc[0]
    assert not r.event and r.duration == 14 and r.last_active_day == 20


def test_inactive_rows_and_duplicates_are_ignored():
    ud = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 2],
            "day": [0, 0, 3, 19, 4],
            "active": [True, True, True, False, False],
        }
    )
    tab = R.survival_table(ud, churn_days=7)
    assert list(tab["user_id"]) == [1]  # user 2 was never active
    r = tab.iloc[0]
    assert (r.n_active_days, r.last_active_day, r.duration, bool(r.event)) == (2, 3, 4, True)


def test_last_day_parameter_drops_partial_day():
    act = _act({1: [7, 13]})  # last active day 13: the 7 silent days 14..20 include day 20
    full = R.survival_table(act, churn_days=7).iloc[0]
    short = R.survival_table(act, churn_days=7, last_day=19).iloc[0]
    assert full.event and full.duration == 7
    assert not short.event and short.duration == 6


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
    with pytest.raises(R.RetentionError, match=match):
        R.survival_table(bad)


def test_bad_churn_days():
    with pytest.raises(R.RetentionError, match="churn_days"):
        R.survival_table(_act({1: [0]}), churn_days=0)


# ---------------------------------------------------------------------------------------------
# survival_table: properties against a brute-force reference
# ---------------------------------------------------------------------------------------------
def _reference(days: list[int], k: int, last_day: int = 20):
    days = sorted(set(days))
    f = days[0]
    L = days[0]
    returned = False
    for prev, nxt in pairwise(days):
        if nxt - prev - 1 >= k:
            returned = True
            break
        L = nxt
    T = L - f + 1
    c = last_day - k - f + 1
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
    tab = R.survival_table(_act(log), churn_days=k).set_index("user_id")
    for uid, days in log.items():
        dur, ev, ret = _reference(days, k)
        r = tab.loc[uid]
        assert (int(r.duration), bool(r.event), bool(r.returned)) == (dur, ev, ret)
        if r.eligible:
            assert 1 <= r.duration <= r.censor_time
            if r.event:  # the churn gap is inside the window
                assert r.last_active_day + k <= 20


# ---------------------------------------------------------------------------------------------
# cohort triangle
# ---------------------------------------------------------------------------------------------
def test_cohort_triangle_known_answer():
    act = _act({1: [0, 1, 3], 2: [0, 2], 3: [1, 2], 4: [19, 20]})
    tri = R.cohort_triangle(act).set_index(["cohort", "n"])
    assert tri.loc[(0, 0), "cohort_size"] == 2
    assert tri.loc[(0, 1), "active_on"] == 1 and tri.loc[(0, 2), "active_on"] == 1
    assert tri.loc[(0, 3), "rate_on"] == 0.5
    assert tri.loc[(0, 3), "rate_on_or_after"] == 0.5  # only user 1 reaches day 3
    assert tri.loc[(0, 2), "rate_on_or_after"] == 1.0
    assert tri.loc[(1, 1), "rate_on"] == 1.0 and tri.loc[(1, 2), "rate_on_or_after"] == 0.0
    # the day-19 cohort can only have N = 0, 1
    assert sorted(tri.loc[19].index) == [0, 1]
    assert (2, 0) not in tri.index  # no cohort on day 2
    avg = R.averaged_retention(tri.reset_index()).set_index("n")
    # N = 1: cohorts 0 (2 users), 1 (1), 19 (1) are old enough; 4 users, 3 active on day c+1
    assert avg.loc[1, "denominator"] == 4 and avg.loc[1, "active_on"] == 3
    # N = 2: the day-19 cohort is too young, denominator 3
    assert avg.loc[2, "denominator"] == 3 and avg.loc[2, "active_on"] == 1
    assert (avg["on_lo"] <= avg["rate_on"]).all() and (avg["rate_on"] <= avg["on_hi"]).all()


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
    tri = R.cohort_triangle(_act(log))
    assert (tri["cohort"] + tri["n"] <= 20).all()
    assert (tri["active_on"] <= tri["active_on_or_after"]).all()
    assert (tri.loc[tri["n"] == 0, "rate_on"] == 1).all()
    for _, g in tri.groupby("cohort"):
        assert (np.diff(g["rate_on_or_after"].to_numpy()) <= 1e-12).all()
    assert tri.groupby("cohort")["cohort_size"].first().sum() == len(log)


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier helpers
# ---------------------------------------------------------------------------------------------
def test_km_without_censoring_is_the_empirical_survival():
    T = np.array([1, 1, 2, 3, 3, 3, 5, 8])
    tab = pd.DataFrame({"duration": T, "event": True})
    kmf = R.fit_km(tab)
    for t in range(10):
        assert kmf.survival_function_at_times(t).iloc[0] == pytest.approx((T > t).mean())
    s = R.km_summary(kmf, tau=6, horizons=(1, 3))
    assert s.rmst == pytest.approx(np.minimum(T, 6).mean())
    assert s.median == 3
    assert s.at(1) == pytest.approx(0.75)
    # with no censoring the RMST variance is the sample variance of min(T, tau) / n
    m = np.minimum(T, 6)
    assert s.rmst_se**2 == pytest.approx(m.var() / len(m), rel=1e-9)


def test_km_median_not_reached_and_ineligible_rows_dropped():
    tab = pd.DataFrame(
        {
            "duration": [3, 4, 4, 0],
            "event": [True, False, False, False],
            "eligible": [True, True, True, False],
        }
    )
    kmf = R.fit_km(tab)
    assert kmf.event_table["entrance"].sum() == 3
    s = R.km_summary(kmf, tau=4)
    assert not np.isfinite(s.median)
    assert R.format_median(s.median) == "not reached"
    assert R.format_median(5.0) == "5 days"


def test_km_table_band_contains_estimate():
    rng = np.random.default_rng(1)
    tab = pd.DataFrame({"duration": rng.integers(1, 10, 200), "event": rng.random(200) < 0.7})
    out = R.km_table(R.fit_km(tab), [0, 1, 5, 9])
    assert out.loc[0, "survival"] == 1.0
    assert ((out["lo"] <= out["survival"]) & (out["survival"] <= out["hi"])).all()


def test_churn_sensitivity_shorter_k_means_more_churn():
    rng = np.random.default_rng(3)
    log = {u: sorted(set(rng.integers(0, 21, rng.integers(1, 12)).tolist())) for u in range(1, 301)}
    sens = R.churn_sensitivity(_act(log), churn_days=(3, 5, 7))
    assert list(sens["churn_days"]) == [3, 5, 7]
    assert sens["share_churned"].is_monotonic_decreasing
    assert (sens["S(1)"].diff().dropna() >= -1e-12).all()


# ---------------------------------------------------------------------------------------------
# Segments and tests
# ---------------------------------------------------------------------------------------------
def _two_groups(rng, n, scale_a, scale_b):
    ta = np.ceil(rng.exponential(scale_a, n)).astype(int)
    tb = np.ceil(rng.exponential(scale_b, n)).astype(int)
    dur = np.r_[ta, tb]
    c = 10
    tab = pd.DataFrame({"duration": np.minimum(dur, c), "event": dur <= c})
    return tab, pd.Series(["a"] * n + ["b"] * n)


def test_segment_tests_detect_a_real_difference_and_not_a_null():
    rng = np.random.default_rng(11)
    tab, lab = _two_groups(rng, 300, 3.0, 9.0)
    res = R.segment_tests(tab, lab, point_in_time=3)
    assert res.overall.iloc[0]["p"] < 1e-6
    pw = res.pairwise.iloc[0]
    assert pw["S_a"] < pw["S_b"] and pw["fixed_p"] < 1e-3
    tab0, lab0 = _two_groups(rng, 300, 5.0, 5.0)
    res0 = R.segment_tests(tab0, lab0, point_in_time=3)
    assert res0.overall.iloc[0]["p"] > 0.001


def test_segment_tests_drop_small_levels_and_need_two():
    tab = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": True})
    res = R.segment_tests(tab, pd.Series(["a"] * 5 + ["b"]), min_group=3)
    assert res.overall.empty and list(res.dropped.index) == ["b"]


def test_holm_adjustment():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(R.holm(p), [0.04, 0.09, 0.09, 0.5])


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
    tab = R.survival_table(ud, churn_days=3)
    early = R.early_activity(ud, tab, early_days=3).set_index("user_id")
    # user 1 enters on day 2: days 2, 3, 4 count, day 5 (the big day) is the future
    assert early.loc[1, "early_n_clicks"] == 7 and early.loc[1, "early_n_gifts"] == 0
    assert early.loc[1, "early_active_days"] == 3 and early.loc[1, "early_watch_h"] == 1.0
    assert early.loc[2, "early_n_clicks"] == 7 and early.loc[2, "early_active_days"] == 1
    lm = R.landmark(tab, 3).set_index("user_id")
    assert list(lm.index) == [1]  # user 2 churned after day 0 (T = 1 < 3)
    assert lm.loc[1, "duration"] == _row(tab, 1).duration - 2
    pd.testing.assert_frame_equal(R.landmark(tab, 1), tab[tab["eligible"]].reset_index(drop=True))
    with pytest.raises(R.RetentionError, match="early_days"):
        R.early_activity(ud, tab, early_days=0)


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
    seg = R.user_segments(users, early, new_account_days=365).set_index("user_id")
    assert list(seg["gender"]) == ["M", "F", "unknown"]
    assert list(seg["account"]) == ["new", "old", "unknown"]
    assert list(seg["early_gifter"]) == ["non-gifter", "gifter", "non-gifter"]
    assert list(seg["early_watch"]) == ["light", "heavy", "light"]


# ---------------------------------------------------------------------------------------------
# Cox
# ---------------------------------------------------------------------------------------------
def test_cox_recovers_a_planted_hazard_ratio():
    rng = np.random.default_rng(5)
    n = 1500
    gifted = rng.random(n) < 0.4
    T = rng.exponential(1 / np.where(gifted, 0.1, 0.2))  # HR of gifting = 0.5
    c = 12
    tab = pd.DataFrame(
        {
            "user_id": np.arange(1, n + 1, dtype="int32"),
            "duration": np.minimum(np.ceil(T), c).astype(int),
            "event": np.ceil(T) <= c,
        }
    )
    early = pd.DataFrame(
        {
            "user_id": tab["user_id"],
            "early_active_days": rng.integers(1, 4, n),
            "early_watch_ms": rng.integers(0, 10**7, n),
            "early_n_gifts": gifted.astype(int),
        }
    )
    X, labels = R.cox_design(tab, early)
    res = R.fit_cox(X, labels, penalizer=0.0)
    row = res.summary.set_index("covariate").loc["early_gifted"]
    assert 0.4 < row["hr"] < 0.62 and row["hr_lo"] < 0.5 < row["hr_hi"]
    assert not row["snapshot"]
    noise = res.summary.set_index("covariate").loc["early_active_days"]
    assert noise["hr_lo"] < 1 < noise["hr_hi"]
    assert 0.55 < res.concordance < 0.7
    assert set(res.ph_test["covariate"]) == set(res.summary["covariate"])
    assert "early_gifted" not in res.ph_violations


def test_cox_design_flags_snapshot_and_drops_constant_columns():
    tab = pd.DataFrame(
        {"user_id": [1, 2, 3, 4], "duration": [1, 2, 3, 4], "event": [True, True, False, True]}
    )
    early = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "early_active_days": [1, 2, 3, 3],
            "early_watch_ms": [0, 1, 2, 3],
            "early_n_gifts": [0, 0, 0, 0],
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "gender": ["F", "M", "F", "M"],
            "tenure_days": [10, 1000, 20, 2000],
        }
    )
    X, labels = R.cox_design(tab, early, users)
    assert "early_gifted" not in X.columns  # nobody gifted
    assert labels["female"][1] and labels["new_account"][1]
    assert not labels["early_active_days"][1]
    assert list(X["female"]) == [1, 0, 1, 0]


def test_hazard_by_age_is_occurrence_over_exposure():
    tab = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "first_day": [0, 0, 2],
            "duration": [2, 14, 4],
            "event": [True, False, True],
        }
    )
    users = pd.DataFrame({"user_id": [1, 2, 3], "watch_age_days": [5, 20, 1000]})
    h = R.hazard_by_age(tab, users, bands=(0, 100, np.inf)).set_index("age_band")
    assert list(h.index) == ["0-100", "100+"]
    assert h.iloc[0]["events"] == 1 and h.iloc[0]["exposure_days"] == 16
    assert h.iloc[0]["per_100_days"] == pytest.approx(100 / 16)
    assert h.iloc[1]["per_100_days"] == pytest.approx(25.0)


# ---------------------------------------------------------------------------------------------
# Streamers
# ---------------------------------------------------------------------------------------------
def test_streamer_activity_days():
    d = MS_PER_DAY
    rooms = pd.DataFrame(
        {
            "streamer_id": [1, 1, 2, 3],
            "start_ms": [
                WINDOW_START_MS - 3_600_000,
                WINDOW_START_MS + 5 * d + 10,
                WINDOW_START_MS - 5 * d,
                WINDOW_START_MS + 21 * d + 1,
            ],
            "end_ms": [
                WINDOW_START_MS + 3_600_000,
                WINDOW_START_MS + 6 * d,
                WINDOW_START_MS - 4 * d,
                WINDOW_START_MS + 22 * d,
            ],
        }
    )
    act = R.streamer_activity_days(rooms)
    assert act.to_dict("list") == {"streamer_id": [1, 1], "day": [0, 5]}


# ---------------------------------------------------------------------------------------------
# Truth comparison
# ---------------------------------------------------------------------------------------------
def test_true_durations_equal_observed_for_daily_activity():
    rng = np.random.default_rng(2)
    n = 400
    f = rng.integers(0, 8, n)
    life = rng.geometric(0.12, n)
    log = {u + 1: list(range(f[u], min(f[u] + life[u], 21))) for u in range(n)}
    truth = pd.DataFrame(
        {
            "user_id": np.arange(1, n + 1),
            "entry_ms": WINDOW_START_MS + f * MS_PER_DAY + 3_600_000,
            "churn_ms": WINDOW_START_MS + (f + life - 1) * MS_PER_DAY + 7_200_000,
        }
    )
    tab = R.survival_table(_act(log), churn_days=4)
    tr = R.true_durations(tab, truth)
    ev = tab["event"].to_numpy()
    assert (tr["T_true"].to_numpy()[ev] == tab["duration"].to_numpy()[ev]).all()
    cmp_ = R.true_vs_km(tab, truth)
    assert cmp_["diff"].abs().max() < 0.08
    assert cmp_["in_band"].mean() > 0.8


def test_true_durations_missing_truth_is_an_error():
    tab = R.survival_table(_act({1: [0], 2: [0]}))
    with pytest.raises(R.RetentionError, match="churn_ms"):
        R.true_durations(tab, pd.DataFrame({"user_id": [1], "churn_ms": [WINDOW_START_MS]}))


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------
def test_plots_return_figures_with_at_risk_counts():
    from kuailive_analysis.plots import retention as P

    rng = np.random.default_rng(4)
    tab, lab = _two_groups(rng, 100, 3.0, 6.0)
    fits = R.km_by_segment(tab, lab)
    fig = P.km_figure(fits, title="t")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    n_a = P.at_risk_counts(fits["a"], [0, 2])
    assert n_a[0] == 100 and f"{int(n_a[1]):,}" in texts
    assert n_a[1] == (tab["duration"][:100] >= 2).sum()
    fig2 = P.km_grid({"x": fits, "y": fits, "z": fits}, title="g")
    assert len([a for a in fig2.axes if a.get_visible()]) == 6


# ---------------------------------------------------------------------------------------------
# Chapter bundles and text helpers
# ---------------------------------------------------------------------------------------------
def test_segment_report_uses_landmark_for_behaviour_segments():
    rng = np.random.default_rng(8)
    n = 240
    tab = pd.DataFrame(
        {
            "user_id": np.arange(1, n + 1, dtype="int32"),
            "first_day": 0,
            "duration": rng.integers(1, 12, n),
            "event": rng.random(n) < 0.6,
        }
    )
    lm = R.landmark(tab, 3)
    seg = pd.DataFrame(
        {
            "user_id": tab["user_id"],
            "age": rng.choice(["50+", "18-23", "24-30"], n),
            "early_gifter": rng.choice(["gifter", "non-gifter"], n),
        }
    )
    rep = R.segment_report(tab, lm, seg, ["age", "early_gifter", "missing"], min_group=10)
    ov = rep.overview.set_index("segment")
    assert list(ov.index) == ["age", "early_gifter"]
    assert ov.loc["age", "n"] == n and ov.loc["early_gifter", "n"] == len(lm)
    assert ov.loc["age", "snapshot"] and not ov.loc["early_gifter", "snapshot"]
    # binned levels in bin order, not by size
    assert list(rep.panels["age (snapshot)"]) == ["18-23", "24-30", "50+"]
    assert list(rep.xlabels) == ["early_gifter (after landmark)"]
    assert len(rep.pairwise) == 3 + 1
    assert R.segment_headline(rep.overview, alpha=1.01).startswith("Curves differ by age")
    assert R.segment_headline(rep.overview, alpha=0.0).startswith("No segment")


def test_cox_headline():
    summ = pd.DataFrame(
        {"label": ["a", "b"], "coef": [0.1, -0.7], "hr": [1.1, 0.5], "p": [0.01, 0.001]}
    )
    assert R.cox_headline(summ) == (
        "Strongest association: b, lower churn hazard (HR 0.50)\nan association, not an effect"
    )
    assert R.cox_headline(summ.assign(p=0.5)).startswith("No covariate")
    # proportional hazards failing, or selection by the sampling rule, is named in the title
    summ = summ.assign(covariate=["x", "early_gifted"])
    head = R.cox_headline(summ, ph_violations=["early_gifted"])
    assert head.endswith(
        "not an effect: proportional hazards fails and the sampling rule selects on it"
    )


# ---------------------------------------------------------------------------------------------
# Populations, pooled cohorts, weekly retention and DAU/WAU: hand-made logs
# ---------------------------------------------------------------------------------------------
POP_LOG = {1: [0, 1], 2: [0], 3: [1, 2], 4: [2, 3], 5: [2]}
"""Day-0 cohort {1, 2}: day 1 -> 1/2. Cohort 1 {3}: 1/1. Cohort 2 {4, 5}: 1/2."""


def test_population_retention_splits_day0_from_new_users():
    tri = R.cohort_triangle(_act(POP_LOG))
    pop = R.population_retention(tri, (1,)).set_index("population")
    old, new, both = pop.loc[R.EXISTING], pop.loc[R.NEW], pop.loc["all users"]
    assert (old["users"], old["denominator"], old["retained"]) == (2, 2, 1)
    assert old["rate"] == old["unweighted"] == 0.5
    assert (new["users"], new["cohorts"], new["retained"]) == (3, 2, 2)
    assert new["rate"] == pytest.approx(2 / 3) and new["unweighted"] == pytest.approx(0.75)
    assert both["rate"] == pytest.approx(3 / 5) and both["unweighted"] == pytest.approx(2 / 3)
    for _, r in pop.iterrows():
        assert r["lo"] <= r["rate"] <= r["hi"]
    d, lo, hi = R.populations.difference(
        R.populations.rate_of(pop.reset_index(), R.EXISTING, 1),
        R.populations.rate_of(pop.reset_index(), R.NEW, 1),
    )
    assert d == pytest.approx(0.5 - 2 / 3) and lo < d < hi


def test_pool_cohorts_merges_small_consecutive_cohorts():
    tri = R.cohort_triangle(_act(POP_LOG))
    pooled = R.pool_cohorts(tri, min_size=2)
    labels = pooled.groupby("cohort")["label"].first().to_dict()
    assert labels == {0: "day 0 (n=2)", 1: "days 1-2 (pooled, n=3)"}
    cell = pooled.query("cohort == 1 and n == 1").iloc[0]
    assert (cell["denominator"], cell["active_on"]) == (3, 2) and not cell["small"]
    # every user is counted once per day N, pooled or not
    for n, g in pooled.groupby("n"):
        assert g["active_on"].sum() == tri.loc[tri["n"] == n, "active_on"].sum()
    assert R.pool_cohorts(tri, min_size=10)["small"].all()  # one block, still too small


def test_weekly_retention_and_dau_wau_on_calendar_weeks():
    act = _act({1: [0, 8, 15], 2: [1], 3: [9, 16]})
    w = R.weekly_retention(act).set_index(["cohort_week", "n_weeks"])
    assert w.loc[(0, 1), "cohort_size"] == 2 and w.loc[(0, 1), "rate"] == 0.5
    assert w.loc[(0, 2), "rate"] == 0.5 and w.loc[(1, 1), "rate"] == 1.0
    assert (1, 2) not in w.index  # week 3 is outside the window
    dw = R.dau_wau(_act({1: list(range(21)), 2: [0]})).set_index("day")
    assert dw.index.min() == 6 and dw.index.max() == 20
    assert dw.loc[6, "ratio"] == 0.5 and dw.loc[7, "ratio"] == 1.0
    assert list(dw.loc[[6, 7, 14], "week"]) == [0, 1, 2]


# ---------------------------------------------------------------------------------------------
# Planted lifetimes on the twin
# ---------------------------------------------------------------------------------------------
HORIZONS = [1, 7, 14]
PRESENCE_TOL = 0.06
"""|KM - truth| allowed at days 1, 7, 14 when any exposure counts as presence (k = 7). The twin
at test scale has about 470 assessable users, so the KM standard error near S = 0.9 is about
0.015; the remaining inactivity-definition bias measured at this scale is about 0.035."""
ENGAGEMENT_TOL = 0.12
"""Same, for the default activity (click, comment, like, gift): browse-only days are silent,
so more lifetimes end early (bias measured at about 0.08 by day 14)."""


@pytest.fixture(scope="module")
def twin_ds(small_twin):
    from kuailive_analysis.dataset import load

    return load(small_twin)


def test_km_tracks_planted_lifetimes_on_twin(twin_ds):
    truth = twin_ds.truth["users"]
    presence = R.activity_days(twin_ds.user_day, behaviours=list(R.BEHAVIOUR_COLUMNS))
    cmp_p = R.true_vs_km(R.survival_table(presence, churn_days=7), truth, times=HORIZONS).set_index(
        "t"
    )
    assert (cmp_p["diff"].abs() <= PRESENCE_TOL).all(), cmp_p
    engaged = R.activity_days(twin_ds.user_day)
    cmp_e = R.true_vs_km(R.survival_table(engaged, churn_days=7), truth, times=HORIZONS).set_index(
        "t"
    )
    assert (cmp_e["diff"].abs() <= ENGAGEMENT_TOL).all(), cmp_e
    # the observed lifetime ends at the last active day, never after the true churn:
    # the estimate may sit above the truth only by sampling noise
    assert (cmp_e["diff"] <= 0.02).all() and (cmp_p["diff"] <= 0.02).all()
    # a shorter churn threshold reads more pauses as churn: a larger gap at day 7
    cmp_3 = R.true_vs_km(R.survival_table(engaged, churn_days=3), truth, times=[7]).iloc[0]
    assert cmp_3["diff"] < cmp_e.loc[7, "diff"]


def test_true_durations_never_shorter_than_observed_on_twin(twin_ds):
    tab = R.survival_table(R.activity_days(twin_ds.user_day), churn_days=7)
    tab = tab[tab["eligible"]]
    tr = R.true_durations(tab, twin_ds.truth["users"])
    # every logged activity happens before the planted churn, so T_true >= observed duration
    assert (tr["T_true"].to_numpy() >= tab["duration"].to_numpy()).all()


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
    assert R.activity_days(ud).to_dict("list") == {"user_id": [1], "day": [0]}
    wide = R.activity_days(ud, behaviours=list(R.BEHAVIOUR_COLUMNS))
    assert wide.to_dict("list") == {"user_id": [1, 1, 2], "day": [0, 1, 0]}
    assert R.activity_days(ud, behaviours=["exposure"])["user_id"].tolist() == [1, 2]
    with pytest.raises(R.RetentionError, match="choose from"):
        R.activity_days(ud, behaviours=["watch"])


# ---------------------------------------------------------------------------------------------
# Result types and small helpers
# ---------------------------------------------------------------------------------------------
def test_small_helpers_of_the_result_types():
    assert R.follow_up_days(7) == R.DEFAULT_LAST_DAY - 7 + 1
    assert R.follow_up_days(3, last_day=10) == 8
    avg = pd.DataFrame({"n": [0, 1], "rate_on": [1.0, 0.4], "rate_on_or_after": [1.0, 0.6]})
    assert R.retention_at(avg, 1) == 0.4 and R.retention_at(avg, 1, "rate_on_or_after") == 0.6
    assert np.isnan(R.retention_at(avg, 7))
    sens = pd.DataFrame({"churn_days": [3, 7], "share_churned": [0.3, 0.1]})
    assert R.sensitivity_row(sens, 7)["share_churned"] == 0.1
    with pytest.raises(KeyError, match="churn_days 5"):
        R.sensitivity_row(sens, 5)
    s = R.km_summary(R.fit_km(pd.DataFrame({"duration": [1, 2, 3], "event": True})), tau=3)
    assert s.at(1) == pytest.approx(2 / 3) and s.median_text == "2 days"
    with pytest.raises(KeyError, match="horizons"):
        s.at(5)
    empty = R.SegmentReport()
    assert empty.pair("early_gifter").a == "n/a" and np.isnan(empty.pair("x").S_a)
    assert empty.headline().startswith("No segment")


def test_cox_result_reads_hazard_ratios_and_violations():
    rng = np.random.default_rng(5)
    n = 400
    x = rng.integers(0, 2, n).astype(float)
    t = np.ceil(rng.exponential(4.0 / np.exp(0.7 * x)))
    design = pd.DataFrame(
        {"duration": np.minimum(t, 12), "event": (t <= 12).astype(int), "early_gifted": x}
    )
    cox = R.fit_cox(design, {"early_gifted": ("gifted early", False)}, ph_alpha=1.01)
    assert cox.hazard_ratio("early_gifted") == pytest.approx(np.exp(0.7), rel=0.25)
    assert cox.hazard_ratio("early_gifted", "hr_lo") < cox.hazard_ratio("early_gifted")
    assert np.isnan(cox.hazard_ratio("female"))
    assert cox.violation_names == "gifted early"  # ph_alpha > 1 flags every covariate
    assert cox.warnings_text == "; ".join(cox.warnings) or cox.warnings_text == "none"
    head = cox.headline()
    assert head.startswith("Strongest association: gifted early, higher churn hazard")
    assert "not an effect" in head and "raises" not in head  # an association, never causal


# ---------------------------------------------------------------------------------------------
# The chapter's result: RetentionResult (without executing the notebook)
# ---------------------------------------------------------------------------------------------
CHAPTER = Path(__file__).resolve().parents[1] / "book" / "chapters" / "03_retention.ipynb"
INTRO = CHAPTER.parents[1] / "intro.md"
TEXT_KEY = re.compile(r"\{glue:text\}`(?:chapters/03_retention\.ipynb::)?(\w+)(?::([^`]*))?`")
FIGURE_KEY = re.compile(r"\{glue:figure\}\s+(\w+)")


def _cells(kind):
    nb = json.loads(CHAPTER.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def _text_uses():
    """(key, spec or None) of every {glue:text} in the chapter's markdown."""
    return {(k, s or None) for md in _cells("markdown") for k, s in TEXT_KEY.findall(md)}


def _intro_uses():
    return {
        (k, s or None)
        for k, s in re.findall(
            r"\{glue:text\}`chapters/03_retention\.ipynb::(\w+)(?::([^`]*))?`", INTRO.read_text()
        )
    }


def _rendered(value, spec):
    """What the book shows: the glued text/plain read back as myst-nb does, then formatted."""
    from kuailive_analysis.report import text_value

    stored = text_value(*value) if isinstance(value, tuple) else text_value(value)
    shown = ast.literal_eval(repr(stored))
    return format(shown, spec) if spec else str(shown)


@pytest.fixture(scope="module")
def twin_result(twin_ds):
    return R.analyse(twin_ds)


@pytest.fixture(scope="module")
def folder_result(twin_ds):
    """The same data presented as a plain folder (no ground truth)."""
    from dataclasses import replace

    from kuailive_analysis.dataset import Dataset

    source = replace(
        twin_ds.source, kind="folder", scale=None, seed=None, label="KuaiLive files in /somewhere"
    )
    ds = Dataset(
        tables={n: twin_ds.table(n) for n in ("users", "user_day", "rooms")},
        source=source,
        params=twin_ds.params,
        truth=None,
    )
    return R.analyse(ds)


def test_numbers_are_exactly_the_keys_the_chapter_text_uses(twin_result, folder_result):
    used = {k for k, _ in _text_uses()}
    assert len(used) > 50
    assert {k for k, _ in _intro_uses()} <= used
    for res in (twin_result, folder_result):
        assert set(res.numbers()) == used


def test_figures_and_tables_of_the_text_are_glued_by_the_notebook():
    code = "\n".join(_cells("code"))
    for key in {k for md in _cells("markdown") for k in FIGURE_KEY.findall(md)}:
        assert re.search(rf'\bg\(\s*"{key}"', code), key


def test_every_number_renders_with_the_spec_the_text_uses(twin_result, folder_result):
    for res in (twin_result, folder_result):
        h = res.numbers()
        for key, spec in _text_uses() | _intro_uses():
            value = h[key]
            if spec in (None, "s"):  # shown as text: a string, or pre-formatted in the package
                assert isinstance(value, (str, tuple)), (key, value)
            else:
                assert not isinstance(value, tuple), f"{key} is pre-formatted but used with :{spec}"
            text = _rendered(value, None if spec == "s" else spec)
            assert text and "nan" not in text.lower(), (key, text)


def test_result_values_are_consistent(twin_result):
    res = twin_result
    h = res.numbers()
    assert h["n_eligible"] + h["n_ineligible"] == h["n_active_users"] == len(res.table)
    assert 0 < h["n_events"] <= h["n_eligible"] and h["share_events"] == pytest.approx(
        h["n_events"] / h["n_eligible"]
    )
    for key in (
        "share_events",
        "share_entry0",
        "km_s1",
        "km_s7",
        "st_s7",
        "cox_c",
        "sens_churned_lo",
        "sens_churned_hi",
    ):
        assert 0 <= h[key] <= 1, key
    assert h["tau"] == R.DEFAULT_LAST_DAY - max(res.params.churn_days_grid) + 1
    assert h["follow_max"] == R.DEFAULT_LAST_DAY - res.params.churn_days + 1
    assert h["km_rmst"] <= h["tau"] and h["km_rmst_se"] > 0
    assert (h["k_lo"], h["k_hi"]) == (3, 7) and h["sens_churned_lo"] >= h["sens_churned_hi"]
    assert h["n_landmark"] == len(res.landmark) <= h["n_eligible"]
    # every Kaplan-Meier curve is a survival function: in [0, 1] and non-increasing
    for kmf in [
        res.km,
        res.streamer_km,
        *res.km_by_threshold.values(),
        *(f for panel in res.segments.panels.values() for f in panel.values()),
    ]:
        s = kmf.survival_function_.iloc[:, 0].to_numpy()
        assert ((0 <= s) & (s <= 1)).all() and (np.diff(s) <= 1e-12).all()
    assert h["km_s7"] <= h["km_s1"]
    # cohort retention: within a cohort, on-or-after never rises and is at least "on" (the
    # average over cohorts can rise by a little where the set of cohorts that reach N changes)
    tri = res.triangle
    assert (tri.groupby("cohort")["rate_on_or_after"].diff().dropna() <= 1e-12).all()
    assert (tri["rate_on_or_after"] >= tri["rate_on"]).all()
    r = res.retention
    assert ((r["on_lo"] <= r["rate_on"]) & (r["rate_on"] <= r["on_hi"])).all()
    assert (r["rate_on_or_after"] >= r["rate_on"] - 1e-12).all()
    assert h["ret_on_1"] == (R.retention_at(r, 1), ".1%")
    # the segment and Cox numbers read the tables they come from
    pair = res.segments.pairwise.query("segment == 'early_gifter'").iloc[0]
    assert (h["gift_a"], h["gift_b"]) == (pair["a"], pair["b"])
    assert h["cox_hr_gift"] == (res.cox.hazard_ratio("early_gifted"), ".2f")
    assert h["ph_n"] == len(res.cox.ph_test) and h["ph_n_viol"] <= h["ph_n"]
    assert res.titles.km.endswith("of users not yet churned 7 days after entry")


def test_truth_comparison_only_on_a_twin(twin_result, folder_result):
    import matplotlib.pyplot as plt

    from kuailive_analysis.plots import retention as P

    t = twin_result.numbers()
    assert twin_result.is_twin and twin_result.truth is not None
    assert t["truth_status"] == "planted lifetimes are available"
    assert 0 <= twin_result.truth.max_gap < ENGAGEMENT_TOL + 0.05
    assert t["truth_maxdiff"] == (twin_result.truth.max_gap, ".1%")
    assert t["truth_tmax"][0] == twin_result.tau  # users entering on day 0 reach tau
    assert list(twin_result.truth_curves) == [
        "KM, active: click, comment, like, gift",
        "KM, active incl. exposures",
    ]
    f = folder_result.numbers()
    assert not folder_result.is_twin and folder_result.truth_curves is None
    assert f["truth_status"].startswith("this is not a twin")
    for key in R.result.TRUTH_KEYS:
        assert _rendered(f[key], None) == "n/a"
    assert folder_result.titles.truth is None
    # the same data without the truth file: every other number is unchanged
    other = set(t) - {"data_name", "truth_status", "truth_verdict", *R.result.TRUTH_KEYS}
    assert {k: t[k] for k in other} == {k: f[k] for k in other}
    assert f["data_name"] == "KuaiLive files in /somewhere"
    fig = P.km_vs_truth(folder_result.truth_curves)
    assert "No ground truth" in fig.axes[0].texts[0].get_text()
    fig = P.km_vs_truth(twin_result.truth_curves, title=twin_result.titles.truth)
    shown = fig.axes[0].get_title(loc="left")
    cov = twin_result.truth.coverage
    assert shown.startswith("KM vs planted survival: truth inside the 95% band on")
    assert f"{cov:.0%} of days" in shown
    plt.close("all")


def test_analyse_parameters_reach_the_numbers(twin_ds):
    res = R.analyse(
        twin_ds,
        churn_days=5,
        churn_days_grid=[3, 5],
        early_days=2,
        segments=["gender", "early_gifter"],
        activity_behaviours=["click", "gift"],
    )
    h = res.numbers()
    assert (h["churn_days"], h["k_hi"], h["early_days"]) == (5, 5, 2)
    assert h["tau"] == h["follow_max"] == R.DEFAULT_LAST_DAY - 5 + 1
    assert h["activity_list"] == "click, gift"
    assert list(res.segments.overview["segment"]) == ["gender", "early_gifter"]
    assert list(res.km_by_threshold) == ["3 days", "5 days"]
    with pytest.raises(R.RetentionError, match="choose from"):
        R.analyse(twin_ds, activity_behaviours=["watch"])


def test_chapter_notebook_is_thin():
    """Parameters, prose, one analyse call, glue and figure calls: no definitions, loops or
    string building (issue 14), and about 60 code lines at most outside the parameters."""
    nb = json.loads(CHAPTER.read_text())
    code = [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "parameters" not in c["metadata"].get("tags", [])
    ]
    lines = [ln for cell in code for ln in cell.splitlines() if ln.strip()]
    assert len(lines) <= 60
    src = "\n".join(code)
    for banned in (
        r"\bdef\b",
        r"\bclass\b",
        r"\bfor\b",
        r"\bwhile\b",
        r"\blambda\b",
        r"\bf[\"']",
        r"\.iloc\b",
        r"\b21\s*-",
        r"\.join\(",
    ):
        assert not re.search(banned, src), banned
    assert src.count("retention.analyse(") == 1 and "glue_all(res.numbers())" in src


def test_findings_gate_and_origins(twin_result, folder_result):
    from kuailive_analysis.chapter.findings import headlines

    found = {f.key: f for f in twin_result.findings()}
    for key in ("ret_d1_existing", "ret_d7_existing", "ret_d1_new", "ret_d7_new"):
        f = found[key]
        assert f.headline and f.origin == "method" and f.interval[0] <= f.value <= f.interval[1]
        assert "clicked, commented, liked and gifted" in f.statement  # the sample rule
    t = twin_result.truth
    truth = found["km_truth"]
    assert truth.origin == "planted" and truth.value == t.coverage
    assert truth.status == ("validated" if t.coverage >= 0.8 else "failed")
    assert found["km_s7"].status == truth.status and found["km_s7"].origin == "planted"
    # gifting early is selected on by the sampling rule: never a validated finding
    assert found["cox_early_gift"].status == "failed"
    assert "sampling rule" in found["cox_early_gift"].reason
    assert all(f.status == "validated" for f in headlines(found.values()))
    for f in found.values():
        if f.action:  # actions only from validated findings that are not planted properties
            assert f.status == "validated" and f.origin != "planted", f.key
    assert 2 <= sum(bool(f.action) for f in found.values()) <= 4
    plain = {f.key: f for f in folder_result.findings()}
    assert plain["km_truth"].status == plain["km_s7"].status == "not checkable"
    assert all(f.origin != "planted" for f in plain.values())


def test_truth_check_uses_the_coverage_threshold(twin_ds, twin_result):
    cov = twin_result.truth.coverage
    lax = R.analyse(twin_ds, truth_coverage_min=0.0)
    assert lax.truth.passes and lax.numbers()["truth_verdict"] == "passed"
    assert {f.key: f.status for f in lax.findings()}["km_truth"] == "validated"
    assert lax.truth.coverage == cov
    frame = pd.DataFrame(
        {
            "t": [1.0, 2.0, 3.0, 4.0],
            "diff": [-0.01, -0.02, 0.0, -0.03],
            "in_band": [True, False, True, False],
        }
    )
    half = R.TruthComparison(frame, frame, "KM", min_coverage=0.8)
    assert half.coverage == 0.5 and not half.passes and half.max_gap == 0.03
    assert half.title == (
        "KM vs planted survival: truth inside the 95% band on 50% of days (max gap 3.0%)"
    )
    assert R.TruthComparison(frame, frame, "KM", min_coverage=0.5).passes


def test_titles_state_what_the_figures_show(twin_result):
    titles = twin_result.titles
    assert "raises" not in titles.forest and "lowers" not in titles.forest
    assert titles.forest.startswith(("Strongest association", "No covariate"))
    assert titles.truth == twin_result.truth.title and "band" in titles.truth
    assert "day-0 cohort" in titles.cohorts


def test_tables_are_readable(twin_result):
    tabs = twin_result.tables
    pairs = twin_result.segments.pairwise
    assert len(tabs.pairs) == pairs["segment"].nunique() < len(pairs)  # one row per segment
    for name in ("populations", "weekly", "stickiness", "sensitivity", "segments", "pairs", "ph"):
        df = getattr(tabs, name)
        for col in df.columns:
            assert " " in col or col in ("population", "segment", "covariate", "clock", "p-value")
            if df[col].dtype == object:
                assert not df[col].astype(str).str.contains(r"\de[-+]\d").any(), (name, col)
    assert set(tabs.populations["population"]) == {R.EXISTING, R.NEW, "all users"}


def test_heatmap_pools_and_greys_small_cohorts(twin_result):
    import matplotlib.pyplot as plt

    from kuailive_analysis.plots import retention as P

    pooled = twin_result.pooled
    sizes = pooled.groupby("cohort")["cohort_size"].first()
    assert (sizes.iloc[:-1] >= twin_result.params.min_cohort).all()  # only the tail may be small
    fig = P.cohort_heatmap(pooled, min_size=twin_result.params.min_cohort)
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(rows) == len(sizes) and any("pooled" in r for r in rows)
    if pooled["small"].any():
        assert fig.axes[0].get_legend() is not None
    plt.close("all")


def test_numbers_are_plain_python_values(twin_result):
    for key, value in twin_result.numbers().items():
        v = value[0] if isinstance(value, tuple) else value
        assert type(v) in (int, float, str), (key, type(v))


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
@settings(max_examples=60, deadline=None)
def test_streamer_activity_days_sql_matches_the_arithmetic(rows, last_day):
    """The SQL definition gives the distinct (streamer, clipped start day) pairs of rooms that
    end after the window start and start on or before last_day."""
    from kuailive_analysis.core.calendar import beijing_day

    rooms = pd.DataFrame(
        {
            "streamer_id": [r[0] for r in rows],
            "start_ms": [WINDOW_START_MS + r[1] for r in rows],
            "end_ms": [WINDOW_START_MS + r[1] + r[2] for r in rows],
        }
    )
    start, end = rooms["start_ms"].to_numpy(), rooms["end_ms"].to_numpy()
    day = beijing_day(start)
    keep = (end > WINDOW_START_MS) & (day <= last_day)
    want = sorted({(int(s), int(max(d, 0))) for s, d in zip(rooms["streamer_id"][keep], day[keep])})
    got = R.streamer_activity_days(rooms, last_day=last_day)
    assert list(zip(got["streamer_id"], got["day"])) == want
    assert str(got["streamer_id"].dtype) == "int32" and str(got["day"].dtype) == "int8"
