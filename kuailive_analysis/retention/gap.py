"""New vs existing users compared within activity levels: day-N retention per user, activity
levels from the early window, the unadjusted and the Mantel-Haenszel (activity-adjusted)
difference, and the minimum detectable effect.

A raw gap between two populations mixes who they are with how active they are: if new users
are lighter users, they are retained less even when being new changes nothing. The gap is
therefore also computed *within activity levels* measured before the outcome day: for day
:math:`N` the activity window is the user's first :math:`w = \\min(\\text{early\\_days}, N)`
days, :math:`f .. f + w - 1`, which never contains day :math:`f + N`. A level is the number of
active days in that window crossed with the quartile of its clicks (:func:`activity_levels`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import normal_quantile
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY, activity_days
from kuailive_analysis.retention.checks import RetentionError, require
from kuailive_analysis.retention.segments import early_activity

LEVEL = 0.95
"""Two-sided level of the gap intervals (and of the test behind the detectable effect)."""
POWER = 0.8
"""Power of the minimum detectable effect."""
CLICK_QUANTILES = (0.25, 0.5, 0.75)
"""Cut points (quantiles over the users compared) of the early clicks: quartiles."""

ACCOUNT_SPLIT = "new by account age vs existing"
COHORT_SPLIT = "first seen on day 1+ vs on day 0 (earlier split)"
SPLITS = (ACCOUNT_SPLIT, COHORT_SPLIT)
"""The two comparisons of the table: the chapter's definition and the earlier cohort split."""


def detectable_effect(se: float, *, level: float = LEVEL, power: float = POWER) -> float:
    """The minimum detectable effect of a two-sided test at ``level`` with ``power``, for an
    estimate with standard error :math:`\\mathrm{se}`:

    .. math::

        \\mathrm{MDE} = \\bigl(z_{1 - \\alpha/2} + z_{\\text{power}}\\bigr)\\,\\mathrm{se},
        \\qquad \\alpha = 1 - \\text{level}

    (2.80 se at 95% and 80% power): a true gap this large is found 80% of the time; an
    interval's half-width (1.96 se) is not that."""
    z_power = normal_quantile(2 * power - 1)  # one-sided quantile of the power
    return float((normal_quantile(level) + z_power) * se)


@dataclass(frozen=True)
class Gap:
    """A difference of day-N retention, new minus existing, in shares: estimate, standard
    error and the interval at :data:`LEVEL`; ``n_new`` / ``n_existing`` users compared;
    ``levels``: activity levels that hold both groups (1 for the unadjusted gap)."""

    diff: float
    se: float
    lo: float
    hi: float
    n_new: int
    n_existing: int
    levels: int = 1

    @property
    def excludes_zero(self) -> bool:
        return math.isfinite(self.lo) and (self.lo > 0 or self.hi < 0)

    @property
    def mde(self) -> float:
        """:func:`detectable_effect` of this comparison."""
        return detectable_effect(self.se) if math.isfinite(self.se) else float("nan")


NAN_GAP = Gap(*(float("nan"),) * 4, 0, 0, 0)


def _gap(diff: float, var: float, n_new: int, n_old: int, levels: int) -> Gap:
    se = math.sqrt(max(var, 0.0))
    z = normal_quantile(LEVEL)
    return Gap(float(diff), se, float(diff - z * se), float(diff + z * se), n_new, n_old, levels)


def unadjusted_gap(retained, new) -> Gap:
    """:math:`\\hat p_1 - \\hat p_0` (new minus existing) with the Wald interval,
    :math:`\\mathrm{Var} = \\hat p_1 (1 - \\hat p_1)/n_1 + \\hat p_0 (1 - \\hat p_0)/n_0`.
    ``retained``, ``new``: one bool per user. NaN when a group is empty."""
    y, g = np.asarray(retained, bool), np.asarray(new, bool)
    n1, n0 = int(g.sum()), int((~g).sum())
    if not (n1 and n0):
        return NAN_GAP
    p1, p0 = y[g].mean(), y[~g].mean()
    return _gap(p1 - p0, p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0, n1, n0, 1)


