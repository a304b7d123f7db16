"""The funnel's statistics on the per-(level, user) sums: KPI tables, the funnel in three units,
Wilson and user-clustered bootstrap intervals, trends, positions and watch time, on the hand
log (through its SQL) and on hand-made sums."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kuailive_analysis import funnel as F
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.data.schema import WINDOW_START_MS as W
from kuailive_analysis.funnel.engine import engine_tables
from kuailive_analysis.funnel.stats import UserStats
from kuailive_analysis.funnel.trends import UTC_PERIODS, utc_period

sys.path.insert(0, str(Path(__file__).resolve().parent))
from funnel_hand import dataset  # noqa: E402


@pytest.fixture
def hand():
    """The hand log's engine tables (5 s threshold, 1 h window)."""
    et = engine_tables(dataset(), qualified_watch_s=5.0, attribution_window_s=3600.0)
    yield et
    et.close()


def user_stats(frame: pd.DataFrame, by: str | None = None) -> UserStats:
    """Hand-made :class:`UserStats`: the per-(level, user) sums of a frame of exposures (one row
    each), by groupby."""
    ucode, users = pd.factorize(frame["user_id"], sort=True)
    level, levels = (
        (np.zeros(len(frame), np.int64), pd.Index(["all"], name="segment"))
        if by is None
        else pd.factorize(frame[by], sort=True)
    )
    cols = [c for c in frame.columns if c not in ("user_id", by)]
    g = frame[cols].astype(np.float64).assign(s_exposure=1.0)
    if "gift_value" in g:
        g["gift_value_sq"] = g["gift_value"] ** 2
    sums = g.groupby([level, ucode]).sum()
    lv, us = (sums.index.get_level_values(i).to_numpy(np.int64) for i in (0, 1))
    return UserStats(
        by, pd.Index(levels, name=by or "segment"), lv, us, len(users),
        {c: sums[c].to_numpy() for c in sums.columns},
    )  # fmt: skip


def test_funnel_counts_on_the_hand_log(hand):
    f = F.funnel(hand.stats.get()).set_index("step")
    assert f["n"].tolist() == [7, 4, 2, 1, 1]
    assert f.loc["click", "step_rate"] == pytest.approx(4 / 7)
    assert f.loc["interaction", "step_rate"] == pytest.approx(1 / 2)
    assert f.loc["gift", "overall_rate"] == pytest.approx(1 / 7)
    assert f.loc["click", "step_lo"] == pytest.approx(wilson_interval(4, 7)[0])
    # a 30 s threshold leaves only the 60 s click qualified; it has no attributed engagement
    et = engine_tables(dataset(), qualified_watch_s=30.0, attribution_window_s=3600.0)
    try:
        assert F.funnel(et.stats.get())["n"].tolist() == [7, 4, 1, 0, 0]
    finally:
        et.close()


def test_kpi_table_known_values(hand):
    k = F.kpi_table(hand.stats.get()).iloc[0]
    assert (k["exposures"], k["clicks"], k["gifted"], k["n_gifts"]) == (7, 4, 1, 1)
    assert k["ctr"] == pytest.approx(4 / 7) and k["gtr"] == pytest.approx(1 / 4)
    assert k["comment_rate"] == pytest.approx(1 / 4) and k["like_rate"] == 0
    assert k["value_per_gift"] == 5 and k["rpm"] == pytest.approx(1000 * 5 / 7)
    by_user = F.kpi_table(hand.stats.get("user_id"))
    assert by_user.loc[1, "ctr"] == pytest.approx(3 / 4)
    assert by_user.loc[2, "ctr"] == pytest.approx(1 / 3)
    assert len(F.kpi_table(hand.stats.get("user_id"), min_exposures=4)) == 1
    with pytest.raises(ValueError, match="interval"):
        F.kpi_table(hand.stats.get(), interval="cluster")


def test_the_funnel_in_three_units_and_per_session(hand):
    u = F.unit_funnels(hand.stats.get(), hand.session_counts).set_index(["unit", "step"])["n"]
    assert u.loc["exposure"].tolist() == [7, 4, 2, 1, 1]
    assert u.loc["session"].tolist() == [6, 3, 2, 2, 1]
    assert u.loc["user"].tolist() == [2, 2, 1, 1, 1]
    sk = F.session_kpis(hand.session_counts)
    assert sk.loc["engaged sessions without a click", ["k", "n"]].tolist() == [1, 4]
    assert sk.loc["gift rate per click session", "rate"] == pytest.approx(1 / 3)


