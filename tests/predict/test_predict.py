"""AUC / UAUC / GAUC against sklearn, the chronological split, history features, the models,
the decisions and their baselines, the leak audit and the bounded test sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import roc_auc_score

from kuailive_analysis import predict as P
from kuailive_analysis.core.calendar import beijing_day, beijing_hour
from kuailive_analysis.data.schema import MS_PER_DAY, WINDOW_START_MS as W
from kuailive_analysis.engine import get_engine
from kuailive_analysis.engine.queries import predict as PQ
from kuailive_analysis.predict.features import EXPOSURES_VIEW, prior_counts, rows_query
from kuailive_analysis.predict.result import TABLE_COLUMNS

VIEW_COLUMNS = ("user_id", "live_id", "streamer_id", "ts_ms", "day", "clicked", "gifted")
"""The exposure columns the engine's history and position queries read."""


def engine_over(ex: pd.DataFrame):
    """A DuckDB engine holding ``ex`` as the exposure view the history is counted over (what
    chapter 5's engine holds as ``funnel_exposures``)."""
    eng = get_engine("duckdb")
    eng.register_frame(EXPOSURES_VIEW, ex[[c for c in VIEW_COLUMNS if c in ex]])
    return eng


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 5)), min_size=2, max_size=60))
@settings(max_examples=200, deadline=None)
def test_auc_matches_sklearn_with_ties(rows):
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows], dtype=float)  # few distinct values: many ties
    if y.all() or not y.any():
        assert np.isnan(P.auc(y, s))
    else:
        assert P.auc(y, s) == pytest.approx(roc_auc_score(y, s))


def _sklearn_grouped(y, s, g):
    aucs, ws = [], []
    for k in np.unique(g):
        m = g == k
        if y[m].all() or not y[m].any():
            continue
        aucs.append(roc_auc_score(y[m], s[m]))
        ws.append(m.sum())
    if not aucs:
        return np.nan, np.nan, 0
    return np.mean(aucs), np.average(aucs, weights=ws), len(aucs)


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.booleans(), st.integers(0, 3)), min_size=4, max_size=80
    )
)
@settings(max_examples=150, deadline=None)
def test_uauc_gauc_match_sklearn_per_group(rows):
    g = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    s = np.array([r[2] for r in rows], dtype=float)
    ref_u, ref_g, n_ok = _sklearn_grouped(y, s, g)
    m = P.auc_metrics(y, s, g)
    assert m["n_groups_evaluated"] == n_ok and m["n_groups"] == len(np.unique(g))
    if n_ok == 0:
        assert np.isnan(m["uauc"]) and np.isnan(m["gauc"])
        return
    assert m["uauc"] == pytest.approx(ref_u) and m["gauc"] == pytest.approx(ref_g)


def test_uauc_gauc_known_answer():
    # user 1: perfect ranking (AUC 1) on 4 rows; user 2: reversed (AUC 0) on 2 rows;
    # user 3: one class only (excluded)
    g = np.array([1, 1, 1, 1, 2, 2, 3])
    y = np.array([1, 1, 0, 0, 1, 0, 1])
    s = np.array([0.9, 0.8, 0.2, 0.1, 0.1, 0.9, 0.5])
    m = P.auc_metrics(y, s, g)
    assert m["uauc"] == pytest.approx(0.5) and m["gauc"] == pytest.approx(4 / 6)
    assert m["n_groups_evaluated"] == 2 and m["row_share_evaluated"] == pytest.approx(6 / 7)
    t = P.grouped_auc(y, s, g)
    assert np.isnan(t.loc[3, "auc"]) and t.loc[1, "auc"] == 1 and t.loc[2, "auc"] == 0


