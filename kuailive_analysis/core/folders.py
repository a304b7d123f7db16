"""Folders this tool writes, and the rule that it never deletes what it did not write.

* Work in progress goes into a temporary folder named ``<stem>.tmp-<pid>-<random>``
  (:func:`owned_tmpdir`) beside its target and is renamed into place when complete. The process
  id in the name says who owns it: a clean-up (:func:`sweep_stale`) removes only temporary
  folders of this process or of processes that no longer run, never another live process's.
* A folder is replaced only when this tool wrote it: the caller says which names such a folder
  holds (a twin's files, an export's manifest-listed files, a site's ``run.json``) and
  :func:`foreign_entries` lists anything else; one foreign entry and the folder is refused.
* An output folder may not be, contain or lie inside an input folder or the build folder
  (:func:`overlap`), so replacing it can never delete the data it was made from.

It imports nothing from the package, so any layer may use it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "TMP_MARK",
    "foreign_entries",
    "is_owned_tmp",
    "overlap",
    "owned_tmpdir",
    "pid_alive",
    "sweep_stale",
    "tmp_owner",
]

TMP_MARK = ".tmp-"
"""Marks a temporary folder: ``<stem>.tmp-<pid>-<random>``."""

_TMP_RE = re.compile(r"\.tmp-(\d+)-[0-9a-f]{8}$")


def owned_tmpdir(parent: str | os.PathLike, stem: str, *, create: bool = True) -> Path:
    """``<parent>/<stem>.tmp-<pid>-<8 hex digits>`` (owned by this process), created unless
    ``create`` is false (then only a free name for a later rename)."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = parent / f"{stem}{TMP_MARK}{os.getpid()}-{secrets.token_hex(4)}"
        if not create:
            if not os.path.lexists(path):
                return path
            continue  # pragma: no cover (8 random hex digits)
        try:
            path.mkdir()
            return path
        except FileExistsError:  # pragma: no cover (8 random hex digits)
            continue


def tmp_owner(path: str | os.PathLike) -> int | None:
    """The process id in a temporary folder's name, None when the name is not ours."""
    m = _TMP_RE.search(Path(path).name)
    return int(m.group(1)) if m else None


def pid_alive(pid: int) -> bool:
    """True when a process with id ``pid`` runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def is_owned_tmp(path: str | os.PathLike) -> bool:
    """True for a temporary folder of this process or of a process that no longer runs."""
    pid = tmp_owner(path)
    return pid is not None and (pid == os.getpid() or not pid_alive(pid))


def sweep_stale(parent: str | os.PathLike, stems: Iterable[str] | None = None) -> list[Path]:
    """Remove the temporary folders (and files) in ``parent`` left by processes that no longer run (killed
    runs); another live process's work in progress is left alone. ``stems`` limits the sweep to
    those names. Returns what was removed."""
    parent = Path(parent)
    if not parent.is_dir():
        return []
    wanted = set(stems) if stems is not None else None
    removed = []
    for entry in parent.iterdir():
        pid = tmp_owner(entry)
        if pid is None or pid == os.getpid() or pid_alive(pid):
            continue
        if wanted is not None and entry.name.split(TMP_MARK, 1)[0] not in wanted:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _resolved(p: str | os.PathLike) -> Path:
    return Path(os.path.expanduser(os.fspath(p))).resolve()


def overlap(out: str | os.PathLike, others: Mapping[str, str | os.PathLike | None]) -> str | None:
    """How ``out`` overlaps one of ``others`` (label -> folder), in words, or None.

    ``"is the data folder /x"``, ``"lies inside the build folder /b"`` or ``"contains the data
    folder /x"``: replacing ``out`` would delete or overwrite that folder. Symbolic links are
    resolved, so a link to the data folder is the data folder."""
    o = _resolved(out)
    for label, other in others.items():
        if other in (None, ""):
            continue
        d = _resolved(other)
        if o == d:
            return f"is the {label} {d}"
        if d in o.parents:
            return f"lies inside the {label} {d}"
        if o in d.parents:
            return f"contains the {label} {d}"
    return None


def foreign_entries(folder: str | os.PathLike, allowed: Iterable[str]) -> list[str]:
    """Names in ``folder`` that are not in ``allowed`` (what this tool would not have written),
    sorted; [] for an empty or missing folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    allowed = set(allowed)
    return sorted(p.name for p in folder.iterdir() if p.name not in allowed)
