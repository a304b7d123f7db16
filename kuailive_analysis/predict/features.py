r"""The chronological split and the history features of the CTR / GTR models.

* **Chronological split** of the rows by time (default 8:1:1 as in the KuaiLive paper's CTR
  benchmark): cut points are timestamps, so rows sharing a millisecond stay together.
* **Features are history only**: counts of exposures, clicks and gifting clicks of the user,
  the streamer and the (user, streamer) pair on *earlier Beijing days* (never the same day),
  their logs :math:`\log(1 + n)`, and smoothed rates

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

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.keys import pair_key

__all__ = [
    "CATEGORICAL",
    "FEATURE_GROUPS",
    "SPLITS",
    "chronological_split",
    "feature_label",
    "history_features",
    "prepare",
    "prior_day_sums",
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


def prior_day_sums(
    key: np.ndarray, day: np.ndarray, values: pd.DataFrame, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """For each row, the sums of ``values`` over rows with the same ``key`` on earlier days.

    Parameters
    ----------
    key : numpy.ndarray
        int64 keys, >= 0 and < 2**58.
    day : numpy.ndarray
        Day index of each row, 0..31.
    values : pandas.DataFrame
        The columns to sum.
    rows : numpy.ndarray, optional
        Row positions to return (the totals still use every row).

    Returns
    -------
    pandas.DataFrame
        The prior sums, computed from per-(key, day) totals: the cumulative total up to and
        including the day minus that day's total.
    """
    key = np.asarray(key, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    if len(day) and (day.min() < 0 or day.max() > 31):
        raise ValueError("prior_day_sums: day must be in 0..31")
    kd = key * 32 + day
    # per-(key, day) totals by sort + bincount; uniq is sorted, so each key's days are one
    # contiguous run and the cumulative total within a key is a global cumsum minus the
    # cumsum before the run (exact: the values are counts)
    uniq, inv = np.unique(kd, return_inverse=True)
    del kd
    grp = uniq // 32
    start = np.ones(len(grp), dtype=bool)
    start[1:] = grp[1:] != grp[:-1]
    del grp, uniq
    run = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    del start
    sel = inv if rows is None else inv[rows]
    index = values.index if rows is None else values.index[rows]
    out = {}
    for c in values.columns:  # one column at a time: peak memory stays a few key-sized arrays
        agg = np.bincount(inv, weights=values[c].to_numpy(np.float64), minlength=len(run))
        cs = np.cumsum(agg)
        excl = cs - agg  # cumulative total before each (key, day)
        prior = excl - excl[first][run]  # minus the total before the key's first day
        out[c] = prior[sel]
        del agg, cs, excl, prior
    return pd.DataFrame(out, index=index, columns=values.columns)


CATEGORICAL = ("live_type", "live_content_category", "age", "gender", "device_price")


def history_features(
    exposures: pd.DataFrame,
    prior_strength: float = 20.0,
    base_rates: tuple[float, float] | None = None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """History features for every exposure row (see module docstring).

    Parameters
    ----------
    exposures : pandas.DataFrame
        user_id, streamer_id, day, hour, clicked, gifted, and optionally screen_size,
        exposure_index and the :data:`CATEGORICAL` columns (the exposure table of
        :data:`kuailive_analysis.engine.queries.funnel.EXPOSURES`).
    prior_strength : float
        :math:`a` of the smoothed rates.
    base_rates : tuple of two floats, optional
        (CTR, GTR) used as smoothing priors; default: the rates of the rows given.
    rows : numpy.ndarray, optional
        Sorted row positions: only those rows are returned (the history still counts every
        row), which keeps a 17.6M-row exposure table from needing a 17.6M x 25 float feature
        matrix when models use a sample.

    Returns
    -------
    pandas.DataFrame
        One row per exposure (or per ``rows``), aligned with ``exposures``.
    """
    need = ["user_id", "streamer_id", "day", "hour", "clicked", "gifted"]
    require_columns(exposures, need, "history_features: exposures")
    ex = exposures
    vals = pd.DataFrame(
        {
            "exp": np.ones(len(ex), np.int8),
            "clk": ex["clicked"].to_numpy(np.int8),
            "gft": ex["gifted"].to_numpy(np.int8),
        },
        index=ex.index,
    )
    if base_rates is None:
        p_ctr = float(vals["clk"].mean()) if len(ex) else 0.0
        p_gtr = float(vals["gft"].sum() / max(vals["clk"].sum(), 1.0))
    else:
        p_ctr, p_gtr = base_rates
    a = prior_strength
    sel = slice(None) if rows is None else np.asarray(rows, dtype=np.int64)
    feats = pd.DataFrame(index=ex.index[sel])
    day = ex["day"].to_numpy()
    # (user, streamer) key with 26 bits for the streamer (ids < 2**26); user ids < 2**31 keep
    # it below the 2**58 that prior_day_sums needs
    for name, key in (
        ("u", ex["user_id"].to_numpy(np.int64)),
        ("s", ex["streamer_id"].to_numpy(np.int64)),
        ("us", pair_key(ex["user_id"], ex["streamer_id"], bits=26)),
    ):
        p = prior_day_sums(key, day, vals, None if rows is None else sel)
        feats[f"{name}_exp"] = np.log1p(p["exp"].to_numpy())
        feats[f"{name}_clk"] = np.log1p(p["clk"].to_numpy())
        feats[f"{name}_gft"] = np.log1p(p["gft"].to_numpy())
        feats[f"{name}_ctr"] = (p["clk"] + a * p_ctr) / (p["exp"] + a)
        feats[f"{name}_gtr"] = (p["gft"] + a * p_gtr) / (p["clk"] + a)
    del vals
    h = ex["hour"].to_numpy(np.float64)[sel]
    feats["hour"] = h
    feats["hour_sin"] = np.sin(2 * np.pi * h / 24)
    feats["hour_cos"] = np.cos(2 * np.pi * h / 24)
    if "screen_size" in ex:
        feats["log_screen"] = np.log(ex["screen_size"].to_numpy(np.float64)[sel])
    if "exposure_index" in ex:
        feats["log_index"] = np.log(ex["exposure_index"].to_numpy(np.float64)[sel])
    for c in CATEGORICAL:
        if c in ex:
            col = ex[c].astype("category")
            feats[c] = col if rows is None else col.iloc[sel].array
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


def prepare(
    exposures: pd.DataFrame,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    prior_strength: float = 20.0,
    rows: np.ndarray | None = None,
) -> tuple[pd.Categorical, pd.DataFrame]:
    """The chronological split and the history features (smoothing priors = train-part CTR
    and GTR), shared by both tasks.

    Returns
    -------
    tuple
        ``(split, features)``; with ``rows`` (sorted row positions) the features of those
        rows only and ``(split, features, rows)``.
    """
    split = chronological_split(exposures["ts_ms"], fractions)
    feats = history_features(
        exposures, prior_strength, train_base_rates(exposures, split), rows=rows
    )
    return (split, feats) if rows is None else (split, feats, np.asarray(rows, np.int64))


def train_base_rates(exposures: pd.DataFrame, split) -> tuple[float, float]:
    """The train part's CTR (clicks / exposures) and GTR (gifting clicks / clicks): the
    smoothing priors of the history rates (0 for an empty part)."""
    tr = np.asarray(split == "train")
    clicked = exposures["clicked"].to_numpy(bool)
    gifted = exposures["gifted"].to_numpy(bool)
    base_ctr = float(clicked[tr].mean()) if tr.any() else 0.0
    base_gtr = float(gifted[tr & clicked].mean()) if (tr & clicked).any() else 0.0
    return base_ctr, base_gtr
