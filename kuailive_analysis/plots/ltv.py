"""Figures of chapter 4 (lifetime value): ``plot_*(frame, ..., ax=None, title=None,
source=None)``. Each takes a table of an :class:`~kuailive_analysis.ltv.LTVResult`, draws into
``ax`` / ``axes`` (else a new figure) and returns the Figure; the chapter passes the title
stated by the result (``res.titles``). See :mod:`kuailive_analysis.plots` for the conventions.
The heat maps and the CLV histogram are drawn with seaborn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from kuailive_analysis.plots import style
from kuailive_analysis.plots.style import ACCENT, MUTED, PALETTE, label, percent_axis


@style.styled
def plot_frequency_histogram(
    hist: pd.DataFrame | None,
    what: str = "gifting days",
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Bars: users by calibration repeat frequency, actual vs BG/NBD expectation
    (:func:`~kuailive_analysis.ltv.evaluate.frequency_histogram`); ``hist=None`` (the model
    could not be fitted): a placeholder saying so."""
    if hist is None:
        return _placeholder(f"BG/NBD could not be fitted to {what}.", ax=ax, title=title)
    fig, ax = style.axes_or_figure(ax)
    pos = np.arange(len(hist))
    ax.bar(pos - 0.2, hist["actual"], 0.4, label="actual", color=PALETTE[0])
    ax.bar(pos + 0.2, hist["model"], 0.4, label="BG/NBD", color=ACCENT)
    ax.set_xticks(pos, hist.index)
    title = style.resolve_title(title, f"Users by repeat {what} in calibration: actual vs BG/NBD")
    label(ax, f"repeat {what} in calibration (count)", "users (count)", title)
    ax.legend()
    style.footnote(fig, source)
    return fig


