"""Tables for the book: readable headers, units, percentages for shares, no scientific
notation, long tables collapsed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from kuailive_analysis.core.format import format_number, format_p, format_percent

__all__ = ["HEADERS", "Table", "is_p_value_column", "show_table"]

HEADERS: dict[str, str] = {
    # cleaning report and sensitivity
    "rule": "Rule",
    "table": "Table",
    "rows_in": "Rows in",
    "rows_dropped": "Rows dropped",
    "rows_flagged": "Rows flagged",
    "rows_out": "Rows out",
    "max_room_days": "Threshold (days)",
    "count": "Count",
    "severity": "Severity",
    "detail": "Detail",
    "check": "Check",
    # statistics of the later chapters
    "S_a": "Survival, group A",
    "S_b": "Survival, group B",
    "p_value": "p-value",
    "p": "p-value",
    "fixed_p": "p-value",
    "fixed_p_holm": "p-value (Holm-adjusted)",
    "p_holm": "p-value (Holm-adjusted)",
    "hr": "Hazard ratio",
    "ci_lo": "95% CI low",
    "ci_hi": "95% CI high",
    "lo": "Interval low",
    "hi": "Interval high",
    "n": "n",
}
"""Readable headers for raw column names (``show_table`` applies them; ``headers=`` adds or
overrides). Names not listed are shown with ``_`` as spaces and the first letter capitalised."""


def _readable(name) -> str:
    if not isinstance(name, str):
        return name
    if name in HEADERS:
        return HEADERS[name]
    if name.startswith("n_") and len(name) > 2:
        return "Number of " + name[2:].replace("_", " ")
    if name.lower() == name and len(name) > 1:
        text = name.replace("_", " ")
        return text[:1].upper() + text[1:]
    return name


def is_p_value_column(name) -> bool:
    """True for columns holding p-values (``p``, ``p_value``, ``*_p``, ``p_*``, ``*pvalue*``)."""
    n = str(name).lower().replace("-", "_").replace(" ", "_")
    return (
        n in ("p", "pvalue", "p_value")
        or n.startswith("p_")
        or n.endswith("_p")
        or "_p_" in f"_{n}_"
        and ("holm" in n or "adj" in n or "fixed" in n)
        or "pvalue" in n
        or "p_value" in n
    )


class Table:
    """A styled table for the book: renders as HTML in a horizontally scrolling ``div``; a
    long table shows its first ``max_rows`` rows and the rest in a collapsed section that says
    how many rows it holds. ``styler`` is the pandas Styler of the whole table."""

    def __init__(self, styler, *, max_rows: int | None = None, head_styler=None, n_rows: int = 0):
        self.styler = styler
        self._head = head_styler
        self.max_rows = max_rows
        self.n_rows = n_rows

    @property
    def data(self) -> pd.DataFrame:
        return self.styler.data

    def to_html(self) -> str:
        wrap = '<div class="kl-table" style="overflow-x: auto; max-width: 100%;">{}</div>'
        if self._head is None:
            return wrap.format(self.styler.to_html())
        hidden = self.n_rows - self.max_rows
        return (
            wrap.format(self._head.to_html())
            + f'<p class="kl-table-note"><i>Top {self.max_rows} of {self.n_rows:,} rows shown; '
            f"{hidden:,} more rows hidden.</i></p>"
            + f"<details><summary>Show all {self.n_rows:,} rows</summary>"
            + wrap.format(self.styler.to_html())
            + "</details>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __getattr__(self, name):
        """Styler methods (``set_uuid``, ``format``, ``hide``, ...) apply to the table (and its
        collapsed head) and return the :class:`Table`, so ``show_table(df).set_uuid("x")``
        still chains."""
        if name.startswith("_") or name in ("styler", "max_rows", "n_rows"):
            raise AttributeError(name)
        attr = getattr(self.styler, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            out = attr(*args, **kwargs)
            if out is self.styler:
                if self._head is not None:
                    getattr(self._head, name)(*args, **kwargs)
                return self
            return out

        return call


def show_table(
    df: pd.DataFrame,
    *,
    digits: int = 4,
    percent: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> Table:
    """A frame styled for the book (a :class:`Table`).

    Counts with thousands separators, shares as percentages, p-values as ``< 0.001`` or three
    decimals, other numbers with ``digits`` significant digits and never in scientific notation
    (near-zero values as 0), missing values as an en dash, the index hidden when it is only a
    row number, raw column names replaced by readable headers (:data:`HEADERS`, plus
    ``headers``). Wide tables scroll horizontally; with ``max_rows`` a longer table shows its
    top rows and says how many are hidden (the full table in a collapsed section).

    Columns are treated as shares when listed in ``percent`` or named ``share*`` / ``*_share``
    / ``*, share`` / ``*_rate``; as p-values when named like one (:func:`is_p_value_column`); as counts when
    integer-typed or holding only whole numbers.
    """
    fmt = {}
    for col in df.columns:
        s = df[col]
        name = str(col)
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if (
            col in percent
            or name.lower().startswith("share")
            or name.endswith("_share")
            or name.endswith(", share")
            or name.endswith("_rate")
        ):
            fmt[col] = format_percent
        elif is_p_value_column(name):
            fmt[col] = lambda x: format_p(x).replace("<", "&lt;")
        elif pd.api.types.is_integer_dtype(s) or _whole_numbers(s):
            fmt[col] = "{:,.0f}"
        else:
            fmt[col] = lambda x, d=digits: format_number(x, d)
    names = {**{c: _readable(c) for c in df.columns}, **dict(headers or {})}

    def style(frame):
        st = frame.style.format(fmt, na_rep="\u2013", escape="html").set_uuid("table")
        if not isinstance(frame.columns, pd.MultiIndex):
            labels = [names.get(c, c) for c in frame.columns]
            st = st.relabel_index(labels, axis="columns")
        if isinstance(frame.index, pd.RangeIndex):
            st = st.hide(axis="index")
        return st

    full = style(df)
    if max_rows is not None and len(df) > max_rows:
        return Table(full, max_rows=max_rows, head_styler=style(df.head(max_rows)), n_rows=len(df))
    return Table(full, n_rows=len(df))


def _whole_numbers(s: pd.Series) -> bool:
    """True when a float column holds only finite whole numbers (counts stored as floats)."""
    v = s.dropna().to_numpy(dtype=float)
    return bool(len(v)) and bool(np.isfinite(v).all()) and bool((v == np.round(v)).all())
