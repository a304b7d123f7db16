"""Fit, score and check the CTR and GTR models of one task (:func:`evaluate_task`).

* **Baselines** (one score per row, no fitting): *popularity* = the streamer's clicks (CTR)
  or gifting clicks (GTR) on earlier days; the *streamer's past rate* and the *user's own past
  rate* (smoothed CTR / GTR on earlier days).
* **Models**: scikit-learn ``LogisticRegression`` on standardised numeric features and
  ``HistGradientBoostingClassifier`` on all features (native categoricals, early stopping on
  the chronological validation part), trained on at most ``max_train_rows`` sampled train rows.
* **Leak check** (:func:`single_feature_auc`): every feature alone, as a score on the test
  part (categoricals scored by their train-part rate), oriented so that 0.5 = chance and 1 =
  perfect. A feature above ``leak_auc`` (0.8) is a *suspected leak*: the models are refit
  without it (the fit with it stays in the table, labelled), and a baseline that is that
  feature is not eligible as the best baseline.
* **Headline comparison**: gradient boosting minus the best eligible baseline (highest test
  AUC; for UAUC the highest test UAUC), with user-bootstrap intervals on the test part
  (paired replicates).
* **Permutation importance** (:func:`permutation_importance`): each feature group permuted
  jointly on the test part; the drop in AUC and UAUC of gradient boosting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.predict.features import (
    CATEGORICAL,
    FEATURE_GROUPS,
    chronological_split,
    feature_label,
    prepare,
)
from kuailive_analysis.predict.metrics import (
    auc,
    auc_metrics,
    calibration_table,
    expected_calibration_error,
    grouped_auc,
    log_loss,
    user_bootstrap_auc,
)

LEAK_AUC = 0.8
"""A feature that alone ranks the test labels with AUC above this is a suspected leak."""


class NotEnoughData(ValueError):
    """A task's train part lacks a class or its test part is empty."""


@dataclass(frozen=True)
class Task:
    """One prediction task: label, row filter and its baselines (short key, name, feature)."""

    key: str
    label: str
    filter: str | None
    rate_name: str
    baselines: tuple[tuple[str, str, str], ...]


TASKS = {
    "CTR (click per exposure)": Task(
        "ctr",
        "clicked",
        None,
        "CTR",
        (
            ("pop", "popularity (streamer's past clicks)", "s_clk"),
            ("rate", "streamer's past CTR", "s_ctr"),
            ("user", "user's own past CTR", "u_ctr"),
        ),
    ),
    "GTR (clicks with a gift)": Task(
        "gtr",
        "gifted",
        "clicked",
        "GTR",
        (
            ("pop", "popularity (streamer's past gifts)", "s_gft"),
            ("rate", "streamer's past GTR", "s_gtr"),
            ("user", "user's own past GTR", "u_gtr"),
        ),
    ),
}
MODELS = (("lr", "logistic regression"), ("gb", "gradient boosting"))
GB_ALL = ("gb_all", "gradient boosting, all features (incl. suspected leak)")
PROBABILITY_BASELINES = ("rate", "user")
"""Baselines whose score is a probability (they get a LogLoss; popularity does not)."""


def _numeric(feats: pd.DataFrame) -> list[str]:
    return [c for c in feats.columns if c not in CATEGORICAL and c != "hour"]


def _fit_lr(X: pd.DataFrame, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    num = _numeric(X)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, C=1.0))
    lr.fit(X[num].to_numpy(), y)
    return lr, num


