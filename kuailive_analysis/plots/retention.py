"""Figures for chapter 3 (retention and survival).

Every Kaplan-Meier figure shows pointwise 95% bands and, under each panel, the number of users
at risk at each tick, one row per curve, drawn by lifelines' ``add_at_risk_counts`` (counted
at the start of the period: users whose follow-up reaches the tick and who have not churned
before it); under constrained layout its rows take their place below each panel, in a grid as
well. Every function draws into ``ax`` / ``axes`` (else a new figure) and returns the Figure;
see :mod:`kuailive_analysis.plots` for the conventions (``ax``, ``title``, ``source``). The
cohort heat map is drawn with seaborn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from kuailive_analysis.plots import style

DAY_AXIS = "days since first activity in the window"
SURVIVAL_AXIS = "share not yet churned (%)"


def _km_panel(ax, fitters: dict, tick_step: int | None, lw: float, fontsize: float) -> None:
    """Curves with bands, ticks every ``tick_step`` days (about seven ticks by default) and the
    numbers at risk at each tick under the axes."""
    from lifelines.plotting import add_at_risk_counts

    for i, (name, kmf) in enumerate(fitters.items()):
        sf, ci = kmf.survival_function_, kmf.confidence_interval_survival_function_
        t, c = sf.index.to_numpy(float), style.PALETTE[i % len(style.PALETTE)]
        ax.step(t, sf.iloc[:, 0], where="post", color=c, lw=lw, label=str(name))
        ax.fill_between(t, ci.iloc[:, 0], ci.iloc[:, 1], step="post", color=c, alpha=0.18, lw=0)
    tmax = max(float(k.timeline.max()) for k in fitters.values())
    ticks = np.arange(0, tmax + 0.5, tick_step or max(1, int(np.ceil(tmax / 7))))
    pad = 0.06 * (ticks[-1] - ticks[0] if len(ticks) > 1 else 1.0)
    ax.set_xticks(ticks)
    ax.set_xlim(ticks[0] - pad, ticks[-1] + pad)
    style.percent_axis(ax.yaxis)
    add_at_risk_counts(
        *fitters.values(),
        labels=[str(n) for n in fitters],
        rows_to_show=["At risk"],
        xticks=list(ticks),
        at_risk_count_from_start_of_period=True,
        ax=ax,
        fig=ax.figure,
        fontsize=fontsize,
    )


@style.styled
def plot_km(
    fitters: dict,
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
    xlabel: str = DAY_AXIS,
    tick_step: int | None = None,
):
    """Kaplan-Meier curves ``fitters`` ({legend label: fitted KaplanMeierFitter}) with their 95%
    bands and the numbers at risk; ``tick_step``: days between ticks and counts."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=4.4 + 0.22 * len(fitters))
    title = style.resolve_title(title, "Kaplan-Meier survival: share of users not yet churned")
    _km_panel(ax, fitters, tick_step, lw=1.8, fontsize=8)
    style.label(ax, xlabel, SURVIVAL_AXIS, title)
    ax.set_ylim(0, 1.02)
    if len(fitters) > 1:
        ax.legend(loc="lower left")
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_km_grid(
    panels: dict,
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
    ncols: int = 2,
    xlabels: dict | None = None,
    tick_step: int | None = None,
):
    """Small multiples of Kaplan-Meier curves, ``panels`` = {panel title: {level: fitter}}, each
    with its bands and numbers at risk; ``axes``: one Axes per panel (else ``ncols`` columns);
    ``xlabels``: {panel title: x label} for panels on another clock (the landmark)."""
    xlabels, names = xlabels or {}, list(panels)
    nrows = int(np.ceil(len(names) / ncols))
    height = nrows * (3.35 + 0.22 * max(len(p) for p in panels.values())) * 0.95
    size = {"width": 4.3 * ncols, "height": height}
    fig, flat = style.axes_or_subplots(axes, len(names), nrows, ncols, **size)
    for ax in flat[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(flat, names):
        _km_panel(ax, panels[name], tick_step, lw=1.4, fontsize=7)
        ax.set_title(name, fontsize=9.5)
        ax.set_xlabel(xlabels.get(name, DAY_AXIS), fontsize=8.5)
        ax.set_ylabel("not yet churned (%)", fontsize=8.5)
        ax.legend(loc="lower left", fontsize=7.5)
    style.suptitle(fig, style.resolve_title(title, "Kaplan-Meier survival by segment"))
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_cohort_heatmap(
    triangle: pd.DataFrame,
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
    value: str = "rate_on",
    min_size: int = 0,
):
    """Cohort x day-N heat map of ``value`` (``rate_on`` or ``rate_on_or_after``) of
    :func:`~kuailive_analysis.retention.cohort_triangle` or of
    :func:`~kuailive_analysis.retention.pool_cohorts` (rows labelled by its ``label``); cells a
    cohort has not reached are blank, cells resting on fewer than ``min_size`` users grey."""
    n_days = int(max(triangle["cohort"].max(), triangle["n"].max())) + 1
    rows = np.sort(triangle["cohort"].unique()).astype(int)
    grid = np.full((len(rows), n_days), np.nan)
    r_idx = triangle["cohort"].map({c: i for i, c in enumerate(rows)}).to_numpy(int)
    n_idx = triangle["n"].to_numpy(int)
    grid[r_idx, n_idx] = triangle[value]
    den = triangle["denominator"] if "denominator" in triangle else triangle["cohort_size"]
    small = np.zeros_like(grid, dtype=bool)
    small[r_idx, n_idx] = den.to_numpy() < min_size
    if "label" in triangle:
        labels = triangle.groupby("cohort")["label"].first().loc[rows].tolist()
    else:
        sizes = triangle.groupby("cohort")["cohort_size"].first()
        labels = [f"day {c} (n={sizes[c]:,})" for c in rows]
    fig, ax = style.axes_or_figure(ax, width=8.5, height=max(3.0, 0.28 * len(rows) + 1.6))
    title = style.resolve_title(title, "Day-N retention by cohort")
    frame = pd.DataFrame(np.where(small, np.nan, grid), index=labels, columns=range(n_days))
    what = "on day N (%)" if value == "rate_on" else "on or after day N (%)"
    sns.heatmap(
        frame,
        ax=ax,
        cmap="viridis",
        vmin=0,
        vmax=1,
        xticklabels=2,
        yticklabels=1,
        cbar_kws={"shrink": 0.9, "label": f"share of cohort active {what}"},
    )
    cbar_ax = ax.collections[-1].colorbar.ax
    if small.any():
        grey = pd.DataFrame(np.where(small, 1.0, np.nan), index=labels, columns=range(n_days))
        sns.heatmap(
            grey, ax=ax, cmap=ListedColormap(["#c8c8c8"]), cbar=False, xticklabels=2, yticklabels=1
        )
        patch = Patch(color="#c8c8c8", label=f"fewer than {min_size} users")
        ax.legend(handles=[patch], loc="upper right", fontsize=7.5)
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0, labelsize=7.5)
    ax.grid(False)
    style.label(
        ax, "N (days after the cohort's first active day)", "cohort = first active day", title
    )
    style.percent_axis(cbar_ax.yaxis)
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_retention_curve(avg, *, ax=None, title: str | None = None, source: str | None = None):
    """Averaged day-N retention, ``avg`` = :func:`~kuailive_analysis.retention.averaged_retention`
    or {population: that frame}: "on day N" (Amplitude N-day, with its Wilson 95% band) and "on
    or after day N" (Amplitude unbounded)."""
    curves = avg if isinstance(avg, dict) else {"": avg}
    fig, ax = style.axes_or_figure(ax)
    title = style.resolve_title(title, "Day-N retention averaged over cohorts")
    for i, (name, a) in enumerate(curves.items()):
        col = style.PALETTE[[0, 2, 3, 4][i % 4]] if name else style.PALETTE[0]
        pre, n = f"{name}: " if name else "", a["n"].to_numpy()
        ax.plot(
            n, a["rate_on"], marker="o", ms=3.5, color=col, label=f"{pre}active on day N (N-day)"
        )
        ax.fill_between(n, a["on_lo"], a["on_hi"], color=col, alpha=0.18, lw=0)
        ax.plot(
            n,
            a["rate_on_or_after"],
            marker="s",
            ms=3.5,
            ls="--" if name else "-",
            color=col if name else style.ACCENT,
            label=f"{pre}active on or after day N (unbounded)",
        )
    style.label(ax, "N (days after the cohort's first active day)", "share of users (%)", title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    style.percent_axis(ax.yaxis)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize=7.5 if len(curves) > 1 else None)
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_forest(
    summary: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
):
    """Hazard ratios of ``CoxResult.summary`` with 95% CIs on a log axis (HR > 1: churns sooner;
    HR < 1: stays longer); profile snapshot covariates in grey with an asterisk."""
    s = summary.iloc[::-1].reset_index(drop=True)
    own = ax is None
    fig, ax = style.axes_or_figure(ax, width=8.0, height=0.38 * len(s) + 1.6)
    title = style.resolve_title(title, "Cox model: hazard ratio of churn per covariate")
    y = np.arange(len(s))
    for snap, color, lab in (
        (False, style.PALETTE[0], "early activity (first days)"),
        (True, style.MUTED, "profile snapshot (end of window) *"),
    ):
        m = s["snapshot"].to_numpy(bool) == snap
        if m.any():
            hr, lo, hi = (s.loc[m, c].to_numpy(float) for c in ("hr", "hr_lo", "hr_hi"))
            ax.errorbar(
                hr, y[m], xerr=[hr - lo, hi - hr], fmt="o", color=color, capsize=3, label=lab
            )
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
    xlabel = "hazard ratio of churn (ratio, log scale; < 1 = stays longer)"
    style.label(ax, xlabel, "covariate", None if own else title)
    if own:  # long covariate names: the title spans the figure, the legend sits below
        style.suptitle(fig, title)
        fig.legend(loc="outside lower right", ncols=2, fontsize=8)
    else:
        ax.legend(loc="lower right", fontsize=8)
    style.footnote(fig, source)
    return fig


