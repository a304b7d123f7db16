"""Figures for chapter 3 (retention and survival).

Every Kaplan-Meier figure shows pointwise 95% confidence bands and, in a strip under the
axes, the number of users still at risk at each tick (users whose follow-up reaches that day
and who have not churned before it), one row per curve.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from kuailive_analysis.plots import style

DAY_AXIS = "days since first activity in the window"


def _notes(fig, source: str | None, beijing: bool = True) -> None:
    """Footnotes (data source, Beijing time) in a strip reserved at the bottom of the figure."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0.035, 1, 0.965))
    if source:
        style.source_note(fig, source)
    if beijing:
        style.beijing_note(fig)


def _step(kmf):
    sf = kmf.survival_function_
    ci = kmf.confidence_interval_survival_function_
    t = sf.index.to_numpy(float)
    return t, sf.iloc[:, 0].to_numpy(), ci.iloc[:, 0].to_numpy(), ci.iloc[:, 1].to_numpy()


def at_risk_counts(kmf, times) -> np.ndarray:
    """Number at risk at each time t: subjects with duration >= t (entered before t)."""
    et = kmf.event_table
    idx = et.index.to_numpy(float)
    n0 = int(et["entrance"].sum())
    removed_before = np.concatenate([[0], np.cumsum(et["removed"].to_numpy())])
    pos = np.searchsorted(idx, np.asarray(times, float), side="left")
    return n0 - removed_before[pos]


def _km_on(ax, fitters: dict, colors=None, lw: float = 1.8) -> None:
    colors = colors or style.PALETTE
    for i, (name, kmf) in enumerate(fitters.items()):
        t, s, lo, hi = _step(kmf)
        c = colors[i % len(colors)]
        ax.step(t, s, where="post", color=c, lw=lw, label=str(name))
        ax.fill_between(t, lo, hi, step="post", color=c, alpha=0.18, lw=0)


def _risk_strip(ax, fitters: dict, ticks, colors=None, fontsize: float = 8) -> None:
    colors = colors or style.PALETTE
    names = list(fitters)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([str(n) for n in names], fontsize=fontsize)
    for i, name in enumerate(names):
        ax.get_yticklabels()[i].set_color(colors[i % len(colors)])
        for t, n in zip(ticks, at_risk_counts(fitters[name], ticks)):
            ax.text(t, i, f"{int(n):,}", ha="center", va="center", fontsize=fontsize)
    ax.grid(False)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="both", length=0)
    ax.set_xticks(ticks)
    ax.set_xticklabels([])
    ax.set_title("number at risk", fontsize=8, loc="left", fontweight="normal")


def _ticks(fitters: dict, step: int | None = None) -> np.ndarray:
    tmax = max(float(k.timeline.max()) for k in fitters.values())
    step = step or max(1, int(np.ceil(tmax / 7)))
    return np.arange(0, tmax + 0.5, step)


def _xlim(ax, ax_r, ticks) -> None:
    pad = 0.06 * (ticks[-1] - ticks[0] if len(ticks) > 1 else 1.0)
    for a in (ax, ax_r):
        a.set_xlim(ticks[0] - pad, ticks[-1] + pad)


def km_figure(fitters: dict, *, title: str, xlabel: str = DAY_AXIS,
              ylabel: str = "share not yet churned", source: str | None = None,
              tick_step: int | None = None, ylim=(0, 1.02)):
    """KM curves (dict label -> fitted KaplanMeierFitter) with bands and an at-risk strip."""
    n = len(fitters)
    fig, (ax, ax_r) = style.figure(2, 1, width=8.0, height=4.4 + 0.22 * n,
                                   gridspec_kw={"height_ratios": [4.0, 0.45 + 0.28 * n]})
    _km_on(ax, fitters)
    ticks = _ticks(fitters, tick_step)
    ax.set_xticks(ticks)
    style.label(ax, xlabel, ylabel, title)
    style.percent_axis(ax.yaxis)
    ax.set_ylim(*ylim)
    _xlim(ax, ax_r, ticks)
    if n > 1:
        ax.legend(loc="lower left")
    _risk_strip(ax_r, fitters, ticks)
    _notes(fig, source)
    return fig


