r"""Which model forecasts a user's gift value best? The holdout comparison and the winner rule.

Every method forecasts the gift value (coins) of each cohort user over the ``horizon`` days
after a cut day, from the days before it only (:func:`value_forecasts`):

* **BG/NBD x Gamma-Gamma** and **MBG/NBD x Gamma-Gamma**: expected gifting days over the
  horizon times the Gamma-Gamma expected value of a gifting day (the sample mean over repeat
  gifters when the Gamma-Gamma mean is infinite, :math:`q \le 1`);
* **gradient boosting** and **zero-inflated lognormal**: supervised, trained one window
  earlier (:mod:`kuailive_analysis.ltv.supervised`);
* naive baselines: **run rate** (the user's value per day of the window before the cut, times
  the horizon) and **zero** (nobody gives).

:func:`score_value_forecasts` scores forecasts :math:`\hat y_i` against the actual values
:math:`y_i` of the :math:`n` users with a user bootstrap (the same resampled users for every
method): the total ratio :math:`\sum \hat y_i / \sum y_i`, MAE, RMSE, the Spearman rank
correlation, the normalized Gini (how well the forecast orders users by what they gave: 1 =
perfect order, 0 = random) and the top-decile capture (the share of the actual value given by
the 10% of users with the highest forecast, :math:`D`):

.. math::

    G(\hat y) = \frac{2 \sum_i \operatorname{rank}(\hat y_i)\, y_i}{n \sum_i y_i}
    - \frac{n+1}{n}, \qquad
    \text{norm. Gini} = \frac{G(\hat y)}{G(y)}, \qquad
    \text{capture} = \frac{\sum_{i \in D} y_i}{\sum_i y_i}

(average ranks; users tied at the decile's edge share its remaining places).
:func:`pick_winner` applies the rule (:data:`WINNER_RULE`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kuailive_analysis.ltv import supervised as S
from kuailive_analysis.ltv.bgnbd import BetaGeo
from kuailive_analysis.ltv.gamma_gamma import GammaGamma, sample_mean_spend
from kuailive_analysis.ltv.mbgnbd import ModifiedBetaGeo
from kuailive_analysis.ltv.numerics import ConvergenceError
from kuailive_analysis.ltv.summary import summarise, summary_arrays

BG, MBG, GBM, ZILN = (
    "BG/NBD x Gamma-Gamma",
    "MBG/NBD x Gamma-Gamma",
    "gradient boosting",
    "zero-inflated lognormal",
)
RUN_RATE, ZERO = "run rate (baseline)", "zero (baseline)"
MODELS = (BG, MBG, GBM, ZILN)
BASELINES = (RUN_RATE, ZERO)
METRICS = ("total_ratio", "MAE", "RMSE", "spearman", "norm_gini", "top10_capture")
METRIC_LABELS = {
    "total_ratio": "total ratio (predicted / actual)",
    "MAE": "MAE (coins per user)",
    "RMSE": "RMSE (coins per user)",
    "spearman": "Spearman rank correlation",
    "norm_gini": "normalized Gini",
    "top10_capture": "top-decile capture (share of actual value)",
}
CRITERION = "RMSE"
WINNER_RULE = (
    "a model wins when its per-user root mean squared error (RMSE) of holdout value is below "
    "that of both naive baselines (run rate and zero), with the 95% paired user-bootstrap "
    "interval of the RMSE difference entirely below zero; among such models the one with the "
    "lowest RMSE wins. Squared error is the proper score for a forecast of the expected value, "
    "which is what an LTV headline states; absolute error (MAE) is minimised by the median, "
    "which is 0 for most users here, so on MAE the zero forecast cannot be beaten by any "
    "expected-value forecast"
)


def _fit_pair(gs: pd.DataFrame, cls):
    """(model, gg, fallback_mean) on an RFM summary, or None when a fit fails."""
    model, _ = cls.fit_summary(gs)
    gg, _ = GammaGamma.fit_summary(gs)
    if model is None or gg is None:
        return None
    return model, gg, sample_mean_spend(gs["frequency_cal"], gs["monetary_cal"])


def value_forecasts(
    user_day: pd.DataFrame,
    users: pd.DataFrame | None,
    cut: int,
    horizon: int,
    *,
    fitted: dict | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Forecasts of every method (columns, module docstring) of each user with a gifting day
    before ``cut`` (rows, index ``user_id``) for the value of ``[cut, cut + horizon)``, from
    days ``< cut`` only. ``fitted`` may pass already fitted ``{method: (model, gg,
    fallback)}`` pairs for this cut. Returns ``(forecasts, notes)``: ``notes[method]`` says
    why a method has no forecast (its column is then absent)."""
    gift_days = user_day[(user_day["n_gifts"] > 0) & (user_day["day"] < cut)]
    gs = summarise(
        gift_days, calibration_days=cut, n_days=cut + horizon, value_col="gift_value"
    ).table
    x, tx, T = summary_arrays(gs)
    cols, notes = {}, {}
    for name, cls in ((BG, BetaGeo), (MBG, ModifiedBetaGeo)):
        pair = (fitted or {}).get(name)
        if pair is None:
            pair = _fit_pair(gs, cls)
        if pair is None:
            notes[name] = "the model could not be fitted"
            continue
        model, gg, fb = pair
        spend = gg.expected_spend(x, gs["monetary_cal"].to_numpy(float), fallback_mean=fb)
        cols[name] = model.expected_purchases(float(horizon), x, tx, T) * spend
    try:
        X_tr, y_tr, X_ap = S.supervised_split(user_day, users, cut, horizon)
        X_ap = X_ap.reindex(gs.index)
        cols[GBM] = S.gradient_boosting_forecast(X_tr, y_tr, X_ap, seed=seed)
        cols[ZILN] = S.ziln_forecast(X_tr, y_tr, X_ap)
    except (ValueError, ConvergenceError) as e:
        notes[GBM] = notes[ZILN] = str(e)
    cols[RUN_RATE] = gs["value_cal"].to_numpy(float) / cut * horizon
    cols[ZERO] = np.zeros(len(gs))
    out = pd.DataFrame(cols, index=gs.index)
    out.columns.name = "method"
    return out, notes


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------
def _avg_rank(a: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) along the last axis."""
    return stats.rankdata(a, axis=-1)


def metric_values(pred: np.ndarray, act: np.ndarray) -> dict[str, np.ndarray]:
    """The six metrics (module docstring) of forecasts ``pred`` against ``act``; both
    ``(..., n_users)`` arrays, metrics over the last axis. Ties in the forecast share ranks
    (a constant forecast has normalized Gini 0 and top-decile capture 10%)."""
    pred, act = np.asarray(pred, float), np.asarray(act, float)
    n = act.shape[-1]
    tot = act.sum(-1)
    err = pred - act
    with np.errstate(invalid="ignore", divide="ignore"):
        rp, ra = _avg_rank(pred), _avg_rank(act)
        rpc = rp - rp.mean(-1, keepdims=True)
        rac = ra - ra.mean(-1, keepdims=True)
        spear = (rpc * rac).sum(-1) / np.sqrt((rpc**2).sum(-1) * (rac**2).sum(-1))
        g_pred = 2 * (rp * act).sum(-1) / (n * tot) - (n + 1) / n
        g_best = 2 * (ra * act).sum(-1) / (n * tot) - (n + 1) / n
        # top-decile capture with ties: users tied at the cut share the remaining places
        k = int(np.ceil(0.1 * n))
        srt = -np.sort(-pred, axis=-1)
        v = srt[..., k - 1 : k]
        above = pred > v
        equal = pred == v
        n_above = above.sum(-1, keepdims=True)
        n_equal = equal.sum(-1, keepdims=True)
        wgt = above + equal * (k - n_above) / n_equal
        cap = (wgt * act).sum(-1) / tot
        return {
            "total_ratio": pred.sum(-1) / tot,
            "MAE": np.abs(err).mean(-1),
            "RMSE": np.sqrt((err**2).mean(-1)),
            "spearman": spear,
            "norm_gini": g_pred / g_best,
            "top10_capture": cap,
        }


PAIRED = ("RMSE", "MAE", "top10_capture", "norm_gini")
"""Metrics whose method - baseline difference gets a paired bootstrap interval."""


@dataclass(frozen=True)
class Scores:
    """Outcome of :func:`score_value_forecasts`: ``table`` (rows methods; per metric the
    estimate and the bootstrap interval, columns ``(metric, "estimate"|"low"|"high")``),
    ``paired`` (rows ``(metric, method, baseline)``: metric(method) - metric(baseline) with its
    paired interval; metrics :data:`PAIRED`), ``level``, ``n_boot``."""

    table: pd.DataFrame
    paired: pd.DataFrame
    level: float
    n_boot: int

    def estimate(self, metric: str) -> pd.Series:
        """One metric's point estimates by method."""
        return self.table[(metric, "estimate")]


