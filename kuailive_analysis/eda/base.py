"""What the eda modules share: the record of one section of chapter 2 (:class:`Section`) and
column-wise access to a dataset's tables (:func:`columns`).

A section is a frozen dataclass of the tables the chapter shows (``field(repr=False)``) and the
values its prose glues (``field(metadata=GLUED)``, named exactly like the glue keys of the
notebook). :meth:`Section.numbers` returns the glued values, stored as plain Python scalars
(``int`` counts stay ``int`` in the text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from types import MappingProxyType

import pandas as pd

from kuailive_analysis.report import plain

HINT = "Pass the table as returned by kuailive_analysis.data.dataset.load."

GLUED = MappingProxyType({"glue": True})
"""Metadata of a section field whose value the chapter glues under the field's name:
``x: float = field(metadata=GLUED)``. Tables and figure inputs are ``field(repr=False)``."""


class Section:
    """Base of the section records (subclasses are frozen dataclasses)."""

    def __post_init__(self):
        # glued values are stored as plain Python scalars (numpy scalars would print as
        # np.float64(...) in the text's literal_eval and in the repr)
        for f in fields(self):
            if f.metadata.get("glue"):
                object.__setattr__(self, f.name, plain(getattr(self, f.name)))

    def numbers(self) -> dict[str, object]:
        """The glued values: ``{field name: value}`` for the fields marked :data:`GLUED`."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("glue")}


def columns(ds, name: str, cols: Sequence[str]) -> pd.DataFrame:
    """Only ``cols`` of table ``name`` of a dataset (reads just those columns from the cache
    when the dataset supports it, so a 12.7M-row negative table is never fully loaded)."""
    if hasattr(ds, "table"):
        return ds.table(name, list(cols))
    return getattr(ds, name)[list(cols)]
