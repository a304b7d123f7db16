"""Figures for chapter 2 (exploratory analysis).

Every function takes small, already aggregated frames of an
:class:`~kuailive_analysis.eda.EDAResult` (shares per category, CCDF points, Lorenz grids,
7 x 24 matrices, histograms), draws into ``ax`` / ``axes`` (else a new figure) and returns the
:class:`matplotlib.figure.Figure`; ``title`` and ``source`` follow the conventions of
:mod:`kuailive_analysis.plots`. Nothing here touches event tables.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from kuailive_analysis.plots import style


def _panels(axes, n: int, width: float, height: float, pad: float, ncols: int = 2):
    """``(fig, axes)`` for ``n`` panels in rows of ``ncols`` (a panel ``width`` x ``height``
    inches, ``pad`` inches for the title); the unused panels of a new figure are hidden."""
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    size = {"width": width * ncols, "height": height * nrows + pad}
    fig, flat = style.axes_or_subplots(axes, n, nrows, ncols, **size)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat


def _finish(fig: Figure, title, default: str, source, beijing: bool = False) -> Figure:
    """The suptitle of a multi-panel figure and its footnote."""
    style.suptitle(fig, style.resolve_title(title, default))
    style.footnote(fig, source, beijing=beijing)
    return fig


@style.styled
def plot_demographics(
    panels: Mapping[str, pd.DataFrame], *, axes=None, title: str | None = None, source=None
) -> Figure:
    """Users vs streamers shares of each value of a profile attribute.

    Parameters
    ----------
    panels : mapping
        Panel title -> frame (index: values; columns ``users``, ``streamers``), one Axes each.
    """
    fig, axes = _panels(axes, len(panels), 4.5, 2.9, 0.5)
    for ax, (name, t) in zip(axes, panels.items()):
        y = np.arange(len(t))
        ax.barh(y - 0.2, t["users"], height=0.4, color=style.PALETTE[0], label="users")
        ax.barh(y + 0.2, t["streamers"], height=0.4, color=style.ACCENT, label="streamers")
        ax.set_yticks(y, [str(v) for v in t.index])
        ax.invert_yaxis()
        style.percent_axis(ax.xaxis)
        style.label(ax, "share of the group (%)", name)
        ax.grid(axis="y", visible=False)
    axes[0].legend(loc="lower right")
    return _finish(fig, title, "Users and streamers by profile attribute", source)


@style.styled
def plot_tenure(dist: pd.DataFrame, *, ax=None, title: str | None = None, source=None) -> Figure:
    """Shares of users per whole year since registration and since the first live watched
    (``years``, ``tenure``, ``watch_age``; the last year pools the rest)."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.6)
    x = dist["years"].to_numpy()
    ax.bar(x - 0.2, dist["tenure"], width=0.4, label="since registration")
    ax.bar(
        x + 0.2, dist["watch_age"], width=0.4, color=style.ACCENT, label="since first live watched"
    )
    ax.set_xticks(x, [*map(str, x[:-1]), f"{x[-1]}+"])
    style.percent_axis(ax.yaxis)
    title = style.resolve_title(title, "Users by years since registration and first live watched")
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
    unit: str = "units",
    source=None,
) -> Figure:
    r"""Log-log complementary CDFs :math:`P(X \ge x)`, one panel each.

    Parameters
    ----------
    ccdfs : mapping
        Panel title -> (frame with ``x``, ``ccdf``; x label), one Axes each.
    markers : mapping, optional
        Panel title -> x of a dashed vertical line (a threshold).
    unit : str
        What the values count per (``"streamers"``, ``"users"``).
    """
    fig, axes = _panels(axes, len(ccdfs), 4.3, 3.1, 0.4)
    for ax, (name, (c, xlabel)) in zip(axes, ccdfs.items()):
        c = c[c["x"] > 0]
        ax.loglog(c["x"], c["ccdf"], marker=".", ms=3, lw=1.2)
        if markers and name in markers:
            ax.axvline(markers[name], color=style.MUTED, ls="--", lw=1)
        style.label(ax, xlabel, f"share of {unit} with ≥ x (log)", name)
    default = f"Complementary CDF of activity per {unit.rstrip('s')} (log-log)"
    return _finish(fig, title, default, source)


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
    source=None,
) -> Figure:
    """A log-binned histogram (``bin_lo``, ``bin_hi``, ``share``, ``density``) on a log x axis.

    Parameters
    ----------
    density : bool
        False: bar height = share of ``unit`` in the bin (linear y). True: share per unit of x
        (log y), the honest view of whole numbers whose bins hold different numbers of values.
    threshold, threshold_label
        A dashed vertical line and its legend entry.
    n_zero : int
        Values equal to 0 (off a log axis), named in the legend when positive.
    """
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.8)
    y = hist["density"] if density else hist["share"]
    width = hist["bin_hi"] - hist["bin_lo"]
    ax.bar(
        hist["bin_lo"],
        y,
        width=width,
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
    else:
        style.percent_axis(ax.yaxis)
    ylabel = f"share of {unit} per unit of x (log)" if density else f"share of {unit} (%)"
    title = style.resolve_title(title, f"Distribution of {unit} on log-spaced bins")
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
    source=None,
) -> Figure:
    r"""Lorenz curves :math:`L(p)` (``population_share``, ``value_share``:
    :func:`kuailive_analysis.core.stats.lorenz_curve`) with each Gini in the legend."""
    fig, ax = style.axes_or_figure(ax, width=6.4, height=5.0)
    ax.plot([0, 1], [0, 1], color=style.MUTED, lw=1, ls="--", label="perfect equality")
    for name, lc in curves.items():
        label = f"{name} (Gini {ginis[name]:.2f})"
        ax.plot(lc["population_share"], lc["value_share"], lw=1.8, label=label)
    for axis in (ax.xaxis, ax.yaxis):
        style.percent_axis(axis)
    ax.set(xlim=(0, 1), ylim=(0, 1))
    title = style.resolve_title(title, "Lorenz curves of streamer activity and revenue")
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
    source=None,
) -> Figure:
    """Two panels: the share of rooms by Beijing start hour (``share`` by hour) and the rooms
    live at each moment over the window (``day_float``, ``n_live``)."""
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
    return _finish(fig, title, "When rooms start and how many are live", source, beijing=True)


