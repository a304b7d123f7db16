"""The session and user units: one row per (user, live) pair, and the funnel counted in
exposures, sessions and users side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.core.keys import pair_key
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.funnel.common import (
    DEFAULT_QUALIFIED_WATCH_S,
    check_events,
    day_hour,
    runs,
)
from kuailive_analysis.funnel.stats import EngineStats
from kuailive_analysis.funnel.steps import funnel


def session_table(
    clicks: pd.DataFrame,
    negatives: pd.DataFrame,
    comments: pd.DataFrame,
    likes: pd.DataFrame,
    gifts: pd.DataFrame,
    *,
    qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S,
) -> pd.DataFrame:
    """One row per (user_id, live_id) with any event; no attribution window (a session is
    the whole pair over the 21 days).

    Columns: user_id, live_id, streamer_id (of the first event), first_ms, n_clicks,
    n_negatives, n_exposures, watch_ms, n_comments, n_likes, n_gifts, gift_value, and
    booleans ``clicked``, ``qualified`` (summed watch >= threshold), ``interacted``,
    ``gifted``, ``engaged_without_click`` (an engagement but no click), plus nested step flags
    ``s_click, s_qualified, s_interaction, s_gift`` for sessions with an exposure.
    """
    check_events(clicks, "click", ("watch_live_time",))
    check_events(negatives, "negative")
    tables = (
        ("click", clicks),
        ("negative", negatives),
        ("comment", comments),
        ("like", likes),
        ("gift", gifts),
    )
    for name, df in tables:
        check_events(df, name)
    # one int64 pair key, time and streamer per event; sort by (pair, time) - ties keep the
    # input order (clicks, negatives, comments, likes, gifts) - and reduce runs of equal pairs
    ul = np.concatenate([pair_key(df["user_id"], df["live_id"]) for _, df in tables])
    ts = np.concatenate([df["ts_ms"].to_numpy(np.int64) for _, df in tables])
    order = np.lexsort((ts, ul))
    ul_s = ul[order]
    start = runs(ul_s)
    starts = np.flatnonzero(start)
    n_groups = len(starts)
    grp = np.empty(len(order), dtype=np.int64)
    grp[order] = np.cumsum(start) - 1
    del ul
    first_ms = ts[order][starts]
    del ts
    sid = np.concatenate([df["streamer_id"].to_numpy(np.int32) for _, df in tables])
    streamer = sid[order[starts]]
    keys = ul_s[starts]
    del sid, order, ul_s, start
    bounds = np.cumsum([0] + [len(df) for _, df in tables])
    part = {name: grp[bounds[i] : bounds[i + 1]] for i, (name, _) in enumerate(tables)}
    s = pd.DataFrame(
        {
            "user_id": (keys >> 32).astype(np.int32),
            "live_id": (keys & 0xFFFFFFFF).astype(np.int32),
            "streamer_id": streamer.astype(np.int32),
            "first_ms": first_ms.astype(np.int64),
        }
    )
    for name, col in (
        ("click", "n_clicks"),
        ("negative", "n_negatives"),
        ("comment", "n_comments"),
        ("like", "n_likes"),
        ("gift", "n_gifts"),
    ):
        s[col] = np.bincount(part[name], minlength=n_groups)
    s["watch_ms"] = np.bincount(
        part["click"], weights=clicks["watch_live_time"].to_numpy(np.float64), minlength=n_groups
    ).astype(np.int64)
    s["gift_value"] = np.bincount(
        part["gift"], weights=gifts["gift_price"].to_numpy(np.float64), minlength=n_groups
    ).astype(np.int64)
    for c in ("n_clicks", "n_negatives", "n_comments", "n_likes", "n_gifts"):
        s[c] = s[c].astype(np.int32)
    s["n_exposures"] = (s["n_clicks"] + s["n_negatives"]).astype(np.int32)
    s["day"], s["hour"] = day_hour(s["first_ms"])
    s["clicked"] = s["n_clicks"] > 0
    s["qualified"] = s["clicked"] & (s["watch_ms"] >= qualified_watch_s * MS_PER_SECOND)
    s["interacted"] = (s["n_comments"] + s["n_likes"] + s["n_gifts"]) > 0
    s["gifted"] = s["n_gifts"] > 0
    s["engaged_without_click"] = s["interacted"] & ~s["clicked"]
    exposed = s["n_exposures"] > 0
    s["s_exposure"] = exposed
    s["s_click"] = s["clicked"]
    s["s_qualified"] = s["qualified"]
    s["s_interaction"] = s["qualified"] & s["interacted"]
    s["s_gift"] = s["qualified"] & s["gifted"]
    return s


def unit_funnels(
    exposures: pd.DataFrame, sessions: pd.DataFrame, conf: float = 0.95
) -> pd.DataFrame:
    """The nested funnel in the three units side by side (exposure, session, user).

    Sessions: those with an exposure (a click or a negative). Users: a user reaches a step if
    any of their exposures does. Long format: unit, step, n, step_rate, overall_rate and
    Wilson bounds (see :func:`funnel`).
    """
    ex = funnel(exposures, conf=conf).assign(unit="exposure")
    ses = sessions[sessions["s_exposure"]]
    se = funnel(ses, conf=conf).assign(unit="session")
    flags = ["s_click", "s_qualified", "s_interaction", "s_gift"]
    if isinstance(exposures, EngineStats):
        us = exposures.get(None)  # one row per user: a user reaches a step if any exposure does
        users = pd.DataFrame({c: us.sums[c] > 0 for c in flags})
    else:
        users = exposures.groupby("user_id", sort=False)[flags].any()
    us = funnel(users, conf=conf).assign(unit="user")
    out = pd.concat([ex, se, us], ignore_index=True)
    out["unit"] = pd.Categorical(out["unit"], ["exposure", "session", "user"], ordered=True)
    return out[["unit"] + [c for c in out.columns if c != "unit"]]


def session_kpis(sessions: pd.DataFrame, conf: float = 0.95) -> pd.DataFrame:
    """Per-session rates: shares of click sessions that qualify, comment, like, gift
    (with Wilson intervals), and sessions with an engagement but no click.
    """
    cs = sessions[sessions["clicked"]]
    n = len(cs)
    rows = []
    for name, k in (
        ("qualified", cs["qualified"].sum()),
        ("comment", (cs["n_comments"] > 0).sum()),
        ("like", (cs["n_likes"] > 0).sum()),
        ("gift", cs["gifted"].sum()),
        ("interaction", cs["interacted"].sum()),
    ):
        lo, hi = wilson_interval(k, n, conf)
        rows.append(
            {
                "kpi": f"{name} rate per click session",
                "k": int(k),
                "n": n,
                "rate": k / n if n else np.nan,
                "lo": float(lo),
                "hi": float(hi),
            }
        )
    k = int(sessions["engaged_without_click"].sum())
    m = int(sessions["interacted"].sum())
    lo, hi = wilson_interval(k, m, conf)
    rows.append(
        {
            "kpi": "engaged sessions without a click",
            "k": k,
            "n": m,
            "rate": k / m if m else np.nan,
            "lo": float(lo),
            "hi": float(hi),
        }
    )
    return pd.DataFrame(rows).set_index("kpi")
