r"""The chronological split and the history features of the CTR / GTR models.

* **Chronological split** of the rows by time (default 8:1:1 as in the KuaiLive paper's CTR
  benchmark): cut points are timestamps, so rows sharing a millisecond stay together.
* **Features are history only**: counts of exposures, clicks and gifting clicks of the user,
  the streamer and the (user, streamer) pair on *earlier Beijing days* (never the same day),
  counted by the engine over the whole exposure table (:func:`prior_counts`; pandas receives
  the counts of the featurised rows only, matched by (user, streamer, day)), their logs
  :math:`\log(1 + n)`, and smoothed rates

  .. math::

      \widetilde{\mathrm{CTR}} = \frac{k + a\, p_0}{n + a}, \qquad
      \widetilde{\mathrm{GTR}} = \frac{g + a\, q_0}{k + a},

  with :math:`n, k, g` the earlier exposures, clicks and gifting clicks, :math:`p_0, q_0` the
  train-period CTR and GTR and :math:`a` = ``prior_strength``; hour of day (and its sine and
  cosine), screen size and repeat-exposure index (known when the screen is shown), room type
  and category, and the user's age band, gender and device price (a profile snapshot taken at
  the end of the window: a leak, built here for the audit of :mod:`.leaks` and left out of the
  models). No watch time (it is only known after the click).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.engine.queries import predict as PQ
from kuailive_analysis.engine.sql import Query

__all__ = [
    "CATEGORICAL",
    "EXPOSURES_VIEW",
    "FEATURE_GROUPS",
    "FEATURE_INPUTS",
    "PRIOR_COLUMNS",
    "SPLITS",
    "chronological_split",
    "feature_label",
    "history_features",
    "prepare",
    "prior_counts",
    "rows_query",
    "take_rows",
    "split_codes",
    "train_base_rates",
]

SPLITS = ("train", "valid", "test")


# ---------------------------------------------------------------------------------------------
def chronological_split(
    ts_ms, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
) -> pd.Categorical:
    """Label rows train / valid / test by time so the three parts hold about the given
    fractions of rows, earliest first.

    Parameters
    ----------
    ts_ms : array-like of int
        Event times (epoch ms).
    fractions : tuple of three floats
        Shares of rows of the three parts (non-negative, summing to 1).

    Returns
    -------
    pandas.Categorical
        ``train`` / ``valid`` / ``test`` per row: with cut points :math:`t_1 \\le t_2` (the
        times at the fractions' row positions), train = ``ts < t1``, valid = ``t1 <= ts < t2``,
        test = ``ts >= t2``; rows sharing a millisecond share a part.
    """
    f = np.asarray(fractions, dtype=np.float64)
    if f.shape != (3,) or (f < 0).any() or not np.isclose(f.sum(), 1.0):
        raise ValueError(
            f"fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    t = np.asarray(ts_ms, dtype=np.int64)
    if len(t) == 0:
        return pd.Categorical([], categories=SPLITS)
    srt = np.sort(t)
    n = len(t)
    t1 = srt[min(int(round(f[0] * n)), n - 1)]
    t2 = srt[min(int(round((f[0] + f[1]) * n)), n - 1)]
    code = np.where(t < t1, 0, np.where(t < t2, 1, 2)).astype(np.int8)
    return pd.Categorical.from_codes(code, SPLITS)


EXPOSURES_VIEW = "funnel_exposures"
"""The engine view of the exposure table the history is counted over (chapter 5 registers it,
:func:`kuailive_analysis.funnel.engine.engine_tables`)."""

PRIOR_COLUMNS = tuple(f"{who}_{what}" for who in ("u", "s", "us") for what in ("exp", "clk", "gft"))
"""The counts of :data:`~kuailive_analysis.engine.queries.predict.PRIOR_COUNTS`: exposures,
clicks and gifting clicks of the user, the streamer and the (user, streamer) pair on earlier
days."""


def take_rows(exposures: pd.DataFrame, rows: np.ndarray, columns) -> pd.DataFrame:
    """The columns ``columns`` (those present) of the rows at positions ``rows``, column by
    column (a ``.iloc`` on the whole frame would consolidate its blocks: a copy of every
    column of every row)."""
    return pd.DataFrame({c: exposures[c].take(rows) for c in columns if c in exposures})


def rows_query(engine, query: Query, rows: pd.DataFrame, keys, **params) -> pd.DataFrame:
    """Run ``query`` over the engine view :data:`EXPOSURES_VIEW` for the rows ``rows``.

    The distinct ``keys`` of ``rows`` are written to a Parquet file (next to the exposure
    view's files when it has any) and registered as the view
    :data:`~kuailive_analysis.engine.queries.predict.PREDICT_ROWS`; the query returns one row
    per distinct key, joined back to ``rows`` by the key values (never by row position).

    Returns
    -------
    pandas.DataFrame
        The query's other columns, one row per row of ``rows`` (same index).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    keys = list(keys)
    k = pd.DataFrame({c: rows[c].to_numpy(np.int64) for c in keys}).drop_duplicates()
    src = engine.tables.get(EXPOSURES_VIEW, ())
    parent = Path(src[0]).parent if src else None
    with tempfile.TemporaryDirectory(prefix="predict-rows-", dir=parent) as tmp:
        path = Path(tmp) / "rows.parquet"
        pq.write_table(pa.Table.from_pandas(k, preserve_index=False), path)
        del k
        engine.register(PQ.PREDICT_ROWS, path)
        try:
            got = engine.frame(query, **params)
        finally:
            engine.execute(f"DROP VIEW IF EXISTS {PQ.PREDICT_ROWS}")
            engine.tables.pop(PQ.PREDICT_ROWS, None)
    left = pd.DataFrame({c: rows[c].to_numpy(np.int64) for c in keys})
    got = got.astype({c: np.int64 for c in keys})
    out = left.merge(got, on=keys, how="left", validate="many_to_one").drop(columns=keys)
    out.index = rows.index
    return out


def prior_counts(
    engine, rows: pd.DataFrame, *, last_day: int | None = None, flip_day: int | None = None
) -> pd.DataFrame:
    """The :data:`PRIOR_COLUMNS` of each row of ``rows`` (user_id, streamer_id, day), counted
    by the engine over :data:`EXPOSURES_VIEW`
    (:data:`~kuailive_analysis.engine.queries.predict.PRIOR_COUNTS`: rows of days
    ``<= last_day`` only, the labels of ``flip_day`` flipped; None: every day, none flipped).

    Returns
    -------
    pandas.DataFrame
        int64 counts, aligned with ``rows``.
    """
    require_columns(rows, ["user_id", "streamer_id", "day"], "prior_counts: rows")
    p = rows_query(
        engine,
        PQ.PRIOR_COUNTS,
        rows,
        ["user_id", "streamer_id", "day"],
        last_day=None if last_day is None else int(last_day),
        flip_day=None if flip_day is None else int(flip_day),
    )
    return p[list(PRIOR_COLUMNS)].astype(np.int64)


CATEGORICAL = ("live_type", "live_content_category", "age", "gender", "device_price")


def history_features(
    rows: pd.DataFrame,
    engine,
    prior_strength: float,
    base_rates: tuple[float, float],
    *,
    last_day: int | None = None,
    flip_day: int | None = None,
) -> pd.DataFrame:
    """History features of the exposure rows ``rows`` (see module docstring).

    Parameters
    ----------
    rows : pandas.DataFrame
        The rows to featurise: user_id, streamer_id, day, hour, and optionally screen_size,
        exposure_index and the :data:`CATEGORICAL` columns (columns of
        :data:`kuailive_analysis.engine.queries.funnel.EXPOSURES`).
    engine : Engine
        Holds the whole exposure table as the view :data:`EXPOSURES_VIEW`; it counts the
        history (:func:`prior_counts`, with ``last_day`` and ``flip_day``).
    prior_strength : float
        :math:`a` of the smoothed rates.
    base_rates : tuple of two floats
        (CTR, GTR) used as smoothing priors (:func:`train_base_rates`).

    Returns
    -------
    pandas.DataFrame
        One row per row of ``rows`` (same index).
    """
    need = ["user_id", "streamer_id", "day", "hour"]
    require_columns(rows, need, "history_features: rows")
    p_ctr, p_gtr = base_rates
    a = prior_strength
    prior = prior_counts(engine, rows, last_day=last_day, flip_day=flip_day)
    feats = pd.DataFrame(index=rows.index)
    for name in ("u", "s", "us"):
        exp, clk, gft = (prior[f"{name}_{w}"].to_numpy(np.float64) for w in ("exp", "clk", "gft"))
        feats[f"{name}_exp"] = np.log1p(exp)
        feats[f"{name}_clk"] = np.log1p(clk)
        feats[f"{name}_gft"] = np.log1p(gft)
        feats[f"{name}_ctr"] = (clk + a * p_ctr) / (exp + a)
        feats[f"{name}_gtr"] = (gft + a * p_gtr) / (clk + a)
    del prior
    h = rows["hour"].to_numpy(np.float64)
    feats["hour"] = h
    feats["hour_sin"] = np.sin(2 * np.pi * h / 24)
    feats["hour_cos"] = np.cos(2 * np.pi * h / 24)
    if "screen_size" in rows:
        feats["log_screen"] = np.log(rows["screen_size"].to_numpy(np.float64))
    if "exposure_index" in rows:
        feats["log_index"] = np.log(rows["exposure_index"].to_numpy(np.float64))
    for c in CATEGORICAL:
        if c in rows:
            feats[c] = rows[c].astype("category").array
    return feats


FEATURE_GROUPS = {
    "user history": ("u_exp", "u_clk", "u_gft", "u_ctr", "u_gtr"),
    "streamer history": ("s_exp", "s_clk", "s_gft", "s_ctr", "s_gtr"),
    "user x streamer history": ("us_exp", "us_clk", "us_gft", "us_ctr", "us_gtr"),
    "time and position": ("hour", "hour_sin", "hour_cos", "log_screen", "log_index"),
    "room": ("live_type", "live_content_category"),
    "user profile": ("age", "gender", "device_price"),
}
"""Features by what they describe (the permutation-importance table permutes a group at once)."""

FEATURE_LABELS = {
    "exp": "past exposures (log)",
    "clk": "past clicks (log)",
    "gft": "past gifting clicks (log)",
    "ctr": "past CTR (smoothed)",
    "gtr": "past GTR (smoothed)",
}
_WHO = {"u": "user's", "s": "streamer's", "us": "user x streamer"}


def feature_label(name: str) -> str:
    """Readable name of a feature column (``u_gtr`` -> ``user's past GTR (smoothed)``)."""
    who, _, what = name.partition("_")
    if who in _WHO and what in FEATURE_LABELS:
        return f"{_WHO[who]} {FEATURE_LABELS[what]}"
    return name.replace("_", " ")


FEATURE_INPUTS = ("user_id", "streamer_id", "day", "hour", "screen_size", "exposure_index",
                  *CATEGORICAL)  # fmt: skip
"""The exposure columns :func:`history_features` reads (those present)."""


def prepare(
    exposures: pd.DataFrame,
    engine,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    prior_strength: float = 20.0,
    rows: np.ndarray | None = None,
) -> tuple[pd.Categorical, pd.DataFrame]:
    """The chronological split and the history features (smoothing priors = train-part CTR
    and GTR), shared by both tasks.

    Parameters
    ----------
    exposures : pandas.DataFrame
        The exposure table (ts_ms, clicked, gifted and the :data:`FEATURE_INPUTS`).
    engine : Engine
        Holds the same table as the view :data:`EXPOSURES_VIEW` (:func:`history_features`).
    fractions, prior_strength
        As in :func:`chronological_split` and :func:`history_features`.
    rows : numpy.ndarray, optional
        Sorted row positions to featurise (default: every row).

    Returns
    -------
    tuple
        ``(split, features)``; with ``rows`` the features of those rows only and
        ``(split, features, rows)``.
    """
    split = chronological_split(exposures["ts_ms"], fractions)
    at = np.arange(len(exposures)) if rows is None else np.asarray(rows, np.int64)
    sub = take_rows(exposures, at, FEATURE_INPUTS)
    base = train_base_rates(exposures, split)
    feats = history_features(sub, engine, prior_strength, base)
    return (split, feats) if rows is None else (split, feats, at)


def split_codes(split) -> np.ndarray:
    """The part of each row as an int8 code, 0 train, 1 valid, 2 test (:data:`SPLITS` order):
    the codes of :func:`chronological_split`'s Categorical as they are (no array of strings per
    row: 35M Python references at scale 2), other labellings converted."""
    if isinstance(split, pd.Categorical) and tuple(split.categories) == SPLITS:
        return split.codes
    return pd.Categorical(np.asarray(split), categories=SPLITS).codes


def train_base_rates(exposures: pd.DataFrame, split) -> tuple[float, float]:
    """The train part's CTR (clicks / exposures) and GTR (gifting clicks / clicks): the
    smoothing priors of the history rates (0 for an empty part)."""
    tr = split_codes(split) == SPLITS.index("train")
    clicked = exposures["clicked"].to_numpy(bool)
    gifted = exposures["gifted"].to_numpy(bool)
    base_ctr = float(clicked[tr].mean()) if tr.any() else 0.0
    base_gtr = float(gifted[tr & clicked].mean()) if (tr & clicked).any() else 0.0
    return base_ctr, base_gtr
