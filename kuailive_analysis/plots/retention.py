"""Figures for chapter 3 (retention and survival).

Every Kaplan-Meier figure shows pointwise 95% confidence bands and, in a strip under the
axes, the number of users still at risk at each tick (users whose follow-up reaches that day
and who have not churned before it), one row per curve; that strip is an Axes of its own, so
the Kaplan-Meier functions take ``axes`` (curve and strip per panel). Every function draws into
``ax`` / ``axes`` (else a new figure) and returns the Figure; see :mod:`kuailive_analysis.plots`
for the conventions. The cohort heat map is drawn with seaborn.
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


@style.styled
def km_figure(
    fitters: dict,
    *,
    axes=None,
    title: str | None = None,
    xlabel: str = DAY_AXIS,
    ylabel: str = "share not yet churned (%)",
    source: str | None = None,
    tick_step: int | None = None,
    ylim=(0, 1.02),
):
    """KM curves (dict label -> fitted KaplanMeierFitter) with bands and an at-risk strip;
    ``axes``: two Axes, the curves and the at-risk strip under them."""
    n = len(fitters)
    fig, (ax, ax_r) = style.axes_or_subplots(
        axes,
        2,
        2,
        1,
        width=8.0,
        height=4.4 + 0.22 * n,
        gridspec_kw={"height_ratios": [4.0, 0.45 + 0.28 * n]},
    )
    title = style.resolve_title(title, "Kaplan-Meier survival: share of users not yet churned")
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
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def km_grid(
    panels: dict,
    *,
    axes=None,
    title: str | None = None,
    ncols: int = 2,
    source: str | None = None,
    xlabel: str = DAY_AXIS,
    xlabels: dict | None = None,
    tick_step: int | None = None,
):
    """Small multiples: panels = {panel title: {level: kmf}}, each with its at-risk strip.
    ``xlabels`` overrides the x label of named panels (e.g. a landmark clock). ``axes``: two
    Axes per panel, (curves, strip) in panel order."""
    xlabels = xlabels or {}
    names = list(panels)
    if axes is None:
        nrows = int(np.ceil(len(names) / ncols))
        max_levels = max(len(p) for p in panels.values())
        strip = 0.35 + 0.22 * max_levels
        ratios = []
        for _ in range(nrows):
            ratios += [3.0, strip]
        fig, grid = style.figure(
            2 * nrows,
            ncols,
            width=4.3 * ncols,
            height=nrows * (3.0 + strip) * 0.95,
            gridspec_kw={"height_ratios": ratios},
            squeeze=False,
        )
        pairs = [
            (grid[2 * r, c], grid[2 * r + 1, c])
            for r, c in (divmod(i, ncols) for i in range(nrows * ncols))
        ]
    else:
        fig, flat = style.axes_or_subplots(axes, 2 * len(names))
        pairs = list(zip(flat[0::2], flat[1::2]))
    for i, (ax, ax_r) in enumerate(pairs):
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
        ax.set_ylabel("not yet churned (%)", fontsize=8.5)
        ax.legend(loc="lower left", fontsize=7.5)
        _risk_strip(ax_r, fits, ticks, fontsize=7)
    style.suptitle(fig, style.resolve_title(title, "Kaplan-Meier survival by segment"))
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def cohort_heatmap(
    triangle: pd.DataFrame,
    *,
    value: str = "rate_on",
    ax=None,
    title: str | None = None,
    source: str | None = None,
    min_size: int = 0,
):
    """Cohort x day-N heat map of a retention rate, drawn with seaborn (cells a cohort has not
    reached are blank).

    ``triangle`` is :func:`retention.cohort_triangle` or :func:`retention.pool_cohorts` (then
    rows are blocks of pooled small cohorts, labelled by its ``label`` column). Cells whose
    denominator (``denominator``, else ``cohort_size``) is below ``min_size`` users are
    greyed out and not coloured by their rate."""
    n_days = int(max(triangle["cohort"].max(), triangle["n"].max())) + 1
    rows = np.sort(triangle["cohort"].unique()).astype(int)
    pos = {c: i for i, c in enumerate(rows)}
    grid = np.full((len(rows), n_days), np.nan)
    r_idx = triangle["cohort"].map(pos).to_numpy(int)
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
    sns.heatmap(
        frame,
        ax=ax,
        cmap="viridis",
        vmin=0,
        vmax=1,
        xticklabels=2,
        yticklabels=1,
        cbar_kws={
            "shrink": 0.9,
            "label": "share of cohort active "
            + ("on day N (%)" if value == "rate_on" else "on or after day N (%)"),
        },
    )
    cbar_ax = ax.collections[-1].colorbar.ax
    if small.any():
        grey = pd.DataFrame(np.where(small, 1.0, np.nan), index=labels, columns=range(n_days))
        sns.heatmap(
            grey, ax=ax, cmap=ListedColormap(["#c8c8c8"]), cbar=False, xticklabels=2, yticklabels=1
        )
        ax.legend(
            handles=[Patch(color="#c8c8c8", label=f"fewer than {min_size} users")],
            loc="upper right",
            fontsize=7.5,
        )
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
def retention_curve(avg, *, ax=None, title: str | None = None, source: str | None = None):
    """Averaged day-N retention ("on day N", Amplitude N-day, with Wilson 95% band, and "on or
    after day N", Amplitude unbounded). ``avg`` is one frame of
    :func:`retention.averaged_retention` or a dict {population: frame} (one colour each)."""
    curves = avg if isinstance(avg, dict) else {"": avg}
    fig, ax = style.axes_or_figure(ax)
    title = style.resolve_title(title, "Day-N retention averaged over cohorts")
    for i, (name, a) in enumerate(curves.items()):
        col = style.PALETTE[[0, 2, 3, 4][i % 4]] if name else style.PALETTE[0]
        pre = f"{name}: " if name else ""
        n = a["n"].to_numpy()
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
def forest_plot(
    summary: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
):
    """Hazard ratios with 95% CIs on a log axis; snapshot covariates in grey with an asterisk.

    HR > 1 = churns sooner; HR < 1 = stays longer."""
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
        if not m.any():
            continue
        hr, lo, hi = (s.loc[m, c].to_numpy(float) for c in ("hr", "hr_lo", "hr_hi"))
        ax.errorbar(
            hr,
            y[m],
            xerr=[hr - lo, hi - hr],
            fmt="o",
            color=color,
            ecolor=color,
            capsize=3,
            label=lab,
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
    style.label(
        ax,
        "hazard ratio of churn (ratio, log scale; < 1 = stays longer)",
        "covariate",
        None if own else title,
    )
    if own:  # long covariate names: the title spans the figure, the legend sits below
        style.suptitle(fig, title)
        fig.legend(loc="outside lower right", ncols=2, fontsize=8)
    else:
        ax.legend(loc="lower right", fontsize=8)
    style.footnote(fig, source)
    return fig


@style.styled
def km_vs_truth(comparison, *, ax=None, title: str | None = None, source: str | None = None):
    """KM estimates (with bands) against the true survival of the planted lifetimes.

    ``comparison`` is one frame from :func:`retention.true_vs_km` or a dict {label: frame}
    (e.g. two activity definitions, ``RetentionResult.truth_curves``); the truth is drawn from
    the first frame. None (data without ground truth) draws :func:`no_truth_figure`."""
    if comparison is None:
        return no_truth_figure(ax=ax, title=title)
    comps = (
        comparison
        if isinstance(comparison, dict)
        else {"Kaplan-Meier (inactivity-based churn)": comparison}
    )
    fig, ax = style.axes_or_figure(ax)
    title = style.resolve_title(title, "Kaplan-Meier estimates against the planted survival")
    first = next(iter(comps.values()))
    for i, (lab, c) in enumerate(comps.items()):
        col = style.PALETTE[[0, 2, 3, 4][i % 4]]
        t = np.r_[0, c["t"].to_numpy()]
        ax.step(t, np.r_[1, c["km"].to_numpy()], where="post", color=col, lw=1.8, label=lab)
        ax.fill_between(
            t, np.r_[1, c["lo"]], np.r_[1, c["hi"]], step="post", color=col, alpha=0.16, lw=0
        )
    t = np.r_[0, first["t"].to_numpy()]
    ax.step(
        t,
        np.r_[1, first["truth"].to_numpy()],
        where="post",
        color=style.ACCENT,
        lw=1.8,
        ls="--",
        label="truth (planted lifetimes)",
    )
    style.label(ax, DAY_AXIS, "share not yet churned (%)", title)
    style.percent_axis(ax.yaxis)
    lo = min(float(c["lo"].min()) for c in comps.values())
    ax.set_ylim(max(0.0, lo - 0.1), 1.01)
    ax.legend(loc="lower left")
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def hazard_by_age_plot(
    h: pd.DataFrame,
    *,
    clock_label: str,
    ax=None,
    title: str | None = None,
    source: str | None = None,
):
    """Churn rate per 100 user-days by account-age band, with Poisson 95% CIs."""
    h = h[h["exposure_days"] > 0].reset_index(drop=True)
    fig, ax = style.axes_or_figure(ax)
    title = style.resolve_title(title, f"Churn hazard by {clock_label} at entry")
    x = np.arange(len(h))
    rate = h["per_100_days"].to_numpy(float)
    lo = np.nan_to_num(rate - h["lo"].to_numpy(float))
    hi = np.nan_to_num(h["hi"].to_numpy(float) - rate)
    ax.bar(x, rate, color=style.PALETTE[0], alpha=0.85)
    ax.errorbar(x, rate, yerr=[lo, hi], fmt="none", ecolor="#333", capsize=3)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{b}\n(n={n:,})" for b, n in zip(h["age_band"], h["users"])], fontsize=8)
    style.label(
        ax, f"{clock_label} at entry (days)", "churn events per 100 user-days (rate)", title
    )
    style.footnote(fig, source)
    return fig


@style.styled
def no_truth_figure(*, ax=None, title: str | None = None):
    """Placeholder for the twin-validation figure on data without ground truth (no axes to
    label; ``title`` defaults to none)."""
    fig, ax = style.axes_or_figure(ax, height=1.6)
    ax.axis("off")
    ax.text(
        0.5,
        0.5,
        "No ground truth: this data folder is not a synthetic twin,\n"
        "so the planted survival curve cannot be shown.",
        ha="center",
        va="center",
        fontsize=10,
        color="#55606b",
        transform=ax.transAxes,
    )
    if title:
        ax.set_title(title)
    return fig