def test_auc_rejects_bad_input():
    with pytest.raises(ValueError, match="0/1"):
        P.auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="NaN"):
        P.auc([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="equal length"):
        P.auc([0, 1, 1], [0.1, 0.2])


def test_chronological_split_keeps_ties_and_order():
    ts = np.array([5, 1, 2, 2, 3, 4, 6, 7, 8, 9] * 3)
    sp = P.chronological_split(ts, (0.6, 0.2, 0.2))
    sp = np.asarray(sp)
    for t in np.unique(ts):
        assert len(set(sp[ts == t])) == 1  # same ms, same part
    assert ts[sp == "train"].max() < ts[sp == "valid"].min()
    assert ts[sp == "valid"].max() < ts[sp == "test"].min()
    with pytest.raises(ValueError, match="fractions"):
        P.chronological_split(ts, (0.5, 0.5, 0.5))


def hand_log() -> pd.DataFrame:
    """Eight exposures whose earlier-day counts are easy to count by hand (rows r0..r7)."""
    return pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 1, 2, 3, 1],
            "streamer_id": [1, 1, 2, 1, 1, 2, 1, 1],
            "day": np.array([0, 0, 1, 1, 3, 3, 0, 2], np.int8),
            "clicked": [True, True, False, True, False, True, False, True],
            "gifted": [True, False, False, False, False, True, False, False],
        }
    )


# per row r0..r7: (user's, streamer's, pair's) earlier-day (exposures, clicks, gifting clicks)
HAND_PRIOR = [
    [(0, 0, 0), (0, 0, 0), (0, 0, 0)],  # r0: day 0, nothing earlier
    [(0, 0, 0), (0, 0, 0), (0, 0, 0)],  # r1: same key as r0
    [(2, 2, 1), (0, 0, 0), (0, 0, 0)],  # r2: user 1 had r0, r1
    [(0, 0, 0), (3, 2, 1), (0, 0, 0)],  # r3: streamer 1 had r0, r1, r6
    [(4, 3, 1), (5, 4, 1), (3, 3, 1)],  # r4: r0, r1, r2, r7 / r0, r1, r6, r3, r7 / r0, r1, r7
    [(1, 1, 0), (1, 0, 0), (0, 0, 0)],  # r5: user 2 had r3; streamer 2 had r2
    [(0, 0, 0), (0, 0, 0), (0, 0, 0)],  # r6: day 0
    [(3, 2, 1), (4, 3, 1), (2, 2, 1)],  # r7: r0, r1, r2 / r0, r1, r6, r3 / r0, r1
]
# the same with the labels of day 0 flipped: r0, r1 become non-clicks, r6 a gifting click
HAND_PRIOR_FLIP0 = [
    [(0, 0, 0), (0, 0, 0), (0, 0, 0)],
    [(0, 0, 0), (0, 0, 0), (0, 0, 0)],
    [(2, 0, 0), (0, 0, 0), (0, 0, 0)],
    [(0, 0, 0), (3, 1, 1), (0, 0, 0)],
    [(4, 1, 0), (5, 3, 1), (3, 1, 0)],
    [(1, 1, 0), (1, 0, 0), (0, 0, 0)],
    [(0, 0, 0), (0, 0, 0), (0, 0, 0)],
    [(3, 0, 0), (4, 2, 1), (2, 0, 0)],
]


def _flat(table) -> np.ndarray:
    return np.array([[v for who in row for v in who] for row in table], dtype=np.int64)


def test_prior_counts_known_answer_joined_by_key_not_position():
    ex = hand_log()
    eng = engine_over(ex)
    assert list(P.features.PRIOR_COLUMNS) == [
        f"{w}_{c}" for w in ("u", "s", "us") for c in ("exp", "clk", "gft")
    ]
    p = prior_counts(eng, ex)
    assert (p.dtypes == np.int64).all() and p.index.equals(ex.index)
    np.testing.assert_array_equal(p.to_numpy(), _flat(HAND_PRIOR))
    # any subset of rows, in any order and with any index: matched by (user, streamer, day)
    order = [4, 0, 5, 7]
    sub = ex.iloc[order].set_index(pd.Index([40, 41, 42, 43]))
    q = prior_counts(eng, sub)
    assert list(q.index) == [40, 41, 42, 43]
    np.testing.assert_array_equal(q.to_numpy(), _flat(HAND_PRIOR)[order])
    # the audit's version: day 0's labels flipped; and only rows of days <= 1 read
    f = prior_counts(eng, ex, flip_day=0)
    np.testing.assert_array_equal(f.to_numpy(), _flat(HAND_PRIOR_FLIP0))
    cut = prior_counts(eng, ex.iloc[[4]], last_day=1)  # r7 (day 2) no longer counts
    np.testing.assert_array_equal(cut.to_numpy()[0], [3, 2, 1, 4, 3, 1, 2, 2, 1])


