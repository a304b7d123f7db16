"""User-clustered intervals (exposures of one user are not independent, so resample users) and
the minimum detectable effects the chapter quotes where it talks about detectable differences."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kuailive_analysis.core.stats import normal_quantile, percentile_interval
from kuailive_analysis.funnel.stats import UserStats

__all__ = ["POWER", "minimum_detectable_effect", "split_test_mde", "user_intervals"]


def user_intervals(
    us: UserStats,
    ratios: Mapping[str, tuple[str | None, str | None, float]],
    n_boot: int = 200,
    conf: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """User-clustered percentile intervals of ratio KPIs, per level of ``us.by`` (or overall).

    Each of ``n_boot`` replicates :math:`b` gives every user :math:`u` one weight
    :math:`w_{bu} \\sim \\mathrm{Poisson}(1)`, shared by all levels (so levels stay
    comparable); the KPI of level :math:`l` in the replicate is

    .. math::

        r_{bl} = s \\, \\frac{\\sum_u w_{bu} \\, N_{lu}}{\\sum_u w_{bu} \\, D_{lu}},

    with :math:`N_{lu}`, :math:`D_{lu}` the user's sums of the numerator and denominator
    columns in the level and :math:`s` the scale, and the interval is the
    :math:`(1 \\pm \\mathrm{conf})/2` percentiles of the finite :math:`r_{bl}`.

    Parameters
    ----------
    us : UserStats
        Per-(level, user) sums (:meth:`~kuailive_analysis.funnel.stats.EngineStats.get`).
    ratios : mapping
        Name -> ``(numerator column, denominator column, scale)``; a ``None`` column counts
        exposures (``s_exposure``).
    n_boot, conf, seed : int, float, int
        Replicates, level and the seed of the weights.

    Returns
    -------
    pandas.DataFrame
        ``<name>_lo``, ``<name>_hi`` indexed by ``us.levels`` (NaN for a level without a
        finite replicate). Loops run over levels; replicates are matrix products.
    """
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


POWER = 0.8
"""Power of the minimum detectable effects the chapter quotes (two-sided tests at level
``1 - conf``)."""


def minimum_detectable_effect(se: float, conf: float = 0.95, power: float = POWER) -> float:
    r"""The smallest true effect a two-sided test at level :math:`\alpha = 1 - \mathrm{conf}`
    detects with probability ``power``, for an estimate with standard error ``se``:

    .. math::

        \mathrm{MDE} = (z_{1 - \alpha/2} + z_{\mathrm{power}}) \, \mathrm{se}

    (2.80 se at 95% and 80% power), in the unit of ``se``; NaN when ``se`` is not finite."""
    from scipy.stats import norm

    if not 0 < power < 1:
        raise ValueError(f"power must be in (0, 1), got {power!r}")
    if not np.isfinite(se):
        return float("nan")
    return float((normal_quantile(conf) + norm.ppf(power)) * se)


def split_test_mde(lo: float, hi: float, conf: float = 0.95, power: float = POWER) -> float:
    r"""Minimum detectable effect of a two-arm test that splits the users of an estimate in
    half, from the estimate's ``conf`` interval :math:`[l, h]` over all users (users
    resampled, so the users' correlation is in it).

    The interval gives the standard error of the estimate over all users,
    :math:`\mathrm{se} = (h - l) / (2 z_{1-\alpha/2})`; an arm with half the users has variance
    :math:`2\,\mathrm{se}^2`, the difference of the two arms :math:`4\,\mathrm{se}^2`, so

    .. math::

        \mathrm{MDE} = (z_{1 - \alpha/2} + z_{\mathrm{power}}) \cdot 2\,\mathrm{se}.

    Returns NaN without a finite interval."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return float("nan")
    se = (hi - lo) / (2 * normal_quantile(conf))
    return minimum_detectable_effect(2 * se, conf, power)
