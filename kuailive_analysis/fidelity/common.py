"""Definitions and array helpers shared by the measuring modules: the UTC days and weeks of
the sources, the age bands, the shop-room durations, and small NaN-safe statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_DAY, MS_PER_MINUTE, WINDOW_START_MS, utc_day
from kuailive_analysis.core.keys import combined_key, dense_codes
from kuailive_analysis.core.stats import gini

UTC_MAY_4 = int(utc_day(WINDOW_START_MS))  # 20,212: 2025-05-04 UTC, whose 16:00 starts the window
UTC_MAY_5, UTC_MAY_21, UTC_MAY_25 = UTC_MAY_4 + 1, UTC_MAY_4 + 17, UTC_MAY_4 + 21
UTC_WEEKS = (
    (UTC_MAY_4, UTC_MAY_4 + 7),
    (UTC_MAY_4 + 7, UTC_MAY_4 + 14),
    (UTC_MAY_4 + 14, UTC_MAY_4 + 21),
)
"""UTC weeks May 4-10, 11-17, 18-24 as [first day, last day + 1)."""
UTC_8_7_7 = (
    (UTC_MAY_4, UTC_MAY_4 + 8),
    (UTC_MAY_4 + 8, UTC_MAY_4 + 15),
    (UTC_MAY_4 + 15, UTC_MAY_4 + 22),
)
"""UTC periods May 4-11, 12-18, 19-25 (8 / 7 / 7 days)."""
FULL_UTC_DAYS = (UTC_MAY_5, UTC_MAY_25)
"""Full UTC days of the logs: May 5 .. May 24 (May 4 starts at 16:00 UTC, May 25 is short)."""

UNDER_18 = ("12-17",)
AGE_18_40 = ("18-23", "24-30", "31-40")
OVER_40 = ("41-49", "50+")
SHOP_MIN_MS, SHOP_MAX_MS = 5 * MS_PER_MINUTE, MS_PER_DAY
"""Shop rooms of the third-party statistics: 5 min < duration < 24 h."""


def nan_if_empty(fn, values, *args) -> float:
    """``fn(values, *args)`` as a float, NaN for no values."""
    values = np.asarray(values)
    return float(fn(values, *args)) if values.size else float("nan")


def quantiles(values, qs) -> list[float]:
    """numpy's (linear) quantiles ``qs`` of ``values``; NaN each for no values."""
    v = np.asarray(values, dtype="float64")
    if not v.size:
        return [float("nan")] * len(qs)
    return [float(x) for x in np.quantile(v, qs)]


def per_unit(pop_ids: np.ndarray, ids: np.ndarray, weights=None) -> np.ndarray:
    """Sum (or count) of events per unit of the population ``pop_ids`` (zeros included)."""
    size = int(max(pop_ids.max(initial=0), np.asarray(ids).max(initial=0))) + 1
    return np.bincount(ids, weights=weights, minlength=size)[pop_ids]


def share(mask) -> float:
    """Share of True values; NaN for none."""
    mask = np.asarray(mask)
    return float(mask.mean()) if mask.size else float("nan")


def ratio(a: float, b: float) -> float:
    """``a / b``; NaN when ``b`` is 0."""
    return a / b if b else float("nan")


def in_days(day: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Days in ``[span[0], span[1])``."""
    return (day >= span[0]) & (day < span[1])


def max_share_per_user(user: np.ndarray, other: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per user: the largest total ``weight`` with one ``other`` over the user's total
    (users with a positive total only)."""
    if not len(user):
        return np.zeros(0)
    code, k = dense_codes(combined_key(user, other))
    sums = np.bincount(code, weights=weight, minlength=k)
    pair_user = np.empty(k, dtype=np.int64)
    pair_user[code] = user
    df = pd.DataFrame({"u": pair_user, "w": sums})
    g = df.groupby("u")["w"].agg(["max", "sum"])
    g = g[g["sum"] > 0]
    return (g["max"] / g["sum"]).to_numpy()


def daily_gini(day: np.ndarray, streamer: np.ndarray, weight, days: tuple[int, int]) -> float:
    r"""The daily-averaged Gini: the mean over the UTC days :math:`d` in ``days`` (those with
    any) of the Gini across the streamers with a positive total that day,

    .. math:: \bar G = \frac{1}{|D|} \sum_{d \in D} G\big(\{x_{s,d} : x_{s,d} > 0\}\big),

    with :math:`x_{s,d}` the events (or the sum of ``weight``) of streamer :math:`s` on day
    :math:`d` and :math:`G` :func:`kuailive_analysis.core.stats.gini`."""
    keep = in_days(day, days)
    if not keep.any():
        return float("nan")
    key = combined_key(day[keep], streamer[keep])
    code, k = dense_codes(key)
    w = None if weight is None else np.asarray(weight, dtype="float64")[keep]
    sums = np.bincount(code, weights=w, minlength=k)
    pair_day = np.empty(k, dtype=np.int64)
    pair_day[code] = day[keep]
    ginis = [
        gini(sums[(pair_day == d) & (sums > 0)])
        for d in np.unique(pair_day)
        if ((pair_day == d) & (sums > 0)).any()
    ]
    return float(np.mean(ginis)) if ginis else float("nan")
