"""Figures of chapter 5 (funnel and CTR KPIs). Inputs are the tables of a
:class:`~kuailive_analysis.funnel.FunnelResult`; every ``plot_*`` function draws into ``ax``
(``axes`` for a figure of several panels; else a new figure), takes the ``title`` the result
states (``res.titles``) and the data ``source``, and returns the
:class:`~matplotlib.figure.Figure` (conventions: :mod:`kuailive_analysis.plots`). Rates are
drawn with the intervals carried by the tables (Wilson, or users resampled:
:func:`kuailive_analysis.funnel.user_intervals`) so that small segments are not over-read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from kuailive_analysis.core.calendar import MS_PER_SECOND
from kuailive_analysis.core.format import format_percent
from kuailive_analysis.funnel.common import STEP_LABELS, STEPS
from kuailive_analysis.funnel.watch import watch_outcome
from kuailive_analysis.plots import style
from kuailive_analysis.plots.style import ACCENT, MUTED, PALETTE, label, percent_axis

KPI_LABELS = {
    "ctr": "CTR (clicks / exposures)",
    "qualified_rate": "qualified watches / clicks",
    "interaction_rate": "clicks with like, comment or gift",
    "comment_rate": "clicks with a comment",
    "like_rate": "clicks with a like",
    "gtr": "GTR (clicks with a gift)",
}

SEGMENT_LABELS = {
    "hour": "hour of day (Beijing)",
    "day": "day of window (0 = 5 May, Beijing)",
    "live_content_category": "room category",
    "live_type": "room type",
    "streamer_decile": "streamer popularity decile (10 = most exposed)",
    "user_decile": "user activity decile (10 = most active)",
    "age": "user age band",
    "gender": "user gender",
    "device_price": "user device price band (CNY)",
    "screen_size_cap": "exposures in the same millisecond (screen size, capped)",
    "exposure_index_cap": "n-th exposure of the room to the user (capped)",
}

BEIJING_SEGMENTS = ("hour", "day")


@style.styled
def plot_funnel(
    funnel_long: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
) -> Figure:
    """Horizontal funnel: bar length = units reaching each step (log scale), annotated with
    the count, the step conversion [95% CI] and the overall conversion."""
    f = funnel_long.set_index("step").reindex(list(STEPS))
    fig, ax = style.axes_or_figure(ax, height=3.6)
    title = style.resolve_title(title, "From exposure to gift: units reaching each step")
    y = np.arange(len(f))[::-1]
    ax.barh(y, f["n"], color=[PALETTE[0]] + [PALETTE[0]] * (len(f) - 1), alpha=0.85, height=0.6)
    ax.set_xscale("log")
    ax.set_yticks(y, [STEP_LABELS[s] for s in f.index])
    xmax = float(f["n"].max())
    ax.set_xlim(
        max(0.5, float(f["n"][f["n"] > 0].min()) / 3 if (f["n"] > 0).any() else 0.5), xmax * 400
    )
    for yi, (step, r) in zip(y, f.iterrows()):
        txt = f"{int(r['n']):,}"
        if step != "exposure":
            txt += (
                f"   step {format_percent(r['step_rate'])} [{format_percent(r['step_lo'])}, "
                f"{format_percent(r['step_hi'])}]   overall {format_percent(r['overall_rate'])}"
            )
        ax.text(max(r["n"], 1) * 1.15, yi, txt, va="center", fontsize=8.5)
    ax.grid(axis="y", visible=False)
    label(ax, "units reaching the step (count, log scale)", "funnel step", title)
    style.footnote(fig, source)
    return fig


@style.styled
def plot_unit_funnels(
    unit_funnels: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
) -> Figure:
    """Overall conversion to each step in the three units (exposure, session, user), log
    scale, with 95% Wilson intervals."""
    fig, ax = style.axes_or_figure(ax, height=3.8)
    title = style.resolve_title(title, "Overall conversion to each step, per unit of analysis")
    units = list(unit_funnels["unit"].cat.categories)
    x = np.arange(len(STEPS))
    w = 0.8 / len(units)
    for i, (u, colour) in enumerate(zip(units, PALETTE)):
        d = unit_funnels[unit_funnels["unit"] == u].set_index("step").reindex(list(STEPS))
        rate = d["overall_rate"].to_numpy()
        err = np.vstack([rate - d["overall_lo"].to_numpy(), d["overall_hi"].to_numpy() - rate])
        at = x + (i - (len(units) - 1) / 2) * w
        ax.bar(
            at, rate, w, yerr=err, color=colour, label=f"per {u}", capsize=2, error_kw={"lw": 0.8}
        )
    ax.set_yscale("log")
    rates = unit_funnels["overall_rate"].to_numpy(np.float64)
    pos = rates[np.isfinite(rates) & (rates > 0)]
    if len(pos):
        ax.set_ylim(10 ** np.floor(np.log10(pos.min())), 1.5)
    ax.set_xticks(x, [STEP_LABELS[s] for s in STEPS])
    ax.yaxis.set_major_formatter(
        lambda v, _: f"{v:.2%}".rstrip("0").rstrip(".") if v < 0.01 else f"{v:.0%}"
    )
    label(ax, "funnel step", "share of units reaching the step (%, log scale)", title)
    ax.legend()
    style.footnote(fig, source)
    return fig


DOTS = {"fmt": "o", "ms": 3.5, "elinewidth": 0.9, "capsize": 2}
"""Style of a rate with its interval (a dot and an error bar)."""


def _errbar(ax, x, t: pd.DataFrame, rate: str, colour: str) -> None:
    r = t[rate].to_numpy(np.float64)
    lo = t[f"{rate}_lo"].to_numpy(np.float64)
    hi = t[f"{rate}_hi"].to_numpy(np.float64)
    err = np.vstack([np.nan_to_num(r - lo), np.nan_to_num(hi - r)])
    ax.errorbar(x, r, yerr=err, color=colour, ecolor=colour, **DOTS)


def _level_ticks(ax, levels, most: int) -> None:
    """Tick labels of the levels of a segment (at most ``most`` shown; long ones slanted)."""
    x, labels = np.arange(len(levels)), [str(v) for v in levels]
    step = max(1, int(np.ceil(len(x) / most)))
    slant = {"rotation": 35, "ha": "right"} if max(map(len, labels), default=0) > 4 else {}
    ax.set_xticks(x[::step], labels[::step], fontsize=8, **slant)
    ax.set_xlim(-0.6, len(x) - 0.4)


@style.styled
def plot_segment_grid(
    segments: Mapping[str, pd.DataFrame],
    rate: str,
    overall: float,
    *,
    axes=None,
    title: str | None = None,
    ncols: int = 3,
    source: str | None = None,
) -> Figure:
    """One panel per segment variable: ``rate`` by level with its 95% interval, and the
    overall rate as a dashed line. ``segments`` maps column -> :func:`funnel.kpi_table`;
    ``axes``: one Axes per segment variable."""
    names = list(segments)
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = style.axes_or_subplots(
        axes, len(names), nrows, ncols, width=4.0 * ncols, height=2.9 * nrows
    )
    for ax, name in zip(axes, names):
        t = segments[name]
        _errbar(ax, np.arange(len(t)), t, rate, PALETTE[0])
        ax.axhline(overall, color=ACCENT, ls="--", lw=1)
        _level_ticks(ax, t.index, 11)
        percent_axis(ax.yaxis, 2 if overall < 0.02 else 1)
        ax.set_xlabel(SEGMENT_LABELS.get(name, name), fontsize=8.5)
        ax.set_ylabel(f"{KPI_LABELS.get(rate, rate)} (%)", fontsize=8.5)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    style.suptitle(
        fig,
        style.resolve_title(title, f"{KPI_LABELS.get(rate, rate)} by segment, with 95% intervals"),
    )
    style.footnote(fig, source, beijing=any(n in BEIJING_SEGMENTS for n in names))
    return fig


def _draw_step_rates(axes, funnel_long: pd.DataFrame, by: str) -> None:
    """Step conversion by the levels of ``by`` into one Axes per step after exposure."""
    levels = list(pd.unique(funnel_long[by]))
    x = np.arange(len(levels))
    for ax, step in zip(axes, STEPS[1:]):
        d = funnel_long[funnel_long["step"] == step].set_index(by).reindex(levels)
        t = pd.DataFrame({"r": d["step_rate"], "r_lo": d["step_lo"], "r_hi": d["step_hi"]})
        _errbar(ax, x, t, "r", PALETTE[STEPS.index(step) - 1])
        _level_ticks(ax, levels, 9)
        percent_axis(ax.yaxis, 1)
        prev = STEP_LABELS[STEPS[STEPS.index(step) - 1]].lower()
        ax.set_title(f"{STEP_LABELS[step]} / {prev}", fontsize=9, fontweight="normal")
        ax.set_xlabel(SEGMENT_LABELS.get(by, by), fontsize=8.5)
    axes[0].set_ylabel("step conversion (%, 95% CI)")


@style.styled
def plot_segment_funnels(
    funnels: Mapping[str, pd.DataFrame],
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Step conversion (click/exposure, qualified/click, interaction/qualified,
    gift/interaction) by the levels of each segment, one row of four step panels per segment,
    with the tables' intervals (``funnels`` maps the segment column to its
    :func:`kuailive_analysis.funnel.funnel` table); ``axes``: four Axes per segment."""
    names = list(funnels)
    n = len(STEPS) - 1
    fig, axes = style.axes_or_subplots(
        axes, n * len(names), max(len(names), 1), n, width=3.3 * n, height=3.2 * max(len(names), 1)
    )
    for row, by in enumerate(names):
        _draw_step_rates(axes[row * n : (row + 1) * n], funnels[by], by)
    if not names:
        for ax in axes:
            ax.set_visible(False)
    style.suptitle(fig, style.resolve_title(title, "Funnel step conversion by segment"))
    style.footnote(fig, source, beijing=any(by in BEIJING_SEGMENTS for by in names))
    return fig


