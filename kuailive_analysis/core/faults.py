"""Faults of the environment, named: a full disk, a corrupt compressed file, an overlong line.

Every error the ``kuailive`` command prints is one line that names the file or folder and says
what to do. This module holds the pieces every layer needs for that:

* :class:`EnvironmentFault` (exit status 1: the machine, not the input) and its
  :class:`DiskFull`, which names the folder, the step and the free space the step needs;
* :func:`disk_step`, a context manager a writing step wraps itself in: any "no space left on
  device" inside it (``OSError`` with ``errno.ENOSPC``, or the same words in a DuckDB, pyarrow,
  Spark or subprocess message) becomes one :class:`DiskFull` naming that step's folder;
* :func:`excerpt`, which cuts a value or a line quoted in a message to a readable length (a
  file that is one 55 KB line must not produce a 55 KB message).

It imports nothing from the package, so any layer may use it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from pathlib import Path

__all__ = [
    "DiskFull",
    "EnvironmentFault",
    "disk_step",
    "excerpt",
    "free_bytes",
    "human_bytes",
    "is_disk_full",
    "written_folder",
]

NO_SPACE_WORDS = ("no space left on device", "disk quota exceeded", "not enough space")
"""Lower-case phrases by which DuckDB, pyarrow, Spark and the C library report a full disk."""

EXCERPT_CHARS = 120
"""Longest excerpt of a value or line quoted in an error message (characters)."""


class EnvironmentFault(Exception):
    """The environment (disk, permissions, a missing program) stopped a step; exit status 1.
    ``str(err)`` is one line."""

    exit_code = 1


class DiskFull(EnvironmentFault):
    """No space left in ``folder`` while ``step`` wrote there.

    ``needed`` is the step's estimate of the free space it needs in bytes (None: unknown);
    ``free`` the free bytes measured when the fault was caught.
    """

    def __init__(self, step: str, folder: Path, needed: int | None = None):
        self.step, self.folder, self.needed = step, Path(folder), needed
        self.free = free_bytes(self.folder)
        need = f"; it needs about {human_bytes(needed)} free there" if needed else ""
        free = f" ({human_bytes(self.free)} free now)" if self.free is not None else ""
        super().__init__(
            f"No space left on the device of {self.folder}{free} while {step}{need}. Free some "
            "space or point the step at a larger folder (--out, $KUAILIVE_BUILD_DIR)."
        )


def human_bytes(n: int | float | None) -> str:
    """``1536`` -> ``'1.5 KB'``; KB, MB, GB are powers of 1024."""
    if n is None:
        return "unknown"
    n = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"  # pragma: no cover (loop returns at GB)


def free_bytes(folder: Path) -> int | None:
    """Free bytes on the file system of ``folder`` (or of its nearest existing parent)."""
    p = Path(folder)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) reports a full disk."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if any(w in text for w in NO_SPACE_WORDS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@contextlib.contextmanager
def disk_step(step: str, folder: str | os.PathLike, needed: int | None = None):
    """Turn a full disk inside the block into one :class:`DiskFull` naming ``folder``.

    ``step`` says what was being written, as a gerund phrase ("building the Parquet cache");
    ``needed`` is the step's estimate of the space it needs in bytes. Other exceptions pass
    unchanged; a :class:`DiskFull` of an inner step is kept (it names the more precise folder).
    """
    try:
        yield
    except DiskFull:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFull(step, written_folder(exc) or Path(folder), needed) from None
        raise


_QUOTED_PATH = re.compile(r"[\"'](/[^\"']+)[\"']")


def written_folder(exc: BaseException) -> Path | None:
    """The folder of the file a write failed on, when the error says (``OSError.filename``, or
    an absolute path in quotes in the message, as DuckDB and pyarrow write it); else None."""
    name = getattr(exc, "filename", None)
    if not name:
        m = _QUOTED_PATH.search(str(exc))
        name = m.group(1) if m else None
    if not name:
        return None
    p = Path(os.fsdecode(name))
    return p if p.is_dir() else p.parent


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``repr``-free text of ``value`` cut to ``limit`` characters, saying how much was cut:
    ``'abc…'`` (60,000 characters)``. Newlines are shown as ``\\n``."""
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"
