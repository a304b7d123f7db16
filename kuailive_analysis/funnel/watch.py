"""Watch time per click by the click's later engagement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_SECOND

__all__ = ["WATCH_OUTCOMES", "watch_by_outcome", "watch_outcome"]

WATCH_OUTCOMES = ("no engagement", "like / comment only", "gift")


def watch_outcome(click_tab: pd.DataFrame) -> pd.Categorical:
    """Outcome of each click: gift (any attributed gift), like / comment only, no engagement."""
    code = np.where(click_tab["gifted"], 2, np.where(click_tab["interacted"], 1, 0))
    return pd.Categorical.from_codes(code.astype(np.int8), WATCH_OUTCOMES)


def watch_by_outcome(
    click_tab: pd.DataFrame,
    qualified_watch_s: float,
    quantiles: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9),
) -> pd.DataFrame:
    """Watch time per click (seconds) by the click's later engagement.

    Parameters
    ----------
    click_tab : pandas.DataFrame
        The click table (``watch_ms``, ``interacted``, ``gifted``).
    qualified_watch_s : float
        The qualified-watch threshold.
    quantiles : tuple of float
        The quantiles shown.

    Returns
    -------
    pandas.DataFrame
        Per outcome (:data:`WATCH_OUTCOMES`): n_clicks, the quantiles (``p10`` ...), mean_s and
        share_qualified (watch at or above the threshold).
    """
    ct = pd.DataFrame(
        {
            "outcome": watch_outcome(click_tab),
            "watch_s": click_tab["watch_ms"].to_numpy(np.float64) / MS_PER_SECOND,
        }
    )
    g = ct.groupby("outcome", observed=False)["watch_s"]
    out = g.quantile(list(quantiles)).unstack()
    out.columns = [f"p{int(round(q * 100))}" for q in quantiles]
    out.insert(0, "n_clicks", g.size())
    out["mean_s"] = g.mean()
    out["share_qualified"] = (
        ct.assign(q=ct["watch_s"] >= qualified_watch_s)
        .groupby("outcome", observed=False)["q"]
        .mean()
    )
    return out