def score_value_forecasts(
    forecasts: pd.DataFrame,
    actual: pd.Series,
    *,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> Scores:
    """Every metric of every forecast column with a user-bootstrap percentile interval (the
    same resampled users for all methods), and the paired differences to the baselines."""
    act = actual.reindex(forecasts.index).to_numpy(float)
    P = forecasts.to_numpy(float).T  # methods x users
    rng = np.random.default_rng(seed)
    n = act.size
    idx = rng.integers(0, n, size=(n_boot, n))
    point = metric_values(P, act[None, :])
    boot = metric_values(P[:, idx], act[idx][None, :, :])  # methods x n_boot
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]

    def interval(v):
        v = v[np.isfinite(v)]
        return tuple(np.percentile(v, q)) if v.size else (np.nan, np.nan)

    rows = {}
    for j, m in enumerate(forecasts.columns):
        row = {}
        for k in METRICS:
            lo, hi = interval(boot[k][j])
            row[(k, "estimate")], row[(k, "low")], row[(k, "high")] = point[k][j], lo, hi
        rows[m] = row
    table = pd.DataFrame(rows).T
    table.index.name = "method"
    cols = list(forecasts.columns)
    diffs = {}
    for k in PAIRED:
        for m in cols:
            for b in BASELINES:
                if m == b or b not in cols:
                    continue
                i, j = cols.index(m), cols.index(b)
                lo, hi = interval(boot[k][i] - boot[k][j])
                diffs[(k, m, b)] = {
                    "difference": point[k][i] - point[k][j],
                    "low": lo,
                    "high": hi,
                }
    paired = pd.DataFrame(diffs).T
    paired.index.names = ["metric", "method", "baseline"]
    return Scores(table=table, paired=paired, level=float(level), n_boot=int(n_boot))


