"""Checks of the fitted models: each feature alone as a score, and permutation importance.

* **Each feature alone** (:func:`single_feature_auc`): every feature as a score on the test
  part (categoricals scored by their train-part rate), oriented so that 0.5 = chance and 1 =
  perfect,

  .. math::

      \\mathrm{AUC}^{\\circ}_j = \\max(\\mathrm{AUC}_j, 1 - \\mathrm{AUC}_j).

  A strong feature is not a leak: whether a feature leaks is decided by its time bound
  (:mod:`.leaks`); a strong feature from the past is the natural baseline of a decision.
* **Permutation importance** (:func:`permutation_importance`): each feature group permuted
  jointly on the test part; the drop in AUC and UAUC of gradient boosting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.predict.features import FEATURE_GROUPS, feature_label
from kuailive_analysis.predict.metrics import auc, auc_metrics
from kuailive_analysis.predict.tasks import predict_proba

__all__ = ["permutation_importance", "single_feature_auc"]


def single_feature_auc(
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    X_train: pd.DataFrame,
    y_train: np.ndarray,
) -> pd.DataFrame:
    """Each feature alone as a score of the test labels (module docstring).

    Parameters
    ----------
    X_test, y_test, X_train, y_train
        Features and labels of the test and train parts.

    Returns
    -------
    pandas.DataFrame
        One row per feature, highest first: ``feature``, ``label``, ``auc`` (oriented; a
        numeric feature scores by its value, a categorical one by its level's train-part rate,
        unseen levels by the train rate) and ``positives_score`` (higher / lower).
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
    """Drop in test AUC and UAUC of ``model`` when each feature group is permuted jointly.

    Parameters
    ----------
    model, cols
        A fitted model and its columns (:func:`~.tasks.predict_proba`).
    X, y, users
        Test features, labels and the user of each row.
    seed, max_rows : int
        Seed of the permutations; test rows used at most (a seeded sample beyond).

    Returns
    -------
    pandas.DataFrame
        Per group of :data:`~.features.FEATURE_GROUPS` (one permutation of the rows for all its
        columns): ``group``, ``features``, ``auc_drop``, ``uauc_drop``, largest drop first.
    """
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), max_rows, replace=False))
        X, y, users = X.iloc[keep], y[keep], users[keep]
    base = auc_metrics(y, predict_proba(model, cols, X), users)
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
        m = auc_metrics(y, predict_proba(model, cols, Xp), users)
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