def mantel_haenszel_difference(a, n1, c, n0) -> tuple[float, float]:
    """The Mantel-Haenszel common risk difference over strata :math:`k` and Sato's (1989)
    variance, which holds for many small strata as well as for few large ones.

    With :math:`a_k` of :math:`n_{1k}` new and :math:`c_k` of :math:`n_{0k}` existing users
    retained, :math:`N_k = n_{1k} + n_{0k}` and :math:`W_k = n_{1k} n_{0k} / N_k`:

    .. math::

        \\hat\\delta = \\frac{\\sum_k (a_k n_{0k} - c_k n_{1k}) / N_k}{\\sum_k W_k}, \\qquad
        \\widehat{\\mathrm{Var}}(\\hat\\delta) = \\frac{\\hat\\delta \\sum_k P_k +
        \\sum_k Q_k}{(\\sum_k W_k)^2},

        P_k = \\frac{n_{1k}^2 c_k - n_{0k}^2 a_k + n_{1k} n_{0k} (n_{0k} - n_{1k}) / 2}{N_k^2},
        \\qquad
        Q_k = \\frac{a_k (n_{0k} - c_k) + c_k (n_{1k} - a_k)}{2 N_k}.

    A stratum without both groups has :math:`W_k = 0` and drops out. Returns
    ``(delta, variance)`` (NaN when no stratum holds both groups)."""
    a, n1, c, n0 = (np.asarray(x, dtype=np.float64) for x in (a, n1, c, n0))
    keep = (n1 > 0) & (n0 > 0)
    a, n1, c, n0 = a[keep], n1[keep], c[keep], n0[keep]
    if not keep.any():
        return float("nan"), float("nan")
    n = n1 + n0
    w = (n1 * n0 / n).sum()
    delta = ((a * n0 - c * n1) / n).sum() / w
    p = ((n1**2 * c - n0**2 * a + n1 * n0 * (n0 - n1) / 2) / n**2).sum()
    q = ((a * (n0 - c) + c * (n1 - a)) / (2 * n)).sum()
    return float(delta), float((delta * p + q) / w**2)


def adjusted_gap(retained, new, level) -> Gap:
    """The gap within activity levels (:func:`mantel_haenszel_difference` over the levels);
    ``retained``, ``new``, ``level``: one value per user."""
    d = pd.DataFrame(
        {"y": np.asarray(retained, bool), "g": np.asarray(new, bool), "k": np.asarray(level)}
    )
    t = d.groupby(["k", "g"])["y"].agg(["sum", "size"]).unstack("g", fill_value=0)
    if True not in t.columns.get_level_values("g") or False not in t.columns.get_level_values("g"):
        return NAN_GAP
    a, n1 = t[("sum", True)], t[("size", True)]
    c, n0 = t[("sum", False)], t[("size", False)]
    delta, var = mantel_haenszel_difference(a, n1, c, n0)
    if not math.isfinite(delta):
        return NAN_GAP
    both = (n1 > 0) & (n0 > 0)
    return _gap(delta, var, int(n1.sum()), int(n0.sum()), int(both.sum()))


def day_n_outcomes(activity: pd.DataFrame, n: int, *, last_day: int = DEFAULT_LAST_DAY):
    """The users whose day :math:`f + N` lies in the window (:math:`f + N \\le D`), with
    ``retained``: active on that day (Amplitude N-day retention of one user).

    Returns
    -------
    DataFrame
        user_id, first_day, retained (bool), sorted by user_id.
    """
    act = activity_days(activity, last_day=last_day)
    first = act.groupby("user_id")["day"].min().rename("first_day").reset_index()
    first = first[first["first_day"].astype(int) + int(n) <= last_day]
    on = act.merge(first, on="user_id")
    hit = on.loc[on["day"].astype(int) - on["first_day"].astype(int) == int(n), "user_id"]
    first["retained"] = first["user_id"].isin(hit)
    return first.reset_index(drop=True)


def activity_levels(early: pd.DataFrame, *, quantiles=CLICK_QUANTILES) -> pd.Series:
    """A user's activity level: active days in the early window and the quartile of its clicks
    (cut points :math:`q_j` over the users given; users tied at a cut stay together), as
    ``"<days> days, clicks Q<j>"`` by ``user_id``."""
    require(early, ["user_id", "early_active_days", "early_n_clicks"], "early activity")
    clicks = early["early_n_clicks"].to_numpy(float)
    cuts = np.unique(np.quantile(clicks, quantiles)) if len(clicks) else np.array([])
    q = np.searchsorted(cuts, clicks, side="left") + 1
    days = early["early_active_days"].to_numpy(int)
    labels = [f"{d} days, clicks Q{j}" for d, j in zip(days, q)]
    return pd.Series(labels, index=early["user_id"].to_numpy(), name="level")


