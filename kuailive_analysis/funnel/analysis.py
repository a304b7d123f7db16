"""Chapter 5 on a dataset: :func:`analyse` runs the SQL of the funnel's event-level tables in the
dataset's engine (:mod:`.engine`), computes every KPI table, funnel and interval from the
engine's per-(level, user) sums (:mod:`.kpis`, :mod:`.trends`), the position, watch and
predictive tables, and builds one section of :class:`~.result.FunnelResult` per part of the
chapter with the values its text glues."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from kuailive_analysis import metrics as registry, predict
from kuailive_analysis.chapter.result import GLUE
from kuailive_analysis.core.format import format_percent
from kuailive_analysis.engine.queries.funnel import EXPOSURE_COLUMNS
from kuailive_analysis.funnel.common import STEP_LABELS, STEPS
from kuailive_analysis.funnel.engine import engine_tables
from kuailive_analysis.funnel.intervals import split_test_mde
from kuailive_analysis.funnel.kpis import (
    engagement_status_table,
    funnel,
    gift_value_summary,
    kpi_summary,
    kpi_table,
    session_kpis,
    unit_funnels,
    user_bootstrap,
)
from kuailive_analysis.funnel.params import Params
from kuailive_analysis.funnel.positions import position_summary
from kuailive_analysis.funnel.result import (
    Engagements,
    FunnelResult,
    FunnelSteps,
    Kpis,
    Models,
    Overview,
    Positions,
    Segments,
    Titles,
    Trends,
    Watch,
)
from kuailive_analysis.funnel.trends import daily_kpis, gift_trend, weekly_rates
from kuailive_analysis.funnel.watch import WATCH_OUTCOMES, watch_by_outcome

__all__ = ["METRIC_KEYS", "analyse"]

METRIC_KEYS = ("n_exposures", "n_clicks", "n_negatives", "n_sessions", "n_click_sessions",
               "n_exposed_users", "ctr", "negatives_per_click", "comments_per_click",
               "likes_per_click", "gifts_per_click", "gift_session_share", "qualified_rate",
               "comment_rate", "like_rate", "gtr", "interaction_rate",
               "attributed_comments_per_click", "attributed_likes_per_click",
               "attributed_gifts_per_click", "overall_gift", "user_share_gift",
               "gift_price_mean", "rpm", "rpm_all")  # fmt: skip
"""Registry metrics (:mod:`kuailive_analysis.metrics`) chapter 5 reports; the text quotes
those that are glued fields of a section under their registry key, with the registry's value."""


def analyse(ds, params: Params | None = None, **overrides) -> FunnelResult:
    """Every table of chapter 5 from a :class:`kuailive_analysis.dataset.Dataset`.

    Parameters
    ----------
    ds : Dataset
        The cleaned tables (through the dataset's engine).
    params : Params, optional
        The chapter's parameters (None: the defaults): the qualified-watch threshold and the
        attribution window, the ``segments`` broken down in KPI tables and the
        ``funnel_segments`` drawn as full funnels, the intervals (``interval``, ``n_boot``,
        ``conf``, ``seed``) and the predictive baseline's ``split_fractions`` and
        ``max_train_rows`` (:func:`kuailive_analysis.predict.evaluate`).
    **overrides
        Fields of ``params`` to change.

    Returns
    -------
    FunnelResult
    """
    p = Params.resolve(params, overrides)
    unknown = [s for s in (*p.segments, *p.funnel_segments) if s not in EXPOSURE_COLUMNS]
    if unknown:
        raise ValueError(
            f"analyse: unknown segment column(s) {unknown}; available: "
            f"{[c for c in EXPOSURE_COLUMNS if c not in ('ts_ms',)]}"
        )
    # event-level work in the engine (one SQL definition, engine/queries/funnel.py); pandas
    # gets the exposure, click, engagement and session tables as one query result each
    et = engine_tables(
        ds, qualified_watch_s=p.qualified_watch_s, attribution_window_s=p.attribution_window_s
    )
    try:
        return _analyse(ds, et, p)
    finally:
        et.close()


