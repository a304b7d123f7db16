"""The nested funnel: units reaching each step, step and overall conversion with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.stats import wilson_interval
from kuailive_analysis.funnel.common import HINT, STEPS, check_interval
from kuailive_analysis.funnel.intervals import stats_intervals
from kuailive_analysis.funnel.stats import EngineStats, user_stats


def funnel(
    exposures: pd.DataFrame,
    by: str | list[str] | None = None,
    conf: float = 0.95,
    interval: str = "wilson",
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Nested funnel counts with step and overall conversion and their intervals.

    Long format: one row per (segment..., step) with ``n``, ``step_rate`` (n / n of the
    previous step; 1 for exposures), ``step_lo, step_hi``, ``overall_rate`` (n / exposures),
    ``overall_lo, overall_hi``. The bounds are Wilson intervals (``interval="wilson"``) or
    user-clustered bootstrap percentiles (``"user"``, one segment column at most,
    :func:`~kuailive_analysis.funnel.intervals.user_intervals`); the caller knows which.
    """
    flags = ["s_click", "s_qualified", "s_interaction", "s_gift"]
    if not isinstance(exposures, EngineStats):
        require_columns(exposures, flags, "funnel: table 'exposures'", hint=HINT)
    keys = [by] if isinstance(by, str) else list(by or [])
    check_interval(interval)
    us = None
    if isinstance(exposures, EngineStats):
        if len(keys) > 1:
            raise ValueError("funnel: the engine's statistics take one segment column at most")
        # per-(level, user) sums of the engine, summed per level
        us = exposures.get(keys[0] if keys else None)
        counts = pd.DataFrame(
            {c: us.totals(c).astype(np.int64) for c in ["s_exposure", *flags]},
            index=us.levels if keys else None,
        )
    elif keys:
        g = exposures.groupby(keys, observed=True, sort=True)
        counts = g[flags].sum()
        counts.insert(0, "s_exposure", g.size())
    else:
        counts = pd.DataFrame([exposures[flags].sum()])
        counts.insert(0, "s_exposure", len(exposures))
    counts.columns = list(STEPS)
    long = counts.stack().rename("n").reset_index()
    step_col = long.columns[-2]
    long = long.rename(columns={step_col: "step"})
    if not keys:
        long = long.drop(columns=[c for c in long.columns if c not in ("step", "n")])
    long["n"] = long["n"].astype(np.int64)
    arr = counts.to_numpy(np.int64)
    prev = np.concatenate([arr[:, :1], arr[:, :-1]], axis=1).ravel()
    top = np.repeat(arr[:, :1], arr.shape[1], axis=1).ravel()
    n = arr.ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        long["step_rate"] = n / np.where(prev > 0, prev, np.nan)
        long["overall_rate"] = n / np.where(top > 0, top, np.nan)
    long["step_lo"], long["step_hi"] = wilson_interval(n, prev, conf)
    long["overall_lo"], long["overall_hi"] = wilson_interval(n, top, conf)
    if interval == "user":
        if len(keys) > 1:
            raise ValueError("interval='user' supports one segment column at a time")
        cols = ["s_exposure", *flags]
        ratios = {}
        for j in range(1, len(STEPS)):
            ratios[f"step{j}"] = (cols[j], cols[j - 1], 1.0)
            ratios[f"all{j}"] = (cols[j], cols[0], 1.0)
        if us is None:
            us = user_stats(exposures, keys[0] if keys else None, flags)
        ui = stats_intervals(us, ratios, n_boot, conf, seed)
        lo_s = ui[[f"step{j}_lo" for j in range(1, len(STEPS))]].to_numpy()
        hi_s = ui[[f"step{j}_hi" for j in range(1, len(STEPS))]].to_numpy()
        lo_o = ui[[f"all{j}_lo" for j in range(1, len(STEPS))]].to_numpy()
        hi_o = ui[[f"all{j}_hi" for j in range(1, len(STEPS))]].to_numpy()
        first = np.ones((len(ui), 1))
        long["step_lo"] = np.hstack([first, lo_s]).ravel()
        long["step_hi"] = np.hstack([first, hi_s]).ravel()
        long["overall_lo"] = np.hstack([first, lo_o]).ravel()
        long["overall_hi"] = np.hstack([first, hi_o]).ravel()
    long["step"] = pd.Categorical(long["step"], list(STEPS), ordered=True)
    return long
