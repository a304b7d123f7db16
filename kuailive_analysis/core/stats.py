"""Shared statistics: concentration (Gini, Lorenz curve, top shares) and intervals.

One definition of each; every chapter, the twin and the fidelity page call these.

Concentration
-------------
Inputs are non-negative finite values, one per unit (user, streamer, ...): counts, coins,
hours. The **population** is every value passed, zeros included (pass only the positive values
for "among those with any"). Results are unit-free fractions.

* **Lorenz curve** (one ordering, poorest first): the values sorted ascending
  :math:`x_{(1)} \\le \\dots \\le x_{(n)}` give the vertices
  :math:`(k/n,\\ L_k = \\sum_{i \\le k} x_{(i)} / \\sum_i x_i)` for k = 0..n, joined linearly.
  This piecewise-linear curve is exactly the Lorenz curve of the empirical distribution,
  :math:`L(p) = \\int_0^p Q(t)\\,dt / \\mu` with Q the empirical quantile function. It starts
  at (0, 0), ends at (1, 1), is non-decreasing and convex, and lies on or below the diagonal.
* **Gini coefficient** :math:`G = \\frac{2\\sum_i i\\,x_{(i)}}{n\\sum_i x_i} - \\frac{n+1}{n}`
  = 1 - 2 x (area under L): 0 when all values are equal, :math:`(n-1)/n` when one unit holds
  everything; NaN when the values sum to 0. Invariant to scale and to the order of the input.
* **Top-q share** (:func:`top_share`): the share of the total held by the largest fraction
  q of units, :math:`S(q) = 1 - L(1 - q)` on that curve. Writing :math:`m = qn`:
  :math:`S = (\\sum_{i < \\lfloor m \\rfloor} x_{[i]} + (m - \\lfloor m \\rfloor)\\, x_{[\\lfloor m
  \\rfloor]}) / \\sum x` with :math:`x_{[0]} \\ge x_{[1]} \\ge \\dots` the values sorted
  descending. **Rounding**: none; when qn is not an integer the boundary unit counts with the
  fraction qn - floor(qn) of its value, so the population share is exactly q (not
  ceil(qn)/n), the share is continuous and non-decreasing in q and readable off the Lorenz
  figure. For integer qn it is the share of the qn largest units. **Ties**: irrelevant (units
  with equal values are interchangeable, the sum does not depend on which is taken).
  :func:`top_k_share` is the share of a fixed number k of largest units.

Bootstrap
---------
* :func:`resample_counts`: the multinomial weights (how often each unit is drawn) of resample
  index rows, one row per replicate.
* :func:`gini_weighted`, :func:`top_share_weighted`: the Gini and the top-q share of each
  replicate from the values and a weight matrix at once (no loop over replicates); with the
  counts of a resample they equal :func:`gini` / :func:`top_share` of that resample (the same
  sorted sample, so the same definitions), up to floating-point rounding.

Intervals
---------
* :func:`wilson_interval`: Wilson score interval of a binomial proportion k/n.
* :func:`mean_interval`: normal (CLT) interval of a mean from its sums.
* :func:`percentile_interval`: equal-tailed percentile interval of bootstrap replicates.
* :func:`normal_quantile`: the two-sided normal quantile z of a confidence level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special as _special


# ---------------------------------------------------------------------------------------------
# Input check
# ---------------------------------------------------------------------------------------------
def nonnegative(values, what: str = "values", *, allow_empty: bool = False) -> np.ndarray:
    """Non-negative finite float64 array, or ValueError naming ``what`` and the bad value."""
    x = np.asarray(values, dtype="float64").ravel()
    if x.size == 0 and not allow_empty:
        raise ValueError(
            f"{what}: no values (empty input); a concentration or distribution "
            "of nothing is undefined."
        )
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            f"{what}: {int(bad.sum())} missing or infinite value(s), e.g. "
            f"{x[bad][0]!r}; drop or fill them explicitly first."
        )
    if (x < 0).any():
        raise ValueError(
            f"{what}: negative value {x[x < 0].min()!r}; counts, times and revenues must be >= 0."
        )
    return x


# ---------------------------------------------------------------------------------------------
# Concentration
# ---------------------------------------------------------------------------------------------
def gini(values) -> float:
    """Gini coefficient of non-negative values (module docstring); NaN if they sum to 0.

    Raises ValueError for empty, missing, infinite or negative input."""
    x = np.sort(nonnegative(values, "gini"))
    n, total = x.size, x.sum()
    if total == 0:
        return float("nan")
    i = np.arange(1, n + 1, dtype="float64")
    return float(2.0 * np.dot(i, x) / (n * total) - (n + 1.0) / n)


def lorenz_points(values) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """Vertices of the Lorenz curve (poorest first): population shares 0, 1/n, ..., 1 and
    cumulative value shares 0 = L_0 <= ... <= L_n = 1; ``(None, None)`` when the total is 0."""
    x = np.sort(nonnegative(values, "lorenz_points"))
    total = x.sum()
    if total == 0:
        return None, None
    return np.arange(x.size + 1) / x.size, np.concatenate([[0.0], np.cumsum(x) / total])


def lorenz_curve(values, n_points: int | None = 201) -> pd.DataFrame:
    """Lorenz curve: ``population_share`` (units sorted poorest first) vs cumulative
    ``value_share``, both fractions in [0, 1].

    With ``n_points`` the piecewise-linear curve is evaluated on an even grid of that many
    population shares from 0 to 1 (exact, since the curve is linear between units); with
    None all n + 1 vertices are returned. Starts at (0, 0) and ends at (1, 1). Raises
    ValueError when all values are 0 (the curve is undefined). The "top share" reading of the
    same curve is ``(1 - population_share, 1 - value_share)``: the largest units first.
    """
    p, cum = lorenz_points(values)
    if p is None:
        raise ValueError("lorenz_curve: all values are 0; the Lorenz curve is undefined.")
    if n_points is not None:
        grid = np.linspace(0.0, 1.0, int(n_points))
        cum, p = np.interp(grid, p, cum), grid
    cum[-1] = 1.0
    return pd.DataFrame({"population_share": p, "value_share": cum})


def top_share(values, q: float) -> float:
    """Share of the total held by the largest fraction ``q`` (0 < q <= 1) of the units,
    ``1 - L(1 - q)`` on the Lorenz curve (module docstring: the boundary unit counts
    fractionally, ties do not matter). NaN when the values sum to 0."""
    if not 0 < q <= 1:
        raise ValueError(f"top_share: q must be in (0, 1], got {q!r}.")
    p, cum = lorenz_points(nonnegative(values, "top_share"))
    if p is None:
        return float("nan")
    return float(1.0 - np.interp(1.0 - q, p, cum))


def top_k_share(values, k: int) -> float:
    """Share of the total held by the ``k`` largest values (all of them when k >= n); NaN when
    the values sum to 0."""
    x = nonnegative(values, "top_k_share")
    if k < 0:
        raise ValueError(f"top_k_share: k must be >= 0, got {k!r}.")
    total = x.sum()
    if total == 0:
        return float("nan")
    k = min(int(k), x.size)
    return float(np.sort(x)[::-1][:k].sum() / total)


# ---------------------------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------------------------
def resample_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each of ``n`` units is drawn in each row of resample indices ``idx``
    (replicates x draws, values in 0..n-1): a (replicates x n) float64 matrix of counts."""
    idx = np.asarray(idx, dtype=np.int64)
    b = idx.shape[0]
    flat = (np.arange(b, dtype=np.int64)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float64)