def _analyse(ds, et, p: Params) -> FunnelResult:
    iv = {"interval": p.interval, "n_boot": p.n_boot, "seed": p.seed}
    conf, st = p.conf, et.stats
    gifts = ds.table("gifts", ["user_id", "live_id", "streamer_id", "ts_ms", "gift_price"])
    mc = registry.MetricContext(
        ds,
        qualified_watch_s=p.qualified_watch_s,
        attribution_window_s=p.attribution_window_s,
        tables={"session_counts": et.session_counts.to_frame().T, "funnel_clicks": et.clicks},
    )
    metrics = registry.compute_many(METRIC_KEYS, mc)
    source = ds.source
    fl = funnel(st.get(), conf=conf)
    kp = kpi_table(st.get(), conf=conf)
    sk = session_kpis(et.session_counts, conf=conf)
    segments = {s: kpi_table(st.get(s), conf=conf, **iv) for s in p.segments}
    watch = watch_by_outcome(et.clicks, p.qualified_watch_s)
    pr = predict.evaluate(et.exposures, engine=et.engine, fractions=p.split_fractions,
                          max_train_rows=p.max_train_rows, seed=p.seed, n_boot=p.n_boot,
                          conf=conf)  # fmt: skip
    trend = gift_trend(et.clicks, gifts, conf=conf, n_boot=p.n_boot, seed=p.seed)
    positions = position_summary(et.exposures).to_dict()
    segs = Segments(
        tables=segments,
        funnels={s: funnel(st.get(s), conf=conf, **iv) for s in p.funnel_segments},
        **_extremes(segments),
    )
    clustered = user_bootstrap(st.get(), kp, n_boot=p.n_boot, conf=conf, seed=p.seed)
    trends = _trends(daily_kpis(st.get("day"), conf=conf, **iv), trend, _planted_gift_period(ds))
    pos = Positions(
        by_screen=kpi_table(st.get("screen_size_cap"), conf=conf, **iv),
        by_index=kpi_table(st.get("exposure_index_cap"), conf=conf, **iv),
        **positions,
    )
    return FunnelResult(
        params=p,
        source=source,
        titles=_titles(metrics, watch, pr, segs, trends, pos),
        overview=_overview(p, source, metrics, et.unmatched),
        engagements=_engagements(et.engagements, sk),
        steps=_steps(et, fl, kp, st.get(), conf, metrics),
        kpis=_kpis(
            kp,
            sk,
            gift_value_summary(gifts, et.engagements, conf=conf),
            fl,
            metrics,
            clustered,
            conf,
        ),
        segments=segs,
        trends=trends,
        positions=pos,
        watch=_watch(et.clicks, watch),
        models=Models(prediction=pr, paper_gap_data_text=PAPER_GAP[source.is_twin]),
    )


PAPER_GAP = {
    True: "This run is on the synthetic twin, whose clicks are drawn from planted user and "
    "streamer propensities plus noise: the AUC any model can reach there is set by the "
    "generator, so the gap says nothing about the real users",
    False: "This run is on real-format files, so the remaining gap is what ID embeddings, "
    "feature crosses and the full training set add over history counts",
}
"""What the data say about the gap to the paper's AUC, on the twin and on other data."""


def _from_registry(section: type, metrics: dict) -> dict:
    """The registry's value of every glued field of ``section`` named after a registry metric
    (counts as int): one value per KPI name in the book."""
    out = {}
    for f in dataclasses.fields(section):
        if GLUE in f.metadata and f.name in metrics:
            mv = metrics[f.name]
            out[f.name] = int(mv.value) if mv.unit == "count" else float(mv.value)
    return out


