"""Weekly retention and DAU/WAU stickiness on Beijing calendar weeks.

The window starts on a Monday (:data:`core.calendar.WINDOW_START_WEEKDAY` = 0), so calendar
week ``w = day // 7`` runs Monday to Sunday: week 0 = days 0-6, week 1 = days 7-13, week 2 =
days 14-20.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import N_WINDOW_DAYS, WINDOW_START_WEEKDAY
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.retention.checks import require

DAYS_PER_WEEK = 7
if WINDOW_START_WEEKDAY != 0:  # pragma: no cover - the calendar says the window opens on Monday
    raise RuntimeError("weekly retention assumes the window opens on a Monday")


def week_of(day) -> np.ndarray:
    """Calendar week (Monday to Sunday) of a Beijing day index."""
    return np.asarray(day) // DAYS_PER_WEEK


def weekly_retention(
    activity: pd.DataFrame, *, last_day: int = N_WINDOW_DAYS - 1, id_col: str = "user_id"
) -> pd.DataFrame:
    """Week-N retention by first active week (Amplitude N-week retention, Mixpanel weekly
    retention "on" week N): the share of a first-active-week cohort active in week N after it,
    with a Wilson 95% interval; complete weeks up to ``last_day`` only.

    Parameters
    ----------
    activity, last_day, id_col : DataFrame, int, str
        Active (id, day) pairs; the window's last day; the id column.

    Returns
    -------
    DataFrame
        cohort_week, n_weeks (N), cohort_size, retained, rate, lo, hi.
    """
    require(activity, [id_col, "day"], "activity")
    act = activity[activity["day"] <= last_day]
    n_weeks = (last_day + 1) // DAYS_PER_WEEK
    uw = act.assign(week=week_of(act["day"]))[[id_col, "week"]].drop_duplicates()
    uw = uw[uw["week"] < n_weeks]
    first = uw.groupby(id_col)["week"].transform("min")
    uw = uw.assign(cohort_week=first, n_weeks=uw["week"] - first)
    size = uw[uw["n_weeks"] == 0].groupby("cohort_week").size()
    rows = []
    for cw, s in size.items():
        for n in range(1, n_weeks - int(cw)):
            k = int(((uw["cohort_week"] == cw) & (uw["n_weeks"] == n)).sum())
            lo, hi = wilson_interval(k, int(s))
            rows.append((int(cw), n, int(s), k, k / s, float(lo), float(hi)))
    cols = ["cohort_week", "n_weeks", "cohort_size", "retained", "rate", "lo", "hi"]
    return pd.DataFrame(rows, columns=cols)


def dau_wau(
    activity: pd.DataFrame, *, last_day: int = N_WINDOW_DAYS - 1, id_col: str = "user_id"
) -> pd.DataFrame:
    """DAU/WAU stickiness on every day :math:`d \\ge 6` (a full rolling week behind it):

    .. math::

        \\frac{\\text{DAU}(d)}{\\text{WAU}(d)} =
        \\frac{\\#\\{u: u \\text{ active on } d\\}}
        {\\#\\{u: u \\text{ active on a day in } d - 6, \\dots, d\\}},

    :math:`1/7` when a weekly user comes once a week, 1 when every weekly user comes daily.

    Parameters
    ----------
    activity, last_day, id_col : DataFrame, int, str
        Active (id, day) pairs; the window's last day; the id column.

    Returns
    -------
    DataFrame
        day, week, dau, wau, ratio.
    """
    require(activity, [id_col, "day"], "activity")
    act = activity[activity["day"] <= last_day][[id_col, "day"]].drop_duplicates()
    dau = act.groupby("day")[id_col].nunique()
    rows = []
    for d in range(DAYS_PER_WEEK - 1, last_day + 1):
        wau = act.loc[act["day"].between(d - DAYS_PER_WEEK + 1, d), id_col].nunique()
        n = int(dau.get(d, 0))
        rows.append((d, int(week_of(d)), n, int(wau), n / wau if wau else float("nan")))
    return pd.DataFrame(rows, columns=["day", "week", "dau", "wau", "ratio"])
