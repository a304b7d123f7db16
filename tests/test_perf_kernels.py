"""The vectorised kernels of the performance work (issue 9) against plain pandas references.

Each fast path (sort + run boundaries, bincount, dense lookup arrays, feature rows on demand)
is checked against the straightforward groupby / merge it replaced, on random logs drawn by
hypothesis, so a regression in the fast path shows up as a value difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from kuailive_analysis import funnel as F, predict
from kuailive_analysis.data.schema import WINDOW_START_MS as W


def random_log(seed: int, n: int, n_users: int = 5, n_rooms: int = 6, extra=None):
    rng = np.random.default_rng(seed)
    live = rng.integers(1, n_rooms + 1, n)
    df = pd.DataFrame(
        {
            "user_id": rng.integers(1, n_users + 1, n).astype(np.int32),
            "live_id": live.astype(np.int32),
            "streamer_id": (100 + live % 3).astype(np.int32),  # a streamer runs several rooms
            "ts_ms": W + rng.integers(0, 5, n) * 86_400_000 + rng.integers(0, 4, n) * 1000,
        }
    )
    if extra == "watch_live_time":
        df[extra] = rng.integers(0, 20_000, n).astype(np.int32)
    elif extra == "gift_price":
        df[extra] = rng.integers(1, 50, n).astype(np.int32)
    return df


def _session_reference(clicks, neg, com, lik, gif):
    parts = []
    for name, df in (
        ("click", clicks),
        ("negative", neg),
        ("comment", com),
        ("like", lik),
        ("gift", gif),
    ):
        p = df[["user_id", "live_id", "streamer_id", "ts_ms"]].copy()
        p["kind"] = name
        p["watch_ms"] = df["watch_live_time"] if name == "click" else 0
        p["gift_value"] = df["gift_price"] if name == "gift" else 0
        parts.append(p)
    ev = pd.concat(parts, ignore_index=True).sort_values("ts_ms", kind="stable")
    g = ev.groupby(["user_id", "live_id"], sort=True)
    out = pd.DataFrame(
        {
            "streamer_id": g["streamer_id"].first(),
            "first_ms": g["ts_ms"].min(),
            "watch_ms": g["watch_ms"].sum(),
            "gift_value": g["gift_value"].sum(),
        }
    )
    for name, col in (
        ("click", "n_clicks"),
        ("negative", "n_negatives"),
        ("comment", "n_comments"),
        ("like", "n_likes"),
        ("gift", "n_gifts"),
    ):
        out[col] = ev.assign(x=ev["kind"] == name).groupby(["user_id", "live_id"])["x"].sum()
    return out.reset_index()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40), st.integers(0, 40), st.integers(0, 10))
def test_session_table_matches_groupby_reference(seed, n_click, n_neg, n_eng):
    clicks = random_log(seed, n_click, extra="watch_live_time")
    neg = random_log(seed + 1, n_neg)
    com, lik = random_log(seed + 2, n_eng), random_log(seed + 3, n_eng)
    gif = random_log(seed + 4, n_eng, extra="gift_price")
    s = F.session_table(clicks, neg, com, lik, gif)
    ref = _session_reference(clicks, neg, com, lik, gif)
    cols = [
        "user_id",
        "live_id",
        "streamer_id",
        "first_ms",
        "watch_ms",
        "gift_value",
        "n_clicks",
        "n_negatives",
        "n_comments",
        "n_likes",
        "n_gifts",
    ]
    pd.testing.assert_frame_equal(s[cols].reset_index(drop=True), ref[cols], check_dtype=False)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 80))
def test_positions_match_groupby_reference(seed, n):
    ex = random_log(seed, n)
    out = F.add_positions(ex)
    ts = ex["ts_ms"]
    screen = ts.groupby([ex["user_id"], ts]).transform("size")
    index = ts.groupby([ex["user_id"], ex["live_id"]]).rank(method="dense")
    assert out["screen_size"].tolist() == screen.tolist()
    assert out["exposure_index"].tolist() == index.astype(int).tolist()
    assert "screen_size" not in ex.columns  # the input frame is not modified


def _intervals_reference(ex, by, ratios, n_boot, seed):
    """The groupby formulation the bincount version replaced."""
    cols = sorted({c for num, den, _ in ratios.values() for c in (num, den) if c is not None})
    ucode, uniq = pd.factorize(ex["user_id"].to_numpy(), sort=True)
    w = np.random.default_rng(seed).poisson(1.0, size=(n_boot, len(uniq))).astype(np.float32)
    level, levels = pd.factorize(ex[by], sort=True)
    vals = pd.DataFrame({c: ex[c].to_numpy(np.float64) for c in cols})
    vals["_rows"] = 1.0
    per = vals.groupby([level, ucode], sort=True).sum()
    out = {}
    for i in range(len(levels)):
        sub = per.loc[i]
        tot = w[:, sub.index.to_numpy()].astype(np.float64) @ sub.to_numpy()
        pos = {c: j for j, c in enumerate(per.columns)}
        for name, (num, den, scale) in ratios.items():
            with np.errstate(divide="ignore", invalid="ignore"):
                r = scale * tot[:, pos[num or "_rows"]] / tot[:, pos[den or "_rows"]]
            r = r[np.isfinite(r)]
            out.setdefault(f"{name}_lo", []).append(np.quantile(r, 0.025) if len(r) else np.nan)
    return np.array(out[f"{next(iter(ratios))}_lo"])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 120))
def test_user_intervals_match_groupby_reference(seed, n):
    ex = random_log(seed, n, n_users=8)
    rng = np.random.default_rng(seed)
    ex["clicked"] = rng.random(n) < 0.4
    ex["hour"] = rng.integers(0, 3, n).astype(np.int8)
    ratios = {"ctr": ("clicked", None, 1.0)}
    got = F.user_intervals(ex, "hour", ratios, n_boot=30, seed=seed)["ctr_lo"].to_numpy()
    ref = _intervals_reference(ex, "hour", ratios, 30, seed)
    np.testing.assert_allclose(got, ref, rtol=1e-12, equal_nan=True)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 100))
def test_prior_day_sums_rows_subset_and_groupby_reference(seed, n):
    rng = np.random.default_rng(seed)
    key = rng.integers(0, 4, n)
    day = rng.integers(0, 6, n)
    vals = pd.DataFrame({"a": rng.integers(0, 3, n), "b": rng.random(n) < 0.5})
    full = predict.prior_day_sums(key, day, vals)
    # reference: for each row, the sum over rows of the same key on strictly earlier days
    ref = np.array(
        [
            [vals.loc[(key == key[i]) & (day < day[i]), c].sum() for c in ("a", "b")]
            for i in range(n)
        ],
        dtype=np.float64,
    )
    np.testing.assert_array_equal(full.to_numpy(), ref)
    rows = np.sort(rng.choice(n, size=max(n // 2, 1), replace=False))
    part = predict.prior_day_sums(key, day, vals, rows=rows)
    pd.testing.assert_frame_equal(part, full.iloc[rows])


def test_history_features_rows_equal_full_rows():
    ex = random_log(7, 200, n_users=6)
    rng = np.random.default_rng(7)
    ex["clicked"] = rng.random(len(ex)) < 0.3
    ex["gifted"] = ex["clicked"] & (rng.random(len(ex)) < 0.2)
    ex["day"] = ((ex["ts_ms"] - W) // 86_400_000).astype(np.int8)
    ex["hour"] = np.int8(3)
    ex["gender"] = pd.Categorical(rng.choice(["F", "M"], len(ex)), categories=["F", "M", "?"])
    full = predict.history_features(ex, base_rates=(0.3, 0.2))
    rows = np.arange(0, len(ex), 3)
    part = predict.history_features(ex, base_rates=(0.3, 0.2), rows=rows)
    pd.testing.assert_frame_equal(part, full.iloc[rows])
    assert list(part["gender"].cat.categories) == ["F", "M", "?"]  # unused levels kept
