"""Watch time per click by the click's later engagement."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.funnel.common import DEFAULT_QUALIFIED_WATCH_S

WATCH_OUTCOMES = ("no engagement", "like / comment only", "gift")


def watch_outcome(click_tab: pd.DataFrame) -> pd.Categorical:
    """Outcome of each click: gift (any attributed gift), like / comment only, no engagement."""
    code = np.where(click_tab["gifted"], 2, np.where(click_tab["interacted"], 1, 0))
    return pd.Categorical.from_codes(code.astype(np.int8), WATCH_OUTCOMES)


def watch_by_outcome(
    click_tab: pd.DataFrame,
    quantiles: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9),
    qualified_watch_s: float = DEFAULT_QUALIFIED_WATCH_S,
) -> pd.DataFrame:
    """Watch time per click (seconds) by later engagement: n, quantiles, mean and the share
    at or above the qualified-watch threshold."""
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
