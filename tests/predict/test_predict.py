"""AUC / UAUC / GAUC against sklearn, the chronological split, history features, the models,
the baselines, the leak check and the bounded test sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import roc_auc_score

from kuailive_analysis import predict as P
from kuailive_analysis.core.calendar import beijing_day, beijing_hour
from kuailive_analysis.data.schema import MS_PER_DAY, WINDOW_START_MS as W
from kuailive_analysis.predict.features import prior_day_sums
from kuailive_analysis.predict.result import TABLE_COLUMNS


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


def test_prior_day_sums_known_answer():
    key = np.array([1, 1, 1, 2, 1, 2])
    day = np.array([0, 0, 1, 1, 3, 3])
    vals = pd.DataFrame({"x": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]})
    p = prior_day_sums(key, day, vals)
    assert p["x"].tolist() == [0, 0, 3, 0, 7, 8]


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
    f1 = P.history_features(ex, base_rates=(0.3, 0.05))
    last = ex["day"] == ex["day"].max()
    flipped = ex.copy()
    flipped.loc[last, "clicked"] = ~flipped.loc[last, "clicked"]
    f2 = P.history_features(flipped, base_rates=(0.3, 0.05))
    pd.testing.assert_frame_equal(f1, f2)  # labels of the last day never feed any feature
    first = ex["day"] == ex["day"].min()
    assert (f1.loc[first, "s_exp"] == 0).all()
    assert f1.loc[first, "s_ctr"].eq(0.3).all()


def test_evaluate_beats_chance_when_streamer_drives_clicks():
    ex = synthetic_exposures()
    res = P.evaluate(ex, max_train_rows=20_000)
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
        P.evaluate_task(ex, "GTR (clicks with a gift)")
    with pytest.raises(P.NotEnoughData):
        P.evaluate_all(ex)


def test_evaluate_can_skip_a_task_without_positives():
    ex = synthetic_exposures(3_000)
    ex["gifted"] = False
    evs = P.evaluate_all(ex, skip_unfit=True, max_train_rows=5_000)
    gtr, ctr = evs["GTR (clicks with a gift)"], evs["CTR (click per exposure)"]
    assert gtr.metrics["auc"].isna().all() and "positives" in gtr.info["note"]
    assert ctr.metrics["auc"].notna().all() and ctr.info["note"] == ""
    from kuailive_analysis.plots import funnel as PF

    assert PF.plot_model_metrics(pd.concat([ctr.metrics, gtr.metrics]), title="t") is not None


def test_evaluate_returns_a_typed_result_with_plain_numbers():
    ex = synthetic_exposures(8_000)
    res = P.evaluate(ex, fractions=[0.8, 0.1, 0.1], max_train_rows=5_000, seed=1)
    assert isinstance(res, P.PredictResult)
    assert res.fractions == (0.8, 0.1, 0.1) and res.max_train_rows == 5_000 and res.seed == 1
    evs = P.evaluate_all(ex, skip_unfit=True, fractions=(0.8, 0.1, 0.1), max_train_rows=5_000,
                         seed=1)  # fmt: skip
    m = pd.concat([e.metrics for e in evs.values()])
    pd.testing.assert_frame_equal(res.metrics, m)  # the same evaluation, typed
    assert list(res.table().columns) == ["task", "scorer", *TABLE_COLUMNS.values()]
    n, info = res.numbers(), res.info
    ctr, gtr = "CTR (click per exposure)", "GTR (clicks with a gift)"
    assert n["ctr_gb_auc"] == m.loc[(ctr, "gradient boosting"), "auc"]
    assert n["gtr_gb_gauc"] == m.loc[(gtr, "gradient boosting"), "gauc"]
    assert n["gtr_pop_auc"] == m.loc[(gtr, "popularity (streamer's past gifts)"), "auc"]
    assert n["ctr_user_uauc"] == m.loc[(ctr, "user's own past CTR"), "uauc"]
    assert n["ctr_rate_auc"] == m.loc[(ctr, "streamer's past CTR"), "auc"]
    assert n["gtr_n_test"] == info.loc[gtr, "n_test"] and n["ctr_n_train_used"] <= 5_000
    assert n["gtr_users_test"] == m.loc[(gtr, "gradient boosting"), "n_groups"]
    c = res.comparison("ctr")
    assert n["ctr_diff_auc"] == c["diff_auc"] and n["ctr_best_baseline"] == c["best_baseline"]
    assert n["paper_ctr_auc"] == 0.851
    assert n["ctr_paper_gap"] == pytest.approx(0.851 - n["ctr_gb_auc"])
    for k, v in n.items():
        assert type(v) in (int, float, str), (k, type(v))
    best = m["auc"].groupby(level="task").max()
    assert res.title() == f"Best test AUC: CTR {best[ctr]:.3f}, GTR {best[gtr]:.3f}"


def test_evaluate_skips_a_task_without_data():
    ex = synthetic_exposures(3_000)
    ex["gifted"] = False
    n = P.evaluate(ex, max_train_rows=5_000).numbers()
    assert np.isnan(n["gtr_gb_auc"]) and n["gtr_n_test"] == 0 and n["ctr_n_test"] > 0
    assert n["gtr_best_baseline"] == "n/a" and n["gtr_top_group"] == "n/a"
    assert n["gtr_leak_text"] == "was not run (the task was skipped)"


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


def test_leak_check_flags_a_feature_that_reveals_the_label():
    ex = synthetic_exposures(20_000)
    split, feats = P.prepare(ex)
    y = ex["clicked"].to_numpy()
    sp = np.asarray(split)
    feats["leaky"] = y + np.random.default_rng(0).normal(0, 0.2, len(y))
    t = P.single_feature_auc(
        feats[sp == "test"], y[sp == "test"], feats[sp == "train"], y[sp == "train"]
    )
    flagged = t.loc[t["suspected_leak"], "feature"].tolist()
    assert flagged == ["leaky"]
    assert t.loc[t["feature"] == "s_ctr", "auc"].iloc[0] > 0.65
    # oriented: a feature that ranks negatives first counts as predictive too
    feats["leaky"] = -feats["leaky"]
    t2 = P.single_feature_auc(
        feats[sp == "test"], y[sp == "test"], feats[sp == "train"], y[sp == "train"]
    )
    assert t2.iloc[0]["feature"] == "leaky" and t2.iloc[0]["positives_score"] == "lower"


def test_evaluate_refits_without_a_suspected_leak_and_compares_with_intervals():
    ex = synthetic_exposures(20_000)
    res = P.evaluate(ex, max_train_rows=10_000, n_boot=40, leak_auc=0.6)  # s_ctr becomes suspect
    ev = res.evaluations["CTR (click per exposure)"]
    assert "s_ctr" in ev.info["leaks"]
    m = res.metrics.loc["CTR (click per exposure)"]
    assert m.loc["streamer's past CTR", "kind"] == "baseline (suspected leak)"
    assert "gb_all" in set(m["key"])
    assert ev.comparison["best_baseline"] != "streamer's past CTR"  # not eligible
    c = ev.comparison
    assert c["diff_auc_lo"] <= c["diff_auc"] <= c["diff_auc_hi"]
    assert c["model_auc_lo"] <= c["model_auc"] <= c["model_auc_hi"]
    n = res.numbers()
    assert "suspected leak" in n["ctr_leak_text"] and "refit" in n["ctr_leak_text"]
    assert set(res.importance_table()["feature group"]) >= {"streamer history", "user history"}
    assert not res.leak_table().empty and not res.comparison_table().empty
    assert (
        res.best_auc()["CTR (click per exposure)"]
        == m.loc[~m["kind"].str.contains("leak"), "auc"].max()
    )


def test_test_part_is_scored_on_a_bounded_sample_without_moving_train():
    """A test part larger than max_test_rows is scored on a uniform sample of that size,
    drawn after the train and valid samples (which stay the same); smaller parts are whole."""
    from kuailive_analysis.predict.tasks import TASKS, task_rows

    CTR = next(iter(TASKS))

    n = 5_000
    rng = np.random.default_rng(1)
    ex = pd.DataFrame({"clicked": rng.random(n) < 0.3, "gifted": np.zeros(n, bool)})
    split = np.array(["train"] * 3000 + ["valid"] * 500 + ["test"] * 1500)
    tr0, va0, te0, info0 = task_rows(ex, CTR, split, 1000, 0, max_test_rows=None)
    tr1, va1, te1, info1 = task_rows(ex, CTR, split, 1000, 0, max_test_rows=400)
    assert (tr0 == tr1).all() and (va0 == va1).all()
    assert len(te0) == info0["n_test_used"] == info0["n_test"] == 1500
    assert len(te1) == info1["n_test_used"] == 400 and info1["n_test"] == 1500
    assert set(te1) <= set(te0) and (np.diff(te1) > 0).all()
    assert info1["pos_test_used"] == int(ex["clicked"].to_numpy()[te1].sum())
