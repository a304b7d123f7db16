"""The per-click and per-exposure tables the funnel counts, built from the five event logs in
pandas: the reference implementation of the SQL in :mod:`kuailive_analysis.engine.queries.funnel`
(which :func:`kuailive_analysis.funnel.analyse` runs; tests/test_funnel_engine.py holds the two
equal row for row), and the API for hand-made frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.funnel.attribution import attribute
from kuailive_analysis.funnel.common import (
    DEFAULT_ATTRIBUTION_WINDOW_S,
    DEFAULT_QUALIFIED_WATCH_S,
    ENGAGEMENT_KINDS,
    check_events,
    day_hour,
)
from kuailive_analysis.funnel.units import session_table


def _event_keys(ev: pd.DataFrame) -> pd.DataFrame:
    """The key columns of an event table in compact dtypes, with Beijing ``day`` and ``hour``."""
    out = pd.DataFrame(
        {
            "user_id": ev["user_id"].to_numpy(np.int32),
            "live_id": ev["live_id"].to_numpy(np.int32),
            "streamer_id": ev["streamer_id"].to_numpy(np.int32),
            "ts_ms": ev["ts_ms"].to_numpy(np.int64),
        }
    )
    out["day"], out["hour"] = day_hour(out["ts_ms"])
    return out


def click_table(
    clicks: pd.DataFrame,
    attributed: pd.DataFrame,
    qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S,
) -> pd.DataFrame:
    """One row per click (same order as ``clicks``) with its attributed engagements.

    Columns: user_id, live_id, streamer_id, ts_ms, day, hour, watch_ms (int32),
    ``n_comments, n_likes, n_gifts`` (attributed events, int32), ``gift_value`` (int64,
    coins), and booleans ``qualified`` (watch >= threshold), ``commented``, ``liked``,
    ``gifted``, ``interacted`` (any of the three).
    """
    check_events(clicks, "click", ("watch_live_time",))
    if qualified_watch_s < 0:
        raise ValueError(f"qualified_watch_s must be >= 0, got {qualified_watch_s}")
    n = len(clicks)
    out = _event_keys(clicks)
    out["watch_ms"] = clicks["watch_live_time"].to_numpy(np.int32)
    att = attributed[attributed["status"] == "attributed"]
    pos = att["click_pos"].to_numpy(np.int64)
    if len(pos) and (pos.max() >= n):
        raise ValueError(
            "click_table: attributed click positions exceed the clicks table; "
            "pass the same clicks frame to attribute() and click_table()"
        )
    codes = att["kind"].cat.codes.to_numpy()
    for i, kind in enumerate(ENGAGEMENT_KINDS):
        out[f"n_{kind}s"] = np.bincount(pos[codes == i], minlength=n).astype(np.int32)
    out["gift_value"] = np.bincount(
        pos, weights=att["value"].to_numpy(np.float64), minlength=n
    ).astype(np.int64)
    out["qualified"] = out["watch_ms"].to_numpy() >= qualified_watch_s * MS_PER_SECOND
    out["commented"] = out["n_comments"] > 0
    out["liked"] = out["n_likes"] > 0
    out["gifted"] = out["n_gifts"] > 0
    out["interacted"] = out["commented"] | out["liked"] | out["gifted"]
    return out


def exposure_table(click_tab: pd.DataFrame, negatives: pd.DataFrame) -> pd.DataFrame:
    """Clicked exposures (from :func:`click_table`) stacked on unclicked ones (negatives).

    One row per exposure with the click-table columns (zeros / False for negatives) plus
    ``clicked`` and the nested step flags ``s_click, s_qualified, s_interaction, s_gift``.
    Rows: clicks first, then negatives, each in input order.
    """
    check_events(negatives, "negative")
    neg = _event_keys(negatives)
    fill = {
        "watch_ms": np.int32(0),
        "n_comments": np.int32(0),
        "n_likes": np.int32(0),
        "n_gifts": np.int32(0),
        "gift_value": np.int64(0),
    }
    for c, v in fill.items():
        neg[c] = np.full(len(neg), v, dtype=type(v))
    for c in ("qualified", "commented", "liked", "gifted", "interacted"):
        neg[c] = False
    cl = click_tab.copy(deep=False)  # new column only; the caller's frame is untouched
    cl["clicked"] = True
    neg["clicked"] = False
    ex = pd.concat([cl, neg[cl.columns]], ignore_index=True)
    ex["s_click"] = ex["clicked"]
    ex["s_qualified"] = ex["clicked"] & ex["qualified"]
    ex["s_interaction"] = ex["s_qualified"] & ex["interacted"]
    ex["s_gift"] = ex["s_qualified"] & ex["gifted"]
    return ex


@dataclass(frozen=True)
class FunnelTables:
    """The four event-level tables of the funnel (see :func:`build`)."""

    engagements: pd.DataFrame
    """:func:`~kuailive_analysis.funnel.attribution.attribute`: every engagement, its status."""
    clicks: pd.DataFrame
    """:func:`click_table`: one row per click with its attributed engagements."""
    exposures: pd.DataFrame
    """:func:`exposure_table`: clicks and negatives with the nested step flags."""
    sessions: pd.DataFrame
    """:func:`~kuailive_analysis.funnel.units.session_table`: one row per (user, live)."""


def build(
    clicks: pd.DataFrame,
    negatives: pd.DataFrame,
    comments: pd.DataFrame,
    likes: pd.DataFrame,
    gifts: pd.DataFrame,
    *,
    qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S,
    attribution_window_s: float | None = DEFAULT_ATTRIBUTION_WINDOW_S,
) -> FunnelTables:
    """Everything the chapter needs from the five event tables, as :class:`FunnelTables`."""
    att = attribute(clicks, comments, likes, gifts, attribution_window_s)
    ct = click_table(clicks, att, qualified_watch_s)
    ex = exposure_table(ct, negatives)
    ses = session_table(
        clicks, negatives, comments, likes, gifts, qualified_watch_s=qualified_watch_s
    )
    return FunnelTables(engagements=att, clicks=ct, exposures=ex, sessions=ses)
