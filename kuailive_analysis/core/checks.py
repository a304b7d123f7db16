"""Input checks shared by the analyses: one message format, each module's own error class."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def require_columns(
    frame, columns: Iterable[str], what: str, *, error: type[Exception] = ValueError, hint: str = ""
) -> None:
    """Raise ``error`` unless ``frame`` is a DataFrame with every column in ``columns``.

    The message names the table (``what``), the missing columns and the columns it has, then
    ``hint`` (what to pass instead), e.g. ``"sessions is missing column(s) ['watch_ms']; it
    has [...]."``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise error(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"{what} is missing column(s) {missing}; it has {list(frame.columns)}."
        raise error(f"{msg} {hint}" if hint else msg)
