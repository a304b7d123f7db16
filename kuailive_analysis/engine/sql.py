"""SQL definitions written once, in DuckDB's dialect, and rendered for any engine by SQLGlot.

Why SQL + SQLGlot rather than Ibis: every aggregation of the book is a few lines of plain SQL
that an analyst can read, paste into a DuckDB shell or a Spark notebook and check; DuckDB (the
default engine) runs the text exactly as written, with no translation layer; SQLGlot (the
transpiler Ibis itself uses underneath) turns the same text into Spark SQL for
``--engine spark``. Ibis would add a second expression language and a large dependency for
the same two backends.

A :class:`Query` is a named SQL text with ``:name`` placeholders. :func:`render` replaces each
placeholder by a typed literal (never by string pasting: the value becomes an SQLGlot literal
node, so quotes in a value cannot change the statement) and writes the statement in the target
dialect. Unknown or missing parameters are errors that name the query and the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
"""The dialect every definition is written in."""


@dataclass(frozen=True)
class TableDoc:
    """What a table of the data model or of the export is, for the book and the data
    dictionary: ``kind`` (dimension, fact or derived), ``grain`` (what one row is), ``key``,
    ``joins`` and ``columns``: column -> (unit, meaning) for every column the table adds to the
    raw file's columns (those are documented by :mod:`kuailive_analysis.data.schema`)."""

    kind: str
    grain: str
    key: str
    joins: str = ""
    columns: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """One event-level aggregation: ``sql`` (DuckDB dialect, ``:param`` placeholders) over the
    named tables in ``inputs``; ``doc`` says what one output row is and the units. A query that
    makes a table of the data model or of the export documents it in ``table``."""

    name: str
    sql: str
    inputs: tuple[str, ...]
    doc: str
    defaults: dict = field(default_factory=dict)
    order_by: tuple[str, ...] = ()
    table: TableDoc | None = None

    def placeholders(self) -> set[str]:
        return {p.name for p in _parse(self.sql).find_all(exp.Placeholder)}


@lru_cache(maxsize=512)
def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read=DIALECT)


def literal(value) -> exp.Expression:
    """A Python value as an SQL literal node (None -> NULL; bools; ints; finite floats; str)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot put the non-finite number {value!r} into SQL")
        return exp.Literal.number(repr(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    if hasattr(value, "item"):  # numpy scalar
        return literal(value.item())
    raise TypeError(f"cannot put a {type(value).__name__} into SQL: {value!r}")


def render(query: Query | str, dialect: str = DIALECT, **params) -> str:
    """The statement of ``query`` with ``params`` (over its defaults) bound, in ``dialect``."""
    name = query.name if isinstance(query, Query) else "sql"
    sql = query.sql if isinstance(query, Query) else query
    values = {**(query.defaults if isinstance(query, Query) else {}), **params}
    tree = _parse(sql)
    wanted = {p.name for p in tree.find_all(exp.Placeholder)}
    missing = sorted(wanted - set(values))
    if missing:
        raise TypeError(f"query {name!r} needs parameter(s) {missing}")
    unknown = sorted(set(params) - wanted)
    if unknown:
        raise TypeError(f"query {name!r} has no parameter(s) {unknown}; it takes {sorted(wanted)}")
    if wanted:
        tree = tree.transform(
            lambda n: literal(values[n.name]) if isinstance(n, exp.Placeholder) else n
        )
    return tree.sql(dialect=dialect)
