r"""The BG/NBD model of repeat transactions (Fader, Hardie & Lee 2005, "Counting your customers
the easy way"), from scratch on scipy; the shared machinery is in
:mod:`~kuailive_analysis.ltv.base`."""

from __future__ import annotations

import numpy as np
from scipy import special

from kuailive_analysis.ltv.base import BaseBetaGeo

__all__ = ["BetaGeo"]


class BetaGeo(BaseBetaGeo):
    r"""BG/NBD: the dropout coin is flipped after every *repeat* transaction, so a customer
    alive at :math:`T` has survived :math:`n = x` flips and a customer without repeats is alive
    for sure. Fit with :meth:`~BaseBetaGeo.fit`, then predict.

    Likelihood of a customer's :math:`(x, t_x, T)`:

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)} \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+T)^{r+x}}
        + [x > 0] \frac{B(a+1, b+x-1)}{B(a, b)}
        \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)\,(\alpha+t_x)^{r+x}}.

    Probability of being alive, expected transactions in the next :math:`t` (given the
    history) and of a new customer in :math:`(0, t]`:

    .. math::

        P(\text{alive} \mid x, t_x, T) &= \Big[1 + [x > 0] \frac{a}{b+x-1}
            \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big]^{-1}, \\
        E[Y(t) \mid x, t_x, T] &= \frac{a+b+x-1}{a-1} \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}
            \Big)^{r+x} {}_2F_1\Big(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\Big)\Big]
            P(\text{alive} \mid x, t_x, T), \\
        E[X(t)] &= \frac{a+b-1}{a-1} \Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
            {}_2F_1\Big(r, b; a+b-1; \frac{t}{\alpha+t}\Big)\Big].

    Parameters and attributes as :class:`~kuailive_analysis.ltv.base.BaseBetaGeo`.
    """

    model_name = "BG/NBD"

    @staticmethod
    def _shifts(r, a, b, x):
        return b + x, a + b + x, b + np.maximum(x, 1.0) - 1, a + b + x - 1, a + b - 1 - r, x > 0

    def expected_purchases_new(self, t):
        r, alpha, a, b = self._p()
        t = np.asarray(t, float)
        hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
        out = (a + b - 1) / (a - 1) * (1.0 - np.exp(r * np.log(alpha / (alpha + t))) * hyp)
        return np.where(t > 0, out, 0.0)
