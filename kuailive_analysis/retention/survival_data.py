"""The survival table: one row per id with time to churn and administrative right-censoring."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY, activity_days
from kuailive_analysis.retention.checks import RetentionError

SURVIVAL_COLUMNS = (
    "first_day",
    "last_active_day",
    "n_active_days",
    "duration",
    "event",
    "returned",
    "censor_time",
    "eligible",
)


def follow_up_days(churn_days: int, last_day: int = DEFAULT_LAST_DAY) -> int:
    """The longest follow-up (days) with churn threshold ``k``: ``last_day - k + 1``, the
    censoring time ``c`` of a user who enters on day 0. Also the restricted-mean horizon that
    every threshold up to ``k`` reaches."""
    return int(last_day) - int(churn_days) + 1


def survival_table(
    activity: pd.DataFrame,
    *,
    churn_days: int = 7,
    last_day: int = DEFAULT_LAST_DAY,
    id_col: str = "user_id",
) -> pd.DataFrame:
    """Time to churn with administrative right-censoring, one row per id (the definitions are
    in the package docstring).

    With entry day :math:`f`, the last active day :math:`L` of the first spell (before the
    first gap of :math:`k` = ``churn_days`` inactive days) and the last day :math:`D` of the
    window:

    .. math::

        T = L - f + 1, \\qquad c = D - k - f + 1, \\qquad
        \\text{duration} = \\min(T, c), \\qquad \\text{event} = [T \\le c].

    Parameters
    ----------
    activity : DataFrame
        Active (id, day) pairs (rows with ``active == False`` are ignored).
    churn_days, last_day, id_col : int, int, str
        :math:`k`, the silent days that make a churn; :math:`D` (default 20); the id column.

    Returns
    -------
    DataFrame
        Sorted by id: ``id_col``; ``first_day`` :math:`f`; ``last_active_day`` :math:`L`;
        ``n_active_days`` (in the first spell); ``duration`` (days, int16); ``event`` (churn
        observed); ``returned`` (active again after a churn gap); ``censor_time`` :math:`c`;
        ``eligible`` (:math:`c \\ge 1`: the user can be assessed; ineligible rows have
        ``duration = 0`` and are dropped before fitting).
    """
    if int(churn_days) < 1:
        raise RetentionError(f"churn_days must be a positive number of days, got {churn_days!r}.")
    k = int(churn_days)
    act = activity_days(activity, id_col=id_col, last_day=last_day)
    if act.empty:
        raise RetentionError("activity has no active (id, day) rows: nothing to analyse.")
    ids = act[id_col].to_numpy()
    day = act["day"].to_numpy(np.int16)
    new_id = np.r_[True, ids[1:] != ids[:-1]]
    gap = np.where(new_id, 0, np.diff(day, prepend=day[0]) - 1)
    # rows at or after the first churn gap of their id
    seg = np.cumsum(new_id) - 1
    after = pd.Series(gap >= k).groupby(seg).cumsum().to_numpy() > 0
    g = pd.DataFrame({"seg": seg, "day": day, "in_spell": ~after, "after": after})
    first = g.groupby("seg")["day"].min().to_numpy()
    spell = g[g["in_spell"]].groupby("seg")["day"].agg(["max", "size"])
    returned = g.groupby("seg")["after"].any().to_numpy()
    last_active = spell["max"].to_numpy()
    t = last_active - first + 1
    c = last_day - k - first + 1
    eligible = c >= 1
    return pd.DataFrame(
        {
            id_col: ids[new_id].astype("int32"),
            "first_day": first.astype("int8"),
            "last_active_day": last_active.astype("int8"),
            "n_active_days": spell["size"].to_numpy().astype("int16"),
            "duration": np.where(eligible, np.minimum(t, c), 0).astype("int16"),
            "event": (eligible & (t <= c)).astype(bool),
            "returned": returned.astype(bool),
            "censor_time": c.astype("int16"),
            "eligible": eligible.astype(bool),
        }
    )
