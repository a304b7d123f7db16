"""Section 2.2 "Streamers: a long tail": activity per streamer and how concentrated it is.

Every streamer of the profile table counts, including those nobody interacted with (the
registry's derived table ``streamer_activity``, the SQL definition
:data:`~kuailive_analysis.engine.queries.eda.STREAMER_ACTIVITY`). The cold-start share and
the revenue statistics are KPIs of the metric registry
(:mod:`kuailive_analysis.metrics`), read from the chapter's
:class:`~kuailive_analysis.metrics.MetricContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core import stats
from kuailive_analysis.eda.distributions import (
    ccdf,
    concentration_table,
    log_binned_histogram,
    n_zero,
    share_above,
    share_below,
)

CONCENTRATION_MEASURES = (
    ("exposures", "n_exposures"),
    ("clicks", "n_clicks"),
    ("watch time", "watch_ms"),
    ("gift revenue", "gift_value"),
)
"""(name, column of the streamer activity table) of the Lorenz curves and concentration table;
a measure whose total is 0 (e.g. no gifts) is left out."""

CONCENTRATION_COLUMNS = {
    "n_units": "streamers",
    "n_positive": "with any",
    "gini_positive": "gini (those with any)",
    "top1_share": "top 1% share",
    "top10_share": "top 10% share",
}
"""Column names of the concentration table as the book shows it."""


@dataclass(frozen=True, eq=False)
class Streamers(Section):
    """The long tail of streamers: ``activity`` (one row per streamer), ``ccdfs`` (panel ->
    (CCDF frame, x label)), ``histogram`` (interactions on log bins; ``n_zero`` streamers have
    none) and the values the text quotes."""

    activity: pd.DataFrame = field(repr=False)
    ccdfs: Mapping[str, tuple[pd.DataFrame, str]] = field(repr=False)
    histogram: pd.DataFrame = field(repr=False)
    n_zero: int
    streamers_lt_cold: float = glued()
    streamers_zero: float = glued()
    streamers_gt_heavy: float = glued()
    top10_streamers_share: float = glued()
    streamer_median_interactions: float = glued()
    streamer_max_viewers: int = glued()
    cold_start_max: int = glued()
    heavy_streamer_min: int = glued()

    @property
    def threshold_label(self) -> str:
        """Legend of the cold-start line."""
        return f"cold-start threshold ({self.cold_start_max})"


def streamers_section(mc, heavy_streamer_min: int) -> Streamers:
    r"""The :class:`Streamers` section from a :class:`~kuailive_analysis.metrics.MetricContext`
    (its ``cold_start_max``); ``top10_streamers_share`` is the share of all interactions of the
    ten largest streamers, :math:`\sum_{i \le 10} x_{[i]} / \sum_i x_i`."""
    sa = mc.derived("streamer_activity")
    n = sa["n_interactions"]
    return Streamers(
        activity=sa,
        ccdfs={
            "interactions": (ccdf(n), "interactions per streamer"),
            "distinct viewers": (ccdf(sa["n_viewers"]), "viewers per streamer"),
            "rooms": (ccdf(sa["n_rooms"]), "rooms per streamer"),
            "watch time": (ccdf(sa["watch_hours"]), "hours watched per streamer"),
        },
        histogram=log_binned_histogram(n, integer=True),
        n_zero=n_zero(n),
        streamers_lt_cold=mc.value("streamers_lt_cold"),
        streamers_zero=share_below(n, 1),
        streamers_gt_heavy=share_above(n, heavy_streamer_min),
        top10_streamers_share=stats.top_k_share(n, 10),
        streamer_median_interactions=n.median(),
        streamer_max_viewers=sa["n_viewers"].max(),
        cold_start_max=mc.params["cold_start_max"],
        heavy_streamer_min=heavy_streamer_min,
    )


@dataclass(frozen=True, eq=False)
class Concentration(Section):
    """How concentrated exposures, clicks, watch time and revenue are across streamers:
    ``table`` (:func:`~kuailive_analysis.eda.distributions.concentration_table`), ``curves``
    (Lorenz curves, :func:`kuailive_analysis.core.stats.lorenz_curve`) and the quoted values."""

    table: pd.DataFrame = field(repr=False)
    curves: Mapping[str, pd.DataFrame] = field(repr=False)
    gini_exposures: float = glued()
    top10_exposures: float = glued()
    gini_clicks: float = glued()
    gini_watch_time: float = glued()
    gini_gift_revenue: float = glued()
    top1_gift_revenue: float = glued()
    gini_revenue_gifted: float = glued()
    share_streamers_gifted: float = glued()

    @property
    def ginis(self) -> dict[str, float]:
        """Gini per measure (the Lorenz figure's legend)."""
        return self.table["gini"].to_dict()

    def display_table(self) -> pd.DataFrame:
        """The table with the book's column names (:data:`CONCENTRATION_COLUMNS`)."""
        return self.table.rename(columns=CONCENTRATION_COLUMNS)


def concentration_section(mc) -> Concentration:
    """The :class:`Concentration` section from a MetricContext."""
    sa = mc.derived("streamer_activity")
    measures = {name: sa[col] for name, col in CONCENTRATION_MEASURES if sa[col].sum() > 0}
    conc = concentration_table(measures)

    def value(measure: str, column: str) -> float:
        return conc.loc[measure, column] if measure in conc.index else np.nan

    return Concentration(
        table=conc,
        curves={name: stats.lorenz_curve(v) for name, v in measures.items()},
        gini_exposures=value("exposures", "gini"),
        top10_exposures=value("exposures", "top10_share"),
        gini_clicks=value("clicks", "gini"),
        gini_watch_time=value("watch time", "gini"),
        gini_gift_revenue=value("gift revenue", "gini"),
        top1_gift_revenue=value("gift revenue", "top1_share"),
        gini_revenue_gifted=mc.value("gini_revenue_gifted"),
        share_streamers_gifted=mc.value("share_streamers_gifted"),
    )
