"""Gluing a chapter's numbers into its text.

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

import pandas as pd

from kuailive_analysis.core.format import plain

__all__ = [
    "MISSING_TEXT",
    "VOLATILE_PREFIX",
    "glue",
    "glue_all",
    "is_volatile",
    "plain",
    "text_value",
]

VOLATILE_PREFIX = "time_"
MISSING_TEXT = "n/a"


def is_volatile(key: str) -> bool:
    """True for glue keys that hold wall-clock measurements (prefix ``time_``)."""
    return str(key).startswith(VOLATILE_PREFIX)


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
