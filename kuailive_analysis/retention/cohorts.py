"""The product view: day-N retention by cohort (first active day) and its cohort average."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY, activity_days
from kuailive_analysis.retention.checks import require


def cohort_triangle(
    activity: pd.DataFrame, *, last_day: int = DEFAULT_LAST_DAY, id_col: str = "user_id"
) -> pd.DataFrame:
    """Day-N retention by cohort (cohort :math:`c` = first active day), in long format.

    Only the cells a cohort is old enough to have observed, :math:`N = 0, \\dots, D - c`:

    .. math::

        \\text{rate\\_on}(c, N) = \\frac{\\#\\{u \\in c: u \\text{ active on day } c + N\\}}{|c|},
        \\qquad
        \\text{rate\\_on\\_or\\_after}(c, N) =
        \\frac{\\#\\{u \\in c: u \\text{ active on a day} \\ge c + N\\}}{|c|}.

    Parameters
    ----------
    activity : DataFrame
        Active (id, day) pairs (:func:`activity_days`).
    last_day, id_col : int, str
        :math:`D`, the window's last day; the id column.

    Returns
    -------
    DataFrame
        cohort, n, cohort_size, active_on, active_on_or_after, rate_on ("day-N retention"),
        rate_on_or_after ("unbounded" retention).
    """
    act = activity_days(activity, id_col=id_col, last_day=last_day)
    first = act.groupby(id_col)["day"].transform("min").to_numpy(np.int16)
    last = act.groupby(id_col)["day"].transform("max").to_numpy(np.int16)
    n = act["day"].to_numpy(np.int16) - first
    n_days = last_day + 1
    on = np.zeros((n_days, n_days), dtype=np.int64)
    np.add.at(on, (first, n), 1)
    is_first = n == 0
    reach = (last - first)[is_first]  # last active offset of each user
    cnt = np.zeros((n_days, n_days), dtype=np.int64)
    np.add.at(cnt, (first[is_first], reach), 1)
    on_or_after = cnt[:, ::-1].cumsum(axis=1)[:, ::-1]  # users with reach >= N
    size = on[:, 0]
    cc, nn = np.meshgrid(np.arange(n_days), np.arange(n_days), indexing="ij")
    ok = (cc + nn <= last_day) & (size[cc] > 0)
    out = pd.DataFrame(
        {
            "cohort": cc[ok].astype("int8"),
            "n": nn[ok].astype("int8"),
            "cohort_size": size[cc[ok]],
            "active_on": on[ok],
            "active_on_or_after": on_or_after[ok],
        }
    )
    out["rate_on"] = out["active_on"] / out["cohort_size"]
    out["rate_on_or_after"] = out["active_on_or_after"] / out["cohort_size"]
    return out.sort_values(["cohort", "n"]).reset_index(drop=True)


def averaged_retention(triangle: pd.DataFrame, *, z: float = 1.96) -> pd.DataFrame:
    """The cohort-size-weighted day-N retention curve.

    For each :math:`N` the denominator is the total size of the cohorts old enough to reach day
    :math:`N` (:math:`c + N \\le D`), so young cohorts never count as "not retained"; the rate
    is the pooled share with a Wilson score interval (:func:`population_retention`).

    Parameters
    ----------
    triangle, z : DataFrame, float
        :func:`cohort_triangle`; the normal quantile of the Wilson interval (1.96: 95%).

    Returns
    -------
    DataFrame
        n, n_cohorts, denominator, active_on, rate_on (with Wilson ``on_lo`` / ``on_hi``),
        active_on_or_after, rate_on_or_after.
    """
    require(triangle, ["n", "cohort_size", "active_on", "active_on_or_after"], "triangle")
    g = (
        triangle.groupby("n")
        .agg(
            n_cohorts=("cohort_size", "size"),
            denominator=("cohort_size", "sum"),
            active_on=("active_on", "sum"),
            active_on_or_after=("active_on_or_after", "sum"),
        )
        .reset_index()
    )
    g["rate_on"] = g["active_on"] / g["denominator"]
    g["rate_on_or_after"] = g["active_on_or_after"] / g["denominator"]
    lo, hi = wilson_interval(g["active_on"].to_numpy(), g["denominator"].to_numpy(), z=z)
    g["on_lo"], g["on_hi"] = lo, hi
    return g


def retention_at(averaged: pd.DataFrame, n: int, column: str = "rate_on") -> float:
    """The averaged retention ``column`` at day ``n`` (NaN when no cohort reaches day ``n``)."""
    row = averaged.loc[averaged["n"] == n, column]
    return float(row.iloc[0]) if len(row) else float("nan")