def _sorted_weights(values, weights) -> tuple[np.ndarray, np.ndarray]:
    x = nonnegative(values, "weighted statistic", allow_empty=True)
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    order = np.argsort(x, kind="stable")
    return x[order], w[:, order]


def gini_weighted(values, weights) -> np.ndarray:
    r"""Gini coefficient of each row of ``weights`` (replicates x units: how often each unit is
    counted, e.g. :func:`resample_counts`) over the unit ``values``; NaN where a row's weighted
    sum is 0. A unit counted c times after c' smaller ones takes the ranks c'+1..c'+c, so
    :math:`\sum_i i\,x_{(i)} = \sum_j x_j c_j (c'_j + (c_j + 1)/2)` and the module's formula
    applies with :math:`n = \sum_j c_j`."""
    x, w = _sorted_weights(values, weights)
    before = np.cumsum(w, axis=1) - w
    n = w.sum(axis=1)
    total = w @ x
    ranked = (w * (before + (w + 1.0) / 2.0)) @ x
    with np.errstate(divide="ignore", invalid="ignore"):
        g = 2.0 * ranked / (n * total) - (n + 1.0) / n
    return np.where(total > 0, g, np.nan)


def top_share_weighted(values, weights, q: float) -> np.ndarray:
    r""":func:`top_share` of each row of integer ``weights`` (replicates x units, as
    :func:`gini_weighted`): with :math:`N = \sum_j c_j` and :math:`t = (1 - q) N`, one minus
    the sum of the :math:`\lfloor t \rfloor` smallest counted values plus the fraction
    :math:`t - \lfloor t \rfloor` of the next, over the weighted total; NaN where it is 0."""
    if not 0 < q <= 1:
        raise ValueError(f"top_share: q must be in (0, 1], got {q!r}.")
    x, w = _sorted_weights(values, weights)
    cum_n = np.cumsum(w, axis=1)
    cum_v = np.cumsum(w * x, axis=1)
    n = cum_n[:, -1] if w.shape[1] else np.zeros(w.shape[0])
    total = cum_v[:, -1] if w.shape[1] else np.zeros(w.shape[0])
    t = (1.0 - q) * n
    k = np.floor(t)
    j = np.minimum((cum_n <= k[:, None]).sum(axis=1), max(w.shape[1] - 1, 0))  # unit of rank k+1
    rows = np.arange(w.shape[0])
    below_n = np.where(j > 0, cum_n[rows, j - 1], 0.0)
    below_v = np.where(j > 0, cum_v[rows, j - 1], 0.0)
    low = below_v + (k - below_n) * x[j] + (t - k) * x[j]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - low / total, np.nan)


