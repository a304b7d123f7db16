"""Helpers shared by the chapters: gluing numbers into the text, and the provenance table.

Glue (``myst_nb.glue``) stores a value in the executed notebook under a key; the prose reads it
with ``{glue:text}`key:spec```. myst-nb formats with a spec by ``ast.literal_eval`` of the
stored ``text/plain`` repr, which fails for numpy 2 scalars (``np.float64(0.5)``) and for
``nan``: :func:`glue` stores Python scalars, or text pre-formatted here.

Naming convention for reproducibility: glue keys starting with ``time_`` (see
:data:`VOLATILE_PREFIX`) hold wall-clock measurements (elapsed seconds, fit milliseconds).
They legitimately differ between two runs on the same data and are the only keys that
``tests/test_reproducible.py`` does not compare; every other glued value must be identical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from kuailive_analysis.core.constants import REPORTED_PACKAGES, package_versions
from kuailive_analysis.data.data_source import DataSource

VOLATILE_PREFIX = "time_"
MISSING_TEXT = "n/a"


def is_volatile(key: str) -> bool:
    """True for glue keys that hold wall-clock measurements (prefix ``time_``)."""
    return str(key).startswith(VOLATILE_PREFIX)


def plain(value):
    """``value`` with numpy scalars replaced by the equivalent Python scalar (others unchanged)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def text_value(value, spec: str | None = None):
    """The value to glue: a Python scalar, or with ``spec`` the text ``format(value, spec)``.

    With a spec, missing values (None, NaN, +-inf, pandas NA) become ``'n/a'`` so that the text
    reads sensibly; without a spec the (plain) value is returned as is.
    """
    value = plain(value)
    if spec is None:
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING_TEXT
    return format(value, spec)


def glue(name: str, value, spec: str | None = None) -> None:
    """Glue ``value`` under ``name`` for the text (``display=False``).

    numpy scalars are stored as Python scalars so that ``{glue:text}`name:.1%``` works; with
    ``spec`` the value is stored pre-formatted (use ``{glue:text}`name``` without a spec then).
    Figures and tables are glued unchanged. Returns None, so that a ``glue(...)`` call as the
    last line of a cell prints nothing.
    """
    from myst_nb import glue as _glue

    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue key {name!r} is not a valid identifier: use letters, digits and _")
    _glue(name, text_value(value, spec), display=False)


def glue_all(numbers: Mapping) -> None:
    """Glue every ``name -> value`` of a result's ``numbers()`` (see :func:`glue`).

    A value given as a ``(value, spec)`` tuple is stored pre-formatted with ``spec``. This is the
    one loop a chapter needs: ``glue_all(result.numbers())``.
    """
    for name, value in numbers.items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], str):
            glue(name, value[0], value[1])
        else:
            glue(name, value)


def _param_text(value) -> str:
    value = plain(value)
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def data_rows(source: DataSource | Mapping | None) -> list[tuple[str, str]]:
    """(item, value) rows describing the data (a :class:`DataSource` or its dict): kind,
    folder name, twin scale and seed, and the data fingerprint."""
    source = source.to_dict() if isinstance(source, DataSource) else dict(source or {})
    kind = source.get("kind", "unknown")
    rows = [
        (
            "kind",
            "synthetic twin"
            if kind == "twin"
            else "data folder"
            if kind == "folder"
            else str(kind),
        )
    ]
    if source.get("path"):
        rows.append(("folder", Path(str(source["path"])).name))
    if kind == "twin":
        rows += [
            ("twin scale", _param_text(source.get("scale"))),
            ("twin seed", _param_text(source.get("seed"))),
        ]
    if source.get("fingerprint"):
        rows.append(("fingerprint", str(source["fingerprint"])))
    if source.get("engine"):
        rows.append(("engine", str(source["engine"])))
    return rows


