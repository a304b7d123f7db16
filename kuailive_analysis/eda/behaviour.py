"""Section 2.4 "Behaviour": watch time per click, engagement rates and gift prices.

Watch time is ``watch_live_time`` of a click (ms; shown in seconds and minutes); gift values
are platform coins. The engagement rates and revenue statistics are KPIs of the metric
registry (:mod:`kuailive_analysis.metrics`): per exposure, click and session, never per
user, since every sampled user did every behaviour at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import Section, glued
from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.core.stats import nonnegative
from kuailive_analysis.eda.distributions import log_binned_histogram, n_zero, quantile_summary

WATCH_BANDS_S = {
    "share_lt_5s": (0.0, 5.0),
    "share_5_30s": (5.0, 30.0),
    "share_30_300s": (30.0, 300.0),
    "share_ge_300s": (300.0, np.inf),
}
"""The watch-time bands ``[lo, hi)`` in seconds."""


def watch_time_summary(watch_ms) -> pd.Series:
    """Watch time per click.

    Parameters
    ----------
    watch_ms : array-like
        ``watch_live_time`` of each click (ms).

    Returns
    -------
    Series
        In seconds: the shares of clicks in the bands <5 s, 5-30 s, 30-300 s, >=300 s
        (``share_lt_5s``, ...), ``n``, ``mean``, the quantiles ``p25``..``p99`` and ``max``
        (:func:`~kuailive_analysis.eda.distributions.quantile_summary`).
    """
    x = nonnegative(watch_ms, "watch_time_summary") / MS_PER_SECOND
    out = {k: float(((x >= lo) & (x < hi)).mean()) for k, (lo, hi) in WATCH_BANDS_S.items()}
    out.update(quantile_summary(x).to_dict())
    return pd.Series(out)


def gift_price_summary(gift_price) -> pd.Series:
    """Gift price per gift event (coins): ``n``, ``total``, ``mean``, quantiles, ``max``,
    ``share_eq_1`` (price exactly 1) and ``share_le_20``."""
    x = nonnegative(gift_price, "gift_price_summary")
    out = quantile_summary(x)
    out["total"] = float(x.sum())
    out["share_eq_1"] = float((x == 1).mean())
    out["share_le_20"] = float((x <= 20).mean())
    return out


def price_counts(gift_price, max_price: int = 50) -> pd.DataFrame:
    """Gift events at each exact price 1..``max_price`` (shows the spikes at round prices);
    ``share`` is of all gifts."""
    x = np.asarray(gift_price, dtype="int64")
    if x.size and x.min() < 1:
        raise ValueError(f"price_counts: gift_price must be >= 1, found {x.min()}.")
    c = np.bincount(np.clip(x, 0, max_price + 1), minlength=max_price + 2)[1 : max_price + 1]
    return pd.DataFrame(
        {"price": np.arange(1, max_price + 1), "count": c, "share": c / max(x.size, 1)}
    )


ENGAGEMENT_KPIS = (
    "ctr",
    "negatives_per_click",
    "comments_per_click",
    "likes_per_click",
    "gifts_per_click",
    "gift_session_share",
    "n_gift_pairs",
)
"""Registry KPIs of the engagement paragraph (glued under their registry keys)."""

REVENUE_KPIS = (
    "revenue",
    "gift_price_mean",
    "gini_revenue_users",
    "top1_users_revenue",
    "top10_users_revenue",
)
"""Registry KPIs of the revenue paragraph (glued under their registry keys)."""

PRICE_CAP = 50
"""Exact prices 1..PRICE_CAP are shown one by one (round prices spike)."""


@dataclass(frozen=True, eq=False)
class Behaviour(Section):
    """Watch time and engagement: ``summary`` (:func:`watch_time_summary`, seconds),
    ``histogram`` (watch seconds on log bins, 8 per decade; ``n_zero`` clicks have 0) and the
    quoted values, the engagement KPIs under their registry keys."""

    summary: pd.Series = field(repr=False)
    histogram: pd.DataFrame = field(repr=False)
    n_zero: int
    watch_share_lt_5s: float = glued()
    watch_share_5_30s: float = glued()
    watch_share_30_300s: float = glued()
    watch_share_ge_300s: float = glued()
    watch_median_s: float = glued()
    watch_mean_s: float = glued()
    watch_p90_min: float = glued()
    watch_p99_min: float = glued()
    watch_max_min: float = glued()
    ctr: float = glued()
    negatives_per_click: float = glued()
    comments_per_click: float = glued()
    likes_per_click: float = glued()
    gifts_per_click: float = glued()
    gift_session_share: float = glued()
    n_gift_pairs: int = glued()


def behaviour_section(mc, watch_ms) -> Behaviour:
    """The :class:`Behaviour` section from the clicks' watch times (ms) and a
    :class:`~kuailive_analysis.metrics.MetricContext`."""
    w = watch_time_summary(watch_ms)
    seconds = np.asarray(watch_ms, dtype="float64") / MS_PER_SECOND
    return Behaviour(
        summary=w,
        histogram=log_binned_histogram(seconds, bins_per_decade=8),
        n_zero=n_zero(seconds),
        **{
            f"watch_{k}": w[k]
            for k in ("share_lt_5s", "share_5_30s", "share_30_300s", "share_ge_300s")
        },
        watch_median_s=w["p50"],
        watch_mean_s=w["mean"],
        watch_p90_min=w["p90"] / 60,
        watch_p99_min=w["p99"] / 60,
        watch_max_min=w["max"] / 60,
        **{k: mc.value(k) for k in ENGAGEMENT_KPIS},
    )


@dataclass(frozen=True, eq=False)
class Gifts(Section):
    """Gift prices and revenue: ``summary`` (:func:`gift_price_summary`), ``price_counts``
    (gifts at each exact price up to :data:`PRICE_CAP`), ``histogram`` (all prices on log
    bins) and the quoted values, the revenue KPIs under their registry keys."""

    summary: pd.Series = field(repr=False)
    price_counts: pd.DataFrame = field(repr=False)
    histogram: pd.DataFrame = field(repr=False)
    gift_p50: float = glued()
    gift_p99: float = glued()
    gift_max: float = glued()
    gift_share_eq_1: float = glued()
    gift_share_le_20: float = glued()
    revenue: int = glued()
    gift_price_mean: float = glued()
    gini_revenue_users: float = glued()
    top1_users_revenue: float = glued()
    top10_users_revenue: float = glued()


def gifts_section(mc, gift_price) -> Gifts:
    """The :class:`Gifts` section from the gift prices (coins) and a
    :class:`~kuailive_analysis.metrics.MetricContext`."""
    gp = gift_price_summary(gift_price)
    return Gifts(
        summary=gp,
        price_counts=price_counts(gift_price, PRICE_CAP),
        histogram=log_binned_histogram(gift_price),
        **{f"gift_{k}": gp[k] for k in ("p50", "p99", "max", "share_eq_1", "share_le_20")},
        **{k: mc.value(k) for k in REVENUE_KPIS},
    )
