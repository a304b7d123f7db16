"""KPIs over the 21 days: per Beijing day, over the first and last week of the window, and
gifts per click by UTC period with an interval for the change (:func:`gift_trend`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import UTC_OFFSET_MS, day_start_ms
from kuailive_analysis.core.stats import normal_quantile
from kuailive_analysis.funnel.intervals import minimum_detectable_effect
from kuailive_analysis.funnel.kpis import kpi_table
from kuailive_analysis.funnel.stats import UserStats

__all__ = ["GiftTrend", "daily_kpis", "gift_trend", "weekly_rates"]


def daily_kpis(us: UserStats, conf: float = 0.95, **kw) -> pd.DataFrame:
    """:func:`~kuailive_analysis.funnel.kpis.kpi_table` per Beijing day.

    Parameters
    ----------
    us : UserStats
        The statistics of the column ``day`` (0 = 2025-05-05).
    conf, **kw
        As in :func:`~kuailive_analysis.funnel.kpis.kpi_table`.

    Returns
    -------
    pandas.DataFrame
        The KPI table per day with a ``date`` column.
    """
    t = kpi_table(us, conf=conf, **kw)
    t["date"] = pd.Timestamp("2025-05-05") + pd.to_timedelta(t.index.astype(int), unit="D")
    return t


def weekly_rates(daily: pd.DataFrame, days: int = 7) -> pd.DataFrame:
    """CTR and GTR pooled over the first and the last ``days`` days.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`daily_kpis`.
    days : int
        Days of each part.

    Returns
    -------
    pandas.DataFrame
        Rows ``week1`` (first days) and ``week3`` (last days); columns ctr (clicks /
        exposures of the days) and gtr (gifting clicks / clicks), NaN for an empty part.
    """
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


UTC_PERIODS = ("UTC May 4-11", "UTC May 12-18", "UTC May 19-25")
"""The three periods of the published gifts-per-click trend (UTC days 8 / 7 / 7: 1.39% /
1.41% / 1.69% on the real files); the window opens at UTC May 4 16:00 (Beijing May 5)."""
REAL_GIFTS_PER_CLICK = (0.0139, 0.0141, 0.0169)
"""Gifts per click of the real files in the :data:`UTC_PERIODS` (kuailive-facts)."""
UTC_PERIOD_STARTS_MS = (day_start_ms(7) + UTC_OFFSET_MS, day_start_ms(14) + UTC_OFFSET_MS)
"""Starts of periods 2 and 3 (UTC May 12 and May 19 00:00, Beijing 08:00)."""


def utc_period(ts_ms) -> np.ndarray:
    """Index 0, 1, 2 of the UTC period of each timestamp (:data:`UTC_PERIODS`)."""
    return np.searchsorted(np.asarray(UTC_PERIOD_STARTS_MS), np.asarray(ts_ms), side="right")


@dataclass(frozen=True)
class GiftTrend:
    """Gifts per click by UTC period, and the change from the first to the last period with
    user-bootstrap intervals (:func:`gift_trend`)."""

    table: pd.DataFrame
    """One row per period: clicks, gifts, gifts per click and its interval (users resampled)."""
    change: float
    """Last minus first period, in share points (fractions)."""
    change_lo: float
    change_hi: float
    ratio: float
    """Last / first period."""
    ratio_lo: float
    ratio_hi: float
    conf: float
    n_boot: int

    @property
    def mde(self) -> float:
        """Minimum detectable change from the first to the last period at
        :data:`~.intervals.POWER` (two-sided, level ``1 - conf``), in share points; the
        standard error is the change interval's width over :math:`2 z_{1-\\alpha/2}`."""
        if not (np.isfinite(self.change_lo) and np.isfinite(self.change_hi)):
            return float("nan")
        se = (self.change_hi - self.change_lo) / (2 * normal_quantile(self.conf))
        return minimum_detectable_effect(se, self.conf)

    @property
    def excludes_zero(self) -> bool:
        """True when the interval of the change lies entirely on one side of zero."""
        return bool(np.isfinite(self.change_lo) and (self.change_lo > 0 or self.change_hi < 0))


