"""The chapters' parameters on the command line and in ``kuailive run``.

Each chapter declares its parameters once, as a :class:`~kuailive_analysis.core.params.Params`
subclass in its analysis package (:data:`PARAMS` maps each chapter to it). This module only
reads ``-p NAME VALUE`` pairs (YAML, like papermill's ``-p``) and checks them against the
chosen chapters before any work: a name no chosen chapter declares, a reserved name
(``data_dir``: use ``--data-dir``) or a bad value is a one-line :class:`ParamError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kuailive_analysis.cleaning import Params as CleaningParams
from kuailive_analysis.core.chapters import ChapterId
from kuailive_analysis.core.params import (
    RESERVED,
    ParamError,
    Params,
    ParamSpec,
    parse_value,
    unknown_error,
)
from kuailive_analysis.eda import Params as EDAParams
from kuailive_analysis.fidelity import Params as FidelityParams
from kuailive_analysis.funnel import Params as FunnelParams
from kuailive_analysis.ltv import Params as LTVParams
from kuailive_analysis.retention import Params as RetentionParams

__all__ = [
    "PARAMS",
    "ParamError",
    "check_run",
    "merged",
    "notebook_parameters",
    "parse_cli",
    "specs",
]

PARAMS: dict[str, type[Params]] = {
    ChapterId.CLEANING: CleaningParams,
    ChapterId.EDA: EDAParams,
    ChapterId.RETENTION: RetentionParams,
    ChapterId.LTV: LTVParams,
    ChapterId.FUNNEL: FunnelParams,
    ChapterId.FIDELITY: FidelityParams,
}
"""Each chapter's parameter class, by notebook stem."""


def specs(chapter: str) -> dict[str, ParamSpec]:
    """The specs of one chapter (notebook stem) by name."""
    try:
        return PARAMS[chapter].specs()
    except KeyError:
        raise ParamError(f"No parameter declarations for chapter {chapter!r}.") from None


def notebook_parameters(path: Path) -> dict[str, str]:
    """Names and defaults (as source text) of a notebook's ``parameters`` cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    params: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                line = line.split("#", 1)[0].strip()
                if "=" in line and not line.startswith(("import", "from")):
                    name, _, default = line.partition("=")
                    if name.strip().isidentifier():
                        params[name.strip()] = default.strip()
    return params


def _untyped(path) -> dict[str, ParamSpec]:
    """Specs of a notebook that is not a chapter of the book (tests, drafts): the names of its
    ``parameters`` cell, any value allowed."""
    return {n: ParamSpec(n, object, None, "undeclared") for n in notebook_parameters(path)}


def check_run(
    chapters: Iterable[str] | Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Validate run parameters for the chosen chapters (notebook stems) before any work.

    ``chapters`` may map each stem to its notebook path: a notebook that is not a chapter of
    the book then gets its ``parameters`` cell's names, untyped. Returns ``{chapter: {name:
    typed value}}`` with, for each chapter, the parameters it declares. A reserved name
    (``data_dir``) or a name no chosen chapter declares is an error."""
    paths = dict(chapters) if isinstance(chapters, Mapping) else {}
    chapters = list(chapters)
    for name in params:
        if name in RESERVED:
            raise ParamError(f"Parameter {name}: {RESERVED[name]}.")
    declared = {
        c: _untyped(paths[c]) if c not in PARAMS and paths.get(c) else specs(c) for c in chapters
    }
    unknown = [p for p in params if not any(p in d for d in declared.values())]
    if unknown:
        raise unknown_error(unknown, chapters, {k for d in declared.values() for k in d})
    return {
        c: {k: declared[c][k].check(v, c) for k, v in params.items() if k in declared[c]}
        for c in chapters
    }


def merged(typed: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One ``{name: typed value}`` from :func:`check_run`'s per-chapter result (for run.json)."""
    out: dict[str, Any] = {}
    for values in typed.values():
        for k, v in values.items():
            out.setdefault(k, v)
    return out


def parse_cli(pairs, chapters: Iterable[str]) -> dict[str, Any]:
    """``-p NAME VALUE`` pairs read like papermill and checked for the chosen chapters."""
    params = {name: parse_value(value) for name, value in (pairs or [])}
    return merged(check_run(chapters, params)) if params else {}
