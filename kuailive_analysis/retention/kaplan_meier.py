"""Kaplan-Meier estimation of the time to churn: fit, summary (median, RMST, S(h)), bands, and
how the headline numbers move with the churn threshold."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY
from kuailive_analysis.retention.checks import fit_ready
from kuailive_analysis.retention.survival_data import follow_up_days, survival_table


def fit_km(table: pd.DataFrame, *, label: str = "all", alpha: float = 0.05):
    """Kaplan-Meier estimate of :math:`S(t) = P(T > t)` (t in days since entry) with a
    pointwise :math:`1 - \\alpha` band (lifelines' default).

    With :math:`d_i` churns among the :math:`n_i` users at risk at event time :math:`t_i`,

    .. math::

        \\hat S(t) = \\prod_{t_i \\le t} \\Bigl(1 - \\frac{d_i}{n_i}\\Bigr), \\qquad
        \\hat v(t) = \\frac{1}{\\log^2 \\hat S(t)}
        \\sum_{t_i \\le t} \\frac{d_i}{n_i (n_i - d_i)},

    (Greenwood's variance on the log(-log) scale) and the band
    :math:`\\hat S(t)^{\\exp(\\pm z_{1-\\alpha/2} \\sqrt{\\hat v(t)})}`, which stays in [0, 1].

    Parameters
    ----------
    table : DataFrame
        A survival table (:func:`survival_table`); ineligible rows are dropped.
    label, alpha : str, float
        The fitter's label; one minus the band's level.

    Returns
    -------
    lifelines.KaplanMeierFitter
    """
    from lifelines import KaplanMeierFitter

    tab = fit_ready(table)
    return KaplanMeierFitter(label=label, alpha=alpha).fit(
        tab["duration"].to_numpy(float), tab["event"].to_numpy(bool)
    )


@dataclass(frozen=True)
class KMSummary:
    """The reading of one Kaplan-Meier curve (:func:`km_summary`): the ``median`` time to churn
    (days; inf = not reached), the restricted mean survival time ``rmst`` up to ``tau`` days and
    its standard error ``rmst_se``, and ``survival``: each horizon h -> ``S(h)``."""

    median: float
    tau: float
    rmst: float
    rmst_se: float
    survival: dict = field(default_factory=dict)

    def at(self, horizon: float) -> float:
        """``S(horizon)`` (KeyError naming the horizons computed)."""
        if horizon not in self.survival:
            raise KeyError(f"S({horizon}) was not computed; horizons: {sorted(self.survival)}")
        return self.survival[horizon]

    @property
    def median_text(self) -> str:
        """The median in words: '5 days', or 'not reached' (the curve never falls to 50%
        within follow-up)."""
        return f"{self.median:.0f} days" if np.isfinite(self.median) else "not reached"


def km_summary(kmf, *, tau: float, horizons=(1, 7)) -> KMSummary:
    """Median, restricted mean and survival at horizons of a Kaplan-Meier fit.

    The restricted mean survival time up to :math:`\\tau` (exact for the step function) and
    its variance (Klein & Moeschberger 4.5; terms with :math:`n_i = d_i` omitted):

    .. math::

        \\widehat{\\text{RMST}}(\\tau) = \\int_0^\\tau \\hat S(t)\\,dt, \\qquad
        \\widehat{\\text{Var}} = \\sum_{t_i \\le \\tau} A_i^2 \\frac{d_i}{n_i (n_i - d_i)},
        \\quad A_i = \\int_{t_i}^\\tau \\hat S(t)\\,dt.

    Parameters
    ----------
    kmf : lifelines.KaplanMeierFitter
        :func:`fit_km`.
    tau : float
        The RMST horizon in days.
    horizons : sequence of float
        The times h of ``S(h)``.

    Returns
    -------
    KMSummary
    """
    from lifelines.utils import restricted_mean_survival_time

    return KMSummary(
        median=float(kmf.median_survival_time_),
        tau=float(tau),
        rmst=float(restricted_mean_survival_time(kmf, t=float(tau))),
        rmst_se=float(np.sqrt(max(_rmst_variance(kmf, tau), 0.0))),
        survival={h: float(kmf.survival_function_at_times(h).iloc[0]) for h in horizons},
    )


def _rmst_variance(kmf, tau: float) -> float:
    """The variance of :func:`km_summary` (the sum over event times up to ``tau``)."""
    et = kmf.event_table
    t = et.index.to_numpy(float)
    d = et["observed"].to_numpy(float)
    n = et["at_risk"].to_numpy(float)
    s = kmf.survival_function_.iloc[:, 0].reindex(et.index).to_numpy(float)
    keep = (t <= tau) & (d > 0) & (n > d)
    grid = np.r_[t[t <= tau], tau]  # the step function S integrated from each t_i to tau
    tail = np.cumsum((np.diff(grid) * s[t <= tau])[::-1])[::-1]
    a = tail[keep[t <= tau]]
    return float(np.sum(a**2 * d[keep] / (n[keep] * (n[keep] - d[keep]))))


def km_table(kmf, times) -> pd.DataFrame:
    """Columns t, survival, lo, hi: the Kaplan-Meier step function ``kmf`` and its band
    evaluated at ``times``."""
    times = np.asarray(list(times), float)
    s = kmf.survival_function_at_times(times).to_numpy()
    ci = kmf.confidence_interval_survival_function_
    pos = np.searchsorted(ci.index.to_numpy(), times, side="right") - 1
    lo = np.where(pos >= 0, ci.iloc[np.clip(pos, 0, None), 0].to_numpy(), 1.0)
    hi = np.where(pos >= 0, ci.iloc[np.clip(pos, 0, None), 1].to_numpy(), 1.0)
    return pd.DataFrame({"t": times, "survival": s, "lo": lo, "hi": hi})


def churn_sensitivity(
    activity: pd.DataFrame,
    churn_days=(3, 5, 7),
    *,
    last_day: int = DEFAULT_LAST_DAY,
    id_col: str = "user_id",
    horizons=(1, 7),
    tau: float | None = None,
) -> pd.DataFrame:
    """How the headline survival numbers move with the churn threshold.

    Parameters
    ----------
    activity : DataFrame
        Active (id, day) pairs.
    churn_days : sequence of int
        The thresholds k.
    last_day, id_col, horizons : int, str, sequence of float
        The window's last day; the id column; the times h of ``S(h)``.
    tau : float, optional
        The RMST horizon; default the longest follow-up of the largest k (every k reaches it).

    Returns
    -------
    DataFrame
        One row per k: churn_days, n (eligible), events, share_churned (events / n),
        share_returned (churned users active again later, over events), median (days; inf =
        not reached), rmst, and ``S(h)`` for each horizon h.
    """
    ks = [int(k) for k in churn_days]
    tau = float(tau) if tau is not None else float(follow_up_days(max(ks), last_day))
    rows = []
    for k in ks:
        tab = survival_table(activity, churn_days=k, last_day=last_day, id_col=id_col)
        tab = tab[tab["eligible"]]
        summ = km_summary(fit_km(tab, label=f"k={k}"), tau=tau, horizons=horizons)
        events = int(tab["event"].sum())
        rows.append(
            {
                "churn_days": k,
                "n": len(tab),
                "events": events,
                "share_churned": tab["event"].mean(),
                "share_returned": tab["returned"].sum() / max(events, 1),
                "median": summ.median,
                "rmst": summ.rmst,
                **{f"S({h})": summ.at(h) for h in horizons},
            }
        )
    return pd.DataFrame(rows)


def sensitivity_row(sensitivity: pd.DataFrame, churn_days: int) -> pd.Series:
    """The row of threshold ``churn_days`` in :func:`churn_sensitivity` (KeyError when the
    threshold was not computed)."""
    rows = sensitivity[sensitivity["churn_days"] == int(churn_days)]
    if rows.empty:
        raise KeyError(
            f"churn_days {churn_days} is not in the sensitivity table "
            f"({sensitivity['churn_days'].tolist()})"
        )
    return rows.iloc[0]