@style.styled
def plot_durations(
    summaries: Mapping[str, pd.DataFrame], *, axes=None, title: str | None = None, source=None
) -> Figure:
    """Median room duration with the interquartile range and the 90th percentile per group,
    one panel per grouping (``share_rooms``, ``p25``, ``median``, ``p75``, ``p90``)."""
    n = len(summaries)
    own = axes is None
    fig, axes = style.axes_or_subplots(axes, n, 1, n, width=4.6 * n, height=3.6)
    for ax, (name, t) in zip(axes, summaries.items()):
        t = t.dropna(subset=["median"])
        y, med = np.arange(len(t)), t["median"].to_numpy()
        ax.barh(y, med, height=0.6, label="median")
        err = [med - t["p25"].to_numpy(), t["p75"].to_numpy() - med]
        ax.errorbar(
            med, y, xerr=err, fmt="none", ecolor="#333333", capsize=3, lw=1, label="p25-p75"
        )
        ax.scatter(t["p90"], y, marker="|", s=120, color=style.ACCENT, label="p90", zorder=3)
        ax.set_yticks(y, [f"{i} ({s:.0%})" for i, s in zip(t.index, t["share_rooms"])])
        ax.invert_yaxis()
        style.label(ax, "room duration (minutes)", f"{name} (share of rooms)")
        ax.grid(axis="y", visible=False)
    if own:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper right", ncols=3)
    else:
        axes[0].legend(loc="lower right", fontsize=8)
    return _finish(fig, title, "Room duration by group: median, IQR, p90", source)


@style.styled
def plot_activity_time(
    matrix: pd.DataFrame,
    daily: pd.DataFrame,
    *,
    axes=None,
    title: str | None = None,
    value_label: str = "clicks per day",
    source=None,
) -> Figure:
    """Two panels: a weekday x hour heatmap of mean activity per day (7 x 24 frame, drawn with
    seaborn) and the daily clicks and active users (``date``, ``weekday``, ``n_clicks``,
    ``active_users``) over the window."""
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
    a3 = a2.twinx()
    a3.plot(x, daily["active_users"], color=style.ACCENT, marker="o", ms=3, label="active users")
    a3.grid(False)
    a3.spines["right"].set_visible(True)
    a3.set_ylabel("active users (count)")
    for a in (a2, a3):
        style.thousands_axis(a.yaxis)
    dates = pd.to_datetime(daily["date"])
    a2.set_xticks(
        x,
        [
            f"{d:%m-%d}\n{w}" if i % 2 == 0 else ""
            for i, (d, w) in enumerate(zip(dates, daily["weekday"]))
        ],
        fontsize=8,
    )
    style.label(a2, "day (Beijing)", "clicks (count)", "Daily totals over the 21 days")
    a2.set_ylim(0, max(float(daily["n_clicks"].max()) * 1.3, 1))
    a3.set_ylim(0, max(float(daily["active_users"].max()) * 1.3, 1))
    h1, l1 = a2.get_legend_handles_labels()
    h2, l2 = a3.get_legend_handles_labels()
    a2.legend(h1 + h2, l1 + l2, loc="upper left", ncols=2)
    default = "Activity by weekday and hour, and per day"
    return _finish(fig, title, default, source, beijing=True)


