"""The sentences of chapter 4 that depend on the data, and its figure titles: one function per
sentence, called once by :func:`~kuailive_analysis.ltv.analysis.analyse` (the chapter glues
what they return)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.ltv import compare as C
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
    """The holdout comparison of the value forecasts in words."""
    sc = c.scores
    mae, rmse = sc.estimate("MAE"), sc.estimate("RMSE")
    cap = sc.estimate("top10_capture")
    ranker = C.best_ranker(sc)
    text = (
        f"The {len(c.actual):,d} cohort users gave {c.actual.sum():,.0f} coins in the "
        f"{c.horizon}-day holdout; {float((c.actual == 0).mean()):.1%} of them gave nothing, so "
        f"the zero forecast has an MAE of {mae[C.ZERO]:,.1f} coins per user (the mean) and an "
        f"RMSE of {rmse[C.ZERO]:,.1f}. BG/NBD x Gamma-Gamma predicts "
        f"{sc.estimate('total_ratio')[C.BG]:.2f} times the actual total (MAE "
        f"{mae[C.BG]:,.1f}, RMSE {rmse[C.BG]:,.1f})."
    )
    if ranker is not None:
        text += (
            f" For ranking users, {ranker} does best: the 10% of users it ranks highest "
            f"gave {cap[ranker]:.1%} of the holdout value, against {cap[C.RUN_RATE]:.1%} "
            "for ranking by the run rate."
        )
    if c.notes:
        text += " " + " ".join(f"{m}: no forecast ({why})." for m, why in c.notes.items())
    return text


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
    m = C.best_ranker(comparison.scores)
    deciles = "Forecast deciles: mean predicted vs actual holdout value"
    if m is not None:
        top = comparison.deciles[comparison.deciles["method"] == m].iloc[-1]
        deciles = (
            f"Top decile of {m}: forecast {top['predicted']:,.0f}, "
            f"actual {top['actual']:,.0f} coins/user"
        )
    watch = ""
    if watching.histogram is not None:
        watch = (
            f"Users by repeat watching days: BG/NBD puts "
            f"{misallocation(watching.histogram):.1%} of users in the wrong bar"
        )
    return Titles(
        histogram="Users by repeat gifting days: BG/NBD puts "
        f"{checks.fit_test.misallocated:.1%} of users in the wrong bar",
        by_frequency="Holdout activity by calibration frequency: model vs naive rate",
        tracking="Repeat transactions tracked day by day; dotted line = calibration/holdout split",
        heatmaps="Recent, frequent users are alive and expected to come back most",
        deciles=deciles,
        watch_histogram=watch,
        clv="Predicted value is spread over orders of magnitude",
        concentration=f"The top 1% of users hold {value.clv_top1:.0%} of the predicted value",
    )
