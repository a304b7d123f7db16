"""A small, honest predictive baseline for the funnel: CTR per exposure and GTR per click.

Metrics (MMBee, Deng et al. KDD 2024, eq. 13)
---------------------------------------------
* **AUC**: probability that a random positive scores above a random negative (ties count
  1/2) = Mann-Whitney U / (P N), computed from mid-ranks (same as
  ``sklearn.metrics.roc_auc_score``).
* **UAUC** (user-averaged AUC) = (1/N) sum_i AUC_i over the N users of the test set whose
  rows contain both classes (AUC_i is undefined otherwise; those users are excluded and
  counted).
* **GAUC** (impression-weighted) = sum_i imp_i AUC_i / sum_i imp_i, imp_i = the user's test
  rows (exposures for CTR, clicks for GTR), over the same users.

Design
------
* **Chronological split** of the rows by time (default 8:1:1 as in the KuaiLive paper's CTR
  benchmark): cut points are timestamps, so rows sharing a millisecond stay together.
* **Features are history only**: counts of exposures, clicks and gifting clicks of the user,
  the streamer and the (user, streamer) pair on *earlier Beijing days* (never the same day),
  smoothed rates ``(k + a p0) / (n + a)`` (p0 = the train-period rate, a = ``prior_strength``),
  hour of day, screen size and repeat-exposure index (known when the screen is shown), room
  type and category, and the user's age band, gender and device price (profile snapshot taken
  at the end of the window: a mild leak, stated in the chapter). No watch time (it is only
  known after the click).
* **Baselines**: *popularity* = the streamer's clicks (CTR) or gifting clicks (GTR) on
  earlier days; *streamer rate* = the streamer's smoothed past CTR / GTR.
* **Models**: scikit-learn ``LogisticRegression`` on standardised numeric features and
  ``HistGradientBoostingClassifier`` on all features (native categoricals, early stopping
  on the chronological validation part), trained on at most ``max_train_rows`` sampled train
  rows so that the chapter runs in about a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import pair_key

SPLITS = ("train", "valid", "test")


class NotEnoughData(ValueError):
    """A task's train part lacks a class or its test part is empty."""