@style.styled
def plot_hourly_profile(
    profile: pd.DataFrame, *, ax=None, title: str | None = None, source=None
) -> Figure:
    """Share of each behaviour's events per Beijing hour (index hour, one column each)."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.8)
    for col in profile.columns:
        ax.plot(profile.index, profile[col], marker="o", ms=3, lw=1.5, label=str(col))
    ax.set_xticks(range(0, 24, 2))
    style.percent_axis(ax.yaxis, 1)
    title = style.resolve_title(title, "Share of each behaviour's events by hour of day")
    style.label(ax, "hour of day (Beijing)", "share of the day's events (%)", title)
    ax.legend(ncols=2)
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_revisits(hist: pd.DataFrame, *, ax=None, title: str | None = None, source=None) -> Figure:
    """Revisit intervals (``lo_h``, ``hi_h``, ``share``) with dashed lines at whole days, where
    a daily rhythm shows as peaks."""
    fig, ax = style.axes_or_figure(ax, width=9.0, height=3.8)
    width = hist["hi_h"] - hist["lo_h"]
    ax.bar(hist["lo_h"], hist["share"], width=width, align="edge", linewidth=0)
    top = int(float(hist["hi_h"].max()))
    for d in range(24, top + 1, 24):
        ax.axvline(d, color=style.ACCENT, ls="--", lw=0.9)
    ax.set_yscale("log")
    ax.set_xticks(range(0, top + 1, 24))
    style.percent_axis(ax.yaxis, 2)
    title = style.resolve_title(title, "Time between two visits to the same streamer")
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
    source=None,
) -> Figure:
    """``table[y]`` against ``table[x]``: one bar per value (e.g. users per active days), or per
    bin when the table has ``lo`` / ``hi`` edges; ``percent`` / ``percent_x`` show shares as %."""
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.6)
    binned = "hi" in table
    width = table["hi"] - table["lo"] if binned else 0.85
    ax.bar(
        table[x],
        table[y],
        width=width,
        align="edge" if binned else "center",
        edgecolor="white",
        linewidth=0.5,
    )
    if percent:
        style.percent_axis(ax.yaxis)
    if percent_x:
        style.percent_axis(ax.xaxis)
    style.label(ax, xlabel, ylabel, style.resolve_title(title, f"{ylabel} by {xlabel}"))
    style.footnote(fig, source)
    return fig


@style.styled
def plot_gift_prices(
    counts: pd.DataFrame, hist: pd.DataFrame, *, axes=None, title: str | None = None, source=None
) -> Figure:
    """Two panels: gifts at each exact price up to a cap (``price``, ``share``), where round
    prices spike, and the whole price range on log bins (``bin_lo``, ``bin_hi``, ``share``)."""
    fig, (a1, a2) = style.axes_or_subplots(axes, 2, 1, 2, width=10.0, height=3.8)
    a1.bar(counts["price"], counts["share"], width=0.85)
    style.percent_axis(a1.yaxis)
    style.label(
        a1,
        "gift price (coins, exact value)",
        "share of gift events (%)",
        f"Prices 1-{int(counts['price'].max())}",
    )
    width = hist["bin_hi"] - hist["bin_lo"]
    a2.bar(
        hist["bin_lo"],
        hist["share"],
        width=width,
        align="edge",
        edgecolor="white",
        linewidth=0.5,
        color=style.ACCENT,
    )
    a2.set_xscale("log")
    a2.set_yscale("log")
    style.percent_axis(a2.yaxis, 2)
    style.label(a2, "gift price (coins, log bins)", "share of gift events (%, log)", "All prices")
    return _finish(fig, title, "Gift prices: exact values and full range", source)
