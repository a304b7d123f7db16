"""Gift values in the synthetic twin: a discrete price menu with a per-user tilt.

Gift *events* come from ordinary clicks (:mod:`kuailive_analysis.twin.events`); this module says
what one event is worth. Each event's ``gift_price`` is drawn from a fixed menu of prices
``m_k`` with user-specific tilt ``theta_u ~ Normal(theta_mu, theta_sigma) + whale_u *
whale_theta_shift`` (``whale_u ~ Bernoulli(whale_share)``: a few users send larger gifts, which
with their higher gift rate makes the top 1% of users give most of the revenue):

    P(price = m_k | theta_u)  proportional to  base_k * m_k ** theta_u,

times a combo count (``1`` or ``1 + Geometric(combo_p)`` for cheap gifts; ``combo_rate`` is 0 by
default because the real counts of prices 1..20 already include combos). The menu reproduces
the real shape (price 1 is the mode, spikes at 10 and 20, whales into the tens of thousands).
:func:`expected_price` gives ``E[price | theta_u]`` exactly (recorded in the truth file).
"""

from __future__ import annotations

import numpy as np

from kuailive_analysis.core.constants import REAL_PRICE_COUNTS

PRICE_MENU = np.array(
    list(range(1, 21))
    + [
        30,
        52,
        66,
        88,
        99,
        166,
        188,
        298,
        520,
        666,
        1000,
        1314,
        1488,
        1888,
        3344,
        5200,
        9999,
        13140,
        20000,
        30000,
        56246,
    ],
    dtype=np.int64,
)
"""Distinct gift values (platform coins) of one gift event: every price 1..20 and a tail."""

# fmt: off
_TAIL_WEIGHTS = (1_816, 1_453, 1_453, 1_162, 872, 581, 726, 1_162, 872, 581, 436,
                 363, 290, 127, 73, 54, 36, 18, 11, 5, 2)
# fmt: on
PRICE_BASE = np.array(list(REAL_PRICE_COUNTS) + list(_TAIL_WEIGHTS), dtype=float)
"""Menu weights at theta = 0: prices 1..20 are the real counts of those prices (kuailive-facts);
the tail weights are chosen so that the real p90 (88), p95 (298), p99 (1,488) and maximum
(56,246) fall on menu items (their spread between those quantiles is an assumption)."""

COMBO_MAX_PRICE = 66
"""Only menu items up to this price are sent as combos (several at once)."""


def price_probs(theta: np.ndarray) -> np.ndarray:
    """Menu probabilities per user, shape (n, len(PRICE_MENU)): ``base_k * m_k**theta``."""
    lw = (
        np.log(PRICE_BASE)[None, :]
        + np.asarray(theta, float)[:, None] * np.log(PRICE_MENU)[None, :]
    )
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


def expected_price(theta: np.ndarray, combo_rate: float, combo_p: float) -> np.ndarray:
    """Exact ``E[gift_price | theta]`` including the combo multiplier.

    A combo (probability ``combo_rate``, only for items <= COMBO_MAX_PRICE) multiplies the item
    by ``1 + Geometric(combo_p)``, whose mean is ``1 + 1/combo_p``.
    """
    p = price_probs(theta)
    cheap = PRICE_MENU <= COMBO_MAX_PRICE
    mult = np.where(cheap, 1 + combo_rate * (1 / combo_p), 1.0)
    return (p * PRICE_MENU * mult).sum(axis=1)


def draw_prices(
    rng: np.random.Generator, theta_events: np.ndarray, combo_rate: float, combo_p: float
) -> np.ndarray:
    """One gift_price per event, given each event's user tilt (vectorised inverse-CDF draw)."""
    n = len(theta_events)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    out = np.empty(n, dtype=np.int64)
    step = 200_000  # bound the (n x menu) probability matrix
    for lo in range(0, n, step):
        th = theta_events[lo : lo + step]
        c = price_probs(th).cumsum(axis=1)
        u = rng.random(len(th))[:, None]
        k = np.minimum((u > c).sum(axis=1), len(PRICE_MENU) - 1)
        out[lo : lo + step] = PRICE_MENU[k]
    combo = (rng.random(n) < combo_rate) & (out <= COMBO_MAX_PRICE)
    out[combo] *= 1 + rng.geometric(combo_p, combo.sum())
    return out
