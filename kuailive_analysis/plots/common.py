"""Figures any chapter can draw from a frame its result holds: a bar chart and a line chart,
in the book style, with labelled axes (units in the label), the data source in the footnote,
an optional interval and an ``ax=`` parameter. A new metric's figure needs no new plot
function when one of these shows it (see CONTRIBUTING.md, "Add a metric")."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from kuailive_analysis.plots import style

__all__ = ["plot_bars", "plot_lines"]


def _finish(ax, fig, *, xlabel, ylabel, title, source, percent, beijing) -> Figure:
    style.label(ax, xlabel, ylabel, title)
    if percent:
        style.percent_axis(ax.yaxis)
    style.footnote(fig, source, beijing=beijing)
    return fig


@style.styled
def plot_bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    xlabel: str,
    ylabel: str,
    lo: str | None = None,
    hi: str | None = None,
    percent: bool = False,
    beijing: bool = False,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Bars of ``frame[y]`` over ``frame[x]``, with error bars from the columns ``lo`` and
    ``hi`` when given (an interval's ends, in the unit of ``y``). ``percent``: ``y`` holds
    shares in [0, 1], shown as percentages; ``beijing``: ``x`` is a Beijing day or hour."""
    fig, ax = style.axes_or_figure(ax)
    values = frame[y].to_numpy(float)
    err = None
    if lo is not None and hi is not None:
        err = [values - frame[lo].to_numpy(float), frame[hi].to_numpy(float) - values]
    ax.bar(frame[x].astype(str), values, yerr=err, color="#3f6e9a", ecolor="#222222", capsize=2)
    return _finish(ax, fig, xlabel=xlabel, ylabel=ylabel, title=title, source=source,
                   percent=percent, beijing=beijing)  # fmt: skip


@style.styled
def plot_lines(
    frame: pd.DataFrame,
    x: str,
    y: str,
    *,
    xlabel: str,
    ylabel: str,
    by: str | None = None,
    lo: str | None = None,
    hi: str | None = None,
    percent: bool = False,
    beijing: bool = False,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Lines of ``frame[y]`` over ``frame[x]``, one per value of ``by`` (a legend names them),
    with a shaded band between the columns ``lo`` and ``hi`` when given."""
    fig, ax = style.axes_or_figure(ax)
    groups = frame.groupby(by, sort=False) if by else [(None, frame)]
    for name, g in groups:
        g = g.sort_values(x)
        ax.plot(g[x], g[y], marker="o", markersize=3, label=None if name is None else str(name))
        if lo is not None and hi is not None:
            ax.fill_between(g[x], g[lo], g[hi], alpha=0.2)
    if by:
        ax.legend(title=by, frameon=False)
    return _finish(ax, fig, xlabel=xlabel, ylabel=ylabel, title=title, source=source,
                   percent=percent, beijing=beijing)  # fmt: skip
