"""KPIs of the exposure unit (CTR, per-click rates, GTR, revenue per 1,000 exposures) with
intervals, per segment or overall, and the tidy headline KPI table of the chapter."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kuailive_analysis import metrics as registry
from kuailive_analysis.core.checks import require_columns
from kuailive_analysis.core.stats import mean_interval, wilson_interval
from kuailive_analysis.funnel.common import HINT, STEP_LABELS, STEPS, check_interval
from kuailive_analysis.funnel.intervals import stats_intervals, user_intervals
from kuailive_analysis.funnel.stats import EngineStats, user_stats

_KPI_SUMS = {
    "exposures": None,
    "clicks": "clicked",
    "qualified": "qualified",
    "commented": "commented",
    "liked": "liked",
    "gifted": "gifted",
    "interacted": "interacted",
    "n_comments": "n_comments",
    "n_likes": "n_likes",
    "n_gifts": "n_gifts",
    "gift_value": "gift_value",
}


def kpi_table(
    exposures: pd.DataFrame,
    by: str | list[str] | None = None,
    conf: float = 0.95,
    min_exposures: int = 0,
    interval: str = "wilson",
    n_boot: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Exposure-unit KPIs per segment (or overall when ``by`` is None).

    Counts: exposures, clicks, qualified (clicks with watch >= threshold), commented / liked /
    gifted / interacted (clicks with >= 1 attributed event), n_comments, n_likes, n_gifts,
    gift_value. Rates with Wilson intervals ``<rate>_lo, <rate>_hi``:

    * ``ctr`` = clicks / exposures;
    * ``qualified_rate``, ``comment_rate``, ``like_rate``, ``gtr``, ``interaction_rate`` =
      share of clicks with the property (GTR = gift-through rate);
    * ``attributed_gifts_per_click``, ``attributed_comments_per_click``,
      ``attributed_likes_per_click`` = attributed events per click (no CI; the all-events
      ratios ``gifts_per_click`` etc. are registry metrics, :mod:`kuailive_analysis.metrics`);
    * ``value_per_gift`` = gift_value / n_gifts (coins);
    * ``rpm`` = 1,000 x gift_value / exposures (coins per 1,000 exposures), with a normal
      interval from the per-exposure value variance (``rpm_lo, rpm_hi``).

    Segments with fewer than ``min_exposures`` exposures are dropped from the output (not
    from any total); pass 0 to keep all. ``interval="user"`` replaces every ``_lo/_hi`` pair
    by user-clustered bootstrap bounds (:func:`user_intervals`; ``n_boot`` replicates).
    """
    check_interval(interval)
    need = [c for c in _KPI_SUMS.values() if c]
    keys = [by] if isinstance(by, str) else list(by or [])
    if not isinstance(exposures, EngineStats):
        require_columns(exposures, need, "funnel: table 'exposures'", hint=HINT)
    if len(keys) <= 1:
        # per-(level, user) sums (the engine's, or bincounts of the frame) summed per level
        us = user_stats(exposures, keys[0] if keys else None)
        t = pd.DataFrame({c: us.totals(c) for c in need}, index=us.levels)
        t["gift_value_sq"] = us.totals("gift_value_sq")
        t.insert(0, "exposures", us.totals("s_exposure"))
    else:
        gv = exposures["gift_value"].to_numpy(np.float64)
        ex = exposures[keys + need].copy()
        ex["gift_value_sq"] = gv**2
        g = ex.groupby(keys, observed=True, sort=True)
        t = g[need + ["gift_value_sq"]].sum()
        t.insert(0, "exposures", g.size())
    t = t.rename(columns={"clicked": "clicks"})
    for c in t.columns:
        if c != "gift_value_sq":
            t[c] = t[c].astype(np.int64)
    t["ctr"] = t["clicks"] / t["exposures"]
    t["ctr_lo"], t["ctr_hi"] = wilson_interval(t["clicks"], t["exposures"], conf)
    with np.errstate(divide="ignore", invalid="ignore"):
        clicks = t["clicks"].where(t["clicks"] > 0)
        for name, col in (
            ("qualified_rate", "qualified"),
            ("comment_rate", "commented"),
            ("like_rate", "liked"),
            ("gtr", "gifted"),
            ("interaction_rate", "interacted"),
        ):
            t[name] = t[col] / clicks
            t[f"{name}_lo"], t[f"{name}_hi"] = wilson_interval(t[col], t["clicks"], conf)
        t["attributed_comments_per_click"] = t["n_comments"] / clicks
        t["attributed_likes_per_click"] = t["n_likes"] / clicks
        t["attributed_gifts_per_click"] = t["n_gifts"] / clicks
        t["value_per_gift"] = t["gift_value"] / t["n_gifts"].where(t["n_gifts"] > 0)
    mean, lo, hi = mean_interval(t["gift_value"], t["gift_value_sq"], t["exposures"], conf)
    t["rpm"], t["rpm_lo"], t["rpm_hi"] = 1000 * mean, 1000 * lo, 1000 * hi
    t = t.drop(columns="gift_value_sq")
    if interval == "user":
        if len(keys) > 1:
            raise ValueError("interval='user' supports one segment column at a time")
        ui = stats_intervals(
            us,
            {
                "ctr": ("clicked", None, 1.0),
                "qualified_rate": ("qualified", "clicked", 1.0),
                "comment_rate": ("commented", "clicked", 1.0),
                "like_rate": ("liked", "clicked", 1.0),
                "gtr": ("gifted", "clicked", 1.0),
                "interaction_rate": ("interacted", "clicked", 1.0),
                "rpm": ("gift_value", None, 1000.0),
            },
            n_boot,
            conf,
            seed,
        )
        ui.index = t.index
        for c in ui.columns:
            t[c] = ui[c].to_numpy()
    if min_exposures:
        t = t[t["exposures"] >= min_exposures]
    return t