SEGMENT_NAMES = {
    "hour": "hours of the day",
    "day": "days",
    "live_content_category": "room categories",
    "live_type": "room types",
    "streamer_decile": "streamer popularity deciles",
    "user_decile": "user activity deciles",
    "age": "age bands",
    "gender": "genders",
    "device_price": "device price bands",
}
"""The segments in the figure titles (plural: "varies most across ...")."""


def _spread(tables: dict[str, pd.DataFrame], rate: str, name: str, digits: int) -> str:
    """Title of a segment grid: the segment across whose levels ``rate`` varies most."""
    best, span = None, -1.0
    for seg, t in tables.items():
        v = t[rate].dropna() if rate in t else pd.Series(dtype=float)
        if len(v) > 1 and float(v.max() - v.min()) > span:
            best, span = seg, float(v.max() - v.min())
    if best is None:
        return f"{name} by segment"
    v = tables[best][rate].dropna()
    return (
        f"{name} varies most across {SEGMENT_NAMES.get(best, best)}: "
        f"{format_percent(v.min(), digits)} to {format_percent(v.max(), digits)}"
    )


def _titles(metrics: dict, watch: pd.DataFrame, prediction, segs, trends, pos) -> Titles:
    """Every figure's title, stating what the figure shows (missing values as a dash)."""
    ctr, gift, users = (metrics[k].value for k in ("ctr", "overall_gift", "user_share_gift"))
    w, t, pct = watch["p50"], trends, format_percent
    ece = {k: getattr(prediction, f"{k}_ece") * 100 for k in ("ctr", "gtr")}
    ece = {k: f"{v:.2f} points" if np.isfinite(v) else "\u2013" for k, v in ece.items()}
    rates = t.gift_trend.table["gifts per click"]
    return Titles(
        funnel=f"{ctr:.1%} of exposures are clicked, {gift:.2%} end in a gift",
        units=f"{users:.0%} of users but {gift:.2%} of exposures reach the gift step",
        seg_ctr=_spread(segs.tables, "ctr", "CTR", 1),
        seg_qual=_spread(segs.tables, "qualified_rate", "The qualified-watch rate", 1),
        seg_gtr=_spread(segs.tables, "gtr", "GTR", 2),
        segment_funnels="Step conversion per level of "
        + " and of ".join(SEGMENT_NAMES.get(s, s) for s in segs.funnels),
        daily=f"Daily CTR between {pct(t.daily_ctr_min, 1)} and {pct(t.daily_ctr_max, 1)}, "
        f"GTR between {pct(t.daily_gtr_min, 2)} and {pct(t.daily_gtr_max, 2)}",
        gift_trend="Gifts per click by UTC period: " + ", ".join(pct(r, 2) for r in rates),
        positions=f"CTR {pct(pos.ctr_single_screen, 1)} alone vs "
        f"{pct(pos.ctr_multi_screen, 1)} in a shared screen; "
        f"{pct(pos.ctr_first_exposure, 1)} at a first exposure vs "
        f"{pct(pos.ctr_repeat_exposure, 1)} at repeats",
        watch=f"Median watch: {w['no engagement']:.0f} s without engagement, "
        f"{w['gift']:.0f} s for gifting clicks",
        model=prediction.title(),
        calibration=f"Predicted vs observed rate on test days: off by {ece['ctr']} for clicks, "
        f"{ece['gtr']} for gifts on average",
    )


def _overview(p: Params, source, metrics: dict, unmatched: pd.DataFrame) -> Overview:
    window = p.attribution_window_s
    interval = {"user": "users resampled by bootstrap",
                "wilson": "Wilson: exposures treated as independent"}  # fmt: skip
    return Overview(
        metrics=metrics,
        unmatched=unmatched,
        source_label=source.label,
        qualified_watch_s=float(p.qualified_watch_s),
        window_label="no time limit" if window is None else f"{window / 60:g} minutes",
        interval_label=interval[p.interval],
        **_from_registry(Overview, metrics),
    )


