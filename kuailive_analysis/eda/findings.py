"""Chapter 2's Key findings as records (:class:`~kuailive_analysis.findings.Finding`).

:func:`uncertainty` computes the intervals the findings quote (bootstrap over users, seeded, so
two runs agree); :func:`eda_findings` builds the records from an
:class:`~kuailive_analysis.eda.result.EDAResult`.

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

from kuailive_analysis.chapter.findings import Finding
from kuailive_analysis.core.stats import gini, wilson_interval
from kuailive_analysis.eda.base import Source
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
    """Intervals of the findings (see :class:`Uncertainty`); seeded bootstrap over users."""
    from kuailive_analysis.core.stats import top_share

    rng = np.random.default_rng(SEED)
    # evening habit: per user, interactions inside the peak window and in all (SQL:
    # engine.queries.eda.USER_PEAK, on the dataset's engine or over its frames)
    src = ds if isinstance(ds, Source) else Source(ds)
    per_user = src.query(USER_PEAK, peak_start=int(peak_start), peak_hours=int(peak_hours))
    tot = per_user["n"].to_numpy(dtype="float64")
    peak = per_user["n_peak"].to_numpy(dtype="float64")
    n = len(per_user)
    idx = rng.integers(0, n, size=(N_BOOT, n)) if n else np.zeros((N_BOOT, 0), int)
    peak_boot = peak[idx].sum(axis=1) / np.maximum(tot[idx].sum(axis=1), 1)
    # loyalty
    loyal = user_act["top_streamer_watch_share"].dropna().to_numpy("float64")
    li = rng.integers(0, max(len(loyal), 1), size=(N_BOOT, len(loyal)))
    loyal_boot = np.median(loyal[li], axis=1) if len(loyal) else np.full(N_BOOT, np.nan)
    ns = user_act["n_streamers"].to_numpy("float64")
    even = float(np.median(1.0 / ns[ns > 0])) if (ns > 0).any() else float("nan")
    # revenue concentration across users
    rev = user_act["gift_value"].fillna(0).to_numpy("float64")
    g_boot, t_boot = [], []
    if rev.sum() > 0:
        ri = rng.integers(0, len(rev), size=(N_BOOT, len(rev)))
        for row in ri:
            x = rev[row]
            if x.sum() > 0:
                g_boot.append(gini(x))
                t_boot.append(top_share(x, 0.01))
    # cold start
    inter = streamer_act["n_interactions"].to_numpy("float64")
    k = int((inter < cold_start_max).sum())
    lo, hi = wilson_interval(k, max(len(inter), 1))
    return Uncertainty(
        peak_share=_interval(peak_boot),
        loyalty_median=_interval(loyal_boot),
        even_share_median=even,
        gini_users=_interval(g_boot) if g_boot else (float("nan"), float("nan")),
        top1_users=_interval(t_boot) if t_boot else (float("nan"), float("nan")),
        cold_share=(float(lo), float(hi)),
    )


def _pct(x) -> str:
    return f"{x:.1%}"


def _ci(iv) -> str:
    return f"95% interval {iv[0]:.1%} to {iv[1]:.1%}"


def eda_findings(res) -> list[Finding]:
    """The Key findings of chapter 2 (see the module docstring)."""
    twin = bool(res.source is not None and res.source.is_twin)
    origin = "planted" if twin else "data"
    pub, u = res.published, res.uncertainty
    out: list[Finding] = []

    # 1. the calibration check: the published statistics, computed as their sources did
    cal = pub.calibration
    off = cal[cal["verdict"] == "off"]
    checked = cal[cal["verdict"] != "n/a"]
    ok = len(checked) > 0 and off.empty
    misses = "; ".join(
        f"{r.statistic}: {r.this_run} vs published {r.published}" for r in off.itertuples()
    )
    out.append(
        Finding(
            chapter="eda",
            key="calibration",
            statement=(
                f"{pub.calibration_match} of {pub.calibration_n} published statistics are "
                f"reproduced within tolerance and {pub.calibration_close} are close, each "
                "computed the way its source did"
                + (
                    " (on the twin these are calibration targets: agreement checks the "
                    "generator, it is not a finding about users)."
                    if twin
                    else "."
                )
            ),
            check="every published statistic within its fidelity tolerance (match or close; "
            "none off)",
            status="validated" if ok else ("not checkable" if checked.empty else "failed"),
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
            reason=(
                ""
                if ok
                else "no published statistic could be computed on this data"
                if checked.empty
                else f"{len(off)} statistic(s) outside tolerance: {misses}"
            ),
        )
    )

    # 2. attention: daily-averaged click Gini, computed as the source did
    v = pub.verdict("daily_gini_clicks")
    ok = v in ("match", "close")
    out.append(
        Finding(
            chapter="eda",
            key="click_concentration",
            statement=(
                f"Attention is only moderately concentrated day by day: the daily-averaged "
                f"Gini of clicks across active streamers is {pub.click_gini_daily:.3f} "
                f"(published {pub.click_gini_daily_real:.3f}); over the whole window, across "
                f"all streamers, it is {res.concentration.gini_clicks:.2f}."
            ),
            check="the published daily-averaged Gini (per UTC day over the streamers clicked "
            "that day, averaged) is reproduced within the fidelity tolerance",
            status="validated" if ok else "failed",
            value=pub.click_gini_daily,
            unit="Gini",
            evidence={
                "published": pub.click_gini_daily_real,
                "verdict": v,
                "pooled_gini": res.concentration.gini_clicks,
            },
            origin=origin,
            reason="" if ok else f"verdict {v}: the run does not reproduce the published value",
        )
    )

    # 3. money: revenue concentration across users (with a bootstrap interval)
    g = res.gifts
    v = pub.verdict("gini_user_revenue")
    ok = v in ("match", "close") and np.isfinite(u.gini_users[0])
    out.append(
        Finding(
            chapter="eda",
            key="revenue_concentration",
            statement=(
                f"Money is extremely concentrated: the Gini of gift revenue across users is "
                f"{g.gini_revenue_users:.3f} ({u.gini_users[0]:.3f} to {u.gini_users[1]:.3f}), "
                f"and the top 1% of users give {_pct(g.top1_users_revenue)} of it "
                f"({_ci(u.top1_users)})."
            ),
            check="the published Gini across users is reproduced within tolerance; interval: "
            f"bootstrap over users ({N_BOOT} resamples)",
            status="validated" if ok else "failed",
            value=g.gini_revenue_users,
            unit="Gini",
            interval=u.gini_users if np.isfinite(u.gini_users[0]) else None,
            level=LEVEL,
            evidence={
                "published": float(cal.loc["gini_user_revenue", "real_value"]),
                "verdict": v,
                "top1_users_revenue": g.top1_users_revenue,
            },
            origin=origin,
            reason="" if ok else f"verdict {v} against the published Gini",
            action=""
            if twin or not ok
            else (
                f"Protect the few payers who carry revenue: the top 1% of users give "
                f"{_pct(g.top1_users_revenue)} ({_ci(u.top1_users)}); track their retention "
                "as a separate KPI and test VIP retention offers on them first."
            ),
        )
    )

    # 4. the evening habit
    t = res.timing
    lo, hi = u.peak_share
    ok = lo > t.uniform_peak_share
    out.append(
        Finding(
            chapter="eda",
            key="evening_habit",
            statement=(
                f"Users watch in the evening: {t.activity_peak} holds "
                f"{_pct(t.activity_peak_share)} of interactions ({_ci(u.peak_share)}), "
                f"against {t.uniform_peak_share:.0%} if activity were flat over the day."
            ),
            check=f"the interval (bootstrap over users) lies above the flat-day share "
            f"{t.uniform_peak_share:.0%}",
            status="validated" if ok else "failed",
            value=t.activity_peak_share,
            unit="share",
            interval=u.peak_share,
            level=LEVEL,
            evidence={"flat_share": t.uniform_peak_share, "window": t.activity_peak},
            origin=origin,
            reason="" if ok else "the peak window's interval includes the flat-day share",
            action=""
            if twin or not ok
            else (
                f"Schedule notifications, featured slots and campaigns for {t.activity_peak}: "
                f"it holds {_pct(t.activity_peak_share)} of interactions ({_ci(u.peak_share)}) "
                f"vs {t.uniform_peak_share:.0%} for a flat day; test send-time in an A/B "
                "experiment before moving the whole budget."
            ),
        )
    )

    # 5. loyal users
    r = res.returns
    lo, hi = u.loyalty_median
    ok = np.isfinite(lo) and lo > u.even_share_median
    out.append(
        Finding(
            chapter="eda",
            key="loyal_users",
            statement=(
                f"Users are loyal to one streamer: the median user spends "
                f"{_pct(r.top_streamer_share_median)} of their watch time on their top "
                f"streamer ({_ci(u.loyalty_median)}), far above the "
                f"{_pct(u.even_share_median)} an even spread over the streamers they watch "
                "would give."
            ),
            check="the interval of the median (bootstrap over users) lies above the "
            "even-spread share (median of 1 / streamers watched)",
            status="validated" if ok else "failed",
            value=r.top_streamer_share_median,
            unit="share",
            interval=u.loyalty_median,
            level=LEVEL,
            evidence={"even_share": u.even_share_median},
            origin=origin,
            reason="" if ok else "the median's interval does not exceed the even-spread share",
            action=""
            if twin or not ok
            else (
                f"Make following the favourite streamer one tap away (live notifications "
                f"for the top streamer): it holds {_pct(r.top_streamer_share_median)} of the "
                "median user's watch time."
            ),
        )
    )

    # 6. cold start
    s = res.streamers
    v = pub.verdict("streamer_lt5")
    ok = u.cold_share[0] > 0.5
    out.append(
        Finding(
            chapter="eda",
            key="cold_start",
            statement=(
                f"Most streamers are cold: {_pct(s.streamers_lt_cold)} have fewer than "
                f"{s.cold_start_max} interactions in three weeks ({_ci(u.cold_share)}); "
                f"only {_pct(s.streamers_gt_heavy)} have more than {s.heavy_streamer_min}."
            ),
            check="the Wilson interval of the share lies above 50% (a majority)",
            status="validated" if ok else "failed",
            value=s.streamers_lt_cold,
            unit="share",
            interval=u.cold_share,
            level=LEVEL,
            evidence={"published_lt5": 0.70, "verdict_lt5": v},
            origin=origin,
            reason="" if ok else "the share's interval reaches 50%",
            action=""
            if twin or not ok
            else (
                f"Give new and cold streamers a guaranteed exposure budget: "
                f"{_pct(s.streamers_lt_cold)} of streamers ({_ci(u.cold_share)}) get fewer "
                f"than {s.cold_start_max} interactions in three weeks; measure the effect on "
                "their second-week return to streaming."
            ),
        )
    )
    return out
