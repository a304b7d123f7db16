"""Funnel builder, attribution, KPIs and segments on hand-made logs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from kuailive_analysis import funnel as F, predict as P
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.data.schema import WINDOW_START_MS as W

COLS = ["user_id", "live_id", "streamer_id", "ts_ms"]


def ev(rows, extra=None):
    return pd.DataFrame(rows, columns=COLS + ([extra] if extra else []))


def hand_log():
    """Two users, three rooms.

    * user 1 clicks room 10 twice in the same millisecond (tied clicks; watch 3 s and 8 s),
      room 11 once (60 s); one negative on room 12 in the same millisecond as the room-10
      clicks (a screen of 3 exposures).
    * user 2 clicks room 10 (1 s), negatives on rooms 11 (same ms: screen of 2) and 12.
    * comments: user 1 on room 10 500 ms after the clicks (attributed); user 2 on room 10
      1 s *before* their click (before_click).
    * like: user 1 on room 11, 4,000 s after the click (late with a 1 h window).
    * gifts: user 1 on room 10 in the click's millisecond (attributed, value 5); user 3 on
      room 10 with no click at all (no_click, value 7).
    """
    clicks = ev(
        [
            (1, 10, 100, W + 1000, 3000),
            (1, 10, 100, W + 1000, 8000),
            (1, 11, 101, W + 5000, 60000),
            (2, 10, 100, W + 2000, 1000),
        ],
        "watch_live_time",
    )
    neg = ev([(1, 12, 102, W + 1000), (2, 11, 101, W + 2000), (2, 12, 102, W + 9000)])
    com = ev([(1, 10, 100, W + 1500), (2, 10, 100, W + 1000)])
    lik = ev([(1, 11, 101, W + 5000 + 4_000_000)])
    gif = ev([(1, 10, 100, W + 1000, 5), (3, 10, 100, W + 3000, 7)], "gift_price")
    return clicks, neg, com, lik, gif


def test_attribution_statuses_and_tied_clicks():
    clicks, neg, com, lik, gif = hand_log()
    att = F.attribute(clicks, com, lik, gif, attribution_window_s=3600)
    assert list(att["kind"]) == ["comment", "comment", "like", "gift", "gift"]
    assert list(att["status"]) == ["attributed", "before_click", "late", "attributed", "no_click"]
    # tied clicks (rows 0 and 1, same ms): the engagement goes to the later row
    assert list(att["click_pos"]) == [1, -1, -1, 1, -1]
    assert list(att["lag_ms"]) == [500, -1, -1, 0, -1]
    t = F.engagement_status_table(att)
    assert t.loc["all", "total"] == 5
    assert t.loc["gift", "no_click"] == 1 and t.loc["gift", "share_no_click"] == 0.5
    assert t.loc["like", "late"] == 1


def test_attribution_window_parameter():
    clicks, neg, com, lik, gif = hand_log()
    unlimited = F.attribute(clicks, com, lik, gif, attribution_window_s=None)
    assert list(unlimited["status"]) == [
        "attributed",
        "before_click",
        "attributed",
        "attributed",
        "no_click",
    ]
    assert unlimited["lag_ms"].iloc[2] == 4_000_000
    same_ms = F.attribute(clicks, com, lik, gif, attribution_window_s=0)
    assert list(same_ms["status"]) == ["late", "before_click", "late", "attributed", "no_click"]
    with pytest.raises(ValueError, match="attribution_window_s"):
        F.attribute(clicks, com, lik, gif, attribution_window_s=-1)


def test_funnel_counts_on_hand_log():
    b = F.build(*hand_log(), qualified_watch_s=5, attribution_window_s=3600)
    ct = b.clicks
    assert ct["gift_value"].tolist() == [0, 5, 0, 0]
    assert ct["n_comments"].tolist() == [0, 1, 0, 0]
    assert ct["qualified"].tolist() == [False, True, True, False]
    f = F.funnel(b.exposures).set_index("step")
    assert f["n"].tolist() == [7, 4, 2, 1, 1]
    assert f.loc["click", "step_rate"] == pytest.approx(4 / 7)
    assert f.loc["interaction", "step_rate"] == pytest.approx(1 / 2)
    assert f.loc["gift", "overall_rate"] == pytest.approx(1 / 7)
    lo, hi = wilson_interval(4, 7)
    assert f.loc["click", "step_lo"] == pytest.approx(lo)
    # a 30 s threshold leaves only the 60 s click qualified; it has no attributed engagement
    b30 = F.build(*hand_log(), qualified_watch_s=30, attribution_window_s=3600)
    assert F.funnel(b30.exposures)["n"].tolist() == [7, 4, 1, 0, 0]


def test_kpi_table_known_values():
    b = F.build(*hand_log(), qualified_watch_s=5, attribution_window_s=3600)
    k = F.kpi_table(b.exposures).iloc[0]
    assert (k["exposures"], k["clicks"], k["gifted"], k["n_gifts"]) == (7, 4, 1, 1)
    assert k["ctr"] == pytest.approx(4 / 7)
    assert k["gtr"] == pytest.approx(1 / 4)
    assert k["comment_rate"] == pytest.approx(1 / 4)
    assert k["like_rate"] == 0
    assert k["value_per_gift"] == 5
    assert k["rpm"] == pytest.approx(1000 * 5 / 7)
    by_user = F.kpi_table(b.exposures, by="user_id")
    assert by_user.loc[1, "ctr"] == pytest.approx(3 / 4)
    assert by_user.loc[2, "ctr"] == pytest.approx(1 / 3)
    assert len(F.kpi_table(b.exposures, by="user_id", min_exposures=4)) == 1


def test_sessions_keep_engagements_without_clicks():
    b = F.build(*hand_log(), qualified_watch_s=5, attribution_window_s=3600)
    s = b.sessions.set_index(["user_id", "live_id"])
    assert len(s) == 7
    assert s.loc[(1, 10), "watch_ms"] == 11000 and s.loc[(1, 10), "n_clicks"] == 2
    assert bool(s.loc[(3, 10), "engaged_without_click"])
    assert s.loc[(3, 10), "gift_value"] == 7 and s.loc[(3, 10), "n_exposures"] == 0
    # session funnel has no window: the late like counts for session (1, 11)
    assert bool(s.loc[(1, 11), "s_interaction"])
    u = F.unit_funnels(b.exposures, b.sessions).set_index(["unit", "step"])["n"]
    assert u.loc["session"].tolist() == [6, 3, 2, 2, 1]
    assert u.loc["user"].tolist() == [2, 2, 1, 1, 1]
    sk = F.session_kpis(b.sessions)
    assert sk.loc["engaged sessions without a click", "k"] == 1
    assert sk.loc["engaged sessions without a click", "n"] == 4


def test_positions_screen_size_and_repeat_index():
    b = F.build(*hand_log())
    ex = F.add_positions(b.exposures)
    key = list(zip(ex["user_id"], ex["ts_ms"]))
    assert ex["screen_size"].tolist() == [3, 3, 1, 2, 3, 2, 1]
    assert key[0] == (1, W + 1000)
    # the tied clicks on (1, 10) share exposure index 1; a later exposure would be 2
    extra = ev([(1, 10, 100, W + 50_000)])
    b2 = F.build(*hand_log()[:1], pd.concat([hand_log()[1], extra]), *hand_log()[2:])
    ex2 = F.add_positions(b2.exposures)
    idx = ex2[(ex2.user_id == 1) & (ex2.live_id == 10)]["exposure_index"].tolist()
    assert idx == [1, 1, 2]


def test_watch_by_outcome():
    b = F.build(*hand_log(), qualified_watch_s=5)
    w = F.watch_by_outcome(b.clicks, qualified_watch_s=5)
    assert w.loc["gift", "n_clicks"] == 1 and w.loc["gift", "p50"] == 8.0
    assert w.loc["no engagement", "n_clicks"] == 3
    assert w.loc["no engagement", "p50"] == 3.0
    assert w.loc["no engagement", "share_qualified"] == pytest.approx(1 / 3)


def test_missing_columns_and_values_raise_clear_errors():
    clicks, neg, com, lik, gif = hand_log()
    with pytest.raises(ValueError, match="'gift'.*gift_price"):
        F.build(clicks, neg, com, lik, gif.drop(columns="gift_price"))
    bad = neg.astype({"live_id": "float"})
    bad.loc[0, "live_id"] = np.nan
    with pytest.raises(ValueError, match="'negative' column 'live_id' has 1 missing"):
        F.build(clicks, bad, com, lik, gif)


def test_add_segments_reports_unmatched_rooms():
    b = F.build(*hand_log())
    rooms = pd.DataFrame(
        {"live_id": [10, 11], "live_type": [1, 2], "live_content_category": ["shop", "other"]}
    )
    users = pd.DataFrame(
        {
            "user_id": [1, 2],
            "age": pd.Categorical(["18-23", "50+"], ordered=True),
            "gender": ["M", "F"],
            "device_price": ["0", "5000+"],
        }
    )
    ex, un = F.add_segments(b.exposures, rooms, users)
    assert len(ex) == len(b.exposures)
    assert un.loc["live_type", "n_missing"] == 2  # the two room-12 exposures
    assert (ex.loc[ex.live_id == 12, "live_content_category"] == F.MISSING).all()
    assert un.loc["age", "n_missing"] == 0
    assert ex["age"].cat.ordered
    k = F.kpi_table(ex, by="live_content_category")
    assert k["exposures"].sum() == 7


def test_weighted_decile_known_answer():
    c = pd.Series([1, 1, 1, 1, 1, 1, 1, 1, 1, 91], index=range(10))
    w = F.weighted_decile(c, weighted=True)
    assert w.iloc[-1] == 6  # midpoint of the heavy unit's volume is at 54.5%
    assert w.iloc[:9].tolist() == [1] * 9
    u = F.weighted_decile(pd.Series(np.arange(20)), weighted=False)
    assert u.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]


@st.composite
def random_logs(draw):
    n_users, n_rooms = draw(st.integers(1, 4)), draw(st.integers(1, 4))

    def rows(max_n, with_extra=None):
        n = draw(st.integers(0, max_n))
        data = []
        for _ in range(n):
            u = draw(st.integers(1, n_users))
            r = draw(st.integers(1, n_rooms))
            t = W + draw(st.integers(0, 3)) * 1000  # few distinct ms: many ties
            row = (u, r, 100 + r, t)
            if with_extra:
                row = row + (draw(st.integers(1, 20_000)),)
            data.append(row)
        return ev(data, with_extra)

    return (rows(8, "watch_live_time"), rows(8), rows(4), rows(4), rows(4, "gift_price"))


@given(random_logs(), st.sampled_from([None, 0, 1.5, 3600]), st.sampled_from([0, 5, 30]))
@settings(max_examples=100, deadline=None)
def test_funnel_invariants_on_random_logs(logs, window, thr):
    clicks, neg, com, lik, gif = logs
    b = F.build(clicks, neg, com, lik, gif, qualified_watch_s=thr, attribution_window_s=window)
    att = b.engagements
    # every engagement has exactly one status; none is lost
    assert len(att) == len(com) + len(lik) + len(gif)
    assert att["status"].notna().all()
    attributed = att[att["status"] == "attributed"]
    assert (attributed["lag_ms"] >= 0).all()
    if window is not None:
        assert (attributed["lag_ms"] <= window * 1000).all()
    ct = b.clicks
    assert ct["n_gifts"].sum() == (attributed["kind"] == "gift").sum()
    assert ct["gift_value"].sum() == attributed["value"].sum()
    # nested steps never increase
    n = F.funnel(b.exposures)["n"].to_numpy()
    assert n[0] == len(clicks) + len(neg)
    assert (np.diff(n) <= 0).all()
    # sessions: every event counted once
    s = b.sessions
    assert s["n_clicks"].sum() == len(clicks) and s["n_negatives"].sum() == len(neg)
    assert s["n_gifts"].sum() == len(gif) and s["gift_value"].sum() == gif["gift_price"].sum()
    no_click = (att["status"] == "no_click").sum()
    keys_without_click = s.loc[~s["clicked"], ["user_id", "live_id"]]
    expected = att.merge(keys_without_click, on=["user_id", "live_id"]).shape[0]
    assert no_click == expected


def test_daily_kpis_dates():
    b = F.build(*hand_log())
    d = F.daily_kpis(b.exposures)
    assert d["date"].iloc[0] == pd.Timestamp("2025-05-05")
    assert d["exposures"].sum() == 7


def hand_dataset():
    from types import SimpleNamespace

    clicks, neg, com, lik, gif = hand_log()
    rooms = pd.DataFrame(
        {
            "live_id": [10, 11, 12],
            "live_type": [1, 2, 1],
            "live_content_category": ["shop", "other", "other"],
        }
    )
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "age": ["18-23", "50+", "24-30"],
            "gender": ["M", "F", "M"],
            "device_price": ["0", "5000+", "0"],
        }
    )
    return SimpleNamespace(
        clicks=clicks, negatives=neg, comments=com, likes=lik, gifts=gif, rooms=rooms, users=users
    )


CHAPTER = Path(__file__).resolve().parents[1] / "book" / "chapters" / "05_funnel_ctr.ipynb"


def markdown_glue_keys(path: Path) -> tuple[set[str], set[str]]:
    """(text keys, figure keys) the notebook's markdown cells glue."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return (
        set(re.findall(r"\{glue:text\}`([A-Za-z_0-9]+)", text)),
        set(re.findall(r"\{glue:figure\}\s+([A-Za-z_0-9]+)", text)),
    )


