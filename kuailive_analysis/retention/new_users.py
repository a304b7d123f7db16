"""New users by account age, and the check of that definition against the twin's planted start.

The window opens on a platform that has run for years, so "first seen in the window" does not
mean "new": a regular who skipped day 0 is first seen on day 1. A user is **new** when the
account clock ``by`` (the first live watched, ``first_watch_live_timestamp``, or the
registration, ``reg_timestamp``, both dates in ``user.csv``) starts in the window or at most
``days_before`` days before it (2025-05-05):

.. math::

    \\text{new}_u = [\\,a_u \\le \\text{days\\_before}\\,],

with :math:`a_u` the days from that date to 2025-05-05 (``watch_age_days`` or
``tenure_days``; 0 = on day 0, negative = later in the window). A user without the date is
counted as existing (the share is reported).

On the synthetic twin each user has a planted start (``entry_ms`` of ``truth_users.csv``): a
user alive when the window opens carries the window's first instant, a user who starts later
carries that moment. :func:`definition_check` measures, for each definition, how many of the
users it calls new have a planted start *after the window opens* (the share that is right) and
how many of those planted starters it finds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.calendar import WINDOW_START_MS
from kuailive_analysis.retention.checks import RetentionError, require

NEW_USER_CLOCKS = {"first_watch": "watch_age_days", "registration": "tenure_days"}
"""The account clocks a new user can be defined by -> the users column with the days from that
date to 2025-05-05 (:func:`kuailive_analysis.data.features.user_features`)."""

CLOCK_WORDS = {"first_watch": "first live watch", "registration": "registration"}
"""Each clock in words."""

CHECK_DAYS_BEFORE = (0, 7, 30)
"""Days before the window of the alternative definitions :func:`definition_check` also scores
(the chapter's own value is added when it is not one of these)."""

COHORT_DEFINITION = "first seen on day 1 or later (no account date)"
"""The earlier definition, kept as the "before" row of the check: a user whose first active day
in the window is day 1 or later."""


def new_user_flags(users: pd.DataFrame, *, by: str = "first_watch", days_before: int = 0):
    """Which users are new: ``by``'s date at most ``days_before`` days before 2025-05-05.

    Parameters
    ----------
    users : DataFrame
        The users table with ``user_id`` and the clock's column (:data:`NEW_USER_CLOCKS`).
    by, days_before : str, int
        The clock (``"first_watch"`` or ``"registration"``); days before the window that still
        count as new (0: the date is in the window).

    Returns
    -------
    Series
        bool, indexed by ``user_id`` (False where the date is missing).
    """
    if by not in NEW_USER_CLOCKS:
        raise RetentionError(f"new users by {by!r}: choose from {list(NEW_USER_CLOCKS)}.")
    if int(days_before) < 0:
        raise RetentionError(f"days_before must be >= 0, got {days_before!r}.")
    col = NEW_USER_CLOCKS[by]
    require(users, ["user_id", col], "users")
    age = users[col].to_numpy(float)
    new = ~np.isnan(age) & (age <= int(days_before))
    return pd.Series(new, index=users["user_id"].astype("int64").to_numpy(), name="new")


def planted_start_in_window(truth_users: pd.DataFrame) -> pd.Series:
    """bool by ``user_id``: the twin planted the user's start after the window opens
    (``entry_ms > WINDOW_START_MS``; users alive at the opening carry the window start)."""
    require(truth_users, ["user_id", "entry_ms"], "truth users")
    late = truth_users["entry_ms"].to_numpy(np.int64) > WINDOW_START_MS
    return pd.Series(late, index=truth_users["user_id"].astype("int64").to_numpy())


def _score(name: str, flags: pd.Series, planted: pd.Series | None) -> dict:
    """One row of :func:`definition_check`: users called new, how many have a planted start in
    the window (the share that is right) and how many planted starters are found (NaN without
    a truth)."""
    f = flags.to_numpy(bool)
    n_new = int(f.sum())
    if planted is None:
        nan = float("nan")
        return dict(definition=name, called_new=n_new, planted_start_in_window=nan,
                    share_right=nan, share_found=nan)  # fmt: skip
    p = planted.reindex(flags.index, fill_value=False).to_numpy(bool)
    right, n_planted = int((f & p).sum()), int(p.sum())
    return {
        "definition": name,
        "called_new": n_new,
        "planted_start_in_window": right,
        "share_right": right / n_new if n_new else float("nan"),
        "share_found": right / n_planted if n_planted else float("nan"),
    }


def definition_check(
    first_day: pd.Series,
    users: pd.DataFrame,
    truth_users: pd.DataFrame | None = None,
    *,
    by: str = "first_watch",
    days_before: int = 0,
) -> pd.DataFrame:
    """Each definition of new users scored against the twin's planted start.

    Rows: the earlier definition (:data:`COHORT_DEFINITION`), then both account clocks at each
    of :data:`CHECK_DAYS_BEFORE` (and ``days_before``), over the users active in the window.

    Parameters
    ----------
    first_day : Series
        First active day in the window by ``user_id`` (the users compared).
    users, truth_users : DataFrame
        The users table; the twin's planted users (``entry_ms``; None: the counts only).
    by, days_before : str, int
        The chapter's definition (its row has ``chosen = True``).

    Returns
    -------
    DataFrame
        definition, clock, days_before (NaN for the cohort row), called_new,
        planted_start_in_window, share_right (the share of the users called new whose planted
        start is in the window), share_found (the share of the planted starters called new),
        chosen (the last three NaN without a truth).
    """
    planted = None if truth_users is None else planted_start_in_window(truth_users)
    ids = first_day.index.astype("int64")
    users = users[users["user_id"].astype("int64").isin(ids)]
    rows = [
        {
            **_score(COHORT_DEFINITION, first_day.astype(int) >= 1, planted),
            "clock": "cohort",
            "days_before": float("nan"),
            "chosen": False,
        }
    ]
    for clock in NEW_USER_CLOCKS:
        for days in sorted({*CHECK_DAYS_BEFORE, int(days_before)}):
            flags = new_user_flags(users, by=clock, days_before=days).reindex(ids, fill_value=False)
            where = "in the window" if days == 0 else f"in the window or up to {days} days before"
            row = _score(f"{CLOCK_WORDS[clock]} {where}", flags, planted)
            chosen = clock == by and days == int(days_before)
            rows.append({**row, "clock": clock, "days_before": float(days), "chosen": chosen})
    cols = ["definition", "clock", "days_before", "called_new", "planted_start_in_window"]
    return pd.DataFrame(rows)[[*cols, "share_right", "share_found", "chosen"]]
