"""Distributions and concentration of non-negative values: the building blocks of chapter 2.

Pure functions (values in, small frames or floats out). Gini, Lorenz curve and top shares
themselves are :mod:`kuailive_analysis.core.stats`; shares are fractions in [0, 1] of all
values passed (zeros included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import gini, nonnegative, top_share


def concentration_table(metrics: Mapping[str, object]) -> pd.DataFrame:
    r"""How concentrated each measure is across its units (e.g. clicks per streamer).

    Parameters
    ----------
    metrics : mapping
        Measure name -> one non-negative value per unit (zeros included).

    Returns
    -------
    DataFrame
        One row per measure: ``n_units``, ``n_positive``, ``total``, ``gini`` (all units),
        ``gini_positive`` (units with a positive value), ``top1_share`` and ``top10_share``,
        the share :math:`S(q) = 1 - L(1 - q)` of the total held by the largest fraction
        :math:`q` of units on the Lorenz curve :math:`L` (:mod:`kuailive_analysis.core.stats`).
    """
    rows = []
    for name, vals in metrics.items():
        x = nonnegative(vals, f"concentration_table[{name!r}]")
        pos = x[x > 0]
        rows.append(
            {
                "metric": name,
                "n_units": x.size,
                "n_positive": pos.size,
                "total": x.sum(),
                "gini": gini(x),
                "gini_positive": gini(pos) if pos.size else float("nan"),
                "top1_share": top_share(x, 0.01),
                "top10_share": top_share(x, 0.10),
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def ccdf(values, max_points: int = 400) -> pd.DataFrame:
    r"""The complementary CDF :math:`\bar F(x) = P(X \ge x) = \#\{i : x_i \ge x\} / n`.

    Parameters
    ----------
    values : array-like
        Non-negative values.
    max_points : int
        With more distinct values, :math:`\bar F` is evaluated on a log-spaced grid of this
        many values between the smallest positive value and the maximum (plus 0 if present).

    Returns
    -------
    DataFrame
        Columns ``x`` and ``ccdf``.
    """
    x = np.sort(nonnegative(values, "ccdf"))
    uniq = np.unique(x)
    if uniq.size > max_points:
        pos = uniq[uniq > 0]
        grid = np.unique(np.geomspace(pos[0], pos[-1], max_points))
        grid[-1] = pos[-1]
        uniq = np.concatenate([[0.0], grid]) if uniq[0] == 0 else grid
    below = np.searchsorted(x, uniq, side="left")
    return pd.DataFrame({"x": uniq, "ccdf": 1.0 - below / x.size})


def log_bin_edges(lo: float, hi: float, bins_per_decade: int = 5) -> np.ndarray:
    """Edges :math:`10^{k/b}` (``b`` bins per decade) covering ``[lo, hi]``, ``lo > 0``."""
    if not (lo > 0 and hi >= lo):
        raise ValueError(f"log_bin_edges: need 0 < lo <= hi, got lo={lo!r}, hi={hi!r}.")
    k0 = int(np.floor(np.log10(lo) * bins_per_decade + 1e-9))
    k1 = int(np.ceil(np.log10(hi) * bins_per_decade - 1e-9))
    k1 = max(k1, k0 + 1)
    edges = 10.0 ** (np.arange(k0, k1 + 1) / bins_per_decade)
    if edges[-1] < hi:  # guard against rounding
        edges = np.append(edges, 10.0 ** ((k1 + 1) / bins_per_decade))
    return edges


def log_binned_histogram(values, bins_per_decade: int = 5, integer: bool = False) -> pd.DataFrame:
    r"""Histogram of the positive values on logarithmic bins :math:`[10^{k/b}, 10^{(k+1)/b})`.

    Parameters
    ----------
    values : array-like
        Non-negative values; zeros count in the shares' denominator but in no bin (they
        cannot sit on a log axis, :func:`n_zero` counts them).
    bins_per_decade : int
        Bins per factor of 10.
    integer : bool
        Whole values (counts): edges rounded up to whole numbers, so each bin holds
        ``hi - lo`` whole values and ``density`` is the mean share per value.

    Returns
    -------
    DataFrame
        ``bin_lo``, ``bin_hi`` (``[lo, hi)``, the last bin closed), ``count``, ``share`` (of
        all values) and ``density`` :math:`= \text{share} / (\text{hi} - \text{lo})`, the
        height comparable with a linear-scale density.
    """
    x = nonnegative(values, "log_binned_histogram")
    pos = x[x > 0]
    if pos.size == 0:
        raise ValueError("log_binned_histogram: no positive values to bin.")
    edges = log_bin_edges(pos.min(), pos.max(), bins_per_decade)
    if integer:
        if np.any(pos != np.round(pos)):
            raise ValueError("log_binned_histogram: integer=True but values are not whole.")
        edges = np.unique(np.ceil(edges - 1e-9))
        edges = np.append(edges[edges <= pos.max()], pos.max() + 1)  # top bin ends at max
        if edges.size < 2:
            edges = np.array([pos.min(), pos.min() + 1])
        # half-open integer bins [lo, hi): shifted by 1/2, numpy's closed last bin never gets hi
        counts, _ = np.histogram(pos, bins=edges - 0.5)
    else:
        counts, _ = np.histogram(pos, bins=edges)
    share = counts / x.size
    return pd.DataFrame(
        {
            "bin_lo": edges[:-1],
            "bin_hi": edges[1:],
            "count": counts,
            "share": share,
            "density": share / np.diff(edges),
        }
    )


def n_zero(values) -> int:
    """Number of values equal to 0 (those a log-binned histogram cannot show)."""
    return int((nonnegative(values, "n_zero", allow_empty=True) == 0).sum())


def quantile_summary(
    values, qs: Sequence[float] = (0.25, 0.5, 0.75, 0.9, 0.99), scale: float = 1.0
) -> pd.Series:
    r"""``n``, ``mean``, the quantiles ``p25``.. and ``max`` of ``values / scale``; quantiles
    interpolate linearly between order statistics, :math:`Q(q) = x_{(i)} + (x_{(i+1)} -
    x_{(i)}) f` with :math:`i + f = q (n - 1)` (numpy's default)."""
    x = nonnegative(values, "quantile_summary") / scale
    out = {"n": float(x.size), "mean": float(x.mean())}
    for q in qs:
        out[f"p{round(q * 100):d}"] = float(np.quantile(x, q))
    out["max"] = float(x.max())
    return pd.Series(out)


def linear_histogram(values, edges: Sequence[float]) -> pd.DataFrame:
    """Counts and shares of values in the bins of ``edges`` (``[lo, hi)``, the last closed);
    ``share`` is of all values (values outside the edges count in the denominator)."""
    x = nonnegative(values, "linear_histogram", allow_empty=True)
    e = np.asarray(edges, dtype="float64")
    c, _ = np.histogram(x, bins=e)
    return pd.DataFrame({"lo": e[:-1], "hi": e[1:], "count": c, "share": c / max(x.size, 1)})


def integer_counts(values, max_value: int) -> pd.DataFrame:
    """Units with each whole value ``0..max_value`` (e.g. active days 0..21): ``value``,
    ``count``, ``share``."""
    x = np.asarray(values, dtype="int64")
    if x.size and (x.min() < 0 or x.max() > max_value):
        raise ValueError(
            f"integer_counts: values must lie in 0..{max_value}, found {x.min()}..{x.max()}."
        )
    c = np.bincount(x, minlength=max_value + 1)
    return pd.DataFrame(
        {"value": np.arange(max_value + 1), "count": c, "share": c / max(x.size, 1)}
    )


def share_below(values, threshold: float) -> float:
    """Share of values strictly below ``threshold``."""
    return float((nonnegative(values, "share_below") < threshold).mean())


def share_above(values, threshold: float) -> float:
    """Share of values strictly above ``threshold``."""
    return float((nonnegative(values, "share_above") > threshold).mean())