def test_history_features_are_the_logs_and_smoothed_rates_of_the_counts():
    ex = hand_log()
    ex["hour"] = np.int8(6)
    ex["screen_size"] = 2
    f = P.history_features(ex, engine_over(ex), 20.0, (0.3, 0.1))
    r4 = f.iloc[4]  # user (4, 3, 1), streamer (5, 4, 1), pair (3, 3, 1)
    assert r4["u_exp"] == np.log1p(4.0) and r4["s_clk"] == np.log1p(4.0)
    assert r4["us_gft"] == np.log1p(1.0)
    assert r4["u_ctr"] == (3 + 20 * 0.3) / (4 + 20) and r4["u_gtr"] == (1 + 20 * 0.1) / (3 + 20)
    assert r4["s_ctr"] == (4 + 20 * 0.3) / (5 + 20) and r4["us_gtr"] == (1 + 20 * 0.1) / (3 + 20)
    assert f.iloc[0]["u_ctr"] == 0.3 and f.iloc[0]["s_gtr"] == 0.1 * 20 / 20  # no history
    assert r4["hour"] == 6 and r4["hour_cos"] == np.cos(np.pi / 2) and r4["log_screen"] == np.log(2)
    assert "log_index" not in f  # only the position columns the rows have


def test_positions_recomputed_by_the_engine_known_answer():
    # user 1: live 10 at ms 100 (twice), 200 and 300, live 11 at 100; user 2: live 10 at 100;
    # ms 300 is on day 1
    ex = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 1, 2],
            "live_id": [10, 10, 10, 10, 11, 10],
            "streamer_id": 5,
            "ts_ms": [100, 100, 200, 300, 100, 100],
            "day": np.array([0, 0, 0, 1, 0, 0], np.int8),
            "clicked": False,
            "gifted": False,
        }
    )
    eng = engine_over(ex)
    keys = ["user_id", "live_id", "ts_ms"]
    p = rows_query(eng, PQ.PREDICT_POSITIONS, ex, keys, last_day=1)
    assert p["screen_size"].tolist() == [3, 3, 1, 1, 3, 1]  # user 1 saw 3 rooms at ms 100
    assert p["exposure_index"].tolist() == [1, 1, 2, 3, 1, 1]  # dense: tied ms share an index
    cut = rows_query(eng, PQ.PREDICT_POSITIONS, ex, keys, last_day=0)
    assert cut["screen_size"].isna().tolist() == [False] * 3 + [True] + [False] * 2
    from kuailive_analysis.predict.leaks import _positions

    lp = _positions(eng, ex.iloc[[2, 4]], 0)
    assert lp["log_screen"].tolist() == [0.0, np.log(3)]
    assert lp["log_index"].tolist() == [np.log(2), 0.0]


def test_features_of_some_rows_equal_those_of_every_row():
    """The features of a row do not depend on which other rows are featurised; unused category
    levels are kept."""
    ex = synthetic_exposures(3_000)
    rng = np.random.default_rng(7)
    ex["gender"] = pd.Categorical(rng.choice(["F", "M"], len(ex)), categories=["F", "M", "?"])
    eng = engine_over(ex)
    full = P.history_features(ex, eng, 20.0, (0.3, 0.2))
    rows = np.arange(0, len(ex), 3)
    part = P.history_features(ex.iloc[rows], eng, 20.0, (0.3, 0.2))
    pd.testing.assert_frame_equal(part, full.iloc[rows])
    assert list(part["gender"].cat.categories) == ["F", "M", "?"]
    split, feats, at = P.prepare(ex, eng, rows=rows)
    assert (at == rows).all()
    pd.testing.assert_frame_equal(feats, P.prepare(ex, eng)[1].iloc[rows])


