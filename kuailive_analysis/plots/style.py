"""The book's single plotting style, applied through a context manager (never global state).

Every public plot function runs inside :func:`context` (decorate it with :func:`styled`), which
sets the book's rc parameters with :func:`matplotlib.rc_context` and restores the reader's own
on exit: calling a plot function leaves ``matplotlib.rcParams`` unchanged. Start single-panel
figures with :func:`axes_or_figure` and multi-panel ones with :func:`axes_or_subplots` (they
draw into the Axes the caller passes, else create a figure with :func:`figure`). Label every
axis with its unit (:func:`label`), state the finding in the title (:func:`resolve_title`,
:func:`suptitle`), and put the data label and the Beijing-time note in the one footnote helper,
:func:`footnote`.
"""

from __future__ import annotations

import functools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
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


def context():
    """Context manager applying the book style (``with style.context(): ...``); the previous
    rc parameters are restored on exit, so nothing leaks into the reader's session."""
    return matplotlib.rc_context(RC)


def styled(func):
    """Decorator: run a plot function inside :func:`context`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with context():
            return func(*args, **kwargs)

    return wrapper


def figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float | None = None,
    height: float | None = None,
    **kwargs,
) -> tuple[Figure, object]:
    """Start a figure in the book style. Returns ``(fig, axes)`` like ``plt.subplots``.

    The figure is detached from pyplot's state machine after creation, so notebooks do not
    display it twice (display it with ``glue`` or by leaving it as the cell's last value).
    """
    with context():
        w = width or (4.2 * ncols if ncols > 1 else RC["figure.figsize"][0])
        h = height or (3.4 * nrows if nrows > 1 else RC["figure.figsize"][1])
        fig, axes = plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)
    plt.close(fig)
    return fig, axes


def axes_or_figure(ax=None, **figure_kwargs):
    """``(fig, ax)``: the caller's Axes and its figure, else a new one-panel :func:`figure`."""
    if ax is None:
        return figure(**figure_kwargs)
    return ax.figure, ax


def axes_or_subplots(axes, n: int, nrows: int = 1, ncols: int = 1, **figure_kwargs):
    """``(fig, axes)`` for a multi-panel figure: ``axes`` (a sequence or array of ``n`` Axes
    of one figure, drawn into in reading order) as a flat array, else a new :func:`figure`
    with ``nrows`` x ``ncols`` panels (returned as a flat array, unused panels included)."""
    if axes is None:
        fig, new = figure(nrows, ncols, squeeze=False, **figure_kwargs)
        return fig, np.asarray(new).ravel()
    flat = np.asarray(axes, dtype=object).ravel()
    if len(flat) != n:
        raise ValueError(f"this figure draws {n} panels: pass {n} Axes, got {len(flat)}")
    return flat[0].figure, flat


def resolve_title(title: str | None, default: str) -> str:
    """The title convention: ``None`` gives the default (which says what the figure shows),
    ``""`` gives no title, any other text is used as is."""
    return default if title is None else title


def suptitle(fig: Figure, title: str | None) -> None:
    """Title of a multi-panel figure, left-aligned like the Axes titles (nothing for ``""``)."""
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=11)


def label(ax, x: str, y: str, title: str | None = None) -> None:
    """Set axis labels (include units, e.g. ``"watch time (s, log scale)"``) and the title."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if title:
        ax.set_title(title)


SOURCE_GID = "kuailive-footnote-source"
BEIJING_GID = "kuailive-footnote-beijing"
FOOTNOTE_COLOUR = "#55606b"


def footnote(fig: Figure, source: str | None = None, *, beijing: bool = False) -> None:
    """The one footnote helper: the data the figure was built on (``source``, a plain label
    such as 'Synthetic twin, scale 0.1') bottom left, and with ``beijing`` the note that times
    are Beijing time (:data:`BEIJING_NOTE`, for every clock or calendar view) bottom right.

    A strip at the bottom is reserved in the constrained layout so the notes never overlap
    axis labels. Calling it again replaces the notes instead of stacking them.
    """
    notes = [
        (gid, text, x, ha)
        for gid, text, x, ha in (
            (SOURCE_GID, source, 0.005, "left"),
            (BEIJING_GID, BEIJING_NOTE if beijing else None, 0.995, "right"),
        )
        if text
    ]
    if not notes:
        return
    for gid, text, x, ha in notes:
        for old in [t for t in fig.texts if t.get_gid() == gid]:
            old.remove()
        fig.text(x, 0.005, text, ha=ha, va="bottom", fontsize=7.5, color=FOOTNOTE_COLOUR, gid=gid)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        strip = min(0.2, 0.17 / max(fig.get_figheight(), 0.5))  # ~0.17 inch for 7.5 pt text
        engine.set(rect=(0, strip, 1, 1 - strip))


def percent_axis(axis, decimals: int = 0) -> None:
    """Format an axis holding shares in [0, 1] as percentages."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.{decimals}f}%"))


def thousands_axis(axis) -> None:
    """Format an axis with thousands separators."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
