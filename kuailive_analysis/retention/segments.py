"""Segment labels per user and one Kaplan-Meier curve per segment level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.data.schema import ordered_bins, parse_bin
from kuailive_analysis.retention.checks import eligible_mask, fit_ready, require
from kuailive_analysis.retention.kaplan_meier import fit_km

SEGMENTS = ("gender", "age", "device_price", "account", "early_gifter", "early_watch")
"""Segments chapter 3 compares; the first four are profile snapshot fields."""

SNAPSHOT_SEGMENTS = ("gender", "age", "device_price", "account")


def user_segments(
    users: pd.DataFrame,
    early: pd.DataFrame | None = None,
    *,
    new_account_days: int = 365,
    heavy_quantile: float = 0.5,
) -> pd.DataFrame:
    """Segment labels per user (strings; missing profile values become 'unknown').

    * gender, age (band), device_price (band): profile snapshot fields as given;
    * account: 'new' if ``tenure_days < new_account_days`` (registered less than that many days
      before 2025-05-05), else 'old' (snapshot of the registration date);
    * early_gifter: 'gifter' if the user sent any gift in the early window, else 'non-gifter';
    * early_watch: 'heavy' if early watch time is above its ``heavy_quantile`` quantile among
      users, else 'light'.
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
        gif = e["early_n_gifts"].reindex(out["user_id"]).to_numpy()
        wat = e["early_watch_ms"].reindex(out["user_id"]).to_numpy(float)
        cut = np.nanquantile(e["early_watch_ms"].to_numpy(float), heavy_quantile)
        out["early_gifter"] = np.where(
            np.isnan(gif.astype(float)), None, np.where(gif > 0, "gifter", "non-gifter")
        )
        out["early_watch"] = np.where(np.isnan(wat), None, np.where(wat > cut, "heavy", "light"))
    return out


def level_groups(table: pd.DataFrame, labels: pd.Series, min_group: int):
    """``(rows, labels, levels, dropped)``: the eligible rows of ``table`` whose level has at
    least ``min_group`` users, their labels, the levels in display order (bin order for binned
    levels, else largest first) and the counts of the levels left out."""
    tab = fit_ready(table)
    lab = labels[eligible_mask(table)].astype("string")
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
    """One KM fit per segment level with at least ``min_group`` users (levels in display order).

    ``labels`` is aligned with ``table`` rows. Returns {level: KaplanMeierFitter}."""
    tab, lab, order, _ = level_groups(table, labels, min_group)
    return {g: fit_km(tab[lab == g], label=str(g), alpha=alpha) for g in order}
