"""Figures for chapter 1 (loading, validating and cleaning).

Each function takes one small table of :class:`~kuailive_analysis.cleaning.CleaningResult`
(``decisions.room_durations``, ``decisions.room_sensitivity``, ``accounting.report``), draws
into ``ax`` (else a new figure) and returns the Figure; ``title`` states what the figure shows
(``res.titles``); see :mod:`kuailive_analysis.plots` for the conventions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from kuailive_analysis.plots import style

EVENT_LABELS = {
    "click": "clicks",
    "comment": "comments",
    "like": "likes",
    "gift": "gifts",
    "negative": "unclicked exposures",
}


@style.styled
def plot_room_durations(
    hist: pd.DataFrame,
    *,
    thresholds_days=(1.0, 7.0),
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Histogram of room durations (log-spaced bins, minutes) with real and censored ends
    stacked, and vertical lines at the candidate ``max_room_days`` thresholds.

    Parameters
    ----------
    hist : pandas.DataFrame
        ``Dataset.room_durations``: lo_min, hi_min, real, censored.
    thresholds_days : tuple of float
        Where to draw the threshold lines (days).
    ax, title, source
        The axes to draw into (else a new figure), the title, the data source's label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    own = ax is None
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.8)
    title = style.resolve_title(title, "Room durations, ended and still live at extraction")
    lo, hi = hist["lo_min"].to_numpy(), hist["hi_min"].to_numpy()
    keep = hi > 0.5  # the [0, 1) min bin is drawn from 0.5 min on the log axis
    left = np.where(lo <= 0, 0.5, lo)[keep]
    width = hi[keep] - left
    ax.bar(
        left,
        hist["real"].to_numpy()[keep],
        width=width,
        align="edge",
        color=style.PALETTE[0],
        label="ended in the window",
    )
    ax.bar(
        left,
        hist["censored"].to_numpy()[keep],
        width=width,
        align="edge",
        bottom=hist["real"].to_numpy()[keep],
        color=style.ACCENT,
        label="still live at extraction (censored, observed part)",
    )
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1)
    for t in thresholds_days:
        ax.axvline(t * 1440, color="#333333", lw=1, ls="--")
        ax.text(
            t * 1440,
            0.98,
            f" {t:g} d",
            va="top",
            ha="left",
            fontsize=8,
            transform=ax.get_xaxis_transform(),
        )
    ticks = [1, 10, 60, 600, 1440, 7 * 1440]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["1 min", "10 min", "1 h", "10 h", "1 d", "7 d"])
    style.label(ax, "room duration (log scale)", "rooms (count, symlog scale)", title)
    (fig if own else ax).legend(loc="outside upper right" if own else "upper right", ncol=2)
    style.footnote(fig, source)
    return fig


@style.styled
def plot_room_sensitivity(
    sens: pd.DataFrame,
    *,
    tables=("click", "comment", "like", "gift", "negative"),
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Share of rooms and of each event table dropped per finite ``max_room_days`` threshold.

    Parameters
    ----------
    sens : pandas.DataFrame
        ``Dataset.room_sensitivity`` (``max_room_days`` ``inf`` = keep every room: not drawn).
    tables : tuple of str
        The event tables drawn beside the rooms.
    ax, title, source
        As :func:`plot_room_durations`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = sens[np.isfinite(sens["max_room_days"])]
    fig, ax = style.axes_or_figure(ax, width=8.0, height=3.6)
    title = style.resolve_title(title, "Rows dropped by the long-room rule, per threshold")
    x = np.arange(len(s))
    series = [("rooms", s["rooms_dropped_share"])] + [
        (EVENT_LABELS.get(t, t), s[f"{t}_dropped_share"])
        for t in tables
        if f"{t}_dropped_share" in s
    ]
    w = 0.8 / len(series)
    for i, (name, v) in enumerate(series):
        ax.bar(
            x - 0.4 + (i + 0.5) * w,
            v.to_numpy(),
            width=w,
            label=name,
            color=style.PALETTE[i % len(style.PALETTE)],
        )
    ax.set_xticks(x)
    ax.set_xticklabels([f"> {t:g} d" for t in s["max_room_days"]])
    style.percent_axis(ax.yaxis, 2)
    style.label(
        ax,
        "rooms dropped when longer than (max_room_days, days)",
        "share of rows dropped (%)",
        title,
    )
    ax.legend(ncol=3, loc="upper right")
    style.footnote(fig, source)
    return fig


@style.styled
def plot_report(
    report: pd.DataFrame, *, ax=None, title: str | None = None, source: str | None = None
) -> Figure:
    """Share of each table's raw rows dropped by each rule (rules with no drops are omitted),
    on a log axis, labelled with the counts.

    Parameters
    ----------
    report : pandas.DataFrame
        The cleaning report (``Dataset.report``).
    ax, title, source
        As :func:`plot_room_durations`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    r = report.copy()
    raw = r.groupby("table", sort=False)["rows_in"].first()
    r["share"] = r["rows_dropped"] / r["table"].map(raw).clip(lower=1)
    r = r[r["rows_dropped"] > 0]
    fig, ax = style.axes_or_figure(ax, width=8.0, height=max(2.2, 0.32 * len(r) + 1.2))
    if r.empty:
        ax.text(
            0.5, 0.5, "no rule dropped any row", ha="center", va="center", transform=ax.transAxes
        )
        ax.set_axis_off()
        style.footnote(fig, source)
        return fig
    title = style.resolve_title(title, "Rows dropped by each cleaning rule")
    labels = [f"{t}: {rule}" for rule, t in zip(r["rule"], r["table"])]
    y = np.arange(len(r))
    ax.barh(y, r["share"].to_numpy(), color=style.PALETTE[0])
    for yi, (s, k) in enumerate(zip(r["share"], r["rows_dropped"])):
        ax.text(s, yi, f" {k:,}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xscale("log")
    style.label(
        ax, "share of the table's raw rows dropped (%, log scale)", "table: cleaning rule", title
    )
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:g}%"))
    ax.grid(axis="y", visible=False)
    style.footnote(fig, source)
    return fig
