"""The twin's output folder: argument checks and the atomic write (:func:`generate`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from kuailive_analysis.config import DEFAULT_SEED
from kuailive_analysis.core.folders import foreign_entries
from kuailive_analysis.data.data_source import TRUTH_FILE, twin_entries
from kuailive_analysis.twin.pipeline import generate_files


class TwinError(ValueError):
    """The twin cannot be written where asked (bad scale or seed, the target is a file or a
    folder that is not a twin); the message says why in one line."""


def check_scale_seed(scale, seed) -> None:
    """Raise :class:`TwinError` unless 0 < ``scale`` <= 5 and ``seed`` is a non-negative int."""
    numeric = isinstance(scale, (int, float, np.floating)) and not isinstance(scale, bool)
    if not (numeric and 0 < scale <= 5):
        shown = f"{scale:g}" if numeric else repr(scale)
        raise TwinError(
            f"The twin scale must be above 0 and at most 5 (1 = real size), not {shown}."
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TwinError(f"The twin seed must be a non-negative integer, not {seed!r}.")


def partial_files(folder) -> list[str]:
    """Names in ``folder`` when it exists and holds files but no :data:`TRUTH_FILE` (an
    interrupted generation by an older version, or a folder that is not a twin); else []."""
    folder = Path(folder)
    if not folder.is_dir() or (folder / TRUTH_FILE).is_file():
        return []
    return sorted(p.name for p in folder.iterdir())


def generate(out_dir, scale: float = 0.1, seed: int = DEFAULT_SEED, progress: bool = True) -> Path:
    """Write a synthetic KuaiLive twin into ``out_dir`` and return its path.

    ``scale`` = 1.0 is the real size (counts scale linearly; tiny scales keep at least 50 users
    and 500 streamers); ``seed`` fixes every random draw (same seed and scale give
    byte-identical files). ``progress`` shows a tqdm bar over the 21 days on stderr when it is a
    terminal.

    Atomic: the files are written into ``<out_dir>.partial-<pid>`` beside the target, which is
    renamed into place only when complete (an interrupt or error removes it), so ``out_dir`` is
    never left half written. The generator's scratch files (each day's events, the drawn rooms)
    live in a folder inside that partial folder and are deleted before the rename; nothing is
    written outside it. They take about as much disk as the finished twin (scale 5: at most
    8.2 GB of scratch, 8.4 GB in the partial folder, for a 7.9 GB twin); memory peaks at about
    1.0 GB at scale 1 and 3.7 GB at scale 5 (``benchmarks/published/twin-*.json``). An
    existing twin in ``out_dir`` is replaced only when the folder holds nothing but twin files
    (:func:`~kuailive_analysis.data.data_source.twin_entries`); an empty folder is used; a
    file, or a folder holding anything else (a partial twin from an older version, a twin plus
    the user's own files), raises :class:`TwinError` and nothing is touched: this tool never
    deletes what it did not write.
    """
    check_scale_seed(scale, seed)
    out = Path(out_dir).expanduser().absolute()
    if out.exists() and not out.is_dir():
        raise TwinError(f"{out} is a file, not a folder; choose another output folder.")
    foreign = foreign_entries(out, twin_entries()) if (out / TRUTH_FILE).is_file() else []
    if foreign:  # a twin plus the user's own files: never delete what this tool did not write
        shown = ", ".join(foreign[:4]) + (", ..." if len(foreign) > 4 else "")
        raise TwinError(
            f"{out} holds a twin plus {len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} "
            f"the generator does not write ({shown}); they are never deleted: move them or "
            "choose another output folder."
        )
    leftover = partial_files(out)
    if leftover:
        raise TwinError(
            f"{out} is not empty and holds no {TRUTH_FILE}, so it is not a complete twin "
            f"(found {', '.join(leftover[:4])}{', ...' if len(leftover) > 4 else ''}; "
            "an interrupted generation?); delete it or choose another output folder."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.partial-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        generate_files(tmp, scale, seed, progress)
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        if out.exists():  # a complete twin: swap, then remove the old one
            old = out.with_name(f"{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
