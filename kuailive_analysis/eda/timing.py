"""Section 2.3 "When people watch": activity by Beijing hour, weekday and day.

All days and hours are Beijing time (:mod:`kuailive_analysis.core.calendar`); 2025-05-05
(day 0) is a Monday, so each weekday occurs three times in the 21-day window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core.calendar import (
    MS_PER_HOUR,
    N_WINDOW_DAYS,
    WEEKDAY_NAMES,
    day_start_ms,
    ms_to_beijing,
    weekday_of_day,
)
from kuailive_analysis.core.checks import require_columns

INTERACTION_TABLES = ("clicks", "comments", "likes", "gifts")
"""The event tables whose events are *interactions* (negatives excluded)."""


def days_per_weekday(n_days: int = N_WINDOW_DAYS) -> np.ndarray:
    """How many of the days 0..n_days-1 fall on each weekday (length-7 array, Monday first)."""
    return np.bincount(weekday_of_day(np.arange(n_days)), minlength=7)


def hour_weekday_matrix(
    events: pd.DataFrame, weight: str | None = None, n_days: int = N_WINDOW_DAYS
) -> pd.DataFrame:
    r"""Mean events per calendar day by weekday :math:`w` and Beijing hour :math:`h`,

    .. math:: m_{w,h} = \frac{\#\{\text{events on weekday } w \text{ at hour } h\}}
        {\#\{\text{days of weekday } w \text{ in the window}\}}

    (3 of each weekday in 21 days), so a day without events counts as zero activity.

    Parameters
    ----------
    events : DataFrame
        Columns ``day`` (0..n_days-1) and ``hour`` (0..23).
    weight : str, optional
        Sum this column instead of counting events.
    n_days : int
        Days of the window.

    Returns
    -------
    DataFrame
        7 x 24: index ``Mon``..``Sun``, columns 0..23.
    """
    cols = ["day", "hour"] + ([weight] if weight else [])
    require_columns(events, cols, "events")
    day = events["day"].to_numpy(dtype="int64")
    if len(day) and (day.min() < 0 or day.max() >= n_days):
        bad = day.min() if day.min() < 0 else day.max()
        raise ValueError(
            f"events: column 'day' has value {bad} outside the window 0..{n_days - 1}."
        )
    hour = events["hour"].to_numpy(dtype="int64")
    if len(hour) and (hour.min() < 0 or hour.max() > 23):
        raise ValueError("events: column 'hour' has values outside 0..23.")
    cell = weekday_of_day(day) * 24 + hour
    w = None if weight is None else events[weight].to_numpy(dtype="float64")
    total = np.bincount(cell, weights=w, minlength=7 * 24).reshape(7, 24)
    per_day = total / np.maximum(days_per_weekday(n_days), 1)[:, None]
    return pd.DataFrame(
        per_day,
        index=pd.Index(WEEKDAY_NAMES, name="weekday"),
        columns=pd.Index(range(24), name="hour"),
    )


def hourly_profile(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of each table's events in each Beijing hour (index hour 0..23, one column each)."""
    out = {}
    for name, ev in tables.items():
        require_columns(ev, ["hour"], name)
        c = np.bincount(ev["hour"].to_numpy(dtype="int64"), minlength=24)[:24]
        out[name] = c / max(c.sum(), 1)
    return pd.DataFrame(out, index=pd.Index(range(24), name="hour"))


def peak_window(hour_share, width: int = 6) -> tuple[int, float]:
    r"""The ``width``-hour window of the day (wrapping midnight) holding the most activity,

    .. math:: s^* = \arg\max_s \sum_{j=0}^{w-1} x_{(s+j) \bmod 24}

    (the first on ties) for the 24 hourly values :math:`x_h` (shares or counts).

    Returns
    -------
    tuple
        ``(start_hour, share)``, the window's part of the total; e.g. (18, 0.45):
        18:00-24:00 holds 45%.
    """
    h = np.asarray(hour_share, dtype="float64")
    if h.size != 24:
        raise ValueError(f"peak_window: need 24 hourly values, got {h.size}.")
    if not 1 <= width <= 24:
        raise ValueError(f"peak_window: width must be 1..24 hours, got {width}.")
    ext = np.concatenate([h, h])
    sums = np.array([ext[s : s + width].sum() for s in range(24)])  # 24 numbers, not rows
    s = int(np.argmax(sums))
    return s, float(sums[s] / h.sum()) if h.sum() > 0 else float("nan")


def hour_window_label(start: int, width: int) -> str:
    """A ``width``-hour window of the day as text, e.g. (18, 6) -> ``'18:00-24:00'``."""
    s = int(start)
    end = (s + width) % 24 if (s + width) != 24 else 24
    return f"{s:02d}:00-{end:02d}:00"


def daily_totals(user_day: pd.DataFrame, n_days: int = N_WINDOW_DAYS) -> pd.DataFrame:
    """Activity per Beijing day.

    Parameters
    ----------
    user_day : DataFrame
        The user-day panel (``user_id``, ``day``, ``active`` and the day's sums).
    n_days : int
        Days of the window.

    Returns
    -------
    DataFrame
        One row per day 0..n_days-1: ``date``, ``weekday``, ``active_users`` (users with a
        click, comment, like or gift) and the sums of clicks, watch hours, comments, likes,
        gifts, gift value and negatives.
    """
    sums = ["n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value", "n_negatives"]
    require_columns(user_day, ["user_id", "day", "active", *sums], "user_day")
    g = user_day.groupby("day")
    out = g[sums].sum()
    out["active_users"] = user_day.loc[user_day["active"].astype(bool)].groupby("day").size()
    out = out.reindex(range(n_days)).fillna(0).astype("int64")
    out["watch_hours"] = out.pop("watch_ms") / MS_PER_HOUR
    out.index.name = "day"
    out.insert(0, "date", ms_to_beijing(day_start_ms(out.index.to_numpy())).date)
    out.insert(1, "weekday", [WEEKDAY_NAMES[w] for w in weekday_of_day(out.index)])
    return out


# ---------------------------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Timing(Section):
    """When people watch: ``matrix`` (mean clicks per day by weekday x hour,
    :func:`hour_weekday_matrix`), ``daily`` (:func:`daily_totals`), ``profile`` (share of each
    behaviour's events per hour, :func:`hourly_profile`) and the quoted values."""

    matrix: pd.DataFrame = field(repr=False)
    daily: pd.DataFrame = field(repr=False)
    profile: pd.DataFrame = field(repr=False)
    activity_peak: str = glued()
    activity_peak_share: float = glued()
    peak_hours: int = glued()
    uniform_peak_share: float = glued()
    noon_share: float = glued()
    morning_share: float = glued()
    daily_active_median: float = glued()
    daily_active_min: int = glued()
    daily_active_max: int = glued()
    weekend_ratio: float = glued()


def timing_section(ds, peak_hours: int = 6) -> Timing:
    """The :class:`Timing` section from a dataset (hour columns of the event tables, the
    user-day panel); ``peak_hours``: width of the busiest window of interactions."""
    clicks = ds.table("clicks", ["day", "hour"])
    hours: Mapping[str, pd.DataFrame] = {
        "clicks": clicks,
        "comments": ds.table("comments", ["hour"]),
        "likes": ds.table("likes", ["hour"]),
        "gifts": ds.table("gifts", ["hour"]),
        "unclicked exposures": ds.table("negatives", ["hour"]),
    }
    profile = hourly_profile(hours)
    per_hour = (
        profile[list(INTERACTION_TABLES)] * [len(hours[t]) for t in INTERACTION_TABLES]
    ).sum(axis=1)
    peak, peak_share = peak_window(per_hour, peak_hours)
    daily = daily_totals(ds.user_day)
    weekend = daily.groupby(daily["weekday"].isin(["Sat", "Sun"]))["n_clicks"].mean()
    return Timing(
        matrix=hour_weekday_matrix(clicks),
        daily=daily,
        profile=profile,
        activity_peak=hour_window_label(peak, peak_hours),
        activity_peak_share=peak_share,
        peak_hours=peak_hours,
        uniform_peak_share=peak_hours / 24,
        noon_share=profile.loc[11:13, "clicks"].sum(),
        morning_share=profile.loc[8:10, "clicks"].sum(),
        daily_active_median=daily["active_users"].median(),
        daily_active_min=daily["active_users"].min(),
        daily_active_max=daily["active_users"].max(),
        weekend_ratio=weekend.get(True, np.nan) / weekend.get(False, np.nan),
    )
