"""Early activity (the first ``w`` days of each user's window lifetime) and the landmark sample
that early-behaviour comparisons must use (no immortal-time bias)."""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR
from kuailive_analysis.retention.checks import RetentionError, require

EARLY_SUMS = ("n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value")


def early_activity(
    user_day: pd.DataFrame, table: pd.DataFrame, *, early_days: int = 3, id_col: str = "user_id"
) -> pd.DataFrame:
    """Behaviour in each user's first ``early_days`` window days (days ``f .. f + w - 1``).

    Returns one row per id of ``table``: ``early_active_days`` and sums of n_clicks, watch_ms,
    n_comments, n_likes, n_gifts, gift_value (those present in ``user_day``) over the early
    window, prefixed ``early_``, plus ``early_watch_h`` (hours). Nothing after day
    ``f + w - 1`` is used.
    """
    if int(early_days) < 1:
        raise RetentionError(f"early_days must be >= 1, got {early_days!r}.")
    require(user_day, [id_col, "day"], "user_day")
    require(table, [id_col, "first_day"], "survival table")
    cols = [c for c in EARLY_SUMS if c in user_day.columns]
    ud = user_day.merge(table[[id_col, "first_day"]], on=id_col, how="inner")
    rel = ud["day"].astype(int) - ud["first_day"].astype(int)
    ud = ud[(rel >= 0) & (rel < int(early_days))]
    active = ud["active"].astype(bool) if "active" in ud.columns else pd.Series(True, ud.index)
    agg = ud[cols].groupby(ud[id_col]).sum()
    agg["active_days"] = active.groupby(ud[id_col]).sum()
    agg.columns = [f"early_{c}" for c in agg.columns]
    out = table[[id_col]].merge(agg, left_on=id_col, right_index=True, how="left").fillna(0)
    for c in out.columns:
        if c != id_col:
            out[c] = out[c].astype("int64")
    if "early_watch_ms" in out.columns:
        out["early_watch_h"] = out["early_watch_ms"] / MS_PER_HOUR
    return out.reset_index(drop=True)


def landmark(table: pd.DataFrame, early_days: int) -> pd.DataFrame:
    """Users whose lifetime reaches relative day ``w = early_days`` (``duration >= w``), with the
    clock reset to the landmark: ``duration = duration - (w - 1)`` (so ``w = 1`` changes
    nothing). Use with covariates from :func:`early_activity` (same ``w``)."""
    w = int(early_days)
    tab = table[table["eligible"]] if "eligible" in table.columns else table
    tab = tab[tab["duration"] >= w].copy()
    tab["duration"] = (tab["duration"] - (w - 1)).astype("int16")
    return tab.reset_index(drop=True)