@pytest.fixture(scope="module")
def hand_result():
    return F.analyse(hand_dataset(), qualified_watch_s=5, attribution_window_s=3600, n_boot=20)


def test_numbers_are_exactly_the_keys_the_chapter_glues(hand_result):
    text_keys, figure_keys = markdown_glue_keys(CHAPTER)
    assert len(text_keys) > 100 and "ctr" in text_keys and figure_keys
    assert set(hand_result.numbers()) == text_keys
    for k, v in hand_result.numbers().items():
        assert type(v) in (int, float, str), (k, type(v))  # glue needs plain Python values


def test_numbers_known_values_on_hand_log(hand_result):
    h = hand_result.numbers()
    assert h["n_exposures"] == 7 and h["n_clicks"] == 4 and h["n_negatives"] == 3
    assert h["gift_no_click"] == 1 and h["all_late"] == 1 and h["all_before_click"] == 1
    assert h["gift_share_no_click"] == 0.5 and h["all_share_attributed"] == pytest.approx(2 / 5)
    assert h["ctr"] == pytest.approx(4 / 7)
    assert h["step_qualified"] == 0.5 and h["step_interaction"] == 0.5 and h["step_gift"] == 1
    assert h["gift_not_qualified"] == 0.0
    assert h["biggest_loss_step"] == "click"  # 3 of 7 exposures lost at the click step
    assert h["biggest_loss_share"] == pytest.approx(3 / 7)
    assert h["lowest_step"] == "qualified watch" and h["lowest_step_rate"] == 0.5
    assert h["rpm_all"] == pytest.approx(1000 * 12 / 7)  # includes the gift without a click
    assert h["rpm"] == pytest.approx(1000 * 5 / 7)
    assert h["ctr_single_screen"] == pytest.approx(0.5)  # two lone exposures, one clicked
    assert h["ctr_week1"] == pytest.approx(4 / 7) and h["gtr_week3"] == pytest.approx(1 / 4)
    assert h["watch_p50_gift"] == 8.0 and h["watch_p50_none"] == 3.0
    # GTR by age band: user 1 (18-23) gifts on 1 of 3 clicks, user 2 (50+) on none
    assert (h["ext_gtr_age_lo_level"], h["ext_gtr_age_lo"]) == ("50+", 0.0)
    assert (h["ext_gtr_age_hi_level"], h["ext_gtr_age_hi"]) == ("18-23", pytest.approx(1 / 3))
    assert h["ext_ctr_hour_separated"] in ("overlap", "do not overlap")
    assert h["window_label"] == "60 minutes" and h["qualified_watch_s"] == 5.0
    assert h["interval_label"] == "users resampled by bootstrap"
    assert h["source_label"] == "unknown data"  # a bare namespace has no DataSource
    # no gift in the train part of 7 exposures: the baseline is skipped, not an error
    assert np.isnan(h["ctr_gb_auc"]) and h["gtr_n_test"] == 0


