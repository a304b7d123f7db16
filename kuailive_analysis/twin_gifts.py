"""Gifting in the synthetic twin: a BG/NBD process over gifting days and a discrete price menu.

Process (time unit: day; the model a lifetime-value chapter fits)
-----------------------------------------------------------------
Each user u draws

* ``lambda_u ~ Gamma(shape=r, rate=alpha)``: gifting-transaction rate per day while alive;
* ``p_u ~ Beta(a, b)``: probability of dropping out right after each transaction.

The user's *first* gift (the BG/NBD "birth" transaction) is placed at ``birth_ms`` inside the
user's active span (every sampled user gifted at least once, as in the real sample). After it,
transactions follow a Poisson process of rate ``lambda_u``; after each transaction the user
drops out with probability ``p_u``. Transactions stop at the user's overall churn time or at
the end of the logs, whichever is first. A *gifting day* is a Beijing day with at least one
transaction (transactions falling on the same day merge, which is what a daily BG/NBD fit
sees).

Departures from textbook BG/NBD (Fader, Hardie & Lee 2005), all deliberate and recorded in
truth.json: (1) with ``dropout_at_birth=True`` (the twin's default, parameter
``gift_dropout_at_birth``) a user may drop out right after the *first* gift, whereas BG/NBD
lets dropout follow repeat transactions only; (2) transactions are observed as gifting days;
(3) gifting is right-truncated by the user's activity churn. With ``dropout_at_birth=False``
and no churn, the continuous-time process is exactly BG/NBD.

Value (Gamma-Gamma-like, independent of frequency)
--------------------------------------------------
On each gifting day the user opens ``1 + Poisson(mu_sessions)`` gifting sessions, each with
``1 + Poisson(mu_gifts_u)`` gift events, ``mu_gifts_u = mu_gifts + whale_u * whale_extra_gifts``
(``whale_u ~ Bernoulli(whale_share)``: a few users send many and larger gifts, which is what
makes the top 1% of users give about 60% of the revenue). Each event's ``gift_price`` is drawn
from a fixed menu of prices ``m_k`` with user-specific tilt
``theta_u ~ Normal(theta_mu, theta_sigma) + whale_u * whale_theta_shift``:

    P(price = m_k | theta_u)  proportional to  base_k * m_k ** theta_u,

times a combo count (``1`` or ``1 + Geometric(combo_p)`` for cheap gifts). The menu reproduces
the real shape (price 1 is the mode, spikes at 10 and 20, whales into the tens of thousands).
The user's expected value per gifting day is therefore exactly

    gift_mean_value_u = (1 + mu_sessions) * (1 + mu_gifts_u) * E[price | theta_u],

recorded in the truth file. ``theta_u`` and ``whale_u`` are drawn independently of
``(lambda_u, p_u)``, as the Gamma-Gamma model assumes (but the value distribution is a discrete
menu mixture, not a Gamma).
"""

from __future__ import annotations

import numpy as np

from kuailive_analysis.schema import MS_PER_DAY, WINDOW_START_MS

PRICE_MENU = np.array([1, 2, 3, 5, 6, 9, 10, 18, 20, 30, 52, 66, 88, 99, 166, 188, 288, 520,
                       666, 1000, 1314, 1888, 3344, 5200, 9999, 13140, 20000], dtype=np.int64)
"""Distinct gift values (platform coins) of one gift event before the combo multiplier."""

PRICE_BASE = np.array([46, 13, 3.5, 4, 2.5, 1.5, 8, 1, 5, 2, 2.2, 1.8, 2.2, 1.3, 0.8, 0.8, 0.5,
                       0.35, 0.25, 0.3, 0.3, 0.15, 0.07, 0.035, 0.014, 0.007, 0.004])
"""Menu weights at theta = 0 (unnormalised)."""

COMBO_MAX_PRICE = 66
"""Only menu items up to this price are sent as combos (several at once)."""


def price_probs(theta: np.ndarray) -> np.ndarray:
    """Menu probabilities per user, shape (n, len(PRICE_MENU)): ``base_k * m_k**theta``."""
    lw = np.log(PRICE_BASE)[None, :] + np.asarray(theta, float)[:, None] * np.log(PRICE_MENU)[None, :]
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


def draw_prices(rng: np.random.Generator, theta_events: np.ndarray, combo_rate: float,
                combo_p: float) -> np.ndarray:
    """One gift_price per event, given each event's user tilt (vectorised inverse-CDF draw)."""
    n = len(theta_events)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    out = np.empty(n, dtype=np.int64)
    step = 200_000  # bound the (n x menu) probability matrix
    for lo in range(0, n, step):
        th = theta_events[lo:lo + step]
        c = price_probs(th).cumsum(axis=1)
        u = rng.random(len(th))[:, None]
        k = np.minimum((u > c).sum(axis=1), len(PRICE_MENU) - 1)
        out[lo:lo + step] = PRICE_MENU[k]
    combo = (rng.random(n) < combo_rate) & (out <= COMBO_MAX_PRICE)
    out[combo] *= 1 + rng.geometric(combo_p, combo.sum())
    return out


def simulate_bgnbd(rng: np.random.Generator, lam: np.ndarray, p: np.ndarray,
                   birth_ms: np.ndarray, stop_ms: np.ndarray, max_tx: int = 400,
                   dropout_at_birth: bool = True):
    """Simulate BG/NBD transaction times (epoch ms) per user.

    Returns ``(user_index, tx_ms, dropout_ms)``: one row per transaction (birth included, all
    before ``stop_ms``) and, per user, the time of the transaction after which the user dropped
    out (-1 when the user was still alive when observation stopped). Loops over the transaction
    *index* only (vectorised over users), at most ``max_tx`` rounds. ``dropout_at_birth``: may
    the user drop out right after the birth transaction (False = textbook BG/NBD).
    """
    n = len(lam)
    idx_parts = [np.arange(n)]
    t_parts = [birth_ms.astype(np.int64)]
    dropout = np.full(n, -1, dtype=np.int64)
    t = birth_ms.astype(np.float64)
    alive = np.ones(n, dtype=bool)
    for i in range(max_tx):
        drop = alive & (rng.random(n) < p)
        if i == 0 and not dropout_at_birth:
            drop[:] = False
        dropout[drop] = t[drop].astype(np.int64)
        alive &= ~drop
        gap = rng.exponential(1.0, n) / np.maximum(lam, 1e-12) * MS_PER_DAY
        t = t + gap
        alive &= t < stop_ms
        if not alive.any():
            break
        ii = np.flatnonzero(alive)
        idx_parts.append(ii)
        t_parts.append(t[ii].astype(np.int64))
    return np.concatenate(idx_parts), np.concatenate(t_parts), dropout


def gifting_days(user_index: np.ndarray, tx_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (user_index, Beijing day) pairs with at least one transaction, sorted."""
    day = (tx_ms - WINDOW_START_MS) // MS_PER_DAY
    key = user_index.astype(np.int64) * 64 + day
    key = np.unique(key)
    return (key // 64).astype(np.int64), (key % 64).astype(np.int64)