def synthetic_exposures(n=40_000, seed=0, n_streamers=200):
    """An exposure table (the columns the models read: clicks first, then the unclicked
    exposures) whose click and gift probabilities depend on the streamer only."""
    rng = np.random.default_rng(seed)
    u = rng.integers(1, 300, n)
    s = rng.integers(1, n_streamers, n)
    ts = W + np.sort(rng.integers(0, 21 * MS_PER_DAY, n))
    q = (s % 10) / 10
    clicked = rng.random(n) < 0.05 + 0.5 * q
    gifted = clicked & (rng.random(n) < 0.01 + 0.2 * q)
    df = pd.DataFrame({"user_id": u, "live_id": s * 10, "streamer_id": s, "ts_ms": ts,
                       "clicked": clicked, "gifted": gifted})  # fmt: skip
    df = pd.concat([df[clicked], df[~clicked]], ignore_index=True)
    df["day"] = beijing_day(df["ts_ms"]).astype(np.int8)
    df["hour"] = beijing_hour(df["ts_ms"]).astype(np.int8)
    df["screen_size"] = df.groupby(["user_id", "ts_ms"])["ts_ms"].transform("size")
    by_pair = df.groupby(["user_id", "live_id"])["ts_ms"]
    df["exposure_index"] = by_pair.rank(method="dense").astype(np.int32)
    return df


def test_history_features_use_earlier_days_only():
    ex = synthetic_exposures(5_000)
    f1 = P.history_features(ex, engine_over(ex), 20.0, (0.3, 0.05))
    last = ex["day"] == ex["day"].max()
    flipped = ex.copy()
    flipped.loc[last, "clicked"] = ~flipped.loc[last, "clicked"]
    f2 = P.history_features(flipped, engine_over(flipped), 20.0, (0.3, 0.05))
    pd.testing.assert_frame_equal(f1, f2)  # labels of the last day never feed any feature
    first = ex["day"] == ex["day"].min()
    assert (f1.loc[first, "s_exp"] == 0).all()
    assert f1.loc[first, "s_ctr"].eq(0.3).all()


def test_evaluate_beats_chance_when_streamer_drives_clicks():
    ex = synthetic_exposures()
    res = P.evaluate(ex, engine=engine_over(ex), max_train_rows=20_000)
    m, info = res.metrics, res.info
    ctr = m.loc["CTR (click per exposure)"]
    assert (ctr.drop(index="user's own past CTR")["auc"] > 0.65).all()
    assert ctr.loc["user's own past CTR", "auc"] < 0.6  # clicks depend on the streamer only
    assert ctr.loc["gradient boosting", "auc"] > 0.65
    assert ctr["gauc"].notna().all()
    assert info.loc["CTR (click per exposure)", "n_test"] == pytest.approx(0.1 * len(ex), rel=0.05)
    assert (
        info.loc["GTR (clicks with a gift)", "n_train"]
        == ex.loc[np.asarray(P.chronological_split(ex["ts_ms"])) == "train", "clicked"].sum()
    )


def test_evaluate_needs_both_classes():
    ex = synthetic_exposures(3_000)
    ex["gifted"] = False
    with pytest.raises(ValueError, match="GTR.*positives"):
        P.evaluate_task(ex, "GTR (clicks with a gift)", engine=engine_over(ex))
    with pytest.raises(P.NotEnoughData):
        P.evaluate_all(ex, engine=engine_over(ex))


def test_evaluate_can_skip_a_task_without_positives():
    ex = synthetic_exposures(3_000)
    ex["gifted"] = False
    evs = P.evaluate_all(ex, skip_unfit=True, max_train_rows=5_000, engine=engine_over(ex))
    gtr, ctr = evs["GTR (clicks with a gift)"], evs["CTR (click per exposure)"]
    assert gtr.metrics["auc"].isna().all() and "positives" in gtr.info["note"]
    assert ctr.metrics["auc"].notna().all() and ctr.info["note"] == ""
    from kuailive_analysis.plots import funnel as PF

    assert PF.plot_model_metrics(pd.concat([ctr.metrics, gtr.metrics]), title="t") is not None


