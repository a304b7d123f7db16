r"""The Gamma-Gamma model of the value per transaction (Fader, Hardie & Lee 2005, "RFM and
CLV"; Fader & Hardie 2013), from scratch on scipy: :class:`GammaGamma`.

When the fit has :math:`q \le 1` the population mean value is infinite;
:func:`~kuailive_analysis.ltv.clv.clv` then needs a ``fallback_mean`` for customers without
repeats (:func:`sample_mean_spend`).
"""

from __future__ import annotations

import time

import numpy as np
from scipy import special

from kuailive_analysis.ltv.numerics import (
    PENALIZERS,
    as_array,
    collapse,
    fit_with_ridge,
    maximise,
    penalised,
    store_fit,
)

__all__ = ["GammaGamma", "check_gg_inputs", "sample_mean_spend", "simulate_gamma_gamma"]


def _negative_log_likelihood(theta, x, m, w, grad: bool = True):
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
    """Validate the inputs of :class:`GammaGamma`.

    Returns
    -------
    tuple of ndarray
        ``(x, m, w)`` of the customers with ``x > 0`` (and a positive weight).

    Raises
    ------
    ValueError
        For unequal lengths, negative or non-integer frequency, negative or infinite monetary
        values, and customers with repeat transactions but no (missing or zero) monetary value.
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
    r"""Gamma-Gamma spend model. The value of each transaction of a customer is
    :math:`\operatorname{Gamma}(p, \text{rate } \nu)`; across customers
    :math:`\nu \sim \operatorname{Gamma}(q, \text{rate } \gamma)`; value is independent of the
    transaction process. For a customer with :math:`x \ge 1` repeat transactions of mean value
    :math:`m` the log-likelihood is

    .. math::

        \ell = \ln\Gamma(px+q) - \ln\Gamma(px) - \ln\Gamma(q) + q\ln\gamma + (px-1)\ln m
        + px\ln x - (px+q)\ln(\gamma + mx),

    and the expected value of a transaction shrinks :math:`m` towards the population mean
    :math:`p\gamma / (q-1)` (the more so, the fewer repeats):

    .. math::

        E[Z \mid x, m] = \frac{p(\gamma + mx)}{px + q - 1}.

    Fitted by maximum likelihood on log-parameters (:mod:`~kuailive_analysis.ltv.numerics`)
    on the customers with :math:`x \ge 1` (the others carry no information), pooled by
    distinct :math:`(x, m)`.

    Parameters
    ----------
    params : dict, optional
        ``{p, q, gamma}`` to predict without fitting.

    Attributes
    ----------
    params_, log_likelihood_, summary_, se_, cov_, penalizer_, fit_seconds_
        As :class:`~kuailive_analysis.ltv.base.BaseBetaGeo`.
    n_customers_ : float
        Customers with a repeat transaction the fit used.
    """

    param_names = ("p", "q", "gamma")
    negative_log_likelihood = staticmethod(_negative_log_likelihood)

    def __init__(self, params: dict | None = None):
        self.params_ = dict(params) if params else None
        self.log_likelihood_ = None

    def fit(self, frequency, monetary, weights=None, *, start=None, penalizer=0.0, gtol=1e-5):
        """Maximum-likelihood fit on the customers with ``frequency > 0``; ``weights``,
        ``start``, ``penalizer`` and ``gtol`` as in :meth:`BaseBetaGeo.fit
        <kuailive_analysis.ltv.base.BaseBetaGeo.fit>`. Returns ``self``."""
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
            penalised(lambda th: _negative_log_likelihood(th, x, m, w), penalizer),
            starts,
            self.param_names,
            n_weight=W,
            model="Gamma-Gamma",
            gtol=gtol,
        )
        if penalizer:
            res.mean_nll = float(_negative_log_likelihood(res.theta, x, m, w, grad=False)[0])
        self.penalizer_ = float(penalizer)
        store_fit(self, res, W)
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    @classmethod
    def fit_summary(cls, summary, penalizers=PENALIZERS):
        """Fit on an :func:`~kuailive_analysis.ltv.summary.rfm_summary` frame with the ridge
        fallback; returns ``(model or None, why the plain fit failed or "")`` as
        :meth:`BaseBetaGeo.fit_summary <kuailive_analysis.ltv.base.BaseBetaGeo.fit_summary>`."""
        x, m = summary["frequency_cal"], summary["monetary_cal"]
        return fit_with_ridge(lambda c: cls().fit(x, m, penalizer=c), penalizers)

    def expected_spend(self, frequency, monetary, *, fallback_mean: float | None = None):
        r"""Expected value of a transaction, :math:`E[Z \mid x, m]` (class docstring).

        ``x = 0`` gives the population mean :math:`p\gamma / (q-1)` (``monetary`` is ignored).
        Where :math:`px + q \le 1` the model's mean is infinite (heavy-tailed value across
        customers, :math:`q \le 1`): such cells are ``inf``, or ``fallback_mean`` if given
        (e.g. :func:`sample_mean_spend`; the caller must say so).
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
        r"""Population mean value per transaction, :math:`p\gamma / (q-1)` (inf if
        :math:`q \le 1`)."""
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
    r"""Simulated mean value of each customer's ``frequency`` transactions under Gamma-Gamma:
    :math:`\nu \sim \operatorname{Gamma}(q, \text{rate } \gamma)`, the mean of :math:`x`
    values :math:`\sim \operatorname{Gamma}(px, \text{rate } \nu x)`; 0 for :math:`x = 0`."""
    rng = np.random.default_rng(rng)
    x = np.asarray(frequency, float)
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], x.size)
    m = np.zeros(x.size)
    pos = x > 0
    m[pos] = rng.gamma(params["p"] * x[pos], 1.0 / (nu[pos] * x[pos]))
    return m
