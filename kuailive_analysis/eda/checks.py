r"""The tests behind chapter 2's claims: each could have failed on other data.

A claim of the chapter is a headline only if its check could have failed (the headline policy
of :mod:`kuailive_analysis.chapter.findings`). An interval alone says how precise a number is;
the checks here compare a number with a **stated alternative**, and two of them choose what
they test on the first two weeks and measure it on the third (days
:data:`HOLDOUT_FIRST_DAY` to 20), so the choice cannot flatter the result:

* **evening habit**: the busiest ``peak_hours`` window of days 0-13 must hold more of each
  user's day-14-20 interactions than a flat day would give it (``peak_hours / 24``). Choosing
  the window and measuring it on the same days would always beat a flat day (the maximum of
  24 windows exceeds their mean), so the window is fixed before the holdout is looked at.
* **favourite streamer**: the streamer a user watched most on days 0-13 must keep more of their
  day-14-20 watch time than the other streamers they watched on days 0-13, on average (a
  paired difference per user, its interval above zero). The top streamer's share of the
  *same* days always exceeds an even share (a maximum exceeds a mean), so that comparison
  could not fail; and the favourite is compared with the user's other earlier streamers, not
  with those of the holdout, so that a favourite that is merely one streamer among those the
  user happened to watch fails.
* **money vs attention**: the Gini of gift revenue across users must exceed the Gini of their
  watch time, the interval of the paired difference above zero: revenue concentrated on a few
  payers beyond what the concentration of attention explains.
* **cold start**: the share of streamers below the cold-start threshold must be a majority,
  its Wilson interval above :data:`COLD_MAJORITY`.

Intervals are bootstrap intervals over users (:data:`N_BOOT` resamples, seeded with
:data:`SEED`, so two runs agree): for a statistic :math:`\hat\theta` with replicates
:math:`\hat\theta^*_1, \dots, \hat\theta^*_B`,

.. math:: \big[\, Q^*(\alpha / 2),\ Q^*(1 - \alpha / 2) \,\big], \quad \alpha = 1 - 0.95,

:math:`Q^*` the replicates' quantile function; the cold-start share gets the Wilson interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import gini, top_share, wilson_interval
from kuailive_analysis.eda.timing import hour_window_label, peak_window
from kuailive_analysis.engine.queries.eda import FAVOURITE_HOLDOUT, INTERACTION_HOURS, USER_PEAK

N_BOOT = 200
"""Bootstrap resamples (over users) of the intervals."""
LEVEL = 0.95
"""Level of every interval of the chapter's findings."""
SEED = 20250505
"""Seed of the bootstrap."""
HOLDOUT_FIRST_DAY = 14
"""First Beijing day of the holdout (days 14-20, the third week): the evening window and each
user's favourite streamer are chosen on days 0-13 and measured on days 14-20."""
COLD_MAJORITY = 0.5
"""The stated alternative of the cold-start claim: most streamers are cold when the share's
interval lies above one half."""

Interval = tuple[float, float]
NAN2: Interval = (float("nan"), float("nan"))


@dataclass(frozen=True)
class Checks:
    """The numbers of the chapter's four tests (see the module docstring); intervals at
    :data:`LEVEL`. ``n_*``: the units (users, streamers) each test ran on."""

    peak_window: str
    """The busiest window of days 0-13 (Beijing hours, e.g. ``'18:00-24:00'``)."""
    peak_share_hold: float
    """Its share of the interactions of days 14-20 (sum over users of interactions in the
    window over the sum of all)."""
    peak_share_hold_ci: Interval
    flat_share: float
    """``peak_hours / 24``: the window's share if activity were flat over the day."""
    n_users_peak: int
    fav_share_hold: float
    """Mean over users of the share of their day-14-20 watch time on their day-0-13 favourite."""
    other_share_hold: float
    """Mean over the same users of the share of their day-14-20 watch time on one of their
    other day-0-13 streamers (their summed share over how many they are)."""
    fav_lift: float
    """``fav_share_hold - other_share_hold`` as the mean of the per-user differences, in
    percentage points."""
    fav_lift_ci: Interval
    n_users_fav: int
    gini_revenue: float
    """Gini of gift revenue (coins) across users."""
    gini_watch: float
    """Gini of watch time (hours) across the same users."""
    gini_gap: float
    """``gini_revenue - gini_watch``."""
    gini_gap_ci: Interval
    top1_revenue: float
    """Revenue share of the top 1% of users."""
    top1_revenue_ci: Interval
    n_users_money: int
    cold_share: float
    """Share of streamers below the cold-start threshold."""
    cold_share_ci: Interval
    n_streamers: int


def _interval(samples) -> Interval:
    a = (1 - LEVEL) / 2
    x = np.asarray(samples, dtype="float64")
    x = x[np.isfinite(x)]
    if not x.size:
        return NAN2
    lo, hi = np.quantile(x, [a, 1 - a])
    return float(lo), float(hi)


