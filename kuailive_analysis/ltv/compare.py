r"""Which model forecasts a user's gift value best? The holdout comparison, by a rule fixed
before it (:data:`WINNER_RULE`).

Every method forecasts the gift value (coins) of each cohort user over the ``horizon`` days
after a cut day, from the days before it only (:func:`value_forecasts`):

* **BG/NBD x Gamma-Gamma** and **MBG/NBD x Gamma-Gamma**: expected gifting days over the
  horizon times the Gamma-Gamma expected value of a gifting day (the sample mean over repeat
  gifters when the Gamma-Gamma mean is infinite, :math:`q \le 1`);
* **Poisson gradient boosting** and **zero-inflated lognormal**: supervised, trained one window
  earlier on window-length-free features (:mod:`kuailive_analysis.ltv.supervised`);
* baselines, the forecasts a team would use without a model: the user's **run rate** (value per
  day of the window before the cut, times the horizon); the **past rate x own mean** (BG/NBD's
  naive counterpart, :func:`~kuailive_analysis.ltv.evaluate.past_rate_value`: repeat gifting
  days per day since the first gift times the user's mean value per gifting day); the
  **constant mean** (the cohort's mean run rate for everybody: the same total, no ranking) and
  **zero** (nobody gives).

:func:`~kuailive_analysis.ltv.scoring.score` scores them on the holdout (Poisson deviance first,
then calibration, ranking and RMSE) and :func:`pick_winner` applies :data:`WINNER_RULE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.ltv import evaluate as E, supervised as S
from kuailive_analysis.ltv.bgnbd import BetaGeo
from kuailive_analysis.ltv.gamma_gamma import GammaGamma, sample_mean_spend
from kuailive_analysis.ltv.mbgnbd import ModifiedBetaGeo
from kuailive_analysis.ltv.numerics import ConvergenceError
from kuailive_analysis.ltv.scoring import Scores, decile_calibration, score
from kuailive_analysis.ltv.summary import summarise, summary_arrays

BG, MBG, GBM, ZILN = (
    "BG/NBD x Gamma-Gamma",
    "MBG/NBD x Gamma-Gamma",
    "Poisson gradient boosting",
    "zero-inflated lognormal",
)
RUN_RATE, PAST_RATE = "run rate (baseline)", "past rate x own mean (baseline)"
CONSTANT, ZERO = "constant mean (baseline)", "zero (baseline)"
MODELS = (BG, MBG, GBM, ZILN)
BASELINES = (RUN_RATE, PAST_RATE, CONSTANT, ZERO)
SUPERVISED = (GBM, ZILN)
PRIMARY = "deviance"
"""The score the rule compares (mean Poisson deviance, :mod:`~kuailive_analysis.ltv.scoring`)."""
TOTAL_RATIO_BOUNDS = (0.5, 2.0)
"""A winner's holdout total ratio (forecast / actual) must lie in these bounds: a model that
misses the cohort's total by more than a factor of 2 is not a value forecast, whatever its
deviance."""
WINNER_RULE = (
    "a model wins when the {level:.0%} paired user-bootstrap interval of its Poisson-deviance "
    "difference to the best baseline (the one with the lowest holdout deviance among run rate, "
    "past rate x own mean, constant mean and zero) lies entirely below zero, and its holdout total ratio (forecast / "
    "actual) is within {lo:g} to {hi:g}; among such models the one with the lowest deviance wins"
)
"""The rule that picks the LTV model, fixed before the comparison was run (``{level}``: the
chapter's ``compare_level``; ``{lo}``, ``{hi}``: :data:`TOTAL_RATIO_BOUNDS`). Poisson deviance is a proper score for a mean forecast of
heavy-tailed money (:mod:`~kuailive_analysis.ltv.scoring`); the total-ratio bounds
(:data:`TOTAL_RATIO_BOUNDS`) keep a well-ranking but badly scaled model from winning."""


def rule_check(level: float) -> str:
    """:data:`WINNER_RULE` in short, as the check of a finding."""
    lo, hi = TOTAL_RATIO_BOUNDS
    return (
        f"rule fixed before the holdout comparison: the {level:.0%} paired interval of the "
        f"Poisson-deviance difference to the best baseline below 0, total ratio within {lo:g} "
        f"to {hi:g}"
    )


def winner_rule(level: float) -> str:
    """:data:`WINNER_RULE` at the comparison's ``level``."""
    lo, hi = TOTAL_RATIO_BOUNDS
    return WINNER_RULE.format(level=level, lo=lo, hi=hi)


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
) -> tuple[pd.DataFrame, dict[str, str], dict[str, S.SupervisedForecast]]:
    """Forecasts of every method (columns, module docstring) of each user with a gifting day
    before ``cut`` (rows, index ``user_id``) for the value of ``[cut, cut + horizon)``, from
    days ``< cut`` only. ``fitted`` may pass already fitted ``{method: (model, gg,
    fallback)}`` pairs for this cut. Returns ``(forecasts, notes, supervised)``:
    ``notes[method]`` says why a method has no forecast (its column is then absent);
    ``supervised[method]`` is a supervised model's
    :class:`~kuailive_analysis.ltv.supervised.SupervisedForecast` (its training window's
    diagnostics)."""
    gift_days = user_day[(user_day["n_gifts"] > 0) & (user_day["day"] < cut)]
    gs = summarise(
        gift_days, calibration_days=cut, n_days=cut + horizon, value_col="gift_value"
    ).table
    x, tx, T = summary_arrays(gs)
    cols, notes, sup = {}, {}, {}
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
        for name, fc in (
            (GBM, S.gradient_boosting_forecast(X_tr, y_tr, X_ap, seed=seed)),
            (ZILN, S.ziln_forecast(X_tr, y_tr, X_ap)),
        ):
            cols[name], sup[name] = fc.forecast, fc
    except (ValueError, ConvergenceError) as e:
        notes[GBM] = notes[ZILN] = str(e)
    run_rate = gs["value_cal"].to_numpy(float) / cut * horizon
    cols[RUN_RATE] = run_rate
    cols[PAST_RATE] = E.past_rate_value(gs, float(horizon))
    cols[CONSTANT] = np.full(len(gs), run_rate.mean())
    cols[ZERO] = np.zeros(len(gs))
    out = pd.DataFrame(cols, index=gs.index)
    out.columns.name = "method"
    return out, notes, sup


