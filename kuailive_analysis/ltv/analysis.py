"""Chapter 4 in one call: :func:`analyse` fits, validates and values; the
:class:`~kuailive_analysis.ltv.result.LTVResult` holds it, one section per part of the chapter
(built here, one function per section).

The holdout is ``N_WINDOW_DAYS - calibration_days`` days long
(:data:`kuailive_analysis.core.calendar.N_WINDOW_DAYS`).
"""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core import stats
from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.dataset import Dataset
from kuailive_analysis.ltv import compare as C, evaluate as E, text
from kuailive_analysis.ltv.base import BaseBetaGeo
from kuailive_analysis.ltv.bgnbd import BetaGeo
from kuailive_analysis.ltv.clv import bootstrap_clv, clv_table
from kuailive_analysis.ltv.gamma_gamma import GammaGamma, sample_mean_spend
from kuailive_analysis.ltv.mbgnbd import ModifiedBetaGeo
from kuailive_analysis.ltv.params import Params
from kuailive_analysis.ltv.result import (
    Assumptions,
    Checks,
    Choice,
    Cohorts,
    Fits,
    LTVResult,
    Value,
    Watching,
)
from kuailive_analysis.ltv.summary import (
    TRANSACTION_DEFINITIONS,
    USER_DAY_COLUMNS,
    RFMSummary,
    repeat_transactions_by_day,
    summarise,
    transaction_tables,
)

__all__ = ["analyse", "watching_section"]

MAX_GRID_FREQUENCY = 12
"""Rows of the P(alive) / expected-transactions heat maps (frequencies 0..12 at most)."""


def analyse(ds: Dataset, params: Params | None = None, **overrides) -> LTVResult:
    """Chapter 4 on a dataset (its ``user_day`` panel and ``users`` table).

    Parameters
    ----------
    ds : Dataset
    params : Params, optional
        The chapter's parameters; ``overrides`` replace single fields.

    Returns
    -------
    LTVResult

    Raises
    ------
    RuntimeError
        When BG/NBD or Gamma-Gamma cannot be fitted to the gifting days.
    """
    p = Params.resolve(params, overrides)
    user_day, users = ds.table("user_day", list(USER_DAY_COLUMNS)), ds.table("users")
    gift_days, watch_days = transaction_tables(user_day)
    gift = summarise(gift_days, calibration_days=p.calibration_days, value_col="gift_value")
    watch = summarise(watch_days, calibration_days=p.calibration_days, value_col="watch_hours")
    gs = gift.table
    fits = _fits(gs)
    pairs = {C.BG: fits.bg, C.MBG: fits.mbg}
    comparison = C.compare(
        user_day,
        users,
        p.calibration_days,
        p.holdout_days,
        end=N_WINDOW_DAYS,
        fitted={k: (m, fits.gg, fits.fallback_mean) for k, m in pairs.items() if m is not None},
        n_boot=p.n_boot_compare,
        level=p.compare_level,
        seed=p.seed,
    )
    checks = _checks(p, fits, gs, repeat_transactions_by_day(gift_days, gs.index))
    watching = watching_section(watch, *BetaGeo.fit_summary(watch.table), p.max_freq)
    value = _value(p, fits, gs, comparison.winner)
    ltv_value = C.per_user_value(comparison, p.horizon_days)
    tenure = None
    if "tenure_days" in users:
        tenure = users.set_index("user_id")["tenure_days"].reindex(gs.index)
    return LTVResult(
        source=ds.source,
        params=p,
        titles=text.titles(checks, watching, comparison, value),
        cohorts=Cohorts(
            gift=gift,
            watch=watch,
            data_name=ds.source.label,
            def_gift=TRANSACTION_DEFINITIONS["gift"],
            def_watch=TRANSACTION_DEFINITIONS["watch"],
            last_cal_day=p.last_cal_day,
            holdout_days=p.holdout_days,
            n_gift_users=gift.n_users,
            share_gift_repeat=gift.share_repeat,
            n_gift_late=gift.n_users_first_in_holdout,
            n_watch_users=watch.n_users,
            share_watch_repeat=watch.share_repeat,
        ),
        fits=fits,
        checks=checks,
        choice=Choice(
            comparison=comparison,
            ltv_value=ltv_value,
            cmp_rule=C.winner_rule(p.compare_level),
            cmp_text=text.comparison(comparison),
            cmp_training=text.training(comparison, p.calibration_days),
            cmp_verdict=comparison.winner.reason,
            cmp_targeting=text.targeting(comparison, p.compare_level),
            cmp_forward=text.forward(comparison, p.horizon_days, ltv_value, p.compare_level),
            cmp_baseline=comparison.winner.baseline.split(" (")[0],
            n_boot_compare=p.n_boot_compare,
        ),
        watching=watching,
        value=value,
        assumptions=Assumptions(
            rec_intro=text.planted(ds.source.is_twin),
            rho_freq_value=E.frequency_value_spearman(gs),
            truncation_text=text.truncation(tenure, p.calibration_days),
            gg_q=fits.gg.params_["q"],
        ),
    )