def _resamples(rng, n: int) -> np.ndarray:
    """:data:`N_BOOT` resamples of ``n`` indices with replacement (rows of a matrix)."""
    return rng.integers(0, n, size=(N_BOOT, n)) if n else np.zeros((N_BOOT, 0), dtype=int)


def evening_check(ds, peak_hours: int, rng) -> dict:
    """The evening-habit test: the window chosen on days before :data:`HOLDOUT_FIRST_DAY`,
    its share of the later days' interactions with a bootstrap interval over users."""
    hours = ds.query(INTERACTION_HOURS, before_day=HOLDOUT_FIRST_DAY)
    counts = np.zeros(24)
    counts[hours["hour"].to_numpy(dtype=int)] = hours["n"].to_numpy(dtype="float64")
    start, _ = peak_window(counts, peak_hours) if counts.sum() else (0, float("nan"))
    per_user = ds.query(
        USER_PEAK, peak_start=int(start), peak_hours=int(peak_hours), from_day=HOLDOUT_FIRST_DAY
    )
    n = per_user["n"].to_numpy(dtype="float64")
    peak = per_user["n_peak"].to_numpy(dtype="float64")
    idx = _resamples(rng, len(n))
    boot = peak[idx].sum(axis=1) / np.maximum(n[idx].sum(axis=1), 1)
    return {
        "peak_window": hour_window_label(start, peak_hours),
        "peak_share_hold": float(peak.sum() / n.sum()) if n.sum() else float("nan"),
        "peak_share_hold_ci": _interval(boot) if len(n) else NAN2,
        "flat_share": peak_hours / 24,
        "n_users_peak": len(n),
    }


def favourite_check(ds, rng) -> dict:
    r"""The favourite-streamer test: per user :math:`u` with watch time in both periods and at
    least two streamers before the holdout, the holdout share on the favourite
    :math:`f_u = w_\text{fav} / w_\text{hold}` against the mean share of the other earlier
    streamers :math:`o_u = w_\text{others} / (n_\text{others}\, w_\text{hold})`; the lift
    :math:`\overline{f - o}` (percentage points) with a bootstrap interval over users."""
    fav = ds.query(FAVOURITE_HOLDOUT, split_day=HOLDOUT_FIRST_DAY)
    fav = fav[fav["n_others"] > 0]
    f = (fav["w_fav"] / fav["w_hold"]).to_numpy(dtype="float64")
    o = (fav["w_others"] / fav["n_others"] / fav["w_hold"]).to_numpy(dtype="float64")
    d = 100.0 * (f - o)
    idx = _resamples(rng, len(d))
    nan = float("nan")
    return {
        "fav_share_hold": float(f.mean()) if len(f) else nan,
        "other_share_hold": float(o.mean()) if len(o) else nan,
        "fav_lift": float(d.mean()) if len(d) else nan,
        "fav_lift_ci": _interval(d[idx].mean(axis=1)) if len(d) else NAN2,
        "n_users_fav": len(d),
    }


def money_check(user_act: pd.DataFrame, rng) -> dict:
    """Revenue against watch time across users: both Ginis, their paired difference and the
    top-1% revenue share, with bootstrap intervals over users."""
    rev = user_act["gift_value"].fillna(0).to_numpy("float64")
    watch = user_act["watch_hours"].fillna(0).to_numpy("float64")
    out = {"n_users_money": len(rev)}
    if rev.sum() <= 0 or watch.sum() <= 0:
        nan = float("nan")
        none = {"gini_revenue": nan, "gini_watch": nan, "gini_gap": nan, "top1_revenue": nan}
        return out | none | {"gini_gap_ci": NAN2, "top1_revenue_ci": NAN2}
    gaps, tops = [], []
    for row in _resamples(rng, len(rev)):
        r, w = rev[row], watch[row]
        if r.sum() > 0 and w.sum() > 0:
            gaps.append(gini(r) - gini(w))
            tops.append(top_share(r, 0.01))
    g_rev, g_watch = float(gini(rev)), float(gini(watch))
    return out | {
        "gini_revenue": g_rev,
        "gini_watch": g_watch,
        "gini_gap": g_rev - g_watch,
        "gini_gap_ci": _interval(gaps),
        "top1_revenue": float(top_share(rev, 0.01)),
        "top1_revenue_ci": _interval(tops),
    }


def checks(
    ds, user_act: pd.DataFrame, streamer_act: pd.DataFrame, peak_hours: int, cold_start_max: int
) -> Checks:
    """The four tests of the chapter's claims (see the module docstring) on a dataset and the
    per-user and per-streamer activity tables of the chapter."""
    rng = np.random.default_rng(SEED)
    inter = streamer_act["n_interactions"].to_numpy("float64")
    k, n = int((inter < cold_start_max).sum()), len(inter)
    lo, hi = wilson_interval(k, max(n, 1))
    return Checks(
        **evening_check(ds, peak_hours, rng),
        **favourite_check(ds, rng),
        **money_check(user_act, rng),
        cold_share=k / n if n else float("nan"),
        cold_share_ci=(float(lo), float(hi)),
        n_streamers=n,
    )
