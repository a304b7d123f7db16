"""The funnel and the KPIs of the exposure unit (CTR, per-click rates, GTR, revenue per 1,000
exposures) with intervals, per segment level or overall, from the per-(level, user) sums of
:class:`~kuailive_analysis.funnel.stats.UserStats`; the session-unit KPIs; the headline table.

Rates carry Wilson score intervals: with :math:`\\hat p = k/n` and :math:`z` the two-sided
normal quantile of the level,

.. math::

    \\frac{\\hat p + z^2/(2n)}{1 + z^2/n} \\pm
    \\frac{z}{1 + z^2/n} \\sqrt{\\frac{\\hat p (1 - \\hat p)}{n} + \\frac{z^2}{4 n^2}}

(:func:`kuailive_analysis.core.stats.wilson_interval`); means carry normal intervals
:math:`\\bar x \\pm z\\, s/\\sqrt{n}`. Both treat units as independent; ``interval="user"``
replaces them by user-clustered bootstrap bounds (:func:`~.intervals.user_intervals`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kuailive_analysis import metrics as registry
from kuailive_analysis.core.stats import mean_interval, wilson_interval
from kuailive_analysis.funnel.common import (
    ENGAGEMENT_KINDS,
    FLAGS,
    STATUSES,
    STEP_LABELS,
    STEPS,
    check_interval,
)
from kuailive_analysis.funnel.intervals import user_intervals
from kuailive_analysis.funnel.stats import UserStats

__all__ = [
    "engagement_status_table",
    "funnel",
    "gift_value_summary",
    "kpi_summary",
    "kpi_table",
    "session_kpis",
    "unit_funnels",
    "user_bootstrap",
]

_SUMS = (
    "clicked",
    "qualified",
    "commented",
    "liked",
    "gifted",
    "interacted",
    "n_comments",
    "n_likes",
    "n_gifts",
    "gift_value",
)
_RATES = {  # rate -> (numerator, denominator, scale) of the user-clustered intervals
    "ctr": ("clicked", None, 1.0),
    "qualified_rate": ("qualified", "clicked", 1.0),
    "comment_rate": ("commented", "clicked", 1.0),
    "like_rate": ("liked", "clicked", 1.0),
    "gtr": ("gifted", "clicked", 1.0),
    "interaction_rate": ("interacted", "clicked", 1.0),
    "rpm": ("gift_value", None, 1000.0),
}


def kpi_table(
    us: UserStats,
    conf: float = 0.95,
    min_exposures: int = 0,
    interval: str = "wilson",
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Exposure-unit KPIs per level of ``us.by`` (one row ``all`` when overall).

    Parameters
    ----------
    us : UserStats
        Per-(level, user) sums of the exposure table.
    conf : float
        Level of the intervals.
    min_exposures : int
        Levels with fewer exposures are left out of the table (not of any total).
    interval : {"wilson", "user"}
        ``"user"`` replaces every ``_lo/_hi`` pair by user-clustered bootstrap bounds
        (``n_boot`` replicates, ``seed``).

    Returns
    -------
    pandas.DataFrame
        Counts: exposures, clicks, qualified, commented / liked / gifted / interacted (clicks
        with at least one attributed event), n_comments, n_likes, n_gifts, gift_value (coins).
        Rates with ``<rate>_lo, <rate>_hi``: ``ctr`` = clicks / exposures; ``qualified_rate``,
        ``comment_rate``, ``like_rate``, ``gtr`` (gift-through rate), ``interaction_rate`` =
        share of clicks with the property. ``attributed_<kind>s_per_click`` = attributed
        events per click (no interval); ``value_per_gift`` = gift_value / n_gifts; ``rpm`` =
        1,000 x gift_value / exposures with a normal interval from the per-exposure value
        variance.
    """
    check_interval(interval)
    t = pd.DataFrame({c: us.totals(c) for c in _SUMS}, index=us.levels)
    t["gift_value_sq"] = us.totals("gift_value_sq")
    t.insert(0, "exposures", us.totals("s_exposure"))
    t = t.rename(columns={"clicked": "clicks"})
    for c in t.columns:
        if c != "gift_value_sq":
            t[c] = t[c].astype(np.int64)
    t["ctr"] = t["clicks"] / t["exposures"]
    t["ctr_lo"], t["ctr_hi"] = wilson_interval(t["clicks"], t["exposures"], conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        clicks = t["clicks"].where(t["clicks"] > 0)
        for name, (col, _, _) in list(_RATES.items())[1:6]:
            t[name] = t[col] / clicks
            t[f"{name}_lo"], t[f"{name}_hi"] = wilson_interval(t[col], t["clicks"], conf)
        for kind in ("comments", "likes", "gifts"):
            t[f"attributed_{kind}_per_click"] = t[f"n_{kind}"] / clicks
        t["value_per_gift"] = t["gift_value"] / t["n_gifts"].where(t["n_gifts"] > 0)
    mean, lo, hi = mean_interval(t["gift_value"], t["gift_value_sq"], t["exposures"], conf)
    t["rpm"], t["rpm_lo"], t["rpm_hi"] = 1000 * mean, 1000 * lo, 1000 * hi
    t = t.drop(columns="gift_value_sq")
    if interval == "user":
        ui = user_intervals(us, _RATES, n_boot, conf, seed)
        ui.index = t.index
        for c in ui.columns:
            t[c] = ui[c].to_numpy()
    if min_exposures:
        t = t[t["exposures"] >= min_exposures]
    return t


def _steps(counts: pd.DataFrame, conf: float, by: str | None) -> pd.DataFrame:
    """The long funnel table of step counts (columns ``s_exposure`` and :data:`FLAGS`, one row
    per level, or one row when ``by`` is None)."""
    counts.columns = list(STEPS)
    long = counts.stack().rename("n").reset_index()
    long = long.rename(columns={long.columns[-2]: "step"})
    if by is None:
        long = long.drop(columns=[c for c in long.columns if c not in ("step", "n")])
    long["n"] = long["n"].astype(np.int64)
    arr = counts.to_numpy(np.int64)
    prev = np.concatenate([arr[:, :1], arr[:, :-1]], axis=1).ravel()
    top = np.repeat(arr[:, :1], arr.shape[1], axis=1).ravel()
    n = arr.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        long["step_rate"] = n / np.where(prev > 0, prev, np.nan)
        long["overall_rate"] = n / np.where(top > 0, top, np.nan)
    long["step_lo"], long["step_hi"] = wilson_interval(n, prev, conf)
    long["overall_lo"], long["overall_hi"] = wilson_interval(n, top, conf)
    return long


def _flag_counts(units: pd.DataFrame) -> pd.DataFrame:
    """One row: the number of units (``s_exposure``) and of units reaching each later step."""
    counts = pd.DataFrame([units[list(FLAGS)].sum()])
    counts.insert(0, "s_exposure", len(units))
    return counts


def funnel(
    us: UserStats, conf: float = 0.95, interval: str = "wilson", n_boot: int = 200, seed: int = 0
) -> pd.DataFrame:
    """The nested funnel of the exposure unit per level of ``us.by`` (or overall).

    Parameters
    ----------
    us : UserStats
        Per-(level, user) sums of the step flags.
    conf, interval, n_boot, seed
        As in :func:`kpi_table`: Wilson bounds, or user-clustered bootstrap bounds.

    Returns
    -------
    pandas.DataFrame
        Long format, one row per (level, step): ``n``, ``step_rate`` (n / n of the previous
        step; 1 for exposures), ``step_lo, step_hi``, ``overall_rate`` (n / exposures),
        ``overall_lo, overall_hi``; ``step`` is an ordered categorical of :data:`STEPS`.
    """
    check_interval(interval)
    cols = ["s_exposure", *FLAGS]
    counts = pd.DataFrame(
        {c: us.totals(c).astype(np.int64) for c in cols}, index=us.levels if us.by else None
    )
    long = _steps(counts, conf, us.by)
    if interval == "user":
        ratios = {}
        for j in range(1, len(STEPS)):
            ratios[f"step{j}"] = (cols[j], cols[j - 1], 1.0)
            ratios[f"all{j}"] = (cols[j], cols[0], 1.0)
        ui = user_intervals(us, ratios, n_boot, conf, seed)
        first = np.ones((len(ui), 1))
        for col, part in (
            ("step_lo", "step{}_lo"),
            ("step_hi", "step{}_hi"),
            ("overall_lo", "all{}_lo"),
            ("overall_hi", "all{}_hi"),
        ):
            bounds = ui[[part.format(j) for j in range(1, len(STEPS))]].to_numpy()
            long[col] = np.hstack([first, bounds]).ravel()
    long["step"] = pd.Categorical(long["step"], list(STEPS), ordered=True)
    return long


def unit_funnels(us: UserStats, session_counts, conf: float = 0.95) -> pd.DataFrame:
    """The nested funnel in the three units side by side (exposure, session, user).

    Parameters
    ----------
    us : UserStats
        The overall statistics (one row per user): a user reaches a step if any of their
        exposures does.
    session_counts : Mapping
        Sessions with an exposure (``s_exposure``) and with each later step flag (``s_click``,
        ...): :data:`~kuailive_analysis.engine.queries.funnel.SESSION_COUNTS`.
    conf : float
        Level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        Long format: unit, step, n, step_rate, overall_rate and Wilson bounds (:func:`funnel`).
    """
    users = pd.DataFrame({c: us.sums[c] > 0 for c in FLAGS})
    sessions = pd.DataFrame([{c: int(session_counts[c]) for c in ("s_exposure", *FLAGS)}])
    parts = {
        "exposure": funnel(us, conf=conf),
        "session": _steps(sessions, conf, None),
        "user": _steps(_flag_counts(users), conf, None),
    }
    for unit, part in parts.items():
        part["step"] = pd.Categorical(part["step"], list(STEPS), ordered=True)
        part["unit"] = unit
    out = pd.concat(parts.values(), ignore_index=True)
    out["unit"] = pd.Categorical(out["unit"], list(parts), ordered=True)
    return out[["unit"] + [c for c in out.columns if c != "unit"]]


def user_bootstrap(
    us: UserStats, kpis: pd.DataFrame, n_boot: int = 200, conf: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """The overall KPIs with independent-unit and user-clustered intervals side by side.

    Parameters
    ----------
    us : UserStats
        The overall statistics (resampled by :func:`~.intervals.user_intervals`).
    kpis : pandas.DataFrame
        The overall :func:`kpi_table` (units independent).
    n_boot, conf, seed
        Replicates, level and seed of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Rows ctr, qualified_rate, comment_rate, like_rate, gtr, rpm; columns value, lo, hi,
        boot_lo, boot_hi and ``width_ratio`` = bootstrap width / independent width.
    """
    ratios = {k: v for k, v in _RATES.items() if k != "interaction_rate"}
    ui = user_intervals(us, ratios, n_boot, conf, seed).iloc[0]
    k = kpis.iloc[0]
    rows = []
    for name in ratios:
        lo, hi = float(k[f"{name}_lo"]), float(k[f"{name}_hi"])
        lo = max(lo, 0.0) if name == "rpm" else lo
        blo, bhi = float(ui[f"{name}_lo"]), float(ui[f"{name}_hi"])
        ratio = (bhi - blo) / (hi - lo) if hi - lo > 0 else float("nan")
        rows.append((name, float(k[name]), lo, hi, blo, bhi, ratio))
    columns = ["kpi", "value", "lo", "hi", "boot_lo", "boot_hi", "width_ratio"]
    return pd.DataFrame(rows, columns=columns).set_index("kpi")


def session_kpis(session_counts, conf: float = 0.95) -> pd.DataFrame:
    """Per-session rates with Wilson intervals.

    Parameters
    ----------
    session_counts : Mapping
        Sessions with each flag (:data:`~kuailive_analysis.engine.queries.funnel.SESSION_COUNTS`).
    conf : float
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by kpi: the shares of click sessions that qualify, comment, like, gift or
        interact, and of engaged sessions without a click; columns k, n, rate, lo, hi.
    """
    c = session_counts
    parts = [
        ("qualified rate per click session", c["click_qualified"], c["clicked"]),
        ("comment rate per click session", c["click_commented"], c["clicked"]),
        ("like rate per click session", c["click_liked"], c["clicked"]),
        ("gift rate per click session", c["click_gifted"], c["clicked"]),
        ("interaction rate per click session", c["click_interacted"], c["clicked"]),
        ("engaged sessions without a click", c["engaged_without_click"], c["interacted"]),
    ]
    rows = []
    for kpi, k, n in parts:
        k, n = int(k), int(n)
        lo, hi = wilson_interval(k, n, conf)
        rows.append((kpi, k, n, k / n if n else np.nan, float(lo), float(hi)))
    return pd.DataFrame(rows, columns=["kpi", "k", "n", "rate", "lo", "hi"]).set_index("kpi")


def engagement_status_table(engagements: pd.DataFrame) -> pd.DataFrame:
    """Counts and shares of engagements by kind and attribution status.

    Parameters
    ----------
    engagements : pandas.DataFrame
        One row per engagement with categorical ``kind`` and ``status``.

    Returns
    -------
    pandas.DataFrame
        Rows comment, like, gift, all; columns the four statuses (counts), ``total`` and
        ``share_<status>`` (share of the kind's engagements).
    """
    t = pd.crosstab(engagements["kind"], engagements["status"], dropna=False)
    t = t.reindex(index=list(ENGAGEMENT_KINDS), columns=list(STATUSES), fill_value=0)
    t.loc["all"] = t.sum()
    t["total"] = t[list(STATUSES)].sum(axis=1)
    for s in STATUSES:
        t[f"share_{s}"] = t[s] / t["total"].where(t["total"] > 0)
    t.index.name = "kind"
    t.columns.name = None
    return t


def gift_value_summary(
    gifts: pd.DataFrame, engagements: pd.DataFrame, conf: float = 0.95
) -> pd.DataFrame:
    """Average gift value per gift event with a normal interval, all gifts and attributed only.

    Parameters
    ----------
    gifts : pandas.DataFrame
        Every gift event (``gift_price``).
    engagements : pandas.DataFrame
        The engagements with their attribution (``kind``, ``status``, ``value``).
    conf : float
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Rows all gifts, attributed gifts; columns n_gifts, total_value, mean, lo, hi, median
        (coins). The mean of a heavy-tailed price (real p99 1,488, max 56,246) is unstable;
        the median is given beside it.
    """
    a = engagements[(engagements["kind"] == "gift") & (engagements["status"] == "attributed")]
    rows = []
    for name, v in (
        ("all gifts", gifts["gift_price"].to_numpy(np.float64)),
        ("attributed gifts", a["value"].to_numpy(np.float64)),
    ):
        m, lo, hi = mean_interval(v.sum(), (v**2).sum(), len(v), conf)
        median = float(np.median(v)) if len(v) else np.nan
        rows.append((name, len(v), float(v.sum()), float(m), float(lo), float(hi), median))
    columns = ["gifts", "n_gifts", "total_value", "mean", "lo", "hi", "median"]
    return pd.DataFrame(rows, columns=columns).set_index("gifts")


def kpi_summary(
    kpis: pd.DataFrame,
    sessions: pd.DataFrame,
    gift_values: pd.DataFrame,
    funnel_long: pd.DataFrame,
    metrics: Mapping[str, registry.MetricValue],
) -> pd.DataFrame:
    """One tidy table of the headline KPIs.

    Parameters
    ----------
    kpis, sessions, gift_values, funnel_long : pandas.DataFrame
        The overall :func:`kpi_table`, :func:`session_kpis`, :func:`gift_value_summary` and
        the overall :func:`funnel`.
    metrics : mapping
        Registry values (the all-events ratios per click, revenue of all gifts).

    Returns
    -------
    pandas.DataFrame
        kpi, unit, value, lo, hi, numerator, denominator.
    """
    k, f = kpis.iloc[0], funnel_long.set_index("step")
    name = {key: m.name for key, m in registry.METRICS.items()}
    click, session = "per click", "per click session"

    def kpi(label, unit, rate, num, den, interval=True):
        lo, hi = (k[f"{rate}_lo"], k[f"{rate}_hi"]) if interval else (np.nan, np.nan)
        return (label, unit, k[rate], lo, hi, k[num], k[den])

    def metric(key, label, unit):
        mv = metrics[key]
        return (label, unit, mv.value, np.nan, np.nan, mv.numerator, mv.denominator)

    def ses(label, unit, key):
        r = sessions.loc[key]
        return (label, unit, r["rate"], r["lo"], r["hi"], r["k"], r["n"])

    rows = [
        kpi("CTR", "per exposure", "ctr", "clicks", "exposures"),
        kpi("Qualified-watch rate", click, "qualified_rate", "qualified", "clicks"),
        kpi("Comment rate", click, "comment_rate", "commented", "clicks"),
        kpi("Like rate", click, "like_rate", "liked", "clicks"),
        kpi(name["gtr"], click, "gtr", "gifted", "clicks"),
    ]
    for kind in ("comments", "likes", "gifts"):
        rows.append(metric(f"{kind}_per_click", name[f"{kind}_per_click"], click))
        key = f"attributed_{kind}_per_click"
        rows.append(kpi(name[key], click, key, f"n_{kind}", "clicks", interval=False))
    for kind, label in (("qualified", "Qualified-watch rate"), ("comment", "Comment rate"),
                        ("like", "Like rate"), ("gift", name["gift_session_share"])):  # fmt: skip
        rows.append(ses(label, session, f"{kind} rate per click session"))
    rows.append(
        ses("Engaged sessions without a click", "per engaged session",
            "engaged sessions without a click")
    )  # fmt: skip
    for gifts, g in gift_values.iterrows():
        label = f"Average gift value, {gifts} (coins)"
        rows.append(
            (label, "per gift", g["mean"], g["lo"], g["hi"], g["total_value"], g["n_gifts"])
        )
    per_1000 = "per 1,000 exposures"
    rpm = kpi("Revenue per 1,000 exposures, attributed gifts (coins)", per_1000, "rpm",
              "gift_value", "exposures")  # fmt: skip
    rows.append((*rpm[:3], max(rpm[3], 0.0), *rpm[4:]))
    rows.append(metric("rpm_all", "Revenue per 1,000 exposures, all gifts (coins)", per_1000))
    for prev, s in zip(STEPS[:-1], STEPS[1:]):
        label = f"Step: {STEP_LABELS[s]} / {STEP_LABELS[prev].lower()}"
        r = f.loc[s]
        rows.append((label, "per exposure", r["step_rate"], r["step_lo"], r["step_hi"], r["n"],
                     f.loc[prev, "n"]))  # fmt: skip
    r = f.loc["gift"]
    rows.append(("Overall: exposure to gift", "per exposure", r["overall_rate"], r["overall_lo"],
                 r["overall_hi"], r["n"], f.loc["exposure", "n"]))  # fmt: skip
    t = pd.DataFrame(rows, columns=["kpi", "unit", "value", "lo", "hi", "numerator", "denominator"])
    t["numerator"] = t["numerator"].astype(np.float64)
    t["denominator"] = t["denominator"].astype(np.float64)
    return t
