"""Figures for chapter 2 (exploratory analysis).

Every function takes small, already aggregated frames from :mod:`kuailive_analysis.eda`
(shares per category, CCDF points, Lorenz grids, 7 x 24 matrices, histograms), draws into
``ax`` / ``axes`` (else a new figure) and returns the :class:`matplotlib.figure.Figure`; see
:mod:`kuailive_analysis.plots` for the conventions. Nothing here touches event tables.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from kuailive_analysis.plots import style


@style.styled
def plot_demographics(
    panels: Mapping[str, pd.DataFrame],
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Users vs streamers shares, one panel per attribute (frames from
    :func:`eda.demographic_shares`, columns ``users`` and ``streamers``); ``axes``: one Axes
    per panel."""
    n = len(panels)
    ncols = 2 if n > 1 else 1
    nrows = int(np.ceil(n / ncols))
    fig, axes = style.axes_or_subplots(axes, n, nrows, ncols, width=9.0, height=2.9 * nrows + 0.5)
    for ax, (name, t) in zip(axes, panels.items()):
        y = np.arange(len(t))
        ax.barh(y - 0.2, t["users"], height=0.4, color=style.PALETTE[0], label="users")
        ax.barh(y + 0.2, t["streamers"], height=0.4, color=style.ACCENT, label="streamers")
        ax.set_yticks(y)
        ax.set_yticklabels([str(v) for v in t.index])
        ax.invert_yaxis()
        style.percent_axis(ax.xaxis)
        style.label(ax, "share of the group (%)", name)
        ax.grid(axis="y", visible=False)
    for ax in axes[n:]:
        ax.set_visible(False)
    axes[0].legend(loc="lower right")
    style.suptitle(fig, style.resolve_title(title, "Users and streamers by profile attribute"))
    style.footnote(fig, source)
    return fig


