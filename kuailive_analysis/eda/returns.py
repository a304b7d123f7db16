"""Section 2.3 "Coming back to the same streamer": visits, returns and revisit intervals.

A **visit** is the first click of a user in one room (user, streamer, live_id). A **repeat
visit** is a visit to a streamer the user had visited in an earlier room. A **revisit
interval** is the time between consecutive visits of the same (user, streamer) pair, in hours.
Visits are found with integer sort keys (:func:`kuailive_analysis.core.keys.combined_key`) and
run boundaries, not a hashing groupby over the click log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import combined_key
from kuailive_analysis.core.stats import nonnegative
from kuailive_analysis.eda.base import GLUED, HINT as _HINT, Section
from kuailive_analysis.eda.distributions import linear_histogram

CLICK_COLUMNS = ("user_id", "streamer_id", "live_id", "ts_ms")
"""The click columns visits are built from."""

RHYTHM_MIN_RATIO = 1.2
"""Returns "have a daily rhythm" when gaps near whole days are at least this many times as
common as for clock-blind returns."""

REPEAT_DEFINITIONS = {
    "share_clicks_seen_streamer": "share of clicks on a streamer the user had clicked before",
    "share_clicks_repeat_visit": "share of clicks in a new room of a streamer the user had "
    "clicked in an earlier room",
    "share_visits_repeat": "share of visits (user, room) that return to a streamer seen in an "
    "earlier room",
    "share_pairs_returning": "share of (user, streamer) pairs with clicks in >= min_rooms rooms",
    "share_users_returning": "share of users with at least one streamer clicked in >= "
    "min_rooms rooms",
}
"""Readings of the paper's "27.1% repeat consumption" (keys of :func:`repeat_summary`)."""


def visits(clicks: pd.DataFrame) -> pd.DataFrame:
    """One row per (user, streamer, room) with a click: ``first_ms`` (first click there) and
    ``n_clicks``; sorted by user, streamer, first_ms, live_id; ``visit_no`` counts the
    visit's rank within its (user, streamer) pair from 1; ``gap_h`` is the time since the
    pair's previous visit in hours (NaN for the first visit).

    Computed with integer sort keys (:func:`combined_key`) and run boundaries, no hashing
    groupby over the click log."""
    require_columns(clicks, ["user_id", "streamer_id", "live_id", "ts_ms"], "clicks", hint=_HINT)
    u_all = clicks["user_id"].to_numpy()
    s_all = clicks["streamer_id"].to_numpy()
    l_all = clicks["live_id"].to_numpy()
    t_all = clicks["ts_ms"].to_numpy(dtype="int64")
    usl = combined_key(u_all, s_all, l_all)
    order = np.lexsort((t_all, usl))  # by (user, streamer, live), then time
    k = usl[order]
    start = np.ones(len(k), dtype=bool)
    start[1:] = k[1:] != k[:-1]
    first = order[start]  # row of the first click of each visit
    n_clicks = np.diff(np.append(np.flatnonzero(start), len(k))).astype("int64")
    u, s, live = u_all[first], s_all[first], l_all[first]
    t = t_all[first]
    pair = combined_key(u, s)
    o2 = np.lexsort((live, t, pair))  # by (user, streamer), first_ms, live_id
    v = pd.DataFrame(
        {
            "user_id": u[o2],
            "streamer_id": s[o2],
            "live_id": live[o2],
            "first_ms": t[o2],
            "n_clicks": n_clicks[o2],
        }
    )
    u, s = v["user_id"].to_numpy(), v["streamer_id"].to_numpy()
    new_pair = np.ones(len(v), dtype=bool)
    new_pair[1:] = (u[1:] != u[:-1]) | (s[1:] != s[:-1])
    pair_id = np.cumsum(new_pair) - 1
    starts = np.flatnonzero(new_pair)
    v["visit_no"] = (np.arange(len(v)) - starts[pair_id] + 1).astype("int32")
    t = v["first_ms"].to_numpy(dtype="int64")
    gap = np.full(len(v), np.nan)
    gap[1:] = (t[1:] - t[:-1]) / MS_PER_HOUR
    gap[new_pair] = np.nan
    v["gap_h"] = gap
    return v


