"""How the headline survival numbers move with the churn threshold ``churn_days``."""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY
from kuailive_analysis.retention.kaplan_meier import fit_km, km_summary
from kuailive_analysis.retention.survival_data import follow_up_days, survival_table


def churn_sensitivity(
    activity: pd.DataFrame,
    churn_days=(3, 5, 7),
    *,
    last_day: int = DEFAULT_LAST_DAY,
    id_col: str = "user_id",
    horizons=(1, 7),
    tau: float | None = None,
) -> pd.DataFrame:
    """One row per threshold k in ``churn_days``.

    Columns: churn_days, n (eligible), events, share_churned (events / n), share_returned
    (churned users active again later), median (days; inf = not reached), rmst (restricted mean
    survival time up to ``tau``, default the longest follow-up of the largest k), and
    ``S(h)`` for each horizon h.
    """
    ks = [int(k) for k in churn_days]
    tau = float(tau) if tau is not None else float(follow_up_days(max(ks), last_day))
    rows = []
    for k in ks:
        tab = survival_table(activity, churn_days=k, last_day=last_day, id_col=id_col)
        tab = tab[tab["eligible"]]
        summ = km_summary(fit_km(tab, label=f"k={k}"), tau=tau, horizons=horizons)
        events = int(tab["event"].sum())
        row = {
            "churn_days": k,
            "n": len(tab),
            "events": events,
            "share_churned": tab["event"].mean(),
            "share_returned": tab["returned"].sum() / max(events, 1),
            "median": summ.median,
            "rmst": summ.rmst,
        }
        for h in horizons:
            row[f"S({h})"] = summ.at(h)
        rows.append(row)
    return pd.DataFrame(rows)


def sensitivity_row(sensitivity: pd.DataFrame, churn_days: int) -> pd.Series:
    """The row of threshold ``churn_days`` in a :func:`churn_sensitivity` table."""
    rows = sensitivity[sensitivity["churn_days"] == int(churn_days)]
    if rows.empty:
        raise KeyError(
            f"churn_days {churn_days} is not in the sensitivity table "
            f"({sensitivity['churn_days'].tolist()})"
        )
    return rows.iloc[0]
