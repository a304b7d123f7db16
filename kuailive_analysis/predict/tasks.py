"""The two prediction tasks of chapter 5, their rows, baselines and the two fitted models.

* **Tasks** (:data:`TASKS`): CTR (click per exposure, every exposure) and GTR (gift per click,
  clicks only), each with three **baselines** (one score per row, no fitting): *popularity* =
  the streamer's clicks (CTR) or gifting clicks (GTR) on earlier days; the *streamer's past
  rate* and the *user's own past rate* (smoothed CTR / GTR on earlier days).
* **Decisions** (:data:`DECISIONS`): what a product team would use each model for, the
  baseline that decision would otherwise use and the metric that judges it: ranking one user's
  feed is judged *within* users (UAUC) against the streamer's past CTR; choosing which users see
  gifting prompts is judged *across* clicks (AUC) against the user's own past GTR; ordering one
  user's rooms by their chance of a gift within users (UAUC) against the streamer's past GTR.
* **Rows** (:func:`task_rows`): at most ``max_train_rows`` sampled train rows, a quarter of that
  of the valid part, and at most :data:`MAX_TEST_ROWS` test rows.
* **Models** (:data:`MODELS`): scikit-learn ``LogisticRegression`` on standardised numeric
  features and ``HistGradientBoostingClassifier`` on all features (native categoricals, early
  stopping on the chronological validation part, :func:`fit_gb`). Logistic regression models

  .. math::

      P(y = 1 \\mid x) = \\sigma(\\beta_0 + \\beta^\\top z(x)), \\qquad
      \\sigma(t) = 1 / (1 + e^{-t}),

  with :math:`z` the standardised numeric features; gradient boosting fits
  :math:`\\sigma(\\sum_{m=1}^{M} \\nu f_m(x))` with regression trees :math:`f_m` grown on the
  gradient of the log loss, learning rate :math:`\\nu = 0.1`, :math:`M \\le 100`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.predict.features import CATEGORICAL, SPLITS, split_codes

__all__ = [
    "DECISIONS",
    "MAX_TEST_ROWS",
    "MODELS",
    "TASKS",
    "NotEnoughData",
    "Decision",
    "Task",
    "fit_gb",
    "fit_lr",
    "predict_proba",
    "task_rows",
]


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
PROBABILITY_BASELINES = ("rate", "user")
"""Baselines whose score is a probability (they get a LogLoss; popularity does not)."""


@dataclass(frozen=True)
class Decision:
    """A use of a model and how it is judged: the model (gradient boosting) against the
    ``baseline`` (a key of the task's baselines) the decision would otherwise use, on
    ``metric`` (``"auc"``: across all test rows; ``"uauc"``: within each user, averaged over
    users), with a paired user-bootstrap interval of the difference."""

    key: str
    task: str
    use: str
    baseline: str
    metric: str


DECISIONS = (
    Decision("feed", "ctr", "rank the rooms of each user's feed", "rate", "uauc"),
    Decision("prompt", "gtr", "choose which users see gifting prompts", "user", "auc"),
    Decision("rooms", "gtr", "order one user's rooms by their chance of a gift", "rate", "uauc"),
)
"""The decisions the models are judged for (module docstring). Ranking a feed orders rooms
for one user at a time, so a score that only tells users apart (the user's own past CTR) cannot
do it: the comparison is within users, against the streamer's past CTR, the score a feed would
otherwise sort by. Gifting prompts choose users (and moments), so the comparison is across
clicks, against the user's own past GTR, the rule a team would otherwise apply."""


def _numeric(feats: pd.DataFrame) -> list[str]:
    return [c for c in feats.columns if c not in CATEGORICAL and c != "hour"]


def fit_lr(X: pd.DataFrame, y: np.ndarray):
    """Logistic regression on the standardised numeric features of ``X``; returns ``(model,
    columns)``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    num = _numeric(X)
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, C=1.0))
    lr.fit(X[num].to_numpy(), y)
    return lr, num


def fit_gb(X: pd.DataFrame, y: np.ndarray, X_val: pd.DataFrame, y_val: np.ndarray, seed: int):
    """Histogram gradient boosting on every column of ``X`` (categoricals native), early
    stopping on ``(X_val, y_val)`` when it holds both classes; returns ``(model, None)``."""
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


def predict_proba(model, cols, X: pd.DataFrame) -> np.ndarray:
    """The positive-class probability of a fitted model (``cols``: its columns, None: all)."""
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
    """The rows a task fits and scores.

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table (the task's label and filter columns).
    task : str
        A key of :data:`TASKS`.
    split : array-like
        train / valid / test per row (:func:`~.features.chronological_split`).
    max_train_rows, seed : int
        Train rows sampled at most (a quarter of that of the valid part) and the seed.
    max_test_rows : int or None
        Test rows scored at most (:data:`MAX_TEST_ROWS`; None: all), drawn after the train
        and valid samples.

    Returns
    -------
    tuple
        Row positions of the train, valid and test samples and the info dict (rows,
        positives and base rates per part). The draws depend only on the split and labels.
        Raises :class:`NotEnoughData` when the train part lacks a class or the test part is
        empty.
    """
    t = TASKS[task]
    rows = np.ones(len(exposures), bool) if t.filter is None else exposures[t.filter].to_numpy(bool)
    y = exposures[t.label].to_numpy(bool)
    sp = split_codes(split)
    train = np.flatnonzero(rows & (sp == SPLITS.index("train")))
    test = np.flatnonzero(rows & (sp == SPLITS.index("test")))
    info = {
        "task": task,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "n_valid": int((rows & (sp == SPLITS.index("valid"))).sum()),
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
    valid = np.flatnonzero(rows & (sp == SPLITS.index("valid")))
    if len(valid) > max_train_rows // 4:
        valid = np.sort(rng.choice(valid, max_train_rows // 4, replace=False))
    if max_test_rows is not None and len(test) > max_test_rows:
        test = np.sort(rng.choice(test, max_test_rows, replace=False))
    info["n_test_used"] = int(len(test))
    info["pos_test_used"] = int(y[test].sum())
    return train, valid, test, info
