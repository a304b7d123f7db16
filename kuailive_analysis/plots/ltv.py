"""Figures of chapter 4 (lifetime value). Each takes a frame from
:mod:`kuailive_analysis.ltv_eval` / :mod:`kuailive_analysis.ltv` and returns a Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kuailive_analysis.plots.style import (
    ACCENT,
    MUTED,
    PALETTE,
    beijing_note,
    figure,
    label,
    percent_axis,
)


def frequency_histogram(hist: pd.DataFrame, what: str = "gifting days") -> Figure:
    """Bars: users by calibration repeat frequency, actual vs BG/NBD expectation."""
    fig, ax = figure()
    pos = np.arange(len(hist))
    ax.bar(pos - 0.2, hist["actual"], 0.4, label="actual", color=PALETTE[0])
    ax.bar(pos + 0.2, hist["model"], 0.4, label="BG/NBD", color=ACCENT)
    ax.set_xticks(pos, hist.index)
    err = np.abs(hist["actual"] - hist["model"]).sum() / hist["actual"].sum() / 2
    label(ax, f"repeat {what} in calibration", "users",
          f"BG/NBD reproduces the calibration frequencies (misallocated users {err:.1%})")
    ax.legend()
    return fig


def holdout_by_frequency(cond: pd.DataFrame, holdout_days: float,
                         what: str = "gifting days") -> Figure:
    """Lines: mean holdout transactions by calibration frequency: actual, model, baseline."""
    fig, ax = figure()
    pos = np.arange(len(cond))
    ax.plot(pos, cond["actual"], "o-", label="actual", color=PALETTE[0])
    ax.plot(pos, cond["model"], "s--", label="BG/NBD conditional expectation", color=ACCENT)
    ax.plot(pos, cond["past_rate"], "^:", label="past rate x / T", color=MUTED)
    ax.set_xticks(pos, cond.index)
    label(ax, f"repeat {what} in calibration",
          f"mean {what} in the {holdout_days:g}-day holdout",
          "Holdout activity by calibration frequency: model vs naive rate")
    ax.legend()
    return fig


def tracking(track: pd.DataFrame, calibration_days: int, what: str = "gifting days") -> Figure:
    """Two panels: daily and cumulative repeat transactions, actual vs model, split marked."""
    fig, (a1, a2) = figure(1, 2, width=9.5, height=3.8)
    for ax, col, title in ((a1, "", "daily"), (a2, "_cum", "cumulative")):
        ax.plot(track.index, track["actual" + col], "o-", ms=3, label="actual", color=PALETTE[0])
        ax.plot(track.index, track["model" + col], "--", label="BG/NBD", color=ACCENT)
        ax.axvline(calibration_days - 0.5, color="#444", lw=1, ls=":")
        ax.text(calibration_days - 0.4, ax.get_ylim()[1] * 0.95, "holdout", fontsize=8,
                va="top")
        label(ax, "day of the window (0 = 2025-05-05)", f"repeat {what} ({title})")
    a1.set_title("Repeat transactions tracked day by day; dotted line = calibration/holdout split")
    a1.legend()
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))
    beijing_note(fig)
    return fig


def heatmaps(p_alive: pd.DataFrame, expected: pd.DataFrame, T: int, t: float) -> Figure:
    """Two heatmaps over frequency x recency: P(alive) and expected transactions."""
    fig, (a1, a2) = figure(1, 2, width=10, height=4.2)
    for ax, grid, name, cmap in ((a1, p_alive, "P(alive)", "viridis"),
                                 (a2, expected, f"E[transactions next {t:g} days]", "magma")):
        im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap=cmap,
                       extent=(-0.5, grid.shape[1] - 0.5, -0.5, grid.shape[0] - 0.5))
        fig.colorbar(im, ax=ax, shrink=0.85, label=name)
        label(ax, "recency: days from first to last transaction",
              "repeat transactions in calibration")
        ax.grid(False)
    a1.set_title(f"Recent, frequent users are alive (T = {T} days)")
    a2.set_title("and expected to come back most")
    return fig


def clv_distribution(per_user: pd.DataFrame, top: int = 30, unit: str = "coins") -> Figure:
    """Left: distribution of predicted CLV (log scale). Right: the top users with their
    bootstrap intervals."""
    fig, (a1, a2) = figure(1, 2, width=10, height=4.0)
    v = per_user["clv"].to_numpy()
    pos = v[v > 0]
    bins = np.logspace(np.log10(max(pos.min(), 1e-3)), np.log10(pos.max() * 1.01), 40)
    a1.hist(pos, bins=bins, color=PALETTE[0])
    a1.set_xscale("log")
    label(a1, f"predicted CLV ({unit}, log scale)", "users",
          "Predicted value is spread over orders of magnitude")
    t = per_user.sort_values("clv", ascending=False).head(top)
    y = np.arange(len(t))[::-1]
    a2.errorbar(t["clv"], y, xerr=[t["clv"] - t["clv_low"], t["clv_high"] - t["clv"]],
                fmt="o", ms=3, color=ACCENT, ecolor=MUTED)
    a2.set_yticks(y, [str(i) for i in t.index])
    a2.tick_params(axis="y", labelsize=6)
    level = per_user.attrs.get("level", 0.9)
    label(a2, f"predicted CLV ({unit})", "user_id",
          f"Top {len(t)} users, {level:.0%} bootstrap intervals")
    return fig


def concentration(curves: dict[str, pd.DataFrame]) -> Figure:
    """Share of value held by the top share of users, from Lorenz curves
    (:func:`kuailive_analysis.core.stats.lorenz_curve`, poorest first): the curve read from
    the top, ``(1 - population_share, 1 - value_share)``."""
    fig, ax = figure()
    for (name, c), col in zip(curves.items(), PALETTE):
        ax.plot(1 - c["population_share"], 1 - c["value_share"], label=name, color=col)
    ax.plot([0, 1], [0, 1], color=MUTED, lw=0.8, ls=":", label="equal shares")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    label(ax, "top share of users (sorted by value, highest first)", "share of total value",
          "A small top of users carries most of the predicted value")
    ax.legend()
    return fig


def placeholder(text: str) -> Figure:
    """A small figure that only states why there is nothing to show (e.g. real data)."""
    fig, ax = figure(height=1.6)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=10, color="#55606b",
            transform=ax.transAxes)
    return fig


def alive_calibration(check: pd.DataFrame | None) -> Figure:
    """Predicted P(alive) vs the share of users truly alive (twin truth), by bin."""
    if check is None:
        return placeholder("No planted BG/NBD process in this data (real files, or a twin whose gifts follow clicks).")
    fig, ax = figure(height=3.6, width=5.5)
    ax.plot([0, 1], [0, 1], color=MUTED, ls=":", lw=1, label="perfect calibration")
    ax.plot(check["predicted"], check["truly_alive"], "o-", color=PALETTE[0],
            label="bins of users")
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    label(ax, "mean predicted P(alive) at the end of calibration",
          "share truly alive (planted)",
          "Predicted P(alive) vs planted truth (diagonal = calibrated)")
    ax.legend()
    return fig


def recovery(table: pd.DataFrame | None) -> Figure:
    """Estimate / planted ratio with the 95% interval, per BG/NBD parameter."""
    if table is None:
        return placeholder("No planted BG/NBD process in this data (real files, or a twin whose gifts follow clicks).")
    fig, ax = figure(height=3.4)
    t = table.dropna(subset=["ci_low"])
    y = np.arange(len(t))[::-1]
    ratio = t["estimate"] / t["planted"]
    ax.errorbar(ratio, y, xerr=[(t["estimate"] - t["ci_low"]) / t["planted"],
                                (t["ci_high"] - t["estimate"]) / t["planted"]],
                fmt="o", color=PALETTE[0], ecolor=MUTED, capsize=3)
    ax.axvline(1.0, color=ACCENT, lw=1)
    ax.set_yticks(y, t.index)
    ax.set_xscale("log")
    label(ax, "estimate / planted value (log scale; 1 = exact)", "",
          "Planted BG/NBD parameters of the twin vs estimates (95% intervals)")
    return fig
