"""The chapter kit: what every chapter's analysis declares once and shares.

* :class:`Params` and :func:`param` (:mod:`kuailive_analysis.core.params`): a chapter's
  parameters with type, range and meaning; the CLI, papermill and the notebook's
  ``parameters`` cell all come from the one declaration.
* :class:`ChapterResult`, :class:`Section` and :func:`glued` (:mod:`.result`): a result whose
  ``numbers()`` come from field metadata.
* :class:`Finding` and :func:`finding` (:mod:`.finding`): a claim with the check that supports
  it; the status and the rules for reasons and actions in one place.
* :class:`ChapterId` (:mod:`kuailive_analysis.core.chapters`): the chapters' one set of ids.

Every chapter's analysis is ``analyse(ds, params: Params | None = None, **overrides) ->
Result``.
"""

from __future__ import annotations

from kuailive_analysis.chapter.findings import (
    ORIGINS,
    STATUSES,
    Finding,
    finding,
    from_dict,
    headlines,
    not_established,
    to_json,
)
from kuailive_analysis.chapter.result import ChapterResult, Section, glued
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import ParamError, Params, param

__all__ = [
    "ORIGINS",
    "STATUSES",
    "ChapterId",
    "ChapterResult",
    "Finding",
    "ParamError",
    "Params",
    "Section",
    "finding",
    "from_dict",
    "glued",
    "headlines",
    "not_established",
    "param",
    "to_json",
]
