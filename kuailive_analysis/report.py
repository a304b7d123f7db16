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


def show_table(df: pd.DataFrame, *, digits: int = 4, percent: tuple[str, ...] = ()):
    """A frame styled for the book: counts with thousands separators, shares as percentages,
    other numbers with ``digits`` significant digits, missing values as an en dash, and the
    index hidden when it is only a row number.

    Columns are treated as shares when listed in ``percent`` or named ``share*`` / ``*_share``;
    as counts when integer-typed or holding only whole numbers.
    """
    fmt = {}
    for col in df.columns:
        s = df[col]
        name = str(col)
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        if col in percent or name.startswith("share") or name.endswith("_share"):
            fmt[col] = "{:.1%}"
        elif pd.api.types.is_integer_dtype(s) or _whole_numbers(s):
            fmt[col] = "{:,.0f}"
        else:
            fmt[col] = f"{{:,.{digits}g}}"
    styler = df.style.format(fmt, na_rep="\u2013").set_uuid("table")
    if isinstance(df.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    return styler


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
            f"This page ran on the <b>{escape(source.label)}</b>: synthetic data generated by "
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
