"""Section 2.2 "Room schedules": when rooms start, how many are live at once, how long they last.

Rooms already live at the window start have an unobserved start and rooms still live at
extraction (``end_censored``) only a lower bound on their duration: start-hour counts and
duration quantiles use the rooms that started inside the window (and, for durations, ended).
The aggregations over the room table are SQL definitions
(:mod:`kuailive_analysis.engine.queries.eda`) run on the dataset's engine: the room table
(11.8M rows at full scale) never enters pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core.calendar import (
    MS_PER_MINUTE,
    WINDOW_END_MS,
    WINDOW_START_MS,
    days_since_start,
    ms_to_beijing,
)
from kuailive_analysis.eda.profiles import MISSING_LABEL
from kuailive_analysis.eda.timing import hour_window_label, peak_window
from kuailive_analysis.engine.queries import eda as EQ

START_PEAK_HOURS = 4
"""Width of the busiest window of room starts (hours)."""

DURATION_VALUES = ("p25", "median", "p75", "p90", "mean")


def room_start_hours(ds, within_window: bool = True) -> pd.DataFrame:
    """Rooms by Beijing start hour (:data:`~kuailive_analysis.engine.queries.eda.
    ROOM_START_HOURS` on the dataset's engine).

    Parameters
    ----------
    ds : Dataset
        The rooms are its ``rooms`` table.
    within_window : bool
        Count only the rooms starting in [2025-05-05, 2025-05-26) Beijing (rooms already live
        at the window start have an earlier, unobserved schedule).

    Returns
    -------
    DataFrame
        Index ``hour`` 0..23; ``n_rooms`` and ``share``.
    """
    df = ds.query(EQ.ROOM_START_HOURS, within_window=within_window)
    c = df.set_index("hour")["n_rooms"].reindex(range(24), fill_value=0).to_numpy(dtype="int64")
    return pd.DataFrame(
        {"n_rooms": c, "share": c / max(c.sum(), 1)}, index=pd.Index(range(24), name="hour")
    )


def rooms_live_over_time(
    ds, step_min: int = 15, start_ms: int = WINDOW_START_MS, end_ms: int = WINDOW_END_MS
) -> pd.DataFrame:
    r"""Number of rooms live at each moment :math:`t_k` of a grid every ``step_min`` minutes.

    A room is live at :math:`t` when :math:`s \le t < e` (start, end), so

    .. math:: n(t) = \#\{s \le t\} - \#\{e \le t\};

    the SQL definition :data:`~kuailive_analysis.engine.queries.eda.ROOM_LIVE_STEPS` counts
    starts and ends per grid step, cumulated here.

    Returns
    -------
    DataFrame
        ``ts_ms``, ``time`` (Beijing), ``day_float`` (days since the window start), ``n_live``.
    """
    if step_min <= 0:
        raise ValueError(f"rooms_live_over_time: step_min must be positive, got {step_min}.")
    step_ms = int(step_min * MS_PER_MINUTE)
    steps = ds.query(EQ.ROOM_LIVE_STEPS, start_ms=int(start_ms), step_ms=step_ms)
    if int(steps["n_bad"].sum()) > 0:
        raise ValueError("rooms: some end_ms is before start_ms; clean the room table first.")
    t = np.arange(start_ms, end_ms, step_ms, dtype="int64")
    k = steps["k"].to_numpy(dtype="int64")
    inside = (k >= 0) & (k < len(t))
    n_start = np.bincount(k[inside], weights=steps["n_start"].to_numpy()[inside], minlength=len(t))
    n_end = np.bincount(k[inside], weights=steps["n_end"].to_numpy()[inside], minlength=len(t))
    n = (np.cumsum(n_start[: len(t)]) - np.cumsum(n_end[: len(t)])).astype("int64")
    return pd.DataFrame(
        {"ts_ms": t, "time": ms_to_beijing(t), "day_float": days_since_start(t), "n_live": n}
    )


def room_duration_summary(
    ds, by: str | Sequence[str] | None = "live_content_category", ended_only: bool = True
) -> pd.DataFrame:
    """Room durations (minutes) by group, from
    :func:`~kuailive_analysis.engine.queries.eda.room_duration_query` on the dataset's engine.

    Parameters
    ----------
    ds : Dataset
        The rooms are its ``rooms`` table.
    by : str or list of str, optional
        Room columns to group by; None: one group ``all``.
    ended_only : bool
        Quantiles over the rooms that ended (a censored duration is only a lower bound); always
        over rooms that started inside the window (their start is observed).

    Returns
    -------
    DataFrame
        One row per group (labels as text, missing as ``(missing)``, largest first):
        ``n_rooms``, ``share_rooms``, ``share_censored`` (still live at extraction) and
        ``p25``, ``median``, ``p75``, ``p90``, ``mean`` of the kept rooms.
    """
    cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    q = EQ.room_duration_query("eda_room_durations", [f'"{c}"' for c in cols])
    return duration_frame(ds.query(q, ended_only=ended_only), cols or ["rooms"])


def duration_frame(agg: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The summary of :func:`room_duration_summary` from the rows of a duration query (group
    keys ``g0``, ``g1``, ... named ``by``)."""
    r = pd.DataFrame(index=agg.index)
    for i, c in enumerate(by):
        r[c] = [MISSING_LABEL if pd.isna(v) else str(v) for v in agg[f"g{i}"]]
    for v in ("n_rooms", "n_censored", "mean"):
        r[v] = agg[v]
    n_kept = agg["n_kept"].to_numpy(dtype="int64")
    for v, q in EQ.DURATION_QUANTILES:
        r[v] = order_quantile(n_kept, q, agg[f"{v}_lo"], agg[f"{v}_hi"])
    g = r.set_index(by)
    n = g["n_rooms"].astype("int64")
    out = pd.DataFrame(
        {"n_rooms": n, "share_rooms": n / n.sum(), "share_censored": g["n_censored"] / n}
    )
    for v in DURATION_VALUES:
        out[v] = g[v].astype("float64")
    return out.sort_values("n_rooms", ascending=False, kind="stable")


def order_quantile(n: np.ndarray, q: float, lo: pd.Series, hi: pd.Series) -> np.ndarray:
    r"""The :math:`q`-quantile of each group of :math:`n` values from its order statistics
    :math:`x_{(i)}` (``lo``) and :math:`x_{(i+1)}` (``hi``) at :math:`i = \lfloor q (n - 1)
    \rfloor`, interpolated as pandas does:

    .. math:: Q(q) = x_{(i)} + (x_{(i+1)} - x_{(i)})\,(q (n - 1) - i),

    exactly :math:`x_{(i)}` when the fraction is 0; NaN when :math:`n = 0`."""
    lo = lo.to_numpy(dtype="float64", na_value=np.nan)
    hi = hi.to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(n), np.nan)
    for j in range(len(n)):  # one value per group
        if n[j] > 0:
            frac = (q * (n[j] - 1)) % 1
            out[j] = lo[j] if frac == 0 else lo[j] + (hi[j] - lo[j]) * frac
    return out


