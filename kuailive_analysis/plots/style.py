"""The book's single plotting style.

Use :func:`figure` to start every figure: it applies the style, sizes the canvas and returns
``(fig, axes)``. Label every axis with its unit (:func:`label`), state the finding in the title,
and mark Beijing-time views with :data:`BEIJING_NOTE` (:func:`beijing_note`).
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

# No backend is forced here: inside a Jupyter kernel (papermill, JupyterLab) ipykernel selects
# the inline backend, which is what makes a glued Figure carry an image/png; outside a kernel
# matplotlib falls back to the headless Agg backend when there is no display.

PALETTE = ("#1f5a91", "#e07b39", "#3a9a5b", "#b8403f", "#7c5ea8", "#8c6d31", "#5d8fa8", "#c76fa6")
"""Colour cycle: dark blue first (the main series), then warm orange (the comparison)."""

ACCENT = PALETTE[1]
MUTED = "#9aa5b1"

BEIJING_NOTE = "Times in Beijing time (Asia/Shanghai, UTC+8)"

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "figure.figsize": (8.0, 4.2),
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.7,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "legend.fontsize": 9,
    "image.cmap": "viridis",
}


def apply_style() -> None:
    """Apply the book style to matplotlib's global rc parameters (idempotent)."""
    plt.rcParams.update(RC)


def figure(nrows: int = 1, ncols: int = 1, *, width: float | None = None,
           height: float | None = None, **kwargs) -> tuple[Figure, object]:
    """Start a figure in the book style. Returns ``(fig, axes)`` like ``plt.subplots``.

    The figure is detached from pyplot's state machine after creation, so notebooks do not
    display it twice (display it with ``glue`` or by leaving it as the cell's last value).
    """
    apply_style()
    w = width or (4.2 * ncols if ncols > 1 else RC["figure.figsize"][0])
    h = height or (3.4 * nrows if nrows > 1 else RC["figure.figsize"][1])
    fig, axes = plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)
    plt.close(fig)
    return fig, axes


def label(ax, x: str, y: str, title: str | None = None) -> None:
    """Set axis labels (include units, e.g. ``"watch time (s, log scale)"``) and the title."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title)


def beijing_note(fig: Figure) -> None:
    """Footnote that times are Beijing time. Add it to every clock or calendar view."""
    fig.text(0.995, 0.005, BEIJING_NOTE, ha="right", va="bottom", fontsize=7.5, color="#55606b")


def source_note(fig: Figure, text: str) -> None:
    """Footnote on the left: the data the figure was built on (e.g. 'Synthetic twin, scale 0.1')."""
    fig.text(0.005, 0.005, text, ha="left", va="bottom", fontsize=7.5, color="#55606b")


def percent_axis(axis, decimals: int = 0) -> None:
    """Format an axis holding shares in [0, 1] as percentages."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.{decimals}f}%"))


def thousands_axis(axis) -> None:
    """Format an axis with thousands separators."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
