"""The sentences of chapter 4 that depend on the data, and its figure titles: one function per
sentence, called once by :func:`~kuailive_analysis.ltv.analysis.analyse` (the chapter glues
what they return)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.ltv import compare as C, supervised as S
from kuailive_analysis.ltv.evaluate import FitTest, misallocation
from kuailive_analysis.ltv.result import Titles

INTERIOR = "The fit is an interior maximum (no penalty)."


def penalty(model, name: str, plain: str = INTERIOR) -> str:
    """Why a fit carries a ridge penalty, in words (no optimiser trace); ``plain`` for a plain
    fit."""
    c = model.penalizer_
    if not c:
        return plain
    return (
        f"The unpenalised {name} fit has no interior maximum (the likelihood keeps rising "
        "towards the edge of the parameter space, e.g. when the data show almost no dropout), "
        f"so the fit adds a small ridge penalty ({c:g}) on the log-parameters."
    )


def gg_mean(gg, fallback_mean: float) -> str:
    """What the Gamma-Gamma population mean is, or why users without repeats get the sample
    mean instead."""
    if np.isfinite(gg.mean_spend):
        return f"The model's population mean value per gifting day is {gg.mean_spend:,.1f} coins."
    return (
        f"The fitted q = {gg.params_['q']:.2f} is at most 1: between users, value "
        "per gifting day is so heavy-tailed that the model's population mean is infinite. "
        "Users without a repeat gifting day therefore get the sample mean over repeat "
        f"gifters, {fallback_mean:,.1f} coins, as their expected value."
    )


def mbg(mbg, bg, reason: str) -> str:
    """The MBG/NBD fit in words, next to BG/NBD's (or why it failed)."""
    if mbg is None:
        return f"MBG/NBD could not be fitted: {reason}"
    pm, pb = mbg.params_, bg.params_
    text = (
        f"MBG/NBD (BG/NBD plus a chance to leave right after the first gift) gives a mean "
        f"dropout of {pm['a'] / (pm['a'] + pm['b']):.1%} per gifting day (BG/NBD: "
        f"{pb['a'] / (pb['a'] + pb['b']):.1%}) and a log-likelihood of "
        f"{mbg.log_likelihood_:,.1f} (BG/NBD: {bg.log_likelihood_:,.1f}). "
    )
    return text + penalty(mbg, "MBG/NBD", plain="")


def fit_test(t: FitTest) -> str:
    """The chi-square test of the frequency histogram in words."""
    return (
        f"The model puts {t.misallocated:.1%} of users in the wrong bar; a Pearson "
        f"chi-square test (cells pooled to at least 5 expected users) gives "
        f"{t.statistic:,.1f} on {t.df} degrees of freedom, p = {t.p_value:.3g}"
        + (
            ": the differences are larger than chance."
            if t.p_value < 0.05
            else ": the differences are within chance."
        )
    )


def comparison(c: C.Comparison) -> str:
    """Why the holdout comparison is scored by Poisson deviance, in numbers: how much of the
    squared error a single user carries."""
    y = c.actual.to_numpy(float)
    sq = np.sort(y**2)[::-1]
    rmse = c.scores.estimate("RMSE")
    return (
        f"The {y.size:,d} cohort users gave {y.sum():,.0f} coins in the {c.horizon}-day "
        f"holdout; {float((y == 0).mean()):.1%} of them gave nothing. The user who gave most "
        f"({y.max():,.0f} coins) makes up {sq[0] / sq.sum():.0%} of the zero forecast's squared "
        f"error, the top 5 users {sq[:5].sum() / sq.sum():.0%}: RMSE is decided by a handful of "
        f"users (zero scores {rmse[C.ZERO]:,.1f}, the constant mean {rmse[C.CONSTANT]:,.1f}), so "
        "it is shown with and without that user but does not choose the model."
    )


def training(c: C.Comparison, cut: int) -> str:
    """How the supervised models were trained and balanced on their training window."""
    gbm, ziln = c.supervised.get(C.GBM), c.supervised.get(C.ZILN)
    if gbm is None or ziln is None:
        return " ".join(f"{m}: no forecast ({why})." for m, why in c.notes.items())
    tc, h = cut - c.horizon, c.horizon
    return (
        f"The two supervised models learn from days 0 to {tc - 1} (features) and the value of days {tc} to "
        f"{cut - 1} ({gbm.n_train:,d} users, {gbm.train_mean:,.1f} coins per user), then "
        f"forecast days {cut} to {cut + h - 1} from days 0 to {cut - 1}. Their features do not "
        f"grow with the window: rates per day, the last {h} days, and recencies capped at "
        f"{tc} days. Poisson gradient boosting trains on the target capped at its "
        f"{S.TARGET_CAP_QUANTILE:.1%} quantile ({gbm.target_cap:,.0f} coins); capped, it "
        f"forecasts {gbm.train_total_ratio:.2f} times its training users' actual total, so its "
        f"forecasts are scaled by {gbm.balance:.2f}. The zero-inflated lognormal's mean "
        f"exp(μ + σ²/2), with a user-level variance of log value σ² = "
        f"{ziln.log_variance:.2f} (a mean {np.exp(ziln.log_variance / 2):.1f} times the median), "
        f"forecasts {ziln.train_total_ratio:.2f} times its own training total, so it is scaled "
        f"by {ziln.balance:.2f}."
    )


