"""A chapter's result: frozen dataclasses whose fields say which values the text glues.

A field declared with :func:`glued` is a number (or a short text) the chapter's prose shows
under the field's name (``{glue:text}`name```, optionally with the field's format spec); any
other field is a table, a fitted model or a figure input. :meth:`Section.numbers` collects the
glued fields of a record and of every record nested in it, so a chapter's result, built from
one section per part of the chapter, has one ``numbers()`` and no hand-written list of keys.

:class:`ChapterResult` adds what every chapter's result has: the data source, the parameters
it ran with, and its findings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any

from kuailive_analysis.core.format import plain

__all__ = ["GLUE", "ChapterResult", "Section", "glued"]

GLUE = "glue"
"""Field metadata key: the field is glued (its value: the format spec, or None)."""


def glued(spec: str | None = None, **kwargs: Any) -> Any:
    """A dataclass field whose value the chapter glues under the field's name; with ``spec`` the
    value is glued pre-formatted (``format(value, spec)``, missing values as ``n/a``), so the
    prose writes ``{glue:text}`name``` without a spec. ``kwargs`` go to ``dataclasses.field``
    (e.g. ``default=``)."""
    return field(metadata={GLUE: spec}, **kwargs)


class Section:
    """Base of the records of a chapter's result (subclasses are frozen dataclasses).

    Glued values are stored as plain Python scalars (a numpy scalar would print as
    ``np.float64(...)`` in the glued text)."""

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if GLUE in f.metadata:
                object.__setattr__(self, f.name, plain(getattr(self, f.name)))

    def numbers(self) -> dict[str, Any]:
        """Every glued value of this record and of the records nested in it, by glue key: the
        value, or ``(value, spec)`` when the field has a format spec. A key defined twice is an
        error."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if GLUE in f.metadata:
                spec = f.metadata[GLUE]
                parts = {f.name: value if spec is None else (value, spec)}
            elif isinstance(value, Section):
                parts = value.numbers()
            else:
                continue
            clash = out.keys() & parts.keys()
            if clash:
                raise RuntimeError(f"glue keys defined twice: {sorted(clash)}")
            out.update(parts)
        return out


class ChapterResult(Section):
    """Base of every chapter's result: a frozen dataclass with ``source`` (the
    :class:`~kuailive_analysis.data.data_source.DataSource`), ``params`` (the chapter's
    :class:`~kuailive_analysis.core.params.Params`) and its sections; :meth:`numbers` glues,
    :meth:`findings` the chapter's claims with their checks."""

    def findings(self) -> list:
        """The chapter's findings (:class:`~kuailive_analysis.chapter.findings.Finding`)."""
        raise NotImplementedError
