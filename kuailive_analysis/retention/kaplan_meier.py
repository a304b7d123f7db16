"""Kaplan-Meier estimation of the time to churn: fit, summary (median, RMST, S(h)), bands."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kuailive_analysis.retention.checks import fit_ready


def fit_km(
    table: pd.DataFrame, *, label: str = "all", alpha: float = 0.05, duration_col: str = "duration"
):
    """Kaplan-Meier fit of ``S(t) = P(T > t)`` (t in days since entry) with (1-alpha) pointwise
    confidence bands (Greenwood variance, log(-log) transform, lifelines' default)."""
    from lifelines import KaplanMeierFitter

    tab = fit_ready(table)
    return KaplanMeierFitter(label=label, alpha=alpha).fit(
        tab[duration_col].to_numpy(float), tab["event"].to_numpy(bool)
    )


@dataclass(frozen=True)
class KMSummary:
    """The reading of one Kaplan-Meier curve (:func:`km_summary`).

    ``n`` users and ``events`` churns; ``median`` time to churn (days; inf = not reached) with
    its CI ``median_lo`` / ``median_hi``; ``rmst`` (restricted mean survival time up to ``tau``
    days) and its standard error ``rmst_se``; ``survival`` maps each horizon h to ``S(h)``.
    """

    n: int
    events: int
    median: float
    median_lo: float
    median_hi: float
    tau: float
    rmst: float
    rmst_se: float
    survival: dict = field(default_factory=dict)

    def at(self, horizon: float) -> float:
        """``S(horizon)`` (KeyError naming the horizons computed)."""
        try:
            return self.survival[horizon]
        except KeyError:
            raise KeyError(
                f"S({horizon}) was not computed; horizons: {sorted(self.survival)}"
            ) from None

    @property
    def median_text(self) -> str:
        """The median in words (:func:`format_median`)."""
        return format_median(self.median)


def km_summary(kmf, *, tau: float, horizons=(1, 7)) -> KMSummary:
    """Median survival (inf = not reached) with CI, restricted mean survival time up to ``tau``
    (``RMST = integral_0^tau S(t) dt``, days; lifelines, exact for KM) with its standard error
    (:func:`rmst_variance`), and ``S(h)`` at horizons."""
    from lifelines.utils import median_survival_times, restricted_mean_survival_time

    ci = median_survival_times(kmf.confidence_interval_)
    var = rmst_variance(kmf, tau)
    return KMSummary(
        n=int(kmf.event_table["entrance"].sum()),
        events=int(kmf.event_observed.sum()),
        median=float(kmf.median_survival_time_),
        median_lo=float(ci.iloc[0, 0]),
        median_hi=float(ci.iloc[0, 1]),
        tau=float(tau),
        rmst=float(restricted_mean_survival_time(kmf, t=float(tau))),
        rmst_se=float(np.sqrt(max(var, 0.0))),
        survival={h: float(kmf.survival_function_at_times(h).iloc[0]) for h in horizons},
    )


def rmst_variance(kmf, tau: float) -> float:
    """Greenwood-type variance of the KM restricted mean (Klein & Moeschberger 4.5):
    ``Var = sum_{t_i <= tau} A_i^2 d_i / (n_i (n_i - d_i))`` with ``A_i = integral_{t_i}^tau S``,
    over event times t_i with d_i events among n_i at risk (terms with n_i = d_i omitted)."""
    et = kmf.event_table
    t = et.index.to_numpy(float)
    d = et["observed"].to_numpy(float)
    n = et["at_risk"].to_numpy(float)
    s = kmf.survival_function_.iloc[:, 0].reindex(et.index).to_numpy(float)
    keep = (t <= tau) & (d > 0) & (n > d)
    # integral of the step function S from each t_i to tau
    grid = np.r_[t[t <= tau], tau]
    seg = np.diff(grid) * s[t <= tau]
    tail = np.cumsum(seg[::-1])[::-1]
    a = tail[keep[t <= tau]]
    return float(np.sum(a**2 * d[keep] / (n[keep] * (n[keep] - d[keep]))))


def km_table(kmf, times) -> pd.DataFrame:
    """Survival with confidence band at given times (step function evaluated at each t)."""
    times = np.asarray(list(times), float)
    s = kmf.survival_function_at_times(times).to_numpy()
    ci = kmf.confidence_interval_survival_function_
    idx = ci.index.to_numpy()
    pos = np.searchsorted(idx, times, side="right") - 1
    lo = np.where(pos >= 0, ci.iloc[np.clip(pos, 0, None), 0].to_numpy(), 1.0)
    hi = np.where(pos >= 0, ci.iloc[np.clip(pos, 0, None), 1].to_numpy(), 1.0)
    return pd.DataFrame({"t": times, "survival": s, "lo": lo, "hi": hi})


def format_median(value: float, unit: str = "days") -> str:
    """'5 days' or 'not reached' (the KM curve never falls to 50% within follow-up)."""
    return "not reached" if not np.isfinite(value) else f"{value:.0f} {unit}"
