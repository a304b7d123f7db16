"""Sufficient statistics per (segment level, user): what every KPI table, funnel and
user-clustered bootstrap interval of the chapter is computed from.

:class:`UserStats` holds, for one segment column (or none: overall), one row per (level, user)
with the user's exposures (``s_exposure``) and the sums of the exposure table's flags and counts
(:data:`~kuailive_analysis.engine.queries.funnel.STAT_COLUMNS`), sorted by (level, user).
:class:`EngineStats` reads them from the event engine (the query ``funnel_user_stats_<column>``
over the materialised exposure table: a few hundred thousand rows at full scale). The
statistics themselves (rates, Wilson intervals, the Poisson bootstrap over users) are numpy on
these sums (:mod:`.kpis`, :mod:`.intervals`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.engine.queries.funnel import STAT_COLUMNS, user_stats_query

__all__ = ["EngineStats", "UserStats"]


@dataclass(frozen=True)
class UserStats:
    """Per-(level, user) sums of one segment column, rows sorted by (level, user).

    Parameters
    ----------
    by : str or None
        The segment column (None: overall, one level ``"all"``).
    levels : pandas.Index
        The levels present, in the order of the KPI tables (``["all"]`` named ``segment`` when
        overall).
    level : numpy.ndarray
        Position into ``levels`` of each row (int64).
    user : numpy.ndarray
        Dense code of the row's user among all users of the exposure table (int64).
    n_users : int
        Users of the whole exposure table (the bootstrap draws one weight each).
    sums : dict
        Column name -> per-row sum (float64): ``s_exposure`` (exposures) and the other
        statistics the caller needs.
    """

    by: str | None
    levels: pd.Index
    level: np.ndarray
    user: np.ndarray
    n_users: int
    sums: dict

    def totals(self, column: str) -> np.ndarray:
        """Sum of ``column`` per level (float64, exact for integer sums below 2**53)."""
        return np.bincount(self.level, weights=self.sums[column], minlength=len(self.levels))


class EngineStats:
    """The statistics of the engine's ``funnel_exposures`` table, one query per segment column
    (cached); ``dtypes`` are the pandas dtypes of the table's columns (the level types and
    categories; ``sql_codes`` maps a categorical column's SQL codes to the pandas codes)."""

    def __init__(self, engine, dtypes: dict, sql_codes: dict[str, np.ndarray]):
        self.engine = engine
        self.dtypes = dict(dtypes)
        self.sql_codes = sql_codes
        self._cache: dict = {}
        self._users: np.ndarray | None = None

    def get(self, by: str | None = None) -> UserStats:
        """The :class:`UserStats` of segment column ``by`` (None: overall)."""
        if by in self._cache:
            return self._cache[by]
        if by is not None and by not in self.dtypes:
            raise KeyError(by)
        df = None
        if self._users is None:  # every user of the table: the overall statistics' rows
            df = self.engine.frame(user_stats_query(None))
            self._users = np.sort(df["user_id"].to_numpy(np.int64))
        if by is not None or df is None:
            df = self.engine.frame(user_stats_query(by))
        user = np.searchsorted(self._users, df["user_id"].to_numpy(np.int64))
        if by is None:
            levels = pd.Index(["all"], name="segment")
            level = np.zeros(len(df), np.int64)
        else:
            raw = df["level"].to_numpy(np.int64)
            dtype = self.dtypes[by]
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
        out = UserStats(by, levels, level[order], user[order], len(self._users), sums)
        self._cache[by] = out
        return out