@dataclass(frozen=True)
class Winner:
    """Outcome of :func:`pick_winner`: ``method`` (None when no model passes the rule),
    ``passing`` (the models that do), ``best`` (the model with the lowest deviance, winner or
    not), ``baseline`` (the best baseline), ``reason`` (in words, with the numbers)."""

    method: str | None
    passing: tuple[str, ...]
    best: str | None
    baseline: str
    reason: str


def best_baseline(scores: Scores) -> str:
    """The baseline with the lowest holdout deviance (:data:`PRIMARY`)."""
    dev = scores.estimate(PRIMARY)
    return min((b for b in BASELINES if b in dev.index), key=lambda b: dev[b])


def differences(scores: Scores, baseline: str) -> pd.DataFrame:
    """Each model's paired difference to ``baseline`` (model - baseline) in deviance, RMSE,
    normalized Gini and top-decile capture, with the interval: rows methods, columns
    ``(metric, "difference"|"low"|"high")``."""
    rows = {}
    for m in scores.table.index:
        if m == baseline:
            continue
        rows[m] = {
            (k, c): v
            for k in (PRIMARY, "RMSE", "norm_gini", "top10_capture")
            for c, v in scores.difference(k, m, baseline).items()
        }
    out = pd.DataFrame(rows).T
    out.index.name = "method"
    return out


def _passes(scores: Scores, m: str, baseline: str) -> bool:
    lo, hi = TOTAL_RATIO_BOUNDS
    ratio = scores.estimate("total_ratio")[m]
    return scores.difference(PRIMARY, m, baseline)["high"] < 0 and lo <= ratio <= hi


