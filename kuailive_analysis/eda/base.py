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

from kuailive_analysis.core.format import plain

HINT = "Pass the table as returned by kuailive_analysis.dataset.load."

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


class Source:
    """Where chapter 2's SQL definitions (:mod:`kuailive_analysis.engine.queries.eda`) run.

    ``Source(ds)`` with a :class:`~kuailive_analysis.dataset.Dataset`: on its engine
    (``ds.query``, views over the Parquet cache; only the aggregated rows enter pandas).
    ``Source(tables=...)`` with frames by table name, or any object with the contract's tables
    as attributes: on a transient in-memory DuckDB scanning those frames
    (:func:`kuailive_analysis.engine.frames.run_on_frames`). Either way the same SQL text.
    """

    def __init__(self, ds=None, *, tables: dict[str, pd.DataFrame] | None = None) -> None:
        self.ds = ds
        self.tables = dict(tables or {})
        self.on_engine = ds is not None and callable(getattr(ds, "query", None))
        self._results: dict = {}

    def query(self, query, **params) -> pd.DataFrame:
        """The result of ``query`` with ``params`` over its defaults (kept: a second call with
        the same arguments returns the same frame, which callers must not modify)."""
        key = (query.name, query.sql, tuple(sorted(params.items())))
        if key not in self._results:
            if self.on_engine:
                self._results[key] = self.ds.query(query, **params)
            else:
                from kuailive_analysis.engine.frames import run_on_frames

                frames = {t: self.table(t) for t in query.inputs}
                self._results[key] = run_on_frames(query, params, **frames)
        return self._results[key]

    def table(self, name: str) -> pd.DataFrame:
        if name in self.tables:
            return self.tables[name]
        if self.ds is None:
            raise KeyError(f"no table {name!r}; give it in tables=")
        return getattr(self.ds, name)

    def _cache_file(self, name: str):
        path = getattr(self.ds, "cache_path", None) if self.on_engine else None
        f = path / f"{name}.parquet" if path is not None else None
        return f if f is not None and f.exists() else None

    def categorical(self, name: str, column: str) -> pd.CategoricalDtype | None:
        """The categorical dtype of a column of table ``name`` as pandas holds it (category
        order and orderedness; from the Parquet dictionary for the cache, read without
        reading the column); None for other columns."""
        f = self._cache_file(name)
        if f is not None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(f)
            if column not in pf.schema_arrow.names or pf.metadata.num_row_groups == 0:
                return None
            col = pf.read_row_group(0, columns=[column]).column(0)
            if pa.types.is_dictionary(col.type) and col.num_chunks:
                cats = col.chunk(0).dictionary.to_pylist()
                return pd.CategoricalDtype(cats, ordered=col.type.ordered)
            return None
        if self.on_engine and hasattr(self.ds, "table"):
            try:
                dtype = self.ds.table(name, [column])[column].dtype
            except KeyError:
                return None
        else:
            frame = self.table(name)
            if column not in frame.columns:
                return None
            dtype = frame[column].dtype
        return dtype if isinstance(dtype, pd.CategoricalDtype) else None

    def dtype(self, name: str, column: str):
        """The pandas dtype of a column of table ``name`` (without reading the column)."""
        f = self._cache_file(name)
        if f is not None:
            import pyarrow.parquet as pq

            return pq.read_schema(f).field(column).type.to_pandas_dtype()
        if self.on_engine and hasattr(self.ds, "table"):
            try:
                return self.ds.table(name, [column])[column].dtype
            except KeyError:
                pass
        return self.table(name)[column].dtype
