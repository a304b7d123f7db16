"""Tests of the fidelity page (kuailive_analysis.fidelity): statistics of the delivered files
(read through the engine) on hand-made folders with known answers, the verdict and scaling
rules, the page's result and findings, and a complete table on the small twin.

The twin is not asserted to match the real files here (that is the twin's own tests' job): only
that every fact is computed and judged.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from _tiny import MIN, H, tiny_frames, write_tiny

from kuailive_analysis import fidelity as F
from kuailive_analysis.core.constants import REAL_USERS
from kuailive_analysis.core.stats import gini
from kuailive_analysis.data import schema as S
from kuailive_analysis.data.data_source import TRUTH_FILE
from kuailive_analysis.dataset import load
from kuailive_analysis.fidelity.common import UTC_MAY_4
from kuailive_analysis.fidelity.comparability import NOT_COMPARABLE

UTC_MAY = {d: (UTC_MAY_4 + d - 4) * S.MS_PER_DAY for d in range(4, 27)}
"""Epoch ms of 00:00 UTC on May d, 2025."""


def _clicks(rows) -> pd.DataFrame:
    """Click rows (user, live, streamer, ms[, watch]) with watch 1 s by default."""
    rows = [(*r, 1000) if len(r) == 4 else r for r in rows]
    return pd.DataFrame(rows, columns=S.CLICK.column_names)


@pytest.fixture(scope="module")
def tiny_stats(tmp_path_factory):
    return F.measure(write_tiny(tmp_path_factory.mktemp("fid_tiny")))


# ---------------------------------------------------------------------------------------------
# Statistics with known answers
# ---------------------------------------------------------------------------------------------
def test_counts_rates_and_rooms_on_the_tiny_folder(tiny_stats):
    st = tiny_stats
    assert st["n_user"] == 4 and st["n_streamer"] == 3
    assert st["n_click"] == 10 and st["n_negative"] == 3 and st["n_gift"] == 3
    assert st["ctr"] == pytest.approx(10 / 13)
    assert st["neg_per_click"] == pytest.approx(0.3)
    assert st["n_interactions"] == 10 + 2 + 1 + 3
    # sessions: (1,10) (1,11) (2,12) (2,99) (3,10) (3,13) (4,14) (5,10); gifts on (1,10), (3,12)
    assert st["n_sessions"] == 8
    assert st["sessions_per_click"] == pytest.approx(0.8)
    assert st["gift_session_share"] == pytest.approx(1 / 8)
    # rooms: 7 rows, 5 live_ids; room 12 lasts 7 days (click c4), room 13 runs from
    # W + 20 d 20 h to the 2025-05-27 cap, 28 h (click c7)
    assert st["n_room_rows"] == 7 and st["n_room_ids"] == 5
    assert st["room_extra_rows"] == pytest.approx(2 / 5)
    assert st["n_long_room_rows"] == 2 and st["n_long_room_ids"] == 2
    assert st["long_room_click_share"] == pytest.approx(2 / 10)
    assert st["shop_room_share"] == pytest.approx(1 / 5)  # room 11 (first row)
    # the first row of negative.csv is at W + 20 d 20 h 1 min
    assert st["first_negative_h"] == pytest.approx(20 * 24 + 20 + 1 / 60)


def test_gift_links_to_clicks_on_the_tiny_folder(tiny_stats):
    st = tiny_stats
    # gift 1 shares c1's ms on (1, streamer 1, live 10); gift 2 is 4 s later; gift 3 has no click
    assert st["gift_at_click_ms"] == pytest.approx(1 / 3)
    assert st["gift_without_click"] == pytest.approx(1 / 3)
    assert st["multi_gift_sessions"] == pytest.approx(1 / 2)  # (1, 10) holds two gifts
    assert st["n_subsecond_gifts"] == 0
    # clicks at gift 1's ms on (1, 1, 10): c1, c2 (5 s) and c10 (7 s) -> median 5 s
    assert st["gift_click_watch_p50"] == pytest.approx(5.0)
    # gift 1 and gift 2 each have the three clicks at W+H+1s within the hour before them
    assert st["gift_multi_click_1h"] == pytest.approx(2 / 3)
    assert st["price_p50"] == 5 and st["revenue_total"] == 17
    assert st["gifts_per_user_mean"] == pytest.approx(3 / 4)


def test_measure_reads_gzipped_files(tmp_path, tiny_stats):
    folder = write_tiny(tmp_path / "gz", gz=("click", "negative", "room", "user"))
    st = F.measure(folder)
    assert st.keys() == tiny_stats.keys()
    for key, value in tiny_stats.items():
        assert st[key] == pytest.approx(value, nan_ok=True), key


def test_rows_are_read_in_file_order(tmp_path, tiny_stats):
    """The first row of negative.csv and of each live_id in room.csv count, and of a user's
    clicks at their last millisecond the later row is the test click."""
    frames = tiny_frames()
    frames["negative"] = frames["negative"].iloc[::-1]
    frames["room"] = frames["room"].iloc[[0, 1, 2, 3, 4, 6, 5]]  # room 14 now starts at W+5d
    st = F.measure(write_tiny(tmp_path / "reordered", frames))
    assert st["first_negative_h"] == pytest.approx(23 + 10 / 60)  # W + 23 h 10 min now
    # first rows start at 1, 23, 0 (W+2d), 20 and 23 h (W+5d-10min) -> 23 h; reordered 0 h
    assert (tiny_stats["room_start_peak_hour"], st["room_start_peak_hour"]) == (23, 0)
    ties = tiny_frames()
    a, b, c = (1, 10, 1, UTC_MAY[5]), (1, 11, 2, UTC_MAY[6]), (1, 10, 1, UTC_MAY[6])
    pairs = []
    for order in ([a, b, c], [a, c, b]):  # the later of b and c is the test click
        ties["click"] = _clicks(order)
        pairs.append(F.measure(write_tiny(tmp_path / f"ties{len(pairs)}", ties)))
    assert [p["n_click_pairs_train"] for p in pairs] == [2, 1]


def _folder_with_clicks(tmp_path, clicks: pd.DataFrame, gifts: pd.DataFrame | None = None):
    frames = tiny_frames()
    frames["click"] = clicks
    if gifts is not None:
        frames["gift"] = gifts
    return write_tiny(tmp_path, frames)


def test_clicks_per_utc_week_and_gifts_per_click_by_utc_period(tmp_path):
    clicks = _clicks(
        [
            (1, 10, 1, UTC_MAY[4] + 20 * H),  # UTC May 4 (Beijing May 5, 04:00): week 1, period 1
            (1, 10, 1, UTC_MAY[10] + 23 * H),  # UTC May 10: week 1, period 1
            (2, 10, 1, UTC_MAY[11] + 30 * MIN),  # UTC May 11: week 2, period 1 (May 4-11)
            (2, 10, 1, UTC_MAY[12] + H),  # UTC May 12: week 2, period 2
            (3, 10, 1, UTC_MAY[25] + H),  # UTC May 25: the rest, period 3
        ]
    )
    gifts = pd.DataFrame(
        [(1, 10, 1, UTC_MAY[5], 1), (2, 10, 1, UTC_MAY[12] + 2 * H, 1)], columns=S.GIFT.column_names
    )
    st = F.measure(_folder_with_clicks(tmp_path, clicks, gifts))
    assert (
        st["clicks_utc_week1"],
        st["clicks_utc_week2"],
        st["clicks_utc_week3"],
        st["clicks_utc_rest"],
    ) == (2, 2, 0, 1)
    assert st["gpc_utc_p1"] == pytest.approx(1 / 3)
    assert st["gpc_utc_p2"] == pytest.approx(1 / 1)
    assert st["gpc_utc_p3"] == pytest.approx(0 / 1)


def test_daily_averaged_gini_is_the_mean_of_per_utc_day_ginis(tmp_path):
    clicks = _clicks(
        [
            # UTC May 5: streamer 1 three clicks, streamer 2 one -> Gini of (3, 1) = 0.25
            (1, 10, 1, UTC_MAY[5] + H),
            (1, 10, 1, UTC_MAY[5] + 2 * H),
            (2, 10, 1, UTC_MAY[5] + 3 * H),
            (2, 11, 2, UTC_MAY[5] + 4 * H),
            # UTC May 6: one click each for streamers 1, 2, 3 -> Gini 0
            (1, 10, 1, UTC_MAY[6] + H),
            (1, 11, 2, UTC_MAY[6] + H),
            (3, 12, 3, UTC_MAY[6] + H),
            # UTC May 4 is not a full UTC day of the logs: ignored
            (4, 10, 1, UTC_MAY[4] + 20 * H),
        ]
    )
    st = F.measure(_folder_with_clicks(tmp_path, clicks))
    assert gini([3, 1]) == pytest.approx(0.25)
    assert st["daily_gini_clicks"] == pytest.approx((0.25 + 0.0) / 2)
    # active streamers: 2 of 3 on May 5, 3 of 3 on May 6, none on the other 18 full days
    assert st["daily_active_streamers"] == pytest.approx((2 / 3 + 1) / 20)


def test_next_utc_day_return_per_click(tmp_path):
    clicks = _clicks(
        [
            (1, 10, 1, UTC_MAY[5] + H),  # user 1 clicks again on UTC May 6 -> returns
            (1, 10, 1, UTC_MAY[5] + 23 * H),  # Beijing May 6 07:00, still UTC May 5 -> returns
            (1, 10, 1, UTC_MAY[6] + H),  # no click on UTC May 7 -> no
            (2, 10, 1, UTC_MAY[5] + 2 * H),  # user 2 never comes back -> no
            (3, 11, 2, UTC_MAY[12] + H),
            (3, 11, 2, UTC_MAY[13] + H),  # week 2: yes, then no
        ]
    )
    st = F.measure(_folder_with_clicks(tmp_path, clicks))
    assert st["next_utc_day_w1"] == pytest.approx(2 / 4)
    assert st["next_utc_day_w2"] == pytest.approx(1 / 2)
    assert math.isnan(st["next_utc_day_w3"])  # no click in UTC week 3


def test_clicks_that_led_to_a_gift_are_split_from_the_others(tmp_path):
    clicks = _clicks(
        [
            (
                1,
                10,
                1,
                UTC_MAY[5] + H,
                60_000,
            ),  # gift 30 s later, within its watch -> gifting click
            (1, 10, 1, UTC_MAY[6] + H, 1_000),  # user 1 is back on UTC May 6
            (
                2,
                10,
                1,
                UTC_MAY[5] + H,
                1_000,
            ),  # gift 30 s later, after its 1 s watch -> not gifting
            (2, 10, 1, UTC_MAY[6] + H, 1_000),
        ]
    )
    gifts = pd.DataFrame(
        [(1, 10, 1, UTC_MAY[5] + H + 30_000, 1), (2, 10, 1, UTC_MAY[5] + H + 30_000, 1)],
        columns=S.GIFT.column_names,
    )
    st = F.measure(_folder_with_clicks(tmp_path, clicks, gifts))
    assert st["next_utc_day_gift"] == pytest.approx(1.0)  # the one gifting click returns
    assert st["next_utc_day_nogift"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------------------------
# Verdicts and scaling
# ---------------------------------------------------------------------------------------------
def test_relative_verdicts_are_symmetric_factors():
    f = F.Fact("x", "engagement rates", "x", 0.5, "share", "how", "src", (0.10, 0.25))
    assert F.judge(f, 0.5)[2] == "match"
    assert F.judge(f, 0.55)[2] == "match"  # factor 1.10
    assert F.judge(f, 0.5 / 1.1)[2] == "match"  # the same factor below
    assert F.judge(f, 0.6)[2] == "close"  # factor 1.2
    assert F.judge(f, 0.3)[2] == "off"  # factor 1.67
    assert F.judge(f, 0.0)[2] == "off"
    value, ratio, verdict = F.judge(f, float("nan"))
    assert verdict == "n/a" and math.isnan(ratio)
    assert F.judge(f, 0.6)[1] == pytest.approx(1.2)


def test_absolute_and_at_least_verdicts():
    hour = F.Fact("h", "calendar", "peak", 20.5, "hour", "how", "src", (2.5, 4.5), "abs")
    assert [F.judge(hour, v)[2] for v in (18, 23, 16, 10)] == ["match", "match", "close", "off"]
    china = F.Fact("c", "demographics", "china", 0.99, "share", "how", "src", (0.0, 0.04), "min")
    assert [F.judge(china, v)[2] for v in (1.0, 0.991, 0.97, 0.9)] == [
        "match",
        "match",
        "close",
        "off",
    ]


def test_counts_are_scaled_on_a_twin_and_exact_on_a_real_folder():
    f = F.FACT_BY_KEY["n_click"]
    value, ratio, verdict = F.judge(f, 4_909_515 * 0.1 * 1.03, scale=0.1)
    assert value == pytest.approx(4_909_515 * 1.03) and ratio == pytest.approx(1.03)
    assert verdict == "match"
    # the same 3% gap in a user's download of the real files is not a match
    assert F.judge(f, 4_909_515 * 1.03, real_folder=True)[2] == "off"
    assert F.judge(f, 4_909_515, real_folder=True)[2] == "match"
    assert F.judge(f, 4_909_515 - 10_000, real_folder=True)[2] == "close"
    # a rounded count of the sheet (2.76 M pairs) keeps its own tolerance on a real folder
    pairs = F.FACT_BY_KEY["n_click_pairs_train"]
    assert not pairs.exact and F.judge(pairs, 2_700_000, real_folder=True)[2] == "match"
    # rates are never scaled
    assert F.judge(F.FACT_BY_KEY["ctr"], 0.279, scale=0.1)[0] == pytest.approx(0.279)


def test_analyse_scales_counts_per_user_only_on_a_twin(tmp_path):
    real = write_tiny(tmp_path / "real")
    res = F.analyse(load(real, cache=False))
    assert not res.is_twin and res.scale == 1.0
    row = res.table.set_index("Key").loc["n_click"]
    assert row["This data"] == 10 and row["Verdict"] == "off"
    twin = write_tiny(tmp_path / "twin")
    (twin / TRUTH_FILE).write_text(json.dumps({"scale": 0.5, "seed": 3}))
    res = F.analyse(load(twin, cache=False))
    assert res.is_twin and res.scale == pytest.approx(4 / REAL_USERS)
    t = res.table.set_index("Key")
    assert t.loc["n_click", "This data"] == pytest.approx(10 * REAL_USERS / 4)
    assert t.loc["n_click", "Measured"] == 10
    assert t.loc["n_user", "This data"] == pytest.approx(REAL_USERS)
    assert t.loc["ctr", "This data"] == pytest.approx(10 / 13)  # rates unscaled
    assert "scale 0.5, seed 3" in res.source.label == res.summary.data_label


def test_every_fact_has_its_source_and_a_known_family():
    assert len({f.key for f in F.FACTS}) == len(F.FACTS)
    for f in F.FACTS:
        assert f.family in F.FAMILIES and f.source and f.how and math.isfinite(f.real), f.key
        assert f.real > 0, f"{f.key}: ratios need a positive real value"
        assert 0 <= f.tol[0] <= f.tol[1], f.key
    assert {f.family for f in F.FACTS} == set(F.FAMILIES)


def test_format_value_by_unit():
    assert F.format_value(0.279, "share") == "27.9%"
    assert F.format_value(0.0148, "share") == "1.48%"
    assert F.format_value(4_909_515, "count") == "4,909,515"
    assert F.format_value(42.09, "window_h") == "2025-05-06 18:05"
    assert F.format_value(20.0, "hour") == "20:00"
    assert F.format_value(float("nan"), "share") == "\u2013"


# ---------------------------------------------------------------------------------------------
# The whole page on the small twin
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twin_result(small_twin):
    return F.analyse(load(small_twin))


def test_table_on_the_small_twin_is_complete(twin_result):
    res = twin_result
    t = res.table
    assert res.is_twin and res.scale == pytest.approx(res.stats["n_user"] / REAL_USERS)
    assert list(t.columns[:7]) == [
        "Family",
        "Fact",
        "Real value",
        "This data",
        "Ratio",
        "Verdict",
        "How computed",
    ]
    assert t["Key"].tolist() == [f.key for f in F.FACTS]
    assert t["Real value"].notna().all()
    judged = ~t["Key"].isin(list(NOT_COMPARABLE))
    assert t.loc[judged, "Verdict"].isin(["match", "close", "off"]).all(), t.loc[
        judged & ~t["Verdict"].isin(["match", "close", "off"]), ["Key", "This data"]
    ]
    assert (t.loc[~judged, "Verdict"] == "not comparable").all()
    both = t["Real value"].notna() & t["This data"].notna()
    assert t.loc[both, "Ratio"].notna().all()
    assert (t["How computed"].str.len() > 0).all()
    shown = res.display_table()
    assert shown.index.names == ["Family", "Fact"] and len(shown) == len(t)
    assert list(shown.index.get_level_values(0).unique()) == list(F.FAMILIES)


def test_numbers_on_the_small_twin(twin_result):
    n = twin_result.numbers()
    assert all(k.isidentifier() for k in n)
    assert n["n_facts"] == len(F.FACTS)
    assert n["n_match"] + n["n_close"] + n["n_off"] == n["n_judged"]
    assert n["n_judged"] + n["n_na"] + n["n_not_comparable"] == n["n_facts"]
    assert n["n_tuned_judged"] + n["n_untuned_judged"] == n["n_judged"]
    assert n["n_untuned_match"] + n["n_untuned_close"] + n["n_untuned_off"] == n["n_untuned_judged"]
    assert n["worst1_fact"] != "none" and n["data_label"].startswith("synthetic twin (scale")
    counts = twin_result.verdict_counts()
    assert counts.loc["all facts"].sum() == n["n_facts"]
    worst = twin_result.worst(3)
    d = np.abs(np.log(worst["Ratio"].clip(lower=1e-300)))
    assert (np.diff(d.to_numpy()) <= 1e-12).all()


def test_ratio_figure(twin_result):
    from kuailive_analysis.plots import fidelity as P

    fig = P.plot_ratios(twin_result.table, title=twin_result.titles.ratio, source="s")
    assert len(fig.axes) == 1 and fig.axes[0].get_xscale() == "log"
    n = twin_result.numbers()
    assert fig.axes[0].get_title(loc="left") == (
        f"The twin against the real files, fact by fact: {n['n_match']} of {n['n_judged']} "
        f"comparable facts match, {n['n_off']} are off"
    )


def test_measure_cached_measures_once_per_content(tmp_path, monkeypatch):
    """The stored measurement equals a fresh one (NaN included), is read back instead of
    measuring again, and a changed file gives a new measurement."""
    from kuailive_analysis.fidelity import measuring

    monkeypatch.setenv("KUAILIVE_BUILD_DIR", str(tmp_path / "build"))
    folder = write_tiny(tmp_path / "d")
    fresh = F.measure(folder)
    calls = []
    real = measuring.measure
    monkeypatch.setattr(measuring, "measure", lambda d: calls.append(d) or real(d))
    first = measuring.measure_cached(folder)
    again = measuring.measure_cached(folder)
    assert len(calls) == 1
    assert first.keys() == fresh.keys() == again.keys()
    for k, v in fresh.items():
        assert (np.isnan(v) and np.isnan(again[k])) or again[k] == pytest.approx(v), k
    text = (folder / "like.csv").read_text()
    (folder / "like.csv").write_text(text + text.rstrip("\n").rsplit("\n", 1)[1] + "\n")
    measuring.measure_cached(folder)
    assert len(calls) == 2


def test_findings_of_a_plain_folder_name_what_is_off(tmp_path):
    from kuailive_analysis.chapter import ChapterId

    res = F.analyse(load(write_tiny(tmp_path / "real"), cache=False))
    f = {x.key: x for x in res.findings()}
    assert set(f) == {"matches_published", "copy_reproduces_counts"}
    assert all(x.chapter == ChapterId.FIDELITY.value and not x.headline for x in f.values())
    assert all((x.kind, x.check_type) == ("edition check", "qa") and x.question for x in f.values())
    agree, copy = f["matches_published"], f["copy_reproduces_counts"]
    assert agree.status == copy.status == "failed" and not agree.action and not copy.action
    assert f"{res.summary.n_off} of {res.summary.n_judged} comparable facts" in agree.reason
    assert "users (user.csv rows)" in copy.reason  # 4 users, not 23,772
    assert agree.value == res.numbers()["share_match"]
