r"""Does BG/NBD describe the data: validation tables of a fitted model on an
:func:`~kuailive_analysis.ltv.summary.rfm_summary` frame (one row per cohort user, time unit
the day), frames in, frames out.

Calibration frequency is grouped as ``0, 1, ..., max_x - 1`` and ``max_x+``. Over a holdout of
length :math:`t` the **past-rate baseline** forecasts :math:`t\,x_i / T_i` transactions (users
with :math:`T_i = 0` get the pooled rate) and the **pooled-rate baseline**
:math:`t \sum_j x_j / \sum_j T_j` for everybody; holdout **value** forecasts multiply them by
the Gamma-Gamma expected value of a transaction (model), the user's own mean value per
transaction day, first day included (past rate), or its cohort mean (pooled rate).
:func:`holdout_forecasts` gives one column per ``(target, method)`` and :func:`score_forecasts`
scores any such columns against the holdout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from kuailive_analysis.ltv.base import BaseBetaGeo
from kuailive_analysis.ltv.gamma_gamma import GammaGamma
from kuailive_analysis.ltv.scoring import unit_deviance
from kuailive_analysis.ltv.summary import summary_arrays

TARGET_COLUMNS = {"transactions": "frequency_holdout", "value": "value_holdout"}
"""The holdout column each forecast target is scored against."""


def _freq_group(x: np.ndarray, max_x: int) -> pd.Categorical:
    labels = [str(i) for i in range(max_x)] + [f"{max_x}+"]
    return pd.Categorical.from_codes(np.minimum(x, max_x).astype(int), labels, ordered=True)


def frequency_histogram(bg: BaseBetaGeo, summary: pd.DataFrame, max_x: int = 7) -> pd.DataFrame:
    r"""Number of users by calibration frequency: actual and expected under the model,
    :math:`\sum_i P(X(T_i) = x)`; index ``0 .. max_x-1, max_x+``."""
    x, _, T = summary_arrays(summary)
    grp = _freq_group(x, max_x)
    actual = pd.Series(grp).value_counts(sort=False)
    model = bg.expected_frequency_histogram(T, max_x)
    return pd.DataFrame(
        {"actual": actual.to_numpy(), "model": model},
        index=pd.Index(actual.index.astype(str), name="frequency_cal"),
    )


def baseline_predictions(summary: pd.DataFrame, t: float) -> pd.DataFrame:
    """Past-rate and pooled-rate predictions of holdout transactions (module docstring)."""
    x, _, T = summary_arrays(summary)
    pooled = x.sum() / max(T.sum(), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(T > 0, x / T, pooled)
    return pd.DataFrame(
        {"past_rate": own * t, "pooled_rate": np.full(x.size, pooled * t)}, index=summary.index
    )


def own_mean_value(summary: pd.DataFrame) -> np.ndarray:
    """Each user's mean value per transaction day over all calibration days, the first
    included."""
    return summary["value_cal"].to_numpy(float) / (summary["frequency_cal"].to_numpy(float) + 1)


def past_rate_value(summary: pd.DataFrame, t: float) -> np.ndarray:
    """The past-rate value baseline over ``t`` days: past-rate transactions times the user's
    own mean value per transaction day (module docstring)."""
    return baseline_predictions(summary, t)["past_rate"].to_numpy() * own_mean_value(summary)


def holdout_by_frequency(bg: BaseBetaGeo, summary: pd.DataFrame, max_x: int = 7) -> pd.DataFrame:
    """Mean holdout transactions by calibration frequency: actual, model (conditional
    expectation over the holdout length) and the past-rate baseline; with group sizes."""
    x, tx, T = summary_arrays(summary)
    t = holdout_length(summary)
    df = pd.DataFrame(
        {
            "frequency_cal": _freq_group(x, max_x),
            "actual": summary["frequency_holdout"].to_numpy(float),
            "model": bg.expected_purchases(t, x, tx, T),
            "past_rate": baseline_predictions(summary, t)["past_rate"].to_numpy(),
        }
    )
    out = df.groupby("frequency_cal", observed=False).agg(
        n_users=("actual", "size"),
        actual=("actual", "mean"),
        model=("model", "mean"),
        past_rate=("past_rate", "mean"),
    )
    out.index = out.index.astype(str)
    return out


def tracking(bg: BaseBetaGeo, summary: pd.DataFrame, repeats_by_day: np.ndarray) -> pd.DataFrame:
    r"""Daily and cumulative repeat transactions of the cohort: actual vs model.

    A user first seen on day :math:`f` has, by the end of day :math:`d \ge f`,
    :math:`X(d - f)` repeat transactions; with :math:`n_f` users first seen on day :math:`f`,
    the model's cumulative curve is the unconditional expectation (FHL 2005, Fig. 2)
    :math:`\sum_f n_f E[X(\max(d - f, 0))]`, its daily curve the differences.
    """
    n_days = len(repeats_by_day)
    first = summary["first_day"].to_numpy().astype(int)
    n_f = np.bincount(first, minlength=n_days)
    d = np.arange(n_days)
    lag = np.clip(d[:, None] - np.arange(n_days)[None, :], 0, None).astype(float)
    cum = bg.expected_purchases_new(lag) @ n_f
    act = np.asarray(repeats_by_day, float)
    return pd.DataFrame(
        {
            "actual": act,
            "model": np.diff(np.r_[0.0, cum]),
            "actual_cum": np.cumsum(act),
            "model_cum": cum,
        },
        index=pd.Index(d, name="day"),
    )


def _metrics(pred: np.ndarray, act: np.ndarray) -> dict:
    if not np.all(np.isfinite(pred)):  # a non-finite forecast scores NaN
        pred = np.full(pred.shape, np.nan)
    err = pred - act
    return {
        "deviance": np.mean(unit_deviance(pred, act)),
        "MAE": np.mean(np.abs(err)),
        "RMSE": np.sqrt(np.mean(err**2)),
        "correlation": (
            np.corrcoef(pred, act)[0, 1] if pred.std() > 0 and act.std() > 0 else np.nan
        ),
        "total_predicted": pred.sum(),
        "total_actual": act.sum(),
        "total_ratio": pred.sum() / act.sum() if act.sum() > 0 else np.nan,
    }


def holdout_length(summary: pd.DataFrame) -> float:
    """The holdout length (days) of an :func:`rfm_summary` frame (``duration_holdout``)."""
    d = summary["duration_holdout"].unique()
    if d.size != 1:
        raise ValueError(f"duration_holdout must be one value for the whole summary; got {d!r}.")
    return float(d[0])


def holdout_forecasts(
    summary: pd.DataFrame,
    bg: BaseBetaGeo | None = None,
    gg: GammaGamma | None = None,
    *,
    fallback_mean: float | None = None,
) -> pd.DataFrame:
    """Per-user forecasts of the holdout: one column per ``(target, method)``.

    ``transactions`` (holdout transaction days): BG/NBD's conditional expectation (when ``bg``
    is given), the past-rate and pooled-rate baselines. ``value`` (holdout value; when ``bg``
    and ``gg`` are given): BG/NBD x Gamma-Gamma (``fallback_mean`` as in
    :meth:`GammaGamma.expected_spend`), past rate x the user's own mean value per transaction
    day, pooled rate x the pooled mean.
    """
    x, tx, T = summary_arrays(summary)
    t = holdout_length(summary)
    base = baseline_predictions(summary, t)
    cols = {}
    if bg is not None:
        cols[("transactions", "BG/NBD")] = bg.expected_purchases(t, x, tx, T)
    cols[("transactions", "past rate")] = base["past_rate"].to_numpy()
    cols[("transactions", "pooled rate")] = base["pooled_rate"].to_numpy()
    if bg is not None and gg is not None:
        m = summary["monetary_cal"].to_numpy(float)
        own = own_mean_value(summary)
        spend = gg.expected_spend(x, m, fallback_mean=fallback_mean)
        cols[("value", "BG/NBD x Gamma-Gamma")] = cols[("transactions", "BG/NBD")] * spend
        cols[("value", "past rate x own mean")] = cols[("transactions", "past rate")] * own
        cols[("value", "pooled rate x pooled mean")] = (
            cols[("transactions", "pooled rate")] * own.mean()
        )
    out = pd.DataFrame(cols, index=summary.index)
    out.columns.names = ["target", "method"]
    return out


def score_forecasts(forecasts: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Per-user accuracy of each forecast column (``(target, method)``, as from
    :func:`holdout_forecasts`) against the holdout of ``summary`` (:data:`TARGET_COLUMNS`).

    Rows ``(target, method)``; columns deviance (mean Poisson deviance,
    :func:`~kuailive_analysis.ltv.scoring.unit_deviance`), MAE, RMSE, correlation,
    total_predicted, total_actual, total_ratio (predicted / actual totals). A non-finite
    forecast scores NaN.
    """
    rows = {}
    for target, method in forecasts.columns:
        act = summary[TARGET_COLUMNS[target]].to_numpy(float)
        rows[(target, method)] = _metrics(forecasts[(target, method)].to_numpy(float), act)
    out = pd.DataFrame(rows).T
    out.index.names = ["target", "method"]
    return out


