"""User lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model, from scratch.

**BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). While alive, a
customer transacts as a Poisson process with rate ``lambda``; after every transaction they
drop out for good with probability ``p``. Across customers ``lambda ~ Gamma(r, rate alpha)``
and ``p ~ Beta(a, b)``. A customer is summarised by ``x`` (repeat transactions), ``t_x``
(time of the last one, from the first) and ``T`` (time from the first transaction to the end
of observation). Individual log-likelihood, computed in the stable log-sum-exp form::

    A1 = lnG(r+x) - lnG(r) + r ln(alpha)
    A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x)
    A3 = -(r+x) ln(alpha+T)
    A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+t_x)          (only if x > 0)
    LL = A1 + A2 + logaddexp(A3, A4)                      (LL = A1 + A2 + A3 if x = 0)

No term grows with ``x`` faster than ``lnG``, so large frequencies do not overflow.

* ``P(alive | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))``.
* ``E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``
  (a new customer, ``t`` after the first transaction).
* ``E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
  2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * P(alive)``. We evaluate the bracket with Euler's
  transformation, ``(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z)``
  with ``c = a+b+x-1``, ``z = t/(alpha+T+t)``, whose terms stay bounded for large ``x``.
* ``P(X(t) = x)`` (FHL 2005 eq. 8) = ``B(a, b+x)/B(a, b) NB(x; r, alpha/(alpha+t))
  + [x>0] B(a+1, b+x-1)/B(a, b) * P(NB(r, alpha/(alpha+t)) >= x)``.

**Gamma-Gamma** (Fader, Hardie & Lee 2005 "RFM and CLV"; Fader & Hardie 2013 note). The
value of each transaction is ``Gamma(p, rate nu)``; across customers ``nu ~ Gamma(q, rate
gamma)``; spend is independent of the transaction process. For a customer with ``x >= 1``
repeat transactions of mean value ``m``::

    LL = lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln(m) + px ln(x)
         - (px+q) ln(gamma + m x)
    E[value | x, m] = p (gamma + m x) / (p x + q - 1)   (= p gamma / (q-1) for x = 0)

**CLV** over a horizon ``H`` (model time units, here days) with a per-unit discount rate
``d``: ``sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) E[value] / (1+d)^t_k`` over steps
``t_k = k * step``; with ``d = 0`` this is ``E[Y(H)] E[value]``.

Fitting: maximum likelihood on log-parameters (:mod:`kuailive_analysis.ltv_numerics`), on the
distinct ``(x, t_x, T)`` rows weighted by their counts (with day-level data there are only a
few hundred), with the analytic gradient. Inputs are arrays or Series in one time unit. An
optional ridge ``penalizer`` on the log-parameters handles data whose plain maximum lies on
the boundary (no visible dropout: ``a -> 0`` or ``a, b -> inf``; no within-user spread of
value: ``p -> inf``). When the Gamma-Gamma fit has ``q <= 1`` the population mean spend is
infinite; :func:`clv` then needs a ``fallback_mean`` for users without repeats.

Model-based simulators (:func:`simulate_bgnbd`, :func:`simulate_bgnbd_events`,
:func:`simulate_gamma_gamma`) serve the parameter-recovery tests and the chapter's checks.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy import special, stats

from kuailive_analysis.core.stats import percentile_interval
from kuailive_analysis.ltv_numerics import (  # noqa: F401  (re-exported)
    ConvergenceError,
    MLEResult,
    maximise,
    param_table,
)
from kuailive_analysis.ltv_summary import (  # noqa: F401  (re-exported)
    TRANSACTION_DEFINITIONS,
    repeat_transactions_by_day,
    rfm_summary,
    transaction_days,
)

__all__ = [
    "BetaGeo", "GammaGamma", "ConvergenceError", "clv", "clv_table", "bootstrap_clv",
    "rfm_summary", "transaction_days", "sample_mean_spend", "repeat_transactions_by_day",
    "TRANSACTION_DEFINITIONS",
    "simulate_bgnbd", "simulate_bgnbd_events", "simulate_gamma_gamma", "check_bgnbd_inputs",
]


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------
def _arr(values, name: str) -> np.ndarray:
    a = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=float)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {a.shape}.")
    return a


def check_bgnbd_inputs(frequency, recency, T, weights=None):
    """Validate and return ``(x, t_x, T, w)`` as float arrays.

    Raises ValueError (naming the column and an offending value) for unequal lengths,
    missing or infinite values, negative values, non-integer frequency, ``recency > T``,
    ``recency > 0`` with ``frequency == 0``, and negative weights.
    """
    x, tx, t = _arr(frequency, "frequency"), _arr(recency, "recency"), _arr(T, "T")
    if not (x.size == tx.size == t.size):
        raise ValueError(f"frequency, recency and T must have the same length; got {x.size}, "
                         f"{tx.size} and {t.size}.")
    if x.size == 0:
        raise ValueError("no customers: frequency, recency and T are empty.")
    for name, a in (("frequency", x), ("recency", tx), ("T", t)):
        bad = ~np.isfinite(a) | (a < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} has {int(bad.sum())} missing, infinite or negative "
                             f"value(s), e.g. {a[i]!r} at position {i}; it must be >= 0.")
    if np.any(x != np.round(x)):
        i = int(np.flatnonzero(x != np.round(x))[0])
        raise ValueError(f"frequency must count repeat transactions (whole numbers); position "
                         f"{i} has {x[i]!r}.")
    tol = 1e-9 * np.maximum(1.0, t)
    bad = tx > t + tol
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"recency > T for {int(bad.sum())} customer(s), e.g. position {i}: "
                         f"recency={tx[i]!r}, T={t[i]!r}. Recency (first to last transaction) "
                         "cannot exceed T (first transaction to end of observation).")
    bad = (x == 0) & (tx > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{int(bad.sum())} customer(s) have frequency 0 but recency > 0, e.g. "
                         f"position {i} (recency={tx[i]!r}); recency must be 0 without repeats.")
    if weights is None:
        w = np.ones(x.size)
    else:
        w = _arr(weights, "weights")
        if w.size != x.size or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite, >= 0, not all 0, one per customer.")
    return x, np.minimum(tx, t), t, w


def _penalised(fun, c: float):
    """Objective plus ``c * sum(theta^2)`` (ridge on log-parameters) and its gradient."""
    if c < 0:
        raise ValueError(f"penalizer must be >= 0; got {c!r}.")
    if c == 0:
        return fun

    def f(theta):
        v, g = fun(theta)
        return v + c * float(theta @ theta), g + 2 * c * theta
    return f


def _collapse(cols: list[np.ndarray], w: np.ndarray):
    """Distinct rows of the stacked columns with summed weights (drops zero weights)."""
    keep = w > 0
    stacked = np.column_stack([c[keep] for c in cols])
    uniq, inv = np.unique(stacked, axis=0, return_inverse=True)
    ww = np.bincount(inv.ravel(), weights=w[keep], minlength=uniq.shape[0])
    return [uniq[:, j] for j in range(uniq.shape[1])], ww


# ---------------------------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------------------------
def _bg_loglik(theta, x, tx, T, w, grad: bool = True):
    """Mean negative log-likelihood of BG/NBD and its gradient in log-parameters."""
    r, alpha, a, b = np.exp(theta)
    pos = x > 0
    xm = np.maximum(x, 1.0)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b)
          - special.gammaln(a + b + x))
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(pos, np.log(a) - np.log(b + xm - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    mx = np.maximum(a3, a4)
    lse = mx + np.log(np.exp(a3 - mx) + np.exp(a4 - mx))
    ll = a1 + a2 + lse
    W = w.sum()
    val = -np.dot(w, ll) / W
    if not grad:
        return val, None
    w4 = np.exp(a4 - lse)  # posterior weight of "dropped out at t_x"; 0 if x == 0
    w3 = 1.0 - w4
    dg = special.digamma
    d_r = dg(r + x) - dg(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + tx)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx)
    d_a = dg(a + b) - dg(a + b + x) + w4 / a
    d_b = dg(a + b) + dg(b + x) - dg(b) - dg(a + b + x) - w4 / (b + xm - 1)
    g = np.array([np.dot(w, d_r) * r, np.dot(w, d_alpha) * alpha,
                  np.dot(w, d_a) * a, np.dot(w, d_b) * b])
    return val, -g / W


def _store_fit(model, res: MLEResult, W: float) -> None:
    """Attach a fit's results to a model: ``params_`` (natural scale), ``log_likelihood_``,
    ``summary_`` (estimates, SEs, CIs), ``se_``, ``cov_`` (log-parameter covariance)."""
    model.result_ = res
    model.params_ = dict(zip(model.param_names, np.exp(res.theta).tolist()))
    model.log_likelihood_ = res.log_likelihood
    model.summary_ = param_table(model.param_names, res)
    model.se_ = model.summary_["se"].to_dict()
    model.cov_ = res.cov_theta
    model.n_customers_ = float(W)


class BetaGeo:
    """BG/NBD model. ``fit(frequency, recency, T)`` then predict; see the module docstring.

    After fitting: ``params_`` (dict r, alpha, a, b), ``log_likelihood_`` (total),
    ``summary_`` (estimate, se, 95% log-Wald interval per parameter), ``se_`` (dict),
    ``cov_`` (covariance of the log-parameters), ``n_customers_``, ``fit_seconds_``,
    ``result_`` (:class:`~kuailive_analysis.ltv_numerics.MLEResult`).
    """

    param_names = ("r", "alpha", "a", "b")

    def __init__(self, params: dict | None = None):
        self.params_ = dict(params) if params else None
        self.log_likelihood_ = None

    def _p(self):
        if self.params_ is None:
            raise ValueError("BetaGeo is not fitted: call fit(frequency, recency, T) first.")
        return (self.params_[k] for k in self.param_names)

    def fit(self, frequency, recency, T, weights=None, *, start=None, penalizer: float = 0.0,
            gtol: float = 1e-5):
        """Maximum-likelihood fit. ``weights`` (optional) repeat customers (bootstrap).

        ``penalizer`` ``c >= 0`` adds ``c * sum(log(param)^2)`` to the mean negative
        log-likelihood (a ridge on the log-parameters, shrinking them toward 1). Use it only
        when the plain MLE sits on the boundary (e.g. nobody seems to drop out, ``a, b -> inf``
        or ``a -> 0``); ``penalizer_`` records it and ``log_likelihood_`` stays unpenalised.
        """
        t0 = time.perf_counter()
        x, tx, t, w = check_bgnbd_inputs(frequency, recency, T, weights)
        (x, tx, t), w = _collapse([x, tx, t], w)
        W = w.sum()
        if start is not None:
            starts = [np.log([start[k] for k in self.param_names])]
        else:
            rate = max(np.dot(w, x) / max(np.dot(w, t), 1e-9), 1e-6)
            starts = [np.log([1.0, 1.0 / rate, 1.0, 3.0]),
                      np.log([0.3, 0.3 / rate, 0.8, 2.5]),
                      np.log([3.0, 3.0 / rate, 2.0, 10.0])]
        res = maximise(_penalised(lambda th: _bg_loglik(th, x, tx, t, w), penalizer), starts,
                       self.param_names, n_weight=W, model="BG/NBD", gtol=gtol)
        if penalizer:
            res.mean_nll = float(_bg_loglik(res.theta, x, tx, t, w, grad=False)[0])
        _store_fit(self, res, W)
        self.penalizer_ = float(penalizer)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    # -- predictions ----------------------------------------------------------------------
    def _log_odds_dead(self, x, tx, T):
        r, alpha, a, b = self._p()
        xm = np.maximum(x, 1.0)
        return np.where(x > 0, np.log(a) - np.log(b + xm - 1)
                        + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)), -np.inf)

    def probability_alive(self, frequency, recency, T):
        """P(still alive at T | x, t_x, T)."""
        x, tx, t = (np.asarray(v, float) for v in (frequency, recency, T))
        return special.expit(-self._log_odds_dead(x, tx, t))

    def expected_purchases(self, t, frequency, recency, T):
        """E[number of transactions in (T, T+t] | x, t_x, T] (broadcasts its arguments)."""
        r, alpha, a, b = self._p()
        t, x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in
                                             (t, frequency, recency, T)))
        z = t / (alpha + TT + t)
        c = a + b + x - 1
        with np.errstate(all="ignore"):
            # Euler form first; where it overflows (e.g. a, b -> inf) the direct form
            term = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
            bad = ~np.isfinite(term)
            if bad.any():
                zb = z[bad]
                term[bad] = (np.exp((r + x[bad]) * np.log1p(-zb))
                             * special.hyp2f1(r + x[bad], b + x[bad], c[bad], zb))
            out = c / (a - 1) * (1.0 - term) * special.expit(-self._log_odds_dead(x, tx, TT))
        return np.where(t > 0, out, 0.0)

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)]: repeat transactions of a new customer in (0, t]."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, float)
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        out = (a + b - 1) / (a - 1) * (1.0 - np.exp(r * np.log(alpha / (alpha + t))) * hyp)
        return np.where(t > 0, out, 0.0)

    def probability_of_purchases(self, t, max_x: int) -> np.ndarray:
        """P(X(t) = x) for x = 0..max_x: array of shape ``(len(t), max_x + 1)``."""
        r, alpha, a, b = self._p()
        t = np.atleast_1d(np.asarray(t, float))[:, None]
        x = np.arange(max_x + 1, dtype=float)[None, :]
        q = alpha / (alpha + t)
        lb0 = special.betaln(a, b)
        p1 = np.exp(special.betaln(a, b + x) - lb0) * stats.nbinom.pmf(x, r, q)
        p2 = np.where(x > 0, np.exp(special.betaln(a + 1, b + np.maximum(x, 1) - 1) - lb0)
                      * stats.nbinom.sf(x - 1, r, q), 0.0)
        return p1 + p2

    def expected_frequency_histogram(self, T, max_x: int) -> np.ndarray:
        """Expected number of customers with x = 0..max_x-1 repeats and >= max_x (last cell),
        each customer observed for their own ``T`` (sum of ``P(X(T_i) = x)``)."""
        Tv = _arr(T, "T")
        uniq, cnt = np.unique(Tv, return_counts=True)
        P = self.probability_of_purchases(uniq, max_x)
        exp = cnt @ P
        out = exp[:max_x].copy()
        return np.r_[out, Tv.size - out.sum()]


# ---------------------------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------------------------
def _gg_loglik(theta, x, m, w, grad: bool = True):
    p, q, g = np.exp(theta)
    px = p * x
    lgm = np.log(g + m * x)
    ll = (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(g)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * lgm)
    W = w.sum()
    val = -np.dot(w, ll) / W
    if not grad:
        return val, None
    dg = special.digamma
    d_p = x * (dg(px + q) - dg(px) + np.log(m) + np.log(x) - lgm)
    d_q = dg(px + q) - dg(q) + np.log(g) - lgm
    d_g = q / g - (px + q) / (g + m * x)
    gr = np.array([np.dot(w, d_p) * p, np.dot(w, d_q) * q, np.dot(w, d_g) * g])
    return val, -gr / W


def check_gg_inputs(frequency, monetary, weights=None):
    """Validate Gamma-Gamma inputs; return ``(x, m, w)`` for customers with ``x > 0``.

    Raises ValueError for unequal lengths, negative or non-integer frequency, negative or
    infinite monetary values, and customers with repeat transactions but no (missing or zero)
    monetary value.
    """
    x, m = _arr(frequency, "frequency"), _arr(monetary, "monetary")
    if x.size != m.size:
        raise ValueError(f"frequency and monetary must have the same length; got {x.size} and "
                         f"{m.size}.")
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"frequency must be a whole number >= 0; position {i} has {x[i]!r}.")
    neg = np.isfinite(m) & (m < 0) | np.isinf(m)
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise ValueError(f"monetary has {int(neg.sum())} negative or infinite value(s), e.g. "
                         f"{m[i]!r} at position {i}; spend per transaction must be >= 0.")
    pos = x > 0
    bad = pos & (np.isnan(m) | (m <= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} customer(s) have repeat transactions (frequency > 0) but no "
            f"monetary value (missing or 0), e.g. position {i}: frequency={x[i]:g}, "
            f"monetary={m[i]!r}. Gamma-Gamma needs the mean value of each repeat transaction.")
    w = np.ones(x.size) if weights is None else _arr(weights, "weights")
    if w.size != x.size or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite, >= 0, one per customer.")
    keep = pos & (w > 0)
    if keep.sum() == 0:
        raise ValueError("Gamma-Gamma needs customers with frequency > 0; there are none.")
    return x[keep], m[keep], w[keep]


class GammaGamma:
    """Gamma-Gamma spend model (see the module docstring). Fitted on customers with
    ``frequency > 0`` only (others carry no information); ``n_customers_`` says how many.

    After fitting: ``params_`` (dict p, q, gamma), ``log_likelihood_``, ``summary_``,
    ``se_``, ``cov_``, ``fit_seconds_``.
    """

    param_names = ("p", "q", "gamma")

    def __init__(self, params: dict | None = None):
        self.params_ = dict(params) if params else None
        self.log_likelihood_ = None

    def fit(self, frequency, monetary, weights=None, *, start=None, penalizer: float = 0.0,
            gtol: float = 1e-5):
        """Maximum-likelihood fit on customers with ``frequency > 0``; ``penalizer`` as in
        :meth:`BetaGeo.fit`."""
        t0 = time.perf_counter()
        x, m, w = check_gg_inputs(frequency, monetary, weights)
        (x, m), w = _collapse([x, m], w)
        W = w.sum()
        if start is not None:
            starts = [np.log([start[k] for k in self.param_names])]
        else:
            mbar = float(np.dot(w, m) / W)
            starts = [np.log([1.0, 3.0, 2.0 * mbar]), np.log([5.0, 3.0, 0.4 * mbar]),
                      np.log([0.5, 1.5, 0.1 * mbar])]
        res = maximise(_penalised(lambda th: _gg_loglik(th, x, m, w), penalizer), starts,
                       self.param_names, n_weight=W, model="Gamma-Gamma", gtol=gtol)
        if penalizer:
            res.mean_nll = float(_gg_loglik(res.theta, x, m, w, grad=False)[0])
        self.penalizer_ = float(penalizer)
        _store_fit(self, res, W)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def expected_spend(self, frequency, monetary, *, fallback_mean: float | None = None):
        """E[value per transaction | x, m] = p (gamma + m x) / (p x + q - 1).

        ``x = 0`` gives the population mean ``p gamma / (q - 1)`` (``monetary`` is ignored).
        When ``p x + q <= 1`` the model's mean is infinite (heavy-tailed spend across users,
        ``q <= 1``): such cells are ``inf``, or ``fallback_mean`` if given (e.g. the sample
        mean of ``monetary`` over repeat customers; the caller must say so).
        """
        if self.params_ is None:
            raise ValueError("GammaGamma is not fitted: call fit(frequency, monetary) first.")
        p, q, g = (self.params_[k] for k in self.param_names)
        x = np.asarray(frequency, float)
        m = np.where(x > 0, np.nan_to_num(np.asarray(monetary, float)), 0.0)
        den = p * x + q - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(den > 0, p * (g + m * x) / den, np.inf)
        if fallback_mean is not None:
            out = np.where(np.isfinite(out), out, float(fallback_mean))
        return out

    @property
    def mean_spend(self) -> float:
        """Population mean value per transaction, p gamma / (q - 1) (inf if q <= 1)."""
        p, q, g = (self.params_[k] for k in self.param_names)
        return p * g / (q - 1) if q > 1 else float("inf")


# ---------------------------------------------------------------------------------------------
# CLV
# ---------------------------------------------------------------------------------------------
def _expected_discounted_purchases(bg: BetaGeo, x, tx, T, horizon: float,
                                   discount_rate: float, step: float) -> np.ndarray:
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


def clv(bg: BetaGeo, gg: GammaGamma, frequency, recency, T, monetary, *, horizon: float,
        discount_rate: float = 0.0, step: float = 1.0,
        fallback_mean: float | None = None) -> np.ndarray:
    """Expected (discounted) value over the next ``horizon`` time units, per customer.

    ``discount_rate`` is per time unit (e.g. per day); ``step`` is the discounting grid;
    ``fallback_mean`` replaces an infinite expected spend (see
    :meth:`GammaGamma.expected_spend`).
    """
    if horizon <= 0 or discount_rate < 0 or step <= 0:
        raise ValueError(f"horizon ({horizon!r}) and step ({step!r}) must be > 0 and "
                         f"discount_rate ({discount_rate!r}) >= 0.")
    x, tx, t, _ = check_bgnbd_inputs(frequency, recency, T)
    n = _expected_discounted_purchases(bg, x, tx, t, horizon, discount_rate, step)
    return n * gg.expected_spend(x, _arr(monetary, "monetary"), fallback_mean=fallback_mean)


def clv_table(bg: BetaGeo, gg: GammaGamma, summary: pd.DataFrame, *, horizon: float,
              discount_rate: float = 0.0, fallback_mean: float | None = None) -> pd.DataFrame:
    """Per-user predictions from an :func:`rfm_summary` frame: ``p_alive``,
    ``expected_purchases`` (over ``horizon``), ``expected_spend`` (per transaction) and
    ``clv``, indexed like ``summary``."""
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency_cal", "recency_cal", "T_cal"))
    out = pd.DataFrame(index=summary.index)
    out["p_alive"] = bg.probability_alive(x, tx, T)
    out["expected_purchases"] = bg.expected_purchases(horizon, x, tx, T)
    out["expected_spend"] = gg.expected_spend(x, summary["monetary_cal"].to_numpy(float),
                                              fallback_mean=fallback_mean)
    out["clv"] = clv(bg, gg, x, tx, T, summary["monetary_cal"], horizon=horizon,
                     discount_rate=discount_rate, fallback_mean=fallback_mean)
    return out


def sample_mean_spend(frequency, monetary, weights=None) -> float:
    """Weighted sample mean of ``monetary`` over customers with ``frequency > 0``: the finite
    stand-in for the population mean spend when the Gamma-Gamma fit has ``q <= 1``."""
    x, m = _arr(frequency, "frequency"), _arr(monetary, "monetary")
    w = np.ones(x.size) if weights is None else _arr(weights, "weights")
    pos = (x > 0) & (w > 0)
    return float(np.dot(w[pos], m[pos]) / w[pos].sum()) if pos.any() else float("nan")


def bootstrap_clv(summary: pd.DataFrame, *, horizon: float, bg: BetaGeo | None = None,
                  gg: GammaGamma | None = None, n_boot: int = 100, discount_rate: float = 0.0,
                  level: float = 0.9, seed: int = 0, fallback: bool = True):
    """Nonparametric bootstrap of CLV: resample customers with replacement (multinomial
    weights), refit BG/NBD and Gamma-Gamma (same penalizers as ``bg`` / ``gg``; fitted here
    when not given), recompute every customer's CLV.

    With ``fallback=True`` an infinite Gamma-Gamma mean spend (``q <= 1``) is replaced by the
    replicate's :func:`sample_mean_spend`. The intervals reflect *parameter* uncertainty of
    the expected CLV, not the customer's own randomness. Returns ``(per_user, replicates)``:
    ``per_user`` has ``clv`` (point estimate from the full-data fit), ``clv_low``,
    ``clv_high`` (percentile interval at ``level``); its ``attrs`` hold ``total_clv``,
    ``total_low``, ``total_high``, ``n_boot`` (successful), ``n_failed``. ``replicates`` has one
    row per successful replicate with the 7 parameters and ``total_clv``. Replicates whose fit
    fails to converge (or gives a non-finite CLV) are dropped and counted.
    """
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency_cal", "recency_cal", "T_cal"))
    m = summary["monetary_cal"].to_numpy(float)
    bg = bg if bg is not None else BetaGeo().fit(x, tx, T)
    gg = gg if gg is not None else GammaGamma().fit(x, m)
    c_bg, c_gg = getattr(bg, "penalizer_", 0.0), getattr(gg, "penalizer_", 0.0)
    fb = sample_mean_spend(x, m) if fallback else None
    point = clv(bg, gg, x, tx, T, m, horizon=horizon, discount_rate=discount_rate,
                fallback_mean=fb)
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
        c = clv(bgb, ggb, x, tx, T, m, horizon=horizon, discount_rate=discount_rate,
                fallback_mean=fbb)
        if not np.all(np.isfinite(c)):  # e.g. a replicate with q <= 1 and no fallback
            failed += 1
            continue
        mats.append(c)
        rows.append({"boot": b, **bgb.params_, **ggb.params_, "total_clv": float(c.sum())})
    reps = pd.DataFrame(rows)
    reps.attrs["n_failed"] = failed
    M = np.vstack(mats) if mats else np.full((1, n), np.nan)
    lo, hi = percentile_interval(M, level, axis=0)
    per_user = pd.DataFrame({"clv": point, "clv_low": lo, "clv_high": hi}, index=summary.index)
    tot_lo, tot_hi = percentile_interval(M.sum(axis=1), level)
    per_user.attrs.update(level=level, n_boot=len(mats), n_failed=failed,
                          total_clv=float(point.sum()), total_low=float(tot_lo),
                          total_high=float(tot_hi), fallback_mean=fb)
    return per_user, reps


# ---------------------------------------------------------------------------------------------
# Simulation from the models (parameter recovery, tests)
# ---------------------------------------------------------------------------------------------
def simulate_bgnbd(params: dict, T, *, t_holdout: float = 0.0, rng=None) -> pd.DataFrame:
    """Simulate customers from BG/NBD with ``params`` (r, alpha, a, b), each observed for
    their own ``T`` after a first transaction at time 0, plus a holdout ``(T, T+t_holdout]``.

    Continuous time: a customer transacts at Poisson rate ``lambda ~ Gamma(r, rate alpha)``
    and after each transaction drops out with probability ``p ~ Beta(a, b)``. Returns
    ``frequency``, ``recency``, ``T``, ``frequency_holdout``, ``lam``, ``p``, ``alive`` (alive
    at T). Vectorised over customers, looping over transaction number.
    """
    rng = np.random.default_rng(rng)
    T = np.asarray(T, float)
    n = T.size
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    end = T + t_holdout
    now = np.zeros(n)
    freq = np.zeros(n, np.int64)
    rec = np.zeros(n)
    hold = np.zeros(n, np.int64)
    active = np.ones(n, bool)  # alive and before the end of the holdout
    alive_T = np.ones(n, bool)
    while active.any():
        idx = np.flatnonzero(active)
        with np.errstate(divide="ignore"):
            now[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        inside = now[idx] <= end[idx]
        done = idx[~inside]
        active[done] = False
        idx = idx[inside]
        cal = now[idx] <= T[idx]
        freq[idx[cal]] += 1
        rec[idx[cal]] = now[idx[cal]]
        hold[idx[~cal]] += 1
        drop = rng.random(idx.size) < p[idx]
        dropped = idx[drop]
        active[dropped] = False
        alive_T[dropped[now[dropped] <= T[dropped]]] = False
    return pd.DataFrame({"frequency": freq, "recency": rec, "T": T, "frequency_holdout": hold,
                         "lam": lam, "p": p, "alive": alive_T})


def simulate_gamma_gamma(params: dict, frequency, *, rng=None) -> np.ndarray:
    """Mean value of ``frequency`` transactions per customer under Gamma-Gamma
    (``nu ~ Gamma(q, rate gamma)``, mean of x values ~ ``Gamma(p x, rate nu x)``); 0 if x=0."""
    rng = np.random.default_rng(rng)
    x = np.asarray(frequency, float)
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], x.size)
    m = np.zeros(x.size)
    pos = x > 0
    m[pos] = rng.gamma(params["p"] * x[pos], 1.0 / (nu[pos] * x[pos]))
    return m


def simulate_bgnbd_events(params: dict, birth, end, *, dropout_at_birth: bool = False,
                          rng=None, max_rounds: int = 10_000):
    """Event-level BG/NBD simulation: transaction times of each customer, for discretisation
    and misspecification checks.

    Customer ``i`` makes a first transaction at ``birth[i]``, then transacts at Poisson rate
    ``lambda_i ~ Gamma(r, rate alpha)`` until ``end[i]`` (exclusive), dropping out after each
    *repeat* transaction with probability ``p_i ~ Beta(a, b)`` (BG/NBD). With
    ``dropout_at_birth=True`` the customer may also drop out right after the first
    transaction (the MBG/NBD variant of Batislam et al. 2007). Returns
    ``(customer_index, time)`` arrays, first transactions included, sorted by customer and time.
    """
    rng = np.random.default_rng(rng)
    birth = np.asarray(birth, float)
    end = np.broadcast_to(np.asarray(end, float), birth.shape)
    n = birth.size
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    idx, times = [np.arange(n)], [birth.copy()]
    t = birth.copy()
    alive = birth < end
    if dropout_at_birth:
        alive &= rng.random(n) >= p
    for _ in range(max_rounds):
        with np.errstate(divide="ignore"):
            t = t + rng.exponential(1.0, n) / lam
        alive &= t < end
        if not alive.any():
            break
        ii = np.flatnonzero(alive)
        idx.append(ii)
        times.append(t[ii])
        alive &= rng.random(n) >= p
    ci, tt = np.concatenate(idx), np.concatenate(times)
    order = np.lexsort((tt, ci))
    return ci[order], tt[order]
