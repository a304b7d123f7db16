"""The MBG/NBD model: BG/NBD with dropout allowed right after the first transaction (scipy).

**MBG/NBD** (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of
models for customer base analysis"). As BG/NBD (:mod:`kuailive_analysis.ltv.bgnbd`), except
that the coin with dropout probability ``p`` is also flipped at the *first* transaction (time
0), so a customer can leave without ever repeating. BG/NBD holds every customer without a
repeat alive with certainty; MBG/NBD does not. Individual log-likelihood (log-sum-exp form)::

    A1 = lnG(r+x) - lnG(r) + r ln(alpha)
    A2 = lnG(a+b) + lnG(b+x+1) - lnG(b) - lnG(a+b+x+1)
    A3 = -(r+x) ln(alpha+T)                         (alive at T: survived x+1 coin flips)
    A4 = ln(a) - ln(b+x) - (r+x) ln(alpha+t_x)      (dropped at the last transaction, any x)
    LL = A1 + A2 + logaddexp(A3, A4)

* ``P(alive | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))`` (also for x = 0).
* ``E[Y(t) | x, t_x, T] = (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
  2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive)`` (the posterior of ``p`` given survival
  is Beta(a, b+x+1)); evaluated with Euler's transformation as in BG/NBD.
* ``E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]`` (a new
  customer: ``E[(1-p)/p]`` replaces BG/NBD's ``E[1/p]``).
* ``P(X(t) = x) = B(a, b+x+1)/B(a, b) NB(x; r, alpha/(alpha+t))
  + B(a+1, b+x)/B(a, b) P(NB >= x)``.

Fitted exactly like :class:`~kuailive_analysis.ltv.bgnbd.BetaGeo` (same inputs, start values,
penalizer, checks); :class:`ModifiedBetaGeo` is a subclass that swaps the likelihood and the
predictions.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from kuailive_analysis.ltv.bgnbd import BetaGeo

__all__ = ["ModifiedBetaGeo", "simulate_mbgnbd"]


def _mbg_loglik(theta, x, tx, T, w, grad: bool = True):
    """Mean negative log-likelihood of MBG/NBD and its gradient in log-parameters."""
    r, alpha, a, b = np.exp(theta)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = (
        special.gammaln(a + b)
        + special.gammaln(b + x + 1)
        - special.gammaln(b)
        - special.gammaln(a + b + x + 1)
    )
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    lse = np.logaddexp(a3, a4)
    ll = a1 + a2 + lse
    W = w.sum()
    val = -np.dot(w, ll) / W
    if not grad:
        return val, None
    w4 = np.exp(a4 - lse)  # posterior weight of "dropped out at t_x"
    w3 = 1.0 - w4
    dg = special.digamma
    d_r = dg(r + x) - dg(r) + np.log(alpha) - w3 * np.log(alpha + T) - w4 * np.log(alpha + tx)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + tx)
    d_a = dg(a + b) - dg(a + b + x + 1) + w4 / a
    d_b = dg(a + b) + dg(b + x + 1) - dg(b) - dg(a + b + x + 1) - w4 / (b + x)
    g = np.array(
        [np.dot(w, d_r) * r, np.dot(w, d_alpha) * alpha, np.dot(w, d_a) * a, np.dot(w, d_b) * b]
    )
    return val, -g / W


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD (see the module docstring); fit and attributes as :class:`BetaGeo`."""

    model_name = "MBG/NBD"

    @staticmethod
    def _loglik(theta, x, tx, T, w, grad: bool = True):
        return _mbg_loglik(theta, x, tx, T, w, grad)

    def _log_odds_dead(self, x, tx, T):
        r, alpha, a, b = self._p()
        return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))

    def expected_purchases(self, t, frequency, recency, T):
        """E[number of transactions in (T, T+t] | x, t_x, T] (broadcasts its arguments)."""
        r, alpha, a, b = self._p()
        t, x, tx, TT = np.broadcast_arrays(
            *(np.asarray(v, float) for v in (t, frequency, recency, T))
        )
        z = t / (alpha + TT + t)
        c = a + b + x
        with np.errstate(all="ignore"):
            term = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - r, a - 1, c, z)
            bad = ~np.isfinite(term)
            if bad.any():
                zb = z[bad]
                term[bad] = np.exp((r + x[bad]) * np.log1p(-zb)) * special.hyp2f1(
                    r + x[bad], b + x[bad] + 1, c[bad], zb
                )
            out = c / (a - 1) * (1.0 - term) * special.expit(-self._log_odds_dead(x, tx, TT))
        return np.where(t > 0, out, 0.0)

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)]: repeat transactions of a new customer in (0, t]."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, float)
        hyp = special.hyp2f1(r, b + 1, a + b, t / (alpha + t))
        out = b / (a - 1) * (1.0 - np.exp(r * np.log(alpha / (alpha + t))) * hyp)
        return np.where(t > 0, out, 0.0)

    def probability_of_purchases(self, t, max_x: int) -> np.ndarray:
        """P(X(t) = x) for x = 0..max_x: array of shape ``(len(t), max_x + 1)``."""
        r, alpha, a, b = self._p()
        t = np.atleast_1d(np.asarray(t, float))[:, None]
        x = np.arange(max_x + 1, dtype=float)[None, :]
        q = alpha / (alpha + t)
        lb0 = special.betaln(a, b)
        p1 = np.exp(special.betaln(a, b + x + 1) - lb0) * stats.nbinom.pmf(x, r, q)
        p2 = np.exp(special.betaln(a + 1, b + x) - lb0) * np.where(
            x > 0, stats.nbinom.sf(x - 1, r, q), 1.0
        )
        return p1 + p2


def simulate_mbgnbd(params: dict, T, *, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``(frequency, recency)`` of customers under MBG/NBD, each observed for their
    own ``T`` after a first transaction at time 0 (continuous time; for the likelihood test)."""
    rng = np.random.default_rng(rng)
    T = np.asarray(T, float)
    n = T.size
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    alive = rng.random(n) >= p  # the coin at the first transaction
    now, freq, rec = np.zeros(n), np.zeros(n, np.int64), np.zeros(n)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1.0, idx.size) / lam[idx]
        inside = now[idx] <= T[idx]
        alive[idx[~inside]] = False
        idx = idx[inside]
        freq[idx] += 1
        rec[idx] = now[idx]
        alive[idx[rng.random(idx.size) < p[idx]]] = False
    return freq, rec
