"""KPIs over the 21 days: per Beijing day, and over the first and last week of the window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.funnel.kpis import kpi_table


def daily_kpis(exposures: pd.DataFrame, conf: float = 0.95, **kw) -> pd.DataFrame:
    """:func:`~kuailive_analysis.funnel.kpis.kpi_table` by Beijing day index (0 = 2025-05-05),
    with a ``date`` column."""
    t = kpi_table(exposures, by="day", conf=conf, **kw)
    t["date"] = pd.Timestamp("2025-05-05") + pd.to_timedelta(t.index.astype(int), unit="D")
    return t


def weekly_rates(daily: pd.DataFrame, days: int = 7) -> pd.DataFrame:
    """CTR and GTR pooled over the first ``days`` days of ``daily`` (row ``week1``) and the last
    ``days`` days (row ``week3``): clicks / exposures and gifting clicks / clicks of the days
    (NaN when a part has no exposures or no clicks)."""
    d = daily.index.to_numpy()
    rows = {}
    for name, mask in (
        ("week1", d <= d.min() + days - 1 if len(d) else d.astype(bool)),
        ("week3", d >= d.max() - days + 1 if len(d) else d.astype(bool)),
    ):
        w = daily[mask]
        clicks = float(w["clicks"].sum())
        rows[name] = {
            "ctr": float(clicks / w["exposures"].sum()) if len(w) else float("nan"),
            "gtr": float(w["gifted"].sum() / clicks) if clicks else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index", columns=["ctr", "gtr"], dtype=np.float64)
