r"""The leak audit of the CTR / GTR features: a feature is a **leak** when it is computed from data
at or after the moment its row is predicted (the exposure), not because it predicts well.

A strong feature built from the past is a *baseline* (the user's past GTR is the rule a team
would otherwise use to choose who sees a gifting prompt), never a leak; a weak feature built
from the future is still a leak. So the audit judges features by their time bound, twice:

* **By construction** (:data:`SOURCES`, :data:`FEATURE_SOURCE`): every feature declares where
  its data come from and when they are recorded. History features count outcomes of *earlier
  Beijing days* (day :math:`< d` for a row of day :math:`d`); the exposure's own time, its
  screen (exposures shown in the same millisecond) and its repeat index (the n-th millisecond
  the room was shown to the user) are known when it is shown and read no outcome; the room's
  type and category are set when the room starts. The user profile (age band, gender, device
  price) is a snapshot taken at the *end* of the window, after most rows: a leak by
  construction, left out of the models (:data:`LEAKS`).
* **Empirically** (:func:`recompute_check`): for each check day :math:`d` (the first day of
  the test rows, :data:`CHECK_DAYS`), the features of the day's rows are recomputed by the
  engine from the rows of days :math:`\le d` only, with every label of day :math:`d` flipped
  (a click becomes a non-click and the other way round), and compared with the features the
  models use. A
  feature that reads the future or the row's own outcome changes; the largest absolute change
  per feature is reported (0 for every feature that passes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kuailive_analysis.engine.queries import predict as PQ
from kuailive_analysis.predict.features import (
    FEATURE_GROUPS,
    SPLITS,
    feature_label,
    history_features,
    rows_query,
    split_codes,
    take_rows,
)

__all__ = [
    "CHECK_DAYS",
    "FEATURE_SOURCE",
    "LEAKS",
    "SOURCES",
    "Source",
    "audit_table",
    "check_days",
    "recompute_check",
]


@dataclass(frozen=True)
class Source:
    """Where a group of features comes from: its time bound in words, whether that makes it a
    leak and why."""

    bound: str
    leak: bool
    why: str


SOURCES = {
    "history": Source(
        "outcomes of earlier Beijing days only (day < the row's day); smoothing prior: the "
        "train-part rate",
        False,
        "uses only the past, however strongly it predicts: a baseline, not a leak",
    ),
    "exposure": Source(
        "the exposure itself: its time, the exposures shown in the same millisecond and the "
        "earlier exposures of the room to the user",
        False,
        "known when the exposure is shown; reads no click, gift or watch",
    ),
    "room": Source(
        "the room's record (type and category), set when the room starts",
        False,
        "fixed before the exposure",
    ),
    "profile": Source(
        "a snapshot of the user's profile taken at the end of the window",
        True,
        "recorded after the row: it uses the future (a band or a device can change in the "
        "window), so the models leave it out",
    ),
}
"""The time bound of each source of features (module docstring)."""

GROUP_SOURCE = {
    "user history": "history",
    "streamer history": "history",
    "user x streamer history": "history",
    "time and position": "exposure",
    "room": "room",
    "user profile": "profile",
}
"""The source of each feature group of :data:`~.features.FEATURE_GROUPS`."""

FEATURE_SOURCE = {c: GROUP_SOURCE[g] for g, cols in FEATURE_GROUPS.items() for c in cols}
"""Feature column -> its source (a key of :data:`SOURCES`)."""

LEAKS = frozenset(c for c, s in FEATURE_SOURCE.items() if SOURCES[s].leak)
"""The features that are leaks by construction: never fitted, never a baseline."""

CHECK_DAYS = 1
"""Days on which :func:`recompute_check` recomputes the features: the first days of the test
part. The first is the most telling: every later day is dropped and its own labels are
flipped, so a feature that reads either the future or the row's own outcome changes. Each day
costs one engine query over the rows up to it."""

HISTORY_LABELS = ("clicked", "gifted")
"""The outcome columns flipped on the check day (by the engine:
:data:`~kuailive_analysis.engine.queries.predict.PRIOR_COUNTS` with ``flip_day``; a click
becomes a non-click and the other way round, every new click a gift, so gifts stay a subset
of clicks)."""


def _positions(engine, rows: pd.DataFrame, day: int) -> pd.DataFrame:
    """Screen size and repeat index of ``rows`` (rows of day ``day``: user_id, live_id, ts_ms),
    recomputed by the engine from the exposures of days ``<= day``
    (:data:`~kuailive_analysis.engine.queries.predict.PREDICT_POSITIONS`): exposures of the user
    in the row's millisecond, and the dense rank of the millisecond among the (user, live)'s
    exposures. Logs, as the features; NaN when a row is not found."""
    p = rows_query(
        engine, PQ.PREDICT_POSITIONS, rows, ["user_id", "live_id", "ts_ms"], last_day=int(day)
    )
    return pd.DataFrame(
        {
            "log_screen": np.log(p["screen_size"].to_numpy(np.float64)),
            "log_index": np.log(p["exposure_index"].to_numpy(np.float64)),
        }
    )


def check_days(exposures: pd.DataFrame, split) -> list[int]:
    """The days :func:`recompute_check` uses: the first :data:`CHECK_DAYS` days holding test
    rows (none when the test part is empty)."""
    days = np.unique(exposures["day"].to_numpy()[split_codes(split) == SPLITS.index("test")])
    return [int(d) for d in days[:CHECK_DAYS]]


def recompute_check(
    exposures: pd.DataFrame,
    features: pd.DataFrame,
    rows: np.ndarray,
    *,
    engine,
    base_rates: tuple[float, float],
    prior_strength: float,
    days,
) -> pd.DataFrame:
    """The empirical half of the audit (module docstring).

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table.
    features : pandas.DataFrame
        The features the models use, of the rows ``rows`` (aligned).
    rows : numpy.ndarray
        Sorted positions in ``exposures`` of the feature rows.
    engine : Engine
        Holds the same table as the view :data:`~.features.EXPOSURES_VIEW`; it recomputes the
        history and the positions of the check day's rows from the rows of days up to it, with
        that day's labels flipped (only the check day's rows pass through pandas).
    base_rates, prior_strength
        The smoothing of the history rates, as the features were built.
    days : iterable of int
        The check days.

    Returns
    -------
    pandas.DataFrame
        One row per recomputable feature (history, and the exposure's hour, screen and repeat
        index when the table has them): ``feature``, ``max_change`` (largest absolute
        difference over the checked rows; infinite when a row's value cannot be recomputed),
        ``rows_checked``.
    """
    rows = np.asarray(rows, np.int64)
    day = exposures["day"].to_numpy()
    hist = [c for c, s in FEATURE_SOURCE.items() if s == "history" and c in features]
    expo = [c for c in ("hour", "hour_sin", "hour_cos") if c in features]
    pos = [c for c in ("log_screen", "log_index") if c in features]
    need = ["user_id", "streamer_id", "day", "hour"]
    if pos:
        need += ["live_id", "ts_ms"]
    change = dict.fromkeys([*hist, *expo, *pos], 0.0)
    checked = 0
    for d in days:
        mine = rows[day[rows] == d]
        if not len(mine):
            continue
        sub = take_rows(exposures, mine, need)
        new = history_features(
            sub, engine, prior_strength, base_rates, last_day=int(d), flip_day=int(d)
        )
        if pos:
            recomputed = _positions(engine, sub, int(d))
            for c in pos:
                new[c] = recomputed[c].to_numpy()
        old = features.iloc[np.searchsorted(rows, mine)]
        for c in change:
            diff = np.abs(new[c].to_numpy(np.float64) - old[c].to_numpy(np.float64))
            diff[np.isnan(diff)] = np.inf  # a value the recomputation cannot find counts too
            change[c] = max(change[c], float(diff.max()))
        checked += len(mine)
    return pd.DataFrame(
        {"feature": list(change), "max_change": list(change.values()), "rows_checked": checked}
    )


def audit_table(columns, recomputed: pd.DataFrame, strength: dict[str, pd.DataFrame]):
    """The leak audit, one row per feature.

    Parameters
    ----------
    columns : iterable of str
        The feature columns built.
    recomputed : pandas.DataFrame
        :func:`recompute_check`.
    strength : dict
        Task short key -> :func:`~.checks.single_feature_auc` of that task.

    Returns
    -------
    pandas.DataFrame
        ``feature`` (readable), ``column``, ``time bound``, ``leak`` (yes / no), ``why``,
        ``largest change when recomputed from earlier days`` (NaN: not recomputable, the
        record has no earlier version) and ``AUC alone, <task>`` per task.
    """
    rec = recomputed.set_index("feature")["max_change"] if len(recomputed) else pd.Series()
    rows = []
    for c in columns:
        s = SOURCES[FEATURE_SOURCE[c]]  # a feature without a declared source is an error
        row = {
            "feature": feature_label(c),
            "column": c,
            "time bound": s.bound,
            "leak": "yes" if s.leak else "no",
            "why": s.why,
            "largest change when recomputed from earlier days": float(rec.get(c, np.nan)),
        }
        for t, table in strength.items():
            a = table.set_index("feature")["auc"] if len(table) else pd.Series()
            row[f"AUC alone, {t.upper()}"] = float(a.get(c, np.nan))
        rows.append(row)
    return pd.DataFrame(rows)