def _fits(gs: pd.DataFrame) -> Fits:
    bg, bg_why = BetaGeo.fit_summary(gs)
    gg, gg_why = GammaGamma.fit_summary(gs)
    if bg is None or gg is None:
        raise RuntimeError(f"gifting models could not be fitted: {bg_why} {gg_why}")
    mbg, mbg_why = ModifiedBetaGeo.fit_summary(gs)
    fallback = sample_mean_spend(gs["frequency_cal"], gs["monetary_cal"])
    r, alpha, a, b = (bg.params_[k] for k in bg.param_names)
    return Fits(
        bg=bg,
        gg=gg,
        mbg=mbg,
        fallback_mean=fallback,
        bg_rate=r / alpha,
        bg_days_between=alpha / r,
        bg_dropout=a / (a + b),
        time_bg_fit_ms=bg.fit_seconds_ * 1000,
        time_gg_fit_ms=gg.fit_seconds_ * 1000,
        bg_ll=bg.log_likelihood_,
        gg_n=int(gg.n_customers_),
        bg_note=text.penalty(bg, "BG/NBD"),
        gg_note=text.penalty(gg, "Gamma-Gamma"),
        gg_mean_note=text.gg_mean(gg, fallback),
        mbg_text=text.mbg(mbg, bg, mbg_why),
    )


def _checks(p: Params, fits: Fits, gs: pd.DataFrame, repeats) -> Checks:
    bg = fits.bg
    forecasts = E.holdout_forecasts(gs, bg, fits.gg, fallback_mean=fits.fallback_mean)
    acc = E.score_forecasts(forecasts, gs)
    histogram = E.frequency_histogram(bg, gs, p.max_freq)
    tracking = E.tracking(bg, gs, repeats)
    hold = tracking.index >= p.calibration_days
    model, actual = tracking.loc[hold, "model"].sum(), tracking.loc[hold, "actual"].sum()
    grid_rows = min(p.grid_T, MAX_GRID_FREQUENCY)
    p_alive, expected = E.prediction_grids(bg, p.grid_T, p.holdout_days, max_x=grid_rows)
    fit_test = E.frequency_fit_test(histogram)
    return Checks(
        histogram=histogram,
        fit_test=fit_test,
        by_frequency=E.holdout_by_frequency(bg, gs, p.max_freq),
        tracking=tracking,
        p_alive_grid=p_alive,
        expected_grid=expected,
        forecasts=forecasts,
        accuracy=acc,
        days_ratio=E.ratio_interval(
            forecasts[("transactions", "BG/NBD")],
            gs["frequency_holdout"],
            n_boot=p.n_boot_compare,
            level=p.compare_level,
            seed=p.seed,
        ),
        fit_test_text=text.fit_test(fit_test),
        track_model_hold=model,
        track_actual_hold=actual,
        track_ratio=model / max(actual, 1),
        grid_T=p.grid_T,
        mae_bg=acc.loc[("transactions", "BG/NBD"), "MAE"],
        mae_past=acc.loc[("transactions", "past rate"), "MAE"],
        mae_pooled=acc.loc[("transactions", "pooled rate"), "MAE"],
        ratio_bg=acc.loc[("transactions", "BG/NBD"), "total_ratio"],
        dev_value_bg=acc.loc[("value", "BG/NBD x Gamma-Gamma"), "deviance"],
        dev_value_past=acc.loc[("value", "past rate x own mean"), "deviance"],
    )


def watching_section(
    watch: RFMSummary, model: BaseBetaGeo | None, reason: str, max_freq: int
) -> Watching:
    """Section 4.8, BG/NBD on watching days: ``model`` fitted to the ``watch`` summary (None
    when it could not be, for the ``reason``)."""
    acc = E.holdout_accuracy(model, watch.table)
    return Watching(
        model=model,
        histogram=None if model is None else E.frequency_histogram(model, watch.table, max_freq),
        accuracy=acc,
        watch_every_day=E.share_every_day(watch.table),
        watch_note=text.watch_fit(model, reason),
        watch_mae_bg=None if model is None else acc.loc[("transactions", "BG/NBD"), "MAE"],
        watch_mae_past=acc.loc[("transactions", "past rate"), "MAE"],
    )


def _value(p: Params, fits: Fits, gs: pd.DataFrame, winner: C.Winner) -> Value:
    bg, gg, horizon, rate = fits.bg, fits.gg, p.horizon_days, p.discount_rate_daily
    boot = bootstrap_clv(
        gs,
        horizon=horizon,
        bg=bg,
        gg=gg,
        n_boot=p.n_boot,
        discount_rate=rate,
        level=p.level,
        seed=p.seed,
    )
    preds = clv_table(
        bg, gg, gs, horizon=horizon, discount_rate=rate, fallback_mean=fits.fallback_mean
    )
    clv, value_cal, reps = boot.per_user["clv"], gs["value_cal"], boot.replicates
    return Value(
        bootstrap=boot,
        predictions=preds,
        top_users=E.top_users(gs, boot.per_user, preds, p.top_n),
        curves={
            "predicted CLV": stats.lorenz_curve(clv, n_points=None),
            "calibration value": stats.lorenz_curve(value_cal, n_points=None),
        },
        time_boot_s=boot.seconds,
        horizon=horizon,
        discount=rate,
        level=p.level,
        n_boot_ok=boot.n_boot,
        n_boot_failed=boot.n_failed,
        n_boot_degenerate=int((reps["q"] <= 1).sum()) if "q" in reps else 0,
        clv_status=text.clv_status(winner),
        clv_total=boot.total_clv,
        clv_total_lo=boot.total_low,
        clv_total_hi=boot.total_high,
        clv_median=float(clv.median()),
        clv_top1=stats.top_share(clv, 0.01),
        clv_top10=stats.top_share(clv, 0.10),
        clv_gini=stats.gini(clv),
        cal_top1=stats.top_share(value_cal, 0.01),
        cal_gini=stats.gini(value_cal),
    )