def test_evaluate_returns_a_typed_result_with_plain_numbers():
    ex = synthetic_exposures(8_000)
    eng = engine_over(ex)
    res = P.evaluate(ex, engine=eng, fractions=[0.8, 0.1, 0.1], max_train_rows=5_000, seed=1)
    assert isinstance(res, P.PredictResult)
    assert res.fractions == (0.8, 0.1, 0.1) and res.max_train_rows == 5_000 and res.seed == 1
    evs = P.evaluate_all(ex, skip_unfit=True, fractions=(0.8, 0.1, 0.1), max_train_rows=5_000,
                         seed=1, engine=eng)  # fmt: skip
    m = pd.concat([e.metrics for e in evs.values()])
    pd.testing.assert_frame_equal(res.metrics, m)  # the same evaluation, typed
    assert list(res.table().columns) == ["task", "scorer", *TABLE_COLUMNS.values()]
    n, info = res.numbers(), res.info
    ctr, gtr = "CTR (click per exposure)", "GTR (clicks with a gift)"
    assert n["ctr_gb_auc"] == m.loc[(ctr, "gradient boosting"), "auc"]
    assert n["gtr_gb_gauc"] == m.loc[(gtr, "gradient boosting"), "gauc"]
    assert n["gtr_pop_auc"] == m.loc[(gtr, "popularity (streamer's past gifts)"), "auc"]
    assert n["ctr_user_uauc"] == m.loc[(ctr, "user's own past CTR"), "uauc"]
    assert n["ctr_rate_gauc"] == m.loc[(ctr, "streamer's past CTR"), "gauc"]
    assert n["gtr_n_test"] == info.loc[gtr, "n_test"] and n["ctr_n_train_used"] <= 5_000
    assert n["gtr_users_test"] == m.loc[(gtr, "gradient boosting"), "n_groups"]
    feed, prompt = res.comparison("feed"), res.comparison("prompt")
    assert n["feed_diff_uauc"] == feed["diff_uauc"] and feed["baseline"] == "streamer's past CTR"
    assert n["prompt_diff_auc"] == prompt["diff_auc"]
    assert prompt["baseline"] == "user's own past GTR"
    assert feed["diff_uauc"] == pytest.approx(
        m.loc[(ctr, "gradient boosting"), "uauc"] - m.loc[(ctr, "streamer's past CTR"), "uauc"]
    )
    assert n["paper_ctr_auc"] == 0.851
    assert n["ctr_paper_gap"] == pytest.approx(0.851 - n["ctr_gb_auc"])
    for k, v in n.items():
        assert type(v) in (int, float, str), (k, type(v))
    assert res.title() == (
        f"Within users, click model UAUC {feed['model_uauc']:.3f} vs {feed['baseline_uauc']:.3f} "
        f"for the streamer's past CTR; gift model AUC {prompt['model_auc']:.3f} vs "
        f"{prompt['baseline_auc']:.3f} for the user's own past GTR"
    )
    assert list(res.decision_table()["metric"]) == ["UAUC", "GAUC", "AUC", "UAUC", "GAUC"]


def test_evaluate_skips_a_task_without_data():
    ex = synthetic_exposures(3_000)
    ex["gifted"] = False
    n = P.evaluate(ex, engine=engine_over(ex), max_train_rows=5_000).numbers()
    assert np.isnan(n["gtr_gb_auc"]) and n["gtr_n_test"] == 0 and n["ctr_n_test"] > 0
    assert n["gtr_top_group"] == "n/a" and np.isnan(n["prompt_diff_auc"])
    assert n["prompt_text"] == "The comparison could not be made on this data."


def test_log_loss_and_calibration_match_definitions():
    from sklearn.metrics import log_loss as sk_log_loss

    rng = np.random.default_rng(3)
    p = rng.uniform(0.01, 0.99, 2_000)
    y = rng.random(2_000) < p
    assert P.log_loss(y, p) == pytest.approx(sk_log_loss(y, p))
    cal = P.calibration_table(y, p, bins=10)
    assert cal["n"].sum() == 2_000 and len(cal) == 10
    assert (cal["lo"] <= cal["observed"]).all() and (cal["observed"] <= cal["hi"]).all()
    assert P.expected_calibration_error(cal) < 0.06  # p is calibrated by construction
    assert P.expected_calibration_error(P.calibration_table(y, p / 3)) > 0.15