@style.styled
def plot_km_vs_truth(comparison, *, ax=None, title: str | None = None, source: str | None = None):
    """Kaplan-Meier estimates with bands, ``comparison`` = {label: frame of
    :func:`~kuailive_analysis.retention.true_vs_km`} (or one frame), against the planted
    survival as the churn rule sees it (``seen``, dashed: what the check compares with) and the
    raw planted survival (``truth``, dotted), both drawn from the first frame; None (no ground
    truth) draws a panel that says so, untitled by default."""
    if comparison is None:
        fig, ax = style.axes_or_figure(ax, height=1.6)
        ax.axis("off")
        text = "No ground truth: this data folder is not a synthetic twin,\nso the planted "
        text += "survival curve cannot be shown."
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#55606b",
                transform=ax.transAxes)  # fmt: skip
        if title:
            ax.set_title(title)
        return fig
    comps = comparison if isinstance(comparison, dict) else {"Kaplan-Meier": comparison}
    fig, ax = style.axes_or_figure(ax)
    title = style.resolve_title(title, "Kaplan-Meier estimates against the planted survival")
    for i, (lab, c) in enumerate(comps.items()):
        col, t = style.PALETTE[[0, 2, 3, 4][i % 4]], np.r_[0, c["t"].to_numpy()]
        ax.step(t, np.r_[1, c["km"].to_numpy()], where="post", color=col, lw=1.8, label=lab)
        lo, hi = np.r_[1, c["lo"]], np.r_[1, c["hi"]]
        ax.fill_between(t, lo, hi, step="post", color=col, alpha=0.16, lw=0)
    first = next(iter(comps.values()))
    t = np.r_[0, first["t"].to_numpy()]
    lines = [("truth (planted lifetimes)", "truth", ":")]
    if "seen" in first.columns:
        lines.insert(0, ("truth as the churn rule sees it", "seen", "--"))
    for label, col, ls in lines:
        y = np.r_[1, first[col].to_numpy()]
        ax.step(t, y, where="post", color=style.ACCENT, lw=1.8, ls=ls, label=label)
    style.label(ax, DAY_AXIS, SURVIVAL_AXIS, title)
    style.percent_axis(ax.yaxis)
    ax.set_ylim(max(0.0, min(float(c["lo"].min()) for c in comps.values()) - 0.1), 1.01)
    ax.legend(loc="lower left")
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_age_hazard(
    h: pd.DataFrame,
    *,
    clock_label: str,
    ax=None,
    title: str | None = None,
    source: str | None = None,
):
    """Churns per 100 user-days by account-age band at entry (``h`` =
    :func:`~kuailive_analysis.retention.hazard_by_age`), with Poisson 95% intervals."""
    h = h[h["exposure_days"] > 0].reset_index(drop=True)
    fig, ax = style.axes_or_figure(ax)
    title = style.resolve_title(title, f"Churn hazard by {clock_label} at entry")
    x, rate = np.arange(len(h)), h["per_100_days"].to_numpy(float)
    lo = np.nan_to_num(rate - h["lo"].to_numpy(float))
    hi = np.nan_to_num(h["hi"].to_numpy(float) - rate)
    ax.bar(x, rate, color=style.PALETTE[0], alpha=0.85)
    ax.errorbar(x, rate, yerr=[lo, hi], fmt="none", ecolor="#333", capsize=3)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{b}\n(n={n:,})" for b, n in zip(h["age_band"], h["users"])], fontsize=8)
    ylabel = "churn events per 100 user-days (rate)"
    style.label(ax, f"{clock_label} at entry (days)", ylabel, title)
    style.footnote(fig, source)
    return fig
