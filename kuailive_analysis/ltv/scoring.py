r"""Scores of per-user value forecasts, with a vectorised paired user bootstrap.

Every method forecasts the gift value :math:`\hat y_i` (coins) of each user :math:`i` of a
cohort over a holdout; :math:`y_i` is what the user gave. Money is heavy-tailed (most users
give nothing, a few give tens of thousands of coins), so the **primary score is the mean
Poisson deviance**,

.. math::

    D(\hat y) = \frac{1}{n} \sum_i 2 \Big( y_i \log \frac{y_i}{\hat y_i} - (y_i - \hat y_i)
    \Big), \qquad y \log \tfrac{y}{\hat y} = 0 \text{ for } y = 0 .

It is a proper (strictly consistent) score for the mean: its expectation is smallest when
:math:`\hat y_i = E[y_i]`, which is what an LTV forecast states. Unlike squared error, whose
terms grow like :math:`y_i^2` (one user can be half of a model's RMSE), a Poisson term grows like
:math:`y_i \log y_i`. We take Poisson rather than Tweedie (power :math:`1 < p < 2`) because it
needs no power to be chosen (a choice made after seeing the data would be one more tuned knob)
and it is the loss the gradient boosting model trains with. Forecasts are floored at
:data:`FORECAST_FLOOR` (a forecast of exactly 0 for a user who gave scores infinitely badly).

Beside it: the **total ratio** :math:`\sum_i \hat y_i / \sum_i y_i`; **RMSE** with and without
the user who gave most; **ranking**: the normalized Gini and the top-decile capture, from the
concentration curve :math:`L` of the actual value over users sorted by ascending forecast
(users with tied forecasts form one step, so ties share evenly):

.. math::

    G(\hat y) = 1 - 2 \int_0^1 L_{\hat y}(p)\, dp, \qquad
    \text{norm. Gini} = \frac{G(\hat y)}{G(y)}, \qquad
    \text{capture} = 1 - L_{\hat y}(0.9)

(1 = a perfect order, 0 = no information; the capture is the share of the actual value given
by the 10% of users with the highest forecasts, the user at the edge counted in part); and
**decile calibration** (:func:`decile_calibration`).

**Bootstrap** (:func:`poisson_weights`): one matrix of Poisson(1) weights, replicates x users,
resamples the users of every method at once (the *same* resampled users for all methods, so
differences are paired); every metric is a weighted sum over users, so no replicate is
computed in a Python loop. A user with weight :math:`w` counts :math:`w` times (the
Poisson bootstrap, Hanley & MacGibbon 2006).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FORECAST_FLOOR = 0.01
"""Coins: forecasts below this (one hundredth of the smallest gift, 1 coin) count as this in the
Poisson deviance, so a forecast of 0 for a user who gave gets a large, finite penalty."""
TOP_SHARE = 0.10
"""The share of users with the highest forecasts whose actual value the capture measures."""
N_DECILES = 10
"""Bins of the decile calibration."""

METRICS = ("deviance", "total_ratio", "norm_gini", "top10_capture", "RMSE")
"""Metrics with a bootstrap interval (:func:`score`), the primary score first."""
METRIC_LABELS = {
    "deviance": "Poisson deviance (coins per user)",
    "total_ratio": "total ratio (forecast / actual)",
    "norm_gini": "normalized Gini",
    "top10_capture": "top-decile capture (share of actual value)",
    "RMSE": "RMSE (coins per user)",
}


def poisson_weights(n_boot: int, n: int, seed: int = 0) -> np.ndarray:
    """``(n_boot, n)`` Poisson(1) bootstrap weights (module docstring)."""
    return np.random.default_rng(seed).poisson(1.0, size=(n_boot, n)).astype(float)


def unit_deviance(pred, act) -> np.ndarray:
    """Per-user Poisson deviance (module docstring), forecasts floored at
    :data:`FORECAST_FLOOR`; broadcasts."""
    mu = np.maximum(np.asarray(pred, float), FORECAST_FLOOR)
    y = np.asarray(act, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(y / mu), 0.0)
    return 2 * (ylog - (y - mu))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def concentration(W: np.ndarray, pred, act, top: float = TOP_SHARE):
    r"""``(G, capture)`` per row of weights ``W`` (replicates x users): the Gini of the actual
    values ``act`` ordered by ``pred`` and the share of the actual value in the top ``top`` of
    the weight by ``pred`` (module docstring). Tied forecasts form one step of the curve.

    With the blocks :math:`k` of tied forecasts in ascending order, their weights :math:`w_k`,
    weighted actual values :math:`a_k` and cumulative sums :math:`C_k = \sum_{j \le k} a_j`,
    the area under the curve is :math:`\sum_k w_k (C_k - a_k / 2) / (\sum_k w_k\,
    \sum_k a_k)`.
    """
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    W = np.atleast_2d(W)
    order = np.argsort(pred, kind="stable")
    ps = pred[order]
    starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
    Ws = W[:, order]
    Ys = Ws * act[order]
    if starts.size < ps.size:  # tied forecasts: one block each
        Ws, Ys = np.add.reduceat(Ws, starts, axis=1), np.add.reduceat(Ys, starts, axis=1)
    cy = np.cumsum(Ys, axis=1)
    wt, yt = Ws.sum(1), cy[:, -1]
    area = _ratio((Ws * (cy - Ys / 2)).sum(1), wt * yt)
    cw = np.cumsum(Ws, axis=1)
    # the block where the cumulative weight share crosses 1 - top, and the curve there
    edge = (1 - top) * wt[:, None]
    k = np.clip((cw < edge).sum(1, keepdims=True), 0, cw.shape[1] - 1)
    w_k, c_k, y_k = (np.take_along_axis(x, k, 1)[:, 0] for x in (Ws, cy, Ys))
    before = (np.take_along_axis(cw, k, 1)[:, 0] - w_k, c_k - y_k)
    frac = _ratio(edge[:, 0] - before[0], w_k)
    at = _ratio(before[1] + frac * y_k, yt)
    return 1 - 2 * area, 1 - at


def concentration_curve(pred, act) -> pd.DataFrame:
    """The concentration curve of the actual values ``act`` over users sorted by ascending
    ``pred`` (tied forecasts form one straight step): ``population_share`` and
    ``value_share``, both from 0 to 1, in the format of
    :func:`kuailive_analysis.core.stats.lorenz_curve` (with ``pred = act`` it is the Lorenz
    curve, the best order)."""
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    blocks, inv = np.unique(pred, return_inverse=True)
    w = np.bincount(inv.ravel(), minlength=blocks.size)
    y = np.bincount(inv.ravel(), weights=act, minlength=blocks.size)
    p = np.r_[0.0, np.cumsum(w) / w.sum()]
    v = np.r_[0.0, np.cumsum(y) / y.sum()] if y.sum() > 0 else np.full(p.size, np.nan)
    return pd.DataFrame({"population_share": p, "value_share": v})


def metrics(W: np.ndarray, pred, act, g_best: np.ndarray | None = None) -> dict:
    """:data:`METRICS` of one forecast ``pred`` against ``act`` (users) for each row of the
    weights ``W`` (replicates x users; a row of ones is the sample itself); ``g_best``: the
    Gini of ``act`` under the same weights when already computed."""
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    W = np.atleast_2d(W)
    n_w = W.sum(1)
    g_pred, cap = concentration(W, pred, act)
    if g_best is None:
        g_best, _ = concentration(W, act, act)
    return {
        "deviance": W @ unit_deviance(pred, act) / n_w,
        "total_ratio": _ratio(W @ pred, W @ act),
        "norm_gini": _ratio(g_pred, g_best),
        "top10_capture": cap,
        "RMSE": np.sqrt(W @ (pred - act) ** 2 / n_w),
    }


def rmse_without_top(pred, act) -> float:
    """RMSE over all users but the one who gave most (coins per user)."""
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    keep = np.arange(act.size) != int(np.argmax(act))
    return float(np.sqrt(np.mean((pred[keep] - act[keep]) ** 2)))


def decile_calibration(forecasts: pd.DataFrame, actual: pd.Series, n_bins: int = N_DECILES):
    """Mean forecast and mean actual value by decile of each method's forecast (1 = lowest;
    ties broken by user order); long frame ``method``, ``decile``, ``predicted``, ``actual``,
    ``n_users``."""
    rows = []
    act = actual.reindex(forecasts.index).to_numpy(float)
    for m in forecasts.columns:
        p = forecasts[m].to_numpy(float)
        dec = np.empty(p.size, int)
        dec[np.argsort(p, kind="stable")] = np.arange(p.size) * n_bins // p.size + 1
        g = pd.DataFrame({"decile": dec, "predicted": p, "actual": act}).groupby("decile")
        g = g.agg(
            predicted=("predicted", "mean"), actual=("actual", "mean"), n_users=("actual", "size")
        )
        rows.append(g.reset_index().assign(method=m))
    return pd.concat(rows, ignore_index=True)[
        ["method", "decile", "predicted", "actual", "n_users"]
    ]


def decile_summary(deciles: pd.DataFrame) -> pd.DataFrame:
    r"""Per method: the **decile error** :math:`\sum_d n_d |\bar p_d - \bar a_d| / \sum_d n_d
    \bar a_d` (the share of the actual total misplaced across the forecast's deciles: 0 when
    every decile's forecast total equals its actual total) and the **top-decile ratio**
    :math:`\bar p_{10} / \bar a_{10}` (forecast / actual of the 10% with the highest
    forecasts)."""
    d = deciles.assign(
        P=deciles["predicted"] * deciles["n_users"], A=deciles["actual"] * deciles["n_users"]
    )
    g = d.groupby("method", sort=False)
    err = g.apply(lambda x: (x["P"] - x["A"]).abs().sum() / x["A"].sum(), include_groups=False)
    top = d.loc[d.groupby("method", sort=False)["decile"].idxmax()].set_index("method")
    return pd.DataFrame(
        {"decile_error": err, "top_decile_ratio": _ratio(top["P"], top["A"])}, index=err.index
    )


@dataclass(frozen=True)
class Scores:
    """Outcome of :func:`score`: ``table`` (rows methods; per metric of :data:`METRICS` the
    estimate and the bootstrap interval, columns ``(metric, "estimate"|"low"|"high")``; then
    ``("RMSE without top user", "estimate")`` and the decile summary), ``replicates``
    (``{metric: methods x n_boot}`` array, rows in the order of ``table``), ``level``,
    ``n_boot``."""

    table: pd.DataFrame
    replicates: dict[str, np.ndarray]
    level: float
    n_boot: int

    def estimate(self, metric: str) -> pd.Series:
        """One metric's point estimates by method."""
        return self.table[(metric, "estimate")]

    def interval(self, values: np.ndarray) -> tuple[float, float]:
        """Percentile interval at ``level`` of bootstrap values (non-finite ones dropped)."""
        v = values[np.isfinite(values)]
        q = [(1 - self.level) / 2 * 100, (1 + self.level) / 2 * 100]
        return tuple(float(x) for x in np.percentile(v, q)) if v.size else (np.nan, np.nan)

    def difference(self, metric: str, method: str, other: str) -> dict[str, float]:
        """``metric(method) - metric(other)`` with its paired bootstrap interval (the same
        resampled users): keys ``difference``, ``low``, ``high``."""
        i, j = (self.table.index.get_loc(m) for m in (method, other))
        lo, hi = self.interval(self.replicates[metric][i] - self.replicates[metric][j])
        est = self.estimate(metric)
        return {"difference": float(est[method] - est[other]), "low": lo, "high": hi}


def score(
    forecasts: pd.DataFrame,
    actual: pd.Series,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Scores:
    """Every metric of every forecast column (methods) against ``actual`` (aligned on the
    index), with Poisson-bootstrap percentile intervals from one weight matrix shared by all
    methods, RMSE without the top user and the decile summary."""
    act = actual.reindex(forecasts.index).to_numpy(float)
    W = poisson_weights(n_boot, act.size, seed)
    one = np.ones((1, act.size))
    rows, reps = {}, {k: [] for k in METRICS}
    summary = decile_summary(decile_calibration(forecasts, actual))
    out = Scores(pd.DataFrame(), {}, float(level), int(n_boot))
    g_one, g_boot = (concentration(w, act, act)[0] for w in (one, W))
    for m in forecasts.columns:
        pred = forecasts[m].to_numpy(float)
        point, boot = metrics(one, pred, act, g_one), metrics(W, pred, act, g_boot)
        row = {}
        for k in METRICS:
            reps[k].append(boot[k])
            lo, hi = out.interval(boot[k])
            row[(k, "estimate")], row[(k, "low")], row[(k, "high")] = point[k][0], lo, hi
        row[("RMSE without top user", "estimate")] = rmse_without_top(pred, act)
        row[("decile error", "estimate")] = summary.loc[m, "decile_error"]
        row[("top-decile ratio", "estimate")] = summary.loc[m, "top_decile_ratio"]
        rows[m] = row
    table = pd.DataFrame(rows).T
    table.index.name = "method"
    return Scores(table, {k: np.vstack(v) for k, v in reps.items()}, float(level), int(n_boot))