# ---------------------------------------------------------------------------------------------
# AUC, UAUC, GAUC
# ---------------------------------------------------------------------------------------------
def _check_xy(y, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    s = np.asarray(score, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise ValueError(
            f"labels and scores must be 1-d of equal length, got {y.shape} and {s.shape}"
        )
    if np.isnan(s).any():
        raise ValueError(f"scores contain {int(np.isnan(s).sum())} NaN values")
    u = np.unique(y)
    if not np.isin(u, [0, 1]).all():
        raise ValueError(f"labels must be 0/1 or boolean, got values {u[:5].tolist()}")
    return y.astype(bool), s


def auc(y, score) -> float:
    """ROC AUC from mid-ranks: ``(R_pos - P(P+1)/2) / (P N)``. NaN if a class is absent."""
    y, s = _check_xy(y, score)
    p = int(y.sum())
    n = len(y) - p
    if p == 0 or n == 0:
        return float("nan")
    r = rankdata(s)  # average ranks for ties
    return float((r[y].sum() - p * (p + 1) / 2) / (p * n))


def grouped_auc(y, score, groups) -> pd.DataFrame:
    """AUC per group (vectorised mid-ranks within groups).

    Returns one row per group (index = group id, sorted) with ``n`` (rows), ``n_pos`` and
    ``auc`` (NaN when the group has only one class).
    """
    y, s = _check_xy(y, score)
    g = np.asarray(groups)
    if g.shape != y.shape:
        raise ValueError("groups must have the same length as labels")
    codes, uniq = pd.factorize(g, sort=True)
    r = pd.Series(s).groupby(codes).rank(method="average").to_numpy()
    k = len(uniq)
    n = np.bincount(codes, minlength=k).astype(np.float64)
    pos = np.bincount(codes, weights=y.astype(np.float64), minlength=k)
    rpos = np.bincount(codes, weights=np.where(y, r, 0.0), minlength=k)
    neg = n - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (rpos - pos * (pos + 1) / 2) / (pos * neg)
    a = np.where((pos > 0) & (neg > 0), a, np.nan)
    return pd.DataFrame(
        {"n": n.astype(np.int64), "n_pos": pos.astype(np.int64), "auc": a},
        index=pd.Index(uniq, name="group"),
    )


def uauc(y, score, groups) -> float:
    """User-averaged AUC: unweighted mean of per-group AUC over groups with both classes."""
    a = grouped_auc(y, score, groups)["auc"].dropna()
    return float(a.mean()) if len(a) else float("nan")


def gauc(y, score, groups, weights=None) -> float:
    """Impression-weighted GAUC: sum_i w_i AUC_i / sum_i w_i over groups with both classes.

    ``weights`` per row (default 1, i.e. w_i = the group's number of rows = impressions).
    """
    t = grouped_auc(y, score, groups)
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        codes, uniq = pd.factorize(np.asarray(groups), sort=True)
        t["w"] = np.bincount(codes, weights=w, minlength=len(uniq))
    else:
        t["w"] = t["n"].astype(np.float64)
    t = t.dropna(subset=["auc"])
    if t.empty or t["w"].sum() == 0:
        return float("nan")
    return float((t["auc"] * t["w"]).sum() / t["w"].sum())


def auc_metrics(y, score, groups) -> dict[str, float]:
    """AUC, UAUC, GAUC plus coverage: rows, positives, groups, groups evaluated and the share
    of rows in evaluated groups."""
    t = grouped_auc(y, score, groups)
    ok = t["auc"].notna()
    return {
        "auc": auc(y, score),
        "uauc": float(t.loc[ok, "auc"].mean()) if ok.any() else float("nan"),
        "gauc": (
            float((t.loc[ok, "auc"] * t.loc[ok, "n"]).sum() / t.loc[ok, "n"].sum())
            if ok.any()
            else float("nan")
        ),
        "n_rows": int(t["n"].sum()),
        "n_pos": int(t["n_pos"].sum()),
        "n_groups": int(len(t)),
        "n_groups_evaluated": int(ok.sum()),
        "row_share_evaluated": float(t.loc[ok, "n"].sum() / max(t["n"].sum(), 1)),
    }


# ---------------------------------------------------------------------------------------------
# Split and history features
# ---------------------------------------------------------------------------------------------
def chronological_split(
    ts_ms, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> pd.Categorical:
    """Label rows train / valid / test by time so the three parts hold about the given
    fractions of rows, earliest first. Cut points are timestamps t1 <= t2: ``train = ts < t1``,
    ``valid = t1 <= ts < t2``, ``test = ts >= t2``; rows sharing a millisecond share a part.
    """
    f = np.asarray(fractions, dtype=np.float64)
    if f.shape != (3,) or (f < 0).any() or not np.isclose(f.sum(), 1.0):
        raise ValueError(
            f"fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    t = np.asarray(ts_ms, dtype=np.int64)
    if len(t) == 0:
        return pd.Categorical([], categories=SPLITS)
    srt = np.sort(t)
    n = len(t)
    t1 = srt[min(int(round(f[0] * n)), n - 1)]
    t2 = srt[min(int(round((f[0] + f[1]) * n)), n - 1)]
    code = np.where(t < t1, 0, np.where(t < t2, 1, 2)).astype(np.int8)
    return pd.Categorical.from_codes(code, SPLITS)


def prior_day_sums(
    key: np.ndarray, day: np.ndarray, values: pd.DataFrame, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """For each row, the sums of ``values`` over rows with the same ``key`` on earlier days.

    ``key`` int64 >= 0 and < 2**58, ``day`` 0..31. Computed from per-(key, day) totals:
    prior = cumulative total up to and including the day - that day's total. With ``rows``
    (row positions) the totals still use every row but only those rows are returned.
    """
    key = np.asarray(key, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    if len(day) and (day.min() < 0 or day.max() > 31):
        raise ValueError("prior_day_sums: day must be in 0..31")
    kd = key * 32 + day
    # per-(key, day) totals by sort + bincount; uniq is sorted, so each key's days are one
    # contiguous run and the cumulative total within a key is a global cumsum minus the
    # cumsum before the run (exact: the values are counts)
    uniq, inv = np.unique(kd, return_inverse=True)
    del kd
    grp = uniq // 32
    start = np.ones(len(grp), dtype=bool)
    start[1:] = grp[1:] != grp[:-1]
    del grp, uniq
    run = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    del start
    sel = inv if rows is None else inv[rows]
    index = values.index if rows is None else values.index[rows]
    out = {}
    for c in values.columns:  # one column at a time: peak memory stays a few key-sized arrays
        agg = np.bincount(inv, weights=values[c].to_numpy(np.float64), minlength=len(run))
        cs = np.cumsum(agg)
        excl = cs - agg  # cumulative total before each (key, day)
        prior = excl - excl[first][run]  # minus the total before the key's first day
        out[c] = prior[sel]
        del agg, cs, excl, prior
    return pd.DataFrame(out, index=index, columns=values.columns)


CATEGORICAL = ("live_type", "live_content_category", "age", "gender", "device_price")


def history_features(
    exposures: pd.DataFrame,
    prior_strength: float = 20.0,
    base_rates: tuple[float, float] | None = None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """History features for every exposure row (see module docstring).

    ``exposures`` needs user_id, streamer_id, day, hour, clicked, gifted, and optionally
    screen_size, exposure_index and the CATEGORICAL columns (as produced by
    :func:`kuailive_analysis.funnel.add_segments` / ``add_positions``). ``base_rates`` =
    (CTR, GTR) used as smoothing priors; default: the rates of the rows given.
    Returns a frame aligned with ``exposures``; with ``rows`` (sorted row positions) only
    those rows (the history still counts every row), which keeps a 17.6M-row exposure table
    from needing a 17.6M x 25 float feature matrix when models use a sample.
    """
    need = ["user_id", "streamer_id", "day", "hour", "clicked", "gifted"]
    require_columns(exposures, need, "history_features: exposures")
    ex = exposures
    vals = pd.DataFrame(
        {
            "exp": np.ones(len(ex), np.int8),
            "clk": ex["clicked"].to_numpy(np.int8),
            "gft": ex["gifted"].to_numpy(np.int8),
        },
        index=ex.index,
    )
    if base_rates is None:
        p_ctr = float(vals["clk"].mean()) if len(ex) else 0.0
        p_gtr = float(vals["gft"].sum() / max(vals["clk"].sum(), 1.0))
    else:
        p_ctr, p_gtr = base_rates
    a = prior_strength
    sel = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
    feats = pd.DataFrame(index=ex.index[sel])
    day = ex["day"].to_numpy()
    # (user, streamer) key with 26 bits for the streamer (ids < 2**26); user ids < 2**31 keep
    # it below the 2**58 that prior_day_sums needs
    for name, key in (
        ("u", ex["user_id"].to_numpy(np.int64)),
        ("s", ex["streamer_id"].to_numpy(np.int64)),
        ("us", pair_key(ex["user_id"], ex["streamer_id"], bits=26)),
    ):
        p = prior_day_sums(key, day, vals, None if rows is None else sel)
        feats[f"{name}_exp"] = np.log1p(p["exp"].to_numpy())
        feats[f"{name}_clk"] = np.log1p(p["clk"].to_numpy())
        feats[f"{name}_gft"] = np.log1p(p["gft"].to_numpy())
        feats[f"{name}_ctr"] = (p["clk"] + a * p_ctr) / (p["exp"] + a)
        feats[f"{name}_gtr"] = (p["gft"] + a * p_gtr) / (p["clk"] + a)
    del vals
    h = ex["hour"].to_numpy(np.float64)[sel]
    feats["hour"] = h
    feats["hour_sin"] = np.sin(2 * np.pi * h / 24)
    feats["hour_cos"] = np.cos(2 * np.pi * h / 24)
    if "screen_size" in ex:
        feats["log_screen"] = np.log(ex["screen_size"].to_numpy(np.float64)[sel])
    if "exposure_index" in ex:
        feats["log_index"] = np.log(ex["exposure_index"].to_numpy(np.float64)[sel])
    for c in CATEGORICAL:
        if c in ex:
            col = ex[c].astype("category")
            feats[c] = col if rows is None else col.iloc[sel].array
    return feats


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------
TASKS = {
    # task: (label column, row filter column or None, popularity feature, rate feature)
    "CTR (click per exposure)": ("clicked", None, "s_clk", "s_ctr"),
    "GTR (clicks with a gift)": ("gifted", "clicked", "s_gft", "s_gtr"),
}


def _numeric(feats: pd.DataFrame) -> list[str]:
    return [c for c in feats.columns if c not in CATEGORICAL and c != "hour"]


def _fit_models(X: pd.DataFrame, y: np.ndarray, X_val: pd.DataFrame, y_val: np.ndarray, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    num = _numeric(X)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, C=1.0))
    lr.fit(X[num].to_numpy(), y)
    hgb = HistGradientBoostingClassifier(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=50,
        l2_regularization=1.0,
        categorical_features="from_dtype",
        random_state=seed,
        early_stopping=bool(len(X_val) and y_val.any() and not y_val.all()),
        scoring="loss",
        n_iter_no_change=10,
    )
    if hgb.early_stopping:
        hgb.fit(X, y, X_val=X_val, y_val=y_val)
    else:
        hgb.fit(X, y)
    return {"logistic regression": (lr, num), "gradient boosting": (hgb, None)}


def prepare(
    exposures: pd.DataFrame,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    prior_strength: float = 20.0,
    rows: np.ndarray | None = None,
) -> tuple[pd.Categorical, pd.DataFrame]:
    """The chronological split and the history features (smoothing priors = train-part CTR
    and GTR), shared by both tasks. With ``rows`` (sorted row positions) the features are
    computed for those rows only and ``(split, features, rows)`` is returned."""
    split = chronological_split(exposures["ts_ms"], fractions)
    tr = np.asarray(split == "train")
    clicked = exposures["clicked"].to_numpy(bool)
    gifted = exposures["gifted"].to_numpy(bool)
    base_ctr = float(clicked[tr].mean()) if tr.any() else 0.0
    base_gtr = float(gifted[tr & clicked].mean()) if (tr & clicked).any() else 0.0
    feats = history_features(exposures, prior_strength, (base_ctr, base_gtr), rows=rows)
    return (split, feats) if rows is None else (split, feats, np.asarray(rows, np.int64))


def _task_rows(
    exposures: pd.DataFrame, task: str, split, max_train_rows: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Row positions (train sample, valid sample, test) of a task and its info dict; raises
    :class:`NotEnoughData`. The random draws depend only on the split and labels."""
    label, filt, _, _ = TASKS[task]
    rows = np.ones(len(exposures), bool) if filt is None else exposures[filt].to_numpy(bool)
    y = exposures[label].to_numpy(bool)
    sp = np.asarray(split)
    train = np.flatnonzero(rows & (sp == "train"))
    test = np.flatnonzero(rows & (sp == "test"))
    info = {
        "task": task,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "n_valid": int((rows & (sp == "valid")).sum()),
        "pos_train": int(y[train].sum()),
        "pos_test": int(y[test].sum()),
        "base_rate_train": float(y[train].mean()) if len(train) else float("nan"),
        "base_rate_test": float(y[test].mean()) if len(test) else float("nan"),
    }
    if len(train) == 0 or len(test) == 0 or y[train].all() or not y[train].any():
        raise NotEnoughData(
            f"{task}: the train part has {len(train)} rows with "
            f"{int(y[train].sum())} positives and the test part {len(test)} rows; "
            "a model needs both classes in train and a non-empty test part. "
            "Use a larger dataset or other split fractions."
        )
    rng = np.random.default_rng(seed)
    if len(train) > max_train_rows:
        train = np.sort(rng.choice(train, max_train_rows, replace=False))
    info["n_train_used"] = int(len(train))
    valid = np.flatnonzero(rows & (sp == "valid"))
    if len(valid) > max_train_rows // 4:
        valid = np.sort(rng.choice(valid, max_train_rows // 4, replace=False))
    return train, valid, test, info


def evaluate_task(
    exposures: pd.DataFrame,
    task: str,
    *,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
    prepared: tuple | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Split, featurise, fit, score one task; returns ``(metrics, info)``.

    ``metrics``: one row per scorer (popularity, streamer rate, logistic regression, gradient
    boosting) with AUC, UAUC, GAUC (groups = users) and coverage columns (see
    :func:`auc_metrics`). ``info``: row counts per split, positives, base rates, cut dates.
    Train rows are the train part (subsampled to ``max_train_rows``); the valid part (at most
    a quarter of that) only stops the boosting early (validation loss, 10 rounds of patience);
    every score is on test. ``prepared`` = the output of :func:`prepare` (computed here when
    None), so that several tasks share one split and one feature table.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    label, filt, pop_col, rate_col = TASKS[task]
    if prepared is None:
        split = chronological_split(exposures["ts_ms"], fractions)
    else:
        split = prepared[0]
    train, valid, test, info = _task_rows(exposures, task, split, max_train_rows, seed)
    if prepared is None:
        need = np.unique(np.concatenate([train, valid, test]))
        prepared = prepare(exposures, fractions, prior_strength, rows=need)
    feats = prepared[1]
    if len(prepared) == 3:  # features of some rows only: positions -> feature rows
        have = prepared[2]

        def take(idx):
            pos = np.searchsorted(have, idx)
            if len(idx) and (pos.max() >= len(have) or (have[pos] != idx).any()):
                raise ValueError("evaluate_task: prepared features lack rows this task needs")
            return feats.iloc[pos]
    else:

        def take(idx):
            return feats.iloc[idx]

    y = exposures[label].to_numpy(bool)
    users = exposures["user_id"].to_numpy()[test]
    Xte = take(test)
    scores = {
        "popularity (streamer's past clicks)"
        if label == "clicked"
        else "popularity (streamer's past gifts)": Xte[pop_col].to_numpy(),
        "streamer past rate": Xte[rate_col].to_numpy(),
    }
    models = _fit_models(take(train), y[train], take(valid), y[valid], seed)
    for name, (m, cols) in models.items():
        X = Xte[cols].to_numpy() if cols is not None else Xte
        scores[name] = m.predict_proba(X)[:, 1]
    out = []
    for name, s in scores.items():
        met = auc_metrics(y[test], s, users)
        out.append({"task": task, "scorer": name, **met})
    return pd.DataFrame(out).set_index(["task", "scorer"]), info


def evaluate(
    exposures: pd.DataFrame, skip_unfit: bool = False, **kwargs
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`evaluate_task` for both tasks; returns ``(metrics, info)`` frames.

    ``skip_unfit=True``: a task without enough data (:class:`NotEnoughData`, e.g. no gift in
    the train part of a tiny dataset) gets NaN metrics and its reason in ``info["note"]``
    instead of raising.
    """
    mets, infos = [], []
    fractions = kwargs.get("fractions", (0.8, 0.1, 0.1))
    split = chronological_split(exposures["ts_ms"], fractions)
    need = []
    for task in TASKS:  # features are computed only for the rows some task uses
        try:
            tr, va, te, _ = _task_rows(
                exposures, task, split, kwargs.get("max_train_rows", 200_000), kwargs.get("seed", 0)
            )
            need += [tr, va, te]
        except NotEnoughData:
            pass
    need = np.unique(np.concatenate(need)) if need else np.zeros(0, np.int64)
    prepared = prepare(exposures, fractions, kwargs.get("prior_strength", 20.0), rows=need)
    for task in TASKS:
        try:
            m, i = evaluate_task(exposures, task, prepared=prepared, **kwargs)
            i["note"] = ""
        except NotEnoughData as e:
            if not skip_unfit:
                raise
            label = TASKS[task][0]
            what = "clicks" if label == "clicked" else "gifts"
            scorers = [
                f"popularity (streamer's past {what})",
                "streamer past rate",
                "logistic regression",
                "gradient boosting",
            ]
            m = pd.DataFrame(
                {
                    "task": task,
                    "scorer": scorers,
                    "auc": np.nan,
                    "uauc": np.nan,
                    "gauc": np.nan,
                    "n_rows": 0,
                    "n_pos": 0,
                    "n_groups": 0,
                    "n_groups_evaluated": 0,
                    "row_share_evaluated": np.nan,
                }
            ).set_index(["task", "scorer"])
            i = {
                "task": task,
                "n_train": 0,
                "n_test": 0,
                "n_valid": 0,
                "pos_train": 0,
                "pos_test": 0,
                "base_rate_train": np.nan,
                "base_rate_test": np.nan,
                "n_train_used": 0,
                "note": str(e),
            }
        mets.append(m)
        infos.append(i)
    return pd.concat(mets), pd.DataFrame(infos).set_index("task")


SHORT_TASKS = {"CTR (click per exposure)": "ctr", "GTR (clicks with a gift)": "gtr"}
"""Task -> the prefix of its numbers (``ctr_gb_auc``, ``gtr_n_test``, ...)."""

TABLE_COLUMNS = [
    "auc",
    "uauc",
    "gauc",
    "n_rows",
    "n_pos",
    "n_groups_evaluated",
    "row_share_evaluated",
]
"""Columns of :meth:`PredictResult.table` (the chapter's table of the evaluation)."""


def _short_scorer(scorer: str) -> str:
    return (
        "pop"
        if scorer.startswith("popularity")
        else "rate"
        if scorer.startswith("streamer")
        else "lr"
        if scorer.startswith("logistic")
        else "gb"
    )


@dataclass(frozen=True)
class PredictResult:
    """The predictive baseline of chapter 5 (:func:`analyse`).

    ``metrics``: one row per (task, scorer) with AUC, UAUC, GAUC and coverage
    (:func:`auc_metrics`); ``info``: one row per task with rows per split, positives, base
    rates and ``note`` (why a task was skipped, else empty); the parameters it ran with.
    """

    metrics: pd.DataFrame
    info: pd.DataFrame
    fractions: tuple[float, float, float]
    max_train_rows: int
    seed: int

    def table(self) -> pd.DataFrame:
        """The metrics with the columns the chapter shows (:data:`TABLE_COLUMNS`)."""
        return self.metrics[TABLE_COLUMNS]

    def best_auc(self) -> pd.Series:
        """The best test AUC of any scorer, per task."""
        return self.metrics["auc"].groupby(level="task").max()

    def title(self) -> str:
        """Figure title stating the best AUC per task (``'Best test AUC: CTR 0.712, GTR ...'``)."""
        best = self.best_auc()
        return "Best test AUC: " + ", ".join(f"{t.split()[0]} {v:.3f}" for t, v in best.items())

    def numbers(self) -> dict:
        """Plain values: ``<task>_<scorer>_<metric>`` for task in (ctr, gtr), scorer in (pop,
        rate, lr, gb), metric in (auc, uauc, gauc); per task ``_users_eval`` and
        ``_users_test`` (test users with both classes / all), ``_row_share_eval``, ``_n_test``,
        ``_pos_test``, ``_n_train``, ``_n_train_used`` and ``_base_test`` (test base rate)."""
        out: dict = {}
        for (task, scorer), row in self.metrics.iterrows():  # eight rows
            t = SHORT_TASKS[task]
            for m in ("auc", "uauc", "gauc"):
                out[f"{t}_{_short_scorer(scorer)}_{m}"] = float(row[m])
            out[f"{t}_users_eval"] = int(row["n_groups_evaluated"])
            out[f"{t}_users_test"] = int(row["n_groups"])
            out[f"{t}_row_share_eval"] = float(row["row_share_evaluated"])
        for task, row in self.info.iterrows():
            t = SHORT_TASKS[task]
            out[f"{t}_n_test"] = int(row["n_test"])
            out[f"{t}_pos_test"] = int(row["pos_test"])
            out[f"{t}_n_train"] = int(row["n_train"])
            out[f"{t}_n_train_used"] = int(row["n_train_used"])
            out[f"{t}_base_test"] = float(row["base_rate_test"])
        return out


def analyse(
    exposures: pd.DataFrame,
    *,
    fractions=(0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
) -> PredictResult:
    """The baseline on an exposure table (chapter 5's, with segment and position columns):
    :func:`evaluate` of both tasks with ``skip_unfit=True`` (a task without enough data gets NaN
    metrics and its reason in ``info["note"]``)."""
    fractions = tuple(float(f) for f in fractions)
    metrics, info = evaluate(
        exposures,
        skip_unfit=True,
        fractions=fractions,
        max_train_rows=max_train_rows,
        prior_strength=prior_strength,
        seed=seed,
    )
    return PredictResult(
        metrics=metrics,
        info=info,
        fractions=fractions,
        max_train_rows=int(max_train_rows),
        seed=int(seed),
    )