@style.styled
def plot_daily(
    daily: pd.DataFrame,
    *,
    axes=None,
    title: str | None = None,
    rates: Sequence[str] = ("ctr", "qualified_rate", "interaction_rate", "gtr"),
    source: str | None = None,
) -> Figure:
    """Daily KPI lines over the window with 95% bands (the table's intervals), one panel per
    KPI; ``axes``: one Axes per rate."""
    fig, axes = style.axes_or_subplots(
        axes, len(rates), 1, len(rates), width=3.3 * len(rates), height=3.2, sharex=True
    )
    x = daily["date"]
    for ax, rate, colour in zip(axes, rates, PALETTE):
        ax.plot(x, daily[rate], color=colour, lw=1.5, marker="o", ms=2.5)
        ax.fill_between(x, daily[f"{rate}_lo"], daily[f"{rate}_hi"], color=colour, alpha=0.2, lw=0)
        percent_axis(ax.yaxis, 1)
        ax.set_title(KPI_LABELS.get(rate, rate), fontsize=9, fontweight="normal")
        ax.tick_params(axis="x", labelrotation=45, labelsize=7.5)
        ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
        ax.set_xlabel("day (Beijing, 2025)", fontsize=8.5)
    axes[0].set_ylabel("rate (%, 95% CI band)")
    style.suptitle(fig, style.resolve_title(title, "Daily funnel KPIs over the window"))
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_positions(
    by_screen: pd.DataFrame,
    by_index: pd.DataFrame,
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """CTR by screen size (exposures of a user in one millisecond) and by the n-th exposure
    of the same room to the same user, with 95% intervals and exposure shares; ``axes``: two
    Axes."""
    fig, axes = style.axes_or_subplots(axes, 2, 1, 2, width=9.0, height=3.4)
    for ax, t, name in (
        (axes[0], by_screen, "screen_size_cap"),
        (axes[1], by_index, "exposure_index_cap"),
    ):
        x = np.arange(len(t))
        _errbar(ax, x, t, "ctr", PALETTE[0])
        labels = [str(v) for v in t.index]
        if len(labels):
            labels[-1] = labels[-1] + "+"
        ax.set_xticks(x, labels, fontsize=8)
        percent_axis(ax.yaxis, 1)
        ax2 = ax.twinx()
        ax2.bar(
            x, t["exposures"] / t["exposures"].sum(), color=MUTED, alpha=0.35, width=0.6, zorder=0
        )
        ax2.set_ylabel("share of exposures (%, bars)", fontsize=8, color="#55606b")
        percent_axis(ax2.yaxis, 0)
        ax2.grid(False)
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        label(ax, SEGMENT_LABELS[name], "CTR (%, 95% CI, dots)")
    style.suptitle(
        fig,
        style.resolve_title(title, "CTR by screen size and by repeat exposure of the same room"),
    )
    style.footnote(fig, source)
    return fig


@style.styled
def plot_watch_ecdf(
    clicks: pd.DataFrame,
    threshold_s: float,
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """ECDF of watch time per click (seconds, log scale; seaborn ``ecdfplot``) by the
    click's later engagement (:func:`~kuailive_analysis.funnel.watch_outcome` of the click
    table), with the qualified-watch threshold marked."""
    fig, ax = style.axes_or_figure(ax, height=3.6)
    title = style.resolve_title(title, "Watch time per click by the click's engagement")
    floor = 0.1
    w = np.maximum(clicks["watch_ms"].to_numpy(np.float64) / MS_PER_SECOND, floor)
    outcome = watch_outcome(clicks)
    counts = pd.Series(outcome).value_counts()
    names = {c: f"{c} (n = {counts.get(c, 0):,})" for c in outcome.categories}
    present = [names[c] for c in outcome.categories if counts.get(c, 0) > 0]
    if present:
        hue, palette = outcome.rename_categories(names), dict(zip(present, PALETTE))
        sns.ecdfplot(x=w, hue=hue, hue_order=present, palette=palette, log_scale=True, ax=ax)
        sns.move_legend(ax, "upper left", title=None)
    ax.axvline(threshold_s, color=MUTED, ls="--", lw=1)
    ax.text(threshold_s * 1.08, 0.03, f"qualified: {threshold_s:g} s", fontsize=8, color="#55606b")
    ax.set_xscale("log")
    percent_axis(ax.yaxis, 0)
    xlabel = f"watch time of the click (s, log scale; < {floor} s shown at {floor})"
    label(ax, xlabel, "share of clicks watched at most x (%)", title)
    style.footnote(fig, source)
    return fig


@style.styled
def plot_model_metrics(
    metrics: pd.DataFrame, *, axes=None, title: str | None = None, source: str | None = None
) -> Figure:
    """AUC, UAUC and GAUC of each scorer on the test days, one panel per task; 0.5 = chance.
    ``axes``: one Axes per task."""
    tasks = list(dict.fromkeys(metrics.index.get_level_values("task")))
    fig, axes = style.axes_or_subplots(
        axes, len(tasks), 1, len(tasks), width=5.0 * len(tasks), height=3.6
    )
    for ax, task in zip(axes, tasks):
        m = metrics.loc[task]
        y = np.arange(len(m))
        h = 0.26
        for i, (met, colour) in enumerate(zip(("auc", "uauc", "gauc"), PALETTE)):
            ax.barh(y + (1 - i) * h, m[met], h, color=colour, label=met.upper())
            for yi, v in zip(y + (1 - i) * h, m[met]):
                if np.isfinite(v):
                    ax.text(v + 0.005, yi, f"{v:.3f}", va="center", fontsize=7)
        ax.axvline(0.5, color=MUTED, ls="--", lw=1)
        ax.set_yticks(y, list(m.index), fontsize=8)
        v = m[["auc", "uauc", "gauc"]].to_numpy(np.float64)
        lo = float(v[np.isfinite(v)].min()) if np.isfinite(v).any() else 0.5
        ax.set_xlim(min(0.45, lo - 0.02), 1.0)
        ax.set_title(task, fontsize=9.5, fontweight="normal")
        ax.set_xlabel("area under the ROC curve (test part; 0.5 = chance)")
        ax.set_ylabel("scorer")
        ax.grid(axis="y", visible=False)
    axes[0].legend(loc="lower right")
    style.suptitle(fig, style.resolve_title(title, "Ranking quality of each scorer on test days"))
    style.footnote(fig, source)
    return fig


def _draw_calibration(ax, cal: pd.DataFrame, task: str) -> None:
    """Reliability plot of one task into ``ax``: observed rate (dots, 95% Wilson intervals)
    against the mean predicted probability of each equal-count bin; the diagonal = perfect
    calibration; ``task`` (if not empty) as the panel's title."""
    if len(cal):
        hi = float(np.nanmax(cal[["predicted", "hi"]].to_numpy())) * 1.05
        ax.plot([0, hi], [0, hi], color=MUTED, ls="--", lw=1, label="perfect calibration")
        err = np.vstack([cal["observed"] - cal["lo"], cal["hi"] - cal["observed"]])
        bins = "test rows, 10 equal-count bins"
        p, o = cal["predicted"], cal["observed"]
        ax.errorbar(p, o, yerr=err, fmt="o", ms=4, color=ACCENT, capsize=2, lw=1, label=bins)
        ax.set_xlim(0, hi)
        ax.set_ylim(0, hi)
        ax.legend(loc="upper left", fontsize=7.5)
    else:
        skipped = "no model (task skipped)"
        ax.text(0.5, 0.5, skipped, ha="center", va="center", transform=ax.transAxes)
    percent_axis(ax.xaxis, 1 if len(cal) and cal["predicted"].max() < 0.1 else 0)
    percent_axis(ax.yaxis, 1 if len(cal) and cal["predicted"].max() < 0.1 else 0)
    label(ax, "mean predicted probability (%)", "observed rate (%, 95% CI)")
    if task:
        ax.set_title(task, fontsize=9.5, fontweight="normal")


@style.styled
def plot_calibrations(
    tables: Mapping[str, pd.DataFrame],
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Reliability of the model of each task side by side (``tables``: task -> its
    :func:`kuailive_analysis.predict.calibration_table`); ``axes``: one Axes per task."""
    fig, axes = style.axes_or_subplots(
        axes, len(tables), 1, len(tables), width=4.6 * len(tables), height=4.0
    )
    for ax, (task, cal) in zip(axes, tables.items()):
        _draw_calibration(ax, cal, task if title != "" else "")  # "": no titles at all
    style.suptitle(fig, style.resolve_title(title, "Predicted vs observed rate on test days"))
    style.footnote(fig, source)
    return fig


@style.styled
def plot_gift_trend(
    table: pd.DataFrame,
    *,
    ax=None,
    reference: Sequence[float] | None = None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Gifts per click by UTC period with 95% intervals (users resampled)
    (:func:`kuailive_analysis.funnel.gift_trend`); ``reference``: the published values of the
    real files per period, drawn as open markers."""
    fig, ax = style.axes_or_figure(ax, width=5.2, height=3.6)
    x = np.arange(len(table))
    err = np.vstack(
        [table["gifts per click"] - table["lo"], table["hi"] - table["gifts per click"]]
    )
    here = "this data (95% CI, users resampled)"
    ax.errorbar(
        x, table["gifts per click"], yerr=err, fmt="o-", color=ACCENT, capsize=3, label=here
    )
    if reference is not None:
        ax.plot(x, reference, "s--", mfc="none", color=MUTED, label="real KuaiLive (published)")
    ax.set_xticks(x, list(table["period"]))
    percent_axis(ax.yaxis, 2)
    label(ax, "period of the published trend (UTC days 8 / 7 / 7)", "gift events per click (%)")
    ax.legend(loc="lower right", fontsize=7.5)
    style.suptitle(fig, style.resolve_title(title, "Gifts per click by period"))
    style.footnote(fig, source)
    return fig
