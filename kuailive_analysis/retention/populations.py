"""Who is retained: existing vs new users (by account age, :mod:`.new_users`), day-N
retention of each population, and small cohorts pooled for the triangle.

KuaiLive's window opens on a platform that has been running for years: most sampled users are
active on day 0 because they were regulars before the window, not because they joined that day,
and a user first seen on a later day is usually a regular who skipped the first days. So a
population is defined by the account (the first live watch, or the registration, in or just
before the window), not by the first day seen; each population has its own cohort triangle
(cohort = first active day), and :func:`population_retention` pools it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.checks import require

EXISTING = "existing users"
NEW = "new users (by account age)"
POPULATIONS = (EXISTING, NEW)
ALL_USERS = "all users"
DAY0 = "day-0 cohort"
LATER = "cohorts of days 1+"
"""The cohort split (first active day 0 vs later): how the day-0 cohort weighs in the pooled
rates, and the earlier, misleading, notion of "new"."""


def population_retention(
    triangles: Mapping[str, pd.DataFrame], horizons=(1, 7), *, conf: float = 0.95
) -> pd.DataFrame:
    """Day-N retention of each population, with Wilson intervals.

    For a population (its own :func:`cohort_triangle`) and :math:`N`, only the cohorts old
    enough to reach day :math:`N` count: :math:`k` of their :math:`n` users are active on day
    :math:`c + N`, the size-weighted rate is :math:`\\hat p = k / n` and its Wilson score
    interval, with :math:`z` the normal quantile of ``conf``,

    .. math::

        \\frac{\\hat p + \\frac{z^2}{2n}}{1 + \\frac{z^2}{n}} \\pm
        \\frac{z}{1 + \\frac{z^2}{n}} \\sqrt{\\frac{\\hat p (1 - \\hat p)}{n} +
        \\frac{z^2}{4 n^2}};

    ``unweighted`` is the plain mean of the cohorts' rates (each cohort counts once).

    Parameters
    ----------
    triangles : mapping
        {population: :func:`cohort_triangle` of its users}, in display order.
    horizons, conf : sequence of int, float
        The days :math:`N`; the confidence level.

    Returns
    -------
    DataFrame
        population, n, users (population size), cohorts (cohorts reaching N), denominator,
        retained, rate, lo, hi, unweighted.
    """
    rows = []
    for pop, part in triangles.items():
        require(part, ["cohort", "n", "cohort_size", "active_on", "rate_on"], "triangle")
        users = int(part.loc[part["n"] == 0, "cohort_size"].sum())
        for n in horizons:
            cell = part[part["n"] == n]
            den, ret = int(cell["cohort_size"].sum()), int(cell["active_on"].sum())
            lo, hi = wilson_interval(ret, den, conf) if den else (np.nan, np.nan)
            rows.append(
                {
                    "population": pop,
                    "n": int(n),
                    "users": users,
                    "cohorts": len(cell),
                    "denominator": den,
                    "retained": ret,
                    "rate": ret / den if den else float("nan"),
                    "lo": float(lo),
                    "hi": float(hi),
                    "unweighted": float(cell["rate_on"].mean()) if len(cell) else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def cohort_split(triangle: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{:data:`DAY0`: the day-0 cohort's rows, :data:`LATER`: the later cohorts'} of a
    triangle (for :func:`population_retention`)."""
    return {DAY0: triangle[triangle["cohort"] == 0], LATER: triangle[triangle["cohort"] >= 1]}


@dataclass(frozen=True)
class Rate:
    """One retention rate with its Wilson interval and sample size."""

    rate: float
    lo: float
    hi: float
    denominator: int
    unweighted: float = float("nan")

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2


def rate_of(table: pd.DataFrame, population: str, n: int) -> Rate:
    """The :class:`Rate` of ``population`` at day ``n`` in :func:`population_retention`."""
    row = table[(table["population"] == population) & (table["n"] == n)]
    if row.empty:
        return Rate(float("nan"), float("nan"), float("nan"), 0)
    r = row.iloc[0]
    return Rate(
        *(float(r[c]) for c in ("rate", "lo", "hi")), int(r["denominator"]), float(r["unweighted"])
    )


def difference(a: Rate, b: Rate, z: float = 1.959964) -> tuple[float, float, float]:
    """``a - b`` with the normal (Wald) 95% interval of two independent proportions,

    .. math::

        \\hat p_a - \\hat p_b \\pm z \\sqrt{\\frac{\\hat p_a (1 - \\hat p_a)}{n_a} +
        \\frac{\\hat p_b (1 - \\hat p_b)}{n_b}}

    (NaN when a sample is empty)."""
    if not (a.denominator and b.denominator):
        return float("nan"), float("nan"), float("nan")
    d = a.rate - b.rate
    se = np.sqrt(a.rate * (1 - a.rate) / a.denominator + b.rate * (1 - b.rate) / b.denominator)
    return float(d), float(d - z * se), float(d + z * se)


def pool_cohorts(triangle: pd.DataFrame, min_size: int = 30) -> pd.DataFrame:
    """Consecutive cohorts smaller than ``min_size`` merged into blocks (for the heat map).

    A block closes as soon as it holds ``min_size`` users; a trailing block may stay smaller
    and is flagged. Cell (block, N) pools the block's cohorts that reach day N.

    Parameters
    ----------
    triangle, min_size : DataFrame, int
        :func:`cohort_triangle`; the smallest block.

    Returns
    -------
    DataFrame
        cohort (first day of the block), cohort_last, label, cohort_size (block size), n,
        denominator (users of the block's cohorts that reach N), active_on,
        active_on_or_after, rate_on, rate_on_or_after, small (denominator < ``min_size``).
    """
    require(triangle, ["cohort", "n", "cohort_size", "active_on", "active_on_or_after"], "tri")
    sizes = triangle.groupby("cohort")["cohort_size"].first()
    block, first, total = {}, None, 0
    for c, s in sizes.items():
        if first is None:
            first, total = c, 0
        block[c] = first
        total += int(s)
        if total >= min_size:
            first = None
    t = triangle.assign(block=triangle["cohort"].map(block))
    g = (
        t.groupby(["block", "n"])
        .agg(
            denominator=("cohort_size", "sum"),
            active_on=("active_on", "sum"),
            active_on_or_after=("active_on_or_after", "sum"),
        )
        .reset_index()
        .rename(columns={"block": "cohort"})
    )
    g["cohort_last"] = g["cohort"].map(t.groupby("block")["cohort"].max())
    g["cohort_size"] = g["cohort"].map(t[t["n"] == 0].groupby("block")["cohort_size"].sum())
    g["cohort_size"] = g["cohort_size"].astype("int64")
    g["label"] = [
        f"day {a} (n={s:,})" if a == b else f"days {a}-{b} (pooled, n={s:,})"
        for a, b, s in zip(g["cohort"], g["cohort_last"], g["cohort_size"])
    ]
    g["rate_on"] = g["active_on"] / g["denominator"]
    g["rate_on_or_after"] = g["active_on_or_after"] / g["denominator"]
    g["small"] = g["denominator"] < min_size
    return g
