"""Chapter 2's Key findings: :func:`uncertainty` computes the intervals they quote (bootstrap
over users, seeded, so two runs agree); :func:`eda_findings` builds the records
(:func:`~kuailive_analysis.chapter.finding`) from an :class:`~kuailive_analysis.eda.EDAResult`.

On the synthetic twin every pattern of this chapter is one the generator was built to show
(the evening habit, loyal users, the concentration of attention and money, calibrated to the
real files' published statistics): those findings carry ``origin="planted"``, they are
recovered properties, not discoveries, and they carry no product action. The calibration
check (each published statistic recomputed the way its source did, within the fidelity
tolerance) is the finding the twin can support. On a real folder the same records are data
findings with a product action each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.chapter import ChapterId, Finding, finding
from kuailive_analysis.core.format import format_interval
from kuailive_analysis.core.stats import gini, top_share, wilson_interval
from kuailive_analysis.engine.queries.eda import USER_PEAK

N_BOOT = 200
"""Bootstrap resamples (over users) of the intervals."""
LEVEL = 0.95
SEED = 20250505


@dataclass(frozen=True)
class Uncertainty:
    """The intervals (at :data:`LEVEL`) the chapter's findings quote."""

    peak_share: tuple[float, float]
    """Share of interactions in the peak window, bootstrap over users."""
    loyalty_median: tuple[float, float]
    """Median share of a user's watch time on their top streamer, bootstrap over users."""
    even_share_median: float
    """Median over users of 1 / streamers watched (the share if watch were spread evenly)."""
    gini_users: tuple[float, float]
    """Gini of gift revenue across users, bootstrap over users."""
    top1_users: tuple[float, float]
    """Revenue share of the top 1% of users, bootstrap over users."""
    cold_share: tuple[float, float]
    """Share of streamers below the cold-start threshold (Wilson)."""


def _interval(samples) -> tuple[float, float]:
    a = (1 - LEVEL) / 2
    lo, hi = np.nanquantile(np.asarray(samples, dtype="float64"), [a, 1 - a])
    return float(lo), float(hi)


def uncertainty(
    ds,
    user_act: pd.DataFrame,
    streamer_act: pd.DataFrame,
    peak_start: int,
    peak_hours: int,
    cold_start_max: int,
) -> Uncertainty:
    r"""The intervals of the findings (see :class:`Uncertainty`).

    Bootstrap over users (:data:`N_BOOT` resamples of the :math:`n` users with replacement,
    seeded with :data:`SEED`): for a statistic :math:`\hat\theta`, the replicates
    :math:`\hat\theta^*_1, \dots, \hat\theta^*_B` give the equal-tailed interval

    .. math:: \big[\, Q^*(\alpha / 2),\ Q^*(1 - \alpha / 2) \,\big], \quad \alpha = 1 - 0.95,

    :math:`Q^*` the replicates' quantile function. The peak share of a resample is
    :math:`\sum_u p_u / \sum_u n_u` (interactions in the window over all, per user: the SQL
    definition :data:`~kuailive_analysis.engine.queries.eda.USER_PEAK`). The cold-start share
    :math:`k / n` gets the Wilson interval (:func:`~kuailive_analysis.core.stats.wilson_interval`).
    """
    rng = np.random.default_rng(SEED)
    per_user = ds.query(USER_PEAK, peak_start=int(peak_start), peak_hours=int(peak_hours))
    tot = per_user["n"].to_numpy(dtype="float64")
    peak = per_user["n_peak"].to_numpy(dtype="float64")
    n = len(per_user)
    idx = rng.integers(0, n, size=(N_BOOT, n)) if n else np.zeros((N_BOOT, 0), int)
    peak_boot = peak[idx].sum(axis=1) / np.maximum(tot[idx].sum(axis=1), 1)
    loyal = user_act["top_streamer_watch_share"].dropna().to_numpy("float64")
    li = rng.integers(0, max(len(loyal), 1), size=(N_BOOT, len(loyal)))
    loyal_boot = np.median(loyal[li], axis=1) if len(loyal) else np.full(N_BOOT, np.nan)
    ns = user_act["n_streamers"].to_numpy("float64")
    even = float(np.median(1.0 / ns[ns > 0])) if (ns > 0).any() else float("nan")
    rev = user_act["gift_value"].fillna(0).to_numpy("float64")
    g_boot, t_boot = [], []
    if rev.sum() > 0:
        for row in rng.integers(0, len(rev), size=(N_BOOT, len(rev))):
            x = rev[row]
            if x.sum() > 0:
                g_boot.append(gini(x))
                t_boot.append(top_share(x, 0.01))
    inter = streamer_act["n_interactions"].to_numpy("float64")
    lo, hi = wilson_interval(int((inter < cold_start_max).sum()), max(len(inter), 1))
    nan2 = (float("nan"), float("nan"))
    return Uncertainty(
        peak_share=_interval(peak_boot),
        loyalty_median=_interval(loyal_boot),
        even_share_median=even,
        gini_users=_interval(g_boot) if g_boot else nan2,
        top1_users=_interval(t_boot) if t_boot else nan2,
        cold_share=(float(lo), float(hi)),
    )