def holdout_accuracy(
    bg: BaseBetaGeo | None,
    summary: pd.DataFrame,
    gg: GammaGamma | None = None,
    fallback_mean: float | None = None,
) -> pd.DataFrame:
    """Per-user holdout accuracy of the model and the baselines: :func:`score_forecasts` of
    :func:`holdout_forecasts` (``bg=None``: the baselines only)."""
    return score_forecasts(holdout_forecasts(summary, bg, gg, fallback_mean=fallback_mean), summary)


def prediction_grids(bg: BaseBetaGeo, T: float, t: float, max_x: int | None = None):
    """``(p_alive, expected)`` grids over calibration frequency (rows 0..max_x) and recency
    (columns 0..T, whole days) for a user observed for ``T`` days; ``expected`` = conditional
    expected transactions in the next ``t`` days. Impossible cells (more repeats than days
    since the first transaction, or recency without repeats) are NaN."""
    T = int(T)
    max_x = T if max_x is None else min(int(max_x), T)
    x = np.arange(max_x + 1, dtype=float)[:, None]
    r = np.arange(T + 1, dtype=float)[None, :]
    ok = ((x == 0) & (r == 0)) | ((x > 0) & (x <= r))
    xx, rr = np.broadcast_arrays(x, r)
    pa = np.where(ok, bg.probability_alive(xx, rr, float(T)), np.nan)
    ex = np.where(ok, bg.expected_purchases(t, xx, rr, float(T)), np.nan)
    idx = pd.Index(np.arange(max_x + 1), name="frequency_cal")
    cols = pd.Index(np.arange(T + 1), name="recency_cal")
    return pd.DataFrame(pa, idx, cols), pd.DataFrame(ex, idx, cols)


