"""Comparing segment levels: multivariate and pairwise log-rank tests and the fixed-time-point
test of ``S(t0)``, with Holm-adjusted p-values; and chapter 3's comparison of every segment on
the right sample (full table for profile snapshots, landmark table for early behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.retention.kaplan_meier import fit_km
from kuailive_analysis.retention.segments import SNAPSHOT_SEGMENTS, level_groups

LANDMARK_CLOCK = "days since the landmark (end of the early window)"
"""x label of the panels of early-behaviour segments."""

SELECTED_SEGMENT = "early_gifter"
"""The segment the sampling rule selects on (every sampled user gifted in the window, so a
short lifetime forces the gift into the first days)."""


def holm(p) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control).

    With the :math:`m` p-values sorted, :math:`p_{(1)} \\le \\dots \\le p_{(m)}`,

    .. math::

        \\tilde p_{(i)} = \\max_{j \\le i} \\min\\bigl(1, (m - j + 1)\\, p_{(j)}\\bigr).

    Parameters
    ----------
    p : array-like
        The p-values.

    Returns
    -------
    ndarray
        The adjusted p-values, in the order of ``p``.
    """
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


@dataclass
class SegmentTests:
    """Tests across the levels of one segment (:func:`segment_tests`).

    ``overall``: the multivariate log-rank test, one row (levels, n, test_statistic, df, p;
    empty with fewer than two levels); ``pairwise``: one row per pair of levels; ``dropped``:
    counts of the levels with fewer than ``min_group`` users; ``fits``: {level:
    KaplanMeierFitter} of the levels tested, in display order.
    """

    overall: pd.DataFrame
    pairwise: pd.DataFrame
    dropped: pd.Series
    fits: dict


def segment_tests(
    table: pd.DataFrame, labels: pd.Series, *, point_in_time: float = 7, min_group: int = 30
) -> SegmentTests:
    """Log-rank tests across segment levels and the fixed-time-point comparison.

    The log-rank test of :math:`G` levels compares the observed churns :math:`O_g` with those
    expected under one common curve, :math:`E_g = \\sum_i d_i n_{gi} / n_i`, with :math:`V`
    the hypergeometric covariance of :math:`O - E` (:math:`G - 1` levels):

    .. math::

        \\chi^2 = (O - E)^\\top V^{-1} (O - E) \\sim \\chi^2_{G - 1}.

    The fixed-time-point test of :math:`S_a(t_0) = S_b(t_0)` (Klein et al. 2007) compares the
    two Kaplan-Meier values on the log(-log) scale, with :math:`\\sigma^2` Greenwood's sum
    :math:`\\sum_{t_i \\le t_0} d_i / (n_i (n_i - d_i))` of each level:

    .. math::

        X^2 = \\frac{\\bigl[\\log(-\\log \\hat S_a(t_0)) - \\log(-\\log \\hat S_b(t_0))\\bigr]^2}
        {\\sigma_a^2 / \\log^2 \\hat S_a(t_0) + \\sigma_b^2 / \\log^2 \\hat S_b(t_0)}
        \\sim \\chi^2_1.

    Parameters
    ----------
    table, labels : DataFrame, Series
        A survival table and the level of each of its rows (aligned by position).
    point_in_time, min_group : float, int
        :math:`t_0` in days; levels with fewer users are not tested.

    Returns
    -------
    SegmentTests
        ``pairwise`` has, per pair (a, b): n_a, n_b, the log-rank chi2 and p, S_a, S_b at
        :math:`t_0`, their difference ``diff``, the fixed-time chi2 and p, and both p-values
        Holm-adjusted over the pairs (``logrank_p_holm``, ``fixed_p_holm``).
    """
    from lifelines.statistics import (
        logrank_test,
        multivariate_logrank_test,
        survival_difference_at_fixed_point_in_time_test as fixed_time_test,
    )

    tab, lab, order, dropped = level_groups(table, labels, min_group)
    fits = {g: fit_km(tab[lab == g], label=str(g)) for g in order}
    if len(order) < 2:
        return SegmentTests(pd.DataFrame(), pd.DataFrame(), dropped, fits)
    dur = tab["duration"].to_numpy(float)
    ev = tab["event"].to_numpy(bool)
    mv = multivariate_logrank_test(dur, lab, ev)
    overall = pd.DataFrame(
        [
            {
                "levels": len(order),
                "n": len(tab),
                "test_statistic": float(mv.test_statistic),
                "df": int(mv.degrees_of_freedom),
                "p": float(mv.p_value),
            }
        ]
    )
    rows = []
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            ma, mb = lab == a, lab == b
            lr = logrank_test(dur[ma], dur[mb], ev[ma], ev[mb])
            fx = fixed_time_test(point_in_time, fits[a], fits[b])
            sa, sb = (
                float(fits[g].survival_function_at_times(point_in_time).iloc[0]) for g in (a, b)
            )
            rows.append(
                {
                    "a": a,
                    "b": b,
                    "n_a": int(ma.sum()),
                    "n_b": int(mb.sum()),
                    "logrank_chi2": float(lr.test_statistic),
                    "logrank_p": float(lr.p_value),
                    "S_a": sa,
                    "S_b": sb,
                    "diff": sa - sb,
                    "fixed_chi2": float(fx.test_statistic),
                    "fixed_p": float(fx.p_value),
                }
            )
    pw = pd.DataFrame(rows)
    pw["logrank_p_holm"] = holm(pw["logrank_p"])
    pw["fixed_p_holm"] = holm(pw["fixed_p"])
    return SegmentTests(overall, pw, dropped, fits)