def eda_findings(res) -> list[Finding]:
    """The Key findings of chapter 2 (see the module docstring)."""
    twin = bool(res.source is not None and res.source.is_twin)
    origin = "planted" if twin else "data"
    pub, u = res.published, res.uncertainty
    ci = {
        k: format_interval(getattr(u, k), LEVEL, "share")
        for k in ("peak_share", "top1_users", "loyalty_median", "cold_share")
    }
    out: list[Finding] = []

    # 1. the calibration check: the published statistics, computed as their sources did
    cal = pub.calibration
    off = cal[cal["verdict"] == "off"]
    checked = cal[cal["verdict"] != "n/a"]
    misses = "; ".join(
        f"{r.statistic}: {r.this_run} vs published {r.published}" for r in off.itertuples()
    )
    out.append(
        finding(
            ChapterId.EDA,
            "calibration",
            f"{pub.calibration_match} of {pub.calibration_n} published statistics are "
            f"reproduced within tolerance and {pub.calibration_close} are close, each computed "
            "the way its source did"
            + (
                " (on the twin these are calibration targets: agreement checks the generator, "
                "it is not a finding about users)."
                if twin
                else "."
            ),
            check="every published statistic within its fidelity tolerance (match or close; "
            "none off)",
            passed=None if checked.empty else off.empty,
            value=float(pub.calibration_match),
            unit="statistics",
            evidence={
                "n": pub.calibration_n,
                "match": pub.calibration_match,
                "close": pub.calibration_close,
                "off": pub.calibration_off,
            },
            origin="data",
            headline=True,
            reason="no published statistic could be computed on this data"
            if checked.empty
            else f"{len(off)} statistic(s) outside tolerance: {misses}",
        )
    )

    # 2. attention: daily-averaged click Gini, computed as the source did
    v = pub.verdict("daily_gini_clicks")
    out.append(
        finding(
            ChapterId.EDA,
            "click_concentration",
            "Attention is only moderately concentrated day by day: the daily-averaged Gini of "
            f"clicks across active streamers is {pub.click_gini_daily:.3f} (published "
            f"{pub.click_gini_daily_real:.3f}); over the whole window, across all streamers, "
            f"it is {res.concentration.gini_clicks:.2f}.",
            check="the published daily-averaged Gini (per UTC day over the streamers clicked "
            "that day, averaged) is reproduced within the fidelity tolerance",
            passed=v in ("match", "close"),
            value=pub.click_gini_daily,
            unit="Gini",
            evidence={
                "published": pub.click_gini_daily_real,
                "verdict": v,
                "pooled_gini": res.concentration.gini_clicks,
            },
            origin=origin,
            reason=f"verdict {v}: the run does not reproduce the published value",
        )
    )

    # 3. money: revenue concentration across users (with a bootstrap interval)
    g = res.gifts
    v = pub.verdict("gini_user_revenue")
    known = bool(np.isfinite(u.gini_users[0]))
    out.append(
        finding(
            ChapterId.EDA,
            "revenue_concentration",
            "Money is extremely concentrated: the Gini of gift revenue across users is "
            f"{g.gini_revenue_users:.3f} ({u.gini_users[0]:.3f} to {u.gini_users[1]:.3f}), and "
            f"the top 1% of users give {g.top1_users_revenue:.1%} of it ({ci['top1_users']}).",
            check="the published Gini across users is reproduced within tolerance; interval: "
            f"bootstrap over users ({N_BOOT} resamples)",
            passed=v in ("match", "close") and known,
            value=g.gini_revenue_users,
            unit="Gini",
            interval=u.gini_users if known else None,
            level=LEVEL,
            evidence={
                "published": float(cal.loc["gini_user_revenue", "real_value"]),
                "verdict": v,
                "top1_users_revenue": g.top1_users_revenue,
            },
            origin=origin,
            reason=f"verdict {v} against the published Gini",
            action="Protect the few payers who carry revenue: the top 1% of users give "
            f"{g.top1_users_revenue:.1%} ({ci['top1_users']}); track their retention as a "
            "separate KPI and test VIP retention offers on them first.",
        )
    )

    # 4. the evening habit
    t = res.timing
    flat = f"{t.uniform_peak_share:.0%}"
    out.append(
        finding(
            ChapterId.EDA,
            "evening_habit",
            f"Users watch in the evening: {t.activity_peak} holds {t.activity_peak_share:.1%} "
            f"of interactions ({ci['peak_share']}), against {flat} if activity were flat over "
            "the day.",
            check=f"the interval (bootstrap over users) lies above the flat-day share {flat}",
            passed=u.peak_share[0] > t.uniform_peak_share,
            value=t.activity_peak_share,
            unit="share",
            interval=u.peak_share,
            level=LEVEL,
            evidence={"flat_share": t.uniform_peak_share, "window": t.activity_peak},
            origin=origin,
            reason="the peak window's interval includes the flat-day share",
            action=f"Schedule notifications, featured slots and campaigns for {t.activity_peak}: "
            f"it holds {t.activity_peak_share:.1%} of interactions ({ci['peak_share']}) vs "
            f"{flat} for a flat day; test send-time in an A/B experiment before moving the "
            "whole budget.",
        )
    )

    # 5. loyal users
    r = res.returns
    lo = u.loyalty_median[0]
    out.append(
        finding(
            ChapterId.EDA,
            "loyal_users",
            "Users are loyal to one streamer: the median user spends "
            f"{r.top_streamer_share_median:.1%} of their watch time on their top streamer "
            f"({ci['loyalty_median']}), far above the {u.even_share_median:.1%} an even spread "
            "over the streamers they watch would give.",
            check="the interval of the median (bootstrap over users) lies above the "
            "even-spread share (median of 1 / streamers watched)",
            passed=bool(np.isfinite(lo) and lo > u.even_share_median),
            value=r.top_streamer_share_median,
            unit="share",
            interval=u.loyalty_median,
            level=LEVEL,
            evidence={"even_share": u.even_share_median},
            origin=origin,
            reason="the median's interval does not exceed the even-spread share",
            action="Make following the favourite streamer one tap away (live notifications for "
            f"the top streamer): it holds {r.top_streamer_share_median:.1%} of the median "
            "user's watch time.",
        )
    )

    # 6. cold start
    s = res.streamers
    out.append(
        finding(
            ChapterId.EDA,
            "cold_start",
            f"Most streamers are cold: {s.streamers_lt_cold:.1%} have fewer than "
            f"{s.cold_start_max} interactions in three weeks ({ci['cold_share']}); only "
            f"{s.streamers_gt_heavy:.1%} have more than {s.heavy_streamer_min}.",
            check="the Wilson interval of the share lies above 50% (a majority)",
            passed=u.cold_share[0] > 0.5,
            value=s.streamers_lt_cold,
            unit="share",
            interval=u.cold_share,
            level=LEVEL,
            evidence={"published_lt5": 0.70, "verdict_lt5": pub.verdict("streamer_lt5")},
            origin=origin,
            reason="the share's interval reaches 50%",
            action="Give new and cold streamers a guaranteed exposure budget: "
            f"{s.streamers_lt_cold:.1%} of streamers ({ci['cold_share']}) get fewer than "
            f"{s.cold_start_max} interactions in three weeks; measure the effect on their "
            "second-week return to streaming.",
        )
    )
    return out
