"""The Gamma-Gamma model of the value per transaction, from scratch (scipy).

**Gamma-Gamma** (Fader, Hardie & Lee 2005 "RFM and CLV"; Fader & Hardie 2013 note). The
value of each transaction is ``Gamma(p, rate nu)``; across customers ``nu ~ Gamma(q, rate
gamma)``; spend is independent of the transaction process. For a customer with ``x >= 1``
repeat transactions of mean value ``m``::

    LL = lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln(m) + px ln(x)
         - (px+q) ln(gamma + m x)
    E[value | x, m] = p (gamma + m x) / (p x + q - 1)   (= p gamma / (q-1) for x = 0)

Fitted by maximum likelihood on log-parameters (:mod:`kuailive_analysis.ltv.numerics`) on the
customers with ``x >= 1``, pooled by distinct ``(x, m)``. An optional ridge ``penalizer``
handles data without within-user spread of value (``p -> inf``). When the fit has ``q <= 1``
the population mean spend is infinite; :func:`~kuailive_analysis.ltv.clv.clv` then needs a
``fallback_mean`` for users without repeats (:func:`sample_mean_spend`).
"""

from __future__ import annotations

import time

import numpy as np
from scipy import special

from kuailive_analysis.ltv.numerics import (
    as_array,
    collapse,
    maximise,
    penalised,
    store_fit,
)

__all__ = ["GammaGamma", "check_gg_inputs", "sample_mean_spend", "simulate_gamma_gamma"]


def _gg_loglik(theta, x, m, w, grad: bool = True):
    p, q, g = np.exp(theta)
    px = p * x
    lgm = np.log(g + m * x)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * lgm
    )
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
    x, m = as_array(frequency, "frequency"), as_array(monetary, "monetary")
    if x.size != m.size:
        raise ValueError(
            f"frequency and monetary must have the same length; got {x.size} and {m.size}."
        )
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"frequency must be a whole number >= 0; position {i} has {x[i]!r}.")
    neg = np.isfinite(m) & (m < 0) | np.isinf(m)
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise ValueError(
            f"monetary has {int(neg.sum())} negative or infinite value(s), e.g. "
            f"{m[i]!r} at position {i}; spend per transaction must be >= 0."
        )
    pos = x > 0
    bad = pos & (np.isnan(m) | (m <= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} customer(s) have repeat transactions (frequency > 0) but no "
            f"monetary value (missing or 0), e.g. position {i}: frequency={x[i]:g}, "
            f"monetary={m[i]!r}. Gamma-Gamma needs the mean value of each repeat transaction."
        )
    w = np.ones(x.size) if weights is None else as_array(weights, "weights")
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

    def fit(
        self,
        frequency,
        monetary,
        weights=None,
        *,
        start=None,
        penalizer: float = 0.0,
        gtol: float = 1e-5,
    ):
        """Maximum-likelihood fit on customers with ``frequency > 0``; ``penalizer`` as in
        :meth:`BetaGeo.fit`."""
        t0 = time.perf_counter()
        x, m, w = check_gg_inputs(frequency, monetary, weights)
        (x, m), w = collapse([x, m], w)
        W = w.sum()
        if start is not None:
            starts = [np.log([start[k] for k in self.param_names])]
        else:
            mbar = float(np.dot(w, m) / W)
            starts = [
                np.log([1.0, 3.0, 2.0 * mbar]),
                np.log([5.0, 3.0, 0.4 * mbar]),
                np.log([0.5, 1.5, 0.1 * mbar]),
            ]
        res = maximise(
            penalised(lambda th: _gg_loglik(th, x, m, w), penalizer),
            starts,
            self.param_names,
            n_weight=W,
            model="Gamma-Gamma",
            gtol=gtol,
        )
        if penalizer:
            res.mean_nll = float(_gg_loglik(res.theta, x, m, w, grad=False)[0])
        self.penalizer_ = float(penalizer)
        store_fit(self, res, W)
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


def sample_mean_spend(frequency, monetary, weights=None) -> float:
    """Weighted sample mean of ``monetary`` over customers with ``frequency > 0``: the finite
    stand-in for the population mean spend when the Gamma-Gamma fit has ``q <= 1``."""
    x, m = as_array(frequency, "frequency"), as_array(monetary, "monetary")
    w = np.ones(x.size) if weights is None else as_array(weights, "weights")
    pos = (x > 0) & (w > 0)
    return float(np.dot(w[pos], m[pos]) / w[pos].sum()) if pos.any() else float("nan")


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
