r"""The BG/NBD family of repeat-transaction models: the shared base class.

While alive, a customer transacts as a Poisson process with rate :math:`\lambda`; at a coin flip
with probability :math:`p` they drop out for good. Across customers

.. math::

    \lambda \sim \operatorname{Gamma}(r, \text{rate } \alpha), \qquad
    p \sim \operatorname{Beta}(a, b), \quad \text{independently.}

A customer is summarised by :math:`x` (repeat transactions), :math:`t_x` (time of the last
one, from the first) and :math:`T` (time from the first transaction to the end of
observation), in one time unit (here days). The models differ only in where the coin is
flipped: :class:`~kuailive_analysis.ltv.bgnbd.BetaGeo` after each *repeat* transaction,
:class:`~kuailive_analysis.ltv.mbgnbd.ModifiedBetaGeo` also at the first. A customer alive at
:math:`T` has survived :math:`n` flips (:math:`n = x` or :math:`x + 1`); each subclass states
its likelihood, P(alive) and expectations, and gives the shifted arguments they share
(``_shifts``). :class:`BaseBetaGeo` holds the rest: the likelihood in the stable log-sum-exp
form with its analytic gradient, the maximum-likelihood fit (on the distinct
:math:`(x, t_x, T)` rows weighted by their counts, :mod:`~kuailive_analysis.ltv.numerics`) with
the ridge fallback, P(alive), the conditional expectation (through Euler's transformation,
whose terms stay bounded for large :math:`x`), the frequency distribution and the simulation.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from scipy import special, stats

from kuailive_analysis.ltv.numerics import (
    PENALIZERS,
    as_array,
    collapse,
    fit_with_ridge,
    maximise,
    penalised,
    store_fit,
)
from kuailive_analysis.ltv.summary import summary_arrays

__all__ = ["BaseBetaGeo", "check_bgnbd_inputs"]


def check_bgnbd_inputs(frequency, recency, T, weights=None):
    """Validate the inputs of a BG/NBD-type model.

    Returns
    -------
    tuple of ndarray
        ``(x, t_x, T, w)`` as float arrays (``w`` ones without ``weights``).

    Raises
    ------
    ValueError
        Naming the column and an offending value, for unequal lengths, missing, infinite or
        negative values, non-integer frequency, ``recency > T``, ``recency > 0`` with
        ``frequency == 0``, and negative weights.
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
    bad = tx > t + 1e-9 * np.maximum(1.0, t)
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


