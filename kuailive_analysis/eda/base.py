"""What the eda modules share: the record of one section of chapter 2 (:class:`Section`) and
column-wise access to a dataset's tables (:func:`columns`).

A section is a frozen dataclass of the tables the chapter shows (fields made with
:func:`shown`, left out of the repr) and the values its prose glues (fields made with
:func:`glued`, named exactly like the glue keys of the notebook). :meth:`Section.numbers`
returns the glued values, stored as plain Python scalars (``int`` counts stay ``int`` in the
text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field, fields

import pandas as pd

from kuailive_analysis.report import plain

HINT = "Pass the table as returned by kuailive_analysis.dataset.load."
_GLUE = "glue"


def glued():
    """A section field whose value the chapter glues under the field's name."""
    return field(metadata={_GLUE: True})


def shown():
    """A section field holding a table or the input of a figure (left out of the repr)."""
    return field(repr=False)


class Section:
    """Base of the section records (subclasses are frozen dataclasses)."""

    def __post_init__(self):
        # glued values are stored as plain Python scalars (numpy scalars would print as
        # np.float64(...) in the text's literal_eval and in the repr)
        for f in fields(self):
            if f.metadata.get(_GLUE):
                object.__setattr__(self, f.name, plain(getattr(self, f.name)))

    def numbers(self) -> dict[str, object]:
        """The glued values: ``{field name: value}`` for the :func:`glued` fields."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get(_GLUE)}


def columns(ds, name: str, cols: Sequence[str]) -> pd.DataFrame:
    """Only ``cols`` of table ``name`` of a dataset (reads just those columns from the cache
    when the dataset supports it, so a 12.7M-row negative table is never fully loaded)."""
    if hasattr(ds, "table"):
        return ds.table(name, list(cols))
    return getattr(ds, name)[list(cols)]
