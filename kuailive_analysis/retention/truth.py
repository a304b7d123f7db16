"""Validation on the synthetic twin: Kaplan-Meier against the planted lifetimes, raw and as the
churn definition can see them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import beijing_day
from kuailive_analysis.retention.activity import DEFAULT_LAST_DAY, activity_days
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
        ``[id_col, churn_day, T_true]``: the Beijing day of the planted churn and the event
        time.
    """
    require(truth_users, [id_col, "churn_ms"], "truth users")
    d = table[[id_col, "first_day"]].merge(truth_users, on=id_col, how="left")
    if d["churn_ms"].isna().any():
        n = int(d["churn_ms"].isna().sum())
        raise RetentionError(f"truth users lack churn_ms for {n} user(s) of the survival table.")
    churn_day = beijing_day(d["churn_ms"].astype("int64") - 1)
    t_true = np.maximum(churn_day - d["first_day"].astype(int) + 1, 1)
    return pd.DataFrame(
        {id_col: d[id_col], "churn_day": churn_day, "T_true": t_true.astype("int64")}
    )


def seen_durations(
    table: pd.DataFrame,
    truth_users: pd.DataFrame,
    activity: pd.DataFrame,
    *,
    last_day: int = DEFAULT_LAST_DAY,
    id_col: str = "user_id",
) -> pd.DataFrame:
    """The planted lifetimes passed through the churn definition: the truth it can see.

    The definition dates a churn at the last active day, so even a perfect method puts the
    end of a lifetime on the user's last active day on or before the planted churn day
    :math:`C`, not on :math:`C`:

    .. math::

        T_{\\text{seen}} = \\max\\{d \\le C : \\text{active on } d\\} - f + 1 \\quad (C \\le D),
        \\qquad T_{\\text{seen}} = T_{\\text{true}} \\quad (C > D),

    (a churn after the window's last day :math:`D` lies beyond every day compared). What the
    Kaplan-Meier estimate can still get wrong against it is the censoring and the silences of
    ``churn_days`` inside a lifetime read as churns.

    Parameters
    ----------
    table, truth_users, activity : DataFrame
        A survival table; the twin's planted users (``churn_ms``); the active (id, day) pairs
        the table was built from.
    last_day, id_col : int, str
        :math:`D`; the id column.

    Returns
    -------
    DataFrame
        ``[id_col, T_true, T_seen]``, in the order of ``table``.
    """
    tr = true_durations(table, truth_users, id_col=id_col)
    act = activity_days(activity, id_col=id_col, last_day=last_day).merge(
        tr[[id_col, "churn_day"]], on=id_col
    )
    last = act[act["day"] <= act["churn_day"]].groupby(id_col)["day"].max()
    first = table[[id_col, "first_day"]].set_index(id_col)["first_day"].astype(int)
    inside = tr["churn_day"].to_numpy() <= last_day
    seen_end = tr[id_col].map(last).to_numpy(float)
    t_seen = np.fmax(seen_end - first.reindex(tr[id_col]).to_numpy() + 1, 1)  # no day: 1
    t_seen = np.where(inside, t_seen, tr["T_true"].to_numpy())
    return pd.DataFrame(
        {id_col: tr[id_col], "T_true": tr["T_true"], "T_seen": t_seen.astype("int64")}
    )


def true_vs_km(
    table: pd.DataFrame,
    truth_users: pd.DataFrame,
    activity: pd.DataFrame | None = None,
    *,
    times=None,
    last_day: int = DEFAULT_LAST_DAY,
    id_col: str = "user_id",
) -> pd.DataFrame:
    """The Kaplan-Meier estimate against the survival of the same (eligible) users' planted
    lifetimes, :math:`P(T_{\\text{true}} > t)`, and, with ``activity``, against the planted
    lifetimes as the definition sees them, :math:`P(T_{\\text{seen}} > t)`
    (:func:`seen_durations`): the like-for-like comparison.

    Parameters
    ----------
    table, truth_users : DataFrame
        A survival table; the twin's planted users (:func:`true_durations`).
    activity : DataFrame, optional
        The active (id, day) pairs ``table`` was built from (without it the ``seen`` columns
        compare with the raw truth).
    times, last_day, id_col : sequence of int, int, str
        The days compared (default 1 to the longest duration); :math:`D`; the id column.

    Returns
    -------
    DataFrame
        t, km, lo, hi (the 95% band); truth, diff_truth (km - truth), in_band_truth; seen,
        diff (km - seen), in_band (seen inside the band).
    """
    tab = fit_ready(table)
    if times is None:
        times = np.arange(1, int(tab["duration"].max()) + 1)
    if activity is None:
        tr = true_durations(tab, truth_users, id_col=id_col)["T_true"].to_numpy()
        seen = tr
    else:
        d = seen_durations(tab, truth_users, activity, last_day=last_day, id_col=id_col)
        tr, seen = d["T_true"].to_numpy(), d["T_seen"].to_numpy()
    out = km_table(fit_km(tab), times).rename(columns={"survival": "km"})
    for name, life, diff, band in (
        ("truth", tr, "diff_truth", "in_band_truth"),
        ("seen", seen, "diff", "in_band"),
    ):
        out[name] = [(life > t).mean() for t in out["t"]]
        out[diff] = out["km"] - out[name]
        out[band] = (out[name] >= out["lo"]) & (out[name] <= out["hi"])
    return out
