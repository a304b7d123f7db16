"""Attribution of comments, likes and gifts to the click they belong to.

A comment, like or gift is credited to the *latest click of the same (user, live) at or before
it* (same millisecond included), provided it happened at most ``attribution_window_s`` seconds
after that click (``None`` = no limit). Every engagement gets a status, none is dropped:
``attributed``, ``late`` (an earlier click, but outside the window), ``before_click`` (the
pair's clicks all come later) or ``no_click`` (the pair has no click at all).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.core.keys import pair_key
from kuailive_analysis.funnel.common import (
    DEFAULT_ATTRIBUTION_WINDOW_S,
    ENGAGEMENT_KINDS,
    STATUSES,
    check_events,
)


def _engagements(comments: pd.DataFrame, likes: pd.DataFrame, gifts: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for kind, df in zip(ENGAGEMENT_KINDS, (comments, likes, gifts)):
        check_events(df, kind, ("gift_price",) if kind == "gift" else ())
        part = pd.DataFrame(
            {
                "user_id": df["user_id"].to_numpy(np.int32),
                "live_id": df["live_id"].to_numpy(np.int32),
                "streamer_id": df["streamer_id"].to_numpy(np.int32),
                "ts_ms": df["ts_ms"].to_numpy(np.int64),
                "kind": np.int8(ENGAGEMENT_KINDS.index(kind)),
                "value": (
                    df["gift_price"].to_numpy(np.int64)
                    if kind == "gift"
                    else np.zeros(len(df), np.int64)
                ),
            }
        )
        parts.append(part)
    eng = pd.concat(parts, ignore_index=True)
    eng["kind"] = pd.Categorical.from_codes(eng["kind"], ENGAGEMENT_KINDS)
    return eng


def attribute(
    clicks: pd.DataFrame,
    comments: pd.DataFrame,
    likes: pd.DataFrame,
    gifts: pd.DataFrame,
    attribution_window_s: float | None = DEFAULT_ATTRIBUTION_WINDOW_S,
) -> pd.DataFrame:
    """Give every comment, like and gift a status and, if attributed, the click it belongs to.

    Returns one row per engagement (comments, then likes, then gifts, in input order) with
    ``user_id, live_id, streamer_id, ts_ms, kind`` (categorical comment/like/gift), ``value``
    (gift price, 0 for others), ``click_pos`` (0-based row position in ``clicks`` of the
    attributed click, -1 if none), ``lag_ms`` (engagement time - click time, -1 if none) and
    ``status`` (categorical: attributed, late, before_click, no_click; see module docstring).
    Tied clicks of one (user, live) in the same millisecond: the engagement goes to the one
    with the largest ``watch_live_time``, then the largest ``streamer_id``, then the last in
    ``clicks`` row order (the rule of the SQL definition, ``funnel_engagements`` in
    :mod:`kuailive_analysis.engine.queries.funnel`, where clicks equal in those columns cannot
    be told apart by any column the funnel reads).

    This pandas implementation is the reference the tests hold the SQL to; chapter 5
    (:func:`kuailive_analysis.funnel.analyse`) runs the SQL.
    """
    check_events(clicks, "click")
    if attribution_window_s is not None and attribution_window_s < 0:
        raise ValueError(f"attribution_window_s must be >= 0 or None, got {attribution_window_s}")
    eng = _engagements(comments, likes, gifts)
    eng["ul"] = pair_key(eng["user_id"], eng["live_id"])
    eng["eng_pos"] = np.arange(len(eng), dtype=np.int64)

    clk = pd.DataFrame(
        {
            "ts_ms": clicks["ts_ms"].to_numpy(np.int64),
            "ul": pair_key(clicks["user_id"], clicks["live_id"]),
            "watch": (
                clicks["watch_live_time"].to_numpy(np.int64)
                if "watch_live_time" in clicks.columns
                else np.zeros(len(clicks), np.int64)
            ),
            "sid": clicks["streamer_id"].to_numpy(np.int64),
            "click_pos": np.arange(len(clicks), dtype=np.int64),
        }
    )
    # merge_asof takes the last of tied right rows: sorted so that it is the tie-break's click
    clk = clk.sort_values(["ts_ms", "watch", "sid", "click_pos"], kind="stable")
    clk = clk.drop(columns=["watch", "sid"]).reset_index(drop=True)
    eng_sorted = eng.sort_values(["ts_ms", "eng_pos"], kind="stable")
    tol = None if attribution_window_s is None else int(round(attribution_window_s * MS_PER_SECOND))
    m = pd.merge_asof(
        eng_sorted[["ts_ms", "ul", "eng_pos"]],
        clk.rename(columns={"ts_ms": "click_ms"}).assign(ts_ms=lambda d: d["click_ms"]),
        on="ts_ms",
        by="ul",
        direction="backward",
        tolerance=tol,
        allow_exact_matches=True,
    )
    click_pos = np.full(len(eng), -1, dtype=np.int64)
    lag = np.full(len(eng), -1, dtype=np.int64)
    pos = m["eng_pos"].to_numpy()
    matched = m["click_pos"].notna().to_numpy()
    click_pos[pos[matched]] = m["click_pos"].to_numpy()[matched].astype(np.int64)
    lag[pos[matched]] = (m["ts_ms"].to_numpy()[matched] - m["click_ms"].to_numpy()[matched]).astype(
        np.int64
    )

    first_click = clk.groupby("ul", sort=False)["ts_ms"].min()
    first = first_click.reindex(eng["ul"].to_numpy()).to_numpy()
    has_click = ~np.isnan(first)
    status = np.where(
        click_pos >= 0,
        0,
        np.where(~has_click, 3, np.where(eng["ts_ms"].to_numpy() >= np.nan_to_num(first), 1, 2)),
    )
    out = eng.drop(columns=["ul", "eng_pos"])
    out["click_pos"] = click_pos
    out["lag_ms"] = lag
    out["status"] = pd.Categorical.from_codes(status.astype(np.int8), STATUSES)
    return out


def engagement_status_table(attributed: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of engagements by kind and status (output of :func:`attribute`).

    Rows: comment, like, gift, all; columns: the four statuses (counts), ``total`` and
    ``share_<status>`` (share of the kind's engagements).
    """
    t = pd.crosstab(attributed["kind"], attributed["status"], dropna=False)
    t = t.reindex(index=list(ENGAGEMENT_KINDS), columns=list(STATUSES), fill_value=0)
    t.loc["all"] = t.sum()
    t["total"] = t[list(STATUSES)].sum(axis=1)
    for s in STATUSES:
        t[f"share_{s}"] = t[s] / t["total"].where(t["total"] > 0)
    t.index.name = "kind"
    t.columns.name = None
    return t