@dataclass
class SegmentReport:
    """Kaplan-Meier curves and tests per segment (:func:`segment_report`).

    ``panels``: {panel title: {level: KaplanMeierFitter}} for
    :func:`~kuailive_analysis.plots.retention.plot_km_grid`; ``xlabels``: the clock label of the
    landmark panels; ``overview``: one row per segment (levels, n, chi2, df, p, segment,
    sample, snapshot); ``pairwise``: every pair of levels (:func:`segment_tests`, with ``segment``
    and ``sample``).
    """

    panels: dict = field(default_factory=dict)
    xlabels: dict = field(default_factory=dict)
    overview: pd.DataFrame = field(default_factory=pd.DataFrame)
    pairwise: pd.DataFrame = field(default_factory=pd.DataFrame)


def segment_report(
    table: pd.DataFrame,
    landmark_table: pd.DataFrame,
    segments: pd.DataFrame,
    names,
    *,
    point_in_time: float = 7,
    min_group: int = 30,
    id_col: str = "user_id",
) -> SegmentReport:
    """Kaplan-Meier fits and tests for each segment, each on its right sample.

    Profile snapshot segments (:data:`SNAPSHOT_SEGMENTS`) use the full table (clock: days since
    entry); early-behaviour segments use the landmark table (clock: days since the landmark).

    Parameters
    ----------
    table, landmark_table : DataFrame
        The survival table and its landmark sample (:func:`landmark`).
    segments, names : DataFrame, sequence of str
        :func:`user_segments` and the segments to compare (others are skipped, as are segments
        with fewer than two levels of ``min_group`` users).
    point_in_time, min_group, id_col : float, int, str
        As in :func:`segment_tests`; the id column.

    Returns
    -------
    SegmentReport
    """
    panels, over, pairs, xlabels = {}, [], [], {}
    for name in names:
        if name not in segments.columns:
            continue
        behaviour = name not in SNAPSHOT_SEGMENTS
        tab = landmark_table if behaviour else table
        tab = tab[tab["eligible"]] if "eligible" in tab.columns else tab
        lab = tab[[id_col]].merge(segments[[id_col, name]], on=id_col, how="left")[name]
        res = segment_tests(tab, lab, point_in_time=point_in_time, min_group=min_group)
        if res.overall.empty:
            continue
        sample = "landmark" if behaviour else "all"
        title = f"{name} ({'after landmark' if behaviour else 'snapshot'})"
        panels[title] = res.fits
        if behaviour:
            xlabels[title] = LANDMARK_CLOCK
        over.append(res.overall.assign(segment=name, sample=sample, snapshot=not behaviour))
        pairs.append(res.pairwise.assign(segment=name, sample=sample))
    if not over:
        return SegmentReport(panels, xlabels)
    overview = pd.concat(over, ignore_index=True).rename(columns={"test_statistic": "chi2"})
    return SegmentReport(panels, xlabels, overview, pd.concat(pairs, ignore_index=True))


def segment_headline(overview: pd.DataFrame, alpha: float = 0.05) -> str:
    """What the segment figure shows: which segments' curves differ at p < alpha (naming the
    segment the sampling rule selects on as selection, not an effect)."""
    if overview is None or overview.empty:
        return "No segment has two levels large enough to compare"
    sig = overview.loc[overview["p"] < alpha, "segment"].tolist()
    if not sig:
        return f"No segment's curves differ at p < {alpha:g} (log-rank)"
    text = f"Curves differ by {', '.join(sig)} (log-rank p < {alpha:g})"
    if SELECTED_SEGMENT in sig:  # the sampling rule, not gifting, can explain this one
        text += f"; {SELECTED_SEGMENT}: selection by the sampling rule, not an effect"
    return text