@dataclass(frozen=True)
class Winner:
    """Outcome of :func:`pick_winner`: ``method`` (None when no model beats both baselines),
    ``beats`` (the models that do), ``best`` (the model with the lowest error, winner or not),
    ``reason`` (in words, with the numbers)."""

    method: str | None
    beats: tuple[str, ...]
    best: str | None
    reason: str


def pick_winner(scores: Scores, criterion: str = CRITERION) -> Winner:
    """Apply :data:`WINNER_RULE` (per-user error ``criterion``, RMSE by default) to
    :func:`score_value_forecasts` output."""
    d = scores.paired.xs(criterion, level="metric")
    models = [m for m in MODELS if m in d.index.get_level_values("method")]
    err = scores.estimate(criterion)
    if not models:
        return Winner(None, (), None, "No model could be fitted.")
    beats = tuple(
        m for m in models if all(d.loc[(m, b), "high"] < 0 for b in BASELINES if (m, b) in d.index)
    )
    best = min(beats or models, key=lambda m: err[m])
    if beats:
        others = [m for m in beats if m != best]
        reason = (
            f"{best} has the lowest holdout {criterion} ({err[best]:,.1f} coins per user) among "
            "the models that beat both baselines"
            + (f" (also beating them: {', '.join(others)})" if others else "")
            + "."
        )
        return Winner(best, beats, best, reason)
    parts = [
        f"against the {b.split(' (')[0]} baseline its {criterion} differs by "
        f"{r['difference']:+,.1f} coins ({scores.level:.0%} interval {r['low']:+,.1f} to "
        f"{r['high']:+,.1f})"
        for b in BASELINES
        if (best, b) in d.index
        for r in [d.loc[(best, b)]]
        if r["high"] >= 0
    ]
    return Winner(
        None,
        (),
        best,
        f"No model beats both naive baselines on the holdout. The model with the lowest "
        f"{criterion}, {best} ({err[best]:,.1f} coins per user), does not: "
        f"{'; '.join(parts)}.",
    )


