"""Validation on the synthetic twin: Kaplan-Meier against the planted lifetimes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import beijing_day
from kuailive_analysis.retention.checks import RetentionError, fit_ready, require
from kuailive_analysis.retention.kaplan_meier import fit_km, km_table


def has_truth(truth: dict | None) -> bool:
    """True when a Dataset's ``truth`` holds the planted per-user lifetimes (``churn_ms``)."""
    users = (truth or {}).get("users")
    return users is not None and "churn_ms" in users.columns


def true_durations(
    table: pd.DataFrame, truth_users: pd.DataFrame, *, id_col: str = "user_id"
) -> pd.DataFrame:
    """The planted lifetimes on the clock of :func:`survival_table`.

    The twin records ``churn_ms``, the end of the planted active lifetime (possibly after the
    window). On the survival clock the true event time is the relative day of the churn
    moment, :math:`T_{\\text{true}} = \\max(\\text{day}(\\text{churn\\_ms} - 1) - f + 1, 1)`, so a
    user active every day until churn has :math:`T = T_{\\text{true}}`; the truth has no
    censoring.

    Parameters
    ----------
    table, truth_users, id_col : DataFrame, DataFrame, str
        A survival table (``first_day`` :math:`f`); the twin's planted users (``churn_ms``);
        the id column.

    Returns
    -------
    DataFrame
        ``[id_col, T_true]``.
    """
    require(truth_users, [id_col, "churn_ms"], "truth users")
    d = table[[id_col, "first_day"]].merge(truth_users, on=id_col, how="left")
    if d["churn_ms"].isna().any():
        n = int(d["churn_ms"].isna().sum())
        raise RetentionError(f"truth users lack churn_ms for {n} user(s) of the survival table.")
    churn_day = beijing_day(d["churn_ms"].astype("int64") - 1)
    t_true = np.maximum(churn_day - d["first_day"].astype(int) + 1, 1)
    return pd.DataFrame({id_col: d[id_col], "T_true": t_true.astype("int64")})


def true_vs_km(
    table: pd.DataFrame, truth_users: pd.DataFrame, *, times=None, id_col: str = "user_id"
) -> pd.DataFrame:
    """The Kaplan-Meier estimate against the true survival
    :math:`P(T_{\\text{true}} > t)` of the same (eligible) users.

    Parameters
    ----------
    table, truth_users : DataFrame
        A survival table; the twin's planted users (:func:`true_durations`).
    times, id_col : sequence of int, str
        The days compared (default 1 to the longest duration); the id column.

    Returns
    -------
    DataFrame
        t, km, lo, hi (the 95% band), truth, diff (km - truth), in_band (truth inside the band).
    """
    tab = fit_ready(table)
    if times is None:
        times = np.arange(1, int(tab["duration"].max()) + 1)
    tr = true_durations(tab, truth_users, id_col=id_col)["T_true"].to_numpy()
    out = km_table(fit_km(tab), times).rename(columns={"survival": "km"})
    out["truth"] = [(tr > t).mean() for t in out["t"]]
    out["diff"] = out["km"] - out["truth"]
    out["in_band"] = (out["truth"] >= out["lo"]) & (out["truth"] <= out["hi"])
    return out
