"""Section 2.2 "Room schedules": when rooms start, how many are live at once, how long they last.

Rooms already live at the window start have an unobserved start and rooms still live at
extraction (``end_censored``) only a lower bound on their duration: start-hour counts and
duration quantiles use the rooms that started inside the window (and, for durations, ended).

The aggregations over the room table are SQL definitions
(:mod:`kuailive_analysis.engine.queries.eda`): :func:`rooms_section` runs them on a dataset's
engine (``Source(ds)``: 11.8M rooms at full scale never enter pandas); the functions taking a
room frame run the same definitions on an in-memory DuckDB over it.
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
    days_since_start,
    ms_to_beijing,
)
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.eda.base import GLUED, HINT as _HINT, Section, Source
from kuailive_analysis.eda.profiles import MISSING_LABEL
from kuailive_analysis.eda.timing import hour_window_label, peak_window
from kuailive_analysis.engine.queries import eda as EQ

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


def room_start_hours(rooms, within_window: bool = True) -> pd.DataFrame:
    """Rooms by Beijing start hour (index 0..23): ``n_rooms`` and ``share``.

    With ``within_window`` only rooms starting in [2025-05-05, 2025-05-26) Beijing count
    (rooms already live at the window start have an earlier, unobserved schedule).
    ``rooms``: the room table, or a :class:`~kuailive_analysis.eda.base.Source` (the SQL
    definition :data:`~kuailive_analysis.engine.queries.eda.ROOM_START_HOURS` runs there).
    """
    src = _rooms_source(rooms, ["start_ms"])
    df = src.query(EQ.ROOM_START_HOURS, within_window=within_window)
    c = df.set_index("hour")["n_rooms"].reindex(range(24), fill_value=0).to_numpy(dtype="int64")
    return pd.DataFrame(
        {"n_rooms": c, "share": c / max(c.sum(), 1)}, index=pd.Index(range(24), name="hour")
    )


def rooms_live_over_time(
    rooms,
    step_min: int = 15,
    start_ms: int = WINDOW_START_MS,
    end_ms: int = WINDOW_END_MS,
) -> pd.DataFrame:
    """Number of rooms live at each moment t of a regular grid (every ``step_min`` minutes).

    A room is live at t when ``start_ms <= t < end_ms``, so
    n(t) = #{start <= t} - #{end <= t}: the SQL definition
    :data:`~kuailive_analysis.engine.queries.eda.ROOM_LIVE_STEPS` counts starts and ends per
    grid step, cumulated here. Columns ``ts_ms``, ``time`` (Beijing), ``day_float`` (days since
    the window start), ``n_live``. ``rooms``: the room table or a
    :class:`~kuailive_analysis.eda.base.Source`.
    """
    src = _rooms_source(rooms, ["start_ms", "end_ms"])
    if step_min <= 0:
        raise ValueError(f"rooms_live_over_time: step_min must be positive, got {step_min}.")
    step_ms = int(step_min * MS_PER_MINUTE)
    steps = src.query(EQ.ROOM_LIVE_STEPS, start_ms=int(start_ms), step_ms=step_ms)
    if int(steps["n_bad"].sum()) > 0:
        raise ValueError("rooms: some end_ms is before start_ms; clean the room table first.")
    t = np.arange(start_ms, end_ms, step_min * MS_PER_MINUTE, dtype="int64")
    k = steps["k"].to_numpy(dtype="int64")
    inside = (k >= 0) & (k < len(t))
    n_start = np.bincount(k[inside], weights=steps["n_start"].to_numpy()[inside], minlength=len(t))
    n_end = np.bincount(k[inside], weights=steps["n_end"].to_numpy()[inside], minlength=len(t))
    n = (np.cumsum(n_start[: len(t)]) - np.cumsum(n_end[: len(t)])).astype("int64")
    return pd.DataFrame(
        {
            "ts_ms": t,
            "time": ms_to_beijing(t),
            "day_float": days_since_start(t),
            "n_live": n,
        }
    )


_DURATION_VALUES = ("p25", "median", "p75", "p90", "mean")


def room_duration_summary(
    rooms,
    by: str | Sequence[str] | None = "live_content_category",
    ended_only: bool = True,
) -> pd.DataFrame:
    """Room duration (minutes) by group: ``n_rooms``, ``share_rooms``, ``share_censored``
    (still live at extraction) and quantiles ``p25``, ``median``, ``p75``, ``p90`` and
    ``mean`` over the rooms that ended (``ended_only``; a censored duration is only a lower
    bound) and that started inside the window (their start is observed). ``by=None`` gives
    one row ``all`` for all rooms.

    The SQL definition :func:`~kuailive_analysis.engine.queries.eda.room_duration_query` over
    ``rooms`` (the room table, or a :class:`~kuailive_analysis.eda.base.Source`); the groups
    are labelled and ordered here as a pandas groupby of the room table would (category order,
    missing values as :data:`~kuailive_analysis.eda.profiles.MISSING_LABEL`), largest first."""
    cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    src = _rooms_source(rooms, ["duration_min", "end_censored", "start_ms", *cols])
    q = EQ.room_duration_query("eda_room_durations", [f'"{c}"' for c in cols])
    return _duration_frame(src, q, cols or ["rooms"], ended_only)


def _duration_frame(src: Source, q, by: list[str], ended_only: bool = True) -> pd.DataFrame:
    """The summary frame from the SQL rows of ``q`` (group keys ``g0``, ``g1``, ... named
    ``by``), labelled and ordered as a pandas groupby of the room table."""
    agg = src.query(q, ended_only=ended_only)
    r = pd.DataFrame(index=agg.index)
    for i, c in enumerate(by):
        col = agg[f"g{i}"]
        dtype = src.categorical("rooms", c)
        if dtype is None:
            col = col.astype("category")
        else:  # the table's categories, in its order (DuckDB returns an ENUM as ordered)
            values = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
            col = pd.Series(pd.Categorical(values, dtype=dtype), index=col.index)
        col = col.cat.remove_unused_categories()
        col = col.cat.rename_categories([str(v) for v in col.cat.categories])
        if col.isna().any():
            col = col.cat.add_categories([MISSING_LABEL]).fillna(MISSING_LABEL)
        r[c] = col
    for v in ("n_rooms", "n_censored", "mean"):
        r[v] = agg[v]
    n_kept = agg["n_kept"].to_numpy(dtype="int64")
    for v, q in EQ.DURATION_QUANTILES:
        r[v] = _interpolate(n_kept, q, agg[f"{v}_lo"], agg[f"{v}_hi"])
    g = r.groupby(by, observed=True)[["n_rooms", "n_censored", *_DURATION_VALUES]].first()
    n = g["n_rooms"].astype("int64")
    out = pd.DataFrame(
        {"n_rooms": n, "share_rooms": n / n.sum(), "share_censored": g["n_censored"] / n}
    )
    for v in _DURATION_VALUES[:-1]:
        out[v] = g[v].astype("float64")
    dtype = src.dtype("rooms", "duration_min")
    out["mean"] = g["mean"].astype(dtype if dtype == np.float32 else "float64")
    return out.sort_values("n_rooms", ascending=False)


def shop_median_np(src: Source) -> float:
    """Median duration (minutes) of the shop rooms kept for durations, as ``Series.median`` of
    the room table's ``duration_min`` gives it (numpy's median in the column's own precision:
    the two middle values averaged in float32 for the cache), from the order statistics of
    :data:`~kuailive_analysis.engine.queries.eda.ROOM_DURATIONS` ``["shop"]``."""
    agg = src.query(EQ.ROOM_DURATIONS["shop"], ended_only=True)
    row = agg.loc[agg["g0"].astype(str) == "shop"]
    n = int(row["n_kept"].iloc[0]) if len(row) else 0
    if n == 0:
        return float("nan")
    dtype = src.dtype("rooms", "duration_min")
    dtype = dtype if dtype in (np.float32, np.float64) else np.float64
    mid = (
        [row["median_lo"].iloc[0]]
        if n % 2
        else [row["median_lo"].iloc[0], row["median_hi"].iloc[0]]
    )
    return float(np.median(np.asarray(mid, dtype=dtype)))


def _interpolate(n: np.ndarray, q: float, lo: pd.Series, hi: pd.Series) -> np.ndarray:
    """The q-quantile of each group from its order statistics at ranks i = floor(q (n - 1))
    and i + 1, with pandas' linear interpolation (lo + (hi - lo) frac); NaN when n = 0."""
    lo = lo.to_numpy(dtype="float64", na_value=np.nan)
    hi = hi.to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(n), np.nan)
    for j in range(len(n)):  # one value per group
        if n[j] > 0:
            pos = q * (n[j] - 1)
            frac = pos % 1
            out[j] = lo[j] if frac == 0 else lo[j] + (hi[j] - lo[j]) * frac
    return out


