"""Section 2.3 "Coming back to the same streamer": visits, returns and revisit intervals.

A **visit** is the first click of a user in one room (user, streamer, live_id). A **repeat
visit** is a visit to a streamer the user had visited in an earlier room. A **revisit
interval** is the time between consecutive visits of the same (user, streamer) pair, in hours.
Visits, the repeat summary and the revisit intervals counted by hour are SQL definitions
(:data:`~kuailive_analysis.engine.queries.eda.VISITS`,
:data:`~kuailive_analysis.engine.queries.eda.RETURNS`), run on a dataset's engine by the chapter
and on an in-memory DuckDB over a click frame by the functions here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.stats import nonnegative
from kuailive_analysis.eda.base import GLUED, HINT as _HINT, Section, Source
from kuailive_analysis.eda.distributions import linear_histogram
from kuailive_analysis.engine.queries import eda as EQ

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

    The SQL definition :data:`~kuailive_analysis.engine.queries.eda.VISITS` on an in-memory
    DuckDB over ``clicks`` (the chapter itself only takes the aggregates of
    :data:`~kuailive_analysis.engine.queries.eda.RETURNS` from the engine)."""
    require_columns(clicks, ["user_id", "streamer_id", "live_id", "ts_ms"], "clicks", hint=_HINT)
    v = Source(tables={"clicks": clicks}).query(EQ.VISITS)
    for c in ("user_id", "streamer_id", "live_id"):
        v[c] = v[c].astype(clicks[c].dtype)
    v["first_ms"] = v["first_ms"].astype("int64")
    v["n_clicks"] = v["n_clicks"].astype("int64")
    v["visit_no"] = v["visit_no"].astype("int32")
    v["gap_h"] = v["gap_h"].astype("float64")
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

    ``visit_table`` is accepted for compatibility and not needed: the SQL definition
    (:data:`~kuailive_analysis.engine.queries.eda.RETURNS`) builds the visits itself.
    """
    if min_rooms < 2:
        raise ValueError(f"repeat_summary: min_rooms must be >= 2, got {min_rooms}.")
    require_columns(clicks, ["user_id", "streamer_id", "live_id", "ts_ms"], "clicks", hint=_HINT)
    if len(clicks) == 0:
        raise ValueError("repeat_summary: the click table is empty.")
    rows = _returns_rows(Source(tables={"clicks": clicks}), min_rooms, 3.0, 7 * 24.0)
    return _repeat_series(rows)


def _returns_rows(src: Source, min_rooms: int, tol_h: float, max_h: float) -> pd.DataFrame:
    """The rows of :data:`~kuailive_analysis.engine.queries.eda.RETURNS` (totals repeated on
    every row; revisit intervals counted by hour bucket)."""
    return src.query(EQ.RETURNS, min_rooms=int(min_rooms), tol_h=float(tol_h), max_h=float(max_h))


def _repeat_series(rows: pd.DataFrame) -> pd.Series:
    t = rows.iloc[0]
    n_clicks, n_visits = int(t["n_clicks"]), int(t["n_visits"])
    n_pairs, n_users = int(t["n_pairs"]), int(t["n_users"])
    return pd.Series(
        {
            "share_clicks_seen_streamer": int(t["n_seen"]) / n_clicks,
            "share_clicks_repeat_visit": int(t["n_repeat_clicks"]) / n_clicks,
            "share_visits_repeat": int(t["n_repeat"]) / n_visits,
            "share_pairs_returning": int(t["n_pairs_returning"]) / n_pairs,
            "share_users_returning": int(t["n_users_returning"]) / n_users,
            "n_visits": float(n_visits),
            "n_pairs": float(n_pairs),
            "n_users": float(n_users),
        }
    )


def _interval_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """The revisit-interval rows of RETURNS (none when there is no interval)."""
    g = rows.loc[rows["n"] > 0, ["bucket", "is_whole", "below_max", "near_day", "n"]]
    return g.astype(
        {"bucket": "int64", "is_whole": bool, "below_max": bool, "near_day": bool, "n": "int64"}
    )


def _histogram_from_counts(g: pd.DataFrame, n_total: int, max_h: float) -> pd.DataFrame:
    """:func:`interval_histogram` (1-hour bins on [0, max_h)) from interval counts by hour
    bucket: numpy's bins are half-open except the last, which also holds its right edge."""
    edges = np.arange(0.0, max_h + 0.5, 1.0)
    nb = len(edges) - 1
    c = np.zeros(max(nb, 0), dtype="int64")
    if nb > 0:
        b = g.loc[g["below_max"]]
        bucket, n = b["bucket"].to_numpy(), b["n"].to_numpy()
        idx = np.where((bucket == nb) & b["is_whole"].to_numpy(), nb - 1, bucket)
        ok = (idx >= 0) & (idx < nb)
        c = np.bincount(idx[ok], weights=n[ok], minlength=nb).astype("int64")
    return pd.DataFrame(
        {"lo_h": edges[:-1], "hi_h": edges[1:], "count": c, "share": c / max(n_total, 1)}
    )