def gap_rows(
    activity: pd.DataFrame,
    user_day: pd.DataFrame,
    splits: dict,
    *,
    horizons=(1, 7),
    early_days: int = 3,
    last_day: int = DEFAULT_LAST_DAY,
) -> pd.DataFrame:
    """The unadjusted and the activity-adjusted gap (new minus existing) of each split at each
    day N.

    Parameters
    ----------
    activity, user_day : DataFrame
        Active (user, day) pairs; the user-day panel (clicks of the early window).
    splits : dict
        {name: bool Series by user_id, True = new}; users missing from a split are existing.
    horizons, early_days, last_day : sequence of int, int, int
        The days N; the longest activity window; the window's last day.

    Returns
    -------
    DataFrame
        split, n, window_days, n_existing, n_new, rate_existing, rate_new, and for ``raw``
        and ``adj`` (within activity levels): the gap, ``_se``, ``_lo``, ``_hi``, ``_mde``
        (:func:`detectable_effect`); levels (activity levels holding both groups).
    """
    if int(early_days) < 1:
        raise RetentionError(f"early_days must be >= 1, got {early_days!r}.")
    rows = []
    for n in horizons:
        users = day_n_outcomes(activity, n, last_day=last_day)
        w = min(int(early_days), int(n))
        early = early_activity(user_day, users, early_days=w)
        level = activity_levels(early).reindex(users["user_id"].to_numpy()).to_numpy()
        for name, flags in splits.items():
            new = flags.reindex(users["user_id"].to_numpy(), fill_value=False).to_numpy(bool)
            y = users["retained"].to_numpy(bool)
            raw, adj = unadjusted_gap(y, new), adjusted_gap(y, new, level)
            row = {"split": name, "n": int(n), "window_days": w}
            row |= {"n_existing": int((~new).sum()), "n_new": int(new.sum())}
            row["rate_existing"] = float(y[~new].mean()) if (~new).any() else float("nan")
            row["rate_new"] = float(y[new].mean()) if new.any() else float("nan")
            for tag, g in (("raw", raw), ("adj", adj)):
                row |= {tag: g.diff, f"{tag}_se": g.se, f"{tag}_lo": g.lo, f"{tag}_hi": g.hi}
                row[f"{tag}_mde"] = g.mde
            rows.append({**row, "levels": adj.levels})
    return pd.DataFrame(rows)


def gap_of(rows: pd.DataFrame, split: str, n: int, tag: str = "adj") -> Gap:
    """The :class:`Gap` ``tag`` (``raw`` or ``adj``) of ``split`` at day ``n`` in
    :func:`gap_rows` (:data:`NAN_GAP` when absent)."""
    r = rows[(rows["split"] == split) & (rows["n"] == n)]
    if r.empty:
        return NAN_GAP
    r = r.iloc[0]
    levels = int(r["levels"]) if tag == "adj" else 1
    vals = (float(r[c]) for c in (tag, f"{tag}_se", f"{tag}_lo", f"{tag}_hi"))
    return Gap(*vals, int(r["n_new"]), int(r["n_existing"]), levels)


PLANTED_VISIT = "p_day"
"""The twin's planted daily visit probability (``truth_users.csv``): the habit that day-N
retention measures."""


def planted_habit_gap(
    activity: pd.DataFrame,
    truth_users: pd.DataFrame,
    new: pd.Series,
    n: int,
    *,
    last_day: int = DEFAULT_LAST_DAY,
) -> Gap:
    """On the twin: the gap of a split at day ``n`` within quartiles of the *planted* daily
    visit probability (:data:`PLANTED_VISIT`) instead of observed early activity. A gap that
    vanishes here but not within early activity comes from who the groups are (how often they
    visit), which a few early days measure only roughly."""
    require(truth_users, ["user_id", PLANTED_VISIT], "truth users")
    users = day_n_outcomes(activity, n, last_day=last_day)
    ids = users["user_id"].to_numpy()
    habit = truth_users.set_index("user_id")[PLANTED_VISIT].reindex(ids).to_numpy(float)
    cuts = np.quantile(habit[~np.isnan(habit)], (0.25, 0.5, 0.75))
    level = np.searchsorted(cuts, habit, side="left")
    flags = new.reindex(ids, fill_value=False).to_numpy(bool)
    return adjusted_gap(users["retained"].to_numpy(bool), flags, level)