@style.styled
def plot_tenure(
    dist: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
) -> Figure:
    """Shares of users per year of registration tenure and first-watch age
    (frame from :func:`eda.tenure_distribution`)."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.6)
    title = style.resolve_title(title, "Users by years since registration and first live watched")
    x = dist["years"].to_numpy()
    ax.bar(x - 0.2, dist["tenure"], width=0.4, label="since registration")
    ax.bar(
        x + 0.2, dist["watch_age"], width=0.4, color=style.ACCENT, label="since first live watched"
    )
    labels = [str(v) for v in x]
    labels[-1] = f"{x[-1]}+"
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    style.percent_axis(ax.yaxis)
    style.label(ax, "whole years before 2025-05-05 (years)", "share of users (%)", title)
    ax.legend()
    style.footnote(fig, source)
    return fig


@style.styled
def plot_ccdfs(
    ccdfs: Mapping[str, tuple[pd.DataFrame, str]],
    *,
    axes=None,
    title: str | None = None,
    markers: Mapping[str, float] | None = None,
    ncols: int = 2,
    unit: str = "units",
    source: str | None = None,
) -> Figure:
    """Log-log CCDFs, one panel each: ``{panel title: (frame from eda.ccdf, x label)}``;
    ``axes``: one Axes per panel.

    ``markers`` optionally draws a dashed vertical line at x in the panel of that name.
    """
    n = len(ccdfs)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = style.axes_or_subplots(
        axes, n, nrows, ncols, width=4.3 * ncols, height=3.1 * nrows + 0.4
    )
    for ax, (name, (c, xlabel)) in zip(axes, ccdfs.items()):
        c = c[c["x"] > 0]
        ax.loglog(c["x"], c["ccdf"], marker=".", ms=3, lw=1.2)
        if markers and name in markers:
            ax.axvline(markers[name], color=style.MUTED, ls="--", lw=1)
        style.label(ax, xlabel, f"share of {unit} with ≥ x (log)", name)
    for ax in axes[n:]:
        ax.set_visible(False)
    style.suptitle(
        fig,
        style.resolve_title(
            title, f"Complementary CDF of activity per {unit.rstrip('s')} (log-log)"
        ),
    )
    style.footnote(fig, source)
    return fig


@style.styled
def plot_log_histogram(
    hist: pd.DataFrame,
    *,
    xlabel: str,
    ax=None,
    title: str | None = None,
    unit: str = "units",
    density: bool = False,
    threshold: float | None = None,
    threshold_label: str = "",
    n_zero: int = 0,
    source: str | None = None,
) -> Figure:
    """Log-binned histogram (frame from :func:`eda.log_binned_histogram`) on a log x axis.

    ``density=False``: bar height = share of ``unit`` in the bin (linear y). ``density=True``:
    bar height = share per unit of x (log y), the honest view of integer counts whose bins
    hold different numbers of values. ``n_zero``: how many values are 0 (they cannot sit on a
    log axis; :func:`eda.n_zero`), reported in the legend when positive.
    """
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.8)
    title = style.resolve_title(title, f"Distribution of {unit} on log-spaced bins")
    y = hist["density"] if density else hist["share"]
    ax.bar(
        hist["bin_lo"],
        y,
        width=hist["bin_hi"] - hist["bin_lo"],
        align="edge",
        edgecolor="white",
        linewidth=0.5,
        label=f"{unit} per log bin",
    )
    ax.set_xscale("log")
    if threshold is not None:
        ax.axvline(threshold, color=style.ACCENT, ls="--", lw=1.2, label=threshold_label)
    if density:
        ax.set_yscale("log")
        ylabel = f"share of {unit} per unit of x (log)"
    else:
        style.percent_axis(ax.yaxis)
        ylabel = f"share of {unit} (%)"
    style.label(ax, xlabel, ylabel, title)
    if n_zero:
        ax.plot([], [], " ", label=f"{n_zero:,} {unit} with 0 not shown")
    ax.legend()
    style.footnote(fig, source)
    return fig


@style.styled
def plot_lorenz(
    curves: Mapping[str, pd.DataFrame],
    ginis: Mapping[str, float],
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Lorenz curves (frames from :func:`kuailive_analysis.core.stats.lorenz_curve`) with
    Gini in the legend."""
    fig, ax = style.axes_or_figure(ax, width=6.4, height=5.0)
    title = style.resolve_title(title, "Lorenz curves of streamer activity and revenue")
    ax.plot([0, 1], [0, 1], color=style.MUTED, lw=1, ls="--", label="perfect equality")
    for name, lc in curves.items():
        ax.plot(
            lc["population_share"],
            lc["value_share"],
            lw=1.8,
            label=f"{name} (Gini {ginis[name]:.2f})",
        )
    style.percent_axis(ax.xaxis)
    style.percent_axis(ax.yaxis)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    style.label(
        ax,
        "share of streamers, least to most popular (%)",
        "cumulative share of the total (%)",
        title,
    )
    ax.legend(loc="upper left")
    style.footnote(fig, source)
    return fig


