"""Section 2.2 "Room schedules": when rooms start, how many are live at once, how long they last.

Rooms already live at the window start have an unobserved start and rooms still live at
extraction (``end_censored``) only a lower bound on their duration: start-hour counts and
duration quantiles use the rooms that started inside the window (and, for durations, ended).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import (
    MS_PER_MINUTE,
    WINDOW_END_MS,
    WINDOW_START_MS,
    beijing_hour,
    days_since_start,
    ms_to_beijing,
)
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.eda.base import GLUED, HINT as _HINT, Section
from kuailive_analysis.eda.profiles import MISSING_LABEL
from kuailive_analysis.eda.timing import hour_window_label, peak_window

ROOM_COLUMNS = (
    "live_id",
    "streamer_id",
    "live_type",
    "live_content_category",
    "start_ms",
    "end_ms",
    "duration_min",
    "end_censored",
)
"""The room columns the chapter reads (the full room table is the largest in memory)."""

START_PEAK_HOURS = 4
"""Width of the busiest window of room starts (hours)."""


def room_start_hours(rooms: pd.DataFrame, within_window: bool = True) -> pd.DataFrame:
    """Rooms by Beijing start hour (index 0..23): ``n_rooms`` and ``share``.

    With ``within_window`` only rooms starting in [2025-05-05, 2025-05-26) Beijing count
    (rooms already live at the window start have an earlier, unobserved schedule).
    """
    require_columns(rooms, ["start_ms"], "rooms", hint=_HINT)
    s = rooms["start_ms"].to_numpy(dtype="int64")
    if within_window:
        s = s[(s >= WINDOW_START_MS) & (s < WINDOW_END_MS)]
    c = np.bincount(beijing_hour(s), minlength=24)
    return pd.DataFrame(
        {"n_rooms": c, "share": c / max(c.sum(), 1)}, index=pd.Index(range(24), name="hour")
    )


def rooms_live_over_time(
    rooms: pd.DataFrame,
    step_min: int = 15,
    start_ms: int = WINDOW_START_MS,
    end_ms: int = WINDOW_END_MS,
) -> pd.DataFrame:
    """Number of rooms live at each moment t of a regular grid (every ``step_min`` minutes).

    A room is live at t when ``start_ms <= t < end_ms``, so
    n(t) = #{start <= t} - #{end <= t} (two binary searches on sorted starts and ends).
    Columns ``ts_ms``, ``time`` (Beijing), ``day_float`` (days since the window start),
    ``n_live``.
    """
    require_columns(rooms, ["start_ms", "end_ms"], "rooms", hint=_HINT)
    s = np.sort(rooms["start_ms"].to_numpy(dtype="int64"))
    e = np.sort(rooms["end_ms"].to_numpy(dtype="int64"))
    if (rooms["end_ms"].to_numpy() < rooms["start_ms"].to_numpy()).any():
        raise ValueError("rooms: some end_ms is before start_ms; clean the room table first.")
    if step_min <= 0:
        raise ValueError(f"rooms_live_over_time: step_min must be positive, got {step_min}.")
    t = np.arange(start_ms, end_ms, step_min * MS_PER_MINUTE, dtype="int64")
    n = np.searchsorted(s, t, side="right") - np.searchsorted(e, t, side="right")
    return pd.DataFrame(
        {
            "ts_ms": t,
            "time": ms_to_beijing(t),
            "day_float": days_since_start(t),
            "n_live": n.astype("int64"),
        }
    )


def room_duration_summary(
    rooms: pd.DataFrame,
    by: str | Sequence[str] | None = "live_content_category",
    ended_only: bool = True,
) -> pd.DataFrame:
    """Room duration (minutes) by group: ``n_rooms``, ``share_rooms``, ``share_censored``
    (still live at extraction) and quantiles ``p25``, ``median``, ``p75``, ``p90`` and
    ``mean`` over the rooms that ended (``ended_only``; a censored duration is only a lower
    bound) and that started inside the window (their start is observed). ``by=None`` gives
    one row ``all`` for all rooms."""
    if by is None:
        rooms = rooms.assign(rooms="all")
        by = "rooms"
    by = [by] if isinstance(by, str) else list(by)
    require_columns(rooms, ["duration_min", "end_censored", "start_ms", *by], "rooms", hint=_HINT)
    r = rooms[[*by, "duration_min", "end_censored", "start_ms"]].copy()
    for c in by:  # categorical with string labels: fast groupby, missing kept as a group
        col = r[c] if isinstance(r[c].dtype, pd.CategoricalDtype) else r[c].astype("category")
        col = col.cat.remove_unused_categories()
        col = col.cat.rename_categories([str(v) for v in col.cat.categories])
        if col.isna().any():
            col = col.cat.add_categories([MISSING_LABEL]).fillna(MISSING_LABEL)
        r[c] = col
    g_all = r.groupby(by, observed=True)
    n = g_all.size()
    cens = g_all["end_censored"].mean()
    keep = r["start_ms"].between(WINDOW_START_MS, WINDOW_END_MS - 1)
    if ended_only:
        keep &= ~r["end_censored"].astype(bool)
    g_kept = r.loc[keep].groupby(by, observed=True)["duration_min"]
    q = g_kept.quantile([0.25, 0.5, 0.75, 0.9]).unstack()
    q.columns = ["p25", "median", "p75", "p90"]
    out = pd.DataFrame({"n_rooms": n, "share_rooms": n / n.sum(), "share_censored": cens})
    out = out.join(q)
    out["mean"] = g_kept.mean()
    return out.sort_values("n_rooms", ascending=False)


def shop_flag(rooms: pd.DataFrame) -> pd.Series:
    """``'shop'`` / ``'not shop'`` per room from ``live_content_category`` (missing = not shop)."""
    require_columns(rooms, ["live_content_category"], "rooms", hint=_HINT)
    col = rooms["live_content_category"]
    if isinstance(col.dtype, pd.CategoricalDtype):  # compare the few categories, not the rows
        cat_is_shop = np.asarray(col.cat.categories.astype(str) == "shop", dtype=bool)
        codes = col.cat.codes.to_numpy()
        is_shop = (
            (codes >= 0) & cat_is_shop[np.maximum(codes, 0)]
            if len(cat_is_shop)
            else np.zeros(len(col), dtype=bool)
        )
    else:
        is_shop = (col.astype("string") == "shop").fillna(False).to_numpy(dtype=bool)
    # a categorical (1 byte per room) with the labels in sorted order
    return pd.Series(
        pd.Categorical.from_codes(is_shop.astype(np.int8), ["not shop", "shop"]),
        index=rooms.index,
        name="shop",
    )


# ---------------------------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Rooms(Section):
    """Room schedules and durations: ``start_hours`` (:func:`room_start_hours`), ``live``
    (:func:`rooms_live_over_time`), ``durations`` (panel -> :func:`room_duration_summary` by
    content category and by live_type), ``shop`` (the same for shop vs other rooms) and the
    quoted values."""

    start_hours: pd.DataFrame = field(repr=False)
    live: pd.DataFrame = field(repr=False)
    durations: Mapping[str, pd.DataFrame] = field(repr=False)
    shop: pd.DataFrame = field(repr=False)
    room_start_peak: str = field(metadata=GLUED)
    room_start_peak_share: float = field(metadata=GLUED)
    live_max: int = field(metadata=GLUED)
    live_min: int = field(metadata=GLUED)
    live_max_hour: int = field(metadata=GLUED)
    live_min_hour: int = field(metadata=GLUED)
    room_median_min: float = field(metadata=GLUED)
    share_censored: float = field(metadata=GLUED)
    shop_share: float = field(metadata=GLUED)
    shop_median_min: float = field(metadata=GLUED)
    shop_p90_min: float = field(metadata=GLUED)
    nonshop_median_min: float = field(metadata=GLUED)
    shop_cmp: str = field(metadata=GLUED)
    live_step_label: str = field(metadata=GLUED)

    @property
    def schedule_title(self) -> str:
        return (
            f"Rooms start mostly {self.room_start_peak}; "
            f"{self.live_min:,}-{self.live_max:,} rooms are live at once"
        )

    @property
    def duration_title(self) -> str:
        return (
            f"Median room: {self.shop_median_min:.0f} min for shop rooms, "
            f"{self.nonshop_median_min:.0f} min for the rest"
        )


def rooms_section(rooms: pd.DataFrame, step_min: int = 15) -> Rooms:
    """The :class:`Rooms` section from the room table (:data:`ROOM_COLUMNS` suffice);
    ``step_min``: grid of the rooms-live curve in minutes."""
    starts = room_start_hours(rooms)
    live = rooms_live_over_time(rooms, step_min=step_min)
    peak, peak_share = peak_window(starts["n_rooms"], START_PEAK_HOURS)
    n_live = live["n_live"]
    overall = room_duration_summary(rooms, None).loc["all"]
    shop = room_duration_summary(rooms.assign(shop=shop_flag(rooms)), "shop")
    shop = shop.reindex(["shop", "not shop"])
    return Rooms(
        start_hours=starts,
        live=live,
        durations={
            "content category": room_duration_summary(rooms, "live_content_category"),
            "live_type": room_duration_summary(rooms, "live_type"),
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