def test_result_fields_are_typed_tables(hand_result):
    from kuailive_analysis.predict import PredictResult

    res = hand_result
    assert isinstance(res, F.FunnelResult) and isinstance(res.prediction, PredictResult)
    assert res.interval == "user" and res.n_boot == 20
    assert set(res.segments) == set(F.DEFAULT_SEGMENTS)
    assert set(res.segment_funnels) == set(F.DEFAULT_FUNNEL_SEGMENTS)
    assert res.segment_funnels["hour"]["n"].sum() == F.funnel(res.exposures)["n"].sum()
    s = res.summary.set_index("kpi")
    assert s.loc["CTR", "numerator"] == 4 and s.loc["CTR", "denominator"] == 7
    assert res.overall("qualified_rate") == res.metrics["qualified_rate"].value == 0.5
    assert res.overall("interaction_rate") == 0.25
    assert list(res.weekly.index) == ["week1", "week3"]
    assert res.positions["median_screen_size"] == 2.0
    for table in (res.funnel, res.kpis, res.daily, res.by_screen, *res.segments.values()):
        assert not table.attrs  # results travel as fields, never in DataFrame.attrs
    assert res.title("funnel") == "57.1% of exposures are clicked, 14.29% end in a gift"
    assert res.title("watch") == ("Median watch: 3 s without engagement, 8 s for gifting clicks")
    assert res.title("model").startswith("Best test AUC: CTR nan")
    with pytest.raises(ValueError, match="no title"):
        res.title("nope")