# ---------------------------------------------------------------------------------------------
# Intervals
# ---------------------------------------------------------------------------------------------
def normal_quantile(conf: float = 0.95) -> float:
    """Two-sided standard normal quantile z with P(|Z| <= z) = ``conf`` (1.959964 for 0.95)."""
    if not 0 < conf < 1:
        raise ValueError(f"conf must be in (0, 1), got {conf!r}")
    return float(_special.ndtri(0.5 + conf / 2))  # = scipy.stats.norm.ppf, without its import


def wilson_interval(k, n, conf: float = 0.95, *, z: float | None = None):
    """Wilson score interval of a binomial proportion k / n (vectorised).

    With p = k/n and z the two-sided normal quantile of ``conf`` (or ``z`` given directly),
    ``centre = (p + z^2/(2n)) / (1 + z^2/n)`` and
    ``half = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/(4 n^2))``; returns ``(lo, hi)``, fractions
    in [0, 1] with lo <= p <= hi, exactly 0 when k = 0 and 1 when k = n. n = 0 gives NaN.
    Floats for scalar input, arrays otherwise. Raises ValueError when k or n is missing or
    infinite, k < 0 or k > n, or conf is outside (0, 1) (z <= 0).
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(n))):
        raise ValueError("wilson: successes and trials must be finite numbers")
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("wilson: need 0 <= k <= n for every pair (successes, trials)")
    if z is None:
        if not 0 < conf < 1:
            raise ValueError(f"wilson: conf must be in (0, 1), got {conf}")
        z = normal_quantile(conf)
    elif not z > 0:
        raise ValueError(f"wilson: z must be > 0, got {z}")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        lo = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))  # exact at the edges
        hi = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    bad = n <= 0
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def mean_interval(
    total, total_sq, n, conf: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and normal (CLT) interval from sums (vectorised): with S = sum x, Q = sum x^2,
    ``mean = S/n``, ``sd^2 = (Q - n mean^2)/(n-1)``, ``mean -/+ z sd / sqrt(n)``, in the unit of
    x. Returns ``(mean, lo, hi)``; n < 2 gives NaN bounds."""
    total = np.asarray(total, dtype=np.float64)
    total_sq = np.asarray(total_sq, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = normal_quantile(conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        var = np.maximum(total_sq - n * mean**2, 0.0) / (n - 1)
        half = z * np.sqrt(var / n)
    half = np.where(n >= 2, half, np.nan)
    return mean, mean - half, mean + half


def percentile_interval(replicates, level: float = 0.95, axis: int | None = 0):
    """Equal-tailed percentile interval of bootstrap replicates: the ``(1 - level)/2`` and
    ``(1 + level)/2`` quantiles (numpy's linear interpolation) along ``axis``; returns
    ``(lo, hi)`` in the unit of the replicates."""
    if not 0 < level < 1:
        raise ValueError(f"percentile_interval: level must be in (0, 1), got {level!r}")
    lo, hi = np.quantile(
        np.asarray(replicates, dtype=np.float64), [(1 - level) / 2, (1 + level) / 2], axis=axis
    )
    return lo, hi