def _kpis(kp, sk, gv, fl, metrics: dict, clustered: pd.DataFrame, conf: float) -> Kpis:
    mde = {
        f"mde_{k}_{unit}": split_test_mde(
            float(clustered.loc[k, lo]), float(clustered.loc[k, hi]), conf
        )
        for k in ("ctr", "gtr")
        for unit, lo, hi in (("users", "boot_lo", "boot_hi"), ("independent", "lo", "hi"))
    }
    boot = {
        f"boot_{k}_{c}": float(clustered.loc[k, f"boot_{c}" if c != "ratio" else "width_ratio"])
        for k in ("ctr", "gtr")
        for c in ("lo", "hi", "ratio")
    }
    return Kpis(
        kpis=kp,
        session_kpis=sk,
        gift_values=gv,
        clustered=clustered,
        summary=kpi_summary(kp, sk, gv, fl, metrics=metrics),
        gtr_lo=float(kp.iloc[0]["gtr_lo"]),
        gtr_hi=float(kp.iloc[0]["gtr_hi"]),
        gift_mean_lo=float(gv.loc["all gifts", "lo"]),
        gift_mean_hi=float(gv.loc["all gifts", "hi"]),
        gift_median_all=float(gv.loc["all gifts", "median"]),
        **boot,
        **mde,
        **_from_registry(Kpis, metrics),
    )


def _watch(clicks: pd.DataFrame, watch: pd.DataFrame) -> Watch:
    values = {}
    for outcome, key in zip(WATCH_OUTCOMES, ("none", "engaged", "gift")):
        values[f"watch_p50_{key}"] = float(watch.loc[outcome, "p50"])
        values[f"watch_qualified_{key}"] = float(watch.loc[outcome, "share_qualified"])
    return Watch(clicks=clicks, table=watch, **values)


def _engagements(engagements: pd.DataFrame, sessions: pd.DataFrame) -> Engagements:
    st = engagement_status_table(engagements)
    return Engagements(
        engagements=engagements,
        status=st,
        all_share_attributed=float(st.loc["all", "share_attributed"]),
        gift_no_click=int(st.loc["gift", "no_click"]),
        gift_share_no_click=float(st.loc["gift", "share_no_click"]),
        comment_share_no_click=float(st.loc["comment", "share_no_click"]),
        like_share_no_click=float(st.loc["like", "share_no_click"]),
        all_late=int(st.loc["all", "late"]),
        all_before_click=int(st.loc["all", "before_click"]),
        sess_engaged_no_click=float(sessions.loc["engaged sessions without a click", "rate"]),
    )


def _steps(et, fl: pd.DataFrame, kp: pd.DataFrame, us, conf: float, metrics) -> FunnelSteps:
    f = fl.set_index("step")
    later = f.loc[list(STEPS[1:])]
    low = later["step_rate"].astype(float).idxmin() if later["step_rate"].notna().any() else "click"
    n = f["n"].to_numpy(np.float64)
    lost = n[:-1] - n[1:]
    i = int(np.argmax(lost))  # the step that loses the most exposures
    g, q = et.clicks["gifted"].to_numpy(), et.clicks["qualified"].to_numpy()
    return FunnelSteps(
        exposures=et.exposures,
        session_counts=et.session_counts,
        funnel=fl,
        units=unit_funnels(us, et.session_counts, conf=conf),
        ctr_lo=float(kp.iloc[0]["ctr_lo"]),
        ctr_hi=float(kp.iloc[0]["ctr_hi"]),
        step_qualified=float(f.loc["qualified", "step_rate"]),
        step_interaction=float(f.loc["interaction", "step_rate"]),
        step_gift=float(f.loc["gift", "step_rate"]),
        biggest_loss_step=STEP_LABELS[STEPS[i + 1]].lower(),
        biggest_loss_share=float(lost[i] / n[0]) if n[0] else float("nan"),
        lowest_step=STEP_LABELS[low].lower(),
        lowest_step_rate=float(f.loc[low, "step_rate"]),
        gift_not_qualified=float((g & ~q).sum() / g.sum()) if g.any() else float("nan"),
        **_from_registry(FunnelSteps, metrics),
    )


