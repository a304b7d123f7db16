r"""The MBG/NBD model (Batislam, Denizel & Filiztekin 2007, "Empirical validation and
comparison of models for customer base analysis"): BG/NBD with dropout allowed right after the
first transaction; the shared machinery is in :mod:`~kuailive_analysis.ltv.base`."""

from __future__ import annotations

import numpy as np
from scipy import special

from kuailive_analysis.ltv.base import BaseBetaGeo

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(BaseBetaGeo):
    r"""MBG/NBD: the dropout coin is also flipped at the *first* transaction (time 0), so a
    customer alive at :math:`T` has survived :math:`n = x + 1` flips and can leave without ever
    repeating (BG/NBD holds every customer without a repeat alive). Fit with
    :meth:`~BaseBetaGeo.fit`, then predict.

    Likelihood of a customer's :math:`(x, t_x, T)`:

    .. math::

        L = \frac{B(a, b+x+1)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+T)^{r+x}}
        + \frac{B(a+1, b+x)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+t_x)^{r+x}}.

    Probability of being alive (also for :math:`x = 0`), expected transactions in the next
    :math:`t` (the posterior of :math:`p` given survival is :math:`\operatorname{Beta}(a,
    b+x+1)`) and of a new customer (:math:`E[(1-p)/p]` replaces BG/NBD's :math:`E[1/p]`):

    .. math::

        P(\text{alive} \mid x, t_x, T) &= \Big[1 + \frac{a}{b+x}
            \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big]^{-1}, \\
        E[Y(t) \mid x, t_x, T] &= \frac{a+b+x}{a-1} \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}
            \Big)^{r+x} {}_2F_1\Big(r+x, b+x+1; a+b+x; \frac{t}{\alpha+T+t}\Big)\Big]
            P(\text{alive} \mid x, t_x, T), \\
        E[X(t)] &= \frac{b}{a-1} \Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
            {}_2F_1\Big(r, b+1; a+b; \frac{t}{\alpha+t}\Big)\Big].

    Parameters and attributes as :class:`~kuailive_analysis.ltv.base.BaseBetaGeo`.
    """

    model_name = "MBG/NBD"
    dropout_at_first = True
    _logaddexp = staticmethod(np.logaddexp)  # A4 is finite for every customer

    @staticmethod
    def _shifts(r, a, b, x):
        return b + x + 1, a + b + x + 1, b + x, a + b + x, a + b - r, True

    def expected_purchases_new(self, t):
        r, alpha, a, b = self._p()
        t = np.asarray(t, float)
        hyp = special.hyp2f1(r, b + 1, a + b, t / (alpha + t))
        out = b / (a - 1) * (1.0 - np.exp(r * np.log(alpha / (alpha + t))) * hyp)
        return np.where(t > 0, out, 0.0)