def provenance(
    ds=None, *, now: datetime | None = None, packages=REPORTED_PACKAGES, **params
) -> pd.DataFrame:
    """The chapter's provenance as a table with columns ``section``, ``item``, ``value``.

    Sections: ``parameter`` (each keyword argument, in the order given), ``data`` (from
    ``ds.source``: kind, folder name, twin scale and seed, and the data fingerprint),
    ``version`` (Python and the main packages) and ``run`` (UTC time of the run; varies between
    runs by design). ``ds`` may be a Dataset or anything with a ``source`` (a
    :class:`DataSource` or a dict), or None.
    All values are strings, so the table renders the same everywhere.
    """
    source = getattr(ds, "source", None) if ds is not None else None
    rows = [("parameter", k, _param_text(v)) for k, v in params.items()]
    rows += [("data", k, v) for k, v in data_rows(source)]
    rows += [("version", k, v) for k, v in package_versions(packages).items()]
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    rows.append(("run", "executed at", stamp.strftime("%Y-%m-%d %H:%M:%S UTC")))
    return pd.DataFrame(rows, columns=["section", "item", "value"])


def show_provenance(ds=None, **params):
    """The provenance table styled for the book (index hidden); for the last chapter cell."""
    return provenance(ds, **params).style.set_uuid("provenance").hide(axis="index")


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

NEAR_ZERO = 1e-9
"""Absolute values below this are shown as 0 (e.g. a correlation of -5.5e-17)."""


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


def format_p(p) -> str:
    """A p-value as text: ``< 0.001`` below one in a thousand, else three decimals."""
    if p is None or (isinstance(p, float) and not math.isfinite(p)) or pd.isna(p):
        return "\u2013"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_number(x, digits: int = 4) -> str:
    """A float without scientific notation: ``digits`` significant digits (at least whole
    units with thousands separators for large values), near-zero values as 0, infinities as
    ``inf``."""
    if x is None or pd.isna(x):
        return "\u2013"
    x = float(x)
    if not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    if abs(x) < NEAR_ZERO:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_percent(x) -> str:
    """A share as a percentage (one decimal; two below 10%), near-zero as 0%."""
    if x is None or pd.isna(x):
        return "\u2013"
    x = float(x)
    if not math.isfinite(x):
        return "\u2013"
    if abs(x) < NEAR_ZERO:
        return "0%"
    return f"{x:.2%}" if abs(x) < 0.1 else f"{x:.1%}"


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


# --- findings, banner -----------------------------------------------------------------------
FINDINGS_KEY = "findings_json"
"""Glue key under which each chapter stores its findings (JSON) for the book to collect."""


def banner_html(source: DataSource) -> str:
    """The "which data" banner every chapter shows at the top (HTML admonition)."""
    from html import escape

    if source.is_twin:
        body = (
            f"<b>This page ran on synthetic data</b>: the {escape(source.label)}, generated by "
            "the package, not the real KuaiLive files. A pattern the generator planted is "
            "labelled as a <i>recovered planted property</i>, not a discovery (see the "
            "fidelity appendix for what is planted and how close the twin is)."
        )
        kind = "warning"
    else:
        body = f"This page ran on <b>{escape(source.label)}</b>."
        kind = "note"
    return f'<div class="admonition {kind}"><p class="admonition-title">Data</p><p>{body}</p></div>'


def show_banner(source: DataSource) -> None:
    """Display the data banner (first output of every chapter)."""
    from IPython.display import HTML, display

    display(HTML(banner_html(source)))


def show_findings(findings, source: DataSource) -> None:
    """Display a chapter's Key findings (validated findings; the rest under "What this data
    cannot tell us (yet)") and glue the records as JSON for the book's ``findings.json``."""
    from IPython.display import Markdown, display

    from kuailive_analysis.findings import findings_markdown, to_json

    findings = list(findings)
    glue(FINDINGS_KEY, to_json(findings))
    display(Markdown(findings_markdown(findings, twin=source.is_twin)))


def show_actions(findings) -> None:
    """Display "What this means for the product": the actions of validated findings only."""
    from IPython.display import Markdown, display

    from kuailive_analysis.findings import actions_markdown

    display(Markdown(actions_markdown(findings)))