def _extremes(tables: dict[str, pd.DataFrame]) -> dict:
    """The extremes :class:`~.result.Segments` declares (``ext_<rate>_<segment>_...``): the
    lowest and highest level of the rate across the levels of the segment (``'n/a'`` and NaN
    when the segment was not analysed) and, where declared, whether their intervals overlap."""
    names = {f.name for f in dataclasses.fields(Segments)}
    out = {}
    for key in sorted(n[: -len("_lo_level")] for n in names if n.endswith("_lo_level")):
        rate, seg = key[len("ext_") :].split("_", 1)  # rates: ctr, gtr
        t = tables.get(seg)
        t = None if t is None else t.dropna(subset=[rate])
        if t is None or t.empty:
            lo_i = hi_i = "n/a"
            lo = hi = float("nan")
            apart = False
        else:
            lo_i, hi_i = t[rate].idxmin(), t[rate].idxmax()
            lo, hi = float(t.loc[lo_i, rate]), float(t.loc[hi_i, rate])
            apart = bool(t.loc[lo_i, f"{rate}_hi"] < t.loc[hi_i, f"{rate}_lo"])
        out[f"{key}_lo_level"], out[f"{key}_lo"] = str(lo_i), lo
        out[f"{key}_hi_level"], out[f"{key}_hi"] = str(hi_i), hi
        if f"{key}_separated" in names:
            out[f"{key}_separated"] = "do not overlap" if apart else "overlap"
    return out


def _trends(daily: pd.DataFrame, g, planted: tuple[float, ...] | None) -> Trends:
    weekly = weekly_rates(daily)
    t = g.table
    if not np.isfinite(g.change_lo):
        text = "There are too few users for an interval of the change."
    elif g.excludes_zero:
        text = (
            "The interval excludes zero: gifts per click "
            + ("rose" if g.change > 0 else "fell")
            + " over the window, and a product comparison across periods must allow for it."
        )
    else:
        text = (
            "The interval includes zero and also includes the real files' rise (+0.30 "
            "points, a ratio of 1.22): the data of this run are compatible with both, so "
            "the trend is not established here, which is not the same as stable."
        )
    values = {f"daily_{r}_{m}": float(daily[r].agg(m))
              for r in ("ctr", "qualified_rate", "gtr") for m in ("min", "max")}  # fmt: skip
    values.update(
        {f"{r}_{w}": float(weekly.loc[w, r]) for r in ("ctr", "gtr") for w in ("week1", "week3")}
    )
    for k in ("change", "change_lo", "change_hi", "ratio", "ratio_lo", "ratio_hi", "mde"):
        values[f"gpc_{k}"] = float(getattr(g, k))
    origin = (
        "This run is on the synthetic twin, which plants the rise: its gift rate is "
        f"multiplied by {' / '.join(f'{x:g}' for x in planted)} in the three periods, "
        "calibrated to the real 1.39% / 1.41% / 1.69%. On the twin the trend is a "
        "recovered planted property, not a discovery."
        if planted is not None
        else "No trend is planted in these data: any change is a property of the data."
    )
    return Trends(
        daily=daily,
        weekly=weekly,
        gift_trend=g,
        planted_gift_period=planted,
        gpc_first=float(t["gifts per click"].iloc[0]),
        gpc_last=float(t["gifts per click"].iloc[-1]),
        gift_trend_text=text,
        gift_trend_origin=origin,
        **values,
    )


def _planted_gift_period(ds) -> tuple[float, ...] | None:
    """On the twin, the generator's gift-rate factor per UTC period (None elsewhere or when
    the factors are all equal)."""
    truth = (ds.truth or {}).get("params") or {}  # the parsed truth.json
    p = (truth.get("params") or {}).get("gift_period", truth.get("gift_period"))
    if p is None or len(set(p)) == 1:
        return None
    return tuple(float(x) for x in p)
