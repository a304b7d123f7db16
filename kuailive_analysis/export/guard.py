"""What an export may not touch: the data and build folders, and any folder it did not write."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kuailive_analysis.core.folders import foreign_entries, overlap
from kuailive_analysis.data.io import DataError
from kuailive_analysis.dataset import Dataset
from kuailive_analysis.engine.base import FORMATS

__all__ = [
    "MANIFEST",
    "ExportError",
    "cache_only",
    "check_args",
    "check_out",
    "export_entries",
    "export_space",
    "protected_folders",
]

MANIFEST = "manifest.json"


class ExportError(DataError):
    """An export that cannot be done as asked (the message says why); exit status 2."""


def export_entries(out: Path) -> set[str] | None:
    """The names an earlier ``kuailive export`` wrote into ``out`` (its tables, dictionary and
    ``manifest.json``, as listed in the manifest), or None when ``out`` holds no readable export
    manifest (then this tool did not write it)."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        names = {str(f) for f in dict(manifest["files"]).values()}
        names |= {str(f) for f in manifest.get("dictionary", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return names | {MANIFEST}


def check_out(out: Path, overwrite: bool, inputs: dict | None = None) -> None:
    """Refuse an ``out`` that would lose data: one that is, contains or lies inside an input or
    the build folder (``inputs``: label -> folder), a file, or a non-empty folder unless it is an
    earlier export (recognised by its manifest, holding nothing else) and ``overwrite`` is set.
    Never delete what this tool did not write."""
    where = overlap(out, inputs or {})
    if where:
        raise ExportError(
            f"--out {out} {where}; an export must go to a folder of its own, outside the data "
            "and build folders (nothing was written)"
        )
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} is a file, not a folder")
    if not (out.is_dir() and any(out.iterdir())):
        return
    if not overwrite:
        raise ExportError(
            f"--out {out} is not empty; pass --overwrite to replace an earlier export"
        )
    ours = export_entries(out)
    if ours is None:
        raise ExportError(
            f"--out {out} is not empty and holds no {MANIFEST} of an earlier kuailive export, so "
            "this tool did not write it; it is never replaced, not even with --overwrite: choose "
            "a new or empty folder"
        )
    foreign = foreign_entries(out, ours)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise ExportError(
            f"--out {out} holds an earlier export plus {len(foreign)} entr"
            f"{'y' if len(foreign) == 1 else 'ies'} it did not write ({shown}); they are never "
            "deleted, not even with --overwrite: move them or choose another folder"
        )


def export_space(ds: Dataset) -> int:
    """Free bytes an export of ``ds`` needs beside ``--out``: about twice the Parquet cache
    (the tables once more plus the interactions table, which repeats every event with its
    attributes; CSV is larger still, so this is a lower estimate for ``--format csv``)."""
    path = Path(ds.cache_path) if ds.cache_path else None
    if path is None or not path.is_dir():
        return 0
    return 2 * sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def protected_folders(data_dir: str | os.PathLike | None) -> dict[str, Path | None]:
    """The folders an export may not touch: the data folder it reads and the build folder
    (executed chapters, caches and the site), by label."""
    from kuailive_analysis import config

    return {"data folder": Path(data_dir) if data_dir else None, "build folder": config.build_dir()}


def cache_only(ds: Dataset) -> Dataset:
    """``ds`` without the tables it holds in memory (as after building the cache): the export
    reads only the cache files, so the caller can let the frames go before it starts."""
    return Dataset(
        cache_path=ds.cache_path,
        source=ds.source,
        params=ds.params,
        samples=ds.samples,
        truth=ds.truth,
        cache_key=ds.cache_key,
    )


def check_args(
    fmt: str,
    engine: str | None,
    out: str | os.PathLike,
    overwrite: bool,
    data_dir: str | os.PathLike | None = None,
) -> str:
    """Format, engine name and output folder checked before any work (``data_dir``: the data
    folder read, which ``out`` may not overlap); the engine's name."""
    from kuailive_analysis.engine import engine_name

    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    try:
        name = engine_name(engine)
    except ValueError as err:
        raise ExportError(str(err)) from None
    check_out(Path(out), overwrite, protected_folders(data_dir))
    return name
