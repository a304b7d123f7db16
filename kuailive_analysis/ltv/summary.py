"""Recency-frequency-monetary (RFM) summaries of an event log, for BG/NBD and Gamma-Gamma.

Definitions (time unit: the **day**, Beijing calendar day index ``day`` 0..20 of the window):

* A **transaction** is a *user-day with at least one qualifying event*. Several events on one
  day count once (a gifting day, a watching day); the day's value is the sum of the events'
  values (e.g. ``gift_price``, platform coins).
* Days ``0 .. calibration_days - 1`` are the **calibration** period, days
  ``calibration_days .. n_days - 1`` the **holdout**.
* The **cohort** is every user with a transaction in the calibration period. A user whose first
  transaction is in the holdout is not a calibration customer (counted by :func:`summarise`).
* For a cohort user with first transaction day ``f``:

  - ``frequency_cal`` ``x`` = number of *repeat* transaction days in calibration (all
    transaction days in calibration minus the first);
  - ``recency_cal`` ``t_x`` = last calibration transaction day minus ``f`` (0 if ``x == 0``);
  - ``T_cal`` ``T`` = ``calibration_days - 1 - f``: days from the first transaction to the
    last calibration day, i.e. the number of days on which a repeat could have happened.
    So ``0 <= t_x <= T`` and ``x <= t_x`` (at most one transaction a day);
  - ``monetary_cal`` = mean value per repeat transaction day in calibration (the first day
    is excluded, as in Fader, Hardie & Lee 2005); 0.0 when ``x == 0`` (unused by the model);
  - ``frequency_holdout`` = number of transaction days in the holdout, observed over
    ``duration_holdout = n_days - calibration_days`` days; ``monetary_holdout`` = mean value
    per holdout transaction day (0.0 if none); ``value_holdout`` = total holdout value.

The holdout length matches the model's clock: a transaction on day ``d`` happens at time
``d``, calibration observation ends at ``calibration_days - 1`` and the holdout ends at
``n_days - 1``, ``n_days - calibration_days`` days later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import MS_PER_HOUR, N_WINDOW_DAYS
from kuailive_analysis.core.checks import require_columns

TRANSACTION_DEFINITIONS = {
    "gift": "a gifting day: a Beijing calendar day on which the user sent at least one gift "
    "(value = the day's summed gift_price, platform coins)",
    "watch": "a watching day: a Beijing calendar day on which the user clicked into at least "
    "one live room (value = the day's summed watch time, hours)",
}
"""What a transaction is in chapter 4, by kind (quoted by the chapter)."""


USER_DAY_COLUMNS = tuple(
    "user_id day n_clicks watch_ms n_comments n_likes n_gifts gift_value active".split()
)
"""Columns of the dataset's ``user_day`` panel that chapter 4 reads."""