class BaseBetaGeo:
    """Base of the BG/NBD-type models (module docstring); use a subclass.

    Parameters
    ----------
    params : dict, optional
        ``{r, alpha, a, b}`` to predict without fitting.

    Attributes
    ----------
    params_ : dict
        The estimates (after :meth:`fit`). Also ``log_likelihood_`` (total, unpenalised),
        ``summary_`` (estimate, standard error and 95% log-Wald interval per parameter),
        ``se_``, ``cov_`` (of the log-parameters), ``penalizer_`` (0: plain maximum
        likelihood), ``n_customers_`` (total weight) and ``fit_seconds_``.
    """

    param_names = ("r", "alpha", "a", "b")
    model_name = ""
    dropout_at_first = False
    """Whether the dropout coin is also flipped at the first transaction."""

    def __init__(self, params: dict | None = None):
        self.params_ = dict(params) if params else None
        self.log_likelihood_ = None

    def _p(self):
        if self.params_ is None:
            raise ValueError(
                f"{type(self).__name__} is not fitted: call fit(frequency, recency, T) first."
            )
        return (self.params_[k] for k in self.param_names)

    @staticmethod
    def _shifts(r, a, b, x):
        """The subclass's shifted arguments ``(b+n, a+b+n, b+n-1, c, e, can_drop)``: ``c`` the
        third argument of the conditional expectation's hypergeometric function, ``e`` the first
        after Euler's transformation, ``can_drop`` where the customer can have dropped out at
        the last transaction."""
        raise NotImplementedError

    @staticmethod
    def _logaddexp(a3, a4):
        mx = np.maximum(a3, a4)
        return mx + np.log(np.exp(a3 - mx) + np.exp(a4 - mx))

    @classmethod
    def negative_log_likelihood(cls, theta, x, tx, T, w, grad: bool = True):
        r"""Mean negative log-likelihood and its gradient in ``theta = log([r, alpha, a, b])``
        over customer rows ``x, tx, T`` with weights ``w`` (``grad=False``: gradient None).

        With :math:`n` the flips a customer alive at :math:`T` has survived, the individual
        log-likelihood is :math:`A_1 + A_2 + \log(e^{A_3} + e^{A_4})`,

        .. math::

            A_1 &= \ln\Gamma(r+x) - \ln\Gamma(r) + r \ln\alpha, \qquad
            A_3 = -(r+x) \ln(\alpha+T), \\
            A_2 &= \ln\Gamma(a+b) + \ln\Gamma(b+n) - \ln\Gamma(b) - \ln\Gamma(a+b+n), \\
            A_4 &= \ln a - \ln(b+n-1) - (r+x) \ln(\alpha+t_x) \quad (n \ge 1, \text{ else }
            A_4 = -\infty);

        no term grows with :math:`x` faster than :math:`\ln\Gamma`, so large frequencies do not
        overflow.
        """
        r, alpha, a, b = np.exp(theta)
        bn, abn, den, _, _, can_drop = cls._shifts(r, a, b, x)
        a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        a2 = (
            special.gammaln(a + b) + special.gammaln(bn) - special.gammaln(b) - special.gammaln(abn)
        )
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.where(can_drop, np.log(a) - np.log(den) - (r + x) * np.log(alpha + tx), -np.inf)
        lse = cls._logaddexp(a3, a4)
        W = w.sum()
        val = -np.dot(w, a1 + a2 + lse) / W
        if not grad:
            return val, None
        w4 = np.exp(a4 - lse)  # posterior weight of "dropped out at t_x"
        w3 = 1.0 - w4
        dg = special.digamma
        d_r = dg(r + x) - dg(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + tx)
        d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx)
        d_a = dg(a + b) - dg(abn) + w4 / a
        d_b = dg(a + b) + dg(bn) - dg(b) - dg(abn) - w4 / den
        g = np.array(
            [np.dot(w, d_r) * r, np.dot(w, d_alpha) * alpha, np.dot(w, d_a) * a, np.dot(w, d_b) * b]
        )
        return val, -g / W

    def fit(self, frequency, recency, T, weights=None, *, start=None, penalizer=0.0, gtol=1e-5):
        r"""Maximum-likelihood fit to each customer's ``frequency`` :math:`x`, ``recency``
        :math:`t_x` and ``T`` (:func:`check_bgnbd_inputs`); returns ``self``.

        ``weights`` repeat customers (the bootstrap's multinomial weights); ``start`` gives
        start values (else three generic ones); ``gtol`` is the largest accepted gradient.
        ``penalizer`` :math:`c \ge 0` adds :math:`c \lVert\theta\rVert^2` to the mean negative
        log-likelihood (a ridge on the log-parameters): use it only when the plain maximum lies
        on the boundary (nobody seems to drop out: :math:`a \to 0` or :math:`a, b \to \infty`).
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
        nll = self.negative_log_likelihood
        res = maximise(
            penalised(lambda th: nll(th, x, tx, t, w), penalizer),
            starts,
            self.param_names,
            n_weight=W,
            model=self.model_name,
            gtol=gtol,
        )
        if penalizer:
            res.mean_nll = float(nll(res.theta, x, tx, t, w, grad=False)[0])
        store_fit(self, res, W)
        self.penalizer_ = float(penalizer)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    @classmethod
    def fit_summary(cls, summary: pd.DataFrame, penalizers=PENALIZERS):
        """Fit on an :func:`~kuailive_analysis.ltv.summary.rfm_summary` frame, unpenalised first,
        then with a growing ridge (:func:`~kuailive_analysis.ltv.numerics.fit_with_ridge`);
        returns ``(model or None, why the plain fit failed or "")``."""
        x, tx, T = summary_arrays(summary)
        return fit_with_ridge(lambda c: cls().fit(x, tx, T, penalizer=c), penalizers)

    # -- predictions ------------------------------------------------------------------------
    def _log_odds_dead(self, x, tx, T):
        r, alpha, a, b = self._p()
        _, _, den, _, _, can_drop = self._shifts(r, a, b, x)
        odds = np.log(a) - np.log(den) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return np.where(can_drop, odds, -np.inf)

    def probability_alive(self, frequency, recency, T):
        """P(alive at :math:`T` | :math:`x, t_x, T`) (the subclass gives the formula)."""
        x, tx, t = (np.asarray(v, float) for v in (frequency, recency, T))
        return special.expit(-self._log_odds_dead(x, tx, t))

    def expected_purchases(self, t, frequency, recency, T):
        r"""Expected transactions in :math:`(T, T+t]` given :math:`x, t_x, T` (broadcasts).

        Evaluated as :math:`\frac{c}{a-1}\,[1 - (1-z)^{a-1}\,{}_2F_1(e, a-1; c; z)]\,
        P(\text{alive})` with :math:`z = t / (\alpha + T + t)` (Euler's transformation of the
        subclass's formula); where that overflows (e.g. :math:`a, b \to \infty`) the direct
        form :math:`(1-z)^{r+x}\,{}_2F_1(r+x, b+n; c; z)` takes over.
        """
        r, alpha, a, b = self._p()
        t, x, tx, TT = np.broadcast_arrays(
            *(np.asarray(v, float) for v in (t, frequency, recency, T))
        )
        bn, _, _, c, e, _ = self._shifts(r, a, b, x)
        z = t / (alpha + TT + t)
        with np.errstate(all="ignore"):
            term = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(e, a - 1, c, z)
            bad = ~np.isfinite(term)
            if bad.any():
                zb = z[bad]
                term[bad] = np.exp((r + x[bad]) * np.log1p(-zb)) * special.hyp2f1(
                    r + x[bad], bn[bad], c[bad], zb
                )
            out = c / (a - 1) * (1.0 - term) * special.expit(-self._log_odds_dead(x, tx, TT))
        return np.where(t > 0, out, 0.0)

    def expected_purchases_new(self, t):
        """Unconditional expected repeat transactions of a new customer in :math:`(0, t]`."""
        raise NotImplementedError

    def probability_of_purchases(self, t, max_x: int) -> np.ndarray:
        r"""Distribution of the repeat transactions of a new customer over :math:`(0, t]`.

        .. math::

            P(X(t) = x) = \frac{B(a, b+n)}{B(a, b)} \operatorname{NB}(x; r, q)
            + [n \ge 1] \frac{B(a+1, b+n-1)}{B(a, b)} P(\operatorname{NB}(r, q) \ge x),
            \qquad q = \frac{\alpha}{\alpha + t}.

        Returns
        -------
        ndarray
            Shape ``(len(t), max_x + 1)``: :math:`P(X(t) = x)` for :math:`x = 0..`\ ``max_x``.
        """
        r, alpha, a, b = self._p()
        t = np.atleast_1d(np.asarray(t, float))[:, None]
        x = np.arange(max_x + 1, dtype=float)[None, :]
        bn, _, den, _, _, can_drop = self._shifts(r, a, b, x)
        q = alpha / (alpha + t)
        lb0 = special.betaln(a, b)
        p1 = np.exp(special.betaln(a, bn) - lb0) * stats.nbinom.pmf(x, r, q)
        tail = np.where(x > 0, stats.nbinom.sf(x - 1, r, q), 1.0)
        p2 = np.where(can_drop, np.exp(special.betaln(a + 1, den) - lb0) * tail, 0.0)
        return p1 + p2

    def expected_frequency_histogram(self, T, max_x: int) -> np.ndarray:
        r"""Expected customers with :math:`x = 0 .. \text{max\_x}-1` repeats and with
        :math:`\ge` ``max_x`` (last cell), each observed for their own ``T``:
        :math:`\sum_i P(X(T_i) = x)`."""
        Tv = as_array(T, "T")
        uniq, cnt = np.unique(Tv, return_counts=True)
        exp = cnt @ self.probability_of_purchases(uniq, max_x)
        out = exp[:max_x].copy()
        return np.r_[out, Tv.size - out.sum()]

    # -- simulation (parameter recovery, tests) ---------------------------------------------
    @classmethod
    def simulate(cls, params: dict, T, *, t_holdout: float = 0.0, rng=None) -> pd.DataFrame:
        """Simulate customers from the model in continuous time, each observed for their own
        ``T`` after a first transaction at time 0, plus a holdout :math:`(T, T + t_{hold}]`.

        Returns
        -------
        DataFrame
            ``frequency``, ``recency``, ``T``, ``frequency_holdout``, ``lam``, ``p`` and
            ``alive`` (alive at ``T``), one row per customer.
        """
        rng = np.random.default_rng(rng)
        T = np.asarray(T, float)
        n = T.size
        lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
        p = rng.beta(params["a"], params["b"], n)
        end = T + t_holdout
        now, rec = np.zeros(n), np.zeros(n)
        freq, hold = np.zeros(n, np.int64), np.zeros(n, np.int64)
        # alive and before the end of the holdout; alive at T
        active = rng.random(n) >= p if cls.dropout_at_first else np.ones(n, bool)
        alive_T = active.copy()
        while active.any():
            idx = np.flatnonzero(active)
            with np.errstate(divide="ignore"):
                now[idx] += rng.exponential(1.0, idx.size) / lam[idx]
            inside = now[idx] <= end[idx]
            active[idx[~inside]] = False
            idx = idx[inside]
            cal = now[idx] <= T[idx]
            freq[idx[cal]] += 1
            rec[idx[cal]] = now[idx[cal]]
            hold[idx[~cal]] += 1
            dropped = idx[rng.random(idx.size) < p[idx]]
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
