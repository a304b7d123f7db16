"""The BG/NBD model of repeat transactions, from scratch (scipy).

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

Fitting: maximum likelihood on log-parameters (:mod:`kuailive_analysis.ltv.numerics`), on the
distinct ``(x, t_x, T)`` rows weighted by their counts (with day-level data there are only a
few hundred), with the analytic gradient. Inputs are arrays or Series in one time unit. An
optional ridge ``penalizer`` on the log-parameters handles data whose plain maximum lies on
the boundary (no visible dropout: ``a -> 0`` or ``a, b -> inf``).

Model-based simulators (:func:`simulate_bgnbd`, :func:`simulate_bgnbd_events`) serve the
parameter-recovery tests and the chapter's checks.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy import special, stats

from kuailive_analysis.ltv.numerics import (
    as_array,
    collapse,
    maximise,
    penalised,
    store_fit,
)

__all__ = ["BetaGeo", "check_bgnbd_inputs", "simulate_bgnbd", "simulate_bgnbd_events"]


# ---------------------------------------------------------------------------------------------
# Input checks and likelihood
# ---------------------------------------------------------------------------------------------
def check_bgnbd_inputs(frequency, recency, T, weights=None):
    """Validate and return ``(x, t_x, T, w)`` as float arrays.

    Raises ValueError (naming the column and an offending value) for unequal lengths,
    missing or infinite values, negative values, non-integer frequency, ``recency > T``,
    ``recency > 0`` with ``frequency == 0``, and negative weights.
    """
    x, tx, t = as_array(frequency, "frequency"), as_array(recency, "recency"), as_array(T, "T")
    if not (x.size == tx.size == t.size):
        raise ValueError(
            f"frequency, recency and T must have the same length; got {x.size}, "
            f"{tx.size} and {t.size}."
        )
    if x.size == 0:
        raise ValueError("no customers: frequency, recency and T are empty.")
    for name, a in (("frequency", x), ("recency", tx), ("T", t)):
        bad = ~np.isfinite(a) | (a < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name} has {int(bad.sum())} missing, infinite or negative "
                f"value(s), e.g. {a[i]!r} at position {i}; it must be >= 0."
            )
    if np.any(x != np.round(x)):
        i = int(np.flatnonzero(x != np.round(x))[0])
        raise ValueError(
            f"frequency must count repeat transactions (whole numbers); position {i} has {x[i]!r}."
        )
    tol = 1e-9 * np.maximum(1.0, t)
    bad = tx > t + tol
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"recency > T for {int(bad.sum())} customer(s), e.g. position {i}: "
            f"recency={tx[i]!r}, T={t[i]!r}. Recency (first to last transaction) "
            "cannot exceed T (first transaction to end of observation)."
        )
    bad = (x == 0) & (tx > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} customer(s) have frequency 0 but recency > 0, e.g. "
            f"position {i} (recency={tx[i]!r}); recency must be 0 without repeats."
        )
    if weights is None:
        w = np.ones(x.size)
    else:
        w = as_array(weights, "weights")
        if w.size != x.size or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("weights must be finite, >= 0, not all 0, one per customer.")
    return x, np.minimum(tx, t), t, w


def _bg_loglik(theta, x, tx, T, w, grad: bool = True):
    """Mean negative log-likelihood of BG/NBD and its gradient in log-parameters."""
    r, alpha, a, b = np.exp(theta)
    pos = x > 0
    xm = np.maximum(x, 1.0)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x)
        - special.gammaln(b)
        - special.gammaln(a + b + x)
    )
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
    g = np.array(
        [np.dot(w, d_r) * r, np.dot(w, d_alpha) * alpha, np.dot(w, d_a) * a, np.dot(w, d_b) * b]
    )
    return val, -g / W


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
class BetaGeo:
    """BG/NBD model. ``fit(frequency, recency, T)`` then predict; see the module docstring.

    After fitting: ``params_`` (dict r, alpha, a, b), ``log_likelihood_`` (total),
    ``summary_`` (estimate, se, 95% log-Wald interval per parameter), ``se_`` (dict),
    ``cov_`` (covariance of the log-parameters), ``n_customers_``, ``fit_seconds_``,
    ``result_`` (:class:`~kuailive_analysis.ltv.numerics.MLEResult`).
    """

    param_names = ("r", "alpha", "a", "b")
    model_name = "BG/NBD"

    @staticmethod
    def _loglik(theta, x, tx, T, w, grad: bool = True):
        return _bg_loglik(theta, x, tx, T, w, grad)

    def __init__(self, params: dict | None = None):
        self.params_ = dict(params) if params else None
        self.log_likelihood_ = None

    def _p(self):
        if self.params_ is None:
            raise ValueError("BetaGeo is not fitted: call fit(frequency, recency, T) first.")
        return (self.params_[k] for k in self.param_names)

    def fit(
        self,
        frequency,
        recency,
        T,
        weights=None,
        *,
        start=None,
        penalizer: float = 0.0,
        gtol: float = 1e-5,
    ):
        """Maximum-likelihood fit. ``weights`` (optional) repeat customers (bootstrap).

        ``penalizer`` ``c >= 0`` adds ``c * sum(log(param)^2)`` to the mean negative
        log-likelihood (a ridge on the log-parameters, shrinking them toward 1). Use it only
        when the plain MLE sits on the boundary (e.g. nobody seems to drop out, ``a, b -> inf``
        or ``a -> 0``); ``penalizer_`` records it and ``log_likelihood_`` stays unpenalised.
        """
        t0 = time.perf_counter()
        x, tx, t, w = check_bgnbd_inputs(frequency, recency, T, weights)
        (x, tx, t), w = collapse([x, tx, t], w)
        W = w.sum()
        if start is not None:
            starts = [np.log([start[k] for k in self.param_names])]
        else:
            rate = max(np.dot(w, x) / max(np.dot(w, t), 1e-9), 1e-6)
            starts = [
                np.log([1.0, 1.0 / rate, 1.0, 3.0]),
                np.log([0.3, 0.3 / rate, 0.8, 2.5]),
                np.log([3.0, 3.0 / rate, 2.0, 10.0]),
            ]
        res = maximise(
            penalised(lambda th: self._loglik(th, x, tx, t, w), penalizer),
            starts,
            self.param_names,
            n_weight=W,
            model=self.model_name,
            gtol=gtol,
        )
        if penalizer:
            res.mean_nll = float(self._loglik(res.theta, x, tx, t, w, grad=False)[0])
        store_fit(self, res, W)
        self.penalizer_ = float(penalizer)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    # -- predictions ----------------------------------------------------------------------
    def _log_odds_dead(self, x, tx, T):
        r, alpha, a, b = self._p()
        xm = np.maximum(x, 1.0)
        return np.where(
            x > 0,
            np.log(a) - np.log(b + xm - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)),
            -np.inf,
        )

    def probability_alive(self, frequency, recency, T):
        """P(still alive at T | x, t_x, T)."""
        x, tx, t = (np.asarray(v, float) for v in (frequency, recency, T))
        return special.expit(-self._log_odds_dead(x, tx, t))

    def expected_purchases(self, t, frequency, recency, T):
        """E[number of transactions in (T, T+t] | x, t_x, T] (broadcasts its arguments)."""
        r, alpha, a, b = self._p()
        t, x, tx, TT = np.broadcast_arrays(
            *(np.asarray(v, float) for v in (t, frequency, recency, T))
        )
        z = t / (alpha + TT + t)
        c = a + b + x - 1
        with np.errstate(all="ignore"):
            # Euler form first; where it overflows (e.g. a, b -> inf) the direct form
            term = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, c, z)
            bad = ~np.isfinite(term)
            if bad.any():
                zb = z[bad]
                term[bad] = np.exp((r + x[bad]) * np.log1p(-zb)) * special.hyp2f1(
                    r + x[bad], b + x[bad], c[bad], zb
                )
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
        p2 = np.where(
            x > 0,
            np.exp(special.betaln(a + 1, b + np.maximum(x, 1) - 1) - lb0)
            * stats.nbinom.sf(x - 1, r, q),
            0.0,
        )
        return p1 + p2

    def expected_frequency_histogram(self, T, max_x: int) -> np.ndarray:
        """Expected number of customers with x = 0..max_x-1 repeats and >= max_x (last cell),
        each customer observed for their own ``T`` (sum of ``P(X(T_i) = x)``)."""
        Tv = as_array(T, "T")
        uniq, cnt = np.unique(Tv, return_counts=True)
        P = self.probability_of_purchases(uniq, max_x)
        exp = cnt @ P
        out = exp[:max_x].copy()
        return np.r_[out, Tv.size - out.sum()]


# ---------------------------------------------------------------------------------------------
# Simulation from the model (parameter recovery, tests)
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
    return pd.DataFrame(
        {
            "frequency": freq,
            "recency": rec,
            "T": T,
            "frequency_holdout": hold,
            "lam": lam,
            "p": p,
            "alive": alive_T,
        }
    )


def simulate_bgnbd_events(
    params: dict, birth, end, *, dropout_at_birth: bool = False, rng=None, max_rounds: int = 10_000
):
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
