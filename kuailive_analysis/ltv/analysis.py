"""Chapter 4 in one call: :func:`analyse` fits, validates and values; the
:class:`~kuailive_analysis.ltv.result.LTVResult` holds it, section by section.

The holdout is ``N_WINDOW_DAYS - calibration_days`` days long
(:data:`kuailive_analysis.core.calendar.N_WINDOW_DAYS`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core import stats
from kuailive_analysis.core.calendar import N_WINDOW_DAYS
from kuailive_analysis.dataset import Dataset
from kuailive_analysis.ltv import compare as C, evaluate as E, text
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

__all__ = ["analyse", "watching"]

MAX_GRID_FREQUENCY = 12
"""Rows of the P(alive) / expected-transactions heat maps (frequencies 0..12 at most)."""


def analyse(ds: Dataset, params: Params | None = None, **overrides) -> LTVResult:
    """Chapter 4 on a dataset.

    Parameters
    ----------
    ds : Dataset
        The data (its ``user_day`` panel and ``users`` table).
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
    bg, bg_why = BetaGeo.fit_summary(gs)
    gg, gg_why = GammaGamma.fit_summary(gs)
    if bg is None or gg is None:
        raise RuntimeError(f"gifting models could not be fitted: {bg_why} {gg_why}")
    mbg, mbg_why = ModifiedBetaGeo.fit_summary(gs)
    fallback = sample_mean_spend(gs["frequency_cal"], gs["monetary_cal"])
    fitted = {C.BG: (bg, gg, fallback)} | ({C.MBG: (mbg, gg, fallback)} if mbg else {})
    comparison = C.compare(
        user_day,
        users,
        p.calibration_days,
        p.holdout_days,
        end=N_WINDOW_DAYS,
        fitted=fitted,
        n_boot=p.n_boot_compare,
        level=p.compare_level,
        seed=p.seed,
    )
    checks = _checks(p, bg, gs, repeat_transactions_by_day(gift_days, gs.index), fallback, gg)
    watching_ = watching(watch, *BetaGeo.fit_summary(watch.table), p.max_freq)
    value = _value(p, bg, gg, gs, fallback, comparison.winner)
    tenure = (
        users.set_index("user_id")["tenure_days"].reindex(gs.index)
        if "tenure_days" in users
        else None
    )
    return LTVResult(
        source=ds.source,
        params=p,
        titles=text.titles(
            checks.fit_test.misallocated,
            None
            if watching_.histogram is None
            else E.frequency_fit_test(watching_.histogram).misallocated,
            comparison,
            value.clv_top1,
        ),
        cohorts=_cohorts(p, ds, gift, watch),
        fits=Fits(
            bg=bg,
            gg=gg,
            mbg=mbg,
            fallback_mean=fallback,
            bg_rate=bg.params_["r"] / bg.params_["alpha"],
            bg_days_between=bg.params_["alpha"] / bg.params_["r"],
            bg_dropout=bg.params_["a"] / (bg.params_["a"] + bg.params_["b"]),
            time_bg_fit_ms=bg.fit_seconds_ * 1000,
            time_gg_fit_ms=gg.fit_seconds_ * 1000,
            bg_ll=bg.log_likelihood_,
            gg_n=int(gg.n_customers_),
            bg_note=text.penalty(bg, "BG/NBD"),
            gg_note=text.penalty(gg, "Gamma-Gamma"),
            gg_mean_note=text.gg_mean(gg, fallback),
            mbg_text=text.mbg(mbg, bg, mbg_why),
        ),
        checks=checks,
        choice=Choice(
            comparison=comparison,
            cmp_rule=C.WINNER_RULE,
            cmp_text=text.comparison(comparison),
            cmp_verdict=comparison.winner.reason,
        ),
        watching=watching_,
        value=value,
        assumptions=Assumptions(
            rec_intro=text.planted(ds.source.is_twin),
            rho_freq_value=E.frequency_value_spearman(gs),
            truncation_text=text.truncation(tenure, p.calibration_days),
            gg_q=gg.params_["q"],
        ),
    )


def _cohorts(p: Params, ds: Dataset, gift: RFMSummary, watch: RFMSummary) -> Cohorts:
    return Cohorts(
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
    )


def _checks(p: Params, bg, gs: pd.DataFrame, repeats: np.ndarray, fallback: float, gg) -> Checks:
    forecasts = E.holdout_forecasts(gs, bg, gg, fallback_mean=fallback)
    acc = E.score_forecasts(forecasts, gs)
    histogram = E.frequency_histogram(bg, gs, p.max_freq)
    tracking = E.tracking(bg, gs, repeats)
    hold = tracking.index >= p.calibration_days
    model, actual = tracking.loc[hold, "model"].sum(), tracking.loc[hold, "actual"].sum()
    p_alive, expected = E.prediction_grids(
        bg, p.grid_T, p.holdout_days, max_x=min(p.grid_T, MAX_GRID_FREQUENCY)
    )
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
        mae_value_bg=acc.loc[("value", "BG/NBD x Gamma-Gamma"), "MAE"],
        mae_value_past=acc.loc[("value", "past rate x own mean"), "MAE"],
    )


def watching(watch: RFMSummary, model: BetaGeo | None, reason: str, max_freq: int) -> Watching:
    """Section 4.8: BG/NBD on watching days (``model`` None when it could not be fitted, with
    the ``reason``)."""
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


def _value(p: Params, bg, gg, gs: pd.DataFrame, fallback: float, winner: C.Winner) -> Value:
    boot = bootstrap_clv(
        gs,
        horizon=p.horizon_days,
        bg=bg,
        gg=gg,
        n_boot=p.n_boot,
        discount_rate=p.discount_rate_daily,
        level=p.level,
        seed=p.seed,
    )
    preds = clv_table(
        bg,
        gg,
        gs,
        horizon=p.horizon_days,
        discount_rate=p.discount_rate_daily,
        fallback_mean=fallback,
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
        horizon=p.horizon_days,
        discount=p.discount_rate_daily,
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