def test_analyse_rejects_unknown_segments():
    with pytest.raises(ValueError, match="unknown segment"):
        F.analyse(hand_dataset(), segments=["nope"])
    with pytest.raises(ValueError, match="unknown segment"):
        F.analyse(hand_dataset(), funnel_segments=["nope"])


def test_extremes_of_a_missing_segment_are_not_available():
    e = F.extremes(None, "ctr")
    assert (e.lo_level, e.hi_level, e.separated_text) == ("n/a", "n/a", "overlap")
    assert np.isnan(e.lo)


def test_plots_return_labelled_figures(hand_result):
    from matplotlib.figure import Figure

    from kuailive_analysis.plots import funnel as PF

    res = hand_result
    figs = [
        PF.funnel_chart(res.funnel, title="t", source="hand log"),
        PF.unit_funnel_chart(res.units, title="t"),
        PF.segment_grid(res.segments, "ctr", 0.5, title="t"),
        PF.funnel_by_segment(res.segment_funnels["hour"], "hour", title="t"),
        PF.segment_funnels(res.segment_funnels, title="t"),
        PF.daily_trend(res.daily, title="t"),
        PF.position_effects(res.by_screen, res.by_index, title="t"),
        PF.watch_ecdf(res.clicks, F.watch_outcome(res.clicks), 5, title="t"),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        labelled = [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel()]
        assert labelled, "every figure labels its axes"
    assert len(figs[4].axes) == 4 * len(res.segment_funnels)
    texts = [t.get_text() for t in figs[5].texts]
    assert any("Beijing" in t for t in texts)


def test_user_bootstrap_widens_when_users_differ():
    """Two kinds of users: half always click, half never. Exposures are far from independent,
    so resampling users gives a much wider CTR interval than Wilson on exposures."""
    n_users, per_user = 40, 50
    u = np.repeat(np.arange(1, n_users + 1), per_user)
    clicked = u % 2 == 0
    ex = pd.DataFrame(
        {
            "user_id": u,
            "clicked": clicked,
            "qualified": clicked,
            "commented": False,
            "liked": False,
            "gifted": clicked & (u % 4 == 0),
            "gift_value": np.where(clicked & (u % 4 == 0), 3, 0),
            "n_comments": 0,
            "n_likes": 0,
            "n_gifts": (clicked & (u % 4 == 0)).astype(int),
            "interacted": clicked & (u % 4 == 0),
        }
    )
    b = F.user_bootstrap(ex, n_boot=300, seed=1)
    assert b.loc["ctr", "value"] == pytest.approx(0.5)
    assert b.loc["ctr", "boot_lo"] < 0.5 < b.loc["ctr", "boot_hi"]
    assert b.loc["ctr", "width_ratio"] > 3
    assert set(b.index) == {"ctr", "qualified_rate", "comment_rate", "like_rate", "gtr", "rpm"}


def test_user_intervals_segment_bounds_and_funnel():
    """Per-level bootstrap: a level where every user behaves alike has a degenerate interval;
    bounds contain the point estimate; funnel(interval='user') keeps counts and rates."""
    rng = np.random.default_rng(0)
    n = 4000
    u = rng.integers(1, 60, n)
    seg = np.where(u % 3 == 0, "a", "b")
    clicked = np.where(seg == "a", True, rng.random(n) < 0.3)
    ex = pd.DataFrame({"user_id": u, "seg": seg, "clicked": clicked})
    ui = F.user_intervals(ex, "seg", {"ctr": ("clicked", None, 1.0)}, n_boot=200)
    assert ui.loc["a", "ctr_lo"] == 1.0 and ui.loc["a", "ctr_hi"] == 1.0
    p = ex.loc[ex.seg == "b", "clicked"].mean()
    assert ui.loc["b", "ctr_lo"] < p < ui.loc["b", "ctr_hi"]
    b = F.build(*hand_log())
    fw = F.funnel(b.exposures, by="user_id")
    fu = F.funnel(b.exposures, by="user_id", interval="user", n_boot=50)
    pd.testing.assert_series_equal(fw["n"], fu["n"])
    pd.testing.assert_series_equal(fw["step_rate"], fu["step_rate"])
    assert (fu["overall_lo"] <= fu["overall_rate"] + 1e-12).all()
    kw = F.kpi_table(b.exposures, interval="user", n_boot=50)
    kwil = F.kpi_table(b.exposures)
    assert (
        kw["ctr"].iloc[0] == kwil["ctr"].iloc[0] and kw["ctr_lo"].iloc[0] != kwil["ctr_lo"].iloc[0]
    )
    with pytest.raises(ValueError, match="interval"):
        F.kpi_table(b.exposures, interval="cluster")


def test_gift_trend_by_utc_period_with_paired_interval():
    """Period 3 has twice the gifts per click of period 1 for every user: the change is
    positive, its interval excludes zero; period bounds follow the published UTC periods."""
    rng = np.random.default_rng(0)
    day = 24 * 3600 * 1000
    rows_c, rows_g = [], []
    for u in range(1, 201):
        for d, p in ((1, 0.05), (18, 0.10)):  # Beijing day 1 (period 1), day 18 (period 3)
            for _ in range(40):
                rows_c.append((u, W + d * day + 3_600_000))
            rows_g += [(u, W + d * day + 3_600_000)] * int(rng.binomial(40, p))
    clicks = pd.DataFrame(rows_c, columns=["user_id", "ts_ms"])
    gifts = pd.DataFrame(rows_g, columns=["user_id", "ts_ms"])
    g = F.gift_trend(clicks, gifts, n_boot=100)
    t = g.table
    assert list(t["period"]) == list(F.UTC_PERIODS) and t["clicks"].tolist() == [8000, 0, 8000]
    assert g.change == pytest.approx(t["gifts per click"].iloc[2] - t["gifts per click"].iloc[0])
    assert g.change_lo > 0 and g.excludes_zero and g.ratio_lo > 1.3
    # the period boundary is UTC midnight of May 12 = Beijing 08:00
    from kuailive_analysis.funnel.trends import utc_period

    assert utc_period([W + 7 * day + 8 * 3_600_000 - 1, W + 7 * day + 8 * 3_600_000]).tolist() == [
        0,
        1,
    ]


def test_findings_gate_on_the_hand_log(hand_result):
    from kuailive_analysis.chapter.findings import Finding
    from kuailive_analysis.report.findings import actions_markdown

    fs = hand_result.findings()
    assert all(isinstance(f, Finding) for f in fs)
    keys = [f.key for f in fs]
    assert len(keys) == len(set(keys))
    assert {"ctr_kpi", "ctr_model_beats_baseline", "leak_check", "gift_trend"} <= set(keys)
    by = {f.key: f for f in fs}
    # no model on 7 exposures: the model findings cannot be checked, and carry no action
    assert by["ctr_model_beats_baseline"].status == "not checkable"
    assert by["leak_check"].status == "not checkable"
    for f in fs:
        if f.status != "validated" or f.origin == "planted":
            assert not f.action, f.key
    assert "ctr_kpi" in keys and by["ctr_kpi"].origin == "data"
    actions_markdown(fs)


def test_findings_on_a_small_twin_follow_their_intervals(small_twin):
    from kuailive_analysis.dataset import load

    res = F.analyse(load(small_twin), n_boot=50, max_train_rows=30_000)
    by = {f.key: f for f in res.findings()}
    for key in ("ctr_model_beats_baseline", "ctr_model_within_user", "gift_trend"):
        f = by[key]
        if f.status in ("validated", "failed"):
            lo, hi = f.interval
            assert (f.status == "validated") == (lo > 0 or (key == "gift_trend" and hi < 0))
    assert by["gift_trend"].origin == "planted"  # the twin plants the rise
    assert res.planted_gift_period is not None
    leak = res.prediction.info["leaks"]
    assert (by["leak_check"].status == "failed") == bool(leak.str.len().sum())
    # a suspected leak never carries the headline: no flagged feature in the headline model
    for task, ev in res.prediction.evaluations.items():
        flagged = set(ev.leaks.loc[ev.leaks["suspected_leak"], "feature"])
        gb = res.prediction.metrics.loc[(task, "gradient boosting")]
        assert gb["kind"] == "model"
        if flagged:
            assert ev.comparison["best_baseline"] not in {
                n for k, n, c in P.TASKS[task].baselines if c in flagged
            }
    n = res.numbers()
    assert "twin" in n["gift_trend_origin"] and "twin" in n["paper_gap_data_text"]
    assert list(res.gift_trend_table().columns)[0] == "period (UTC)"


def test_new_plots_draw_labelled_figures(hand_result):
    from matplotlib.figure import Figure

    from kuailive_analysis.plots import funnel as PF

    rng = np.random.default_rng(1)
    p = rng.uniform(0, 0.5, 500)
    cal = P.calibration_table(rng.random(500) < p, p)
    figs = [
        PF.calibration_curve(cal, task="CTR", title="t"),
        PF.calibration_curve(cal.iloc[:0], title="t"),
        PF.calibration_curves({"CTR": cal, "GTR": cal}, title="t"),
        PF.gift_trend_chart(hand_result.gift_trend.table, reference=F.REAL_GIFTS_PER_CLICK),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        assert any(ax.get_xlabel() for ax in fig.axes)