def targeting(c: C.Comparison, level: float) -> str:
    """The ranking of users by the winner against the run rate, or why there is none."""
    m = c.winner.method
    if m is None:
        return (
            "No model passes the rule, so this chapter recommends no model for ranking users "
            "either."
        )
    cap = c.scores.estimate("top10_capture")
    d = c.scores.difference("top10_capture", m, C.RUN_RATE)
    return (
        f"The 10% of users {m} ranks highest gave {cap[m]:.1%} of the holdout value; the 10% "
        f"with the highest run rate gave {cap[C.RUN_RATE]:.1%} (difference "
        f"{d['difference'] * 100:+.1f} points, {level:.0%} paired interval "
        f"{d['low'] * 100:+.1f} to {d['high'] * 100:+.1f})."
    )


def forward(c: C.Comparison, days: int, value: tuple | None, level: float) -> str:
    """The winner's value per user over ``days`` days after the window, or why there is none
    (``value``: :func:`~kuailive_analysis.ltv.compare.per_user_value`)."""
    if value is None:
        return (
            "No model passes the rule, so this chapter states no value per user: what a "
            "gifting user is worth over the next month stays an open question."
        )
    v, lo, hi = value
    m = c.winner.method
    ratio = c.scores.estimate("total_ratio")[m]
    return (
        f"Refitted on all days, {m} forecasts the value of the {len(c.forward):,d} users who "
        f"gifted in the window over the next {c.horizon} days; divided by its holdout total "
        f"ratio ({ratio:.2f}) and counted over {days} days, that is {v:,.1f} coins per user "
        f"({lo:,.1f} to {hi:,.1f}, from the {level:.0%} interval of the ratio). The {days} "
        f"days are counted at the rate of the first {c.horizon}: the holdout checked "
        f"{c.horizon}-day forecasts, not how value declines over a month."
    )


def watch_fit(model, reason: str) -> str:
    """The BG/NBD fit on watching days in words (or why it failed)."""
    if model is None:
        return f"The fit fails: {reason}"
    pw = model.params_
    text = (
        f"The fit gives r = {pw['r']:.3g} and alpha = {pw['alpha']:.3g}: a mean rate of "
        f"{pw['r'] / pw['alpha']:.2f} watching days per day, and a mean dropout of "
        f"{pw['a'] / (pw['a'] + pw['b']):.1%} per watching day. "
    )
    return text + penalty(model, "BG/NBD", plain="")


def clv_status(winner: C.Winner) -> str:
    """Whether the CLV is a validated forecast (only when BG/NBD x Gamma-Gamma wins the
    holdout comparison)."""
    if winner.method == C.BG:
        return "BG/NBD x Gamma-Gamma wins the holdout comparison (section 4.7)."
    return (
        "These values are BG/NBD x Gamma-Gamma's, which does not win the holdout "
        "comparison (section 4.7): read them as what the model says, not as a validated "
        "forecast; they are not a headline of this book."
    )


def planted(is_twin: bool) -> str:
    """Why there is no planted process to recover (no twin plants BG/NBD gifting)."""
    if is_twin:
        return (
            "This twin plants no BG/NBD process: its gifts follow ordinary clicks (a gift "
            "probability per click that grows with the watch time; see the fidelity "
            "appendix), so there are no planted BG/NBD parameters to recover, and the "
            "holdout comparison above is the only check of the model."
        )
    return "This data folder is not a synthetic twin, so there is no planted truth to recover."


def truncation(tenure_days: pd.Series | None, calibration_days: int) -> str:
    """Left truncation in words: the cohort's account age at the window start."""
    ten = None if tenure_days is None else tenure_days.dropna()
    if ten is None or ten.empty:
        return "The data has no registration dates, so we cannot say how old the accounts are."
    return (
        f"The median cohort user registered {ten.median():,.0f} days before the window "
        f"opened, and {(ten > calibration_days).mean():.1%} of them more than "
        f"{calibration_days} days before it."
    )


def titles(checks, watching, comparison: C.Comparison, value) -> Titles:
    """The figure titles of chapter 4 from the result's sections
    (:class:`~kuailive_analysis.ltv.result.Titles`)."""
    dec = comparison.deciles
    m = comparison.winner.method or comparison.winner.best
    lost = "" if comparison.winner.method else " (no winner)"
    deciles = "Forecast deciles: mean forecast vs actual holdout value"
    cap = comparison.scores.estimate("top10_capture")
    ranking = f"Top 10% by run rate: {cap[C.RUN_RATE]:.0%}"
    if m is not None:
        top = dec[dec["method"] == m].iloc[-1]
        deciles = (
            f"Top decile of {m}{lost}: forecast {top['predicted']:,.0f}, "
            f"actual {top['actual']:,.0f} coins"
        )
        ranking = f"Top 10% by {m}{lost}: {cap[m]:.0%}; by run rate: {cap[C.RUN_RATE]:.0%}"
    watch = ""
    if watching.histogram is not None:
        watch = (
            f"Users by repeat watching days: BG/NBD puts "
            f"{misallocation(watching.histogram):.1%} of users in the wrong bar"
        )
    return Titles(
        histogram="Users by repeat gifting days: BG/NBD puts "
        f"{checks.fit_test.misallocated:.1%} of users in the wrong bar",
        by_frequency="Holdout gifting days by calibration frequency: actual, BG/NBD, past rate",
        tracking="Repeat gifting days day by day: actual vs BG/NBD; dotted line = end of "
        "calibration",
        heatmaps="P(alive) and expected gifting days by frequency and recency (T = "
        f"{checks.grid_T} days)",
        deciles=deciles,
        ranking=ranking,
        watch_histogram=watch,
        clv="Predicted BG/NBD x Gamma-Gamma value per user and the top users",
        concentration=f"The top 1% of users hold {value.clv_top1:.0%} of the predicted value",
    )