def repeat_summary(
    clicks: pd.DataFrame, min_rooms: int = 2, visit_table: pd.DataFrame | None = None
) -> pd.Series:
    """How much of consumption goes back to streamers the user already watched.

    * ``share_clicks_seen_streamer``: clicks on a streamer the user had clicked at a strictly
      earlier millisecond (ties = one screen of exposures, not a return);
    * ``share_clicks_repeat_visit``: clicks that belong to a repeat visit (a room of a
      streamer whose earlier room the user had clicked);
    * ``share_visits_repeat``: visits (user, streamer, room) that are repeat visits;
    * ``share_pairs_returning``: (user, streamer) pairs with clicks in >= ``min_rooms`` rooms;
    * ``share_users_returning``: users with at least one such pair;
    * ``n_visits``, ``n_pairs``, ``n_users``.

    ``visit_table``: :func:`visits` of ``clicks`` when already built.
    """
    if min_rooms < 2:
        raise ValueError(f"repeat_summary: min_rooms must be >= 2, got {min_rooms}.")
    require_columns(clicks, ["user_id", "streamer_id", "live_id", "ts_ms"], "clicks", hint=_HINT)
    if len(clicks) == 0:
        raise ValueError("repeat_summary: the click table is empty.")
    ts = clicks["ts_ms"].to_numpy(dtype="int64")
    pair = combined_key(clicks["user_id"].to_numpy(), clicks["streamer_id"].to_numpy())
    pair_min = pd.Series(ts).groupby(pair, sort=False).transform("min").to_numpy()
    seen = pair_min < ts
    v = visits(clicks) if visit_table is None else visit_table
    repeat_visit = v["visit_no"].to_numpy() > 1
    rooms_per_pair = v.groupby(["user_id", "streamer_id"], sort=False).size()
    returning = rooms_per_pair >= min_rooms
    users_returning = returning.groupby(level="user_id").any()
    return pd.Series(
        {
            "share_clicks_seen_streamer": float(seen.mean()),
            "share_clicks_repeat_visit": float(
                v.loc[repeat_visit, "n_clicks"].sum() / v["n_clicks"].sum()
            ),
            "share_visits_repeat": float(repeat_visit.mean()),
            "share_pairs_returning": float(returning.mean()),
            "share_users_returning": float(users_returning.mean()),
            "n_visits": float(len(v)),
            "n_pairs": float(len(rooms_per_pair)),
            "n_users": float(len(users_returning)),
        }
    )


def revisit_intervals(clicks: pd.DataFrame, visit_table: pd.DataFrame | None = None) -> np.ndarray:
    """Hours between consecutive visits (rooms) of the same user to the same streamer
    (``visit_table``: :func:`visits` of ``clicks`` when already built)."""
    v = visits(clicks) if visit_table is None else visit_table
    g = v["gap_h"].to_numpy()
    return g[~np.isnan(g)]


def interval_histogram(intervals_h, bin_h: float = 1.0, max_h: float = 7 * 24) -> pd.DataFrame:
    """Counts of revisit intervals in bins of ``bin_h`` hours on [0, max_h); ``share`` is of
    all intervals (longer ones included in the denominator)."""
    x = nonnegative(intervals_h, "interval_histogram", allow_empty=True)
    edges = np.arange(0.0, max_h + bin_h / 2, bin_h)
    c, _ = np.histogram(x[x < max_h], bins=edges)
    return pd.DataFrame(
        {"lo_h": edges[:-1], "hi_h": edges[1:], "count": c, "share": c / max(x.size, 1)}
    )


def daily_rhythm_share(intervals_h, tol_h: float = 3.0, min_h: float = 12.0) -> pd.Series:
    """Share of revisit intervals of at least ``min_h`` hours that lie within ``tol_h`` hours
    of a whole number of days, with the share expected if intervals ignored the clock
    (2 tol_h / 24) and their ratio (> 1 = daily rhythm)."""
    x = nonnegative(intervals_h, "daily_rhythm_share", allow_empty=True)
    x = x[x >= min_h]
    dist = np.abs(x - 24.0 * np.round(x / 24.0))
    obs = float((dist <= tol_h).mean()) if x.size else float("nan")
    expected = 2 * tol_h / 24.0
    return pd.Series(
        {
            "share_near_whole_days": obs,
            "expected_uniform": expected,
            "ratio": obs / expected,
            "n_intervals": float(x.size),
        }
    )