def test_user_bootstrap_auc_is_paired_and_weighted():
    rng = np.random.default_rng(4)
    n = 3_000
    users = rng.integers(0, 100, n)
    y = rng.random(n) < 0.3
    good = y + rng.normal(0, 0.8, n)
    b = P.user_bootstrap_auc(y, {"good": good, "noise": rng.random(n)}, users, n_boot=50)
    w = b.pivot(index="replicate", columns="scorer", values="auc")
    assert w["good"].mean() == pytest.approx(P.auc(y, good), abs=0.02)
    assert (w["good"] > w["noise"]).all()
    # all weights one reproduces the plain AUC
    from kuailive_analysis.predict.metrics import _weighted_auc

    order = np.argsort(good, kind="stable")
    ss = good[order]
    tie = np.concatenate([[0], np.cumsum(ss[1:] != ss[:-1])])
    assert _weighted_auc(y[order].astype(float), tie, np.ones(n)) == pytest.approx(P.auc(y, good))


def test_user_bootstrap_uauc_gauc_are_the_weighted_means_of_the_users_aucs():
    """Replicate by replicate, UAUC = sum w_u AUC_u / sum w_u and GAUC = sum w_u n_u AUC_u /
    sum w_u n_u over the users with both classes, with the function's own Poisson weights
    (drawn per user in order of first appearance)."""
    g = np.array([7, 7, 7, 7, 3, 3, 3, 9, 9])
    y = np.array([1, 1, 0, 0, 1, 0, 0, 1, 1])  # user 9 has one class: left out
    s = np.array([0.9, 0.2, 0.5, 0.1, 0.1, 0.9, 0.3, 0.5, 0.6])
    # user 7: positives 0.9, 0.2 vs negatives 0.5, 0.1 -> 3 of 4 pairs; user 3: 0.1 vs 0.9, 0.3
    auc_u, n_u = {7: 0.75, 3: 0.0}, {7: 4, 3: 3}
    b = P.user_bootstrap_auc(y, {"s": s}, g, n_boot=30, seed=5)
    w = np.random.default_rng(5).poisson(1.0, size=(30, 3))  # users in order 7, 3, 9
    for r in range(30):
        w7, w3 = w[r, 0], w[r, 1]
        row = b[b["replicate"] == r].iloc[0]
        if w7 + w3 == 0:
            assert np.isnan(row["uauc"]) and np.isnan(row["gauc"])
            continue
        assert row["uauc"] == pytest.approx((w7 * auc_u[7] + w3 * auc_u[3]) / (w7 + w3))
        gw7, gw3 = w7 * n_u[7], w3 * n_u[3]
        assert row["gauc"] == pytest.approx((gw7 * auc_u[7] + gw3 * auc_u[3]) / (gw7 + gw3))


def test_compare_takes_differences_replicate_by_replicate():
    """The interval of a difference comes from the paired replicates, not from the two
    scorers' own intervals: here the two scorers vary together, so the difference is exact."""
    from kuailive_analysis.predict.models import compare

    reps = np.arange(40)
    base = 0.6 + 0.01 * np.sin(reps)  # wide own interval
    rows = [(r, "m", base[r] + 0.02, base[r] + 0.03, base[r] + 0.01) for r in reps] + [
        (r, "b", base[r], base[r], base[r]) for r in reps
    ]
    boot = pd.DataFrame(rows, columns=["replicate", "scorer", "auc", "uauc", "gauc"])
    metrics = pd.DataFrame({"auc": [0.7, 0.68], "uauc": [0.65, 0.62], "gauc": [0.6, 0.59]},
                           index=["m", "b"])  # fmt: skip
    c = compare(metrics, boot, "m", "b", conf=0.9)
    assert c["diff_auc"] == pytest.approx(0.02) and c["diff_uauc"] == pytest.approx(0.03)
    assert (c["diff_auc_lo"], c["diff_auc_hi"]) == (pytest.approx(0.02), pytest.approx(0.02))
    assert (c["diff_gauc_lo"], c["diff_gauc_hi"]) == (pytest.approx(0.01), pytest.approx(0.01))
    assert c["model_auc_hi"] - c["model_auc_lo"] > 0.015  # the scorer's own interval is wide
    assert c["model"] == "m" and c["baseline"] == "b"


