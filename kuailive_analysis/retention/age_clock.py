"""The account-age clock: churn hazard by age at entry from left-truncated person-time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.retention.checks import RetentionError, fit_ready, require

CLOCK_LABELS = {
    "watch_age_days": "days since first live watched",
    "tenure_days": "days since registration",
}
"""Words for each account-age clock (axis labels)."""


def hazard_by_age(
    table: pd.DataFrame,
    users: pd.DataFrame,
    *,
    clock: str = "watch_age_days",
    bands=(0, 30, 180, 365, 730, 1460, np.inf),
    id_col: str = "user_id",
    z: float = 1.96,
) -> pd.DataFrame:
    """Churn hazard (events per 100 user-days at risk) by account age at entry.

    Account age at entry is the age on ``clock`` at the window start plus ``first_day``. Users
    are left-truncated: each contributes only the ``duration`` days observed in the window, to
    the band of their age at entry (follow-up is at most 21 days, shorter than any band). In a
    band with :math:`D` churns over :math:`E` user-days at risk, the occurrence/exposure rate
    and its Poisson interval on the log scale are

    .. math::

        \\hat\\lambda = \\frac{D}{E}, \\qquad
        \\hat\\lambda \\exp\\bigl(\\pm z / \\sqrt{D}\\bigr).

    Parameters
    ----------
    table, users : DataFrame
        A survival table (eligible rows are used); ``id_col`` and the ``clock`` column.
    clock : str
        ``watch_age_days`` (days since the first live watched) or ``tenure_days`` (since
        registration), see :data:`CLOCK_LABELS`.
    bands, id_col, z : sequence of float, str, float
        Band edges in days (left-closed); the id column; the normal quantile of the interval.

    Returns
    -------
    DataFrame
        age_band, users, events, exposure_days, per_100_days, lo, hi.
    """
    require(users, [id_col, clock], "users")
    tab = fit_ready(table)
    d = tab[[id_col, "first_day", "duration", "event"]].merge(
        users[[id_col, clock]], on=id_col, how="left"
    )
    age = d[clock].astype(float) + d["first_day"].astype(float)
    if age.isna().all():
        raise RetentionError(f"users.{clock} is missing for every user; cannot use this clock.")
    edges = list(bands)
    names = [f"{a:g}+" if not np.isfinite(b) else f"{a:g}-{b:g}" for a, b in zip(edges, edges[1:])]
    band = pd.cut(age, bins=edges, right=False, labels=names)
    g = (
        d.groupby(band, observed=False)
        .agg(users=("event", "size"), events=("event", "sum"), exposure=("duration", "sum"))
        .reset_index()
    )
    g.columns = ["age_band", "users", "events", "exposure_days"]
    rate = g["events"] / g["exposure_days"].where(g["exposure_days"] > 0)
    se = 1 / np.sqrt(g["events"].where(g["events"] > 0))
    g["per_100_days"] = 100 * rate
    g["lo"] = 100 * rate * np.exp(-z * se)
    g["hi"] = 100 * rate * np.exp(z * se)
    g["age_band"] = g["age_band"].astype(str)
    return g


def youngest_and_oldest_rate(hazard: pd.DataFrame) -> tuple[float, float]:
    """Churns per 100 user-days in the youngest and the oldest band with exposure (NaN, NaN
    when no band has any)."""
    rate = hazard.loc[hazard["exposure_days"] > 0, "per_100_days"]
    if rate.empty:
        return float("nan"), float("nan")
    return float(rate.iloc[0]), float(rate.iloc[-1])