def best_ranker(scores: Scores) -> str | None:
    """The model with the highest top-decile capture (None without a finite one)."""
    cap = scores.estimate("top10_capture")
    models = [m for m in MODELS if m in cap.index and np.isfinite(cap[m])]
    return max(models, key=lambda m: cap[m]) if models else None


def decile_calibration(forecasts: pd.DataFrame, actual: pd.Series, n_bins: int = 10):
    """Mean predicted and mean actual value by decile of each method's forecast (ties broken
    by user order); long frame ``method``, ``decile`` (1 = lowest forecasts), ``predicted``,
    ``actual``, ``n_users``. The zero baseline (one constant forecast) is left out."""
    rows = []
    act = actual.reindex(forecasts.index).to_numpy(float)
    for m in forecasts.columns:
        if m == ZERO:
            continue
        p = forecasts[m].to_numpy(float)
        order = np.argsort(p, kind="stable")
        dec = np.empty(p.size, int)
        dec[order] = np.arange(p.size) * n_bins // p.size + 1
        df = pd.DataFrame({"decile": dec, "predicted": p, "actual": act})
        g = df.groupby("decile").agg(
            predicted=("predicted", "mean"), actual=("actual", "mean"), n_users=("actual", "size")
        )
        rows.append(g.reset_index().assign(method=m))
    return pd.concat(rows, ignore_index=True)[
        ["method", "decile", "predicted", "actual", "n_users"]
    ]


@dataclass(frozen=True)
class Comparison:
    """The holdout comparison (:func:`compare`): ``forecasts`` (users x methods), ``actual``
    (holdout value per user), ``scores``, ``winner``, ``deciles``, ``notes`` (methods without
    a forecast and why), ``horizon`` (days), and the winner's ``forward`` forecast (value of
    each user with a gifting day in the whole window over the next ``horizon`` days; None
    without a winner)."""

    forecasts: pd.DataFrame
    actual: pd.Series
    scores: Scores
    winner: Winner
    deciles: pd.DataFrame
    notes: dict
    horizon: int
    forward: pd.Series | None


def compare(
    user_day: pd.DataFrame,
    users: pd.DataFrame | None,
    cut: int,
    horizon: int,
    *,
    end: int | None = None,
    fitted: dict | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Forecast the holdout ``[cut, cut + horizon)`` with every method, score, pick the winner
    and, with a winner and ``end`` (the number of observed days), forecast the value of the
    next ``horizon`` days after ``end`` with the winning method (refitted on all days)."""
    fc, notes = value_forecasts(user_day, users, cut, horizon, fitted=fitted, seed=seed)
    actual = S.target_value(user_day, fc.index, cut, cut + horizon)
    scores = score_value_forecasts(fc, actual, n_boot=n_boot, level=level, seed=seed)
    winner = pick_winner(scores)
    forward = None
    if winner.method is not None and end is not None:
        fw, _ = value_forecasts(user_day, users, end, horizon, seed=seed)
        forward = fw[winner.method] if winner.method in fw else None
    return Comparison(
        forecasts=fc,
        actual=actual,
        scores=scores,
        winner=winner,
        deciles=decile_calibration(fc, actual),
        notes=notes,
        horizon=int(horizon),
        forward=forward,
    )
