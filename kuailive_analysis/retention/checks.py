"""The retention error type and the input checks every estimator shares."""

from __future__ import annotations

import pandas as pd

from kuailive_analysis.core.checks import require_columns


class RetentionError(ValueError):
    """Bad input to a retention function (the message names the frame, column and value)."""


def require(frame: pd.DataFrame, columns, what: str) -> None:
    """:func:`core.checks.require_columns` raising :class:`RetentionError`."""
    hint = "Pass the Dataset's table (or a frame with these columns)."
    require_columns(frame, list(columns), what, error=RetentionError, hint=hint)


def check_days(days: pd.Series, what: str, last_day: int) -> None:
    """Day indices are present and inside ``0 .. last_day``."""
    if days.isna().any():
        raise RetentionError(f"{what}.day has {int(days.isna().sum())} missing value(s).")
    bad = days[(days < 0) | (days > last_day)]
    if len(bad):
        raise RetentionError(
            f"{what}.day has value {int(bad.iloc[0])} outside 0..{last_day} "
            f"({len(bad)} row(s)); day is the Beijing day index since 2025-05-05."
        )


def fit_ready(table: pd.DataFrame, what: str = "survival table") -> pd.DataFrame:
    """The eligible rows of a survival table (all rows without an ``eligible`` column), checked
    for fitting: at least one row, every duration at least one day."""
    require(table, ["duration", "event"], what)
    if "eligible" in table.columns:
        table = table[table["eligible"]]
    if table.empty:
        raise RetentionError(f"{what} has no eligible rows to fit.")
    if (table["duration"] < 1).any():
        raise RetentionError(f"{what}.duration must be >= 1 day for eligible rows.")
    return table
