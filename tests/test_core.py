"""Unit tests of kuailive_analysis.core: the one definition of each shared statistic, the
Beijing calendar, keys, constants and input checks (known answers and hypothesis properties)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats as sps

from kuailive_analysis.core import calendar as cal, checks, constants, keys, stats as S
from kuailive_analysis.data import schema

W = cal.WINDOW_START_MS
H = cal.MS_PER_HOUR
nonneg = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60)
positive_floats = st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=60)


# --------------------------------------------------------------------------------------------
# Gini
# --------------------------------------------------------------------------------------------
def test_gini_known_vectors():
    assert S.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert S.gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n-1)/n
    # 1,2,3,4: 2*(1+4+9+16)/(4*10) - 5/4 = 1.5 - 1.25
    assert S.gini([4, 1, 3, 2]) == pytest.approx(0.25)
    assert S.gini([1.0, 3.0]) == pytest.approx(0.25)
    assert np.isnan(S.gini([0, 0]))


def test_gini_rejects_bad_input():
    with pytest.raises(ValueError, match="negative"):
        S.gini([1, -1])
    with pytest.raises(ValueError, match="missing"):
        S.gini([1, np.nan])
    with pytest.raises(ValueError, match="empty"):
        S.gini([])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.floats(0.01, 1e6))
def test_gini_of_equal_values_is_0_and_of_one_holder_is_n_minus_1_over_n(n, v):
    assert S.gini(np.full(n, v)) == pytest.approx(0.0, abs=1e-12)
    x = np.zeros(n)
    x[n // 2] = v
    assert S.gini(x) == pytest.approx((n - 1) / n, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(nonneg, st.floats(0.001, 1000.0))
def test_gini_bounds_scale_invariance_and_order(xs, c):
    if sum(xs) == 0:
        return
    g = S.gini(xs)
    n = len(xs)
    assert -1e-12 <= g <= (n - 1) / n + 1e-12
    assert S.gini([c * x for x in xs]) == pytest.approx(g, abs=1e-9)  # scale invariant
    assert S.gini(list(reversed(xs))) == pytest.approx(g, abs=1e-12)  # order free


@settings(max_examples=60, deadline=None)
@given(nonneg)
def test_gini_is_twice_area_between_diagonal_and_lorenz(xs):
    if sum(xs) == 0:
        return
    lc = S.lorenz_curve(xs, n_points=None)
    area = np.trapezoid(lc["value_share"], lc["population_share"])
    assert S.gini(xs) == pytest.approx(1 - 2 * area, abs=1e-9)


# --------------------------------------------------------------------------------------------
# Lorenz curve
# --------------------------------------------------------------------------------------------
def test_lorenz_end_points_and_shape():
    lc = S.lorenz_curve([0, 0, 0, 10], n_points=None)
    assert list(lc["population_share"]) == [0, 0.25, 0.5, 0.75, 1.0]
    assert list(lc["value_share"]) == [0, 0, 0, 0, 1.0]
    c = S.lorenz_curve([3, 1], n_points=None)  # poorest first
    assert c["value_share"].tolist() == [0.0, 0.25, 1.0]
    grid = S.lorenz_curve([1, 2, 3, 4], n_points=11)
    assert len(grid) == 11
    assert grid.iloc[0].tolist() == [0.0, 0.0]
    assert grid.iloc[-1].tolist() == [1.0, 1.0]
    # half the population (values 1, 2) holds 3/10
    assert grid.loc[grid["population_share"] == 0.5, "value_share"].item() == pytest.approx(0.3)
    with pytest.raises(ValueError, match="all values are 0"):
        S.lorenz_curve([0, 0])


@settings(max_examples=80, deadline=None)
@given(positive_floats, st.sampled_from([None, 2, 11, 201]))
def test_lorenz_starts_at_0_ends_at_1_monotone_convex_below_diagonal(xs, n_points):
    if sum(xs) == 0:
        return
    lc = S.lorenz_curve(xs, n_points=n_points)
    p, v = lc["population_share"].to_numpy(), lc["value_share"].to_numpy()
    assert (p[0], v[0]) == (0.0, 0.0) and (p[-1], v[-1]) == (1.0, 1.0)
    assert (np.diff(p) > 0).all() and (np.diff(v) >= -1e-12).all()
    assert (v <= p + 1e-12).all()
    slopes = np.diff(v) / np.diff(p)
    assert (np.diff(slopes) >= -1e-6 * max(1.0, slopes.max())).all()  # convex


# --------------------------------------------------------------------------------------------
# Top shares
# --------------------------------------------------------------------------------------------
def test_top_shares_known_values():
    x = list(range(1, 11))  # total 55
    assert S.top_share(x, 0.1) == pytest.approx(10 / 55)
    assert S.top_share(x, 0.2) == pytest.approx(19 / 55)
    assert S.top_share(x, 1.0) == pytest.approx(1.0)
    assert S.top_share(x, 0.05) == pytest.approx(5 / 55)  # half of the largest unit
    assert S.top_share(x, 0.15) == pytest.approx((10 + 0.5 * 9) / 55)  # no rounding to units
    assert S.top_share([1, 2, 3, 4], 0.25) == pytest.approx(0.4)
    assert S.top_k_share(x, 2) == pytest.approx(19 / 55)
    assert S.top_k_share(x, 50) == pytest.approx(1.0)
    assert S.top_k_share(x, 0) == 0.0
    assert np.isnan(S.top_share([0, 0], 0.5)) and np.isnan(S.top_k_share([0, 0], 1))
    with pytest.raises(ValueError, match="q must be"):
        S.top_share(x, 0)
    with pytest.raises(ValueError, match="q must be"):
        S.top_share(x, 1.5)
    with pytest.raises(ValueError, match="negative"):
        S.top_share([1, -2], 0.5)


def test_top_share_ties_do_not_matter():
    # four units tie at the top: any one of them is "the top 25%", the share is the same
    assert S.top_share([5, 5, 5, 5], 0.25) == pytest.approx(0.25)
    assert S.top_share([5, 5, 1, 5, 5], 0.4) == pytest.approx(10 / 21)
    assert S.top_k_share([5, 5, 1, 5, 5], 2) == pytest.approx(10 / 21)


@settings(max_examples=80, deadline=None)
@given(nonneg, st.floats(0.01, 1.0))
def test_top_share_bounds_and_relation_to_top_k(xs, q):
    if sum(xs) == 0:
        return
    s = S.top_share(xs, q)
    assert q - 1e-9 <= s <= 1 + 1e-9  # the top fraction q holds at least the share q
    n = len(xs)
    k = math.floor(q * n)
    # between the floor(qn) and ceil(qn) largest units, linear in the fractional unit
    lo = S.top_k_share(xs, k) if k else 0.0
    hi = S.top_k_share(xs, math.ceil(q * n))
    assert lo - 1e-9 <= s <= hi + 1e-9
    if q * n == k:
        assert s == pytest.approx(lo, abs=1e-9)
    assert s == pytest.approx(1 - np.interp(1 - q, *S.lorenz_points(xs)), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(nonneg, st.floats(0.01, 0.5), st.floats(0.01, 0.5))
def test_top_share_is_monotone_in_q(xs, a, b):
    if sum(xs) == 0:
        return
    q1, q2 = sorted((a, a + b))
    assert S.top_share(xs, q1) <= S.top_share(xs, min(q2, 1.0)) + 1e-12


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------
def test_wilson_known_values():
    z2 = sps.norm.ppf(0.975) ** 2
    lo, hi = S.wilson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(z2 / (10 + z2))
    lo, hi = S.wilson_interval(10, 10)
    assert hi == 1 and lo == pytest.approx(10 / (10 + z2))
    lo, hi = S.wilson_interval(5, 10)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.2366, 0.7634)
    assert isinstance(lo, float)
    lo, hi = S.wilson_interval(np.array([1, 0]), np.array([2, 0]))
    assert np.isnan(lo[1]) and np.isnan(hi[1])
    # z given directly (retention's 1.96)
    lo, hi = S.wilson_interval(5, 10, z=1.96)
    assert lo == pytest.approx(
        (0.5 + 1.96**2 / 20 - 1.96 * math.sqrt(0.025 + 1.96**2 / 400)) / (1 + 1.96**2 / 10)
    )


@pytest.mark.parametrize(
    "k, n, kw",
    [
        (3, 2, {}),
        (-1, 5, {}),
        (np.nan, 5, {}),
        (1, np.inf, {}),
        (1, 5, {"conf": 1.0}),
        (1, 5, {"conf": 0}),
        (1, 5, {"z": -1.0}),
    ],
)
def test_wilson_rejects_bad_input(k, n, kw):
    with pytest.raises(ValueError):
        S.wilson_interval(k, n, **kw)


@given(
    st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
@settings(max_examples=200, deadline=None)
def test_wilson_bounds_solve_the_score_equation_and_contain_p_hat(kn, conf):
    """Wilson bounds are the roots of (p_hat - p)^2 = z^2 p (1 - p) / n inside [0, 1]."""
    k, n = kn
    lo, hi = S.wilson_interval(k, n, conf)
    p_hat = k / n
    z = sps.norm.ppf(0.5 + conf / 2)
    assert 0 <= lo <= p_hat <= hi <= 1
    for p in (lo, hi):
        if 0 < p < 1:
            assert (p_hat - p) ** 2 == pytest.approx(z**2 * p * (1 - p) / n, rel=1e-6, abs=1e-12)


@given(st.integers(1, 500), st.integers(2, 20), st.floats(0.05, 0.95))
@settings(max_examples=100, deadline=None)
def test_wilson_width_shrinks_with_n(n, factor, p):
    k = round(p * n)
    lo1, hi1 = S.wilson_interval(k, n)
    lo2, hi2 = S.wilson_interval(k * factor, n * factor)
    assert hi2 - lo2 < hi1 - lo1


def test_mean_and_percentile_intervals():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    mean, lo, hi = S.mean_interval(v.sum(), (v**2).sum(), len(v))
    half = sps.norm.ppf(0.975) * v.std(ddof=1) / 2
    assert mean == pytest.approx(2.5) and (lo, hi) == pytest.approx((2.5 - half, 2.5 + half))
    _, lo1, hi1 = S.mean_interval(3.0, 9.0, 1)
    assert np.isnan(lo1) and np.isnan(hi1)
    reps = np.arange(101, dtype=float)
    assert S.percentile_interval(reps, 0.9) == pytest.approx((5.0, 95.0))
    lo, hi = S.percentile_interval(np.vstack([reps, reps + 1]).T, 0.5, axis=0)
    assert lo.tolist() == [25.0, 26.0] and hi.tolist() == [75.0, 76.0]
    assert S.normal_quantile(0.95) == pytest.approx(1.959964, abs=1e-6)
    with pytest.raises(ValueError):
        S.normal_quantile(1.0)


# --------------------------------------------------------------------------------------------
# Beijing calendar
# --------------------------------------------------------------------------------------------
def test_units_have_one_spelling():
    assert cal.MS_PER_SECOND == 1_000 and cal.MS_PER_MINUTE == 60_000
    assert cal.MS_PER_HOUR == 3_600_000 and cal.MS_PER_DAY == 86_400_000
    assert cal.UTC_OFFSET_MS == 8 * cal.MS_PER_HOUR
    # the schema re-exports the calendar's window, it does not define its own
    assert schema.WINDOW_START_MS is cal.WINDOW_START_MS and schema.TZ is cal.TZ
    assert cal.WINDOW_END_MS - cal.WINDOW_START_MS == 21 * cal.MS_PER_DAY


def test_beijing_day_and_hour_of_known_times():
    ms = [1746374400022, 1748185198515]  # the first real click, the last real click
    assert cal.beijing_day(ms).tolist() == [0, 20]
    assert cal.beijing_hour(ms).tolist() == [0, 22]
    assert cal.beijing_day([W - 1, W, W + cal.MS_PER_DAY - 1]).tolist() == [-1, 0, 0]
    assert cal.beijing_hour([W, W - 1, W + 13 * H]).tolist() == [0, 23, 13]
    assert cal.days_since_start(W + 36 * H) == pytest.approx(1.5)
    assert cal.day_start_ms(20) == W + 20 * cal.MS_PER_DAY
    assert cal.format_ms(1746374400022) == "2025-05-05 00:00:00.022"
    assert cal.format_ms(1748185198515, "%Y-%m-%d %H:%M") == "2025-05-25 22:59"
    assert cal.format_ms(1e30) == "out of range"


@settings(max_examples=100, deadline=None)
@given(
    st.integers(cal.WINDOW_START_MS - 30 * cal.MS_PER_DAY, cal.WINDOW_END_MS + 30 * cal.MS_PER_DAY)
)
def test_calendar_agrees_with_pandas_in_asia_shanghai(ms):
    t = pd.Timestamp(ms, unit="ms", tz="UTC").tz_convert("Asia/Shanghai")
    assert int(cal.beijing_hour(ms)) == t.hour
    day = int(cal.beijing_day(ms))
    assert cal.day_date_strings(day) == [t.strftime("%Y-%m-%d")]
    assert int(cal.weekday_of_day(day)) == t.weekday()
    assert int(cal.beijing_date_int(ms)) == int(t.strftime("%Y%m%d"))
    assert int(cal.utc_day(ms)) == (pd.Timestamp(ms, unit="ms") - pd.Timestamp(0)).days
    assert cal.day_start_ms(day) <= ms < cal.day_start_ms(day) + cal.MS_PER_DAY


def test_weekdays_and_utc_days():
    assert cal.WINDOW_START_WEEKDAY == 0  # 2025-05-05 is a Monday
    assert cal.weekday_of_day([0, 6, 7, 20]).tolist() == [0, 6, 0, 6]
    assert cal.WEEKDAY_NAMES[0] == "Mon"
    assert int(cal.utc_day(W)) == 20_212  # the window starts at 16:00 UTC on 2025-05-04
    assert cal.utc_day_start_ms(20_213) == W + cal.UTC_OFFSET_MS  # UTC midnight = 08:00 Beijing
    assert cal.day_date_strings([0, 20]) == ["2025-05-05", "2025-05-25"]


def test_ms_to_beijing():
    s = cal.ms_to_beijing(pd.Series([W, W + H], index=[5, 6], name="t"))
    assert str(s.dtype) == "datetime64[ms, Asia/Shanghai]"
    assert s.iloc[0] == pd.Timestamp("2025-05-05 00:00", tz="Asia/Shanghai")
    assert s.iloc[1].hour == 1 and s.index.tolist() == [5, 6] and s.name == "t"
    idx = cal.ms_to_beijing(np.array([W]))
    assert isinstance(idx, pd.DatetimeIndex) and idx[0].day == 5


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------
@given(st.lists(st.integers(-5, 40), min_size=0, max_size=60))
def test_dense_codes_match_sorted_factorize(values):
    ids = np.array(values, dtype=np.int64)
    codes, k = keys.dense_codes(ids)
    ref_codes, ref_uniq = pd.factorize(ids, sort=True)
    assert k == len(ref_uniq)
    assert codes.tolist() == ref_codes.tolist()


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-2, 2), st.integers(0, 10**12)),
        min_size=1,
        max_size=60,
    )
)
def test_combined_key_orders_and_equates_like_tuples(rows):
    a, b, c = (np.array(col, dtype=np.int64) for col in zip(*rows))
    key = keys.combined_key(a, b, c)
    tuples = list(zip(a.tolist(), b.tolist(), c.tolist()))
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (key[i] < key[j]) == (tuples[i] < tuples[j])
            assert (key[i] == key[j]) == (tuples[i] == tuples[j])


@given(st.lists(st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1)), max_size=40))
def test_pair_key_round_trips_and_sorts_like_pairs(pairs):
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    k = keys.pair_key(a, b)
    ua, ub = keys.unpack_pair_key(k)
    assert ua.tolist() == a.tolist() and ub.tolist() == b.tolist()
    assert np.argsort(k, kind="stable").tolist() == sorted(
        range(len(pairs)), key=lambda i: pairs[i]
    )


def test_pair_key_checks_ranges():
    assert keys.pair_key([1], [2]).tolist() == [(1 << 32) | 2]
    assert keys.pair_key([1], [2], bits=26).tolist() == [(1 << 26) | 2]
    with pytest.raises(ValueError, match="second"):
        keys.pair_key([1], [2**26], bits=26)
    with pytest.raises(ValueError, match="first"):
        keys.pair_key([-1], [0])


def test_lookup_table_and_lookup():
    t = keys.lookup_table([3, 1], np.array([30, 10], dtype=np.int32), fill=-1)
    assert t.tolist() == [-1, 10, -1, 30] and t.dtype == np.int32
    assert keys.lookup(t, [1, 3, 7, -2], fill=0).tolist() == [10, 30, 0, 0]
    member = keys.lookup_table([2, 5])
    assert keys.lookup(member, [0, 2, 5, 9], False).tolist() == [False, True, True, False]
    assert keys.lookup_table([]).tolist() == [False]


# --------------------------------------------------------------------------------------------
# Constants and checks
# --------------------------------------------------------------------------------------------
def test_real_counts_are_the_schema_row_counts():
    for name, sch in schema.SCHEMAS.items():
        assert sch.real_rows == constants.REAL_COUNTS[name]
    assert constants.REAL_USERS == 23_772 and constants.REAL_STREAMERS == 452_621
    assert constants.REAL_COUNTS["room_ids"] < constants.REAL_COUNTS["room"]


def test_package_versions():
    v = constants.package_versions()
    assert next(iter(v)) == "python" and v["pandas"] == pd.__version__
    assert v["numpy"] == np.__version__
    assert "no-such-package-xyz" not in constants.package_versions(("no-such-package-xyz",))


def test_require_columns_names_table_and_columns():
    df = pd.DataFrame({"a": [1]})
    checks.require_columns(df, ["a"], "t")
    with pytest.raises(ValueError, match=r"t is missing column\(s\) \['b'\]; it has \['a'\]"):
        checks.require_columns(df, ["a", "b"], "t")

    class MyError(ValueError):
        pass

    with pytest.raises(MyError, match="Pass a frame"):
        checks.require_columns(df, ["b"], "t", error=MyError, hint="Pass a frame.")
    with pytest.raises(ValueError, match="expected a pandas DataFrame"):
        checks.require_columns([1, 2], ["a"], "t")


@pytest.mark.parametrize("n", [1, 2, 7, 400])
def test_weighted_bootstrap_statistics_equal_those_of_each_resample(n):
    """gini_weighted / top_share_weighted with resample_counts give, replicate by replicate,
    gini / top_share of the resampled values (ties, zeros and an all-zero resample included)."""
    from kuailive_analysis.core.stats import (
        gini,
        gini_weighted,
        resample_counts,
        top_share,
        top_share_weighted,
    )

    rng = np.random.default_rng(n)
    x = np.round(rng.lognormal(size=n) * (rng.random(n) < 0.4), 1)
    idx = rng.integers(0, n, size=(60, n))
    counts = resample_counts(idx, n)
    assert (counts.sum(axis=1) == n).all()
    g = gini_weighted(x, counts)
    for q in (0.01, 0.37, 1.0):
        t = top_share_weighted(x, counts, q)
        for b in range(len(idx)):
            r = x[idx[b]]
            if r.sum() > 0:
                assert g[b] == pytest.approx(gini(r), abs=1e-12)
                assert t[b] == pytest.approx(top_share(r, q), abs=1e-12)
            else:
                assert np.isnan(g[b]) and np.isnan(t[b])