@dataclass(frozen=True, eq=False)
class Rooms(Section):
    """Room schedules and durations: ``start_hours`` (:func:`room_start_hours`), ``live``
    (:func:`rooms_live_over_time`), ``durations`` (panel -> :func:`room_duration_summary` by
    content category and by live_type), ``shop`` (shop vs other rooms) and the quoted values."""

    start_hours: pd.DataFrame = field(repr=False)
    live: pd.DataFrame = field(repr=False)
    durations: Mapping[str, pd.DataFrame] = field(repr=False)
    shop: pd.DataFrame = field(repr=False)
    room_start_peak: str = glued()
    room_start_peak_share: float = glued()
    live_max: int = glued()
    live_min: int = glued()
    live_max_hour: int = glued()
    live_min_hour: int = glued()
    room_median_min: float = glued()
    share_censored: float = glued()
    shop_share: float = glued()
    shop_median_min: float = glued()
    shop_p90_min: float = glued()
    nonshop_median_min: float = glued()
    shop_cmp: str = glued()
    live_step_label: str = glued()


def rooms_section(ds, step_min: int = 15) -> Rooms:
    """The :class:`Rooms` section of a dataset; ``step_min``: grid of the rooms-live curve in
    minutes."""
    starts = room_start_hours(ds)
    live = rooms_live_over_time(ds, step_min=step_min)
    peak, peak_share = peak_window(starts["n_rooms"], START_PEAK_HOURS)
    n_live = live["n_live"]

    def durations(key: str, by: str) -> pd.DataFrame:
        return duration_frame(ds.query(EQ.ROOM_DURATIONS[key]), [by])

    overall = durations("all", "rooms").loc["all"]
    shop = durations("shop", "shop").reindex(["shop", "not shop"])
    return Rooms(
        start_hours=starts,
        live=live,
        durations={
            "content category": durations("content category", "live_content_category"),
            "live_type": durations("live_type", "live_type"),
        },
        shop=shop,
        room_start_peak=hour_window_label(peak, START_PEAK_HOURS),
        room_start_peak_share=peak_share,
        live_max=n_live.max(),
        live_min=n_live.min(),
        live_max_hour=int(live.loc[n_live.idxmax(), "time"].hour),
        live_min_hour=int(live.loc[n_live.idxmin(), "time"].hour),
        room_median_min=overall["median"],
        share_censored=overall["share_censored"],
        shop_share=shop.loc["shop", "share_rooms"],
        shop_median_min=shop.loc["shop", "median"],
        shop_p90_min=shop.loc["shop", "p90"],
        nonshop_median_min=shop.loc["not shop", "median"],
        shop_cmp=(
            "longer" if shop.loc["shop", "median"] > shop.loc["not shop", "median"] else "no longer"
        ),
        live_step_label=f"{step_min}-minute",
    )
