"""Sufficient statistics per (segment level, user): what every KPI table, funnel and
user-clustered bootstrap interval of the chapter is computed from.

:class:`UserStats` holds, for one segment column (or none: overall), one row per (level, user)
with the user's exposures (``s_exposure``) and the sums of the exposure table's flags and counts
(:data:`STAT_COLUMNS`), sorted by (level, user). They come either from the event engine
(:class:`EngineStats`: the SQL of :mod:`kuailive_analysis.engine.queries.funnel` over the
materialised exposure table, a few hundred thousand rows at full scale) or from a pandas
exposure table (:func:`frame_user_stats`, for hand-made frames). The statistics themselves (rates,
Wilson intervals, the Poisson bootstrap over users) are numpy on these sums
(:mod:`.kpis`, :mod:`.intervals`, :mod:`.steps`), so both sources give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.core.keys import dense_codes
from kuailive_analysis.engine.queries.funnel import STAT_COLUMNS

__all__ = ["STAT_COLUMNS", "EngineStats", "UserStats", "frame_user_stats", "user_stats"]


@dataclass(frozen=True)
class UserStats:
    """Per-(level, user) sums of one segment column, rows sorted by (level, user)."""

    levels: pd.Index
    """The levels present, in the order of the KPI tables (``["all"]`` named ``segment`` when
    overall)."""
    level: np.ndarray
    """Position into :attr:`levels` of each row (int64)."""
    user: np.ndarray
    """Dense code of the row's user among all users of the exposure table (int64)."""
    n_users: int
    """Number of users of the whole exposure table (the bootstrap draws one weight each)."""
    sums: dict
    """Column name -> per-row sum (float64), for the available :data:`STAT_COLUMNS`."""

    def totals(self, column: str) -> np.ndarray:
        """Sum of ``column`` per level (float64, exact for integer sums below 2**53)."""
        return np.bincount(self.level, weights=self.sums[column], minlength=len(self.levels))


class EngineStats:
    """The statistics of the engine's ``funnel_exposures`` table, one query per segment column
    (cached); ``exposures`` is the pandas exposure table read from the same table (its
    dtypes give the level types and categories; ``sql_codes`` maps a categorical column's SQL
    codes to the pandas codes)."""

    def __init__(self, engine, exposures: pd.DataFrame, sql_codes: dict[str, np.ndarray]):
        self.engine = engine
        self.exposures = exposures
        self.sql_codes = sql_codes
        self._cache: dict = {}
        self._users: np.ndarray | None = None

    @property
    def columns(self) -> pd.Index:
        return self.exposures.columns

    def __len__(self) -> int:
        return len(self.exposures)

    def _frame(self, by: str | None) -> pd.DataFrame:
        from kuailive_analysis.engine.queries.funnel import user_stats_query

        return self.engine.frame(user_stats_query(by))

    def get(self, by: str | None) -> UserStats:
        if by in self._cache:
            return self._cache[by]
        if by is not None and by not in self.exposures.columns:
            raise KeyError(by)
        df = None
        if self._users is None:  # every user of the table: the overall statistics' rows
            df = self._frame(None)
            self._users = np.sort(df["user_id"].to_numpy(np.int64))
        if by is not None or df is None:
            df = self._frame(by)
        user = np.searchsorted(self._users, df["user_id"].to_numpy(np.int64))
        if by is None:
            levels = pd.Index(["all"], name="segment")
            level = np.zeros(len(df), np.int64)
        else:
            raw = df["level"].to_numpy(np.int64)
            dtype = self.exposures[by].dtype
            if isinstance(dtype, pd.CategoricalDtype):
                raw = self.sql_codes[by][raw]
                present = np.unique(raw)
                levels = pd.CategoricalIndex(
                    pd.Categorical.from_codes(present, dtype=dtype), name=by
                )
            else:
                present = np.unique(raw)
                levels = pd.Index(present.astype(dtype), name=by)
            level = np.searchsorted(present, raw)
        order = np.lexsort((user, level))
        sums = {c: df[c].to_numpy(np.float64)[order] for c in STAT_COLUMNS}
        out = UserStats(levels, level[order], user[order], len(self._users), sums)
        self._cache[by] = out
        return out


def frame_user_stats(exposures: pd.DataFrame, by: str | None, columns=()) -> UserStats:
    """:class:`UserStats` of a pandas exposure table (the columns of :data:`STAT_COLUMNS` it
    has and any other ``columns``; ``s_exposure`` counts rows). Levels as ``groupby(by, observed=True, sort=True)`` gives
    them; rows with a missing level are left out."""
    ucode, n_users = dense_codes(exposures["user_id"].to_numpy())
    if by is None:
        level = np.zeros(len(exposures), np.int64)
        levels = pd.Index(["all"], name="segment")
    else:
        level, levels = pd.factorize(exposures[by], sort=True)
        levels = pd.Index(levels, name=by)
    keep = level >= 0
    key = level.astype(np.int64) * max(n_users, 1) + ucode
    if not keep.all():
        key = key[keep]
    dense = len(levels) * n_users <= 50_000_000
    if dense:
        cnt = np.bincount(key, minlength=len(levels) * n_users)
        pairs = np.flatnonzero(cnt)
        slot, size = key, len(cnt)
    else:
        pairs, slot = np.unique(key, return_inverse=True)
        size = len(pairs)
        cnt = np.bincount(slot, minlength=size)

    def per_pair(v):
        sums = np.bincount(slot, weights=v if keep.all() else v[keep], minlength=size)
        return sums[pairs] if dense else sums

    sums = {"s_exposure": (cnt[pairs] if dense else cnt).astype(np.float64)}
    for c in dict.fromkeys([*STAT_COLUMNS, *columns]):
        if c in exposures.columns and c != "s_exposure":
            sums[c] = per_pair(exposures[c].to_numpy(np.float64))
    if "gift_value" in exposures.columns:
        sums["gift_value_sq"] = per_pair(exposures["gift_value"].to_numpy(np.float64) ** 2)
    n = max(n_users, 1)
    return UserStats(levels, pairs // n, pairs % n, n_users, sums)


def user_stats(exposures, by: str | None, columns=()) -> UserStats:
    """The statistics of ``by`` from an :class:`EngineStats` or a pandas exposure table."""
    if isinstance(exposures, EngineStats):
        return exposures.get(by)
    return frame_user_stats(exposures, by, columns)