def _fit_gb(X: pd.DataFrame, y: np.ndarray, X_val: pd.DataFrame, y_val: np.ndarray, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

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
    return hgb, None


def _predict(model, cols, X: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(X[cols].to_numpy() if cols is not None else X)[:, 1]


MAX_TEST_ROWS = 500_000
"""Test rows scored per task, at most: a larger test part is scored on a uniform random sample
of this many rows (drawn after the train and valid samples, so those do not change). AUC on
500,000 rows has a standard error of a few 0.001 at the full scale's base rates; the user
bootstrap intervals and ``n_test_used`` (shown beside ``n_test``) make the sample visible. Keeps
chapter 5 at the same cost whatever the data size."""


def task_rows(
    exposures: pd.DataFrame,
    task: str,
    split,
    max_train_rows: int,
    seed: int,
    max_test_rows: int | None = MAX_TEST_ROWS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Row positions (train sample, valid sample, test sample) of a task and its info dict;
    raises :class:`NotEnoughData`. The random draws depend only on the split and labels.
    ``max_test_rows`` (None: all) caps the scored test rows (:data:`MAX_TEST_ROWS`)."""
    t = TASKS[task]
    rows = np.ones(len(exposures), bool) if t.filter is None else exposures[t.filter].to_numpy(bool)
    y = exposures[t.label].to_numpy(bool)
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
    if max_test_rows is not None and len(test) > max_test_rows:
        test = np.sort(rng.choice(test, max_test_rows, replace=False))
    info["n_test_used"] = int(len(test))
    info["pos_test_used"] = int(y[test].sum())
    return train, valid, test, info


def single_feature_auc(
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    threshold: float = LEAK_AUC,
) -> pd.DataFrame:
    """The leak check: each feature alone as a score of the test labels.

    Numeric features score by their value; categorical ones by their level's train-part rate
    (unseen levels: the train rate). ``auc`` is oriented (max of AUC and 1 - AUC: a feature
    that ranks negatives first predicts as well); ``suspected_leak`` = ``auc > threshold``.
    One row per feature, highest first.
    """
    rows = []
    base = float(np.mean(y_train)) if len(y_train) else 0.0
    for c in X_test.columns:
        s = X_test[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            rate = (
                pd.Series(y_train.astype(float))
                .groupby(np.asarray(X_train[c].astype(object)), dropna=False)
                .mean()
            )
            s = pd.Series(np.asarray(s.astype(object))).map(rate).astype(float).fillna(base)
        v = s.to_numpy(np.float64)
        a = auc(y_test, np.nan_to_num(v, nan=np.nanmean(v) if np.isfinite(v).any() else 0.0))
        oriented = max(a, 1 - a) if np.isfinite(a) else float("nan")
        rows.append((c, feature_label(c), oriented, "higher" if a >= 0.5 else "lower"))
    t = pd.DataFrame(rows, columns=["feature", "label", "auc", "positives_score"])
    t["suspected_leak"] = t["auc"] > threshold
    return t.sort_values("auc", ascending=False, kind="stable").reset_index(drop=True)


def permutation_importance(
    model,
    cols,
    X: pd.DataFrame,
    y: np.ndarray,
    users: np.ndarray,
    seed: int = 0,
    max_rows: int = 200_000,
) -> pd.DataFrame:
    """Drop in test AUC and UAUC of ``model`` when each feature group
    (:data:`~kuailive_analysis.predict.features.FEATURE_GROUPS`) is permuted jointly (one
    permutation of the rows for all columns of the group). On at most ``max_rows`` test rows."""
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y, users = X.iloc[keep], y[keep], users[keep]
    base = auc_metrics(y, _predict(model, cols, X), users)
    out = []
    for group, members in FEATURE_GROUPS.items():
        present = [c for c in members if c in X.columns and (cols is None or c in cols)]
        if not present:
            continue
        perm = rng.permutation(len(X))
        Xp = X.copy()
        for c in present:
            Xp[c] = (
                X[c].iloc[perm].to_numpy()
                if not isinstance(X[c].dtype, pd.CategoricalDtype)
                else X[c].iloc[perm].array
            )
        m = auc_metrics(y, _predict(model, cols, Xp), users)
        out.append(
            {
                "group": group,
                "features": len(present),
                "auc_drop": base["auc"] - m["auc"],
                "uauc_drop": base["uauc"] - m["uauc"],
            }
        )
    t = pd.DataFrame(out, columns=["group", "features", "auc_drop", "uauc_drop"])
    return t.sort_values("auc_drop", ascending=False, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class TaskEvaluation:
    """Everything :func:`evaluate_task` measured for one task.

    ``metrics``: one row per scorer (index task, scorer; columns ``key`` (short name),
    ``kind`` (baseline / model), AUC, UAUC, GAUC, LogLoss and coverage); ``info``: rows,
    positives and base rates per part, ``logloss_base`` (LogLoss of the train base rate on
    test); ``leaks``: :func:`single_feature_auc`; ``importance``: :func:`permutation_importance`
    of gradient boosting; ``calibration``: its reliability table on test; ``comparison``:
    gradient boosting against the best eligible baseline with user-bootstrap intervals.
    """

    metrics: pd.DataFrame
    info: dict
    leaks: pd.DataFrame = field(default_factory=pd.DataFrame)
    importance: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: dict = field(default_factory=dict)


def _take(prepared):
    feats = prepared[1]
    if len(prepared) == 3:  # features of some rows only: positions -> feature rows
        have = prepared[2]

        def take(idx):
            pos = np.searchsorted(have, idx)
            if len(idx) and (pos.max() >= len(have) or (have[pos] != idx).any()):
                raise ValueError("evaluate_task: prepared features lack rows this task needs")
            return feats.iloc[pos]

        return take
    return lambda idx: feats.iloc[idx]


def _interval(x: np.ndarray, conf: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if not len(x):
        return float("nan"), float("nan")
    a = (1 - conf) / 2
    return float(np.quantile(x, a)), float(np.quantile(x, 1 - a))


def evaluate_task_full(
    exposures: pd.DataFrame,
    task: str,
    *,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    max_train_rows: int = 200_000,
    prior_strength: float = 20.0,
    seed: int = 0,
    n_boot: int = 200,
    conf: float = 0.95,
    leak_auc: float = LEAK_AUC,
    prepared: tuple | None = None,
) -> TaskEvaluation:
    """Split, featurise, check for leaks, fit, score and compare one task (module docstring).

    Every score is on the test part; the valid part (at most a quarter of ``max_train_rows``)
    only stops the boosting early. ``prepared`` = the output of :func:`prepare` (computed here
    when None), so that several tasks share one split and one feature table.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    t = TASKS[task]
    split = chronological_split(exposures["ts_ms"], fractions) if prepared is None else prepared[0]
    train, valid, test, info = task_rows(exposures, task, split, max_train_rows, seed)
    if prepared is None:
        need = np.unique(np.concatenate([train, valid, test]))
        prepared = prepare(exposures, fractions, prior_strength, rows=need)
    take = _take(prepared)
    y = exposures[t.label].to_numpy(bool)
    users = exposures["user_id"].to_numpy()[test]
    Xtr, Xva, Xte = take(train), take(valid), take(test)
    ytr, yte = y[train], y[test]

    leaks = single_feature_auc(Xte, yte, Xtr, ytr, leak_auc)
    flagged = leaks.loc[leaks["suspected_leak"], "feature"].tolist()
    keep = [c for c in Xtr.columns if c not in flagged]

    scores, rows = {}, []
    for key, name, col in t.baselines:
        kind = "baseline (suspected leak)" if col in flagged else "baseline"
        scores[name] = Xte[col].to_numpy(np.float64)
        rows.append((key, name, kind, key in PROBABILITY_BASELINES))
    fitted = {
        "lr": _fit_lr(Xtr[keep], ytr),
        "gb": _fit_gb(Xtr[keep], ytr, Xva[keep], y[valid], seed),
    }
    for key, name in MODELS:
        m, cols = fitted[key]
        scores[name] = _predict(m, cols, Xte[keep])
        rows.append((key, name, "model", True))
    if flagged:
        m, cols = _fit_gb(Xtr, ytr, Xva, y[valid], seed)
        scores[GB_ALL[1]] = _predict(m, cols, Xte)
        rows.append((*GB_ALL, "model (suspected leak)", True))

    out = []
    for key, name, kind, is_prob in rows:
        s = scores[name]
        met = auc_metrics(yte, s, users)
        out.append(
            {
                "task": task,
                "scorer": name,
                "key": key,
                "kind": kind,
                **met,
                "logloss": log_loss(yte, s) if is_prob else float("nan"),
            }
        )
    metrics = pd.DataFrame(out).set_index(["task", "scorer"])
    p0 = float(np.clip(ytr.mean(), 1e-7, 1 - 1e-7))
    info["logloss_base"] = log_loss(yte, np.full(len(yte), p0))
    info["leaks"] = ", ".join(flagged)

    # the headline comparison: gradient boosting vs the best eligible baseline, chosen per
    # metric (the best AUC baseline for AUC, the best UAUC baseline for UAUC)
    m = metrics.droplevel("task")
    eligible = m[(m["kind"] == "baseline") & m["auc"].notna()]
    gb_name = dict(MODELS)["gb"]
    comparison = {"model": gb_name, "best_baseline": "", "best_baseline_key": ""}
    if len(eligible):
        best = {met: str(eligible[met].fillna(-1).idxmax()) for met in ("auc", "uauc")}
        comparison.update(
            best_baseline=best["auc"],
            best_baseline_key=str(eligible.loc[best["auc"], "key"]),
            best_baseline_uauc=best["uauc"],
        )
        names = {gb_name, *best.values()}
        boot = user_bootstrap_auc(yte, {n: scores[n] for n in names}, users, n_boot, seed)
        wide = boot.pivot(index="replicate", columns="scorer", values=["auc", "uauc"])
        for met in ("auc", "uauc"):
            mod = wide[(met, gb_name)].to_numpy()
            bas = wide[(met, best[met])].to_numpy()
            comparison[f"model_{met}"] = float(m.loc[gb_name, met])
            comparison[f"baseline_{met}"] = float(m.loc[best[met], met])
            comparison[f"diff_{met}"] = float(m.loc[gb_name, met] - m.loc[best[met], met])
            comparison[f"model_{met}_lo"], comparison[f"model_{met}_hi"] = _interval(mod, conf)
            comparison[f"diff_{met}_lo"], comparison[f"diff_{met}_hi"] = _interval(mod - bas, conf)
        comparison["n_boot"] = int(n_boot)
    gb_model, gb_cols = fitted["gb"]
    importance = permutation_importance(gb_model, gb_cols, Xte[keep], yte, users, seed)
    calibration = calibration_table(yte, scores[gb_name], conf=conf)
    comparison["ece"] = expected_calibration_error(calibration)
    return TaskEvaluation(metrics, info, leaks, importance, calibration, comparison)


def evaluate_task(exposures: pd.DataFrame, task: str, **kwargs) -> tuple[pd.DataFrame, dict]:
    """:func:`evaluate_task_full`, returning only ``(metrics, info)``."""
    ev = evaluate_task_full(exposures, task, **kwargs)
    return ev.metrics, ev.info


def _skipped(task: str, reason: str) -> TaskEvaluation:
    t = TASKS[task]
    names = [(k, n, "baseline") for k, n, _ in t.baselines] + [(k, n, "model") for k, n in MODELS]
    m = pd.DataFrame(
        {
            "task": task,
            "scorer": [n for _, n, _ in names],
            "key": [k for k, _, _ in names],
            "kind": [kind for _, _, kind in names],
            "auc": np.nan,
            "uauc": np.nan,
            "gauc": np.nan,
            "n_rows": 0,
            "n_pos": 0,
            "n_groups": 0,
            "n_groups_evaluated": 0,
            "row_share_evaluated": np.nan,
            "logloss": np.nan,
        }
    ).set_index(["task", "scorer"])
    info = {
        "task": task,
        "n_train": 0,
        "n_test": 0,
        "n_valid": 0,
        "pos_train": 0,
        "pos_test": 0,
        "base_rate_train": np.nan,
        "base_rate_test": np.nan,
        "n_train_used": 0,
        "n_test_used": 0,
        "pos_test_used": 0,
        "logloss_base": np.nan,
        "leaks": "",
        "note": reason,
    }
    return TaskEvaluation(m, info, comparison={"best_baseline": "", "best_baseline_key": ""})


def evaluate_all(
    exposures: pd.DataFrame, skip_unfit: bool = False, **kwargs
) -> dict[str, TaskEvaluation]:
    """:func:`evaluate_task_full` for every task on one shared split and feature table.

    ``skip_unfit=True``: a task without enough data (:class:`NotEnoughData`, e.g. no gift in
    the train part of a tiny dataset) gets NaN metrics and its reason in ``info["note"]``
    instead of raising.
    """
    fractions = kwargs.get("fractions", (0.8, 0.1, 0.1))
    split = chronological_split(exposures["ts_ms"], fractions)
    need = []
    for task in TASKS:  # features are computed only for the rows some task uses
        try:
            tr, va, te, _ = task_rows(
                exposures, task, split, kwargs.get("max_train_rows", 200_000), kwargs.get("seed", 0)
            )
            need += [tr, va, te]
        except NotEnoughData:
            pass
    need = np.unique(np.concatenate(need)) if need else np.zeros(0, np.int64)
    prepared = prepare(exposures, fractions, kwargs.get("prior_strength", 20.0), rows=need)
    out = {}
    for task in TASKS:
        try:
            ev = evaluate_task_full(exposures, task, prepared=prepared, **kwargs)
            ev.info["note"] = ""
        except NotEnoughData as e:
            if not skip_unfit:
                raise
            ev = _skipped(task, str(e))
        out[task] = ev
    return out


def evaluate(
    exposures: pd.DataFrame, skip_unfit: bool = False, **kwargs
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`evaluate_all`, returning ``(metrics, info)`` frames of both tasks."""
    evs = evaluate_all(exposures, skip_unfit=skip_unfit, **kwargs)
    return (
        pd.concat([e.metrics for e in evs.values()]),
        pd.DataFrame([e.info for e in evs.values()]).set_index("task"),
    )


__all__ = [
    "LEAK_AUC",
    "NotEnoughData",
    "Task",
    "TASKS",
    "MODELS",
    "TaskEvaluation",
    "task_rows",
    "single_feature_auc",
    "permutation_importance",
    "evaluate_task_full",
    "evaluate_task",
    "evaluate_all",
    "evaluate",
    "grouped_auc",
]
