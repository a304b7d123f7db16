r"""Ranking and probability metrics of the CTR / GTR models, and user-bootstrap intervals.

* **AUC**: the probability that a random positive scores above a random negative, ties
  counting one half: with :math:`P` positives, :math:`N` negatives and :math:`R_+` the sum of
  the positives' mid-ranks (the Mann-Whitney statistic; ``sklearn.metrics.roc_auc_score``),

  .. math::

      \mathrm{AUC} = \frac{R_+ - P(P+1)/2}{P N}.

* **UAUC** (user-averaged) and **GAUC** (impression-weighted; MMBee, Deng et al. KDD 2024,
  eq. 13) over the users :math:`i \in U` of the test part whose rows hold both classes
  (:math:`\mathrm{AUC}_i` is undefined otherwise; those users are left out and counted), with
  :math:`n_i` the user's test rows (exposures for CTR, clicks for GTR):

  .. math::

      \mathrm{UAUC} = \frac{1}{|U|} \sum_{i \in U} \mathrm{AUC}_i, \qquad
      \mathrm{GAUC} = \frac{\sum_{i \in U} n_i \, \mathrm{AUC}_i}{\sum_{i \in U} n_i}.

* **LogLoss** (the KuaiLive paper's second CTR metric), for scorers that output
  probabilities, with :math:`p` clipped to :math:`[10^{-7}, 1 - 10^{-7}]`:

  .. math::

      \mathrm{LogLoss} = -\frac{1}{n} \sum_{j=1}^{n} \big(y_j \log p_j
      + (1 - y_j) \log(1 - p_j)\big).

* **Calibration** (:func:`calibration_table`): test rows in :math:`B` equal-count bins of the
  predicted probability; per bin :math:`b` the mean prediction :math:`\bar p_b` against the
  observed rate :math:`\bar y_b` with a Wilson interval, and the expected calibration error

  .. math::

      \mathrm{ECE} = \sum_{b=1}^{B} \frac{n_b}{n} \, \lvert \bar y_b - \bar p_b \rvert.

* **User bootstrap** (:func:`user_bootstrap_auc`): whole test users resampled, one
  :math:`\mathrm{Poisson}(1)` weight :math:`w_u` per user shared by every scorer (so
  differences are paired); each replicate's AUC is the weighted Mann-Whitney statistic (rows
  weighted by their user's :math:`w_u`), its UAUC and GAUC the weighted means of the users'
  own AUCs with weights :math:`w_u` and :math:`w_u n_u`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from kuailive_analysis.core.stats import wilson_interval

__all__ = [
    "auc",
    "auc_metrics",
    "calibration_table",
    "expected_calibration_error",
    "grouped_auc",
    "log_loss",
    "user_bootstrap_auc",
]

EPS = 1e-7


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
    """ROC AUC from mid-ranks (module docstring).

    Parameters
    ----------
    y : array-like of bool or 0/1
        Labels.
    score : array-like of float
        Scores (no NaN); higher = more likely positive.

    Returns
    -------
    float
        The AUC; NaN if a class is absent.
    """
    y, s = _check_xy(y, score)
    p = int(y.sum())
    n = len(y) - p
    if p == 0 or n == 0:
        return float("nan")
    r = rankdata(s)  # average ranks for ties
    return float((r[y].sum() - p * (p + 1) / 2) / (p * n))


def grouped_auc(y, score, groups) -> pd.DataFrame:
    """AUC per group (vectorised mid-ranks within groups).

    Parameters
    ----------
    y, score : array-like
        Labels and scores, as in :func:`auc`.
    groups : array-like
        The group (user) of each row.

    Returns
    -------
    pandas.DataFrame
        One row per group (index = group id, sorted) with ``n`` (rows), ``n_pos`` and ``auc``
        (NaN when the group has only one class).
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


def auc_metrics(y, score, groups) -> dict[str, float]:
    """AUC, UAUC and GAUC of one scorer plus their coverage.

    Parameters
    ----------
    y, score, groups : array-like
        Labels, scores and the user of each row.

    Returns
    -------
    dict
        ``auc``, ``uauc``, ``gauc``, ``n_rows``, ``n_pos``, ``n_groups``,
        ``n_groups_evaluated`` (users with both classes) and ``row_share_evaluated`` (their
        share of the rows).
    """
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


def log_loss(y, p) -> float:
    """Mean binary cross-entropy (module docstring) of probabilities ``p`` clipped to
    ``[EPS, 1 - EPS]``.

    Parameters
    ----------
    y : array-like of bool or 0/1
        Labels.
    p : array-like of float
        Predicted probabilities of the positive class.

    Returns
    -------
    float
        NaN for no rows.
    """
    y, p = _check_xy(y, p)
    if not len(y):
        return float("nan")
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(np.where(y, np.log(p), np.log1p(-p))))