def top_users(
    summary: pd.DataFrame, per_user: pd.DataFrame, preds: pd.DataFrame, n: int = 10
) -> pd.DataFrame:
    """The ``n`` users with the highest predicted CLV, with their history and intervals."""
    cols = ["frequency_cal", "recency_cal", "T_cal", "monetary_cal"]
    df = summary[cols].join(preds[["p_alive", "expected_purchases", "expected_spend"]])
    df = df.join(per_user[["clv", "clv_low", "clv_high"]])
    return df.sort_values("clv", ascending=False).head(n)


def frequency_value_spearman(summary: pd.DataFrame) -> float:
    """Spearman correlation of calibration frequency and mean value among repeat users
    (Gamma-Gamma assumes them independent; NaN with fewer than 3 repeat users)."""
    rep = summary[summary["frequency_cal"] > 0]
    if len(rep) <= 2:
        return float("nan")
    return float(rep["frequency_cal"].rank().corr(rep["monetary_cal"].rank()))


def share_every_day(summary: pd.DataFrame) -> float:
    """Share of the users with :math:`T > 0` who transacted on every calibration day after
    their first (BG/NBD's Poisson clock rarely produces such regularity)."""
    observed = summary["T_cal"] > 0
    every_day = observed & (summary["frequency_cal"] == summary["T_cal"])
    return float(every_day[observed].mean())


@dataclass(frozen=True)
class FitTest:
    """Pearson chi-square test of a frequency histogram (:func:`frequency_fit_test`)."""

    statistic: float
    df: int
    p_value: float
    misallocated: float
    """Share of users in the wrong bar: half the sum of |actual - expected| over the total."""


def frequency_fit_test(hist: pd.DataFrame, n_params: int = 4, min_expected: float = 5.0):
    r"""Pearson chi-square goodness of fit of :func:`frequency_histogram`.

    Cells are pooled from the top until every expected count :math:`E_k` is at least
    ``min_expected``; with the actual counts :math:`O_k` over :math:`K` cells,

    .. math::

        \chi^2 = \sum_k \frac{(O_k - E_k)^2}{E_k}, \quad
        \nu = \max(K - 1 - n_\text{params}, 1), \qquad
        \text{misallocated} = \frac{\sum_k |O_k - E_k|}{2 \sum_k O_k}

    (the last over the unpooled cells: the share of users in the wrong bar).

    Returns
    -------
    FitTest
    """
    act = hist["actual"].to_numpy(float)
    exp = hist["model"].to_numpy(float)
    a, e = list(act), list(exp)
    while len(e) > 1 and e[-1] < min_expected:
        e[-2] += e.pop()
        a[-2] += a.pop()
    a, e = np.array(a), np.array(e)
    stat = float(((a - e) ** 2 / np.maximum(e, 1e-12)).sum())
    df = max(len(e) - 1 - n_params, 1)
    return FitTest(
        statistic=stat,
        df=int(df),
        p_value=float(stats.chi2.sf(stat, df)),
        misallocated=misallocation(hist),
    )


def misallocation(hist: pd.DataFrame) -> float:
    """Share of users a :func:`frequency_histogram` puts in the wrong bar (:class:`FitTest`)."""
    act, exp = hist["actual"].to_numpy(float), hist["model"].to_numpy(float)
    return float(np.abs(act - exp).sum() / act.sum() / 2)


def ratio_interval(pred, actual, *, n_boot: int = 200, level: float = 0.95, seed: int = 0):
    r"""Ratio of the predicted to the actual total, :math:`\sum_i \hat y_i / \sum_i y_i`, with
    the percentile interval at ``level`` of ``n_boot`` user-bootstrap replicates (``seed``).

    Returns
    -------
    tuple of float
        ``(ratio, low, high)``.
    """
    p, a = np.asarray(pred, float), np.asarray(actual, float)
    idx = np.random.default_rng(seed).integers(0, p.size, size=(n_boot, p.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = p[idx].sum(1) / a[idx].sum(1)
    boot = boot[np.isfinite(boot)]
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    lo, hi = np.percentile(boot, q) if boot.size else (np.nan, np.nan)
    return float(p.sum() / a.sum()) if a.sum() > 0 else float("nan"), float(lo), float(hi)