def test_single_feature_auc_is_oriented_and_flags_nothing():
    """Each feature alone as a score: a strong feature ranks high, a reversed one counts as
    predictive too; no column decides leaks (the time bound does, predict.leaks)."""
    ex = synthetic_exposures(20_000)
    split, feats = P.prepare(ex, engine_over(ex))
    y = ex["clicked"].to_numpy()
    sp = np.asarray(split)
    feats["strong"] = y + np.random.default_rng(0).normal(0, 0.2, len(y))
    t = P.single_feature_auc(
        feats[sp == "test"], y[sp == "test"], feats[sp == "train"], y[sp == "train"]
    )
    assert t.iloc[0]["feature"] == "strong" and t.iloc[0]["auc"] > 0.95
    assert list(t.columns) == ["feature", "label", "auc", "positives_score"]
    assert t.loc[t["feature"] == "s_ctr", "auc"].iloc[0] > 0.65
    feats["strong"] = -feats["strong"]
    t2 = P.single_feature_auc(
        feats[sp == "test"], y[sp == "test"], feats[sp == "train"], y[sp == "train"]
    )
    assert t2.iloc[0]["feature"] == "strong" and t2.iloc[0]["positives_score"] == "lower"


def test_leaks_are_decided_by_time_bound_not_by_strength():
    from kuailive_analysis.predict.features import FEATURE_GROUPS
    from kuailive_analysis.predict.leaks import FEATURE_SOURCE

    # every feature built has a declared source; exactly the end-of-window profile leaks
    assert set(FEATURE_SOURCE) == {c for cols in FEATURE_GROUPS.values() for c in cols}
    assert P.LEAKS == {"age", "gender", "device_price"}
    assert not P.SOURCES["history"].leak and P.SOURCES["profile"].leak


def _profiled(ex: pd.DataFrame) -> pd.DataFrame:
    """``ex`` with a profile column that encodes the label (a snapshot that saw the future)."""
    out = ex.copy()
    out["age"] = np.where(out["gifted"], "gifter", "other")
    return out


def test_recompute_check_passes_the_history_features_and_catches_a_future_one():
    from kuailive_analysis.predict.leaks import check_days, recompute_check

    ex = synthetic_exposures(8_000)
    eng = engine_over(ex)
    split, feats = P.prepare(ex, eng, prior_strength=20.0)
    rows = np.arange(len(ex))
    days = check_days(ex, split)
    test_days = ex["day"].to_numpy()[np.asarray(split) == "test"]
    assert days == [test_days.min()] and days[0] < ex["day"].max()  # later days exist
    kw = {
        "base_rates": P.train_base_rates(ex, split),
        "prior_strength": 20.0,
        "days": days,
        "engine": eng,
    }
    r = recompute_check(ex, feats, rows, **kw).set_index("feature")
    on_days = int(ex["day"].isin(days).sum())
    assert (r["max_change"] == 0).all() and (r["rows_checked"] == on_days).all()
    assert {"u_gtr", "s_ctr", "us_clk", "log_screen", "log_index", "hour"} <= set(r.index)
    # a "history" feature that counts the whole window (the future too) is caught
    leaky = feats.copy()
    total = ex.groupby("user_id")["clicked"].transform("sum").to_numpy()
    leaky["u_clk"] = np.log1p(total)
    r2 = recompute_check(ex, leaky, rows, **kw).set_index("feature")
    assert r2.loc["u_clk", "max_change"] > 0
    assert (r2.drop(index="u_clk")["max_change"] == 0).all()
    # and so is one that reads its own row's label (same day)
    leaky = feats.copy()
    leaky["s_ctr"] = ex["clicked"].to_numpy(float)
    r3 = recompute_check(ex, leaky, rows, **kw).set_index("feature")
    assert r3.loc["s_ctr", "max_change"] > 0.5  # the label against a smoothed past rate


