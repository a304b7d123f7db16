"""Section 2.3 "Coming back to the same streamer": visits, returns and revisit intervals.

A **visit** is the first click of a user in one room (user, streamer, live_id). A **repeat
visit** is a visit to a streamer the user had visited in an earlier room. A **revisit
interval** is the time between consecutive visits of the same (user, streamer) pair, in hours.
One SQL definition, :data:`~kuailive_analysis.engine.queries.eda.RETURNS`, gives the totals
and the revisit intervals counted by hour (:func:`returns_rows`); the functions here shape them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.eda.distributions import linear_histogram
from kuailive_analysis.engine.queries import eda as EQ

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


def returns_rows(
    ds, min_rooms: int = 2, tol_h: float = 3.0, max_h: float = 7 * 24.0
) -> pd.DataFrame:
    """Visits, returns and revisit intervals of the dataset's clicks, in one query.

    Parameters
    ----------
    ds : Dataset
        The clicks are its ``clicks`` table.
    min_rooms : int
        A (user, streamer) pair with clicks in this many rooms is returning.
    tol_h : float
        An interval within this many hours of a whole number of days counts as daily.
    max_h : float
        Intervals of at least this many hours are beyond the histogram.

    Returns
    -------
    DataFrame
        The rows of :data:`~kuailive_analysis.engine.queries.eda.RETURNS`: the totals, repeated
        on every row, and the revisit intervals counted by hour bucket (read with
        :func:`repeat_summary`, :func:`interval_counts`).
    """
    if min_rooms < 2:
        raise ValueError(f"repeat_summary: min_rooms must be >= 2, got {min_rooms}.")
    rows = ds.query(EQ.RETURNS, min_rooms=int(min_rooms), tol_h=float(tol_h), max_h=float(max_h))
    if int(rows["n_clicks"].iloc[0]) == 0:
        raise ValueError("repeat_summary: the click table is empty.")
    return rows


def repeat_summary(rows: pd.DataFrame) -> pd.Series:
    """How much of consumption goes back to streamers the user already watched (from
    :func:`returns_rows`).

    Returns
    -------
    Series
        ``share_clicks_seen_streamer`` (clicks on a streamer the user had clicked at a strictly
        earlier millisecond: ties are one screen of exposures, not a return),
        ``share_clicks_repeat_visit`` (clicks of repeat visits), ``share_visits_repeat``,
        ``share_pairs_returning`` ((user, streamer) pairs with clicks in >= ``min_rooms``
        rooms), ``share_users_returning`` (users with such a pair), ``n_visits``, ``n_pairs``,
        ``n_users``.
    """
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


def interval_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """The revisit intervals of :func:`returns_rows` by hour ``bucket`` (none without one)."""
    g = rows.loc[rows["n"] > 0, ["bucket", "is_whole", "below_max", "near_day", "n"]]
    return g.astype(
        {"bucket": "int64", "is_whole": bool, "below_max": bool, "near_day": bool, "n": "int64"}
    )


def interval_histogram(counts: pd.DataFrame, n_total: int, max_h: float) -> pd.DataFrame:
    """Revisit intervals in 1-hour bins ``[lo_h, hi_h)`` on [0, ``max_h``) (the last bin also
    holds its right edge) from :func:`interval_counts`; ``share`` is of all ``n_total``
    intervals (longer ones included)."""
    edges = np.arange(0.0, max_h + 0.5, 1.0)
    nb = len(edges) - 1
    c = np.zeros(max(nb, 0), dtype="int64")
    if nb > 0:
        b = counts.loc[counts["below_max"]]
        bucket, n = b["bucket"].to_numpy(), b["n"].to_numpy()
        idx = np.where((bucket == nb) & b["is_whole"].to_numpy(), nb - 1, bucket)
        ok = (idx >= 0) & (idx < nb)
        c = np.bincount(idx[ok], weights=n[ok], minlength=nb).astype("int64")
    return pd.DataFrame(
        {"lo_h": edges[:-1], "hi_h": edges[1:], "count": c, "share": c / max(n_total, 1)}
    )


def daily_rhythm(counts: pd.DataFrame, tol_h: float, min_h: float = 12.0) -> pd.Series:
    r"""Whether returns follow the clock: of the revisit intervals :math:`g \ge` ``min_h``
    hours (whole hours), the share within :math:`\tau` = ``tol_h`` hours of a whole number of
    days, :math:`|g - 24\,\mathrm{round}(g / 24)| \le \tau`, against the share
    :math:`2\tau / 24` expected if returns ignored the clock, and their ratio (> 1: a daily
    rhythm). From :func:`interval_counts`."""
    base = counts.loc[counts["bucket"] >= min_h]
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


@dataclass(frozen=True, eq=False)
class Returns(Section):
    """Returns to the same streamer: ``summary`` (:func:`repeat_summary`), ``intervals``
    (:func:`interval_histogram`), ``rhythm`` (:func:`daily_rhythm`), ``top_streamer`` (users
    by the share of their watch time on their most-watched streamer, 5% bins) and the quoted
    values."""

    summary: pd.Series = field(repr=False)
    intervals: pd.DataFrame = field(repr=False)
    rhythm: pd.Series = field(repr=False)
    top_streamer: pd.DataFrame = field(repr=False)
    share_clicks_seen_streamer: float = glued()
    share_clicks_repeat_visit: float = glued()
    share_visits_repeat: float = glued()
    share_pairs_returning: float = glued()
    share_users_returning: float = glued()
    repeat_min_rooms: int = glued()
    n_intervals: int = glued()
    revisit_median_h: float = glued()
    revisit_within_day: float = glued()
    rhythm_share: float = glued()
    rhythm_expected: float = glued()
    rhythm_ratio: float = glued()
    rhythm_verdict: str = glued()
    rhythm_tol_hours: float = glued()
    top_streamer_share_median: float = glued()
    users_top_streamer_majority: float = glued()


def returns_section(
    rows: pd.DataFrame, top_streamer_share: pd.Series, min_rooms: int, tol_h: float, max_h: float
) -> Returns:
    """The :class:`Returns` section from :func:`returns_rows` (with the same ``min_rooms``,
    ``tol_h`` and ``max_h``) and each user's ``top_streamer_watch_share`` (user activity)."""
    rep = repeat_summary(rows)
    g = interval_counts(rows)
    n_int = int(rows["n_intervals"].iloc[0])
    rhythm = daily_rhythm(g, tol_h)
    top = top_streamer_share.dropna()
    return Returns(
        summary=rep,
        intervals=interval_histogram(g, n_int, max_h),
        rhythm=rhythm,
        top_streamer=linear_histogram(top, np.linspace(0, 1, 21)),
        **{k: rep[k] for k in REPEAT_DEFINITIONS},
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
