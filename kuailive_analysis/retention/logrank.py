"""Tests between segment levels: multivariate and pairwise log-rank, and the fixed-time-point
test of ``S(t0)``, with Holm-adjusted p-values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.retention.kaplan_meier import fit_km
from kuailive_analysis.retention.segments import level_groups


def holm(p) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control)."""
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

    ``overall``: multivariate log-rank test (H0: all levels share one survival curve), a
    one-row frame with levels, n, test_statistic (chi2), df, p (empty with fewer than two
    levels). ``pairwise``: one row per pair of levels. ``dropped``: counts of the levels with
    fewer than ``min_group`` users (not tested). ``levels``: the levels tested.
    """

    overall: pd.DataFrame
    pairwise: pd.DataFrame
    dropped: pd.Series
    levels: list


def segment_tests(
    table: pd.DataFrame, labels: pd.Series, *, point_in_time: float = 7, min_group: int = 30
) -> SegmentTests:
    """Log-rank tests across segment levels and a fixed-time-point comparison.

    ``pairwise`` has, for every pair of levels, the log-rank chi2 and p, ``S(point_in_time)``
    of each level (S_a, S_b), their difference and the fixed-time test of
    ``S_a(t0) = S_b(t0)`` (lifelines' log(-log) transformed z-test), with Holm-adjusted
    p-values over the pairs (``logrank_p_holm``, ``fixed_p_holm``).
    """
    from lifelines.statistics import (
        logrank_test,
        multivariate_logrank_test,
        survival_difference_at_fixed_point_in_time_test,
    )

    tab, lab, order, dropped = level_groups(table, labels, min_group)
    if len(order) < 2:
        return SegmentTests(pd.DataFrame(), pd.DataFrame(), dropped, order)
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
    fits = {g: fit_km(tab[lab == g], label=str(g)) for g in order}
    rows = []
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            ma, mb = lab == a, lab == b
            lr = logrank_test(dur[ma], dur[mb], ev[ma], ev[mb])
            fx = survival_difference_at_fixed_point_in_time_test(point_in_time, fits[a], fits[b])
            sa = float(fits[a].survival_function_at_times(point_in_time).iloc[0])
            sb = float(fits[b].survival_function_at_times(point_in_time).iloc[0])
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
    return SegmentTests(overall, pw, dropped, order)
