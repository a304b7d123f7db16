"""Who is retained: users already active on day 0 vs users new to the window, cohort weighting,
and small cohorts pooled for the triangle.

KuaiLive's window opens on a platform that has been running for years: most sampled users are
active on day 0 because they were regulars before the window, not because they joined that day.
Their "day-N retention" is the stickiness of existing users. Users first seen on a later day are
*new to the window* (most still have an account history; they are new to this log, not to the
platform). The two populations answer different questions and are reported separately.

* :func:`population_retention`: day-N retention ("on" day N, Amplitude N-day) of each
  population with a Wilson 95% interval, and the size-weighted vs unweighted cohort mean.
* :func:`pool_cohorts`: consecutive cohorts smaller than ``min_size`` merged into blocks (for
  the heat map), each cell with its own denominator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.checks import require

EXISTING = "existing users (active on day 0)"
NEW = "new to the window (first active day 1+)"
POPULATIONS = (EXISTING, NEW)


def population_of(cohort) -> np.ndarray:
    """The population label of each cohort (first active day): day 0 -> existing users."""
    c = np.asarray(cohort)
    return np.where(c == 0, EXISTING, NEW)


def population_retention(
    triangle: pd.DataFrame, horizons=(1, 7), *, conf: float = 0.95
) -> pd.DataFrame:
    """Day-N retention of each population (and of all users) from :func:`cohort_triangle`.

    For each population and N, only cohorts old enough to reach day N count. ``rate`` is the
    size-weighted mean (pooled users: retained / denominator) with a Wilson interval
    ``lo``/``hi``; ``unweighted`` is the plain mean of the cohorts' rates (each cohort counts
    once, whatever its size). Columns: population, n, users (population size), cohorts
    (cohorts reaching N), denominator, retained, rate, lo, hi, unweighted.
    """
    require(triangle, ["cohort", "n", "cohort_size", "active_on", "rate_on"], "triangle")
    tri = triangle.assign(population=population_of(triangle["cohort"]))
    sizes = tri[tri["n"] == 0]
    rows = []
    for pop in (*POPULATIONS, "all users"):
        part = tri if pop == "all users" else tri[tri["population"] == pop]
        users = int(
            (sizes if pop == "all users" else sizes[sizes["population"] == pop])[
                "cohort_size"
            ].sum()
        )
        for n in horizons:
            cell = part[part["n"] == n]
            den = int(cell["cohort_size"].sum())
            ret = int(cell["active_on"].sum())
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
    """The :class:`Rate` of ``population`` at day ``n`` from :func:`population_retention`."""
    row = table[(table["population"] == population) & (table["n"] == n)]
    if row.empty:
        return Rate(float("nan"), float("nan"), float("nan"), 0)
    r = row.iloc[0]
    return Rate(
        float(r["rate"]),
        float(r["lo"]),
        float(r["hi"]),
        int(r["denominator"]),
        float(r["unweighted"]),
    )


def difference(a: Rate, b: Rate, z: float = 1.959964) -> tuple[float, float, float]:
    """``a - b`` with a normal (Wald) 95% interval for two independent proportions."""
    d = a.rate - b.rate
    if not (a.denominator and b.denominator):
        return float("nan"), float("nan"), float("nan")
    se = np.sqrt(a.rate * (1 - a.rate) / a.denominator + b.rate * (1 - b.rate) / b.denominator)
    return float(d), float(d - z * se), float(d + z * se)


def pool_cohorts(triangle: pd.DataFrame, min_size: int = 30) -> pd.DataFrame:
    """Consecutive cohorts smaller than ``min_size`` merged into blocks of at least
    ``min_size`` users (a block closes as soon as it is big enough; a trailing block may stay
    smaller and is flagged). Cell (block, N) pools the block's cohorts that reach day N.

    Columns: cohort (first day of the block), cohort_last, label, cohort_size (block size), n,
    denominator (users of the block's cohorts that reach N), active_on, active_on_or_after,
    rate_on, rate_on_or_after, small (denominator < ``min_size``).
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
            cohort_last=("cohort", "max"),
            denominator=("cohort_size", "sum"),
            active_on=("active_on", "sum"),
            active_on_or_after=("active_on_or_after", "sum"),
        )
        .reset_index()
        .rename(columns={"block": "cohort"})
    )
    block_size = t[t["n"] == 0].groupby("block")["cohort_size"].sum()
    last = t.groupby("block")["cohort"].max()
    g["cohort_last"] = g["cohort"].map(last)
    g["cohort_size"] = g["cohort"].map(block_size).astype("int64")
    g["label"] = [
        f"day {a} (n={s:,})" if a == b else f"days {a}-{b} (pooled, n={s:,})"
        for a, b, s in zip(g["cohort"], g["cohort_last"], g["cohort_size"])
    ]
    g["rate_on"] = g["active_on"] / g["denominator"]
    g["rate_on_or_after"] = g["active_on_or_after"] / g["denominator"]
    g["small"] = g["denominator"] < min_size
    return g