def calibration_table(y, p, bins: int = 10, conf: float = 0.95) -> pd.DataFrame:
    """Reliability table: rows sorted by ``p`` and cut into ``bins`` equal-count bins.

    Parameters
    ----------
    y, p : array-like
        Labels and predicted probabilities.
    bins : int
        Number of equal-count bins.
    conf : float
        Level of the Wilson intervals of the observed rates.

    Returns
    -------
    pandas.DataFrame
        Per (non-empty) bin: ``bin``, ``n``, ``predicted`` (mean p), ``observed`` (share of
        positives) with Wilson ``lo`` / ``hi``, and ``gap`` = observed - predicted.
    """
    y, p = _check_xy(y, p)
    if not len(y):
        return pd.DataFrame(columns=["bin", "n", "predicted", "observed", "lo", "hi", "gap"])
    order = np.argsort(p, kind="stable")
    b = np.zeros(len(y), np.int64)
    b[order] = np.minimum(np.arange(len(y)) * bins // len(y), bins - 1)
    n = np.bincount(b, minlength=bins)
    k = np.bincount(b, weights=y.astype(float), minlength=bins)
    ps = np.bincount(b, weights=p, minlength=bins)
    ok = n > 0
    n, k, ps = n[ok], k[ok], ps[ok]
    lo, hi = wilson_interval(k, n, conf)
    t = pd.DataFrame(
        {
            "bin": np.arange(1, len(n) + 1),
            "n": n.astype(np.int64),
            "predicted": ps / n,
            "observed": k / n,
            "lo": lo,
            "hi": hi,
        }
    )
    t["gap"] = t["observed"] - t["predicted"]
    return t


def expected_calibration_error(table: pd.DataFrame) -> float:
    """The expected calibration error (module docstring) of a :func:`calibration_table`:
    the row-weighted mean of ``|observed - predicted|``; NaN for an empty table."""
    if table.empty:
        return float("nan")
    return float((table["gap"].abs() * table["n"]).sum() / table["n"].sum())


def _weighted_auc(y_sorted: np.ndarray, tie_group: np.ndarray, w: np.ndarray) -> float:
    """AUC of rows sorted by score with row weights ``w`` (ties within ``tie_group`` count 1/2)."""
    pw = np.bincount(tie_group, weights=w * y_sorted)
    nw = np.bincount(tie_group, weights=w * (1.0 - y_sorted))
    tp, tn = pw.sum(), nw.sum()
    if tp <= 0 or tn <= 0:
        return float("nan")
    below = np.cumsum(nw) - nw
    return float((pw * (below + 0.5 * nw)).sum() / (tp * tn))


def user_bootstrap_auc(
    y, scores: dict[str, np.ndarray], users, n_boot: int = 200, seed: int = 0
) -> pd.DataFrame:
    """AUC, UAUC and GAUC of every scorer in ``n_boot`` user-bootstrap replicates.

    Each replicate draws a Poisson(1) weight per user (the same weights for every scorer, so
    the difference of two scorers is a paired comparison); AUC is the weighted Mann-Whitney
    statistic, UAUC and GAUC the weighted means of the users' own AUCs (module docstring).

    Parameters
    ----------
    y : array-like of bool
        Labels of the test rows.
    scores : dict
        Scorer name -> scores of the rows.
    users : array-like
        The user of each row.
    n_boot, seed : int
        Replicates and the seed of the weights.

    Returns
    -------
    pandas.DataFrame
        Long format: ``replicate``, ``scorer``, ``auc``, ``uauc``, ``gauc``.
    """
    y = np.asarray(y, dtype=bool)
    codes, uniq = pd.factorize(np.asarray(users))
    rng = np.random.default_rng(seed)
    weights = rng.poisson(1.0, size=(n_boot, len(uniq))).astype(np.float64)
    out = []
    for name, s in scores.items():
        s = np.asarray(s, dtype=np.float64)
        order = np.argsort(s, kind="stable")
        ss = s[order]
        tie = np.concatenate([[0], np.cumsum(ss[1:] != ss[:-1])]).astype(np.int64)
        ys = y[order].astype(np.float64)
        cs = codes[order]
        g = grouped_auc(y, s, codes)  # index = codes 0..k-1
        ok = np.isfinite(g["auc"].to_numpy())
        per_user, n_u = g["auc"].to_numpy()[ok], g["n"].to_numpy(np.float64)[ok]
        wok = weights[:, ok]
        with np.errstate(divide="ignore", invalid="ignore"):
            ua = (wok @ per_user) / wok.sum(axis=1)
            ga = (wok @ (n_u * per_user)) / (wok @ n_u)
        for b in range(n_boot):
            out.append((b, name, _weighted_auc(ys, tie, weights[b][cs]), ua[b], ga[b]))
    return pd.DataFrame(out, columns=["replicate", "scorer", "auc", "uauc", "gauc"])
