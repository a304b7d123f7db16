"""Position effects: exposures shown together in one millisecond (a screen: ``screen_size``) and
repeat exposures of the same room to the same user (``exposure_index``), columns of the exposure
table (:data:`~kuailive_analysis.engine.queries.funnel.EXPOSURES`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["position_summary"]


def position_summary(exposures: pd.DataFrame) -> pd.Series:
    """Position effects of an exposure table.

    Parameters
    ----------
    exposures : pandas.DataFrame
        ``clicked``, ``screen_size`` and ``exposure_index`` per exposure.

    Returns
    -------
    pandas.Series
        CTR of single-exposure screens vs screens of 2+, of first vs repeat exposures, the
        shares of multi-exposure screens and of repeats, and the median screen size (NaN
        when empty).
    """
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
