"""Figures for the book: one style (:mod:`.style`), one module per chapter.

Plot modules take the frames computed by the statistics modules and return a
:class:`matplotlib.figure.Figure`; they compute nothing beyond what the figure needs.
"""