def km_grid(panels: dict, *, title: str | None = None, ncols: int = 2, source: str | None = None,
            xlabel: str = DAY_AXIS, xlabels: dict | None = None, tick_step: int | None = None):
    """Small multiples: panels = {panel title: {level: kmf}}, each with its at-risk strip.
    ``xlabels`` overrides the x label of named panels (e.g. a landmark clock)."""
    xlabels = xlabels or {}
    names = list(panels)
    nrows = int(np.ceil(len(names) / ncols))
    max_levels = max(len(p) for p in panels.values())
    strip = 0.35 + 0.22 * max_levels
    ratios = []
    for _ in range(nrows):
        ratios += [3.0, strip]
    fig, axes = style.figure(2 * nrows, ncols, width=4.3 * ncols,
                             height=nrows * (3.0 + strip) * 0.95,
                             gridspec_kw={"height_ratios": ratios})
    axes = np.atleast_2d(axes)
    for i in range(nrows * ncols):
        r, c = divmod(i, ncols)
        ax, ax_r = axes[2 * r, c], axes[2 * r + 1, c]
        if i >= len(names):
            ax.set_visible(False)
            ax_r.set_visible(False)
            continue
        fits = panels[names[i]]
        _km_on(ax, fits, lw=1.4)
        ticks = _ticks(fits, tick_step)
        ax.set_xticks(ticks)
        _xlim(ax, ax_r, ticks)
        style.percent_axis(ax.yaxis)
        ax.set_title(names[i], fontsize=9.5)
        ax.set_xlabel(xlabels.get(names[i], xlabel), fontsize=8.5)
        ax.set_ylabel("not yet churned", fontsize=8.5)
        ax.legend(loc="lower left", fontsize=7.5)
        _risk_strip(ax_r, fits, ticks, fontsize=7)
    if title:
        fig.suptitle(title, fontweight="bold", fontsize=11, x=0.01, ha="left")
    _notes(fig, source)
    return fig


def cohort_heatmap(triangle: pd.DataFrame, *, value: str = "rate_on", title: str,
                   source: str | None = None):
    """Cohort x day-N heat map of a retention rate (cells a cohort has not reached are blank)."""
    n_days = int(max(triangle["cohort"].max(), triangle["n"].max())) + 1
    grid = np.full((n_days, n_days), np.nan)
    grid[triangle["cohort"].to_numpy(int), triangle["n"].to_numpy(int)] = triangle[value]
    sizes = triangle.groupby("cohort")["cohort_size"].first()
    rows = sizes.index.to_numpy(int)
    grid = grid[rows]
    fig, ax = style.figure(width=8.5, height=max(3.0, 0.28 * len(rows) + 1.6))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")
    im = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap=cmap, vmin=0, vmax=1,
                   interpolation="nearest")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"day {c} (n={sizes[c]:,})" for c in rows], fontsize=7.5)
    ax.set_xticks(range(0, n_days, 2))
    ax.grid(False)
    style.label(ax, "N (days after the cohort's first active day)",
                "cohort = first active day", title)
    cb = fig.colorbar(im, ax=ax, shrink=0.9)
    cb.set_label("share of cohort active" + (" on day N" if value == "rate_on"
                                              else " on or after day N"))
    style.percent_axis(cb.ax.yaxis)
    _notes(fig, source)
    return fig


