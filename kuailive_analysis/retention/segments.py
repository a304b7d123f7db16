"""Who is in which segment: early activity (the first ``w`` days of each user's window lifetime),
the landmark sample that early-behaviour comparisons must use (no immortal-time bias), segment
labels per user and one Kaplan-Meier curve per segment level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR
from kuailive_analysis.data.schema import ordered_bins, parse_bin
from kuailive_analysis.retention.checks import RetentionError, fit_ready, require
from kuailive_analysis.retention.kaplan_meier import fit_km

SEGMENTS = ("gender", "age", "device_price", "account", "early_gifter", "early_watch")
"""Segments chapter 3 compares; the first four are profile snapshot fields."""

SNAPSHOT_SEGMENTS = ("gender", "age", "device_price", "account")

EARLY_SUMS = ("n_clicks", "watch_ms", "n_comments", "n_likes", "n_gifts", "gift_value")


def early_activity(
    user_day: pd.DataFrame, table: pd.DataFrame, *, early_days: int = 3, id_col: str = "user_id"
) -> pd.DataFrame:
    """Behaviour in each user's first ``w = early_days`` window days (``f .. f + w - 1``, with
    ``f`` the ``first_day`` of the survival ``table``; nothing later is used): one row per id of
    ``table`` with ``early_active_days``, the sums of the :data:`EARLY_SUMS` columns of
    ``user_day``, prefixed ``early_``, and ``early_watch_h`` (hours)."""
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
    out = out.astype({c: "int64" for c in out.columns if c != id_col})
    if "early_watch_ms" in out.columns:
        out["early_watch_h"] = out["early_watch_ms"] / MS_PER_HOUR
    return out.reset_index(drop=True)


def landmark(table: pd.DataFrame, early_days: int) -> pd.DataFrame:
    """The landmark sample: users whose lifetime reaches relative day ``w = early_days``
    (``duration >= w``), with the clock reset there, ``duration - (w - 1)`` (``w = 1`` changes
    nothing). Use with covariates from :func:`early_activity` of the same ``w``."""
    w = int(early_days)
    tab = table[table["eligible"]] if "eligible" in table.columns else table
    tab = tab[tab["duration"] >= w].copy()
    tab["duration"] = (tab["duration"] - (w - 1)).astype("int16")
    return tab.reset_index(drop=True)


def user_segments(
    users: pd.DataFrame,
    early: pd.DataFrame | None = None,
    *,
    new_account_days: int = 365,
    heavy_quantile: float = 0.5,
) -> pd.DataFrame:
    """Segment labels per user of ``users`` (strings; missing profile values are 'unknown'):

    * gender, age (band), device_price (band): profile snapshot fields as given;
    * account: 'new' if ``tenure_days < new_account_days`` (registered less than that many days
      before 2025-05-05), else 'old' (snapshot of the registration date);
    * with ``early`` (:func:`early_activity`): early_gifter ('gifter' if any gift in the early
      window, else 'non-gifter') and early_watch ('heavy' above the ``heavy_quantile``
      quantile of early watch time, else 'light').
    """
    require(users, ["user_id"], "users")
    out = pd.DataFrame({"user_id": users["user_id"].astype("int32").to_numpy()})
    for col in ("gender", "age", "device_price"):
        if col in users.columns:
            out[col] = users[col].astype("string").fillna("unknown").to_numpy()
    if "tenure_days" in users.columns:
        ten = users["tenure_days"].to_numpy(float)
        out["account"] = np.where(
            np.isnan(ten), "unknown", np.where(ten < new_account_days, "new", "old")
        )
    if early is not None:
        require(early, ["user_id", "early_n_gifts", "early_watch_ms"], "early activity")
        e = early.set_index("user_id")
        gif = e["early_n_gifts"].reindex(out["user_id"]).to_numpy(float)
        wat = e["early_watch_ms"].reindex(out["user_id"]).to_numpy(float)
        cut = np.nanquantile(e["early_watch_ms"].to_numpy(float), heavy_quantile)
        out["early_gifter"] = np.where(
            np.isnan(gif), None, np.where(gif > 0, "gifter", "non-gifter")
        )
        out["early_watch"] = np.where(np.isnan(wat), None, np.where(wat > cut, "heavy", "light"))
    return out


def level_groups(table: pd.DataFrame, labels: pd.Series, min_group: int):
    """``(rows, labels, levels, dropped)``: the eligible rows of ``table`` whose level has at
    least ``min_group`` users, their labels, the levels in display order (bin order for binned
    levels, else largest first) and the counts of the levels left out."""
    tab = fit_ready(table)
    eligible = (
        table["eligible"].to_numpy(bool) if "eligible" in table else np.ones(len(table), bool)
    )
    lab = labels[eligible].astype("string")
    keep = lab.notna()
    tab, lab = tab[keep.to_numpy()], lab[keep]
    counts = lab.value_counts()
    big = counts[counts >= min_group].index
    ok = lab.isin(big).to_numpy()
    order = [g for g in counts.index if g in set(big)]  # largest level first
    try:  # binned levels ('18-23', '50+', '0'): in bin order
        [parse_bin(g) for g in order]
        order = ordered_bins(order)
    except ValueError:
        pass
    return tab[ok], lab[ok].to_numpy(dtype=object), order, counts[counts < min_group]


def km_by_segment(
    table: pd.DataFrame, labels: pd.Series, *, min_group: int = 30, alpha: float = 0.05
) -> dict:
    """{level: Kaplan-Meier fit} of each level of ``labels`` (the level of each row of the
    survival ``table``, aligned by position) with at least ``min_group`` users, in display
    order; ``alpha``: one minus the bands' level."""
    tab, lab, order, _ = level_groups(table, labels, min_group)
    return {g: fit_km(tab[lab == g], label=str(g), alpha=alpha) for g in order}