def transaction_tables(user_day: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The transactions of chapter 4 in a ``user_day`` panel (:data:`TRANSACTION_DEFINITIONS`).

    Returns
    -------
    tuple of DataFrame
        ``(gift_days, watch_days)``: the user-days with a gift (value ``gift_value``, coins)
        and with a click (value ``watch_hours``).
    """
    gift_days = user_day[user_day["n_gifts"] > 0]
    watch_days = user_day[user_day["n_clicks"] > 0].assign(
        watch_hours=lambda d: d["watch_ms"] / MS_PER_HOUR
    )
    return gift_days, watch_days


_HINT = "Pass an event table with a user id and a Beijing day index (as from dataset.load)."


def transaction_days(
    events: pd.DataFrame,
    *,
    user_col: str = "user_id",
    day_col: str = "day",
    value_col: str | None = None,
    n_days: int = N_WINDOW_DAYS,
) -> pd.DataFrame:
    """One row per (user, day) with at least one event: ``user_id``, ``day``, ``n_events``,
    ``value`` (sum of ``value_col``; 0.0 if no value column). Sorted by user, then day.

    Vectorised: an int64 code ``user * n_days + day`` is de-duplicated with ``np.unique``.
    Raises ValueError for missing columns, days outside ``[0, n_days)``, missing or negative
    values.
    """
    cols = [user_col, day_col] + ([value_col] if value_col else [])
    require_columns(events, cols, "the event table", hint=_HINT)
    user = events[user_col].to_numpy()
    day = events[day_col].to_numpy()
    if pd.isna(user).any() or pd.isna(day).any():
        raise ValueError(f"the event table has missing values in {user_col!r} or {day_col!r}.")
    user = user.astype(np.int64)
    day = day.astype(np.int64)
    bad = (day < 0) | (day >= n_days)
    if bad.any():
        raise ValueError(
            f"column {day_col!r} has {int(bad.sum())} value(s) outside 0..{n_days - 1}, e.g. "
            f"{int(day[bad][0])}: not a day index of the {n_days}-day window."
        )
    if value_col:
        value = events[value_col].to_numpy(dtype=np.float64, na_value=np.nan)
        badv = ~np.isfinite(value) | (value < 0)
        if badv.any():
            raise ValueError(
                f"column {value_col!r} has {int(badv.sum())} missing, infinite or negative "
                f"value(s), e.g. {value[badv][0]!r}; transaction values must be >= 0."
            )
    else:
        value = np.zeros(len(user))
    code = user * n_days + day
    uniq, inv = np.unique(code, return_inverse=True)
    return pd.DataFrame(
        {
            "user_id": (uniq // n_days).astype(np.int32),
            "day": (uniq % n_days).astype(np.int8 if n_days <= 127 else np.int16),
            "n_events": np.bincount(inv, minlength=uniq.size).astype(np.int32),
            "value": np.bincount(inv, weights=value, minlength=uniq.size),
        }
    )


@dataclass(frozen=True)
class RFMSummary:
    """An RFM summary with its split: ``table`` (one row per cohort user, see
    :func:`rfm_summary`), ``calibration_days``, ``n_days`` and ``n_users_first_in_holdout``
    (users whose first transaction is in the holdout: not in the cohort)."""

    table: pd.DataFrame
    calibration_days: int
    n_days: int
    n_users_first_in_holdout: int

    @property
    def holdout_days(self) -> int:
        """Length of the holdout in days, ``n_days - calibration_days``."""
        return self.n_days - self.calibration_days

    @property
    def n_users(self) -> int:
        """Users in the calibration cohort."""
        return len(self.table)

    @property
    def share_repeat(self) -> float:
        """Share of the cohort with at least one repeat transaction in calibration."""
        return float((self.table["frequency_cal"] > 0).mean())

    def describe(self) -> pd.DataFrame:
        """Mean, median and maximum of every column (rounded to 2 decimals)."""
        return self.table.describe().T[["mean", "50%", "max"]].round(2)


def rfm_summary(events: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """The table of :func:`summarise` (same arguments): one row per cohort user."""
    return summarise(events, **kwargs).table


def summarise(
    events: pd.DataFrame,
    *,
    calibration_days: int,
    n_days: int = N_WINDOW_DAYS,
    value_col: str | None = None,
    user_col: str = "user_id",
    day_col: str = "day",
) -> RFMSummary:
    """Calibration/holdout RFM summary of an event table (or of :func:`transaction_days`).

    Returns
    -------
    RFMSummary
        ``table``: one row per cohort user (index ``user_id``) with ``first_day``,
        ``frequency_cal``, ``recency_cal``, ``T_cal``, ``monetary_cal``, ``value_cal`` (total
        calibration value, first day included), ``frequency_holdout``, ``monetary_holdout``,
        ``value_holdout``, ``duration_holdout`` (module docstring); the split and the users
        first seen in the holdout.
    """
    if not (1 <= calibration_days < n_days):
        raise ValueError(
            f"calibration_days={calibration_days!r} must be in 1..{n_days - 1} so that both the "
            "calibration period and the holdout are non-empty."
        )
    td = transaction_days(
        events, user_col=user_col, day_col=day_col, value_col=value_col, n_days=n_days
    )
    uid = td["user_id"].to_numpy()
    day = td["day"].to_numpy().astype(np.int64)
    val = td["value"].to_numpy()
    # td is sorted by (user, day): group boundaries
    starts = np.flatnonzero(np.r_[True, uid[1:] != uid[:-1]])
    users = uid[starts]
    grp = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, uid.size]))
    first = day[starts]
    first_val = val[starts]
    cal = day < calibration_days
    n_cal = np.bincount(grp, weights=cal, minlength=users.size)
    last_cal = np.full(users.size, -1, dtype=np.int64)
    np.maximum.at(last_cal, grp[cal], day[cal])
    val_cal = np.bincount(grp, weights=val * cal, minlength=users.size)
    hold = ~cal
    n_hold = np.bincount(grp, weights=hold, minlength=users.size)
    val_hold = np.bincount(grp, weights=val * hold, minlength=users.size)

    keep = first < calibration_days
    x = (n_cal - 1)[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        mon_cal = np.where(x > 0, (val_cal[keep] - first_val[keep]) / np.maximum(x, 1), 0.0)
        mon_hold = np.where(n_hold[keep] > 0, val_hold[keep] / np.maximum(n_hold[keep], 1), 0.0)
    out = pd.DataFrame(
        {
            "first_day": first[keep].astype(np.int16),
            "frequency_cal": x.astype(np.int32),
            "recency_cal": (last_cal - first)[keep].astype(np.float64),
            "T_cal": (calibration_days - 1 - first)[keep].astype(np.float64),
            "monetary_cal": mon_cal,
            "value_cal": val_cal[keep],
            "frequency_holdout": n_hold[keep].astype(np.int32),
            "monetary_holdout": mon_hold,
            "value_holdout": val_hold[keep],
            "duration_holdout": np.full(int(keep.sum()), float(n_days - calibration_days)),
        },
        index=pd.Index(users[keep].astype(np.int32), name="user_id"),
    )
    return RFMSummary(
        table=out,
        calibration_days=int(calibration_days),
        n_days=int(n_days),
        n_users_first_in_holdout=int((~keep).sum()),
    )


def summary_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, t_x, T)`` of an :func:`rfm_summary` frame (``frequency_cal``, ``recency_cal``,
    ``T_cal``) as float arrays."""
    return tuple(summary[c].to_numpy(float) for c in ("frequency_cal", "recency_cal", "T_cal"))


def repeat_transactions_by_day(
    events: pd.DataFrame,
    users: pd.Index,
    *,
    n_days: int = N_WINDOW_DAYS,
    user_col: str = "user_id",
    day_col: str = "day",
) -> np.ndarray:
    """Number of *repeat* transaction days on each day 0..n_days-1 by the given users
    (each user's first transaction day is not a repeat). For the tracking plot."""
    td = transaction_days(events, user_col=user_col, day_col=day_col, n_days=n_days)
    td = td[td["user_id"].isin(users)]
    is_first = np.r_[True, td["user_id"].to_numpy()[1:] != td["user_id"].to_numpy()[:-1]]
    return np.bincount(td["day"].to_numpy()[~is_first].astype(np.int64), minlength=n_days)
