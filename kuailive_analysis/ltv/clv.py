r"""Customer lifetime value from a fitted BG/NBD-type and Gamma-Gamma pair, with bootstrap
intervals.

**CLV** of customer :math:`i` over a horizon :math:`H` (model time units, here days) with the
per-unit discount rate :math:`d`, on the grid :math:`t_k = \min(k s, H)`, :math:`k = 1..K`,
:math:`K = \lceil H/s \rceil` (step :math:`s`):

.. math::

    \mathrm{CLV}_i(H) = E[Z_i \mid x_i, m_i] \sum_{k=1}^{K}
    \frac{E[Y_i(t_k)] - E[Y_i(t_{k-1})]}{(1+d)^{t_k}}, \qquad t_0 = 0,

which is :math:`E[Y_i(H)]\,E[Z_i]` for :math:`d = 0`. :math:`E[Y_i(t)]` is the conditional
expectation of the transaction model (:meth:`BaseBetaGeo.expected_purchases
<kuailive_analysis.ltv.base.BaseBetaGeo.expected_purchases>`), :math:`E[Z_i]` the Gamma-Gamma
expected value of a transaction (:meth:`GammaGamma.expected_spend
<kuailive_analysis.ltv.gamma_gamma.GammaGamma.expected_spend>`).

:func:`bootstrap_clv` resamples customers, refits both models and returns a
:class:`BootstrapCLV` (per-user intervals, replicate parameters, totals, failed replicates).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import percentile_interval
from kuailive_analysis.ltv.base import BaseBetaGeo, check_bgnbd_inputs
from kuailive_analysis.ltv.bgnbd import BetaGeo
from kuailive_analysis.ltv.gamma_gamma import GammaGamma, sample_mean_spend
from kuailive_analysis.ltv.numerics import ConvergenceError, as_array
from kuailive_analysis.ltv.summary import summary_arrays

__all__ = ["BootstrapCLV", "bootstrap_clv", "clv", "clv_table"]


def _expected_discounted_purchases(
    bg: BaseBetaGeo, x, tx, T, horizon: float, discount_rate: float, step: float
) -> np.ndarray:
    """Discounted expected transactions over (T, T+horizon], on distinct (x, t_x, T) rows."""
    ukey, inv = np.unique(np.column_stack([x, tx, T]), axis=0, return_inverse=True)
    ux, utx, uT = ukey[:, 0], ukey[:, 1], ukey[:, 2]
    if discount_rate == 0:
        vals = bg.expected_purchases(horizon, ux, utx, uT)
    else:
        n_steps = int(np.ceil(horizon / step - 1e-12))
        times = np.minimum(step * np.arange(1, n_steps + 1), horizon)
        cum = bg.expected_purchases(times[None, :], ux[:, None], utx[:, None], uT[:, None])
        inc = np.diff(np.concatenate([np.zeros((ux.size, 1)), cum], axis=1), axis=1)
        vals = inc @ (1.0 + discount_rate) ** (-times)
    return vals[inv.ravel()]


def clv(
    bg: BaseBetaGeo,
    gg: GammaGamma,
    frequency,
    recency,
    T,
    monetary,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    step: float = 1.0,
    fallback_mean: float | None = None,
) -> np.ndarray:
    r"""Expected discounted value over the next ``horizon`` time units, per customer (module
    docstring).

    Parameters
    ----------
    bg, gg : BaseBetaGeo, GammaGamma
        Fitted transaction and value models.
    frequency, recency, T, monetary : array-like
        Each customer's :math:`x, t_x, T` and mean value per repeat transaction.
    horizon : float
        :math:`H`, in the models' time unit.
    discount_rate : float
        :math:`d` per time unit (e.g. per day).
    step : float
        :math:`s`, the discounting grid.
    fallback_mean : float, optional
        Replaces an infinite expected value (:meth:`GammaGamma.expected_spend`).

    Returns
    -------
    ndarray
        :math:`\mathrm{CLV}_i(H)` per customer.
    """
    if horizon <= 0 or discount_rate < 0 or step <= 0:
        raise ValueError(
            f"horizon ({horizon!r}) and step ({step!r}) must be > 0 and "
            f"discount_rate ({discount_rate!r}) >= 0."
        )
    x, tx, t, _ = check_bgnbd_inputs(frequency, recency, T)
    n = _expected_discounted_purchases(bg, x, tx, t, horizon, discount_rate, step)
    return n * gg.expected_spend(x, as_array(monetary, "monetary"), fallback_mean=fallback_mean)


def clv_table(
    bg: BaseBetaGeo,
    gg: GammaGamma,
    summary: pd.DataFrame,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    fallback_mean: float | None = None,
) -> pd.DataFrame:
    """Per-user predictions from an :func:`~kuailive_analysis.ltv.summary.rfm_summary` frame.

    Returns
    -------
    DataFrame
        ``p_alive``, ``expected_purchases`` (over ``horizon``), ``expected_spend`` (per
        transaction) and ``clv`` (:func:`clv`), indexed like ``summary``.
    """
    x, tx, T = summary_arrays(summary)
    out = pd.DataFrame(index=summary.index)
    out["p_alive"] = bg.probability_alive(x, tx, T)
    out["expected_purchases"] = bg.expected_purchases(horizon, x, tx, T)
    out["expected_spend"] = gg.expected_spend(
        x, summary["monetary_cal"].to_numpy(float), fallback_mean=fallback_mean
    )
    out["clv"] = clv(
        bg,
        gg,
        x,
        tx,
        T,
        summary["monetary_cal"],
        horizon=horizon,
        discount_rate=discount_rate,
        fallback_mean=fallback_mean,
    )
    return out


@dataclass(frozen=True)
class BootstrapCLV:
    """Outcome of :func:`bootstrap_clv`: ``per_user`` (``clv``, the point estimate of the
    full-data fit, and ``clv_low``, ``clv_high``, the percentile interval at ``level``, indexed
    like the summary); ``replicates`` (one row per successful replicate: the 7 parameters and
    ``total_clv``); ``n_boot`` successful and ``n_failed`` dropped replicates; the cohort total
    and its interval; ``fallback_mean`` (the finite stand-in for an infinite Gamma-Gamma mean,
    or None); ``seconds`` of wall time."""

    per_user: pd.DataFrame
    replicates: pd.DataFrame
    level: float
    n_boot: int
    n_failed: int
    total_clv: float
    total_low: float
    total_high: float
    fallback_mean: float | None
    seconds: float


def bootstrap_clv(
    summary: pd.DataFrame,
    *,
    horizon: float,
    bg: BetaGeo | None = None,
    gg: GammaGamma | None = None,
    n_boot: int = 100,
    discount_rate: float = 0.0,
    level: float = 0.9,
    seed: int = 0,
    fallback: bool = True,
) -> BootstrapCLV:
    r"""Nonparametric bootstrap of the CLV of every customer of an RFM ``summary``.

    Customers are resampled with replacement (multinomial weights, ``seed``), BG/NBD and
    Gamma-Gamma refitted (with the penalizers of ``bg`` / ``gg``, fitted here when not given)
    and every customer's :func:`clv` recomputed. The intervals reflect *parameter* uncertainty
    of the expected CLV, not the customer's own randomness.

    Parameters
    ----------
    summary : DataFrame
        ``frequency_cal``, ``recency_cal``, ``T_cal``, ``monetary_cal`` per customer.
    horizon, discount_rate : float
        As :func:`clv`.
    n_boot : int
        Replicates; those whose fit fails (or gives a non-finite CLV) are dropped and counted.
    level : float
        Level of the percentile intervals.
    fallback : bool
        Replace an infinite Gamma-Gamma mean (:math:`q \le 1`) by the replicate's
        :func:`~kuailive_analysis.ltv.gamma_gamma.sample_mean_spend`.

    Returns
    -------
    BootstrapCLV
    """
    t0 = time.perf_counter()
    x, tx, T = summary_arrays(summary)
    m = summary["monetary_cal"].to_numpy(float)
    bg = bg if bg is not None else BetaGeo().fit(x, tx, T)
    gg = gg if gg is not None else GammaGamma().fit(x, m)
    c_bg, c_gg = getattr(bg, "penalizer_", 0.0), getattr(gg, "penalizer_", 0.0)
    fb = sample_mean_spend(x, m) if fallback else None
    point = clv(bg, gg, x, tx, T, m, horizon=horizon, discount_rate=discount_rate, fallback_mean=fb)
    rng = np.random.default_rng(seed)
    n = x.size
    rows, mats, failed = [], [], 0
    for b in range(n_boot):
        w = rng.multinomial(n, np.full(n, 1.0 / n)).astype(float)
        try:
            bgb = BetaGeo().fit(x, tx, T, weights=w, start=bg.params_, penalizer=c_bg)
            ggb = GammaGamma().fit(x, m, weights=w, start=gg.params_, penalizer=c_gg)
        except (ConvergenceError, ValueError):
            failed += 1
            continue
        fbb = sample_mean_spend(x, m, w) if fallback else None
        c = clv(
            bgb, ggb, x, tx, T, m, horizon=horizon, discount_rate=discount_rate, fallback_mean=fbb
        )
        if not np.all(np.isfinite(c)):  # e.g. a replicate with q <= 1 and no fallback
            failed += 1
            continue
        mats.append(c)
        rows.append({"boot": b, **bgb.params_, **ggb.params_, "total_clv": float(c.sum())})
    reps = pd.DataFrame(rows)
    M = np.vstack(mats) if mats else np.full((1, n), np.nan)
    lo, hi = percentile_interval(M, level, axis=0)
    per_user = pd.DataFrame({"clv": point, "clv_low": lo, "clv_high": hi}, index=summary.index)
    tot_lo, tot_hi = percentile_interval(M.sum(axis=1), level)
    return BootstrapCLV(
        per_user=per_user,
        replicates=reps,
        level=float(level),
        n_boot=len(mats),
        n_failed=failed,
        total_clv=float(point.sum()),
        total_low=float(tot_lo),
        total_high=float(tot_hi),
        fallback_mean=fb,
        seconds=time.perf_counter() - t0,
    )