def _rhythm_from_counts(g: pd.DataFrame, tol_h: float, min_h: float = 12.0) -> pd.Series:
    """:func:`daily_rhythm_share` from interval counts by hour bucket (``min_h`` whole)."""
    base = g.loc[g["bucket"] >= min_h]
    n = int(base["n"].sum())
    obs = int(base.loc[base["near_day"], "n"].sum()) / n if n else float("nan")
    expected = 2 * tol_h / 24.0
    return pd.Series(
        {
            "share_near_whole_days": obs,
            "expected_uniform": expected,
            "ratio": obs / expected,
            "n_intervals": float(n),
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
    clicks,
    top_streamer_share: pd.Series,
    min_rooms: int = 2,
    tol_h: float = 3.0,
    max_h: float = 7 * 24,
) -> Returns:
    """The :class:`Returns` section from the clicks (:data:`CLICK_COLUMNS` suffice, or a
    :class:`~kuailive_analysis.eda.base.Source`: ``Source(ds)`` runs the SQL on the dataset's
    engine) and each user's ``top_streamer_watch_share`` (user activity table); ``min_rooms``:
    rooms that make a pair returning, ``tol_h``: distance to a whole day that counts as daily,
    ``max_h``: range of the interval histogram.

    One SQL definition (:data:`~kuailive_analysis.engine.queries.eda.RETURNS`) gives the
    repeat summary and the revisit intervals counted by hour; the rest is shaped here."""
    if isinstance(clicks, Source):
        src = clicks
    else:
        require_columns(clicks, list(CLICK_COLUMNS), "clicks", hint=_HINT)
        if len(clicks) == 0:
            raise ValueError("repeat_summary: the click table is empty.")
        src = Source(tables={"clicks": clicks})
    if min_rooms < 2:
        raise ValueError(f"repeat_summary: min_rooms must be >= 2, got {min_rooms}.")
    rows = _returns_rows(src, min_rooms, tol_h, max_h)
    if int(rows["n_clicks"].iloc[0]) == 0:
        raise ValueError("repeat_summary: the click table is empty.")
    rep = _repeat_series(rows)
    g = _interval_counts(rows)
    n_int = int(rows["n_intervals"].iloc[0])
    rhythm = _rhythm_from_counts(g, tol_h)
    top = top_streamer_share.dropna()
    return Returns(
        summary=rep,
        intervals=_histogram_from_counts(g, n_int, max_h),
        rhythm=rhythm,
        top_streamer=linear_histogram(top, np.linspace(0, 1, 21)),
        share_clicks_seen_streamer=rep["share_clicks_seen_streamer"],
        share_clicks_repeat_visit=rep["share_clicks_repeat_visit"],
        share_visits_repeat=rep["share_visits_repeat"],
        share_pairs_returning=rep["share_pairs_returning"],
        share_users_returning=rep["share_users_returning"],
        repeat_min_rooms=min_rooms,
        n_intervals=n_int,
        revisit_median_h=float(rows["median_h"].iloc[0]) if n_int else np.nan,
        revisit_within_day=(int(g.loc[g["bucket"] < 24, "n"].sum()) / n_int if n_int else np.nan),
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