@style.styled
def plot_holdout_by_frequency(
    cond: pd.DataFrame,
    holdout_days: float,
    what: str = "gifting days",
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Lines: mean holdout transactions by calibration frequency: actual, model, baseline."""
    fig, ax = style.axes_or_figure(ax)
    pos = np.arange(len(cond))
    ax.plot(pos, cond["actual"], "o-", label="actual", color=PALETTE[0])
    ax.plot(pos, cond["model"], "s--", label="BG/NBD conditional expectation", color=ACCENT)
    ax.plot(pos, cond["past_rate"], "^:", label="past rate x / T", color=MUTED)
    ax.set_xticks(pos, cond.index)
    label(
        ax,
        f"repeat {what} in calibration (count)",
        f"mean {what} per user in the {holdout_days:g}-day holdout",
        style.resolve_title(
            title, "Holdout activity by calibration frequency: model vs naive rate"
        ),
    )
    ax.legend()
    style.footnote(fig, source)
    return fig


@style.styled
def plot_tracking(
    track: pd.DataFrame,
    calibration_days: int,
    what: str = "gifting days",
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Two panels: daily and cumulative repeat transactions, actual vs model, split marked;
    ``axes``: two Axes."""
    fig, (a1, a2) = style.axes_or_subplots(axes, 2, 1, 2, width=9.5, height=3.8)
    for ax, col, kind in ((a1, "", "daily"), (a2, "_cum", "cumulative")):
        ax.plot(track.index, track["actual" + col], "o-", ms=3, label="actual", color=PALETTE[0])
        ax.plot(track.index, track["model" + col], "--", label="BG/NBD", color=ACCENT)
        ax.axvline(calibration_days - 0.5, color="#444", lw=1, ls=":")
        ax.text(calibration_days - 0.4, ax.get_ylim()[1] * 0.95, "holdout", fontsize=8, va="top")
        label(ax, "day of the window (0 = 2025-05-05, Beijing)", f"repeat {what} ({kind}, count)")
    style.suptitle(
        fig,
        style.resolve_title(
            title, "Repeat transactions tracked day by day; dotted line = calibration/holdout split"
        ),
    )
    a1.legend()
    style.footnote(fig, source, beijing=True)
    return fig


@style.styled
def plot_heatmaps(
    p_alive: pd.DataFrame,
    expected: pd.DataFrame,
    T: int,
    t: float,
    *,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Two seaborn heat maps over frequency x recency: P(alive) and expected transactions
    (blank cells are impossible combinations); ``axes``: two Axes."""
    fig, (a1, a2) = style.axes_or_subplots(axes, 2, 1, 2, width=10, height=4.2)
    for ax, grid, name, cmap in (
        (a1, p_alive, "P(alive)", "viridis"),
        (a2, expected, f"E[transactions next {t:g} days]", "magma"),
    ):
        step = max(1, int(np.ceil(grid.shape[1] / 12)))
        sns.heatmap(
            grid,
            ax=ax,
            cmap=cmap,
            xticklabels=step,
            yticklabels=step,
            cbar_kws={"shrink": 0.85, "label": name},
        )
        ax.invert_yaxis()  # frequency 0 at the bottom
        ax.tick_params(axis="both", rotation=0)
        label(
            ax,
            "recency: days from first to last transaction (days)",
            "repeat transactions in calibration (count)",
        )
        ax.grid(False)
    a1.set_title(f"P(alive) after T = {T} days", fontsize=9.5)
    a2.set_title(f"Expected transactions in the next {t:g} days", fontsize=9.5)
    style.suptitle(
        fig,
        style.resolve_title(
            title, "Recent, frequent users are alive and expected to come back most"
        ),
    )
    style.footnote(fig, source)
    return fig


@style.styled
def plot_clv_distribution(
    per_user: pd.DataFrame,
    top: int = 30,
    unit: str = "coins",
    *,
    level: float = 0.9,
    axes=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Left: distribution of predicted CLV (seaborn histogram on log bins). Right: the top
    users with their bootstrap intervals at ``level`` (``per_user``: ``clv``, ``clv_low``,
    ``clv_high``, as :attr:`BootstrapCLV.per_user <kuailive_analysis.ltv.BootstrapCLV>`);
    ``axes``: two Axes."""
    fig, (a1, a2) = style.axes_or_subplots(axes, 2, 1, 2, width=10, height=4.0)
    v = per_user["clv"].to_numpy()
    pos = v[v > 0]
    if len(pos):
        lo, hi = np.log10(max(pos.min(), 1e-3)), np.log10(pos.max() * 1.01)
        sns.histplot(
            x=pos,
            bins=40,
            binrange=(lo, max(hi, lo + 1e-6)),
            log_scale=True,
            color=PALETTE[0],
            alpha=1.0,
            edgecolor="white",
            linewidth=0.3,
            ax=a1,
        )
    else:
        a1.set_xscale("log")
    label(a1, f"predicted CLV ({unit}, log scale)", "users (count)", "Spread of predicted value")
    t = per_user.sort_values("clv", ascending=False).head(top)
    y = np.arange(len(t))[::-1]
    a2.errorbar(
        t["clv"],
        y,
        xerr=[t["clv"] - t["clv_low"], t["clv_high"] - t["clv"]],
        fmt="o",
        ms=3,
        color=ACCENT,
        ecolor=MUTED,
    )
    a2.set_yticks(y, [str(i) for i in t.index])
    a2.tick_params(axis="y", labelsize=6)
    label(
        a2,
        f"predicted CLV ({unit})",
        "user_id",
        f"Top {len(t)} users, {level:.0%} bootstrap intervals",
    )
    style.suptitle(
        fig, style.resolve_title(title, "Predicted value is spread over orders of magnitude")
    )
    style.footnote(fig, source)
    return fig


@style.styled
def plot_concentration(
    curves: dict[str, pd.DataFrame],
    *,
    order: str = "value",
    what: str = "total value",
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Share of value held by the top share of users, from Lorenz or concentration curves
    (:func:`kuailive_analysis.core.stats.lorenz_curve`,
    :func:`kuailive_analysis.ltv.scoring.concentration_curve`; lowest first): the curve read
    from the top, ``(1 - population_share, 1 - value_share)``; ``order`` names what the users
    are sorted by (the x label), e.g. ``"forecast"`` for a gains chart, and ``what`` the value
    (the y label)."""
    fig, ax = style.axes_or_figure(ax)
    for (name, c), col in zip(curves.items(), PALETTE):
        ax.plot(1 - c["population_share"], 1 - c["value_share"], label=name, color=col)
    ax.plot([0, 1], [0, 1], color=MUTED, lw=0.8, ls=":", label="equal shares")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    label(
        ax,
        f"top share of users (%, sorted by {order}, highest first)",
        f"share of {what} (%)",
        style.resolve_title(title, "A small top of users carries most of the predicted value"),
    )
    ax.legend()
    style.footnote(fig, source)
    return fig


@style.styled
def _placeholder(text: str, *, ax=None, title: str | None = None) -> Figure:
    """A small figure that only states why there is nothing to show (e.g. real data); it has
    no axes to label (``title`` defaults to none)."""
    fig, ax = style.axes_or_figure(ax, height=1.6)
    ax.axis("off")
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=10,
        color="#55606b",
        transform=ax.transAxes,
    )
    if title:
        ax.set_title(title)
    return fig


@style.styled
def plot_decile_calibration(
    deciles: pd.DataFrame,
    *,
    methods: tuple[str, ...] | None = None,
    ax=None,
    title: str | None = None,
    source: str | None = None,
) -> Figure:
    """Decile calibration chart: for each method (``methods``, default all), users split into
    deciles of the method's forecast; mean forecast (x) against mean actual holdout value (y)
    per decile, on log-log axes with the diagonal (points above it: the method
    underpredicts). ``deciles`` as from :func:`kuailive_analysis.ltv.scoring.decile_calibration`."""
    fig, ax = style.axes_or_figure(ax)
    names = list(dict.fromkeys(deciles["method"])) if methods is None else list(methods)
    lo, hi = np.inf, 0.0
    for i, m in enumerate(names):
        d = deciles[deciles["method"] == m]
        x = d["predicted"].clip(lower=0.1)
        y = d["actual"].clip(lower=0.1)
        marker = "osD^v"[i % 5]
        ax.plot(x, y, marker + "-", label=m, color=PALETTE[i % len(PALETTE)], ms=4, alpha=0.85)
        lo, hi = min(lo, x.min(), y.min()), max(hi, x.max(), y.max())
    if np.isfinite(lo):
        ax.plot([lo, hi], [lo, hi], ":", color=MUTED, label="predicted = actual")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label(
        ax,
        "mean forecast per user in the decile (coins, log scale)",
        "mean actual holdout value per user (coins, log scale)",
        style.resolve_title(title, "Forecast deciles: mean predicted vs actual holdout value"),
    )
    ax.legend(fontsize="x-small", loc="upper left")
    style.footnote(fig, source)
    return fig
