"""Position effects: exposures shown together in one millisecond (a screen) and repeat
exposures of the same room to the same user."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.keys import pair_key
from kuailive_analysis.funnel.common import runs


def add_positions(
    exposures: pd.DataFrame, cap_screen: int = 10, cap_index: int = 5
) -> pd.DataFrame:
    """Add ``screen_size`` and ``exposure_index`` to an exposure table.

    * ``screen_size``: number of exposures (clicks + negatives) of the same user in the same
      millisecond (one "screen" shown at once); the data give no order within a screen.
    * ``exposure_index``: 1 + number of earlier *distinct milliseconds* in which the same
      room was exposed to the same user (tied exposures share an index, so the result does
      not depend on row order). 1 = first exposure of the room to the user.

    ``*_cap`` columns are the same values capped at ``cap_screen`` / ``cap_index`` for tables.
    """
    ex = exposures.copy(deep=False)
    user = ex["user_id"].to_numpy()
    ts = ex["ts_ms"].to_numpy(np.int64)
    # screen size: length of the run of equal (user, ts) after sorting by them
    order = np.lexsort((ts, user))
    start = runs(user[order], ts[order])
    run_id = np.cumsum(start) - 1
    size = np.diff(np.append(np.flatnonzero(start), len(order)))
    screen = np.empty(len(order), dtype=np.int32)
    screen[order] = size[run_id]
    ex["screen_size"] = screen
    # exposure index: dense rank of ts within the (user, live) pair
    ul = pair_key(user, ex["live_id"])
    order = np.lexsort((ts, ul))
    ul_s, ts_s = ul[order], ts[order]
    new_pair = runs(ul_s)
    new_ts = runs(ul_s, ts_s)
    c = np.cumsum(new_ts)
    base = np.maximum.accumulate(np.where(new_pair, c, 0))
    idx = np.empty(len(order), dtype=np.int32)
    idx[order] = c - base + 1
    ex["exposure_index"] = idx
    ex["screen_size_cap"] = np.minimum(ex["screen_size"], cap_screen).astype(np.int32)
    ex["exposure_index_cap"] = np.minimum(ex["exposure_index"], cap_index).astype(np.int32)
    return ex


def position_summary(exposures: pd.DataFrame) -> pd.Series:
    """CTR of single-exposure screens vs screens of 2+, first vs repeat exposures, the shares
    of multi-exposure screens and of repeats, and the median screen size (NaN when empty)."""
    ex = exposures
    single = ex["screen_size"].to_numpy() == 1
    first = ex["exposure_index"].to_numpy() == 1
    clicked = ex["clicked"].to_numpy()
    nan = float("nan")

    def rate(mask):
        return float(clicked[mask].mean()) if mask.any() else nan

    return pd.Series(
        {
            "share_multi_screen": float((~single).mean()) if len(ex) else nan,
            "ctr_single_screen": rate(single),
            "ctr_multi_screen": rate(~single),
            "share_repeat_exposure": float((~first).mean()) if len(ex) else nan,
            "ctr_first_exposure": rate(first),
            "ctr_repeat_exposure": rate(~first),
            "median_screen_size": float(np.median(ex["screen_size"])) if len(ex) else nan,
        },
        dtype=np.float64,
    )
