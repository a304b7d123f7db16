"""Figures for the book: one style (:mod:`.style`), one module per chapter.

Plot modules take the frames computed by the statistics modules and compute nothing beyond
what the figure needs. Every public plot function follows one convention:

* **Returns the Figure** (:class:`matplotlib.figure.Figure`), which the chapters glue.
* **Draws where it is told.** One-panel functions take ``ax=None``: draw into that Axes (the
  Figure returned is ``ax.figure``), else create a figure. Multi-panel functions take
  ``axes=None``: a sequence (or array) of exactly as many Axes as the figure has panels, drawn
  into in reading order (each docstring says how many); the Kaplan-Meier figures count their
  at-risk strip as a panel of its own.
* **Titles:** keyword ``title=None`` everywhere. ``None`` gives a default title that says what
  the figure shows, ``""`` gives none, any text replaces it (chapters state the finding). A
  multi-panel figure puts it in the figure's suptitle.
* **Footnotes:** keyword ``source=None``, a plain data label (e.g. "Synthetic twin, scale
  0.1") written bottom left by :func:`.style.footnote`, the one footnote helper, which also
  marks Beijing-time views. ``ax``/``axes``, ``title`` and ``source`` are keyword-only.
* **Style without side effects:** the book style is applied with :func:`.style.context` (a
  :func:`matplotlib.rc_context`) for the duration of the call; ``matplotlib.rcParams`` is
  unchanged afterwards, so nothing leaks into a reader's JupyterLab session.
* Every axis is labelled with its unit. seaborn draws the heat maps, the watch-time ECDF and the
  CLV histogram (inside the style context); the rates with intervals are drawn with matplotlib
  from the intervals the statistics modules computed.
"""
