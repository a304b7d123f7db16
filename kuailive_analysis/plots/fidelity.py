"""Figure of the fidelity appendix: how far each fact of this data is from the real files.

Takes the table of :func:`kuailive_analysis.fidelity.compare` (columns ``Family``, ``Fact``,
``Ratio``, ``Verdict``) and draws one row per family, one dot per fact at its ratio
``this / real`` on a log axis, coloured by verdict. Draws into ``ax`` (else a new figure) and
returns the Figure; see :mod:`kuailive_analysis.plots` for the conventions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kuailive_analysis.fidelity import FAMILIES
from kuailive_analysis.plots import style

VERDICT_COLOURS = {
    "match": style.PALETTE[2],
    "close": style.ACCENT,
    "off": style.PALETTE[3],
    "not comparable": style.MUTED,
}
"""Colour of each verdict (*not comparable*: grey, drawn but not judged)."""
RATIO_LIMITS = (1 / 20, 20.0)
"""Ratios outside are drawn at the edge with an arrow-like marker (``<`` or ``>``)."""


@style.styled
def plot_ratios(
    table: pd.DataFrame,
    *,
    ax=None,
    title: str | None = None,
    source: str | None = None,
    label_worst: bool = True,
) -> Figure:
    """Ratio (this data / real) of every fact by family on a log axis, coloured by verdict.

    Parameters
    ----------
    table : DataFrame
        :func:`kuailive_analysis.fidelity.compare` (``Family``, ``Fact``, ``Ratio``,
        ``Verdict``).
    ax, title, source
        Where to draw, the title and the footnote (:mod:`kuailive_analysis.plots`).
    label_worst : bool
        Name the fact furthest from 1 in each family (when it is more than 10% off).

    Returns
    -------
    Figure
        One row per family; the shaded band is +-10%.
    """
    fig, ax = style.axes_or_figure(ax, width=9.0, height=0.42 * len(FAMILIES) + 1.6)
    title = style.resolve_title(title, "Each fact of this data against the real files")
    fams = [f for f in FAMILIES if f in set(table["Family"])]
    ypos = {f: i for i, f in enumerate(fams)}
    t = table[table["Family"].isin(fams) & np.isfinite(table["Ratio"].astype(float))]
    lo, hi = RATIO_LIMITS
    r = t["Ratio"].to_numpy(dtype=float)
    x = np.clip(np.where(r > 0, r, lo), lo, hi)
    # spread the dots of one family vertically (deterministic, by their order in the table)
    rank = t.groupby("Family").cumcount().to_numpy()
    size = t.groupby("Family")["Family"].transform("size").to_numpy()
    y = t["Family"].map(ypos).to_numpy() + 0.5 * ((rank + 0.5) / size - 0.5)
    ax.axvspan(1 / 1.1, 1.1, color="#e3e6ea", zorder=0)
    ax.axvline(1.0, color=style.MUTED, lw=1, zorder=1)
    for verdict, colour in VERDICT_COLOURS.items():
        sel = (t["Verdict"] == verdict).to_numpy()
        for marker, part in (("o", (r > lo) & (r < hi)), ("<", r <= lo), (">", r >= hi)):
            m = sel & part
            if m.any():
                ax.scatter(
                    x[m],
                    y[m],
                    s=22,
                    marker=marker,
                    color=colour,
                    alpha=0.85,
                    edgecolor="white",
                    linewidth=0.4,
                    zorder=3,
                )
    if label_worst:
        with np.errstate(divide="ignore"):
            dist = np.where(r > 0, np.abs(np.log(np.where(r > 0, r, 1.0))), np.inf)
        for fam in fams:  # the furthest fact of each family, named next to its dot
            idx = np.flatnonzero((t["Family"] == fam).to_numpy())
            i = idx[np.argmax(dist[idx])] if len(idx) else None
            if i is not None and dist[i] > np.log(1.1):
                ax.annotate(
                    t["Fact"].iloc[i],
                    (x[i], y[i]),
                    xytext=(5, -2),
                    textcoords="offset points",
                    fontsize=6.5,
                    color="#33404d",
                    ha="left" if x[i] < 1 else "right" if x[i] > 8 else "left",
                    va="top",
                )
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.3, hi * 1.3)
    ax.set_yticks(range(len(fams)))
    ax.set_yticklabels(fams)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ticks = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{v:g}" for v in ticks])
    ax.minorticks_off()
    handles = [
        Line2D([], [], marker="o", ls="", color=c, label=v) for v, c in VERDICT_COLOURS.items()
    ]
    ax.legend(  # inside the axes, bottom right (ratios beyond 4 are rare): off the title
        handles=handles,
        loc="lower right",
        title="verdict",
        fontsize=8,
        title_fontsize=8,
        framealpha=0.9,
    )
    style.label(
        ax,
        "this data / real value (ratio, log scale; shaded: within 10%)",
        "family of facts",
        title,
    )
    style.footnote(fig, source)
    return fig