def retention_curve(avg: pd.DataFrame, *, title: str, source: str | None = None):
    """Averaged day-N retention ("on day N" with Wilson 95% band, and "on or after day N")."""
    fig, ax = style.figure()
    n = avg["n"].to_numpy()
    ax.plot(n, avg["rate_on"], marker="o", ms=3.5, color=style.PALETTE[0], label="active on day N")
    ax.fill_between(n, avg["on_lo"], avg["on_hi"], color=style.PALETTE[0], alpha=0.18, lw=0)
    ax.plot(n, avg["rate_on_or_after"], marker="s", ms=3.5, color=style.ACCENT,
            label="active on or after day N")
    style.label(ax, "N (days after the cohort's first active day)", "share of users", title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    style.percent_axis(ax.yaxis)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    _notes(fig, source)
    return fig


def forest_plot(summary: pd.DataFrame, *, title: str, source: str | None = None):
    """Hazard ratios with 95% CIs on a log axis; snapshot covariates in grey with an asterisk.

    HR > 1 = churns sooner; HR < 1 = stays longer."""
    s = summary.iloc[::-1].reset_index(drop=True)
    fig, ax = style.figure(width=8.0, height=0.38 * len(s) + 1.6)
    y = np.arange(len(s))
    for snap, color, lab in ((False, style.PALETTE[0], "early activity (first days)"),
                             (True, style.MUTED, "profile snapshot (end of window) *")):
        m = s["snapshot"].to_numpy(bool) == snap
        if not m.any():
            continue
        ax.errorbar(s.loc[m, "hr"], y[m],
                    xerr=[s.loc[m, "hr"] - s.loc[m, "hr_lo"], s.loc[m, "hr_hi"] - s.loc[m, "hr"]],
                    fmt="o", color=color, ecolor=color, capsize=3, label=lab)
    ax.axvline(1.0, color="#333", lw=0.8)
    ax.set_xscale("log")
    lo = float(np.nanmin(s["hr_lo"])) if len(s) else 0.5
    hi = float(np.nanmax(s["hr_hi"])) if len(s) else 2.0
    nice = np.array([0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 10])
    ticks = nice[(nice >= lo * 0.9) & (nice <= hi * 1.1)]
    if len(ticks) >= 2:
        ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y)
    ax.set_yticklabels([f"{lab}{' *' if sn else ''}" for lab, sn in zip(s["label"], s["snapshot"])])
    style.label(ax, "hazard ratio of churn (log scale; < 1 = stays longer)", "")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)
    fig.legend(loc="outside lower right", ncols=2, fontsize=8)
    _notes(fig, source, beijing=False)
    return fig


def km_vs_truth(comparison, *, title: str, source: str | None = None):
    """KM estimates (with bands) against the true survival of the planted lifetimes.

    ``comparison`` is one frame from :func:`retention.true_vs_km` or a dict {label: frame}
    (e.g. two activity definitions); the truth is drawn from the first frame."""
    comps = comparison if isinstance(comparison, dict) else {
        "Kaplan-Meier (inactivity-based churn)": comparison}
    fig, ax = style.figure()
    first = next(iter(comps.values()))
    for i, (lab, c) in enumerate(comps.items()):
        col = style.PALETTE[[0, 2, 3, 4][i % 4]]
        t = np.r_[0, c["t"].to_numpy()]
        ax.step(t, np.r_[1, c["km"].to_numpy()], where="post", color=col, lw=1.8, label=lab)
        ax.fill_between(t, np.r_[1, c["lo"]], np.r_[1, c["hi"]], step="post", color=col,
                        alpha=0.16, lw=0)
    t = np.r_[0, first["t"].to_numpy()]
    ax.step(t, np.r_[1, first["truth"].to_numpy()], where="post", color=style.ACCENT,
            lw=1.8, ls="--", label="truth (planted lifetimes)")
    style.label(ax, DAY_AXIS, "share not yet churned", title)
    style.percent_axis(ax.yaxis)
    lo = min(float(c["lo"].min()) for c in comps.values())
    ax.set_ylim(max(0.0, lo - 0.1), 1.01)
    ax.legend(loc="lower left")
    _notes(fig, source)
    return fig


def hazard_by_age_plot(h: pd.DataFrame, *, title: str, clock_label: str,
                       source: str | None = None):
    """Churn rate per 100 user-days by account-age band, with Poisson 95% CIs."""
    h = h[h["exposure_days"] > 0].reset_index(drop=True)
    fig, ax = style.figure()
    x = np.arange(len(h))
    rate = h["per_100_days"].to_numpy(float)
    lo = np.nan_to_num(rate - h["lo"].to_numpy(float))
    hi = np.nan_to_num(h["hi"].to_numpy(float) - rate)
    ax.bar(x, rate, color=style.PALETTE[0], alpha=0.85)
    ax.errorbar(x, rate, yerr=[lo, hi], fmt="none", ecolor="#333", capsize=3)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{b}\n(n={n:,})" for b, n in zip(h["age_band"], h["users"])], fontsize=8)
    style.label(ax, f"{clock_label} at entry (days)", "churn events per 100 user-days", title)
    _notes(fig, source, beijing=False)
    return fig


def no_truth_figure():
    """Placeholder for the twin-validation figure on data without ground truth."""
    fig, ax = style.figure(height=1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, "No ground truth: this data folder is not a synthetic twin,\n"
            "so the planted survival curve cannot be shown.", ha="center", va="center",
            fontsize=10, color="#55606b", transform=ax.transAxes)
    return fig