def pick_winner(scores: Scores) -> Winner:
    """Apply :data:`WINNER_RULE` to :func:`~kuailive_analysis.ltv.scoring.score` output."""
    base = best_baseline(scores)
    dev, ratio = scores.estimate(PRIMARY), scores.estimate("total_ratio")
    models = [m for m in MODELS if m in dev.index]
    if not models:
        return Winner(None, (), None, base, "No model could be fitted.")
    passing = tuple(m for m in models if _passes(scores, m, base))
    best = min(passing or models, key=lambda m: dev[m])
    d = scores.difference(PRIMARY, best, base)
    said = (
        f"a holdout Poisson deviance of {dev[best]:,.1f} against {dev[base]:,.1f} for the best "
        f"baseline, the {base.split(' (')[0]} (difference {d['difference']:+,.1f}, "
        f"{scores.level:.0%} paired interval {d['low']:+,.1f} to {d['high']:+,.1f}), and a "
        f"forecast of {ratio[best]:.2f} times the actual total"
    )
    if passing:
        others = [m for m in passing if m != best]
        also = f" (also passing: {', '.join(others)})" if others else ""
        return Winner(best, passing, best, base, f"{best} wins{also}: {said}.")
    return Winner(
        None, (), best, base, f"No model passes the rule. The best model, {best}, has {said}."
    )


@dataclass(frozen=True)
class Comparison:
    """The holdout comparison (:func:`compare`): ``forecasts`` (users x methods), ``actual``
    (holdout value per user), ``scores``, ``winner``, ``differences`` (each method's paired
    difference to the best baseline, :func:`differences`), ``deciles``, ``notes`` (methods
    without a forecast and why), ``supervised`` (the supervised models'
    :class:`~kuailive_analysis.ltv.supervised.SupervisedForecast`, with their training
    window's diagnostics), ``horizon`` (days), and the winner's
    ``forward`` forecast (value of each user with a gifting day in the whole window over the
    next ``horizon`` days; None without a winner)."""

    forecasts: pd.DataFrame
    actual: pd.Series
    scores: Scores
    winner: Winner
    differences: pd.DataFrame
    deciles: pd.DataFrame
    notes: dict
    horizon: int
    forward: pd.Series | None
    supervised: dict = field(default_factory=dict)


def per_user_value(c: Comparison, days: int) -> tuple[float, float, float] | None:
    r"""The winner's value per user over ``days`` days after the window (coins), corrected by
    its holdout total ratio :math:`r` (forecast / actual, interval :math:`[r_l, r_h]`): with
    :math:`\bar f` the mean of its ``forward`` forecast of the next ``horizon`` days,

    .. math::

        v = \frac{\bar f}{r} \frac{\text{days}}{\text{horizon}}, \qquad
        \Big[\frac{\bar f}{r_h} \frac{\text{days}}{\text{horizon}},\;
        \frac{\bar f}{r_l} \frac{\text{days}}{\text{horizon}}\Big]

    (each day worth an average day of the forecast week; a forecast that was 30% high on the
    holdout is taken to be 30% high again, within the interval of that ratio). ``(value, low,
    high)``; None without a winner."""
    if c.winner.method is None or c.forward is None or not len(c.forward):
        return None
    f = float(c.forward.mean()) * days / c.horizon
    t = c.scores.table.loc[c.winner.method]
    r, lo, hi = (float(t[("total_ratio", k)]) for k in ("estimate", "low", "high"))
    return f / r, (f / hi if hi > 0 else float("nan")), (f / lo if lo > 0 else float("inf"))


def compare(
    user_day: pd.DataFrame,
    users: pd.DataFrame | None,
    cut: int,
    horizon: int,
    *,
    end: int | None = None,
    fitted: dict | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Comparison:
    """Forecast the holdout ``[cut, cut + horizon)`` with every method, score, pick the winner
    and, with a winner and ``end`` (the number of observed days), forecast the value of the
    next ``horizon`` days after ``end`` with the winning method (refitted on all days)."""
    fc, notes, sup = value_forecasts(user_day, users, cut, horizon, fitted=fitted, seed=seed)
    actual = S.target_value(user_day, fc.index, cut, cut + horizon)
    scores = score(fc, actual, n_boot=n_boot, level=level, seed=seed)
    winner = pick_winner(scores)
    forward = None
    if winner.method is not None and end is not None:
        fw, _, _ = value_forecasts(user_day, users, end, horizon, seed=seed)
        forward = fw[winner.method] if winner.method in fw else None
    return Comparison(
        forecasts=fc,
        actual=actual,
        scores=scores,
        winner=winner,
        differences=differences(scores, winner.baseline),
        deciles=decile_calibration(fc, actual),
        notes=notes,
        horizon=int(horizon),
        forward=forward,
        supervised=sup,
    )