def gift_trend(
    clicks: pd.DataFrame,
    gifts: pd.DataFrame,
    *,
    conf: float = 0.95,
    n_boot: int = 200,
    seed: int = 0,
) -> GiftTrend:
    """Gifts per click (all gift events / clicks, the registry's ``gifts_per_click``) in each
    UTC period of :data:`UTC_PERIODS`, computed as the published trend was.

    With :math:`G_{up}` and :math:`C_{up}` the gifts and clicks of user :math:`u` in period
    :math:`p`, each of ``n_boot`` replicates draws one weight :math:`w_{bu} \\sim
    \\mathrm{Poisson}(1)` per user, shared by the periods (so the change is paired):

    .. math::

        g^{(b)}_p = \\frac{\\sum_u w_{bu} G_{up}}{\\sum_u w_{bu} C_{up}}, \\qquad
        \\Delta^{(b)} = g^{(b)}_3 - g^{(b)}_1, \\qquad \\rho^{(b)} = g^{(b)}_3 / g^{(b)}_1;

    the intervals are the :math:`(1 \\pm \\mathrm{conf})/2` quantiles of the finite replicates.

    Parameters
    ----------
    clicks, gifts : pandas.DataFrame
        Every click and gift event (``user_id``, ``ts_ms``).
    conf, n_boot, seed : float, int, int
        Level, replicates (0: no intervals) and the seed of the weights.

    Returns
    -------
    GiftTrend
    """
    k = len(UTC_PERIODS)
    u_all, inv = np.unique(
        np.concatenate([clicks["user_id"].to_numpy(), gifts["user_id"].to_numpy()]),
        return_inverse=True,
    )
    n_users = len(u_all)
    ci, gi = inv[: len(clicks)], inv[len(clicks) :]
    cp = utc_period(clicks["ts_ms"].to_numpy())
    gp = utc_period(gifts["ts_ms"].to_numpy())
    # per-user counts of clicks and gifts per period: (users x periods)
    C = np.bincount(ci * k + cp, minlength=n_users * k).reshape(n_users, k).astype(np.float64)
    G = np.bincount(gi * k + gp, minlength=n_users * k).reshape(n_users, k).astype(np.float64)
    c_tot, g_tot = C.sum(0), G.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = g_tot / c_tot
        rng = np.random.default_rng(seed)
        W = rng.poisson(1.0, size=(n_boot, n_users)).astype(np.float64)
        boot = (W @ G) / (W @ C)  # replicates x periods
        change_b = boot[:, -1] - boot[:, 0]
        ratio_b = boot[:, -1] / boot[:, 0]
    a = (1 - conf) / 2

    def iv(x):
        x = x[np.isfinite(x)]
        return (float(np.quantile(x, a)), float(np.quantile(x, 1 - a))) if len(x) else (np.nan,) * 2

    per = [iv(boot[:, j]) if n_boot else (np.nan, np.nan) for j in range(k)]
    table = pd.DataFrame(
        {
            "period": list(UTC_PERIODS),
            "clicks": c_tot.astype(np.int64),
            "gifts": g_tot.astype(np.int64),
            "gifts per click": rate,
            "lo": [p[0] for p in per],
            "hi": [p[1] for p in per],
        }
    )
    (clo, chi), (rlo, rhi) = (iv(change_b), iv(ratio_b)) if n_boot else ((np.nan,) * 2,) * 2
    return GiftTrend(
        table=table,
        change=float(rate[-1] - rate[0]),
        change_lo=clo,
        change_hi=chi,
        ratio=float(rate[-1] / rate[0]) if rate[0] > 0 else float("nan"),
        ratio_lo=rlo,
        ratio_hi=rhi,
        conf=conf,
        n_boot=n_boot,
    )
