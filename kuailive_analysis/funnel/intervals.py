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
from kuailive_analysis.core.keys import dense_codes
from kuailive_analysis.core.stats import percentile_interval
from kuailive_analysis.funnel.common import HINT


def user_intervals(
    exposures: pd.DataFrame,
    by: str | None,
    ratios: Mapping[str, tuple[str | None, str | None, float]],
    n_boot: int = 200,
    conf: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """User-clustered percentile intervals of ratio KPIs, per level of ``by`` (or overall).

    ``ratios`` maps a name to ``(numerator column, denominator column, scale)``; a ``None``
    column counts rows. Each of ``n_boot`` replicates gives every user one Poisson(1) weight
    (shared by all levels, so levels stay comparable), and the KPI of a level is
    ``scale * sum_u w_u num_u / sum_u w_u den_u`` over the level's per-user totals. Returns
    ``<name>_lo``, ``<name>_hi`` indexed by level (index ``["all"]`` when ``by`` is None).
    Loops run over levels and replicates in matrix form, never over rows.
    """
    cols = sorted({c for num, den, _ in ratios.values() for c in (num, den) if c is not None})
    require_columns(
        exposures, ["user_id", *cols] + ([by] if by else []), "funnel: table 'exposures'", hint=HINT
    )
    ucode, n_users = dense_codes(exposures["user_id"].to_numpy())
    rng = np.random.default_rng(seed)
    w = rng.poisson(1.0, size=(n_boot, n_users)).astype(np.float32)
    if by is None:
        level = np.zeros(len(exposures), np.int64)
        levels = pd.Index(["all"], name="segment")
    else:
        level, levels = pd.factorize(exposures[by], sort=True)
        levels = pd.Index(levels, name=by)
    # per-(level, user) sums by bincount over an int64 pair key (rows with a missing level are
    # left out); pairs come out sorted by (level, user)
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
    names = [*cols, "_rows"]
    per = np.empty((len(pairs), len(names)), dtype=np.float64)
    for j, c in enumerate(cols):
        v = exposures[c].to_numpy(np.float64)
        sums = np.bincount(slot, weights=v if keep.all() else v[keep], minlength=size)
        per[:, j] = sums[pairs] if dense else sums
    per[:, -1] = cnt[pairs] if dense else cnt
    lv = pairs // max(n_users, 1)
    us = pairs % max(n_users, 1)
    colpos = {c: j for j, c in enumerate(names)}
    out = {f"{n}_{e}": np.full(len(levels), np.nan) for n in ratios for e in ("lo", "hi")}
    starts = np.searchsorted(lv, np.arange(len(levels) + 1))
    for i in range(len(levels)):
        sl = slice(starts[i], starts[i + 1])
        if sl.start == sl.stop:
            continue
        tot = w[:, us[sl]].astype(np.float64) @ per[sl]
        for name, (num, den, scale) in ratios.items():
            nv = tot[:, colpos[num or "_rows"]]
            dv = tot[:, colpos[den or "_rows"]]
            with np.errstate(divide="ignore", invalid="ignore"):
                r = scale * nv / dv
            r = r[np.isfinite(r)]
            if len(r):
                out[f"{name}_lo"][i], out[f"{name}_hi"][i] = percentile_interval(r, conf)
    return pd.DataFrame(out, index=levels)