def _rooms_source(rooms, cols: Sequence[str]) -> Source:
    if isinstance(rooms, Source):
        return rooms
    require_columns(rooms, list(cols), "rooms", hint=_HINT)
    return Source(tables={"rooms": rooms})


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


def rooms_section(rooms, step_min: int = 15) -> Rooms:
    """The :class:`Rooms` section from the room table (:data:`ROOM_COLUMNS` suffice) or a
    :class:`~kuailive_analysis.eda.base.Source` (``Source(ds)``: the SQL definitions run on the
    dataset's engine, the room table never enters pandas); ``step_min``: grid of the
    rooms-live curve in minutes."""
    src = _rooms_source(rooms, [c for c in ROOM_COLUMNS if c not in ("live_id", "streamer_id")])
    starts = room_start_hours(src)
    live = rooms_live_over_time(src, step_min=step_min)
    peak, peak_share = peak_window(starts["n_rooms"], START_PEAK_HOURS)
    n_live = live["n_live"]
    overall = _duration_frame(src, EQ.ROOM_DURATIONS["all"], ["rooms"]).loc["all"]
    shop = _duration_frame(src, EQ.ROOM_DURATIONS["shop"], ["shop"])
    shop = shop.reindex(["shop", "not shop"])
    return Rooms(
        start_hours=starts,
        live=live,
        durations={
            "content category": _duration_frame(
                src, EQ.ROOM_DURATIONS["content category"], ["live_content_category"]
            ),
            "live_type": _duration_frame(src, EQ.ROOM_DURATIONS["live_type"], ["live_type"]),
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