# ---------------------------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Returns(Section):
    """Returns to the same streamer: ``summary`` (:func:`repeat_summary`), ``intervals``
    (revisit intervals in 1-hour bins, :func:`interval_histogram`), ``rhythm``
    (:func:`daily_rhythm_share`), ``top_streamer`` (users by the share of their watch time on
    their most-watched streamer, 5% bins) and the quoted values."""

    summary: pd.Series = field(repr=False)
    intervals: pd.DataFrame = field(repr=False)
    rhythm: pd.Series = field(repr=False)
    top_streamer: pd.DataFrame = field(repr=False)
    share_clicks_seen_streamer: float = field(metadata=GLUED)
    share_clicks_repeat_visit: float = field(metadata=GLUED)
    share_visits_repeat: float = field(metadata=GLUED)
    share_pairs_returning: float = field(metadata=GLUED)
    share_users_returning: float = field(metadata=GLUED)
    repeat_min_rooms: int = field(metadata=GLUED)
    n_intervals: int = field(metadata=GLUED)
    revisit_median_h: float = field(metadata=GLUED)
    revisit_within_day: float = field(metadata=GLUED)
    rhythm_share: float = field(metadata=GLUED)
    rhythm_expected: float = field(metadata=GLUED)
    rhythm_ratio: float = field(metadata=GLUED)
    rhythm_verdict: str = field(metadata=GLUED)
    rhythm_tol_hours: float = field(metadata=GLUED)
    top_streamer_share_median: float = field(metadata=GLUED)
    users_top_streamer_majority: float = field(metadata=GLUED)

    @property
    def revisit_title(self) -> str:
        return (
            f"Returns near whole days are {self.rhythm_ratio:.1f}x as common as a "
            "clock-blind return would make them"
        )

    @property
    def top_streamer_title(self) -> str:
        return (
            f"The median user spends {self.top_streamer_share_median:.0%} of watch time "
            "on one streamer"
        )


def returns_section(
    clicks: pd.DataFrame,
    top_streamer_share: pd.Series,
    min_rooms: int = 2,
    tol_h: float = 3.0,
    max_h: float = 7 * 24,
) -> Returns:
    """The :class:`Returns` section from the clicks (:data:`CLICK_COLUMNS` suffice) and each
    user's ``top_streamer_watch_share`` (user activity table); ``min_rooms``: rooms that make a
    pair returning, ``tol_h``: distance to a whole day that counts as daily, ``max_h``: range
    of the interval histogram."""
    v = visits(clicks)
    rep = repeat_summary(clicks, min_rooms=min_rooms, visit_table=v)
    intervals = revisit_intervals(clicks, visit_table=v)
    rhythm = daily_rhythm_share(intervals, tol_h=tol_h)
    top = top_streamer_share.dropna()
    return Returns(
        summary=rep,
        intervals=interval_histogram(intervals, bin_h=1, max_h=max_h),
        rhythm=rhythm,
        top_streamer=linear_histogram(top, np.linspace(0, 1, 21)),
        share_clicks_seen_streamer=rep["share_clicks_seen_streamer"],
        share_clicks_repeat_visit=rep["share_clicks_repeat_visit"],
        share_visits_repeat=rep["share_visits_repeat"],
        share_pairs_returning=rep["share_pairs_returning"],
        share_users_returning=rep["share_users_returning"],
        repeat_min_rooms=min_rooms,
        n_intervals=len(intervals),
        revisit_median_h=float(np.median(intervals)) if len(intervals) else np.nan,
        revisit_within_day=float((intervals < 24).mean()) if len(intervals) else np.nan,
        rhythm_share=rhythm["share_near_whole_days"],
        rhythm_expected=rhythm["expected_uniform"],
        rhythm_ratio=rhythm["ratio"],
        rhythm_verdict=(
            "Returns have a daily rhythm"
            if rhythm["ratio"] > RHYTHM_MIN_RATIO
            else "Returns show no clear daily rhythm"
        ),
        rhythm_tol_hours=tol_h,
        top_streamer_share_median=top_streamer_share.median(),
        users_top_streamer_majority=(top > 0.5).mean(),
    )