@style.styled
def plot_room_schedule(
    start_hours: pd.DataFrame,
    live: pd.DataFrame,
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Left: share of rooms by Beijing start hour. Right: rooms live at each moment over the
    window (frames from :func:`eda.room_start_hours` and :func:`eda.rooms_live_over_time`);
    ``axes``: two Axes."""
    fig, (a1, a2) = style.axes_or_subplots(
        axes, 2, 1, 2, width=10.0, height=3.8, gridspec_kw={"width_ratios": [1, 1.8]}
    )
    a1.bar(start_hours.index, start_hours["share"], width=0.85)
    style.percent_axis(a1.yaxis)
    a1.set_xticks(range(0, 24, 3))
    style.label(a1, "start hour (Beijing)", "share of rooms started (%)", "Room start hour")
    a2.plot(live["day_float"], live["n_live"], lw=0.9)
    a2.set_xticks(range(0, 22, 7))
    a2.set_xticks(range(0, 22), minor=True)
    style.thousands_axis(a2.yaxis)
    a2.set_ylim(bottom=0)
    style.label(
        a2,
        "days since 2025-05-05 00:00 (Beijing)",
        "rooms live (count)",
        "Rooms live at each moment",
    )
    style.suptitle(fig, style.resolve_title(title, "When rooms start and how many are live"))
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_durations(
    summaries: Mapping[str, pd.DataFrame],
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Median room duration with the interquartile range per group, one panel per grouping
    (frames from :func:`eda.room_duration_summary`); ``axes``: one Axes per grouping."""
    n = len(summaries)
    own = axes is None
    fig, axes = style.axes_or_subplots(axes, n, 1, n, width=4.6 * n, height=3.6)
    for ax, (name, t) in zip(axes, summaries.items()):
        t = t.dropna(subset=["median"])
        y = np.arange(len(t))
        ax.barh(y, t["median"], height=0.6, label="median")
        ax.errorbar(
            t["median"],
            y,
            xerr=[t["median"] - t["p25"], t["p75"] - t["median"]],
            fmt="none",
            ecolor="#333333",
            capsize=3,
            lw=1,
            label="p25-p75",
        )
        ax.scatter(t["p90"], y, marker="|", s=120, color=style.ACCENT, label="p90", zorder=3)
        ax.set_yticks(y)
        ax.set_yticklabels([f"{i} ({s:.0%})" for i, s in zip(t.index, t["share_rooms"])])
        ax.invert_yaxis()
        style.label(ax, "room duration (minutes)", f"{name} (share of rooms)")
        ax.grid(axis="y", visible=False)
    if own:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper right", ncols=3)
    else:
        axes[0].legend(loc="lower right", fontsize=8)
    style.suptitle(fig, style.resolve_title(title, "Room duration by group: median, IQR, p90"))
    style.footnote(fig, source)
    return fig


@style.styled
def plot_activity_time(
    matrix: pd.DataFrame,
    daily: pd.DataFrame,
    *,
    axes=None,
    title: str | None = None,
    value_label: str = "clicks per day",
    source: str | None = None,
) -> Figure:
    """Top: weekday x hour heatmap of mean activity per day (:func:`eda.hour_weekday_matrix`,
    drawn with seaborn). Bottom: daily clicks and active users over the window
    (:func:`eda.daily_totals`); ``axes``: two Axes."""
    fig, (a1, a2) = style.axes_or_subplots(
        axes, 2, 2, 1, width=9.0, height=6.6, gridspec_kw={"height_ratios": [1.1, 1]}
    )
    sns.heatmap(
        matrix,
        ax=a1,
        cmap="viridis",
        xticklabels=2,
        yticklabels=list(matrix.index),
        cbar_kws={"label": value_label, "pad": 0.01},
    )
    a1.tick_params(axis="both", rotation=0)
    a1.grid(False)
    style.label(a1, "hour of day (Beijing)", "weekday", "Mean activity by weekday and hour")
    x = daily.index.to_numpy()
    a2.bar(x, daily["n_clicks"], color=style.PALETTE[0], label="clicks")
    style.thousands_axis(a2.yaxis)
    a3 = a2.twinx()
    a3.plot(x, daily["active_users"], color=style.ACCENT, marker="o", ms=3, label="active users")
    a3.grid(False)
    a3.spines["right"].set_visible(True)
    a3.set_ylabel("active users (count)")
    style.thousands_axis(a3.yaxis)
    a2.set_xticks(x)
    a2.set_xticklabels(
        [
            f"{d.strftime('%m-%d')}\n{w}" if i % 2 == 0 else ""
            for i, (d, w) in enumerate(zip(pd.to_datetime(daily["date"]), daily["weekday"]))
        ],
        fontsize=8,
    )
    style.label(a2, "day (Beijing)", "clicks (count)", "Daily totals over the 21 days")
    a2.set_ylim(0, max(float(daily["n_clicks"].max()) * 1.3, 1))
    a3.set_ylim(0, max(float(daily["active_users"].max()) * 1.3, 1))
    h1, l1 = a2.get_legend_handles_labels()
    h2, l2 = a3.get_legend_handles_labels()
    a2.legend(h1 + h2, l1 + l2, loc="upper left", ncols=2)
    style.suptitle(fig, style.resolve_title(title, "Activity by weekday and hour, and per day"))
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_hourly_profile(
    profile: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
) -> Figure:
    """Share of each event type per Beijing hour (frame from :func:`eda.hourly_profile`)."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.8)
    title = style.resolve_title(title, "Share of each behaviour's events by hour of day")
    for col in profile.columns:
        ax.plot(profile.index, profile[col], marker="o", ms=3, lw=1.5, label=str(col))
    ax.set_xticks(range(0, 24, 2))
    style.percent_axis(ax.yaxis, 1)
    style.label(ax, "hour of day (Beijing)", "share of the day's events (%)", title)
    ax.legend(ncols=2)
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_revisits(
    hist: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
) -> Figure:
    """Revisit intervals (frame from :func:`eda.interval_histogram`) with dashed lines at
    whole days, where a daily rhythm shows as peaks."""
    fig, ax = style.axes_or_figure(ax, width=9.0, height=3.8)
    title = style.resolve_title(title, "Time between two visits to the same streamer")
    ax.bar(
        hist["lo_h"], hist["share"], width=hist["hi_h"] - hist["lo_h"], align="edge", linewidth=0
    )
    top = float(hist["hi_h"].max())
    for d in range(24, int(top) + 1, 24):
        ax.axvline(d, color=style.ACCENT, ls="--", lw=0.9)
    ax.set_yscale("log")
    ax.set_xticks(range(0, int(top) + 1, 24))
    style.percent_axis(ax.yaxis, 2)
    style.label(
        ax,
        "hours since the previous visit to the same streamer (dashed: whole days)",
        "share of revisits (%, log scale)",
        title,
    )
    style.footnote(fig, source)
    return fig


@style.styled
def plot_bars(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    xlabel: str,
    ylabel: str,
    ax=None,
    title: str | None = None,
    percent: bool = True,
    percent_x: bool = False,
    source: str | None = None,
) -> Figure:
    """Bar chart of ``table[y]`` against ``table[x]``: one bar per value (e.g. users per
    active days), or one bar per bin when the table has ``lo``/``hi`` edges
    (:func:`eda.linear_histogram`). ``percent``/``percent_x`` format shares as %."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.6)
    title = style.resolve_title(title, f"{ylabel} by {xlabel}")
    ax.bar(
        table[x],
        table[y],
        width=(0.85 if "hi" not in table else table["hi"] - table["lo"]),
        align="center" if "hi" not in table else "edge",
        edgecolor="white",
        linewidth=0.5,
    )
    if percent:
        style.percent_axis(ax.yaxis)
    if percent_x:
        style.percent_axis(ax.xaxis)
    style.label(ax, xlabel, ylabel, title)
    style.footnote(fig, source)
    return fig


@style.styled
def plot_gift_prices(
    counts: pd.DataFrame,
    hist: pd.DataFrame,
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Left: gifts at each exact price up to a cap (:func:`eda.price_counts`), where round
    prices spike. Right: the whole price range on log bins (:func:`eda.log_binned_histogram`);
    ``axes``: two Axes."""
    fig, (a1, a2) = style.axes_or_subplots(axes, 2, 1, 2, width=10.0, height=3.8)
    a1.bar(counts["price"], counts["share"], width=0.85)
    style.percent_axis(a1.yaxis)
    style.label(
        a1,
        "gift price (coins, exact value)",
        "share of gift events (%)",
        f"Prices 1-{int(counts['price'].max())}",
    )
    a2.bar(
        hist["bin_lo"],
        hist["share"],
        width=hist["bin_hi"] - hist["bin_lo"],
        align="edge",
        edgecolor="white",
        linewidth=0.5,
        color=style.ACCENT,
    )
    a2.set_xscale("log")
    a2.set_yscale("log")
    style.percent_axis(a2.yaxis, 2)
    style.label(a2, "gift price (coins, log bins)", "share of gift events (%, log)", "All prices")
    style.suptitle(fig, style.resolve_title(title, "Gift prices: exact values and full range"))
    style.footnote(fig, source)
    return fig
