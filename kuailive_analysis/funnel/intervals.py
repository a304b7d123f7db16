"""User-clustered intervals: exposures of one user are not independent, so resample users.

:func:`user_intervals` gives percentile intervals of ratio KPIs per segment level (or overall)
from a Poisson bootstrap over users; :func:`kuailive_analysis.funnel.kpis.user_bootstrap`
sets them beside the independent-unit intervals of the overall KPIs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.stats import percentile_interval
from kuailive_analysis.funnel.common import HINT
from kuailive_analysis.funnel.stats import EngineStats, UserStats, user_stats


def user_intervals(
    exposures,
    by: str | None,
    ratios: Mapping[str, tuple[str | None, str | None, float]],
    n_boot: int = 200,
    conf: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """User-clustered percentile intervals of ratio KPIs, per level of ``by`` (or overall).

    ``exposures``: a pandas exposure table or the engine's statistics
    (:class:`~kuailive_analysis.funnel.stats.EngineStats`). ``ratios`` maps a name to
    ``(numerator column, denominator column, scale)``; a ``None`` column counts rows. Each of
    ``n_boot`` replicates gives every user one Poisson(1) weight (shared by all levels, so
    levels stay comparable), and the KPI of a level is ``scale * sum_u w_u num_u / sum_u w_u
    den_u`` over the level's per-user totals. Returns ``<name>_lo``, ``<name>_hi`` indexed by
    level (index ``["all"]`` when ``by`` is None). Loops run over levels and replicates in
    matrix form, never over rows.
    """
    cols = sorted({c for num, den, _ in ratios.values() for c in (num, den) if c is not None})
    if not isinstance(exposures, EngineStats):
        require_columns(
            exposures,
            ["user_id", *cols] + ([by] if by else []),
            "funnel: table 'exposures'",
            hint=HINT,
        )
    return stats_intervals(user_stats(exposures, by, cols), ratios, n_boot, conf, seed)


def stats_intervals(
    us: UserStats,
    ratios: Mapping[str, tuple[str | None, str | None, float]],
    n_boot: int = 200,
    conf: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`user_intervals` from per-(level, user) sums (:class:`UserStats`)."""
    cols = sorted({c for num, den, _ in ratios.values() for c in (num, den) if c is not None})
    rng = np.random.default_rng(seed)
    w = rng.poisson(1.0, size=(n_boot, us.n_users)).astype(np.float32)
    levels = us.levels
    names = [*cols, "_rows"]
    per = np.empty((len(us.level), len(names)), dtype=np.float64)
    for j, c in enumerate(cols):
        per[:, j] = us.sums[c]
    per[:, -1] = us.sums["s_exposure"]
    lv, users = us.level, us.user
    colpos = {c: j for j, c in enumerate(names)}
    out = {f"{n}_{e}": np.full(len(levels), np.nan) for n in ratios for e in ("lo", "hi")}
    starts = np.searchsorted(lv, np.arange(len(levels) + 1))
    for i in range(len(levels)):
        sl = slice(starts[i], starts[i + 1])
        if sl.start == sl.stop:
            continue
        tot = w[:, users[sl]].astype(np.float64) @ per[sl]
        for name, (num, den, scale) in ratios.items():
            nv = tot[:, colpos[num or "_rows"]]
            dv = tot[:, colpos[den or "_rows"]]
            with np.errstate(divide="ignore", invalid="ignore"):
                r = scale * nv / dv
            r = r[np.isfinite(r)]
            if len(r):
                out[f"{name}_lo"][i], out[f"{name}_hi"][i] = percentile_interval(r, conf)
    return pd.DataFrame(out, index=levels)