def test_a_strong_past_feature_stays_a_baseline_and_a_profile_leak_is_never_fitted():
    """Gifts depend on the user only: the user's own past GTR is strong, and it is the
    baseline of the gifting-prompt decision however strong; the label-encoding profile column
    (a leak by construction) is never a model input."""
    rng = np.random.default_rng(2)
    ex = synthetic_exposures(30_000)
    gifter = (ex["user_id"] % 5 == 0).to_numpy()
    ex["gifted"] = ex["clicked"].to_numpy() & (rng.random(len(ex)) < np.where(gifter, 0.5, 0.01))
    res = P.evaluate(_profiled(ex), engine=engine_over(ex), max_train_rows=10_000, n_boot=30)
    ev = res.evaluations["GTR (clicks with a gift)"]
    m = res.metrics.loc["GTR (clicks with a gift)"]
    assert m.loc["user's own past GTR", "auc"] > 0.8 and m.loc["user's own past GTR", "kind"] \
        == "baseline"  # fmt: skip
    c = res.comparison("prompt")
    assert c["baseline"] == "user's own past GTR"
    assert c["baseline_auc"] == m.loc["user's own past GTR", "auc"]
    assert "age" not in ev.info["features"].split(", ") and "u_gtr" in ev.info["features"]
    strength = ev.strength.set_index("feature")["auc"]
    assert strength["age"] > 0.99  # the leak is the strongest feature of all, and unused
    audit = res.audit.set_index("column")
    assert audit.loc["age", "leak"] == "yes" and audit.loc["u_gtr", "leak"] == "no"
    assert audit.loc["u_gtr", "largest change when recomputed from earlier days"] == 0
    assert np.isnan(audit.loc["age", "largest change when recomputed from earlier days"])
    assert res.leak_max_change == 0 and res.numbers()["leak_features"] == "age"


def test_decision_text_never_claims_what_the_interval_does_not_support():
    from kuailive_analysis.predict.result import decision_text

    c = {"baseline": "streamer's past CTR"}
    what = "orders the rooms of one user's feed"
    assert decision_text({**c, "diff_uauc_lo": 0.01, "diff_uauc_hi": 0.03}, "uauc", what) == (
        "The interval excludes zero: the model orders the rooms of one user's feed better than "
        "the streamer's past CTR."
    )
    t = decision_text({**c, "diff_uauc_lo": -0.01, "diff_uauc_hi": 0.03}, "uauc", what)
    assert t.startswith("The interval includes zero: this data cannot tell whether")
    t = decision_text({**c, "diff_uauc_lo": -0.03, "diff_uauc_hi": -0.01}, "uauc", what)
    assert t.startswith("The interval lies below zero: the streamer's past CTR orders")


@pytest.mark.spark
def test_history_and_position_queries_agree_on_duckdb_and_spark(tmp_path):
    """predict_prior_counts (plain, and as the audit runs it) and predict_positions give the
    same rows on Spark as on DuckDB, over an exposure table written as Parquet (as chapter 5
    materialises it)."""
    import os
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if os.environ.get("CI"):
            pytest.fail("Java is missing in CI: make test should have installed it")
        pytest.skip("no Java: the Spark engine cannot start")
    pytest.importorskip("pyspark")
    ex = synthetic_exposures(4_000, seed=5)
    path = tmp_path / "exposures.parquet"
    ex[list(VIEW_COLUMNS)].to_parquet(path, index=False)
    rows = ex.iloc[np.arange(0, len(ex), 7)]
    d = int(np.median(ex["day"]))
    out = {}
    spark = get_engine("spark", master="local[2]")
    try:
        for eng in (get_engine("duckdb"), spark):
            eng.register(EXPOSURES_VIEW, path)
            out[eng.name] = {
                "prior": prior_counts(eng, rows),
                "audit": prior_counts(eng, rows, last_day=d, flip_day=d),
                "positions": rows_query(
                    eng, PQ.PREDICT_POSITIONS, rows, ["user_id", "live_id", "ts_ms"], last_day=d
                ),
            }
    finally:
        spark.close()
    for k, duck in out["duckdb"].items():
        pd.testing.assert_frame_equal(duck, out["spark"][k], check_dtype=False, obj=k)
    assert out["duckdb"]["positions"]["screen_size"].isna().any()  # rows after day d: not found
    assert (out["duckdb"]["audit"].to_numpy() != out["duckdb"]["prior"].to_numpy()).any()