def gift_value_summary(
    gifts: pd.DataFrame, attributed: pd.DataFrame | None = None, conf: float = 0.95
) -> pd.DataFrame:
    """Average gift value per gift event with a normal interval, all gifts and attributed only.

    Columns: n_gifts, total_value, mean, lo, hi, median (coins). The mean of a heavy-tailed
    price (real p99 1,488, max 56,246) is unstable; the median is given beside it.
    """
    require_columns(gifts, ["gift_price"], "funnel: table 'gift'", hint=HINT)
    rows = {"all gifts": gifts["gift_price"].to_numpy(np.float64)}
    if attributed is not None:
        a = attributed[(attributed["kind"] == "gift") & (attributed["status"] == "attributed")]
        rows["attributed gifts"] = a["value"].to_numpy(np.float64)
    out = []
    for name, v in rows.items():
        m, lo, hi = mean_interval(v.sum(), (v**2).sum(), len(v), conf)
        out.append(
            {
                "gifts": name,
                "n_gifts": len(v),
                "total_value": float(v.sum()),
                "mean": float(m),
                "lo": float(lo),
                "hi": float(hi),
                "median": float(np.median(v)) if len(v) else np.nan,
            }
        )
    return pd.DataFrame(out).set_index("gifts")


def user_bootstrap(
    exposures: pd.DataFrame,
    kpis: pd.DataFrame | None = None,
    n_boot: int = 200,
    conf: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Overall KPIs with independent-unit and user-clustered intervals side by side.

    Exposures of one user are correlated, so the Wilson intervals of :func:`kpi_table` are too
    narrow. :func:`user_intervals` resamples users instead (Poisson bootstrap). Rows: ctr,
    qualified_rate, comment_rate, like_rate, gtr, rpm; columns: value, lo, hi (independent
    units), boot_lo, boot_hi (users resampled) and ``width_ratio`` = bootstrap width /
    independent width.
    """
    kp = kpis if kpis is not None else kpi_table(exposures, conf=conf)
    ratios = {
        "ctr": ("clicked", None, 1.0),
        "qualified_rate": ("qualified", "clicked", 1.0),
        "comment_rate": ("commented", "clicked", 1.0),
        "like_rate": ("liked", "clicked", 1.0),
        "gtr": ("gifted", "clicked", 1.0),
        "rpm": ("gift_value", None, 1000.0),
    }
    ui = user_intervals(exposures, None, ratios, n_boot, conf, seed).iloc[0]
    k = kp.iloc[0]
    rows = []
    for name in ratios:
        lo, hi = float(k[f"{name}_lo"]), float(k[f"{name}_hi"])
        if name == "rpm":
            lo = max(lo, 0.0)
        blo, bhi = float(ui[f"{name}_lo"]), float(ui[f"{name}_hi"])
        width = hi - lo
        rows.append(
            {
                "kpi": name,
                "value": float(k[name]),
                "lo": lo,
                "hi": hi,
                "boot_lo": blo,
                "boot_hi": bhi,
                "width_ratio": (bhi - blo) / width if width > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def kpi_summary(
    kpis: pd.DataFrame,
    sess: pd.DataFrame,
    gift_values: pd.DataFrame,
    funnel_long: pd.DataFrame,
    total_gift_value: float | None = None,
    conf: float = 0.95,
    metrics: Mapping[str, registry.MetricValue] | None = None,
) -> pd.DataFrame:
    """One tidy table of the headline KPIs: kpi, unit, value, lo, hi, numerator, denominator.

    ``metrics`` (registry values, as :func:`analyse` computes them) adds the all-events ratios
    per click and the revenue of all gifts per 1,000 exposures; without it, the revenue of all
    gifts comes from ``total_gift_value`` when given."""
    k = kpis.iloc[0]
    name = {key: m.name for key, m in registry.METRICS.items()}
    rows = [
        ("CTR", "per exposure", k["ctr"], k["ctr_lo"], k["ctr_hi"], k["clicks"], k["exposures"]),
        (
            "Qualified-watch rate",
            "per click",
            k["qualified_rate"],
            k["qualified_rate_lo"],
            k["qualified_rate_hi"],
            k["qualified"],
            k["clicks"],
        ),
        (
            "Comment rate",
            "per click",
            k["comment_rate"],
            k["comment_rate_lo"],
            k["comment_rate_hi"],
            k["commented"],
            k["clicks"],
        ),
        (
            "Like rate",
            "per click",
            k["like_rate"],
            k["like_rate_lo"],
            k["like_rate_hi"],
            k["liked"],
            k["clicks"],
        ),
        (name["gtr"], "per click", k["gtr"], k["gtr_lo"], k["gtr_hi"], k["gifted"], k["clicks"]),
    ]
    for kind in ("comments", "likes", "gifts"):
        if metrics is not None:
            mv = metrics[f"{kind}_per_click"]
            rows.append(
                (
                    name[f"{kind}_per_click"],
                    "per click",
                    mv.value,
                    np.nan,
                    np.nan,
                    mv.numerator,
                    mv.denominator,
                )
            )
        rows.append(
            (
                name[f"attributed_{kind}_per_click"],
                "per click",
                k[f"attributed_{kind}_per_click"],
                np.nan,
                np.nan,
                k[f"n_{kind}"],
                k["clicks"],
            )
        )
    for kind, label in (
        ("qualified", "Qualified-watch rate"),
        ("comment", "Comment rate"),
        ("like", "Like rate"),
        ("gift", name["gift_session_share"]),
    ):
        r = sess.loc[f"{kind} rate per click session"]
        rows.append((label, "per click session", r["rate"], r["lo"], r["hi"], r["k"], r["n"]))
    r = sess.loc["engaged sessions without a click"]
    rows.append(
        (
            "Engaged sessions without a click",
            "per engaged session",
            r["rate"],
            r["lo"],
            r["hi"],
            r["k"],
            r["n"],
        )
    )
    for name in gift_values.index:
        g = gift_values.loc[name]
        rows.append(
            (
                f"Average gift value, {name} (coins)",
                "per gift",
                g["mean"],
                g["lo"],
                g["hi"],
                g["total_value"],
                g["n_gifts"],
            )
        )
    rows.append(
        (
            "Revenue per 1,000 exposures, attributed gifts (coins)",
            "per 1,000 exposures",
            k["rpm"],
            max(k["rpm_lo"], 0.0),
            k["rpm_hi"],
            k["gift_value"],
            k["exposures"],
        )
    )
    if metrics is not None:
        mv = metrics["rpm_all"]
        rows.append(
            (
                "Revenue per 1,000 exposures, all gifts (coins)",
                "per 1,000 exposures",
                mv.value,
                np.nan,
                np.nan,
                mv.numerator,
                mv.denominator,
            )
        )
    elif total_gift_value is not None:
        rows.append(
            (
                "Revenue per 1,000 exposures, all gifts (coins)",
                "per 1,000 exposures",
                1000 * total_gift_value / k["exposures"],
                np.nan,
                np.nan,
                total_gift_value,
                k["exposures"],
            )
        )
    f = funnel_long.set_index("step")
    prev = dict(zip(STEPS[1:], STEPS[:-1]))
    for s in STEPS[1:]:
        rows.append(
            (
                f"Step: {STEP_LABELS[s]} / {STEP_LABELS[prev[s]].lower()}",
                "per exposure",
                f.loc[s, "step_rate"],
                f.loc[s, "step_lo"],
                f.loc[s, "step_hi"],
                f.loc[s, "n"],
                f.loc[prev[s], "n"],
            )
        )
    rows.append(
        (
            "Overall: exposure to gift",
            "per exposure",
            f.loc["gift", "overall_rate"],
            f.loc["gift", "overall_lo"],
            f.loc["gift", "overall_hi"],
            f.loc["gift", "n"],
            f.loc["exposure", "n"],
        )
    )
    t = pd.DataFrame(rows, columns=["kpi", "unit", "value", "lo", "hi", "numerator", "denominator"])
    t["numerator"] = t["numerator"].astype(np.float64)
    t["denominator"] = t["denominator"].astype(np.float64)
    return t