def test_engagement_status_table_and_gift_values(hand):
    t = F.engagement_status_table(hand.engagements)
    assert t.loc["all", "total"] == 5 and t.loc["like", "late"] == 1
    assert t.loc["gift", "no_click"] == 1 and t.loc["gift", "share_no_click"] == 0.5
    g = F.gift_value_summary(dataset().table("gifts"), hand.engagements)
    assert g.loc["all gifts", ["n_gifts", "total_value", "mean"]].tolist() == [2, 12, 6]
    assert g.loc["attributed gifts", ["n_gifts", "total_value", "median"]].tolist() == [1, 5, 5]


def test_positions_watch_and_daily_tables(hand):
    p = F.position_summary(hand.exposures)
    assert p["ctr_single_screen"] == pytest.approx(0.5)  # two lone exposures, one clicked
    assert p["median_screen_size"] == 2.0 and p["share_repeat_exposure"] == 0
    w = F.watch_by_outcome(hand.clicks, qualified_watch_s=5)
    assert w.loc["gift", "n_clicks"] == 1 and w.loc["gift", "p50"] == 8.0
    assert w.loc["no engagement", ["n_clicks", "p50"]].tolist() == [3, 3.0]
    assert w.loc["no engagement", "share_qualified"] == pytest.approx(1 / 3)
    d = F.daily_kpis(hand.stats.get("day"))
    assert d["date"].iloc[0] == pd.Timestamp("2025-05-05") and d["exposures"].sum() == 7


def test_user_bootstrap_widens_when_users_differ():
    """Two kinds of users: half always click, half never. Exposures are far from independent,
    so resampling users gives a much wider CTR interval than Wilson on exposures."""
    u = np.repeat(np.arange(1, 41), 50)
    clicked = u % 2 == 0
    gifted = clicked & (u % 4 == 0)
    ex = pd.DataFrame({"user_id": u, "clicked": clicked, "qualified": clicked,
                       "commented": False, "liked": False, "gifted": gifted,
                       "gift_value": np.where(gifted, 3, 0), "n_comments": 0, "n_likes": 0,
                       "n_gifts": gifted.astype(int), "interacted": gifted})  # fmt: skip
    us = user_stats(ex)
    b = F.user_bootstrap(us, F.kpi_table(us), n_boot=300, seed=1)
    assert b.loc["ctr", "value"] == pytest.approx(0.5)
    assert b.loc["ctr", "boot_lo"] < 0.5 < b.loc["ctr", "boot_hi"]
    assert b.loc["ctr", "width_ratio"] > 3
    assert set(b.index) == {"ctr", "qualified_rate", "comment_rate", "like_rate", "gtr", "rpm"}


def test_user_intervals_per_level_and_on_the_funnel(hand):
    """A level where every user behaves alike has a degenerate interval; bounds contain the
    point estimate; interval='user' keeps the funnel's counts and rates."""
    rng = np.random.default_rng(0)
    u = rng.integers(1, 60, 4000)
    seg = np.where(u % 3 == 0, "a", "b")
    ex = pd.DataFrame({"user_id": u, "seg": seg,
                       "clicked": np.where(seg == "a", True, rng.random(4000) < 0.3)})  # fmt: skip
    ui = F.user_intervals(user_stats(ex, "seg"), {"ctr": ("clicked", None, 1.0)}, n_boot=200)
    assert ui.loc["a", "ctr_lo"] == 1.0 and ui.loc["a", "ctr_hi"] == 1.0
    p = ex.loc[ex.seg == "b", "clicked"].mean()
    assert ui.loc["b", "ctr_lo"] < p < ui.loc["b", "ctr_hi"]
    us = hand.stats.get("user_id")
    fw, fu = F.funnel(us), F.funnel(us, interval="user", n_boot=50)
    pd.testing.assert_series_equal(fw["n"], fu["n"])
    pd.testing.assert_series_equal(fw["step_rate"], fu["step_rate"])
    assert (fu["overall_lo"] <= fu["overall_rate"] + 1e-12).all()
    kw, kwil = F.kpi_table(hand.stats.get(), interval="user", n_boot=50), F.kpi_table(us)
    assert (
        kw["ctr"].iloc[0] == pytest.approx(4 / 7) and kw["ctr_lo"].iloc[0] != kwil["ctr_lo"].iloc[0]
    )


def _intervals_reference(ex, by, ratios, n_boot, seed):
    """The groupby formulation of the user-clustered bootstrap (a loop over levels)."""
    cols = sorted({c for num, den, _ in ratios.values() for c in (num, den) if c is not None})
    ucode, uniq = pd.factorize(ex["user_id"].to_numpy(), sort=True)
    w = np.random.default_rng(seed).poisson(1.0, size=(n_boot, len(uniq))).astype(np.float32)
    level, levels = pd.factorize(ex[by], sort=True)
    vals = pd.DataFrame({c: ex[c].to_numpy(np.float64) for c in cols}).assign(_rows=1.0)
    per = vals.groupby([level, ucode], sort=True).sum()
    out = []
    for i in range(len(levels)):
        sub = per.loc[i]
        tot = w[:, sub.index.to_numpy()].astype(np.float64) @ sub.to_numpy()
        num, den, scale = next(iter(ratios.values()))
        pos = {c: j for j, c in enumerate(per.columns)}
        with np.errstate(divide="ignore", invalid="ignore"):
            r = scale * tot[:, pos[num or "_rows"]] / tot[:, pos[den or "_rows"]]
        r = r[np.isfinite(r)]
        out.append(np.quantile(r, 0.025) if len(r) else np.nan)
    return np.array(out)


@pytest.mark.parametrize("seed, n", [(0, 5), (1, 40), (2, 120)])
def test_user_intervals_equal_the_groupby_reference(seed, n):
    rng = np.random.default_rng(seed)
    ex = pd.DataFrame({"user_id": rng.integers(1, 9, n), "clicked": rng.random(n) < 0.4,
                       "hour": rng.integers(0, 3, n)})  # fmt: skip
    ratios = {"ctr": ("clicked", None, 1.0)}
    got = F.user_intervals(user_stats(ex, "hour"), ratios, n_boot=30, seed=seed)["ctr_lo"]
    ref = _intervals_reference(ex, "hour", ratios, 30, seed)
    np.testing.assert_allclose(got.to_numpy(), ref, rtol=1e-12, equal_nan=True)


def test_gift_trend_by_utc_period_with_paired_interval():
    """Period 3 has twice the gifts per click of period 1 for every user: the change is
    positive, its interval excludes zero; period bounds follow the published UTC periods."""
    rng = np.random.default_rng(0)
    day = 24 * 3600 * 1000
    rows_c, rows_g = [], []
    for u in range(1, 201):
        for d, p in ((1, 0.05), (18, 0.10)):  # Beijing day 1 (period 1), day 18 (period 3)
            rows_c += [(u, W + d * day + 3_600_000)] * 40
            rows_g += [(u, W + d * day + 3_600_000)] * int(rng.binomial(40, p))
    clicks = pd.DataFrame(rows_c, columns=["user_id", "ts_ms"])
    gifts = pd.DataFrame(rows_g, columns=["user_id", "ts_ms"])
    g = F.gift_trend(clicks, gifts, n_boot=100)
    t = g.table
    assert list(t["period"]) == list(UTC_PERIODS) and t["clicks"].tolist() == [8000, 0, 8000]
    assert g.change == pytest.approx(t["gifts per click"].iloc[2] - t["gifts per click"].iloc[0])
    assert g.change_lo > 0 and g.excludes_zero and g.ratio_lo > 1.3
    # the period boundary is UTC midnight of May 12 = Beijing 08:00
    edge = W + 7 * day + 8 * 3_600_000
    assert utc_period([edge - 1, edge]).tolist() == [0, 1]


def test_minimum_detectable_effects_known_values():
    """80% power, two-sided 5%: (1.959964 + 0.841621) se = 2.801585 se. A test splitting the
    users of an estimate in half compares two halves, each with twice the variance: the
    difference has 2 se, so MDE = 2.801585 * 2 * se."""
    from kuailive_analysis.funnel.intervals import minimum_detectable_effect, split_test_mde

    assert minimum_detectable_effect(1.0) == pytest.approx(2.801585, abs=1e-6)
    assert minimum_detectable_effect(0.01, conf=0.9, power=0.5) == pytest.approx(0.01644854)
    se = 0.01  # a 95% interval 0.28 +- 1.959964 * 0.01
    lo, hi = 0.28 - 1.959964 * se, 0.28 + 1.959964 * se
    assert split_test_mde(lo, hi) == pytest.approx(2.801585 * 2 * se, rel=1e-6)
    assert np.isnan(split_test_mde(np.nan, 0.3)) and np.isnan(minimum_detectable_effect(np.inf))
    g = F.trends.GiftTrend(table=pd.DataFrame(), change=0.001, change_lo=-0.002,
                           change_hi=0.004, ratio=1.0, ratio_lo=0.9, ratio_hi=1.1, conf=0.95,
                           n_boot=200)  # fmt: skip
    assert g.mde == pytest.approx(2.801585 * 0.006 / (2 * 1.959964), rel=1e-6)
